"""stableport instance new: give a git worktree the lowest instance no sibling has.

An instance is a checkout's identity, never committed: a number in the file
.stableport-instance beside the configuration. Git knows every worktree of the
repository, so the siblings' identities are read from their own files, at the
same place relative to each worktree's top; the pick and the write happen
under a lock in the repository's common git directory, so two worktrees set up
at the same instant never pick the same number.
"""

import os
from pathlib import Path
from typing import NamedTuple

from stableport._assign import Repository, git_output
from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._cli.views import (
    config_name,
    entries,
    identity,
    json_document,
    listing,
    load,
    path_text,
)
from stableport._config import Origin, load_with_origin
from stableport._errors import ConfigError, shown
from stableport._identity import INSTANCE_FILE_NAME, INSTANCE_VARIABLE
from stableport._portmap import PortMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


class NewInstance(NamedTuple):
    """What instance new did: the instance's map, and the file it wrote or kept."""

    map: PortMap
    origin: Origin
    path: str  # the identity file
    kept: bool  # True: the checkout had an instance of its own already
    notes: tuple[str, ...]  # what else was done, for the human output


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "A checkout that is an instance of its project (a git worktree beside the main "
        "one) gets its own port for every declared service, apart from every other "
        "instance's and the plain map's. show (the default): this checkout's instance "
        "and its ports. new: give this checkout the lowest instance no other worktree "
        "of the repository has, in a .stableport-instance file beside the configuration "
        "that git ignores (through .git/info/exclude), and print its ports; a checkout "
        "that has an instance of its own keeps it."
    )
    add_options(parser, "--config", "--json")
    parser.add_argument(
        "action", nargs="?", choices=("show", "new"), default="show", help="show or new"
    )


def handle(args: "argparse.Namespace") -> Answer:
    if args.action == "new":
        return _new(args, new_instance(args.config))
    return _show(args)


def _show(args: "argparse.Namespace") -> Answer:
    """stableport instance: this checkout's instance, and its ports in its default env."""
    pm, origin = load(args)
    listed = entries(pm, origin)
    if args.json:
        return Answer(0, json_document({**identity(pm, origin), "entries": listed}))
    if pm.instance:
        head = ""
    elif pm.instances:
        head = (
            f"instance: none (the plain map; room for {pm.instances}: each linked git "
            f"worktree is given one the first time it asks for a port)\n"
        )
    else:
        head = "instance: none (the plain map; the configuration declares no instances)\n"
    return Answer(0, f"config: {config_name(origin)}\n{head}" + listing(pm, listed, origin))


def _new(args: "argparse.Namespace", made: NewInstance) -> Answer:
    """stableport instance new: what was written, then the instance's ports."""
    pm, origin = made.map, made.origin
    listed = entries(pm, origin)
    verb = "kept" if made.kept else "wrote"
    done = f"instance {pm.instance} of {pm.instances}: {verb} {path_text(made.path)}"
    if args.json:
        document = {**identity(pm, origin), "kept": made.kept, "entries": listed}
        return Answer(0, json_document(document), done)
    head = f"{done}\n" + "".join(f"({note})\n" for note in made.notes)
    text = f"{head}\nconfig: {config_name(origin)}\n" + listing(pm, listed, origin)
    return Answer(0, text, done)


def new_instance(config: str | None) -> NewInstance:
    """Give this checkout the lowest instance no other checkout has; keep one it has alone.

    Raises:
        ConfigError: No configuration, no instances declared, not a git
            worktree, the main worktree, every instance taken, a sibling's
            identity that cannot be read, or $STABLEPORT_INSTANCE set (it
            would hide the file from every lookup).
    """
    if os.environ.get(INSTANCE_VARIABLE) is not None:
        raise ConfigError(
            f"{INSTANCE_VARIABLE}={os.environ[INSTANCE_VARIABLE]!r} is set, and it wins over "
            f"the file instance new writes; unset it first"
        )
    # The plain map: its file and capacity, whatever this checkout's file says now.
    plain, origin = load_with_origin(config, instance="0")
    if origin.path is None:
        message = (
            "instance new: no stableport.toml or [tool.stableport] found from here upward; "
            "run stableport init first"
        )
        raise ConfigError(message)
    config_path = Path(origin.path)
    where = "[tool.stableport]" if config_path.name == "pyproject.toml" else "its top"
    if not plain.instances:
        raise ConfigError(
            f"instance new: {shown(origin.path)} declares no instances; add, for example, "
            f"instances = 4 to {where} (room for 4 checkouts beside the plain one) and "
            f"commit it"
        )
    repository = Repository.of(origin.path, "instance new")
    if git_output(repository.directory, "ls-files", "--", INSTANCE_FILE_NAME).strip():
        raise ConfigError(
            f"instance new: {shown(repository.path)} is committed to git, so every checkout "
            f"shares it; git rm --cached it and commit that"
        )
    if repository.main:
        raise ConfigError(
            f"instance new: {path_text(repository.top)} is the repository's main worktree, "
            f"the plain map every other checkout is apart from; an instance would move its "
            f"ports while its servers run. Give instances to the worktrees beside it (git "
            f"worktree add; each gets one on first use), or, to move it all the same, "
            f"echo N > {shown(repository.path)} with N free (stableport instance in each)"
        )
    made = repository.assign(plain.instances, plain.namespace)
    pm, origin = load_with_origin(config)
    return NewInstance(pm, origin, repository.path, made.kept, made.notes)
