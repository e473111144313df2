"""The module-level port_for: its default map, STABLEPORT_ENV and reload()."""

import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport import PortMap

from .util import clean_environment, imported_by


def test_port_for_is_the_default_map_lookup() -> None:
    assert stableport.port_for("billing") == PortMap().port_for("billing", env="default")
    assert stableport.port_for("billing", env="staging") == PortMap().port_for(
        "billing", env="staging"
    )
    assert stableport.port_for("billing") != stableport.port_for("billing", env="staging")


def test_the_public_constants() -> None:
    assert stableport.DEFAULT_RANGE == (20000, 29999)
    assert stableport.DEFAULT_ENV == "default"
    assert stableport.ALGORITHM_VERSION == 1
    # "@py_builtins" and "@pytest_ar": pytest rewrites the package of every
    # installed plugin (stableport ships one), adding these two globals.
    assert sorted(stableport.__all__) == sorted(
        name for name in dir(stableport) if not name.startswith(("_", "@")) or name == "__version__"
    )


def test_stableport_env_sets_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABLEPORT_ENV", "Staging")
    stableport.reload()
    assert stableport.port_for("billing") == PortMap().port_for("billing", env="staging")


def test_the_environment_is_read_once_until_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    default = stableport.port_for("billing")
    monkeypatch.setenv("STABLEPORT_ENV", "staging")
    assert stableport.port_for("billing") == default
    stableport.reload()
    assert stableport.port_for("billing") == stableport.port_for("billing", env="staging")


def test_an_invalid_stableport_env_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STABLEPORT_ENV", "prod@eu")
    with pytest.raises(stableport.ConfigError) as caught:
        stableport.port_for("billing")
    assert str(caught.value) == (
        "environment name 'prod@eu' (from STABLEPORT_ENV) "
        "contains '@', which is reserved; names may not contain any of @ = ,"
    )


def test_an_explicit_env_wins_over_stableport_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABLEPORT_ENV", "staging")
    stableport.reload()
    assert stableport.port_for("billing", env="default") == PortMap().port_for("billing")


def test_unhashable_names_raise_type_errors_not_key_errors() -> None:
    with pytest.raises(stableport.InvalidTypeError):
        stableport.port_for(["billing"])  # type: ignore[arg-type]


@pytest.mark.slow  # real processes
def test_ports_agree_across_processes_with_different_hash_seeds() -> None:
    names = ["billing", "auth", "Straße", "サービス", "x" * 128]
    script = (
        "import stableport, json, sys;"
        "print(json.dumps([stableport.port_for(n, env=e) for n in sys.argv[1:]"
        " for e in (None, 'prod')]))"
    )
    outputs = set()
    for seed in ("0", "1", "12345", "random"):
        result = subprocess.run(
            [sys.executable, "-c", script, *names],
            env=clean_environment({"PYTHONHASHSEED": seed}),
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(result.stdout)
    expected = [PortMap().port_for(n, env=e) for n in names for e in (None, "prod")]
    assert outputs == {f"{expected}\n".replace("'", '"')}


def test_import_stays_light() -> None:
    heavy = {"socket", "argparse", "logging", "tomllib", "tomli", "typing", "re", "dataclasses"}
    _, imported = imported_by("import stableport; stableport.port_for('billing')")
    assert sorted(imported & heavy) == []


def test_the_loader_loads_with_the_first_map_and_the_schema_with_a_file(tmp_path: Path) -> None:
    # import stableport is the map and its functions; reading a configuration
    # loads with the first lookup, and what its keys mean only with a file.
    loader = {
        "stableport._config",
        "stableport._files",
        "stableport._identity",
        "stableport._schema",
        "stableport._test_run",
    }
    _, imported = imported_by("import stableport", cwd=tmp_path)
    assert sorted(imported & loader) == []
    lookup = "import stableport; print(stableport.port_for('billing'))"
    printed, imported = imported_by(lookup, cwd=tmp_path)
    assert (printed, sorted(loader - imported)) == ("20695\n", ["stableport._schema"])
    (tmp_path / "stableport.toml").write_text('env = "staging"\n', encoding="utf-8")
    printed, imported = imported_by(lookup, cwd=tmp_path)
    assert (printed, sorted(loader - imported)) == ("22659\n", [])
