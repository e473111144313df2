"""Claims: a server started through `stableport run` holds its port against other projects.

Real processes throughout: two projects built so that a service of each hashes
to the same port, a real listening server started through the console script,
and a second `run` that must refuse naming it, then start once it is gone.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import stableport
from stableport import _claims, _lockfile, _test_run

from .util import SCRIPT, bindable, clean_environment, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _lockfile.AVAILABLE, reason="no claims where leasing is unavailable"),
]

# Listens on $PORT, says so, and serves one line (its project's name) per connection.
SERVER = """\
import os, socket, sys
server = socket.create_server(("127.0.0.1", int(os.environ["PORT"])))
print("ready", flush=True)
while True:
    connection, _ = server.accept()
    with connection:
        connection.sendall(sys.argv[1].encode())
"""
DEADLINE = 60.0


def colliding_projects(root: Path) -> tuple[Path, Path, int]:
    """Two projects, namespaces found by search, whose web and app hash to one free port."""
    seen: dict[tuple[str, int], str] = {}
    # Random: tests running at once each get their own port to bind.
    prefix = secrets.token_hex(4)
    for number in range(100_000):
        for service, other in (("web", "app"), ("app", "web")):
            namespace = f"{service}-{prefix}-{number}"
            port = stableport.PortMap([service], namespace=namespace).port_for(service)
            match = seen.get((other, port))
            if match is not None and bindable(port):
                first, second = (namespace, match) if service == "web" else (match, namespace)
                return (
                    project(root / "first", first, "web"),
                    project(root / "second", second, "app"),
                    port,
                )
            seen[service, port] = namespace
    message = "no two namespaces collide"  # pragma: no cover
    raise AssertionError(message)  # pragma: no cover


def project(where: Path, namespace: str, service: str) -> Path:
    where.mkdir()
    (where / "stableport.toml").write_text(f'namespace = "{namespace}"\nservices = ["{service}"]\n')
    return where


@contextmanager
def server(
    where: Path, service: str, env: dict[str, str] | None = None, options: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[str]]:
    """`stableport run SERVICE [OPTIONS] -- python SERVER`, up and listening; ended on exit."""
    assert SCRIPT is not None
    process = subprocess.Popen(
        [SCRIPT, "run", service, *options, "--", sys.executable, "-c", SERVER, where.name],
        cwd=where,
        env=clean_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line == "ready\n", (line, process.stderr.read() if process.stderr else "")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=DEADLINE)


def answer(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as connection:
        return connection.recv(100).decode()


def refused(where: Path, service: str) -> subprocess.CompletedProcess[str]:
    """A second run, whose command would leave a file behind if it ever started."""
    marker = where / "started"
    result = run(
        "run", service, "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", cwd=where
    )
    assert not marker.exists(), "the refused command ran"
    return result


@pytest.mark.parametrize("ending", ["exit", "SIGKILL"])
def test_a_second_project_hashing_to_a_claimed_port_is_refused_then_starts(
    tmp_path: Path, ending: str
) -> None:
    first, second, port = colliding_projects(tmp_path)
    with server(first, "web") as holder:
        assert answer(port) == "first"
        result = refused(second, "app")
        assert result.returncode == 2
        assert result.stdout == ""
        namespace = stableport.load(first / "stableport.toml").namespace
        assert result.stderr == (
            f"stableport: error: run: port {port} of app@default is claimed by stableport run "
            f"of web@default (pid {holder.pid}, namespace {namespace!r}, instance 0, "
            f"{first / 'stableport.toml'}); pin app to another port in "
            f"{second / 'stableport.toml'} ([pins] app = PORT); or for this process only "
            f"STABLEPORT_PINS=app=PORT\n"
        )
        # check --live names the holder by what it is, not only by its pid.
        live = run("check", "--live", cwd=second)
        assert f"claimed by stableport run of web@default (pid {holder.pid}" in live.stdout
        data = json.loads(run("check", "--live", "--json", cwd=second).stdout)
        assert data["live"][0]["claimant"] == {
            "namespace": namespace,
            "instance": 0,
            "env": "default",
            "service": "web",
            "pid": holder.pid,
            "config": str(first / "stableport.toml"),
        }
        if ending == "exit":
            holder.terminate()
        else:
            holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=DEADLINE)
    # Gone, its claim with it (the kernel dropped the lock): the second starts.
    with server(second, "app"):
        assert answer(port) == "second"


def test_check_live_names_a_claimed_port_its_server_does_not_listen_on_yet(
    tmp_path: Path,
) -> None:
    # run would refuse another command on it, so check --live must not call it free.
    first, _, port = colliding_projects(tmp_path)
    assert SCRIPT is not None
    quiet = "import sys; print('ready', flush=True); sys.stdin.read()"  # listens on nothing
    holder = subprocess.Popen(
        [SCRIPT, "run", "web", "--", sys.executable, "-c", quiet],
        cwd=first,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        live = run("check", "--live", cwd=first)
        assert live.returncode == 1
        claimed = f"port {port} is not listened on, but claimed by stableport run of web@default"
        assert f"{claimed} (pid {holder.pid}" in live.stdout
        entry = json.loads(run("check", "--live", "--json", cwd=first).stdout)["live"][0]
        assert (entry["free"], entry["claimant"]["pid"]) == (True, holder.pid)
    finally:
        holder.communicate("", timeout=DEADLINE)
    live = run("check", "--live", cwd=first)  # gone with its server: free again
    assert live.returncode == 0
    assert f"live: web@default {port}: free on loopback" in live.stdout.splitlines()


def test_a_dead_claimants_record_is_never_believed(tmp_path: Path) -> None:
    first, second, port = colliding_projects(tmp_path)
    with server(first, "web") as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=DEADLINE)
    directory = _lockfile.lease_directory()
    assert (directory / f"{_claims.RECORD_PREFIX}{port}").exists()  # left behind
    assert _claims.claimant(port) is None
    # A test run's fixture holds the port now: refused, and the dead server is not named.
    test_run = _lockfile.Locks(directory)
    try:
        assert test_run.take(port)
        result = refused(second, "app")
        assert result.returncode == 2
        assert "claimed by another live process (a test run" in result.stderr
        assert "web@default" not in result.stderr
        assert "claimed by" not in run("check", "--live", cwd=first).stdout
    finally:
        test_run.release()
    with server(second, "app"):
        assert answer(port) == "second"


def test_the_same_service_twice_is_refused_naming_the_first(tmp_path: Path) -> None:
    first, _, port = colliding_projects(tmp_path)
    with server(first, "web") as holder:
        result = refused(first, "web")
        assert result.returncode == 2
        assert result.stderr == (
            f"stableport: error: run: port {port} of web@default is claimed by stableport run "
            f"of web@default (pid {holder.pid}, namespace "
            f"{stableport.load(first / 'stableport.toml').namespace!r}, instance 0, "
            f"{first / 'stableport.toml'}): it runs already; for a command that connects to "
            f"it, run with --no-claim\n"
        )
        # A client of the server: --no-claim starts it, on the server's port.
        client = "import os, socket; print(socket.create_connection(('127.0.0.1', "
        client += "int(os.environ['PORT']))).recv(100).decode())"
        result = run("run", "web", "--no-claim", "--", sys.executable, "-c", client, cwd=first)
        assert (result.returncode, result.stdout, result.stderr) == (0, "first\n", "")


def test_a_port_a_test_handed_out_is_the_tests_not_claimed(tmp_path: Path) -> None:
    # Started by a live test run whose fixture holds the port (and hands it
    # down in STABLEPORT_TEST_PORTS): the test's lock is the claim; run takes none.
    first, _, port = colliding_projects(tmp_path)
    fixture = _lockfile.Locks(_lockfile.lease_directory())
    start = _test_run.start_time(os.getpid()) or ""
    config = first / "stableport.toml"
    namespace = stableport.load(config).namespace
    handed = {
        "STABLEPORT_TEST_RUN": f"{os.getpid()},{start},default,{namespace},0,{config}",
        "STABLEPORT_TEST_PORTS": f"web={port}",
    }
    try:
        assert fixture.take(port)
        with server(first, "web", handed):
            assert answer(port) == "first"
        # Naming the test's environment gives the same port: the test's still.
        with server(first, "web", handed, ("--env", "default")):
            assert answer(port) == "first"
    finally:
        fixture.release()


def test_test_ports_left_by_an_ended_run_do_not_skip_the_claim(tmp_path: Path) -> None:
    # Issue 28 item 1: with STABLEPORT_TEST_PORTS inherited from a run that is
    # gone (or no run at all), run skipped its claim: two servers of one
    # service both started.
    first, _, port = colliding_projects(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    ended = f"{child.pid},,default,,0,{first / 'stableport.toml'}"
    without = {"STABLEPORT_TEST_PORTS": f"web={port}"}
    for left in (without, {**without, "STABLEPORT_TEST_RUN": ended}):
        with server(first, "web", left):
            second = run("run", "web", "--", sys.executable, "-c", "print('started')",
                         cwd=first, env=left)  # fmt: skip
            assert second.returncode == 2
            assert second.stdout == ""
            assert f"run: port {port} of web@default is claimed by stableport run" in second.stderr


def test_a_kept_platform_port_is_not_claimed(tmp_path: Path) -> None:
    first, second, port = colliding_projects(tmp_path)
    with server(first, "web"):
        # Heroku's router sends to the PORT it set: run keeps it and claims nothing.
        result = run(
            "run",
            "app",
            "--",
            sys.executable,
            "-c",
            "import os; print(os.environ['PORT'])",
            cwd=second,
            env={"DYNO": "web.1", "PORT": "5000"},
        )
        assert (result.returncode, result.stdout) == (0, "5000\n"), result.stderr
    del port


def test_an_unusable_lease_directory_starts_unclaimed_and_says_so(tmp_path: Path) -> None:
    first, _, port = colliding_projects(tmp_path)
    result = run(
        "run",
        "web",
        "--",
        sys.executable,
        "-c",
        "print('started')",
        cwd=first,
        env={"STABLEPORT_LEASE_DIR": "relative"},
    )
    assert (result.returncode, result.stdout) == (0, "started\n")
    assert result.stderr.startswith(f"stableport: run: port {port} is not claimed: ")
    assert "relative path" in result.stderr


def test_claiming_in_process_and_reading_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process, for coverage of what the console script runs in its own.
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(tmp_path))
    me = _claims.Claimant("ns", 2, "dev", "web", os.getpid(), None)
    held = _claims.claim(30001, me)
    assert isinstance(held, _lockfile.Locks)
    try:
        assert _claims.claimant(30001) == me
        assert _claims.claim(30001, me) == _claims.Refused(30001, me)
        held.keep_across_exec()
        assert _claims.claimant(30001) == me  # still held, the watcher stopped
    finally:
        held.release()
    assert _claims.claimant(30001) is None  # released: its record is not believed
    assert str(me) == f"stableport run of web@dev (pid {os.getpid()}, namespace 'ns', instance 2)"
    assert str(me._replace(namespace=None)).endswith("no namespace, instance 2)")
    # A record that is not one: no holder named.
    directory = _lockfile.lease_directory()
    (directory / f"{_claims.RECORD_PREFIX}30002").write_text("{not json")
    assert _claims.claimant(30002) is None


def test_the_record_is_whole_or_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nowhere to write it (a directory in its place): the claim holds, no holder is named.
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(tmp_path))
    directory = _lockfile.lease_directory()
    (directory / f"{_claims.RECORD_PREFIX}30003").mkdir()
    me = _claims.Claimant(None, 0, "default", "web", os.getpid(), None)
    held = _claims.claim(30003, me)
    assert isinstance(held, _lockfile.Locks)
    try:
        assert _claims.claim(30003, me) == _claims.Refused(30003, None)
        assert not list(directory.glob(f"{_claims.RECORD_PREFIX}30003.*"))  # nothing aside
    finally:
        held.release()


def test_run_in_process_refuses_releases_and_goes_unclaimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the console script does, in this process, for coverage.
    from stableport._cli import main  # noqa: PLC0415
    from stableport._cli.commands import run as _run  # noqa: PLC0415

    first, _, port = colliding_projects(tmp_path)
    monkeypatch.chdir(first)
    config = str(first / "stableport.toml")
    namespace = stableport.load(config).namespace
    # Another checkout's web (a copy elsewhere, without a file of its own).
    other = _claims.Claimant(namespace, 0, "default", "web", 1, None)
    held = _claims.claim(port, other)
    assert isinstance(held, _lockfile.Locks)
    try:
        assert main(["run", "web", "--", sys.executable, "-c", "raise SystemExit(7)"]) == 2
        assert capsys.readouterr().err.startswith(
            f"stableport: error: run: port {port} of web@default is claimed by stableport run "
            f"of web@default (pid 1, namespace {namespace!r}, instance 0), another checkout "
            f"of this project; declare instances in {config} (instances = 4) to give each "
            f"checkout its own ports; or for this process only STABLEPORT_PINS=web=PORT\n"
        )
    finally:
        held.release()
    # This checkout's own web: it runs already.
    held = _claims.claim(port, other._replace(config=config))
    assert isinstance(held, _lockfile.Locks)
    try:
        assert main(["run", "web", "--", sys.executable, "-c", "raise SystemExit(7)"]) == 2
        assert capsys.readouterr().err.endswith(
            "it runs already; for a command that connects to it, run with --no-claim\n"
        )
        # A client of it claims nothing (and here cannot start).
        assert main(["run", "web", "--no-claim", "--", "no-such-command-here"]) == 127
    finally:
        held.release()
    # Exec fails (no such command): the claim taken for it is given back.
    assert main(["run", "web", "--", "no-such-command-here"]) == _run.NOT_FOUND
    assert _claims.claimant(port) is None
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", "relative")
    assert main(["run", "web", "--", "no-such-command-here"]) == _run.NOT_FOUND
    assert f"stableport: run: port {port} is not claimed: " in capsys.readouterr().err
