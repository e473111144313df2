"""check reads the .env beside the configuration: a port in it that is not this checkout's."""

import os
from pathlib import Path

import pytest

from stableport._config import load_with_origin

from .util import Run, git_repository, run

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


def test_a_dotenv_copied_from_the_main_checkout_is_a_problem_until_exported(
    cli: Run, main: Path
) -> None:
    # Written in the main checkout (instance 0), then copied for its secrets; 2fa
    # has no variable (export refuses it), and REDIS_PORT is no declared service's.
    (main / ".env").write_text(
        f"SECRET=hunter2\nBILLING_API_PORT={port(main, 'billing-api', 0)}\n"
        f"WEB_PORT={port(main, 'web', 0)}\nREDIS_PORT=6379\n"
    )
    checked = cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"})
    assert checked.returncode == 1
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    path = main / ".env"
    assert problems == [
        f"problem: {path} {name}: line {line} sets {port(main, service, 0)}, the main "
        f"checkout's port, but this checkout's {service} port is {port(main, service, 2)}; "
        f"compose, make and --env-file read the file's; fix: stableport export > .env"
        for name, line, service in [("BILLING_API_PORT", 2, "billing-api"), ("WEB_PORT", 3, "web")]
    ]
    assert cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "0"}).returncode == 0
    fixed = cli("export", "--prefix", "APP_", cwd=main, env={"STABLEPORT_INSTANCE": "2"})
    path.write_text(fixed.stdout.replace("APP_", ""))
    assert cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"}).returncode == 0


def test_another_instance_and_a_stranger_value_are_named_apart(cli: Run, main: Path) -> None:
    (main / ".env").write_text(
        f"export WEB_PORT='{port(main, 'web', 3)}'  \nBILLING_API_PORT=${{API}}\n"
    )
    checked = cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "1"})
    assert checked.returncode == 1
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    assert len(problems) == 2
    assert f"sets {port(main, 'web', 3)}, instance 3's port, but" in problems[0]
    assert "line 2 sets ${API}, but this checkout's billing-api port is" in problems[1]


def test_this_checkouts_port_in_any_declared_env_is_fine(cli: Run, main: Path) -> None:
    (main / ".env").write_text(cli("export", "--env", "test", cwd=main).stdout)
    checked = cli("check", cwd=main)
    assert checked.returncode == 0, checked.stdout


def test_no_dotenv_is_nothing_to_check(cli: Run, main: Path) -> None:
    checked = cli("check", cwd=main)
    assert checked.returncode == 0, checked.stdout
    assert ".env" not in checked.stdout


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_dotenv_that_is_no_file_is_a_problem_and_never_waited_on(main: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(main / ".env")
    else:
        (main / ".env").mkdir()
    checked = run("check", cwd=main, timeout=30)  # a wait would time out
    assert checked.returncode == 1, checked.stdout
    assert (
        f"problem: {main / '.env'}: cannot read '{main / '.env'}': it is not a regular file, "
        f"as export writes one; check cannot tell whose ports it holds\n"
    ) in checked.stdout


def test_a_dotenv_that_cannot_be_read_is_a_problem_not_a_pass(cli: Run, main: Path) -> None:
    (main / ".env").symlink_to(".env")  # a loop: there is a name, and no file
    checked = cli("check", cwd=main)
    assert checked.returncode == 1
    assert f"problem: {main / '.env'}: cannot read '{main / '.env'}': " in checked.stdout
    assert "check cannot tell whose ports it holds" in checked.stdout


def test_without_a_configuration_no_dotenv_is_read(cli: Run, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WEB_PORT=1\n")
    checked = cli("check", cwd=tmp_path)
    assert checked.returncode == 0
    assert ".env" not in checked.stdout


def test_a_copied_instance_variable_is_a_problem_and_exports_own_passes(
    cli: Run, main: Path
) -> None:
    written = cli(
        "export", "--with-instance", "--prefix", "APP_", cwd=main, env={"STABLEPORT_INSTANCE": "0"}
    )
    assert written.stdout.startswith("STABLEPORT_INSTANCE=0\n")
    (main / ".env").write_text(written.stdout)
    checked = cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"})
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    assert problems[0] == (
        f"problem: {main / '.env'} STABLEPORT_INSTANCE: line 1 sets 0, but this checkout is "
        f"instance 2; fix: stableport export --with-instance > .env"
    )
    own = cli(
        "export", "--with-instance", "--prefix", "APP_", cwd=main, env={"STABLEPORT_INSTANCE": "2"}
    )
    (main / ".env").write_text(own.stdout)
    assert cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "2"}).returncode == 0


def test_a_dotenv_written_on_windows_is_read_as_any_other(cli: Run, main: Path) -> None:
    """A BOM, CRLF line ends, quotes and a comment: the same ports, the same verdict."""
    stale = port(main, "web", 0)
    (main / ".env").write_bytes(
        f'\ufeff# copied\r\nSECRET="a b"\r\nWEB_PORT="{stale}" \r\n'.encode()
    )
    checked = cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "1"})
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem")]
    assert len(problems) == 1
    assert f"WEB_PORT: line 3 sets {stale}, the main checkout's port, but" in problems[0]
    (main / ".env").write_bytes(f"\ufeffWEB_PORT={port(main, 'web', 1)}\r\n".encode())
    assert cli("check", cwd=main, env={"STABLEPORT_INSTANCE": "1"}).returncode == 0
