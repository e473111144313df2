"""Helpers shared by the test modules: the console script and fresh interpreters."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

# The console script next to this interpreter: the one `pip install -e .` wrote.
SCRIPT = shutil.which("stableport", path=str(Path(sys.executable).parent))


def clean_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without STABLEPORT_* variables, plus env.

    Except the test's own lease directory (conftest's): `run` claims its port
    there, and in the user-wide one, tests running at once in other workers
    and other checkouts would refuse each other's claims on the same ports.
    """
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STABLEPORT_") or k == "STABLEPORT_LEASE_DIR"
    }
    environment.update(env or {})
    return environment


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console script, with no STABLEPORT_* variables but those given."""
    assert SCRIPT is not None, "the stableport console script is not installed"
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        check=False,
        env=clean_environment(env),
        cwd=cwd,
    )


def output_of(*args: str, cwd: Path | None = None) -> str:
    """What the console script prints; the test fails on a non-zero exit or any stderr."""
    result = run(*args, cwd=cwd)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def imported_by(code: str, *, setup: str = "", cwd: Path | None = None) -> tuple[str, set[str]]:
    """Run setup, then code, in a fresh interpreter: what code printed, and what it imported.

    A fresh process, because this one has long since imported everything; the
    modules counted are those loaded after setup (and Python's own start-up).
    """
    script = "\n".join(
        [
            "import sys",
            setup,
            "_before = set(sys.modules)",
            code,
            "print(*set(sys.modules) - _before)",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=clean_environment(),
        cwd=cwd,
    )
    *printed, modules = result.stdout.splitlines()
    return "".join(f"{line}\n" for line in printed), set(modules.split())
