"""run before it starts a command: whoever holds the port is named, with the fixes that fit.

Real processes and sockets throughout: a listener not started through
stableport, servers started through the console script, checkouts removed
under their running servers, hostile directory names, a tight descriptor limit.
"""

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import stableport
from stableport import _lockfile

from .test_claims import DEADLINE, colliding_projects, project, refused, server
from .util import (
    SCRIPT,
    USE_UP_DESCRIPTORS,
    assigned_ports,
    clean_environment,
    free_namespace,
    git,
    python,
    run,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _lockfile.AVAILABLE, reason="no claims where leasing is unavailable"),
]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# Listens on argv[1] (an address) at argv[2] (a port): a program that knows nothing of stableport.
LISTENER = """\
import socket, sys
address, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
server = socket.socket(family, socket.SOCK_STREAM)
if family == socket.AF_INET6:
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, address != "::")
server.bind((address, port))
server.listen()
print("ready", flush=True)
sys.stdin.read()
"""


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@contextmanager
def foreign(address: str, port: int) -> Iterator[subprocess.Popen[str]]:
    """A listener on address:port that no stableport started; ended on exit."""
    process = subprocess.Popen(
        [sys.executable, "-c", LISTENER, address, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        yield process
    finally:
        process.communicate("", timeout=DEADLINE)


def program(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()


def own_project(root: Path, *, lines: str = "") -> tuple[Path, int]:
    """A project of one service, web, whose port is free now; and that port."""
    namespace = free_namespace("holders", assigned_ports("web"))
    where = project(root, namespace, "web")
    with (where / "stableport.toml").open("a") as file:
        file.write(lines)
    return where, stableport.load(where / "stableport.toml").port_for("web")


# -- a program not started through stableport holds the port -----------------------------


@linux_only
@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0", "::1", "::"])  # noqa: S104
def test_run_refuses_a_port_a_program_not_started_through_stableport_holds(
    tmp_path: Path, address: str
) -> None:
    if ":" in address and not has_ipv6():
        pytest.skip("no IPv6 loopback here")
    where, port = own_project(tmp_path / "web")
    with foreign(address, port) as holder:
        result = refused(where, "web")  # its command would serve elsewhere, or fail
        assert result.returncode == 2
        line = result.stderr.splitlines()
        assert len(line) == 1, result.stderr
        assert line[0].startswith(
            f"stableport: error: run: port {port} of web@default is in use on "
        )
        assert (
            f"(held by pid {holder.pid} ({program(holder.pid)})), not by a stableport run"
            in (line[0])
        )
        assert f"stop it (kill {holder.pid}), or pin web to another port in " in line[0]
        assert "instance new" not in line[0]
    # Gone: the same run starts, and claims the port.
    started = run("run", "web", "--", sys.executable, "-c", "print('started')", cwd=where)
    assert (started.returncode, started.stdout, started.stderr) == (0, "started\n", "")


def test_run_starts_beside_a_port_in_time_wait_a_server_can_reuse(tmp_path: Path) -> None:
    # A server that sets SO_REUSEADDR (what servers do) binds a port whose
    # closed connections wait out TIME_WAIT: run lets its command try.
    where, port = own_project(tmp_path / "web")
    server_socket = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR, as servers
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server_socket.accept()
    accepted.close()  # the server side first: its end waits in TIME_WAIT
    client.recv(1)
    client.close()
    server_socket.close()
    serve = "import os, socket; socket.create_server(('127.0.0.1', int(os.environ['PORT'])))"
    result = run("run", "web", "--", sys.executable, "-c", serve + "; print('bound')", cwd=where)
    assert (result.returncode, result.stdout, result.stderr) == (0, "bound\n", "")


# -- run's refusal of an orphan of a removed checkout -------------------------------------


def test_an_orphans_refusal_says_its_checkout_is_gone_and_which_pid_to_stop(
    tmp_path: Path,
) -> None:
    namespace = free_namespace("orphan", assigned_ports("web"))
    gone = project(tmp_path / "gone", namespace, "web")
    here = project(tmp_path / "here", namespace, "web")
    port = stableport.load(here / "stableport.toml").port_for("web")
    with server(gone, "web") as holder:
        shutil.rmtree(gone)  # `git worktree remove --force` while its server runs
        result = refused(here, "web")
        assert result.returncode == 2
        assert result.stderr == (
            f"stableport: error: run: port {port} of web@default is claimed by stableport run "
            f"of web@default (pid {holder.pid}, namespace {namespace!r}, instance 0, "
            f"{gone / 'stableport.toml'}, which no longer exists), whose checkout is gone: "
            f"stop pid {holder.pid} (kill {holder.pid}) to free the port\n"
        )
        # The siblings name it the same way.
        live = run("check", "--live", cwd=here)
        assert f"{gone / 'stableport.toml'}, which no longer exists)" in live.stdout


# -- run's refusals name the fixes that fit the case --------------------------------------


def test_another_project_is_told_the_lasting_fix_first_and_never_instance_new(
    tmp_path: Path,
) -> None:
    first, second, port = colliding_projects(tmp_path)
    with server(first, "web"):
        result = refused(second, "app")
    config = second / "stableport.toml"
    assert result.stderr.endswith(
        f"; pin app to another port in {config} ([pins] app = PORT); or for this process "
        f"only STABLEPORT_PINS=app=PORT\n"
    )
    assert "instance" not in result.stderr.split(")", 1)[1]
    del port


def test_a_project_without_a_namespace_is_told_to_set_one_first(tmp_path: Path) -> None:
    _, second, _ = colliding_projects(tmp_path)
    config = second / "stableport.toml"
    config.write_text(config.read_text().replace("namespace", "# namespace"))
    # Its port in the shared namespace: whoever holds it there.
    port = stableport.load(config).port_for("app")
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            pytest.skip("that port is busy on this host right now")
    holder = _lockfile.Locks(_lockfile.lease_directory())  # a test run holds it: no claimant record
    try:
        assert holder.take(port)
        result = refused(second, "app")
    finally:
        holder.release()
    assert result.stderr == (
        f"stableport: error: run: port {port} of app@default is claimed by another live process "
        f"(a test run, or a claim being made); set a namespace in {config} "
        f'(namespace = "<project>": every hashed port moves once) or pin app to another port '
        f"in {config} ([pins] app = PORT); or for this process only STABLEPORT_PINS=app=PORT "
        f"or STABLEPORT_NAMESPACE=<project>\n"
    )


def two_checkouts(tmp_path: Path, config: str, *, with_git: bool) -> tuple[Path, Path]:
    """Two checkouts of one project (git worktrees, or two plain copies), neither an instance."""
    main = tmp_path / "main"
    main.mkdir()
    (main / "stableport.toml").write_text(config)
    if not with_git:
        other = tmp_path / "copy"
        shutil.copytree(main, other)
        return main, other
    git("init", "-q", cwd=main)
    git("add", ".", cwd=main)
    git("commit", "-qm", "project", cwd=main)
    git("worktree", "add", "-q", "../tree", cwd=main)
    return main, tmp_path / "tree"


def refused_in(where: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    marker = where / "started"
    result = run(
        "run",
        "web",
        "--",
        sys.executable,
        "-c",
        f"open({str(marker)!r}, 'w')",
        cwd=where,
        env=env,
    )
    assert not marker.exists(), "the refused command ran"
    assert result.returncode == 2
    return result


# CI: no checkout is given an instance of its own unasked (issue 33, item 1),
# so both keep the plain map and collide, as two checkouts did before it.
NOT_ASSIGNED = {"CI": "1"}


@pytest.mark.parametrize("with_git", [True, False])
def test_two_checkouts_of_a_project_with_instances(tmp_path: Path, with_git: bool) -> None:  # noqa: FBT001
    namespace = free_namespace("checkouts", assigned_ports("web"))
    config = f'namespace = "{namespace}"\nservices = ["web"]\ninstances = 3\n'
    main, other = two_checkouts(tmp_path, config, with_git=with_git)
    env = dict(NOT_ASSIGNED)
    if not with_git:
        env["PATH"] = str(Path(sys.executable).parent)  # no git on it
    with server(other, "web", env) as holder:
        result = refused_in(main, env)
    head, fix = result.stderr.split(", another checkout of this project; ")
    assert f"(pid {holder.pid}," in head
    if with_git:
        # The main checkout: instance new there would move its ports under its stack.
        assert fix == f"give that checkout its own ports with stableport instance new in {other}\n"
    else:
        assert fix == "set STABLEPORT_INSTANCE=N (1 to 3) for this process\n"
    with server(main, "web", env) as holder:
        result = refused_in(other, env)
    fix = result.stderr.split(", another checkout of this project; ")[1]
    if with_git:
        assert fix == (
            "give this checkout its own ports with stableport instance new, or set "
            "STABLEPORT_INSTANCE=N (1 to 3) for this process\n"
        )
    else:
        assert "instance new" not in fix


def test_two_checkouts_of_a_project_without_instances_are_told_to_declare_them(
    tmp_path: Path,
) -> None:
    namespace = free_namespace("checkouts", assigned_ports("web"))
    config = f'namespace = "{namespace}"\nservices = ["web"]\n'
    main, other = two_checkouts(tmp_path, config, with_git=True)
    with server(main, "web", NOT_ASSIGNED):
        result = refused_in(other, NOT_ASSIGNED)
    assert result.stderr.endswith(
        f", another checkout of this project; declare instances in {other / 'stableport.toml'} "
        f"(instances = 4) to give each checkout its own ports; or for this process only "
        f"STABLEPORT_PINS=web=PORT\n"
    )
    assert "instance new" not in result.stderr


def test_a_copy_of_an_instance_is_told_both_are_that_instance(tmp_path: Path) -> None:
    namespace = free_namespace("copies", assigned_ports("web", instances=3, instance=2))
    config = f'namespace = "{namespace}"\nservices = ["web"]\ninstances = 3\n'
    main, other = two_checkouts(tmp_path, config, with_git=True)
    env = {**NOT_ASSIGNED, "STABLEPORT_INSTANCE": "2"}
    with server(main, "web", env):
        result = refused_in(other, env)
    assert result.stderr.endswith(
        "another checkout of this project; both are instance 2: give this one its own with "
        "stableport instance new, or set STABLEPORT_INSTANCE=N (1 to 3) for this process\n"
    )


# -- a claimant's path cannot forge a line ------------------------------------------------


def test_a_claimants_path_with_a_newline_is_quoted_in_runs_refusal_and_check_live(
    tmp_path: Path,
) -> None:
    first, second, port = colliding_projects(tmp_path)
    hostile = tmp_path / "shop\nproblem: forged"
    first.rename(hostile)
    with server(hostile, "web") as holder:
        result = refused(second, "app")
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert repr(str(hostile / "stableport.toml")) in result.stderr
        live = run("check", "--live", cwd=hostile)
        assert "problem: forged" not in live.stdout.splitlines()
        assert f"served by pid {holder.pid}" in live.stdout
        other = run("check", "--live", cwd=second)
        assert "forged" in other.stdout  # named, quoted
        assert not any(line.startswith("problem: forged") for line in other.stdout.splitlines())
    del port


# -- a tight descriptor limit; advice run can follow ---------------------------------------


def limited(limit: int) -> "object":
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply


@linux_only
@pytest.mark.parametrize("limit", [5, 6, 7, 8])
def test_run_under_a_tight_descriptor_limit_starts_its_command(tmp_path: Path, limit: int) -> None:
    where, _ = own_project(tmp_path / "web")
    result = run(
        "run", "web", "--", "sh", "-c", "echo started", cwd=where, preexec_fn=limited(limit)
    )
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stdout) == (0, "started\n"), result.stderr
    # Refused the lock file, not the command: said, with advice run can follow.
    assert "--stableport-leases" not in result.stderr


CLAIM_UNDER_LIMIT = (
    """\
import os, resource, sys
from stableport import _claims
from stableport._errors import ConfigError

"""
    + USE_UP_DESCRIPTORS
    + """\
os.close(filler.pop())  # room for one: the lease directory opens, the lock file does not
me = _claims.Claimant(None, 0, "default", "web", os.getpid(), None)
try:
    _claims.claim(int(sys.argv[1]), me)
except ConfigError as error:
    print("refused:", error)
try:
    os.close(os.open(os.devnull, os.O_RDONLY))
except OSError as error:
    print("leaked:", error.strerror)
else:
    print("none leaked")
"""
)


@linux_only
def test_a_claim_that_cannot_open_the_lock_file_leaks_no_descriptor(tmp_path: Path) -> None:
    _, port = own_project(tmp_path / "web")
    result = python("-c", CLAIM_UNDER_LIMIT, str(port), env=clean_environment())
    refusal, same = result.stdout.splitlines()
    assert refusal.startswith("refused: lock file 'locks' in lease directory ")
    assert "Too many open files" in refusal
    assert "--stableport-leases" not in refusal
    assert same == "none leaked"


def test_run_advises_nothing_it_does_not_take(tmp_path: Path) -> None:
    where, port = own_project(tmp_path / "web")
    (tmp_path / "a file").write_text("")
    result = run(
        "run",
        "web",
        "--",
        sys.executable,
        "-c",
        "print('started')",
        cwd=where,
        env={"STABLEPORT_LEASE_DIR": str(tmp_path / "a file")},
    )
    assert (result.returncode, result.stdout) == (0, "started\n")
    assert result.stderr.startswith(f"stableport: run: port {port} is not claimed: lease directory")
    assert "--stableport-leases" not in result.stderr


# -- check --live as a health check -------------------------------------------------------


def test_check_live_counts_this_checkouts_own_run_as_healthy(tmp_path: Path) -> None:
    where, port = own_project(tmp_path / "web")
    with server(where, "web") as holder:
        live = run("check", "--live", cwd=where)
        assert live.returncode == 0, live.stdout
        assert f"live: web@default {port}: served by pid {holder.pid}" in live.stdout.splitlines()
        entry = json.loads(run("check", "--live", "--json", cwd=where).stdout)["live"][0]
        assert (entry["served_by"], entry["free"]) == (holder.pid, False)
        # Another checkout of the project, where this server is not its own: a problem.
        copy = tmp_path / "copy"
        copy.mkdir()
        shutil.copy(where / "stableport.toml", copy)
        other = run("check", "--live", cwd=copy)
        assert other.returncode == 1
        assert f"problem: web@default {port}: port {port} is in use on 127.0.0.1" in other.stdout
        assert "served by" not in other.stdout


def test_check_live_does_not_count_a_port_its_run_does_not_serve(tmp_path: Path) -> None:
    # The claimant lives but a program not started through it holds the port.
    where, port = own_project(tmp_path / "web")
    quiet = "import sys; print('ready', flush=True); sys.stdin.read()"
    claimant = subprocess.Popen(
        [SCRIPT or "", "run", "web", "--", sys.executable, "-c", quiet],
        cwd=where,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert claimant.stdout is not None
        assert claimant.stdout.readline() == "ready\n"
        with foreign("127.0.0.1", port) as squatter:
            live = run("check", "--live", cwd=where)
            assert live.returncode == 1
            assert f"held by pid {squatter.pid}" in live.stdout
            assert "served by" not in live.stdout
    finally:
        claimant.communicate("", timeout=DEADLINE)


# -- TIME_WAIT, named for what it is by check --live and run ------------------------------


def time_wait(port: int) -> None:
    """Leave port in TIME_WAIT from a server without SO_REUSEADDR that closed first."""
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with server_socket:
        server_socket.bind(("127.0.0.1", port))
        server_socket.listen()
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server_socket.accept()
            accepted.close()
            assert client.recv(1) == b""


@linux_only
def test_check_live_and_run_say_a_port_is_closing(tmp_path: Path) -> None:
    where, port = own_project(tmp_path / "web")
    time_wait(port)
    closing = "no process holds it: 1 connection(s) closing (TIME_WAIT), free in about a minute"
    live = run("check", "--live", cwd=where)
    assert f"problem: web@default {port}: port {port} is in use on 127.0.0.1 ({closing})" in (
        live.stdout.splitlines()
    )
    assert "not visible" not in live.stdout
    result = refused(where, "web")  # its server's bind would fail for now
    refusal = f"({closing}), not by a stableport run: the command would fail to bind it or "
    assert f"{refusal}move to another port; wait about a minute, or " in result.stderr


# -- the Vite recipe of docs/cli.md, against a real Vite ---------------------------------


@pytest.fixture(scope="module")
def vite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with Vite installed from npm (skips where npm or the registry is absent)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("no npm here")
    where = tmp_path_factory.mktemp("vite")
    (where / "index.html").write_text("<p>vite</p>\n")
    try:
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "vite@5"],
            cwd=where,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"vite cannot be installed from npm here: {error}")
    return where


@linux_only
def test_a_vite_dev_server_never_moves_off_its_stable_port(tmp_path: Path, vite: Path) -> None:
    where, port = own_project(tmp_path / "web")
    for name in ("index.html", "node_modules"):
        (where / name).symlink_to(vite / name)
    vite_command = ("npx", "vite", "--port", "{PORT}", "--strictPort")
    with foreign("127.0.0.1", port) as holder:
        # Plain Vite moves on to the next port ("Port ... is in use, trying
        # another one"); through run it never starts.
        result = refused(where, "web")
        assert f"held by pid {holder.pid}" in result.stderr
        marker = where / "vite-started"
        result = run("run", "web", "--", "sh", "-c", f"touch {marker}; exec npx vite", cwd=where)
        assert (result.returncode, marker.exists()) == (2, False)
        # --strictPort alone (a program binding between run's probe and Vite's
        # start): Vite fails instead of moving.
        direct = subprocess.run(
            ["npx", "vite", "--port", str(port), "--strictPort"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        assert direct.returncode != 0
        assert f"Port {port} is already in use" in direct.stdout + direct.stderr
    # Free: the recipe serves on the stable port. NO_COLOR: with CI set, Vite
    # colours its banner even into a pipe, so its output is not read at all;
    # the page on the stable port is the proof, asked for until a deadline.
    assert SCRIPT is not None
    served = subprocess.Popen(
        [SCRIPT, "run", "web", "--", *vite_command],
        cwd=where,
        env=clean_environment({"NO_COLOR": "1"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert "<p>vite</p>" in page_on(port, served)
        live = run("check", "--live", cwd=where)
        assert f"live: web@default {port}: served by pid {served.pid}" in live.stdout, live.stdout
    finally:
        os.killpg(served.pid, signal.SIGTERM)
        served.wait(timeout=DEADLINE)


def page_on(port: int, process: "subprocess.Popen[bytes]") -> str:
    """The page served on 127.0.0.1:port, asked for until DEADLINE while process lives."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                return str(response.read().decode())
        except OSError:  # noqa: PERF203 - not up yet: ask again, a few times a second
            time.sleep(0.2)
    pytest.fail(f"nothing served on port {port} (exit status {process.poll()})")


# -- adversarial: several runs of one service at once, closed stderr, a non-UTF-8 path ------


def test_several_runs_of_one_service_at_once_start_one_server(tmp_path: Path) -> None:
    where, port = own_project(tmp_path / "web")
    assert SCRIPT is not None
    serve = (
        "import os, socket, sys; s = socket.create_server(('127.0.0.1', int(os.environ['PORT'])));"
        " print('serving', flush=True); sys.stdin.read()"
    )
    runs = [
        subprocess.Popen(
            [SCRIPT, "run", "web", "--", sys.executable, "-c", serve],
            cwd=where,
            env=clean_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        outcomes = []
        for process in runs:
            assert process.stdout is not None
            line = process.stdout.readline()  # "serving", or nothing from a refused run
            outcomes.append(line)
        assert outcomes.count("serving\n") == 1
        refused_runs = [process for process, line in zip(runs, outcomes, strict=True) if not line]
        server_pid = runs[outcomes.index("serving\n")].pid
        for process in refused_runs:
            assert process.wait(timeout=DEADLINE) == 2
            assert process.stderr is not None
            # The claim speaks first: never "a program not started through stableport".
            assert process.stderr.read() == (
                f"stableport: error: run: port {port} of web@default is claimed by stableport "
                f"run of web@default (pid {server_pid}, namespace "
                f"{stableport.load(where / 'stableport.toml').namespace!r}, instance 0, "
                f"{where / 'stableport.toml'}): it runs already; for a command that connects "
                f"to it, run with --no-claim\n"
            )
    finally:
        for process in runs:
            process.communicate("", timeout=DEADLINE)


def test_a_refusal_with_stderr_closed_still_starts_nothing(tmp_path: Path) -> None:
    where, port = own_project(tmp_path / "web")
    marker = where / "started"
    with foreign("127.0.0.1", port):
        result = run(
            "run",
            "web",
            "--",
            sys.executable,
            "-c",
            f"open({str(marker)!r}, 'w')",
            cwd=where,
            preexec_fn=lambda: os.close(2),
        )
    assert (result.returncode, marker.exists()) == (2, False)


@linux_only
def test_a_claimants_path_that_is_not_utf8_is_shown_as_the_bytes_it_is(tmp_path: Path) -> None:
    first, second, port = colliding_projects(tmp_path)
    hostile = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    first.rename(hostile)
    assert SCRIPT is not None
    quiet = "import sys; print('ready', flush=True); sys.stdin.read()"  # claims, serves nothing
    holder = subprocess.Popen(
        [SCRIPT, "run", "web", "--", sys.executable, "-c", quiet],
        cwd=hostile,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        result = refused(second, "app")
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert f"is claimed by stableport run of web@default (pid {holder.pid}," in result.stderr
        assert len(result.stderr.splitlines()) == 1
        document = json.loads(run("ps", "--json", cwd=second).stdout)
        assert [claim["config"] for claim in document["others"]] == [
            str(hostile / "stableport.toml")
        ]
    finally:
        holder.communicate("", timeout=DEADLINE)
    del port


def test_refusals_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the console script says, in this process (for coverage); each case
    # as the subprocess tests above show it.
    from stableport import _claims  # noqa: PLC0415
    from stableport._cli import main  # noqa: PLC0415

    monkeypatch.setenv("CI", "1")
    namespace = free_namespace("in-process", assigned_ports("web", instances=3))
    config = f'namespace = "{namespace}"\nservices = ["web"]\ninstances = 3\n'
    main_checkout, tree = two_checkouts(tmp_path, config, with_git=True)
    monkeypatch.chdir(tree)
    port = stableport.load(tree / "stableport.toml").port_for("web")
    me = os.getpid()
    stranger = tmp_path / "stranger.toml"
    stranger.write_text('namespace = "stranger"\nservices = ["web"]\n')
    cases = {
        "gone": (
            str(tmp_path / "removed" / "stableport.toml"),
            namespace,
            "whose checkout is gone",
        ),
        "sibling": (
            str(main_checkout / "stableport.toml"),
            namespace,
            "give this checkout its own ports with stableport instance new",
        ),
        "stranger": (str(stranger), "stranger", "pin web to another port in"),
    }
    for claimed_config, claimed_namespace, expected in cases.values():
        holder = _claims.claim(
            port, _claims.Claimant(claimed_namespace, 0, "default", "web", me, claimed_config)
        )
        assert isinstance(holder, _lockfile.Locks)
        try:
            assert main(["run", "web", "--", "no-such-command-here"]) == 2
            assert expected in capsys.readouterr().err
        finally:
            holder.release()
    with socket.create_server(("127.0.0.1", port)):
        assert main(["run", "web", "--", "no-such-command-here"]) == 2
        assert f"stop it (kill {me}), or pin web to another port in" in capsys.readouterr().err


def test_each_refusal_names_the_fixes_that_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The refusal's words for every case, without processes (the subprocess
    # tests above show the same lines end to end).
    from stableport._claims import Claimant  # noqa: PLC0415
    from stableport._cli.commands.run import _refusal  # noqa: PLC0415

    plain = tmp_path / "plain"
    plain.mkdir()
    config = str(plain / "pyproject.toml")
    Path(config).write_text("")
    me = Claimant(None, 0, "dev", "web", 1, config)
    alone = stableport.PortMap(["web"], env="default")
    fixes = _refusal(alone, config, me, 20001, None)
    assert fixes.endswith(
        f'set a namespace in {config} (namespace = "<project>": every hashed port moves once) '
        f"or pin web@dev to another port in {config} ([tool.stableport.pins] web@dev = PORT); "
        f"or for this process only STABLEPORT_PINS=web@dev=PORT or STABLEPORT_NAMESPACE=<project>"
    )
    unconfigured = _refusal(alone, None, me._replace(config=None), 20001, None)
    assert unconfigured.endswith(
        "give the project a configuration with its own namespace (stableport init), or for "
        "this process only STABLEPORT_PINS=web@dev=PORT"
    )
    # Without a namespace, two files out of git are as likely two projects: no instance advice.
    other = str(tmp_path / "pyproject.toml")
    Path(other).write_text("")
    stranger = _refusal(alone, config, me, 20001, me._replace(pid=2, config=other))
    assert "instance" not in stranger.split("; ", 1)[1]
    # Out of git, instances declared: the variable alone.
    monkeypatch.setenv("PATH", str(tmp_path))  # no git there
    named = stableport.PortMap(["web"], namespace="shop", instances=3)
    me = me._replace(namespace="shop")
    sibling = _refusal(named, config, me, 20001, me._replace(pid=2, config=other))
    assert sibling.endswith(
        "another checkout of this project; set STABLEPORT_INSTANCE=N (1 to 3) for this process"
    )


def test_refusals_between_checkouts_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stableport import _claims  # noqa: PLC0415
    from stableport._cli import main  # noqa: PLC0415

    monkeypatch.setenv("CI", "1")
    namespace = free_namespace(
        "between", lambda name: [*assigned_ports("web", instances=3, instance=2)(name)]
    )
    config = f'namespace = "{namespace}"\nservices = ["web"]\ninstances = 3\n'
    main_checkout, tree = two_checkouts(tmp_path, config, with_git=True)
    me = os.getpid()
    # In the main checkout, the worktree's run holds the port: instance new goes there.
    monkeypatch.chdir(main_checkout)
    port = stableport.load(main_checkout / "stableport.toml").port_for("web")
    theirs = _claims.Claimant(namespace, 0, "default", "web", me, str(tree / "stableport.toml"))
    holder = _claims.claim(port, theirs)
    assert isinstance(holder, _lockfile.Locks)
    try:
        assert main(["run", "web", "--", "no-such-command-here"]) == 2
        assert capsys.readouterr().err.endswith(
            f"give that checkout its own ports with stableport instance new in {tree}\n"
        )
    finally:
        holder.release()
    # Both instance 2 (a copy): this one is told to take its own.
    monkeypatch.chdir(tree)
    monkeypatch.setenv("STABLEPORT_INSTANCE", "2")
    port = stableport.load(tree / "stableport.toml").port_for("web")
    copy = theirs._replace(instance=2, config=str(main_checkout / "stableport.toml"))
    holder = _claims.claim(port, copy)
    assert isinstance(holder, _lockfile.Locks)
    try:
        assert main(["run", "web", "--", "no-such-command-here"]) == 2
        assert "both are instance 2: give this one its own" in capsys.readouterr().err
    finally:
        holder.release()
    # A port in TIME_WAIT no server can take yet: wait.
    if sys.platform.startswith("linux"):
        time_wait(port)
        assert main(["run", "web", "--", "no-such-command-here"]) == 2
        assert "wait about a minute, or " in capsys.readouterr().err


def test_a_failed_claim_keeps_no_descriptor_and_live_claims_of_no_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stableport import _claims  # noqa: PLC0415
    from stableport._errors import ConfigError  # noqa: PLC0415

    opened: list[_lockfile.Locks] = []
    original = _lockfile.Locks._hold_directory

    def hold_then_fail(self: _lockfile.Locks) -> None:
        original(self)  # the directory is open now, as when the file's open fails
        opened.append(self)
        message = "lock file cannot be opened: Too many open files"
        raise ConfigError(message)

    monkeypatch.setattr(_lockfile.Locks, "_hold_directory", hold_then_fail)
    me = _claims.Claimant(None, 0, "default", "web", os.getpid(), None)
    with pytest.raises(ConfigError):
        _claims.claim(20001, me)
    assert opened[0]._dir_fd is None  # released
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", "relative")
    assert _claims.live_claims() == []
    del tmp_path


def test_check_live_in_process_names_this_checkouts_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stableport import _claims  # noqa: PLC0415
    from stableport._cli import main  # noqa: PLC0415

    where, port = own_project(tmp_path / "web")
    monkeypatch.chdir(where)
    me = _claims.Claimant(
        stableport.load(where / "stableport.toml").namespace,
        0,
        "default",
        "web",
        os.getpid(),
        str(where / "stableport.toml"),
    )
    holder = _claims.claim(port, me)
    assert isinstance(holder, _lockfile.Locks)
    try:
        with socket.create_server(("127.0.0.1", port)):
            assert main(["check", "--live"]) == 0
            assert f"live: web@default {port}: served by pid {os.getpid()}" in (
                capsys.readouterr().out
            )
    finally:
        holder.release()
