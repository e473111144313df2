"""Locks: one user's kernel-held byte-range locks, in one file, one descriptor per holder.

Every lock of a user (a test run's lease, a port the fixture handed out, a
port another tool claims) is one byte of one file, ``locks``, in one
directory per user (lease_directory()). Byte P is port P (0-65535), the same
for every holder, so any two tools that lock ports this way keep apart; a
lease is a byte above 2**32 (lease_slot()). A holder is a Locks: one open
file descriptor, however many locks it holds, so ``ulimit -n`` never runs out.

On Linux the locks are open file description locks (``F_OFD_SETLK``): two
Locks exclude each other even within one process (pytester's in-process
sessions), and the kernel drops them when the descriptor is closed, when the
process exits and when it is killed, SIGKILL included. There is no PID file,
no daemon and nothing to clean up. macOS and the BSDs have only classic record
locks (``lockf``), which belong to the process: there one descriptor per file
is shared by the process's holders, which of them holds which byte is kept in
the process (_Classic), and each holder also holds a ``flock`` on a file of its
own (``.live-TOKEN``), which the kernel drops when it dies: that, not its byte,
tells others it lives. Windows has neither, but byte-range locks that belong
to the handle (_winlocks), used here as open file description locks are (see
"On Windows" below).

A cleaner may delete the file while it is held (``systemd-tmpfiles``, a cron
job emptying ``/tmp``, a user's ``rm``): a new file at the path would be a
fresh set of locks, and a new run could take a held lease. So the file carries
the sticky bit (which tmpfiles and the XDG runtime directory specification say
to leave alone) and each holder touches it every WATCH_SECONDS, for cleaners
that go by age. Each live holder also keeps a hard link of its own to the file
(``.holder-PID-N``): whoever finds the path gone links it back from a live
holder's link, so the path names the same file, every lock still in it; whoever
finds it replaced (a new file, a FIFO, a symbolic link at the path) by a file no
live holder's link names renames a live holder's file back over it. If the
links went too (the whole directory emptied), every holder also holds a shared
``flock`` on the directory: a run that holds nothing creates a new file only if
no live holder exists (an exclusive ``flock`` succeeds), and otherwise waits
for the holders, whose threads put a file back within WATCH_SECONDS, their
locks taken in it before it is linked at the path. A lock another holder took
in between is recorded in ``lost``.

On Windows (_windows()) none of that is needed, and most of it would not
work: a file open without FILE_SHARE_DELETE (every os.open there) can be
neither deleted nor renamed over while any holder has it open, so the path
names the holders' file for as long as one lives, and a file that is absent
holds no lock: it is created, with no link, no directory flock (Windows has
none) and no watcher (os.utime takes no descriptor there). A holder's life is
its own byte, probed through the path. Windows releases a closed handle's
locks only "when resources allow", so a holder and a probe unlock their bytes
before closing. A file being deleted by a cleaner that found it unused cannot
be opened for a moment: that open is tried again. Never run on a Windows
host: the tests run this path on Linux with Windows' semantics injected
(tests/windows, docs/platforms.md).
"""

import contextlib
import errno
import os
import secrets
import struct
import sys
import threading
import time
from pathlib import Path

from . import _winlocks
from ._errors import ConfigError

if sys.platform != "win32":
    import fcntl

LEASE_DIR_VARIABLE = "STABLEPORT_LEASE_DIR"
# The parent of every user's lease directory unless the variable names
# another: a fixed path, not $TMPDIR nor $XDG_RUNTIME_DIR, which differ between
# one user's terminal, ssh, cron, su and IDE sessions; runs that look in two
# places would both take lease 0.
DEFAULT_PARENT = "/tmp"  # noqa: S108 - private subdirectory, checked before use
LOCK_FILE = "locks"
HOLDER_PREFIX = ".holder-"  # each live holder's hard link to the lock file
LIVE_PREFIX = ".live-"  # classic record locks only: each live holder's flocked file
SWAP_PREFIX = ".swap-"  # a holder's link to a live holder's file, renamed over the path
# Wherever the kernel has locks the library can take: POSIX's, or Windows'.
AVAILABLE = sys.platform != "win32" or _winlocks.LOCK is not None

NOFOLLOW = _NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# How often a holder checks that its file is still there (and touches it), and
# how long a new run waits for live holders to put a deleted one back.
WATCH_SECONDS = 0.5
WAIT_SECONDS = 10.0
# How often a holder tries its own byte while another holder's probe has it
# (a probe holds it for microseconds; its own older descriptor, for good).
TOKEN_TRIES = 50

# Bytes 0-65535 are ports; leases live above them, 256 per family of leases.
LEASE_BASE = 1 << 32
HOLDER_BASE = 1 << 60  # each holder's own byte, above every lease's
LEASES_PER_FAMILY = 256

# Open file description locks where the kernel has them (Linux): a lock
# belongs to the descriptor, not the process. struct flock: l_type, l_whence,
# l_start, l_len, l_pid (0 for these locks), native alignment and padding.
_OFD = getattr(fcntl, "F_OFD_SETLK", None) if sys.platform != "win32" else None
_FLOCK = struct.Struct("hhqqi" + "4x" * (struct.calcsize("P") == 8))


class _File:
    """One lock file as a process using classic record locks holds it: once, for all holders."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.extra: list[int] = []  # opened again in a race: closed only with fd
        self.owners: dict[int, object] = {}  # slot -> the holder that holds it here
        self.users: set[int] = set()  # id() of the holders using fd


class _Classic:
    """Classic record locks (``lockf``), made to behave as open file description locks.

    Such a lock belongs to the process, not to the descriptor: two holders in
    one process would never exclude each other, and closing any descriptor of
    the file, a second one opened just to look included, drops every lock the
    process has in it. So the process opens each lock file once, its holders
    share that descriptor, this says which holder holds which byte, and the
    descriptor is closed only when the file's last holder lets go of it.
    """

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.files: dict[tuple[int, int], _File] = {}

    def open(self, path: Path, holder: object) -> int:
        """The process's descriptor of the file at path, opened if it has none."""
        with self.mutex:
            with contextlib.suppress(OSError):  # absent, or a link: os.open says why below
                known = self.files.get(_key(path.lstat()))
                if known is not None:
                    known.users.add(id(holder))
                    return known.fd
            fd = _above_standard(os.open(path, os.O_RDWR | _NOFOLLOW))
            known = self.files.get(_key(os.fstat(fd)))
            if known is not None:  # pragma: no cover - put back at the path in between
                known.extra.append(fd)  # closing it would drop the process's locks
                known.users.add(id(holder))
                return known.fd
            return self._adopt(fd, holder)

    def adopt(self, fd: int, holder: object) -> int:
        """fd, a new file's only descriptor, shared from now on."""
        with self.mutex:
            return self._adopt(fd, holder)

    def _adopt(self, fd: int, holder: object) -> int:
        self.files[_key(os.fstat(fd))] = known = _File(fd)
        known.users.add(id(holder))
        return fd

    def lock(self, fd: int, slot: int, holder: object, *, locked: bool) -> bool:
        """Lock (or unlock) slot for holder, unless another holder, here or anywhere, has it."""
        with self.mutex:
            known = self._file(fd)
            owner = known.owners.get(slot)
            if not locked:
                if owner is holder:  # pragma: no branch - holders give back only their own
                    _record_lock(fd, slot, locked=False)
                    del known.owners[slot]
                return True
            if owner is not None:
                return owner is holder
            if not _record_lock(fd, slot, locked=True):
                return False
            known.owners[slot] = holder
            return True

    def close(self, fd: int, holder: object) -> None:
        """holder is done with fd: its bytes unlocked, fd closed once nobody uses it."""
        with self.mutex:
            key = next(key for key, known in self.files.items() if known.fd == fd)
            known = self.files[key]
            for slot in [slot for slot, owner in known.owners.items() if owner is holder]:
                _record_lock(fd, slot, locked=False)
                del known.owners[slot]
            known.users.discard(id(holder))
            if known.users:
                return
            del self.files[key]
            for each in (fd, *known.extra):
                os.close(each)

    def descriptors(self, fd: int) -> list[int]:
        """Every descriptor this process has of fd's file."""
        with self.mutex:
            known = self._file(fd)
            return [known.fd, *known.extra]

    def _file(self, fd: int) -> _File:
        return next(known for known in self.files.values() if known.fd == fd)


_CLASSIC = _Classic()


def _classic() -> bool:
    """Whether the locks are classic record locks, the process's (macOS, the BSDs).

    Open file description locks (Linux) and Windows' byte-range locks belong
    to the descriptor: each holder has its own, and a probe may open and close one.
    """
    return _OFD is None and _winlocks.LOCK is None


def _windows() -> bool:
    """Whether the locks are Windows' (LockFileEx): the handle's; the file undeletable if open."""
    return _winlocks.LOCK is not None


def _key(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def lease_slot(family: str, number: int) -> int:
    """The byte of lease number of a family (a hex digest): distinct from every port's."""
    return LEASE_BASE + (int(family, 16) % (1 << 40)) * LEASES_PER_FAMILY + number


def lease_directory() -> Path:
    """This user's one directory of locks, created private to them on first use.

    ``$STABLEPORT_LEASE_DIR/stableport-UID`` if the variable is set, else
    ``/tmp/stableport-UID``: one place per user, whatever else differs
    between their sessions. On Windows, which has no uid, ``stableport`` in
    the user's own ``%LOCALAPPDATA%`` (not ``%TEMP%``, which differs between a
    user's sessions on a terminal server).

    Raises:
        ConfigError: The variable is relative, or the directory cannot be
            created or is not private to this user; names the directory.
    """
    variable = os.environ.get(LEASE_DIR_VARIABLE)
    if variable:
        parent, source = Path(variable), LEASE_DIR_VARIABLE
        if not parent.is_absolute():
            raise ConfigError(
                f"{LEASE_DIR_VARIABLE}={variable!r} is a relative path, which each run would "
                f"resolve from its own working directory; set an absolute path"
            )
    elif sys.platform == "win32":  # pragma: no cover - Windows
        parent, source = Path(_local_app_data()), "%LOCALAPPDATA%"
    else:
        parent, source = Path(DEFAULT_PARENT), "the default"
    where = parent / (f"stableport-{os.getuid()}" if hasattr(os, "getuid") else "stableport")
    try:
        where.mkdir(mode=0o700, exist_ok=True)
        info = where.lstat()
    except OSError as error:
        raise ConfigError(
            f"lease directory {str(where)!r} (from {source}) cannot be created: {error.strerror}; "
            f"set {LEASE_DIR_VARIABLE} to a directory of yours"
        ) from None
    _check_private(where, info, source)
    return where


def _local_app_data() -> str:  # pragma: no cover - Windows
    """The user's %LOCALAPPDATA%, the parent of their lease directory on Windows."""
    found = os.environ.get("LOCALAPPDATA")
    if not found:
        raise ConfigError(
            f"no lease directory: %LOCALAPPDATA% is not set; set {LEASE_DIR_VARIABLE} to a "
            f"directory of yours"
        )
    return found


def _check_private(where: Path, info: os.stat_result, source: str) -> None:
    """Refuse a directory (found by lstat) that another user could write or swap.

    Windows has no uid nor mode bits (st_uid is 0, a directory's mode 777):
    there the directory's access list, inherited from the user's profile,
    keeps others out, and only a link is refused here.
    """
    # Another user's directory (or a link to one) would let them hold our leases.
    problem = None
    if where.is_symlink():
        problem = "is a symbolic link"
    elif not hasattr(os, "getuid"):  # Windows
        pass
    elif info.st_uid != os.getuid():
        problem = f"belongs to uid {info.st_uid}"
    elif info.st_mode & 0o022:
        problem = f"is writable by others (mode {info.st_mode & 0o777:o})"
    if problem:
        raise ConfigError(
            f"lease directory {str(where)!r} (from {source}) {problem}, not a directory private "
            f"to this user; remove it, or set {LEASE_DIR_VARIABLE} to a directory only you "
            f"can write"
        )


class Locks:
    """One holder's locks, by byte (slot), in the user's lock file; all released by release().

    Opens the file at the first take(): a holder that never takes anything
    uses no descriptor and no thread. Then it holds two descriptors (the
    file, and the directory it holds a shared ``flock`` on, which tells a new
    run that live holders exist) and one thread, which checks every
    WATCH_SECONDS that the path still names the file and touches it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LOCK_FILE
        self._fd: int | None = None
        self._dir_fd: int | None = None
        self._held: set[int] = set()
        # Slots this holder held when the file was deleted and that another
        # holder took before this one noticed: no longer held, maybe shared.
        self.lost: list[int] = []
        # This holder's own name for the file: while it lives, the file can
        # be put back at the path from it (see _restore()).
        # Its byte, locked in whichever file it uses, says the link is live.
        self._token = HOLDER_BASE + secrets.randbits(40)
        self._link = directory / f"{HOLDER_PREFIX}{self._token}"
        # Classic record locks only: the flocked file that says this holder lives.
        self._live_path = directory / f"{LIVE_PREFIX}{self._token}"
        self._live_fd: int | None = None
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def take(self, slot: int) -> bool:
        """Lock slot now, without waiting; False if any holder has it, this one included.

        Raises:
            ConfigError: The lock file cannot be opened (too many open files, a
                full disk, a link in its place), or was deleted under live
                holders that did not put it back; names the lease directory.
        """
        with self._mutex:
            fd = self._current()
            if slot in self._held or not self._lock(fd, slot, locked=True):
                return False
            self._held.add(slot)
            return True

    def give_back(self, slot: int) -> None:
        """Release one slot this holder holds (others may take it at once); else nothing."""
        with self._mutex:
            if slot in self._held and self._fd is not None:
                self._lock(self._fd, slot, locked=False)
                self._held.discard(slot)

    def holds(self, slot: int) -> bool:
        """Whether this holder holds slot."""
        return slot in self._held

    def __len__(self) -> int:
        return len(self._held)

    def release(self) -> None:
        """Release every lock (closing the descriptor drops them all) and stop watching."""
        self._stop_watching()
        with self._mutex:
            if self._fd is not None and _windows():
                # Windows drops a closed handle's locks only "when resources allow".
                for slot in (*self._held, self._token):
                    with contextlib.suppress(OSError):  # the token, if a probe kept it
                        self._lock(self._fd, slot, locked=False)
            elif self._fd is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._link.unlink()
            if self._fd is not None:
                self._close(self._fd)
            if self._live_fd is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._live_path.unlink()
            for fd in (self._live_fd, self._dir_fd):
                if fd is not None:
                    os.close(fd)
            self._fd = self._dir_fd = self._live_fd = None
            self._held.clear()
            self._watcher, self._stop = None, threading.Event()  # usable again

    @property
    def token(self) -> int:
        """This holder's own byte: locked (in the file) while the holder lives."""
        return self._token

    def keep_across_exec(self) -> None:
        """Keep every lock held past exec: the descriptor is inherited.

        The watcher stops (a thread does not survive exec), so nothing puts the
        file back from this holder; other holders and newcomers still do, from
        this holder's link, which stays live while the exec'd process lives.
        Only release() may follow (an exec that failed).
        """
        self._stop_watching()
        with self._mutex:
            kept = [self._fd, self._live_fd]
            if self._fd is not None and _classic():
                # Classic record locks: exec closing any descriptor of the file
                # (one opened again in a race) would drop all of them.
                kept.extend(_CLASSIC.descriptors(self._fd))
            for fd in kept:
                if fd is not None:
                    os.set_inheritable(fd, True)  # noqa: FBT003 - the os API

    def _stop_watching(self) -> None:
        """End the watcher thread, if one runs, and wait until it has."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()

    def _watch(self) -> None:
        """Keep the file fresh, and put it back soon after a cleaner deleted it."""
        while not self._stop.wait(WATCH_SECONDS):
            with self._mutex:
                if self._fd is None:  # pragma: no cover - released between wait and lock
                    return
                with contextlib.suppress(ConfigError):  # the next take() says why
                    self._current()
                    self._mark_live()

    def _current(self) -> int:
        """The lock file's descriptor; if its path names another file now, that one's."""
        fd = self._fd
        if fd is not None and _windows():
            return fd  # the path names it while it is open (see above)
        if fd is not None:
            try:
                named = self.path.lstat()
            except OSError:
                named = None  # deleted: open a new one below
            held = os.fstat(fd)
            if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                os.utime(fd)  # fresh, for cleaners that go by age
                return fd
        new = self._open()
        if fd is not None:
            now, before = os.fstat(new), os.fstat(fd)
            if (now.st_dev, now.st_ino) == (before.st_dev, before.st_ino):
                if new != fd:  # (classic record locks: the process's one descriptor)
                    self._close(new)  # put back from a link: the same file, every lock in it
                return fd
        # The deleted file's locks exclude nobody now: take them again here.
        for slot in sorted(self._held):
            if not self._lock(new, slot, locked=True):
                self._held.discard(slot)
                self.lost.append(slot)
        if fd is not None:
            self._close(fd)
        self._fd = new
        if self._watcher is None and not _windows():  # nothing to watch there
            self._watcher = threading.Thread(
                target=self._watch, name="stableport-locks", daemon=True
            )
            self._watcher.start()
        return new

    def _open(self) -> int:
        """The file at the path (put back, or created with this holder's locks, if absent)."""
        try:
            if _windows():
                return self._open_windows()
            self._hold_directory()
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                try:
                    fd = self._open_path()
                except FileNotFoundError:
                    fd = None
                except OSError as error:
                    # A symbolic link in its place: live holders' file goes back.
                    if error.errno != errno.ELOOP or not self._put_back(None):
                        raise
                    continue
                if fd is not None:
                    if self._keep(fd):
                        self._join()
                        return fd
                    self._close(fd)  # pragma: no cover - deleted or replaced meanwhile: again
                    continue  # pragma: no cover
                if self._restore():
                    continue
                if self._held or self._alone():
                    fd = self._create()
                    self._join()
                    if fd is not None:
                        return fd
                    continue  # pragma: no cover - another holder put one there first
                # Live holders whose file and links were all deleted: their
                # locks are in no file at the path. Wait for one to put it back.
                if time.monotonic() > deadline:
                    raise ConfigError(
                        f"lock file {LOCK_FILE!r} in lease directory {str(self.directory)!r} "
                        f"was deleted while live test runs held locks in it, and none has put "
                        f"it back in {WAIT_SECONDS:.0f} s; let them end"
                    )
                time.sleep(0.05)
        except OSError as error:
            raise ConfigError(
                f"lock file {LOCK_FILE!r} in lease directory {str(self.directory)!r} cannot be "
                f"opened: {error.strerror} (holding {len(self._held)} leases and ports); free "
                f"descriptors, or remove what is in its place"
            ) from None

    def _open_windows(self) -> int:
        """Windows: the file at the path, created if absent, this holder's byte locked in it.

        Nobody can delete or replace it while a holder has it open, so no link
        and no directory lock are needed. A cleaner deleting it (unused) has it
        open for a moment, in which an open fails with a sharing violation
        (PermissionError): tried again until WAIT_SECONDS have passed.
        """
        self.directory.mkdir(mode=0o700, exist_ok=True)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fd = _above_standard(os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600))
                break
            except PermissionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._lock_token(fd)
        return fd

    def _keep(self, fd: int) -> bool:
        """Link this holder's own name to fd's file, its byte locked there: while it lives,
        the file can be put back from that link. False if the path no longer names fd's file.
        """
        if self._put_back(os.fstat(fd)):
            return False
        self._lock_token(fd)  # before the link: never seen dead
        self._mark_live()
        mine = self._link
        with contextlib.suppress(FileNotFoundError):
            mine.unlink()
        try:
            os.link(self.path, mine, follow_symlinks=False)
            linked, held = mine.lstat(), os.fstat(fd)
        except FileNotFoundError:  # pragma: no cover - deleted again since it was opened
            return False
        if (linked.st_dev, linked.st_ino) == (held.st_dev, held.st_ino):
            return True
        mine.unlink()  # pragma: no cover - replaced since it was opened
        return False  # pragma: no cover

    def _put_back(self, found: "os.stat_result | None") -> bool:
        """Put live holders' file back at the path if the path names one none of them uses.

        found: what the path names (None: nothing that opens, a symbolic link).
        A cleaner or a user that replaced the file instead of deleting it (a
        new empty file, a FIFO, a link) would otherwise give newcomers a fresh
        set of locks while live holders' locks, a server's claim among them,
        sit in the old one. Every live holder keeps a link to the file it holds
        its locks in (made before it takes any), so a file no live link names
        holds no lock, and replacing it loses none. True if it was replaced.
        Removes killed holders' links on the way.
        """
        live = []
        for link in self.directory.glob(f"{HOLDER_PREFIX}*"):
            if link == self._link or _live(link):  # its own: made once its byte was locked
                live.append(link)
            else:  # a killed holder's
                _forget(link)
        named = []
        for link in live:
            with contextlib.suppress(FileNotFoundError):  # released meanwhile
                info = link.lstat()
                if found is not None and _same_file(info, found):
                    return False  # a live holder's file: the path is right
                named.append(link)
        swap = self.directory / f"{SWAP_PREFIX}{self._token}"
        for link in named:
            with contextlib.suppress(FileNotFoundError):
                swap.unlink()
            try:
                os.link(link, swap, follow_symlinks=False)
            except FileNotFoundError:  # pragma: no cover - released since it was seen
                continue
            swap.replace(self.path)
            return True
        return False

    def _restore(self) -> bool:
        """Put the file back at the path from a live holder's link; False if none has one.

        A holder puts back its own file; a link is live while its holder's
        byte is locked in the file it names, so a killed holder's is removed.
        """
        links = sorted(self.directory.glob(f"{HOLDER_PREFIX}*"))
        if self._fd is not None and self._link in links:
            links.remove(self._link)
            links.insert(0, self._link)
        for link in links:
            if link != self._link and not _live(link):
                _forget(link)
                continue
            try:
                os.link(link, self.path, follow_symlinks=False)
            except FileExistsError:  # pragma: no cover - a race
                return True  # another holder put it back first
            except FileNotFoundError:  # pragma: no cover - a race
                continue  # that holder just released
            return True
        return False

    def _hold_directory(self) -> None:
        """The directory open, (re)created if a cleaner removed it; shared-locked by a holder."""
        if self._dir_fd is not None:
            try:
                named = self.directory.lstat()
                held = os.fstat(self._dir_fd)
                if (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                    return
            except FileNotFoundError:
                pass
            os.close(self._dir_fd)
            self._dir_fd = None
        self.directory.mkdir(mode=0o700, exist_ok=True)
        _check_private(self.directory, self.directory.lstat(), "the lease directory")
        self._dir_fd = _above_standard(
            os.open(self.directory, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0))
        )
        if self._held:
            self._join()

    def _join(self) -> None:
        """Say, with a shared flock on the directory, that this holder has a file there.

        Taken only once it has one: a newcomer still looking for the file must
        not count as a holder, or newcomers starting at once would each see the
        others, take them for holders whose file was deleted, and all wait for
        one to put it back. Never waits long: LOCK_EX is only ever tried.
        """
        fcntl.flock(self._dir_fd if self._dir_fd is not None else -1, fcntl.LOCK_SH)

    def _alone(self) -> bool:
        """True, with the directory locked exclusively, if no holder has a file there.

        Then no lock is held anywhere, so a new file loses nothing; the lock
        keeps other newcomers from making one at the same time (they find this
        one's at the path on their next look).
        """
        try:
            fcntl.flock(
                self._dir_fd if self._dir_fd is not None else -1, fcntl.LOCK_EX | fcntl.LOCK_NB
            )
        except BlockingIOError:
            return False
        return True

    def _create(self) -> int | None:
        """A new lock file at the path, this holder's locks taken before anyone can open it.

        Made under this holder's own link name, then linked at the path; None
        if another holder put one there first.
        """
        mine = self._link
        with contextlib.suppress(FileNotFoundError):
            mine.unlink()
        fd = _above_standard(os.open(mine, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
        if _classic():
            _CLASSIC.adopt(fd, self)
        self._lock_token(fd)
        self._mark_live()
        # Sticky: systemd-tmpfiles never ages such a file out (BSDs refuse the
        # bit on a file; touching it covers the rest).
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o1600)
        for slot in self._held:
            self._lock(fd, slot, locked=True)
        try:
            os.link(mine, self.path, follow_symlinks=False)
        except FileExistsError:  # pragma: no cover - a race
            self._close(fd)
            with contextlib.suppress(FileNotFoundError):
                mine.unlink()
            return None
        except FileNotFoundError:
            # Another holder's _keep() or _restore() saw the new file before
            # its byte was locked, took it for a killed holder's and removed
            # it: start again (seen with xdist workers starting at once).
            self._close(fd)
            return None
        return fd

    # The kernel's locks, by kind: open file description locks, each holder's
    # own; or classic record locks, the process's, shared out by _CLASSIC.

    def _open_path(self) -> int:
        """A descriptor of the file at the path (with classic record locks, the process's)."""
        if _classic():
            return _CLASSIC.open(self.path, self)
        return _above_standard(os.open(self.path, os.O_RDWR | _NOFOLLOW))

    def _close(self, fd: int) -> None:
        """Done with fd: with classic record locks, only this holder's bytes let go."""
        if _classic():
            _CLASSIC.close(fd, self)
        else:
            os.close(fd)

    def _lock(self, fd: int, slot: int, *, locked: bool) -> bool:
        """Lock (or unlock) byte slot of fd for this holder if nobody else holds it."""
        if _classic():
            return _CLASSIC.lock(fd, slot, self, locked=locked)
        return _record_lock(fd, slot, locked=locked)

    def _lock_token(self, fd: int) -> None:
        """Lock this holder's own byte, waiting out another holder's _live() probe of it.

        A probe holds the byte for a moment; a lock refused then would leave a
        live holder's link looking dead, to be removed by the next newcomer.
        """
        for _ in range(TOKEN_TRIES):
            if self._lock(fd, self._token, locked=True):
                return
            time.sleep(0.001)  # pragma: no cover - a probe at that very moment

    def _mark_live(self) -> None:
        """With classic record locks: hold a flock on this holder's own file, there to stay.

        Its byte cannot say so there: a probe would open the lock file, and
        closing that descriptor would drop its own process's locks. A flock
        belongs to the open file description, as the kernel drops it when this
        holder dies. Made under another name and renamed into place flocked, so
        a probe never finds it unlocked; made again if a cleaner deleted it.
        """
        if not _classic():
            return
        if self._live_fd is not None:
            with contextlib.suppress(OSError):
                if _same_file(self._live_path.lstat(), os.fstat(self._live_fd)):
                    os.utime(self._live_fd)  # fresh, for cleaners that go by age
                    return
            os.close(self._live_fd)
            self._live_fd = None
        aside = self._live_path.with_name(f"{SWAP_PREFIX}{LIVE_PREFIX}{self._token}")
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()
        fd = _above_standard(os.open(aside, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody knows this file yet
        aside.replace(self._live_path)
        self._live_fd = fd


def _same_file(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


def holder_live(directory: Path, token: int) -> bool:
    """Whether the holder with this token lives: its link's byte is locked in the file."""
    return _live(directory / f"{HOLDER_PREFIX}{token}")


def _live(link: Path) -> bool:
    """Whether a holder's link is live: its holder's byte is locked in the file it names.

    With classic record locks: its holder's own file is flocked (_mark_live()).
    On Windows, where holders make no link: its byte in the file at the path.
    """
    token = link.name.removeprefix(HOLDER_PREFIX)
    if not token.isdigit():
        return False
    if _classic():
        return _flocked(link.with_name(f"{LIVE_PREFIX}{token}"))
    try:
        fd = os.open(link.with_name(LOCK_FILE) if _windows() else link, os.O_RDWR | _NOFOLLOW)
    except OSError:  # released while we looked; on Windows, no file: no holder
        return False
    try:
        if not _record_lock(fd, int(token), locked=True):
            return True
        if _windows():  # not left to the close, which Windows takes its time over
            _record_lock(fd, int(token), locked=False)
        return False
    finally:
        os.close(fd)  # closing drops it if it was ours


def _flocked(path: Path) -> bool:
    """Whether another open file description holds a flock on the file at path."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False  # none (a killed holder's, forgotten), or a link put there
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # drops the lock if this probe took it
    return False


def _forget(link: Path) -> None:
    """Remove a killed holder's link, and its live file if it had one."""
    token = link.name.removeprefix(HOLDER_PREFIX)
    for path in (link, link.with_name(f"{LIVE_PREFIX}{token}")):
        with contextlib.suppress(OSError):
            path.unlink()


def _above_standard(fd: int) -> int:
    """fd, or a copy of it numbered 3 or more if it is 0, 1 or 2 (the original closed).

    A process started with a standard stream closed (`run ... >&- 2>&-`) gets
    that number back from its next open. The lock file there would be the
    standard stream of the command a claim is kept across exec for: its output
    written into the lock file, and a daemon's close(1) ending the claim. (The
    directory's descriptor is closed at exec; kept off them all the same, so
    no open here ever lands there.) Called before any lock or flock is taken
    on fd, so closing it drops nothing.
    """
    if fd > 2 or sys.platform == "win32":  # stdin, stdout, stderr; Windows never execs
        return fd
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    finally:
        os.close(fd)


def _record_lock(fd: int, slot: int, *, locked: bool) -> bool:
    """Lock (or unlock) byte slot of fd if nobody else holds it, without waiting.

    Classic record locks only through _CLASSIC, which keeps the process's holders apart.
    """
    if _winlocks.LOCK is not None:  # Windows: the handle's, as open file descriptions'
        if locked:
            return _winlocks.lock_byte(fd, slot)
        _winlocks.unlock_byte(fd, slot)
        return True
    kind = fcntl.F_WRLCK if locked else fcntl.F_UNLCK
    try:
        if _OFD is not None:
            fcntl.fcntl(fd, _OFD, _FLOCK.pack(kind, os.SEEK_SET, slot, 1, 0))
        else:  # classic record locks: macOS, the BSDs
            fcntl.lockf(fd, (fcntl.LOCK_EX | fcntl.LOCK_NB) if locked else fcntl.LOCK_UN, 1, slot)
    except (BlockingIOError, PermissionError):  # EAGAIN, or EACCES on some systems
        return False
    return True
