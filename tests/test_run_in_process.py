"""run's child mode, called in this process with real children and a real signal."""

import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from stableport._run import CANNOT_EXECUTE, run_child


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself is POSIX")
def test_a_signal_sent_to_run_reaches_the_child(tmp_path: Path) -> None:
    # run_child installs its forwarding handler while it waits; this process then
    # receives SIGTERM, which the handler passes on to the child.
    started = tmp_path / "started"
    script = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)"

    def terminate_when_started() -> None:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    sender = threading.Thread(target=terminate_when_started)
    sender.start()
    try:
        status = run_child([sys.executable, "-c", script], {})
    finally:
        sender.join()
    assert status == 128 + signal.SIGTERM
    # The handler run_child installed is gone again.
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_file_that_cannot_be_executed_is_126(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    script.chmod(0o644)
    assert run_child([str(script)], {}) == CANNOT_EXECUTE
    assert capsys.readouterr().err == (
        f"stableport: error: run: cannot execute {str(script)!r}: Permission denied\n"
    )
