"""main() in this process, its streams real pipes, devices and files: what each outcome returns.

tests/test_cli.py runs the same outcomes in real processes; these run them where
coverage sees them, and where the stream a failure happened on can be read back.
"""

import io
import os
import runpy
import signal
import sys
from pathlib import Path

import pytest

import stableport
import stableport._api as api
import stableport._config as config
from stableport import PortMap
from stableport._cli import main


@pytest.fixture(autouse=True)
def _no_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty working directory, no STABLEPORT_* variable: the built-in defaults."""
    for variable in list(os.environ):
        if variable.startswith("STABLEPORT_"):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


def test_a_pipe_whose_reader_is_gone_is_141(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["billing"]) == 141
        # stdout now points at the null device: the final flush cannot fail.
        stdout.write("more\n")
        stdout.flush()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_device_is_exit_2_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Path("/dev/full").open("w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        assert main(["billing"]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: cannot write the output: [Errno 28] No space left on device\n"
    )


def test_an_answer_reaches_a_real_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = tmp_path / "answer.txt"
    with answer.open("w") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["billing", "--env", "staging"]) == 0
    assert answer.read_text() == f"{PortMap(['billing']).port_for('billing', 'staging')}\n"


def test_an_in_memory_stdout_gets_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # No file descriptor behind it (a notebook's or a test's capture): written through .buffer.
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["billing"]) == 0
    stdout.flush()
    assert stdout.buffer.getvalue() == f"{PortMap(['billing']).port_for('billing')}\n".encode()


def test_a_character_stdout_cannot_encode_is_named_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stableport.toml").write_text('services = ["café", "auth"]\n', encoding="utf-8")
    answer = tmp_path / "answer.txt"
    with answer.open("w", encoding="ascii") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["list"]) == 2
    assert answer.read_bytes() == b""
    error = capsys.readouterr().err
    assert error.startswith("stableport: error: standard output's encoding (ascii) cannot show ")
    assert "U+00E9 ('é')" in error
    assert "café" in error
    assert error.endswith("or --json, which is always UTF-8\n")


def test_with_stderr_closed_an_error_still_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = (tmp_path / "stderr.txt").open("w")
    stderr.close()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["bad@name"]) == 2


def test_ctrl_c_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real SIGINT, delivered while the command is loading the configuration.
    def interrupted(*_: object) -> tuple[None, None]:
        os.kill(os.getpid(), signal.SIGINT)
        return None, None

    monkeypatch.setattr(config, "discover", interrupted)
    assert main(["web"]) == 130
    assert capsys.readouterr() == ("", "stableport: interrupted\n")


def test_run_without_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "web"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "give the command after --: stableport run NAME -- COMMAND" in err


def test_python_dash_m_runs_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["stableport", "billing", "--env", "ci"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("stableport", run_name="__main__", alter_sys=True)
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"{PortMap(['billing']).port_for('billing', 'ci')}\n"


def test_the_lookup_cache_stops_growing_at_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_lookups", {})
    monkeypatch.setattr(api, "_LOOKUP_CACHE_SIZE", 3)
    names = ["billing", "auth", "search", "web", "cache"]
    ports = [stableport.port_for(name) for name in names]
    assert ports == [PortMap().port_for(name) for name in names]
    assert sorted(api._lookups) == sorted((name, None) for name in names[:3])
    # Past the bound a lookup is answered again, the same, and still not kept.
    assert stableport.port_for("cache") == ports[-1]
    assert len(api._lookups) == 3


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["--version"], f"stableport {stableport.__version__}"),
        (["--help"], "usage: stableport"),
        (["list", "--help"], "usage: stableport list"),
    ],
)
def test_version_and_help_are_answers_on_stdout(
    args: list[str], start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out.startswith(start)
    assert out.endswith("\n")
    assert err == ""
