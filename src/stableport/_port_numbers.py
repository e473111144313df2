"""Validation of port numbers, ranges and exclusions (pins: _pins)."""

from ._errors import InvalidTypeError, PortRangeError, excerpt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


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


def _is_iterable(value: object) -> bool:
    return hasattr(value, "__iter__")
