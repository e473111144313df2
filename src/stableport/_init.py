"""stableport init: a project's first configuration, appended without rewriting a byte."""

from pathlib import Path
from typing import NamedTuple

from ._config import (
    PYPROJECT_NAME,
    STANDALONE_NAME,
    Origin,
    _parse,
    _read_bytes,
    apply_variables,
    discover,
)
from ._errors import ConfigError, InvalidNameError, shown
from ._names import normalize_name

TYPE_CHECKING = False
if TYPE_CHECKING:
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


class Written(NamedTuple):
    """What init wrote, and where the namespace came from."""

    path: Path
    created: bool  # a new file, rather than a table appended to a pyproject.toml
    text: str
    namespace_source: str
    discovered: bool  # whether discovery finds the file (its name is one it looks for)
    replaced: Path | None  # the configuration the file's directory used until now


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
    if path is None:
        pyproject = directory / PYPROJECT_NAME
        target = pyproject if pyproject.is_file() else directory / STANDALONE_NAME
    else:
        target = directory / path  # an absolute path stays itself
    target = target.absolute()
    home = target.parent
    document = _refuse_configured(home, target)
    _check_services(services)
    if namespace is not None:
        namespace, source = normalize_name(namespace, "namespace", "--namespace"), "--namespace"
    else:
        namespace, source = _derived_namespace(home, document)
    in_pyproject = target.name == PYPROJECT_NAME
    table = _table(namespace, services, in_pyproject=in_pyproject)
    discovered = target.name in (PYPROJECT_NAME, STANDALONE_NAME)
    replaced = _in_force(home) if discovered else None
    created = not (in_pyproject and target.is_file())
    # Every later command applies the STABLEPORT_* variables: a bad one is refused
    # now, while nothing is written, rather than by the first command after.
    apply_variables({}, Origin(None), shown(str(target)))
    if created:
        _create(target, table)
    else:
        _append(target, table)
    return Written(
        target,
        created=created,
        text=table,
        namespace_source=source,
        discovered=discovered,
        replaced=replaced,
    )


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
        # lexists-like: a dangling symlink is a file init would overwrite too.
        if existing.name != PYPROJECT_NAME and (existing.exists() or existing.is_symlink()):
            raise ConfigError(
                f"{existing} already exists; init never overwrites a file: edit it, "
                f"or remove it and run init again"
            )
    pyproject = home / PYPROJECT_NAME
    if not pyproject.is_file():
        return None
    document = _parse(str(pyproject))
    tool = document.get("tool")
    if isinstance(tool, dict) and "stableport" in tool:
        raise ConfigError(
            f"{pyproject} already has a [tool.stableport] table; init never rewrites one: "
            f"edit it by hand"
        )
    return document


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


def _derived_namespace(home: Path, document: "dict[str, object] | None") -> tuple[str, str]:
    """[project].name of the pyproject.toml in home, else home's own name, with its source."""
    project = None if document is None else document.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str):
        source = f"[project].name in {home / PYPROJECT_NAME}"
    else:
        name, source = home.name, f"the name of the directory {home}"
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


def _append(path: Path, table: str) -> None:
    """Append table to path, after checking that the whole result still parses."""
    data = _read_bytes(str(path))
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    # Exactly one blank line between the file's last line and the new table.
    if not data or data.endswith(newline * 2):
        separator = b""
    elif data.endswith(newline):
        separator = newline
    else:
        separator = newline * 2
    addition = separator + table.encode().replace(b"\n", newline)
    try:
        # Parsing also catches a table the file cannot be extended with (tool = {...}).
        _parse(str(path), data + addition)
    except ConfigError as error:
        reason = str(error).removeprefix(f"{path}: ")
        raise ConfigError(
            f"{path}: appending [tool.stableport] would not be valid TOML ({reason}); "
            f"add the table by hand"
        ) from None
    try:
        with path.open("ab") as file:
            file.write(addition)
    except OSError as error:
        raise ConfigError(
            f"cannot write {shown(str(path), quoted=True)}: {error.strerror or error}"
        ) from None


def _create(path: Path, table: str) -> None:
    try:
        # "x": never replace a file that appeared since the check above.
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(table)
    except OSError as error:
        raise ConfigError(
            f"cannot create {shown(str(path), quoted=True)}: {error.strerror or error}"
        ) from None
