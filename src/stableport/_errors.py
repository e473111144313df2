"""The exceptions stableport raises: one base, each leaf also a builtin; how they quote."""

import os

# Every error carries its whole message as its only argument, so it pickles
# unchanged across processes (pytest-xdist workers, multiprocessing).


class StableportError(Exception):
    """Base class of every error stableport raises.

    Every message is one line that names the value, where it came from (an
    argument, a file and key, a variable or an option) and what is allowed.
    Each subclass is also the builtin exception it resembles, so code that
    catches ValueError or TypeError keeps working.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(["billing"], strict=True).port_for("auth")
        ... except stableport.StableportError as error:
        ...     print(type(error).__name__)
        UnknownServiceError
    """


class InvalidTypeError(StableportError, TypeError):
    """An argument has the wrong type (a name that is not a str, a port that is not an int).

    Also a TypeError.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.port_for(8001)
        ... except TypeError as error:
        ...     print(type(error).__name__)
        InvalidTypeError
    """


class InvalidNameError(StableportError, ValueError):
    """A service or environment name is empty, too long or holds a forbidden character.

    Also a ValueError; raised too for a name declared twice (names are
    compared casefolded).

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.port_for("")
        ... except ValueError as error:
        ...     print(type(error).__name__)
        InvalidNameError
    """


class PortRangeError(StableportError, ValueError):
    """A port range or exclusion lies outside 1-65535, is reversed, or leaves no port.

    Also a ValueError.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(port_range=(30000, 20000))
        ... except ValueError as error:
        ...     print(type(error).__name__)
        PortRangeError
    """


class RangeExhaustedError(PortRangeError):
    """More services claim ports than the range has free ports.

    A PortRangeError (so also a ValueError): widen port_range, or declare fewer
    services or environments.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(["a", "b"], port_range=(20001, 20001))
        ... except stableport.PortRangeError as error:
        ...     print(type(error).__name__)
        RangeExhaustedError
    """


class PinConflictError(StableportError, ValueError):
    """Two services are pinned to one port, or a pin lies outside 1-65535.

    Also a ValueError.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(pins={"billing": 8001, "auth": 8001})
        ... except ValueError as error:
        ...     print(type(error).__name__)
        PinConflictError
    """


class UnknownServiceError(StableportError, LookupError):
    """A strict map was asked for a service it does not declare.

    Also a LookupError.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(["billing"], strict=True).port_for("auth")
        ... except LookupError as error:
        ...     print(type(error).__name__)
        UnknownServiceError
    """


class AlgorithmVersionError(StableportError, ValueError):
    """An algorithm version other than the ones this release implements was requested.

    Also a ValueError.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(algorithm=2)
        ... except ValueError as error:
        ...     print(type(error).__name__)
        AlgorithmVersionError
    """


class HashFunctionError(StableportError, RuntimeError):
    """The installed xxhash computes xxh3_64 differently from the v1 spec.

    Also a RuntimeError. Raised by the first map a process builds, before any
    port is computed: ports from such a build would differ from everyone
    else's. Install an xxhash release that passes the spec's check values.
    """


class InstanceError(StableportError, ValueError):
    """An instance identity is not one of the instances the map declares room for.

    Also a ValueError. Instance 0 is the plain map; 1 up to ``instances`` are
    the checkouts that run side by side.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.PortMap(["web"], instances=2, instance=3)
        ... except ValueError as error:
        ...     print(type(error).__name__)
        InstanceError
    """


class ConfigError(StableportError, ValueError):
    """A configuration file or variable is missing, unreadable or invalid.

    Also a ValueError. The message names the file or variable, the key and what
    is allowed.

    Example:
        >>> import stableport
        >>> try:
        ...     stableport.load("no-such-stableport.toml")
        ... except ValueError as error:
        ...     print(type(error).__name__)
        ConfigError
    """


class PortCheckError(StableportError, OSError):
    """Whether a port is free cannot be checked: the OS refused a socket to check it with.

    Also an OSError. Raised by the live checks (``check --live``, ``ps``, the
    probe ``run`` makes before claiming a port, the pytest fixture's) when
    ``socket()`` fails for a reason other than the host lacking the address
    family: too many open files, say. A port that could not be checked is
    never called free; the message names the port, the OS error and what to do.
    """


# -- quoting values in messages ---------------------------------------------------

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# A message names the value that is wrong, but a 1 MB variable, a 4,000-digit
# integer or an array nested 500 deep must not become a 1 MB, unprintable or
# crashing message: every value is quoted through excerpt(), paths through shown().

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


def shown(path: str, *, quoted: bool = False, whole: bool = False) -> str:
    """A path as a message shows it: as is (or quoted), quoted anyway if it needs escapes.

    whole: never cut (for output, such as list's config line, where the path is the answer).
    """
    if path.isprintable() and (whole or len(path) <= PATH_LENGTH) and not quoted:
        return path
    if whole or len(path) <= PATH_LENGTH:
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


def path_text(path: "str | os.PathLike[str]") -> str:
    """A path in output: whole, quoted if it holds a newline or another unprintable character.

    A byte that is not UTF-8 (os.fsdecode's lone surrogate) is no reason: it goes
    out as the byte it was, as pwd writes it; a newline would forge a line.
    """
    text = os.fspath(path)
    if text.isprintable() or all(char.isprintable() or _undecoded(char) for char in text):
        return text
    return shown(text, whole=True)


def _undecoded(char: str) -> bool:
    """Whether char stands for a byte that was not UTF-8 (os.fsdecode's surrogateescape)."""
    return "\udc80" <= char <= "\udcff"
