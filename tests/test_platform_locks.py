"""The lock path of macOS and the BSDs, run here: classic record locks, no OFD locks.

In this process the classic path is chosen by setting _lockfile._OFD to None;
the processes the tests start get macOS's fcntl from tests/macos (no
F_OFD_*). CI also runs every lock suite a second time that way (.ci/run).
Each test here fails if a holder on that path is assumed alive.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stableport import _claims, _lockfile

from .test_claims import server
from .util import clean_environment, run

pytestmark = pytest.mark.skipif(not _lockfile.AVAILABLE, reason="no leasing on this OS")

MACOS = {"PYTHONPATH": str(Path(__file__).parent / "macos")}
DEADLINE = 60.0
PORT = 29431  # a lock's byte only: nothing here binds it

# Holds PORT in a fresh interpreter on the classic path, prints its token, waits on stdin.
HOLDER = f"""\
import fcntl, sys
from stableport import _lockfile
assert not hasattr(fcntl, "F_OFD_SETLK") and _lockfile._OFD is None
locks = _lockfile.Locks(_lockfile.lease_directory())
assert locks.take({PORT})
print(locks.token, flush=True)
sys.stdin.read()
"""


@pytest.fixture
def classic(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process on the classic path, as on macOS."""
    monkeypatch.setattr(_lockfile, "_OFD", None)


@pytest.fixture
def holder(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Another process holding PORT on the classic path, and its token; this one's classic too."""
    monkeypatch.setattr(_lockfile, "_OFD", None)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=clean_environment(MACOS),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process, int(process.stdout.readline())
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=DEADLINE)


def takes_in_another_process(port: int) -> bool:
    """Whether a fresh macOS-like process can lock port now."""
    code = (
        "from stableport import _lockfile\n"
        "locks = _lockfile.Locks(_lockfile.lease_directory())\n"
        f"print(locks.take({port}))\n"
        "locks.release()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_environment(MACOS),
        capture_output=True,
        text=True,
        check=True,
    )
    return {"True\n": True, "False\n": False}[result.stdout]


@pytest.mark.usefixtures("classic")
def test_two_holders_in_one_process_exclude_each_other() -> None:
    # Classic record locks belong to the process: both took the byte, and the
    # first one's release dropped the second's locks too.
    directory = _lockfile.lease_directory()
    first, second = _lockfile.Locks(directory), _lockfile.Locks(directory)
    try:
        assert first.take(PORT)
        assert not second.take(PORT)
        (directory / _lockfile.LOCK_FILE).unlink()  # linked back from a holder's own link
        assert second.take(PORT + 1)
        first.release()
        assert not takes_in_another_process(PORT + 1)  # still the second's
        assert takes_in_another_process(PORT)  # the first's, let go
        assert second.take(PORT)
        second.give_back(PORT + 1)
        assert takes_in_another_process(PORT + 1)
    finally:
        first.release()
        second.release()
    assert sorted(path.name for path in directory.iterdir()) == ["locks"]


def test_a_holder_is_live_until_killed_then_forgotten(
    holder: tuple[subprocess.Popen[str], int],
) -> None:
    process, token = holder
    directory = _lockfile.lease_directory()
    assert _lockfile.holder_live(directory, token)
    mine = _lockfile.Locks(directory)
    try:
        assert not mine.take(PORT)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE)
        assert not _lockfile.holder_live(directory, token)
        assert mine.take(PORT)  # the kernel dropped its lock with it
        # A newcomer forgets the killed holder's link and live file.
        newcomer = _lockfile.Locks(directory)
        (directory / _lockfile.LOCK_FILE).unlink()  # the newcomer must look for links
        try:
            assert newcomer.take(PORT + 1)
        finally:
            newcomer.release()
        left = {path.name for path in directory.iterdir()}
        assert f"{_lockfile.HOLDER_PREFIX}{token}" not in left
        assert f"{_lockfile.LIVE_PREFIX}{token}" not in left
    finally:
        mine.release()


@pytest.mark.usefixtures("classic")
def test_a_deleted_live_file_is_made_again_by_its_holder() -> None:
    directory = _lockfile.lease_directory()
    locks = _lockfile.Locks(directory)
    try:
        assert locks.take(PORT)
        (directory / f"{_lockfile.LIVE_PREFIX}{locks.token}").unlink()  # a cleaner, by age
        assert not _lockfile.holder_live(directory, locks.token)
        deadline = time.monotonic() + DEADLINE
        while not _lockfile.holder_live(directory, locks.token):
            assert time.monotonic() < deadline, "the watcher never made it again"
            time.sleep(_lockfile.WATCH_SECONDS / 5)
    finally:
        locks.release()


@pytest.mark.usefixtures("classic")
def test_under_a_symbolically_linked_parent_as_macos_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /tmp is a link to /private/tmp on macOS: the directory's own name is no
    # link, so it is used; a claim there is named while its holder lives.
    (tmp_path / "private-tmp").mkdir()
    (tmp_path / "tmp").symlink_to(tmp_path / "private-tmp", target_is_directory=True)
    monkeypatch.setenv(_lockfile.LEASE_DIR_VARIABLE, str(tmp_path / "tmp"))
    directory = _lockfile.lease_directory()
    assert directory.resolve().parent == tmp_path / "private-tmp"
    me = _claims.Claimant(None, 0, "default", "web", os.getpid(), None)
    held = _claims.claim(PORT, me)
    assert isinstance(held, _lockfile.Locks)
    try:
        assert _claims.claim(PORT, me) == _claims.Refused(PORT, me)
        (directory / _lockfile.LOCK_FILE).unlink()
        assert not takes_in_another_process(PORT)  # linked back, the claim in it
        assert _claims.claimant(PORT) == me
    finally:
        held.release()
    assert _claims.claimant(PORT) is None


@pytest.mark.slow  # real processes
def test_a_killed_servers_claim_is_never_named(tmp_path: Path) -> None:
    # The reproducer, every process as on macOS: run a server, kill -9
    # it, and check --live named the dead pid.
    (tmp_path / "stableport.toml").write_text('services = ["web"]\n')
    with server(tmp_path, "web", env=MACOS) as process:
        live = json.loads(run("check", "--live", "--json", cwd=tmp_path, env=MACOS).stdout)
        assert live["live"][0]["claimant"]["pid"] == process.pid
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE)
    live = json.loads(run("check", "--live", "--json", cwd=tmp_path, env=MACOS).stdout)
    assert live["live"][0]["claimant"] is None
    assert "claimed by" not in run("check", "--live", cwd=tmp_path, env=MACOS).stdout


@pytest.mark.usefixtures("classic")
def test_kept_across_exec_every_descriptor_of_the_file_is_inherited() -> None:
    # exec closes a descriptor that is not inherited, and closing any one of
    # the file's drops every classic record lock the process has in it.
    directory = _lockfile.lease_directory()
    locks = _lockfile.Locks(directory)
    try:
        assert locks.take(PORT)
        locks.keep_across_exec()
        held = _lockfile._CLASSIC.descriptors(locks._fd)  # type: ignore[arg-type]
        live = locks._live_fd
        assert held
        assert live is not None
        assert all(os.get_inheritable(fd) for fd in [*held, live])
    finally:
        locks.release()
