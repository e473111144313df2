"""The JavaScript package (js/) in real Node processes: its recipes and a pytest fixture's server.

docs/javascript.md's recipes run here for real: two git worktrees at once, each
with Vite on the port the Python command line computes in that checkout;
Playwright's own runner with the recipe's playwright.config.ts (its request
fixture: no browser); and a Node server started by a test, reached on the
fixture's port. Each needs node and the packages .ci/run installs (`npm ci` in
js/ and js/recipes/), and is skipped without them.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.util import (
    assigned_ports,
    clean_environment,
    free_namespace,
    git_repository,
    run,
    worktree,
)

pytestmark = pytest.mark.slow

JS = Path(__file__).parent.parent / "js"
RECIPES = JS / "recipes"
NODE = shutil.which("node")

needs_package = pytest.mark.skipif(
    NODE is None or not (JS / "node_modules").is_dir(),
    reason="needs node and `npm ci` in js/ (.ci/run)",
)
needs_recipes = pytest.mark.skipif(
    NODE is None or not (RECIPES / "node_modules" / ".bin" / "vite").exists(),
    reason="needs node and `npm ci` in js/recipes/ (.ci/run)",
)

pytest_plugins = ["pytester"]


def fetch(url: str, deadline: float) -> str:
    """The body at url, retried until deadline (a server that is still starting)."""
    while True:
        body = _body(url)
        if body is not None:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing answered at {url}")
        time.sleep(0.2)


def _body(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return str(response.read().decode())
    except OSError:
        return None


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Servers a test starts, each in its own process group, stopped by id at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores SIGTERM
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@needs_recipes
def test_two_worktrees_run_vite_at_once_each_on_its_own_port(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    namespace = free_namespace("vite", assigned_ports("web", instances=2))
    config = f'services = ["web"]\nnamespace = "{namespace}"\ninstances = 2\n'
    main = git_repository(
        tmp_path / "shop",
        {
            "stableport.toml": config,
            "vite.config.js": (RECIPES / "vite.config.js").read_text(),
            "index.html": "<p>shop</p>\n",
            ".gitignore": "node_modules\n",
        },
    )
    checkouts = [worktree(main, "shop-a"), worktree(main, "shop-b")]
    for checkout in checkouts:
        (checkout / "node_modules").symlink_to(RECIPES / "node_modules")
        (checkout / "index.html").write_text(f"<p>{checkout.name}</p>\n")
    # Nothing run per worktree: each Vite's portFor finds a linked worktree
    # without an identity and has it given one (docs/instances.md), both at once.
    environment = clean_environment()
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment.pop("CI", None)
    started.extend(
        subprocess.Popen(
            [str(checkout / "node_modules" / ".bin" / "vite")],
            cwd=checkout,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for checkout in checkouts
    )
    deadline = time.monotonic() + 60
    while not all((checkout / ".stableport-instance").exists() for checkout in checkouts):
        assert time.monotonic() < deadline, "no worktree was given an instance"
        time.sleep(0.2)
    # Each checkout's port as the Python command line computes it there.
    expected = {checkout: int(run("web", cwd=checkout).stdout) for checkout in checkouts}
    assert len(set(expected.values())) == 2  # each instance its own port
    instances = {
        (checkout / ".stableport-instance").read_text().split()[0] for checkout in checkouts
    }
    assert instances == {"1", "2"}
    for checkout, port in expected.items():
        assert f"<p>{checkout.name}</p>" in fetch(f"http://127.0.0.1:{port}/", deadline)
    assert all(process.poll() is None for process in started)


@needs_recipes
def test_the_playwright_recipe_starts_its_server_on_the_port_of_the_config() -> None:
    # Playwright's own runner loads playwright.config.ts, whose webServer is
    # stableport-js run, and its test calls use.baseURL.
    namespace = free_namespace("e2e", assigned_ports("web", "api"))
    environment = clean_environment({"STABLEPORT_NAMESPACE": namespace, "CI": "1"})
    result = subprocess.run(
        ["npm", "run", "e2e", "--", "--reporter=line"],  # npm scripts: node_modules/.bin on PATH
        cwd=RECIPES,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


NEXT = RECIPES / "next"


@pytest.mark.skipif(
    NODE is None or not (NEXT / "node_modules" / ".bin" / "next").exists(),
    reason="needs node and `npm ci` in js/recipes/next/ (.ci/run)",
)
def test_the_nextjs_recipe_serves_on_the_port_of_its_npm_script(
    started: list[subprocess.Popen[bytes]],
) -> None:
    # `npm run dev` is `stableport-js run web -- next dev --port {PORT}`, and the
    # page itself asks portFor (next.config.mjs leaves the package unbundled).
    namespace = free_namespace("next", assigned_ports("web", "api"))
    environment = clean_environment({"STABLEPORT_NAMESPACE": namespace})
    environment["NEXT_TELEMETRY_DISABLED"] = "1"
    port = int(run("web", cwd=NEXT, env={"STABLEPORT_NAMESPACE": namespace}).stdout)
    started.append(
        subprocess.Popen(
            ["npm", "run", "dev"],
            cwd=NEXT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    )
    body = fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 120)
    assert "next on " in body
    assert f">{port}<" in body or f"-->{port}<" in body


NODE_SERVER_TEST = """
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

SERVER = {server!r}


def test_a_node_server_gets_the_tests_port(stableport):
    port = stableport("api")
    server = subprocess.Popen(["node", SERVER, "api"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline() == f"listening on {{port}}\\n"
        with urllib.request.urlopen(f"http://127.0.0.1:{{port}}/", timeout=5) as response:
            assert response.read().decode() == f"api on {{port}}\\n"
    finally:
        server.terminate()
        server.wait()
"""


@needs_package
def test_a_node_server_started_by_a_fixture_listens_on_the_fixtures_port(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = free_namespace("fixture", assigned_ports("api", envs=["test"]))
    for key in [key for key in os.environ if key.startswith("STABLEPORT_")]:
        if key != "STABLEPORT_LEASE_DIR":
            monkeypatch.delenv(key)
    pytester.makefile(".toml", stableport=f'services = ["api"]\nnamespace = "{namespace}"\n')
    # The server imports the package from js/: a copy beside the test, linked to it.
    (pytester.path / "node_modules").mkdir()
    (pytester.path / "node_modules" / "stableport").symlink_to(JS)
    server = pytester.path / "server.mjs"
    server.write_text((RECIPES / "server.js").read_text())
    pytester.makepyfile(test_node=NODE_SERVER_TEST.format(server=str(server)))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@needs_package
def test_the_package_passes_its_own_tests() -> None:
    result = subprocess.run(
        ["npm", "test"], cwd=JS, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout


@needs_package
def test_npm_pack_installs_into_a_fresh_project(tmp_path: Path) -> None:
    # As a user meets it: the tarball, installed from npm's cache (no network
    # needed for the dependencies js/ already installed), then its command.
    packed = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(tmp_path)],
        cwd=JS,
        capture_output=True,
        text=True,
        check=True,
    )
    (info,) = json.loads(packed.stdout)
    files = {entry["path"] for entry in info["files"]}
    assert {
        "dist/stableport.mjs",
        "dist/cli.mjs",
        "src/index.js",
        "src/index.d.ts",
        "src/unicode-data.json",
        "bin/stableport-js.js",
        "README.md",
    } <= files
    assert not any(path.startswith(("test/", "recipes/", "scripts/")) for path in files)
    assert "dist/conformance.mjs" not in files
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            str(tmp_path / info["filename"]),
        ],
        cwd=app,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    (app / "stableport.toml").write_text('services = ["web"]\nenv = "dev"\n')
    environment = clean_environment()
    javascript = subprocess.run(
        [str(app / "node_modules" / ".bin" / "stableport-js"), "web"],
        cwd=app,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    # One copy of the library: the command's bundle imports it from the
    # library's (esbuild heads each module it bundles with its path), and the
    # TOML parser bundled there is not installed beside it.
    bundled = {
        bundle.name: set(re.findall(r"^// (?:src|node_modules)/\S+$", bundle.read_text(), re.M))
        for bundle in (app / "node_modules" / "stableport" / "dist").glob("*.mjs")
    }
    assert "// src/portmap.js" in bundled["stableport.mjs"]
    assert bundled["cli.mjs"] & bundled["stableport.mjs"] == set()
    assert not (app / "node_modules" / "smol-toml").exists()
    typed = (app / "node_modules" / "stableport" / "src" / "index.d.ts").read_text()
    assert "export function portFor" in typed
    assert javascript.stdout == run("web", cwd=app).stdout
    # The library as imported (the bundle in dist/), with a name that is not
    # ASCII: its Unicode table is read from src/ beside the bundle.
    imported = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            "import { portFor } from 'stableport'; console.log(portFor('Straße'));",
        ],
        cwd=app,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout == run("Straße", cwd=app).stdout


@needs_package
def test_a_bundle_older_than_its_sources_fails_the_check(tmp_path: Path) -> None:
    # dist/ is committed; `npm test` (and so .ci/run) starts with this check.
    copy = tmp_path / "js"
    for part in ("src", "scripts", "dist"):
        shutil.copytree(JS / part, copy / part)
    # The bundled package copied (the bundle names its path), esbuild linked.
    modules = copy / "node_modules"
    shutil.copytree(JS / "node_modules" / "smol-toml", modules / "smol-toml")
    for tool in ("esbuild", "@esbuild"):
        (modules / tool).symlink_to(JS / "node_modules" / tool)
    check = ["node", "scripts/bundle.js", "--check"]
    fresh = subprocess.run(check, cwd=copy, capture_output=True, text=True, check=False)
    assert fresh.returncode == 0, fresh.stderr
    defaults = copy / "src" / "defaults.js"
    source = defaults.read_text()
    assert "MAX_INSTANCES = 1000;" in source
    defaults.write_text(source.replace("MAX_INSTANCES = 1000;", "MAX_INSTANCES = 1001;"))
    stale = subprocess.run(check, cwd=copy, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "dist/stableport.mjs is not what src/ builds" in stale.stderr


CLI_CASES = [
    ([], ["web"], {}),
    ([], ["Straße"], {}),
    ([], ["web", "--env", "test"], {}),
    ([], ["web", "--env", "a@b"], {}),
    ([], ["a@b"], {}),
    ([], ["web", "--instance", "1"], {}),
    ([], ["web", "--instance", "7"], {}),
    ([], ["web", "--namespace", "Other"], {}),
    ([], ["web"], {"STABLEPORT_PINS": "web=9001"}),
    ([], ["web"], {"STABLEPORT_PINS": "web=9001,api=9001"}),
    ([], ["web"], {"STABLEPORT_ENV": "staging", "STABLEPORT_NAMESPACE": "x"}),
    ([], ["web"], {"STABLEPORT_TEST_PORTS": "web=23456"}),
    ([], ["web", "--env", "dev"], {"STABLEPORT_TEST_PORTS": "web=23456"}),
    (["strict = 1"], ["web"], {}),
    (["strict = true"], ["worker"], {}),
    ([], ["web", "--config", "missing.toml"], {}),
    ([], ["web"], {"STABLEPORT_CONFIG": "C:\\proj\\stableport.toml"}),
]


@needs_package
@pytest.mark.parametrize(("extra", "args", "variables"), CLI_CASES)
def test_both_command_lines_give_the_same_answer(
    tmp_path: Path, extra: list[str], args: list[str], variables: dict[str, str]
) -> None:
    # Every other entry point asked the same question: the same port on stdout,
    # or the same exit status with nothing on stdout.
    config = 'services = ["web", "api"]\nenvs = ["dev", "test"]\nenv = "dev"\ninstances = 2\n'
    (tmp_path / "stableport.toml").write_text(config + "".join(f"{line}\n" for line in extra))
    environment = clean_environment(variables)
    environment.pop("CI", None)
    python = run(*args, cwd=tmp_path, env=variables)
    javascript = subprocess.run(
        ["node", str(JS / "bin" / "stableport-js.js"), *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (javascript.returncode, javascript.stdout) == (python.returncode, python.stdout)
    if python.returncode:
        # One line each, naming the same mistake after their program's name.
        assert javascript.stderr.count("\n") == 1
        assert (
            javascript.stderr.partition(": error: ")[2] == python.stderr.partition(": error: ")[2]
        )
