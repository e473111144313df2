"""The command line's parser, built from one table of commands: off the fast path.

`stableport NAME` never gets here (_cli reads it without argparse); --help, the
commands and the completion scripts (_completion reads each command's options
from this parser) do. The commands come from _commands' table; each one's
module adds its own arguments to the subparser made for it here.
"""

import sys

from ._commands import COMMANDS, add_options
from ._common import Exit
from ._stderr import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn, TypeVar

    from ._commands import Command

    Action = TypeVar("Action", bound=argparse.Action)


def build(
    name: str | None,
    added: "list[tuple[argparse.ArgumentParser, argparse.Action]] | None" = None,
) -> "tuple[argparse.ArgumentParser, argparse.ArgumentParser]":
    """The parser, and the one that reports errors: the NAME form's, or command name's.

    Only the named command is added: reading its words needs no other, and
    their modules stay unimported. added, if given, gets each (parser, action)
    as the action is added.
    """
    import argparse  # noqa: PLC0415 - only off the fast path

    from ._version import __version__  # noqa: PLC0415

    printed: list[str] = []  # what --help or --version print, for main to write

    class OneLineErrors(argparse.ArgumentParser):
        def error(self, message: str) -> "NoReturn":
            # One line, like every other error: usage is one --help away.
            self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")

        def exit(self, status: int = 0, message: str | None = None) -> "NoReturn":
            if message:
                say(message.rstrip("\n"))
            raise Exit(status, "".join(printed))

        def _add_action(self, action: "Action") -> "Action":
            # Every option as it is added (a group's too): what the completion
            # scripts offer (command_options), without reading argparse's own list.
            if added is not None:
                added.append((self, action))
            return super()._add_action(action)

        def _print_message(self, message: str, file: object = None) -> None:
            # argparse ignores a failed write (`--version > /dev/full` would exit 0):
            # keep the text, and main writes it as it writes every answer.
            if message and file is sys.stderr:
                say(message.rstrip("\n"))
            elif message:
                printed.append(message)

    parser = OneLineErrors(
        prog="stableport",
        usage=(
            "stableport NAME [--env ENV] [--namespace NS] [--instance N] [--config PATH]\n"
            f"       stableport {{{','.join(each for each in COMMANDS if each != 'run')}}} "
            "[options]\n"
            "       stableport run NAME [--env ENV] [--namespace NS] -- COMMAND [ARG ...]\n"
            "       stableport --version"
        ),
        description="Print the stable port of a service: the same on every machine, forever.",
        epilog=(
            "commands (each has --help):\n"
            + "".join(f"  {each:<8} {summary}\n" for each, (summary, _) in COMMANDS.items())
            + "\nexit status: 0 ok, 1 check found problems, 2 usage or configuration error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # so a new option never changes what an old abbreviation meant
    )
    add_options(parser, "--config")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(command=None)
    if name is None:
        # Optional here, required in _cli: an unknown option is the better message.
        parser.add_argument(
            "name", metavar="NAME", nargs="?", help="the service name, e.g. billing"
        )
        add_options(parser, "--env", "--namespace", "--instance")
        parser.add_argument(
            "--completion",
            choices=("bash", "zsh", "fish", "services", "envs"),
            metavar="SHELL",
            help="print a completion script for bash, zsh or fish (see docs/cli.md)",
        )
        return parser, parser
    # Hidden: `stableport --help` lists the commands in its epilog, from COMMANDS.
    commands = parser.add_subparsers(dest="command", help=argparse.SUPPRESS)
    subparser = commands.add_parser(name, prog=f"stableport {name}", allow_abbrev=False)
    command(name).arguments(subparser)
    return parser, subparser


def command_options(name: str | None) -> "list[tuple[str, argparse.Action]]":
    """Every option string of the NAME form (None) or of a command, with its action."""
    added: list[tuple[argparse.ArgumentParser, argparse.Action]] = []
    parser = build(name, added)[1]
    return [
        (option, action)
        for owner, action in added
        if owner is parser
        for option in action.option_strings
        if option != "--completion"
    ]


def command_choices(name: str) -> tuple[str, ...]:
    """The words a command's positional argument takes when they are a fixed set (instance's)."""
    added: list[tuple[argparse.ArgumentParser, argparse.Action]] = []
    parser = build(name, added)[1]
    return tuple(
        str(choice)
        for owner, action in added
        if owner is parser and not action.option_strings and action.choices
        for choice in action.choices
    )


def command(name: str) -> "Command":
    """The module of the command called name (a key of COMMANDS), imported on first use."""
    # __import__, not importlib.import_module: no module to load for it, and
    # `python -X importtime` times (and so shows) the command's module.
    module: Command = __import__(f"{__package__}.{COMMANDS[name][1]}", fromlist=["handle"])
    return module
