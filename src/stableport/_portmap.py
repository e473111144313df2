"""PortMap: a project's declared services, resolved to collision-free ports."""

import os

from ._defaults import ALGORITHM_VERSION, DEFAULT_ENV, DEFAULT_RANGE
from ._errors import (
    AlgorithmVersionError,
    ConfigError,
    InstanceError,
    InvalidNameError,
    InvalidTypeError,
    UnknownServiceError,
    excerpt,
)
from ._names import normalize_name
from ._pins import check_pins
from ._port_numbers import check_exclusions, check_range

# As in every module on the import path: names only the type checker needs are
# imported under this flag (not typing.TYPE_CHECKING, which imports typing) and
# annotations using them are quoted. `from __future__ import annotations` would
# spare the quotes but imports __future__: about 160 µs per process, measured.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

    from ._definition import Definition
    from ._explain import Explanation
    from ._pins import PinKey
    from ._resolver import Assignments, Resolver

# Distinct (name, env) lookups remembered per map; bounds memory for callers
# that generate names, while any real project stays entirely cached.
_LOOKUP_CACHE_SIZE = 4096

# The most instances a map may declare room for: far more checkouts than anyone
# runs side by side, and few enough that the lanes stay cheap to list.
MAX_INSTANCES = 1000


class PortMap:
    """Declared services and environments, each (service, env) given a distinct port.

    The declared services are resolved together in each declared environment (or
    in env, when none are declared): no two share a port, and the same arguments
    give the same ports on every machine. A lookup of anything else, an
    undeclared service or environment, is hashed too and avoids every declared
    port. Names are casefolded (``"Billing"`` is ``"billing"``). A map never
    changes; maps with equal arguments, once normalized, are equal. A map
    pickles and copies as its definition: its ports are resolved again where
    it is loaded, and are the same.

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
        config_path: The configuration file this map was read from, made
            absolute against the working directory (kept as given if that
            directory was deleted) and reported by the config_path property;
            load() gives it. It is not part of what the map is: it changes no port, and
            maps equal but for it are equal.

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

    # What the map is, one value; everything computed from it, its resolver;
    # and where it was read from, no part of what it is.
    __slots__ = ("_config_path", "_definition", "_resolver")

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
        config_path: "str | os.PathLike[str] | None" = None,
    ) -> None:
        # Deferred, here and below: resolving (its hash, xxhash, and the matching)
        # loads with the first map built, not with the package.
        from ._definition import Definition  # noqa: PLC0415 - see above
        from ._hashing import verify_hash  # noqa: PLC0415 - see above

        check_algorithm(algorithm)
        verify_hash()  # before any port is computed with a hash that may differ
        strict = _check_bool(strict, "strict")
        self._config_path = _check_path(config_path)
        default_exclusions = _check_bool(default_exclusions, "default_exclusions")
        port_range = check_range(port_range)
        excluded = check_exclusions(exclude)
        checked_pins = check_pins({} if pins is None else pins)
        env = DEFAULT_ENV if env is None else normalize_name(env, "environment name", "env")
        namespace = (
            None if namespace is None else normalize_name(namespace, "namespace", "namespace")
        )
        instances = check_count(instances, "instances", MAX_INSTANCES)
        instance = check_count(instance, "instance", MAX_INSTANCES)
        if instance > instances:
            room = (
                "it declares no instances" if not instances else f"instances are 1 to {instances}"
            )
            raise InstanceError(
                f"instance {instance} is beyond this map's instances = {instances} "
                f"({room}; 0 is the plain map); raise instances or pick an instance within it"
            )
        # No declared environments and an empty list mean the same: each env on its own.
        declared_envs = (
            None if envs is None else _normalize_all(envs, "environment name", "envs") or None
        )
        declared = _normalize_all(services, "service name", "services")
        # Pinned services are declared too (a union only when there are pins: a
        # copy of the declared set costs a large map a fresh table).
        if checked_pins:
            declared |= {service for service, _ in checked_pins}
        self._definition = Definition(
            declared,
            declared_envs,
            env,
            namespace,
            port_range,
            excluded,
            checked_pins,
            strict,
            default_exclusions,
            instances,
            instance,
            frozenset(),  # no overlay: overlay() gives a map one
            None,  # no test run's ports: only the loader gives a map those
        )
        self._resolver = _resolved(self._definition)

    # -- public API ---------------------------------------------------------

    @property
    def services(self) -> tuple[str, ...]:
        """Declared services (pinned ones included), normalized and sorted."""
        return tuple(sorted(self._definition.services))

    @property
    def envs(self) -> tuple[str, ...] | None:
        """Environments resolved together on one host, or None if none were declared."""
        envs = self._definition.envs
        return None if envs is None else tuple(sorted(envs))

    @property
    def overlay_envs(self) -> tuple[str, ...]:
        """Environments resolved together above the declared ones (see overlay()), sorted."""
        from ._resolver import LANE  # noqa: PLC0415 - loaded with the first map (see __init__)

        return tuple(sorted(env.partition(LANE)[0] for env in self._definition.overlay))

    @property
    def instances(self) -> int:
        """How many instances (checkouts side by side) the map holds apart; 0: none."""
        return self._definition.instances

    @property
    def instance(self) -> int:
        """Which instance this map is, 1 to instances; 0 is the plain map."""
        return self._definition.instance

    @property
    def env(self) -> str:
        """The environment of lookups that name none."""
        return self._definition.env

    @property
    def namespace(self) -> str | None:
        """The namespace every key of this map is hashed in, or None for the shared one."""
        return self._definition.namespace

    @property
    def port_range(self) -> tuple[int, int]:
        """The inclusive range ports are hashed into."""
        return self._definition.port_range

    @property
    def exclude(self) -> tuple[tuple[int, int], ...]:
        """The map's own exclude argument, as merged inclusive intervals (no defaults)."""
        return self._definition.exclude

    @property
    def pins(self) -> "dict[PinKey, int]":
        """Pinned ports by (service, env), env None meaning every environment."""
        return dict(self._definition.pins)

    @property
    def config_path(self) -> "Path | None":
        """The configuration file load() read this map from, as an absolute Path.

        None for a map built in code (unless it was given config_path), and for
        one load() made from the built-in defaults because it found no file. A
        relative path given under a working directory that was deleted stays
        relative: nothing is left to make it absolute against. It is where the map came from, not
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
        return self._definition.strict

    @property
    def default_exclusions(self) -> bool:
        """Whether the frozen default exclusion list applies."""
        return self._definition.default_exclusions

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
        lookups = self._resolver.lookups
        try:
            return lookups[name, env]
        except (KeyError, TypeError):  # TypeError: an unhashable name, rejected below
            pass
        port = self._resolver.port(*self._normalize_lookup(name, env))
        if len(lookups) < _LOOKUP_CACHE_SIZE and cacheable(name, env):
            lookups[name, env] = port
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
        return self._resolver.assignments()

    def reserved_ports(self) -> frozenset[int]:
        """The ports of the range that are excluded, pinned or a declared service's.

        Those excluded, those pinned, and every declared service's port: in the
        map's environments, in its overlay, and in every instance's. An
        undeclared service looked up in an overlay environment takes the first
        port of its probe sequence that is not one of these. Elsewhere it avoids
        only the declared ports of its own environment's table
        (docs/algorithm.md section 6): looked up in one of the map's own
        environments, it may be given an overlay's or an instance's port.

        Returns:
            A frozenset of ports, all within port_range.

        Example:
            >>> from stableport import PortMap
            >>> pm = PortMap(
            ...     ["billing"],
            ...     port_range=(20000, 20009),
            ...     exclude=[20005],
            ...     pins={"auth": 20001},
            ... )
            >>> sorted(pm.reserved_ports())  # 20000: a default exclusion (DNP3)
            [20000, 20001, 20002, 20005]
            >>> pm.port_for("billing"), pm.port_for("search")
            (20002, 20004)
        """
        return self._resolver.reserved()

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
        definition = self._definition
        own = definition.envs or frozenset((definition.env,))
        clash = sorted(overlay & own)
        if clash:
            where = "declared in envs" if definition.envs else "this map's env"
            raise InvalidNameError(
                f"overlay environment {clash[0]!r} is already {where}; "
                f"an overlay may only add environments"
            )
        # This map's definition with overlay as its overlay (any earlier one is
        # replaced, and an empty one leaves none); its resolver starts from no
        # answer this map gave (see Resolver.above).
        lanes = frozenset(self._resolver.lane_env(env) for env in overlay)
        copy: PortMap = PortMap.__new__(PortMap)
        copy._config_path = self._config_path
        copy._definition = definition.replace(overlay=lanes)
        copy._resolver = self._resolver.above(copy._definition)
        return copy

    def explain(self, name: str, env: str | None = None) -> "Explanation":
        """Why name has its port in env: every probe, and why it was skipped or taken.

        Args:
            name: A service name, declared or not.
            env: An environment name; None means the map's env.

        Returns:
            An Explanation (a named tuple): service, env, port, how (``"pinned"``,
            ``"hashed"``, ``"probed"``, or ``"test"`` for a port a live test run
            handed out, in a map load() gave a process of that run), pin (the
            pin's key when pinned), key (the hashed key bytes when hashed)
            and probes, each with its step, port, verdict and reason. ``str()`` of it is the text
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
        from ._explain import explain  # noqa: PLC0415 - off the hot path; it imports typing

        return explain(self._resolver, *self._normalize_lookup(name, env))

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
        return self._definition.exclusions()

    def __repr__(self) -> str:
        definition = self._definition
        overlay = f".overlay({list(self.overlay_envs)!r})" if definition.overlay else ""
        # Not an argument: what load() gave a live test run's process (see _test_run).
        handed = ""
        if definition.test_ports is not None:
            env, ports = definition.test_ports
            handed = f"  # test run in {env!r}: {dict(ports)!r}"
        return f"PortMap({definition.arguments()}){overlay}{handed}"

    # A map pickles (and deep-copies) as its definition and where it was read
    # from: its resolver's tables are read-only views (which do not pickle)
    # and a cache, no part of what the map is. It is resolved again where the
    # map is loaded, as when the map was built. A subclass's own attributes
    # travel as the state.

    def __reduce__(self) -> "tuple[object, ...]":
        state = self._own_state()
        return _rebuilt, (type(self), self._definition, self._config_path), state or None

    def __setstate__(self, state: "dict[str, object]") -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __copy__(self) -> "PortMap":
        # The same definition: its resolver answers for both, already resolved.
        copy: PortMap = type(self).__new__(type(self))
        copy.__setstate__(self._own_state())
        copy._definition = self._definition
        copy._config_path = self._config_path
        copy._resolver = self._resolver
        return copy

    def _own_state(self) -> "dict[str, object]":
        """A subclass's own attributes, in its slots or its __dict__ (none for a PortMap)."""
        state = {
            slot: getattr(self, slot) for slot in _own_slots(type(self)) if hasattr(self, slot)
        }
        state.update(getattr(self, "__dict__", ()))
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PortMap):
            return NotImplemented
        return self._definition == other._definition

    def __hash__(self) -> int:
        return hash(self._definition)

    # -- lookups -------------------------------------------------------------

    def _normalize_lookup(self, name: object, env: object) -> tuple[str, str]:
        # A declared name is already normalized (normalizing is idempotent): list
        # and explain ask with those, and skip the per-character checks.
        definition = self._definition
        if type(name) is str and name in definition.services:
            service = name
        else:
            service = normalize_name(name, "service name")
        if env is None:
            environment = definition.env
        elif type(env) is str and (env == definition.env or env in (definition.envs or ())):
            environment = env
        else:
            environment = normalize_name(env, "environment name")
        if definition.strict and service not in definition.services:
            declared = ", ".join(sorted(definition.services)) or "none"
            raise UnknownServiceError(
                f"service {service!r} is not declared in this strict map (declared: {declared})"
            )
        return service, environment


def _own_slots(cls: type) -> "Iterator[str]":
    """The attribute of each slot a subclass of PortMap declares, a private one's mangled."""
    for klass in cls.__mro__:
        if klass is PortMap:
            return
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot.startswith("__") and not slot.endswith("__"):
                yield f"_{klass.__name__.lstrip('_')}{slot}"
            elif slot not in {"__dict__", "__weakref__"}:
                yield slot


def _resolved(definition: "Definition") -> "Resolver":
    """The resolver of definition, its home and overlay resolved: an over-full map fails now."""
    from ._resolver import Resolver  # noqa: PLC0415 - with the first map (see PortMap.__init__)

    resolver = Resolver(definition)
    resolver.resolve_home()
    if definition.overlay:
        resolver.assignments()
    return resolver


def _rebuilt(cls: "type[PortMap]", definition: "Definition", config_path: str | None) -> PortMap:
    """A map of cls from its pickled definition, resolved again in this process."""
    from ._hashing import verify_hash  # noqa: PLC0415 - with the first map (see PortMap.__init__)

    verify_hash()  # in the process that loads it, as in the one that built it
    pm = cls.__new__(cls)
    pm._definition = definition
    pm._config_path = config_path
    pm._resolver = _resolved(definition)
    return pm


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


def give_test_ports(pm: PortMap, env: str, ports: "Mapping[str, int]") -> None:
    """Make pm, just loaded, a live test run's map: ports answer lookups in env, the run's.

    The loader's step (docs/configuration.md, "Inside a test run"), in the
    class's own module; a map is otherwise never changed once built, and its
    answers so far (none: just loaded) stay true.
    """
    definition = pm._definition.replace(test_ports=(env, ports))
    pm._definition = definition
    pm._resolver = pm._resolver.above(definition)


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


def open_ports(pm: PortMap) -> int:
    """How many ports of pm's range are left for claimants above its own assignments."""
    low, high = pm.port_range
    return high - low + 1 - len(pm.reserved_ports())


def undeclared_ports(pm: PortMap, name: str, env: str) -> "Iterator[int]":
    """name's probe order in env, as an undeclared name's, past every port pm reserves.

    name is normalized. The first is pm.port_for(name, env) for an undeclared
    name in one of pm's overlay environments; elsewhere port_for avoids only
    env's own table (spec section 6), which may hold fewer ports than pm
    reserves (none of an overlay's or an instance's in pm's own environments)
    or others (a layer's declared ports). The pytest fixture takes a later
    one when a live test run holds it.
    """
    return pm._resolver.probes(name, env)


def _check_path(value: object) -> str | None:
    """value, a path, made absolute (None stays None); InvalidTypeError if not a path."""
    if value is None:
        return None
    try:
        path = os.fspath(value) if isinstance(value, os.PathLike) else value
    except TypeError:  # an __fspath__ that returns neither str nor bytes
        path = None
    if not isinstance(path, str) or not path:
        raise InvalidTypeError(
            f"config_path must be a path (a non-empty str or os.PathLike of one), "
            f"not {excerpt(value)}"
        )
    try:
        os.fsencode(path)
    except UnicodeError:
        path = "\x00"  # as unusable as a NUL, and told the same way
    if "\x00" in path:
        raise ConfigError(
            f"config_path {excerpt(value)} can name no file (it holds a NUL or a character "
            f"the file system cannot encode); give the configuration file's path"
        )
    return absolute(path)


def absolute(path: str) -> str:
    """path made absolute against the working directory; as given if that directory was deleted.

    A map's config_path, and the loader's path of the file it read, so the two agree.
    """
    try:
        return os.path.abspath(path)
    except OSError:  # a relative path under a deleted working directory, already read
        return path
