"""Notes for a person: a lookup that gives a valid port but is probably a mistake.

A typo (`stableport wbe`), an environment the project does not declare
(`--env tset`) or a directory with no configuration all still give a port, by
design (spec: undeclared names hash). The command line says so on stderr,
leaving stdout as it was, so `PORT=$(stableport web)` is unchanged.
"""

import os

from ._files import working_directory
from ._identity import config_in_linked_worktree
from ._names import normalize_name
from ._stderr import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ._config import Origin
    from ._portmap import PortMap


def tell(
    pm: "PortMap", origin: "Origin", name: str | None, env: str | None, *, always: bool = False
) -> None:
    """Say on stderr what in a lookup of name in env looks like a mistake.

    always: say there is no configuration whoever reads stderr (run: a server
    started on the built-in defaults, by an agent or a process manager).
    """
    if origin.path is None and (always or person_reads_stderr()):
        say(no_config_note(working_directory()))
    for note in lookup_notes(pm, origin, name, env):
        say(note)


def lookup_notes(pm: "PortMap", origin: "Origin", name: str | None, env: str | None) -> list[str]:
    """The notes for looking up name (None: every declared service) in env (None: pm's)."""
    notes = [] if origin.test_note is None else [origin.test_note]
    where = origin.path or "the built-in defaults"
    services = pm.services
    if name is not None and services:
        service = normalize_name(name)
        if service not in services:
            notes.append(
                f"stableport: note: {service!r} is not among the services of {where} "
                f"({_listed(services)}), so it gets an undeclared name's port"
                f"{_closest(service, services)} (strict = true makes this an error)"
            )
    if (
        origin.path is not None
        and not pm.instances
        and origin.instance_source is None
        and config_in_linked_worktree(origin.path)
    ):
        table = "[tool.stableport]" if origin.path.endswith("pyproject.toml") else "it"
        notes.append(
            f"stableport: note: this is a linked git worktree, and {where} declares no "
            f"instances, so it gets the same ports as every other checkout of the "
            f"project; add `instances = 4` to {table} and commit it: each worktree then "
            f"gets ports of its own (docs/instances.md)"
        )
    if env is None and origin.env_override is not None:
        env = pm.env  # $STABLEPORT_ENV: as easily mistyped as --env
    envs = pm.envs
    if envs is not None and env is not None and env not in envs:
        notes.append(
            f"stableport: note: environment {env!r} is not among the envs of {where} "
            f"({_listed(envs)}), so its ports are none of theirs{_closest(env, envs)}"
        )
    return notes


def no_config_note(start: str) -> str:
    """Where discovery looked when it found no configuration."""
    return (
        f"stableport: note: no stableport.toml or pyproject.toml with [tool.stableport] in "
        f"{start} or above it: the built-in defaults apply"
    )


def person_reads_stderr() -> bool:
    """Whether stderr is a terminal: a note meant for a person, not a script's log."""
    try:
        return os.isatty(2)
    except OSError:  # pragma: no cover - isatty reports a bad descriptor as False
        return False


def enclosing_project(directory: "Path") -> "Path | None":
    """The nearest pyproject.toml above directory, when directory has none of its own.

    init writes into the working directory; run from a project's subfolder, it
    would start a second configuration there instead of extending the project's.
    """
    if (directory / "pyproject.toml").exists():
        return None
    return next(
        (
            parent / "pyproject.toml"
            for parent in directory.parents
            if (parent / "pyproject.toml").is_file()
        ),
        None,
    )


def _closest(value: str, choices: "Iterable[str]") -> str:
    import difflib  # noqa: PLC0415 - only once a lookup is found wanting

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _listed(names: "Iterable[str]") -> str:
    names = list(names)
    shown = ", ".join(names[:8])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
