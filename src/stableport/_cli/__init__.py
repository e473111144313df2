"""The command line: ``stableport NAME`` without argparse, else the parser and one dispatch.

The NAME form's common shapes are read here, on the fast path; anything else
builds the parser (.argparser, from the table of commands and their shared
options in .commands) and hands the parsed arguments to the named command's
module. Every answer is written here, at once.
"""

import sys

from stableport._errors import StableportError, excerpt
from stableport._stderr import say

from .answer import Answer, Exit
from .commands import COMMANDS, SHARED_OPTIONS, env_option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO


# Options of the NAME form that take a value, so their value is not the NAME.
_VALUED_OPTIONS = tuple(name for name, spec in SHARED_OPTIONS.items() if "metavar" in spec)

# Options a command takes after its name (with their metavar); before it, they
# would belong to the NAME form.
_COMMAND_OPTIONS = {
    name: SHARED_OPTIONS[name]["metavar"] for name in ("--env", "--namespace", "--instance")
}


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the command line with argv (default: sys.argv[1:]); return the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        # Ctrl-C: one line and the shell's 128 + SIGINT, not a traceback.
        say("stableport: interrupted")
        return 130


def _main(words: list[str]) -> int:
    # Started with stdout closed (`>&-`): refuse before doing anything (init would
    # write its table, then fail to say so); run writes nothing there, daemons do this.
    if sys.stdout is None and _command_of(words) != "run":
        say(_NO_STDOUT)
        return 2
    try:
        answer = _run(words)
    except StableportError as error:
        say(f"stableport: error: {error}")
        return 2
    except Exit as done:  # --help, --version and usage errors, from argparse
        answer = Answer(done.code, done.output)
    # Rendered whole before a byte is written: a failure leaves stdout empty.
    return _write(answer, words)


_NO_STDOUT = "stableport: error: no standard output to write the answer to"


def _write(answer: Answer, words: list[str]) -> int:
    """Write the output to stdout at once; a failure is exit 2 (141 for a closed pipe).

    A command that changed something first (init's file) says so in the
    failure's line: the change stands, and running it again would be refused.
    """
    output, code = answer.output, answer.code
    if not output:  # run, and the daemons it starts, need no stdout: only an answer does
        return code
    stdout = sys.stdout
    if stdout is None:  # started with stdout closed (`>&-`), in run's argument shape
        say(_NO_STDOUT)
        return 2
    failed = (
        "stableport: error: " if answer.done is None else f"stableport: error: {answer.done}, but "
    )
    try:
        data = output if isinstance(output, bytes) else _encoded(output)
    except UnicodeEncodeError as error:
        say(failed + _unshowable(error, _command_of(words)))
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
        say(f"{failed}cannot write the output: {error}")
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


def _unshowable(error: UnicodeEncodeError, command: str | None) -> str:
    text = error.object
    line = text[text.rfind("\n", 0, error.start) + 1 : text.find("\n", error.start)]
    char = text[error.start]
    utf8 = _json_option(command)
    return (
        f"standard output's encoding ({error.encoding}) cannot show U+{ord(char):04X} "
        f"({char!r}) in {excerpt(line.strip())}; use a UTF-8 locale or "
        f"PYTHONIOENCODING=utf-8" + ("" if utf8 is None else f", or {utf8}, which is always UTF-8")
    )


def _json_option(command: str | None) -> str | None:
    """How command asks for JSON (--json, --format json), if it can: an error's path only."""
    if command is None:  # the NAME form: a port, or completion's names; no JSON
        return None
    # argparse, on an error's path only: the NAME form never loads it.
    from .argparser import command_options  # noqa: PLC0415

    options = command_options(command)
    if any(option == "--json" for option, _ in options):
        return "--json"
    return next(
        (f"{option} json" for option, action in options if "json" in (action.choices or ())),
        None,
    )


def _run(words: list[str]) -> Answer:
    # The common shapes skip argparse, whose import alone costs more than the answer.
    simple = _parse_simple(words)
    if simple is not None:
        name, env, namespace_name, instance = simple
        return Answer(0, _port_line(name, env, None, namespace_name, instance))
    command = _command_of(words)
    argv: list[str] = []
    if command == "run":  # what follows -- is the command's, never run's options
        words, argv = _split_at_dashes(words)
    from .argparser import build  # noqa: PLC0415 - argparse: only off the fast path

    parser, command_parser = build(command)
    misplaced = None if command is None else _option_before(words, command)
    if misplaced is not None:
        from .argparser import command_options  # noqa: PLC0415 - an error's path only

        if any(name == misplaced for name, _ in command_options(command)):
            command_parser.error(
                f"{misplaced} goes after the command: "
                f"stableport {command} {misplaced} {_COMMAND_OPTIONS[misplaced]}"
            )
        # Moving it would not help: say so rather than suggest what fails next.
        command_parser.error(f"{command} takes no {misplaced}")
    args, extras = parser.parse_known_args(words)
    if command == "run" and not argv:
        command_parser.error("give the command after --: stableport run NAME -- COMMAND")
    if extras:
        command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
    args.argv = argv
    if command is not None:
        from .argparser import command as module  # noqa: PLC0415 - loaded by build

        # --env read here for every command, as _port_line reads it for the NAME
        # form: a bad one is named as the option the user typed.
        args.env = env_option(args.env)
        return module(command).handle(args)
    if args.completion is not None:
        from .completion import completion  # noqa: PLC0415 - only for shells' start-up

        return Answer(0, completion(args.completion, args.config))
    if args.name is None:
        parser.error("the following arguments are required: NAME")
    return Answer(0, _port_line(args.name, args.env, args.config, args.namespace, args.instance))


def _port_line(
    name: str,
    env: str | None,
    config: str | None = None,
    namespace: str | None = None,
    instance: str | None = None,
) -> str:
    # Deferred: keeps `--help` and `--version` free of the configuration loader.
    from stableport._config import load_with_origin  # noqa: PLC0415 - see above

    env = env_option(env)
    # Started by a live test run, the map of that run answers its ports (_test_run).
    pm, origin = load_with_origin(config, namespace, instance=instance, env=env)
    port = pm.port_for(name, env)
    from stableport._hints import tell  # noqa: PLC0415 - after the lookup, like the loader above

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
            if value.startswith("-"):
                # argparse's to read: a negative number is a value, any other
                # such word an option, and the value missing.
                return None
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
    """The --env, --namespace or --instance before the command: only the NAME form takes it."""
    for arg in args[: args.index(command)]:
        option = arg.partition("=")[0]
        if option in _COMMAND_OPTIONS:
            return option
    return None
