"""stableport's pytest plugin as pytest registers it: options, two hooks and a fixture.

Every pytest session of every environment where stableport is installed loads
this module (the ``pytest11`` entry point ``stableport``), including the suites
of projects that never use it. So it lives outside the ``stableport`` package
(importing ``stableport._anything`` would run the package's ``__init__`` and
load all of it, xxhash included) and imports only ``os`` and pytest. The
fixture loads ``stableport._fixture`` the first time a test asks for it: a
session that never does reads no configuration and creates no file, lock,
socket or thread; what reports leases in pytest's summary is registered then
(or on an xdist controller). It never imports xdist: a worker is recognised by
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
COUNT_VARIABLE = "PYTEST_XDIST_WORKER_COUNT"


class Settings:
    """What this session's options say, every one worked out once, at configure time.

    env: the test environment; worker: this xdist worker's id, or None;
    workers: xdist's worker count on a worker, else 0; check_free: fail a test
    handed a port in use; leasing: concurrent runs take distinct leases.
    """

    __slots__ = ("check_free", "env", "leasing", "worker", "workers")

    def __init__(
        self,
        env: str,
        *,
        worker: str | None,
        workers: int = 0,
        check_free: bool = False,
        leasing: bool = True,
    ) -> None:
        self.env = env
        self.worker = worker
        self.workers = workers
        self.check_free = check_free
        self.leasing = leasing


class Reporter:
    """pytest's summary lines about leases: this process's, and on a controller its workers'.

    Registered by sessions that use the fixture, and by xdist controllers
    (which import nothing else of stableport), so that other sessions run none
    of it.
    """

    def __init__(self, fixture: "StableportFixture | None" = None) -> None:
        self.fixture = fixture  # None on an xdist controller: its workers hold the fixtures
        self.workers: list[str] = []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On an xdist worker, hand this worker's lease to the controller."""
        workeroutput = getattr(session.config, "workeroutput", None)
        line = self._line(session.config)
        if workeroutput is not None and line is not None:
            workeroutput["stableport"] = line

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: object, error: object) -> None:  # noqa: ARG002 - xdist's
        """On the xdist controller: what a worker said about its lease, if anything."""
        output = getattr(node, "workeroutput", None) or {}
        if "stableport" in output:
            self.workers.append(str(output["stableport"]))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The lines, when a lease is not the one a run alone gets (or with -v)."""
        line = self._line(terminalreporter.config)
        for text in ([line] if line is not None else []) + sorted(self.workers):
            terminalreporter.write_line(f"stableport: {text}")

    def _line(self, config: pytest.Config) -> str | None:
        if self.fixture is None:
            return None
        return self.fixture.describe(verbose=config.option.verbose > 0)


# Unsubscripted on purpose (see the module docstring); the string annotations are
# never evaluated. The fixture is stashed once a test first asks for it.
SETTINGS: "pytest.StashKey[Settings]" = pytest.StashKey()
FIXTURE: "pytest.StashKey[StableportFixture]" = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--stableport-env, --stableport-check-free, --stableport-leases and their ini options."""
    group = parser.getgroup("stableport", "stableport: stable ports for services")
    group.addoption(
        "--stableport-env",
        dest="stableport_env",
        metavar="ENV",
        help="environment of the stableport fixture's ports (default: the stableport_env "
        "ini option, else 'test'); xdist workers and concurrent runs use ENV-leaseK",
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
    env = value
    if value != DEFAULT_TEST_ENV:  # the default is known good: no import for it
        from stableport._fixture import checked_env  # noqa: PLC0415 - the whole package: if needed

        env = checked_env(value, where)
    worker, count = _xdist_worker(config)
    leasing = config.getoption("stableport_leases")
    check_free = config.getoption("stableport_check_free")
    config.stash[SETTINGS] = Settings(
        env,
        worker=worker,
        workers=count,
        check_free=_switch(config, "stableport_check_free") if check_free is None else check_free,
        leasing=_switch(config, "stableport_leases") if leasing is None else leasing == "on",
    )
    workers = getattr(config.option, "numprocesses", None)  # xdist's -n, once it is resolved
    if worker is None and isinstance(workers, int) and workers > 0:
        # The xdist controller collects the workers' leases for the summary;
        # it loads nothing: whether the range holds the workers apart is
        # checked by each worker whose tests ask for a port.
        config.pluginmanager.register(Reporter(), "stableport-reporter")


def _switch(config: pytest.Config, name: str) -> bool:
    """A boolean ini option; a bad value stops the run naming the option, as stableport_env does.

    pytest's own line names only the value ("invalid truth value 'maybe'").
    """
    try:
        return bool(config.getini(name))
    except (pytest.UsageError, ValueError, TypeError) as error:
        raise pytest.UsageError(
            f"stableport: ini option {name}: {error}; use true or false"
        ) from None


def _xdist_worker(config: pytest.Config) -> tuple[str | None, int]:
    """This process's xdist worker id (None outside a worker) and the worker count (else 0)."""
    workerinput: dict[str, object] = getattr(config, "workerinput", None) or {}
    worker = workerinput.get("workerid") or os.environ.get(WORKER_VARIABLE) or None
    if worker is None:
        return None, 0
    count = str(workerinput.get("workercount") or os.environ.get(COUNT_VARIABLE) or "")
    return str(worker), int(count) if count.isdigit() and count.isascii() else 0


@pytest.fixture(scope="session")
def stableport(pytestconfig: pytest.Config) -> "StableportFixture":
    """The port of a service in the test environment: ``stableport("billing")``.

    Also ``stableport.map`` (the PortMap, for ``explain`` and ``assignments``),
    ``stableport.env`` (``test``, or ``test-leaseK`` on an xdist worker or a
    concurrent run) and ``stableport.lease``.
    """
    fixture = pytestconfig.stash.get(FIXTURE, None)
    if fixture is None:
        from stableport._fixture import StableportFixture  # noqa: PLC0415 - first use only

        settings = pytestconfig.stash[SETTINGS]
        fixture = StableportFixture.start(
            pytestconfig,
            settings.env,
            worker=settings.worker,
            workers=settings.workers,
            check_free=settings.check_free,
            leasing=settings.leasing,
        )
        pytestconfig.stash[FIXTURE] = fixture
        # The controller's reporter is in another process.
        pytestconfig.pluginmanager.register(Reporter(fixture), "stableport-reporter")
    return fixture
