"""stableport run: a real command on its port, under the console script and under honcho."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest

import stableport
from stableport._cli.commands import run as _run

from .util import SCRIPT, assigned_ports, clean_environment, free_namespace, run

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

CONFIG = """\
services = ["web", "api", "billing-api"]
envs = ["dev", "test"]
env = "dev"
"""

# A command that prints the variables run sets, as JSON.
SHOW = "import json, os, sys; print(json.dumps({k: os.environ.get(k) for k in sys.argv[1:]}))"
# Long enough for any bounded wait below; every process is ended before.
DEADLINE = 60.0
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and exec")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    return tmp_path


def shown(project: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    names = ("PORT", "WEB_PORT", "API_PORT", "BILLING_API_PORT", "STABLEPORT_ENV")
    result = run(*args, "--", sys.executable, "-c", SHOW, *names, env=env, cwd=project)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    values: dict[str, str] = json.loads(result.stdout)
    return values


def test_port_is_the_services_and_every_declared_port_is_set(project: Path) -> None:
    pm = stableport.load(project / "stableport.toml")
    # An inherited PORT (honcho's, foreman's) is replaced.
    assert shown(project, "run", "web", env={"PORT": "5000"}) == {
        "PORT": str(pm.port_for("web")),
        "WEB_PORT": str(pm.port_for("web")),
        "API_PORT": str(pm.port_for("api")),
        "BILLING_API_PORT": str(pm.port_for("billing-api")),
        "STABLEPORT_ENV": None,
    }
    # --env is passed on, so the command's own lookups agree with its variables.
    assert shown(project, "run", "api", "--env", "test") == {
        "PORT": str(pm.port_for("api", "test")),
        "WEB_PORT": str(pm.port_for("web", "test")),
        "API_PORT": str(pm.port_for("api", "test")),
        "BILLING_API_PORT": str(pm.port_for("billing-api", "test")),
        "STABLEPORT_ENV": "test",
    }


def test_an_undeclared_name_gets_its_hashed_port_and_a_note(project: Path) -> None:
    pm = stableport.load(project / "stableport.toml")
    result = run("run", "wbe", "--", sys.executable, "-c", SHOW, "PORT", cwd=project)
    assert (result.returncode, json.loads(result.stdout)) == (0, {"PORT": str(pm.port_for("wbe"))})
    # Issue 21: a typo in a Procfile line still starts, but its log says so.
    assert result.stderr == (
        f"stableport: note: 'wbe' is not among the services of {project / 'stableport.toml'} "
        "(api, billing-api, web), so it gets an undeclared name's port; did you mean 'web'? "
        "(strict = true makes this an error)\n"
    )


def test_braces_in_arguments_become_ports(project: Path) -> None:
    pm = stableport.load(project / "stableport.toml")
    args = ["--port={PORT}", "{API_PORT}", "{}", '{"a": 1}', "{port}"]
    escaped = ["{{PORT}}", "--bind=:{{WEB_PORT}}", "{{WEBB_PORT}}", "{{{PORT}}}", "{{port}}"]
    code = "import json, sys; print(json.dumps(sys.argv[1:]))"
    result = run("run", "web", "--", sys.executable, "-c", code, *args, *escaped, cwd=project)
    assert json.loads(result.stdout) == [
        f"--port={pm.port_for('web')}",
        str(pm.port_for("api")),
        "{}",
        '{"a": 1}',
        "{port}",  # only upper-case names ending in PORT are placeholders
        # Doubled braces are the escape: a literal placeholder, never looked up.
        "{PORT}",
        "--bind=:{WEB_PORT}",
        "{WEBB_PORT}",  # escaped, so no error
        # As str.format reads {{{PORT}}}: a literal brace each side of the port.
        f"{{{pm.port_for('web')}}}",
        "{{port}}",  # no placeholder name: untouched
    ]


def test_a_sh_c_script_gets_the_escape_as_a_literal_placeholder(project: Path) -> None:
    pm = stableport.load(project / "stableport.toml")
    # A sh -c script is an argument too: the escape reaches the shell as {PORT}.
    script = run("run", "web", "--", "sh", "-c", "echo {{PORT}} is $PORT", cwd=project)
    assert script.stdout == f"{{PORT}} is {pm.port_for('web')}\n"


def test_an_unknown_placeholder_is_an_error_naming_it(project: Path) -> None:
    result = run("run", "web", "--", "echo", "{WEBB_PORT}", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "stableport: error: run: argument 1 '{WEBB_PORT}' names {WEBB_PORT}, which run does "
        "not set; it sets {API_PORT}, {BILLING_API_PORT}, {INSTANCE}, {PORT}, {WEB_PORT}\n"
    )


def test_a_missing_command_exits_127_naming_it(project: Path) -> None:
    result = run("run", "web", "--", "no-such-command-here", "--flag", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        127,
        "",
        "stableport: error: run: command 'no-such-command-here' not found on PATH\n",
    )


@POSIX_ONLY
def test_a_file_that_cannot_be_executed_exits_126(project: Path) -> None:
    (project / "script").write_text("#!/bin/sh\n")  # not executable
    result = run("run", "web", "--", "./script", cwd=project)
    assert (result.returncode, result.stdout) == (126, "")
    assert result.stderr == "stableport: error: run: cannot execute './script': Permission denied\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "bad@name", "--", "true"],
            "stableport: error: service name 'bad@name' contains '@', which is reserved; "
            "names may not contain any of @ = ,",
        ),
        (
            ["run", "web", "--env", "a@b", "--", "true"],
            "stableport: error: environment name 'a@b' (from --env) contains '@', which is "
            "reserved; names may not contain any of @ = ,",
        ),
        (
            ["run", "web", "true"],
            "stableport run: error: give the command after --: stableport run NAME -- "
            "COMMAND; see 'stableport run --help'",
        ),
        (
            ["run", "web", "--"],
            "stableport run: error: give the command after --: stableport run NAME -- "
            "COMMAND; see 'stableport run --help'",
        ),
    ],
)
def test_a_bad_name_or_usage_exits_2(project: Path, args: list[str], message: str) -> None:
    result = run(*args, cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_a_bad_configuration_exits_2(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text("servics = []\n")
    result = run("run", "web", "--", "true", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("stableport: error: ")
    assert "unknown key 'servics'" in result.stderr


def test_a_service_named_run_is_reached_after_dashes(project: Path) -> None:
    result = run("--", "run", cwd=project)
    assert result.stdout == f"{stableport.load(project / 'stableport.toml').port_for('run')}\n"


@contextmanager
def started(argv: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A process group of its own, ended however the test ends."""
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for(path: Path) -> None:
    """Until path exists: the command is up and has installed its handler."""
    deadline = time.monotonic() + DEADLINE
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


# Exits 42 on SIGTERM, after telling its pid; waits for the signal otherwise.
TRAP = """\
import os, signal, sys, time
from pathlib import Path
signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))
print(os.getpid(), flush=True)
Path(sys.argv[1]).touch()
time.sleep(60)
sys.exit(1)
"""

# The console script, with the process-replacing path switched off.
AS_CHILD = (
    "import sys; from stableport._cli.commands import run as _run; _run.REPLACE_PROCESS = False; "
    "from stableport._cli import main; sys.exit(main(sys.argv[1:]))"
)


@POSIX_ONLY
@pytest.mark.parametrize("path", ["exec", "child"])
def test_signals_and_status_are_the_commands(project: Path, path: str) -> None:
    replace = path == "exec"
    ready = project / "ready"
    launcher = [str(SCRIPT)] if replace else [sys.executable, "-c", AS_CHILD]
    argv = [*launcher, "run", "web", "--", sys.executable, "-c", TRAP, str(ready)]
    with started(argv, project, clean_environment()) as process:
        wait_for(ready)
        assert process.stdout is not None
        pid = int(process.stdout.readline())
        # exec: the command is the process stableport was; child: another one.
        assert (pid == process.pid) is replace
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=DEADLINE) == 42


@POSIX_ONLY
def test_a_child_killed_by_a_signal_reports_128_plus_it(project: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    result = subprocess.run(
        [sys.executable, "-c", AS_CHILD, "run", "web", "--", sys.executable, "-c", code],
        cwd=project,
        env=clean_environment(),
        check=False,
    )
    assert result.returncode == 128 + signal.SIGTERM


def test_the_child_path_passes_the_status_and_names_a_missing_command(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setattr(_run, "REPLACE_PROCESS", False)
    from stableport._cli import main  # noqa: PLC0415 - after the switch, as a reader would

    assert main(["run", "web", "--", sys.executable, "-c", "raise SystemExit(7)"]) == 7
    assert main(["run", "web", "--", "no-such-command-here"]) == 127
    assert capsys.readouterr().err == (
        "stableport: error: run: command 'no-such-command-here' not found on PATH\n"
    )


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_honcho_runs_two_servers_on_their_stableport_ports(project: Path) -> None:
    """A real Procfile runner: each process binds its stableport port, not honcho's PORT."""
    # honcho is in the test extra: missing, the test fails rather than skips.
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent))
    assert honcho is not None, "honcho comes with the test extra: pip install -e '.[test]'"
    (project / "Procfile").write_text(
        "web: stableport run web -- python -m http.server {PORT} --bind 127.0.0.1\n"
        "api: stableport run api -- python -m http.server {API_PORT} --bind 127.0.0.1\n"
    )
    # A namespace whose ports are free now: other runs of this suite on this
    # host serve CONFIG's own ports with honcho at the same instant.
    services = ("web", "api", "billing-api")
    namespace = free_namespace("honcho", assigned_ports(*services, envs=["dev", "test"], env="dev"))
    (project / "stableport.toml").write_text(f'namespace = "{namespace}"\n{CONFIG}')
    pm = stableport.load(project / "stableport.toml")
    assert set(pm.services) == set(services)  # the ports found free are all of CONFIG's
    ports = {"web": pm.port_for("web"), "api": pm.port_for("api")}
    assert not any(listening(port) for port in ports.values()), "a port is already taken"
    scripts = str(Path(sys.executable).parent)
    env = clean_environment({"PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])})
    with started([honcho, "start"], project, env) as process:
        deadline = time.monotonic() + DEADLINE
        while not all(listening(port) for port in ports.values()):
            assert process.poll() is None, "honcho stopped before both servers listened"
            assert time.monotonic() < deadline, "the servers never listened"
            time.sleep(0.1)
        for port in ports.values():
            with urlopen(f"http://127.0.0.1:{port}/Procfile", timeout=DEADLINE) as response:
                assert b"stableport run web" in response.read()
        process.send_signal(signal.SIGTERM)  # honcho stops every process it started
        process.wait(timeout=DEADLINE)
    assert not any(listening(port) for port in ports.values())


def test_expand_replaces_only_the_placeholders_run_sets() -> None:
    settings = {"PORT": 28439, "WEB_PORT": 28439, "DB_PORT": 26613}
    assert _run.expand("--bind=127.0.0.1:{PORT},{DB_PORT}", settings, 3) == (
        "--bind=127.0.0.1:28439,26613"
    )
    assert _run.expand("{} {port} {PORTS} {x_PORT}", settings, 1) == "{} {port} {PORTS} {x_PORT}"
    with pytest.raises(stableport.StableportError, match=r"argument 2 '\{API_PORT\}' names"):
        _run.expand("{API_PORT}", settings, 2)


def test_config_and_namespace_given_to_run_are_passed_on(project: Path) -> None:
    code = (
        "import json, os; "
        "print(json.dumps({k: v for k, v in os.environ.items() "
        "if k.startswith('STABLEPORT_') and k != 'STABLEPORT_LEASE_DIR'}))"
    )
    args = ["--config", "stableport.toml", "--namespace", "Shop"]
    result = run("run", "web", *args, "--", sys.executable, "-c", code, cwd=project)
    # The file as an absolute path: the command may change its directory.
    assert json.loads(result.stdout) == {
        "STABLEPORT_CONFIG": str(project / "stableport.toml"),
        "STABLEPORT_NAMESPACE": "Shop",
        "STABLEPORT_INSTANCE": "0",  # always: the plain checkout's identity (issue 33)
    }


def test_a_relative_config_variable_is_passed_on_absolute(project: Path) -> None:
    # Passed on as inherited, it named no file once the command changed directory.
    code = "import os; os.chdir('/'); print(os.environ['STABLEPORT_CONFIG'])"
    env = {"STABLEPORT_CONFIG": "stableport.toml"}
    result = run("run", "web", "--", sys.executable, "-c", code, env=env, cwd=project)
    assert (result.returncode, result.stdout) == (0, f"{project / 'stableport.toml'}\n")
    # The command's own lookup, from elsewhere, finds the same file.
    lookup = "import os, runpy; os.chdir('/'); runpy.run_module('stableport', run_name='__main__')"
    result = run("run", "web", "--", sys.executable, "-c", lookup, "web", env=env, cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{stableport.load(project / 'stableport.toml').port_for('web')}\n",
        "",
    )


def test_without_a_configuration_only_port_is_set(tmp_path: Path) -> None:
    code = "import os; print(sorted(k for k in os.environ if k.endswith('PORT')))"
    result = run("run", "web", "--", sys.executable, "-c", code, env={"PORT": "5000"}, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "['PORT']\n")
