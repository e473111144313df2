"""A test process's lease and the ports it hands out under it, each locked while its session lasts.

The pytest fixture (_fixture) asks this for its ports; _leasing says which lease
to ask for and what each lease's environment is, the lock file (_lockfile)
keeps live holders apart. Taking a lease locks its number and every port its
environment declares, so a declared service never moves: a lease whose
declared port another live run holds, or a process still serves, is passed
over whole. A name asked for later gets its port in the lease's environment,
locked then; one another live test process holds (an undeclared name hashed
onto it, another project's run) is passed over for the next in the name's
probe order. Without locks (leasing off or unavailable) the ports are a run
alone's, as they are, but for ports the OS excludes.

Nothing here knows pytest: what cannot be handed out raises HandOutError, whose
message the fixture fails the test with, as it does PortCheckError's (a port
whose status cannot be checked is never handed out, and its lock is given back).
"""

from . import _claims, _lockfile
from ._errors import PortCheckError, StableportError
from ._leasing import MAX_LEASES, lease_env, lease_family, overlay_envs
from ._port_status import port_status
from ._portmap import undeclared_ports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._os_ports import Reserved
    from ._portmap import PortMap


class HandOutError(StableportError, RuntimeError):
    """A port cannot be handed out; the message says why, for the test that asked.

    Also a RuntimeError: what is held and served on the host at the time.
    """


class LockFileError(HandOutError):
    """The lock file cannot be used: the message is the lock file's, naming the fixes."""


class LeaseHolder:
    """A test process's ports: each name's, handed out once, in its lease's environment.

    project is the project's map, or why its configuration does not load (read
    once: each lookup then fails with that message). env is the environment of
    the ports handed out: base_env itself for lease 0, ENV-lease{k} for lease
    k. lease is None without locks (leasing off or unavailable). The map is
    the project's, or for a lease k >= 1 every lease's environment resolved
    together as one overlay above it.
    """

    def __init__(
        self,
        project: "PortMap | str",
        env: str,
        *,
        lease: int | None = None,
        base_env: str | None = None,
        locks: "_lockfile.Locks | None" = None,
        passed: list[str] | None = None,
    ) -> None:
        self.project = project
        self.env = env
        self.lease = lease
        self.base_env = env if base_env is None else base_env
        self.locks = locks
        self.given: dict[str, int] = {}  # normalized name: the port this process handed it
        self.moved: list[str] = []  # names moved off their port, and where to
        self.passed: list[str] = [] if passed is None else passed  # leases passed over, and why
        # The map, or why there is none (a message: an exception's traceback
        # would hold this holder's frames); and whether env is past the overlay.
        self._map, self._beyond = self._lease_map(env)
        # Every lease's declared ports, worked out the first time lease 0 moves a name.
        self._leases_declare: frozenset[int] | None = None

    @classmethod
    def take(
        cls,
        project: "PortMap | str",
        base_env: str,
        locks: "_lockfile.Locks",
        preferred: int,
    ) -> "LeaseHolder":
        """The preferred lease if free, else the lowest free one above 0, its ports locked."""
        family = lease_family(None if isinstance(project, str) else project, base_env)
        passed: list[str] = []
        for number in dict.fromkeys([preferred, *range(1, MAX_LEASES)]):
            slot = _lockfile.lease_slot(family, number)
            if not _lock(locks, slot):
                continue
            holder = cls(
                project,
                lease_env(base_env, number),
                lease=number,
                base_env=base_env,
                locks=locks,
                passed=passed,
            )
            try:
                why = holder._reserve()
            except PortCheckError:
                locks.give_back(slot)  # this lease is not taken: a later run may have it
                raise
            if why is None:
                return holder
            locks.give_back(slot)
            passed.append(f"lease {number}: {why}")
        raise HandOutError(
            f"all {MAX_LEASES} leases of env {base_env!r} are held by live test runs of this "
            f"project; run fewer at once or with --stableport-leases=off"
        )

    @property
    def map(self) -> "PortMap":
        """The PortMap this holder's ports come from (see the class docstring)."""
        if isinstance(self._map, str):
            raise HandOutError(self._map)
        return self._map

    def _lease_map(self, env: str) -> "tuple[PortMap | str, bool]":
        """The map of env's ports (or why there is none), and whether env is past the overlay."""
        project = self.project
        if isinstance(project, str) or env == self.base_env:
            return project, False
        try:
            envs = overlay_envs(project, self.base_env)
            overlay = project.overlay(envs) if envs else project
        except StableportError as error:
            return str(error), False
        return overlay, env not in envs

    def hand_out(self, name: str) -> int:
        """A port for name (normalized), first asked now: locked for the session when leasing."""
        port_map = self.map
        if self._beyond:
            return self._hashed(port_map, name, set(), moved=False)
        port = port_map.port_for(name, self.env)
        if _excluded(port) is not None:  # the OS's (Windows): no server could bind it
            return self._hashed(port_map, name, set(), moved=True, passed=port)
        if self.locks is None:  # leasing off: what a run alone gets, as it is
            self.given[name] = port
            return port
        # Declared services of the lease were locked when it was taken (in
        # _reserve()); here: undeclared names, and pins shared by every lease.
        # Lease 0 gives what the command line gives, even where that is
        # another lease's declared port: the locks keep the two apart (a live
        # lease k holds it, and this name moves; or this run holds it first,
        # and a run taking lease k passes it over).
        if port not in self.given.values() and _claim(self.locks, port):
            self.given[name] = port
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
            overlay, _ = self._lease_map(lease_env(self.base_env, 1))
            if isinstance(overlay, str):
                raise HandOutError(overlay)
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
        skip.update(self.given.values())
        for candidate in undeclared_ports(port_map, name, self.env):
            if candidate in skip or _excluded(candidate) is not None:
                continue
            if self.locks is None or _claim(self.locks, candidate):
                if moved:
                    self.moved.append(f"{name} {passed} -> {candidate}")
                self.given[name] = candidate
                return candidate
            if passed is None:
                passed, moved = candidate, True
        raise HandOutError(
            f"no port left for {name!r} in range {low}-{high}: every free port is "
            f"held by another live test run"
        )

    def check_lost(self) -> None:
        """Raise if a lock of this session was taken by another run while its file was gone."""
        if self.locks is not None:
            _check_lost(self.locks)

    def _reserve(self) -> str | None:
        """Lock every declared port of this lease; None, or why one cannot be had.

        So a declared service never moves: a lease whose declared port another
        live run holds, or a process still serves (a server left by a killed
        run), is passed over whole. Pins for every environment are shared by
        every lease and left to the lookup (the first to ask gets them).
        """
        locks = self.locks
        if isinstance(self.project, str) or locks is None:
            return None  # the configuration does not load: every lookup fails anyway
        port_map = self.map
        if self._beyond:
            return None
        pins = self.project.pins
        ports = {
            service: port_map.port_for(service, self.env)
            for service in port_map.services
            if (service, None) not in pins
        }
        taken: list[int] = []
        why = None
        try:
            for service, port in ports.items():
                reserved = _excluded(port)
                if reserved is not None:
                    why = f"port {port} of {service!r} is {reserved.reason(port)}"
                    break
                if not _lock(locks, port):
                    why = f"port {port} of {service!r} is {_holder(locks, port)}"
                    break
                taken.append(port)
                status = port_status(port)
                if status.busy_on:
                    why = f"port {port} of {service!r} is {status.describe()}"
                    break
        except PortCheckError:  # none of the lease's ports stays locked
            for port in taken:
                locks.give_back(port)
            raise
        if why is None:
            self.given.update(ports)
            return None
        for port in taken:
            locks.give_back(port)
        return why


def _claim(locks: "_lockfile.Locks", port: int) -> bool:
    """Lock port for this session if no one serves it: a server left by a killed run does.

    False if another holder has it or a process listens on it on loopback.
    """
    if not _lock(locks, port):
        return False
    try:
        busy = port_status(port).busy_on
    except PortCheckError:
        locks.give_back(port)  # not handed out: a later lookup of the name asks for it again
        raise
    if busy:
        locks.give_back(port)
        return False
    return True


def _lock(locks: "_lockfile.Locks", port: int) -> bool:
    """Lock port for this session: False if any holder has it, this process included."""
    try:
        taken = locks.take(port)
    except StableportError as error:
        message = str(error)  # raised outside the handler: one line, no chained traceback
    else:
        _check_lost(locks)
        return taken
    raise LockFileError(message)


def _holder(locks: "_lockfile.Locks", port: int) -> str:
    """Who holds port's lock: a stableport run names itself in its claim; else a test run."""
    claimant = _claims.claimant(port, locks.directory)
    if claimant is None:
        return "held by another live test run"
    return f"claimed by {claimant}"


def _check_lost(locks: "_lockfile.Locks") -> None:
    """Raise if a lock of locks was taken by another run while its file was gone."""
    if not locks.lost:
        return
    lost = ", ".join(map(str, locks.lost))
    raise HandOutError(
        f"the lock file in {str(locks.directory)!r} was deleted "
        f"while this session held it, and another run took some of its locks "
        f"meanwhile ({lost}): this run's ports may be shared; keep cleaners away from "
        f"that directory, or set {_lockfile.LEASE_DIR_VARIABLE} to one they leave alone"
    )


def _excluded(port: int) -> "Reserved | None":
    """The range the OS excludes port in (Windows), else None; asked once per process."""
    from ._os_ports import excluded  # noqa: PLC0415 - only once a port is handed out

    return excluded(port)
