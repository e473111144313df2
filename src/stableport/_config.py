"""Project configuration: find, parse and validate the declared port map."""

import os
import stat
import sys

from ._errors import (
    ConfigError,
    InvalidTypeError,
    StableportError,
    excerpt,
    shown,
)
from ._names import normalize_name
from ._portmap import MAX_INSTANCES, PortMap, check_algorithm, loaded_from
from ._ports import (
    MAX_PORT,
    MIN_PORT,
    check_exclusions,
    check_pins,
    check_range,
    checked_pins,
    format_pin_key,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from typing import TypedDict, cast

    from ._ports import PinKey

    PinTable = dict[PinKey, tuple[int, str]]  # each pin's port, and how its source names it

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

else:

    def cast(_kind, value):  # typing stays unimported at run time: it costs startup
        return value


CONFIG_VARIABLE = "STABLEPORT_CONFIG"
ENV_VARIABLE = "STABLEPORT_ENV"
NAMESPACE_VARIABLE = "STABLEPORT_NAMESPACE"
PINS_VARIABLE = "STABLEPORT_PINS"
INSTANCE_VARIABLE = "STABLEPORT_INSTANCE"
# The checkout's own identity, beside its configuration: written by
# `stableport instance new`, kept out of git by .git/info/exclude, never committed.
INSTANCE_FILE_NAME = ".stableport-instance"
STANDALONE_NAME = "stableport.toml"
PYPROJECT_NAME = "pyproject.toml"

# Far above any real configuration (a few kilobytes), far below trouble: a
# path to a huge or endless file fails at once instead of filling memory.
MAX_CONFIG_BYTES = 4 * 1024 * 1024

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
    return cast("Settings", arguments)


def pin_table(entries: "Iterable[tuple[str, object, str]]") -> "PinTable":
    """(text, port, label) entries as pins by (service, env), each checked in turn as PortMap does.

    text is 'service' or 'service@env' as written, label how a message names
    the entry. File pins and STABLEPORT_PINS both come through here.
    """

    def keyed() -> "Iterator[tuple[PinKey, object, str]]":
        # A generator: each entry's names are checked just before its port (spec section 7).
        for text, port, label in entries:
            service, at, env = text.partition("@")
            key = (
                normalize_name(service, "service name", label),
                normalize_name(env, "environment name", label) if at else None,
            )
            yield key, port, label

    return checked_pins(keyed())


def portmap_pins(pins: "PinTable") -> "dict[str | tuple[str, str], int]":
    """PortMap's pins argument from a pin table, checked with each pin named by its label."""
    argument: dict[str | tuple[str, str], object] = {}
    labels: dict[object, str] = {}
    for (service, env), (port, label) in pins.items():
        key = service if env is None else (service, env)
        argument[key], labels[key] = port, label
    checked = check_pins(argument, labels=labels)
    return {
        service if env is None else (service, env): port for (service, env), port in checked.items()
    }


def load(path: "str | bytes | os.PathLike[str] | os.PathLike[bytes] | None" = None) -> PortMap:
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
        A new PortMap each call (stableport.port_for() keeps the first); its
        config_path is the file read, or None for the built-in defaults.

    Raises:
        ConfigError: The file is missing, not a regular file, larger than
            MAX_CONFIG_BYTES, not UTF-8 or not TOML (or nested too deeply to
            parse), holds an unknown key, a value of the wrong shape or one
            PortMap refuses (then the error's ``__cause__`` is PortMap's own,
            such as PortRangeError), or a STABLEPORT_* variable is invalid. The
            message names the file (or variable), the key as written there and
            what is allowed.
        InvalidTypeError: path is not a str, bytes or os.PathLike.
        InvalidNameError: $STABLEPORT_NAMESPACE is not a valid name.

    Example:
        In a project whose ``stableport.toml`` declares
        ``services = ["billing", "auth"]`` and ``env = "dev"``:

        >>> import stableport
        >>> pm = stableport.load()
        >>> pm.services, pm.env, pm.config_path.name
        (('auth', 'billing'), 'dev', 'stableport.toml')
        >>> pm.port_for("billing") == stableport.load("stableport.toml").port_for("billing")
        True
    """
    return load_with_origin(path)[0]


class Origin:
    """Where a loaded map came from: its file, and what the environment overrode."""

    __slots__ = (
        "env_override",
        "instance_source",
        "namespace_override",
        "path",
        "pin_overrides",
        "replaced_pins",
    )

    def __init__(self, path: str | None) -> None:
        self.path = path  # the configuration file, or None for the built-in defaults
        self.env_override: str | None = None  # $STABLEPORT_ENV, when set
        self.namespace_override: str | None = None  # $STABLEPORT_NAMESPACE, when set
        self.pin_overrides: dict[PinKey, int] = {}  # pins from $STABLEPORT_PINS
        self.replaced_pins: dict[PinKey, int] = {}  # the file's pins those replaced
        # Where the instance came from: "--instance", the variable, or the identity
        # file's path; None for the plain map.
        self.instance_source: str | None = None


def load_with_origin(
    path: "str | bytes | os.PathLike[str] | os.PathLike[bytes] | None" = None,
    namespace: str | None = None,
    *,
    variables: bool = True,
    instance: str | None = None,
    start: str | None = None,
) -> "tuple[PortMap, Origin]":
    """load(), and where the map came from (for the command line's list and check).

    namespace is the command line's --namespace: it wins over $STABLEPORT_NAMESPACE,
    which wins over the file's key, as --env and $STABLEPORT_ENV do for env.
    instance is the command line's --instance: it wins over $STABLEPORT_INSTANCE,
    which wins over the checkout's .stableport-instance file.
    variables=False reads the file alone: no $STABLEPORT_ENV, _NAMESPACE, _PINS,
    _INSTANCE nor identity file.
    start is where discovery begins instead of the working directory (the
    pytest fixture's: its session's root directory).
    """
    environ = os.environ
    found: str | None
    config: Settings
    if path is None and environ.get(CONFIG_VARIABLE) is not None:
        path = _named_by_variable(environ[CONFIG_VARIABLE])
    if path is not None:
        found = _path_argument(path)
        config = read_settings(found)
    else:
        found, document = discover(working_directory() if start is None else start)
        config = {} if found is None else read_settings(found, document)
    origin = Origin(None if found is None else _absolute(found))
    label = "the built-in defaults" if found is None else shown(found)
    if variables:
        label = apply_variables(config, origin, label, namespace)
        apply_instance(config, origin, label, instance)
    elif namespace is not None:
        config["namespace"] = normalize_name(namespace, "namespace", "--namespace")
    try:
        return loaded_from(PortMap(**config), origin.path), origin
    except StableportError as error:
        raise ConfigError(f"{label}: {error}") from error


def apply_variables(
    config: "Settings", origin: Origin, label: str, namespace: str | None = None
) -> str:
    """Put $STABLEPORT_ENV, --namespace (else $STABLEPORT_NAMESPACE) and $STABLEPORT_PINS in config.

    Records them in origin; returns label, the configuration's name in messages,
    extended when the pins come from the variable too.
    """
    environ = os.environ
    if environ.get(ENV_VARIABLE) is not None:
        origin.env_override = environ[ENV_VARIABLE]
        try:
            config["env"] = normalize_name(origin.env_override, "environment name", ENV_VARIABLE)
        except StableportError as error:
            raise ConfigError(str(error)) from None
    if namespace is not None:
        config["namespace"] = normalize_name(namespace, "namespace", "--namespace")
    elif environ.get(NAMESPACE_VARIABLE) is not None:
        origin.namespace_override = environ[NAMESPACE_VARIABLE]
        config["namespace"] = normalize_name(
            origin.namespace_override, "namespace", NAMESPACE_VARIABLE
        )
    if environ.get(PINS_VARIABLE) is not None:
        overrides = parse_pin_overrides(environ[PINS_VARIABLE])
        file_pins = check_pins(config.get("pins", {}))
        pins: PinTable = {
            key: (port, f"pins[{format_pin_key(key)!r}]") for key, port in file_pins.items()
        }
        for key, (port, _) in overrides.items():
            origin.pin_overrides[key] = port
            if key in file_pins:
                origin.replaced_pins[key] = file_pins[key]
        pins.update(overrides)
        label = f"{label} with {PINS_VARIABLE}"
        try:
            config["pins"] = portmap_pins(pins)
        except StableportError as error:
            raise ConfigError(f"{label}: {error}") from error
    return label


def apply_instance(
    config: "Settings", origin: Origin, label: str, option: str | None = None
) -> None:
    """Put the checkout's instance in config: --instance, else the variable, else its file.

    Records where it came from in origin. An instance beyond the configuration's
    instances is a ConfigError naming both.
    """
    value = option
    source = "--instance"
    if value is None and os.environ.get(INSTANCE_VARIABLE) is not None:
        value, source = os.environ[INSTANCE_VARIABLE], INSTANCE_VARIABLE
    if value is None and origin.path is not None:
        path = instance_file(origin.path)
        if os.path.lexists(path):
            value, source = _read_bytes(path).decode("utf-8", "replace"), shown(path)
    if value is None:
        return
    number = parse_instance(value, source)
    room = config.get("instances", 0)
    if number > room:
        raise ConfigError(
            f"instance {number} (from {source}) is beyond instances = {room} in {label}; "
            f"instances are 1 to {room} (0: the plain map). Raise instances, or run "
            f"stableport instance new for a free one"
            if room
            else f"instance {number} (from {source}) needs room: {label} declares no "
            f"instances; add instances = N (N >= {number}) to it, or remove {source}"
        )
    origin.instance_source = source
    config["instance"] = number


def instance_file(config_path: str) -> str:
    """The identity file of the checkout whose configuration is config_path."""
    return os.path.join(os.path.dirname(config_path), INSTANCE_FILE_NAME)


def parse_instance(value: str, source: str) -> int:
    """An instance identity as written: a decimal 0-MAX_INSTANCES, space around it allowed."""
    text = value.strip()
    # isdecimal accepts other scripts' digits; only ASCII ones spell an instance.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INSTANCES)) + 2:
        raise ConfigError(
            f"instance {excerpt(value)} (from {source}) is not a whole number; "
            f"write one from 0 (the plain map) to {MAX_INSTANCES}"
        )
    number = int(text)
    if number > MAX_INSTANCES:
        raise ConfigError(
            f"instance {number} (from {source}) is above {MAX_INSTANCES}, the most there are"
        )
    return number


def discover(start: str) -> "tuple[str | None, dict[str, object] | None]":
    """The first stableport.toml, or pyproject.toml with [tool.stableport], from start upward.

    Returns the path and, for a pyproject.toml, its parsed document, so the file
    is parsed once. A candidate that exists but is no readable file (a directory,
    a FIFO, a dangling symbolic link) is an error, never passed over.
    """
    # os.path, not pathlib: pathlib imports re, which would double startup cost.
    for directory in _upward(start):
        standalone = os.path.join(directory, STANDALONE_NAME)
        if candidate_exists(standalone):
            return standalone, None
        pyproject = os.path.join(directory, PYPROJECT_NAME)
        if candidate_exists(pyproject):
            document = _stableport_document(pyproject)
            if document is not None:
                return pyproject, document
    return None, None


def candidate_exists(path: str) -> bool:
    """Whether path names something (a dangling link too); False only if nothing is there.

    os.path.lexists says False for any error: a name too long for the system
    (a path past PATH_MAX), a directory this user cannot search. Passing over
    such a candidate would silently give an outer project's ports, so every
    answer but "no such file" is an error naming the path.
    """
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        raise ConfigError(
            f"cannot look for {shown(path, quoted=True)}: {error.strerror or error}; "
            f"a configuration there would be passed over, so none is used: "
            f"name one with --config or {CONFIG_VARIABLE}"
        ) from None
    except ValueError as error:  # a NUL or an unencodable character in the path
        raise ConfigError(
            f"cannot look for {shown(path, quoted=True)}: not a valid path ({error})"
        ) from None
    return True


def _upward(start: str) -> "Iterator[str]":
    directory = os.path.abspath(start)
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def read_settings(path: str, document: "dict[str, object] | None" = None) -> "Settings":
    """PortMap keyword arguments from a stableport.toml or a pyproject.toml's table."""
    if document is None:
        document = _parse(path)
    if os.path.basename(path) == PYPROJECT_NAME:
        tool = document.get("tool", {})
        table = tool.get("stableport") if isinstance(tool, dict) else None
        if table is None:
            raise ConfigError(
                f"{shown(path)}: no [tool.stableport] table; add one or name another file"
            )
        where = "[tool.stableport]"
    else:
        table, where = document, "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{shown(path)}: {where} must be a table of stableport settings")
    return settings(table, shown(path), where)


def parse_pin_overrides(value: str) -> "dict[PinKey, tuple[int, str]]":
    """Pins from STABLEPORT_PINS: 'billing=8001,auth@test=8002'."""
    entries = []
    for entry in value.split(","):
        label = f"{PINS_VARIABLE} entry {excerpt(entry.strip())}"
        key, equals, port = (part.strip() for part in entry.partition("="))
        if not equals or not key or not port.isdigit() or not port.isascii():
            raise ConfigError(
                f"{label} is not 'service=port' or 'service@env=port'; separate entries with commas"
            )
        if len(port.lstrip("0")) > len(str(MAX_PORT)):
            # No port is that long; int() of thousands of digits is slow, or an error.
            raise ConfigError(f"{label} is outside the valid ports {MIN_PORT}-{MAX_PORT}")
        entries.append((key, int(port), label))
    try:
        return pin_table(entries)
    except StableportError as error:
        raise ConfigError(str(error)) from error


def _path_argument(path: "str | bytes | os.PathLike[str] | os.PathLike[bytes]") -> str:
    """A path given to load() or by a variable, as a str (bytes decoded as os does)."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise InvalidTypeError(
            f"the configuration path must be a str, bytes or os.PathLike, "
            f"not {type(path).__name__}: {excerpt(path)}"
        ) from None


def working_directory() -> str:
    """The working directory; one that was deleted is a ConfigError, not a traceback."""
    try:
        return os.getcwd()
    except OSError as error:
        raise ConfigError(
            f"cannot look for a configuration from the working directory: {error.strerror} "
            f"(was it deleted?); change to an existing directory or name a file "
            f"with {CONFIG_VARIABLE}"
        ) from None


def _absolute(path: str) -> str:
    try:
        return os.path.abspath(path)
    except OSError:  # a relative path under a deleted working directory, already read
        return path


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


def _named_by_variable(value: str) -> str:
    if not value or not os.path.lexists(value):
        raise ConfigError(
            f"{CONFIG_VARIABLE}={excerpt(value)} names no file; point it at a stableport.toml "
            f"or a pyproject.toml with a [tool.stableport] table, or unset it"
        )
    return value


def may_hold_table(data: bytes) -> bool:
    """False only if no TOML parser could find a [tool.stableport] table in data.

    A quick byte check before parsing: most pyproject.toml files never mention
    stableport, and skipping them keeps the TOML parser out of the process. A key
    spelled with an escape ("\\u0073tableport") holds no such bytes, so any
    escape that can spell a letter makes the file worth parsing.
    """
    return b"stableport" in data or b"\\u" in data or b"\\U" in data or b"\\x" in data


def _stableport_document(pyproject: str) -> "dict[str, object] | None":
    """The parsed pyproject.toml if it has a [tool.stableport] table, else None."""
    data = _read_bytes(pyproject)
    if not may_hold_table(data):
        return None
    document = _parse(pyproject, data)
    tool = document.get("tool")
    return document if isinstance(tool, dict) and "stableport" in tool else None


def settings_of(path: str, data: bytes) -> "Settings":
    """What load would read from path if it held data: its size limit, TOML and keys.

    init checks what it is about to write with this, before writing a byte.
    """
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{shown(path)}: it would be {len(data):,} bytes, over {MAX_CONFIG_BYTES:,}, "
            f"the most stableport reads of a configuration file"
        )
    return read_settings(path, _parse(path, data))


def _parse(path: str, data: bytes | None = None) -> dict[str, object]:
    if data is None:
        data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        # tomllib's own word for it is "Invalid statement (at line 1, column 1)".
        raise ConfigError(
            f"{shown(path)}: starts with a UTF-8 byte order mark (BOM), which TOML does not "
            f"allow; save the file as UTF-8 without a BOM"
        )
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415 - only for projects that have a config
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # noqa: PLC0415
    try:
        text = data.decode()
        document: dict[str, object] = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{shown(path)}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except ValueError as error:  # TOMLDecodeError, or an integer too long to convert
        raise ConfigError(f"{shown(path)}: invalid TOML: {error}") from None
    except RecursionError:
        # The parser recurses once per level of arrays and inline tables.
        raise ConfigError(
            f"{shown(path)}: arrays or inline tables are nested too deeply to parse"
        ) from None
    return document


def _read_bytes(path: str) -> bytes:
    """The file's bytes: only a regular file, and at most MAX_CONFIG_BYTES of it."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError as error:
        reason = error.strerror
        if os.path.islink(path):  # found by name, yet no file: a link to nowhere
            target = shown(os.readlink(path), quoted=True)
            reason = f"it is a symbolic link to {target}, which does not exist"
        raise ConfigError(f"cannot read {shown(path, quoted=True)}: {reason}") from None
    except OSError as error:
        raise ConfigError(
            f"cannot read {shown(path, quoted=True)}: {error.strerror or error}"
        ) from None
    except ValueError as error:  # a NUL or an unencodable character in the path
        raise ConfigError(
            f"cannot read {shown(path, quoted=True)}: not a valid path ({error})"
        ) from None
    try:
        return read_descriptor(descriptor, path)
    finally:
        os.close(descriptor)


def read_descriptor(descriptor: int, path: str) -> bytes:
    """The bytes of the regular file open on descriptor, from its start; path names it."""
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(
                f"cannot read {shown(path, quoted=True)}: it is {_file_kind(mode)}, "
                f"not a regular file"
            )
        os.lseek(descriptor, 0, os.SEEK_SET)
        with open(descriptor, "rb", closefd=False) as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(
            f"cannot read {shown(path, quoted=True)}: {error.strerror or error}"
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"cannot read {shown(path, quoted=True)}: it is larger than "
            f"{MAX_CONFIG_BYTES:,} bytes, the most stableport reads of a configuration file"
        )
    return data


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((kind for test, kind in kinds if test(mode)), "no regular file")
