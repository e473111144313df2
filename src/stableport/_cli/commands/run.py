"""stableport run: start a command on its service's port, with every declared port set."""

import contextlib
import os
import re
import sys
from pathlib import Path

from stableport._checkouts import same_repository
from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._config import ENV_VARIABLE, NAMESPACE_VARIABLE, load_with_origin
from stableport._errors import InvalidNameError, PortCheckError, StableportError, excerpt
from stableport._export import nameable
from stableport._files import CONFIG_VARIABLE
from stableport._hints import tell
from stableport._hosting import KEEP_PORT_VARIABLE, keeps_port, platform
from stableport._identity import INSTANCE_VARIABLE
from stableport._names import normalize_name
from stableport._stderr import say
from stableport._test_run import EXPORTED

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from stableport._claims import Claimant
    from stableport._lockfile import Locks
    from stableport._port_status import PortStatus
    from stableport._portmap import PortMap

# {PORT}, {WEB_PORT}: shells and Procfile runners pass braces through untouched,
# where they would expand $PORT to their own port before run ever saw it. A
# run of braces around a name is read as str.format reads it: each {{ is a
# literal {, each }} a literal }, and an odd run on both sides holds the
# placeholder, so {{PORT}} is the text {PORT} and {{{PORT}}} is {28439}. Every
# argument is expanded, a `sh -c` script too, so no quoting can hide a
# placeholder; only ${PORT}, the shell's own syntax, is left to the shell
# (which finds PORT in the environment run sets).
# {INSTANCE} is the checkout's instance (0: the plain map), for a database or
# compose project name that follows the checkout.
_PLACEHOLDER = re.compile(
    r"(?P<dollar>\$?)(?P<open>\{+)(?P<name>[A-Z0-9_]*PORT|INSTANCE)(?P<close>\}+)"
)

# Where the OS can replace this process, signals and the exit status are the
# command's own with nothing in between; elsewhere run waits on a child.
REPLACE_PROCESS = os.name == "posix"

# Run's status when another live process claims the port (as for a usage error:
# nothing was started).
CLAIMED = 2
# POSIX status of a command that was found but cannot be run, and of one not found.
CANNOT_EXECUTE = 126
NOT_FOUND = 127

# Python ignores these at startup (so a closed pipe is an exception, a file
# size limit an error), and exec keeps an ignored disposition: the command
# would print "Broken pipe" where it should die quietly, and `set -o pipefail`
# pipelines would exit 1 instead of 141.
_IGNORED_BY_PYTHON = ("SIGPIPE", "SIGXFSZ")


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "Run COMMAND with PORT set to NAME's port (replacing any PORT it had) and every "
        "declared service's port in the variables export writes (WEB_PORT=...). In COMMAND's "
        "arguments, {PORT} and {WEB_PORT} (braces, no $: no shell expands them first) become "
        "the ports; {{PORT}} is a literal {PORT}. On POSIX the command replaces stableport, "
        "so signals and the exit status are its own. A command not found exits 127."
    )
    parser.usage = (
        "stableport run NAME [--env ENV] [--namespace NS] [--instance N] [--prefix P] "
        "[--no-claim] -- COMMAND [ARG ...]"
    )
    add_options(parser, "--config")
    parser.add_argument("name", metavar="NAME", help="the service whose port is PORT")
    add_options(parser, "--env", "--namespace", "--instance")
    parser.add_argument(
        "--prefix", metavar="P", default="", help="put before every X_PORT variable, as in export"
    )
    parser.add_argument(
        "--no-claim",
        action="store_true",
        help="claim no port: for a command that connects to NAME's server rather than serves",
    )


def handle(args: "argparse.Namespace") -> Answer:
    """Run the command after -- (args.argv, which _cli splits off before parsing)."""
    return Answer(run(args))


def run(args: "argparse.Namespace") -> int:
    """Run args.argv with PORT and every declared service's variable set."""
    # Started by a live test run, the map of that run answers its ports (_test_run).
    pm, origin = load_with_origin(args.config, args.namespace, instance=args.instance, env=args.env)
    port = pm.port_for(args.name, args.env)
    # Outside any project, whoever reads stderr: an agent or a process manager
    # starts servers on the built-in defaults, shared with every such project.
    tell(pm, origin, args.name, args.env, always=True)
    ports = {service: pm.port_for(service, args.env) for service in pm.services}
    variables = nameable(ports, args.prefix)
    service = normalize_name(args.name)
    if service in variables.refused:
        raise InvalidNameError(
            f"run: {variables.refused[service]}; rename the service or give a --prefix"
        )
    inherited = os.environ.get("PORT")
    keep = keeps_port(os.environ)
    settings: dict[str, int | str] = {**variables.named, "PORT": port}
    if keep and inherited is not None:
        settings["PORT"] = inherited
    placeholders = {**settings, "INSTANCE": pm.instance}
    argv = [
        expand(arg, placeholders, index, variables.shared) for index, arg in enumerate(args.argv)
    ]
    # The command's own lookups (stableport.port_for, stableport NAME) see the map
    # run used: what was chosen on run's command line is passed on to it.
    # The file as an absolute path, named by --config or the variable: the
    # command may change its directory.
    named = args.config is not None or bool(os.environ.get(CONFIG_VARIABLE))
    chosen = {
        CONFIG_VARIABLE: origin.path if named else None,
        ENV_VARIABLE: args.env,
        NAMESPACE_VARIABLE: args.namespace,
        # Always: the command's own identity (0: the plain map), for what it
        # names after the checkout (a database, a compose project).
        INSTANCE_VARIABLE: str(pm.instance),
    }
    environment = dict(os.environ)
    run = origin.test_run
    if run is not None and args.env is not None and args.env != run.env:
        # Another environment than the test run's: the command's lookups must
        # give its ports too, as STABLEPORT_ENV says, not the run's.
        for variable in EXPORTED:
            environment.pop(variable, None)
    environment.update({key: value for key, value in chosen.items() if value is not None})
    environment.update({name: str(value) for name, value in settings.items()})
    _notes(args, variables.refused, inherited, keep, port)
    # The port the command gets is claimed for as long as it lives, unless a
    # platform's router owns it (a kept PORT) or a test run already holds it.
    # With --env too, when that names the test run's environment.
    from_test = pm.explain(args.name, args.env).how == "test"
    client = args.no_claim  # a client of the server: it claims nothing
    held: Locks | bool = True
    serves = not (keep and inherited is not None) and not client
    if serves and _excluded(service, pm.env if args.env is None else args.env, port):
        return CLAIMED
    if serves and not from_test:
        env = pm.env if args.env is None else args.env
        held = _claim(pm, origin.path, service, env, port)
    if held is False:
        return CLAIMED
    if held is True:
        return start(argv, environment)
    if REPLACE_PROCESS:
        held.keep_across_exec()  # the command holds it from here
    try:
        return start(argv, environment)
    finally:
        held.release()  # the command ended (as a child) or could not start


def _excluded(service: str, env: str, port: int) -> bool:
    """True, said why, if the OS excludes port (a Windows excluded range): no server binds it."""
    from stableport._os_ports import excluded  # noqa: PLC0415 - asks the OS: only run's path

    reserved = excluded(port)
    if reserved is None:
        return False
    say(
        f"stableport: error: run: port {port} of {service}@{env} is {reserved.reason(port)}; "
        f"{reserved.remedies(service, port)}"
    )
    return True


def _claim(pm: "PortMap", config: str | None, service: str, env: str, port: int) -> "Locks | bool":
    """Claim port: its holder; True if nothing was claimed; False (said why) if refused.

    Refused too when a program not started through stableport holds the port:
    a dev server would move on to the next port (Vite, Jupyter), or fail to
    bind it, and either way the stable port would not be its own.
    """
    import signal  # noqa: F401, PLC0415 - imported before the claim holds descriptors

    from stableport import _claims  # noqa: PLC0415 - only run claims, never a lookup
    from stableport._port_status import port_status  # noqa: PLC0415 - sockets, only for a claim

    me = _claims.Claimant(pm.namespace, pm.instance, env, service, os.getpid(), config)
    # Probed first, while every descriptor is free: the claim holds two.
    try:
        status = port_status(port)
    except PortCheckError as error:
        # Unchecked is not free: a program on the port would take the command's place.
        say(f"stableport: error: run: {error}")
        return False
    try:
        claimed = _claims.claim(port, me)
    except StableportError as error:
        # No lock file to use (an unusable lease directory): start unclaimed, and say so.
        say(f"stableport: run: port {port} is not claimed: {error}")
        claimed = None
    if isinstance(claimed, _claims.Refused):
        say(_refusal(pm, config, me, port, claimed.claimant))
        return False
    if status.busy_on:
        if claimed is not None:
            claimed.release()
        say(_squatted(pm, config, me, status))
        return False
    return True if claimed is None else claimed  # None: unclaimed (or Windows: no claims)


def _refusal(
    pm: "PortMap", config: str | None, me: "Claimant", port: int, holder: "Claimant | None"
) -> str:
    """Why run is refused a port another live holder claims, and the fixes that fit."""
    from stableport._claims import checkout_gone  # noqa: PLC0415 - only run claims, never a lookup

    head = f"stableport: error: run: port {port} of {me.service}@{me.env} is claimed by"
    if holder is None:
        return (
            f"{head} another live process (a test run, or a claim being made); "
            f"{_fixes(pm, config, me)}"
        )
    if checkout_gone(holder):
        # An orphan: its checkout was removed while its server ran.
        return (
            f"{head} {holder}, whose checkout is gone: stop pid {holder.pid} "
            f"(kill {holder.pid}) to free the port"
        )
    if holder._replace(pid=me.pid) == me:
        # The same service of the same checkout: started already, or a client of it.
        return (
            f"{head} {holder}: it runs already; for a command that connects to it, "
            f"run with --no-claim"
        )
    if (
        holder._replace(pid=me.pid, config=me.config) == me
        and config is not None
        and (pm.namespace is not None or same_repository(config, holder.config))
    ):
        # The same service, namespace and instance from another file of this
        # project (its namespace, or its repository, says so): another checkout
        # with the same identity. Without either, an unrelated project is as likely.
        fix = _own_ports(pm, config, me, holder)
        return f"{head} {holder}, another checkout of this project; {fix}"
    return f"{head} {holder}; {_fixes(pm, config, me)}"


def _squatted(pm: "PortMap", config: str | None, me: "Claimant", status: "PortStatus") -> str:
    """Why run is refused a port a program not started through stableport holds."""
    stop = ""
    if status.holders:
        pids = " ".join(str(holder.pid) for holder in status.holders)
        stop = f"stop it (kill {pids}), or "
    elif status.closing:
        stop = "wait about a minute, or "
    return (
        f"stableport: error: run: port {status.port} of {me.service}@{me.env} is "
        f"{status.describe()}, not by a stableport run: the command would fail to bind it "
        f"or move to another port; {stop}{_fixes(pm, config, me)}"
    )


def _own_ports(pm: "PortMap", config: str, me: "Claimant", holder: "Claimant") -> str:
    """The fix for two checkouts of one project that share an identity, as far as it applies.

    `instance new` only where it can work: the project declares instances and
    the checkout is in git; the per-process variable only where instances are declared.
    """
    from stableport._cli.views import path_text  # noqa: PLC0415 - only for a refusal

    if not pm.instances:
        return (
            f"declare instances in {path_text(config)} (instances = 4) to give each checkout "
            f"its own ports; or for this process only STABLEPORT_PINS={me.service}=PORT"
        )
    variable = f"STABLEPORT_INSTANCE=N (1 to {pm.instances}) for this process"
    top = _checkout_top(config)
    if top is None:
        return f"set {variable}"
    if (top / ".git").is_dir() and holder.config is not None:
        # The main checkout: instance new here would move its ports under its stack.
        other = path_text(str(Path(holder.config).parent))
        return f"give that checkout its own ports with stableport instance new in {other}"
    if me.instance:
        # Both are instance N: one is a copy of the other.
        return (
            f"both are instance {me.instance}: give this one its own with stableport "
            f"instance new, or set {variable}"
        )
    return f"give this checkout its own ports with stableport instance new, or set {variable}"


def _checkout_top(config: str) -> Path | None:
    """The git checkout config is in (the directory with .git), if git can tell its siblings."""
    import shutil  # noqa: PLC0415 - only for a refusal

    if shutil.which("git") is None:
        return None
    return next((parent for parent in Path(config).parents if (parent / ".git").exists()), None)


def _fixes(pm: "PortMap", config: str | None, me: "Claimant") -> str:
    """Ways to another port, the lasting one (in the file) first, per-process variables after."""
    from stableport._cli.views import path_text  # noqa: PLC0415 - only for a refusal

    service = me.service if me.env == pm.env else f"{me.service}@{me.env}"
    variables = f"STABLEPORT_PINS={service}=PORT"
    if config is None:
        return (
            f"give the project a configuration with its own namespace (stableport init), "
            f"or for this process only {variables}"
        )
    table = "[tool.stableport.pins]" if Path(config).name == "pyproject.toml" else "[pins]"
    lasting = f"pin {service} to another port in {path_text(config)} ({table} {service} = PORT)"
    if pm.namespace is None:
        lasting = (
            f'set a namespace in {path_text(config)} (namespace = "<project>": every hashed '
            f"port moves once) or {lasting}"
        )
        variables += " or STABLEPORT_NAMESPACE=<project>"
    return f"{lasting}; or for this process only {variables}"


def _notes(
    args: "argparse.Namespace",
    refused: "Mapping[str, str]",
    inherited: str | None,
    keep: bool,  # noqa: FBT001 - a private helper's flag
    port: int,
) -> None:
    """What run did that the command's output would not show: one stderr line each."""
    if refused:
        services = sorted(refused)
        reasons = "; ".join(dict.fromkeys(refused[service] for service in services))
        say(f"stableport: run: no variable for {', '.join(map(repr, services))} ({reasons})")
    if keep and KEEP_PORT_VARIABLE not in os.environ:
        say(
            f"stableport: run: PORT={inherited} is kept: set by {platform(os.environ)}, whose "
            f"router sends to it; {KEEP_PORT_VARIABLE}=0 gives {args.name} port {port}"
        )
    if inherited is None or keep or inherited == str(port):
        return
    for index, arg in enumerate(args.argv):
        if arg == inherited or arg.endswith((f"={inherited}", f":{inherited}")):
            # The shell expanded $PORT to the process manager's port before run ran.
            say(
                f"stableport: run: argument {index} {excerpt(arg)} holds {inherited}, the PORT "
                f"run replaces with {port}: write {{PORT}} (no $) to get {port} there"
            )
            return


def expand(
    arg: str,
    settings: "Mapping[str, int | str]",
    index: int,
    shared: "Mapping[str, str] | None" = None,
) -> str:
    """arg with each placeholder replaced by its value; braces read as str.format reads them.

    An unknown placeholder is an error; an escaped one is never looked up.
    """

    def port(match: "re.Match[str]") -> str:
        opening, closing, name = len(match["open"]), len(match["close"]), match["name"]
        if match["dollar"]:
            return match[0]
        if opening % 2 != closing % 2:
            raise StableportError(
                f"run: argument {index} {excerpt(arg)} has {opening} '{{' and {closing} '}}' "
                f"around {name}; write {{{name}}} for the port, {{{{{name}}}}} for the "
                f"text {{{name}}}"
            )
        before, after = "{" * (opening // 2), "}" * (closing // 2)
        if opening % 2 == 0:
            return f"{before}{name}{after}"
        if name not in settings:
            if shared and name in shared:
                raise StableportError(
                    f"run: argument {index} {excerpt(arg)} names {{{name}}}, which run does "
                    f"not set: {shared[name]}; rename one of them"
                )
            known = ", ".join(f"{{{known}}}" for known in sorted(settings))
            raise StableportError(
                f"run: argument {index} {excerpt(arg)} names {{{name}}}, which run does not "
                f"set; it sets {known}"
            )
        return f"{before}{settings[name]}{after}"

    return _PLACEHOLDER.sub(port, arg)


def start(argv: list[str], environment: "dict[str, str]") -> int:
    """Become argv (POSIX), or run it as a child and return its status."""
    refused = _unstartable(argv, environment)
    if refused is not None:
        return refused
    if REPLACE_PROCESS:
        _flush()
        _restore_signals()
        try:
            os.execvpe(argv[0], argv, environment)  # noqa: S606 - running it is the point
        except OSError as error:
            _ignore_signals()
            return _failed(argv[0], error)
    return run_child(argv, environment)


def _unstartable(argv: list[str], environment: "Mapping[str, str]") -> int | None:
    """The shell's status and one line for what no exec can start, else None."""
    if not argv[0]:
        say("stableport: error: run: command '' not found (the command is empty)")
        return NOT_FOUND
    unnamed = next((name for name in environment if not name or "=" in name), None)
    if unnamed is not None:
        say(
            f"stableport: error: run: cannot execute {argv[0]!r}: the environment holds a "
            f"variable named {unnamed!r}, which no program can be given; unset it"
        )
        return CANNOT_EXECUTE
    return None


def _restore_signals() -> None:
    """The default dispositions of the signals Python ignores, for the command to inherit."""
    import signal  # noqa: PLC0415 - only just before exec

    for name in _IGNORED_BY_PYTHON:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _ignore_signals() -> None:
    """Python's own dispositions back, after an exec that failed: run reports and exits."""
    import signal  # noqa: PLC0415 - only after a failed exec

    for name in _IGNORED_BY_PYTHON:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def run_child(argv: list[str], environment: "dict[str, str]") -> int:
    """argv as a child: signals sent to run reach it, and its status is run's status."""
    import signal  # noqa: PLC0415 - only off POSIX, where the process cannot be replaced
    import subprocess  # noqa: PLC0415 - as signal

    try:
        child = subprocess.Popen(argv, env=environment)  # noqa: S603 - the user's command
    except OSError as error:
        return _failed(argv[0], error)

    def forward(signum: int, _frame: object) -> None:
        # A console's Ctrl-C or Ctrl-Break already reached the child, which shares
        # the console: only a signal sent to run alone is passed on.
        if os.name == "posix" or signum == signal.SIGTERM:
            child.send_signal(signum)

    names = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
    forwarded = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, forward) for signum in forwarded}
    try:
        status = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # Killed by a signal: report it as a shell does, 128 + its number.
    return 128 - status if status < 0 else status


def _failed(command: str, error: OSError) -> int:
    """One line naming the command, and the shell's status for why it could not start."""
    if isinstance(error, FileNotFoundError):
        where = "" if os.sep in command else " on PATH"
        say(f"stableport: error: run: command {command!r} not found{where}")
        return NOT_FOUND
    say(f"stableport: error: run: cannot execute {command!r}: {error.strerror}")
    return CANNOT_EXECUTE


def _flush() -> None:
    """What was written must come out before the process is replaced."""
    for stream in (sys.stdout, sys.stderr):
        # Closed or absent: there is nothing to lose.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
