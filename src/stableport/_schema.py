"""A configuration's schema: each key, the PortMap argument it gives, what it must be.

KEYS holds every key once, with its check; settings() turns a table of them
into PortMap's keyword arguments, each error naming the key as the file
spells it. Finding, reading and parsing the file is _files' job; what the
flags and STABLEPORT_* variables change, _config's (overridden). Imported
only when a file is read: a project without one, and `import stableport`,
load none of it.
"""

from ._errors import ConfigError, StableportError, excerpt, shown
from ._files import MAX_CONFIG_BYTES, parse, stableport_table
from ._pins import pin_table
from ._port_numbers import check_exclusions, check_range
from ._portmap import MAX_INSTANCES, check_algorithm

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypedDict

    class Settings(TypedDict, total=False):
        """PortMap's keyword arguments, as a configuration gives them."""

        services: list[str]
        envs: list[str]
        env: str
        namespace: str
        port_range: tuple[int, int]
        exclude: tuple[tuple[int, int], ...]
        pins: dict[str | tuple[str, str], int]
        strict: bool
        default_exclusions: bool
        algorithm: int
        instances: int
        instance: int


# A value of another TOML type than the key takes: reported with the key's
# expected shape, from KEYS.
_WRONG_SHAPE = object()


def _strings(value: object, _key: str) -> object:
    """An array of names: PortMap normalizes each, naming it key[index] as the file does."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return _WRONG_SHAPE


def _string(value: object, _key: str) -> object:
    return value if isinstance(value, str) else _WRONG_SHAPE


def _boolean(value: object, _key: str) -> object:
    return value if isinstance(value, bool) else _WRONG_SHAPE


def _algorithm(value: object, _key: str) -> object:
    if type(value) is not int:
        return _WRONG_SHAPE
    check_algorithm(value)
    return value


def _instances(value: object, _key: str) -> object:
    """An integer: PortMap checks its bounds, after the names before it (spec section 7)."""
    return value if type(value) is int else _WRONG_SHAPE


def _range(value: object, key: str) -> object:
    """[low, high], checked here so its errors say range, not PortMap's port_range."""
    if isinstance(value, list) and len(value) == 2:
        return check_range(value, key)
    return _WRONG_SHAPE


def _exclusions(value: object, key: str) -> object:
    if isinstance(value, list) and all(type(item) in (int, list) for item in value):
        return check_exclusions(value, key)
    return _WRONG_SHAPE


def _pins(value: object, key: str) -> object:
    """A table of 'service' or 'service@env' = port, each pin named as the file writes it."""
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value):
        return _WRONG_SHAPE
    entries = ((text, port, f"{key}[{excerpt(text)}]") for text, port in value.items())
    return {
        service if env is None else (service, env): port
        for (service, env), (port, _) in pin_table(entries).items()
    }


# Every key of a configuration, once: key -> (its PortMap argument, what its
# value must be, and the conversion that returns the argument's value or
# _WRONG_SHAPE). A conversion's own errors name the key as the file spells it;
# those whose PortMap check would name it otherwise (range, pins) or would come
# too late (algorithm, exclude) check here. In the order PortMap checks its
# arguments, so a table with several mistakes reports the one PortMap would,
# whatever the order of the file.
KEYS: "dict[str, tuple[str, str, Callable[[object, str], object]]]" = {
    "algorithm": ("algorithm", "the integer 1", _algorithm),
    "strict": ("strict", "true or false", _boolean),
    "default_exclusions": ("default_exclusions", "true or false", _boolean),
    "range": ("port_range", "an array of two integers [low, high]", _range),
    "exclude": ("exclude", "an array of ports and [low, high] ranges", _exclusions),
    "pins": ("pins", "a table of service (or 'service@env') = port", _pins),
    "env": ("env", "an environment name (a string)", _string),
    "namespace": ("namespace", "a namespace name (a string)", _string),
    "instances": ("instances", f"an integer from 0 to {MAX_INSTANCES}", _instances),
    "envs": ("envs", "an array of environment names", _strings),
    "services": ("services", "an array of service names", _strings),
}


def settings(table: "Mapping[str, object]", source: str, where: str) -> "Settings":
    """PortMap keyword arguments from a table of configuration keys.

    source names the table's origin in messages (a file's path); where, the
    table within it ("[tool.stableport]", "the top level").
    """
    unknown = next((key for key in table if key not in KEYS), None)
    if unknown is not None:
        raise ConfigError(
            f"{source}: unknown key {excerpt(unknown)} in {where}{_suggestion(unknown)}"
        )
    arguments: dict[str, object] = {}
    for key, (argument, expected, convert) in KEYS.items():
        if key not in table:
            continue
        value = table[key]
        try:
            converted = convert(value, key)
        except StableportError as error:
            # Caused by PortMap's own kind of error: a bad range is a PortRangeError too.
            raise ConfigError(f"{source}: {error}") from error
        if converted is _WRONG_SHAPE:
            raise ConfigError(
                f"{source}: key {key!r} in {where} must be {expected}, not {_toml_repr(value)}"
            )
        arguments[argument] = converted
    # Each key is one of Settings' (KEYS' arguments), of the type its conversion checked.
    return arguments  # type: ignore[return-value]


def read_settings(path: str, document: "dict[str, object] | None" = None) -> "Settings":
    """PortMap keyword arguments from a stableport.toml or a pyproject.toml's table."""
    table, where = stableport_table(path, parse(path) if document is None else document)
    return settings(table, shown(path), where)


def _suggestion(key: str) -> str:
    import difflib  # noqa: PLC0415 - only when reporting an unknown key

    close = difflib.get_close_matches(key, KEYS, n=1)
    allowed = ", ".join(sorted(KEYS))
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {allowed})"


def _toml_repr(value: object) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return f"{kind.get(type(value), type(value).__name__)} {excerpt(value)}"


def settings_of(path: str, data: bytes) -> "Settings":
    """What load would read from path if it held data: its size limit, TOML and keys.

    init checks what it is about to write with this, before writing a byte.
    """
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{shown(path)}: it would be {len(data):,} bytes, over {MAX_CONFIG_BYTES:,}, "
            f"the most stableport reads of a configuration file"
        )
    return read_settings(path, parse(path, data))
