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
import threading
import time
from pathlib import Path

import pytest

from stableport import _assign, _leases, _winlocks
from stableport._cli.commands import init as _init

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


def test_off_windows_they_refuse_to_pretend(tmp_path: Path) -> None:
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
    first, second = _leases.Locks(directory), _leases.Locks(directory)
    try:
        assert first.take(20001)
        assert not second.take(20001)  # one process, two holders: apart
        assert second.take(20002)
        assert _leases.holder_live(directory, first.token)
        first.give_back(20001)
        assert second.take(20001)
        token = first.token
        first.release()
        assert not _leases.holder_live(directory, token)
        assert _leases.holder_live(directory, second.token)
    finally:
        first.release()
        second.release()
    # Every lock went through LockFileEx.
    assert (20001, False, False) in windows.calls
    assert (20001, False, True) in windows.calls
    assert not (directory / f"{_leases.LIVE_PREFIX}{token}").exists()  # no classic path
