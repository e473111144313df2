"""Namespaces: the key space of one project, from code, the file, the variable or --namespace."""

import json
from pathlib import Path

import pytest
from xxhash import xxh3_64_intdigest

import stableport
from stableport import ConfigError, InvalidNameError, InvalidTypeError, PortMap
from stableport._check import Finding, check_map
from stableport._cli import main
from stableport._config import load_with_origin
from stableport._hashing import jump_hash

from .util import run

SERVICES = ["api", "web", "worker", "db", "redis"]


def ports(pm: PortMap) -> list[int]:
    return [pm.port_for(service) for service in SERVICES]


# -- the map ----------------------------------------------------------------


def test_two_namespaces_give_the_same_services_different_ports() -> None:
    shop, blog = PortMap(SERVICES, namespace="shop"), PortMap(SERVICES, namespace="blog")
    assert ports(shop) != ports(blog)
    assert ports(shop) != ports(PortMap(SERVICES))
    # Each map's ports are still distinct among its own services.
    assert len(set(ports(shop))) == len(set(ports(blog))) == len(SERVICES)


def test_a_map_without_a_namespace_hashes_as_it_always_did() -> None:
    plain = PortMap(SERVICES)
    assert plain.namespace is None
    assert PortMap(SERVICES, namespace=None) == plain
    assert plain.explain("api").key == b"stableport\x00v1\x00default\x00api"
    assert ports(plain) == [stableport.port_for(service) for service in SERVICES]


def test_the_namespace_joins_the_key_between_version_and_env() -> None:
    story = PortMap(namespace="shop", env="dev").explain("api")
    assert story.key == b"stableport\x00v1\x00shop\x00dev\x00api"
    assert "key: b'stableport\\x00v1\\x00shop\\x00dev\\x00api'" in str(story)


def test_a_namespace_is_normalized_as_a_name() -> None:
    folded = PortMap(SERVICES, namespace="Shop")
    assert folded.namespace == "shop"
    assert folded == PortMap(SERVICES, namespace="shop")
    assert ports(folded) == ports(PortMap(SERVICES, namespace="SHOP"))
    assert folded != PortMap(SERVICES)
    assert "namespace='shop'" in repr(folded)


def test_overlays_pins_and_envs_keep_the_namespace() -> None:
    pm = PortMap(SERVICES, envs=["dev"], pins={"db": 5432}, namespace="shop")
    overlaid = pm.overlay(["gw0", "gw1"])
    assert overlaid.namespace == "shop"
    assert overlaid.port_for("db", "gw0") == 5432
    assert overlaid.explain("api", "gw0").key == b"stableport\x00v1\x00shop\x00gw0\x00api"
    plain = PortMap(SERVICES, envs=["dev"], pins={"db": 5432}).overlay(["gw0", "gw1"])
    assert overlaid.assignments() != plain.assignments()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "namespace is empty (from namespace); give at least one character"),
        (" shop", "namespace ' shop' (from namespace) has leading or trailing whitespace"),
        ("shop@eu", "namespace 'shop@eu' (from namespace) contains '@', which is reserved"),
        ("a=b", "namespace 'a=b' (from namespace) contains '=', which is reserved"),
        ("s" * 129, "is 129 characters long; at most 128 are allowed"),
        ("shop\x00", "namespace 'shop\\x00' (from namespace) contains U+0000"),
    ],
)
def test_a_bad_namespace_raises_naming_the_value(value: str, message: str) -> None:
    with pytest.raises(InvalidNameError) as raised:
        PortMap(namespace=value)
    assert message in str(raised.value)


def test_a_namespace_that_is_not_a_string_is_a_type_error() -> None:
    with pytest.raises(InvalidTypeError, match=r"namespace must be a str, not bytes: b'shop'"):
        PortMap(namespace=b"shop")  # type: ignore[arg-type]


# -- where it comes from ------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A pyproject.toml whose [tool.stableport] table declares a namespace."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.stableport]\nnamespace = "Shop"\n'
        'services = ["api", "web"]\n'
    )
    return tmp_path


def port_in(namespace: str | None, service: str = "api") -> int:
    return PortMap(["api", "web"], namespace=namespace).port_for(service)


@pytest.mark.slow  # real processes
@pytest.mark.parametrize(
    ("variable", "flag", "expected"),
    [
        (None, None, "shop"),  # the file's key
        ("blog", None, "blog"),  # the variable beats the file
        ("blog", "wiki", "wiki"),  # the flag beats both
        (None, "Wiki", "wiki"),
    ],
)
def test_flag_beats_variable_beats_file(
    project: Path, variable: str | None, flag: str | None, expected: str
) -> None:
    env = {} if variable is None else {"STABLEPORT_NAMESPACE": variable}
    flags = [] if flag is None else ["--namespace", flag]
    # The NAME form's fast path, argparse's path (flag first) and a command agree.
    for args in (["api", *flags], [*flags, "--", "api"], ["export", *flags]):
        result = run(*args, env=env, cwd=project)
        assert result.returncode == 0, result.stderr
        assert str(port_in(expected)) in result.stdout
    listed = json.loads(run("list", "--json", *flags, env=env, cwd=project).stdout)
    assert listed["namespace"] == expected
    assert [entry["port"] for entry in listed["entries"]] == [
        port_in(expected),
        port_in(expected, "web"),
    ]


def test_load_reads_the_variable_over_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stableport.load(project / "pyproject.toml").namespace == "shop"
    monkeypatch.setenv("STABLEPORT_NAMESPACE", "Blog")
    pm, origin = load_with_origin(project / "pyproject.toml")
    assert (pm.namespace, origin.namespace_override) == ("blog", "Blog")
    assert load_with_origin(project / "pyproject.toml", "wiki")[0].namespace == "wiki"


def test_the_module_level_port_for_uses_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    unnamespaced = stableport.port_for("api")
    monkeypatch.setenv("STABLEPORT_NAMESPACE", "shop")
    stableport.reload()
    assert stableport.port_for("api") == port_in("shop") != unnamespaced


@pytest.mark.slow  # real processes
@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "file",
            "{path}: namespace 'shop@eu' (from namespace) contains '@', which is reserved",
        ),
        ("variable", "namespace 'shop@eu' (from STABLEPORT_NAMESPACE) contains '@'"),
        ("flag", "namespace 'shop@eu' (from --namespace) contains '@'"),
    ],
)
def test_a_bad_namespace_names_its_source(tmp_path: Path, where: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    table = 'namespace = "shop@eu"\n' if where == "file" else ""
    path.write_text(f'[tool.stableport]\n{table}services = ["api"]\n')
    env = {"STABLEPORT_NAMESPACE": "shop@eu"} if where == "variable" else {}
    flags = ["--namespace", "shop@eu"] if where == "flag" else []
    for args in (["api", *flags], ["list", *flags]):
        result = run(*args, env=env, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.startswith("stableport: error: " + message.format(path=path))
        assert result.stderr.count("\n") == 1


def test_a_namespace_of_the_wrong_type_in_the_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "stableport.toml"
    path.write_text("namespace = 7\n")
    with pytest.raises(ConfigError) as raised:
        stableport.load(path)
    assert str(raised.value) == (
        f"{path}: key 'namespace' in the top level must be a namespace name (a string), "
        "not an integer 7"
    )


def test_namespace_before_a_command_is_refused(project: Path) -> None:
    result = run("--namespace", "shop", "list", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "stableport list: error: --namespace goes after the command: "
        "stableport list --namespace NS;"
    )


# -- what the commands show -----------------------------------------------------


@pytest.mark.slow  # real processes
def test_explain_shows_the_namespace_in_the_key(project: Path) -> None:
    result = run("explain", "api", cwd=project)
    assert result.stdout.splitlines()[1:3] == [
        f"api@default -> {port_in('shop')}: hashed (its first probe)",
        "  key: b'stableport\\x00v1\\x00shop\\x00default\\x00api'",
    ]
    document = json.loads(run("explain", "api", "--json", cwd=project).stdout)
    assert (document["namespace"], document["key"]) == (
        "shop",
        "stableport\x00v1\x00shop\x00default\x00api",
    )


@pytest.mark.slow  # real processes
def test_list_export_and_check_carry_the_namespace(project: Path) -> None:
    assert run("list", cwd=project).stdout.splitlines()[1:3] == [
        "namespace: shop",
        "SERVICE  ENV       PORT  HOW",
    ]
    exported = json.loads(run("export", "--format", "json", cwd=project).stdout)
    assert exported == {
        "STABLEPORT_NAMESPACE": "shop",
        "API_PORT": port_in("shop"),
        "WEB_PORT": port_in("shop", "web"),
    }
    # .env and shell lines stay ports only: sourcing them must not move later lookups.
    assert "NAMESPACE" not in run("export", "--format", "shell", cwd=project).stdout
    checked = json.loads(run("check", "--json", cwd=project).stdout)
    assert checked["namespace"] == "shop"
    assert not [f for f in checked["findings"] if f["subject"] == "namespace"]


@pytest.mark.slow  # real processes
def test_without_a_namespace_the_outputs_are_as_before(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text('services = ["api"]\n')
    assert run("list", cwd=tmp_path).stdout.splitlines()[1] == "SERVICE  ENV       PORT  HOW"
    exported = json.loads(run("export", "--format", "json", cwd=tmp_path).stdout)
    assert exported == {"API_PORT": port_in(None)}
    assert json.loads(run("list", "--json", cwd=tmp_path).stdout)["namespace"] is None


@pytest.mark.slow  # real processes
def test_check_notes_declared_services_without_a_namespace(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.stableport]\nservices = ["api", "web", "worker", "db"]\n'
    )
    result = run("check", cwd=tmp_path)
    assert result.returncode == 0
    assert (
        "note: namespace: none is set, so every other project on this host that declares "
        "'api', 'db', 'web', ... without one gets the same ports for them; add "
        'namespace = "<project name>" to [tool.stableport] (it moves every hashed port '
        "once, then never again)"
    ) in result.stdout.splitlines()
    # The same map with a namespace from the variable: no note, but the override is shown.
    result = run("check", env={"STABLEPORT_NAMESPACE": "Shop"}, cwd=tmp_path)
    assert result.returncode == 0
    assert "none is set" not in result.stdout
    assert "note: STABLEPORT_NAMESPACE='Shop': sets the namespace to 'shop'" in result.stdout


@pytest.mark.slow  # real processes
def test_check_has_no_namespace_note_for_pins_only_or_no_services(tmp_path: Path) -> None:
    config = tmp_path / "stableport.toml"
    for text in ("", "[pins]\ndb = 5432\n"):
        config.write_text(text)
        checked = json.loads(run("check", "--json", cwd=tmp_path).stdout)
        assert not [f for f in checked["findings"] if f["subject"] == "namespace"]
    config.write_text('services = ["api"]\n')
    result = run("check", "--json", cwd=tmp_path)
    checked = json.loads(result.stdout)
    assert (result.returncode, checked["ok"], checked["namespace"]) == (0, True, None)
    assert [
        (f["level"], f["message"].split("; ")[1])
        for f in checked["findings"]
        if f["subject"] == "namespace"
    ] == [
        (
            "note",
            'add namespace = "<project name>" to stableport.toml (it moves every hashed port '
            "once, then never again)",
        )
    ]


def test_a_namespaced_port_follows_from_the_key_bytes_alone() -> None:
    # The spec's first probe, computed here from the bytes, not through PortMap.
    key = b"stableport" + b"\x00" + b"v1" + b"\x00" + b"shop" + b"\x00" + b"default" + b"\x00api"
    first_probe = 20000 + jump_hash(xxh3_64_intdigest(key, 0), 10000)
    assert PortMap(namespace="shop").port_for("api") == first_probe


def test_check_map_notes_the_variable_and_the_missing_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "stableport.toml"
    config.write_text('services = ["api"]\n')
    subjects = [finding.subject for finding in check_map(*load_with_origin(config))]
    assert "namespace" in subjects
    monkeypatch.setenv("STABLEPORT_NAMESPACE", "Shop")
    findings = check_map(*load_with_origin(config))
    assert "namespace" not in [finding.subject for finding in findings]
    assert (
        Finding("note", "STABLEPORT_NAMESPACE='Shop'", "sets the namespace to 'shop'") in findings
    )


@pytest.mark.parametrize(
    "args",
    [
        ["api", "--namespace", "shop", "--env", "dev"],
        ["api", "--env=dev", "--namespace=Shop"],
        ["--namespace", "shop", "--env", "dev", "--", "api"],
    ],
)
def test_the_name_form_takes_both_options_in_any_order(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(args) == 0
    assert capsys.readouterr().out == f"{PortMap(namespace='shop').port_for('api', 'dev')}\n"


def test_a_namespace_option_without_its_value_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["api", "--namespace"]) == 2
    assert capsys.readouterr().err == (
        "stableport: error: argument --namespace: expected one argument; see 'stableport --help'\n"
    )
