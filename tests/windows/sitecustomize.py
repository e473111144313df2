"""A process started with this directory on PYTHONPATH locks and deletes as Windows does.

The library takes its Windows lock path wherever stableport._winlocks.LOCK is
set; this sets it, as each import of that module does on Windows, to a
stand-in for LockFileEx that has Windows' semantics (an import hook: nothing
of stableport is imported before the program imports it), and takes away what
Windows lacks. PYTHONPATH (an absolute one) is inherited by every process the
suite starts: the CLI, pytester subprocesses, xdist workers. CI runs the core
lock tests so a third time (.ci/run). What is modelled:

- LockFileEx: a lock of one byte belongs to the handle (two descriptors in
  one process exclude each other) and is released when it is closed or its
  process ends, SIGKILL included. Linux's open file description locks have
  exactly that; they are called by number, as the F_OFD_* names are removed.
- No flock, lockf nor open file description locks: Windows has none of them,
  so any use of them on the Windows path fails here.
- A file that is open cannot be deleted nor renamed over: os.open marks each
  descriptor of a regular file it opens for reading with a shared lock of a
  byte no one else locks (released with it, by any process), and os.unlink,
  os.remove, os.replace and os.rename refuse, as Windows does
  (ERROR_SHARING_VIOLATION, PermissionError), to delete or replace a file
  someone has so marked. Files opened otherwise (builtins.open) are not
  marked: the library opens its lock file with os.open.

Not modelled (docs/platforms.md): that Windows' locks are mandatory (the
library locks only bytes no one reads), the delay Windows may take to release
a closed handle's locks, and the ctypes call itself.
"""

import contextlib
import errno
import fcntl
import os
import stat
import struct
import sys
from collections.abc import Callable, Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType

OFD_GETLK, OFD_SETLK, OFD_SETLKW = 36, 37, 38  # Linux's numbers
FLOCK = struct.Struct("hhqqi4x")
OPEN_MARK = 1 << 62  # above every byte the library locks


def lock_file_ex(fd: int, offset: int, *, wait: bool, unlock: bool) -> bool:
    """LockFileEx / UnlockFileEx of one byte for fd's handle (False: ERROR_LOCK_VIOLATION)."""
    kind = fcntl.F_UNLCK if unlock else fcntl.F_WRLCK
    try:
        fcntl.fcntl(fd, OFD_SETLKW if wait else OFD_SETLK, FLOCK.pack(kind, 0, offset, 1, 0))
    except BlockingIOError:
        return False
    return True


_open, _real_unlink, _real_replace, _real_rename = os.open, os.unlink, os.replace, os.rename
Path = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def _marked_open(path: Path, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
    """os.open, the descriptor marked open (as every Windows handle keeps its file)."""
    fd = _open(path, flags, mode, dir_fd=dir_fd)
    if flags & os.O_ACCMODE != os.O_WRONLY:  # a read lock needs read access
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.fstat(fd).st_mode):
                fcntl.fcntl(fd, OFD_SETLK, FLOCK.pack(fcntl.F_RDLCK, 0, OPEN_MARK, 1, 0))
    return fd


def _refuse_if_open(path: Path, dir_fd: int | None) -> None:
    """PermissionError, as Windows' sharing violation, if any process has path's file open."""
    try:
        fd = _open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return  # absent, a link, unreadable: the real call says what it says
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        probe = fcntl.fcntl(fd, OFD_GETLK, FLOCK.pack(fcntl.F_WRLCK, 0, OPEN_MARK, 1, 0))
    finally:
        os.close(fd)
    if FLOCK.unpack(probe)[0] != fcntl.F_UNLCK:
        raise PermissionError(
            errno.EACCES,
            "The process cannot access the file because it is being used by another process",
            os.fsdecode(path),
        )


def _unlink(path: Path, *, dir_fd: int | None = None) -> None:
    _refuse_if_open(path, dir_fd)
    _real_unlink(path, dir_fd=dir_fd)


def _moving(real: Callable[..., None]) -> Callable[..., None]:
    """os.replace or os.rename, refused if either file is open (Windows needs DELETE on both)."""

    def move(
        src: Path, dst: Path, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None
    ) -> None:
        _refuse_if_open(src, src_dir_fd)
        _refuse_if_open(dst, dst_dir_fd)
        real(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    return move


os.open = _marked_open
os.unlink = os.remove = _unlink
os.replace, os.rename = _moving(_real_replace), _moving(_real_rename)


class _WindowsLocks(MetaPathFinder, Loader):
    """Finds stableport._winlocks as usual, and sets LOCK in it as Windows' own import does."""

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None", target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "stableport._winlocks":
            return None
        spec = PathFinder.find_spec(fullname, list(path) if path else None, target)
        if spec is None or spec.loader is None:  # pragma: no cover - not installed
            return spec
        self.real = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.real.exec_module(module)
        module.LOCK = lock_file_ex  # type: ignore[attr-defined]


for name in ("F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW", "flock", "lockf"):
    if hasattr(fcntl, name):
        delattr(fcntl, name)
sys.meta_path.insert(0, _WindowsLocks())
