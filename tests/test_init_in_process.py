"""init() in this process, on real directories: outcomes tests/test_init.py runs as processes."""

from pathlib import Path

import pytest

import stableport
from stableport._init import init


def test_a_directory_name_that_is_no_name_asks_for_a_namespace(tmp_path: Path) -> None:
    directory = tmp_path / "a@b"
    directory.mkdir()
    with pytest.raises(stableport.InvalidNameError) as raised:
        init(directory, ["api"])
    assert str(raised.value).startswith(
        f"namespace 'a@b' (from the name of the directory {directory})"
    )
    assert str(raised.value).endswith("; give one with --namespace NS")
    assert list(directory.iterdir()) == []


def test_a_pyproject_ending_in_a_blank_line_gets_the_table_right_after(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    before = b'[project]\nname = "shop"\n\n'
    pyproject.write_bytes(before)
    written = init(tmp_path, ["api"])
    assert (written.path, written.created) == (pyproject, False)
    assert pyproject.read_bytes() == before + written.text.encode()
    assert stableport.load(pyproject).namespace == "shop"


def test_a_broken_pyproject_above_does_not_stop_init_below(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.stableport\n")
    below = tmp_path / "api"
    below.mkdir()
    written = init(below, ["web"])
    # The new file ends discovery before the broken one is read: nothing replaced.
    assert (written.path, written.created, written.replaced) == (
        below / "stableport.toml",
        True,
        None,
    )
    assert stableport.load(written.path).services == ("web",)
