"""stableport's pytest plugin as pytest registers it: options, hooks and a fixture, nothing else.

Every pytest session of every environment where stableport is installed loads
this module (the ``pytest11`` entry point ``stableport``), including the suites
of projects that never use it. So it lives outside the ``stableport`` package
(importing ``stableport._anything`` would run the package's ``__init__`` and
load all of it, xxhash included) and imports only ``os`` and pytest. The
fixture loads ``stableport._fixture`` the first time a test asks for it: a
session that never does reads no configuration and creates no file, lock,
socket or thread. It never imports xdist: a worker is recognised by
``config.workerinput`` (set by xdist on its workers) or ``PYTEST_XDIST_WORKER``.

Nothing here may outlive its session (pytester runs many sessions in one
process, each importing a fresh copy of this module): no subscripted generic at
module level (``StashKey[X]()`` would pin ``X``, this module and through its
loader the whole session in typing's cache), no registry, no ``atexit`` or
signal handler; leases are released when the session ends.

Assertion rewriting: pytest marks every module of a plugin's distribution for
rewriting, this one and the ``stableport`` package included. We let it:
stableport's modules hold no ``assert`` (ruff's S101 rule forbids them outside
tests), so rewriting them changes no behaviour, and since only this small module
is imported at registration, only sessions that use the fixture pay for
compiling the rest. Opting out would need pytest's private hook state.
"""

import os

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stableport._fixture import StableportFixture

DEFAULT_TEST_ENV = "test"
WORKER_VARIABLE = "PYTEST_XDIST_WORKER"
WORKER_COUNT_VARIABLE = "PYTEST_XDIST_WORKER_COUNT"
# Leases 1, 2, ... use the environments ENV-gw0, ENV-gw1, ...; the highest
# lease bounds how long ENV may be (checked once, before any worker starts).
MAX_LEASES = 256
LONGEST_SUFFIX = f"-gw{MAX_LEASES - 2}"
MAX_NAME_LENGTH = 128  # stableport._names.MAX_NAME_LENGTH, checked by a test


class Settings:
    """What the options say for this session, worked out at configure time."""

    __slots__ = ("check_free", "count", "env", "fixture", "leases", "worker", "workers_seen")

    def __init__(
        self, env: str, *, worker: str | None, count: int | None, check_free: bool, leases: bool
    ) -> None:
        self.env = env
        self.worker = worker
        self.count = count
        self.check_free = check_free
        self.leases = leases
        self.fixture: StableportFixture | None = None
        self.workers_seen: list[str] = []  # the xdist workers' leases, on the controller


# Unsubscripted on purpose (see the module docstring); the string annotation is
# never evaluated.
SETTINGS: "pytest.StashKey[Settings]" = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--stableport-env, --stableport-check-free, --stableport-leases and their ini options."""
    group = parser.getgroup("stableport", "stableport: stable ports for services")
    group.addoption(
        "--stableport-env",
        dest="stableport_env",
        metavar="ENV",
        help="environment of the stableport fixture's ports (default: the stableport_env "
        "ini option, else 'test'); xdist workers and concurrent runs use ENV-gwN",
    )
    group.addoption(
        "--stableport-check-free",
        dest="stableport_check_free",
        action="store_true",
        default=None,
        help="fail a test when a port the stableport fixture hands it is in use on loopback",
    )
    group.addoption(
        "--stableport-leases",
        dest="stableport_leases",
        choices=("on", "off"),
        default=None,
        help="on (default): concurrent runs of a project take distinct leases, so their "
        "ports never collide; off: every run acts as if it ran alone",
    )
    parser.addini(
        "stableport_env",
        "environment of the stableport fixture's ports (default: test)",
        default=DEFAULT_TEST_ENV,
    )
    parser.addini(
        "stableport_check_free",
        "fail a test when a port the stableport fixture hands it is in use (default: false)",
        type="bool",
        default=False,
    )
    parser.addini(
        "stableport_leases",
        "keep concurrent runs' ports apart with leases (default: true)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check the options and work out this process's place; load and lock nothing."""
    option = config.getoption("stableport_env")
    where = "--stableport-env" if option is not None else "ini option stableport_env"
    value = config.getini("stableport_env") if option is None else option
    env = value if value == DEFAULT_TEST_ENV else _checked_env(value, where)
    worker, count = _xdist_worker(config)
    check_free = config.getoption("stableport_check_free")
    if check_free is None:
        check_free = config.getini("stableport_check_free")
    leases = config.getoption("stableport_leases")
    config.stash[SETTINGS] = Settings(
        env,
        worker=worker,
        count=count,
        check_free=bool(check_free),
        leases=bool(config.getini("stableport_leases")) if leases is None else leases == "on",
    )
    workers = getattr(config.option, "numprocesses", None)  # xdist's -n, once it is resolved
    most = getattr(config.option, "maxprocesses", None)  # xdist's --maxprocesses
    if isinstance(workers, int) and isinstance(most, int) and most > 0:
        workers = min(workers, most)
    if worker is None and isinstance(workers, int) and workers > 0:
        # The controller, once, before any worker starts: loads the project's
        # map, which an xdist run's startup dwarfs.
        from stableport._fixture import check_worker_count  # noqa: PLC0415

        check_worker_count(workers, env)


def _checked_env(value: object, where: str) -> str:
    """The normalized test environment, or a usage error naming the option."""
    from stableport import StableportError  # noqa: PLC0415
    from stableport._names import normalize_name  # noqa: PLC0415 - only for a non-default env

    try:
        env = normalize_name(value, "environment name")
    except StableportError as error:
        raise pytest.UsageError(f"stableport: {where}={value!r}: {error}") from None
    if len(env) + len(LONGEST_SUFFIX) > MAX_NAME_LENGTH:
        raise pytest.UsageError(
            f"stableport: {where}={value!r}: environment name is {len(env)} characters long; "
            f"xdist workers and concurrent runs add up to {len(LONGEST_SUFFIX)} "
            f"({env[:20]}...{LONGEST_SUFFIX}), so at most "
            f"{MAX_NAME_LENGTH - len(LONGEST_SUFFIX)} are allowed"
        )
    return env


def _xdist_worker(config: pytest.Config) -> tuple[str | None, int | None]:
    """This process's xdist worker id and the worker count; (None, None) outside a worker."""
    workerinput: dict[str, object] = getattr(config, "workerinput", None) or {}
    worker = workerinput.get("workerid") or os.environ.get(WORKER_VARIABLE) or None
    count = workerinput.get("workercount") or os.environ.get(WORKER_COUNT_VARIABLE)
    if worker is None:
        return None, None
    try:
        return str(worker), int(str(count))
    except ValueError:  # no count (or a garbled one)
        return str(worker), None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand this worker's lease to the controller's summary."""
    settings = session.config.stash.get(SETTINGS, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if settings is not None and settings.fixture is not None and workeroutput is not None:
        line = settings.fixture.describe(verbose=session.config.option.verbose > 0)
        if line is not None:
            workeroutput["stableport"] = line


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:  # noqa: ARG001 - xdist's signature
    """On the xdist controller: collect what each worker's fixture said about its lease."""
    output = getattr(node, "workeroutput", None) or {}
    config = getattr(node, "config", None)
    if "stableport" in output and config is not None:
        config.stash[SETTINGS].workers_seen.append(str(output["stableport"]))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Which lease gave this run its ports, when not the one a run alone gets (or with -v)."""
    settings = terminalreporter.config.stash.get(SETTINGS, None)
    if settings is None:
        return
    lines = sorted(settings.workers_seen)
    if settings.fixture is not None:
        line = settings.fixture.describe(verbose=terminalreporter.config.option.verbose > 0)
        lines[:0] = [line] if line is not None else []
    for line in lines:
        terminalreporter.write_line(f"stableport: {line}")


@pytest.fixture(scope="session")
def stableport(pytestconfig: pytest.Config) -> "StableportFixture":
    """The port of a service in the test environment: ``stableport("billing")``.

    Also ``stableport.map`` (the PortMap, for ``explain`` and ``assignments``),
    ``stableport.env`` (``test``, or ``test-gwN`` on an xdist worker or a
    concurrent run) and ``stableport.lease``.
    """
    settings = pytestconfig.stash[SETTINGS]
    if settings.fixture is None:
        from stableport._fixture import StableportFixture  # noqa: PLC0415 - first use only

        settings.fixture = StableportFixture.start(pytestconfig, settings)
    return settings.fixture
