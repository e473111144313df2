"""The pytest plugin, run as pytest runs it: in-process, in a subprocess, under real xdist."""

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import stableport

from .util import imported_by, output_of

pytest_plugins = ["pytester"]

SERVICES = ("billing", "auth", "search", "db")
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")

# The project under test: dev and test share a host, so both are declared.
PROJECT = """
services = ["billing", "auth", "search", "db"]
envs = ["dev", "test"]
env = "dev"
"""

# Every test records the ports the fixture gives it, one file per test, so the
# outer test can compare workers (records/<worker or main>-<index>.json).
RECORDER = """
import json
from pathlib import Path

import pytest

import stableport as sp

SERVICES = ("billing", "auth", "search", "db")


@pytest.mark.parametrize("index", range(16))
def test_records_its_ports(stableport, index):
    ports = {name: stableport(name) for name in SERVICES}
    if stableport.worker is None:
        # Outside xdist: exactly the module API in the test environment.
        assert ports == {name: sp.port_for(name, env=stableport.env) for name in SERVICES}
        assert stableport.map is sp._api.default_map()
    record = {"env": stableport.env, "worker": stableport.worker, "ports": ports}
    out = Path("records") / f"{stableport.worker or 'main'}-{index}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record))
"""

Records = dict[str, dict[str, object]]


@pytest.fixture(autouse=True)
def not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of this suite under xdist must not leak the outer worker id into inner runs."""
    for variable in XDIST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """A project directory (pytester's, also the working directory) with a declared map."""
    pytester.makefile(".toml", stableport=PROJECT)
    pytester.makepyfile(test_recorder=RECORDER)
    return pytester.path


def records(directory: Path) -> Records:
    """What each worker recorded, checking that every test of a worker saw the same."""
    by_worker: Records = {}
    for path in sorted((directory / "records").glob("*.json")):
        record = json.loads(path.read_text())
        assert by_worker.setdefault(record["worker"] or "main", record) == record, path
    shutil.rmtree(directory / "records")
    return by_worker


# -- without xdist -------------------------------------------------------------


def test_a_plain_run_gets_the_module_api_and_the_cli_ports(
    project: Path, pytester: pytest.Pytester
) -> None:
    pytester.runpytest().assert_outcomes(passed=16)
    recorded = records(project)
    assert list(recorded) == ["main"]
    assert recorded["main"]["env"] == "test"
    expected = {name: int(output_of(name, "--env", "test", cwd=project)) for name in SERVICES}
    assert recorded["main"]["ports"] == expected
    assert expected == {name: stableport.port_for(name, env="test") for name in SERVICES}


def test_a_run_with_xdist_disabled_is_a_plain_run(project: Path, pytester: pytest.Pytester) -> None:
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=16)
    recorded = records(project)
    assert recorded["main"]["env"] == "test"
    assert recorded["main"]["ports"] == {
        name: int(output_of(name, "--env", "test", cwd=project)) for name in SERVICES
    }


# -- under real xdist ------------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 4])
def test_xdist_workers_never_share_a_port_and_keep_theirs_across_runs(
    project: Path, pytester: pytest.Pytester, workers: int
) -> None:
    pytester.runpytest_subprocess("-n", str(workers)).assert_outcomes(passed=16)
    first = records(project)
    assert sorted(first) == [f"gw{index}" for index in range(workers)]
    assert {worker: record["env"] for worker, record in first.items()} == {
        f"gw{index}": f"test-gw{index}" for index in range(workers)
    }
    ports = [port for record in first.values() for port in record["ports"].values()]  # type: ignore[attr-defined]
    assert len(set(ports)) == len(ports) == workers * len(SERVICES)

    # Nothing the project declared moves, and no worker lands on it.
    home = stableport.load(project / "stableport.toml")
    assert home == stableport.load()
    assert not set(ports) & set(home.assignments().values())
    overlay = home.overlay(f"test-gw{index}" for index in range(workers))
    assert all(
        record["ports"] == {name: overlay.port_for(name, record["env"]) for name in SERVICES}  # type: ignore[arg-type]
        for record in first.values()
    )

    pytester.runpytest_subprocess("-n", str(workers)).assert_outcomes(passed=16)
    assert records(project) == first


def test_each_worker_overlays_all_workers_found_by_environment_variables(
    project: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback when config.workerinput is missing: PYTEST_XDIST_WORKER(_COUNT)."""
    overlay = stableport.load().overlay(["ci-gw0", "ci-gw1", "ci-gw2"])
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
        pytester.runpytest("--stableport-env", "ci").assert_outcomes(passed=16)
        recorded = records(project)[worker]
        assert recorded["env"] == f"ci-{worker}"
        assert recorded["ports"] == {
            name: overlay.port_for(name, f"ci-{worker}") for name in SERVICES
        }


@pytest.mark.parametrize(
    ("worker", "count", "overlay"),
    [
        # A worker that replaced a crashed one has an id past the count.
        ("gw5", "3", ["test-gw0", "test-gw1", "test-gw2", "test-gw5"]),
        ("gw1", None, ["test-gw1"]),
        ("gw1", "three", ["test-gw1"]),
    ],
)
def test_an_unusual_worker_still_gets_an_overlay_with_its_own_env(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    worker: str,
    count: str | None,
    overlay: list[str],
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    if count is not None:
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", count)
    pytester.makepyfile(
        f"""
        import stableport as sp

        def test_overlay(stableport):
            assert stableport.env == "test-{worker}"
            assert stableport.map.overlay_envs == tuple({overlay!r})
            assert stableport("billing") == (
                sp.load().overlay({overlay!r}).port_for("billing", "test-{worker}")
            )
            assert repr(stableport) == (
                "StableportFixture(env='test-{worker}', worker='{worker}', workers={overlay!r})"
            )
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_overlay_follows_a_reloaded_project_map(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    pytester.makefile(".toml", stableport='services = ["billing"]')
    pytester.makepyfile(
        """
        from pathlib import Path

        import stableport as sp

        def test_reload(stableport):
            first = stableport.map
            assert stableport.map is first  # built once
            assert first.services == ("billing",)
            Path("stableport.toml").write_text('services = ["billing", "auth"]')
            assert stableport.map is first  # until the project map is reloaded
            sp.reload()
            assert stableport.map.services == ("auth", "billing")
            assert stableport("auth") == (
                sp.load().overlay(["test-gw0", "test-gw1"]).port_for("auth", "test-gw0")
            )
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_pinned_services_keep_their_pin_on_every_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    pytester.makefile(
        ".toml",
        stableport="""
        services = ["billing", "auth"]
        [pins]
        billing = 8001
        "auth@default" = 8002
        """,
    )
    pytester.makepyfile(
        """
        def test_pins(stableport):
            assert stableport("billing") == 8001  # a pin for every env: workers share it
            assert stableport("auth") != 8002  # pinned in the project's env only
        """
    )
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        pytester.runpytest().assert_outcomes(passed=1)


# -- options ---------------------------------------------------------------------


def run_env_probe(pytester: pytest.Pytester, *args: str) -> str:
    """The fixture's env in an inner run, checked against the module API there."""
    pytester.makepyfile(
        test_env_probe="""
        from pathlib import Path

        import stableport as sp

        def test_env(stableport):
            assert stableport("billing") == sp.port_for("billing", env=stableport.env)
            Path("env.txt").write_text(stableport.env)
        """
    )
    pytester.runpytest(*args).assert_outcomes(passed=1)
    return (pytester.path / "env.txt").read_text()


def test_the_env_option_names_the_test_environment(pytester: pytest.Pytester) -> None:
    assert run_env_probe(pytester) == "test"
    assert run_env_probe(pytester, "--stableport-env", "Staging") == "staging"
    assert run_env_probe(pytester, "--stableport-env=ci") == "ci"


def test_the_ini_option_names_it_and_the_command_line_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstableport_env = integration\n")
    assert run_env_probe(pytester) == "integration"
    assert run_env_probe(pytester, "--stableport-env", "ci") == "ci"


@pytest.mark.parametrize(
    ("ini", "args", "message"),
    [
        (
            "",
            ["--stableport-env", "bad@env"],
            "ERROR: stableport: --stableport-env='bad@env': environment name 'bad@env' "
            "contains '@', which is reserved; names may not contain any of @ = ,",
        ),
        (
            "[pytest]\nstableport_env = te\tst\n",
            [],
            "ERROR: stableport: ini option stableport_env='te\\tst': environment name "
            "'te\\tst' contains U+0009, a control character; use printable characters",
        ),
    ],
)
def test_a_bad_env_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, ini: str, args: list[str], message: str
) -> None:
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile("def test_never_runs(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.lines
    assert "Traceback" not in result.stderr.str()


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "stableport: stable ports for services:",
            "*--stableport-env=ENV*",
            "*--stableport-check-free*",
            "*stableport_env (string):*",
            "*stableport_check_free (bool):*",
        ]
    )


# -- a suite that never asks ----------------------------------------------------------


def test_a_suite_that_never_uses_the_fixture_loads_nothing(pytester: pytest.Pytester) -> None:
    # A broken config would fail any lookup: it is never read.
    pytester.makefile(".toml", stableport="servics = 1")
    pytester.makepyfile(
        """
        import sys

        import stableport as sp

        def test_untouched():
            assert sp._api._default_map == []
            assert "stableport._live" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)


def test_importing_the_plugin_adds_only_the_package_itself() -> None:
    _, added = imported_by("import stableport._pytest_plugin", setup="import pytest")
    assert "stableport._pytest_plugin" in added
    assert [name for name in added if name.split(".")[0] not in {"stableport", "xxhash"}] == []


def test_a_broken_config_fails_the_test_with_its_message_only(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", stableport="servics = 1")
    pytester.makepyfile("def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*stableport: */stableport.toml: unknown key 'servics' in the top level; did you mean*"]
    )
    assert "_pytest_plugin.py" not in result.stdout.str()


def test_an_overlay_env_the_project_declares_fails_cleanly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    pytester.makefile(".toml", stableport='services = ["billing"]\nenvs = ["dev", "test-gw0"]')
    pytester.makepyfile("def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*stableport: overlay environment 'test-gw0' is already declared in envs; "
            "an overlay may only add environments"
        ]
    )


# -- the free-port check --------------------------------------------------------------


@pytest.fixture
def holder() -> Iterator[tuple[int, int, str]]:
    """Another process listening on a loopback port: (port, its pid, its name)."""
    code = (
        "import socket, sys, time\n"
        "s = socket.socket()\n"
        "s.bind(('127.0.0.1', 0))\n"
        "s.listen()\n"
        "print(s.getsockname()[1], flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            comm = Path(f"/proc/{proc.pid}/comm")
            name = comm.read_text().strip() if comm.exists() else ""
            yield port, proc.pid, name
        finally:
            proc.kill()


CHECKED = """
def test_uses_billing(stableport):
    stableport("billing")
"""


@pytest.mark.parametrize(
    ("ini", "args"),
    [("", ["--stableport-check-free"]), ("[pytest]\nstableport_check_free = true\n", [])],
)
def test_the_free_check_names_port_service_env_and_holder(
    pytester: pytest.Pytester, holder: tuple[int, int, str], ini: str, args: list[str]
) -> None:
    port, pid, name = holder
    pytester.makefile(".toml", stableport=f"[pins]\nbilling = {port}")
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(CHECKED)
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    who = (
        f"held by pid {pid} ({name})"
        if sys.platform.startswith("linux")
        else "holder unknown: this OS does not show which process holds a port"
    )
    message = (
        f"stableport: port {port} for service 'billing' (env 'test') is not free: "
        f"in use on 127.0.0.1 ({who})"
    )
    assert message in result.stdout.lines
    assert "_pytest_plugin.py" not in result.stdout.str()


def test_the_free_check_is_off_by_default_and_per_call_either_way(
    pytester: pytest.Pytester, holder: tuple[int, int, str]
) -> None:
    port, _, _ = holder
    pytester.makefile(".toml", stableport=f"[pins]\nbilling = {port}")
    pytester.makepyfile(
        f"""
        import pytest

        def test_off_by_default(stableport):
            assert stableport("billing") == {port}

        def test_on_for_one_call(stableport):
            stableport("billing", check_free=True)

        def test_off_for_one_call(stableport):
            assert stableport("billing", check_free=False) == {port}
        """
    )
    pytester.runpytest().assert_outcomes(passed=2, failed=1)
    result = pytester.runpytest("--stableport-check-free")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*_ test_off_by_default _*", f"stableport: port {port} for *"])


def test_a_free_port_passes_the_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CHECKED)
    pytester.runpytest("--stableport-check-free").assert_outcomes(passed=1)


def test_the_fixture_is_usable_from_a_session_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        import stableport as sp

        @pytest.fixture(scope="session")
        def billing_url(stableport):
            return f"http://127.0.0.1:{stableport('billing')}"

        def test_url(billing_url):
            assert billing_url.endswith(f":{sp.port_for('billing', env='test')}")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_explain_and_assignments_through_the_map(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", stableport='services = ["billing", "auth"]')
    pytester.makepyfile(
        """
        def test_map(stableport):
            port = stableport("billing")
            assert stableport.map.explain("billing", stableport.env).port == port
            assert stableport.map.port_for("auth", stableport.env) == stableport("auth")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_deeply_nested_pyproject_fails_the_test_in_one_line(pytester: pytest.Pytester) -> None:
    # Issue 12: stableport only as a dependency, ~500 nested arrays in another tool's table.
    nested = "[" * 500 + "]" * 500
    pytester.makefile(
        ".toml", pyproject=f'[project]\ndependencies = ["stableport"]\n[tool.other]\nx = {nested}\n'
    )
    pytester.makepyfile("def test_port(stableport):\n    stableport('web')\n")
    # An explicit ini file: pytest's own TOML parser would fail on that pyproject.toml.
    ini = pytester.makeini("[pytest]\n")
    result = pytester.runpytest("-c", str(ini))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*stableport: */pyproject.toml: arrays or inline tables are nested too deeply to parse"]
    )
    assert "RecursionError" not in result.stdout.str()
