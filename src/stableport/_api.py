"""The module-level port_for and its process-wide default map."""

from ._config import load
from ._portmap import PortMap

_LOOKUP_CACHE_SIZE = 4096
_lookups: dict[tuple[object, object], int] = {}
_default_map: list[PortMap] = []


def default_map() -> PortMap:
    """The process-wide map: the project's configuration, loaded on first use."""
    if not _default_map:
        _default_map.append(load())
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
    """Forget the default map, so the next lookup reads the configuration and environment again."""
    _default_map.clear()
    _lookups.clear()
