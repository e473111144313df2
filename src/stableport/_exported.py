"""What export writes, read back: one reader per format, for export --check and check.

export --check compares a file with what export would write now, and check
compares a checkout's .env with the checkout's own ports: both read the file
here, so the two can never disagree about what a file says. The readers are
tolerant where people edit by hand (comments, quotes, a BOM, CRLF line ends):
what they cannot read is reported by line, never skipped in silence.
"""

import os
import re
from typing import NamedTuple

from ._errors import ConfigError, excerpt, shown

# NAME=VALUE, as export writes it (env), with `export ` before it (shell), and
# as people write .env files by hand: space around `=`, a quoted value.
_ASSIGNMENT = re.compile(
    r"[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?P<value>.*?)[ \t]*"
)
# An unquoted value ends where a comment starts: ` # ...`, as docker compose reads it.
_COMMENT = re.compile(r"[ \t]+#.*")


class Entry(NamedTuple):
    """One variable a file sets: its name, its value as text, and its line (from 1)."""

    name: str
    value: str
    line: int


class Reading(NamedTuple):
    """A file read by the reader of its format: what it sets, and what could not be read."""

    entries: list[Entry]
    unreadable: list[tuple[int, str]]  # (line, why)


def read(text: str, output_format: str) -> Reading:
    """The variables text sets, read as export writes output_format (env, shell or json)."""
    if output_format == "json":
        return _read_json(text)
    return _read_lines(text)


def format_of(text: str) -> str:
    """The format text is written in, as far as it shows: JSON, export lines, else env."""
    if text.lstrip().startswith("{"):
        return "json"
    entries = read(text, "env").entries
    lines = text.split("\n")
    if entries and all(lines[entry.line - 1].lstrip().startswith("export") for entry in entries):
        return "shell"
    return "env"


def decoded(data: bytes) -> tuple[str, list[str]]:
    """data as text (a BOM dropped, CRLF as LF, bad bytes replaced), and what was changed."""
    changes = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        changes.append("starts with a byte order mark, which export never writes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        changes.append(f"is not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})")
        text = data.decode("utf-8", "replace")
    if "\r\n" in text:
        changes.append("ends its lines with CRLF; export writes LF")
        text = text.replace("\r\n", "\n")
    return text, changes


def _read_lines(text: str) -> Reading:
    """env and shell lines: NAME=VALUE, `export NAME=VALUE`, blank lines and # comments."""
    entries, unreadable = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(line)
        if match is None:
            unreadable.append((number, f"not NAME=VALUE: {excerpt(line)}"))
            continue
        entries.append(Entry(match["name"], _unquoted(match["value"]), number))
    return Reading(entries, unreadable)


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return _COMMENT.sub("", value)


def _read_json(text: str) -> Reading:
    """One JSON object; each value as JSON writes it, so 20345 and "20345" differ."""
    import json  # noqa: PLC0415 - only for a JSON file

    pairs: list[tuple[str, object]] = []

    def keep(items: "list[tuple[str, object]]") -> dict[str, object]:
        pairs[:] = items  # the outermost object's pairs, duplicates and all
        return {}

    try:
        json.loads(text, object_pairs_hook=keep)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        message = getattr(error, "msg", str(error))
        return Reading([], [(line, f"not JSON: {message}")])
    if not text.lstrip().startswith("{"):
        return Reading([], [(1, "not a JSON object")])
    lines = _key_lines(text)
    entries = [
        Entry(name, json.dumps(value), lines.get(name, 1))
        for name, value in pairs
        if not isinstance(value, (dict, list))
    ]
    unreadable = [
        (lines.get(name, 1), f"{excerpt(name)} holds a JSON {type(value).__name__}, not a value")
        for name, value in pairs
        if isinstance(value, (dict, list))
    ]
    return Reading(entries, unreadable)


def _key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key's first "KEY": (close enough to name it in a message)."""
    import json  # noqa: PLC0415 - only for a JSON file: loaded by _read_json, the caller

    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        match = re.match(r'\s*("(?:[^"\\]|\\.)*")\s*:', line)
        if match is not None:  # a key of a document json.loads read: valid JSON itself
            lines.setdefault(json.loads(match[1]), number)
    return lines


def read_file(path: str, most: int) -> bytes | None:
    """At most `most` bytes of the regular file at path; None when nothing is there.

    Raises:
        ConfigError: path is no regular file (a FIFO is never waited on) or
            cannot be read; the message names it.
    """
    import stat  # noqa: PLC0415 - only where a file is read

    # O_NONBLOCK: a FIFO must not wait for a writer; fstat then refuses it.
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {shown(path, quoted=True)}: {_reason(error)}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ConfigError(
                f"cannot read {shown(path, quoted=True)}: it is not a regular file, "
                f"as export writes one"
            )
        with open(descriptor, "rb", closefd=False) as file:
            return file.read(most)
    except OSError as error:
        raise ConfigError(f"cannot read {shown(path, quoted=True)}: {_reason(error)}") from None
    finally:
        os.close(descriptor)


def _reason(error: "OSError | ValueError") -> str:
    if isinstance(error, ValueError):
        return f"not a valid path ({error})"
    return error.strerror or str(error)
