"""A checkout's identity: the one reader of .stableport-instance, its instance, where it is.

The loader (through _config) and instance assignment (_assign, instance new)
read an identity file through read_identity alone, so one file means one
thing to both; which instance a checkout's file gives it, or whether it is
given one now, is decided here (checkout_instance) and checked against the
configuration's room (checked_instance); what a linked git worktree is, is
read from git's own files (no git runs), here too. This module reads and
never writes: giving an instance is _assign's, which the loader calls.
docs/instances.md states the same rules for other implementations. os.path
throughout: pathlib imports re, which a lookup's start-up does without.
"""

import os

from ._errors import ConfigError, excerpt, shown
from ._files import read_bytes, read_descriptor
from ._portmap import MAX_INSTANCES

INSTANCE_VARIABLE = "STABLEPORT_INSTANCE"
# The checkout's own identity, beside its configuration: written on first use
# or by `stableport instance new`, kept out of git by .git/info/exclude.
INSTANCE_FILE_NAME = ".stableport-instance"


def instance_file(config_path: str) -> str:
    """The identity file of the checkout whose configuration is config_path."""
    return os.path.join(os.path.dirname(config_path), INSTANCE_FILE_NAME)


class Identity:
    """What a checkout's identity file says: its number as written, and for whom."""

    # A plain class: typing's NamedTuple would cost the NAME form an import.
    __slots__ = ("made_for", "value")

    def __init__(self, value: str, made_for: str | None) -> None:
        self.value = value  # the first line: the instance, as parse_instance reads it
        self.made_for = made_for  # the checkout directory it was given to (its real path)


# The line after the number that names the checkout an identity was made for
# (a JSON string: any path, a newline in it too), so a copy is told apart.
MADE_FOR = "for: "


def read_identity(path: str) -> Identity | None:
    """The identity file at path (see identity_text); None when there is none.

    Its format: the instance on the first line (ASCII space around it allowed),
    then optionally a line `for: "DIR"`, DIR a JSON string, the real path of
    the directory it was given to; blank lines are ignored, anything else is
    an error naming the file.
    """
    text = identity_text(path)
    if text is None:
        return None
    value, _, rest = text.lstrip(_SPACE).partition("\n")
    made_for = None
    for line in rest.split("\n"):
        if not line.strip(_SPACE):
            continue
        if line.startswith(MADE_FOR) and made_for is None:
            made_for = _json_string(line.removeprefix(MADE_FOR).rstrip(_SPACE))
            if made_for is not None and os.path.isabs(made_for):
                continue
        raise ConfigError(
            f"{shown(path)}: {excerpt(line)} is not a line of an identity file, which holds "
            f'the instance on its first line and at most a line {MADE_FOR}"DIR"; remove '
            f"the file, and run stableport instance new"
        )
    return Identity(value, made_for)


def _json_string(text: str) -> str | None:
    """The JSON string text holds, or None; json only for one with escapes in it.

    json imports re, which would double a lookup's start-up in every worktree.
    """
    if len(text) >= 2 and text[0] == text[-1] == '"' and "\\" not in text:
        inner = text[1:-1]
        return None if '"' in inner or any(ord(char) < 0x20 for char in inner) else inner
    import json  # noqa: PLC0415 - a path with a quote, a backslash or a control character

    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def copied_from(found: Identity, path: str) -> str | None:
    """The checkout found was made for, if that is another one that still exists: a copy.

    A checkout moved away (its old directory gone) keeps its identity: it is the
    same checkout. One copied (cp -r) carries its original's file, which names
    the original's directory, still there: the copy is not that instance.
    """
    if found.made_for is None:
        return None
    here = os.path.realpath(os.path.dirname(path))
    if here == found.made_for or not os.path.lexists(found.made_for):
        return None
    return found.made_for


class UnreadableIdentityError(ConfigError):
    """An identity file that is there but cannot be read: whose it is cannot be told.

    Not a file whose content is refused (that is a plain ConfigError, the
    checkout's own loads fail on it): this one may be another user's, or
    behind a directory this user cannot search, and hold a valid number.
    """


def identity_text(path: str) -> str | None:
    """The text of the identity file at path; None when there is none.

    The one reader of .stableport-instance: the loader and instance new (for
    every sibling worktree) call it, so a file means one thing to both. Only a
    regular file is read (a FIFO is refused, never waited on); bytes that are
    not UTF-8 become U+FFFD, which parse_instance then refuses, naming the file.

    Raises:
        UnreadableIdentityError: The file, or a directory above it, cannot be
            examined or opened (permissions, I/O): never taken for no file.
        ConfigError: It is not a regular file, or is too large.
    """
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as error:
        raise UnreadableIdentityError(_unreadable(path, error)) from None
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if os.path.islink(path):  # a link to nowhere: named with its target
            read_bytes(path)  # raises
        return None  # removed in between: no file
    except OSError as error:
        raise UnreadableIdentityError(_unreadable(path, error)) from None
    try:
        return read_descriptor(descriptor, path).decode("utf-8", "replace")
    finally:
        os.close(descriptor)


def _unreadable(path: str, error: "OSError | ValueError") -> str:
    why = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"cannot read {shown(path, quoted=True)}: {why}"


# What may surround an identity's digits: ASCII white space only. str.strip()
# would also take U+00A0 and the like, which a reader in another language (or
# an ASCII decoder) would not: one file would name two different instances.
_SPACE = " \t\n\r\f\v"


def parse_instance(value: str, source: str) -> int:
    """An instance identity as written: a decimal 0-MAX_INSTANCES, ASCII space around it allowed."""
    text = value.strip(_SPACE)
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


def checked_instance(value: str, source: str, room: int, label: str) -> int:
    """value as an instance of a configuration (label) with room for room instances."""
    number = parse_instance(value, source)
    if number > room:
        raise ConfigError(
            f"instance {number} (from {source}) is beyond instances = {room} in {label}; "
            f"instances are 1 to {room} (0: the plain map). Raise instances, or run "
            f"stableport instance new for a free one"
            if room
            else f"instance {number} (from {source}) needs room: {label} declares no "
            f"instances; add instances = N (N >= {number}) to it, or remove {source}"
        )
    return number


class FirstUse:
    """A checkout to be given an instance now: a linked worktree with none of its own.

    What checkout_instance returns where the rule gives one; the loader then
    calls _assign.first_use, which writes (this module only reads).
    """

    __slots__ = ("original",)

    def __init__(self, original: str | None) -> None:
        # The checkout a copied identity file was made for, or None: no file at all.
        self.original = original


def checkout_instance(config_path: str, room: int) -> "tuple[str, str] | FirstUse | None":
    """The instance of the checkout of config_path: its file's, else whether it is given one.

    Returns the instance as written and its source (the file's name in
    messages); None for the plain map; FirstUse for a linked git worktree of
    a project that declares instances (room) with no identity of its own,
    unless CI is set (docs/instances.md). A file made for another checkout (a
    copy's, see copied_from) is not this one's: where it is given none of its
    own, that is an error naming both.
    """
    path = instance_file(config_path)
    found = read_identity(path)
    original = None if found is None else copied_from(found, path)
    if found is not None and original is None:
        return found.value, shown(path)
    if not room:
        if found is not None:  # a copy, in a project that holds no instances: its error
            return found.value, shown(path)
        return None
    directory = os.path.dirname(config_path)
    ci = os.environ.get("CI")
    if ci is not None and ci.strip().lower() in ("", "0", "false", "no"):
        ci = None
    refused = (
        "it is not in a linked git worktree"
        if not linked_worktree(directory)
        else None
        if ci is None
        else f"CI={ci} is set"
    )
    if refused is None:
        return FirstUse(original)
    # The main checkout, a plain directory, a CI job: the plain map, as before.
    if original is None:
        return None
    raise ConfigError(
        f"{shown(path)} was made for {shown(original)}, which still exists: this "
        f"checkout is a copy of it and would get its ports. It is given no instance "
        f"of its own here ({refused}): remove the file for the plain map, or set "
        f"{INSTANCE_VARIABLE}"
    )


def linked_worktree(directory: str) -> bool:
    """Whether directory is in a linked git worktree: the nearest .git is a file naming one.

    Read from git's own files (gitrepository-layout), so no git runs: a linked
    worktree's .git is a file `gitdir: COMMON/worktrees/ID`, that directory
    holding a `commondir` file; a submodule's .git names a directory without
    one, and a main worktree's .git is a directory.
    """
    found = checkout_of(directory)
    if found is None:
        return False
    top, gitdir = found
    return gitdir is not None and os.path.isfile(os.path.join(top, gitdir, "commondir"))


def config_in_linked_worktree(config_path: str) -> bool:
    """Whether the configuration at config_path is in a linked git worktree."""
    return linked_worktree(os.path.dirname(config_path))


def checkout_of(directory: str) -> "tuple[str, str | None] | None":
    """The git checkout directory is in: its top, and what its .git file names (None: a dir).

    None outside git. Only a directory or a regular file named .git counts
    (anything else there is never opened: a FIFO would wait for a writer).
    """
    import stat  # noqa: PLC0415 - loaded with os already

    folder = os.path.abspath(directory)
    while True:
        dot_git = os.path.join(folder, ".git")
        try:
            mode = os.stat(dot_git).st_mode
        except (OSError, ValueError):
            mode = 0
        if stat.S_ISDIR(mode):
            return folder, None
        if stat.S_ISREG(mode):
            try:
                with open(dot_git, "rb") as file:
                    head = file.read(4096)
            except OSError:
                return None
            text = os.fsdecode(head.partition(b"\n")[0].strip())
            if not text.startswith("gitdir:"):
                return None
            return folder, text.removeprefix("gitdir:").strip()
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def other_checkouts_config(config_path: str, start: str | None = None) -> str | None:
    """The working directory's (or start's) checkout, if config_path is another's.

    config_path is named by a variable. A STABLEPORT_CONFIG set for one
    checkout (a notebook's, a shell's) and used from another gives the other
    checkout's ports: never silently.
    """
    try:
        here = checkout_of(os.getcwd() if start is None else start)
    except OSError:
        return None
    there = checkout_of(os.path.dirname(os.path.abspath(config_path)))
    if here is None or there is None or here[0] == there[0]:
        return None
    if os.path.realpath(here[0]) == os.path.realpath(there[0]):
        return None
    if there[1] is not None and _submodule_of(here, there[0], there[1]):
        return None  # a shared map checked out inside this one (docs/production.md)
    return here[0]


def _submodule_of(here: "tuple[str, str | None]", folder: str, gitdir: str) -> bool:
    """Whether the checkout at folder (its .git file naming gitdir) is a submodule of here.

    A submodule's git directory lives in its superproject's, under modules/: it
    is part of that checkout, as a map shared by many repositories is.
    """
    own = os.path.join(here[0], ".git") if here[1] is None else here[1]
    modules = os.path.join(os.path.realpath(os.path.join(here[0], own)), "modules")
    return os.path.realpath(os.path.join(folder, gitdir)).startswith(modules + os.sep)
