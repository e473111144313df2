"""Leases: kernel-held file locks that keep concurrent test runs' ports apart.

A lock is ``flock`` on a file of the lease directory, held through an open file
descriptor: the kernel drops it when the descriptor is closed, when the
process exits, and when it is killed (SIGKILL included). There is no PID file,
no daemon and nothing to clean up: a file nobody holds locked is free, whatever
it contains. Windows has no ``flock``: there, leasing is off (documented).
"""

import os
import sys
from pathlib import Path

from ._errors import ConfigError

if sys.platform != "win32":
    import fcntl

LEASE_DIR_VARIABLE = "STABLEPORT_LEASE_DIR"
# Windows has no flock: there leasing is off, the documented fallback.
AVAILABLE = sys.platform != "win32"


def lease_directory() -> Path:
    """The directory of this user's lock files, created private to them on first use."""
    variable = os.environ.get(LEASE_DIR_VARIABLE)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if variable:
        where, source = Path(variable), LEASE_DIR_VARIABLE
    elif runtime and Path(runtime).is_dir():
        where, source = Path(runtime) / "stableport", "XDG_RUNTIME_DIR"
    else:
        import tempfile  # noqa: PLC0415 - only where no runtime directory is set

        where = Path(tempfile.gettempdir()) / f"stableport-{os.getuid()}"
        source = "the temporary directory"
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = where.lstat()
    except OSError as error:
        raise ConfigError(
            f"lease directory {str(where)!r} (from {source}) cannot be created: {error.strerror}; "
            f"set {LEASE_DIR_VARIABLE} to a directory of yours, or run with "
            f"--stableport-leases=off"
        ) from None
    # Another user's directory (or a link to one) would let them hold our leases.
    if info.st_uid != os.getuid() or info.st_mode & 0o022 or not where.is_dir():
        raise ConfigError(
            f"lease directory {str(where)!r} (from {source}) is not a directory private to this "
            f"user (owner uid {info.st_uid}, mode {info.st_mode & 0o777:o}); set "
            f"{LEASE_DIR_VARIABLE} to a directory only you can write, or run with "
            f"--stableport-leases=off"
        )
    return where


class Locks:
    """The locks one pytest session holds, by file name; all released by release()."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, int] = {}

    def take(self, name: str) -> bool:
        """Lock the file name now, without waiting; False if any holder has it, we included.

        Raises:
            ConfigError: The lock file cannot be opened (too many open files, a
                full disk, a link in its place); names the lease directory.
        """
        if name in self._held:
            return False
        path = self.directory / name
        # Never inherited by children (PEP 446), so only this process can hold it.
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as error:
            raise ConfigError(
                f"lease file {name!r} in lease directory {str(self.directory)!r} cannot be "
                f"opened: {error.strerror} (holding {len(self._held)} leases and ports); "
                f"free descriptors or disk space, remove what is in its place, or run with "
                f"--stableport-leases=off"
            ) from None
        if not _try_lock(fd):
            os.close(fd)
            return False
        self._held[name] = fd
        return True

    def release(self) -> None:
        """Release every lock (closing a descriptor drops its lock)."""
        for fd in self._held.values():
            os.close(fd)
        self._held.clear()


def _try_lock(fd: int) -> bool:
    """An exclusive flock on fd if nobody else holds one, without waiting."""
    if sys.platform == "win32":  # pragma: no cover - never called there: AVAILABLE is False
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
