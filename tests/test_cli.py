"""The command line's entry point: the console script and python -m as real processes, and
main() in this process on real pipes, devices and files."""

import io
import json
import os
import runpy
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

import stableport
import stableport._api as api
import stableport._config as config
from stableport import PortMap
from stableport._cli import main

from .util import SCRIPT, clean_environment, imported_by, python, run


def test_the_console_script_prints_the_port_alone() -> None:
    result = run("billing")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{stableport.port_for('billing')}\n",
        "",
    )


@pytest.mark.parametrize("args", [["billing", "--env", "staging"], ["billing", "--env=staging"]])
def test_the_console_script_takes_an_environment(args: list[str]) -> None:
    result = run(*args)
    assert result.stdout == f"{stableport.port_for('billing', env='staging')}\n"


def test_the_console_script_reads_stableport_env() -> None:
    result = run("billing", env={"STABLEPORT_ENV": "staging"})
    assert result.stdout == f"{stableport.port_for('billing', env='staging')}\n"


@pytest.mark.slow  # real processes
def test_python_dash_m_matches_the_console_script() -> None:
    result = python("-m", "stableport", "Billing", check=True)
    assert result.stdout == run("billing").stdout


def test_a_bad_name_is_one_line_on_stderr_and_exit_2() -> None:
    result = run("bad@name")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "stableport: error: service name 'bad@name' contains '@', which is reserved; "
        "names may not contain any of @ = ,\n"
    )


def test_a_missing_name_is_a_usage_error() -> None:
    result = run()
    assert result.returncode == 2
    assert result.stderr == (
        "stableport: error: the following arguments are required: NAME; see 'stableport --help'\n"
    )


@pytest.mark.slow  # real processes
def test_version_and_help() -> None:
    assert run("--version").stdout == f"stableport {stableport.__version__}\n"
    assert "Print the stable port of a service" in run("--help").stdout


def test_in_process_main_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "staging", "billing"]) == 0
    assert capsys.readouterr().out == f"{stableport.port_for('billing', env='staging')}\n"
    assert main(["billing", "--env", ""]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: environment name is empty (from --env); give at least one character\n"
    )


@pytest.mark.parametrize(
    "args",
    [["billing", "--env=staging"], ["billing", "--env", "staging"], ["--env=staging", "billing"]],
)
def test_every_spelling_of_env_agrees_in_process(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 0
    assert capsys.readouterr().out == f"{stableport.port_for('billing', env='staging')}\n"


def test_an_extra_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["billing", "auth"]) == 2
    assert "unrecognized arguments: auth" in capsys.readouterr().err


# -- one reading of the words: the NAME form's fast path and argparse agree ------------


def outcome(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("option", ["--env", "--namespace", "--instance"])
@pytest.mark.parametrize("value", ["-x", "--", "--env", "--namespace=y"])
def test_a_word_that_looks_like_an_option_is_no_value_on_either_path(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # After the name, the fast path reads the words; before it, argparse does.
    # The fast path took "-x" for the environment and answered a port, where
    # argparse (and every command) refuses it.
    fast = outcome(["billing", option, value], capsys)
    parsed = outcome([option, value, "billing"], capsys)
    assert fast == parsed
    assert fast == (
        2,
        "",
        f"stableport: error: argument {option}: expected one argument; see 'stableport --help'\n",
    )


@pytest.mark.parametrize("option", ["--env", "--namespace", "--instance"])
def test_option_equals_dashes_is_the_value_dashes_on_either_path(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # argparse before Python 3.12.7 drops the "--" of --env=--, leaving a list:
    # "environment name must be a str, not list", and a traceback for --instance.
    fast = outcome(["billing", f"{option}=--"], capsys)
    parsed = outcome([f"{option}=--", "billing"], capsys)
    assert fast == parsed
    if option == "--instance":
        assert fast[0] == 2
        assert fast[2].startswith("stableport: error: instance '--' (from --instance)")
    else:
        assert fast[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--instance=--"],
        ["explain", "billing", "--instance=--"],
        ["run", "billing", "--instance=--", "--", "true"],
        ["list", "--config=--"],
        ["--completion=--"],
        ["export", "--format=--"],
    ],
)
def test_option_equals_dashes_is_never_a_traceback(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = outcome(args, capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("stableport")
    assert "[]" not in err
    if "--format=--" in args or "--completion=--" in args:
        assert "invalid choice: '--'" in err


def test_export_check_equals_dashes_checks_the_file_named_dashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stableport.toml").write_text('services = ["billing"]\n')
    assert main(["export"]) == 0
    (tmp_path / "--").write_text(capsys.readouterr().out)
    assert outcome(["export", "--check=--"], capsys) == (0, "--: up to date (1 variable(s))\n", "")


def test_the_name_form_imports_nothing_the_answer_does_not_need(tmp_path: Path) -> None:
    heavy = {"argparse", "json", "socket", "re", "typing", "tomllib", "tomli", "pathlib"}
    printed, imported = imported_by(
        "from stableport._cli import main; main(['billing'])", cwd=tmp_path
    )
    assert printed == f"{stableport.port_for('billing')}\n"
    assert sorted(imported & heavy) == []


def test_the_command_modules_import_without_the_parser() -> None:
    # What main dispatches to sits above what the commands share (answer,
    # options): no import circle, so each command's module loads alone, in
    # any order, and argparse's parser is built only when a command runs.
    _, imported = imported_by("import stableport._cli.commands.run, stableport._cli.commands.list")
    assert "stableport._cli.argparser" not in imported
    assert {"stableport._cli.answer", "stableport._cli.commands"} <= imported


# -- streams, signals and directories, with real processes ---------------------


def run_bytes(
    args: list[str],
    *,
    cwd: Path | None = None,
    stdout: int | IO[bytes] = subprocess.PIPE,
    **env: str,
) -> subprocess.CompletedProcess[bytes]:
    """The console script with byte streams, stdout piped unless given, env added."""
    assert SCRIPT is not None
    return subprocess.run(
        [SCRIPT, *args],
        cwd=cwd,
        env=clean_environment(env),
        check=False,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["list", "--help"]])
def test_version_and_help_report_a_failed_write(args: list[str]) -> None:
    with Path("/dev/full").open("wb") as full:
        result = run_bytes(args, stdout=full)
    assert result.returncode == 2
    assert result.stderr == (
        b"stableport: error: cannot write the output: [Errno 28] No space left on device\n"
    )


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["billing"], ["explain", "web"]])
def test_a_reader_gone_before_the_first_byte_is_141(args: list[str]) -> None:
    # The read end is closed before the process starts: its first write fails.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_bytes(args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, b"")


@pytest.mark.parametrize(
    "args", [["bad@name"], ["list", "--config", "missing.toml"], ["list", "--bogus"]]
)
@pytest.mark.parametrize("closed", ["2>&-", ">&- 2>&-"])
def test_with_stderr_closed_an_error_still_exits_2(args: list[str], closed: str) -> None:
    assert SCRIPT is not None
    command = " ".join(shlex.quote(arg) for arg in [SCRIPT, *args])
    result = subprocess.run(
        ["sh", "-c", f"{command} {closed}; echo $?"],
        capture_output=True,
        text=True,
        env=clean_environment(),
        check=False,
    )
    assert result.stdout == "2\n"


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    # A real SIGINT, delivered while the command is loading the configuration.
    script = (
        "import os, signal, sys\n"
        "import stableport._config as config\n"
        "from stableport._cli import main\n"
        "def interrupted(start):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return (None, None)\n"
        "config.discover = interrupted\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    for args in (["web"], ["list"]):
        result = python("-c", script, *args, cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (
            130,
            "",
            "stableport: interrupted\n",
        )


# -- the same outcomes from main() in this process, its streams real pipes, devices and
# files: where coverage sees them, and where the stream a failure happened on can be read back


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
    monkeypatch.chdir(tmp_path)
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


def test_main_with_stderr_closed_still_returns_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = (tmp_path / "stderr.txt").open("w")
    stderr.close()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["bad@name"]) == 2


def test_main_on_ctrl_c_says_one_line_and_returns_130(
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


@pytest.mark.slow  # real processes
def test_a_deleted_working_directory_names_the_cause(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    assert SCRIPT is not None
    command = f"cd {shlex.quote(str(gone))} && rmdir {shlex.quote(str(gone))} && "
    for args in ("web", "list", "init web"):
        result = subprocess.run(
            ["sh", "-c", command + f"{shlex.quote(SCRIPT)} {args}"],
            capture_output=True,
            text=True,
            env=clean_environment(),
            check=False,
        )
        gone.mkdir()
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "stableport: error: cannot look for a configuration from the working directory: "
            "No such file or directory (was it deleted?); change to an existing directory or "
            "name a file with STABLEPORT_CONFIG\n"
        )


@pytest.mark.skipif(sys.platform != "linux", reason="names are bytes on Linux only")
def test_a_directory_name_that_is_not_utf8(tmp_path: Path) -> None:
    directory = os.fsencode(tmp_path) + b"/caf\xe9-\xff"
    project = Path(os.fsdecode(directory))
    project.mkdir()
    (project / "stableport.toml").write_text('services = ["web", "zz-café"]\n', encoding="utf-8")
    for args in (["list", "--json"], ["check", "--json"], ["explain", "web", "--json"]):
        result = run_bytes(args, cwd=project, PYTHONIOENCODING="utf-8:strict")
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout.decode("utf-8"))  # strict UTF-8: no raw 0xFF
        assert os.fsencode(document["config"]) == directory + b"/stableport.toml"
    for args in (["list"], ["check"]):
        result = run_bytes(args, cwd=project, PYTHONIOENCODING="utf-8:strict")
        assert (result.returncode, result.stderr) == (0, b"")
    # Text output gives the name back as its bytes, as pwd does.
    assert directory + b"/stableport.toml" in result.stdout


# -- Ctrl-C while the console script is still loading -----------------------------------

# Sends this process a real SIGINT while the package is being imported: the
# moment at which the old entry point (stableport._cli:main) had no handler yet.
INTERRUPT_WHILE_IMPORTING = (
    "import importlib.abc, os, signal, sys\n"
    "class Interrupt(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'stableport._portmap':\n"
    "            os.kill(os.getpid(), signal.SIGINT)\n"
    "        return None\n"
    "sys.meta_path.insert(0, Interrupt())\n"
)


def test_ctrl_c_while_the_console_script_imports_is_one_line_and_130(tmp_path: Path) -> None:
    # The console script's own code (pyproject's [project.scripts] entry), run
    # as the installed script runs it: import the entry module, call main.
    script = INTERRUPT_WHILE_IMPORTING + ("from _stableport_cli import main\nsys.exit(main())\n")
    result = python("-c", script, "web", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        130,
        "",
        "stableport: interrupted\n",
    )


def test_the_console_script_entry_runs_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import _stableport_cli  # noqa: PLC0415 - the entry module, as the script imports it

    monkeypatch.setattr(sys, "argv", ["stableport", "billing"])
    assert _stableport_cli.main() == 0
    assert capsys.readouterr().out == f"{stableport.port_for('billing')}\n"


def test_the_console_script_entry_catches_ctrl_c_while_importing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.abc  # noqa: PLC0415

    import _stableport_cli  # noqa: PLC0415

    class Interrupt(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, *_args: object) -> None:
            if name == "stableport._cli":
                raise KeyboardInterrupt

    monkeypatch.delitem(sys.modules, "stableport._cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupt(), *sys.meta_path])
    assert _stableport_cli.main() == 130
    assert capsys.readouterr().err == "stableport: interrupted\n"


# -- output that a path cannot forge, and one line for a failed write ------------------


@pytest.mark.slow  # real processes
def test_a_newline_in_a_directory_name_cannot_forge_a_row(tmp_path: Path) -> None:
    # `stableport list | awk '$1=="web"{print $3}'` gave 1234, the forged row's port.
    project = tmp_path / "x\nweb  default  1234  hashed"
    project.mkdir()
    config = project / "stableport.toml"
    config.write_text('services = ["web"]\n')
    port = stableport.load(config).port_for("web")
    for args in (["list"], ["check"], ["explain", "web"]):
        result = run(*args, cwd=project)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"config: {str(config)!r}\n")
    rows = [line.split() for line in run("list", cwd=project).stdout.splitlines()]
    assert [row[2] for row in rows if row[:1] == ["web"]] == [str(port)]


@pytest.mark.slow  # real processes
def test_init_quotes_a_path_that_would_break_its_lines(tmp_path: Path) -> None:
    project = tmp_path / "a\nb"
    project.mkdir()
    result = run("init", "web", "--namespace", "ab", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"created {str(project / 'stableport.toml')!r}:\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("output_format", ["json", "env"])
def test_export_of_no_services_to_a_full_device_is_one_line(
    tmp_path: Path, output_format: str
) -> None:
    # It was two: the "no services" note, then the failed write's error.
    with Path("/dev/full").open("wb") as full:
        result = run_bytes(["export", "--format", output_format], cwd=tmp_path, stdout=full)
    assert result.returncode == 2
    assert len(result.stderr.decode().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(b"stableport: error: nothing to export: ")
