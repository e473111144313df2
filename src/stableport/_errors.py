"""The exceptions stableport raises: one base, each leaf also a builtin."""

# Every error carries its whole message as its only argument, so it pickles
# unchanged across processes (pytest-xdist workers, multiprocessing).


class StableportError(Exception):
    """Base class of every error stableport raises."""


class InvalidTypeError(StableportError, TypeError):
    """An argument has the wrong type (a name that is not a str, a port that is not an int)."""


class InvalidNameError(StableportError, ValueError):
    """A service or environment name is empty, too long or holds a forbidden character."""


class PortRangeError(StableportError, ValueError):
    """A port range or exclusion lies outside 1-65535, is reversed, or leaves no port."""


class RangeExhaustedError(PortRangeError):
    """More services claim ports than the range has free ports."""


class PinConflictError(StableportError, ValueError):
    """Two services are pinned to one port, or a pin lies outside 1-65535."""


class UnknownServiceError(StableportError, LookupError):
    """A strict map was asked for a service it does not declare."""


class AlgorithmVersionError(StableportError, ValueError):
    """An algorithm version other than the ones this release implements was requested."""


class HashFunctionError(StableportError, RuntimeError):
    """The installed xxhash computes xxh3_64 differently from the v1 spec."""


class ConfigError(StableportError, ValueError):
    """A configuration file or variable is missing, unreadable or invalid."""
