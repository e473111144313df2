"""stableport init under concurrency, faults and odd input (issue 20): real files, real
processes and init() in this process.

Each test is a reproducer from the issue: the file is either left exactly as
it was or ends in one table the loader reads, and every failure is one line.
"""

import os
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import stableport
from stableport._cli import main
from stableport._cli.commands.init import init as init_here
from stableport._files import MAX_CONFIG_BYTES

from .util import SCRIPT, clean_environment, run, run_redirected

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX files, locks and limits")


def init(directory: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run("init", *args, env=env, cwd=directory)


def start_init(directory: Path) -> "subprocess.Popen[str]":
    assert SCRIPT is not None
    return subprocess.Popen(
        [SCRIPT, "init", "web"],
        cwd=directory,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def concurrent_inits(directory: Path, processes: int) -> list[tuple[int, str]]:
    """processes inits started together on one pyproject.toml: each one's status and stderr."""
    started = [start_init(directory) for _ in range(processes)]
    return [(child.wait(), child.communicate()[1]) for child in started]


@POSIX
def test_concurrent_inits_append_one_table_and_the_others_are_refused(tmp_path: Path) -> None:
    # The issue's `for i in 1 2 3 4; do stableport init web & done`, 5 rounds: two
    # tables appended by two winners made invalid TOML and still exit 0. Every
    # round here must end in one table, one success and three refusals.
    original = b'[project]\nname = "race"\n'
    for round_ in range(5):
        directory = tmp_path / f"round{round_}"
        directory.mkdir()
        pyproject = directory / "pyproject.toml"
        pyproject.write_bytes(original)
        outcomes = concurrent_inits(directory, 4)
        assert sorted(code for code, _ in outcomes) == [0, 2, 2, 2], outcomes
        assert all(
            err.endswith(
                "already has a [tool.stableport] table; init never rewrites one: edit it by hand\n"
            )
            for code, err in outcomes
            if code
        ), outcomes
        assert pyproject.read_bytes().count(b"[tool.stableport]") == 1
        assert stableport.load(pyproject).services == ("web",)


def limited(size: int) -> "Callable[[], None]":
    """A preexec_fn: files of the child may not grow past size bytes (RLIMIT_FSIZE)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def init_limited(directory: Path, size: int, *args: str) -> subprocess.CompletedProcess[str]:
    return run("init", *args, cwd=directory, preexec_fn=limited(size))


@POSIX
def test_a_failed_append_leaves_the_file_exactly_as_it_was(tmp_path: Path) -> None:
    # Under a file-size limit the table was cut at "namespac" and the message
    # implied nothing had been written.
    pyproject = tmp_path / "pyproject.toml"
    original = b'[project]\nname = "full"\n'
    pyproject.write_bytes(original)
    result = init_limited(tmp_path, len(original) + 40, "web")
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: cannot append to {str(pyproject)!r}: File too large; "
        f"the file is back as it was ({len(original)} bytes)\n"
    )
    assert pyproject.read_bytes() == original


@POSIX
def test_a_failed_create_leaves_no_file(tmp_path: Path) -> None:
    result = init_limited(tmp_path, 20, "web")
    target = tmp_path / "stableport.toml"
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: cannot write {str(target)!r}: File too large; "
        "the new file was removed\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_config_in_the_parent_takes_the_parents_name_not_dot_dot(tmp_path: Path) -> None:
    # `--config ../stableport.toml` wrote namespace = "..": every project set up
    # that way shared one namespace, and so one set of ports.
    project = tmp_path / "shop"
    below = project / "src"
    below.mkdir(parents=True)
    result = init(below, "web", "--config", "../stableport.toml")
    assert result.returncode == 0, result.stderr
    written = project / "stableport.toml"
    assert stableport.load(written).namespace == "shop"
    assert result.stdout.startswith(f"created {written}:\n")
    assert f"(namespace from the name of the directory {project})" in result.stdout


def test_a_link_and_dot_dot_resolve_as_the_kernel_resolves_them(tmp_path: Path) -> None:
    # a/link/.. is the parent of link's target, not a: the file and its name agree.
    real = tmp_path / "real" / "inner"
    real.mkdir(parents=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "link").symlink_to(real)
    result = init(tmp_path, "web", "--config", "a/link/../stableport.toml")
    assert result.returncode == 0, result.stderr
    assert stableport.load(tmp_path / "real" / "stableport.toml").namespace == "real"
    assert not (tmp_path / "a" / "stableport.toml").exists()


def test_the_root_directory_names_no_project() -> None:
    result = init(Path("/"), "web", "--config", "/stableport.toml")
    assert result.returncode == 2
    assert result.stderr == (
        "stableport: error: namespace '' (from the name of the directory /) names no project; "
        "give one with --namespace NS\n"
    )
    assert not Path("/stableport.toml").exists()


def test_a_directory_as_the_config_is_refused(tmp_path: Path) -> None:
    result = init(tmp_path, "web", "--config", "..")
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: init: {tmp_path / '..'} names a directory, not a file to write\n"
    )


def test_an_existing_directory_or_an_empty_config_is_refused_as_such(tmp_path: Path) -> None:
    # Not "already exists; init never overwrites a file": no file is there.
    (tmp_path / "conf").mkdir()
    result = init(tmp_path, "web", "--config", "conf")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"stableport: error: init: {tmp_path / 'conf'} names a directory, not a file to write\n"
    )
    result = init(tmp_path, "web", "--config=")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "stableport: error: init: --config '' names no file to write; name one, or leave it out\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["conf"]


def test_a_file_the_loader_would_refuse_after_the_append_is_not_written(tmp_path: Path) -> None:
    # With [[tool]], the appended [tool.stableport] is valid TOML in an array
    # element, which the loader refuses: init appended, then failed its reload.
    pyproject = tmp_path / "pyproject.toml"
    original = b'[[tool]]\nname = "a"\n'
    pyproject.write_bytes(original)
    result = init(tmp_path, "web")
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"stableport: error: {pyproject}: appending [tool.stableport] would leave a file "
        "stableport refuses ("
    )
    assert result.stderr.endswith("; nothing was written: add the table by hand\n")
    assert pyproject.read_bytes() == original


def test_a_file_near_the_size_limit_is_not_pushed_over_it(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    head = b'[project]\nname = "big"\n# '
    original = head + b"x" * (MAX_CONFIG_BYTES - 60 - len(head)) + b"\n"
    pyproject.write_bytes(original)
    result = init(tmp_path, "web")
    assert result.returncode == 2
    assert "the most stableport reads of a configuration file); nothing was written" in (
        result.stderr
    )
    assert pyproject.read_bytes() == original


def test_stableport_config_naming_no_file_is_refused(tmp_path: Path) -> None:
    result = init(tmp_path, "web", STABLEPORT_CONFIG="missing.toml")
    assert result.returncode == 2
    assert result.stderr.startswith("stableport: error: STABLEPORT_CONFIG='missing.toml' names no")
    assert list(tmp_path.iterdir()) == []


def test_stableport_config_naming_another_file_is_said(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('services = ["api"]\n')
    result = init(tmp_path, "web", STABLEPORT_CONFIG=str(other))
    assert result.returncode == 0, result.stderr
    assert (
        f"(STABLEPORT_CONFIG={other} is set: every later command reads that file instead, "
        "until it is unset)\n"
    ) in result.stdout


def test_stableport_config_naming_the_file_written_says_nothing(tmp_path: Path) -> None:
    result = init(tmp_path, "web", "--config", "ports.toml", STABLEPORT_CONFIG="ports.toml")
    assert result.returncode == 0, result.stderr
    assert "STABLEPORT_CONFIG" not in result.stdout.replace(
        "name this file with --config or STABLEPORT_CONFIG", ""
    )


def test_a_config_name_too_long_for_the_system_is_one_line(tmp_path: Path) -> None:
    name = "a" * 300
    result = init(tmp_path, "web", "--config", name)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("stableport: error: ")
    assert "File name too long" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def deep_directory(root: Path) -> Path:
    """A directory whose absolute path is longer than PATH_MAX (4096 on Linux)."""
    root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(root, os.O_RDONLY)
    path = root
    try:
        # mkdir relative to a descriptor: the absolute path is too long for mkdir.
        while len(str(path)) <= 4200:
            os.mkdir("d" * 200, dir_fd=descriptor)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor, path = inner, path / ("d" * 200)
    finally:
        os.close(descriptor)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's PATH_MAX")
def test_a_working_directory_past_path_max_is_one_line(tmp_path: Path) -> None:
    deep = deep_directory(tmp_path / "deep")
    for args in (["init", "web"], ["list"], ["web"]):
        result = subprocess_in(deep, args)
        assert result.returncode == 2, (args, result)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "File name too long" in result.stderr


def subprocess_in(directory: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """The console script run in directory, reached by chdir: its path is too long to name."""
    descriptor = os.open(directory.parent.parent, os.O_RDONLY)
    try:
        return run(
            *args,
            preexec_fn=lambda: _chdir_into(descriptor, directory),
            pass_fds=(descriptor,),
        )
    finally:
        os.close(descriptor)


def _chdir_into(descriptor: int, directory: Path) -> None:
    os.fchdir(descriptor)
    os.chdir(directory.parent.name)
    os.chdir(directory.name)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's PATH_MAX")
def test_a_configuration_past_path_max_is_never_passed_over(tmp_path: Path) -> None:
    # The outer project's ports were used: the candidate could not be looked at.
    (tmp_path / "stableport.toml").write_text('namespace = "outer"\n')
    deep = deep_directory(tmp_path / "deep")
    result = subprocess_in(deep, ["list"])
    assert result.returncode == 2
    assert result.stderr.startswith("stableport: error: cannot look for ")
    assert "File name too long; a configuration there would be passed over" in result.stderr


def without_search_override() -> None:
    """In the child: root loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, as a user lacks them."""
    if os.geteuid() != 0:
        return
    import ctypes  # noqa: PLC0415 - only in the child

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            os._exit(99)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux capabilities")
@pytest.mark.parametrize("args", [["init", "web"], ["list"], ["web"]])
def test_a_directory_that_cannot_be_searched_is_one_line(tmp_path: Path, args: list[str]) -> None:
    # The candidates below a directory without search permission cannot be looked
    # at: one line, never a traceback, and never an outer project's ports.
    closed = tmp_path / "closed"
    project = closed / "project"
    project.mkdir(parents=True)
    closed.chmod(0)
    try:
        # cwd is entered before the child gives up root's override.
        result = run(*args, cwd=project, preexec_fn=without_search_override)
    finally:
        closed.chmod(0o700)
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("stableport: error: ")
    assert "Permission denied" in result.stderr
    assert list(project.iterdir()) == []


# -- the same faults met by init() in this process, on real files


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
        init_here(tmp_path, ["web"])
    assert str(raised.value) == (
        f"cannot append to {str(pyproject)!r}: File too large; "
        f"the file is back as it was ({len(BIG):,} bytes)"
    )
    assert pyproject.read_bytes() == BIG


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_failed_create_is_removed(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised, file_size_limit(10):
        init_here(tmp_path, ["web"])
    target = tmp_path / "stableport.toml"
    assert str(raised.value) == (
        f"cannot write {str(target)!r}: File too large; the new file was removed"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_pyproject_that_is_a_directory_cannot_be_appended_to(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(stableport.ConfigError) as raised:
        init_here(tmp_path, ["web"], "pyproject.toml")
    assert str(raised.value) == (
        f"init: {tmp_path / 'pyproject.toml'} names a directory, not a file to write"
    )


def test_a_file_in_a_missing_directory_cannot_be_created(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init_here(tmp_path, ["web"], "missing/ports.toml")
    target = tmp_path / "missing" / "ports.toml"
    assert str(raised.value) == (f"cannot create {str(target)!r}: No such file or directory")


def test_a_path_holding_nul_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init_here(tmp_path, ["web"], "a\x00b.toml")
    assert "not a valid path (embedded null byte)" in str(raised.value)


def test_an_unforeseen_os_error_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(stableport.ConfigError) as raised:
        init_here(tmp_path, ["web"], "x" * 300 + "/stableport.toml")
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


def test_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    original = b'\xef\xbb\xbf[project]\nname = "bom"\n'
    pyproject.write_bytes(original)
    result = init(tmp_path, "web")
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: {pyproject}: starts with a UTF-8 byte order mark (BOM), which "
        "TOML does not allow; save the file as UTF-8 without a BOM\n"
    )
    assert pyproject.read_bytes() == original


def test_appending_through_a_link_names_the_file_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "pyproject.toml"
    shared.parent.mkdir()
    shared.write_text('[project]\nname = "linked"\n')
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").symlink_to(shared)
    result = init(project, "web")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"appended to {shared} (through the link {project / 'pyproject.toml'}):\n"
    )
    assert stableport.load(shared).namespace == "linked"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell")
def test_init_with_stdout_closed_writes_nothing(tmp_path: Path) -> None:
    # It could not say what it wrote: it writes nothing, as before run's change.
    result = run_redirected(">&-", "init", "web", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "stableport: error: no standard output to write the answer to\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_init_to_a_full_stdout_says_the_file_was_written(tmp_path: Path) -> None:
    # `init web > /dev/full` wrote the file, then said only "cannot write the
    # output", as if nothing was done; the next init is refused. The line says both.
    with Path("/dev/full").open("w") as full:
        result = run("init", "web", cwd=tmp_path, stdout=full)
    written = tmp_path / "stableport.toml"
    assert (result.returncode, result.stderr) == (
        2,
        f"stableport: error: created {written}, but cannot write the output: "
        "[Errno 28] No space left on device\n",
    )
    assert stableport.load(written).services == ("web",)


def test_init_to_a_stdout_that_cannot_show_a_name_says_the_file_was_written(
    tmp_path: Path,
) -> None:
    # And suggests no --json, which init does not take.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    result = init(tmp_path, "café", PYTHONIOENCODING="ascii")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"stableport: error: appended to {tmp_path / 'pyproject.toml'}, but standard "
        "output's encoding (ascii) cannot show U+00E9"
    )
    assert result.stderr.endswith("; use a UTF-8 locale or PYTHONIOENCODING=utf-8\n")
    assert stableport.load(tmp_path / "pyproject.toml").services == ("café",)
