"""Bounded, one-line quotations of the values and paths that error messages name."""

# A message names the value that is wrong, but a 1 MB variable, a 4,000-digit
# integer or an array nested 500 deep must not become a 1 MB, unprintable or
# crashing message: every value is quoted through excerpt(), paths through shown().

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

EXCERPT_LENGTH = 60
PATH_LENGTH = 240

_repr: "list[Callable[[object], str]]" = []  # made on first use: error paths only


def excerpt(value: object) -> str:
    """repr(value), cut to a bounded length at every level of nesting; always one line."""
    if type(value) is str and len(value) <= EXCERPT_LENGTH:
        return repr(value)  # the common case, without importing reprlib
    if type(value) is int and -(10**18) < value < 10**18:
        return repr(value)
    if not _repr:
        _repr.append(_make_repr())
    return _repr[0](value)


def shown(path: str, *, quoted: bool = False) -> str:
    """A path as a message shows it: as is (or quoted), quoted anyway if it needs escapes."""
    if path.isprintable() and len(path) <= PATH_LENGTH and not quoted:
        return path
    if len(path) <= PATH_LENGTH:
        return repr(path)
    half = PATH_LENGTH // 2
    return repr(path[:half]) + "..." + repr(path[-half:])


def _make_repr() -> "Callable[[object], str]":
    import reprlib  # noqa: PLC0415 - only when a message quotes a long or odd value

    class Excerpt(reprlib.Repr):
        def repr_int(self, x: int, level: int) -> str:
            # str() of an int over 4,300 digits raises; its size is what matters.
            if x.bit_length() > 128:
                return f"<an integer of about {int(x.bit_length() * 0.30103) + 1} digits>"
            return super().repr_int(x, level)

    quoting = Excerpt()
    quoting.maxstring = quoting.maxother = EXCERPT_LENGTH
    quoting.maxlong = 40
    return quoting.repr
