"""Resolution: a map's definition turned into ports, each table resolved once and kept.

A PortMap is what a project declared; its Resolver is everything computed from
that: the tables of docs/algorithm.md section 4 (the base, the home, each
layer, the overlay, the instances' lanes), the ports a lookup may not take,
and the answers already given. Every table is keyed by what defines it, and
depends on nothing else, so a cache makes an answer faster, never different,
whatever was asked first.
"""

from ._errors import PortRangeError, RangeExhaustedError
from ._hashing import key_bytes, key_prefix, probe_sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Any, Literal

    from ._definition import Definition
    from ._pins import PinKey

    Pair = tuple[str, str]
    Assignments = dict[Pair, int]
    Table = Mapping[Pair, int]
    Trails = Mapping[Pair, tuple[int, ...]]
    Skip = tuple[Literal["pinned", "excluded"], str]  # why a probe passed over a port
    # What defines a table, given the definition: the environments resolved
    # together in it, and whether it stands above the home (an overlay, the
    # lanes) or not (the base, the home and every layer, all above the base,
    # itself above nothing). Keyed by both, a table resolved for one purpose
    # never answers for another.
    TableKey = tuple[frozenset[str], bool]

# Joins an environment and an instance into the environment of a lane (see
# lane_env). NUL is in no valid name, so a lane's key never equals a name's.
LANE = "\x00"

# A read-only view of a dict: a resolved table is final, so a map and its
# overlays may share it as a value. Taken from a class's __dict__, as importing
# types would put a module on the lookup path for one name.
if TYPE_CHECKING:
    from types import MappingProxyType as _ReadOnly
else:
    _ReadOnly = type(type.__dict__)


class Resolver:
    """Every table one definition resolves to, each resolved on first use.

    Built by PortMap from its validated definition; above() gives the resolver
    of a definition that differs only in its overlay or test ports. Names are
    normalized by the caller.
    """

    __slots__ = (
        "_blocked",
        "_holders",
        "_lanes",
        "_prefix",
        "_reserved",
        "_skips",
        "_tables",
        "_trails",
        "definition",
        "lookups",
    )

    def __init__(self, definition: "Definition") -> None:
        self.definition = definition
        # Computed once: every key of this definition starts with it (see key_prefix).
        self._prefix = key_prefix(definition.namespace)
        self._blocked = unavailable_ports(
            definition.port_range, definition.exclusions(), definition.pins.values()
        )
        # Distinct (name, env) lookups answered, for PortMap.port_for's warm path.
        self.lookups: dict[tuple[object, object], int] = {}
        self._tables: dict[TableKey, Table] = {}
        # The ports each resolved pair passed over before its own (none: its
        # first probe), per table, kept from the matching so explaining it
        # never hashes again.
        self._trails: dict[TableKey, Trails] = {}
        # For explain, built on first use: who holds each port of a table, and
        # why a pinned or excluded port is skipped, so explaining every service
        # costs no more per service than explaining one.
        self._holders: dict[TableKey, Mapping[int, Pair]] = {}
        self._skips: Mapping[int, Skip] | None = None
        self._lanes: frozenset[str] | None = None  # every instance's lanes, on first use
        self._reserved: frozenset[int] | None = None

    def resolve_home(self) -> None:
        """Resolve the home now, so an over-full map fails at once; count the lanes' room."""
        home = self.table(self._home_key())
        if self.definition.instances:
            # Only counted: the matching of every lane waits for a lookup that
            # needs it, so a plain checkout never pays for its siblings' ports.
            self._check_room(self._lane_claimants(), home, "instances")

    def above(self, definition: "Definition") -> "Resolver":
        """The resolver of definition: this one's but for its overlay or test ports.

        It starts with no answers given, and with this resolver's tables: each
        is a function of the definition and its key alone (the overlay only
        chooses which tables a lookup reads), so the copy need not match them
        again, and cannot be misled by them.
        """
        copy: Resolver = Resolver.__new__(Resolver)
        copy.definition = definition
        copy._prefix = self._prefix
        copy._blocked = self._blocked
        copy.lookups = {}
        # All but this resolver's own overlay, which the copy's replaces: else
        # an overlay of an overlay of ... would carry every one before it. Each
        # dict is copied at once (in C) first, as another thread may be adding
        # a table to it.
        replaced = (self.definition.overlay, True)
        copy._tables = _without(dict(self._tables), replaced)
        copy._trails = _without(dict(self._trails), replaced)
        copy._holders = _without(dict(self._holders), replaced)
        copy._skips = self._skips
        copy._lanes = self._lanes
        copy._reserved = None  # the overlay's ports are reserved too
        copy.assignments()  # resolve now, so an over-full overlay fails at once
        return copy

    # -- answers --------------------------------------------------------------

    def port(self, service: str, env: str) -> int:
        """The port of service in env, both normalized."""
        handed = self.handed(service, env)
        if handed is not None:
            return handed
        # A pinned pair answers before any layer resolves: it claims nothing, so
        # an over-full layer of other services cannot make it fail.
        pin = self.pin(service, env)
        if pin is not None:
            return pin
        if self.definition.instance:
            env = lane_env(env, self.definition.instance)
        key = self.table_key(env)
        table = self.table(key)
        port = table.get((service, env))
        if port is not None:
            return port
        return self._undeclared_port(service, env, table)

    def assignments(self) -> "Assignments":
        """Every declared (service, env) of the map and its overlay, and its port, sorted."""
        definition = self.definition
        if definition.instances:
            # The tables below hold every lane too: ask for this instance's own pairs.
            envs = self._home_envs().union(env.partition(LANE)[0] for env in definition.overlay)
            return {
                (service, env): self.port(service, env)
                for service in sorted(definition.services)
                for env in sorted(envs)
            }
        table = self.table((definition.overlay, True) if definition.overlay else self._home_key())
        assignments = {pair: table[pair] for pair in sorted(table)}
        if definition.test_ports is not None:
            env, ports = definition.test_ports
            for service, port in ports.items():
                if (service, env) in assignments:
                    assignments[service, env] = port
        return assignments

    def handed(self, service: str, env: str) -> int | None:
        """The port a live test run handed service in env, if the map is that run's."""
        test_ports = self.definition.test_ports
        if test_ports is None or env != test_ports[0]:
            return None
        return test_ports[1].get(service)

    def key(self, service: str, env: str) -> bytes:
        """The hashed key of service in env, env as hashed (an instance's lane, see lane_env)."""
        return key_bytes(service, env, self._prefix)

    def probes(self, service: str, env: str) -> "Iterator[int]":
        """service's probe order in env, as an undeclared name's, past every reserved port.

        See _portmap.undeclared_ports, which asks this.
        """
        taken = self.reserved()
        low, high = self.definition.port_range
        key = self.key(service, self.lane_env(env))
        return (port for port in probe_sequence(key, low, high) if port not in taken)

    def reserved(self) -> frozenset[int]:
        """The ports of the range that are excluded, pinned, or held by a declared pair.

        Held: a declared pair's port in the home, the overlay or any instance's
        lanes (the top table holds every table below it).
        """
        if self._reserved is None:
            if self.definition.overlay:
                top = self.table((self.definition.overlay, True))
            elif self.definition.instances:
                top = self.table(self._lanes_key())
            else:
                top = self.table(self._home_key())
            low, high = self.definition.port_range
            held = (port for port in top.values() if low <= port <= high)
            self._reserved = self._blocked.union(held)
        return self._reserved

    def pin(self, service: str, env: str) -> int | None:
        """service's pin in env (its own, else its every-environment one), or None."""
        pin = self.definition.pins.get((service, env))
        return self.definition.pins.get((service, None)) if pin is None else pin

    def pin_key(self, service: str, env: str) -> "PinKey | None":
        """The key of service's pin in force in env, or None if it has none there."""
        for key in ((service, env), (service, None)):
            if key in self.definition.pins:
                return key
        return None

    # -- what explain reads -----------------------------------------------------

    @property
    def port_range(self) -> tuple[int, int]:
        return self.definition.port_range

    def is_declared(self, service: str) -> bool:
        return service in self.definition.services

    def lane_env(self, env: str) -> str:
        """The environment env is hashed, matched and held in (see lane_env)."""
        return lane_env(env, self.definition.instance)

    def table_key(self, env: str) -> "TableKey":
        """What defines the table env is answered from (docs/algorithm.md section 4, T(e))."""
        if self.definition.envs is not None and env in self.definition.envs:
            return self.definition.envs, False
        if env in self.definition.overlay:
            return self.definition.overlay, True
        if self.definition.instance and env.partition(LANE)[0] in self._home_envs():
            return self._lanes_key()
        return frozenset((env,)), False

    def table(self, key: "TableKey") -> "Table":
        """The table key defines, resolved on first use."""
        table = self._tables.get(key)
        if table is None:
            envs, above_home = key
            if key == self._base_key():
                below: Table = {}
            elif self.definition.instances and key not in (self._home_key(), self._lanes_key()):
                # Every lane above the home, and everything else above every lane:
                # no test run nor undeclared environment lands on an instance's port.
                below = self.table(self._lanes_key())
            else:
                below = self.table(self._home_key() if above_home else self._base_key())
            resolved, self._trails[key] = self._resolve(envs, below)
            table = self._tables[key] = _ReadOnly(resolved)
        return table

    def trails(self, key: "TableKey") -> "Trails":
        """The ports each pair of key's table passed over before its own."""
        self.table(key)
        return self._trails[key]

    def holders(self, key: "TableKey") -> "Mapping[int, Pair]":
        """Who holds each port of key's table."""
        holders = self._holders.get(key)
        if holders is None:
            holders = {port: pair for pair, port in self.table(key).items()}
            holders = self._holders[key] = _ReadOnly(holders)
        return holders

    def skips(self) -> "Mapping[int, Skip]":
        """Why each pinned or excluded port of the range is skipped; a pin before an exclusion."""
        if self._skips is None:
            from ._pins import format_pin_key  # noqa: PLC0415 - only explain asks

            low, high = self.definition.port_range
            pinned: dict[int, list[str]] = {}
            for pin, port in self.definition.pins.items():
                if low <= port <= high:
                    pinned.setdefault(port, []).append(format_pin_key(pin))
            skips: dict[int, Skip] = {
                port: ("pinned", f"pinned to {' and '.join(keys)}") for port, keys in pinned.items()
            }
            for first, last, reason in self.definition.exclusions():
                for port in range(max(first, low), min(last, high) + 1):
                    skips.setdefault(port, ("excluded", f"excluded: {reason}"))
            self._skips = _ReadOnly(skips)
        return self._skips

    # -- resolving --------------------------------------------------------------

    def _home_envs(self) -> frozenset[str]:
        return self.definition.envs or frozenset((self.definition.env,))

    def _base_key(self) -> "TableKey":
        return self.definition.envs or frozenset(), False

    def _home_key(self) -> "TableKey":
        """The declared pairs: of the declared envs, else of the map's env alone."""
        return (
            self._base_key() if self.definition.envs else (frozenset((self.definition.env,)), False)
        )

    def _lanes_key(self) -> "TableKey":
        """The lane of every home environment in every instance, one matching above the home."""
        if self._lanes is None:
            self._lanes = frozenset(
                f"{env}{LANE}{number}"
                for env in self._home_envs()
                for number in range(1, self.definition.instances + 1)
            )
        return self._lanes, True

    def _lane_claimants(self) -> int:
        """How many (service, env, instance) the lanes give a port by matching."""
        pairs = sum(
            1
            for env in self._home_envs()
            for service in self.definition.services
            if self.pin(service, env) is None
        )
        return pairs * self.definition.instances

    def _resolve(self, envs: "Iterable[str]", below: "Table") -> "tuple[Assignments, Trails]":
        """Every declared service in envs resolved together above below, and their trails."""
        table: Assignments = dict(below)
        claimants: dict[bytes, Pair] = {}
        for env in envs:
            pinned_in = env.partition(LANE)[0]  # a lane keeps its environment's pins
            for service in self.definition.services:
                pin = self.pin(service, pinned_in)
                if pin is None:
                    claimants[self.key(service, env)] = (service, env)
                else:
                    table[service, env] = pin
        taken = self._check_room(len(claimants), below)
        low, high = self.definition.port_range
        trails: dict[bytes, list[int]] = {}
        ports: dict[int, bytes] = {}
        if claimants:  # none in a map of no services, such as the built-in defaults'
            from ._matching import deferred_acceptance  # noqa: PLC0415 - only with claimants

            ports = deferred_acceptance(claimants, low, high, taken, trails)
        table.update((claimants[key], port) for port, key in ports.items())
        return table, _ReadOnly({claimants[key]: tuple(trail) for key, trail in trails.items()})

    def _check_room(self, claimants: int, below: "Table", what: str = "") -> frozenset[int]:
        """The ports claimants may not take; RangeExhaustedError if too few are left."""
        taken = self._blocked.union(below.values())
        low, high = self.definition.port_range
        free = high - low + 1 - sum(1 for port in taken if low <= port <= high)
        if claimants > free:
            if what == "instances":
                per = claimants // self.definition.instances
                raise RangeExhaustedError(
                    f"instances = {self.definition.instances} of {per} (service, env) pairs need "
                    f"{claimants} ports but range {low}-{high} has only {free} free after "
                    f"exclusions, pins and the plain map's ports; declare at most "
                    f"{free // per} instances or widen the port range"
                )
            raise RangeExhaustedError(
                f"{claimants} (service, env) pairs need a port but range "
                f"{low}-{high} has only {free} free after exclusions, pins and "
                f"ports already assigned; widen the port range or declare fewer services"
            )
        return taken

    def _undeclared_port(self, service: str, env: str, table: "Table") -> int:
        taken = self._blocked.union(table.values())
        low, high = self.definition.port_range
        for port in probe_sequence(self.key(service, env), low, high):
            if port not in taken:
                return port
        raise RangeExhaustedError(
            f"no free port left for {service!r} in range {low}-{high}: every port is "
            f"excluded, pinned or assigned to a declared service; widen the port range"
        )


def _without(tables: "dict[TableKey, Any]", key: "TableKey") -> "dict[TableKey, Any]":
    """tables, a copy of its own, without key."""
    tables.pop(key, None)
    return tables


def lane_env(env: str, instance: int) -> str:
    """The environment env is hashed, matched and held in: its lane in an instance."""
    return f"{env}{LANE}{instance}" if instance else env


def unavailable_ports(
    port_range: tuple[int, int],
    exclusions: "Iterable[tuple[int, int, str]]",
    pins: "Iterable[int]",
) -> frozenset[int]:
    """The ports of port_range no port is hashed to: excluded, or some pin's.

    PortRangeError if the exclusions leave no port (pins do not count here).
    """
    low, high = port_range
    blocked: set[int] = set()
    for first, last, _ in exclusions:
        if first <= high and last >= low:  # most defaults lie outside any one range
            blocked.update(range(max(first, low), min(last, high) + 1))
    if len(blocked) > high - low:
        raise PortRangeError(
            f"port range {low}-{high} has no port left after exclusions; widen it or exclude less"
        )
    blocked.update(port for port in pins if low <= port <= high)
    return frozenset(blocked)
