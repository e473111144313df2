"""Validation of port numbers, ranges, exclusions and pins."""

from ._errors import InvalidNameError, InvalidTypeError, PinConflictError, PortRangeError, excerpt
from ._names import normalize_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    PinKey = tuple[str, str | None]

MIN_PORT = 1
MAX_PORT = 65535


def check_port(value: object, what: str, error: type[ValueError] = PortRangeError) -> int:
    """Return value if it is an int port in 1-65535; raise naming what it is otherwise."""
    # bool is an int subclass, but True as a port is always a mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidTypeError(
            f"{what} must be an int port, not {type(value).__name__}: {excerpt(value)}"
        )
    if not MIN_PORT <= value <= MAX_PORT:
        raise error(f"{what} is {excerpt(value)}, outside the valid ports {MIN_PORT}-{MAX_PORT}")
    return value


def check_range(value: object, what: str = "port_range") -> tuple[int, int]:
    """Return an inclusive (low, high) range; raise naming the bad part otherwise."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidTypeError(
            f"{what} must be two ints (low, high), inclusive; got {excerpt(value)}"
        )
    low = check_port(value[0], f"{what} low end")
    high = check_port(value[1], f"{what} high end")
    if low > high:
        raise PortRangeError(
            f"{what} {low}-{high} is reversed: its low end must not exceed its high end"
        )
    return low, high


def check_exclusions(value: object, what: str = "exclude") -> tuple[tuple[int, int], ...]:
    """Return exclusions as sorted, merged inclusive (low, high) intervals."""
    if isinstance(value, (str, bytes)) or not _is_iterable(value):
        raise InvalidTypeError(
            f"{what} must be a list of ports and (low, high) ranges; got {excerpt(value)}"
        )
    intervals = []
    items: Iterable[object] = value  # type: ignore[assignment]  # iterability checked above
    for index, item in enumerate(items):
        if isinstance(item, (tuple, list)):
            intervals.append(check_range(item, f"{what}[{index}]"))
        else:
            port = check_port(item, f"{what}[{index}]")
            intervals.append((port, port))
    return merge_intervals(intervals)


def merge_intervals(intervals: "Iterable[tuple[int, int]]") -> tuple[tuple[int, int], ...]:
    """Sort inclusive intervals and join those that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


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


def _is_iterable(value: object) -> bool:
    return hasattr(value, "__iter__")
