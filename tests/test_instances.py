"""Instances: a checkout's identity, where it comes from, and `stableport instance new`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport import ConfigError, InstanceError, PortMap

from .util import SCRIPT, clean_environment, git, git_repository, run, run_redirected, worktree

# Real processes (console scripts, git, servers): left out of the quick loop,
# pytest -m "not slow".
pytestmark = pytest.mark.slow

CONFIG = """\
namespace = "shop"
services = ["web", "api", "db"]
envs = ["dev", "test"]
env = "dev"
instances = 3
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose main checkout holds a stableport.toml with room for 3."""
    return git_repository(tmp_path / "main", {"stableport.toml": CONFIG})


def new(cwd: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = run("instance", "new", "--json", *args, cwd=cwd, env=env)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def identity_of(tree: Path) -> tuple[int, str]:
    """The instance a checkout's file holds, and the directory it says it was made for."""
    number, made_for = (tree / ".stableport-instance").read_text().splitlines()
    assert made_for.startswith("for: ")
    return int(number), json.loads(made_for.removeprefix("for: "))


def ports(cwd: Path, *args: str) -> dict[str, int]:
    result = run("list", "--all-envs", "--json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {
        f"{entry['service']}@{entry['env']}": entry["port"]
        for entry in json.loads(result.stdout)["entries"]
    }


# -- the map --------------------------------------------------------------------


def test_an_instance_is_validated_when_the_map_is_built() -> None:
    with pytest.raises(InstanceError, match=r"instance 3 is beyond this map's instances = 2"):
        PortMap(["web"], instances=2, instance=3)
    with pytest.raises(InstanceError, match="it declares no instances"):
        PortMap(["web"], instance=1)
    with pytest.raises(InstanceError, match="instances 1001 is outside 0-1000"):
        PortMap(["web"], instances=1001)
    with pytest.raises(stableport.InvalidTypeError, match="instance must be an integer, not True"):
        PortMap(["web"], instances=2, instance=True)


def test_too_many_instances_for_the_range_fail_when_the_map_is_built() -> None:
    with pytest.raises(
        stableport.RangeExhaustedError,
        match=r"instances = 4 of 3 \(service, env\) pairs need 12 ports but range 30000-30011 "
        r"has only 9 free .*declare at most 3 instances",
    ):
        PortMap(["a", "b", "c"], port_range=(30000, 30011), default_exclusions=False, instances=4)


def test_repr_equality_and_explain_name_the_instance() -> None:
    pm = PortMap(["web", "api"], envs=["dev"], instances=2, instance=2)
    assert repr(pm).endswith("instances=2, instance=2)")
    assert pm != PortMap(["web", "api"], envs=["dev"], instances=2, instance=1)
    assert pm == PortMap(["api", "web"], envs=["dev"], instances=2, instance=2)
    assert (pm.instances, pm.instance) == (2, 2)
    story = pm.explain("web", "dev")
    assert story.env == "dev"
    assert story.key == b"stableport\x00v1\x00dev\x002\x00web"
    assert story.port == pm.port_for("web", "dev")
    assert pm.overlay(["gw0"]).overlay_envs == ("gw0",)


def test_explain_names_a_holder_by_its_instance() -> None:
    # One port left per claimant: someone's probe lands on another instance's port.
    pm = PortMap(
        ["a", "b", "c", "d"], port_range=(30000, 30011), default_exclusions=False, instances=2
    )
    reasons = [
        probe.reason
        for instance in (1, 2)
        for service in pm.services
        for probe in PortMap(
            ["a", "b", "c", "d"],
            port_range=(30000, 30011),
            default_exclusions=False,
            instances=2,
            instance=instance,
        )
        .explain(service)
        .probes
    ]
    assert any(" of instance " in reason for reason in reasons), reasons
    assert any("assigned before this lookup" in reason for reason in reasons), reasons


# -- where a checkout's instance comes from ----------------------------------------


def test_the_flag_beats_the_variable_which_beats_the_file(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    config = str(tmp_path / "stableport.toml")
    plain = stableport.load(config)
    assert plain.instance == 0
    (tmp_path / ".stableport-instance").write_text("2\n")
    assert run("web", cwd=tmp_path).stdout == f"{(_shop(2)).port_for('web')}\n"
    from_variable = run("web", cwd=tmp_path, env={"STABLEPORT_INSTANCE": "1"})
    assert from_variable.stdout == f"{(_shop(1)).port_for('web')}\n"
    from_flag = run("web", "--instance", "0", cwd=tmp_path, env={"STABLEPORT_INSTANCE": "1"})
    assert from_flag.stdout == f"{plain.port_for('web')}\n"
    # argparse's path takes it too, after a command, with =.
    listed = json.loads(run("list", "--json", "--instance=3", cwd=tmp_path).stdout)
    assert (listed["instance"], listed["instances"], listed["instance_from"]) == (
        3,
        3,
        "--instance",
    )


def _shop(instance: int) -> PortMap:
    return PortMap(
        ["web", "api", "db"],
        envs=["dev", "test"],
        env="dev",
        namespace="shop",
        instances=3,
        instance=instance,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x\n", "instance 'x' (from {file}) is not a whole number"),
        ("4", "instance 4 (from {file}) is beyond instances = 3 in {config}"),
        ("99999999", "instance '99999999' (from {file}) is not a whole number"),
        ("٣", "is not a whole number"),
    ],
)
def test_a_bad_file_is_an_error_naming_it(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    (tmp_path / ".stableport-instance").write_text(content)
    result = run("web", cwd=tmp_path)
    expected = message.format(
        file=tmp_path / ".stableport-instance", config=tmp_path / "stableport.toml"
    )
    assert result.returncode == 2
    assert expected in result.stderr
    with pytest.raises(ConfigError):
        stableport.load(tmp_path / "stableport.toml")


def test_a_directory_in_place_of_the_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    (tmp_path / ".stableport-instance").mkdir()
    result = run("web", cwd=tmp_path)
    assert result.returncode == 2
    assert "it is a directory, not a regular file" in result.stderr


def test_an_instance_without_instances_says_how_to_make_room(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text('services = ["web"]\n')
    result = run("web", cwd=tmp_path, env={"STABLEPORT_INSTANCE": "2"})
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: instance 2 (from STABLEPORT_INSTANCE) needs room: "
        f"{tmp_path / 'stableport.toml'} declares no instances; add instances = N (N >= 2) "
        f"to it, or remove STABLEPORT_INSTANCE\n"
    )
    # Instance 0 is the plain map, wherever it comes from.
    assert run("web", cwd=tmp_path, env={"STABLEPORT_INSTANCE": "0"}).returncode == 0


def test_instances_must_be_an_integer_in_bounds_in_a_file(tmp_path: Path) -> None:
    for value, message in (("true", "must be an integer from 0 to 1000"), ("-1", "outside 0-1000")):
        (tmp_path / "stableport.toml").write_text(f"instances = {value}\n")
        result = run("web", cwd=tmp_path)
        assert result.returncode == 2
        assert message in result.stderr


# -- instance new -------------------------------------------------------------


def test_three_worktrees_get_instances_1_2_3_and_keep_them(repo: Path) -> None:
    trees = [worktree(repo, name) for name in ("a", "b", "c")]
    made = [new(tree) for tree in trees]
    assert [document["instance"] for document in made] == [1, 2, 3]
    assert not any(document["kept"] for document in made)
    again = new(trees[1])
    assert (again["instance"], again["kept"]) == (2, True)
    # Never committed: git ignores it in every worktree, and nothing is to commit.
    for tree in trees:
        assert identity_of(tree) == (trees.index(tree) + 1, str(tree))
        assert git("status", "--porcelain", cwd=tree) == ""
    # Each checkout's ports: its own, apart from every other's and the main's.
    seen = [ports(repo), *(ports(tree) for tree in trees)]
    every = [port for listing in seen for port in listing.values()]
    assert len(every) == len(set(every)) == 4 * 6
    plain = (_shop(0)).assignments()
    assert seen[0] == {f"{service}@{env}": port for (service, env), port in plain.items()}
    # A fourth finds no room: the error names who holds each instance.
    result = run("instance", "new", cwd=worktree(repo, "d"))
    assert result.returncode == 2
    assert "all 3 instances are taken by other worktrees (1: " in result.stderr
    # The main checkout shows it has none, and how to get one.
    shown = run("instance", cwd=repo)
    assert "instance: none (the plain map; room for 3" in shown.stdout


def test_a_copied_identity_is_replaced_with_a_free_one(repo: Path) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    new(first)
    (second / ".stableport-instance").write_text("1\n")  # copied over by hand
    result = run("instance", "new", cwd=second)
    assert result.returncode == 0, result.stderr
    assert "instance 2 of 3: wrote" in result.stdout
    assert f"(replaced instance 1, also {first}'s)" in result.stdout


def test_worktrees_set_up_at_the_same_instant_get_distinct_instances(repo: Path) -> None:
    trees = [worktree(repo, name) for name in ("a", "b", "c")]
    processes = [
        subprocess.Popen(
            [str(SCRIPT), "instance", "new"],
            cwd=tree,
            env=clean_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for tree in trees
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0
        process.communicate()
    numbers = sorted(identity_of(tree)[0] for tree in trees)
    assert numbers == [1, 2, 3]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-config", "no stableport.toml or [tool.stableport] found from here upward"),
        ("no-room", "declares no instances; add, for example, instances = 4 to its top"),
        ("no-git", "instance new: git rev-parse failed in"),
        ("variable", "STABLEPORT_INSTANCE='2' is set, and it wins over the file"),
        ("committed", ".stableport-instance is committed to git, so every checkout shares it"),
    ],
)
def test_instance_new_refuses_with_the_way_out(  # noqa: PLR0917 - pytest passes fixtures so
    tmp_path: Path,
    repo: Path,
    setup: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cwd = repo
    if setup == "no-config":
        cwd = tmp_path / "empty"
        cwd.mkdir()
    elif setup == "no-room":
        (repo / "stableport.toml").write_text('services = ["web"]\n')
    elif setup == "no-git":
        cwd = tmp_path / "plain"
        cwd.mkdir()
        (cwd / "stableport.toml").write_text(CONFIG)
    elif setup == "variable":
        monkeypatch.setenv("STABLEPORT_INSTANCE", "2")
    else:
        (repo / ".stableport-instance").write_text("1\n")
        git("add", "-f", ".stableport-instance", cwd=repo)
    code, out, err = in_process(cwd, monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert message in err
    assert out == ""


def test_a_pyproject_is_told_where_instances_goes(repo: Path) -> None:
    (repo / "stableport.toml").unlink()
    (repo / "pyproject.toml").write_text('[tool.stableport]\nservices = ["web"]\n')
    result = run("instance", "new", cwd=repo)
    assert "add, for example, instances = 4 to [tool.stableport]" in result.stderr


# -- every way in sees the instance ---------------------------------------------


def test_run_export_explain_and_python_see_the_checkouts_instance(repo: Path) -> None:
    tree = worktree(repo, "a")
    new(tree)
    expected = _shop(1)
    code = (
        "import json, os, stableport; "
        "print(json.dumps([stableport.port_for('api'), os.environ['PORT']]))"
    )
    result = run("run", "web", "--", sys.executable, "-c", code, cwd=tree)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [expected.port_for("api"), str(expected.port_for("web"))]
    exported = json.loads(run("export", "--format", "json", cwd=tree).stdout)
    assert exported["STABLEPORT_INSTANCE"] == "1"
    assert exported["WEB_PORT"] == expected.port_for("web")
    explained = run("explain", "web", cwd=tree).stdout
    assert f"instance: 1 of 3 (from {tree / '.stableport-instance'})" in explained
    # --instance given to run reaches the command's own lookups.
    result = run("run", "web", "--instance", "2", "--", sys.executable, "-c", code, cwd=tree)
    assert json.loads(result.stdout)[0] == (_shop(2)).port_for("api")


# -- the same, in this process (coverage sees it) ---------------------------------


def in_process(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from stableport._cli import main  # noqa: PLC0415

    monkeypatch.chdir(cwd)
    stableport.reload()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_instance_new_in_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = worktree(repo, "a")
    code, out, err = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert (code, err) == (0, "")
    assert out.startswith(f"instance 1 of 3: wrote {tree / '.stableport-instance'}\n")
    assert "(git ignores .stableport-instance now: added to " in out
    assert "instance: 1 of 3 (from " in out
    code, out, _ = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert out.startswith("instance 1 of 3: kept")
    assert "git ignores" not in out  # already ignored: info/exclude is not appended again
    code, out, _ = in_process(tree, monkeypatch, capsys, "instance")
    assert "instance: 1 of 3" in out
    code, out, _ = in_process(tree, monkeypatch, capsys, "instance", "--json")
    assert json.loads(out)["instance"] == 1
    code, out, _ = in_process(tree, monkeypatch, capsys, "check", "--json")
    assert json.loads(out)["instance_from"] == str(tree / ".stableport-instance")
    (repo / "stableport.toml").write_text('services = ["web"]\n')
    code, out, _ = in_process(repo, monkeypatch, capsys, "instance")
    assert "the configuration declares no instances" in out
    # Everyone's file is read as it is: a sibling's unreadable one holds no instance.
    (tree / ".stableport-instance").write_bytes(b"\xff")
    (repo / "stableport.toml").write_text(CONFIG)
    other = worktree(repo, "b")
    code, out, _ = in_process(other, monkeypatch, capsys, "instance", "new")
    assert out.startswith("instance 1 of 3: wrote")


def test_instance_new_in_process_errors(
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree = worktree(repo, "a")
    # git missing from PATH: the siblings cannot be checked, so no number is
    # advised (issue 28: "echo 1 >" gave this checkout another worktree's ports).
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    code, _, err = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert "cannot run git" in err
    assert "which instances they hold cannot be checked" in err
    assert "echo" not in err
    assert not (tree / ".stableport-instance").exists()
    monkeypatch.undo()
    # A directory where the file goes: nothing half-written is left behind.
    (tree / ".stableport-instance").mkdir()
    code, _, err = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert "cannot write" in err
    assert sorted(path.name for path in tree.iterdir() if "stableport-instance" in path.name) == [
        ".stableport-instance"
    ]
    (tree / ".stableport-instance").rmdir()
    # An info/exclude that cannot be written: the file is, and the error says how to ignore it.
    exclude = Path(
        git("rev-parse", "--path-format=absolute", "--git-path", "info/exclude", cwd=tree).strip()
    )
    exclude.unlink()
    exclude.mkdir()
    code, _, err = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert "add .stableport-instance to .gitignore" in err
    # The lock's file cannot be made: named.
    exclude.rmdir()
    lock = Path(git("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=tree).strip())
    (lock / "stableport-instance.lock").unlink()
    (lock / "stableport-instance.lock").mkdir()
    code, _, err = in_process(tree, monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert "cannot lock" in err


def test_every_instance_taken_and_a_copied_one_in_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trees = [worktree(repo, name) for name in ("a", "b", "c")]
    for tree in trees:
        assert in_process(tree, monkeypatch, capsys, "instance", "new")[0] == 0
    (trees[2] / ".stableport-instance").write_text("1\n")  # copied from a
    code, out, _ = in_process(trees[2], monkeypatch, capsys, "instance", "new", "--json")
    document = json.loads(out)
    assert (code, document["instance"], document["kept"]) == (0, 3, False)
    code, _, err = in_process(worktree(repo, "d"), monkeypatch, capsys, "instance", "new")
    assert code == 2
    assert f"all 3 instances are taken by other worktrees (1: {trees[0]}, 2: {trees[1]}" in err
    # The main checkout, plain, with room for 3.
    code, out, _ = in_process(repo, monkeypatch, capsys, "instance")
    assert "instance: none (the plain map; room for 3: each linked git worktree is given" in out
    # explain and export name the instance in this process too.
    code, out, _ = in_process(trees[0], monkeypatch, capsys, "explain", "web")
    assert out.splitlines()[1] == f"instance: 1 of 3 (from {trees[0] / '.stableport-instance'})"
    code, out, _ = in_process(trees[0], monkeypatch, capsys, "export", "--format", "json")
    assert json.loads(out)["STABLEPORT_INSTANCE"] == "1"
    monkeypatch.setenv("STABLEPORT_INSTANCE", "2")
    code, out, _ = in_process(trees[0], monkeypatch, capsys, "list", "--json")
    assert (json.loads(out)["instance"], json.loads(out)["instance_from"]) == (
        2,
        "STABLEPORT_INSTANCE",
    )
    monkeypatch.setenv("STABLEPORT_INSTANCE", "1001")
    code, _, err = in_process(trees[0], monkeypatch, capsys, "web")
    assert (code, err) == (
        2,
        "stableport: error: instance 1001 (from STABLEPORT_INSTANCE) is above 1000, "
        "the most there are\n",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"4"', "key 'instances' in the top level must be an integer from 0 to 1000, not a string"),
        ("1001", "instances 1001 is outside 0-1000"),
    ],
)
def test_instances_in_a_file_in_process(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "stableport.toml").write_text(f"instances = {value}\n")
    with pytest.raises(ConfigError, match=message):
        stableport.load(tmp_path / "stableport.toml")


def test_a_fifo_in_a_siblings_place_is_passed_over_never_read(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os  # noqa: PLC0415

    first, second = worktree(repo, "a"), worktree(repo, "b")
    os.mkfifo(first / ".stableport-instance")  # reading it would wait for a writer forever
    code, out, _ = in_process(second, monkeypatch, capsys, "instance", "new")
    assert code == 0
    assert out.startswith("instance 1 of 3: wrote")
    # A write cut short (SIGKILL) leaves a temporary file: git ignores that too.
    (second / ".stableport-instance.123.tmp").write_text("1\n")
    assert git("status", "--porcelain", cwd=second) == ""


def named_worktree(repo: Path, name: "str | bytes", branch: str) -> Path:
    """A worktree beside repo under any name, a newline or bytes that are not UTF-8 too."""
    import os  # noqa: PLC0415

    parent = os.fsencode(repo.parent)
    path = Path(os.fsdecode(parent + b"/" + (name if isinstance(name, bytes) else name.encode())))
    subprocess.run(
        ["git", "worktree", "add", "-q", "-b", branch, os.fsencode(path)],
        cwd=repo,
        capture_output=True,
        check=True,
        env=clean_environment(),
    )
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="a newline in a directory's name")
def test_worktrees_with_a_newline_or_spaces_in_their_path_are_told_apart(repo: Path) -> None:
    # The listing was read line by line: the worktree "a\nb" was listed as "a",
    # its instance unseen by the next worktree, which took the same one.
    newline = named_worktree(repo, "a\nb", "newline")
    inner = named_worktree(repo, "d e", "inner")
    assert [new(tree)["instance"] for tree in (newline, inner)] == [1, 2]
    # The path with a newline is one quoted line, as the config line shows it.
    result = run("instance", "new", cwd=newline)
    assert result.returncode == 0, result.stderr
    mine = str(newline / ".stableport-instance")
    assert result.stdout.splitlines()[0] == f"instance 1 of 3: kept {mine!r}"
    assert result.stdout.count("\n") == run("instance", "new", cwd=inner).stdout.count("\n")


@pytest.mark.skipif(sys.platform == "win32", reason="a directory name ending in spaces")
def test_a_worktree_whose_path_ends_in_spaces_keeps_its_instance(repo: Path) -> None:
    # git's answer was strip()ped, spaces too: the checkout's own file then
    # looked like a sibling's, and every instance new moved it to another instance.
    trailing = named_worktree(repo, "c  ", "trailing")
    assert new(trailing)["instance"] == 1
    again = new(trailing)
    assert (again["instance"], again["kept"]) == (1, True)


@pytest.mark.skipif(sys.platform != "linux", reason="a directory name that is not UTF-8")
def test_a_worktree_whose_path_is_not_utf8_is_a_sibling_like_any_other(repo: Path) -> None:
    # git's listing was decoded as UTF-8: such a path was a UnicodeDecodeError.
    odd = named_worktree(repo, b"f\xff", "bytes")
    plain = worktree(repo, "g")
    assert new(odd)["instance"] == 1
    assert new(plain)["instance"] == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_instance_new_to_a_full_stdout_says_the_file_was_written(repo: Path) -> None:
    tree = worktree(repo, "a")
    result = run_redirected("> /dev/full", "instance", "new", cwd=tree)
    assert (result.returncode, result.stderr) == (
        2,
        f"stableport: error: instance 1 of 3: wrote {tree / '.stableport-instance'}, but "
        "cannot write the output: [Errno 28] No space left on device\n",
    )
    assert identity_of(tree) == (1, str(tree))


def test_a_git_older_than_2_36_is_named_as_the_cause(repo: Path, tmp_path: Path) -> None:
    # git before 2.36 has no `worktree list -z`: it prints what is wrong, then
    # its usage, and exits 129. Its first line, and the version needed, say
    # why; "works in a git worktree" sent the user to check what was fine.
    tree = worktree(repo, "a")
    shim = tmp_path / "old-git"
    shim.mkdir()
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout
    (shim / "git").write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do\n'
        '  if [ "$arg" = "-z" ]; then\n'
        '    echo "error: unknown switch \\`z\'" >&2\n'
        "    echo 'usage: git worktree list [<options>]' >&2\n"
        "    echo '    --porcelain           machine-readable output' >&2\n"
        "    exit 129\n"
        "  fi\n"
        "done\n"
        f'exec {real.strip()} "$@"\n'
    )
    (shim / "git").chmod(0o755)
    path = f"{shim}{os.pathsep}{os.environ['PATH']}"
    result = run("instance", "new", cwd=tree, env={"PATH": path})
    assert result.returncode == 2
    assert result.stderr == (
        f"stableport: error: instance new: git worktree failed in {tree}: "
        "error: unknown switch `z'; instance new needs git 2.36 or later\n"
    )
    assert not (tree / ".stableport-instance").exists()
