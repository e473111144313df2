"""Windows' byte-range locks, used as the POSIX ones are: one byte of a file, by its descriptor.

``LockFileEx`` locks a range of a file given by its offset, with no seek: the
lock belongs to the handle, so two descriptors exclude each other even within
one process (as Linux's open file description locks do), and Windows releases
it when the handle is closed or the process ends, killed included. Unlike
POSIX's, these locks are mandatory: nobody may read or write a locked byte,
so only bytes nobody reads are locked: far past the end of a configuration
file (init's lock), and bytes of the lock file, which holds no data. (Not
``msvcrt.locking``: it locks from the file's position, and a leaseholder's
byte lies past the largest position some file systems let a descriptor seek
to.)

Never run on Windows: the tests inject LOCK, a stand-in that locks with
Linux's open file description locks, which belong to the descriptor as
Windows' do, so the logic above the call runs here and the call itself does
not (docs/platforms.md).
"""

import errno
import sys
from collections.abc import Callable

# lock(fd, offset, wait=..., unlock=...) -> False if another handle holds the
# byte (never with wait). Windows' own where it runs; tests put a stand-in here.
Lock = Callable[..., bool]
LOCK: Lock | None = None

# init's and instance new's lock: a byte no configuration reaches (they are at
# most 4 MiB), so the mandatory lock never stands in the way of a reader of the file.
INIT_LOCK_BYTE = 1 << 40

# winbase.h / winerror.h
_EXCLUSIVE, _FAIL_IMMEDIATELY = 0x2, 0x1
_ERROR_LOCK_VIOLATION = 33


def lock_byte(fd: int, offset: int, *, wait: bool = False) -> bool:
    """Lock the byte at offset of fd's file for fd; False if another handle has it.

    With wait, waits until it can instead.
    """
    return _lock()(fd, offset, wait=wait, unlock=False)


def unlock_byte(fd: int, offset: int) -> None:
    """Release the byte at offset that fd locked."""
    _lock()(fd, offset, wait=False, unlock=True)


def wait_exclusive(fd: int) -> None:
    """Wait for, then hold, fd's file's one lock (init's, instance new's) until fd is closed.

    flock on POSIX; on Windows, which has no flock, INIT_LOCK_BYTE by
    LockFileEx, far past the data, so readers are never kept out (a mandatory
    lock). Either is the kernel's, dropped when the holder dies.
    """
    if LOCK is not None:
        lock_byte(fd, INIT_LOCK_BYTE, wait=True)
        return
    import fcntl  # noqa: PLC0415 - POSIX only

    fcntl.flock(fd, fcntl.LOCK_EX)


def _lock() -> Lock:
    if LOCK is None:
        raise OSError(errno.ENOSYS, "Windows' byte-range locks are used on Windows only")
    return LOCK


def _lock_file_ex(fd: int, offset: int, *, wait: bool, unlock: bool) -> bool:  # pragma: no cover
    """LockFileEx / UnlockFileEx on fd's handle, one byte at offset (winbase.h)."""
    import ctypes  # noqa: PLC0415 - Windows only
    import msvcrt  # noqa: PLC0415 - Windows only
    from ctypes import wintypes  # noqa: PLC0415 - Windows only

    class Overlapped(ctypes.Structure):
        _fields_ = (
            ("internal", ctypes.c_void_p),
            ("internal_high", ctypes.c_void_p),
            ("offset", wintypes.DWORD),
            ("offset_high", wintypes.DWORD),
            ("event", wintypes.HANDLE),
        )

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    where = Overlapped(None, None, offset & 0xFFFFFFFF, offset >> 32, None)
    handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))  # type: ignore[attr-defined]
    if unlock:
        done = kernel32.UnlockFileEx(handle, 0, 1, 0, ctypes.byref(where))
    else:
        flags = _EXCLUSIVE if wait else _EXCLUSIVE | _FAIL_IMMEDIATELY
        done = kernel32.LockFileEx(handle, flags, 0, 1, 0, ctypes.byref(where))
    if done:
        return True
    code = ctypes.get_last_error()  # type: ignore[attr-defined]
    if code == _ERROR_LOCK_VIOLATION and not unlock and not wait:
        return False
    raise ctypes.WinError(code)  # type: ignore[attr-defined]


if sys.platform == "win32":  # pragma: no cover - Windows
    LOCK = _lock_file_ex
