"""The pytest plugin: a ``stableport`` fixture whose ports never collide under xdist.

Registered through the ``pytest11`` entry point. Importing it defines options,
one hook and a fixture; the project's map is loaded only when a test asks for a
port. It never imports xdist: a worker is recognised by ``config.workerinput``
(set by xdist on its workers) or the ``PYTEST_XDIST_WORKER`` variable.
"""

import os

import pytest

# Loading this module imports the stableport package anyway (it is inside it),
# so these cost nothing more; the project's map is still loaded only on demand.
from ._api import default_map
from ._errors import StableportError
from ._names import normalize_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._portmap import PortMap

DEFAULT_TEST_ENV = "test"
WORKER_VARIABLE = "PYTEST_XDIST_WORKER"
WORKER_COUNT_VARIABLE = "PYTEST_XDIST_WORKER_COUNT"


class StableportFixture:
    """What the ``stableport`` fixture returns: call it with a service name for its port.

    ``env`` is the environment of this process's ports: the test environment,
    or ``ENV-gwN`` on xdist worker ``gwN``. ``map`` is the PortMap they come
    from: the project's map, or on a worker that map with every worker's
    environment resolved together as one overlay above it.
    """

    def __init__(
        self,
        env: str,
        *,
        worker: str | None = None,
        workers: "tuple[str, ...] | None" = None,
        check_free: bool = False,
    ) -> None:
        self.env = env
        self.worker = worker
        self.check_free = check_free
        self._workers = workers
        self._overlaid: tuple[PortMap, PortMap] | None = None  # (project map, its overlay)

    @property
    def map(self) -> "PortMap":
        """The PortMap this fixture's ports come from (see the class docstring)."""
        try:
            # The module API's own map: a run without xdist gets exactly what
            # stableport.port_for(name, env=...) gives, reload() included.
            project = default_map()
            if self._workers is None:
                return project
            if self._overlaid is None or self._overlaid[0] is not project:
                self._overlaid = project, project.overlay(self._workers)
        except StableportError as error:
            pytest.fail(f"stableport: {error}", pytrace=False)
        return self._overlaid[1]

    def __call__(self, name: str, *, check_free: bool | None = None) -> int:
        """The port of service name in this process's test environment.

        With check_free (default: --stableport-check-free or the
        stableport_check_free ini option), fail the test unless the port can
        be bound on loopback right now.
        """
        port = self.map.port_for(name, self.env)
        if self.check_free if check_free is None else check_free:
            self._require_free(name, port)
        return port

    def _require_free(self, name: str, port: int) -> None:
        from ._live import port_status  # noqa: PLC0415 - sockets only for the opt-in check

        status = port_status(port)
        if not status.free:
            pytest.fail(
                f"stableport: port {port} for service {name!r} (env {self.env!r}) is not "
                f"free: {status.describe()}",
                pytrace=False,
            )

    def __repr__(self) -> str:
        worker = f", worker={self.worker!r}, workers={list(self._workers or ())!r}"
        return f"StableportFixture(env={self.env!r}{worker if self.worker else ''})"


_FIXTURE_KEY = pytest.StashKey[StableportFixture]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--stableport-env and --stableport-check-free, and their ini options."""
    group = parser.getgroup("stableport", "stableport: stable ports for services")
    group.addoption(
        "--stableport-env",
        dest="stableport_env",
        metavar="ENV",
        help="environment of the stableport fixture's ports (default: the stableport_env "
        "ini option, else 'test'); each xdist worker gwN uses ENV-gwN",
    )
    group.addoption(
        "--stableport-check-free",
        dest="stableport_check_free",
        action="store_true",
        default=None,
        help="fail a test when a port the stableport fixture hands it is in use on loopback",
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


def pytest_configure(config: pytest.Config) -> None:
    """Work out this process's environment, and every worker's; load nothing yet."""
    option = config.getoption("stableport_env")
    where = "--stableport-env" if option is not None else "ini option stableport_env"
    value = config.getini("stableport_env") if option is None else option
    try:
        env = normalize_name(value, "environment name")
        worker, count = _xdist_worker(config)
        workers = None
        if worker is not None:
            # Every worker computes the same overlay, so their ports are distinct.
            own = normalize_name(f"{env}-{worker}", "environment name")
            names = (f"{env}-gw{index}" for index in range(count or 0))
            workers = tuple(sorted({own, *(normalize_name(n, "environment name") for n in names)}))
            env = own
    except StableportError as error:
        raise pytest.UsageError(f"stableport: {where}={value!r}: {error}") from None
    check_free = config.getoption("stableport_check_free")
    if check_free is None:
        check_free = config.getini("stableport_check_free")
    config.stash[_FIXTURE_KEY] = StableportFixture(
        env, worker=worker, workers=workers, check_free=bool(check_free)
    )


def _xdist_worker(config: pytest.Config) -> tuple[str | None, int | None]:
    """This process's xdist worker id and the worker count; (None, None) outside a worker."""
    workerinput: dict[str, object] = getattr(config, "workerinput", None) or {}
    worker = workerinput.get("workerid") or os.environ.get(WORKER_VARIABLE) or None
    count = workerinput.get("workercount") or os.environ.get(WORKER_COUNT_VARIABLE)
    if worker is None:
        return None, None
    try:
        return str(worker), int(str(count))
    except ValueError:  # no count (or a garbled one): this worker's env alone
        return str(worker), None


@pytest.fixture(scope="session")
def stableport(pytestconfig: pytest.Config) -> StableportFixture:
    """The port of a service in the test environment: ``stableport("billing")``.

    Also ``stableport.map`` (the PortMap, for ``explain`` and ``assignments``)
    and ``stableport.env`` (``test``, or ``test-gwN`` on xdist worker gwN).
    """
    return pytestconfig.stash[_FIXTURE_KEY]
