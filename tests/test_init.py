"""stableport init: real files, console-script runs and init() in this process; nothing before
the table changes."""

import json
from pathlib import Path

import pytest

import stableport
from stableport import PortMap
from stableport._cli import main
from stableport._init import init as init_here

from .util import run

# Real processes (console scripts): left out of the quick loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

# A pyproject.toml as people write them: comments, odd spacing, no final newline.
PYPROJECT = (
    b"# The shop's web services.\n"
    b'[project]\nname = "Shop"   # as on PyPI\nversion = "1.0"\n'
    b"dependencies = [\n  'stableport',  # ports\n]\n\n"
    b"[tool.ruff]\nline-length = 99"
)

TABLE = (
    "[tool.stableport]\n"
    "# Part of every port's hash: keep it when the project is renamed.\n"
    'namespace = "shop"\n'
    'services = ["api", "web"]\n'
    "# Resolved together: tests (env test) never get a dev server's port.\n"
    'envs = ["dev", "test"]\n'
    'env = "dev"\n'
    "# strict = true  # a lookup of a name not in services fails instead of hashing it\n"
)
# What init writes after the services, in every file (issue 21: tests off dev ports).
ENVS = TABLE.split('services = ["api", "web"]\n')[1]


def initial(namespace: str, *services: str) -> PortMap:
    """The map of what init writes: its namespace, services, and dev and test together."""
    return PortMap(services or ["api"], envs=["dev", "test"], env="dev", namespace=namespace)


def init(directory: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = run("init", *args, env=env, cwd=directory)
    return result.returncode, result.stdout, result.stderr


def test_init_appends_to_pyproject_and_keeps_every_byte_before(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(PYPROJECT)
    code, out, err = init(tmp_path, "api", "web")
    assert (code, err) == (0, "")
    written = pyproject.read_bytes()
    assert written[: len(PYPROJECT)] == PYPROJECT
    # The file had no final newline: one ends its last line, one blank line follows.
    assert written[len(PYPROJECT) :] == b"\n\n" + TABLE.encode()
    shop = PortMap(["api", "web"], envs=["dev", "test"], env="dev", namespace="shop")
    assert out == (
        f"appended to {pyproject}:\n\n{TABLE}\n"
        f"(namespace from [project].name in {pyproject})\n\n"
        "namespace: shop\n"
        "SERVICE  ENV   PORT  HOW\n"
        f"api      dev  {shop.port_for('api')}  hashed\n"
        f"web      dev  {shop.port_for('web')}  hashed\n"
    )
    # What init printed is what the commands now read.
    listed = json.loads(run("list", "--json", cwd=tmp_path).stdout)
    assert listed["namespace"] == "shop"
    assert [entry["port"] for entry in listed["entries"]] == [
        shop.port_for("api"),
        shop.port_for("web"),
    ]


def test_init_keeps_crlf_line_endings_and_adds_no_extra_blank_line(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    original = b'[project]\r\nname = "crlf-app"\r\n\r\n'
    pyproject.write_bytes(original)
    assert init(tmp_path, "db")[0] == 0
    assert pyproject.read_bytes() == original + (
        b"[tool.stableport]\r\n"
        b"# Part of every port's hash: keep it when the project is renamed.\r\n"
        b'namespace = "crlf-app"\r\n'
        b'services = ["db"]\r\n'
    ) + ENVS.encode().replace(b"\n", b"\r\n")


def test_init_refuses_a_project_that_already_has_a_stableport_table(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(PYPROJECT)
    assert init(tmp_path, "api")[0] == 0
    before = pyproject.read_bytes()
    code, out, err = init(tmp_path, "worker")
    assert (code, out) == (2, "")
    assert err == (
        f"stableport: error: {pyproject} already has a [tool.stableport] table; "
        "init never rewrites one: edit it by hand\n"
    )
    assert pyproject.read_bytes() == before


@pytest.mark.parametrize(
    "table",
    [
        "[tool.stableport.pins]\ndb = 5432\n",
        "[tool]\nstableport = { services = ['api'] }\n",
        "tool.stableport.services = ['api']\n",
    ],
)
def test_any_spelling_of_the_table_is_refused(tmp_path: Path, table: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    # First in the file, so a dotted key is at the top level.
    pyproject.write_text(f'{table}[project]\nname = "shop"\n')
    code, _, err = init(tmp_path, "api")
    assert code == 2
    assert "already has a [tool.stableport] table" in err
    assert pyproject.read_text() == f'{table}[project]\nname = "shop"\n'


def test_init_refuses_beside_an_existing_stableport_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(PYPROJECT)
    (tmp_path / "stableport.toml").write_text('services = ["old"]\n')
    code, out, err = init(tmp_path, "api")
    assert (code, out) == (2, "")
    assert err == (
        f"stableport: error: {tmp_path / 'stableport.toml'} already exists; init never "
        "overwrites a file: edit it, or remove it and run init again\n"
    )
    assert (tmp_path / "pyproject.toml").read_bytes() == PYPROJECT
    assert (tmp_path / "stableport.toml").read_text() == 'services = ["old"]\n'


def test_a_project_without_a_project_table_is_named_after_its_directory(tmp_path: Path) -> None:
    directory = tmp_path / "Billing-Service"
    directory.mkdir()
    pyproject = directory / "pyproject.toml"
    original = b'[build-system]\nrequires = ["hatchling"]\n'
    pyproject.write_bytes(original)
    code, out, _ = init(directory, "api")
    assert code == 0
    assert (
        pyproject.read_bytes()
        == original
        + b"\n"
        + (
            b"[tool.stableport]\n"
            b"# Part of every port's hash: keep it when the project is renamed.\n"
            b'namespace = "billing-service"\n'
            b'services = ["api"]\n'
        )
        + ENVS.encode()
    )
    assert f"(namespace from the name of the directory {directory})" in out


def test_without_a_pyproject_init_creates_stableport_toml(tmp_path: Path) -> None:
    directory = tmp_path / "tools"
    directory.mkdir()
    code, out, _ = init(directory)
    standalone = directory / "stableport.toml"
    assert code == 0
    assert (
        standalone.read_text()
        == (
            "# Part of every port's hash: keep it when the project is renamed.\n"
            'namespace = "tools"\n'
            "services = []\n"
        )
        + ENVS
    )
    assert out.startswith(f"created {standalone}:\n")
    assert out.endswith("no services yet: list them in services, then run stableport list\n")


def test_config_asks_for_a_standalone_file_beside_a_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(PYPROJECT)
    code, _, _ = init(tmp_path, "api", "--config", "stableport.toml", "--namespace", "Shop-Dev")
    assert code == 0
    assert (tmp_path / "pyproject.toml").read_bytes() == PYPROJECT
    assert (tmp_path / "stableport.toml").read_text().splitlines()[1:3] == [
        'namespace = "shop-dev"',
        'services = ["api"]',
    ]
    # Discovery prefers stableport.toml, so this is the map every command reads now.
    assert run("api", cwd=tmp_path).stdout == f"{initial('shop-dev').port_for('api')}\n"


def test_names_that_need_escaping_survive_the_round_trip(tmp_path: Path) -> None:
    code, _, err = init(tmp_path, 'say "hi"', "back\\slash", "--namespace", "Café")
    assert (code, err) == (0, "")
    listed = json.loads(run("list", "--json", cwd=tmp_path).stdout)
    assert listed["namespace"] == "café"
    assert [entry["service"] for entry in listed["entries"]] == ["back\\slash", 'say "hi"']


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        (["api", "API"], {}, "service 'API' is given twice (also as 'api'); names are compared"),
        (
            ["a@b"],
            {},
            "service name 'a@b' (from SERVICE argument 1) contains '@', which is reserved",
        ),
        (["api", "--namespace", "x,y"], {}, "namespace 'x,y' (from --namespace) contains ','"),
        # Every later command would refuse these: init refuses them before writing.
        (
            ["api"],
            {"STABLEPORT_PINS": "x"},
            "STABLEPORT_PINS entry 'x' is not 'service=port' or 'service@env=port'",
        ),
        (
            ["api"],
            {"STABLEPORT_PINS": "api=0"},
            "STABLEPORT_PINS entry 'api=0' is 0, outside the valid ports 1-65535",
        ),
        (
            ["api"],
            {"STABLEPORT_NAMESPACE": "a@b"},
            "namespace 'a@b' (from STABLEPORT_NAMESPACE) contains '@', which is reserved",
        ),
        (["api"], {"STABLEPORT_ENV": ""}, "environment name is empty (from STABLEPORT_ENV)"),
    ],
)
def test_bad_names_and_variables_are_refused_and_nothing_is_written(
    tmp_path: Path, args: list[str], variables: dict[str, str], message: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(PYPROJECT)
    code, out, err = init(tmp_path, *args, env=variables)
    assert (code, out) == (2, "")
    assert err.startswith(f"stableport: error: {message}")
    assert pyproject.read_bytes() == PYPROJECT


def test_a_file_that_cannot_be_created_is_named_as_a_path_not_a_python_object(
    tmp_path: Path,
) -> None:
    # /proc takes no new files: the error names the path as every message does.
    code, out, err = init(tmp_path, "web", "--config", "/proc/stableport-init.toml")
    assert (code, out) == (2, "")
    assert err == (
        "stableport: error: cannot create '/proc/stableport-init.toml': No such file or directory\n"
    )


def test_the_ports_shown_are_those_of_the_file_written_not_of_the_variables(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(PYPROJECT)
    variables = {
        "STABLEPORT_NAMESPACE": "other",
        "STABLEPORT_ENV": "test",
        "STABLEPORT_PINS": "api=9000",
    }
    code, out, _ = init(tmp_path, "api", "web", env=variables)
    written = initial("shop", "api", "web")
    assert code == 0
    assert out.endswith(
        "(STABLEPORT_ENV, STABLEPORT_NAMESPACE, STABLEPORT_PINS set: not applied below, where "
        "the ports are the file's own; stableport list applies them)\n\n"
        "namespace: shop\n"
        "SERVICE  ENV   PORT  HOW\n"
        f"api      dev  {written.port_for('api')}  hashed\n"
        f"web      dev  {written.port_for('web')}  hashed\n"
    )
    # What list shows from then on: the same file, with the variables applied.
    listed = json.loads(run("list", "--json", env=variables, cwd=tmp_path).stdout)
    overridden = PortMap(["api", "web"], namespace="other", env="test", pins={"api": 9000})
    assert {entry["service"]: entry["port"] for entry in listed["entries"]} == {
        "api": 9000,
        "web": overridden.port_for("web"),
    }


def test_a_directory_name_that_is_no_name_asks_for_namespace(tmp_path: Path) -> None:
    directory = tmp_path / "a=b"
    directory.mkdir()
    code, _, err = init(directory, "api")
    assert code == 2
    assert err == (
        f"stableport: error: namespace 'a=b' (from the name of the directory {directory}) "
        "contains '=', which is reserved; names may not contain any of @ = ,; "
        "give one with --namespace NS\n"
    )
    assert list(directory.iterdir()) == []


# -- init() in this process, on real directories


def test_a_directory_name_that_is_no_name_asks_for_a_namespace(tmp_path: Path) -> None:
    directory = tmp_path / "a@b"
    directory.mkdir()
    with pytest.raises(stableport.InvalidNameError) as raised:
        init_here(directory, ["api"])
    assert str(raised.value).startswith(
        f"namespace 'a@b' (from the name of the directory {directory})"
    )
    assert str(raised.value).endswith("; give one with --namespace NS")
    assert list(directory.iterdir()) == []


def test_a_pyproject_ending_in_a_blank_line_gets_the_table_right_after(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    before = b'[project]\nname = "shop"\n\n'
    pyproject.write_bytes(before)
    written = init_here(tmp_path, ["api"])
    assert (written.path, written.created) == (pyproject, False)
    assert pyproject.read_bytes() == before + written.text.encode()
    assert stableport.load(pyproject).namespace == "shop"


def test_a_broken_pyproject_above_does_not_stop_init_below(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.stableport\n")
    below = tmp_path / "api"
    below.mkdir()
    written = init_here(below, ["web"])
    # The new file ends discovery before the broken one is read: nothing replaced.
    assert (written.path, written.created, written.replaced) == (
        below / "stableport.toml",
        True,
        None,
    )
    assert stableport.load(written.path).services == ("web",)


def test_a_pyproject_that_cannot_take_the_table_is_left_alone(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("tool = { black = { line-length = 99 } }\n")
    code, _, err = init(tmp_path, "api")
    assert code == 2
    assert err.startswith(
        f"stableport: error: {pyproject}: appending [tool.stableport] would leave a file "
        "stableport refuses (invalid TOML: "
    )
    assert err.endswith("; nothing was written: add the table by hand\n")
    assert pyproject.read_text() == "tool = { black = { line-length = 99 } }\n"


def test_an_invalid_pyproject_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[project\n")
    code, _, err = init(tmp_path, "api")
    assert code == 2
    assert err.startswith(f"stableport: error: {pyproject}: invalid TOML: ")
    assert pyproject.read_text() == "[project\n"
    assert not (tmp_path / "stableport.toml").exists()


def test_a_service_named_init_is_still_reachable_after_double_dash(tmp_path: Path) -> None:
    result = run("--", "init", cwd=tmp_path)
    assert result.stdout == f"{PortMap().port_for('init')}\n"
    assert list(tmp_path.iterdir()) == []


SCENARIOS = {
    "append": ({"pyproject.toml": PYPROJECT}, ["api", "web"]),
    "no project table": ({"pyproject.toml": b"[build-system]\nrequires = []\n"}, ["db"]),
    "standalone": ({}, []),
    "asked for standalone": (
        {"pyproject.toml": PYPROJECT},
        ["--config", "ports.toml", "x", "--namespace", "Shop-Dev"],
    ),
    "refused": ({"stableport.toml": b"services = []\n"}, ["api"]),
    "already has the table": ({"pyproject.toml": b"[tool.stableport]\n"}, ["api"]),
    "cannot take the table": ({"pyproject.toml": b"tool = {}\n"}, ["api"]),
    "bad toml": ({"pyproject.toml": b"tool = 1\n"}, ["api"]),
    "duplicate": ({}, ["api", "Api"]),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_main_in_process_does_what_the_console_script_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scenario: str,
) -> None:
    files, args = SCENARIOS[scenario]
    results = []
    for where in ("subprocess", "in-process"):
        directory = tmp_path / where / "shop"
        directory.mkdir(parents=True)
        for name, content in files.items():
            (directory / name).write_bytes(content)
        if where == "subprocess":
            code, out, err = init(directory, *args)
        else:
            monkeypatch.chdir(directory)
            code = main(["init", *args])
            out, err = capsys.readouterr()
        written = {path.name: path.read_bytes() for path in sorted(directory.iterdir())}
        results.append(
            (code, out.replace(str(directory), "DIR"), err.replace(str(directory), "DIR"), written)
        )
    assert results[0] == results[1]


def test_init_below_a_configured_directory_says_which_file_it_replaces(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.stableport]\nservices = ["api"]\n')
    package = tmp_path / "pkg"
    package.mkdir()
    before = run("api", cwd=package).stdout
    code, out, _ = init(package, "api")
    assert code == 0
    assert (
        f"({package} used {tmp_path / 'pyproject.toml'} until now; "
        "this file takes its place there)\n"
    ) in out
    # It does: the lookup moved to the new file's namespace.
    assert run("api", cwd=package).stdout == f"{initial('pkg').port_for('api')}\n"
    assert before == f"{PortMap(['api']).port_for('api')}\n"


def test_a_file_discovery_does_not_look_for_is_said_to_need_naming(tmp_path: Path) -> None:
    code, out, _ = init(tmp_path, "api", "--config", "ports.toml", "--namespace", "shop")
    assert code == 0
    assert (
        "(discovery looks for stableport.toml and pyproject.toml only: "
        "name this file with --config or STABLEPORT_CONFIG)\n"
    ) in out
    assert "until now" not in out
    result = run("api", env={"STABLEPORT_CONFIG": str(tmp_path / "ports.toml")}, cwd=tmp_path)
    assert result.stdout == f"{initial('shop').port_for('api')}\n"
