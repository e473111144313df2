"""Definition: what a map is, one immutable value, compared, hashed and pickled as itself.

PortMap validates its arguments into a Definition; its Resolver computes every
port from one. A new map argument is a field here and a check in PortMap's
constructor, nowhere else.
"""

from ._defaults import DEFAULT_EXCLUSIONS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._pins import PinKey

    TestPorts = tuple[str, Mapping[str, int]]

# The reason reported for a map's own exclusions (exclusions_in_force, explain).
OWN_EXCLUSION = "in this map's exclude list"


# The fields that hold mappings: compared as sets of their items.
_MAPPINGS = ("pins", "test_ports")


class Definition:
    """A map's validated arguments: equal definitions resolve to equal ports.

    Built by PortMap only, from values it checked and normalized; nothing here
    checks them again. replace() gives a copy with some fields changed.
    """

    # The fields, in the order __init__ takes them and pickling stores them.
    __slots__ = (  # noqa: RUF023 - in the order of PortMap's arguments, not sorted
        "services",  # frozenset of declared services, pinned ones included
        "envs",  # frozenset of declared environments, or None: each env on its own
        "env",  # the environment of lookups that name none
        "namespace",  # the key space, or None for the shared one
        "port_range",  # (low, high), inclusive
        "exclude",  # the map's own excluded intervals, merged
        "pins",  # {(service, env or None): port}; never changed once built
        "strict",
        "default_exclusions",
        "instances",
        "instance",
        # Resolved together above the home (overlay()), each env in this
        # instance's lane (see _resolver.lane_env).
        "overlay",
        # A live test run's (env, {service: port}), in the map load() gives
        # its processes (docs/configuration.md, "Inside a test run"); else None.
        "test_ports",
    )

    services: frozenset[str]
    envs: frozenset[str] | None
    env: str
    namespace: str | None
    port_range: tuple[int, int]
    exclude: tuple[tuple[int, int], ...]
    pins: "Mapping[PinKey, int]"
    strict: bool
    default_exclusions: bool
    instances: int
    instance: int
    overlay: frozenset[str]
    test_ports: "TestPorts | None"

    def __init__(self, *fields: object) -> None:
        # Positional, in __slots__ order: the fields of replace() and of a pickle.
        for name, value in zip(Definition.__slots__, fields, strict=True):
            object.__setattr__(self, name, value)

    def replace(self, **changes: object) -> "Definition":
        """A copy of this definition with the fields named in changes changed."""
        return Definition(*(changes.get(name, getattr(self, name)) for name in self.__slots__))

    def exclusions(self) -> tuple[tuple[int, int, str], ...]:
        """Every exclusion in force as (low, high, reason): the defaults, then the map's own."""
        own = tuple((low, high, OWN_EXCLUSION) for low, high in self.exclude)
        return (DEFAULT_EXCLUSIONS if self.default_exclusions else ()) + own

    def arguments(self) -> str:
        """The map's arguments as a call to PortMap writes them, only those not defaulted."""
        parts = [repr(sorted(self.services))]
        if self.envs is not None:
            parts.append(f"envs={sorted(self.envs)!r}")
        parts.append(f"env={self.env!r}")
        if self.namespace is not None:
            parts.append(f"namespace={self.namespace!r}")
        parts.append(f"port_range={self.port_range!r}")
        if self.exclude:
            parts.append(f"exclude={list(self.exclude)!r}")
        if self.pins:
            pins = {key[0] if key[1] is None else key: port for key, port in self.pins.items()}
            parts.append(f"pins={pins!r}")
        if self.strict:
            parts.append("strict=True")
        if not self.default_exclusions:
            parts.append("default_exclusions=False")
        if self.instances:
            parts.append(f"instances={self.instances}")
        if self.instance:
            parts.append(f"instance={self.instance}")
        return ", ".join(parts)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Definition is immutable: use replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        message = "a Definition is immutable"
        raise AttributeError(message)

    def __reduce__(self) -> "tuple[type[Definition], tuple[object, ...]]":
        return Definition, tuple(getattr(self, name) for name in self.__slots__)

    def _key(self) -> tuple[object, ...]:
        # Every field, the mappings as sets of their items (a dict is not hashable).
        test_ports = self.test_ports
        return (
            *(getattr(self, name) for name in self.__slots__ if name not in _MAPPINGS),
            frozenset(self.pins.items()),
            None if test_ports is None else (test_ports[0], frozenset(test_ports[1].items())),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Definition):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Definition({self.arguments()}, overlay={sorted(self.overlay)!r})"
