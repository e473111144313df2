"""init() in this process, on real directories: outcomes tests/test_init.py runs as processes."""

import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import stableport
from stableport._cli import main
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


# -- issue 20: faults, in this process, on real files ----------------------------------


@contextmanager
def file_size_limit(size: int) -> Iterator[None]:
    """This process's files may not grow past size bytes, until the block ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


# Longer than anything pytest's capture writes meanwhile, so only init's write hits the limit.
BIG = b'[project]\nname = "big"\n' + b"# padding\n" * 2000


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_failed_append_is_undone(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(BIG)
    with pytest.raises(stableport.ConfigError) as raised, file_size_limit(len(BIG) + 30):
        init(tmp_path, ["web"])
    assert str(raised.value) == (
        f"cannot append to {str(pyproject)!r}: File too large; "
        f"the file is back as it was ({len(BIG):,} bytes)"
    )
    assert pyproject.read_bytes() == BIG


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_failed_create_is_removed(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised, file_size_limit(10):
        init(tmp_path, ["web"])
    target = tmp_path / "stableport.toml"
    assert str(raised.value) == (
        f"cannot write {str(target)!r}: File too large; the new file was removed"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_pyproject_that_is_a_directory_cannot_be_appended_to(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(stableport.ConfigError) as raised:
        init(tmp_path, ["web"], "pyproject.toml")
    assert str(raised.value).startswith(f"cannot read {str(tmp_path / 'pyproject.toml')!r}: ")


def test_a_file_in_a_missing_directory_cannot_be_created(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init(tmp_path, ["web"], "missing/ports.toml")
    target = tmp_path / "missing" / "ports.toml"
    assert str(raised.value) == (f"cannot create {str(target)!r}: No such file or directory")


def test_a_path_holding_nul_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init(tmp_path, ["web"], "a\x00b.toml")
    assert "not a valid path (embedded null byte)" in str(raised.value)


def test_an_unforeseen_os_error_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init(tmp_path, ["web"], "x" * 300 + "/stableport.toml")
    assert str(raised.value).startswith("init: ")
    assert str(raised.value).endswith(": File name too long; nothing was written")


def test_the_commands_name_a_link_a_variable_and_a_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stableport.toml").write_text("")
    shared = tmp_path / "shared.toml"
    shared.write_text('[project]\nname = "linked"\n')
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").symlink_to(shared)
    other = tmp_path / "other.toml"
    other.write_text("")
    monkeypatch.chdir(project)
    monkeypatch.setenv("STABLEPORT_CONFIG", str(other))
    # pyproject.toml links to a file of another name: it is written, and named.
    assert main(["init", "web"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"appended to {shared} (through the link {project / 'pyproject.toml'}):")
    assert f"(STABLEPORT_CONFIG={other} is set: every later command reads that file" in out
    assert f"({project} used {tmp_path / 'stableport.toml'} until now;" in out
