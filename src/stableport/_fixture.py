"""The ``stableport`` fixture: this process's ports, kept apart from every other test run's.

Loaded by the plugin (``_stableport_pytest``) only when a test first asks for
the fixture. Each test process takes a *lease*, a number: lease 0 is the plain
test environment (a run alone gets exactly ``stableport NAME --env test``),
lease k >= 1 the environment ``ENV-gw{k-1}``, resolved together with every other
lease's in one overlay above the project's map, so declared services never
share a port across leases. xdist worker ``gwN`` asks for lease N+1 and a plain
run for lease 0; a lease held by another live run is passed over for the lowest
free one. Every port handed out is also locked, user-wide: a port another live
test process holds (an undeclared name hashed onto it, another project's run)
is passed over for the next in the name's probe order, so no two live test
processes are ever handed the same port.
"""

import hashlib

import pytest

from _stableport_pytest import MAX_LEASES  # loaded already: it imports this module

from . import _leases
from ._api import default_map
from ._errors import StableportError
from ._hashing import key_bytes, key_prefix, probe_sequence
from ._names import MAX_NAME_LENGTH, normalize_name
from ._portmap import blocked_ports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _stableport_pytest import Settings

    from ._portmap import PortMap

# Leases 1..MAX_OVERLAY (fewer in a tight range) are resolved together; a
# higher one (more live test processes than that) hands out every name as an
# undeclared name is hashed, skipping every port the map hands out, and is kept
# apart from other processes by the port locks. Keeps the overlay cheap: 64
# environments per declared service.
MAX_OVERLAY = 64
LONGEST_SUFFIX = f"-gw{MAX_LEASES - 2}"


def checked_env(value: object, where: str) -> str:
    """The normalized test environment, or a usage error naming the option (once, at start)."""
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


def overlay_envs(project: "PortMap", env: str) -> tuple[str, ...]:
    """The environments of leases 1, 2, ... that the range can hold apart (at most half full)."""
    services = len(project.services)
    if not services:
        return ()
    low, high = project.port_range
    taken = blocked_ports(project).union(project.assignments().values())
    free = high - low + 1 - sum(1 for port in taken if low <= port <= high)
    count = min(MAX_OVERLAY, free // (2 * services))
    return tuple(f"{env}-gw{index}" for index in range(count))


def start_controller(config: pytest.Config, workers: int, env: str) -> None:
    """On the xdist controller, before any worker starts: check the count, collect leases."""
    check_worker_count(workers, env)
    config.pluginmanager.register(Reporter(None), "stableport-reporter")


class Reporter:
    """pytest's summary lines about leases: this process's, and on a controller its workers'.

    A plugin registered only by sessions that use the fixture (and by xdist
    controllers), so that sessions that never do run none of it.
    """

    def __init__(self, fixture: "StableportFixture | None") -> None:
        self.fixture = fixture
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


def check_worker_count(workers: int, env: str) -> None:
    """On the xdist controller: fail once, before tests start, if the range cannot hold workers."""
    try:
        project = default_map()
    except StableportError:
        return  # each test that asks for a port fails with the message instead
    held = len(overlay_envs(project, env))
    if project.services and workers > held:
        low, high = project.port_range
        raise pytest.UsageError(
            f"stableport: -n {workers}: range {low}-{high} holds the "
            f"{len(project.services)} declared services of at most {held} workers apart "
            f"(keeping it at most half full); use at most {held} workers, widen range or "
            f"declare fewer services"
        )


class StableportFixture:
    """What the ``stableport`` fixture returns: call it with a service name for its port.

    ``env`` is the environment of this process's ports: the test environment
    for lease 0, ``ENV-gw{k-1}`` for lease k. ``map`` is the PortMap they come
    from: the project's map, or for lease k >= 1 that map with every lease's
    environment resolved together as one overlay above it. ``lease`` is None
    when leasing is off or unavailable.
    """

    def __init__(
        self,
        env: str,
        *,
        worker: str | None = None,
        lease: int | None = None,
        overlay: bool = False,
        check_free: bool = False,
        locks: "_leases.Locks | None" = None,
    ) -> None:
        self.env = env
        self.worker = worker
        self.lease = lease
        self.check_free = check_free
        self._base_env = env
        self._overlay = overlay
        self._locks = locks
        self._overlaid: tuple[PortMap, PortMap] | None = None  # (project map, its overlay)
        self._beyond = False  # a lease past the overlay: every name hashed as undeclared
        self._given: dict[str, int] = {}  # name: the port this process handed it
        self._asked: dict[str, int] = {}  # name: the map's port for it, when last handed out
        self._alone = True  # holds the lease a run alone gets
        self.moved: list[str] = []

    @classmethod
    def start(cls, config: pytest.Config, settings: "Settings") -> "StableportFixture":
        """This session's fixture: take a lease (when on), released when the session ends."""
        preferred = _preferred_lease(settings.worker)
        locks = None
        lease: int | None = preferred
        leasing = config.getoption("stableport_leases")
        if leasing is None:
            leasing = "on" if config.getini("stableport_leases") else "off"
        check_free = config.getoption("stableport_check_free")
        if check_free is None:
            check_free = config.getini("stableport_check_free")
        if leasing == "on" and _leases.AVAILABLE:
            try:
                project: PortMap | None = default_map()
            except StableportError:
                project = None  # each lookup fails the test with the message instead
            try:
                locks = _leases.Locks(_leases.lease_directory())
            except StableportError as error:
                pytest.fail(f"stableport: {error}", pytrace=False)
            config.add_cleanup(locks.release)
            lease = _take_lease(locks, lease_family(project, settings.env), settings.env, preferred)
        number = preferred if lease is None else lease
        env = settings.env if number == 0 else f"{settings.env}-gw{number - 1}"
        fixture = cls(
            env,
            worker=settings.worker,
            lease=lease if locks is not None else None,
            overlay=number > 0,
            check_free=bool(check_free),
            locks=locks,
        )
        fixture._base_env = settings.env
        fixture._alone = number == preferred
        config.pluginmanager.register(Reporter(fixture), "stableport-reporter")
        return fixture

    @property
    def map(self) -> "PortMap":
        """The PortMap this fixture's ports come from (see the class docstring)."""
        try:
            # The module API's own map: lease 0 gets exactly what
            # stableport.port_for(name, env=...) gives, reload() included.
            project = default_map()
            if not self._overlay:
                return project
            if self._overlaid is None or self._overlaid[0] is not project:
                envs = overlay_envs(project, self._base_env)
                self._beyond = self.env not in envs
                self._overlaid = project, project.overlay(envs) if envs else project
        except StableportError as error:
            pytest.fail(f"stableport: {error}", pytrace=False)
        return self._overlaid[1]

    def __call__(self, name: str, *, check_free: bool | None = None) -> int:
        """The port of service name in this process's test environment.

        With check_free (default: --stableport-check-free or the
        stableport_check_free ini option), fail the test unless the port can
        be bound on loopback right now.
        """
        port_map = self.map
        if self._beyond:
            port = self._given.get(name) or self._hashed(port_map, name, set(), moved=False)
        else:
            port = self._locked(port_map, name, port_map.port_for(name, self.env))
        if self.check_free if check_free is None else check_free:
            self._require_free(name, port)
        return port

    def _locked(self, port_map: "PortMap", name: str, port: int) -> int:
        """port, locked for this session; if another live run holds it, the next free one.

        Without leases: port as it is.
        """
        if self._asked.get(name) == port:  # asked before: the same answer, moved or not
            return self._given[name]
        self._asked[name] = port
        # Another name of this process may hold it too (two undeclared names
        # hashed onto one port): take() is False for a lock we hold already.
        if self._locks is None or (port not in self._given.values() and self._take(port)):
            self._given[name] = port
            return port
        # Rare: another live test process (or name) holds it. Skip the ports of
        # this environment's declared services too: they are theirs.
        own = {port_map.port_for(service, self.env) for service in port_map.services}
        return self._hashed(port_map, name, own, moved=True, passed=port)

    def _hashed(
        self,
        port_map: "PortMap",
        name: str,
        skip: set[int],
        *,
        moved: bool,
        passed: int | None = None,
    ) -> int:
        """name's first port in its own probe order, as an undeclared name's, that is free here.

        Skips what the map hands out or excludes, skip, ports this process
        gave, and ports another live test run holds.
        """
        low, high = port_map.port_range
        skip.update(blocked_ports(port_map), port_map.assignments().values(), self._given.values())
        key = key_bytes(
            normalize_name(name),
            normalize_name(self.env, "environment name"),
            key_prefix(port_map.namespace),
        )
        for candidate in probe_sequence(key, low, high):
            if candidate in skip:
                continue
            if self._locks is None or self._take(candidate):
                if moved:
                    self.moved.append(f"{name} {passed} -> {candidate}")
                self._given[name] = candidate
                return candidate
            if passed is None:
                passed, moved = candidate, True
        pytest.fail(
            f"stableport: no port left for {name!r} in range {low}-{high}: every free port is "
            f"held by another live test run",
            pytrace=False,
        )

    def _take(self, port: int) -> bool:
        """Lock port for this session: False if any holder has it, this process included."""
        if self._locks is None:
            return True
        try:
            return self._locks.take(f"port-{port}")
        except StableportError as error:
            pytest.fail(f"stableport: {error}", pytrace=False)

    def _require_free(self, name: str, port: int) -> None:
        from ._live import port_status  # noqa: PLC0415 - sockets only for the opt-in check

        status = port_status(port)
        if not status.free:
            pytest.fail(
                f"stableport: port {port} for service {name!r} (env {self.env!r}) is not "
                f"free: {status.describe()}",
                pytrace=False,
            )

    def describe(self, *, verbose: bool = False) -> str | None:
        """One line for pytest's summary: the lease, the environment, any port moved.

        None when this process got what a run alone gets, unless verbose.
        """
        if self._alone and not self.moved and not verbose:
            return None
        who = f"{self.worker}: " if self.worker else ""
        lease = "leases off" if self.lease is None else f"lease {self.lease}"
        moved = f"; moved off ports held by other runs: {', '.join(self.moved)}" * bool(self.moved)
        return f"{who}{lease}, env {self.env!r}{moved}"

    def __getattr__(self, name: str) -> object:
        # Only for names it lacks: a test whose `stableport` argument is the
        # fixture, calling stableport.port_for as if it were the module.
        import stableport  # noqa: PLC0415 - loaded by then; only on a failed lookup

        if name in stableport.__all__:
            raise AttributeError(
                f"the stableport fixture has no attribute {name!r}: it is not the module. "
                f"Call it for a port, stableport('billing'); for the module in a test that "
                f"takes the fixture, import stableport under another name "
                f"(import stableport as sp; sp.{name})",
                name=name,
                obj=self,
            )
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
        )

    def __repr__(self) -> str:
        worker = f", worker={self.worker!r}" if self.worker else ""
        return f"StableportFixture(env={self.env!r}{worker}, lease={self.lease!r})"


def _preferred_lease(worker: str | None) -> int:
    """Lease 0 for a plain run; N+1 for xdist worker gwN, so a lone run's workers never move."""
    if worker is None:
        return 0
    number = worker.removeprefix("gw")
    return int(number) + 1 if number.isdigit() and number.isascii() else 1


def lease_family(project: "PortMap | None", env: str) -> str:
    """The name of the project's lease files in env: runs of other projects never share it."""
    # Keyed by everything its ports depend on (namespace, services, envs,
    # range, exclusions, pins: repr shows them all), not by its path: two
    # worktrees of one project share it and take distinct leases, while
    # another project's run never pushes this one off lease 0 (the port
    # locks keep the two projects' ports apart). None: a configuration that
    # does not load, whose lookups all fail anyway.
    return hashlib.sha256(f"{env}\x00{project!r}".encode()).hexdigest()[:16]


def _take_lease(locks: "_leases.Locks", family: str, env: str, preferred: int) -> int:
    """The preferred lease if free, else the lowest free one above 0."""
    candidates: list[int] = [preferred, *range(1, MAX_LEASES)]
    try:
        for number in candidates:
            if number < MAX_LEASES and locks.take(f"lease-{family}-{number}"):
                return number
    except StableportError as error:
        pytest.fail(f"stableport: {error}", pytrace=False)
    pytest.fail(
        f"stableport: all {MAX_LEASES} leases of env {env!r} are held by live test runs "
        f"of this project; run fewer at once or with --stableport-leases=off",
        pytrace=False,
    )
