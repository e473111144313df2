"""Every example in the public API's docstrings runs and prints what it shows."""

import doctest
from pathlib import Path
from types import ModuleType

import pytest

from stableport import _api, _errors, _explain, _portmap

# The project an example describes, by its docstring's name: written in the
# example's own working directory (the others run where there is none).
PROJECTS = {"stableport._api.load": 'services = ["billing", "auth"]\nenv = "dev"\n'}


@pytest.mark.parametrize(
    "module", [_api, _errors, _explain, _portmap], ids=lambda module: module.__name__
)
def test_the_docstring_examples_print_what_they_show(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded as unset, so teardown unsets what an example sets (reload()'s does).
    monkeypatch.setenv("STABLEPORT_ENV", "")
    monkeypatch.delenv("STABLEPORT_ENV")
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    examples = [test for test in doctest.DocTestFinder().find(module) if test.examples]
    assert examples, f"{module.__name__} has no examples"
    for test in examples:
        directory = tmp_path / test.name
        directory.mkdir()
        if test.name in PROJECTS:
            (directory / "stableport.toml").write_text(PROJECTS[test.name], encoding="utf-8")
        monkeypatch.chdir(directory)
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "see the doctest report above"
    # Every project written was an example's: none is named wrongly.
    assert {test.name for test in examples} >= {
        name for name in PROJECTS if name.startswith(module.__name__ + ".")
    }
