"""Pins: ports fixed by hand, checked in one place whatever their source.

Three sources spell a pin three ways: PortMap's argument ({"billing": 8001,
("auth", "test"): 8002}), a file's table and STABLEPORT_PINS ('billing=8001,
auth@test=8002'). Each becomes one form, a PinTable keyed by (service, env or
None), through checked_pins, so pins with the same mistakes raise the same
error from any source; portmap_pins turns a table back into PortMap's argument.
"""

from ._errors import (
    ConfigError,
    InvalidNameError,
    InvalidTypeError,
    PinConflictError,
    StableportError,
    excerpt,
)
from ._names import normalize_name
from ._port_numbers import MAX_PORT, MIN_PORT, check_port

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    PinKey = tuple[str, str | None]
    PinTable = dict[PinKey, tuple[int, str]]  # each pin's port, and how its source names it

PINS_VARIABLE = "STABLEPORT_PINS"


def check_pins(
    value: object, what: str = "pins", labels: "Mapping[object, str] | None" = None
) -> "dict[PinKey, int]":
    """Return pins keyed by (service, env or None); raise on a bad key, port or conflict.

    labels names each key as its source wrote it (a file's 'auth@test'); by
    default a key is named as Python spells it, pins[('auth', 'test')].
    """
    items = getattr(value, "items", None)
    if items is None:
        raise InvalidTypeError(
            f"{what} must be a mapping of service (or (service, env)) to port; got {excerpt(value)}"
        )

    def keyed() -> "Iterator[tuple[PinKey, object, str]]":
        # A generator: each key is normalized just before its port is checked.
        for raw_key, raw_port in items():
            label = labels[raw_key] if labels else f"{what}[{excerpt(raw_key)}]"
            yield _pin_key(raw_key, label), raw_port, label

    return {key: port for key, (port, _) in checked_pins(keyed()).items()}


def checked_pins(
    entries: "Iterable[tuple[PinKey, object, str]]",
) -> "dict[PinKey, tuple[int, str]]":
    """Pins from (key, port, label) entries, each checked in turn; keyed by pin, with labels.

    For each entry: its port, whether its key is already pinned, then whether its
    port is pinned to another service (one service may have one port in several
    environments). PortMap and the configuration loader both check pins here, so
    pins with several mistakes raise the same error from either.
    """
    pins: dict[PinKey, tuple[int, str]] = {}
    owners: dict[int, tuple[str, str]] = {}
    for key, raw_port, label in entries:
        port = check_port(raw_port, label, PinConflictError)
        if key in pins:
            # Two entries for one pin are a mistake, not "last wins".
            raise PinConflictError(
                f"{pins[key][1]} and {label} pin the same service and environment; keep one"
            )
        owner = owners.get(port)
        if owner is not None and owner[0] != key[0]:
            raise PinConflictError(
                f"{label} pins {key[0]!r} to port {port}, which {owner[1]} already "
                f"pins to {owner[0]!r}; a port can be pinned to one service only"
            )
        pins[key] = (port, label)
        owners.setdefault(port, (key[0], label))
    return pins


def pin_table(entries: "Iterable[tuple[str, object, str]]") -> "PinTable":
    """(text, port, label) entries as pins by (service, env), each checked in turn as PortMap does.

    text is 'service' or 'service@env' as written, label how a message names
    the entry. File pins and STABLEPORT_PINS both come through here.
    """

    def keyed() -> "Iterator[tuple[PinKey, object, str]]":
        # A generator: each entry's names are checked just before its port (spec section 7).
        for text, port, label in entries:
            service, at, env = text.partition("@")
            key = (
                normalize_name(service, "service name", label),
                normalize_name(env, "environment name", label) if at else None,
            )
            yield key, port, label

    return checked_pins(keyed())


def portmap_pins(pins: "PinTable") -> "dict[str | tuple[str, str], int]":
    """PortMap's pins argument from a pin table, checked with each pin named by its label."""
    argument: dict[str | tuple[str, str], object] = {}
    labels: dict[object, str] = {}
    for (service, env), (port, label) in pins.items():
        key = service if env is None else (service, env)
        argument[key], labels[key] = port, label
    checked = check_pins(argument, labels=labels)
    return {
        service if env is None else (service, env): port for (service, env), port in checked.items()
    }


def pin_keys(pins: "Mapping[str | tuple[str, str], int]") -> "dict[PinKey, int]":
    """PortMap's pins argument, already checked, keyed by (service, env) as a pin table is."""
    return {(key, None) if isinstance(key, str) else key: port for key, port in pins.items()}


def parse_pin_overrides(value: str) -> "dict[PinKey, tuple[int, str]]":
    """Pins from STABLEPORT_PINS: 'billing=8001,auth@test=8002'."""
    entries = []
    for entry in value.split(","):
        label = f"{PINS_VARIABLE} entry {excerpt(entry.strip())}"
        key, equals, port = (part.strip() for part in entry.partition("="))
        if not equals or not key or not port.isdigit() or not port.isascii():
            raise ConfigError(
                f"{label} is not 'service=port' or 'service@env=port'; separate entries with commas"
            )
        if len(port.lstrip("0")) > len(str(MAX_PORT)):
            # No port is that long; int() of thousands of digits is slow, or an error.
            raise ConfigError(f"{label} is outside the valid ports {MIN_PORT}-{MAX_PORT}")
        entries.append((key, int(port), label))
    try:
        return pin_table(entries)
    except StableportError as error:
        raise ConfigError(str(error)) from error


def format_pin_key(key: "PinKey") -> str:
    """The 'service' or 'service@env' spelling of a pin key."""
    return key[0] if key[1] is None else f"{key[0]}@{key[1]}"


def _pin_key(raw: object, label: str) -> "PinKey":
    if isinstance(raw, tuple):
        if len(raw) != 2:
            raise InvalidTypeError(f"{label}: a pin key is a service or a (service, env) pair")
        return (
            normalize_name(raw[0], "service name", label),
            normalize_name(raw[1], "environment name", label),
        )
    if isinstance(raw, str) and "@" in raw:
        service, _, env = raw.partition("@")
        raise InvalidNameError(
            f"{label}: pin keys in Python are a service or a (service, env) pair; "
            f"write ({service!r}, {env!r}) to pin {service!r} in environment {env!r}"
        )
    return normalize_name(raw, "service name", label), None
