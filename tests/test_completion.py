"""Shell completion: the generated bash function run in a real bash, and the names it asks for."""

import shutil
import subprocess
from pathlib import Path

import pytest

from stableport._cli import main
from stableport._completion import completion

from .util import SCRIPT, clean_environment, imported_by, run

# Real processes (console scripts, bash): left out of the quick loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

CONFIG = 'services = ["web", "api", "billing-api"]\nenvs = ["dev", "test"]\nenv = "dev"\n'
COMMANDS = ["list", "explain", "check", "export", "init", "run", "instance", "ps"]

# Sources the script, then completes the line given as $1 as bash would: the
# words split at blanks, the cursor in the last one (empty after a space).
COMPLETE = """
set -u
source "$SCRIPT_FILE"
line=$1
read -ra COMP_WORDS <<< "$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_stableport
printf '%s\\n' "${COMPREPLY[@]}"
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bash script, as `stableport --completion bash` prints it."""
    result = run("--completion", "bash")
    assert (result.returncode, result.stderr) == (0, "")
    path = tmp_path_factory.mktemp("completion") / "stableport.bash"
    path.write_text(result.stdout)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    return tmp_path


def complete(script: Path, line: str, cwd: Path) -> list[str]:
    """What bash offers for line, in cwd, with the console script on PATH."""
    assert SCRIPT is not None
    environment = clean_environment({"SCRIPT_FILE": str(script)})
    environment["PATH"] = f"{Path(SCRIPT).parent}:{environment.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", COMPLETE, "complete", line],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=environment,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return [word for word in result.stdout.splitlines() if word]


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("stableport ", [*COMMANDS, "api", "billing-api", "web"]),
        ("stableport b", ["billing-api"]),
        ("stableport e", ["explain", "export"]),
        ("stableport web --env ", ["dev", "test"]),
        ("stableport web --env t", ["test"]),
        ("stableport explain ", ["api", "billing-api", "web"]),
        ("stableport explain web ", []),
        ("stableport run w", ["web"]),
        ("stableport export --format ", ["env", "json", "shell"]),
        ("stableport export --env ", ["dev", "test"]),
        ("stableport list --a", ["--all-envs"]),
        ("stableport check --", ["--help", "--config", "--json", "--live", "--scan", "--strict"]),
        ("stableport --env test -- ", []),
        ("stableport web --namespace ", []),
        ("stableport --e", ["--env"]),
        ("stableport instance ", ["show", "new"]),
        ("stableport instance n", ["new"]),
        ("stableport instance new ", []),
    ],
)
def test_bash_completes_commands_options_and_declared_names(
    script: Path, project: Path, line: str, offered: list[str]
) -> None:
    assert complete(script, line, project) == offered


def test_bash_reads_the_config_named_on_the_line(script: Path, tmp_path: Path) -> None:
    other = tmp_path / "ports.toml"
    other.write_text('services = ["queue"]\nenvs = ["ci"]\n')
    assert complete(script, f"stableport --config {other} q", tmp_path) == ["queue"]
    assert complete(script, f"stableport --config {other} web --env ", tmp_path) == ["ci"]


def test_outside_a_project_only_commands_are_offered(script: Path, tmp_path: Path) -> None:
    assert complete(script, "stableport ", tmp_path) == COMMANDS
    assert complete(script, "stableport web --env ", tmp_path) == []


def test_a_broken_configuration_completes_nothing_and_says_nothing(
    script: Path, tmp_path: Path
) -> None:
    (tmp_path / "stableport.toml").write_text("services = [")
    assert complete(script, "stableport explain ", tmp_path) == []
    assert run("--completion", "services", cwd=tmp_path).stdout == ""


def test_the_names_are_those_the_commands_read(project: Path) -> None:
    assert run("--completion", "services", cwd=project).stdout == "api\nbilling-api\nweb\n"
    assert run("--completion", "envs", cwd=project).stdout == "dev\ntest\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_script_names_every_command_and_option(shell: str) -> None:
    text = completion(shell, None)
    for word in [*COMMANDS, "--env", "--all-envs", "--live", "--format", "--prefix"]:
        assert word.removeprefix("--") in text, (shell, word)


# zsh runs the bash function through bashcompinit, which makes arrays 0-based
# (ksharrays) as this harness does; fish asks its own `complete -C`.
OTHER_SHELLS = {
    "zsh": (
        "source {script}; setopt ksharrays; COMP_WORDS=(stableport web --env ''); "
        'COMP_CWORD=3; _stableport; print -l -- "${{COMPREPLY[@]}}"; '
        "COMP_WORDS=(stableport explain ''); COMP_CWORD=2; _stableport; "
        'print -l -- "${{COMPREPLY[@]}}"; '
        "COMP_WORDS=(stableport instance ''); COMP_CWORD=2; _stableport; "
        'print -l -- "${{COMPREPLY[@]}}"; '
        "COMP_WORDS=(stableport instance new ''); COMP_CWORD=3; _stableport; "
        'print -l -- "${{COMPREPLY[@]}}"'
    ),
    "fish": (
        "source {script}; complete -C 'stableport web --env '; complete -C 'stableport explain '; "
        "complete -C 'stableport instance '; complete -C 'stableport instance new '"
    ),
}


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_complete_where_the_shell_is_installed(shell: str, project: Path) -> None:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed; bash runs the completion above")
    assert SCRIPT is not None
    path = project / f"stableport.{shell}"
    path.write_text(completion(shell, None))
    environment = clean_environment()
    environment["PATH"] = f"{Path(SCRIPT).parent}:{environment.get('PATH', '')}"
    flags = ["-f"] if shell == "zsh" else ["--no-config"]
    result = subprocess.run(
        [found, *flags, "-c", OTHER_SHELLS[shell].format(script=path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
        env=environment,
    )
    assert (result.returncode, result.stderr) == (0, "")
    # The last print has no word to print: zsh prints an empty line for it.
    offered = [line.split("\t")[0] for line in result.stdout.splitlines() if line]
    instance = ["show", "new"] if shell == "zsh" else ["new", "show"]  # fish sorts
    assert offered == ["dev", "test", "api", "billing-api", "web", *instance]


def test_the_fast_path_imports_no_completion_code(tmp_path: Path) -> None:
    _, modules = imported_by("from stableport._cli import main; main(['billing'])", cwd=tmp_path)
    assert "stableport._completion" not in modules
    assert "argparse" not in modules


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--completion", "tcsh"]) == 2
    assert "argument --completion: invalid choice: 'tcsh'" in capsys.readouterr().err


def test_in_process_the_script_is_written_whole(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--completion", "fish"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# stableport completion for fish")
    assert "complete -c stableport -n '__fish_seen_subcommand_from export' -l format" in out


def test_names_from_the_file_are_never_run_by_the_shell(script: Path, tmp_path: Path) -> None:
    """A cloned repository's stableport.toml must not run code when you press Tab."""
    marker = tmp_path / "pwned"
    (tmp_path / "stableport.toml").write_text(
        f'services = ["web", "$(touch {marker})", "a b", "x*"]\n'
        f'envs = ["dev", "`touch {marker}`"]\n'
    )
    offered = complete(script, "stableport ", tmp_path)
    assert not marker.exists()
    # Each name is one candidate, quoted as the command line needs it.
    assert offered == [
        *COMMANDS,
        f"\\$\\(touch\\ {marker}\\)",
        "a\\ b",
        "web",
        "x\\*",
    ]
    envs = complete(script, "stableport web --env ", tmp_path)
    assert not marker.exists()
    assert envs == [f"\\`touch\\ {marker}\\`", "dev"]


def test_in_process_the_names_and_a_broken_file(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = str(project / "stableport.toml")
    assert completion("services", config) == "api\nbilling-api\nweb\n"
    assert completion("envs", config) == "dev\ntest\n"
    broken = tmp_path_factory.mktemp("broken") / "stableport.toml"
    broken.write_text("services = [")
    assert completion("services", str(broken)) == ""


def test_names_the_encoding_cannot_show_suggest_no_json(tmp_path: Path) -> None:
    # The line ended "or --json, which is always UTF-8": the NAME form has no --json.
    (tmp_path / "stableport.toml").write_text('services = ["café"]\n', encoding="utf-8")
    result = run("--completion", "services", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("stableport: error: standard output's encoding (ascii)")
    assert result.stderr.endswith("; use a UTF-8 locale or PYTHONIOENCODING=utf-8\n")
