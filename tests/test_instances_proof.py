"""The proof, with real processes: git worktrees of one project run their stacks side by side.

Each worktree (and the main checkout) starts three servers through
`stableport run`, all at the same instant; each server asks its siblings for
who they are through stableport.port_for. Then pytest runs, plain and with
-n 2, in every worktree at once while every stack runs. The suite runs one
small round; for a bigger run by hand:

    python -m tests.test_instances_proof --worktrees 3 --rounds 5
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from .util import (
    clean_environment,
    free_namespace,
    git_repository,
    run,
    stacks,
    worktree,
)

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

SERVICES = ("web", "api", "db")
DEADLINE = 120.0

# A server on $PORT: /whoami tells its checkout; /siblings asks each declared
# service, through stableport.port_for, who it is.
SERVER = """\
import json, os, sys, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import stableport

NAME, PORT = sys.argv[1], int(os.environ["PORT"])

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/whoami":
            body = {"tree": os.getcwd(), "service": NAME, "port": PORT}
        else:
            body = {}
            for service in ("web", "api", "db"):
                url = f"http://127.0.0.1:{stableport.port_for(service)}/whoami"
                with urllib.request.urlopen(url, timeout=60) as answer:
                    body[service] = json.load(answer)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

try:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
except OSError as error:
    print(json.dumps({"error": error.errno, "port": PORT}), flush=True)
    sys.exit(3)
print(json.dumps({"port": PORT}), flush=True)
server.serve_forever()
"""

# Each test serves a token of its own on its fixture port and must get it
# back: a port another checkout's server holds fails to bind, or answers with
# someone else's token.
TESTS = """\
import json, os, threading, uuid, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest

DEV = set(json.loads(os.environ["PROOF_DEV_PORTS"]))

def serve_and_ask(stableport, service):
    port = stableport(service)
    assert port not in DEV, f"{service} on {port}, a dev stack's port"
    token = uuid.uuid4().hex.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(token)))
            self.end_headers()
            self.wfile.write(token)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as answer:
            assert answer.read() == token
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    out = os.path.join(os.environ["PROOF_OUT"], f"{os.getpid()}-{service}.json")
    with open(out, "w") as file:
        json.dump({"port": port, "tree": os.getcwd()}, file)

@pytest.mark.parametrize("service", ["web", "api", "db", "cache"])
def test_own_server(stableport, service):
    serve_and_ask(stableport, service)
"""


def make_project(where: Path, worktrees: int) -> list[Path]:
    """A sample project in git, its main checkout first, then its worktrees with instances.

    Its namespace is one whose every port is free on this host right now:
    other test runs share loopback, and a fixed port is never assumed free.
    """
    import stableport  # noqa: PLC0415 - the library under test, as the servers use it

    def ports(namespace: str) -> list[int]:
        return [
            stableport.PortMap(
                SERVICES,
                envs=["dev", "test"],
                env="dev",
                namespace=namespace,
                instances=worktrees,
                instance=number,
            ).port_for(service)
            for number in range(worktrees + 1)
            for service in SERVICES
        ]

    namespace = free_namespace("proof", ports)
    config = (
        f'namespace = "{namespace}"\nservices = {list(SERVICES)!r}\n'
        f'envs = ["dev", "test"]\nenv = "dev"\ninstances = {worktrees}\n'.replace("'", '"')
    )
    main = git_repository(
        where / "main", {"stableport.toml": config, "server.py": SERVER, "test_own.py": TESTS}
    )
    trees = [main]
    for number in range(1, worktrees + 1):
        tree = worktree(main, f"tree-{number}")
        done = run("instance", "new", cwd=tree)
        assert done.returncode == 0, done.stderr
        trees.append(tree)
    return trees


def check_answers(trees: list[Path], ports: dict[tuple[Path, str], int]) -> None:
    """Every server reached through its checkout's web is a server of that checkout."""
    assert len(set(ports.values())) == len(ports), "two servers on one port"
    for tree in trees:
        url = f"http://127.0.0.1:{ports[tree, 'web']}/siblings"
        with urlopen(url, timeout=DEADLINE) as answer:
            siblings = json.load(answer)
        for service in SERVICES:
            assert siblings[service] == {
                "tree": str(tree),
                "service": service,
                "port": ports[tree, service],
            }


def pytest_runs(trees: list[Path], dev_ports: set[int], out: Path) -> None:
    """pytest, plain and with -n 2, in every worktree at once: each test reaches its own server."""
    environment = clean_environment(
        {"PROOF_DEV_PORTS": json.dumps(sorted(dev_ports)), "PROOF_OUT": str(out)}
    )
    if "STABLEPORT_LEASE_DIR" in os.environ:  # the suite's own lease directory
        environment["STABLEPORT_LEASE_DIR"] = os.environ["STABLEPORT_LEASE_DIR"]
    for workers in ([], ["-n", "2"]):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers],
                cwd=tree,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for tree in trees
        ]
        for process in processes:
            output, _ = process.communicate(timeout=DEADLINE * 3)
            assert process.returncode == 0, output


def prove(where: Path, worktrees: int, rounds: int) -> dict[str, object]:
    trees = make_project(where, worktrees)
    out = where / "out"
    out.mkdir()
    first: dict[tuple[Path, str], int] | None = None
    for round_number in range(rounds):
        order = trees if round_number % 2 == 0 else trees[::-1]  # and back, in reverse
        with stacks(order, SERVICES) as ports:
            check_answers(trees, ports)
            if first is None:
                first = dict(ports)
            assert ports == first, "a port moved between restarts"
            if round_number == 0:
                pytest_runs(trees, set(ports.values()), out)
    assert first is not None
    import stableport  # noqa: PLC0415

    plain = stableport.load(trees[0] / "stableport.toml")
    without = stableport.PortMap(
        SERVICES, envs=["dev", "test"], env="dev", namespace=plain.namespace
    )
    assert {service: first[trees[0], service] for service in SERVICES} == {
        service: without.port_for(service) for service in SERVICES
    }, "the main checkout's ports moved"
    tested = [json.loads(path.read_text()) for path in out.iterdir()]
    assert len(tested) == len(trees) * 2 * 4
    return {"servers": len(first), "rounds": rounds, "test_ports": len(tested)}


def test_three_worktrees_run_side_by_side(tmp_path: Path) -> None:
    result = prove(tmp_path, worktrees=3, rounds=2)
    assert result == {"servers": 12, "rounds": 2, "test_ports": 32}


if __name__ == "__main__":  # pragma: no cover - the bigger run, by hand
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worktrees", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        started = time.monotonic()
        result = prove(Path(directory), options.worktrees, options.rounds)
        sys.stdout.write(f"{result} in {time.monotonic() - started:.1f} s\n")
