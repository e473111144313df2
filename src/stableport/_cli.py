"""The command line: ``stableport NAME`` prints a port; list, explain, check and export."""

import sys

from ._common import env_option, say
from ._errors import StableportError, excerpt

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn, TextIO, TypeVar

    Parser = TypeVar("Parser", bound=argparse.ArgumentParser)

COMMANDS = ("list", "explain", "check", "export", "init", "run", "instance")

# Options of the NAME form that take a value, so their value is not the NAME.
_VALUED_OPTIONS = ("--env", "--namespace", "--config", "--instance")

# Options a command takes after its name (with their metavar); before it, they
# would belong to the NAME form.
_COMMAND_OPTIONS = {"--env": "ENV", "--namespace": "NS", "--instance": "N"}


class Exit(Exception):  # noqa: N818 - an exit, not an error: like SystemExit
    """A finished run: its exit status and what stdout gets, rendered but not yet written."""

    def __init__(self, code: int, output: "str | bytes" = "") -> None:
        super().__init__(code, output)
        self.code = code
        self.output = output


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the command line with argv (default: sys.argv[1:]); return the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        # Ctrl-C: one line and the shell's 128 + SIGINT, not a traceback.
        say("stableport: interrupted")
        return 130


def _main(args: list[str]) -> int:
    # Started with stdout closed (`>&-`): refuse before doing anything (init would
    # write its table, then fail to say so); run writes nothing there, daemons do this.
    if sys.stdout is None and _command_of(args) != "run":
        say(_NO_STDOUT)
        return 2
    try:
        code, output = _run(args)
    except StableportError as error:
        say(f"stableport: error: {error}")
        return 2
    except Exit as done:  # --help, --version and usage errors, from argparse
        code, output = done.code, done.output
    # Rendered whole before a byte is written: a failure leaves stdout empty.
    return _write(output, code)


_NO_STDOUT = "stableport: error: no standard output to write the answer to"


def _write(output: "str | bytes", code: int) -> int:
    """Write output to stdout at once; a failure is exit 2 (141 for a closed pipe)."""
    if not output:  # run, and the daemons it starts, need no stdout: only an answer does
        return code
    stdout = sys.stdout
    if stdout is None:  # started with stdout closed (`>&-`), in run's argument shape
        say(_NO_STDOUT)
        return 2
    try:
        data = output if isinstance(output, bytes) else _encoded(output)
    except UnicodeEncodeError as error:
        say(f"stableport: error: {_unshowable(error)}")
        return 2
    try:
        stdout.flush()
        if sys.platform == "win32" and isinstance(output, str):  # pragma: no cover
            # The text layer: a console wants its own encoding, and \n as \r\n.
            stdout.write(output)
            stdout.flush()
        else:
            _write_all(stdout, data)
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as a filter killed by
        # SIGPIPE would, and keep Python from failing again on its final flush.
        _discard_stdout()
        return 141
    except (OSError, ValueError) as error:  # ValueError: a closed file
        say(f"stableport: error: cannot write the output: {error}")
        _discard_stdout()
        return 2
    return code


def _write_all(stdout: "TextIO", data: bytes) -> None:
    """Every byte of data to stdout's file, or an OSError."""
    try:
        descriptor = stdout.fileno()
    except (AttributeError, OSError, ValueError):  # an in-process capture, not a file
        stdout.buffer.write(data)
        stdout.buffer.flush()
        return
    import os  # noqa: PLC0415 - loaded at startup anyway; kept off the module's top

    # os.write, not the buffer: a pipe whose reader closes after reading part of
    # the output reports the part as written, and only the next write fails.
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _encoded(text: str) -> bytes:
    """text in stdout's encoding; a path's undecodable bytes go out as they came in."""
    errors = getattr(sys.stdout, "errors", None) or "strict"
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    # As pwd and ls do, a directory name that is not UTF-8 is written back as its bytes.
    return text.encode(encoding, "surrogateescape" if errors == "strict" else errors)


def _unshowable(error: UnicodeEncodeError) -> str:

    text = error.object
    line = text[text.rfind("\n", 0, error.start) + 1 : text.find("\n", error.start)]
    char = text[error.start]
    return (
        f"standard output's encoding ({error.encoding}) cannot show U+{ord(char):04X} "
        f"({char!r}) in {excerpt(line.strip())}; use a UTF-8 locale or "
        f"PYTHONIOENCODING=utf-8, or --json, which is always UTF-8"
    )


def _run(args: list[str]) -> "tuple[int, str | bytes]":
    # The common shapes skip argparse, whose import alone costs more than the answer.
    simple = _parse_simple(args)
    if simple is not None:
        name, env, namespace_name, instance = simple
        return 0, _port_line(name, env, None, namespace_name, instance)
    command = _command_of(args)
    argv: list[str] = []
    if command == "run":  # what follows -- is the command's, never run's options
        args, argv = _split_at_dashes(args)
    parser, command_parser = _parser(command)
    misplaced = None if command is None else _option_before(args, command)
    if misplaced is not None:
        command_parser.error(
            f"{misplaced} goes after the command: "
            f"stableport {command} {misplaced} {_COMMAND_OPTIONS[misplaced]}"
        )
    namespace, extras = parser.parse_known_args(args)
    if command == "run" and not argv:
        command_parser.error("give the command after --: stableport run NAME -- COMMAND")
    if extras:
        command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
    namespace.config = getattr(namespace, "config", None)
    if getattr(namespace, "completion", None) is not None:
        from ._completion import completion  # noqa: PLC0415 - only for shells' start-up

        return 0, completion(namespace.completion, namespace.config)
    if command == "run":
        from ._run import run as run_command  # noqa: PLC0415 - only for run

        namespace.argv = argv
        return run_command(namespace), ""
    if command is None:
        if namespace.name is None:
            parser.error("the following arguments are required: NAME")
        return 0, _port_line(
            namespace.name, namespace.env, namespace.config, namespace.namespace, namespace.instance
        )
    from ._commands import run  # noqa: PLC0415 - commands import json, socket, TOML

    return run(namespace)


def _port_line(
    name: str,
    env: str | None,
    config: str | None = None,
    namespace: str | None = None,
    instance: str | None = None,
) -> str:
    # Deferred: keeps `--help` and `--version` free of the configuration loader.
    from ._config import load_with_origin  # noqa: PLC0415
    from ._testports import lookup  # noqa: PLC0415

    env = env_option(env)
    pm, origin = load_with_origin(config, namespace, instance=instance)
    # Started by a test (a pytest session's stableport fixture): its port, for
    # the project's own configuration, namespace and instance.
    own = config is None and namespace is None and instance is None
    port = lookup(pm, name, env) if own else pm.port_for(name, env)
    from ._hints import tell  # noqa: PLC0415 - after the lookup, like the loader above

    tell(pm, origin, name, env)
    return f"{port}\n"


def _discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail."""
    import os  # noqa: PLC0415 - only after a failed write

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (an in-process capture): nothing will flush it


def _parse_simple(args: list[str]) -> tuple[str, str | None, str | None, str | None] | None:
    """NAME or -- NAME, then at most one each of --env, --namespace and --instance (X or =X).

    Returns (name, env, namespace, instance); None for anything else, which argparse reads.
    """
    if len(args) == 2 and args[0] == "--":
        return args[1], None, None, None
    if not args or args[0].startswith("-") or args[0] in COMMANDS:
        return None
    values: dict[str, str] = {}
    rest = args[1:]
    while rest:
        option, equals, value = rest[0].partition("=")
        if option not in _COMMAND_OPTIONS or option in values:
            return None
        if not equals:
            if len(rest) == 1:  # the option's value is missing: argparse says so
                return None
            value = rest[1]
        values[option] = value
        rest = rest[1 if equals else 2 :]
    return args[0], values.get("--env"), values.get("--namespace"), values.get("--instance")


def _split_at_dashes(args: list[str]) -> tuple[list[str], list[str]]:
    """run's own arguments, and the command after the first --."""
    if "--" not in args:
        return args, []
    index = args.index("--")
    return args[:index], args[index + 1 :]


def _command_of(args: list[str]) -> str | None:
    """The command named in args, or None for the NAME form (`--` ends commands)."""
    for index, arg in enumerate(args):
        if arg == "--":
            return None
        if arg.startswith("-") or (index and args[index - 1] in _VALUED_OPTIONS):
            continue
        return arg if arg in COMMANDS else None
    return None


def _option_before(args: list[str], command: str) -> str | None:
    """The --env or --namespace before the command, where only the NAME form takes it."""
    for arg in args[: args.index(command)]:
        option = arg.partition("=")[0]
        if option in _COMMAND_OPTIONS:
            return option
    return None


def _parser(command: str | None) -> "tuple[argparse.ArgumentParser, argparse.ArgumentParser]":
    """The whole parser, and the one that reports errors: the NAME form's or the command's."""
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

        def _print_message(self, message: str, file: object = None) -> None:
            # argparse ignores a failed write (`--version > /dev/full` would exit 0):
            # keep the text, and main writes it as it writes every answer.
            if message and file is sys.stderr:
                say(message.rstrip("\n"))
            elif message:
                printed.append(message)

    config = OneLineErrors(add_help=False, allow_abbrev=False)
    config.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,  # so a command's default never hides one given before it
        help="load this stableport.toml or pyproject.toml instead of discovering one",
    )
    parser = OneLineErrors(
        prog="stableport",
        usage=(
            "stableport NAME [--env ENV] [--namespace NS] [--instance N] [--config PATH]\n"
            "       stableport {list,explain,check,export,init,instance} [options]\n"
            "       stableport run NAME [--env ENV] [--namespace NS] -- COMMAND [ARG ...]\n"
            "       stableport --version"
        ),
        description="Print the stable port of a service: the same on every machine, forever.",
        epilog=(
            "commands (each has --help):\n"
            "  list     every declared service and its port, and how it got it\n"
            "  explain  why a service has its port: every probe, skipped or taken\n"
            "  check    problems in the configuration; --live: is each port free now\n"
            "  export   ports as BILLING_PORT=20345 lines for .env, JSON or shell\n"
            "  init     start a configuration: append [tool.stableport] to pyproject.toml\n"
            "  run      start a command with PORT and every declared port set\n"
            "  instance this checkout's instance; new: give a worktree its own ports\n\n"
            "exit status: 0 ok, 1 check found problems, 2 usage or configuration error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[config],
        allow_abbrev=False,  # so a new option never changes what an old abbreviation meant
    )
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
    return parser, _add_commands(commands, [config])[command]


def command_options(command: str | None) -> "list[tuple[str, argparse.Action]]":
    """Every option string of the NAME form (None) or of a command, with its action."""
    return [
        (name, action)
        for action in _parser(command)[1]._actions  # noqa: SLF001 - argparse's own list
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


def _add_commands(
    commands: "argparse._SubParsersAction[Parser]", parents: "list[Parser]"
) -> "dict[str, Parser]":
    """Every command's parser, by name."""
    import argparse  # noqa: PLC0415 - already imported by _parser, the one caller

    from ._export import FORMATS  # noqa: PLC0415 - only when a command is named

    def add(
        name: str, summary: str, description: str, *, json: bool = True, reads: bool = True
    ) -> "Parser":
        command = commands.add_parser(
            name,
            prog=f"stableport {name}",
            parents=parents if reads else [],
            help=summary,
            description=description,
            allow_abbrev=False,
        )
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
