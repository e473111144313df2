"""A checkout's identity: one reader of each input, never a guess (issue 28, items 6-12).

Every test here is a reproducer from the issue: each failed before the fix.
"""

import json
import resource
import shutil
import sys
from pathlib import Path

import pytest

from .test_init_faults import without_search_override
from .util import git, git_repository, instance_number, plain, python, run, worktree

# Real processes (console scripts, git, servers): left out of the quick loop,
# pytest -m "not slow".
pytestmark = pytest.mark.slow

# Three services and four instances, no envs: a lookup in an undeclared
# environment was a layer above every lane, the variable made it the home.
# queue in instance 2 is one of the 1% of such maps where the two differ.
SHOP = 'services = ["web", "worker", "queue"]\ninstances = 4\n'

CONFIG = 'namespace = "shop"\nservices = ["web", "api"]\ninstances = 3\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repository(tmp_path / "main", {"stableport.toml": CONFIG})


def new(tree: Path, *args: str) -> int:
    result = run("instance", "new", "--json", *args, cwd=tree, env=plain())
    assert result.returncode == 0, result.stderr
    instance: int = json.loads(result.stdout)["instance"]
    return instance


def web(tree: Path, **env: str) -> int:
    result = run("web", cwd=tree, env=plain(env))
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


# -- item 6: --env and STABLEPORT_ENV are one input -------------------------------


def test_env_flag_and_variable_give_one_port_with_instances(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text(SHOP)
    (tmp_path / ".stableport-instance").write_text("2\n")
    by_variable = run("queue", cwd=tmp_path, env=plain({"STABLEPORT_ENV": "dev"}))
    assert by_variable.returncode == 0, by_variable.stderr
    port = int(by_variable.stdout)
    assert int(run("queue", "--env", "dev", cwd=tmp_path, env=plain()).stdout) == port
    listed = json.loads(run("list", "--json", "--env", "dev", cwd=tmp_path, env=plain()).stdout)
    assert {entry["service"]: entry["port"] for entry in listed["entries"]}["queue"] == port
    story = json.loads(run("explain", "queue", "--json", "--env", "dev", cwd=tmp_path).stdout)
    assert story["port"] == port
    exported = run("export", "--env", "dev", cwd=tmp_path, env=plain()).stdout
    assert f"QUEUE_PORT={port}\n" in exported
    # run sets PORT from --env and passes STABLEPORT_ENV on: the command agrees.
    code = "import os, stableport; print(os.environ['PORT'], stableport.port_for('queue'))"
    ran = run(
        "run", "queue", "--env", "dev", "--no-claim", "--", sys.executable, "-c", code,
        cwd=tmp_path, env=plain(),
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [str(port), str(port)]


# -- item 7: one reader of .stableport-instance -----------------------------------


@pytest.mark.parametrize("space", ["\u00a0", "\u2003", "\u3000"])
def test_unicode_space_is_no_identity_to_any_reader(repo: Path, space: str) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    (first / ".stableport-instance").write_text(f"{space}1\n")
    # The loader refuses it, naming the file: it never answers instance 1's ports.
    refused = run("web", cwd=first, env=plain())
    assert refused.returncode == 2
    assert f"(from {first / '.stableport-instance'}) is not a whole number" in refused.stderr
    # The variable is read by the same rule.
    variable = run("web", cwd=repo, env=plain({"STABLEPORT_INSTANCE": f"{space}1"}))
    assert variable.returncode == 2
    assert "(from STABLEPORT_INSTANCE) is not a whole number" in variable.stderr
    # A sibling's file its own loads refuse holds no instance: the second gets 1, and
    # the first answers no port at all until its file is fixed, never the same one.
    assert new(second) == 1


def test_ascii_space_around_the_number_is_allowed(repo: Path) -> None:
    first = worktree(repo, "a")
    (first / ".stableport-instance").write_text("\n 2\t\r\n\n")
    assert web(first) == web(repo, STABLEPORT_INSTANCE="2")
    assert new(worktree(repo, "b")) == 1


# -- item 8: --config through a symbolic link ------------------------------------


@pytest.mark.parametrize("through", ["--config", "STABLEPORT_CONFIG"])
def test_config_through_a_link_finds_every_sibling(
    repo: Path, tmp_path: Path, through: str
) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    links = tmp_path / "links"
    links.mkdir()
    (links / "a").symlink_to(first)
    (links / "b").symlink_to(second)
    got = []
    for name in ("a", "b"):
        config = str(links / name / "stableport.toml")
        args = ["--config", config] if through == "--config" else []
        env = plain({} if args else {"STABLEPORT_CONFIG": config})
        result = run("instance", "new", "--json", *args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        got.append(json.loads(result.stdout)["instance"])
    assert got == [1, 2]
    assert (instance_number(first), instance_number(second)) == (1, 2)


# -- item 9: a worktree moved with mv --------------------------------------------


def test_a_worktree_moved_with_mv_keeps_its_number_from_everyone(repo: Path) -> None:
    first = worktree(repo, "a")
    assert new(first) == 1
    port = web(first)
    moved = first.parent / "a-moved"
    shutil.move(first, moved)
    # It keeps its identity where it went ...
    assert web(moved) == port
    # ... and git, which lists it at its old path as prunable, gives its number to
    # no one else.
    assert "prunable" in git("worktree", "list", "--porcelain", cwd=repo)
    assert new(worktree(repo, "b")) == 2
    # Once git forgets it (prune), its number is free again.
    git("worktree", "prune", cwd=repo)
    assert new(worktree(repo, "c")) == 1


# -- item 10: instance new in the original of a copied checkout -------------------


def test_the_original_keeps_its_number_and_the_copy_gets_a_new_one(repo: Path) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    assert new(first) == 1
    port = web(first)
    shutil.copy(first / ".stableport-instance", second / ".stableport-instance")
    # The original is asked first: it keeps its number, its servers' ports stay.
    result = run("instance", "new", "--json", cwd=first, env=plain())
    assert json.loads(result.stdout)["kept"] is True
    assert web(first) == port
    # The copy is never silently the original's: its first use gives it its own.
    copied = run("web", cwd=second, env=plain())
    assert copied.returncode == 0, copied.stderr
    assert int(copied.stdout) != port
    assert instance_number(second) == 2
    assert f"was copied from {first}" in copied.stderr


def test_a_copy_of_a_whole_worktree_is_recognised_at_load(repo: Path, tmp_path: Path) -> None:
    first = worktree(repo, "a")
    assert new(first) == 1
    port = web(first)
    copy = tmp_path / "a-copy"
    shutil.copytree(first, copy, symlinks=True)
    copied = run("web", cwd=copy, env=plain())
    assert copied.returncode == 0, copied.stderr
    assert int(copied.stdout) != port
    # The copy is recorded: no later worktree is given its number.
    taken = instance_number(copy)
    assert taken == 2
    assert new(worktree(repo, "b")) == 3
    # In CI (no writes), a copy is an error, never its original's ports.
    second_copy = tmp_path / "a-copy-2"
    shutil.copytree(first, second_copy, symlinks=True)
    refused = run("web", cwd=second_copy, env=plain({"CI": "true"}))
    assert refused.returncode == 2
    assert f"was made for {first}, which still exists" in refused.stderr


# -- item 11: an identity that cannot be checked is a refusal --------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux capabilities")
@pytest.mark.parametrize("closed", ["file", "directory"])
def test_a_sibling_identity_that_cannot_be_read_is_a_refusal(repo: Path, closed: str) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    assert new(first) == 1
    target = first / ".stableport-instance" if closed == "file" else first
    target.chmod(0)
    try:
        result = run("instance", "new", cwd=second, env=plain(), preexec_fn=without_search_override)
    finally:
        target.chmod(0o755)
    assert result.returncode == 2, result
    assert "Permission denied" in result.stderr
    assert "which instance that checkout has cannot be told" in result.stderr
    assert not (second / ".stableport-instance").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux capabilities")
def test_an_own_identity_that_cannot_be_read_is_an_error_not_the_plain_map(
    tmp_path: Path,
) -> None:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    (tmp_path / ".stableport-instance").write_text("1\n")
    (tmp_path / ".stableport-instance").chmod(0)
    result = run("web", cwd=tmp_path, env=plain(), preexec_fn=without_search_override)
    assert result.returncode == 2
    assert f"cannot read '{tmp_path / '.stableport-instance'}': Permission denied" in (
        result.stderr
    )


def test_without_git_nothing_is_advised_nor_written(repo: Path, tmp_path: Path) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    assert new(first) == 1
    bare_path = tmp_path / "nowhere"
    result = run(
        "instance", "new", cwd=second, env=plain({"PATH": str(bare_path)})
    )  # the console script is named by its full path
    assert result.returncode == 2
    assert "cannot run git" in result.stderr
    assert "echo" not in result.stderr
    assert not (second / ".stableport-instance").exists()
    # Nor does a first use guess: the worktree's lookup says why it has no port.
    looked = run("web", cwd=second, env=plain({"PATH": str(bare_path)}))
    assert looked.returncode == 2
    assert "cannot run git" in looked.stderr


# -- item 12: .git/info/exclude cut back on a failed append ----------------------


def test_a_cut_short_exclude_append_is_undone(repo: Path) -> None:
    tree = worktree(repo, "a")
    exclude = repo / ".git" / "info" / "exclude"
    exclude.write_text("# padding\n" * 200)  # 2,000 bytes, ending in a newline
    before = exclude.read_bytes()
    limit = len(before) + 10  # the identity file and the record fit, the append does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run("instance", "new", cwd=tree, env=plain(), preexec_fn=small_files)
    assert result.returncode == 2, result
    assert f"cannot add it to {exclude}" in result.stderr
    assert exclude.read_bytes() == before  # no ".stablepo" for the next `>>` to extend
    with exclude.open("a") as file:
        file.write("foo\n")
    assert exclude.read_text().endswith("# padding\nfoo\n")


def test_python_sees_what_the_command_line_sees_in_a_copy(repo: Path, tmp_path: Path) -> None:
    first = worktree(repo, "a")
    assert new(first) == 1
    copy = tmp_path / "copy"
    shutil.copytree(first, copy, symlinks=True)
    code = "import stableport; print(stableport.port_for('web'))"
    result = python("-c", code, cwd=copy, env=plain())
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == web(copy) != web(first)
    assert (copy / ".stableport-instance").exists()
