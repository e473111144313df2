"""Giving a checkout an instance: the lowest number no other checkout holds, race-safe.

Shared by the loader's first use (a linked git worktree with no identity,
through _config) and by `stableport instance new`. The pick and every write
happen under a lock in the repository's common git directory, so worktrees
starting at the same instant never pick the same number. It imports neither
_config nor the command line: the loader calls it.
"""

import contextlib
import errno
import os
from pathlib import Path
from typing import NamedTuple

from . import _winlocks
from ._errors import ConfigError, path_text, shown
from ._identity import (
    INSTANCE_FILE_NAME,
    INSTANCE_VARIABLE,
    MADE_FOR,
    Identity,
    UnreadableIdentityError,
    copied_from,
    instance_file,
    parse_instance,
    read_identity,
)
from ._stderr import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._claims import Claimant

# Where the lock of the pick lives, in the repository's common git directory.
LOCK_NAME = "stableport-instance.lock"


class Assigned(NamedTuple):
    """What an assignment did: the number, whether it was the checkout's already, notes."""

    number: int
    kept: bool
    notes: tuple[str, ...]


class Repository:
    """The git repository a checkout's configuration is in, as instance assignment sees it.

    directory is the configuration's directory as a real path (a symbolic link
    on the way would make it look outside git's top, which git gives as a real
    path, and every sibling's file would be looked for in the wrong place).
    """

    def __init__(self, config_path: str, doing: str) -> None:
        self.doing = doing
        self.path = instance_file(config_path)  # the identity file, as the loader names it
        self.directory = os.path.realpath(os.path.dirname(config_path))
        self.top = os.path.realpath(
            _path_line(git_output(self.directory, "rev-parse", "--show-toplevel", doing=doing))
        )
        self.relative = os.path.relpath(self.directory, self.top)
        self.common = _path_line(
            git_output(
                self.directory,
                "rev-parse",
                "--path-format=absolute",
                "--git-common-dir",
                doing=doing,
            )
        )
        own = _path_line(
            git_output(
                self.directory, "rev-parse", "--path-format=absolute", "--git-dir", doing=doing
            )
        )
        # The main worktree's git directory is the common one; a linked one's is its own.
        self.main = os.path.realpath(own) == os.path.realpath(self.common)

    @classmethod
    def of(cls, config_path: str, doing: str) -> "Repository":
        return cls(config_path, doing)

    def assign(self, room: int, namespace: str | None, original: str | None = None) -> Assigned:
        """Under the repository's lock: this checkout's own number, or the lowest free one.

        namespace: the project's, whose live runs' claims count (see _held).
        original: the checkout this one's file was copied from (never kept).
        """
        with _locked(str(Path(self.common) / LOCK_NAME), self.doing):
            held = self._held(namespace)
            found = _read_own(self.path)
            mine = None
            if found is not None and original is None:
                original = copied_from(found, self.path)  # instance new in a copy
            if found is not None and original is None:
                mine = _number(found.value)
            kept = mine is not None and 0 < mine <= room and mine not in held
            number = mine if kept and mine is not None else _lowest_free(room, held, self)
            notes = []
            if not kept:
                _record(self.common, number, self.directory)
                _write(self.path, number, self.directory, self.doing)
                notes.append(f"instance {number} for this checkout: the lowest no worktree has")
                if original is not None:
                    notes.append(f"its file was copied from {path_text(original)}, not made here")
                elif mine is not None:
                    holder = held.get(mine)
                    reason = f"also {holder}'s" if holder else f"outside 1-{room}"
                    notes.append(f"replaced instance {mine}, {reason}")
            ignored = self._ignore()
        if ignored is not None:
            notes.append(ignored)
        return Assigned(number, kept, tuple(notes))

    def _held(self, namespace: str | None) -> dict[int, str]:
        """Instance -> who holds it, for every checkout but this one (see docs/instances.md).

        Every worktree git lists, every checkout given a number before (the
        record in the common git directory: copies git does not know, and
        worktrees moved away), and every number a live stableport run still
        claims for a checkout that is gone or another.
        """
        held: dict[int, str] = {}
        listed = _worktrees(self.directory, self.doing)
        recorded = _recorded(self.common)
        places: dict[str, bool] = {}  # checkout directory -> whether git lists it gone
        for tree, prunable in listed:
            places.setdefault(os.path.realpath(os.path.join(tree, self.relative)), prunable)
        for directory in recorded:
            places.setdefault(directory, False)
        for directory, prunable in places.items():
            if directory == self.directory:
                continue
            number = self._held_by(directory, recorded, prunable=prunable)
            if number is not None:
                held.setdefault(number, path_text(directory))
        for number, claimant in _claimed_elsewhere(self.directory, namespace).items():
            place = path_text(os.path.dirname(claimant.config or ""))
            gone = " (that checkout is gone)" if _claims_gone(claimant) else ""
            run = f"a live stableport run (pid {claimant.pid}) from {place}{gone}"
            held.setdefault(number, run)
        return held

    def _held_by(self, directory: str, recorded: dict[str, int], *, prunable: bool) -> int | None:
        """The instance the checkout in directory holds, if any."""
        path = os.path.join(directory, INSTANCE_FILE_NAME)
        try:
            found = read_identity(path)
        except UnreadableIdentityError as error:
            raise ConfigError(
                f"{self.doing}: {error}, so which instance that checkout has cannot be "
                f"told, and giving this one a number could give it that checkout's ports; "
                f"nothing was written. Make it readable to you, or set {INSTANCE_VARIABLE} "
                f"here to a number you know is free"
            ) from None
        except ConfigError:
            return None  # a file its own loads refuse holds no instance
        if found is None:
            # Gone from where git lists it (moved with mv, or deleted unpruned):
            # the number it was given stands until git forgets the worktree.
            return recorded.get(directory) if prunable else None
        if copied_from(found, path) is not None:
            return None  # a copy: its own first use gives it another
        return _number(found.value)

    def _ignore(self) -> str | None:
        """Make git ignore the identity file where only this clone sees it; a note if it did."""
        import subprocess  # noqa: PLC0415 - only instance assignment runs git

        check = subprocess.run(  # noqa: S603 - git, with our own arguments
            ["git", "check-ignore", "-q", "--", self.path],  # noqa: S607
            cwd=self.directory,
            capture_output=True,
            check=False,
        )
        if check.returncode == 0:
            return None
        exclude = _path_line(
            git_output(
                self.directory,
                "rev-parse",
                "--path-format=absolute",
                "--git-path",
                "info/exclude",
                doing=self.doing,
            )
        )
        # The * takes in the temporary file of a write cut short (SIGKILL).
        lines = (
            f"# stableport: each checkout's own instance, never committed\n{INSTANCE_FILE_NAME}*\n"
        )
        try:
            Path(exclude).parent.mkdir(parents=True, exist_ok=True)
            _append_line(exclude, lines.encode(), blank=True)
        except OSError as error:
            undone = getattr(error, "undone", True)
            state = "" if undone else " (it may end in part of a line: remove it)"
            raise ConfigError(
                f"{self.doing}: wrote {shown(self.path)} but cannot add it to "
                f"{shown(exclude)} ({error.strerror}){state}; add {INSTANCE_FILE_NAME} to "
                f".gitignore so it is never committed"
            ) from None
        return f"git ignores {INSTANCE_FILE_NAME} now: added to {path_text(exclude)}"


def _append_line(path: str, lines: bytes, *, blank: bool = False) -> None:
    """lines at the end of the file at path, after a newline if it lacks one; all or nothing.

    blank: a blank line before them, setting them apart (a block in a file a
    person reads and edits, such as info/exclude).
    """
    from ._appending import append_bytes  # noqa: PLC0415 - only when git must be told

    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        length = os.fstat(descriptor).st_size
        last = b"\n"
        if length:  # no os.pread on Windows
            os.lseek(descriptor, length - 1, os.SEEK_SET)
            last = os.read(descriptor, 1)
        ending = b"" if last == b"\n" else b"\n"
        append_bytes(descriptor, length, ending + (b"\n" if blank else b"") + lines)
    finally:
        os.close(descriptor)


FIRST_USE = "giving this worktree an instance"


def first_use(
    config_path: str, room: int, namespace: str | None, original: str | None
) -> "tuple[str | None, str]":
    """The loader's: give a linked worktree without an identity one now, and say so once.

    The loader calls it only where the rule says so (docs/instances.md): a
    linked git worktree, no identity given, CI not set. Returns the instance as
    text and its source (the file written), or (None, "") where the checkout
    cannot be written (it keeps the plain map, with a note). A copy (original
    set) that cannot be given its own is an error.
    """
    path = instance_file(config_path)
    try:
        # What each message begins with: the step that failed (the CLI adds "stableport: error:").
        made = Repository.of(config_path, FIRST_USE).assign(room, namespace, original)
    except ConfigError as error:
        if original is None and _read_only(error):
            say(
                f"stableport: note: {path_text(os.path.dirname(config_path))} is a git worktree "
                f"with no instance, and cannot be given one ({error}); it gets the plain "
                f"map's ports, the main checkout's: set {INSTANCE_VARIABLE}=N for its own"
            )
            return None, ""
        raise
    if not made.kept:
        copied = (
            f" (its {INSTANCE_FILE_NAME} was copied from {path_text(original)})"
            if original is not None
            else ""
        )
        say(
            f"stableport: this worktree had no instance of its own{copied}: gave it instance "
            f"{made.number} of {room}, the lowest free, in {path_text(path)}"
        )
    return str(made.number), shown(path)


def _read_only(error: ConfigError) -> bool:
    """Whether error is this checkout (or its repository) refusing a write."""
    text = str(error)
    return any(os.strerror(code) in text for code in (errno.EROFS, errno.EACCES, errno.EPERM))


def git_output(directory: str, *args: str, doing: str = "instance new") -> str:
    """git's standard output in directory, or a ConfigError saying what git said.

    Decoded as the file system decodes a name (os.fsdecode): a path git prints
    that is not UTF-8 comes back as the path it is, never as an error.
    """
    import subprocess  # noqa: PLC0415 - only instance assignment runs git

    try:
        done = subprocess.run(  # noqa: S603 - git, with our own arguments
            ["git", *args],  # noqa: S607 - git from PATH, as the user runs it
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except OSError as error:
        # Never "write the number yourself": which numbers the other worktrees
        # hold is exactly what cannot be checked without git.
        raise ConfigError(
            f"{doing}: cannot run git ({error.strerror}), which lists the repository's "
            f"worktrees: without it, which instances they hold cannot be checked, and a "
            f"number picked blind could be another worktree's. Nothing was written; put "
            f"git on PATH, or set {INSTANCE_VARIABLE} to a number you know is free"
        ) from None
    if done.returncode != 0:
        # git says what is wrong first; after an option it does not know, its usage.
        said = done.stderr.decode(errors="replace").strip().splitlines()
        way_out = (
            f"{doing} needs git 2.36 or later"  # 129: a usage error (-z, --path-format)
            if done.returncode == 129
            else f"instances are given to git worktrees only (elsewhere, set {INSTANCE_VARIABLE})"
        )
        raise ConfigError(
            f"{doing}: git {args[0]} failed in {shown(directory)}: "
            f"{said[0] if said else f'exit status {done.returncode}'}; {way_out}"
        )
    return os.fsdecode(done.stdout)


def _path_line(output: str) -> str:
    """The path git rev-parse printed: all of it but the newline it ends with.

    Never strip(): a directory's name may end in a space, or a newline, of its own.
    """
    return output.removesuffix("\n")


def _worktrees(directory: str, doing: str) -> list[tuple[str, bool]]:
    """Every worktree git lists for the repository: its path, and whether git calls it gone."""
    # -z: each field ends in NUL, so a worktree whose path holds a newline is
    # one field, where the line-based listing splits it into a bogus worktree.
    listing = git_output(directory, "worktree", "list", "--porcelain", "-z", doing=doing)
    trees: list[tuple[str, bool]] = []
    for field in listing.split("\0"):
        if field.startswith("worktree "):
            trees.append((field.removeprefix("worktree "), False))
        elif field.startswith("prunable") and trees:
            trees[-1] = (trees[-1][0], True)
    return trees


# Every number ever given, in the common git directory: one line each, the
# number and the checkout's directory as a JSON string. The last line for a
# directory is its number; a line is believed only while that checkout still
# holds the number (or git still lists it, gone from its place).
RECORD_NAME = "stableport-instances"


def _recorded(common: str) -> dict[str, int]:
    """Checkout directory -> the number it was last given, from the record."""
    import json  # noqa: PLC0415 - only instance assignment reads the record

    path = os.path.join(common, RECORD_NAME)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UnreadableIdentityError(
            f"cannot read {shown(path, quoted=True)}: {error.strerror}"
        ) from None
    recorded: dict[str, int] = {}
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        number, _, directory = line.partition(" ")
        try:
            place = json.loads(directory)
        except ValueError:
            continue  # a line cut short (a full disk): nothing said
        if number.isascii() and number.isdigit() and isinstance(place, str):
            recorded[place] = int(number)
    return recorded


def _record(common: str, number: int, directory: str) -> None:
    """Add number for directory to the record, whole or not at all."""
    import json  # noqa: PLC0415 - only instance assignment writes the record

    path = os.path.join(common, RECORD_NAME)
    line = f"{number} {json.dumps(directory)}\n".encode()
    try:
        _append_line(path, line)
    except OSError as error:
        raise ConfigError(
            f"instance: cannot add to {shown(path)}: {error.strerror}; nothing was written"
        ) from None


def _claimed_elsewhere(directory: str, namespace: str | None) -> "dict[int, Claimant]":
    """Instance -> a live stableport run of the project claiming its ports from elsewhere.

    A server still running for a checkout that was removed (an orphan), or for
    another checkout that was given another number since: either way, a
    checkout given that number now would get ports a live server holds.
    """
    from ._claims import live_claims  # noqa: PLC0415 - only when assigning

    held: dict[int, Claimant] = {}
    for _, claimant in live_claims():
        if not claimant.instance or claimant.config is None or claimant.namespace != namespace:
            continue
        if os.path.realpath(os.path.dirname(claimant.config)) != directory:
            held.setdefault(claimant.instance, claimant)
    return held


def _claims_gone(claimant: "Claimant") -> bool:
    from ._claims import checkout_gone  # noqa: PLC0415 - loaded by _claimed_elsewhere

    return checkout_gone(claimant)


def _read_own(path: str) -> "Identity | None":
    try:
        return read_identity(path)
    except UnreadableIdentityError:
        raise
    except ConfigError:
        return None  # this checkout's own broken file: replaced


def _number(value: str) -> int | None:
    try:
        return parse_instance(value, "")
    except ConfigError:
        return None


def _lowest_free(room: int, held: "dict[int, str]", repository: Repository) -> int:
    for number in range(1, room + 1):
        if number not in held:
            return number
    holders = ", ".join(f"{number}: {holder}" for number, holder in sorted(held.items()))
    taken = (
        "the 1 instance is taken by another worktree"
        if room == 1
        else f"all {room} instances are taken by other worktrees"
    )
    raise ConfigError(
        f"{repository.doing}: {taken} ({holders}); raise instances in the configuration, "
        f"or remove a worktree (git worktree remove) and run this again. Nothing written to "
        f"{shown(repository.path)}"
    )


def _write(path: str, number: int, directory: str, doing: str) -> None:
    """The number, and the checkout it is for, to path: whole or not at all."""
    import json  # noqa: PLC0415 - only when an identity is written

    temporary = Path(f"{path}.{os.getpid()}.tmp")
    # UTF-8 as it is (a reader needs json only for a quote or a backslash); a
    # name that is not UTF-8 (surrogates) escaped, so it reads back the same.
    ascii_only = any("\udc80" <= char <= "\udcff" for char in directory)
    text = f"{number}\n{MADE_FOR}{json.dumps(directory, ensure_ascii=ascii_only)}\n"
    try:
        with temporary.open("x", encoding="utf-8", errors="surrogateescape") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except (OSError, ValueError) as error:
        with contextlib.suppress(OSError):  # never made, or gone: nothing is left behind
            temporary.unlink()
        why = error.strerror if isinstance(error, OSError) else str(error)
        raise ConfigError(f"{doing}: cannot write {shown(path)}: {why}") from None


class _locked:  # noqa: N801 - used as a function: with _locked(path)
    """An exclusive lock on path while the block runs: flock, or Windows' byte-range lock."""

    def __init__(self, path: str, doing: str) -> None:
        self.path = path
        self.doing = doing
        self.fd = -1

    def __enter__(self) -> None:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            _winlocks.wait_exclusive(self.fd)  # waits: another pick takes a moment
        except OSError as error:
            self.__exit__()
            raise ConfigError(
                f"{self.doing}: cannot lock {shown(self.path)}: {error.strerror}"
            ) from None

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing drops the lock
            self.fd = -1
