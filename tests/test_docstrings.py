"""Every example in the public API's docstrings runs and prints what it shows."""

import doctest
from pathlib import Path
from types import ModuleType

import pytest

from stableport import _api, _config, _errors, _explain, _portmap

# The project _config's example describes, in the working directory.
PROJECT = 'services = ["billing", "auth"]\nenv = "dev"\n'


@pytest.mark.parametrize(
    "module", [_api, _config, _errors, _explain, _portmap], ids=lambda module: module.__name__
)
def test_the_docstring_examples_print_what_they_show(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if module is _config:
        (tmp_path / "stableport.toml").write_text(PROJECT, encoding="utf-8")
    # Recorded as unset, so teardown unsets what an example sets (reload()'s does).
    monkeypatch.setenv("STABLEPORT_ENV", "")
    monkeypatch.delenv("STABLEPORT_ENV")
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0, f"{module.__name__} has no examples"
    assert results.failed == 0, "see the doctest report above"
