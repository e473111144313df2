"""The smallest command line, run as a real console script and as python -m."""

import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport._cli import main

from .util import imported_by, run


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


def test_python_dash_m_matches_the_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stableport", "Billing"],
        capture_output=True,
        text=True,
        check=True,
    )
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


def test_version_and_help() -> None:
    assert run("--version").stdout == f"stableport {stableport.__version__}\n"
    assert "Print the stable port of a service" in run("--help").stdout


def test_in_process_main_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "staging", "billing"]) == 0
    assert capsys.readouterr().out == f"{stableport.port_for('billing', env='staging')}\n"
    assert main(["billing", "--env", ""]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: environment name is empty; give at least one character\n"
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
    with pytest.raises(SystemExit) as caught:
        main(["billing", "auth"])
    assert caught.value.code == 2
    assert "unrecognized arguments: auth" in capsys.readouterr().err


def test_the_name_form_imports_nothing_the_answer_does_not_need(tmp_path: Path) -> None:
    heavy = {"argparse", "json", "socket", "re", "typing", "tomllib", "tomli", "pathlib"}
    printed, imported = imported_by(
        "from stableport._cli import main; main(['billing'])", cwd=tmp_path
    )
    assert printed == f"{stableport.port_for('billing')}\n"
    assert sorted(imported & heavy) == []
