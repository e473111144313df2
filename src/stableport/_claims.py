"""Claims: a port held by a server `stableport run` started, for as long as it lives.

A claim is the port's byte in the user's lock file (_lockfile.Locks), the byte a
test run's fixture locks for the same port, so a claimed port and a port a
test holds exclude each other by construction. `run` takes it just before it
replaces itself with the command, on a descriptor the command inherits: an
open file description lock belongs to the description, so the server keeps the
claim until it exits (SIGKILL included) and nothing is left behind.

Who holds a claim is not in the lock (the kernel reports no owner for these
locks), so the claimant writes a small record beside the lock file,
``.claim-PORT``, naming itself and its holder token. The record is read only
when someone is refused, and believed only while that token's byte is locked:
a record a killed server left behind, or one whose port a test run holds now,
is never shown as the holder.
"""

import contextlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from . import _lockfile
from ._errors import ConfigError, shown
from ._files import read_bytes

RECORD_PREFIX = ".claim-"


class Claimant(NamedTuple):
    """Who holds a claim: what `stableport run` was asked to start, and its process."""

    namespace: str | None
    instance: int
    env: str
    service: str
    pid: int
    config: str | None  # the configuration file it read, if any

    def __str__(self) -> str:
        namespace = "no namespace" if self.namespace is None else f"namespace {self.namespace!r}"
        # Quoted if it holds a newline: a directory's name must not forge a line.
        where = "" if self.config is None else f", {shown(self.config, whole=True)}"
        if checkout_gone(self):
            where += ", which no longer exists"
        return (
            f"stableport run of {self.service}@{self.env} (pid {self.pid}, {namespace}, "
            f"instance {self.instance}{where})"
        )


class Refused(NamedTuple):
    """A port another live holder has: its claimant if a stableport run, else None."""

    port: int
    claimant: Claimant | None


def claim(port: int, me: Claimant) -> "_lockfile.Locks | Refused | None":
    """Lock port's byte for this process, its holder; Refused if another holds it.

    Leasing unavailable: no claim, None. To keep the claim in the
    command that replaces this process, call keep_across_exec() on the holder
    just before exec; release() ends it.

    Raises:
        ConfigError: The lease directory or lock file cannot be used.
    """
    if not _lockfile.AVAILABLE:  # pragma: no cover - a platform with no kernel locks
        return None
    directory = _lockfile.lease_directory()
    locks = _lockfile.Locks(directory)
    try:
        taken = locks.take(port)
    except BaseException:
        # Its directory may be open already (too few descriptors for the file):
        # a refused claim keeps nothing, or the command's start would lack one.
        locks.release()
        raise
    if not taken:
        locks.release()
        return Refused(port, claimant(port, directory))
    _write_record(directory, port, {**me._asdict(), "token": locks.token})
    return locks


def claimant(port: int, directory: Path | None = None) -> Claimant | None:
    """The live stableport run claiming port, from its record; None if no live one has."""
    if not _lockfile.AVAILABLE:  # pragma: no cover - a platform with no kernel locks
        return None
    try:
        where = _lockfile.lease_directory() if directory is None else directory
        # As a configuration file is read: a FIFO or a link to a device put in
        # its place is refused, never waited on nor read without end.
        data = json.loads(read_bytes(str(where / f"{RECORD_PREFIX}{port}")))
        token = data.pop("token")
        found = Claimant(**data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, ConfigError):
        return None  # none, or unreadable: never guess a holder
    # Believed only while its writer's byte is locked: a dead server's record lies.
    if not isinstance(token, int) or not _lockfile.holder_live(where, token):
        return None
    return found


def _write_record(directory: Path, port: int, record: dict[str, object]) -> None:
    """The record, whole or not at all: written aside, then renamed over the old one."""
    final = directory / f"{RECORD_PREFIX}{port}"
    aside = directory / f"{RECORD_PREFIX}{port}.{os.getpid()}"
    data = json.dumps(record).encode()
    try:
        # Only port's holder writes its record, and this process holds it: a
        # file aside is a claimant's killed before its rename (under this pid
        # too: a FIFO there would block the open).
        for leftover in directory.glob(f"{RECORD_PREFIX}{port}.*"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _lockfile.NOFOLLOW, 0o600)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written == len(data):
            aside.replace(final)
        else:  # cut short by a file size limit, which says so with no error
            aside.unlink()
    except OSError:
        # A full disk or a file size limit: the claim holds all the same; a
        # refused run then names no holder, only the port.
        with contextlib.suppress(OSError):
            aside.unlink()


def checkout_gone(claimant: Claimant) -> bool:
    """Whether the checkout a live run was started from is gone: its configuration file is.

    Such a run is an orphan (its worktree removed while it served): its ports
    are still held, and no later checkout is given its instance.
    """
    return claimant.config is not None and not os.path.lexists(claimant.config)


def live_claims() -> "list[tuple[int, Claimant]]":
    """Every live stableport run's claim on this host, (port, claimant), by port.

    A record is believed only while its writer lives (see claimant); one that
    cannot be read names no one.
    """
    if not _lockfile.AVAILABLE:  # pragma: no cover - a platform with no kernel locks
        return []
    try:
        directory = _lockfile.lease_directory()
        names = [entry.name for entry in os.scandir(directory)]
    except (OSError, ConfigError):
        return []
    found = []
    for name in names:
        port = name.removeprefix(RECORD_PREFIX)
        if name.startswith(RECORD_PREFIX) and port.isdigit():
            holder = claimant(int(port), directory)
            if holder is not None:
                found.append((int(port), holder))
    return sorted(found)
