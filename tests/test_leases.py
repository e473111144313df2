"""Leases: concurrent pytest runs of one project never hand two live processes one port."""

import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

import stableport
from _stableport_pytest import Reporter
from stableport import _lockfile, _test_run
from stableport._fixture import StableportFixture
from stableport._hashing import key_bytes, key_prefix, probe_sequence
from stableport._lease_holder import LeaseHolder
from stableport._leasing import capacity_problem, lease_family, overlay_envs
from stableport._lockfile import Locks, lease_directory, lease_slot

from .util import SCRIPT, bindable, clean_environment, free_namespace

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

pytest_plugins = ["pytester"]

DECLARED = ("billing", "auth", "search", "db")
UNDECLARED = ("cache", "mail")  # hashed per environment, kept apart by the port locks
# A range of its own: the default range's test ports are ones other tests of
# this suite (and other suites on the host) serve on, and a lease one of whose
# ports something listens on is rightly passed over. Each test's namespace is
# its own (the namespace fixture): this file's tests run in other xdist
# workers and other checkouts at the same instant, and with one fixed map
# their servers would hold each other's lease 0 and ports.
RANGE = (12000, 14999)
PROJECT = """
namespace = "{namespace}"
services = ["billing", "auth", "search", "db"]
envs = ["dev", "test"]
env = "dev"
range = [12000, 14999]
"""

# One test per process (every xdist worker runs it under --dist each). Between
# barriers, every test process of every session is alive at once: all take
# their lease and ports together, bind a listening socket on each port for
# the whole test, and ask each port who answers.
SERVERS = """
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

NAMES = {names!r}
SHARED = Path(os.environ["ROUND_DIR"])
PROCESSES = int(os.environ["ROUND_PROCESSES"])


def barrier(stage):
    (SHARED / f"{{stage}}-{{os.getpid()}}").touch()
    deadline = time.monotonic() + 120
    while len(list(SHARED.glob(f"{{stage}}-*"))) < PROCESSES:
        if time.monotonic() > deadline:
            pytest.fail(f"barrier {{stage}}: not every process arrived")
        time.sleep(0.005)


def serve(server):
    while True:
        try:
            connection, _ = server.accept()
        except OSError:  # closed: the test is over
            return
        with connection:
            connection.sendall(str(os.getpid()).encode())
            connection.recv(1)  # the client closes first: no TIME_WAIT on the port


def test_serves_on_its_own_ports(stableport):
    barrier("start")
    if os.environ.get("DELETE_LOCKS"):  # a cleaner, while every session holds its lease
        Path(os.environ["DELETE_LOCKS"]).unlink(missing_ok=True)
    ports = {{name: stableport(name) for name in NAMES}}
    servers, refused = [], {{}}
    for name, port in ports.items():
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
            server.listen()
        except OSError as error:
            refused[name] = error.errno
            server.close()
            continue
        thread = threading.Thread(target=serve, args=(server,), daemon=True)
        thread.start()
        servers.append((server, thread))
    barrier("bound")
    answers = {{}}
    for name, port in ports.items():
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            answer = client.recv(32)
            answers[name] = int(answer) if answer else None  # None: closed unanswered
    barrier("asked")
    for server, thread in servers:
        # close() alone leaves a socket that a thread is blocked in accept() on
        # listening until the process exits, after its locks are released: a
        # concurrent run's next session would find the port taken. shutdown()
        # wakes accept() (Linux), so the port is free before the locks are.
        server.shutdown(socket.SHUT_RDWR)
        thread.join()
        server.close()
    record = {{
        "pid": os.getpid(), "lease": stableport.lease, "env": stableport.env,
        "ports": ports, "refused": refused, "answers": answers, "moved": stableport.moved,
    }}
    (SHARED / f"record-{{os.getpid()}}.json").write_text(json.dumps(record))
    assert refused == {{}}
    assert set(answers.values()) == {{os.getpid()}}
"""

Record = dict[str, Any]  # parsed JSON


def first_ports(namespace: str) -> set[int]:
    """The ports lease 0 of PROJECT in namespace is handed, and each undeclared name's next."""
    home = stableport.PortMap(
        DECLARED, envs=["dev", "test"], env="dev", port_range=RANGE, namespace=namespace
    )
    ports = set(home.assignments().values())
    for name in UNDECLARED:
        order = probe_sequence(key_bytes(name, "test", key_prefix(namespace)), *RANGE)
        ports.update(itertools.islice(order, 2))
    return ports


def apart_from_the_leases(namespace: str) -> bool:
    """Whether each undeclared name's first probe ports are no lease's declared port.

    A run alone gives an undeclared name its first port, as a lookup does, even
    where that is a lease's declared port; a name it moves off a held port also
    skips every lease's declared ports. Where one of those comes early, the next
    port these tests expect of a moved name is not the one given: in about one
    namespace in six. The first four are checked, for the tests that take a
    name's first port away.
    """
    home = stableport.PortMap(
        DECLARED, envs=["dev", "test"], env="dev", port_range=RANGE, namespace=namespace
    )
    leases = set(home.overlay(overlay_envs(home, "test")).assignments().values())
    return not any(
        port in leases
        for name in UNDECLARED
        for port in itertools.islice(
            probe_sequence(key_bytes(name, "test", key_prefix(namespace)), *RANGE), 4
        )
    )


@pytest.fixture
def namespace() -> str:
    """This test's namespace for PROJECT: every port its runs are first handed is free now."""
    return free_namespace("leases", first_ports, where=apart_from_the_leases)


@pytest.fixture
def config(namespace: str) -> str:
    """PROJECT in this test's namespace."""
    return PROJECT.format(namespace=namespace)


@pytest.fixture
def project(pytester: pytest.Pytester, config: str) -> Path:
    """A project directory with a declared map."""
    pytester.makefile(".toml", stableport=config)
    return pytester.path


PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def session_argv(kind: str) -> list[str]:
    """A whole pytest session: plain, or under xdist with every worker running the test once."""
    kind = kind.removesuffix(":xdg")
    argv = [*PYTEST, "--stableport-env", "proof"]
    if kind == "plain":
        return [*argv, "-p", "no:xdist"]
    return [*argv, "-n", kind.removeprefix("-n"), "--dist", "each"]


def processes(kind: str) -> int:
    kind = kind.removesuffix(":xdg")
    return 1 if kind == "plain" else int(kind.removeprefix("-n"))


def run_round(
    project: Path, kinds: list[str], round_dir: Path, *, delete: bool = False
) -> list[Record]:
    """Start every session at once; their test processes meet at the barriers."""
    round_dir.mkdir()
    # The user's own lease directory, not this test's: these sessions bind
    # real ports, so they must keep apart from every other run on the host
    # that does (this suite's, in other checkouts, included). Their own test
    # environment keeps them off the ports other suites' fixtures hand out.
    env = {
        **{key: value for key, value in os.environ.items() if key != "STABLEPORT_LEASE_DIR"},
        "ROUND_DIR": str(round_dir),
        "ROUND_PROCESSES": str(sum(processes(kind) for kind in kinds)),
    }
    if delete:
        env["DELETE_LOCKS"] = str(
            Path(_lockfile.DEFAULT_PARENT, f"stableport-{os.getuid()}", "locks")
        )
    # KIND:xdg: a session with XDG_RUNTIME_DIR and TMPDIR of its own (an IDE's,
    # an ssh session's); they must meet the others all the same.
    odd = round_dir / "runtime"
    odd.mkdir(mode=0o700)
    running = [
        subprocess.Popen(
            session_argv(kind),
            cwd=project,
            env={**env, "XDG_RUNTIME_DIR": str(odd), "TMPDIR": str(odd)}
            if kind.endswith(":xdg")
            else env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in kinds
    ]
    outputs = [proc.communicate(timeout=240)[0] for proc in running]
    for proc, output in zip(running, outputs, strict=True):
        assert proc.returncode == 0, output
    return [json.loads(path.read_text()) for path in sorted(round_dir.glob("record-*.json"))]


# Two and three sessions at once, each kind twice: about 80 s on two busy cores.
# The last: sessions with and without XDG_RUNTIME_DIR and TMPDIR, every
# process deleting the lock file once all hold their lease, before asking for
# its ports.
ROUNDS = [
    ["plain", "plain"],
    ["-n2", "-n2"],
    ["-n2", "-n4"],
    ["plain", "plain", "plain"],
    ["plain:xdg", "plain", "-n2:xdg"],
]


@pytest.mark.parametrize("repeat", [1, 2])
@pytest.mark.parametrize("kinds", ROUNDS, ids=["+".join(kinds) for kinds in ROUNDS])
def test_concurrent_sessions_never_share_a_port(
    project: Path, config: str, tmp_path: Path, kinds: list[str], repeat: int
) -> None:
    # A range of its own, below the kernel's ephemeral ports and away from the
    # default one: other test suites on this host (without leases, or older
    # releases) serve on ports of the default range.
    (project / "stableport.toml").write_text(config.replace("[12000, 14999]", "[30000, 32767]"))
    (project / "test_servers.py").write_text(SERVERS.format(names=DECLARED + UNDECLARED))
    delete = any(kind.endswith(":xdg") for kind in kinds)
    records = run_round(project, kinds, tmp_path / f"round-{repeat}", delete=delete)
    assert len(records) == sum(processes(kind) for kind in kinds)
    # Zero EADDRINUSE, and every port answered by the process it was handed to.
    assert [record["refused"] for record in records] == [{}] * len(records)
    assert all(set(record["answers"].values()) == {record["pid"]} for record in records)
    # No port is handed to two live processes, declared service or not.
    ports = [port for record in records for port in record["ports"].values()]
    assert len(set(ports)) == len(ports)
    # Each process has a lease of its own; a lease's ports are a function of it.
    leases = sorted(record["lease"] for record in records)
    assert len(set(leases)) == len(leases)
    home = stableport.load(project / "stableport.toml")
    overlay = home.overlay(f"proof-lease{index}" for index in range(1, 65))
    dev = {port for (_, env), port in home.assignments().items() if env == "dev"}
    for record in records:
        lease, env = record["lease"], record["env"]
        assert isinstance(lease, int)
        assert env == ("proof" if lease == 0 else f"proof-lease{lease}")
        expected = home if lease == 0 else overlay
        # A port another live process held (another run on this host) moves,
        # and the fixture says so.
        moved = {line.split()[0] for line in record["moved"]}
        assert not moved & set(DECLARED)  # declared services never move
        assert {name: port for name, port in record["ports"].items() if name not in moved} == {
            name: expected.port_for(name, env)
            for name in DECLARED + UNDECLARED
            if name not in moved
        }
        # Never a port of the project's own other environments.
        assert not set(record["ports"].values()) & dev


# Without envs, in a tight range: the overlay holds 4 leases apart (4 services,
# 41 ports, at most half full), so two -n 3 sessions (leases 1-6) take two
# leases beyond it; one undeclared name keeps the range from filling up.
TIGHT = """
services = ["billing", "auth", "search", "db"]
env = "dev"
range = [{low}, {high}]
"""
TIGHT_NAMES = (*DECLARED, "cache")
TIGHT_PORTS = 41


def tight_range() -> tuple[int, int]:
    """41 ports of 30000-32767, every one free now, picked at random.

    Six processes fill most of them: another run of this test on this host (in
    another checkout or worker) at the same instant on the same 41 ports would
    leave some of either's processes no port at all.
    """
    windows = [
        (low, low + TIGHT_PORTS - 1) for low in range(30000, 32768 - TIGHT_PORTS, TIGHT_PORTS)
    ]
    random.SystemRandom().shuffle(windows)
    return next(
        (low, high) for low, high in windows if all(bindable(port) for port in range(low, high + 1))
    )


@pytest.mark.parametrize("repeat", [1, 2])
def test_concurrent_sessions_without_envs_in_a_tight_range_never_share_a_port(
    project: Path, tmp_path: Path, repeat: int
) -> None:
    low, high = tight_range()
    (project / "stableport.toml").write_text(TIGHT.format(low=low, high=high))
    (project / "test_servers.py").write_text(SERVERS.format(names=TIGHT_NAMES))
    home = stableport.load(project / "stableport.toml")
    assert len(overlay_envs(home, "proof")) == 4
    records = run_round(project, ["-n3", "-n3"], tmp_path / f"round-{repeat}")
    assert len(records) == 6
    assert [record["refused"] for record in records] == [{}] * 6
    assert all(set(record["answers"].values()) == {record["pid"]} for record in records)
    ports = [port for record in records for port in record["ports"].values()]
    assert len(set(ports)) == len(ports)
    # Other checkouts of this suite share the lease family: distinct, not 1-6.
    leases = {record["lease"] for record in records}
    assert len(leases) == 6
    assert min(leases) >= 1
    # Leases past the overlay too: never a port of the project's own map.
    assert not set(ports) & set(home.assignments().values())


# -- one run at a time -----------------------------------------------------------------

PROBE = """
import json
from pathlib import Path

NAMES = {names!r}


def test_records(stableport):
    record = {{
        "lease": stableport.lease, "env": stableport.env,
        "ports": {{name: stableport(name) for name in NAMES}},
    }}
    Path("probe.json").write_text(json.dumps(record))
"""


def probe(pytester: pytest.Pytester, *args: str) -> Record:
    """What the fixture gives a run in this project (in-process)."""
    pytester.makepyfile(test_probe=PROBE.format(names=DECLARED + UNDECLARED))
    pytester.runpytest(*args).assert_outcomes(passed=1)
    record: Record = json.loads((pytester.path / "probe.json").read_text())
    return record


@pytest.fixture
def lease_dir() -> Path:
    """This test's lease directory (conftest gives each test its own)."""
    return lease_directory()


@pytest.fixture
def held(lease_dir: Path) -> Iterator[Locks]:
    """Locks this process holds, as another run of the project would."""
    locks = Locks(lease_dir)
    yield locks
    locks.release()


# Says it started, then waits for its stdin to close.
WAIT_FOR_STDIN = "import sys; print('ready', flush=True); sys.stdin.read()"


def lease_file(env: str, number: int) -> int:
    """The lock (byte) of a lease of the project in the working directory (pytester's)."""
    return lease_slot(lease_family(stableport.load(), env), number)


@pytest.mark.usefixtures("project")
def test_a_run_alone_gets_lease_0_and_exactly_the_cli_ports(pytester: pytest.Pytester) -> None:
    record = probe(pytester)
    assert record["lease"] == 0
    assert record["env"] == "test"
    assert record["ports"] == {
        name: stableport.port_for(name, env="test") for name in DECLARED + UNDECLARED
    }
    # Only -v says so: it is what a run alone gets.
    assert "stableport:" not in pytester.runpytest().stdout.str()
    pytester.runpytest("-v").stdout.fnmatch_lines(["stableport: lease 0, env 'test'"])
    # The lease ended with the session: the next run gets it again.
    assert probe(pytester) == record


def test_a_held_lease_is_passed_over_for_the_lowest_free_one(
    project: Path, pytester: pytest.Pytester, held: Locks
) -> None:
    assert held.take(lease_file("test", 0))
    assert held.take(lease_file("test", 2))
    record = probe(pytester)
    assert record["lease"] == 1
    assert record["env"] == "test-lease1"
    # Not what a run alone gets: the summary says so without -v.
    pytester.runpytest().stdout.fnmatch_lines(["stableport: lease 1, env 'test-lease1'"])
    overlay = stableport.load(project / "stableport.toml").overlay(
        f"test-lease{index}" for index in range(1, 65)
    )
    assert record["ports"] == {
        name: overlay.port_for(name, "test-lease1") for name in DECLARED + UNDECLARED
    }


def test_a_port_another_run_holds_is_passed_over(
    project: Path, namespace: str, pytester: pytest.Pytester, held: Locks
) -> None:
    alone = probe(pytester)["ports"]
    assert isinstance(alone, dict)
    taken = alone["cache"]
    assert held.take(taken)
    moved = probe(pytester)
    assert isinstance(moved["ports"], dict)
    assert {name: port for name, port in moved["ports"].items() if name != "cache"} == {
        name: port for name, port in alone.items() if name != "cache"
    }
    # The next port of cache's own probe order that the map does not hand out.
    home = stableport.load(project / "stableport.toml")
    declared = set(home.assignments().values())
    order = probe_sequence(key_bytes("cache", "test", key_prefix(namespace)), *home.port_range)
    assert moved["ports"]["cache"] == next(
        port for port in order if port != taken and port not in declared
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            f"stableport: lease 0, env 'test'; moved off ports held by other runs or in use: "
            f"cache {taken} -> *"
        ]
    )


def test_a_lease_passed_over_for_a_claimed_port_names_the_claiming_run(
    project: Path, pytester: pytest.Pytester
) -> None:
    # A dev server started through `stableport run billing --env test` holds
    # lease 0's billing port: the summary named it "another live test run".
    home = stableport.load(project / "stableport.toml")
    port = home.port_for("billing", "test")
    assert SCRIPT is not None
    server = subprocess.Popen(
        [SCRIPT, "run", "billing", "--env", "test", "--", sys.executable, "-c", WAIT_FOR_STDIN],
        cwd=project,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == "ready\n"  # exec'd: the claim is held
        assert probe(pytester)["lease"] == 1
        pytester.runpytest().stdout.fnmatch_lines(
            [
                f"stableport: lease 1, env 'test-lease1'; passed over lease 0: port {port} of "
                f"'billing' is claimed by stableport run of billing@test (pid {server.pid}, "
                f"namespace {home.namespace!r}, instance 0, {project / 'stableport.toml'})"
            ]
        )
    finally:
        server.communicate("", timeout=60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_lease_passed_over_for_a_port_in_time_wait_says_so(
    project: Path, pytester: pytest.Pytester
) -> None:
    # A server without SO_REUSEADDR that closed its connection first: no
    # server can bind the port for about a minute. The summary said "holder
    # unknown: not visible to this user", even to root.
    port = stableport.load(project / "stableport.toml").port_for("billing", "test")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()
            assert client.recv(1) == b""
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('billing')\n")
    pytester.runpytest().stdout.fnmatch_lines(
        [
            f"stableport: lease 1, env 'test-lease1'; passed over lease 0: port {port} of "
            f"'billing' is in use on 127.0.0.1 (no process holds it: 1 connection(s) closing "
            f"(TIME_WAIT), free in about a minute)"
        ]
    )


def test_a_pin_another_live_run_holds_is_passed_over_too(
    pytester: pytest.Pytester, held: Locks
) -> None:
    pytester.makefile(".toml", stableport='services = ["billing"]\n[pins]\nbilling = 8001')
    assert probe(pytester)["ports"]["billing"] == 8001
    assert held.take(8001)
    moved = probe(pytester)["ports"]["billing"]
    home = stableport.load(pytester.path / "stableport.toml")
    order = probe_sequence(key_bytes("billing", "test"), *home.port_range)
    assert moved == next(port for port in order if port not in home.assignments().values())


def test_a_lease_beyond_the_overlay_never_gets_a_port_of_the_project(
    pytester: pytest.Pytester, held: Locks
) -> None:
    # 4 services, no envs, 41 ports: the overlay holds leases 1-4 apart.
    pytester.makefile(".toml", stableport=TIGHT.format(low=20000, high=20040))
    home = stableport.load()
    assert overlay_envs(home, "test") == tuple(f"test-lease{index}" for index in range(1, 5))
    assert all(held.take(lease_file("test", number)) for number in range(5))
    record = probe(pytester)
    assert record["lease"] == 5
    assert record["env"] == "test-lease5"
    # Resolved on its own, test-lease5 would give one service dev's port 20028.
    ports = list(record["ports"].values())
    assert len(set(ports)) == len(ports)
    assert not set(ports) & set(home.assignments().values())
    # Each name as an undeclared one is hashed: its first port in its own probe
    # order that the map (with the overlay) does not hand out or exclude, and
    # that no name asked for before it got.
    overlay = home.overlay(overlay_envs(home, "test"))
    skip = set(overlay.assignments().values()) | {20000}  # 20000: excluded (DNP3)
    for name in DECLARED + UNDECLARED:
        order = probe_sequence(key_bytes(name, "test-lease5"), 20000, 20040)
        assert record["ports"][name] == next(port for port in order if port not in skip)
        skip.add(record["ports"][name])


@pytest.mark.usefixtures("project")
def test_a_lock_file_that_cannot_be_opened_fails_naming_the_lease_directory(
    pytester: pytest.Pytester, lease_dir: Path
) -> None:
    (lease_dir / "locks").symlink_to(lease_dir / "elsewhere")  # O_NOFOLLOW: ELOOP
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('db')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*stableport: lock file 'locks' in lease directory '{lease_dir}' cannot be "
            f"opened: Too many levels of symbolic links (holding 0 leases and ports); *"
        ]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("ini", "args"),
    [("", ["--stableport-leases=off"]), ("[pytest]\nstableport_leases = false\n", [])],
)
@pytest.mark.usefixtures("project")
def test_leases_can_be_turned_off(
    pytester: pytest.Pytester,
    held: Locks,
    monkeypatch: pytest.MonkeyPatch,
    ini: str,
    args: list[str],
) -> None:
    assert held.take(lease_file("test", 0))  # ignored: no lease is taken at all
    nowhere = pytester.path / "never-created"
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(nowhere))
    if ini:
        pytester.makeini(ini)
    record = probe(pytester, *args)
    assert record["lease"] is None
    assert record["env"] == "test"
    assert record["ports"] == {
        name: stableport.port_for(name, env="test") for name in DECLARED + UNDECLARED
    }
    assert not nowhere.exists()
    pytester.runpytest("-v", *args).stdout.fnmatch_lines(["stableport: leases off, env 'test'"])


def test_one_user_s_runs_meet_in_one_place_whatever_their_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Not $XDG_RUNTIME_DIR nor $TMPDIR: a terminal, ssh, cron, su and an IDE
    # differ in both, and two places would give two runs lease 0.
    monkeypatch.delenv("STABLEPORT_LEASE_DIR")
    places = set()
    for runtime in (None, str(tmp_path)):
        for temporary in (None, str(tmp_path)):
            for variable, value in (("XDG_RUNTIME_DIR", runtime), ("TMPDIR", temporary)):
                if value is None:
                    monkeypatch.delenv(variable, raising=False)
                else:
                    monkeypatch.setenv(variable, value)
            places.add(lease_directory())
    assert places == {Path(_lockfile.DEFAULT_PARENT) / f"stableport-{os.getuid()}"}
    # The variable names the parent: a subdirectory of this user's own in it.
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(tmp_path))
    where = lease_directory()
    assert where == tmp_path / f"stableport-{os.getuid()}"
    assert where.stat().st_mode & 0o777 == 0o700


@pytest.mark.usefixtures("project")
def test_runs_with_and_without_xdg_runtime_dir_take_distinct_leases(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The user's own lease directory, as both runs would use; a namespace of
    # this test's own keeps other runs on this host out of its lease family.
    namespace = f"xdg-{os.getpid()}-{time.monotonic_ns()}"
    config = PROJECT.format(namespace=namespace)
    (pytester.path / "stableport.toml").write_text(config)
    monkeypatch.delenv("STABLEPORT_LEASE_DIR")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with live_run(tmp_path / "holder", config) as holder:
        monkeypatch.delenv("XDG_RUNTIME_DIR")
        assert probe(pytester)["lease"] != holder["lease"]


def unusable_parent(kind: str, parent: Path) -> str:
    """STABLEPORT_LEASE_DIR whose stableport-UID is unusable in the way kind says."""
    where = parent / f"stableport-{os.getuid()}"
    if kind == "a file":
        where.write_text("")
    elif kind == "open to all":
        where.mkdir(mode=0o777)
        where.chmod(0o777)
    elif kind == "a link":
        (parent / "elsewhere").mkdir(mode=0o700)
        where.symlink_to(parent / "elsewhere")
    elif kind == "relative":
        return "leases"
    return str(parent)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("a file", "(from STABLEPORT_LEASE_DIR) cannot be created: File exists*"),
        ("open to all", "(from STABLEPORT_LEASE_DIR) is writable by others (mode 777), not a*"),
        ("a link", "(from STABLEPORT_LEASE_DIR) is a symbolic link, not a directory private*"),
    ],
)
@pytest.mark.usefixtures("project")
def test_an_unusable_lease_directory_fails_the_test_with_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, kind: str, message: str
) -> None:
    parent = pytester.path / "unusable-leases"
    parent.mkdir()
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", unusable_parent(kind, parent))
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    where = parent / f"stableport-{os.getuid()}"
    result.stdout.fnmatch_lines([f"stableport: lease directory '{where}' {message}"])


@pytest.mark.usefixtures("project")
def test_a_relative_lease_directory_is_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each run would resolve it from its own directory: two places, two lease 0s.
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", "leases")
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["stableport: STABLEPORT_LEASE_DIR='leases' is a relative path, which each run would *"]
    )
    assert not (pytester.path / "leases").exists()


def test_the_lock_file_never_lands_in_the_named_directory_itself(tmp_path: Path) -> None:
    # STABLEPORT_LEASE_DIR=/ once put lock files in /: now always a
    # subdirectory of this user's own, created private.
    os.environ["STABLEPORT_LEASE_DIR"] = str(tmp_path)  # conftest restores it
    locks = Locks(lease_directory())
    assert locks.take(20001)
    assert [path.name for path in tmp_path.iterdir()] == [f"stableport-{os.getuid()}"]
    locks.release()


# -- before any test: the controller checks once ------------------------------------


TIGHT_DECLARED = """
services = ["a", "b", "c", "d"]
envs = ["dev", "test"]
range = [20000, 20040]
"""


def test_a_worker_beyond_what_the_range_holds_fails_its_tests_saying_so(
    pytester: pytest.Pytester,
) -> None:
    # 4 services in dev and test: 8 of 41 ports, one excluded (20000, DNP3);
    # 32 left hold 4 workers apart at most half full.
    pytester.makefile(".toml", stableport=TIGHT_DECLARED)
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('a')\n")
    pytester.runpytest_subprocess("-n", "4", "--dist", "each").assert_outcomes(passed=4)
    result = pytester.runpytest_subprocess("-n", "5", "--dist", "each")
    # Every worker's test that asks for a port (none would be kept apart from
    # the others reliably): checked where needed, by the workers, not the controller.
    result.assert_outcomes(errors=5)
    result.stdout.fnmatch_lines(
        [
            "*stableport: -n 5: range 20000-20040 holds the 4 declared services of at most "
            "4 workers apart (keeping it at most half full); use at most 4 workers, widen range "
            "or declare fewer services"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_suite_that_never_asks_for_a_port_runs_under_any_worker_count(
    pytester: pytest.Pytester,
) -> None:
    # Issue 19's reproducer: 10 services in 100 ports, one plain test, -n 8.
    pytester.makefile(
        ".toml",
        stableport='services = ["s0","s1","s2","s3","s4","s5","s6","s7","s8","s9"]\n'
        "range = [8000, 8099]\n",
    )
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            assert "stableport" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-n", "8", "--dist", "each")
    result.assert_outcomes(passed=8)
    assert not list(Path(os.environ["STABLEPORT_LEASE_DIR"]).iterdir())  # no lock taken


@pytest.mark.parametrize(
    ("length", "outcome"), [(119, "passes"), (120, "refused"), (125, "refused")]
)
def test_a_long_env_is_checked_once_for_what_workers_derive(
    pytester: pytest.Pytester, length: int, outcome: str
) -> None:
    env = "e" * length
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest_subprocess("-n", "2", "--stableport-env", env)
    if outcome == "passes":
        result.assert_outcomes(passed=1)
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = (
        f"ERROR: stableport: --stableport-env={env!r}: environment name is {length} characters "
        f"long; xdist workers and concurrent runs add up to 9 (eeeeeeeeeeeeeeeeeeee...-lease255), "
        f"so at most 119 are allowed"
    )
    assert [line for line in result.stderr.lines if line] == [message]
    assert "node down" not in result.stdout.str()


# -- SIGKILL ------------------------------------------------------------------------------

HOLDER = """
import json
import time
from pathlib import Path

NAMES = {names!r}


def test_holds_its_lease(stableport):
    record = {{"lease": stableport.lease, "ports": [stableport(name) for name in NAMES]}}
    Path("holder.tmp").write_text(json.dumps(record))
    Path("holder.tmp").replace("holder.json")  # whole, or not yet there
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until killed
        time.sleep(0.05)
"""


@contextlib.contextmanager
def live_run(directory: Path, config: str) -> Iterator[Record]:
    """A plain pytest session of the project config, alive in its test until SIGKILL at the end."""
    directory.mkdir()
    (directory / "stableport.toml").write_text(config)
    (directory / "test_holder.py").write_text(HOLDER.format(names=DECLARED + UNDECLARED))
    with subprocess.Popen(
        [*PYTEST, "-p", "no:xdist"], cwd=directory, stdout=subprocess.DEVNULL
    ) as holder:
        try:
            record = directory / "holder.json"
            deadline = time.monotonic() + 120
            while not record.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            yield json.loads(record.read_text())
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
    assert holder.returncode == -signal.SIGKILL


@pytest.mark.usefixtures("project")
def test_a_session_killed_with_sigkill_frees_its_lease(
    pytester: pytest.Pytester, tmp_path: Path, config: str
) -> None:
    # Another checkout of the project: the same configuration, the same leases.
    with live_run(tmp_path / "holder", config) as holder:
        assert holder["lease"] == 0
        # Meanwhile, another run of the project gets the next lease.
        assert probe(pytester)["lease"] == 1
    assert probe(pytester)["lease"] == 0


@pytest.mark.usefixtures("project")
def test_two_projects_running_at_once_never_share_a_port(
    pytester: pytest.Pytester, tmp_path: Path, namespace: str
) -> None:
    # Another project, whose test ports land on some of this one's (its namespace and range).
    theirs_config = f'namespace = "{namespace}"\nservices = ["cache", "billing"]\nenv = "dev"\n'
    with live_run(tmp_path / "other", f"{theirs_config}range = [12000, 14999]\n") as theirs:
        assert theirs["lease"] == 0
        ours = probe(pytester)
        result = pytester.runpytest()
    # One of ours is a declared port of theirs: rather than move a declared
    # service, this run passes over lease 0 whole, and says why.
    alone = {stableport.port_for(name, env="test") for name in DECLARED}
    assert alone & set(theirs["ports"])
    assert ours["lease"] == 1
    result.stdout.fnmatch_lines(
        ["stableport: lease 1, env 'test-lease1'; passed over lease 0: port * of '*' is held by *"]
    )
    assert not set(ours["ports"].values()) & set(theirs["ports"])


# -- xdist's hand-off, in this process: a worker's lease reaches the controller's summary ----


def test_a_worker_hands_its_lease_to_the_controller(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    pytester.makeconftest(
        """
        import json
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(config):
            config.workeroutput = {}  # what xdist gives a worker, sent home at its end

        def pytest_unconfigure(config):
            Path("workeroutput.json").write_text(json.dumps(config.workeroutput))
        """
    )
    probe(pytester)  # what a run alone gets: nothing to say without -v
    assert json.loads((pytester.path / "workeroutput.json").read_text()) == {}
    pytester.runpytest("-v", "test_probe.py").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "workeroutput.json").read_text()) == {
        "stableport": "gw0: lease 1, env 'test-lease1'"
    }


def test_the_controller_prints_every_worker_s_line() -> None:
    reporter = Reporter()  # what the controller registers
    for line in ("gw1: lease 4, env 'test-lease4'", "gw0: lease 3, env 'test-gw2'"):
        reporter.pytest_testnodedown(SimpleNamespace(workeroutput={"stableport": line}), None)
    reporter.pytest_testnodedown(SimpleNamespace(workeroutput={}), None)  # nothing to say
    printed: list[str] = []
    terminal = SimpleNamespace(write_line=printed.append, config=SimpleNamespace())
    reporter.pytest_terminal_summary(cast("pytest.TerminalReporter", terminal))
    assert printed == [
        "stableport: gw0: lease 3, env 'test-gw2'",
        "stableport: gw1: lease 4, env 'test-lease4'",
    ]


# -- the pieces, in this process -------------------------------------------------------


def test_a_lock_is_held_by_one_holder_until_released(lease_dir: Path) -> None:
    first, second = Locks(lease_dir), Locks(lease_dir)
    assert first.take(20001)
    assert not first.take(20001)  # already its own: never handed out twice
    assert not second.take(20001)
    assert second.take(20002)  # one byte each
    first.give_back(20001)
    assert not first.holds(20001)
    assert second.take(20001)
    second.release()
    assert first.take(20002)
    first.release()


@pytest.mark.usefixtures("project")
def test_when_every_lease_is_held_the_fixture_says_so(
    pytester: pytest.Pytester, held: Locks
) -> None:
    assert all(held.take(lease_file("ci", number)) for number in range(256))
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('db')\n")
    result = pytester.runpytest("--stableport-env", "ci")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["stableport: all 256 leases of env 'ci' are held by live *"])


@pytest.mark.usefixtures("project")
def test_when_every_port_is_held_the_test_fails_naming_the_service(
    pytester: pytest.Pytester, held: Locks
) -> None:
    pytester.makefile(".toml", stableport="range = [20001, 20003]")
    assert all(held.take(port) for port in (20001, 20002, 20003))
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('cache')\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "stableport: no port left for 'cache' in range 20001-20003: every free port is "
            "held by another live test run"
        ]
    )


def test_a_map_without_services_needs_no_overlay() -> None:
    assert overlay_envs(stableport.PortMap(), "test") == ()
    assert len(overlay_envs(stableport.PortMap(["a"]), "test")) == 64


def test_the_worker_count_check_says_what_fits() -> None:
    tight = stableport.PortMap(["a"], port_range=(20001, 20010))
    assert capacity_problem(tight, 4, "test") is None
    assert capacity_problem(stableport.PortMap(), 1000, "test") is None  # nothing declared
    assert capacity_problem(tight, 5, "test") == (
        "-n 5: range 20001-20010 holds the 1 declared services of at most 4 workers apart "
        "(keeping it at most half full); use at most 4 workers, widen range or declare fewer "
        "services"
    )
    # -n 1 in a range that holds no worker apart: not "use at most 0 workers".
    full = stableport.PortMap(["a", "b"], port_range=(20001, 20004))
    assert capacity_problem(full, 1, "test") == (
        "-n 1: range 20001-20004 holds the 2 declared services of at most 0 workers apart "
        "(keeping it at most half full); run without -n, widen range or declare fewer services"
    )


# -- names differing in case, deleted lock files, descriptors ------------------------

CASES = """
def test_case(stableport):
    assert stableport("billing") == stableport("Billing") == stableport("BILLING")
    assert stableport("Cache") == stableport("cache")
    assert stableport.moved == []
"""


@pytest.mark.usefixtures("project")
def test_names_that_differ_only_in_case_get_one_port(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_case=CASES)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "stableport:" not in result.stdout.str()  # nothing moved, no other run blamed


@pytest.fixture
def slow_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Holders that never check their file on their own: only take() does."""
    monkeypatch.setattr(_lockfile, "WATCH_SECONDS", 3600.0)


def test_a_deleted_lock_file_is_put_back_with_its_locks_before_anyone_else_takes_them(
    lease_dir: Path,
) -> None:
    holder, newcomer = Locks(lease_dir), Locks(lease_dir)
    assert holder.take(20001)
    (lease_dir / "locks").unlink()  # a cleaner
    # The newcomer finds no file and a live holder: it waits for the holder's
    # watcher to put the file back, its lock in it.
    assert not newcomer.take(20001)
    assert newcomer.take(20002)
    assert holder.lost == []
    holder.release()
    newcomer.release()


@pytest.mark.usefixtures("slow_watch")
def test_a_deleted_lock_file_is_linked_back_from_a_live_holder_s_link(lease_dir: Path) -> None:
    holder, newcomer = Locks(lease_dir), Locks(lease_dir)
    assert holder.take(20001)
    inode = (lease_dir / "locks").stat().st_ino
    (lease_dir / "locks").unlink()
    assert not newcomer.take(20001)  # the same file is back, the lock in it
    assert (lease_dir / "locks").stat().st_ino == inode
    holder.release()
    assert newcomer.take(20001)
    newcomer.release()
    assert [path.name for path in lease_dir.iterdir()] == ["locks"]  # links gone with them


def replace_lock_file(lease_dir: Path, kind: str) -> None:
    """The lock file replaced, not deleted: by a new empty file, a FIFO or a symbolic link."""
    path = lease_dir / "locks"
    path.unlink()
    if kind == "file":
        path.touch(mode=0o600)
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.symlink_to(lease_dir / "elsewhere")


@pytest.mark.parametrize("kind", ["file", "fifo", "symlink"])
def test_a_replaced_lock_file_is_put_back_from_a_live_holder_s_link(
    lease_dir: Path, kind: str
) -> None:
    # A newcomer opened whatever was at the path: a fresh set of locks, the
    # live holder's (a server's claim) in a file no one looked at any more.
    holder, newcomer = Locks(lease_dir), Locks(lease_dir)
    try:
        assert holder.take(20001)
        inode = (lease_dir / "locks").stat().st_ino
        replace_lock_file(lease_dir, kind)
        assert not newcomer.take(20001)  # the holder's file is back, the lock in it
        assert (lease_dir / "locks").lstat().st_ino == inode
        assert newcomer.take(20002)
    finally:
        newcomer.release()
        holder.release()
    assert [path.name for path in lease_dir.iterdir()] == ["locks"]  # no link left aside


def test_a_holder_puts_its_own_file_back_over_a_replacement(lease_dir: Path) -> None:
    holder = Locks(lease_dir)
    try:
        assert holder.take(20001)
        inode = (lease_dir / "locks").stat().st_ino
        replace_lock_file(lease_dir, "file")
        assert holder.take(20002)  # it looks at the path first
        assert (lease_dir / "locks").stat().st_ino == inode
        assert holder.lost == []
    finally:
        holder.release()


def test_a_replaced_lock_file_no_live_holder_used_is_kept(lease_dir: Path) -> None:
    # Nothing to put back: the file at the path is as good as any.
    first = Locks(lease_dir)
    assert first.take(20001)
    first.release()
    replace_lock_file(lease_dir, "file")
    inode = (lease_dir / "locks").stat().st_ino
    newcomer = Locks(lease_dir)
    try:
        assert newcomer.take(20001)
        assert (lease_dir / "locks").stat().st_ino == inode
    finally:
        newcomer.release()


def test_a_killed_holder_s_link_is_forgotten(lease_dir: Path) -> None:
    holder = Locks(lease_dir)
    assert holder.take(20001)
    # What a holder killed by SIGKILL leaves: a link whose byte nobody holds.
    stale = lease_dir / f"{_lockfile.HOLDER_PREFIX}{_lockfile.HOLDER_BASE}"
    os.link(lease_dir / "locks", stale)
    newcomer = Locks(lease_dir)
    assert newcomer.take(20002)
    assert not stale.exists()
    assert len(list(lease_dir.glob(".holder-*"))) == 2  # the live ones
    holder.release()
    newcomer.release()


@pytest.mark.usefixtures("slow_watch")
def test_a_newcomer_waits_for_live_holders_and_then_gives_up_saying_why(
    lease_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lockfile, "WAIT_SECONDS", 0.2)
    holder, newcomer = Locks(lease_dir), Locks(lease_dir)
    assert holder.take(20001)
    for path in lease_dir.iterdir():  # the file and every holder's link to it
        path.unlink()
    with pytest.raises(stableport.ConfigError, match="was deleted while live test runs held"):
        newcomer.take(20001)
    assert holder.take(20002)  # the holder puts it back at its next lock
    assert not newcomer.take(20001)
    holder.release()
    newcomer.release()


@pytest.mark.usefixtures("slow_watch")
def test_a_lock_taken_while_the_whole_directory_was_gone_is_reported_lost(
    lease_dir: Path,
) -> None:
    holder, newcomer = Locks(lease_dir), Locks(lease_dir)
    assert holder.take(20001)
    shutil.rmtree(lease_dir)  # its directory lock went with it: nobody seems alive
    assert newcomer.take(20001)
    assert holder.take(20002)  # notices, puts its locks in the new file: one is taken
    assert holder.lost == [20001]
    assert not holder.holds(20001)
    fixture = StableportFixture(LeaseHolder(stableport.PortMap(), "test", lease=0, locks=holder))
    with pytest.raises(pytest.fail.Exception, match=r"was deleted .* \(20001\): this run's"):
        fixture("cache")
    holder.release()
    newcomer.release()


def test_lease_0_resolves_the_leases_once_however_many_names_it_moves(
    lease_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name lease 0 moves off a held port also skips every lease's declared
    # ports: those are the session's, not each name's to resolve again.
    project = stableport.PortMap(["billing", "auth"], envs=["dev", "test"], env="dev")
    names = [f"extra-{index}" for index in range(5)]
    other, locks = Locks(lease_dir), Locks(lease_dir)
    for name in names:  # another live run holds each name's own port
        assert other.take(project.port_for(name, "test"))
    overlays: list[list[str]] = []
    resolve = stableport.PortMap.overlay

    def counted(pm: stableport.PortMap, envs: list[str]) -> stableport.PortMap:
        overlays.append(envs)
        return resolve(pm, envs)

    monkeypatch.setattr(stableport.PortMap, "overlay", counted)
    fixture = StableportFixture(LeaseHolder(project, "test", lease=0, locks=locks))
    ports = [fixture(name) for name in names]
    locks.release()
    other.release()
    assert len(fixture.moved) == len(names)
    assert len(overlays) == 1
    leases = resolve(project, overlays[0]).assignments()
    assert not set(ports) & {port for (_, env), port in leases.items() if env != "test"}


def test_a_run_alone_gives_an_undeclared_name_the_cli_port_even_where_a_lease_declares_it(
    pytester: pytest.Pytester,
) -> None:
    # "A run alone is unchanged" (docs/pytest.md) for every name: lease 0 used
    # to keep undeclared names off every lease's declared ports, so in about
    # one project in six a name's port differed from `stableport NAME --env
    # test`. A namespace where it does, with all its ports free now:
    def a_lease_declares_a_cli_port(namespace: str) -> bool:
        home = stableport.PortMap(
            DECLARED, envs=["dev", "test"], env="dev", port_range=RANGE, namespace=namespace
        )
        leases = home.overlay(overlay_envs(home, "test")).assignments()
        declared = {port for (_, env), port in leases.items() if env.startswith("test-lease")}
        return any(home.port_for(name, "test") in declared for name in UNDECLARED)

    namespace = free_namespace("leases", first_ports, where=a_lease_declares_a_cli_port)
    pytester.makefile(".toml", stableport=PROJECT.format(namespace=namespace))
    record = probe(pytester)
    assert record["lease"] == 0
    assert record["ports"] == {
        name: stableport.port_for(name, env="test") for name in DECLARED + UNDECLARED
    }


@pytest.mark.usefixtures("project")
def test_a_run_never_takes_the_lease_of_a_run_whose_lock_file_was_deleted(
    pytester: pytest.Pytester, tmp_path: Path, lease_dir: Path, config: str
) -> None:
    with live_run(tmp_path / "holder", config) as holder:
        (lease_dir / "locks").unlink()
        assert probe(pytester)["lease"] != holder["lease"]


MANY = """
import os


def test_many(stableport):
    before = len(os.listdir("/proc/self/fd"))
    ports = [stableport(f"service-{index}") for index in range(300)]
    assert len(set(ports)) == 300
    print("descriptors", before, len(os.listdir("/proc/self/fd")))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_300_services_under_ulimit_200_hold_a_bounded_number_of_descriptors(
    pytester: pytest.Pytester,
) -> None:
    import resource  # noqa: PLC0415 - POSIX only

    pytester.makepyfile(test_many=MANY)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

    result = subprocess.run(
        [*PYTEST, "-p", "no:xdist", "-s"],
        cwd=pytester.path,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    before, after = next(
        line.split()[1:] for line in result.stdout.splitlines() if "descriptors" in line
    )
    # The lock file and the lease directory, whatever the number of ports.
    assert int(after) - int(before) <= 2


# -- a killed run's server is never reached; the project is found from where pytest started ---

ORPHANED = """
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest


def answers(port):
    try:
        urlopen(f"http://127.0.0.1:{port}", timeout=5).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def billing_server(stableport):
    port = stableport("billing")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not answers(port) and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, server
    server.terminate()
    server.wait()


def test_reaches_its_own_server(billing_server, stableport):
    port, server = billing_server
    record = {"port": port, "server": server.pid, "lease": stableport.lease}
    written = Path(os.environ["RECORD"])
    written.with_suffix(".tmp").write_text(json.dumps(record))
    written.with_suffix(".tmp").replace(written)  # whole, or not yet there
    if os.environ.get("HOLD"):
        time.sleep(120)  # until killed
    assert answers(port)
    assert server.poll() is None  # it bound the port: the answer was its own
"""


@pytest.mark.usefixtures("project")
def test_a_killed_run_s_server_is_never_reached_by_the_next_run(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(test_orphan=ORPHANED)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    orphan = None
    try:
        with subprocess.Popen(
            [*PYTEST, "-p", "no:xdist"],
            cwd=pytester.path,
            env={**os.environ, "RECORD": str(first), "HOLD": "1"},
            stdout=subprocess.DEVNULL,
        ) as killed:
            deadline = time.monotonic() + 120
            while not first.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            orphan = json.loads(first.read_text())
            killed.send_signal(signal.SIGKILL)  # its server lives on, listening
            killed.wait()
        result = subprocess.run(
            [*PYTEST, "-p", "no:xdist"],
            cwd=pytester.path,
            env={**os.environ, "RECORD": str(second)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout
        record = json.loads(second.read_text())
        assert orphan["lease"] == 0
        # The lease whose billing port the orphan serves is passed over whole.
        assert record["lease"] == 1
        assert record["port"] != orphan["port"]
        assert (
            f"stableport: lease 1, env 'test-lease1'; passed over lease 0: port {orphan['port']} "
            f"of 'billing' is in use on 127.0.0.1" in result.stdout
        )
    finally:
        if orphan is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(orphan["server"], signal.SIGKILL)


CHDIR = """
import os


def test_changes_directory_first(stableport, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no configuration here: the built-in defaults
    assert stableport("billing") == int(os.environ["PROJECT_PORT"])
"""


@pytest.mark.parametrize("leases", ["on", "off"])
@pytest.mark.usefixtures("project")
def test_the_project_is_found_from_where_pytest_started_not_the_working_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, leases: str, config: str
) -> None:
    (pytester.path / "stableport.toml").write_text(
        config.replace("[12000, 14999]", "[30000, 32767]")
    )
    home = stableport.load(pytester.path / "stableport.toml").port_for("billing", "test")
    assert home != stableport.PortMap().port_for("billing", "test")  # else no test
    monkeypatch.setenv("PROJECT_PORT", str(home))
    pytester.makepyfile(test_chdir=CHDIR)
    pytester.runpytest(f"--stableport-leases={leases}").assert_outcomes(passed=1)


@pytest.mark.usefixtures("slow_watch")
def test_a_holder_that_finds_its_file_gone_links_it_back_itself(lease_dir: Path) -> None:
    holder = Locks(lease_dir)
    assert holder.take(20001)
    inode = (lease_dir / "locks").stat().st_ino
    (lease_dir / "locks").unlink()
    # A link nobody holds (a killed holder's) and one that is no holder's.
    os.link(lease_dir / f".holder-{holder._token}", lease_dir / f".holder-{_lockfile.HOLDER_BASE}")
    (lease_dir / ".holder-junk").write_text("")
    assert holder.take(20002)
    assert (lease_dir / "locks").stat().st_ino == inode
    assert holder.holds(20001)
    assert len(holder) == 2
    assert sorted(path.name for path in lease_dir.glob(".holder-*")) == [f".holder-{holder._token}"]
    holder.give_back(20002)
    holder.give_back(20003)  # not held: nothing
    assert len(holder) == 1
    shutil.rmtree(lease_dir)  # the directory too, with no one else to put it back
    assert holder.take(20002)
    assert holder.lost == []
    holder.release()


def test_a_lease_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give the directory away")
    os.environ["STABLEPORT_LEASE_DIR"] = str(tmp_path)  # conftest restores it
    where = tmp_path / "stableport-0"
    where.mkdir(mode=0o700)
    os.chown(where, 1000, 1000)
    with pytest.raises(
        stableport.ConfigError,
        match=r"stableport-0' \(from STABLEPORT_LEASE_DIR\) belongs to uid 1000",
    ):
        lease_directory()


def test_the_test_s_ports_reach_a_process_through_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a process started by a live test run inherits: its port_for,
    # stableport NAME and stableport run answer from it for the names it holds.
    start = _test_run.start_time(os.getpid()) or ""
    monkeypatch.setenv("STABLEPORT_TEST_RUN", f"{os.getpid()},{start},test,,0,")
    monkeypatch.setenv("STABLEPORT_TEST_PORTS", "billing=30001,cache=30002")
    assert stableport.port_for("Billing") == 30001
    assert stableport.port_for("auth") == stableport.PortMap().port_for("auth", "test")
    assert stableport.port_for("billing", env="dev") == stableport.PortMap().port_for(
        "billing", "dev"
    )
    monkeypatch.setenv("STABLEPORT_TEST_PORTS", "billing=30003")
    stableport.reload()
    assert stableport.port_for("billing") == 30003
    monkeypatch.setenv("STABLEPORT_TEST_PORTS", "billing")
    stableport.reload()
    with pytest.raises(
        stableport.ConfigError, match="STABLEPORT_TEST_PORTS entry 'billing' is not"
    ):
        stableport.port_for("billing")


def test_a_worker_beyond_the_range_s_capacity_fails_in_process_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw4")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "5")
    pytester.makefile(".toml", stableport=TIGHT_DECLARED)
    pytester.makepyfile(test_probe="def test_port(stableport):\n    stableport('a')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["stableport: -n 5: range 20000-20040 holds the 4 declared *"])


def test_a_forked_child_reads_the_variable_not_its_copy_of_the_fixture(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = _test_run.start_time(os.getpid()) or ""
    monkeypatch.setenv("STABLEPORT_TEST_RUN", f"{os.getpid()},{start},test,,0,")
    monkeypatch.setenv("STABLEPORT_TEST_PORTS", "billing=30001")
    asked: list[str] = []

    def fixture(name: str) -> int:
        asked.append(name)
        return 30002

    # As a child forked from the session's process sees it: another pid.
    monkeypatch.setattr(_test_run, "SESSION", [(os.getpid() + 1, fixture)])
    assert stableport.port_for("billing") == 30001
    monkeypatch.setattr(_test_run, "SESSION", [(os.getpid(), fixture)])
    stableport.reload()
    assert stableport.port_for("billing") == 30002
    assert asked == ["billing"]


# -- newcomers at once --------------------------------------------------------------------

NEWCOMER = """
import sys, time
from pathlib import Path
from stableport._lockfile import Locks

directory, slot, start = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
locks = Locks(directory)
try:
    print("took" if locks.take(slot) else "refused", flush=True)
except Exception as error:
    print(f"error: {error}", flush=True)
time.sleep(0.5)  # hold while the others look
locks.release()
"""


@pytest.mark.slow
def test_newcomers_starting_at_once_on_a_new_directory_all_get_their_locks(
    tmp_path: Path,
) -> None:
    """xdist workers start together: each used to count the others, still looking for the
    file, as holders whose file was deleted, and all waited 10 s for one to put it back;
    or one removed another's new file as a killed holder's before its byte was locked."""
    script = tmp_path / "newcomer.py"
    script.write_text(NEWCOMER)
    for round_number in range(6):
        directory = tmp_path / f"round{round_number}" / "stableport-0"
        directory.parent.mkdir()
        start = time.time() + 1.0  # every process imported and waiting by then
        processes = [
            subprocess.Popen(
                [sys.executable, str(script), str(directory), str(1000 + index), str(start)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for index in range(8)
        ]
        answers = [process.communicate(timeout=60)[0].strip() for process in processes]
        assert answers == ["took"] * 8, f"round {round_number}: {answers}"
