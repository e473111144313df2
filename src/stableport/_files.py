"""Configuration files: which one applies, reading it within bounds, and its TOML.

Discovery (from a directory upward, or the file STABLEPORT_CONFIG names),
reading (a regular file only, at most MAX_CONFIG_BYTES, never waiting on a
FIFO) and parsing (UTF-8 TOML, the BOM and deep nesting named). What the keys
mean is _schema's; init reads and parses the file it appends to with these too.
"""

import os
import stat
import sys

from ._errors import ConfigError, InvalidTypeError, excerpt, shown

CONFIG_VARIABLE = "STABLEPORT_CONFIG"
STANDALONE_NAME = "stableport.toml"
PYPROJECT_NAME = "pyproject.toml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# Far above any real configuration (a few kilobytes), far below trouble: a
# path to a huge or endless file fails at once instead of filling memory.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
# Arrays and tables nested deeper than this are an error: a real configuration
# nests two or three levels, and a fixed limit gives every implementation the
# same answer (how deep a parser can recurse depends on its stack).
MAX_NESTING = 100


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
    except (OSError, ValueError) as error:
        passed_over = (
            "; a configuration there would be passed over, so none is used: "
            f"name one with --config or {CONFIG_VARIABLE}"
        )
        raise ConfigError(_cannot("look for", path, error, passed_over)) from None
    return True


def _cannot(doing: str, path: str, error: "OSError | ValueError", advice: str = "") -> str:
    """What an OS call on path that failed says: "cannot {doing} {path}: why{advice}".

    A ValueError is a path no call can take (a NUL, an unencodable character);
    advice follows an OSError's reason only: such a path has nothing to pass over.
    """
    where = f"cannot {doing} {shown(path, quoted=True)}"
    if isinstance(error, ValueError):
        return f"{where}: not a valid path ({error})"
    return f"{where}: {error.strerror or error}{advice}"


def _upward(start: str) -> "Iterator[str]":
    directory = os.path.abspath(start)
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def path_argument(path: "str | bytes | os.PathLike[str] | os.PathLike[bytes]") -> str:
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


def named_by_variable(value: str, start: str | None = None) -> str:
    """The file $STABLEPORT_CONFIG names: relative to start, as discovery begins there.

    start None: the working directory. The pytest fixture's start is where the
    session began, so a test that changed directory first reads the same file.
    """
    path = value if start is None or not value else os.path.join(start, value)
    if not value or not os.path.lexists(path):
        raise ConfigError(
            f"{CONFIG_VARIABLE}={excerpt(value)} names no file; point it at a stableport.toml "
            f"or a pyproject.toml with a [tool.stableport] table, or unset it"
        )
    return path


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
    data = read_bytes(pyproject)
    if not may_hold_table(data):
        return None
    document = parse(pyproject, data)
    tool = document.get("tool")
    return document if isinstance(tool, dict) and "stableport" in tool else None


def parse(path: str, data: bytes | None = None) -> dict[str, object]:
    if data is None:
        data = read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        # tomllib's own word for it is "Invalid statement (at line 1, column 1)".
        raise ConfigError(
            f"{shown(path)}: starts with a UTF-8 byte order mark (BOM), which TOML does not "
            f"allow; save the file as UTF-8 without a BOM"
        )
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415 - only for projects that have a config
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # noqa: PLC0415 - as tomllib above
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
        raise ConfigError(_too_deep(path)) from None
    if _nesting_exceeds(document, MAX_NESTING):
        raise ConfigError(_too_deep(path))
    return document


def _too_deep(path: str) -> str:
    return f"{shown(path)}: arrays or tables are nested more than {MAX_NESTING} levels deep"


def _nesting_exceeds(document: "dict[str, object]", most: int) -> bool:
    """Whether an array or table lies more than most levels inside document (the top level: 0)."""
    stack: list[tuple[dict[str, object] | list[object], int]] = [(document, 0)]
    while stack:  # a loop, not recursion: no RecursionError whatever the depth
        value, level = stack.pop()
        if level > most:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read_bytes(path: str) -> bytes:
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
    except (OSError, ValueError) as error:
        raise ConfigError(_cannot("read", path, error)) from None
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
        raise ConfigError(_cannot("read", path, error)) from None
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


def stableport_table(path: str, document: "dict[str, object]") -> "tuple[dict[str, object], str]":
    """The settings table of path's parsed document, and how messages name where it is.

    A stableport.toml holds its keys at the top level; a pyproject.toml (by its
    name) in [tool.stableport].
    """
    table: object
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
    return table, where
