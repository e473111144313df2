"""Helpers shared by the test modules: the console script, fresh interpreters, git, servers."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

import stableport
from stableport._port_status import port_status

# The console script next to this interpreter: the one `pip install -e .` wrote.
SCRIPT = shutil.which("stableport", path=str(Path(sys.executable).parent))


# Python source for a child process that uses up its descriptors: its limit
# lowered (to 32, quick to fill), then every descriptor left opened on
# os.devnull and kept in `filler`. The child imports os and resource first.
USE_UP_DESCRIPTORS = """\
resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
filler = []
try:
    while True:
        filler.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
"""


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
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """The real console script, with no STABLEPORT_* variables but those given.

    options go to subprocess.run as they are (a preexec_fn, pass_fds).
    """
    assert SCRIPT is not None, "the stableport console script is not installed"
    return completed([SCRIPT, *args], env=env, cwd=cwd, **options)


def plain(env: dict[str, str] | None = None) -> dict[str, str]:
    """Variables for a child: not a CI job (so first use assigns an instance), and env.

    CI="" is not CI, whatever the test run itself has.
    """
    return {"CI": "", **(env or {})}


def python(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (this one) given args, as run() starts the console script."""
    return completed([sys.executable, *args], env=env, cwd=cwd, **options)


def completed(
    argv: list[str],
    *,
    env: dict[str, str] | None,
    cwd: Path | None,
    check: bool = False,
    stdout: Any = subprocess.PIPE,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    """argv run to its end: its status and text output (any status, unless check).

    stdout is captured unless given (a file, /dev/full); stderr always is.
    """
    return subprocess.run(
        argv,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=check,
        env=clean_environment(env),
        cwd=cwd,
        **options,
    )


def run_redirected(
    redirection: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script with a shell's redirection, as a user types it (`>&-`, `> /dev/full`).

    The shell sets its streams up: with `>&-` it starts with no descriptor 1 at
    all, which subprocess cannot arrange (it always gives a child one).
    """
    assert SCRIPT is not None, "the stableport console script is not installed"
    shell = ["sh", "-c", f'exec "$0" "$@" {redirection}', SCRIPT, *args]
    return completed(shell, env=None, cwd=cwd)


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
    result = python("-c", script, cwd=cwd, check=True)
    *printed, modules = result.stdout.splitlines()
    return "".join(f"{line}\n" for line in printed), set(modules.split())


def git(*args: str, cwd: Path) -> str:
    """What git prints; the test fails if it fails. Commits need no user configured."""
    argv = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return completed(argv, env=None, cwd=cwd, check=True).stdout


def git_repository(main: Path, files: dict[str, str]) -> Path:
    """main made a git repository whose one commit holds files (name: text); main itself."""
    main.mkdir(parents=True)
    for name, text in files.items():
        (main / name).write_text(text)
    git("init", "-q", cwd=main)
    git("add", ".", cwd=main)
    git("commit", "-qm", "project", cwd=main)
    return main


def worktree(main: Path, name: str) -> Path:
    """A new git worktree of main's repository, beside main, called name."""
    git("worktree", "add", "-q", f"../{name}", cwd=main)
    return main.parent / name


def instance_number(tree: Path) -> int:
    """The instance recorded in tree's identity file, .stableport-instance."""
    return int((tree / ".stableport-instance").read_text().splitlines()[0])


# How long a server may take to start, or to stop once told.
SERVER_DEADLINE = 120.0


@contextmanager
def stacks(
    trees: list[Path], services: Iterable[str], env: dict[str, str] | None = None
) -> Iterator[dict[tuple[Path, str], int]]:
    """Each checkout's servers through `stableport run`, started at the same instant.

    Each runs server.py from its checkout with the service's name, without a
    terminal (no stdin, stderr discarded), and prints a JSON line with its
    port once it listens; yields the ports once all listen, and stops them all.
    """
    environment = clean_environment(env)
    with ExitStack() as stack:
        started = []
        for tree in trees:
            for service in services:
                process = subprocess.Popen(
                    [str(SCRIPT), "run", service, "--", sys.executable, "server.py", service],
                    cwd=tree,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    start_new_session=True,
                )
                stack.callback(stop, process)
                started.append((tree, service, process))
        ports: dict[tuple[Path, str], int] = {}
        for tree, service, process in started:
            assert process.stdout is not None
            line = process.stdout.readline()
            report = json.loads(line) if line else {"error": f"exit {process.wait()}"}
            assert "error" not in report, (tree, service, report)
            ports[tree, service] = int(report["port"])
        yield ports


def stop(process: "subprocess.Popen[str]") -> None:
    """process and its session ended: SIGTERM, then SIGKILL after the deadline."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def own_name() -> str:
    """This process's name as the kernel reports it (Linux's /proc), as a holder is named."""
    return Path(f"/proc/{os.getpid()}/comm").read_text(encoding="utf-8").strip()


def bindable(port: int) -> bool:
    """Whether nothing holds port on loopback right now (other runs share this host)."""
    return port_status(port).free


def free_namespace(
    prefix: str,
    ports: Callable[[str], Iterable[int]],
    where: Callable[[str], bool] | None = None,
) -> str:
    """A namespace of its own to this call, under which every port ports(namespace) is free.

    This host's loopback is shared: this suite runs in other workers and other
    checkouts at the same instant, with the same configurations, so a test that
    binds a project's port, or counts on it being free, never takes a fixed one.
    where, if given, must hold of the namespace too (a shape the test's exact
    expectations were written for).
    """
    for _ in range(1000):
        namespace = f"{prefix}-{secrets.token_hex(4)}"
        if (where is None or where(namespace)) and all(bindable(port) for port in ports(namespace)):
            return namespace
    message = "no namespace whose ports are all free"  # pragma: no cover
    raise AssertionError(message)  # pragma: no cover


def assigned_ports(*services: str, **arguments: Any) -> Callable[[str], Iterable[int]]:
    """For free_namespace: every port the map of services and arguments assigns, by namespace."""
    return lambda namespace: (
        stableport.PortMap(services, **arguments, namespace=namespace).assignments().values()
    )


# The console script and main(argv) at once: run_both's callable, run()'s signature.
Run = Callable[..., subprocess.CompletedProcess[str]]


def run_both(capsys: "pytest.CaptureFixture[str]", monkeypatch: "pytest.MonkeyPatch") -> Run:
    """run(), and main(argv) in this process in the same directory: they must answer alike.

    The console script is what a user runs; the in-process call is what the
    coverage measurement sees, and the two agreeing is the point of one entry.
    """
    from stableport._cli import main  # noqa: PLC0415 - the tests that need it only

    def both(
        *args: str, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = run(*args, cwd=cwd, env=env)
        capsys.readouterr()
        with monkeypatch.context() as patch:
            patch.chdir(cwd)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            code = main(list(args))
        out, err = capsys.readouterr()
        assert (code, out, err) == (result.returncode, result.stdout, result.stderr), args
        return result

    return both
