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
# Leases 1, 2, ... use the environments ENV-gw0, ENV-gw1, ...; the highest
# lease bounds how long ENV may be (checked once, before any worker starts).
MAX_LEASES = 256


class Settings:
    """What the options say for this session, worked out at configure time."""

    __slots__ = ("env", "fixture", "worker")

    def __init__(self, env: str, *, worker: str | None) -> None:
        self.env = env
        self.worker = worker
        self.fixture: StableportFixture | None = None


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
    env = value
    if value != DEFAULT_TEST_ENV:  # the default is known good: no import for it
        from stableport._fixture import checked_env  # noqa: PLC0415

        env = checked_env(value, where)
    worker = _xdist_worker(config)
    config.stash[SETTINGS] = Settings(env, worker=worker)
    workers = getattr(config.option, "numprocesses", None)  # xdist's -n, once it is resolved
    most = getattr(config.option, "maxprocesses", None)  # xdist's --maxprocesses
    if isinstance(workers, int) and isinstance(most, int) and most > 0:
        workers = min(workers, most)
    if worker is None and isinstance(workers, int) and workers > 0:
        # The xdist controller, once, before any worker starts: checks the
        # worker count against the project's map (which an xdist run's startup
        # dwarfs) and collects the workers' leases for the summary.
        from stableport._fixture import start_controller  # noqa: PLC0415

        start_controller(config, workers, env)


def _xdist_worker(config: pytest.Config) -> str | None:
    """This process's xdist worker id; None outside a worker."""
    workerinput: dict[str, object] = getattr(config, "workerinput", None) or {}
    worker = workerinput.get("workerid") or os.environ.get(WORKER_VARIABLE) or None
    return None if worker is None else str(worker)


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
