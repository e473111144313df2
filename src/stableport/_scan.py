"""check --scan: copies of the map's ports written as literals in the project's files.

A port written as a number (`localhost:20695` in a test, `port: 20695` in a
manifest) goes stale in silence when a pin, the namespace or the range moves
the map's answer. The scan finds each such literal of a declared service's
port, in every declared environment and every instance, in the files git
tracks (or the paths given), and says where.

How it stays fast and right: one regular expression of the map's port numbers
finds the candidates (most files hold none: it is the only pass over their
bytes), and a number counts only in a port's context, read just before or
after it: a local host or a URL's `:PORT/`, a port-like key (`port`,
`WEB_PORT`, `containerPort`, `--port`), a compose mapping `- "PORT:80"`. A
year, a size or a line number (`views.py:20695`) has none of these.

How it stays inside the project: every path is opened relative to the
project's root, never through a symbolic link (O_NOFOLLOW on the file, and each
directory's real path checked once), and only a regular file is read: a FIFO
never blocks the scan, a device is never read. A file gone between the listing
and the read was simply not there. Binary files (a NUL in the first 8000
bytes, git's own test) are skipped; so is a file that holds exactly what
`stableport export` writes (guarded by `export --check`, not a stale copy).
"""

import os
import re
import stat
import subprocess
from typing import NamedTuple

from ._errors import ConfigError, StableportError, excerpt, shown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._config import Origin
    from ._portmap import PortMap

# git's test for a binary file: a NUL byte in its first 8000 bytes.
_BINARY_WINDOW = 8000
# Bytes of context read on each side of a candidate, within its line.
_BEFORE, _AFTER = 96, 8
# A file larger than this is not source a person edits: skipped, and counted.
MAX_FILE_BYTES = 32 * 1024 * 1024

# What may stand right before a port for it to be one (each ends the window).
_BEFORE_PORT = re.compile(
    rb"(?:"
    # a local host: localhost:20695, 127.0.0.1:20695, [::1]:20695, 0.0.0.0:20695
    rb"(?<![\w.-])(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|host\.docker\.internal):"
    # any host in a URL: http://web:20695
    rb"|[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@\"'`]+:"
    # a port-like key, then = or : or , (getenv("PORT", "20695")), a value's quote
    rb"|(?:(?<![A-Za-z0-9])(?:[A-Za-z0-9]*[_.-])?(?:port|Port|PORT)|[a-z0-9]Port)[sS]?"
    rb"[\"']?[ \t]*[:=,][ \t]*[\[(]?[ \t]*[\"']?"
    # a command-line flag: --port 20695, --http-port=20695, -p 20695, EXPOSE, listen
    rb"|(?<![\w-])(?:--(?:[a-z]+-)*port|-p|--publish|EXPOSE|listen)(?:[ \t]+|=)[\"']?"
    rb")\Z"
)
# A compose port mapping, a list item: - "20695:8000" (the line's start to the port) ...
_LIST_ITEM = re.compile(rb"[ \t]*-[ \t]*[\"']?")
# ... whose port is followed by the container's: ":8000".
_MAPPED = re.compile(rb":[0-9]")


class Hit(NamedTuple):
    """One literal copy of a port: where, the port, and the text around it."""

    path: str  # relative to the project's root, as git names it
    line: int
    port: int
    text: str  # the literal in its context, one line, bounded


class Scan(NamedTuple):
    """What a scan found, and what it read and skipped."""

    hits: list[Hit]
    read: int
    skipped: dict[str, int]  # why -> how many files


def project_root(origin: "Origin") -> str:
    """The project's top: the working directory's git work tree, else the configuration's."""
    top = _git_top(os.getcwd())
    if top is not None:
        return top
    if origin.path is not None:
        return os.path.dirname(origin.path)
    return os.getcwd()


def scan(
    root: str,
    paths: "list[str]",
    ports: "dict[int, list[str]]",
    generated: "Callable[[bytes], bool]",
) -> Scan:
    """Every literal of a port in ports (port -> who has it) in the files under root.

    paths: the files and directories to read, relative to the working directory
    or absolute, each inside root; none: the files git tracks in root.
    generated(data): whether a file is export's own output (skipped).
    """
    root = os.path.realpath(root)
    names = _listed(root, paths) if paths else _tracked(root)
    result = Scan([], 0, {})
    if not ports:
        return result
    numbers = re.compile(
        rb"(?:" + b"|".join(str(port).encode() for port in sorted(ports, reverse=True)) + rb")"
        rb"(?![0-9]|\.[0-9])"
    )
    inside: dict[str, bool] = {}
    for name in names:
        data, why = _read(root, name, inside)
        if why is not None:
            result.skipped[why] = result.skipped.get(why, 0) + 1
            continue
        if data is None:
            continue  # gone since it was listed: nothing there to go stale
        result = result._replace(read=result.read + 1)
        if b"\0" in data[:_BINARY_WINDOW]:
            result.skipped["binary"] = result.skipped.get("binary", 0) + 1
            continue
        if numbers.search(data) is None:
            continue  # the common case: one pass over the bytes
        hits = list(_hits(name, data, numbers))
        if hits and generated(data):
            result.skipped["as export writes it"] = result.skipped.get("as export writes it", 0) + 1
            continue
        result.hits.extend(hits)
    return result


def _hits(name: str, data: bytes, numbers: "re.Pattern[bytes]") -> "Iterator[Hit]":
    for match in numbers.finditer(data):
        start, end = match.span()
        previous = data[start - 1 : start] if start else b""
        if previous.isalnum() or previous in {b".", b"_"}:
            continue  # part of a longer number, a version or a word: 120695, 1.20695
        line_start = data.rfind(b"\n", max(0, start - _BEFORE), start) + 1
        before = data[max(line_start, start - _BEFORE) : start]
        after = data[end : end + _AFTER]
        if not _in_context(before, after, at_line_start=line_start >= start - _BEFORE):
            continue
        line = data.count(b"\n", 0, start) + 1
        # The literal in its line, at most 40 bytes either side: a minified line stays short.
        line_end = data.find(b"\n", end, end + 40)
        text = data[max(line_start, start - 40) : end + 40 if line_end < 0 else line_end]
        shown_text = text.decode("utf-8", "replace").strip()
        yield Hit(name, line, int(match[0]), shown_text)


def _in_context(before: bytes, after: bytes, *, at_line_start: bool) -> bool:
    """Whether a number between before and after (within its line) is written as a port."""
    if _BEFORE_PORT.search(before) is not None:
        return True
    if before.endswith(b":") and after.startswith(b"/"):
        return True  # a URL's port, its path after it: http://web:20695/
    return at_line_start and _LIST_ITEM.fullmatch(before) is not None and bool(_MAPPED.match(after))


def _read(root: str, name: str, inside: "dict[str, bool]") -> "tuple[bytes | None, str | None]":
    """(the file's bytes, None), (None, why it was skipped), or (None, None) if it is gone."""
    path = os.path.join(root, name)
    if not _inside(os.path.dirname(path), root, inside):
        return None, "behind a symbolic link out of the project"
    if not _NO_FOLLOW and os.path.islink(path):
        return None, "symbolic link"  # no O_NOFOLLOW (Windows): looked at first instead
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as error:
        return None, "symbolic link" if os.path.islink(path) else _unreadable(error)
    try:
        return _regular_bytes(descriptor)
    except OSError as error:
        return None, _unreadable(error)
    finally:
        os.close(descriptor)


# O_NOFOLLOW: a link is never followed out; O_NONBLOCK: a FIFO never waits for a writer.
# Windows has neither: a link is looked for before the open, and a FIFO cannot be a file there.
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NO_FOLLOW


def _inside(directory: str, root: str, known: "dict[str, bool]") -> bool:
    """Whether directory, a path under root, leads nowhere outside it (each one checked once).

    A directory replaced by a link since git listed it must not lead the scan
    outside: a directory is inside when its parent is and it is no link, or
    when it is a link whose target is inside.
    """
    if directory == root:
        return True
    found = known.get(directory)
    if found is None:
        parent = os.path.dirname(directory)
        found = parent != directory and _inside(parent, root, known)
        if found and os.path.islink(directory):
            real = os.path.realpath(directory)
            found = real == root or real.startswith(root + os.sep)
        known[directory] = found
    return found


def _regular_bytes(descriptor: int) -> "tuple[bytes | None, str | None]":
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        return None, "not a regular file"
    if status.st_size > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
    # os.read of the size fstat gave: a buffered read(n) allocates n bytes first,
    # which for the largest allowed size costs more than the whole scan.
    chunks, wanted = [], status.st_size + 1  # one more byte: a file that grew reads as grown
    while wanted > 0:
        chunk = os.read(descriptor, min(wanted, MAX_FILE_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks), None


def _unreadable(error: OSError) -> str:
    return f"unreadable ({error.strerror or error})"


def _git_files(root: str, *arguments: str) -> "subprocess.CompletedProcess[bytes]":
    """git ls-files in root (-z, names relative to root) with arguments; OSError if no git."""
    return subprocess.run(
        ["git", "-C", root, "ls-files", "-z", "--full-name", *arguments],  # noqa: S607
        capture_output=True,
        check=False,
    )


def _names(listed: "subprocess.CompletedProcess[bytes]") -> list[str]:
    return [os.fsdecode(name) for name in listed.stdout.split(b"\0") if name]


def _tracked(root: str) -> list[str]:
    """The files git tracks in root's work tree, as git names them (relative to root)."""
    try:
        listed = _git_files(root)
    except OSError as error:
        raise ConfigError(
            f"check --scan: cannot run git to list the tracked files ({error.strerror}); "
            f"name the files or directories to scan: stableport check --scan PATH ..."
        ) from None
    if listed.returncode:
        raise ConfigError(
            f"check --scan: {shown(root)} is not in a git work tree, so no files are tracked "
            f"there; name the files or directories to scan: stableport check --scan PATH ..."
        )
    return _names(listed)


def _listed(root: str, paths: "list[str]") -> list[str]:
    """The files under each given path, relative to root; a path outside root is refused."""
    names: list[str] = []
    for given in paths:
        real = os.path.realpath(given)
        if not (real == root or real.startswith(root + os.sep)):
            raise ConfigError(
                f"check --scan: {shown(given, quoted=True)} is outside the project "
                f"({shown(root)}); the scan never reads outside it"
            )
        if not os.path.lexists(given):
            # A typo would scan nothing and pass: a check that read no file says so.
            raise ConfigError(
                f"check --scan: {shown(given, quoted=True)} names no file or directory; "
                f"give paths inside the project, relative to the working directory or absolute"
            )
        relative = os.path.relpath(real, root)
        if not os.path.isdir(real):
            names.append(relative)  # named: read, even if git ignores it (a .env)
            continue
        # In git, a directory's files are those git tracks or would (not ignored):
        # a .venv or node_modules inside it is not the project's own text.
        try:
            listed = _git_files(root, "--cached", "--others", "--exclude-standard", "--", relative)
        except OSError:
            listed = None
        if listed is not None and not listed.returncode:
            names.extend(_names(listed))
            continue
        for directory, subdirectories, files in os.walk(real):
            subdirectories[:] = sorted(d for d in subdirectories if d != ".git")
            base = os.path.relpath(directory, root)
            names.extend(os.path.normpath(os.path.join(base, file)) for file in sorted(files))
    return names


def _git_top(directory: str) -> str | None:
    try:
        found = subprocess.run(
            ["git", "-C", directory, "rev-parse", "--show-toplevel"],  # noqa: S607
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if found.returncode:
        return None
    return os.fsdecode(found.stdout.rstrip(b"\n")) or None


def port_owners(maps: "list[PortMap]") -> dict[int, list[str]]:
    """port -> each 'service@env' (with its instance, past the plain map) that has it."""
    owners: dict[int, list[str]] = {}
    for pm in maps:
        suffix = f" (instance {pm.instance})" if pm.instance else ""
        for (service, env), port in pm.assignments().items():
            # (service, env, instance) is one per map: no name is listed twice.
            owners.setdefault(port, []).append(f"{service}@{env}{suffix}")
    return owners


def describe(hit: Hit, owners: "list[str]") -> tuple[str, str]:
    """(where, what) for a hit, as check shows a finding: file:line, whose port, the fix."""
    service, _, env = owners[0].partition(" ")[0].partition("@")
    where = f"{shown(hit.path)}:{hit.line}"
    what = (
        f"{' and '.join(owners)} port {hit.port} as a literal: {excerpt(hit.text)}; "
        f"it goes stale when the map moves the port; read it from the map "
        f"(stableport {service} --env {env}, or ${variable_or_service(service)})"
    )
    return where, what


def variable_or_service(service: str) -> str:
    """The variable export gives service, or a placeholder where it has none."""
    from ._export import variable_name  # noqa: PLC0415 - a finding's path only

    try:
        return variable_name(service)
    except StableportError:
        return "NAME_PORT"
