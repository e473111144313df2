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

The fixture is the public face of that: which lease to ask for is _leasing's,
handing out ports under it _lease_holder's, passing them to code under test
_test_run's. Here: the session's start, the lookup, a test failed with why a
port cannot be had, and the summary line the plugin's reporter writes.
"""

import threading

import pytest

from . import _lockfile, _test_run
from ._api import reload
from ._config import load_with_origin
from ._errors import PortCheckError, StableportError
from ._lease_holder import HandOutError, LeaseHolder, LockFileError
from ._leasing import LONGEST_SUFFIX, capacity_problem, lease_env, preferred_lease
from ._names import MAX_NAME_LENGTH, normalize_name
from ._port_status import port_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from ._portmap import PortMap

    T = TypeVar("T")

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
        holder: LeaseHolder,
        *,
        worker: str | None = None,
        check_free: bool = False,
        run: "_test_run.TestRun | None" = None,
    ) -> None:
        self.env = holder.env
        self.lease = holder.lease
        self.worker = worker
        self.check_free = check_free
        self._holder = holder  # the lease, and the ports handed out under it
        self._run = run  # this session as its variables name it; None: its ports are not passed on
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
        # From where pytest started (as the command line there would), never
        # from whatever directory a test changed to before asking.
        project: PortMap | str
        try:
            project = project_map(str(config.invocation_params.dir))
        except StableportError as error:
            project = str(error)  # read once: each lookup fails with it instead
        if workers and not isinstance(project, str):
            # Here, not on the controller: a suite that never asks for a port
            # must run under any -n, and read no configuration.
            problem = capacity_problem(project, workers, env)
            if problem:
                pytest.fail(f"stableport: {problem}", pytrace=False)
        preferred = preferred_lease(worker)
        if leasing and _lockfile.AVAILABLE:
            try:
                locks = _lockfile.Locks(_lockfile.lease_directory())
            except StableportError as error:
                pytest.fail(f"stableport: {error}{LEASES_OFF}", pytrace=False)
            config.add_cleanup(locks.release)
            holder = _or_fail(LeaseHolder.take, project, env, locks, preferred)
        else:
            holder = LeaseHolder(project, lease_env(env, preferred), base_env=env)
        run = None
        if not isinstance(project, str):
            path = project.config_path
            config_file = None if path is None else str(path)
            run = _test_run.this_run(holder.env, project.namespace, project.instance, config_file)
        fixture = cls(holder, worker=worker, check_free=check_free, run=run)
        fixture._export(config)
        return fixture

    def _export(self, config: pytest.Config) -> None:
        """Until the session ends: code under test, and every process it starts, get our ports.

        In this process, stableport.port_for(name) asks this fixture; a child
        inherits STABLEPORT_TEST_RUN and STABLEPORT_TEST_PORTS (every declared
        service's port from the start, then each name as it is handed out),
        honoured while this process lives (docs/configuration.md, "Inside a
        test run"; _test_run.export). Variables, not a mapping to pass: a
        server started by a session fixture, by `stableport run` or by a tool
        that builds its own command line gets them without the test's help.
        """
        restore = _test_run.export(self._for_code, self._run)

        def end() -> None:
            restore()
            reload()  # forget the answers given while the session ran

        config.add_cleanup(end)
        reload()  # forget any answer given before (the project's own ports)
        project = self._holder.project
        if self._run is None or isinstance(project, str):
            return
        with self._mutex:
            # Every declared service from the start, whatever the lease: a
            # child asking for one it was not handed would resolve the
            # environment alone, and get another lease's port.
            for service in project.services:
                if service not in self._holder.given:
                    _or_fail(self._holder.hand_out, service)
            self._publish()

    def _for_code(self, name: str) -> int:
        """What stableport.port_for(name) in code under test gets: this fixture's port."""
        return self(name, check_free=False)  # code asks to bind it: no check for a listener

    def _publish(self) -> None:
        """STABLEPORT_TEST_PORTS: every port handed out so far, for processes started next."""
        if self._run is not None:
            _test_run.export_ports(self._holder.given)

    @property
    def map(self) -> "PortMap":
        """The PortMap this fixture's ports come from (see the class docstring)."""
        return _or_fail(lambda: self._holder.map)

    @property
    def _alone(self) -> bool:
        """Whether this process holds the lease a run alone gets (or none: leasing off)."""
        return self.lease is None or self.lease == preferred_lease(self.worker)

    @property
    def moved(self) -> list[str]:
        """Names moved off a port held by another run or in use: 'name PORT -> PORT'."""
        return self._holder.moved

    @property
    def passed(self) -> list[str]:
        """Leases passed over before the one taken, and why."""
        return self._holder.passed

    def __call__(self, name: str, *, check_free: bool | None = None) -> int:
        """The port of service name in this process's test environment.

        With check_free (default: --stableport-check-free or the
        stableport_check_free ini option), fail the test unless the port can
        be bound on loopback right now.
        """
        key = normalize_name(name)  # Billing is billing: one port, however it is spelled
        # A lock lost since the last lookup, as the lock file's watcher noticed.
        _or_fail(self._holder.check_lost)
        port = self._holder.given.get(key)
        if port is None:
            with self._mutex:
                port = self._holder.given.get(key)  # another thread may have asked meanwhile
                if port is None:  # pragma: no branch
                    port = _or_fail(self._holder.hand_out, key)
                    self._publish()
        if self.check_free if check_free is None else check_free:
            self._require_free(key, port)
        return port

    def _require_free(self, name: str, port: int) -> None:
        status = _or_fail(port_status, port)
        if not status.free:
            pytest.fail(
                f"stableport: port {port} for service {name!r} (env {self.env!r}) is not "
                f"free: {status.describe()}",
                pytrace=False,
            )

    def describe(self, *, verbose: bool = False) -> str | None:
        """One line for pytest's summary: the lease, the environment, any port moved.

        None when this process got what a run alone gets, unless verbose. The
        plugin's reporter writes it; composed here, so that the plugin, which
        every pytest session loads, stays as small as it is.
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


def _or_fail(step: "Callable[..., T]", *args: object) -> "T":
    """What step(*args) returns, or the test fails with why a port cannot be had."""
    try:
        return step(*args)
    except LockFileError as error:
        message = f"{error}{LEASES_OFF}"
    except (HandOutError, PortCheckError) as error:
        message = str(error)
    # Failed outside the handler: one line, no chained traceback.
    pytest.fail(f"stableport: {message}", pytrace=False)


def project_map(root: str | None) -> "PortMap":
    """The project's map, its configuration found from root (else the working directory)."""
    # Never a live test run's map: this session is a run of its own.
    return load_with_origin(start=root, test_run=False)[0]
