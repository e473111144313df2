"""The command line's argparse parser, built from the table of commands: off the fast path.

`stableport NAME` never gets here (the package's main reads it without
argparse); --help, the commands and the completion scripts (completion reads
each command's options from this parser) do. The commands come from the
table in .commands; each one's module adds its own arguments to the
subparser made for it here. Only argparse's public API is used: every option
is recorded as it is added (add_argument, and the groups' add_argument), and
what --help and --version print is kept for main to write.
"""

from stableport._stderr import say
from stableport._version import __version__

from .answer import Exit
from .commands import COMMANDS, add_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, NoReturn

    from .commands import Command


def build(
    name: str | None, added: "list[tuple[argparse.ArgumentParser, argparse.Action]] | None" = None
) -> "tuple[argparse.ArgumentParser, argparse.ArgumentParser]":
    """The parser, and the one that reports errors: the NAME form's, or command name's.

    Only the named command is added: reading its words needs no other, and
    their modules stay unimported. added, if given, gets each (parser, action)
    as the action is added.
    """
    import argparse  # noqa: PLC0415 - only off the fast path

    printed: list[str] = []  # what --help or --version print, for main to write
    recorded = [] if added is None else added

    class Recorded:
        """A group of a parser's options whose add_argument records each action."""

        def __init__(self, group: "Any", owner: "argparse.ArgumentParser") -> None:
            self._group = group
            self._owner = owner

        def add_argument(self, *names: str, **keywords: "Any") -> "argparse.Action":
            action: argparse.Action = self._group.add_argument(*names, **keywords)
            recorded.append((self._owner, action))
            return action

    class Store(argparse.Action):
        """argparse's store, but --option=-- stores "--", as Python 3.13's argparse does.

        Python's argparse before 3.12.7 drops the "--" of --env=--, leaving an
        empty list: a traceback further on, or a choice never checked. The
        NAME form's fast path reads the value "--", and so does this.
        """

        def __call__(
            self,
            parser: "argparse.ArgumentParser",
            namespace: "argparse.Namespace",
            values: "str | Sequence[Any] | None",
            option_string: str | None = None,
        ) -> None:
            if values == [] and self.nargs is None:
                values = "--"
                if self.choices is not None and values not in self.choices:
                    choices = ", ".join(map(repr, self.choices))
                    parser.error(
                        f"argument {option_string}: invalid choice: '--' (choose from {choices})"
                    )
            setattr(namespace, self.dest, values)

    class Parser(argparse.ArgumentParser):
        def __init__(self, *arguments: "Any", **keywords: "Any") -> None:
            super().__init__(*arguments, **keywords)
            # The action of every argument added without one, its groups' too.
            self.register("action", None, Store)

        def add_argument(self, *names: "Any", **keywords: "Any") -> "argparse.Action":
            # Every option as it is added: what the completion scripts offer
            # (command_options), without reading argparse's own list.
            action = super().add_argument(*names, **keywords)
            recorded.append((self, action))
            return action

        def add_mutually_exclusive_group(self, **keywords: "Any") -> "Any":
            return Recorded(super().add_mutually_exclusive_group(**keywords), self)

        def error(self, message: str) -> "NoReturn":
            # One line, like every other error: usage is one --help away.
            self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")

        def exit(self, status: int = 0, message: str | None = None) -> "NoReturn":
            if message:
                say(message.rstrip("\n"))
            raise Exit(status, "".join(printed))

        def print_help(self, file: "Any" = None) -> None:  # noqa: ARG002 - argparse's signature
            # argparse ignores a failed write (`--help > /dev/full` would exit 0):
            # keep the text, and main writes it as it writes every answer.
            printed.append(self.format_help())

    class Version(argparse.Action):
        """--version: the version line, kept for main to write like --help's text."""

        def __call__(
            self,
            parser: "argparse.ArgumentParser",
            namespace: "argparse.Namespace",  # noqa: ARG002 - argparse's signature
            values: "str | Sequence[Any] | None",  # noqa: ARG002
            option_string: str | None = None,  # noqa: ARG002
        ) -> None:
            printed.append(f"stableport {__version__}\n")
            parser.exit()

    parser = Parser(
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
    parser.add_argument(
        "--version",
        action=Version,
        nargs=0,
        default=argparse.SUPPRESS,
        help="show program's version number and exit",
    )
    # Every option any command reads, present in every command's arguments:
    # None where the command does not take it (check has no --env), so handlers
    # read args.env and never guess with getattr.
    parser.set_defaults(command=None, config=None, env=None, namespace=None, instance=None)
    if name is None:
        # Optional here, required in main: an unknown option is the better message.
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
    module: Command = __import__(f"{__package__}.commands.{COMMANDS[name][1]}", fromlist=["handle"])
    return module
