"""list, explain, check and export: real console script runs, and main(argv) in-process."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import stableport
from stableport._cli import main

from .util import SCRIPT, free_namespace, own_name, run

DECLARED = """\
services = ["billing", "auth", "search", "billing-api"]
envs = ["dev", "test"]
env = "dev"
"""
CONFIG = f"""{DECLARED}
[pins]
"auth@test" = 8002
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with a stableport.toml, as the working directory."""
    (tmp_path / "stableport.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_in(directory: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = run(*args, env=env, cwd=directory)
    return result.returncode, result.stdout, result.stderr


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- list -------------------------------------------------------------------


def test_list_prints_an_aligned_table_of_the_default_env(project: Path) -> None:
    code, out, err = run_in(project, "list")
    pm = stableport.load()
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"config: {project / 'stableport.toml'}",
        "SERVICE      ENV   PORT  HOW",
        f"auth         dev  {pm.port_for('auth'):>5}  hashed",
        f"billing      dev  {pm.port_for('billing'):>5}  hashed",
        f"billing-api  dev  {pm.port_for('billing-api'):>5}  hashed",
        f"search       dev  {pm.port_for('search'):>5}  hashed",
    ]


def test_list_json_agrees_with_the_python_api_for_every_declared_pair(project: Path) -> None:
    code, out, _ = run_in(project, "list", "--all-envs", "--json")
    document = json.loads(out)
    pm = stableport.load()
    assert code == 0
    assert document["config"] == str(project / "stableport.toml")
    assert {(e["service"], e["env"]): e["port"] for e in document["entries"]} == pm.assignments()
    assert document["entries"][1] == {
        "service": "auth",
        "env": "test",
        "port": 8002,
        "how": "pinned",
        "skipped": 0,
        "pin": "auth@test",
    }


def test_list_tells_pinned_overridden_and_probed_apart(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 27015-27022: Steam, then MongoDB x3; a and b crowd the four ports left.
    (project / "stableport.toml").write_text(
        'services = ["a", "b", "c"]\nrange = [27015, 27022]\n[pins]\nc = 27020\n'
    )
    monkeypatch.setenv("STABLEPORT_PINS", "c=27021")
    code, out, _ = call(capsys, "list")
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    pm = stableport.load()
    assert code == 0
    assert rows["c"].endswith("27021  overridden (STABLEPORT_PINS c=27021)")
    for service in ("a", "b"):
        story = pm.explain(service)
        expected = "hashed" if story.how == "hashed" else f"probed past {len(story.probes) - 1}"
        assert expected in rows[service]
    assert "probed past" in out  # at least one of a and b was pushed off a port


@pytest.mark.usefixtures("project")
def test_list_of_one_env_and_of_an_undeclared_env(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "list", "--env", "test", "--json")
    entries = json.loads(out)["entries"]
    assert code == 0
    assert [e["env"] for e in entries] == ["test"] * 4
    assert entries[0]["how"] == "pinned"
    code, out, _ = call(capsys, "list", "--env", "Staging")
    assert {line.split()[1] for line in out.splitlines()[2:]} == {"staging"}


def test_list_without_services_says_so_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert call(capsys, "list") == (
        0,
        "",
        "stableport: no services declared in the built-in defaults "
        f"(no stableport.toml or [tool.stableport] found in {Path.cwd()} or above it)\n",
    )


def test_all_envs_and_env_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--all-envs", "--env", "dev"]) == 2
    assert capsys.readouterr().err == (
        "stableport list: error: argument --env: not allowed with argument --all-envs; "
        "see 'stableport list --help'\n"
    )


# -- explain ----------------------------------------------------------------


def test_explain_prints_the_story_of_the_port(project: Path) -> None:
    code, out, err = run_in(project, "explain", "search")
    story = stableport.load().explain("search")
    assert (code, out, err) == (0, f"config: {project / 'stableport.toml'}\n{story}\n", "")
    assert out.splitlines()[1].startswith(f"search@dev -> {story.port}: ")
    assert "  key: b'stableport\\x00v1\\x00dev\\x00search'\n" in out


@pytest.mark.usefixtures("project")
def test_explain_json_has_the_key_and_every_probe(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "explain", "Billing", "--env", "test", "--json")
    document = json.loads(out)
    story = stableport.load().explain("billing", "test")
    assert code == 0
    assert document["key"] == "stableport\x00v1\x00test\x00billing"
    assert document["declared"] is True
    assert document["port"] == story.port == stableport.port_for("billing", env="test")
    assert document["probes"] == [probe._asdict() for probe in story.probes]
    assert document["probes"][-1]["verdict"] == "taken"


def test_explain_of_a_pin_says_where_it_comes_from(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = f"config: {project / 'stableport.toml'}\n"
    assert call(capsys, "explain", "auth", "--env", "test")[1] == (
        f"{config}auth@test -> 8002: pinned by pins['auth@test']\n"
    )
    monkeypatch.setenv("STABLEPORT_PINS", "auth@test=9002")
    assert call(capsys, "explain", "auth", "--env", "test")[1] == (
        f"{config}auth@test -> 9002: pinned by pins['auth@test']\n"
        "  (the pin comes from STABLEPORT_PINS, not the file)\n"
    )
    document = json.loads(call(capsys, "explain", "auth", "--env", "test", "--json")[1])
    assert (document["how"], document["key"], document["probes"]) == ("overridden", None, [])


def test_explain_of_an_undeclared_name_warns_it_may_share(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = call(capsys, "explain", "adhoc")
    assert code == 0
    assert out.endswith(
        f"  note: 'adhoc' is not declared in {project / 'stableport.toml'}: its port avoids "
        "every declared one, but another undeclared name may share it\n"
    )


# -- check ------------------------------------------------------------------


def test_check_of_a_sound_config_exits_0_with_notes(project: Path) -> None:
    code, out, err = run_in(project, "check")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"config: {project / 'stableport.toml'}"
    # The fixture's configuration declares services without a namespace.
    assert all(line.startswith("note: range: 20000-29999 overlaps ") for line in lines[1:-2])
    assert lines[-2].startswith("note: namespace: none is set, so every other project")
    assert lines[-1] == f"ok ({len(lines) - 2} note(s))"


def test_check_reports_problems_and_exits_1(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "stableport.toml").write_text(CONFIG + "metrics = 6667\n")
    monkeypatch.setenv("STABLEPORT_PINS", "auth@test=9002")
    code, out, _ = call(capsys, "check")
    assert code == 1
    assert "problem: pins['metrics']: 6667 is blocked by browsers" in out
    assert (
        "problem: STABLEPORT_PINS: replaces the file's pin auth@test = 8002 with 9002; "
        "unset the variable to use the file's port"
    ) in out
    assert "problem: pins['metrics']: pins 'metrics' to 6667 in every environment" in out
    assert out.splitlines()[-1].startswith("3 problem(s), ")
    code, out, _ = call(capsys, "check", "--json")
    document = json.loads(out)
    assert (code, document["ok"], document["live"]) == (1, False, None)
    assert {finding["level"] for finding in document["findings"]} == {"problem", "note"}


@pytest.fixture
def held_billing_port(project: Path) -> Iterator[tuple[int, socket.socket]]:
    """A real listener on the port assigned to billing@dev.

    The project gets a namespace under which all its ports are free now, and
    no pin: the test binds one and then expects every other one free, on a host
    where other runs of this suite hold CONFIG's fixed ports at the same instant.
    """

    def ports(namespace: str) -> list[int]:
        return list(stableport.load(written(namespace)).assignments().values())

    def written(namespace: str) -> Path:
        path = project / "stableport.toml"
        path.write_text(f'namespace = "{namespace}"\n{DECLARED}')
        return path

    port = stableport.load(written(free_namespace("live", ports))).port_for("billing")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield port, sock


def test_check_live_names_the_holder_and_sees_the_port_freed(
    project: Path, held_billing_port: tuple[int, socket.socket], capsys: pytest.CaptureFixture[str]
) -> None:
    port, listener = held_billing_port
    # The real console script: the listener belongs to this test's process, not to it.
    code, out, _ = run_in(project, "check", "--live", "--json")
    document = json.loads(out)
    busy = [entry for entry in document["live"] if not entry["free"]]
    assert code == 1
    assert document["findings"][0]["level"] == "problem"  # live problems sort first too
    assert busy[0]["denied_on"] == []
    assert [(e["service"], e["env"], e["port"]) for e in busy] == [("billing", "dev", port)]
    assert "127.0.0.1" in busy[0]["busy_on"]
    if sys.platform.startswith("linux"):
        assert {"pid": os.getpid(), "name": own_name()} in busy[0]["holders"]
    code, text, _ = call(capsys, "check", "--live")
    assert code == 1
    assert f"problem: billing@dev {port}: port {port} is in use on 127.0.0.1" in text
    listener.close()
    code, out, _ = call(capsys, "check", "--live", "--json")
    document = json.loads(out)
    assert code == 0
    assert all(entry["free"] for entry in document["live"])
    assert len(document["live"]) == len(stableport.load().assignments())
    code, text, _ = call(capsys, "check", "--live")
    assert code == 0
    assert f"live: billing@dev {port}: free on loopback" in text


# -- export -----------------------------------------------------------------


def test_export_writes_a_dotenv_file_docker_compose_reads(project: Path) -> None:
    code, out, _ = run_in(project, "export")
    pm = stableport.load()
    assert code == 0
    assert out == (
        f"AUTH_PORT={pm.port_for('auth')}\n"
        f"BILLING_PORT={pm.port_for('billing')}\n"
        f"BILLING_API_PORT={pm.port_for('billing-api')}\n"
        f"SEARCH_PORT={pm.port_for('search')}\n"
    )


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "shell", "--prefix", "APP_"], "export APP_AUTH_PORT=8002\n"),
        (["--format", "json"], '{\n  "AUTH_PORT": 8002,\n'),
        (["--format=env"], "AUTH_PORT=8002\n"),
    ],
)
def test_export_formats(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    code, out, _ = call(capsys, "export", "--env", "test", *args)
    assert code == 0
    assert out.startswith(expected)
    if "json" in args:
        assert json.loads(out)["BILLING_PORT"] == stableport.port_for("billing", env="test")


def test_export_refuses_two_services_on_one_variable(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "stableport.toml").write_text('services = ["billing-api", "billing_api"]\n')
    assert call(capsys, "export") == (
        2,
        "",
        "stableport: error: services 'billing-api' and 'billing_api' would both be "
        "exported as BILLING_API_PORT; rename one of them\n",
    )


@pytest.mark.parametrize("export_format", ["env", "json", "shell"])
def test_export_of_nothing_fails_and_says_where_it_looked(
    tmp_path: Path, export_format: str
) -> None:
    # Issue 21: outside any project, `stableport export > .env` exited 0 with an empty file.
    code, out, err = run_in(tmp_path, "export", "--format", export_format)
    assert (code, out) == (2, "")
    assert err == (
        "stableport: error: nothing to export: no services declared in the built-in defaults "
        f"(no stableport.toml or [tool.stableport] found in {tmp_path} or above it)\n"
    )


def test_export_of_a_file_without_services_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text('namespace = "shop"\n')
    assert run_in(tmp_path, "export") == (
        2,
        "",
        f"stableport: error: nothing to export: no services declared in "
        f"{tmp_path / 'stableport.toml'}\n",
    )


# -- every command ----------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["explain", "auth"], ["check"], ["export"]])
def test_config_is_taken_before_or_after_any_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('services = ["auth"]\nenv = "prod"\n')
    expected_port = str(stableport.load(elsewhere).port_for("auth"))
    after = call(capsys, *command, "--config", str(elsewhere))
    before = call(capsys, "--config", str(elsewhere), *command)
    assert after == before
    assert after[0] == 0
    if command[0] != "check":
        assert expected_port in after[1]


def test_config_in_the_name_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('services = ["auth"]\npins = { auth = 8100 }\n')
    assert call(capsys, "auth", "--config", str(elsewhere)) == (0, "8100\n", "")
    assert call(capsys, "--config", str(elsewhere), "auth", "--env", "x") == (0, "8100\n", "")


@pytest.mark.parametrize("command", ["list", "explain", "check", "export"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: stableport {command} [-h] [--config PATH]")


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["list", "--config", "missing.toml"],
            "cannot read 'missing.toml': No such file or directory",
        ),
        (["explain", "a@b"], "service name 'a@b' contains '@', which is reserved; "),
        (["export", "--prefix", "9X"], "--prefix '9X' is not a valid variable name start; "),
        (["check", "--env", "x"], None),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str | None
) -> None:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("stableport")
    if message is not None:
        assert err.startswith(f"stableport: error: {message}")


def test_a_service_named_like_a_command_is_reached_after_a_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = f"{stableport.port_for('list')}\n"
    assert call(capsys, "--", "list") == (0, expected, "")
    assert call(capsys, "--env", "default", "--", "list") == (0, expected, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--env", "x", "list"],
            "stableport list: error: --env goes after the command: "
            "stableport list --env ENV; see 'stableport list --help'",
        ),
        (
            ["--instance", "2", "check"],
            "stableport check: error: check takes no --instance; see 'stableport check --help'",
        ),
        (
            ["--env", "x", "init"],
            "stableport init: error: init takes no --env; see 'stableport init --help'",
        ),
        (
            ["--bogus"],
            "stableport: error: unrecognized arguments: --bogus; see 'stableport --help'",
        ),
        (
            ["list", "extra"],
            "stableport list: error: unrecognized arguments: extra; see 'stableport list --help'",
        ),
        (
            ["list", "--js"],
            "stableport list: error: unrecognized arguments: --js; see 'stableport list --help'",
        ),
        (
            ["explain"],
            "stableport explain: error: the following arguments are required: "
            "NAME; see 'stableport explain --help'",
        ),
        (
            [],
            "stableport: error: the following arguments are required: NAME; "
            "see 'stableport --help'",
        ),
    ],
)
def test_usage_errors_name_the_real_fault_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    assert capsys.readouterr() == ("", message + "\n")


@pytest.mark.slow  # real processes
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    names = ", ".join(f'"svc{index}"' for index in range(3000))  # more than a pipe holds
    (tmp_path / "stableport.toml").write_text(f"services = [{names}]\n")
    assert SCRIPT is not None
    with subprocess.Popen(
        [SCRIPT, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"config: ")
        process.stdout.close()
        assert process.wait() == 141
        assert process.stderr.read() == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_exit_2() -> None:
    with Path("/dev/full").open("w") as full:
        result = run("billing", stdout=full)
    assert (result.returncode, result.stderr) == (
        2,
        "stableport: error: cannot write the output: [Errno 28] No space left on device\n",
    )


def test_no_stdout_at_all_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["billing"]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: no standard output to write the answer to\n"
    )


@pytest.mark.slow  # real processes
@pytest.mark.parametrize(
    "environment",
    [{"PYTHONIOENCODING": "ascii"}, {"PYTHONUTF8": "0", "LC_ALL": "C", "PYTHONIOENCODING": ""}],
)
def test_a_name_the_encoding_cannot_show_is_one_line_and_nothing_on_stdout(
    tmp_path: Path, environment: dict[str, str]
) -> None:
    # Rows before the unshowable one are not written either: rendered first, written once.
    (tmp_path / "stableport.toml").write_text('services = ["aa", "zz-café"]\n', encoding="utf-8")
    result = run("list", env=environment, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    port = stableport.PortMap(["aa", "zz-café"]).port_for("zz-café")
    # stderr cannot show it either: Python escapes it there.
    assert result.stderr == (
        "stableport: error: standard output's encoding (ascii) cannot show U+00E9 ('\\xe9') "
        f"in 'zz-caf\\xe9  default  {port}  hashed'; use a UTF-8 locale or "
        "PYTHONIOENCODING=utf-8, or --json, which is always UTF-8\n"
    )
    as_json = run("list", "--json", env=environment, cwd=tmp_path)
    assert as_json.returncode == 0
    assert [entry["service"] for entry in json.loads(as_json.stdout)["entries"]] == [
        "aa",
        "zz-café",
    ]


def test_the_table_aligns_wide_and_combining_characters(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 東京 takes four columns; q\u0301 (no precomposed form survives NFC) one.
    (project / "stableport.toml").write_text('services = ["東京", "q\\u0301", "a"]\n')
    lines = call(capsys, "list")[1].splitlines()[1:]
    pm = stableport.load()
    combined = "q\u0301"
    assert lines == [
        "SERVICE  ENV       PORT  HOW",
        f"a        default  {pm.port_for('a'):>5}  hashed",
        f"{combined}        default  {pm.port_for(combined):>5}  hashed",
        f"東京     default  {pm.port_for('東京'):>5}  hashed",
    ]


@pytest.mark.parametrize(
    "args", [["web", "--env", "a@b"], ["list", "--env", "a@b"], ["explain", "web", "--env", "a@b"]]
)
def test_a_bad_env_option_is_named_as_the_option(tmp_path: Path, args: list[str]) -> None:
    result = run(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "stableport: error: environment name 'a@b' (from --env) contains '@', which is "
        "reserved; names may not contain any of @ = ,\n"
    )


def test_the_encoding_error_suggests_each_commands_own_json_option() -> None:
    from stableport._cli import _json_option  # noqa: PLC0415 - the one private helper tested

    asked = [None, "list", "explain", "check", "instance", "export", "init", "run"]
    assert [_json_option(command) for command in asked] == [
        None,
        "--json",
        "--json",
        "--json",
        "--json",
        "--format json",
        None,
        None,
    ]
