"""The module-level port_for and its process-wide default map."""

import os

from ._names import normalize_name
from ._portmap import PortMap

ENV_VARIABLE = "STABLEPORT_ENV"

_LOOKUP_CACHE_SIZE = 4096
_lookups: dict[tuple[object, object], int] = {}
_default_map: list[PortMap] = []


def default_map() -> PortMap:
    """The process-wide map, built on first use from the environment."""
    if not _default_map:
        value = os.environ.get(ENV_VARIABLE)
        env = None if value is None else normalize_name(value, "environment name", ENV_VARIABLE)
        _default_map.append(PortMap(env=env))
    return _default_map[0]


def port_for(name: str, env: str | None = None) -> int:
    """The stable port of service name in env (default: $STABLEPORT_ENV, else 'default')."""
    try:
        return _lookups[name, env]
    except (KeyError, TypeError):  # TypeError: an unhashable name, rejected below
        pass
    port = default_map().port_for(name, env)
    if len(_lookups) < _LOOKUP_CACHE_SIZE:
        _lookups[name, env] = port
    return port


def reload() -> None:
    """Forget the default map, so the next lookup reads the environment again."""
    _default_map.clear()
    _lookups.clear()
