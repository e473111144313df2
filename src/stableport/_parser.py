"""The command line's parser, built from one table of commands: off the fast path.

`stableport NAME` never gets here (_cli reads it without argparse); --help, the
commands and the completion scripts (_completion reads each command's options
from this parser) do. A command's arguments are added in _add_commands, its
line of `stableport --help` comes from COMMANDS.
"""

import sys

from ._common import Exit, say

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn, TypeVar

    Parser = TypeVar("Parser", bound=argparse.ArgumentParser)
    Action = TypeVar("Action", bound=argparse.Action)

# Every command, once, with its line of `stableport --help`. _cli takes the names
# from here to tell a command from a service name.
COMMANDS = {
    "list": "every declared service and its port, and how it got it",
    "explain": "why a service has its port: every probe, skipped or taken",
    "check": "problems in the configuration; --live: is each port free now",
    "export": "ports as BILLING_PORT=20345 lines for .env, JSON or shell",
    "init": "start a configuration: append [tool.stableport] to pyproject.toml",
    "run": "start a command with PORT and every declared port set",
    "instance": "this checkout's instance; new: give a worktree its own ports",
}


def build(
    command: str | None,
    added: "list[tuple[argparse.ArgumentParser, argparse.Action]] | None" = None,
) -> "tuple[argparse.ArgumentParser, argparse.ArgumentParser]":
    """The whole parser, and the one that reports errors: the NAME form's or the command's.

    added, if given, gets each (parser, action) as the action is added.
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
            f"       stableport {{{','.join(name for name in COMMANDS if name != 'run')}}} "
            "[options]\n"
            "       stableport run NAME [--env ENV] [--namespace NS] -- COMMAND [ARG ...]\n"
            "       stableport --version"
        ),
        description="Print the stable port of a service: the same on every machine, forever.",
        epilog=(
            "commands (each has --help):\n"
            + "".join(f"  {name:<8} {summary}\n" for name, summary in COMMANDS.items())
            + "\nexit status: 0 ok, 1 check found problems, 2 usage or configuration error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # so a new option never changes what an old abbreviation meant
    )
    _add_config(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(command=None)
    if command is None:
        # Optional here, required in _run: an unknown option is the better message.
        parser.add_argument(
            "name", metavar="NAME", nargs="?", help="the service name, e.g. billing"
        )
        parser.add_argument("--env", help=_ENV_HELP)
        parser.add_argument("--namespace", metavar="NS", help=_NAMESPACE_HELP)
        parser.add_argument("--instance", metavar="N", help=_INSTANCE_HELP)
        parser.add_argument(
            "--completion",
            choices=("bash", "zsh", "fish", "services", "envs"),
            metavar="SHELL",
            help="print a completion script for bash, zsh or fish (see docs/cli.md)",
        )
        return parser, parser
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    return parser, _add_commands(commands)[command]


def command_options(command: str | None) -> "list[tuple[str, argparse.Action]]":
    """Every option string of the NAME form (None) or of a command, with its action."""
    added: list[tuple[argparse.ArgumentParser, argparse.Action]] = []
    parser = build(command, added)[1]
    return [
        (name, action)
        for owner, action in added
        if owner is parser
        for name in action.option_strings
        if name != "--completion"
    ]


_ENV_HELP = "the environment (default: $STABLEPORT_ENV, else the config's env, else 'default')"
_INSTANCE_HELP = (
    "the instance (checkout) whose ports to give, 0 for the plain map (default: "
    "$STABLEPORT_INSTANCE, else the checkout's .stableport-instance, else 0)"
)
_NAMESPACE_HELP = (
    "the namespace keys are hashed in (default: $STABLEPORT_NAMESPACE, else the config's "
    "namespace, else none)"
)


def _add_config(parser: "argparse.ArgumentParser") -> None:
    """--config, which the NAME form and every command that reads a configuration take."""
    import argparse  # noqa: PLC0415 - already imported by build, the one caller

    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,  # so a command's default never hides one given before it
        help="load this stableport.toml or pyproject.toml instead of discovering one",
    )


def _add_commands(commands: "argparse._SubParsersAction[Parser]") -> "dict[str, Parser]":
    """Every command's parser, by name."""
    import argparse  # noqa: PLC0415 - already imported by _parser, the one caller

    from ._export import FORMATS  # noqa: PLC0415 - only when a command is named

    def add(
        name: str, summary: str, description: str, *, json: bool = True, reads: bool = True
    ) -> "Parser":
        command = commands.add_parser(
            name,
            prog=f"stableport {name}",
            help=summary,
            description=description,
            allow_abbrev=False,
        )
        if reads:
            _add_config(command)
        if json:
            command.add_argument(
                "--json", action="store_true", help="one JSON object, for machines"
            )
        return command

    listing = add(
        "list",
        "every declared service and its port",
        "Every declared (service, env), its port, and how it got it.",
    )
    scope = listing.add_mutually_exclusive_group()
    scope.add_argument("--env", help=_ENV_HELP)
    listing.add_argument("--namespace", metavar="NS", help=_NAMESPACE_HELP)
    listing.add_argument("--instance", metavar="N", help=_INSTANCE_HELP)
    scope.add_argument(
        "--all-envs",
        action="store_true",
        help="every declared environment (the config's envs), not just one",
    )

    explain = add(
        "explain",
        "why a service has its port",
        "The whole story of one port: the hashed key and every probe.",
    )
    explain.add_argument("name", metavar="NAME", help="the service name")
    explain.add_argument("--env", help=_ENV_HELP)
    explain.add_argument("--namespace", metavar="NS", help=_NAMESPACE_HELP)
    explain.add_argument("--instance", metavar="N", help=_INSTANCE_HELP)

    check = add(
        "check",
        "problems in the configuration",
        "Report pins and ranges that will hurt at run time, and overrides from the "
        "environment. Exit 0: all is well; 1: problems found; 2: usage or config error.",
    )
    check.add_argument(
        "--live",
        action="store_true",
        help="also try to bind every assigned port on loopback, and name who holds it",
    )

    export = add(
        "export",
        "ports as environment variables",
        "Every declared service's port as a variable: billing-api -> BILLING_API_PORT.",
        json=False,
    )
    export.add_argument("--env", help=_ENV_HELP)
    export.add_argument("--namespace", metavar="NS", help=_NAMESPACE_HELP)
    export.add_argument("--instance", metavar="N", help=_INSTANCE_HELP)
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env: NAME=PORT lines (docker compose .env); json: an object; shell: export lines",
    )
    export.add_argument("--prefix", default="", help="put before every variable name, e.g. APP_")
    init = add(
        "init",
        "start a configuration",
        "Append a [tool.stableport] table to ./pyproject.toml (or create ./stableport.toml "
        "where there is none) with a namespace and the services given, then print their "
        "ports. Never rewrites a byte already there; refuses if stableport is configured.",
        json=False,
        reads=False,
    )
    init.add_argument("services", metavar="SERVICE", nargs="*", help="a service to declare")
    init.add_argument(
        "--namespace",
        metavar="NS",
        help="the namespace (default: [project].name of the pyproject.toml, else the "
        "directory's name)",
    )
    init.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,  # as the other commands' --config, given before or after
        help="write here instead: a pyproject.toml gets [tool.stableport] appended, any "
        "other name is created as a stableport.toml-style file",
    )
    run = add(
        "run",
        "start a command on a service's port",
        "Run COMMAND with PORT set to NAME's port (replacing any PORT it had) and every "
        "declared service's port in the variables export writes (WEB_PORT=...). In COMMAND's "
        "arguments, {PORT} and {WEB_PORT} (braces, no $: no shell expands them first) become "
        "the ports; {{PORT}} is a literal {PORT}. On POSIX the command replaces stableport, "
        "so signals and the exit status are its own. A command not found exits 127.",
        json=False,
    )
    run.usage = (
        "stableport run NAME [--env ENV] [--namespace NS] [--instance N] [--prefix P] "
        "-- COMMAND [ARG ...]"
    )
    run.add_argument("name", metavar="NAME", help="the service whose port is PORT")
    run.add_argument("--env", help=_ENV_HELP)
    run.add_argument("--namespace", metavar="NS", help=_NAMESPACE_HELP)
    run.add_argument("--instance", metavar="N", help=_INSTANCE_HELP)
    run.add_argument(
        "--prefix", metavar="P", default="", help="put before every X_PORT variable, as in export"
    )
    instance = add(
        "instance",
        "this checkout's instance, or a new one",
        "A checkout that is an instance of its project (a git worktree beside the main "
        "one) gets its own port for every declared service, apart from every other "
        "instance's and the plain map's. show (the default): this checkout's instance "
        "and its ports. new: give this checkout the lowest instance no other worktree "
        "of the repository has, in a .stableport-instance file beside the configuration "
        "that git ignores (through .git/info/exclude), and print its ports; a checkout "
        "that has an instance of its own keeps it.",
    )
    instance.add_argument(
        "action", nargs="?", choices=("show", "new"), default="show", help="show or new"
    )
    return {
        "instance": instance,
        "list": listing,
        "explain": explain,
        "check": check,
        "export": export,
        "init": init,
        "run": run,
    }
