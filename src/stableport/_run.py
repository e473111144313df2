"""stableport run: start a command on its service's port, with every declared port set."""

import contextlib
import os
import re
import sys

from ._common import env_option, say
from ._config import CONFIG_VARIABLE, ENV_VARIABLE, NAMESPACE_VARIABLE, load_with_origin
from ._errors import StableportError
from ._export import variables
from ._testports import lookup

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

# {PORT}, {WEB_PORT}: shells and Procfile runners pass braces through untouched,
# where they would expand $PORT to their own port before run ever saw it.
# {{PORT}} is the escape, a literal {PORT}: every argument is expanded, a
# `sh -c` script too, so no quoting can hide a placeholder from run.
_PLACEHOLDER = re.compile(r"\{\{(?P<escaped>[A-Z0-9_]*PORT)\}\}|\{(?P<name>[A-Z0-9_]*PORT)\}")

# Where the OS can replace this process, signals and the exit status are the
# command's own with nothing in between; elsewhere run waits on a child.
REPLACE_PROCESS = os.name == "posix"

# POSIX status of a command that was found but cannot be run, and of one not found.
CANNOT_EXECUTE = 126
NOT_FOUND = 127


def run(namespace: "argparse.Namespace") -> int:
    """Run namespace.argv with PORT and every declared service's variable set."""
    namespace.env = env_option(namespace.env)  # as every command: errors say (from --env)
    pm, origin = load_with_origin(namespace.config, namespace.namespace)
    # Started by a test (a pytest session's stableport fixture): the test's
    # ports, unless another configuration or namespace is asked for.
    own = namespace.config is None and namespace.namespace is None

    def port_of(service: str) -> int:
        return lookup(pm, service, namespace.env) if own else pm.port_for(service, namespace.env)

    port = port_of(namespace.name)
    ports = {service: port_of(service) for service in pm.services}
    settings = {**variables(ports, namespace.prefix), "PORT": port}
    # The command's own lookups (stableport.port_for, stableport NAME) see the map
    # run used: what was chosen on run's command line is passed on to it.
    chosen = {
        CONFIG_VARIABLE: None if namespace.config is None else origin.path,
        ENV_VARIABLE: namespace.env,
        NAMESPACE_VARIABLE: namespace.namespace,
    }
    environment = dict(os.environ)
    environment.update({key: value for key, value in chosen.items() if value is not None})
    environment.update({name: str(value) for name, value in settings.items()})
    argv = [expand(arg, settings, index) for index, arg in enumerate(namespace.argv)]
    return start(argv, environment)


def expand(arg: str, settings: "Mapping[str, int]", index: int) -> str:
    """arg with each {PORT} or {NAME_PORT} replaced by its port, each {{PORT}} by {PORT}.

    An unknown placeholder is an error; an escaped one is never looked up.
    """

    def port(match: "re.Match[str]") -> str:
        if match["escaped"] is not None:
            return f"{{{match['escaped']}}}"
        name = match["name"]
        if name not in settings:
            known = ", ".join(f"{{{known}}}" for known in sorted(settings))
            raise StableportError(
                f"run: argument {index} {arg!r} names {{{name}}}, which run does not set; "
                f"it sets {known}"
            )
        return str(settings[name])

    return _PLACEHOLDER.sub(port, arg)


def start(argv: list[str], environment: "dict[str, str]") -> int:
    """Become argv (POSIX), or run it as a child and return its status."""
    if REPLACE_PROCESS:
        _flush()
        try:
            os.execvpe(argv[0], argv, environment)  # noqa: S606 - running it is the point
        except OSError as error:
            return _failed(argv[0], error)
    return run_child(argv, environment)


def run_child(argv: list[str], environment: "dict[str, str]") -> int:
    """argv as a child: signals sent to run reach it, and its status is run's status."""
    import signal  # noqa: PLC0415 - only off POSIX, where the process cannot be replaced
    import subprocess  # noqa: PLC0415

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
