"""Project configuration: discovery, keys, overrides, precedence and exact errors."""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import stableport
from stableport import ConfigError, PortMap
from stableport._config import overridden
from stableport._files import MAX_CONFIG_BYTES

from .util import imported_by, python, run

if TYPE_CHECKING:
    from stableport._schema import Settings

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


def test_a_map_knows_the_file_it_was_read_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standalone = write(tmp_path / "stableport.toml", EXAMPLE)
    (tmp_path / "sub").mkdir()
    os.chdir(tmp_path / "sub")
    assert stableport.load().config_path == standalone
    # A relative path is made absolute against the working directory of the call.
    assert stableport.load("../stableport.toml").config_path == standalone
    other = write(tmp_path / "ports.toml", EXAMPLE)
    monkeypatch.setenv("STABLEPORT_CONFIG", str(other))
    assert stableport.load().config_path == other
    # Provenance, not identity: equal maps from two files are equal, and an
    # overlay (as the pytest fixture makes) remembers its file.
    assert stableport.load() == stableport.load(standalone)
    assert stableport.load().overlay(["gw0"]).config_path == other


def test_a_map_from_code_or_the_defaults_has_no_config_path(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    assert stableport.load().config_path is None
    assert EXPECTED.config_path is None
    write(tmp_path / "pyproject.toml", pyproject_text(EXAMPLE))
    assert stableport.load().config_path == tmp_path / "pyproject.toml"


def test_a_map_built_in_code_may_say_where_it_was_read_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What load() passes: a tool that reads its own file says so the same way.
    monkeypatch.chdir(tmp_path)
    pm = stableport.PortMap(["billing"], config_path="ports.toml")
    assert pm.config_path == tmp_path / "ports.toml"  # made absolute when given
    assert stableport.PortMap(["billing"], config_path=tmp_path / "a.toml").config_path == (
        tmp_path / "a.toml"
    )
    assert pm == stableport.PortMap(["billing"])  # where it came from, not what it is
    assert pm.overlay(["gw0"]).config_path == tmp_path / "ports.toml"
    for wrong in (3, b"ports.toml", "", ["ports.toml"], Returns(b"ports.toml"), Returns(3)):
        with pytest.raises(stableport.InvalidTypeError, match=r"^config_path must be a path"):
            stableport.PortMap(config_path=wrong)  # type: ignore[arg-type]


class Returns:
    """An os.PathLike whose __fspath__ returns what it was given, a str or not."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self) -> object:
        return self.value


os.PathLike.register(Returns)


@pytest.mark.parametrize("path", ["ports\x00.toml", "ports-\ud800.toml", Returns("a\x00b")])
def test_a_config_path_no_file_can_have_is_refused_naming_it(path: object) -> None:
    with pytest.raises(stableport.ConfigError) as caught:
        stableport.PortMap(config_path=path)  # type: ignore[arg-type]
    assert str(caught.value).startswith("config_path ")
    assert "can name no file (it holds a NUL or a character the file system cannot" in str(
        caught.value
    )
    assert str(caught.value).endswith("give the configuration file's path")


def test_stableport_toml_wins_over_pyproject_in_one_directory(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", pyproject_text('services = ["other"]\n'))
    write(tmp_path / "stableport.toml", EXAMPLE)
    assert stableport.load().config_path == tmp_path / "stableport.toml"
    assert stableport.load() == EXPECTED


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
            "algorithm, default_exclusions, env, envs, exclude, instances, namespace, pins, range, "
            "services, strict)",
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
        (
            'pins = { "auth@test" = 8001, "Web@Test" = 8001 }\n',
            "pins['Web@Test'] pins 'web' to port 8001, which pins['auth@test'] already pins "
            "to 'auth'; a port can be pinned to one service only",
        ),
        (
            'pins = { "auth@test" = "8001" }\n',
            "pins['auth@test'] must be an int port, not str: '8001'",
        ),
        ("range = [1, 70000]\n", "range high end is 70000, outside the valid ports 1-65535"),
        ("exclude = [[2, 1]]\n", "exclude[0] 2-1 is reversed"),
        (
            f"services = [{'[' * 98}{']' * 98}]\n",  # 99 levels: within the limit
            "key 'services' in the top level must be an array of service names, "
            "not an array [[[[[[[...]]]]]]]",
        ),
        (
            f'env = "{"e" * 5000}"\n',
            f"environment name '{'e' * 27}...{'e' * 28}' (from env) is 5000 characters long",
        ),
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
    _, imported = imported_by("import stableport; stableport.port_for('billing')", cwd=tmp_path)
    assert sorted(imported & {"tomllib", "tomli", "re"}) == []


def test_the_cli_reads_the_project_config(tmp_path: Path) -> None:
    write(tmp_path / "stableport.toml", EXAMPLE)
    result = python("-m", "stableport", "auth", "--env", "test", cwd=tmp_path, check=True)
    assert result.stdout == "8002\n"


# -- files the loader refuses: deep nesting, huge integers, devices, FIFOs ----


def load_error(path: "str | Path | None" = None) -> str:
    """The message of the ConfigError that load(path) raises."""
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    return str(caught.value)


def deeply_nested_pyproject(depth: int) -> str:
    """A pyproject.toml that names stableport only as a dependency, then nests depth arrays."""
    nested = "[" * depth + "]" * depth
    return f'[project]\ndependencies = ["stableport"]\n[tool.other]\nx = {nested}\n'


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", deeply_nested_pyproject(500))
    os.chdir(tmp_path)
    message = f"{path}: arrays or tables are nested more than 100 levels deep"
    with pytest.raises(ConfigError) as caught:
        stableport.port_for("web")
    assert str(caught.value) == message
    assert load_error() == message


def test_an_integer_too_long_to_convert_is_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "stableport.toml", f"pins = {{ web = {'9' * 5000} }}\n")
    with pytest.raises(ConfigError, match=r"invalid TOML: Exceeds the limit \(4300 digits\)"):
        stableport.load(path)


@pytest.mark.parametrize("loader", ["argument", "variable"])
def test_a_character_device_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch, loader: str
) -> None:
    if loader == "variable":
        monkeypatch.setenv("STABLEPORT_CONFIG", "/dev/zero")
    assert load_error("/dev/zero" if loader == "argument" else None) == (
        "cannot read '/dev/zero': it is a character device, not a regular file"
    )


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "stableport.toml"
    os.mkfifo(fifo)
    assert load_error(fifo) == (
        f"cannot read {str(fifo)!r}: it is a FIFO (named pipe), not a regular file"
    )


def test_a_file_over_the_limit_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "stableport.toml"
    path.write_bytes(b"# " + b"x" * MAX_CONFIG_BYTES + b"\n")
    assert load_error(path) == (
        f"cannot read {str(path)!r}: it is larger than {MAX_CONFIG_BYTES:,} bytes, "
        f"the most stableport reads of a configuration file"
    )
    path.write_bytes(b"# " + b"x" * (MAX_CONFIG_BYTES - 20) + b'\nservices = ["a"]\n')
    assert stableport.load(path).services == ("a",)


def broken_candidate(path: Path, kind: str) -> str:
    """Make path a candidate that exists but is no readable file; return what the error says."""
    if kind == "dangling symlink":
        path.symlink_to(path.parent / "missing.toml")
        return (
            f"it is a symbolic link to {str(path.parent / 'missing.toml')!r}, which does not exist"
        )
    if kind == "symlink loop":
        path.symlink_to(path)
        return "Too many levels of symbolic links"
    if kind == "fifo":
        os.mkfifo(path)
        return "it is a FIFO (named pipe), not a regular file"
    path.mkdir()
    return "it is a directory, not a regular file"


@pytest.mark.parametrize("name", ["stableport.toml", "pyproject.toml"])
@pytest.mark.parametrize("kind", ["dangling symlink", "symlink loop", "fifo", "directory"])
def test_a_broken_candidate_is_an_error_not_passed_over(
    tmp_path: Path, name: str, kind: str
) -> None:
    write(tmp_path / "stableport.toml", "pins = { web = 8001 }\n")
    app = tmp_path / "app"
    app.mkdir()
    reason = broken_candidate(app / name, kind)
    os.chdir(app)
    with pytest.raises(ConfigError) as caught:
        stableport.port_for("web")
    assert str(caught.value) == f"cannot read {str(app / name)!r}: {reason}"


def test_the_cli_reports_a_dangling_candidate_instead_of_the_parents_pin(tmp_path: Path) -> None:
    write(tmp_path / "stableport.toml", "pins = { web = 8001 }\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "stableport.toml").symlink_to(app / "gone.toml")
    result = python("-m", "stableport", "web", cwd=app)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"stableport: error: cannot read {str(app / 'stableport.toml')!r}: it is a symbolic "
        f"link to {str(app / 'gone.toml')!r}, which does not exist\n"
    )


@pytest.mark.parametrize(
    "header",
    [
        '[tool."\\u0073tableport".pins]',
        "[tool.'stableport'.pins]",
        '[tool."st\\u0061bleport".pins]',
        '[tool."\\U00000073tableport".pins]',
        '[tool . "\\u0073tableport" . pins]',
    ],
)
def test_an_escaped_table_name_is_the_table(tmp_path: Path, header: str) -> None:
    write(tmp_path / "pyproject.toml", f'[project]\nname = "demo"\n\n{header}\nweb = 8001\n')
    os.chdir(tmp_path)
    assert stableport.port_for("web") == 8001


def test_a_deleted_working_directory_is_a_config_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    assert load_error() == (
        "cannot look for a configuration from the working directory: No such file or "
        "directory (was it deleted?); change to an existing directory or name a file "
        "with STABLEPORT_CONFIG"
    )


def test_a_path_that_is_not_a_path_is_a_type_error() -> None:
    with pytest.raises(stableport.InvalidTypeError) as caught:
        stableport.load(3)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "the configuration path must be a str, bytes or os.PathLike, not int: 3"
    )
    assert isinstance(caught.value, TypeError)


def test_a_path_with_a_nul_is_a_config_error() -> None:
    assert load_error("a\0b") == ("cannot read 'a\\x00b': not a valid path (embedded null byte)")


def test_a_bytes_path_is_read_as_the_str_path(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", pyproject_text(EXAMPLE))
    assert stableport.load(os.fsencode(path)) == EXPECTED


def test_a_path_with_a_newline_gives_a_one_line_message(tmp_path: Path) -> None:
    directory = tmp_path / "two\nlines"
    directory.mkdir()
    path = write(directory / "stableport.toml", "strict = 1\n")
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value) == (
        f"{str(path)!r}: key 'strict' in the top level must be true or false, not an integer 1"
    )


def test_a_long_pins_variable_is_quoted_by_its_bad_entry_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = [f"s{index}={30000 + index}" for index in range(20000)]
    monkeypatch.setenv("STABLEPORT_PINS", ",".join([*entries, "s1=99"]))
    assert load_error() == (
        "STABLEPORT_PINS entry 's1=30001' and STABLEPORT_PINS entry 's1=99' pin the same "
        "service and environment; keep one"
    )


def test_a_megabyte_pins_variable_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABLEPORT_PINS", "web=" + "9" * 1_000_000)
    assert load_error() == (
        "STABLEPORT_PINS entry 'web=99999999999999999999999...9999999999999999999999999999' "
        "is outside the valid ports 1-65535"
    )


def test_a_file_with_several_mistakes_reports_the_one_portmap_would(tmp_path: Path) -> None:
    # The file's order does not matter: algorithm is checked before range, as in PortMap.
    path = write(tmp_path / "stableport.toml", "range = [0, 100]\nalgorithm = 2\n")
    with pytest.raises(ConfigError) as caught:
        stableport.load(path)
    assert str(caught.value) == (
        f"{path}: algorithm 2 is not supported; this release implements algorithm 1 only"
    )
    assert isinstance(caught.value.__cause__, stableport.AlgorithmVersionError)
    with pytest.raises(stableport.AlgorithmVersionError):
        PortMap(port_range=(0, 100), algorithm=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["web"], "{path}: arrays or tables are nested more than 100 levels deep"),
        (["list"], "{path}: arrays or tables are nested more than 100 levels deep"),
        (
            ["list", "--config", "/dev/zero"],
            "cannot read '/dev/zero': it is a character device, not a regular file",
        ),
    ],
)
def test_the_cli_gives_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path / "pyproject.toml", deeply_nested_pyproject(500))
    result = run(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"stableport: error: {message.format(path=path)}\n"


# -- candidates that cannot be looked at, and what init checks first ------------------


def test_a_candidate_that_cannot_be_looked_at_stops_discovery(tmp_path: Path) -> None:
    # os.path.lexists said False for a name too long: the candidate was passed
    # over and an outer project's ports were used.
    from stableport._files import candidate_exists, discover  # noqa: PLC0415

    (tmp_path / "stableport.toml").write_text('namespace = "outer"\n')
    long_name = tmp_path / ("x" * 300)
    with pytest.raises(ConfigError) as raised:
        discover(str(long_name))
    assert "File name too long; a configuration there would be passed over" in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        candidate_exists("a\x00b")
    assert str(raised.value) == "cannot look for 'a\\x00b': not a valid path (embedded null byte)"


def test_a_read_that_fails_names_the_file_and_the_reason(tmp_path: Path) -> None:
    # Open, a regular file, and still the read fails (here: opened for writing
    # only): the same "cannot read" line as a failed open, never a traceback.
    from stableport._files import read_descriptor  # noqa: PLC0415

    path = tmp_path / "stableport.toml"
    path.write_text('services = ["web"]\n')
    descriptor = os.open(path, os.O_WRONLY)
    try:
        with pytest.raises(ConfigError) as raised:
            read_descriptor(descriptor, str(path))
    finally:
        os.close(descriptor)
    assert str(raised.value) == f"cannot read {str(path)!r}: Bad file descriptor"


def test_a_byte_order_mark_is_named_by_every_reader(tmp_path: Path) -> None:
    config = tmp_path / "stableport.toml"
    config.write_bytes(b'\xef\xbb\xbfservices = ["web"]\n')
    with pytest.raises(ConfigError) as raised:
        stableport.load(config)
    assert str(raised.value) == (
        f"{config}: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; "
        "save the file as UTF-8 without a BOM"
    )


def test_settings_of_applies_the_size_limit_to_what_would_be_written() -> None:
    from stableport._schema import settings_of  # noqa: PLC0415

    assert settings_of("stableport.toml", b'services = ["web"]\n') == {"services": ["web"]}
    with pytest.raises(ConfigError) as raised:
        settings_of("stableport.toml", b"#" * (MAX_CONFIG_BYTES + 1))
    assert str(raised.value) == (
        f"stableport.toml: it would be {MAX_CONFIG_BYTES + 1:,} bytes, over "
        f"{MAX_CONFIG_BYTES:,}, the most stableport reads of a configuration file"
    )


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (f"x = {'[' * 100}{']' * 100}\n", "within"),  # the innermost array: level 100
        (f"x = {'[' * 101}{']' * 101}\n", "deep"),
        ("[" + ".".join(["t"] * 100) + "]\n", "within"),
        ("[" + ".".join(["t"] * 101) + "]\n", "deep"),  # tables count, not only arrays
        (f"[tool.other]\nx = {'[' * 99}{']' * 99}\n", "deep"),
    ],
)
def test_nesting_has_a_fixed_limit_whatever_the_parser_can_follow(
    tmp_path: Path, text: str, verdict: str
) -> None:
    # 101 levels is far below what tomllib can recurse: the limit is the spec's
    # (docs/configuration.md), so the JavaScript package gives the same answer.
    path = write(tmp_path / "pyproject.toml", f"# stableport\n{text}")
    message = f"{path}: arrays or tables are nested more than 100 levels deep"
    if verdict == "deep":
        assert load_error(path) == message
    else:
        with pytest.raises(ConfigError, match=r"no \[tool.stableport\] table"):
            stableport.load(path)


def test_the_overrides_are_one_pure_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # Flags and variables over a file's values: the environment it is given,
    # never the process's, and the file's settings left as they were.
    monkeypatch.setenv("STABLEPORT_ENV", "process")
    monkeypatch.setenv("STABLEPORT_PINS", "billing=9999")
    file_values: Settings = {"services": ["billing"], "env": "dev", "pins": {"billing": 8001}}
    given = {
        "STABLEPORT_ENV": "Staging",
        "STABLEPORT_NAMESPACE": "Team",
        "STABLEPORT_PINS": "auth=8002",
    }
    config, origin, label = overridden(file_values, "/p/stableport.toml", "stableport.toml", given)
    assert config == {
        "services": ["billing"],
        "env": "staging",
        "namespace": "team",
        "pins": {"billing": 8001, "auth": 8002},
    }
    assert (origin.env_override, origin.namespace_override) == ("Staging", "Team")
    assert origin.pin_overrides == {("auth", None): 8002}
    assert label == "stableport.toml with STABLEPORT_PINS"
    assert file_values == {"services": ["billing"], "env": "dev", "pins": {"billing": 8001}}
    # The flags win over the variables; without variables, the flags alone.
    config, origin, _ = overridden(file_values, None, "x", {}, "Ns", env="Prod")
    assert (config["env"], config["namespace"], origin.env_override) == ("prod", "ns", None)
