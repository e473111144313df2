"""check reads the .env beside the configuration: a port in it that is not this checkout's."""

import os
import subprocess
from pathlib import Path

import pytest

from stableport._config import load_with_origin

from .util import SCRIPT, clean_environment, git_repository, run

pytestmark = pytest.mark.slow  # real console scripts

CONFIG = """\
namespace = "shop"
services = ["web", "billing-api", "2fa"]
envs = ["dev", "test"]
env = "dev"
instances = 3
"""


@pytest.fixture
def main(tmp_path: Path) -> Path:
    return git_repository(tmp_path / "shop", {"stableport.toml": CONFIG})


def port(main: Path, service: str, instance: int, env: str = "dev") -> int:
    pm, _ = load_with_origin(main / "stableport.toml", instance=str(instance))
    return pm.port_for(service, env)


def test_a_dotenv_copied_from_the_main_checkout_is_a_problem_until_exported(main: Path) -> None:
    # Written in the main checkout (instance 0), then copied for its secrets; 2fa
    # has no variable (export refuses it), and REDIS_PORT is no declared service's.
    (main / ".env").write_text(
        f"SECRET=hunter2\nBILLING_API_PORT={port(main, 'billing-api', 0)}\n"
        f"WEB_PORT={port(main, 'web', 0)}\nREDIS_PORT=6379\n"
    )
    checked = run("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"})
    assert checked.returncode == 1
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    path = main / ".env"
    assert problems == [
        f"problem: {path} {name}: line {line} sets {port(main, service, 0)}, the main "
        f"checkout's port, but this checkout's {service} port is {port(main, service, 2)}; "
        f"compose, make and --env-file read the file's; fix: stableport export > .env"
        for name, line, service in [("BILLING_API_PORT", 2, "billing-api"), ("WEB_PORT", 3, "web")]
    ]
    assert run("check", cwd=main, env={"STABLEPORT_INSTANCE": "0"}).returncode == 0
    fixed = run("export", "--prefix", "APP_", cwd=main, env={"STABLEPORT_INSTANCE": "2"})
    path.write_text(fixed.stdout.replace("APP_", ""))
    assert run("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"}).returncode == 0


def test_another_instance_and_a_stranger_value_are_named_apart(main: Path) -> None:
    (main / ".env").write_text(
        f"export WEB_PORT='{port(main, 'web', 3)}'  \nBILLING_API_PORT=${{API}}\n"
    )
    checked = run("check", cwd=main, env={"STABLEPORT_INSTANCE": "1"})
    assert checked.returncode == 1
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    assert len(problems) == 2
    assert f"sets {port(main, 'web', 3)}, instance 3's port, but" in problems[0]
    assert "line 2 sets ${API}, but this checkout's billing-api port is" in problems[1]


def test_this_checkouts_port_in_any_declared_env_is_fine(main: Path) -> None:
    (main / ".env").write_text(run("export", "--env", "test", cwd=main).stdout)
    checked = run("check", cwd=main)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("kind", ["fifo", "directory", "none"])
def test_no_regular_dotenv_is_nothing_to_check_and_never_waits(main: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(main / ".env")
    elif kind == "directory":
        (main / ".env").mkdir()
    assert SCRIPT is not None
    checked = subprocess.run(
        [SCRIPT, "check"],
        cwd=main,
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    assert ".env" not in checked.stdout
