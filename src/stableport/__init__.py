"""Stable ports for services: hashed from the name, the same everywhere, forever."""

from ._api import load, port_for, reload
from ._defaults import ALGORITHM_VERSION, DEFAULT_ENV, DEFAULT_RANGE
from ._errors import (
    AlgorithmVersionError,
    ConfigError,
    HashFunctionError,
    InstanceError,
    InvalidNameError,
    InvalidTypeError,
    PinConflictError,
    PortRangeError,
    RangeExhaustedError,
    StableportError,
    UnknownServiceError,
)
from ._portmap import PortMap
from ._version import __version__

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_ENV",
    "DEFAULT_RANGE",
    "AlgorithmVersionError",
    "ConfigError",
    "HashFunctionError",
    "InstanceError",
    "InvalidNameError",
    "InvalidTypeError",
    "PinConflictError",
    "PortMap",
    "PortRangeError",
    "RangeExhaustedError",
    "StableportError",
    "UnknownServiceError",
    "__version__",
    "load",
    "port_for",
    "reload",
]
