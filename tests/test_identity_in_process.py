"""The identity's reader and its assignment, in this process: every branch, fast.

tests/test_identity.py and tests/test_zero_step.py prove the same through the
console script; here the loader, instance new and the first use run where
coverage sees them, and faults a real process cannot meet as root are
simulated.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport import ConfigError
from stableport._assign import Repository, _lowest_free, first_use
from stableport._cli import main
from stableport._identity import (
    UnreadableIdentityError,
    _json_string,
    checkout_of,
    identity_text,
    other_checkouts_config,
    read_identity,
)

from .util import git, git_repository, instance_number, worktree

CONFIG = 'namespace = "shop"\nservices = ["web", "api"]\ninstances = 3\n'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    for name in [name for name in os.environ if name.startswith("STABLEPORT_")]:
        if name != "STABLEPORT_LEASE_DIR":
            monkeypatch.delenv(name)
    return git_repository(tmp_path / "main", {"stableport.toml": CONFIG})


def ask(
    where: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(where)
    stableport.reload()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_strings_with_escapes_and_not_strings() -> None:
    assert _json_string('"/a \\" b"') == '/a " b'
    assert _json_string('"/a\\\\b"') == "/a\\b"
    assert _json_string('"/a\\u00e9"') == "/a\u00e9"
    assert _json_string('"/a\\x"') is None  # not JSON
    assert _json_string('["/a\\\\"]') is None  # JSON, not a string
    assert _json_string('"/a"b"') is None
    assert _json_string('"/a\tb"') is None  # a raw control character: not JSON


def test_identity_files_the_reader_refuses(tmp_path: Path) -> None:
    path = str(tmp_path / ".stableport-instance")
    assert identity_text(path) is None
    assert identity_text(str(tmp_path / "file" / ".stableport-instance")) is None
    with pytest.raises(UnreadableIdentityError, match="cannot read"):
        identity_text(str(tmp_path / "a\0b"))
    Path(path).symlink_to(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="symbolic link to"):
        identity_text(path)
    Path(path).unlink()
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="FIFO"):
        identity_text(path)
    Path(path).unlink()
    for text, message in (
        ("1\nextra\n", "'extra' is not a line of an identity file"),
        ('1\nfor: "relative"\n', "is not a line of an identity file"),
        ('1\nfor: "/a"\nfor: "/b"\n', "is not a line of an identity file"),
    ):
        Path(path).write_text(text)
        with pytest.raises(ConfigError, match=message):
            read_identity(path)
    Path(path).write_text('\n\n2\n\nfor: "/x"\n\n')
    found = read_identity(path)
    assert found is not None
    assert (found.value, found.made_for) == ("2", "/x")


def test_where_a_checkout_is_read_from_gits_files(tmp_path: Path) -> None:
    outside = checkout_of(str(tmp_path))
    assert outside is None or outside[0] != str(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".git").write_text("not a pointer\n")
    assert checkout_of(str(plain / "sub")) is None
    (plain / ".git").unlink()
    (plain / ".git").mkdir()
    assert checkout_of(str(plain)) == (str(plain), None)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").write_text("gitdir: /elsewhere/.git/worktrees/linked\n")
    assert checkout_of(str(linked)) == (str(linked), "/elsewhere/.git/worktrees/linked")


def test_config_of_another_checkout_and_of_a_submodule(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = worktree(repo, "a")
    monkeypatch.chdir(repo)
    assert other_checkouts_config(str(tree / "stableport.toml")) == str(repo)
    assert other_checkouts_config(str(repo / "stableport.toml")) is None
    monkeypatch.chdir(tmp_path)  # outside git
    assert other_checkouts_config(str(tree / "stableport.toml")) is None
    shared = git_repository(tmp_path / "shared", {"stableport.toml": CONFIG})
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(shared), "m", cwd=repo)
    monkeypatch.chdir(repo)
    assert other_checkouts_config(str(repo / "m" / "stableport.toml")) is None


def test_first_use_instance_new_copies_and_moves_in_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = worktree(repo, "a"), worktree(repo, "b")
    code, out, err = ask(first, monkeypatch, capsys, "web")
    assert (code, instance_number(first)) == (0, 1)
    assert "gave it instance 1 of 3" in err
    assert stableport.port_for("web") == int(out)
    # A copied file: the copy's first use gives it its own, naming the original.
    shutil.copy(first / ".stableport-instance", second / ".stableport-instance")
    code, _, err = ask(second, monkeypatch, capsys, "list")
    assert (code, instance_number(second)) == (0, 2)
    assert f"was copied from {first}" in err
    # instance new there keeps it; in the original too.
    code, out, _ = ask(second, monkeypatch, capsys, "instance", "new", "--json")
    assert json.loads(out)["kept"] is True
    # A copy instance new meets: "replaced", with where its file came from.
    third = worktree(repo, "c")
    shutil.copy(first / ".stableport-instance", third / ".stableport-instance")
    code, out, _ = ask(third, monkeypatch, capsys, "instance", "new")
    assert code == 0
    assert f"(its file was copied from {first}, not made here)" in out
    # Every instance taken: named, nothing written.
    fourth = worktree(repo, "d")
    code, _, err = ask(fourth, monkeypatch, capsys, "web")
    assert code == 2
    # Said once, by the step that failed: not "stableport: error: stableport: ...".
    assert (
        "stableport: error: giving this worktree an instance: all 3 instances are taken by "
        "other worktrees"
    ) in err
    assert "stableport: error: stableport:" not in err
    assert not (fourth / ".stableport-instance").exists()
    # A worktree moved away keeps its number from the next; pruned, it frees it.
    shutil.move(third, repo.parent / "c-moved")
    git("worktree", "remove", "--force", str(fourth), cwd=repo)
    fifth = worktree(repo, "e")
    code, _, err = ask(fifth, monkeypatch, capsys, "web")
    assert code == 2  # 1, 2 and the moved 3: all held
    git("worktree", "prune", cwd=repo)
    code, _, _ = ask(fifth, monkeypatch, capsys, "web")
    assert (code, instance_number(fifth)) == (0, 3)


def test_the_record_and_its_faults_in_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = worktree(repo, "a")
    record = repo / ".git" / "stableport-instances"
    # A line cut short, one not JSON, one of another kind: none says anything.
    record.write_text('1 "/gone/a\n2 not-json\nx "/b"\n3 ["/c"]\n')
    code, _, _ = ask(tree, monkeypatch, capsys, "web")
    assert (code, instance_number(tree)) == (0, 1)
    # A record that cannot be read is a refusal.
    other = worktree(repo, "b")
    record.unlink()
    record.mkdir()
    code, _, err = ask(other, monkeypatch, capsys, "web")
    assert code == 2
    assert f"cannot read '{record}'" in err
    record.rmdir()
    # The identity cannot be written: named, and the temporary file gone.
    (other / ".stableport-instance").mkdir()
    (other / ".stableport-instance" / "x").write_text("")
    code, _, err = ask(other, monkeypatch, capsys, "web")
    assert code == 2
    shutil.rmtree(other / ".stableport-instance")


def test_a_checkout_that_cannot_be_written_keeps_the_plain_map(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = worktree(repo, "a")

    def refused(*_: object, **__: object) -> object:
        raise ConfigError(f"stableport: cannot write x: {os.strerror(30)}")  # EROFS

    monkeypatch.setattr(Repository, "assign", refused)
    code, out, err = ask(tree, monkeypatch, capsys, "web")
    assert code == 0
    plain = stableport.PortMap(["web", "api"], namespace="shop", instances=3)
    assert int(out) == plain.port_for("web")
    assert "cannot be given one" in err
    # Any other failure is an error.
    monkeypatch.setattr(
        Repository, "assign", lambda *_, **__: (_ for _ in ()).throw(ConfigError("boom"))
    )
    with pytest.raises(ConfigError, match="boom"):
        first_use(str(tree / "stableport.toml"), 3, "shop", None)


def test_a_live_run_of_a_removed_worktree_keeps_its_number(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stableport import _claims  # noqa: PLC0415

    gone = repo.parent / "gone" / "stableport.toml"
    me = _claims.Claimant("shop", 1, "default", "web", os.getpid(), str(gone))
    held = _claims.claim(29999, me)
    assert held is not None
    assert not isinstance(held, _claims.Refused)
    try:
        tree = worktree(repo, "a")
        code, _, _ = ask(tree, monkeypatch, capsys, "web")
        assert (code, instance_number(tree)) == (0, 2)
        # Another namespace's run of instance 2 holds nothing of this project.
        other = _claims.Claimant("other", 2, "default", "web", os.getpid(), str(gone))
        second = _claims.claim(29998, other)
        assert second is not None
        assert not isinstance(second, _claims.Refused)
        try:
            code, _, _ = ask(worktree(repo, "b"), monkeypatch, capsys, "web")
            assert (code, instance_number(repo.parent / "b")) == (0, 3)
        finally:
            second.release()
    finally:
        held.release()


def test_git_failing_is_named(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = worktree(repo, "a")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\necho 'fatal: broken' >&2\nexit 129\n")
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    code, _, err = ask(tree, monkeypatch, capsys, "web")
    assert code == 2
    assert "git rev-parse failed" in err
    assert "needs git 2.36 or later" in err
    (fake / "git").write_text("#!/bin/sh\nexit 1\n")
    code, _, err = ask(tree, monkeypatch, capsys, "web")
    assert "exit status 1" in err
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


@pytest.mark.parametrize(
    ("room", "said"),
    [
        (1, "the 1 instance is taken by another worktree (1: /w/a)"),
        (2, "all 2 instances are taken by other worktrees (1: /w/a, 2: /w/b)"),
    ],
)
def test_every_instance_taken_is_said_in_the_number_there_is(room: int, said: str) -> None:
    repository = Repository.__new__(Repository)
    repository.doing, repository.path = "instance new", "/w/c/.stableport-instance"
    held = {number: f"/w/{'ab'[number - 1]}" for number in range(1, room + 1)}
    with pytest.raises(ConfigError) as raised:
        _lowest_free(room, held, repository)
    assert str(raised.value).startswith(f"instance new: {said}; raise instances")
