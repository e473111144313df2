"""Windows' byte-range locks, their logic run here with LockFileEx injected.

The stand-in locks with Linux's open file description locks, which belong to
the descriptor as LockFileEx's locks belong to the handle: two descriptors
exclude each other within one process, and closing one releases its locks.
What it cannot show (the ctypes call itself; Windows' locks are mandatory) is
in docs/platforms.md as never run.
"""

import fcntl
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stableport import _assign, _lockfile, _winlocks
from stableport._cli.commands import init as _init
from stableport._errors import ConfigError

# F_OFD_SETLK and F_OFD_SETLKW (Linux's numbers: the kernel has them even
# when a test process's fcntl module had them removed, as on the macOS pass).
OFD_SETLK, OFD_SETLKW = 37, 38
FLOCK = struct.Struct("hhqqi4x")


class LockFileEx:
    """LockFileEx and UnlockFileEx as Windows documents them, over descriptor-owned locks."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool, bool]] = []  # (offset, wait, unlock)

    def __call__(self, fd: int, offset: int, *, wait: bool, unlock: bool) -> bool:
        self.calls.append((offset, wait, unlock))
        kind = fcntl.F_UNLCK if unlock else fcntl.F_WRLCK
        command = OFD_SETLKW if wait else OFD_SETLK
        try:
            fcntl.fcntl(fd, command, FLOCK.pack(kind, os.SEEK_SET, offset, 1, 0))
        except BlockingIOError:
            return False  # ERROR_LOCK_VIOLATION
        return True


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> LockFileEx:
    fake = LockFileEx()
    monkeypatch.setattr(_winlocks, "LOCK", fake)
    return fake


def opened(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def test_a_byte_is_the_handles_even_within_one_process(windows: LockFileEx, tmp_path: Path) -> None:
    first, second = opened(tmp_path / "f"), opened(tmp_path / "f")
    try:
        assert _winlocks.lock_byte(first, 1 << 60)
        assert not _winlocks.lock_byte(second, 1 << 60)
        assert _winlocks.lock_byte(second, (1 << 60) + 1)
        _winlocks.unlock_byte(first, 1 << 60)
        assert _winlocks.lock_byte(second, 1 << 60)
        os.close(second)  # Windows releases a closed handle's locks
        assert _winlocks.lock_byte(first, (1 << 60) + 1)
    finally:
        os.close(first)
    assert windows.calls[:2] == [(1 << 60, False, False), (1 << 60, False, False)]
    assert (1 << 60, False, True) in windows.calls


def test_off_windows_they_refuse_to_pretend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_winlocks, "LOCK", None)  # as imported off Windows (not the third pass's)
    fd = opened(tmp_path / "f")
    try:
        with pytest.raises(OSError, match="Windows only"):
            _winlocks.lock_byte(fd, 1)
        with pytest.raises(OSError, match="Windows only"):
            _winlocks.unlock_byte(fd, 1)
    finally:
        os.close(fd)


def test_inits_lock_waits_for_the_other_init_and_keeps_readers_in(
    windows: LockFileEx, tmp_path: Path
) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("[project]\n")
    first = opened(target)
    _init._lock(first)
    assert windows.calls == [(_winlocks.INIT_LOCK_BYTE, True, False)]
    assert target.read_text() == "[project]\n"  # far past the data: readers not kept out
    taken = threading.Event()

    def second_init() -> None:
        second = opened(target)
        try:
            _init._lock(second)
            taken.set()
        finally:
            os.close(second)

    waiting = threading.Thread(target=second_init)
    waiting.start()
    time.sleep(0.2)
    assert not taken.is_set()  # waits while the first holds it
    os.close(first)
    waiting.join(timeout=30)
    assert taken.is_set()


def test_instance_news_lock_is_windows_byte_lock_and_waits_for_the_other_pick(
    windows: LockFileEx, tmp_path: Path
) -> None:
    lock_file = str(tmp_path / _assign.LOCK_NAME)
    taken = threading.Event()

    def second_pick() -> None:
        with _assign._locked(lock_file, "instance new"):
            taken.set()

    with _assign._locked(lock_file, "instance new"):
        assert windows.calls == [(_winlocks.INIT_LOCK_BYTE, True, False)]
        waiting = threading.Thread(target=second_pick)
        waiting.start()
        time.sleep(0.2)
        assert not taken.is_set()  # waits while the first pick holds it
    waiting.join(timeout=30)
    assert taken.is_set()
    assert windows.calls == [(_winlocks.INIT_LOCK_BYTE, True, False)] * 2


def test_leases_on_windows_locks_exclude_and_tell_a_live_holder(
    windows: LockFileEx, tmp_path: Path
) -> None:
    directory = tmp_path / "leases"
    directory.mkdir(mode=0o700)
    first, second = _lockfile.Locks(directory), _lockfile.Locks(directory)
    try:
        assert first.take(20001)
        assert not second.take(20001)  # one process, two holders: apart
        assert second.take(20002)
        assert _lockfile.holder_live(directory, first.token)
        first.give_back(20001)
        assert second.take(20001)
        token = first.token
        first.release()
        assert not _lockfile.holder_live(directory, token)
        assert _lockfile.holder_live(directory, second.token)
    finally:
        first.release()
        second.release()
    # Every lock went through LockFileEx.
    assert (20001, False, False) in windows.calls
    assert (20001, False, True) in windows.calls
    assert not (directory / f"{_lockfile.LIVE_PREFIX}{token}").exists()  # no classic path


def test_a_windows_holder_makes_no_link_no_flock_no_watcher_and_unlocks_before_closing(
    windows: LockFileEx, tmp_path: Path
) -> None:
    directory = tmp_path / "leases"
    holder = _lockfile.Locks(directory)
    threads = threading.active_count()
    try:
        assert holder.take(20001)
        assert holder.take(_lockfile.lease_slot("ab", 0))
        # Windows: nothing beside the lock file (an open file cannot be
        # deleted there, so no link is needed to put it back), no directory
        # handle (no flock on Windows), no watcher (os.utime takes no handle).
        assert sorted(path.name for path in directory.iterdir()) == [_lockfile.LOCK_FILE]
        assert holder._dir_fd is None
        assert threading.active_count() == threads
        assert _lockfile.holder_live(directory, holder.token)
        token = holder.token
    finally:
        holder.release()
    # Unlocked one by one before the close: Windows frees a closed handle's
    # locks only "when resources allow".
    unlocked = {offset for offset, _wait, unlock in windows.calls if unlock}
    assert {20001, _lockfile.lease_slot("ab", 0), token} <= unlocked
    assert not _lockfile.holder_live(directory, token)
    # A probe that found the holder gone unlocked the byte it took, too.
    assert windows.calls[-1] == (token, False, True)


@pytest.mark.usefixtures("windows")
def test_no_windows_lock_file_means_no_live_holder(tmp_path: Path) -> None:
    assert not _lockfile.holder_live(tmp_path, 1 << 60)


@pytest.mark.usefixtures("windows")
def test_a_windows_lock_file_being_deleted_is_opened_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cleaner deleting the unused file holds it open for a moment: an open
    # then fails with a sharing violation, which Python raises as PermissionError.
    real_open, refused = os.open, list[object]()

    def sharing_violation_once(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith(_lockfile.LOCK_FILE) and not refused:
            refused.append(path)
            raise PermissionError(13, "The process cannot access the file", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", sharing_violation_once)
    holder = _lockfile.Locks(tmp_path)
    try:
        assert holder.take(20001)
    finally:
        holder.release()
    assert refused


@pytest.mark.usefixtures("windows")
def test_a_windows_lock_file_never_freed_fails_naming_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(path: object, *_args: object, **_kwargs: object) -> int:
        raise PermissionError(13, "Access is denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    monkeypatch.setattr(_lockfile, "WAIT_SECONDS", 0.1)
    holder = _lockfile.Locks(tmp_path)
    with pytest.raises(ConfigError, match=r"cannot be opened: Access is denied"):
        holder.take(20001)
    holder.release()


def test_a_lease_directory_where_there_is_no_uid_is_named_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "getuid")
    monkeypatch.setenv(_lockfile.LEASE_DIR_VARIABLE, str(tmp_path))
    (tmp_path / "stableport").mkdir(mode=0o777)  # no mode bits on Windows: its ACL rules
    assert _lockfile.lease_directory() == tmp_path / "stableport"


WINDOWS = Path(__file__).parent / "windows"
CLEANER = """
import os, sys
from pathlib import Path
from stableport import _lockfile
directory = Path(sys.argv[1])
holder = _lockfile.Locks(directory)
assert holder.take(20001)
try:
    (directory / _lockfile.LOCK_FILE).unlink()
except PermissionError as error:
    print("refused:", error.strerror)
holder.release()
(directory / _lockfile.LOCK_FILE).unlink()  # unused now: a cleaner may delete it
again = _lockfile.Locks(directory)
print("taken again:", again.take(20001))
again.release()
"""


def test_the_simulation_refuses_to_delete_a_held_lock_file_as_windows_does(tmp_path: Path) -> None:
    # The third CI pass (tests/windows) runs the lock suites so; this shows its
    # stand-in has the semantics the Windows path relies on.
    result = subprocess.run(
        [sys.executable, "-c", CLEANER, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(WINDOWS)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "refused: The process cannot access the file because it is being used by another process",
        "taken again: True",
    ]
