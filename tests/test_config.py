"""Project configuration: discovery, keys, overrides, precedence and exact errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport import ConfigError, PortMap

EXAMPLE = """\
services = ["billing", "auth", "search"]
range = [20000, 29999]
envs = ["dev", "test"]
env = "dev"
exclude = [25000, [26000, 26099]]

[pins]
billing = 8001
"auth@test" = 8002
"""

EXPECTED = PortMap(
    ["billing", "auth", "search"],
    port_range=(20000, 29999),
    envs=["dev", "test"],
    env="dev",
    exclude=[25000, (26000, 26099)],
    pins={"billing": 8001, ("auth", "test"): 8002},
)


def pyproject_text(body: str) -> str:
    lines = [
        f"[tool.stableport.{line[1:]}" if line.startswith("[") else line
        for line in body.splitlines()
    ]
    return '[project]\nname = "demo"\n\n[tool.stableport]\n' + "\n".join(lines) + "\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_standalone_file_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.chdir(tmp_path / "a" / "b")
    assert stableport.load() == EXPECTED
    for service in ("billing", "auth", "search"):
        assert stableport.port_for(service) == EXPECTED.port_for(service)
        assert stableport.port_for(service, env="test") == EXPECTED.port_for(service, env="test")


def test_pyproject_and_standalone_give_equal_maps(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    standalone = stableport.load(write(tmp_path / "one" / "stableport.toml", EXAMPLE))
    pyproject = stableport.load(write(tmp_path / "two" / "pyproject.toml", pyproject_text(EXAMPLE)))
    assert standalone == pyproject == EXPECTED
    assert standalone.assignments() == pyproject.assignments()


def test_declaration_order_in_the_file_changes_nothing(tmp_path: Path) -> None:
    shuffled = """\
pins = { "auth@test" = 8002, billing = 8001 }
exclude = [[26000, 26099], 25000]
env = "dev"
envs = ["test", "dev"]
services = ["search", "auth", "billing"]
range = [20000, 29999]
"""
    loaded = stableport.load(write(tmp_path / "stableport.toml", shuffled))
    assert loaded.assignments() == EXPECTED.assignments()


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    inner = tmp_path / "inner"
    inner.mkdir()
    write(inner / "pyproject.toml", '[project]\nname = "x"\ndependencies = ["stableport"]\n')
    os.chdir(inner)
    assert stableport.load() == EXPECTED


def test_no_file_means_the_built_in_defaults(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    assert stableport.load() == PortMap()


def test_stableport_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "ports.toml", EXAMPLE)
    monkeypatch.setenv("STABLEPORT_CONFIG", str(path))
    assert stableport.load() == EXPECTED


def test_an_explicit_path_beats_stableport_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STABLEPORT_CONFIG", str(write(tmp_path / "a.toml", 'services = ["x"]\n')))
    assert stableport.load(write(tmp_path / "b.toml", EXAMPLE)) == EXPECTED


def test_precedence_argument_then_variable_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    os.chdir(tmp_path)
    assert stableport.load().env == "dev"
    monkeypatch.setenv("STABLEPORT_ENV", "test")
    assert stableport.load().env == "test"
    stableport.reload()
    assert stableport.port_for("auth") == EXPECTED.port_for("auth", env="test")
    assert stableport.port_for("auth", env="dev") == EXPECTED.port_for("auth", env="dev")


def test_stableport_pins_override_like_a_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    os.chdir(tmp_path)
    monkeypatch.setenv("STABLEPORT_PINS", " Billing = 9001 , search@test=9002")
    loaded = stableport.load()
    assert loaded == PortMap(
        ["billing", "auth", "search"],
        envs=["dev", "test"],
        env="dev",
        exclude=[25000, (26000, 26099)],
        pins={"billing": 9001, ("auth", "test"): 8002, ("search", "test"): 9002},
    )
    assert loaded.port_for("billing", env="test") == 9001


def test_reload_picks_up_an_edited_file(tmp_path: Path) -> None:
    path = write(tmp_path / "stableport.toml", "pins = { billing = 8001 }\n")
    os.chdir(tmp_path)
    assert stableport.port_for("billing") == 8001
    write(path, "pins = { billing = 8002 }\n")
    assert stableport.port_for("billing") == 8001
    stableport.reload()
    assert stableport.port_for("billing") == 8002


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'servics = ["a"]\n',
            "unknown key 'servics' in the top level; did you mean 'services'? (allowed: "
            "services, range, env, envs, exclude, pins, strict, default_exclusions, algorithm)",
        ),
        (
            'services = "billing"\n',
            "key 'services' in the top level must be an array of "
            "service names, not a string 'billing'",
        ),
        (
            "range = [1]\n",
            "key 'range' in the top level must be an array of two integers "
            "[low, high], not an array [1]",
        ),
        (
            "range = [30000, 20000]\n",
            "range 30000-20000 is reversed: its low end must not exceed its high end",
        ),
        ("strict = 1\n", "key 'strict' in the top level must be true or false, not an integer 1"),
        (
            "algorithm = 2\n",
            "algorithm 2 is not supported; this release implements algorithm 1 only",
        ),
        (
            'services = ["ok", "bad@name"]\n',
            "service name 'bad@name' (from services[1]) "
            "contains '@', which is reserved; names may not contain any of @ = ,",
        ),
        (
            "pins = { a = 8001, b = 8001 }\n",
            "pins['b'] pins 'b' to port 8001, which pins['a'] "
            "already pins to 'a'; a port can be pinned to one service only",
        ),
        (
            "pins = { A = 8001, a = 8002 }\n",
            "pins['A'] and pins['a'] pin the same service and environment; keep one",
        ),
        ("services = [\n", "invalid TOML: "),
    ],
)
def test_bad_files_raise_config_error_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "stableport.toml", text)
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert isinstance(caught.value, ValueError)


def test_toml_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "stableport.toml", 'services = ["a"]\nrange = [1,, 2]\n')
    with pytest.raises(ConfigError, match=r"invalid TOML: Invalid value \(at line 2, column 12\)"):
        stableport.load(path)


def test_a_pyproject_named_explicitly_needs_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    assert str(caught.value) == (
        f"{path}: no [tool.stableport] table; add one or name another file"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "billing",
            "STABLEPORT_PINS entry 'billing' is not 'service=port' or "
            "'service@env=port'; separate entries with commas",
        ),
        ("billing=80a", "STABLEPORT_PINS entry 'billing=80a' is not"),
        ("=8001", "STABLEPORT_PINS entry '=8001' is not"),
        (
            "billing@=8001",
            "environment name is empty (from STABLEPORT_PINS entry 'billing@=8001')",
        ),
        (
            "web=1,Web = 2",
            "STABLEPORT_PINS entry 'web=1' and STABLEPORT_PINS entry 'Web = 2' pin the same "
            "service and environment; keep one",
        ),
    ],
)
def test_malformed_pin_overrides_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("STABLEPORT_PINS", value)
    with pytest.raises(ConfigError) as caught:
        stableport.load()
    assert str(caught.value).startswith(message)


def test_an_override_that_collides_with_a_file_pin_names_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "stableport.toml", "pins = { billing = 8001 }\n")
    monkeypatch.setenv("STABLEPORT_PINS", "auth=8001")
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    assert str(caught.value) == (
        f"{path} with STABLEPORT_PINS: STABLEPORT_PINS entry 'auth=8001' pins 'auth' to port "
        f"8001, which pins['billing'] already pins to 'billing'; a port can be pinned to one "
        f"service only"
    )


def test_stableport_config_pointing_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABLEPORT_CONFIG", "/nonexistent/stableport.toml")
    with pytest.raises(ConfigError) as caught:
        stableport.load()
    assert str(caught.value) == (
        "STABLEPORT_CONFIG='/nonexistent/stableport.toml' names no file; point it at a "
        "stableport.toml or a pyproject.toml with a [tool.stableport] table, or unset it"
    )


def test_an_unreadable_file(tmp_path: Path) -> None:
    directory = tmp_path / "stableport.toml"
    directory.mkdir()
    with pytest.raises(
        ConfigError,
        match=r"cannot read '.*stableport\.toml': it is a directory, not a regular file",
    ):
        stableport.load(directory)


def test_non_utf8_files_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "stableport.toml"
    path.write_bytes(b'services = ["\xff"]\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        stableport.load(path)


def test_no_toml_parser_is_imported_without_a_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "plain"\n')
    script = (
        "import sys, stableport; stableport.port_for('billing');"
        "print([m for m in ('tomllib', 'tomli', 're') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


def test_the_cli_reads_the_project_config(tmp_path: Path) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STABLEPORT_")}
    result = subprocess.run(
        [sys.executable, "-m", "stableport", "auth", "--env", "test"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "8002\n"
