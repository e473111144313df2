"""run's child mode, called in this process with real children and a real signal."""

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import stableport
from stableport import _run
from stableport._export import nameable
from stableport._platform import keeps_port, platform
from stableport._run import CANNOT_EXECUTE, run_child


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


# -- issue 20: the wrapper's decisions, in this process, with real children ------------


def namespace_for(config: Path, *argv: str, name: str = "web") -> argparse.Namespace:
    """run's parsed arguments, as the command line gives them."""
    return argparse.Namespace(
        name=name, env=None, config=str(config), namespace=None, prefix="", argv=list(argv)
    )


def children_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """run starts a real child instead of replacing this process."""
    monkeypatch.setattr(_run, "REPLACE_PROCESS", False)


SHOW = (
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
    args = [sys.executable, "-c", SHOW, str(out), "{PORT}", "{{{WEB_PORT}}}", "${PORT}"]
    assert _run.run(namespace_for(config, *args)) == 0
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
    assert _run.run(namespace_for(config, sys.executable, "-c", SHOW, str(out), "5000")) == 0
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
        _run.run(namespace_for(config, "true", name="日本"))
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
