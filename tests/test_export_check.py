"""export --check FILE: exit 0 only for exactly export's output; each difference named."""

import errno
import os
from pathlib import Path

import pytest

from stableport._cli import main
from stableport._exported import Entry, read

from .util import Run, git, git_repository, run, run_redirected

pytestmark = pytest.mark.slow  # real console scripts

CONFIG = """\
namespace = "shop"
services = ["web", "billing-api", "postgres"]
envs = ["dev", "prod"]
env = "dev"
pins = { "web@prod" = 8080 }
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    return tmp_path


def export(cli: Run, project: Path, *args: str) -> str:
    result = cli("export", *args, cwd=project)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check(cli: Run, project: Path, *args: str) -> tuple[int, str]:
    result = cli("export", "--check", *args, cwd=project)
    assert result.stderr == "", result.stderr
    return result.returncode, result.stdout


@pytest.mark.parametrize(
    ("output_format", "name", "edited"),
    [
        ("env", ".env", ("WEB_PORT={port}", "WEB_PORT=8000")),
        ("shell", "ports.sh", ("export WEB_PORT={port}", "export WEB_PORT=8000")),
        ("json", "values.json", ('"WEB_PORT": {port}', '"WEB_PORT": 8000')),
    ],
)
def test_a_port_edited_by_hand_is_named_and_export_makes_it_pass(
    cli: Run, project: Path, output_format: str, name: str, edited: tuple[str, str]
) -> None:
    options = ["--format", output_format]
    path = project / name
    path.write_text(export(cli, project, *options))
    # JSON also carries the namespace, as the variable that selects it.
    count = 4 if output_format == "json" else 3
    assert check(cli, project, name, *options) == (0, f"{name}: up to date ({count} variable(s))\n")
    web = int(export(cli, project, "--format", "env").split("WEB_PORT=")[1])
    text = path.read_text()
    old, new = (part.format(port=web) for part in edited)
    path.write_text(text.replace(old, new))
    code, output = check(cli, project, name, *options)
    fix = "stableport export" + ("" if output_format == "env" else f" --format {output_format}")
    shown_value = "8000"
    assert (code, output) == (
        1,
        f"{name}: WEB_PORT: the file has {shown_value}, the map has {web}\nfix: {fix} > {name}\n",
    )
    path.write_text(export(cli, project, *options))
    assert check(cli, project, name, *options)[0] == 0


def test_missing_extra_and_repeated_variables_are_each_a_line(cli: Run, project: Path) -> None:
    text = export(cli, project)
    lines = text.splitlines()
    (project / ".env").write_text(f"{lines[0]}\n{lines[2]}\nREDIS_PORT=6379\n{lines[2]}\n")
    postgres = lines[1].split("=")[1]
    code, output = check(cli, project, ".env")
    assert code == 1
    assert output.splitlines() == [
        ".env: WEB_PORT: set again on line 4; export sets it once",
        f".env: POSTGRES_PORT: the file has none, the map has {postgres}",
        ".env: REDIS_PORT: the file has 6379, the map has none",
        "fix: stableport export > .env",
    ]


def test_the_options_select_the_map_and_the_fix_repeats_them(cli: Run, project: Path) -> None:
    (project / "prod.env").write_text(export(cli, project, "--env", "prod", "--prefix", "APP_"))
    assert check(cli, project, "prod.env", "--env", "prod", "--prefix", "APP_")[0] == 0
    code, output = check(cli, project, "prod.env", "--env", "dev", "--prefix", "APP_")
    assert code == 1
    assert ".env: APP_WEB_PORT: the file has 8080, the map has " in output
    assert output.endswith("fix: stableport export --env dev --prefix APP_ > prod.env\n")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda data: b"\xef\xbb\xbf" + data, "starts with a byte order mark, which export never"),
        (lambda data: data.replace(b"\n", b"\r\n"), "ends its lines with CRLF; export writes LF"),
        (lambda data: b"# generated\n" + data, "line 1 is '# generated', export writes 'BILLING"),
        (lambda data: b"\n".join(reversed(data.split(b"\n")[:-1])) + b"\n", "line 1 is 'WEB_"),
        (lambda data: data + b"\n", "has 4 line(s), export writes 3"),
    ],
)
def test_the_same_values_written_otherwise_are_not_exports_output(
    cli: Run, project: Path, change: "object", why: str
) -> None:
    data = export(cli, project).encode()
    assert callable(change)
    (project / ".env").write_bytes(change(data))
    code, output = check(cli, project, ".env")
    assert code == 1
    assert output.startswith(f".env: {why}"), output


def test_bytes_that_are_not_utf8_still_name_the_variable(cli: Run, project: Path) -> None:
    text = export(cli, project)
    (project / ".env").write_bytes(text.replace("WEB_PORT=", "WEB_PORT=\xff", 1).encode("latin-1"))
    code, output = check(cli, project, ".env")
    assert code == 1
    assert ".env: WEB_PORT: the file has \ufffd" in output


def test_a_file_in_another_format_is_one_line(cli: Run, project: Path) -> None:
    (project / "values.json").write_text(export(cli, project, "--format", "json"))
    assert check(cli, project, "values.json") == (
        1,
        "values.json: is written as --format json, not --format env: check it with "
        "--format json, or rewrite it\nfix: stableport export > values.json\n",
    )


def test_a_missing_file_fails_with_the_command_that_writes_it(cli: Run, project: Path) -> None:
    assert check(cli, project, "deploy/ports.env") == (
        1,
        "deploy/ports.env: does not exist\nfix: stableport export > deploy/ports.env\n",
    )


def test_a_huge_file_is_not_read_whole(cli: Run, project: Path) -> None:
    with (project / ".env").open("wb") as file:
        file.write(export(cli, project).encode())
        file.truncate(256 * 1024 * 1024)  # sparse: big, yet cheap
    code, output = check(cli, project, ".env")
    assert code == 1
    assert output.startswith(".env: line 4: not NAME=VALUE: '\\x00")


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_no_regular_file_is_an_error_and_never_waits(cli: Run, project: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(project / ".env")
    else:
        (project / ".env").mkdir()
    result = run("export", "--check", ".env", cwd=project, timeout=30)  # a wait would time out
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "stableport: error: cannot read '.env': it is not a regular file, as export writes one\n"
    )
    # Proven not to wait: the same answer from main(argv) in this process.
    assert cli("export", "--check", ".env", cwd=project).stderr == result.stderr


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names descriptors by /proc")
def test_a_read_that_fails_half_way_is_an_error_naming_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".env").write_text("WEB_PORT=1\n")
    monkeypatch.chdir(project)
    fstat = os.fstat

    def failing_fstat(descriptor: int) -> os.stat_result:
        if Path(f"/proc/self/fd/{descriptor}").readlink().name == ".env":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return fstat(descriptor)

    monkeypatch.setattr(os, "fstat", failing_fstat)  # a disk error after .env's open
    assert main(["export", "--check", ".env"]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: cannot read '.env': Input/output error\n"
    )


def test_closed_stdout_is_an_error_not_a_pass(cli: Run, project: Path) -> None:
    (project / ".env").write_text(export(cli, project))
    result = run_redirected(">&-", "export", "--check", ".env", cwd=project)
    assert result.returncode == 2
    assert "no standard output" in result.stderr


def test_the_reader_reads_what_people_write_by_hand() -> None:
    text = "# ports\n\nexport A_PORT=1\nB_PORT = '2'\nC_PORT=\"3\"\nD_PORT=4 # four\n=5\n"
    reading = read(text, "env")
    assert reading.entries == [
        Entry("A_PORT", "1", 3),
        Entry("B_PORT", "2", 4),
        Entry("C_PORT", "3", 5),
        Entry("D_PORT", "4", 6),
    ]
    assert reading.unreadable == [(7, "not NAME=VALUE: '=5'")]


def test_the_json_reader_keeps_types_repeats_and_lines() -> None:
    reading = read('{\n  "A_PORT": 1,\n  "B_PORT": "2",\n  "A_PORT": 3,\n  "N": {}\n}\n', "json")
    first, second, again = (
        Entry("A_PORT", "1", 2),
        Entry("B_PORT", '"2"', 3),
        Entry("A_PORT", "3", 2),
    )
    assert reading.entries == [first, second, again]
    assert reading.unreadable == [(5, "'N' holds a JSON dict, not a value")]
    assert read("[1]", "json").unreadable == [(1, "not a JSON object")]
    assert read("{", "json").unreadable[0][0] == 1


def test_a_path_that_cannot_be_opened_is_an_error_naming_it(
    cli: Run, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "deploy").write_text("a file, not a directory")
    result = cli("export", "--check", "deploy/ports.env", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("stableport: error: cannot read 'deploy/ports.env': Not a directory\n")
    # A NUL cannot reach a process's arguments; main(argv) in this process can take one.
    assert main(["export", "--check", "a\0b", "--config", str(project / "stableport.toml")]) == 2
    assert "cannot read 'a\\x00b': not a valid path" in capsys.readouterr().err


def test_the_proof_a_stale_env_and_a_hand_edited_manifest_until_export(
    cli: Run, tmp_path: Path
) -> None:
    """Issue 31's proof: a repository with a stale .env, a compose file and a manifest."""
    compose = 'services:\n  web:\n    ports:\n      - "${WEB_PORT}:8000"\n'
    repo = git_repository(
        tmp_path / "shop",
        {
            "stableport.toml": CONFIG.replace('namespace = "shop"', 'namespace = "old"'),
            "compose.yaml": compose,
            ".gitignore": ".env\n",
        },
    )
    # Written before the namespace changed: every port in it is stale now.
    (repo / ".env").write_text(cli("export", cwd=repo).stdout)
    (repo / "stableport.toml").write_text(CONFIG)
    (repo / "deploy").mkdir()
    values = repo / "deploy" / "values.json"
    values.write_text(cli("export", "--env", "prod", "--format", "json", cwd=repo).stdout)
    values.write_text(values.read_text().replace('"WEB_PORT": 8080', '"WEB_PORT": 8081'))
    git("add", ".", cwd=repo)

    stale = cli("export", "--check", ".env", cwd=repo)
    assert stale.returncode == 1
    assert [line.split(":")[1].strip() for line in stale.stdout.splitlines()[:-1]] == [
        "BILLING_API_PORT",
        "POSTGRES_PORT",
        "WEB_PORT",
    ]
    edited = cli(
        "export", "--env", "prod", "--format", "json", "--check", "deploy/values.json", cwd=repo
    )
    assert edited.returncode == 1
    assert edited.stdout.splitlines()[0] == (
        "deploy/values.json: WEB_PORT: the file has 8081, the map has 8080"
    )
    checked = cli("check", "--scan", cwd=repo)
    assert checked.returncode == 1  # the .env's ports are no port of this checkout
    assert checked.stdout.count("fix: stableport export > .env") == 3
    assert "deploy/values.json:" in checked.stdout  # no longer export's: its numbers are copies
    assert "compose.yaml" not in checked.stdout  # ${WEB_PORT}: no copy

    (repo / ".env").write_text(cli("export", cwd=repo).stdout)
    values.write_text(cli("export", "--env", "prod", "--format", "json", cwd=repo).stdout)
    assert cli("export", "--check", ".env", cwd=repo).returncode == 0
    assert (
        cli(
            "export", "--env", "prod", "--format", "json", "--check", "deploy/values.json", cwd=repo
        ).returncode
        == 0
    )
    checked = cli("check", "--strict", "--scan", cwd=repo)
    assert checked.returncode == 0, checked.stdout
    assert "literal port(s); skipped: 1 as export writes it" in checked.stdout
