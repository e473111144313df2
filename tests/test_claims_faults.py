"""Claims under hostile conditions: closed streams, odd files in the lease directory, limits.

Real processes throughout, each test in a lease directory of its own (conftest's).
"""

import os
import resource
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stableport import _claims, _lockfile

from .test_claims import DEADLINE, colliding_projects, project, server
from .util import SCRIPT, completed, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _lockfile.AVAILABLE, reason="no claims where leasing is unavailable"),
]

# Writes which of the standard descriptors 0, 1 and 2 it found open to the file argv[1].
OPEN_STREAMS = """\
import os, sys
def is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
found = " ".join(str(fd) for fd in (0, 1, 2) if is_open(fd))  # before open() takes one
with open(sys.argv[1], "w") as report:
    report.write(found)
"""


def unique_project(root: Path) -> Path:
    """A project of one service, web, in a namespace no other test uses."""
    return project(root / "project", f"faults-{secrets.token_hex(6)}", "web")


@pytest.mark.parametrize(
    ("closing", "left_open"),
    [(">&- 2>&-", "0"), ("<&- >&-", "2"), ("<&- >&- 2>&-", "")],
)
def test_a_command_started_with_streams_closed_finds_them_closed(
    tmp_path: Path, closing: str, left_open: str
) -> None:
    """The claim's lock file never lands on a closed standard stream's number.

    It did: the command's stderr (or stdout) was the lock file, open for
    writing, and a daemon closing its streams would have ended the claim.
    """
    assert SCRIPT is not None
    where = unique_project(tmp_path)
    report = tmp_path / "open"
    command = [sys.executable, "-c", OPEN_STREAMS, str(report)]
    # A shell closes them (subprocess always gives a child 0, 1 and 2).
    result = completed(
        ["sh", "-c", f'exec "$@" {closing}', "sh", SCRIPT, "run", "web", "--", *command],
        env=None,
        cwd=where,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result
    assert report.read_text() == left_open
    assert (_lockfile.lease_directory() / _lockfile.LOCK_FILE).stat().st_size == 0


def stableport_run(*args: str, cwd: Path, **options: Any) -> subprocess.CompletedProcess[str]:
    """The console script, which must end: a hang is a failure, not a wait."""
    return run(*args, cwd=cwd, stdin=subprocess.DEVNULL, timeout=DEADLINE, **options)


def test_a_fifo_in_place_of_a_claim_record_is_never_waited_on(tmp_path: Path) -> None:
    """Reading a record opened it as it found it: a FIFO there hung run and check --live."""
    first, _, port = colliding_projects(tmp_path)
    with server(first, "web"):
        record = _lockfile.lease_directory() / f"{_claims.RECORD_PREFIX}{port}"
        record.unlink()
        os.mkfifo(record, 0o600)
        result = stableport_run("run", "web", "--", sys.executable, "-c", "", cwd=first)
        assert result.returncode == 2
        assert "claimed by another live process" in result.stderr
        live = stableport_run("check", "--live", cwd=first)
        assert (live.returncode, live.stderr) == (1, "")
        assert f"port {port} is in use" in live.stdout
        assert "claimed by" not in live.stdout
        assert _claims.claimant(port) is None


@pytest.mark.parametrize("kind", ["file", "fifo", "symlink"])
def test_a_claim_outlives_its_lock_file_being_replaced(tmp_path: Path, kind: str) -> None:
    """A lock file replaced (not deleted) under a live server let the same service start twice."""
    first, _, port = colliding_projects(tmp_path)
    with server(first, "web") as holder:
        lock_file = _lockfile.lease_directory() / _lockfile.LOCK_FILE
        lock_file.unlink()
        if kind == "file":
            lock_file.touch(mode=0o600)
        elif kind == "fifo":
            os.mkfifo(lock_file, 0o600)
        else:
            lock_file.symlink_to(tmp_path / "elsewhere")
        marker = first / "started"
        command = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
        result = stableport_run("run", "web", "--", *command, cwd=first)
        assert not marker.exists(), "the second server started"
        assert result.returncode == 2
        assert f"port {port} of web@default is claimed by stableport run of web@default " in (
            result.stderr
        )
        assert f"(pid {holder.pid}," in result.stderr


# What the command finds of its own claim's record: whole (the JSON of a
# record), absent, or anything else (cut short).
RECORD_STATE = """\
import json, os, pathlib
record = pathlib.Path(os.environ["STABLEPORT_LEASE_DIR"], f"stableport-{os.getuid()}",
                      f".claim-{os.environ['PORT']}")
try:
    print("whole" if json.loads(record.read_bytes())["service"] == "web" else "wrong")
except FileNotFoundError:
    print("absent")
except ValueError:
    print("cut short")
"""


@pytest.mark.parametrize(("limit", "state"), [(60, "absent"), (1 << 20, "whole")])
def test_a_file_size_limit_leaves_the_record_whole_or_absent(
    tmp_path: Path, limit: int, state: str
) -> None:
    """A write cut short by RLIMIT_FSIZE reports fewer bytes, no error: it was renamed in."""
    where = unique_project(tmp_path)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = stableport_run(
        "run", "web", "--", sys.executable, "-c", RECORD_STATE, cwd=where, preexec_fn=limited
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{state}\n", "")
    leftovers = _lockfile.lease_directory().glob(f"{_claims.RECORD_PREFIX}*.*")
    assert not list(leftovers)


# -- the same faults met in this process, on real files, for coverage of what
# the console script runs in its own


def test_a_record_cut_short_in_process_is_never_renamed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(tmp_path))
    # A record far longer than the limit, which pytest's own small writes stay under.
    me = _claims.Claimant(None, 0, "default", "web", os.getpid(), "x" * 16384)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, hard))
    try:
        held = _claims.claim(30004, me)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert isinstance(held, _lockfile.Locks)
    try:
        assert not list(_lockfile.lease_directory().glob(f"{_claims.RECORD_PREFIX}*"))
        assert _claims.claim(30004, me) == _claims.Refused(30004, None)
    finally:
        held.release()


def test_a_lock_file_opened_on_a_standard_stream_s_number_moves_above_it(
    tmp_path: Path,
) -> None:
    saved = os.dup(0)
    try:
        os.close(0)
        locks = _lockfile.Locks(tmp_path)
        try:
            assert locks.take(30005)  # opened while 0 was free: one would have been 0
            assert locks._fd is not None
            assert locks._dir_fd is not None
            assert min(locks._fd, locks._dir_fd) > 2
        finally:
            locks.release()
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def test_a_record_left_aside_by_a_killed_claimant_is_cleared_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a claimant killed between writing its record aside and renaming it
    # leaves (seen with the rename held up under strace, then SIGKILL); a
    # FIFO under this process's own aside name would have blocked the open.
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(tmp_path))
    directory = _lockfile.lease_directory()
    (directory / f"{_claims.RECORD_PREFIX}30006.4194305").write_text("{}")
    os.mkfifo(directory / f"{_claims.RECORD_PREFIX}30006.{os.getpid()}", 0o600)
    me = _claims.Claimant(None, 0, "default", "web", os.getpid(), None)
    held = _claims.claim(30006, me)
    assert isinstance(held, _lockfile.Locks)
    try:
        assert [path.name for path in directory.glob(f"{_claims.RECORD_PREFIX}*")] == [
            f"{_claims.RECORD_PREFIX}30006"
        ]
        assert _claims.claimant(30006) == me
    finally:
        held.release()
