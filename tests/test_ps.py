"""stableport ps: every checkout of a project, live or gone, and what serves each port.

Real git worktrees, real servers started through the console script, a
worktree removed while its server runs, a program not started through
stableport on a checkout's port, and another project's server on the host.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stableport
from stableport import _lockfile

from .test_claims import DEADLINE, project, server
from .test_run_holders import foreign
from .util import SCRIPT, assigned_ports, clean_environment, free_namespace, git, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _lockfile.AVAILABLE, reason="no claims where leasing is unavailable"),
]

# Where no checkout is given an instance unasked (issue 33, item 1): the
# identities below are the test's own.
ENV = {"CI": "1"}


def checkouts(root: Path) -> tuple[Path, Path, Path, str]:
    """A git project with instances: main, and worktrees tree (instance 1) and gone (2)."""
    namespace = free_namespace(
        "ps",
        lambda name: [
            port
            for instance in (0, 1, 2)
            for port in assigned_ports("web", "api", instances=2, instance=instance)(name)
        ],
    )
    main = root / "main"
    main.mkdir()
    (main / "stableport.toml").write_text(
        f'namespace = "{namespace}"\nservices = ["web", "api"]\ninstances = 2\n'
    )
    git("init", "-q", cwd=main)
    git("add", ".", cwd=main)
    git("commit", "-qm", "project", cwd=main)
    for name, number in (("tree", 1), ("gone", 2)):
        git("worktree", "add", "-q", f"../{name}", cwd=main)
        (root / name / ".stableport-instance").write_text(f"{number}\n")
    return main, root / "tree", root / "gone", namespace


def port_of(where: Path, service: str) -> int:
    return stableport.load(where / "stableport.toml").port_for(service)


def rows(where: Path) -> list[dict[str, object]]:
    """ps --json in where, flattened: one row per checkout's port."""
    result = run("ps", "--json", cwd=where, env=ENV)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["config"] == str(where / "stableport.toml")
    return [
        {
            "checkout": Path(checkout["path"]).name,
            "this": checkout["this"],
            "gone": checkout["gone"],
            "instance": checkout["instance"],
            **service,
        }
        for checkout in document["checkouts"]
        for service in checkout["services"]
    ]


def test_ps_lists_every_checkout_live_or_gone_with_each_ports_state(tmp_path: Path) -> None:
    main, tree, gone, _ = checkouts(tmp_path)
    elsewhere = project(
        tmp_path / "elsewhere", free_namespace("ps-other", assigned_ports("db")), "db"
    )
    with (
        server(main, "web", ENV) as web,
        server(gone, "api", ENV) as orphan,
        server(elsewhere, "db", ENV) as stranger,
        foreign("127.0.0.1", port_of(tree, "api")) as squatter,
    ):
        orphan_port = port_of(gone, "api")
        shutil.rmtree(gone)  # removed while its server runs
        expected = [
            {"checkout": "main", "this": True, "gone": False, "instance": 0, "service": "web"}
            | {"env": "default", "port": port_of(main, "web"), "pid": web.pid, "state": "serving"},
            {"checkout": "main", "this": True, "gone": False, "instance": 0, "service": "api"}
            | {"env": "default", "port": port_of(main, "api"), "pid": None, "state": "free"},
            {"checkout": "tree", "this": False, "gone": False, "instance": 1, "service": "web"}
            | {"env": "default", "port": port_of(tree, "web"), "pid": None, "state": "free"},
            {"checkout": "tree", "this": False, "gone": False, "instance": 1, "service": "api"}
            | {
                "env": "default",
                "port": port_of(tree, "api"),
                "pid": squatter.pid,
                "state": "squatted",
            },
            {"checkout": "gone", "this": False, "gone": True, "instance": 2, "service": "api"}
            | {"env": "default", "port": orphan_port, "pid": orphan.pid, "state": "orphaned"},
        ]
        key = lambda row: (row["checkout"], row["service"])  # noqa: E731
        assert sorted(rows(main), key=key) == sorted(expected, key=key)
        # From the worktree: the same checkouts, that one marked as this.
        from_tree = {(row["checkout"], row["service"]): row["this"] for row in rows(tree)}
        assert from_tree[("tree", "web")] is True
        assert from_tree[("main", "web")] is False
        document = json.loads(run("ps", "--json", cwd=main, env=ENV).stdout)
        assert document["others"] == [
            {
                "port": port_of(elsewhere, "db"),
                "namespace": stableport.load(elsewhere / "stableport.toml").namespace,
                "instance": 0,
                "env": "default",
                "service": "db",
                "pid": stranger.pid,
                "config": str(elsewhere / "stableport.toml"),
            }
        ]
        text = run("ps", cwd=main, env=ENV)
        assert text.returncode == 0
        lines = text.stdout.splitlines()
        splits = [line.split() for line in lines]
        assert lines[0] == f"config: {main / 'stableport.toml'}"
        assert lines[1].split() == [
            "CHECKOUT",
            "INSTANCE",
            "SERVICE",
            "ENV",
            "PORT",
            "PID",
            "STATE",
        ]
        serving = [str(port_of(main, "web")), str(web.pid), "serving"]
        assert [str(main), "(this)", "0", "web", "default", *serving] in splits
        orphaned = [str(orphan_port), str(orphan.pid), "orphaned"]
        assert [str(gone), "(gone)", "2", "api", "default", *orphaned] in splits
        assert "other claims on this host:" in lines


def test_a_run_that_does_not_listen_yet_is_claimed(tmp_path: Path) -> None:
    main, _, _, _ = checkouts(tmp_path)
    quiet = "import sys; print('ready', flush=True); sys.stdin.read()"
    assert SCRIPT is not None
    holder = subprocess.Popen(
        [SCRIPT, "run", "web", "--", sys.executable, "-c", quiet],
        cwd=main,
        env=clean_environment(ENV),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        web = next(
            row for row in rows(main) if row["checkout"] == "main" and row["service"] == "web"
        )
        assert (web["pid"], web["state"]) == (holder.pid, "claimed")
    finally:
        holder.communicate("", timeout=DEADLINE)


def test_ps_outside_git_lists_this_checkout_alone(tmp_path: Path) -> None:
    namespace = free_namespace("ps-alone", assigned_ports("web"))
    where = project(tmp_path / "alone", namespace, "web")
    assert [(row["checkout"], row["state"]) for row in rows(where)] == [("alone", "free")]


def test_ps_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the console script does, in this process (for coverage): claims
    # made here, a listener held here, so this process is every holder.
    import os  # noqa: PLC0415
    import socket  # noqa: PLC0415

    from stableport import _claims  # noqa: PLC0415
    from stableport._cli import main  # noqa: PLC0415

    monkeypatch.setenv("CI", "1")
    main_checkout, tree, gone, namespace = checkouts(tmp_path)
    monkeypatch.chdir(main_checkout)
    config = str(main_checkout / "stableport.toml")
    web, api = port_of(main_checkout, "web"), port_of(tree, "api")
    orphan_port = port_of(gone, "api")
    elsewhere = free_namespace("ps-other", assigned_ports("db"))
    other_port = stableport.PortMap(["db"], namespace=elsewhere).port_for("db")
    me = os.getpid()
    held = [
        _claims.claim(web, _claims.Claimant(namespace, 0, "default", "web", me, config)),
        _claims.claim(
            orphan_port,
            _claims.Claimant(namespace, 2, "default", "api", me, str(gone / "stableport.toml")),
        ),
        _claims.claim(
            other_port, _claims.Claimant(elsewhere, 0, "default", "db", me, "/elsewhere/x.toml")
        ),
    ]
    shutil.rmtree(gone)
    listeners = [socket.create_server(("127.0.0.1", port)) for port in (web, api)]
    try:
        assert main(["ps"]) == 0
        text = capsys.readouterr().out
        assert f"{main_checkout} (this)" in text
        assert "other claims on this host:" in text
        assert main(["ps", "--json"]) == 0
        document = json.loads(capsys.readouterr().out)
    finally:
        for listener in listeners:
            listener.close()
        for holder in held:
            assert isinstance(holder, _lockfile.Locks)
            holder.release()
    states = {
        (Path(checkout["path"]).name, entry["service"]): (entry["pid"], entry["state"])
        for checkout in document["checkouts"]
        for entry in checkout["services"]
    }
    assert states == {
        ("main", "web"): (me, "serving"),
        ("main", "api"): (None, "free"),
        ("tree", "web"): (None, "free"),
        ("tree", "api"): (me, "squatted"),
        ("gone", "api"): (me, "orphaned"),
    }
    assert [claim["port"] for claim in document["others"]] == [other_port]


def test_one_repository_is_told_from_its_files(tmp_path: Path) -> None:
    from stableport._checkouts import common_directory, same_repository  # noqa: PLC0415

    main_checkout, tree, _, _ = checkouts(tmp_path)
    here, there = str(main_checkout / "stableport.toml"), str(tree / "stableport.toml")
    assert common_directory(there) == (main_checkout / ".git").resolve()
    assert same_repository(here, there)
    outside = tmp_path / "outside"
    outside.mkdir()
    assert not same_repository(here, str(outside / "stableport.toml"))
    assert not same_repository(here, None)
    (tree / ".git").write_text("gitdir: nowhere\n")  # a worktree whose entry is gone
    assert common_directory(there) is None


def test_ps_gives_no_checkout_an_identity_and_says_which_have_none(tmp_path: Path) -> None:
    # Another checkout is read, never written: a worktree without an instance
    # is shown with the plain map's ports and a note, and is left without one.
    main_checkout, _, _, namespace = checkouts(tmp_path)
    fresh = main_checkout.parent / "fresh"
    git("worktree", "add", "-q", "../fresh", cwd=main_checkout)
    broken = main_checkout.parent / "broken"
    git("worktree", "add", "-q", "../broken", cwd=main_checkout)
    (broken / "stableport.toml").write_text("services = [\n")
    result = run("ps", cwd=main_checkout, env={})  # no CI: a lookup there would assign one
    assert result.returncode == 0, result.stderr
    assert not (fresh / ".stableport-instance").exists()
    lines = result.stdout.splitlines()
    assert f"note: {fresh}: no instance yet: given one on first use (the plain map's ports)" in (
        lines
    )
    assert any(line.startswith(f"note: {broken}: ") for line in lines)
    document = json.loads(run("ps", "--json", cwd=main_checkout, env={}).stdout)
    entries = {Path(str(checkout["path"])).name: checkout for checkout in document["checkouts"]}
    assert entries["fresh"]["instance"] == 0
    fresh_ports = {entry["service"]: entry["port"] for entry in entries["fresh"]["services"]}
    assert fresh_ports["web"] == port_of(main_checkout, "web")
    assert entries["broken"]["services"] == []
    assert entries["tree"]["note"] is None
    del namespace


def test_ps_in_process_reads_siblings_and_works_outside_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stableport._checkouts import _same_file, worktree_configs  # noqa: PLC0415
    from stableport._cli import main  # noqa: PLC0415

    main_checkout, tree, _, _ = checkouts(tmp_path)
    for name in ("fresh", "broken", "copy"):
        git("worktree", "add", "-q", f"../{name}", cwd=main_checkout)
    (tmp_path / "broken" / "stableport.toml").write_text("services = [\n")
    made_for = json.dumps(str(tree.resolve()))
    (tmp_path / "copy" / ".stableport-instance").write_text(f"1\nfor: {made_for}\n")
    monkeypatch.chdir(main_checkout)
    assert main(["ps", "--json"]) == 0
    notes = {
        Path(checkout["path"]).name: checkout["note"]
        for checkout in json.loads(capsys.readouterr().out)["checkouts"]
    }
    assert notes["tree"] is None
    assert notes["fresh"] == "no instance yet: given one on first use (the plain map's ports)"
    assert notes["copy"] == f"a copy of {tree.resolve()}: no instance"
    assert "invalid TOML" in notes["broken"]
    # Out of git, or no git: this checkout alone; outside any project: the built-in defaults.
    outside = tmp_path / "outside"
    outside.mkdir()
    assert worktree_configs(str(outside / "stableport.toml")) == []  # git says: no repository
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert worktree_configs(str(main_checkout / "stableport.toml")) == []
    monkeypatch.chdir(outside)
    assert main(["ps", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["config"] is None
    assert [checkout["this"] for checkout in document["checkouts"]] == [True]
    assert not _same_file(str(outside / "missing"), str(outside))
