"""Project configuration: find, parse and validate the declared port map."""

import os
import sys

from ._errors import ConfigError, StableportError
from ._names import normalize_name
from ._portmap import PortMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ._ports import PinKey

CONFIG_VARIABLE = "STABLEPORT_CONFIG"
ENV_VARIABLE = "STABLEPORT_ENV"
NAMESPACE_VARIABLE = "STABLEPORT_NAMESPACE"
PINS_VARIABLE = "STABLEPORT_PINS"
STANDALONE_NAME = "stableport.toml"
PYPROJECT_NAME = "pyproject.toml"

# Key -> (PortMap argument, what the value must be).
KEYS = {
    "services": ("services", "an array of service names"),
    "range": ("port_range", "an array of two integers [low, high]"),
    "env": ("env", "an environment name (a string)"),
    "namespace": ("namespace", "a namespace name (a string)"),
    "envs": ("envs", "an array of environment names"),
    "exclude": ("exclude", "an array of ports and [low, high] ranges"),
    "pins": ("pins", "a table of service (or 'service@env') = port"),
    "strict": ("strict", "true or false"),
    "default_exclusions": ("default_exclusions", "true or false"),
    "algorithm": ("algorithm", "the integer 1"),
}


def load(path: "str | os.PathLike[str] | None" = None) -> PortMap:
    """The project's PortMap: from path, $STABLEPORT_CONFIG or discovery, plus overrides.

    Reads the keys of a ``stableport.toml`` (at its top level) or of a
    ``pyproject.toml``'s ``[tool.stableport]`` table, then applies
    $STABLEPORT_ENV, $STABLEPORT_NAMESPACE and $STABLEPORT_PINS on top.
    Without path or $STABLEPORT_CONFIG, the first such file from the working
    directory upward is used; with none found, the built-in defaults.

    Args:
        path: The configuration file to read, instead of $STABLEPORT_CONFIG
            and discovery.

    Returns:
        A new PortMap each call; stableport.port_for() keeps the first.

    Raises:
        ConfigError: The file is missing, unreadable, not UTF-8 or not TOML,
            holds an unknown key or a value of the wrong shape, or a
            STABLEPORT_* variable is invalid. The message names the file (or
            variable), the key and what is allowed.
        StableportError: Any error PortMap raises for the values read, such as
            PinConflictError.

    Example:
        In a project whose ``stableport.toml`` declares
        ``services = ["billing", "auth"]`` and ``env = "dev"``:

        >>> import stableport
        >>> pm = stableport.load()
        >>> pm.services, pm.env
        (('auth', 'billing'), 'dev')
        >>> pm.port_for("billing") == stableport.load("stableport.toml").port_for("billing")
        True
    """
    return load_with_origin(path)[0]


class Origin:
    """Where a loaded map came from: its file, and what the environment overrode."""

    __slots__ = ("env_override", "namespace_override", "path", "pin_overrides", "replaced_pins")

    def __init__(self, path: str | None) -> None:
        self.path = path  # the configuration file, or None for the built-in defaults
        self.env_override: str | None = None  # $STABLEPORT_ENV, when set
        self.namespace_override: str | None = None  # $STABLEPORT_NAMESPACE, when set
        self.pin_overrides: dict[PinKey, int] = {}  # pins from $STABLEPORT_PINS
        self.replaced_pins: dict[PinKey, int] = {}  # the file's pins those replaced


def load_with_origin(
    path: "str | os.PathLike[str] | None" = None, namespace: str | None = None
) -> "tuple[PortMap, Origin]":
    """load(), and where the map came from (for the command line's list and check).

    namespace is the command line's --namespace: it wins over $STABLEPORT_NAMESPACE,
    which wins over the file's key, as --env and $STABLEPORT_ENV do for env.
    """
    environ = os.environ
    if path is None and environ.get(CONFIG_VARIABLE) is not None:
        path = _named_by_variable(environ[CONFIG_VARIABLE])
    if path is not None:
        found: str | None = os.fspath(path)
        settings = read_settings(os.fspath(path))
    else:
        found, document = discover(os.getcwd())
        settings = {} if found is None else read_settings(found, document)
    origin = Origin(None if found is None else os.path.abspath(found))
    label = str(found) if found is not None else "the built-in defaults"
    if environ.get(ENV_VARIABLE) is not None:
        value = origin.env_override = environ[ENV_VARIABLE]
        try:
            settings["env"] = normalize_name(value, "environment name", ENV_VARIABLE)
        except StableportError as error:
            raise ConfigError(f"{ENV_VARIABLE}={value!r}: {error}") from None
    if namespace is not None:
        settings["namespace"] = _namespace(namespace, "--namespace")
    elif environ.get(NAMESPACE_VARIABLE) is not None:
        value = origin.namespace_override = environ[NAMESPACE_VARIABLE]
        settings["namespace"] = _namespace(value, NAMESPACE_VARIABLE)
    if environ.get(PINS_VARIABLE) is not None:
        pins = dict(settings.get("pins", {}))  # type: ignore[call-overload]
        for key, port in parse_pin_overrides(environ[PINS_VARIABLE]).items():
            pin_key = (key, None) if isinstance(key, str) else key
            origin.pin_overrides[pin_key] = port
            if key in pins:
                origin.replaced_pins[pin_key] = pins[key]
            pins[key] = port
        settings["pins"] = pins
        label = f"{label} with {PINS_VARIABLE}"
    try:
        return PortMap(**settings), origin  # type: ignore[arg-type]
    except StableportError as error:
        raise ConfigError(f"{label}: {error}") from error


def discover(start: str) -> "tuple[str | None, dict[str, object] | None]":
    """The first stableport.toml, or pyproject.toml with [tool.stableport], from start upward.

    Returns the path and, for a pyproject.toml, its parsed document, so the file
    is parsed once.
    """
    # os.path, not pathlib: pathlib imports re, which would double startup cost.
    for directory in _upward(start):
        standalone = os.path.join(directory, STANDALONE_NAME)
        if os.path.isfile(standalone):
            return standalone, None
        pyproject = os.path.join(directory, PYPROJECT_NAME)
        if os.path.isfile(pyproject):
            document = _stableport_document(pyproject)
            if document is not None:
                return pyproject, document
    return None, None


def _upward(start: str) -> "Iterator[str]":
    directory = os.path.abspath(start)
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def read_settings(path: str, document: "dict[str, object] | None" = None) -> dict[str, object]:
    """PortMap keyword arguments from a stableport.toml or a pyproject.toml's table."""
    if document is None:
        document = _parse(path)
    if os.path.basename(path) == PYPROJECT_NAME:
        tool = document.get("tool", {})
        table = tool.get("stableport") if isinstance(tool, dict) else None
        if table is None:
            raise ConfigError(f"{path}: no [tool.stableport] table; add one or name another file")
        where = "[tool.stableport]"
    else:
        table, where = document, "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table of stableport settings")
    return _settings(table, path, where)


def parse_pin_overrides(value: str) -> "dict[str | tuple[str, str], int]":
    """Pins from STABLEPORT_PINS: 'billing=8001,auth@test=8002'."""
    pins: dict[str | tuple[str, str], int] = {}
    spelled: dict[str | tuple[str, str], str] = {}
    for entry in value.split(","):
        key, equals, port = (part.strip() for part in entry.partition("="))
        if not equals or not key or not port.isdigit() or not port.isascii():
            raise ConfigError(
                f"{PINS_VARIABLE}={value!r}: entry {entry.strip()!r} is not 'service=port' "
                f"or 'service@env=port'; separate entries with commas"
            )
        pin = _pin_key(key, f"{PINS_VARIABLE}={value!r}")
        if pin in pins:
            # As in the file: two entries for one pin are a mistake, not "last wins".
            raise ConfigError(
                f"{PINS_VARIABLE}={value!r}: entries {spelled[pin]!r} and {entry.strip()!r} "
                f"pin the same service and environment; keep one"
            )
        pins[pin], spelled[pin] = int(port), entry.strip()
    return pins


def _settings(table: "Mapping[str, object]", path: str, where: str) -> dict[str, object]:
    settings: dict[str, object] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key {key!r} in {where}{_suggestion(key)}")
        argument, expected = KEYS[key]
        if not _has_shape(key, value):
            raise ConfigError(
                f"{path}: key {key!r} in {where} must be {expected}, not {_toml_repr(value)}"
            )
        settings[argument] = _converted(key, value, path, where)
    return settings


def _namespace(value: str, source: str) -> str:
    """A namespace normalized as a name; InvalidNameError names the value and source."""
    return normalize_name(value, "namespace", source)


def _converted(key: str, value: object, path: str, where: str) -> object:
    """TOML arrays become the tuples PortMap takes; pin keys are split and normalized."""
    if key == "pins":
        return _file_pins(value, path, where)  # type: ignore[arg-type]
    if key == "exclude":
        return [tuple(item) if isinstance(item, list) else item for item in value]  # type: ignore[attr-defined]
    if key == "range":
        return tuple(value)  # type: ignore[arg-type]
    if key == "namespace":
        return _namespace(value, f"key 'namespace' in {where} of {path}")  # type: ignore[arg-type]
    return value


def _has_shape(key: str, value: object) -> bool:
    """TOML-level shape only; PortMap checks values and ranges with its own messages."""
    shapes = {
        "services": lambda: isinstance(value, list) and all(isinstance(v, str) for v in value),
        "envs": lambda: isinstance(value, list) and all(isinstance(v, str) for v in value),
        "range": lambda: isinstance(value, list) and len(value) == 2,
        "exclude": lambda: (
            isinstance(value, list)
            and all(isinstance(v, (int, list)) and not isinstance(v, bool) for v in value)
        ),
        "pins": lambda: isinstance(value, dict),
        "env": lambda: isinstance(value, str),
        "namespace": lambda: isinstance(value, str),
        "strict": lambda: isinstance(value, bool),
        "default_exclusions": lambda: isinstance(value, bool),
        "algorithm": lambda: isinstance(value, int) and not isinstance(value, bool),
    }
    return shapes[key]()


def _file_pins(
    table: "Mapping[str, object]", path: str, where: str
) -> "dict[str | tuple[str, str], object]":
    pins: dict[str | tuple[str, str], object] = {}
    spelled: dict[str | tuple[str, str], str] = {}
    for text, port in table.items():
        key = _pin_key(text, f"{path}: pins.{text!r} in {where}")
        if key in pins:
            raise ConfigError(
                f"{path}: pins {spelled[key]!r} and {text!r} in {where} pin the same "
                f"service and environment; keep one"
            )
        pins[key], spelled[key] = port, text
    return pins


def _pin_key(text: str, where: str = PINS_VARIABLE) -> "str | tuple[str, str]":
    """'service' or 'service@env', normalized, so overrides replace file pins."""
    service, at, env = text.partition("@")
    try:
        service = normalize_name(service, "service name")
        return (service, normalize_name(env, "environment name")) if at else service
    except StableportError as error:
        raise ConfigError(f"{where}: {error}") from None


def _suggestion(key: str) -> str:
    import difflib  # noqa: PLC0415 - only when reporting an unknown key

    close = difflib.get_close_matches(key, KEYS, n=1)
    allowed = ", ".join(KEYS)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {allowed})"


def _toml_repr(value: object) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


def _named_by_variable(value: str) -> str:
    if not value or not os.path.isfile(value):
        raise ConfigError(
            f"{CONFIG_VARIABLE}={value!r} names no file; point it at a stableport.toml "
            f"or a pyproject.toml with a [tool.stableport] table, or unset it"
        )
    return value


def _stableport_document(pyproject: str) -> "dict[str, object] | None":
    """The parsed pyproject.toml if it has a [tool.stableport] table, else None."""
    # A byte check first: most pyproject.toml files never mention stableport,
    # and skipping them keeps the TOML parser out of the process entirely.
    data = _read_bytes(pyproject)
    if b"stableport" not in data:
        return None
    document = _parse(pyproject, data)
    tool = document.get("tool")
    return document if isinstance(tool, dict) and "stableport" in tool else None


def _parse(path: str, data: bytes | None = None) -> dict[str, object]:
    if data is None:
        data = _read_bytes(path)
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415 - only for projects that have a config
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    try:
        text = data.decode()
        document: dict[str, object] = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return document


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise ConfigError(f"cannot read {path!r}: {error.strerror or error}") from None
