"""PortMap: a project's declared services, resolved to collision-free ports."""

from ._defaults import ALGORITHM_VERSION, DEFAULT_ENV, DEFAULT_EXCLUSIONS, DEFAULT_RANGE
from ._errors import (
    AlgorithmVersionError,
    InstanceError,
    InvalidNameError,
    InvalidTypeError,
    PortRangeError,
    RangeExhaustedError,
    UnknownServiceError,
    excerpt,
)
from ._hashing import key_bytes, key_prefix, probe_sequence, verify_hash
from ._matching import deferred_acceptance
from ._names import normalize_name
from ._pins import check_pins, format_pin_key
from ._ports import check_exclusions, check_range

# As in every module on the import path: names only the type checker needs are
# imported under this flag (not typing.TYPE_CHECKING, which imports typing) and
# annotations using them are quoted. `from __future__ import annotations` would
# spare the quotes but imports __future__: about 160 µs per process, measured.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

    from ._explain import Explanation, How, Verdict
    from ._pins import PinKey

    Assignments = dict[tuple[str, str], int]
    Trails = dict[tuple[str, str], list[int]]
    # What defines a table, given the map's definition: the environments
    # resolved together in it, and whether it stands above the home (an
    # overlay) or not (the base, the home and every layer, all above the
    # base, itself above nothing). Keyed by both, a table resolved for one
    # purpose never answers for another, whatever was asked first.
    TableKey = tuple[frozenset[str], bool]

# Distinct (name, env) lookups remembered per map; bounds memory for callers
# that generate names, while any real project stays entirely cached.
_LOOKUP_CACHE_SIZE = 4096

# The most instances a map may declare room for: far more checkouts than anyone
# runs side by side, and few enough that the lanes stay cheap to list.
MAX_INSTANCES = 1000

# Joins an environment and an instance into the environment of a lane (see
# _lane_env). NUL is in no valid name, so a lane's key never equals a name's.
_LANE = "\x00"


class PortMap:
    """Declared services and environments, each (service, env) given a distinct port.

    The declared services are resolved together in each declared environment (or
    in env, when none are declared): no two share a port, and the same arguments
    give the same ports on every machine. A lookup of anything else, an
    undeclared service or environment, is hashed too and avoids every declared
    port. Names are casefolded (``"Billing"`` is ``"billing"``). A map never
    changes; maps with equal arguments, once normalized, are equal.

    Args:
        services: Service names resolved together, never sharing a port. Pinned
            services are declared too.
        envs: Environments that run on one host: each declared service gets a
            distinct port in each of them. None or empty: each environment is
            resolved on its own.
        env: The environment of lookups that name none; None means ``"default"``.
        namespace: A key space of the map's own: the same service hashes to
            another port in another namespace. None: the shared key space.
        port_range: The inclusive ``(low, high)`` range ports are hashed into.
        exclude: The map's own ports and inclusive ``(low, high)`` ranges that are
            never handed out, on top of the default exclusions (see the
            ``exclude`` property and ``exclusions_in_force()``).
        pins: Fixed ports: ``{"billing": 8001}`` in every environment,
            ``{("billing", "dev"): 8001}`` in one.
        strict: If True, a lookup of an undeclared service raises
            UnknownServiceError instead of hashing it.
        default_exclusions: If False, the frozen default exclusion list
            (browser-blocked ports, ports of widely deployed software) does not
            apply.
        algorithm: The algorithm version; this release implements 1 only.
        instances: Room for this many instances (checkouts side by side), each
            with its own ports in every declared environment, apart from each
            other's and from the plain map's. 0: none; the plain map does not
            move either way.
        instance: Which instance this map is, 1 to instances; 0 is the plain
            map.

    Raises:
        InvalidTypeError: An argument has the wrong type.
        InvalidNameError: A name is empty, too long, holds a reserved character,
            or is declared twice.
        PortRangeError: port_range or exclude lies outside 1-65535, is reversed,
            or leaves no port.
        RangeExhaustedError: More (service, env) pairs need a port than the range
            has free ports.
        PinConflictError: Two services are pinned to one port, or a pin lies
            outside 1-65535.
        AlgorithmVersionError: algorithm is not 1.
        InstanceError: instances or instance is out of bounds.

    Example:
        >>> from stableport import PortMap
        >>> pm = PortMap(
        ...     ["billing", "auth", "search"],
        ...     envs=["dev", "test"],
        ...     env="dev",
        ...     exclude=[25000, (26000, 26099)],
        ...     pins={"billing": 8001, ("auth", "test"): 8002},
        ... )
        >>> pm.port_for("billing")
        8001
        >>> pm.port_for("auth", env="test")
        8002
        >>> pm.port_for("search")
        29740
    """

    __slots__ = (
        "_base",
        "_blocked",
        "_config_path",
        "_declared_envs",
        "_default_exclusions",
        "_env",
        "_exclude",
        "_holders",
        "_instance",
        "_instances",
        "_lane_envs",
        "_lookups",
        "_namespace",
        "_overlay",
        "_pins",
        "_prefix",
        "_range",
        "_services",
        "_skipped_at",
        "_strict",
        "_tables",
        "_trails",
    )

    def __init__(
        self,
        services: "Iterable[str]" = (),
        *,
        envs: "Iterable[str] | None" = None,
        env: str | None = None,
        namespace: str | None = None,
        port_range: tuple[int, int] = DEFAULT_RANGE,
        exclude: "Iterable[int | tuple[int, int]]" = (),
        pins: "Mapping[str | tuple[str, str], int] | None" = None,
        strict: bool = False,
        default_exclusions: bool = True,
        algorithm: int = ALGORITHM_VERSION,
        instances: int = 0,
        instance: int = 0,
    ) -> None:
        check_algorithm(algorithm)
        verify_hash()  # before any port is computed with a hash that may differ
        self._strict = _check_bool(strict, "strict")
        self._config_path: str | None = None  # set by load(); a map built in code has none
        self._default_exclusions = _check_bool(default_exclusions, "default_exclusions")
        self._range = check_range(port_range)
        self._exclude = check_exclusions(exclude)
        self._pins = check_pins({} if pins is None else pins)
        self._env = DEFAULT_ENV if env is None else normalize_name(env, "environment name", "env")
        self._namespace = (
            None if namespace is None else normalize_name(namespace, "namespace", "namespace")
        )
        # Computed once: every key of this map starts with it (see key_prefix).
        self._prefix = key_prefix(self._namespace)
        self._instances = check_count(instances, "instances", MAX_INSTANCES)
        self._instance = check_count(instance, "instance", MAX_INSTANCES)
        if self._instance > self._instances:
            room = (
                "it declares no instances"
                if not self._instances
                else f"instances are 1 to {self._instances}"
            )
            raise InstanceError(
                f"instance {self._instance} is beyond this map's instances = {self._instances} "
                f"({room}; 0 is the plain map); raise instances or pick an instance within it"
            )
        # No declared environments and an empty list mean the same: each env on its own.
        self._declared_envs = (
            None if envs is None else _normalize_all(envs, "environment name", "envs") or None
        )
        declared = _normalize_all(services, "service name", "services")
        # Pinned services are declared too (a union only when there are pins: a
        # copy of the declared set costs a large map a fresh table).
        self._services = (
            declared | {service for service, _ in self._pins} if self._pins else declared
        )
        self._blocked = self._blocked_ports()
        self._overlay: frozenset[str] = frozenset()
        self._derive()
        self._base = self._resolved((self._declared_envs or frozenset(), False))
        # Resolve the home now, so an over-full map fails at once.
        self._home()
        if self._instances:
            # Only counted now: the matching of every lane waits for a lookup that
            # needs it, so a plain checkout never pays for its siblings' ports.
            self._check_room(self._lane_claimants(), self._home(), "instances")

    def _derive(self) -> None:
        """Start every derived table and cache empty: a state no earlier call shaped.

        Each is keyed by everything that defines its entries and belongs to this
        map alone, so a cache makes an answer faster, never different, whatever
        this map, or the one it was overlaid from, was asked before.
        """
        self._lookups: dict[tuple[object, object], int] = {}
        self._tables: dict[TableKey, Assignments] = {}
        # The ports each resolved pair passed over before its own (none: its
        # first probe), per table, kept from the matching so explaining it
        # never hashes again.
        self._trails: dict[TableKey, Trails] = {}
        # For explain(), built on first use: why a pinned or excluded port is
        # skipped, and who holds each port in each table, so explaining every
        # service costs no more per service than explaining one.
        self._skipped_at: dict[int, tuple[Verdict, str]] | None = None
        self._holders: dict[TableKey, dict[int, tuple[str, str]]] = {}
        self._lane_envs: frozenset[str] | None = None  # every instance's lanes, on first use

    # -- public API ---------------------------------------------------------

    @property
    def services(self) -> tuple[str, ...]:
        """Declared services (pinned ones included), normalized and sorted."""
        return tuple(sorted(self._services))

    @property
    def envs(self) -> tuple[str, ...] | None:
        """Environments resolved together on one host, or None if none were declared."""
        return None if self._declared_envs is None else tuple(sorted(self._declared_envs))

    @property
    def overlay_envs(self) -> tuple[str, ...]:
        """Environments resolved together above the declared ones (see overlay()), sorted."""
        return tuple(sorted(env.partition(_LANE)[0] for env in self._overlay))

    @property
    def instances(self) -> int:
        """How many instances (checkouts side by side) the map holds apart; 0: none."""
        return self._instances

    @property
    def instance(self) -> int:
        """Which instance this map is, 1 to instances; 0 is the plain map."""
        return self._instance

    @property
    def env(self) -> str:
        """The environment of lookups that name none."""
        return self._env

    @property
    def namespace(self) -> str | None:
        """The namespace every key of this map is hashed in, or None for the shared one."""
        return self._namespace

    @property
    def port_range(self) -> tuple[int, int]:
        """The inclusive range ports are hashed into."""
        return self._range

    @property
    def exclude(self) -> tuple[tuple[int, int], ...]:
        """The map's own exclude argument, as merged inclusive intervals (no defaults)."""
        return self._exclude

    @property
    def pins(self) -> "dict[PinKey, int]":
        """Pinned ports by (service, env), env None meaning every environment."""
        return dict(self._pins)

    @property
    def config_path(self) -> "Path | None":
        """The configuration file load() read this map from, as an absolute Path.

        None for a map built in code, and for one load() made from the built-in
        defaults because it found no file. It is where the map came from, not
        part of what it is: maps with equal arguments are equal wherever they
        were read, and overlay() keeps it.

        Example:
            >>> import stableport
            >>> print(stableport.PortMap(["billing"]).config_path)
            None
        """
        if self._config_path is None:
            return None
        from pathlib import Path  # noqa: PLC0415 - pathlib imports re: not on the lookup path

        return Path(self._config_path)

    @property
    def strict(self) -> bool:
        """Whether an undeclared service is an error."""
        return self._strict

    @property
    def default_exclusions(self) -> bool:
        """Whether the frozen default exclusion list applies."""
        return self._default_exclusions

    def port_for(self, name: str, env: str | None = None) -> int:
        """The port of service name in env (default: the map's env).

        Args:
            name: A service name. An undeclared one gets a port too (unless the
                map is strict), hashed the same way, avoiding every declared port.
            env: An environment name; None means the map's env.

        Returns:
            The port: the same for the same map, name and env, on every machine.

        Raises:
            InvalidTypeError: name or env is not a str.
            InvalidNameError: name or env is empty, too long or holds a reserved
                character.
            UnknownServiceError: The map is strict and name is not declared.
            RangeExhaustedError: No port of the range is left for this lookup.

        Example:
            >>> from stableport import PortMap
            >>> pm = PortMap(["billing", "auth"], pins={("auth", "prod"): 8002})
            >>> pm.port_for("Billing")
            20695
            >>> pm.port_for("auth", env="prod")
            8002
        """
        try:
            return self._lookups[name, env]
        except (KeyError, TypeError):  # TypeError: an unhashable name, rejected below
            pass
        service, environment = self._normalize_lookup(name, env)
        port = self._port(service, environment)
        if len(self._lookups) < _LOOKUP_CACHE_SIZE and cacheable(name, env):
            self._lookups[name, env] = port
        return port

    def assignments(self) -> "Assignments":
        """Every declared (service, env) and its port, sorted by service then env.

        Returns:
            A new dict from (service, env) to port, for every declared service in
            every declared environment (or in the map's env, when none are
            declared), and in each overlay environment.

        Example:
            >>> from stableport import PortMap
            >>> pm = PortMap(["billing", "auth"], envs=["dev", "test"], pins={"billing": 8001})
            >>> for (service, env), port in pm.assignments().items():
            ...     print(service, env, port)
            auth dev 25542
            auth test 23479
            billing dev 8001
            billing test 8001
        """
        if self._instances:
            # The tables below hold every lane too: ask for this map's own pairs.
            envs = (self._declared_envs or frozenset((self._env,))).union(self.overlay_envs)
            return {
                (service, env): self._port(service, env)
                for service in sorted(self._services)
                for env in sorted(envs)
            }
        table = self._resolved((self._overlay, True)) if self._overlay else self._home()
        return {pair: table[pair] for pair in sorted(table)}

    def overlay(self, envs: "Iterable[str]") -> "PortMap":
        """A copy of this map that also resolves envs together, as one layer above it.

        Every declared service gets a distinct port in each of envs, avoiding the
        ports of this map's declared environments (or of its env, when none are
        declared), which do not move: parallel test workers, one env each, never
        share a declared port with each other or with the project.

        Args:
            envs: Environment names to resolve together, above this map's own.

        Returns:
            A new map; this one is unchanged.

        Raises:
            InvalidTypeError: envs is not a list of names.
            InvalidNameError: A name in envs is invalid, given twice, or already
                one of this map's environments.
            RangeExhaustedError: The range has too few free ports for the overlay.

        Example:
            >>> from stableport import PortMap
            >>> pm = PortMap(["billing", "auth"], envs=["dev"])
            >>> pm.assignments()
            {('auth', 'dev'): 25542, ('billing', 'dev'): 21863}
            >>> for (service, env), port in pm.overlay(["gw0", "gw1"]).assignments().items():
            ...     print(service, env, port)
            auth dev 25542
            auth gw0 21360
            auth gw1 27892
            billing dev 21863
            billing gw0 22363
            billing gw1 24957
        """
        overlay = _normalize_all(envs, "environment name", "overlay")
        own = self._declared_envs or frozenset((self._env,))
        clash = sorted(overlay & own)
        if clash:
            where = "declared in envs" if self._declared_envs else "this map's env"
            raise InvalidNameError(
                f"overlay environment {clash[0]!r} is already {where}; "
                f"an overlay may only add environments"
            )
        # The copy is this map's definition with overlay as its overlay (any
        # earlier one is replaced, and an empty one leaves none), and starts
        # from nothing this map was asked. Only the base and the home (resolved
        # when this map was built, from its definition alone, never changed)
        # carry over, so that overlaying a large map does not match it again.
        if self._instance:  # an instance's overlay is its own, in its lanes
            overlay = frozenset(self._lane_env(env) for env in overlay)
        copy: PortMap = PortMap.__new__(PortMap)  # a PortMap: its own slots, set here
        for slot in _DEFINITION:
            setattr(copy, slot, getattr(self, slot))
        copy._overlay = overlay
        copy._derive()
        copy._base = self._base
        # The lanes too, when resolved: like the base and the home, the
        # definition alone defines them.
        keys = {self._base_key(), self._home_key()}
        if self._instances and self._lanes_key() in self._tables:
            keys.add(self._lanes_key())
        for key in keys:
            copy._tables[key] = self._tables[key]
            copy._trails[key] = self._trails[key]
        copy.assignments()  # resolve now, so an over-full overlay fails at once
        return copy

    def explain(self, name: str, env: str | None = None) -> "Explanation":
        """Why name has its port in env: every probe, and why it was skipped or taken.

        Args:
            name: A service name, declared or not.
            env: An environment name; None means the map's env.

        Returns:
            An Explanation (a named tuple): service, env, port, how (``"pinned"``,
            ``"hashed"`` or ``"probed"``), pin (the pin's key when pinned), key
            (the hashed key bytes otherwise) and probes, each with its step,
            port, verdict and reason. ``str()`` of it is the text
            ``stableport explain`` prints.

        Raises:
            InvalidTypeError: name or env is not a str.
            InvalidNameError: name or env is empty, too long or holds a reserved
                character.
            UnknownServiceError: The map is strict and name is not declared.
            RangeExhaustedError: No port of the range is left for this lookup.

        Example:
            >>> from stableport import PortMap
            >>> story = PortMap(["billing", "auth"], pins={"billing": 8001}).explain("auth")
            >>> (story.port, story.how, story.skipped)
            (24835, 'hashed', 0)
            >>> print(story)
            auth@default -> 24835: hashed (its first probe)
              key: b'stableport\\x00v1\\x00default\\x00auth'
              probe   0: 24835  free: taken
        """
        # Deferred: explaining is off the hot path and its module imports typing.
        from ._explain import Explanation, Probe  # noqa: PLC0415

        service, environment = self._normalize_lookup(name, env)
        port = self._port(service, environment)
        declared = service in self._services
        pin_key = (
            (service, environment) if (service, environment) in self._pins else (service, None)
        )
        if declared and pin_key in self._pins:
            pin = format_pin_key(pin_key)
            return Explanation(service, environment, port, "pinned", pin, None, ())
        shown_env = environment
        if self._instance:  # hashed, matched and held in its lane
            environment = self._lane_env(environment)
        table_key = self._table_key(environment)
        holders = self._holders.get(table_key)
        if holders is None:
            table = self._resolved(table_key)
            holders = self._holders[table_key] = {held: pair for pair, held in table.items()}
        # Only holders resolved in the same matching as a declared claimant
        # competed with it; every other holder was there before it asked.
        rivals = table_key[0] if declared else frozenset()
        trails = self._trails[table_key]
        key = key_bytes(service, environment, self._prefix)
        probes = []
        # A declared pair was resolved by a matching, which kept what it passed over.
        candidates = (
            [*trails.get((service, environment), ()), port]
            if declared
            else probe_sequence(key, *self._range)
        )
        for rank, candidate in enumerate(candidates):
            if candidate == port:
                probes.append(Probe(rank, candidate, "taken", "free: taken"))
                break
            verdict, reason = self._skip_reason(candidate, rank, holders, rivals, trails)
            probes.append(Probe(rank, candidate, verdict, reason))
        how: How = "hashed" if len(probes) == 1 else "probed"
        return Explanation(service, shown_env, port, how, None, key, tuple(probes))

    def exclusions_in_force(self) -> tuple[tuple[int, int, str], ...]:
        """Every exclusion in force as (low, high, reason): the defaults, then the map's own.

        Unlike the exclude property, which holds only the intervals this map was
        given, this is everything no port is handed out from: the frozen default
        list (unless default_exclusions is False), then the map's own.

        Returns:
            Inclusive (low, high, reason) triples, the defaults first.

        Example:
            >>> from stableport import PortMap
            >>> pm = PortMap(exclude=[25000, (26000, 26099)])
            >>> pm.exclude
            ((25000, 25000), (26000, 26099))
            >>> for low, high, reason in pm.exclusions_in_force()[-2:]:
            ...     print(low, high, reason)
            25000 25000 in this map's exclude list
            26000 26099 in this map's exclude list
            >>> (27017, 27019, "MongoDB") in pm.exclusions_in_force()
            True
        """
        own = tuple((low, high, "in this map's exclude list") for low, high in self._exclude)
        return (DEFAULT_EXCLUSIONS if self._default_exclusions else ()) + own

    def __repr__(self) -> str:
        parts = [repr(list(self.services))]
        if self._declared_envs is not None:
            parts.append(f"envs={list(self.envs or ())!r}")
        parts.append(f"env={self._env!r}")
        if self._namespace is not None:
            parts.append(f"namespace={self._namespace!r}")
        parts.append(f"port_range={self._range!r}")
        if self._exclude:
            parts.append(f"exclude={list(self._exclude)!r}")
        if self._pins:
            pins = {key[0] if key[1] is None else key: port for key, port in self._pins.items()}
            parts.append(f"pins={pins!r}")
        if self._strict:
            parts.append("strict=True")
        if not self._default_exclusions:
            parts.append("default_exclusions=False")
        if self._instances:
            parts.append(f"instances={self._instances}")
        if self._instance:
            parts.append(f"instance={self._instance}")
        overlay = f".overlay({list(self.overlay_envs)!r})" if self._overlay else ""
        return f"PortMap({', '.join(parts)}){overlay}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PortMap):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    # -- resolution ---------------------------------------------------------

    def _identity(self) -> tuple[object, ...]:
        return (
            frozenset(self._services),
            self._declared_envs,
            self._env,
            self._namespace,
            self._range,
            self._exclude,
            frozenset(self._pins.items()),
            self._strict,
            self._default_exclusions,
            self._overlay,
            self._instances,
            self._instance,
        )

    def _normalize_lookup(self, name: object, env: object) -> tuple[str, str]:
        # A declared name is already normalized (normalizing is idempotent): list
        # and explain ask with those, and skip the per-character checks.
        if type(name) is str and name in self._services:
            service = name
        else:
            service = normalize_name(name, "service name")
        if env is None:
            environment = self._env
        elif type(env) is str and (env == self._env or env in (self._declared_envs or ())):
            environment = env
        else:
            environment = normalize_name(env, "environment name")
        if self._strict and service not in self._services:
            declared = ", ".join(sorted(self._services)) or "none"
            raise UnknownServiceError(
                f"service {service!r} is not declared in this strict map (declared: {declared})"
            )
        return service, environment

    def _port(self, service: str, env: str) -> int:
        # A pinned pair answers before any layer resolves: it claims nothing, so
        # an over-full layer of other services cannot make it fail.
        pin = self._pin(service, env)
        if pin is not None:
            return pin
        if self._instance:
            env = self._lane_env(env)
        table_key = self._table_key(env)
        table = self._base if table_key[0] is self._declared_envs else self._resolved(table_key)
        port = table.get((service, env))
        if port is not None:
            return port
        return self._undeclared_port(service, env, table)

    def _table_key(self, env: str) -> "TableKey":
        """What defines the table env is answered from (docs/algorithm.md section 4, T(e))."""
        if self._declared_envs is not None and env in self._declared_envs:
            return self._declared_envs, False
        if env in self._overlay:
            return self._overlay, True
        if self._instance and env.partition(_LANE)[0] in (
            self._declared_envs or frozenset((self._env,))
        ):
            return self._lanes_key()
        return frozenset((env,)), False

    def _base_key(self) -> "TableKey":
        return self._declared_envs or frozenset(), False

    def _home_key(self) -> "TableKey":
        """The map's own declared pairs: its declared envs, else its env alone."""
        return self._base_key() if self._declared_envs else (frozenset((self._env,)), False)

    def _home(self) -> "Assignments":
        return self._resolved(self._home_key())

    def _lanes_key(self) -> "TableKey":
        """The lane of every home environment in every instance, one matching above the home."""
        if self._lane_envs is None:
            home = self._declared_envs or frozenset((self._env,))
            self._lane_envs = frozenset(
                f"{env}{_LANE}{number}" for env in home for number in range(1, self._instances + 1)
            )
        return self._lane_envs, True

    def _lane_env(self, env: str) -> str:
        """The environment of env's lane in this map's instance."""
        return f"{env}{_LANE}{self._instance}"

    def _lane_claimants(self) -> int:
        """How many (service, env, instance) the lanes give a port by matching."""
        home = self._declared_envs or frozenset((self._env,))
        pairs = sum(
            1 for env in home for service in self._services if self._pin(service, env) is None
        )
        return pairs * self._instances

    def _resolved(self, key: "TableKey") -> "Assignments":
        """The table key defines, resolved on first use."""
        table = self._tables.get(key)
        if table is None:
            envs, above_home = key
            if key == self._base_key():
                below: Assignments = {}
            elif self._instances and key not in (self._home_key(), self._lanes_key()):
                # Every lane above the home, and everything else above every lane:
                # no test run nor undeclared environment lands on an instance's port.
                below = self._resolved(self._lanes_key())
            else:
                below = self._home() if above_home else self._base
            table, self._trails[key] = self._resolve(envs, below)
            self._tables[key] = table
        return table

    def _resolve(self, envs: "Iterable[str]", below: "Assignments") -> "tuple[Assignments, Trails]":
        """Every declared service in envs resolved together above below, and their trails."""
        table: Assignments = dict(below)
        claimants: dict[bytes, tuple[str, str]] = {}
        for env in envs:
            pinned_in = env.partition(_LANE)[0]  # a lane keeps its environment's pins
            for service in self._services:
                pin = self._pin(service, pinned_in)
                if pin is None:
                    claimants[key_bytes(service, env, self._prefix)] = (service, env)
                else:
                    table[service, env] = pin
        taken = self._check_room(len(claimants), below)
        low, high = self._range
        trails: dict[bytes, list[int]] = {}
        ports = deferred_acceptance(claimants, low, high, taken, trails)
        table.update((claimants[key], port) for port, key in ports.items())
        return table, {claimants[key]: trail for key, trail in trails.items()}

    def _check_room(self, claimants: int, below: "Assignments", what: str = "") -> frozenset[int]:
        """The ports claimants may not take; RangeExhaustedError if too few are left."""
        taken = self._blocked.union(below.values())
        low, high = self._range
        free = high - low + 1 - sum(1 for port in taken if low <= port <= high)
        if claimants > free:
            if what == "instances":
                per = claimants // self._instances
                raise RangeExhaustedError(
                    f"instances = {self._instances} of {per} (service, env) pairs need "
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

    def _undeclared_port(self, service: str, env: str, table: "Assignments") -> int:
        taken = self._blocked.union(table.values())
        low, high = self._range
        for port in probe_sequence(key_bytes(service, env, self._prefix), low, high):
            if port not in taken:
                return port
        raise RangeExhaustedError(
            f"no free port left for {service!r} in range {low}-{high}: every port is "
            f"excluded, pinned or assigned to a declared service; widen the port range"
        )

    def _pin(self, service: str, env: str) -> int | None:
        pin = self._pins.get((service, env))
        return self._pins.get((service, None)) if pin is None else pin

    def _blocked_ports(self) -> frozenset[int]:
        return unavailable_ports(self._range, self.exclusions_in_force(), self._pins.values())

    def _skip_reasons(self) -> "dict[int, tuple[Verdict, str]]":
        """Why each pinned or excluded port of the range is skipped; a pin before an exclusion."""
        low, high = self._range
        pinned: dict[int, list[str]] = {}
        for pin, port in self._pins.items():
            if low <= port <= high:
                pinned.setdefault(port, []).append(format_pin_key(pin))
        reasons: dict[int, tuple[Verdict, str]] = {
            port: ("pinned", f"pinned to {' and '.join(keys)}") for port, keys in pinned.items()
        }
        for first, last, reason in self.exclusions_in_force():
            for port in range(max(first, low), min(last, high) + 1):
                reasons.setdefault(port, ("excluded", f"excluded: {reason}"))
        return reasons

    def _skip_reason(
        self,
        port: int,
        rank: int,
        holders: "dict[int, tuple[str, str]]",
        rivals: "frozenset[str]",
        trails: "Trails",
    ) -> "tuple[Verdict, str]":
        """Why port, at probe number rank, was not taken.

        holders: who holds each port in the lookup's table; rivals: the
        environments resolved in the same matching as the one explained;
        trails: that matching's trails.
        """
        if self._skipped_at is None:
            self._skipped_at = self._skip_reasons()
        skipped = self._skipped_at.get(port)
        if skipped is not None:
            return skipped
        # Not pinned nor excluded: held by exactly one pair (the lookup's own port
        # ended the probes before this one).
        service, env = holders[port]
        name, _, number = env.partition(_LANE)
        holder = f"{service}@{name}" + (f" of instance {number}" if number else "")
        if env not in rivals:
            return "held", f"held by {holder} (assigned before this lookup)"
        # The holder reached the port it holds after the ports it passed over.
        holder_rank = len(trails.get((service, env), ()))
        if holder_rank == rank:
            why = f"its probe {holder_rank} too, and its key sorts first"
        else:
            why = f"its probe {holder_rank}, earlier than this probe {rank}"
        return "held", f"held by {holder} ({why})"


# What a map is, as opposed to what it derived from it: overlay() copies these
# and nothing else, then derives afresh (see _derive).
_DEFINITION = (
    "_blocked",
    "_config_path",
    "_declared_envs",
    "_default_exclusions",
    "_env",
    "_exclude",
    "_instance",
    "_instances",
    "_namespace",
    "_pins",
    "_prefix",
    "_range",
    "_services",
    "_strict",
)


def _normalize_all(values: object, kind: str, where: str) -> frozenset[str]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidTypeError(f"{where} must be a list of names, not {excerpt(values)}")
    seen: dict[str, str] = {}
    for index, value in enumerate(values):
        name = normalize_name(value, kind, f"{where}[{index}]")
        if name in seen:
            raise InvalidNameError(
                f"{kind} {excerpt(value)} in {where} is declared twice "
                f"(also as {excerpt(seen[name])}); names are compared casefolded"
            )
        seen[name] = value
    return frozenset(seen)


def cacheable(name: object, env: object) -> bool:
    """Whether (name, env) may key a lookup cache: plain strs only.

    A str subclass may define its own equality and hash, and so match, as a
    cache key, a name it is not: its answer is computed, never remembered.
    """
    return type(name) is str and (env is None or type(env) is str)


def check_count(value: object, what: str, most: int) -> int:
    """value, an int from 0 to most: InvalidTypeError, else InstanceError if not."""
    if type(value) is not int:  # not a bool, nor a float that equals an integer
        raise InvalidTypeError(f"{what} must be an integer, not {excerpt(value)}")
    if not 0 <= value <= most:
        raise InstanceError(f"{what} {value} is outside 0-{most}")
    return value


def _check_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{what} must be True or False, not {excerpt(value)}")
    return value


def check_algorithm(value: object) -> None:
    """Raise AlgorithmVersionError unless value is the algorithm this release implements."""
    # Only the int itself: 1.0 and Fraction(1) equal it, but no float is a version.
    if type(value) is not int or value != ALGORITHM_VERSION:
        raise AlgorithmVersionError(
            f"algorithm {excerpt(value)} is not supported; this release implements "
            f"algorithm {ALGORITHM_VERSION} only"
        )


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


def _handed_out(pm: PortMap) -> frozenset[int]:
    """Every port of pm's range it never hashes an undeclared name to."""
    unavailable = unavailable_ports(pm.port_range, pm.exclusions_in_force(), pm.pins.values())
    return unavailable.union(held_ports(pm))  # every instance's lanes too


def open_ports(pm: PortMap) -> int:
    """How many ports of pm's range are left for claimants above its own assignments."""
    low, high = pm.port_range
    return high - low + 1 - sum(1 for port in _handed_out(pm) if low <= port <= high)


def undeclared_ports(pm: PortMap, name: str, env: str) -> "Iterator[int]":
    """name's probe order in env, as an undeclared name's, past every port pm hands out.

    name is normalized. The first is pm.port_for(name, env) for an undeclared
    name; the pytest fixture takes a later one when a live test run holds it.
    """
    taken = _handed_out(pm)
    low, high = pm.port_range
    key = key_bytes(name, env, key_prefix(pm.namespace))
    return (port for port in probe_sequence(key, low, high) if port not in taken)


def held_ports(pm: PortMap) -> frozenset[int]:
    """Every port pm hands a declared pair: its home's, its overlay's, every instance's lanes'."""
    # The fixture sizes and skips with it; an overlay's table holds all below it.
    if pm._overlay:  # noqa: SLF001
        top = pm._resolved((pm._overlay, True))  # noqa: SLF001
    elif pm._instances:  # noqa: SLF001
        top = pm._resolved(pm._lanes_key())  # noqa: SLF001
    else:
        top = pm._home()  # noqa: SLF001
    return frozenset(top.values())


def loaded_from(pm: PortMap, path: str | None) -> PortMap:
    """pm, marked as read from path: load() records where a map came from this way."""
    pm._config_path = path  # noqa: SLF001 - set once, before anyone else sees the map
    return pm
