"""Shared fixtures: every test starts from a clean process-wide state."""

import signal
import sys
from collections.abc import Iterator

import pytest

import stableport
from stableport import _winlocks

# The property tests' Hypothesis profiles, registered before pytest reads
# --hypothesis-profile (the quick loop's, README, Development).
from .property import profiles  # noqa: F401
from .util import Run, run_both

STABLEPORT_VARIABLES = (
    "STABLEPORT_ENV",
    "STABLEPORT_CONFIG",
    "STABLEPORT_PINS",
    "STABLEPORT_NAMESPACE",
    "STABLEPORT_INSTANCE",
    "STABLEPORT_TEST_RUN",
    "STABLEPORT_TEST_PORTS",
    "STABLEPORT_KEEP_PORT",
    # A hosting platform's marks: where the suite itself runs on one, run would
    # keep the inherited PORT that its tests expect replaced.
    "DYNO",
    "K_SERVICE",
    "GAE_SERVICE",
    "RENDER",
)
# Under `pytest -n N` this suite runs in xdist workers, whose variables would
# make every pytester session inside a test believe it is a worker too.
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")
# The kernel's locks as on macOS: classic record locks only. The suite's lock
# tests run so a second time in CI (.ci/run, tests/macos/sitecustomize.py).
if sys.platform == "win32":  # pragma: no cover - neither kind
    CLASSIC_LOCKS = False
else:
    import fcntl

    CLASSIC_LOCKS = not hasattr(fcntl, "F_OFD_SETLK") and _winlocks.LOCK is None
# Windows' locks, simulated (a third pass in CI: tests/windows/sitecustomize.py).
WINDOWS_LOCKS = _winlocks.LOCK is not None


def pytest_report_header() -> str:
    kind = "classic record locks, as on macOS" if CLASSIC_LOCKS else "open file description locks"
    if WINDOWS_LOCKS:
        kind = "Windows' byte-range locks (LockFileEx), simulated"
    return f"stableport locks: {kind}"


@pytest.fixture(autouse=True)
def clean_stableport_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No STABLEPORT_* variable leaks in, no cached map leaks out, no project file is read."""
    # An empty directory as the working directory: discovery never finds the
    # repository's own pyproject.toml.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    for variable in STABLEPORT_VARIABLES + XDIST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    # The fixture's leases in a directory of this test's own (subprocesses
    # inherit it): the user-wide default would let any other pytest run on
    # this host, this suite's own runs in other checkouts included, move ports.
    leases = tmp_path_factory.mktemp("leases")
    if CLASSIC_LOCKS:
        # As on macOS, where /tmp is a symbolic link to /private/tmp: the lease
        # directory's parent reached through a link.
        link = leases.with_name(f"{leases.name}-link")
        link.symlink_to(leases, target_is_directory=True)
        leases = link
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(leases))
    stableport.reload()
    yield
    stableport.reload()


@pytest.fixture(autouse=True, scope="session")
def interruptible() -> Iterator[None]:
    """Ctrl-C as a terminal delivers it, however the suite was started.

    A shell without job control starts a background command with SIGINT
    ignored, and an ignored signal stays ignored across exec: the Ctrl-C
    tests would see no interrupt at all. A handler (unlike SIG_IGN) is reset
    to the default at exec, so the processes the tests start get it too.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """The console script, and main(argv) in this process: the same answer from both."""
    return run_both(capsys, monkeypatch)
