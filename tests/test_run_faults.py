"""stableport run as a transparent wrapper (issue 20): real console-script
processes, and run in this process with real children.

Signals, the shell's statuses, a closed stdout, services that make no variable,
runs of braces, a platform's PORT and a $PORT the shell expanded too early.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import stableport
from stableport._cli.commands import run as _run
from stableport._cli.commands.run import CANNOT_EXECUTE, run_child
from stableport._export import nameable
from stableport._hosting import keeps_port, platform

from .util import SCRIPT, clean_environment, run, run_redirected

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

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


# -- the same, from run's child mode in this process, with real children and a real signal


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself is POSIX")
def test_a_signal_sent_to_run_reaches_the_child(tmp_path: Path) -> None:
    # run_child installs its forwarding handler while it waits; this process then
    # receives SIGTERM, which the handler passes on to the child.
    started = tmp_path / "started"
    script = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)"

    def terminate_when_started() -> None:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    sender = threading.Thread(target=terminate_when_started)
    sender.start()
    try:
        status = run_child([sys.executable, "-c", script], {})
    finally:
        sender.join()
    assert status == 128 + signal.SIGTERM
    # The handler run_child installed is gone again.
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_file_that_cannot_be_executed_is_126(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    script.chmod(0o644)
    assert run_child([str(script)], {}) == CANNOT_EXECUTE
    assert capsys.readouterr().err == (
        f"stableport: error: run: cannot execute {str(script)!r}: Permission denied\n"
    )


def test_what_exec_cannot_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run.start([""], {}) == _run.NOT_FOUND
    assert _run.start(["true"], {"": "x"}) == CANNOT_EXECUTE
    assert _run.start(["true"], {"A=B": "x"}) == CANNOT_EXECUTE
    assert capsys.readouterr().err.splitlines() == [
        "stableport: error: run: command '' not found (the command is empty)",
        "stableport: error: run: cannot execute 'true': the environment holds a variable named "
        "'', which no program can be given; unset it",
        "stableport: error: run: cannot execute 'true': the environment holds a variable named "
        "'A=B', which no program can be given; unset it",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="exec and SIGPIPE are POSIX")
def test_a_failed_exec_puts_pythons_signal_dispositions_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The defaults are restored just before exec; if exec fails, run goes on as
    # Python: a closed pipe is an exception again, not a death.
    missing = str(tmp_path / "missing")
    assert _run.start([missing], {}) == _run.NOT_FOUND
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
    assert capsys.readouterr().err == f"stableport: error: run: command {missing!r} not found\n"


@POSIX_ONLY
def test_run_starts_with_stdout_closed(project: Path) -> None:
    # `>&-`, as daemons are started: run writes nothing there, so it must not refuse.
    result = run_redirected(">&-", "run", "web", "--", "sh", "-c", "echo $PORT >&2", cwd=project)
    assert (result.returncode, result.stderr) == (0, f"{web_port(project)}\n")


@POSIX_ONLY
def test_other_commands_still_refuse_a_closed_stdout(project: Path) -> None:
    result = run_redirected(">&-", "web", cwd=project)
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


# -- run's decisions, in this process, with real children


def run_args(config: Path, *argv: str, name: str = "web") -> argparse.Namespace:
    """run's parsed arguments, as the command line gives them."""
    return argparse.Namespace(
        name=name,
        env=None,
        config=str(config),
        namespace=None,
        instance=None,
        prefix="",
        no_claim=False,
        argv=list(argv),
    )


def children_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """run starts a real child instead of replacing this process."""
    monkeypatch.setattr(_run, "REPLACE_PROCESS", False)


SHOW_IN_FILE = (
    "import json, os, sys; "
    "open(sys.argv[1], 'w').write(json.dumps([sys.argv[2:], os.environ.get('PORT')]))"
)


def test_run_with_a_platform_port_and_a_service_without_a_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    children_only(monkeypatch)
    config = tmp_path / "stableport.toml"
    config.write_text('services = ["web", "日本", "a-b", "a_b"]\n')
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("DYNO", "web.1")
    out = tmp_path / "out.json"
    args = [sys.executable, "-c", SHOW_IN_FILE, str(out), "{PORT}", "{{{WEB_PORT}}}", "${PORT}"]
    assert _run.run(run_args(config, *args)) == 0
    web = stableport.load(config).port_for("web")
    assert json.loads(out.read_text()) == [["8080", f"{{{web}}}", "${PORT}"], "8080"]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "stableport: run: no variable for 'a-b', 'a_b', '日本' (services 'a-b' and 'a_b' would "
        "both be A_B_PORT; service '日本' has no ASCII letter or digit to name a variable after)",
        "stableport: run: PORT=8080 is kept: set by Heroku (DYNO is set), whose router sends "
        f"to it; STABLEPORT_KEEP_PORT=0 gives web port {web}",
    ]


def test_run_hints_at_a_port_the_shell_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    children_only(monkeypatch)
    config = tmp_path / "stableport.toml"
    config.write_text('services = ["web"]\n')
    monkeypatch.setenv("PORT", "5000")
    out = tmp_path / "out.json"
    assert _run.run(run_args(config, sys.executable, "-c", SHOW_IN_FILE, str(out), "5000")) == 0
    web = stableport.load(config).port_for("web")
    assert json.loads(out.read_text()) == [["5000"], str(web)]
    assert capsys.readouterr().err == (
        f"stableport: run: argument 4 '5000' holds 5000, the PORT run replaces with {web}: "
        f"write {{PORT}} (no $) to get {web} there\n"
    )


def test_running_a_service_without_a_variable_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "stableport.toml"
    config.write_text('services = ["web", "日本"]\n')
    with pytest.raises(stableport.InvalidNameError) as raised:
        _run.run(run_args(config, "true", name="日本"))
    assert str(raised.value) == (
        "run: service '日本' has no ASCII letter or digit to name a variable after; "
        "rename the service or give a --prefix"
    )


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("{{PORT}", "has 2 '{' and 1 '}' around PORT"),
        ("{A_B_PORT}", "names {A_B_PORT}, which run does not set: shared; rename one of them"),
        ("{X_PORT}", "names {X_PORT}, which run does not set; it sets {PORT}"),
    ],
)
def test_expand_refuses(arg: str, message: str) -> None:
    with pytest.raises(stableport.StableportError) as raised:
        _run.expand(arg, {"PORT": 1}, 3, {"A_B_PORT": "shared"})
    assert str(raised.value).startswith(f"run: argument 3 {arg!r} {message}")


@pytest.mark.parametrize(
    ("environ", "keeps", "where"),
    [
        ({}, False, None),
        ({"DYNO": "web.1"}, False, "Heroku (DYNO is set)"),
        ({"PORT": "5000"}, False, None),
        ({"PORT": "8080", "K_SERVICE": "api"}, True, "Cloud Run (K_SERVICE is set)"),
        ({"PORT": "8080", "RENDER": ""}, False, None),  # set but empty: not a platform's
        (
            {"PORT": "8080", "RENDER": "true", "STABLEPORT_KEEP_PORT": "0"},
            False,
            "Render (RENDER is set)",
        ),
        ({"PORT": "8080", "STABLEPORT_KEEP_PORT": "1"}, True, None),
    ],
)
def test_whose_port_wins(
    environ: dict[str, str],
    keeps: bool,  # noqa: FBT001 - a parameter of the table above
    where: str | None,
) -> None:
    assert (keeps_port(environ), platform(environ)) == (keeps, where)


def test_keep_port_takes_1_or_0() -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        keeps_port({"PORT": "1", "STABLEPORT_KEEP_PORT": "true"})
    assert str(raised.value).startswith("STABLEPORT_KEEP_PORT='true' is not 1 (keep the inherited")


def test_nameable_leaves_out_only_who_has_no_variable_of_its_own() -> None:
    named = nameable({"web": 1, "2fa": 2, "a-b": 3, "a_b": 4, "--": 5})
    assert named.named == {"WEB_PORT": 1}
    assert named.shared == {"A_B_PORT": "services 'a-b' and 'a_b' would both be A_B_PORT"}
    assert named.refused == {
        "--": "service '--' has no ASCII letter or digit to name a variable after",
        "2fa": "service '2fa' would be exported as '2FA_PORT', which starts with a digit",
        "a-b": "services 'a-b' and 'a_b' would both be A_B_PORT",
        "a_b": "services 'a-b' and 'a_b' would both be A_B_PORT",
    }
    with pytest.raises(stableport.InvalidNameError):
        nameable({"web": 1}, "1X")


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
