"""The pytest plugin, run as pytest runs it: in-process, in a subprocess, under real xdist."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import stableport
from stableport._leasing import lease_family
from stableport._lockfile import Locks, lease_directory, lease_slot

from .util import assigned_ports, free_namespace, imported_by, output_of

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

pytest_plugins = ["pytester"]

SERVICES = ("billing", "auth", "search", "db")

# The project under test: dev and test share a host, so both are declared. Its
# own range, away from the default one where other suites on this host serve:
# with leases, a lease one of whose ports something listens on is passed over,
# which would move these tests' exact leases. Each test's namespace is its
# own, its ports free when the test starts (project_config): this file's
# tests run in other xdist workers and other checkouts at the same instant,
# and bind the project's ports.
PROJECT = """
namespace = "{namespace}"
services = ["billing", "auth", "search", "db"]
envs = ["dev", "test"]
env = "dev"
range = [15000, 19999]
"""


def project_config() -> str:
    """PROJECT in a namespace whose declared ports are all free now."""
    ports = assigned_ports(*SERVICES, envs=["dev", "test"], env="dev", port_range=(15000, 19999))
    return PROJECT.format(namespace=free_namespace("plugin", ports))


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
        assert {name: sp.port_for(name) for name in SERVICES} == ports  # code under test
    record = {"env": stableport.env, "worker": stableport.worker, "ports": ports}
    out = Path("records") / f"{stableport.worker or 'main'}-{index}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record))
"""

Records = dict[str, dict[str, object]]


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """A project directory (pytester's, also the working directory) with a declared map."""
    pytester.makefile(".toml", stableport=project_config())
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


MOVED = """
def test_moved_first(request, monkeypatch, tmp_path):
    (tmp_path / "stableport.toml").write_text('services = ["web"]\\nnamespace = "moved-here"\\n')
    monkeypatch.chdir(tmp_path)
    stableport = request.getfixturevalue("stableport")
    print("PORT", stableport("web"), stableport.map.namespace)
"""


def test_a_relative_stableport_config_is_read_from_where_pytest_started(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As discovery is, and as `stableport web` there reads it: a test that
    # changes directory before asking changes nothing. The variable was read
    # from the test's directory, another project's file there (or none, an error).
    pytester.makefile(".toml", stableport='services = ["web"]\nnamespace = "started-here"\n')
    pytester.makepyfile(test_moved=MOVED)
    monkeypatch.setenv("STABLEPORT_CONFIG", "stableport.toml")
    result = pytester.runpytest("-s", "--stableport-leases=off")
    result.assert_outcomes(passed=1)
    expected = output_of("web", "--env", "test", cwd=pytester.path).strip()
    assert expected == str(
        stableport.PortMap(["web"], namespace="started-here").port_for("web", "test")
    )
    result.stdout.fnmatch_lines([f"*PORT {expected} started-here*"])


CHILDREN = """
import subprocess
import sys


def ask(cwd, code):
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def test_children_elsewhere(stableport, tmp_path):
    port = stableport("web")
    other = tmp_path / "other"
    other.mkdir()
    (other / "stableport.toml").write_text('services = ["web"]\\nnamespace = "other"\\n')
    for cwd in (tmp_path, other):
        for code in (
            "import stableport._cli as c; c.main(['web'])",
            "import stableport; print(stableport.port_for('web'))",
        ):
            print("CHILD", cwd.name, ask(cwd, code) == str(port), ask(cwd, code))
"""


def test_a_relative_stableport_config_names_the_fixtures_file_to_the_processes_it_starts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture read the variable from where pytest started; a server a test
    # starts in another directory inherits the variable, and read it from
    # there: no file (an error, where with no variable it got the test's port),
    # or another project's (its ports). The session names the file it read.
    pytester.makefile(".toml", stableport='services = ["web"]\nnamespace = "started-here"\n')
    pytester.makepyfile(test_children=CHILDREN)
    monkeypatch.setenv("STABLEPORT_CONFIG", "stableport.toml")
    result = pytester.runpytest("-s", "--stableport-leases=off")  # in-process: restored?
    result.assert_outcomes(passed=1)
    # -s: the first line follows the test file's name.
    children = [line[line.index("CHILD") :] for line in result.outlines if "CHILD" in line]
    assert len(children) == 4, result.outlines
    assert all(line.split()[2] == "True" for line in children), children
    assert os.environ["STABLEPORT_CONFIG"] == "stableport.toml"  # put back when it ended


def test_a_run_with_xdist_disabled_is_a_plain_run(project: Path, pytester: pytest.Pytester) -> None:
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=16)
    recorded = records(project)
    assert recorded["main"]["env"] == "test"
    assert recorded["main"]["ports"] == {
        name: int(output_of(name, "--env", "test", cwd=project)) for name in SERVICES
    }


# -- under real xdist ------------------------------------------------------------


def lease_envs(env: str, count: int = 64) -> list[str]:
    """The environments of leases 1..count: what every worker and concurrent run resolves."""
    return [f"{env}-lease{index}" for index in range(1, count + 1)]


@pytest.mark.parametrize("workers", [2, 4])
def test_xdist_workers_never_share_a_port_and_keep_theirs_across_runs(
    project: Path, pytester: pytest.Pytester, workers: int
) -> None:
    result = pytester.runpytest_subprocess("-n", str(workers), "-v")
    result.assert_outcomes(passed=16)
    # Worker gwN holds lease N+1, and the summary says so (with -v: it is
    # what a run alone gets).
    result.stdout.fnmatch_lines_random(
        [
            f"stableport: gw{index}: lease {index + 1}, env 'test-lease{index + 1}'"
            for index in range(workers)
        ]
    )
    first = records(project)
    assert sorted(first) == [f"gw{index}" for index in range(workers)]
    assert {worker: record["env"] for worker, record in first.items()} == {
        f"gw{index}": f"test-lease{index + 1}" for index in range(workers)
    }
    ports = [port for record in first.values() for port in record["ports"].values()]  # type: ignore[attr-defined]
    assert len(set(ports)) == len(ports) == workers * len(SERVICES)

    # Nothing the project declared moves, and no worker lands on it. Every
    # worker resolves the same overlay whatever the worker count: 4 services in
    # the default range hold 64 leases apart.
    home = stableport.load(project / "stableport.toml")
    assert home == stableport.load()
    assert not set(ports) & set(home.assignments().values())
    overlay = home.overlay(lease_envs("test"))
    assert all(
        record["ports"] == {name: overlay.port_for(name, record["env"]) for name in SERVICES}  # type: ignore[arg-type]
        for record in first.values()
    )

    pytester.runpytest_subprocess("-n", str(workers)).assert_outcomes(passed=16)
    assert records(project) == first


def test_each_worker_overlays_all_leases_found_by_environment_variables(
    project: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback when config.workerinput is missing: PYTEST_XDIST_WORKER(_COUNT)."""
    overlay = stableport.load().overlay(lease_envs("ci"))
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
        pytester.runpytest("--stableport-env", "ci").assert_outcomes(passed=16)
        recorded = records(project)[worker]
        env = f"ci-lease{int(worker.removeprefix('gw')) + 1}"  # worker gwN holds lease N+1
        assert recorded["env"] == env
        assert recorded["ports"] == {name: overlay.port_for(name, env) for name in SERVICES}


@pytest.mark.parametrize(
    ("worker", "count", "lease"),
    [
        # A worker that replaced a crashed one has an id past the count.
        ("gw5", "3", 6),
        ("gw1", None, 2),
        ("gw1", "three", 2),
        # Not an xdist id: the lowest lease above 0.
        ("node7", "2", 1),
    ],
)
def test_every_worker_gets_a_lease_of_its_own(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    worker: str,
    count: str | None,
    lease: int,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    if count is not None:
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", count)
    pytester.makefile(".toml", stableport='services = ["billing"]')
    env = f"test-lease{lease}"
    pytester.makepyfile(
        f"""
        import stableport as sp

        def test_overlay(stableport):
            assert stableport.env == {env!r}
            assert stableport.lease == {lease}
            assert stableport.map.overlay_envs == tuple(sorted({lease_envs("test")!r}))
            assert stableport("billing") == (
                sp.PortMap(["billing"]).overlay({lease_envs("test")!r}).port_for("billing", {env!r})
            )
            assert repr(stableport) == (
                "StableportFixture(env={env!r}, worker={worker!r}, lease={lease})"
            )
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_fixture_reads_the_project_map_once_per_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its ports are locked for the session: a reload() in a test moves none.
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    pytester.makefile(".toml", stableport='services = ["billing"]')
    pytester.makepyfile(
        """
        from pathlib import Path

        import stableport as sp

        def test_reload(stableport):
            first = stableport.map
            assert first.services == ("billing",)
            billing = stableport("billing")
            Path("stableport.toml").write_text('services = ["billing", "auth"]')
            sp.reload()
            assert stableport.map is first
            assert stableport("billing") == billing
            assert stableport("auth") == (
                first.port_for("auth", "test-lease1")  # undeclared, as the session began
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
            assert stableport("billing") == 8001  # a pin for every env: each worker's
            assert stableport("auth") != 8002  # pinned in the project's env only
        """
    )
    for worker in ("gw0", "gw1"):  # one after the other (tests/test_leases.py: at once)
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
            # A name no other test asks for: billing's test port is one other
            # tests (and other runs on the host) hold, and the fixture would
            # rightly move off it.
            name = "env-probe"
            assert stableport(name) == sp.port_for(name, env=stableport.env)
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


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "[pytest]\nstableport_leases = maybe\n",
            "ERROR: stableport: ini option stableport_leases: invalid truth value 'maybe'; "
            "use true or false",
        ),
        (
            "[pytest]\nstableport_check_free = perhaps\n",
            "ERROR: stableport: ini option stableport_check_free: invalid truth value "
            "'perhaps'; use true or false",
        ),
    ],
)
def test_a_bad_switch_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, ini: str, message: str
) -> None:
    # Read when the session is configured, as stableport_env is: the run stops
    # before any test, naming the option (pytest's own line names only the value).
    pytester.makeini(ini)
    pytester.makepyfile("def test_never_runs(): pass")
    result = pytester.runpytest()
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
            "*--stableport-leases={on,off}*",
            "*stableport_env (string):*",
            "*stableport_check_free (bool):*",
            "*stableport_leases (bool):*",
        ]
    )


# -- a suite that never asks ----------------------------------------------------------


NEVER_ASKS = """
import os
import sys
import threading

def test_untouched():
    loaded = [name for name in sys.modules if name.split(".")[0] == "stableport"]
    assert loaded == []
    assert "xxhash" not in sys.modules
    if "PYTEST_XDIST_WORKER" not in os.environ:  # execnet runs a thread of its own
        assert threading.active_count() == 1
"""


def project_files(directory: Path) -> list[str]:
    """Every file under directory but pytester's and Python's own (captured output, bytecode)."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if not any(
            part in {"__pycache__", "stdout", "stderr"} or part.startswith("runpytest-")
            for part in path.relative_to(directory).parts
        )
    )


@pytest.mark.parametrize("args", [[], ["-n", "2"]])
def test_a_suite_that_never_uses_the_fixture_loads_and_leaves_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    # A broken config would fail any lookup: no test process reads it (the
    # xdist controller does, to check the worker count, and leaves a broken one
    # for the tests that ask for a port to report).
    pytester.makefile(".toml", stableport="servics = 1")
    pytester.makepyfile(NEVER_ASKS)
    leases = tmp_path / "never-created"
    monkeypatch.setenv("STABLEPORT_LEASE_DIR", str(leases))
    before = project_files(pytester.path)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    assert not leases.exists()
    assert project_files(pytester.path) == before
    assert "stableport:" not in result.stdout.str()


def test_registering_the_plugin_imports_only_the_plugin_module() -> None:
    _, added = imported_by("import _stableport_pytest", setup="import pytest")
    assert added == {"_stableport_pytest"}


def test_a_broken_config_fails_the_test_with_its_message_only(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", stableport="servics = 1")
    pytester.makepyfile("def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*stableport: */stableport.toml: unknown key 'servics' in the top level; did you mean*"]
    )
    assert "_fixture.py" not in result.stdout.str()


def test_a_config_broken_when_the_session_began_fails_every_lookup_with_its_message(
    pytester: pytest.Pytester,
) -> None:
    # Read once, as docs/pytest.md says, even when it does not load: fixed
    # during the session, it still is the message the session began with.
    pytester.makefile(".toml", stableport="servics = 1")
    pytester.makepyfile(
        """
        from pathlib import Path

        def test_first(stableport):
            Path("stableport.toml").write_text('services = ["billing"]')
            stableport("billing")

        def test_second(stableport):
            stableport("billing")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    # Each test's failure says it (the short summary repeats it in full where CI is set).
    bodies = [line for line in result.outlines if not line.startswith("FAILED")]
    assert sum("unknown key 'servics' in the top level" in line for line in bodies) == 2


def test_an_overlay_env_the_project_declares_fails_cleanly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    pytester.makefile(".toml", stableport='services = ["billing"]\nenvs = ["dev", "test-lease1"]')
    pytester.makepyfile("def test_port(stableport):\n    stableport('billing')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # when the session takes its lease
    assert "During handling" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*stableport: overlay environment 'test-lease1' is already declared in envs; "
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
    # Leases off: with them, the fixture passes over a port someone serves.
    result = pytester.runpytest(*args, "--stableport-leases=off")
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
    assert "_fixture.py" not in result.stdout.str()


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
    pytester.runpytest("--stableport-leases=off").assert_outcomes(passed=2, failed=1)
    result = pytester.runpytest("--stableport-check-free", "--stableport-leases=off")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*_ test_off_by_default _*", f"stableport: port {port} for *"])


def test_with_leases_a_served_port_is_passed_over_and_the_check_passes(
    pytester: pytest.Pytester, holder: tuple[int, int, str]
) -> None:
    port, _, _ = holder
    pytester.makefile(".toml", stableport=f"[pins]\nbilling = {port}")
    pytester.makepyfile(CHECKED)
    result = pytester.runpytest("--stableport-check-free")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"stableport: lease 0, env 'test'; moved off * billing {port} -> *"]
    )


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


# -- pytest inside pytest: no copy of stableport outlives its session -----------------

# Run as a whole pytest session in a subprocess (the outer suite has stableport
# imported already, so its inner sessions would reuse that copy). pytester
# restores sys.modules after each test, so each inner session imports fresh
# copies of whatever stableport modules it uses; the last test counts, after
# garbage collection, the copies still alive and the pytest sessions they hold.
# Hypothesis's plugin is off: hypothesis leaks inner sessions of its own (a
# union with one of its classes, in typing's cache, pins each fresh copy).
NO_HYPOTHESIS = ["-p", "no:hypothesispytest"]
# Every module the fixture can load: the map, leases, explain, the free check
# (imported, not run: binding billing's port could meet another run's server).
USES_EVERYTHING = """
import stableport._port_status

def test_port(stableport):
    port = stableport("billing")
    assert stableport.map.explain("billing", stableport.env).port == port
"""
INNER_SESSIONS = """
import gc

import pytest

pytest_plugins = "pytester"
INNER = {inner!r}
USES_EVERYTHING = {uses_everything!r}


@pytest.mark.parametrize("index", range(12))
def test_configured_only(pytester, index):
    pytester.parseconfigure(*INNER)


@pytest.mark.parametrize("index", range(6))
def test_using_the_fixture(pytester, index):
    pytester.makefile(".toml", stableport='services = ["billing"]')
    pytester.makepyfile(USES_EVERYTHING)
    outcome = "passed" if "no:stableport" not in INNER else "errors"
    pytester.runpytest(*INNER).assert_outcomes(**{{outcome: 1}})


def test_zz_no_copy_outlives_its_session():
    gc.collect()
    # A module's namespace can outlive the module object (a function's
    # __globals__ keeps it), and it is what holds the loader: count namespaces.
    copies = {{}}
    for thing in gc.get_objects():
        if isinstance(thing, dict) and "__spec__" in thing and "__name__" in thing:
            name = thing["__name__"]
            top = name.split(".")[0] if isinstance(name, str) else ""
            if top in {{"stableport", "_stableport_pytest"}}:
                copies[name] = copies.get(name, 0) + 1
    sessions = sum(isinstance(thing, pytest.Config) for thing in gc.get_objects())
    print("copies", sorted(copies.items()), "sessions", sessions)
    assert all(count == 1 for count in copies.values()), copies
    assert sessions == 1  # this one
"""


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ([], []),
        (["-p", "no:stableport"], []),
        (["-p", "no:stableport"], ["-p", "no:stableport"]),
    ],
)
def test_in_process_sessions_leave_no_copy_of_stableport_alive(
    pytester: pytest.Pytester, outer: list[str], inner: list[str]
) -> None:
    inner = [*NO_HYPOTHESIS, *inner]
    pytester.makepyfile(
        test_inner_sessions=INNER_SESSIONS.format(inner=inner, uses_everything=USES_EVERYTHING)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *NO_HYPOTHESIS, *outer)
    result.assert_outcomes(passed=19)
    # The count itself, so a failure shows what stayed alive.
    result.stdout.fnmatch_lines(["*copies * sessions 1*"])


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
        ["*stableport: */pyproject.toml: arrays or tables are nested more than 100 levels deep"]
    )
    assert "RecursionError" not in result.stdout.str()


# -- the code under test sees the test's ports -------------------------------------------

APP = '''
"""An application: it serves on its own port, as in production."""
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import stableport


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{os.getpid()} {stableport.port_for('billing')}".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def server():
    return HTTPServer(("127.0.0.1", stableport.port_for("billing")), Hello)


if __name__ == "__main__":
    server().serve_forever()
'''

APP_TESTS = """
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

import app


def answer(port):
    # Bounded by a deadline, not a count of tries: on a loaded host the
    # child's interpreter alone can take longer than 400 quick refusals.
    deadline = time.monotonic() + 120
    while True:
        try:
            with urlopen(f"http://127.0.0.1:{port}", timeout=60) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing answers on {port}") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def child_app(stableport):
    stableport("billing")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("app.py"))])
    yield proc
    proc.terminate()
    proc.wait()


def test_in_process(stableport):
    server = app.server()  # code under test, in this process
    assert server.server_port == stableport("billing")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert answer(stableport("billing")) == f"{os.getpid()} {stableport('billing')}"
    finally:
        server.shutdown()
        server.server_close()


def test_as_a_child(stableport, child_app):
    assert answer(stableport("billing")) == f"{child_app.pid} {stableport('billing')}"
"""


@pytest.mark.parametrize("lease", [0, 1])
def test_an_app_started_by_a_test_reaches_the_test_s_port_not_the_dev_server(
    pytester: pytest.Pytester, lease: int
) -> None:
    # A namespace per case (project_config's, free when chosen): under xdist both
    # cases run at once, and each binds its dev port and takes its leases, which
    # must not be the other's, nor another checkout's run's.
    pytester.makefile(".toml", stableport=project_config())
    pytester.makepyfile(app=APP, test_app=APP_TESTS)
    dev = stableport.load(pytester.path / "stableport.toml").port_for("billing")
    with contextlib.ExitStack() as stack:
        # The developer's own server of the app, on its dev port.
        dev_server = stack.enter_context(socket.socket())
        dev_server.bind(("127.0.0.1", dev))
        dev_server.listen()
        if lease:  # another run holds lease 0
            held = Locks(lease_directory())
            stack.callback(held.release)
            family = lease_family(stableport.load(pytester.path / "stableport.toml"), "test")
            assert held.take(lease_slot(family, 0))
        result = pytester.runpytest_subprocess("-p", "no:xdist", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"stableport: lease {lease}, env *"])


CODE = """
import json
import shutil
import subprocess
import sys
from pathlib import Path

import stableport as module

NAMES = ("billing", "Auth", "cache", "Mail")
# The console script installed beside this interpreter, as a user's code runs it:
# found there whether or not the virtual environment is activated.
SCRIPT = shutil.which("stableport", path=str(Path(sys.executable).parent))


def test_code_sees_the_fixture_s_ports(stableport):
    fixture = {name: stableport(name) for name in NAMES[:3]}
    code = {name: module.port_for(name) for name in NAMES}  # Mail: asked first by the code
    assert code == {**fixture, "Mail": stableport("mail")}
    assert module.port_for("billing", env="dev") == module.load().port_for("billing", "dev")
    child = subprocess.run(
        [sys.executable, "-c",
         "import json, stableport; "
         "print(json.dumps([stableport.port_for(n) for n in %r]))" % (NAMES,)],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(child.stdout) == [stableport(name) for name in NAMES]
    cli = subprocess.run([SCRIPT, "cache"], capture_output=True, text=True, check=True)
    assert int(cli.stdout) == stableport("cache")
    run = subprocess.run(
        [SCRIPT, "run", "mail", "--", sys.executable, "-c",
         "import os; print(os.environ['PORT'], os.environ['BILLING_PORT'])"],
        capture_output=True, text=True, check=True,
    )
    assert run.stdout.split() == [str(stableport("mail")), str(stableport("billing"))]
"""


@pytest.mark.parametrize("worker", [None, "gw1"])
def test_code_under_test_and_its_children_get_the_fixture_s_ports(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, worker: str | None
) -> None:
    if worker:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    pytester.makefile(".toml", stableport=project_config())
    pytester.makepyfile(test_code=CODE)
    monkeypatch.setenv("STABLEPORT_ENV", "dev")  # the developer's: restored after

    def ours() -> dict[str, str]:
        return {key: value for key, value in os.environ.items() if key.startswith("STABLEPORT")}

    before = ours()
    pytester.runpytest().assert_outcomes(passed=1)
    # The session's variables and answers ended with it.
    assert ours() == before
    assert stableport.port_for("billing") == stableport.load().port_for("billing")


# ASCII source: the session runs under an ASCII locale (the names are escapes).
NON_ASCII_CODE = """
import subprocess
import sys

CAFE = "caf\\u00e9"


def test_a_non_ascii_name_reaches_a_child(stableport):
    child = subprocess.run(
        [sys.executable, "-c", "import stableport; print(stableport.port_for('caf\\\\u00e9'))"],
        capture_output=True, text=True, check=True,
    )
    assert int(child.stdout) == stableport(CAFE)
"""


def test_a_non_ascii_service_is_handed_down_under_an_ascii_locale(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python in the C locale with UTF-8 mode off encodes the environment as
    # ASCII: setting STABLEPORT_TEST_PORTS with café in it was a traceback
    # in the fixture, every test of the project an error.
    namespace = free_namespace("ascii", assigned_ports("café", "billing"))
    pytester.makefile(
        ".toml", stableport=f'namespace = "{namespace}"\nservices = ["café", "billing"]\n'
    )
    pytester.makepyfile(test_code=NON_ASCII_CODE)
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("PYTHONUTF8", "0")
    monkeypatch.setenv("PYTHONCOERCECLOCALE", "0")
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1)
