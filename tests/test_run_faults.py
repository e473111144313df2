"""stableport run as a transparent wrapper (issue 20): real console-script processes.

Signals, the shell's statuses, a closed stdout, services that make no variable,
runs of braces, a platform's PORT and a $PORT the shell expanded too early.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import stableport

from .util import SCRIPT, clean_environment, run

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and exec")
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status")

# A command that prints the variables run sets, as JSON.
SHOW = "import json, os, sys; print(json.dumps({k: os.environ.get(k) for k in sys.argv[1:]}))"
ARGV = "import json, sys; print(json.dumps(sys.argv[1:]))"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stableport.toml").write_text('services = ["web", "api"]\n')
    return tmp_path


def web_port(project: Path) -> int:
    return stableport.load(project / "stableport.toml").port_for("web")


# -- signals: what Python ignores must not stay ignored in the command -------------


def ignored_signals(line: str) -> set[int]:
    """The signal numbers a /proc/PID/status SigIgn line marks ignored."""
    mask = int(line.split()[1], 16)
    return {number for number in range(1, 65) if mask & (1 << (number - 1))}


@LINUX_ONLY
def test_the_command_starts_with_sigpipe_and_sigxfsz_at_their_defaults(project: Path) -> None:
    import signal  # noqa: PLC0415 - the numbers only

    result = run("run", "web", "--", "grep", "SigIgn", "/proc/self/status", cwd=project)
    assert result.returncode == 0, result.stderr
    ignored = ignored_signals(result.stdout)
    assert signal.SIGPIPE not in ignored
    assert signal.SIGXFSZ not in ignored


@POSIX_ONLY
def test_a_closed_pipe_kills_the_command_quietly_as_in_a_shell(project: Path) -> None:
    # `yes | head -1` printed "Broken pipe", and pipefail pipelines exited 1, not 141.
    quiet = run("run", "web", "--", "sh", "-c", "yes | head -1", cwd=project)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "y\n", "")
    if Path("/bin/bash").exists():
        script = "set -o pipefail; yes | head -1 > /dev/null"
        piped = run("run", "web", "--", "bash", "-c", script, cwd=project)
        assert (piped.returncode, piped.stderr) == (141, "")


# -- what exec cannot start: the shell's answers, one line ---------------------------


def test_an_empty_command_is_not_found_127(project: Path) -> None:
    result = run("run", "web", "--", "", cwd=project)
    assert result.returncode == 127
    assert result.stderr == (
        "stableport: error: run: command '' not found (the command is empty)\n"
    )


@POSIX_ONLY
def test_an_environment_entry_with_an_empty_name_cannot_execute_126(project: Path) -> None:
    assert SCRIPT is not None
    # env(1) passes "=x" on; Python reads it as a variable named ''.
    result = subprocess.run(
        ["env", "=x", SCRIPT, "run", "web", "--", "true"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 126
    assert result.stderr == (
        "stableport: error: run: cannot execute 'true': the environment holds a variable "
        "named '', which no program can be given; unset it\n"
    )


@POSIX_ONLY
def test_run_starts_with_stdout_closed(project: Path) -> None:
    # `>&-`, as daemons are started: run writes nothing there, so it must not refuse.
    assert SCRIPT is not None
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" run web -- sh -c "echo \\$PORT >&2" >&-', SCRIPT],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, f"{web_port(project)}\n")


@POSIX_ONLY
def test_other_commands_still_refuse_a_closed_stdout(project: Path) -> None:
    assert SCRIPT is not None
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" web >&-', SCRIPT],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (
        2,
        "stableport: error: no standard output to write the answer to\n",
    )


# -- services that make no variable ---------------------------------------------------


@pytest.mark.parametrize(
    ("services", "left_out", "why"),
    [
        (
            '["web", "日本"]',
            "'日本'",
            "service '日本' has no ASCII letter or digit to name a variable after",
        ),
        (
            '["web", "a-b", "a_b"]',
            "'a-b', 'a_b'",
            "services 'a-b' and 'a_b' would both be A_B_PORT",
        ),
    ],
)
def test_a_service_without_a_variable_stops_only_itself(
    tmp_path: Path, services: str, left_out: str, why: str
) -> None:
    (tmp_path / "stableport.toml").write_text(f"services = {services}\n")
    pm = stableport.load(tmp_path / "stableport.toml")
    result = run("run", "web", "--", sys.executable, "-c", SHOW, "PORT", "WEB_PORT", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    port = str(pm.port_for("web"))
    assert json.loads(result.stdout) == {"PORT": port, "WEB_PORT": port}
    assert result.stderr == f"stableport: run: no variable for {left_out} ({why})\n"
    # The service itself needs its variable: that is an error, nothing started.
    itself = run("run", left_out.split("'")[1], "--", "true", cwd=tmp_path)
    assert itself.returncode == 2
    assert itself.stderr == (
        f"stableport: error: run: {why}; rename the service or give a --prefix\n"
    )


def test_a_placeholder_two_services_share_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text('services = ["web", "a-b", "a_b"]\n')
    result = run("run", "web", "--", "echo", "{A_B_PORT}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "stableport: error: run: argument 1 '{A_B_PORT}' names {A_B_PORT}, which run does not "
        "set: services 'a-b' and 'a_b' would both be A_B_PORT; rename one of them\n"
    )


# -- runs of braces ---------------------------------------------------------------------


def test_runs_of_braces_are_read_as_str_format_reads_them(project: Path) -> None:
    port = web_port(project)
    args = ["{PORT}", "{{PORT}}", "{{{PORT}}}", "{{{{PORT}}}}", "{{{{{PORT}}}}}", "x{{PORT}}y"]
    result = run("run", "web", "--", sys.executable, "-c", ARGV, *args, cwd=project)
    assert result.returncode == 0, result.stderr
    expected = [arg.format(PORT=port) for arg in args]
    assert json.loads(result.stdout) == expected
    assert expected[2] == f"{{{port}}}"


@pytest.mark.parametrize("arg", ["{{PORT}", "{PORT}}", "{{{PORT}}"])
def test_unbalanced_braces_around_a_placeholder_are_an_error(project: Path, arg: str) -> None:
    result = run("run", "web", "--", "echo", arg, cwd=project)
    assert result.returncode == 2
    opening, closing = arg.count("{"), arg.count("}")
    assert result.stderr == (
        f"stableport: error: run: argument 1 {arg!r} has {opening} '{{' and {closing} '}}' "
        "around PORT; write {PORT} for the port, {{PORT}} for the text {PORT}\n"
    )


@POSIX_ONLY
def test_the_shells_own_dollar_brace_is_left_to_the_shell(project: Path) -> None:
    # ${PORT} in a sh -c script was expanded to $28439, which sh reads as $2 and 8439.
    result = run("run", "web", "--", "sh", "-c", "echo ${PORT} ${WEB_PORT}", cwd=project)
    port = web_port(project)
    assert (result.returncode, result.stdout) == (0, f"{port} {port}\n")


# -- a platform's PORT wins; a local process manager's does not -------------------------


@pytest.mark.parametrize(
    ("variable", "platform"),
    [
        ("DYNO", "Heroku"),
        ("K_SERVICE", "Cloud Run"),
        ("GAE_SERVICE", "App Engine"),
        ("RENDER", "Render"),
    ],
)
def test_a_platforms_port_is_kept(project: Path, variable: str, platform: str) -> None:
    env = {variable: "web.1", "PORT": "8080"}
    result = run(
        "run", "web", "--", sys.executable, "-c", ARGV, "--port={PORT}", env=env, cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["--port=8080"]
    assert result.stderr == (
        f"stableport: run: PORT=8080 is kept: set by {platform} ({variable} is set), whose "
        f"router sends to it; STABLEPORT_KEEP_PORT=0 gives web port {web_port(project)}\n"
    )
    shown = run(
        "run", "web", "--", sys.executable, "-c", SHOW, "PORT", "WEB_PORT", env=env, cwd=project
    )
    assert json.loads(shown.stdout) == {"PORT": "8080", "WEB_PORT": str(web_port(project))}


def test_keep_port_overrides_the_guess_both_ways(project: Path) -> None:
    port = str(web_port(project))
    on_heroku = {"DYNO": "web.1", "PORT": "8080", "STABLEPORT_KEEP_PORT": "0"}
    replaced = run(
        "run", "web", "--", sys.executable, "-c", SHOW, "PORT", env=on_heroku, cwd=project
    )
    assert (replaced.stdout, replaced.stderr) == (json.dumps({"PORT": port}) + "\n", "")
    elsewhere = {"PORT": "8080", "STABLEPORT_KEEP_PORT": "1"}
    kept = run("run", "web", "--", sys.executable, "-c", SHOW, "PORT", env=elsewhere, cwd=project)
    assert (kept.stdout, kept.stderr) == (json.dumps({"PORT": "8080"}) + "\n", "")


def test_a_keep_port_value_other_than_1_or_0_is_refused(project: Path) -> None:
    result = run(
        "run", "web", "--", "true", env={"PORT": "1", "STABLEPORT_KEEP_PORT": "yes"}, cwd=project
    )
    assert result.returncode == 2
    assert result.stderr == (
        "stableport: error: STABLEPORT_KEEP_PORT='yes' is not 1 (keep the inherited PORT) or 0 "
        "(replace it with the service's port); set one of them, or unset it\n"
    )


def test_a_local_process_managers_port_is_replaced(project: Path) -> None:
    # honcho, foreman and overmind set PORT=5000, 5100, ...: no platform variable.
    result = run(
        "run", "web", "--", sys.executable, "-c", SHOW, "PORT", env={"PORT": "5000"}, cwd=project
    )
    assert json.loads(result.stdout) == {"PORT": str(web_port(project))}


# -- $PORT where {PORT} was meant ---------------------------------------------------------


@pytest.mark.parametrize("arg", ["5000", "--port=5000", "0.0.0.0:5000"])
def test_an_argument_holding_the_replaced_port_gets_a_hint(project: Path, arg: str) -> None:
    # `web: stableport run web -- python -m app --port $PORT`: the shell expanded
    # honcho's 5000 before run saw it, and the server silently listened there.
    port = web_port(project)
    result = run("run", "web", "--", "echo", "--port", arg, env={"PORT": "5000"}, cwd=project)
    assert (result.returncode, result.stdout) == (0, f"--port {arg}\n")
    assert result.stderr == (
        f"stableport: run: argument 2 {arg!r} holds 5000, the PORT run replaces with {port}: "
        f"write {{PORT}} (no $) to get {port} there\n"
    )


def test_no_hint_where_the_port_is_kept_or_absent(project: Path) -> None:
    kept = run(
        "run",
        "web",
        "--",
        "echo",
        "5000",
        env={"PORT": "5000", "STABLEPORT_KEEP_PORT": "1"},
        cwd=project,
    )
    absent = run("run", "web", "--", "echo", "5000", cwd=project)
    assert (kept.stderr, absent.stderr) == ("", "")
