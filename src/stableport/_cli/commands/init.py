"""stableport init: a project's first configuration, appended without rewriting a byte.

The file is a project's build file: init either leaves it exactly as it was or
adds one table the loader reads, never anything between. Concurrent inits
take a lock on the file and re-check it once they hold it; what would be
written is checked with the loader's own rules before a byte is; a failed
write is undone.
"""

import os
from pathlib import Path
from typing import NamedTuple

from stableport._appending import AppendError, append_bytes, undo, write_from
from stableport._cli.answer import Answer
from stableport._cli.views import entries, listing, path_text
from stableport._config import (
    ENV_VARIABLE,
    NAMESPACE_VARIABLE,
    load_with_origin,
    overridden,
)
from stableport._errors import ConfigError, InvalidNameError, StableportError, shown
from stableport._files import (
    CONFIG_VARIABLE,
    PYPROJECT_NAME,
    STANDALONE_NAME,
    discover,
    named_by_variable,
    parse,
    read_descriptor,
    working_directory,
)
from stableport._hints import enclosing_project
from stableport._names import normalize_name
from stableport._pins import PINS_VARIABLE
from stableport._schema import settings_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# Written above the namespace, because the one way to move every port is to change it.
NAMESPACE_COMMENT = "# Part of every port's hash: keep it when the project is renamed."

# dev and test resolved together, so the pytest fixture (env "test") is never
# handed a port of a dev server; strict shown, not set: undeclared names stay
# valid lookups by default (spec), and a typo is one uncommenting away from an error.
ENVS_LINES = (
    "# Resolved together: tests (env test) never get a dev server's port.\n"
    'envs = ["dev", "test"]\n'
    'env = "dev"\n'
    "# strict = true  # a lookup of a name not in services fails instead of hashing it\n"
)

# What init checks before writing but leaves out of the ports it prints.
OVERRIDE_VARIABLES = (ENV_VARIABLE, NAMESPACE_VARIABLE, PINS_VARIABLE)

# Directory names that name no project: a namespace derived from one would be
# shared by every project set up the same way, and their ports would collide.
_NO_PROJECT_NAMES = ("", ".", "..")


class Written(NamedTuple):
    """What init wrote, and where the namespace came from."""

    path: Path  # the file written: through a symbolic link, the file it points to
    created: bool  # a new file, rather than a table appended to a pyproject.toml
    text: str
    namespace_source: str
    discovered: bool  # whether discovery finds the file (its name is one it looks for)
    replaced: Path | None  # the configuration the file's directory used until now
    link: Path | None = None  # the symbolic link written through, if any
    config_variable: str | None = None  # STABLEPORT_CONFIG, when it names another file


def arguments(parser: "argparse.ArgumentParser") -> None:
    import argparse  # noqa: PLC0415 - loaded by the parser, the caller

    parser.description = (
        "Append a [tool.stableport] table to ./pyproject.toml (or create ./stableport.toml "
        "where there is none) with a namespace and the services given, then print their "
        "ports. Never rewrites a byte already there; refuses if stableport is configured."
    )
    parser.add_argument("services", metavar="SERVICE", nargs="*", help="a service to declare")
    parser.add_argument(
        "--namespace",
        metavar="NS",
        help="the namespace (default: [project].name of the pyproject.toml, else the "
        "directory's name)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,  # as the other commands' --config, given before or after
        help="write here instead: a pyproject.toml gets [tool.stableport] appended, any "
        "other name is created as a stableport.toml-style file",
    )


def handle(args: "argparse.Namespace") -> Answer:
    """Write a first configuration, then show it and the ports it gives, as list would."""
    # The loader's own helper: a deleted working directory is a one-line ConfigError.
    written = init(Path(working_directory()), args.services, args.config, args.namespace)
    verb = "created" if written.created else "appended to"
    through = "" if written.link is None else f" (through the link {path_text(written.link)})"
    done = f"{verb} {path_text(written.path)}{through}"
    head = f"{done}:\n\n{written.text}\n(namespace from {written.namespace_source})\n"
    if written.config_variable is not None:
        head += (
            f"({CONFIG_VARIABLE}={shown(written.config_variable)} is set: every later command "
            f"reads that file instead, until it is unset)\n"
        )
    if not written.discovered:
        head += (
            "(discovery looks for stableport.toml and pyproject.toml only: "
            "name this file with --config or STABLEPORT_CONFIG)\n"
        )
    elif written.replaced is not None:
        home = (written.link or written.path).parent
        head += (
            f"({path_text(home)} used {path_text(written.replaced)} until now; "
            f"this file takes its place there)\n"
        )
    # Below a configured project, the note above already says which file this replaces.
    above = enclosing_project(written.path.parent) if written.replaced is None else None
    if above is not None:
        # A subfolder of a project: this file now ends discovery here, apart from it.
        head += (
            f"({shown(str(above))} is above this directory: this file configures only "
            f"{shown(str(written.path.parent))} and below; to configure that project "
            f"instead, delete {shown(str(written.path))} and run init in "
            f"{shown(str(above.parent))})\n"
        )
    # The ports of what was written: the variables were checked, not applied.
    # Through the link, as discovery reads it: its name says it is a pyproject.toml.
    pm, _ = load_with_origin(written.link or written.path, variables=False)
    overriding = [name for name in OVERRIDE_VARIABLES if os.environ.get(name) is not None]
    if overriding and pm.services:
        head += (
            f"({', '.join(overriding)} set: not applied below, where the ports are "
            f"the file's own; stableport list applies them)\n"
        )
    head += "\n"
    if not pm.services:
        text = "no services yet: list them in services, then run stableport list\n"
        return Answer(0, head + text, done)
    return Answer(0, head + listing(pm, entries(pm, None)), done)


def init(
    directory: Path,
    services: "Sequence[str]",
    path: str | None = None,
    namespace: str | None = None,
) -> Written:
    """Write a stableport table for services into directory's pyproject.toml or a new file.

    path names the file instead: a pyproject.toml gets a [tool.stableport] table
    appended, any other name is created as a standalone file. The namespace is
    namespace, else [project].name of the pyproject.toml beside the file, else
    the name of the file's directory.
    """
    try:
        return _init(directory, services, path, namespace)
    except OSError as error:
        # What no check below foresaw (a name too long, a directory that cannot be
        # searched): one line naming the path, never a traceback.
        where = "" if error.filename is None else f"{shown(os.fsdecode(error.filename))}: "
        raise ConfigError(f"init: {where}{error.strerror or error}; nothing was written") from None


def _init(
    directory: Path, services: "Sequence[str]", path: str | None, namespace: str | None
) -> Written:
    target = _target(directory, path)
    home = target.parent
    document = _refuse_configured(home, target)
    _check_services(services)
    if namespace is not None:
        namespace = normalize_name(namespace, "namespace", "--namespace")
    in_pyproject = target.name == PYPROJECT_NAME
    discovered = target.name in (PYPROJECT_NAME, STANDALONE_NAME)
    replaced = _in_force(home) if discovered else None
    # Every later command applies the STABLEPORT_* variables: a bad one is refused
    # now, while nothing is written, rather than by the first command after.
    overridden({}, None, shown(str(target)), os.environ)
    config_variable = _config_variable(target)
    if in_pyproject and _exists(str(target)):
        link = target if target.is_symlink() else None
        written, text, source = _append(target, services, namespace)
        created = False
    else:
        link, written, created = None, target, True
        name, source = _namespace(namespace, home, document)
        text = _table(name, services, in_pyproject=in_pyproject)
        _create(target, text)
    return Written(
        written,
        created=created,
        text=text,
        namespace_source=source,
        discovered=discovered,
        replaced=replaced,
        link=link,
        config_variable=config_variable,
    )


def _target(directory: Path, path: str | None) -> Path:
    """The file to write, in its directory's real path: '..' and links resolved.

    The namespace is the directory's name, so `--config ../stableport.toml` must
    name the parent, not '..'; the kernel resolves '..' after links, and so
    does realpath.
    """
    if path is None:
        pyproject = directory / PYPROJECT_NAME
        target = pyproject if _exists(str(pyproject)) else directory / STANDALONE_NAME
    elif not path:
        # Path("") is the directory itself: it "already exists", which misleads.
        message = "init: --config '' names no file to write; name one, or leave it out"
        raise ConfigError(message)
    else:
        target = directory / path  # an absolute path stays itself
    if not target.name or target.name in (".", "..") or target.is_dir():
        raise ConfigError(f"init: {shown(str(target))} names a directory, not a file to write")
    return Path(os.path.realpath(target.parent)) / target.name


def _exists(path: str) -> bool:
    """Whether anything (a dangling link too) is at path; an OSError for "cannot tell"."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except ValueError as error:  # a NUL in the path
        raise ConfigError(f"init: {shown(path)}: not a valid path ({error})") from None
    return True


def _config_variable(target: Path) -> str | None:
    """STABLEPORT_CONFIG if it names a file other than target; refused if it names none.

    Every later command reads the file the variable names, not the one init
    writes: the caller says so. One naming nothing would stop every command.
    """
    value = os.environ.get(CONFIG_VARIABLE)
    if value is None or (value and os.path.realpath(value) == os.path.realpath(target)):
        return None
    named_by_variable(value)
    return value


def _in_force(home: Path) -> Path | None:
    """The configuration discovery finds from home before init writes one, if any."""
    try:
        found, _ = discover(str(home))
    except ConfigError:
        return None  # a broken candidate above home: the new file now ends the search first
    return None if found is None else Path(found)


def _refuse_configured(home: Path, target: Path) -> "dict[str, object] | None":
    """The parsed pyproject.toml beside target, if any; refuse if stableport is configured."""
    for existing in (home / STANDALONE_NAME, target):
        # A dangling symlink is a file init would overwrite too.
        if existing.name != PYPROJECT_NAME and _exists(str(existing)):
            raise ConfigError(
                f"{shown(str(existing))} already exists; init never overwrites a file: edit it, "
                f"or remove it and run init again"
            )
    pyproject = home / PYPROJECT_NAME
    if not _exists(str(pyproject)):
        return None
    document = parse(str(pyproject))
    _refuse_table(pyproject, document)
    return document


def _refuse_table(pyproject: Path, document: "dict[str, object]") -> None:
    tool = document.get("tool")
    if isinstance(tool, dict) and "stableport" in tool:
        raise ConfigError(
            f"{shown(str(pyproject))} already has a [tool.stableport] table; init never "
            f"rewrites one: edit it by hand"
        )


def _check_services(services: "Sequence[str]") -> None:
    seen: dict[str, str] = {}
    for index, service in enumerate(services, 1):
        name = normalize_name(service, "service name", f"SERVICE argument {index}")
        if name in seen:
            raise InvalidNameError(
                f"service {service!r} is given twice (also as {seen[name]!r}); "
                f"names are compared casefolded"
            )
        seen[name] = service


def _namespace(
    given: str | None, home: Path, document: "dict[str, object] | None"
) -> tuple[str, str]:
    """The namespace to write, and where it came from."""
    if given is not None:
        return given, "--namespace"
    project = None if document is None else document.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str):
        source = f"[project].name in {shown(str(home / PYPROJECT_NAME))}"
    else:
        name, source = home.name, f"the name of the directory {shown(str(home))}"
        if name in _NO_PROJECT_NAMES:
            raise InvalidNameError(
                f"namespace {name!r} (from {source}) names no project; give one with --namespace NS"
            )
    try:
        # Written normalized, so the file shows the namespace every command shows.
        return normalize_name(name, "namespace", source), source
    except InvalidNameError as error:
        raise InvalidNameError(f"{error}; give one with --namespace NS") from None


def _table(namespace: str, services: "Sequence[str]", *, in_pyproject: bool) -> str:
    header = "[tool.stableport]\n" if in_pyproject else ""
    listed = ", ".join(_toml_string(service) for service in services)
    return (
        f"{header}{NAMESPACE_COMMENT}\nnamespace = {_toml_string(namespace)}\n"
        f"services = [{listed}]\n{ENVS_LINES}"
    )


def _toml_string(value: str) -> str:
    """A TOML basic string; names hold no control characters, so two escapes suffice."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _append(
    target: Path, services: "Sequence[str]", namespace: str | None
) -> tuple[Path, str, str]:
    """Append the table to the pyproject.toml at target: the file written, the table, its source.

    The file is locked, then read, checked and written through one descriptor:
    of several inits at once, one appends and the others find its table.
    """
    written = Path(os.path.realpath(target))
    label = str(written)
    descriptor = _open_locked(target, label)
    try:
        data = read_descriptor(descriptor, label)
        document = parse(label, data)
        _refuse_table(target, document)
        name, source = _namespace(namespace, target.parent, document)
        table = _table(name, services, in_pyproject=True)
        addition = _addition(data, table)
        # Read as later commands read it: by the name they find, the link's.
        _check_result(str(target), data + addition)
        _append_bytes(descriptor, label, len(data), addition)
    finally:
        os.close(descriptor)  # releases the lock, after the data is written
    return written, table, source


def _open_locked(target: Path, label: str) -> int:
    """A descriptor on target's file, holding its lock, that is still the file at target."""
    while True:
        try:
            descriptor = os.open(target, os.O_RDWR | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            raise ConfigError(
                f"cannot open {shown(label, quoted=True)} to append to it: "
                f"{error.strerror or error}"
            ) from None
        try:
            _lock(descriptor)
            # Replaced while we waited (an editor saves by renaming over it): the
            # lock is on a file no longer there, so take the new one's.
            if _same_file(descriptor, target):
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # pragma: no cover - a rename in the instant of the wait


def _lock(descriptor: int) -> None:
    """Wait for, then hold, the file's lock: flock, or on Windows a byte-range lock."""
    from stableport import _winlocks  # noqa: PLC0415 - init's path only

    _winlocks.wait_exclusive(descriptor)


def _same_file(descriptor: int, target: Path) -> bool:
    held, current = os.fstat(descriptor), target.stat()
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


def _addition(data: bytes, table: str) -> bytes:
    """What to append to data: one blank line, then table in data's line endings."""
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    # Exactly one blank line between the file's last line and the new table.
    if not data or data.endswith(newline * 2):
        separator = b""
    elif data.endswith(newline):
        separator = newline
    else:
        separator = newline * 2
    return separator + table.encode().replace(b"\n", newline)


def _check_result(label: str, data: bytes) -> None:
    """Refuse, before writing, a result that every later command would refuse."""
    from stableport._portmap import PortMap  # noqa: PLC0415 - loaded by the config module already

    try:
        PortMap(**settings_of(label, data))
    except StableportError as error:
        reason = str(error).removeprefix(f"{shown(label)}: ")
        raise ConfigError(
            f"{shown(label)}: appending [tool.stableport] would leave a file stableport "
            f"refuses ({reason}); nothing was written: add the table by hand"
        ) from None


def _append_bytes(descriptor: int, label: str, length: int, addition: bytes) -> None:
    """addition after the file's first length bytes; on any failure, the file cut back to them."""
    try:
        append_bytes(descriptor, length, addition)
    except AppendError as error:
        outcome = (
            f"the file is back as it was ({length:,} bytes)"
            if error.undone
            else f"it may end in part of the table: cut it back to {length:,} bytes"
        )
        raise ConfigError(
            f"cannot append to {shown(label, quoted=True)}: {error.strerror}; {outcome}"
        ) from None


def _create(path: Path, table: str) -> None:
    """A new file holding table, or none at all."""
    label = str(path)
    data = table.encode()
    _check_result(label, data)
    try:
        # O_EXCL: never replace a file that appeared since the checks above.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise ConfigError(
            f"{shown(label)} already exists; init never overwrites a file: edit it, "
            f"or remove it and run init again"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot create {shown(label, quoted=True)}: {error.strerror or error}"
        ) from None
    try:
        write_from(descriptor, 0, data)
    except OSError as error:
        created = os.fstat(descriptor)
        removed = undo(lambda: _remove_if_same(path, created))
        outcome = "the new file was removed" if removed else f"remove the partial {shown(label)}"
        raise ConfigError(
            f"cannot write {shown(label, quoted=True)}: {error.strerror or error}; {outcome}"
        ) from None
    finally:
        os.close(descriptor)


def _remove_if_same(path: Path, created: os.stat_result) -> None:
    """Remove path if it is still the file created (not one put in its place since)."""
    current = os.lstat(path)
    if (current.st_dev, current.st_ino) == (created.st_dev, created.st_ino):
        path.unlink()
