"""The test run's ports, for the code under test: what a pytest session's fixture handed out.

docs/configuration.md ("Inside a test run") is the rule, normative for every
implementation: while a session's ``stableport`` fixture is in use, its process
sets STABLEPORT_TEST_RUN (which run: its process id and start time, and which
map: environment, namespace, instance, configuration file) and
STABLEPORT_TEST_PORTS (the ports it handed out), inherited by every process it
starts. A reader honours them only while that process lives, and only for the
run's own map: one reader here (current()), applied where a map is loaded
(_config.load_with_origin), so every entry point gives the same answer. In the
session's own process, stableport.port_for asks the fixture itself (SESSION).
One writer too: export() and export_ports(), which the fixture calls.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

TEST_RUN_VARIABLE = "STABLEPORT_TEST_RUN"
TEST_PORTS_VARIABLE = "STABLEPORT_TEST_PORTS"
# Every variable a session sets for the processes it starts.
EXPORTED = (TEST_RUN_VARIABLE, TEST_PORTS_VARIABLE)

# The fixtures' lookups while their sessions run in this process, innermost
# last, each with that process's id (pushed and popped by the fixture): an
# in-process inner session (pytester's inline runs) must leave the outer one's
# in place when it ends. A child forked from it (multiprocessing) holds a copy
# that no longer shares the fixture's state: it reads the variables instead.
SESSION: "list[tuple[int, Callable[[str], int]]]" = []

# Where os.kill(pid, 0) terminates the process instead of testing it.
WINDOWS = os.name == "nt"
# Above every real process id (Linux's pid_max is at most 2**22); kill() takes an int.
_MAX_PID = 2**31 - 1
# Field 22 of /proc/PID/stat, counted after the command name's closing ')'.
_START_FIELD = 22 - 3


class TestRun:
    """A test run, as its STABLEPORT_TEST_RUN and STABLEPORT_TEST_PORTS say.

    A plain class: typing's NamedTuple would put typing on every import path.
    """

    __slots__ = ("config", "env", "instance", "namespace", "pid", "ports", "start")

    def __init__(  # noqa: PLR0917 - one argument per field of the variable, in its order
        self,
        pid: int,
        start: str,
        env: str,
        namespace: str | None,
        instance: int,
        config: str | None,
        ports: "Mapping[str, int] | None" = None,
    ) -> None:
        self.pid = pid
        self.start = start  # the process's start time as /proc tells it; "" where it does not
        self.env = env
        self.namespace = namespace
        self.instance = instance
        self.config = config  # the run's configuration file; None: the built-in defaults
        self.ports: Mapping[str, int] = {} if ports is None else ports  # name -> its port


# What current() found, keyed by the two variables' values: looked at once per
# process (reload() forgets it), whatever number of maps is loaded.
_seen: "dict[tuple[str | None, str | None], tuple[TestRun | None, str | None]]" = {}


def session_port(name: str) -> int | None:
    """The fixture's port for name when its session runs in this process, else None."""
    if SESSION and SESSION[-1][0] == os.getpid():
        return SESSION[-1][1](name)
    return None


def current() -> "tuple[TestRun | None, str | None]":
    """The live test run this process is part of (or None), and a note for a person (or None).

    The note says why variables that are set are ignored: a run that has
    ended, or ports without a run. A malformed STABLEPORT_TEST_RUN is a
    ConfigError naming it.
    """
    key = (variable(TEST_RUN_VARIABLE), variable(TEST_PORTS_VARIABLE))
    if key not in _seen:
        _seen.clear()
        _seen[key] = _read(*key)
    return _seen[key]


def forget() -> None:
    """Look at the variables again on the next load (reload()'s part)."""
    _seen.clear()


def _read(run_value: str | None, ports_value: str | None) -> "tuple[TestRun | None, str | None]":
    if not run_value:
        if not ports_value:
            return None, None
        return None, (
            f"stableport: note: ignoring {TEST_PORTS_VARIABLE}: it is set without "
            f"{TEST_RUN_VARIABLE}, which names the test run its ports belong to"
        )
    run = parse_run(run_value)
    if not alive(run.pid, run.start):
        return None, (
            f"stableport: note: ignoring {TEST_RUN_VARIABLE} and {TEST_PORTS_VARIABLE}: test "
            f"run pid {run.pid} has ended; they were left by a process it started"
        )
    run.ports = parse_ports(ports_value or "")
    return run, None


def parse_run(value: str) -> TestRun:
    """STABLEPORT_TEST_RUN's fields: PID,START,ENV,NAMESPACE,INSTANCE,CONFIG."""
    from ._errors import ConfigError, StableportError, excerpt  # noqa: PLC0415 - test runs only
    from ._names import normalize_name  # noqa: PLC0415 - test runs only

    fields = value.split(",", 5)
    problem = None
    if len(fields) < 6:
        problem = f"it has {len(fields)} field(s)"
    else:
        pid, start, env, namespace, instance, config = fields
        if not _decimal(pid) or not 1 <= int(pid) <= _MAX_PID:
            problem = f"PID {excerpt(pid)} is not a process id"
        elif start and not _decimal(start):
            problem = f"START {excerpt(start)} is not decimal digits"
        elif not _decimal(instance) or len(instance) > 4:
            problem = f"INSTANCE {excerpt(instance)} is not a whole number"
        else:
            try:
                env = normalize_name(env, "environment name", f"{TEST_RUN_VARIABLE}'s ENV")
                namespace = namespace and normalize_name(
                    namespace, "namespace", f"{TEST_RUN_VARIABLE}'s NAMESPACE"
                )
            except StableportError as error:
                problem = str(error)
            else:
                return TestRun(
                    int(pid), start, env, namespace or None, int(instance), config or None
                )
    raise ConfigError(
        f"{TEST_RUN_VARIABLE}={excerpt(value)} is not PID,START,ENV,NAMESPACE,INSTANCE,CONFIG: "
        f"{problem}; it is set by the stableport pytest fixture for the processes a test "
        f"starts: unset it"
    )


def parse_ports(value: str) -> dict[str, int]:
    """STABLEPORT_TEST_PORTS: 'name=port,...', as STABLEPORT_PINS without '@env'."""
    if not value:
        return {}
    from ._errors import ConfigError  # noqa: PLC0415 - test runs only
    from ._pins import PINS_VARIABLE, parse_pin_overrides  # noqa: PLC0415 - test runs only

    try:
        ports = parse_pin_overrides(value)
    except ConfigError as error:
        raise ConfigError(str(error).replace(PINS_VARIABLE, TEST_PORTS_VARIABLE)) from None
    envs = [f"{service}@{env}" for service, env in ports if env is not None]
    if envs:
        raise ConfigError(
            f"{TEST_PORTS_VARIABLE} entry {envs[0]!r} names an environment; its entries are "
            f"name=port, the ports of the run's environment"
        )
    return {service: port for (service, _), (port, _) in ports.items()}


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit()


def variable(name: str) -> str | None:
    """A variable's value as UTF-8, whatever the locale (see publish())."""
    if os.supports_bytes_environ:
        value = os.environb.get(name.encode())
        return None if value is None else value.decode("utf-8", "surrogateescape")
    return os.environ.get(name)  # pragma: no cover - Windows: the environment is text


def alive(pid: int, start: str) -> bool:
    """Whether process pid lives and, where the OS tells its start time, started at start."""
    if WINDOWS:  # os.kill would terminate it there
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, another user's
    if not start:
        return True
    started = start_time(pid)
    return started is None or started == start


def start_time(pid: int) -> str | None:
    """Process pid's start time, field 22 of /proc/PID/stat; None where it cannot be read."""
    try:
        # open, not pathlib: pathlib imports re, which would double startup cost.
        with open(f"/proc/{pid}/stat", "rb") as stat:  # noqa: PTH123
            text = stat.read()
    except OSError:
        return None
    fields = text[text.rfind(b")") + 1 :].split()
    if len(fields) <= _START_FIELD:  # pragma: no cover - a kernel's stat always has it
        return None
    return fields[_START_FIELD].decode("ascii", "replace")


def _windows_alive(pid: int, kernel: object = None, last_error: object = None) -> bool:
    """Whether process pid lives, on Windows: OpenProcess, then GetExitCodeProcess.

    Never os.kill there, which would terminate it. kernel and last_error are
    kernel32 and ctypes.get_last_error (given by a test that simulates them).
    """
    import ctypes  # noqa: PLC0415 - Windows only

    if kernel is None:  # pragma: no cover - Windows only
        kernel = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        last_error = ctypes.get_last_error  # type: ignore[attr-defined]
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel.OpenProcess(query_limited_information, False, pid)  # type: ignore[attr-defined]  # noqa: FBT003
    if not handle:
        return bool(last_error() == access_denied)  # type: ignore[operator] # another user's
    try:
        code = ctypes.c_ulong()
        if not kernel.GetExitCodeProcess(handle, ctypes.byref(code)):  # type: ignore[attr-defined]
            return True  # it exists; its state cannot be read
        return code.value == still_active
    finally:
        kernel.CloseHandle(handle)  # type: ignore[attr-defined]


def applies(run: TestRun, config: str | None, namespace: str | None, instance: int) -> bool:
    """Whether the map of config (its path), namespace and instance is the run's own.

    namespace as the configuration writes it: compared normalized, as the run's
    is (a file's "Shop" is the run's "shop"). One that is no name is no run's:
    building the map refuses it next.
    """
    if namespace is not None:
        from ._errors import StableportError  # noqa: PLC0415 - test runs only
        from ._names import normalize_name  # noqa: PLC0415 - test runs only

        try:
            namespace = normalize_name(namespace, "namespace")
        except StableportError:
            return False
    if (namespace, instance) != (run.namespace, run.instance):
        return False
    if config is None or run.config is None:
        return config is run.config
    return config == run.config or os.path.realpath(config) == os.path.realpath(run.config)


def this_run(env: str, namespace: str | None, instance: int, config: str | None) -> TestRun:
    """This process as a test run of the map of env, namespace, instance and config (its file)."""
    return TestRun(os.getpid(), start_time(os.getpid()) or "", env, namespace, instance, config)


def export(lookup: "Callable[[str], int]", run: TestRun | None) -> "Callable[[], None]":
    """Until the returned restore() is called, code under test gets a session's ports.

    In this process, stableport.port_for(name) asks lookup (SESSION); a child
    inherits STABLEPORT_TEST_RUN (run) and STABLEPORT_TEST_PORTS (each
    export_ports()). run None: the configuration does not load, so every
    lookup fails, here and in a child alike; an outer run's variables (if
    any) are no longer this process's, and are unset. A relative
    STABLEPORT_CONFIG, which the session read from where it started, names
    run's file by its absolute path meanwhile: a process a test starts in
    another directory reads the same file, not none or another project's.
    restore() puts back what was there before.
    """
    from ._files import CONFIG_VARIABLE  # noqa: PLC0415 - sessions only: not on port_for's path

    saved = {name: variable(name) for name in EXPORTED}
    entry = (os.getpid(), lookup)

    def restore() -> None:
        # This session's own entry: an outer session in this process keeps its own.
        if entry in SESSION:
            SESSION.remove(entry)
        for name, value in saved.items():
            publish(name, value)

    SESSION.append(entry)
    if run is None:
        for name in EXPORTED:
            publish(name, None)
    else:
        publish(TEST_RUN_VARIABLE, encode_run(run))
        named = variable(CONFIG_VARIABLE)
        if named and run.config is not None and not os.path.isabs(named):  # noqa: PTH117 - as _files
            saved[CONFIG_VARIABLE] = named  # put back by restore() too, and only then
            publish(CONFIG_VARIABLE, run.config)
    return restore


def export_ports(ports: "Mapping[str, int]") -> None:
    """STABLEPORT_TEST_PORTS: every port handed out so far, for processes started next."""
    publish(TEST_PORTS_VARIABLE, encode(ports))


def encode_run(run: TestRun) -> str:
    """$STABLEPORT_TEST_RUN for run: PID,START,ENV,NAMESPACE,INSTANCE,CONFIG."""
    fields = (run.pid, run.start, run.env, run.namespace or "", run.instance, run.config or "")
    return ",".join(map(str, fields))


def encode(ports: "Mapping[str, int]") -> str:
    """$STABLEPORT_TEST_PORTS for ports: 'billing=23717,cache=21234'."""
    return ",".join(f"{name}={port}" for name, port in sorted(ports.items()))


def publish(name: str, value: str | None) -> None:
    """Set variable name to value (None: unset it), in UTF-8 whatever the locale.

    os.environ encodes in the locale's encoding: in an ASCII one (the C locale
    with Python's UTF-8 mode off) a name such as café could not be set at all.
    """
    if value is None:
        os.environ.pop(name, None)
    elif os.supports_bytes_environ:
        os.environb[name.encode()] = value.encode("utf-8", "surrogateescape")
    else:  # pragma: no cover - Windows: the environment is text
        os.environ[name] = value
