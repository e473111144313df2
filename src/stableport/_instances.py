"""stableport instance new: give a git worktree the lowest instance no sibling has.

An instance is a checkout's identity, never committed: a number in the file
.stableport-instance beside the configuration. Git knows every worktree of the
repository, so the siblings' identities are read from their own files, at the
same place relative to each worktree's top; the pick and the write happen
under a lock in the repository's common git directory, so two worktrees set up
at the same instant never pick the same number.
"""

import contextlib
import os
import sys
from pathlib import Path
from typing import NamedTuple

from ._commands import add_options
from ._common import Answer
from ._config import (
    INSTANCE_FILE_NAME,
    INSTANCE_VARIABLE,
    Origin,
    instance_file,
    load_with_origin,
    parse_instance,
)
from ._errors import ConfigError, StableportError, shown
from ._files import read_bytes
from ._output import config_name, entries, identity, json_document, listing, load, path_text
from ._portmap import PortMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

if sys.platform != "win32":
    import fcntl

# Where the lock of the pick lives, in the repository's common git directory.
LOCK_NAME = "stableport-instance.lock"


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
            f"instance: none (the plain map; room for {pm.instances}: "
            f"stableport instance new gives this checkout one)\n"
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
    """Give this checkout the lowest instance no other worktree has; keep one it has alone.

    Raises:
        ConfigError: No configuration, no instances declared, not a git
            worktree, every instance taken, or $STABLEPORT_INSTANCE set (it
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
    directory = str(config_path.parent)
    path = instance_file(origin.path)
    top = _path_line(_git(directory, "rev-parse", "--show-toplevel"))
    relative = os.path.relpath(directory, top)
    if _git(directory, "ls-files", "--", INSTANCE_FILE_NAME).strip():
        raise ConfigError(
            f"instance new: {shown(path)} is committed to git, so every checkout shares it; "
            f"git rm --cached it and commit that"
        )
    common = _path_line(_git(directory, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    with _locked(str(Path(common) / LOCK_NAME)):
        siblings = _sibling_instances(directory, top, relative)
        mine = _own_instance(path)
        kept = mine is not None and 0 < mine <= plain.instances and mine not in siblings
        number = mine if kept and mine is not None else _lowest_free(plain, siblings, path)
        if not kept:
            _write(path, number)
    notes = [] if kept else [f"instance {number} for this checkout: the lowest no worktree has"]
    if mine is not None and not kept:
        holder = siblings.get(mine)
        why = f"also {path_text(holder)}'s" if holder else f"outside 1-{plain.instances}"
        notes.append(f"replaced instance {mine}, {why}")
    ignored = _ignore(directory, path)
    if ignored is not None:
        notes.append(ignored)
    pm, origin = load_with_origin(config)
    return NewInstance(pm, origin, path, kept, tuple(notes))


def _git(directory: str, *args: str) -> str:
    """git's standard output in directory, or a ConfigError saying what git said.

    Decoded as the file system decodes a name (os.fsdecode): a path git prints
    that is not UTF-8 comes back as the path it is, never as an error.
    """
    import subprocess  # noqa: PLC0415 - only instance new runs git

    try:
        done = subprocess.run(  # noqa: S603 - git, with our own arguments
            ["git", *args],  # noqa: S607 - git from PATH, as the user runs it
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except OSError as error:
        raise ConfigError(
            f"instance new: cannot run git ({error.strerror}); it asks git for the "
            f"repository's worktrees. Without git, write the number yourself: "
            f"echo 1 > {shown(str(Path(directory) / INSTANCE_FILE_NAME))}"
        ) from None
    if done.returncode != 0:
        # git says what is wrong first; after an option it does not know, its usage.
        said = done.stderr.decode(errors="replace").strip().splitlines()
        way_out = (
            "instance new needs git 2.36 or later"  # 129: a usage error (-z, --path-format)
            if done.returncode == 129
            else f"instance new works in a git worktree (or write the number to "
            f"{INSTANCE_FILE_NAME} yourself)"
        )
        raise ConfigError(
            f"instance new: git {args[0]} failed in {shown(directory)}: "
            f"{said[0] if said else f'exit status {done.returncode}'}; {way_out}"
        )
    return os.fsdecode(done.stdout)


def _path_line(output: str) -> str:
    """The path git rev-parse printed: all of it but the newline it ends with.

    Never strip(): a directory's name may end in a space, or a newline, of its own.
    """
    return output.removesuffix("\n")


def _sibling_instances(directory: str, top: str, relative: str) -> dict[int, str]:
    """Instance -> the worktree holding it, for every other worktree of the repository."""
    held: dict[int, str] = {}
    # -z: each field ends in NUL, so a worktree whose path holds a newline is
    # one field, where the line-based listing splits it into a bogus worktree.
    listing = _git(directory, "worktree", "list", "--porcelain", "-z")
    for field in listing.split("\0"):
        if not field.startswith("worktree "):
            continue
        tree = field.removeprefix("worktree ")
        if Path(tree).resolve() == Path(top).resolve():
            continue
        path = str(Path(tree, relative, INSTANCE_FILE_NAME))
        number = _own_instance(path)
        if number is not None:
            held.setdefault(number, tree)
    return held


def _own_instance(path: str) -> int | None:
    """The instance a checkout's file names; None if it has none or it cannot be read."""
    if not os.path.lexists(path):
        return None
    try:
        # The loader's reader: a FIFO or a device in its place is refused, never read.
        text = read_bytes(path).decode("ascii")
        return parse_instance(text, shown(path))
    except (UnicodeDecodeError, StableportError):
        return None  # a sibling's broken file is its own error, when it loads


def _lowest_free(plain: PortMap, siblings: "dict[int, str]", path: str) -> int:
    for number in range(1, plain.instances + 1):
        if number not in siblings:
            return number
    trees = ", ".join(f"{number}: {path_text(tree)}" for number, tree in sorted(siblings.items()))
    raise ConfigError(
        f"instance new: all {plain.instances} instances are taken by other worktrees "
        f"({trees}); raise instances in the configuration, or remove a worktree "
        f"(git worktree remove) and run this again. Nothing written to {shown(path)}"
    )


def _write(path: str, number: int) -> None:
    """The number to path, whole or not at all: a reader never sees half a file."""
    temporary = Path(f"{path}.{os.getpid()}.tmp")
    try:
        temporary.write_text(f"{number}\n", encoding="ascii")
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):  # never made, or gone: nothing is left behind
            temporary.unlink()
        raise ConfigError(f"instance new: cannot write {shown(path)}: {error.strerror}") from None


def _ignore(directory: str, path: str) -> str | None:
    """Make git ignore the identity file where only this clone sees it; a note if it did."""
    import subprocess  # noqa: PLC0415 - only instance new runs git

    check = subprocess.run(  # noqa: S603 - git, with our own arguments
        ["git", "check-ignore", "-q", "--", path],  # noqa: S607
        cwd=directory,
        capture_output=True,
        check=False,
    )
    if check.returncode == 0:
        return None
    exclude = _path_line(
        _git(directory, "rev-parse", "--path-format=absolute", "--git-path", "info/exclude")
    )
    try:
        Path(exclude).parent.mkdir(parents=True, exist_ok=True)
        with Path(exclude).open("a", encoding="utf-8") as file:
            file.write("\n# stableport: each checkout's own instance, never committed\n")
            # The * takes in the temporary file of a write cut short (SIGKILL).
            file.write(f"{INSTANCE_FILE_NAME}*\n")
    except OSError as error:
        raise ConfigError(
            f"instance new: wrote {shown(path)} but cannot add it to {shown(exclude)} "
            f"({error.strerror}); add {INSTANCE_FILE_NAME} to .gitignore so it is never committed"
        ) from None
    return f"git ignores {INSTANCE_FILE_NAME} now: added to {path_text(exclude)}"


class _locked:  # noqa: N801 - used as a function: with _locked(path)
    """An exclusive lock on path while the block runs (nothing on Windows: no flock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - no flock there
            return
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # waits: another pick takes a moment
        except OSError as error:
            self.__exit__()
            raise ConfigError(
                f"instance new: cannot lock {shown(self.path)}: {error.strerror}"
            ) from None

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing drops the lock
            self.fd = -1
