"""The ``stableport`` fixture: this process's ports, kept apart from every other test run's.

Loaded by the plugin (``_stableport_pytest``) only when a test first asks for
the fixture. Each test process takes a *lease*, a number: lease 0 is the plain
test environment (a run alone gets exactly ``stableport NAME --env test``),
lease k >= 1 the environment ``ENV-lease{k}``, resolved together with every other
lease's in one overlay above the project's map, so declared services never
share a port across leases. xdist worker ``gwN`` asks for lease N+1 and a plain
run for lease 0; a lease held by another live run is passed over for the lowest
free one. With leases on (the default; ``--stableport-leases=off`` turns them
off), every port handed out is also locked, user-wide: a port another live
test process holds (an undeclared name hashed onto it, another project's run)
is passed over for the next in the name's probe order, so no two live test
processes are ever handed the same port.
"""

import contextlib
import os
import threading

import pytest

from . import _claims, _lockfile, _test_run
from ._api import reload
from ._config import load_with_origin
from ._errors import StableportError
from ._leasing import (
    LONGEST_SUFFIX,
    MAX_LEASES,
    capacity_problem,
    lease_env,
    lease_family,
    overlay_envs,
    preferred_lease,
)
from ._names import MAX_NAME_LENGTH, normalize_name
from ._port_status import port_status
from ._portmap import undeclared_ports
from ._test_run import EXPORTED, TEST_PORTS_VARIABLE, TEST_RUN_VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._os_ports import Reserved
    from ._portmap import PortMap

# The way out of an unusable lease directory that only a test run has: the lease
# errors name the fixes every holder shares (run, too), this one is the option's.
LEASES_OFF = "; or run with --stableport-leases=off"


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


class StableportFixture:
    """What the ``stableport`` fixture returns: call it with a service name for its port.

    ``env`` is the environment of this process's ports: the test environment
    for lease 0, ``ENV-lease{k}`` for lease k. ``map`` is the PortMap they come
    from: the project's map (found from where pytest started), or for lease
    k >= 1 that map with every lease's environment resolved together as one
    overlay above it. ``lease`` is None when leasing is off or unavailable.
    """

    def __init__(
        self,
        env: str,
        *,
        worker: str | None = None,
        lease: int | None = None,
        project: "PortMap | None" = None,
        base_env: str | None = None,
        check_free: bool = False,
        locks: "_lockfile.Locks | None" = None,
    ) -> None:
        self.env = env
        self.worker = worker
        self.lease = lease
        self.check_free = check_free
        self._project = project  # None: load it (and fail each lookup if it does not load)
        self._root: str | None = None  # where to look for the project's configuration
        self._base_env = env if base_env is None else base_env
        self._locks = locks
        self._map: PortMap | None = None
        self._beyond = False  # a lease past the overlay: every name hashed as undeclared
        self._leases_declare: frozenset[int] | None = None  # see _lease_ports
        self._given: dict[str, int] = {}  # normalized name: the port this process handed it
        self._alone = True  # holds the lease a run alone gets
        self.moved: list[str] = []
        self.passed: list[str] = []  # leases passed over, and why
        self._exported = False  # whether STABLEPORT_TEST_PORTS follows _given
        # Code under test may ask from its server threads while a test asks.
        self._mutex = threading.RLock()

    @classmethod
    def start(
        cls,
        config: pytest.Config,
        env: str,
        *,
        worker: str | None,
        workers: int,
        check_free: bool,
        leasing: bool,
    ) -> "StableportFixture":
        """This session's fixture: take a lease (when leasing), released when the session ends.

        The plugin's settings, worked out at configure time: env, the test
        environment; worker, this xdist worker's id, or None; workers, xdist's
        worker count on a worker, else 0; check_free and leasing, the options.
        The plugin registers what reports the lease in pytest's summary.
        """
        preferred = preferred_lease(worker)
        fixture = cls(env, worker=worker, base_env=env, check_free=check_free)
        # From where pytest started (as the command line there would), never
        # from whatever directory a test changed to before asking.
        fixture._root = str(config.invocation_params.dir)
        with contextlib.suppress(StableportError):  # each lookup fails with it instead
            fixture._project = project_map(fixture._root)
        if workers and fixture._project is not None:
            # Here, not on the controller: a suite that never asks for a port
            # must run under any -n, and read no configuration.
            problem = capacity_problem(fixture._project, workers, env)
            if problem:
                pytest.fail(f"stableport: {problem}", pytrace=False)
        number = preferred
        if leasing and _lockfile.AVAILABLE:
            try:
                locks = _lockfile.Locks(_lockfile.lease_directory())
            except StableportError as error:
                pytest.fail(f"stableport: {error}{LEASES_OFF}", pytrace=False)
            config.add_cleanup(locks.release)
            fixture._locks = locks
            number = fixture._take_lease(locks, preferred)
            fixture.lease = number
        fixture.env = lease_env(env, number)
        fixture._alone = number == preferred
        fixture._export(config)
        return fixture

    def _export(self, config: pytest.Config) -> None:
        """Until the session ends: code under test, and every process it starts, get our ports.

        In this process, stableport.port_for(name) asks this fixture (see
        _test_run); a child inherits STABLEPORT_TEST_RUN (this process, and
        the map: env, namespace, instance, file) and STABLEPORT_TEST_PORTS
        (every declared service's port from the start, then each name as it is
        handed out), honoured while this process lives (docs/configuration.md,
        "Inside a test run"). Variables, not a mapping to pass: a server
        started by a session fixture, by `stableport run` or by a tool that
        builds its own command line gets them without the test's help.
        """
        saved = {name: _test_run.variable(name) for name in EXPORTED}
        entry = (os.getpid(), self._for_code)

        def restore() -> None:
            # This session's own entry: an outer session in this process keeps its own.
            if entry in _test_run.SESSION:
                _test_run.SESSION.remove(entry)
            for name, value in saved.items():
                _test_run.publish(name, value)
            reload()  # forget the answers given while the session ran

        config.add_cleanup(restore)
        _test_run.SESSION.append(entry)
        reload()  # forget any answer given before (the project's own ports)
        project = self._project
        if project is None:
            # The configuration does not load: every lookup fails, here and in
            # a child alike; the outer run's variables (if any) are no longer ours.
            for name in EXPORTED:
                _test_run.publish(name, None)
            return
        path = project.config_path
        run = _test_run.TestRun(
            os.getpid(),
            _test_run.start_time(os.getpid()) or "",
            self.env,
            project.namespace,
            project.instance,
            None if path is None else str(path),
        )
        _test_run.publish(TEST_RUN_VARIABLE, _test_run.encode_run(run))
        self._exported = True
        with self._mutex:
            # Every declared service from the start, whatever the lease: a
            # child asking for one it was not handed would resolve the
            # environment alone, and get another lease's port.
            for service in project.services:
                if service not in self._given:
                    self._hand_out(service)
            self._publish()

    def _for_code(self, name: str) -> int:
        """What stableport.port_for(name) in code under test gets: this fixture's port."""
        return self(name, check_free=False)  # code asks to bind it: no check for a listener

    def _publish(self) -> None:
        """STABLEPORT_TEST_PORTS: every port handed out so far, for processes started next."""
        if self._exported:
            _test_run.publish(TEST_PORTS_VARIABLE, _test_run.encode(self._given))

    @property
    def map(self) -> "PortMap":
        """The PortMap this fixture's ports come from (see the class docstring)."""
        if self._map is None:
            self._map, self._beyond = self._lease_map(self.env)
        return self._map

    def _loaded(self) -> "PortMap":
        """The project's map, or the test fails with why it does not load."""
        if self._project is not None:
            return self._project
        try:
            self._project = project_map(self._root)
        except StableportError as error:
            message = str(error)  # failed outside the handler: one line, no chained traceback
        else:
            return self._project
        pytest.fail(f"stableport: {message}", pytrace=False)

    def _lease_map(self, env: str) -> "tuple[PortMap, bool]":
        """The map of env's ports, and whether env is a lease past the overlay."""
        project = self._loaded()
        if env == self._base_env:
            return project, False
        try:
            envs = overlay_envs(project, self._base_env)
            overlay = project.overlay(envs) if envs else project
        except StableportError as error:
            message = str(error)  # failed outside the handler: one line, no chained traceback
        else:
            return overlay, env not in envs
        pytest.fail(f"stableport: {message}", pytrace=False)

    def __call__(self, name: str, *, check_free: bool | None = None) -> int:
        """The port of service name in this process's test environment.

        With check_free (default: --stableport-check-free or the
        stableport_check_free ini option), fail the test unless the port can
        be bound on loopback right now.
        """
        key = normalize_name(name)  # Billing is billing: one port, however it is spelled
        self._check_lost()  # noticed by the lock file's watcher since the last lookup
        port = self._given.get(key)
        if port is None:
            with self._mutex:
                port = self._given.get(key)  # another thread may have asked meanwhile
                if port is None:  # pragma: no branch
                    port = self._hand_out(key)
                    self._publish()
        if self.check_free if check_free is None else check_free:
            self._require_free(key, port)
        return port

    def _hand_out(self, name: str) -> int:
        """A port for name, first asked now: locked for this session when leasing is on."""
        port_map = self.map
        if self._beyond:
            return self._hashed(port_map, name, set(), moved=False)
        port = port_map.port_for(name, self.env)
        if _excluded(port) is not None:  # the OS's (Windows): no server could bind it
            return self._hashed(port_map, name, set(), moved=True, passed=port)
        if self._locks is None:  # leasing off: what a run alone gets, as it is
            self._given[name] = port
            return port
        # Declared services of the lease were locked when it was taken (in
        # _reserve()); here: undeclared names, and pins shared by every lease.
        # Lease 0 gives what the command line gives, even where that is
        # another lease's declared port: the locks keep the two apart (a live
        # lease k holds it, and this name moves; or this run holds it first,
        # and a run taking lease k passes it over).
        if port not in self._given.values() and self._claim(port):
            self._given[name] = port
            return port
        # Rare: another live test process (or name) holds it. Skip the ports of
        # this environment's declared services too: they are theirs; and from
        # lease 0, which the overlay does not avoid, every lease's.
        own = {port_map.port_for(service, self.env) for service in port_map.services}
        others = self._lease_ports() if self.lease == 0 else frozenset()
        return self._hashed(port_map, name, own | others, moved=True, passed=port)

    def _lease_ports(self) -> frozenset[int]:
        """Every port the overlay's leases declare, but pins every lease shares.

        Worked out once: the project and the leases' environments are the
        session's, and resolving every lease again for each name moved cost
        lease 0 an overlay of the whole project per name.
        """
        if self._leases_declare is None:
            overlay, _ = self._lease_map(lease_env(self._base_env, 1))
            shared = {port for (_, env), port in overlay.pins.items() if env is None}
            declared = frozenset(overlay.assignments().values()).difference(shared)
            self._leases_declare = declared
        return self._leases_declare

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
        skip.update(self._given.values())
        for candidate in undeclared_ports(port_map, name, self.env):
            if candidate in skip or _excluded(candidate) is not None:
                continue
            if self._locks is None or self._claim(candidate):
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
            taken = self._locks.take(port)
        except StableportError as error:
            message = str(error)
        else:
            message = ""
        if message:
            pytest.fail(f"stableport: {message}{LEASES_OFF}", pytrace=False)
        self._check_lost()
        return taken

    def _check_lost(self) -> None:
        """Fail if a lock of this session was taken by another run while its file was gone."""
        if self._locks is None or not self._locks.lost:
            return
        lost = ", ".join(map(str, self._locks.lost))
        pytest.fail(
            f"stableport: the lock file in {str(self._locks.directory)!r} was deleted "
            f"while this session held it, and another run took some of its locks "
            f"meanwhile ({lost}): this run's ports may be shared; keep cleaners away from "
            f"that directory, or set {_lockfile.LEASE_DIR_VARIABLE} to one they leave alone",
            pytrace=False,
        )

    def _claim(self, port: int) -> bool:
        """Lock port for this session if no one serves it: a server left by a killed run does.

        False if another holder has it or a process listens on it on loopback.
        """
        if not self._take(port):
            return False
        if port_status(port).busy_on:
            self._locks.give_back(port)  # type: ignore[union-attr] # _take() was True
            return False
        return True

    def _take_lease(self, locks: "_lockfile.Locks", preferred: int) -> int:
        """The preferred lease if free, else the lowest free one above 0, its ports locked."""
        family = lease_family(self._project, self._base_env)
        candidates: list[int] = list(dict.fromkeys([preferred, *range(1, MAX_LEASES)]))
        for number in candidates:
            slot = _lockfile.lease_slot(family, number)
            if not self._take(slot):
                continue
            why = self._reserve(number)
            if why is None:
                return number
            locks.give_back(slot)
            self.passed.append(f"lease {number}: {why}")
        pytest.fail(
            f"stableport: all {MAX_LEASES} leases of env {self._base_env!r} are held by live "
            f"test runs of this project; run fewer at once or with --stableport-leases=off",
            pytrace=False,
        )

    def _reserve(self, number: int) -> str | None:
        """Lock every declared port of lease number; None, or why one cannot be had.

        So a declared service never moves: a lease whose declared port another
        live run holds, or a process still serves (a server left by a killed
        run), is passed over whole. Pins for every environment are shared by
        every lease and left to the lookup (the first to ask gets them).
        """
        if self._project is None:
            return None  # the configuration does not load: every lookup fails anyway
        env = lease_env(self._base_env, number)
        port_map, beyond = self._lease_map(env)
        if beyond:
            return None
        pins = self._project.pins
        ports = {
            service: port_map.port_for(service, env)
            for service in port_map.services
            if (service, None) not in pins
        }
        taken: list[int] = []
        why = None
        for service, port in ports.items():
            reserved = _excluded(port)
            if reserved is not None:
                why = f"port {port} of {service!r} is {reserved.reason(port)}"
                break
            if not self._take(port):
                why = f"port {port} of {service!r} is {self._holder(port)}"
                break
            taken.append(port)
            status = port_status(port)
            if status.busy_on:
                why = f"port {port} of {service!r} is {status.describe()}"
                break
        if why is None:
            self._given.update(ports)
            self._publish()
            return None
        for port in taken:
            self._locks.give_back(port)  # type: ignore[union-attr]
        return why

    def _holder(self, port: int) -> str:
        """Who holds port's lock: a stableport run names itself in its claim; else a test run."""
        claimant = _claims.claimant(port, self._locks.directory)  # type: ignore[union-attr]
        if claimant is None:
            return "held by another live test run"
        return f"claimed by {claimant}"

    def _require_free(self, name: str, port: int) -> None:
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
        passed = f"; passed over {'; '.join(self.passed)}" * bool(self.passed)
        moved = f"; moved off ports held by other runs or in use: {', '.join(self.moved)}"
        moved *= bool(self.moved)
        return f"{who}{lease}, env {self.env!r}{passed}{moved}"

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


def _excluded(port: int) -> "Reserved | None":
    """The range the OS excludes port in (Windows), else None; asked once per process."""
    from ._os_ports import excluded  # noqa: PLC0415 - only once a port is handed out

    return excluded(port)


def project_map(root: str | None) -> "PortMap":
    """The project's map, its configuration found from root (else the working directory)."""
    # Never a live test run's map: this session is a run of its own.
    return load_with_origin(start=root, test_run=False)[0]
