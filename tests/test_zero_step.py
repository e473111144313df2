"""No step per worktree (issue 33): a new worktree's instance on first use, and never another's.

Worktrees here are added with a plain `git worktree add` and nothing run in
them; every process runs without a terminal, as agents and process managers
run them.
"""

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stableport

from .test_init_faults import without_search_override
from .test_instances_proof import SERVER, SERVICES, check_answers
from .util import (
    SCRIPT,
    clean_environment,
    free_namespace,
    git,
    git_repository,
    imported_by,
    instance_number,
    plain,
    python,
    run,
    stacks,
    worktree,
)

# Real processes (console scripts, git, servers): left out of the quick loop,
# pytest -m "not slow".
pytestmark = pytest.mark.slow

CONFIG = 'namespace = "shop"\nservices = ["web", "api"]\ninstances = 6\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repository(tmp_path / "main", {"stableport.toml": CONFIG})


def web(tree: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run("web", cwd=tree, env=plain(env))


def port_of(instance: int) -> int:
    return stableport.PortMap(
        ["web", "api"], namespace="shop", instances=6, instance=instance
    ).port_for("web")


# -- who is given one, and who is not ---------------------------------------------


def test_a_new_worktree_is_given_the_lowest_free_instance_on_first_use(repo: Path) -> None:
    trees = [worktree(repo, name) for name in ("a", "b", "c")]
    for expected, tree in enumerate(trees, start=1):
        first = web(tree)
        assert first.returncode == 0, first.stderr
        assert int(first.stdout) == port_of(expected)
        assert first.stderr == (
            f"stableport: this worktree had no instance of its own: gave it instance "
            f"{expected} of 6, the lowest free, in {tree / '.stableport-instance'}\n"
        )
        again = web(tree)
        assert (again.stdout, again.stderr) == (first.stdout, "")  # said once
    # Git ignores the file in every worktree; the main checkout stays plain.
    assert git("status", "--porcelain", cwd=trees[0]) == ""
    main = web(repo)
    assert (int(main.stdout), main.stderr) == (port_of(0), "")
    assert not (repo / ".stableport-instance").exists()


@pytest.mark.parametrize(
    "entry",
    [
        ["list", "--json"],
        ["export"],
        ["explain", "web"],
        ["run", "web", "--no-claim", "--", sys.executable, "-c", "pass"],
        ["python"],
    ],
)
def test_every_entry_point_gives_it_first(repo: Path, entry: list[str]) -> None:
    tree = worktree(repo, "a")
    if entry == ["python"]:
        code = "import stableport; print(stableport.port_for('web'))"
        result = python("-c", code, cwd=tree, env=plain())
        assert int(result.stdout) == port_of(1)
    else:
        result = run(*entry, cwd=tree, env=plain())
    assert result.returncode == 0, result.stderr
    assert "gave it instance 1 of 6" in result.stderr
    assert instance_number(tree) == 1


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"STABLEPORT_INSTANCE": "3"}, []),
        ({"STABLEPORT_INSTANCE": "0"}, []),
        ({}, ["--instance", "2"]),
        ({"CI": "true"}, []),
        ({"CI": "1"}, []),
    ],
)
def test_never_where_an_identity_is_given_nor_in_ci(
    repo: Path, env: dict[str, str], args: list[str]
) -> None:
    tree = worktree(repo, "a")
    result = run("web", *args, cwd=tree, env=plain(env))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not (tree / ".stableport-instance").exists()
    given = env.get("STABLEPORT_INSTANCE") or (args[1] if args else "0")
    assert int(result.stdout) == port_of(int(given))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux capabilities")
def test_a_read_only_worktree_keeps_the_plain_map_and_says_so(repo: Path) -> None:
    tree = worktree(repo, "a")
    tree.chmod(0o555)
    try:
        result = run("web", cwd=tree, env=plain(), preexec_fn=without_search_override)
    finally:
        tree.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == port_of(0)
    assert "is a git worktree with no instance, and cannot be given one" in result.stderr
    assert "set STABLEPORT_INSTANCE=N for its own" in result.stderr
    assert not (tree / ".stableport-instance").exists()


def test_a_project_without_instances_in_a_worktree_is_told_the_line(tmp_path: Path) -> None:
    main = git_repository(tmp_path / "main", {"stableport.toml": 'services = ["web"]\n'})
    tree = worktree(main, "a")
    result = run("web", cwd=tree, env=plain())
    assert result.returncode == 0
    assert "this is a linked git worktree" in result.stderr
    assert "add `instances = 4` to it and commit it" in result.stderr
    assert run("web", cwd=main, env=plain()).stderr == ""  # the main checkout: nothing


def test_a_submodule_is_not_a_linked_worktree(tmp_path: Path) -> None:
    inner = git_repository(tmp_path / "inner", {"stableport.toml": CONFIG})
    outer = git_repository(tmp_path / "outer", {"README": "outer\n"})
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub", cwd=outer)
    result = run("web", cwd=outer / "sub", env=plain())
    assert (result.returncode, result.stderr) == (0, "")
    assert not (outer / "sub" / ".stableport-instance").exists()


def test_instance_new_refuses_the_main_worktree(repo: Path) -> None:
    result = run("instance", "new", cwd=repo, env=plain())
    assert result.returncode == 2
    assert "is the repository's main worktree" in result.stderr
    assert "would move its ports while its servers run" in result.stderr
    assert not (repo / ".stableport-instance").exists()


# -- where the answer came from -----------------------------------------------------


def test_a_config_variable_naming_another_checkout_is_noted(repo: Path) -> None:
    tree = worktree(repo, "a")
    assert web(tree).returncode == 0
    env = {"STABLEPORT_CONFIG": str(tree / "stableport.toml")}
    result = run("web", cwd=repo, env=plain(env))
    assert int(result.stdout) == port_of(1)
    assert result.stderr == (
        f"stableport: note: STABLEPORT_CONFIG names {tree / 'stableport.toml'}, in another "
        f"checkout than the working directory's ({repo}): these are that checkout's ports; "
        f"unset STABLEPORT_CONFIG for this one's\n"
    )
    # In its own checkout (a subdirectory too), nothing to say.
    (tree / "sub").mkdir()
    assert run("web", cwd=tree / "sub", env=plain(env)).stderr == ""


def test_run_outside_any_project_says_so_without_a_terminal(tmp_path: Path) -> None:
    result = run("run", "web", "--no-claim", "--", "true", cwd=tmp_path, env=plain())
    assert result.returncode == 0
    assert "no stableport.toml or pyproject.toml with [tool.stableport]" in result.stderr
    assert "the built-in defaults apply" in result.stderr


# -- the identity reaches commands -------------------------------------------------


def test_run_passes_the_instance_and_expands_it(repo: Path) -> None:
    tree = worktree(repo, "a")
    script = 'echo "{INSTANCE} $STABLEPORT_INSTANCE {{INSTANCE}}"'
    for where, expected in ((tree, "1 1 {INSTANCE}"), (repo, "0 0 {INSTANCE}")):
        result = run("run", "web", "--no-claim", "--", "sh", "-c", script, cwd=where, env=plain())
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{expected}\n"


def test_export_with_instance(repo: Path) -> None:
    tree = worktree(repo, "a")
    result = run("export", "--with-instance", cwd=tree, env=plain())
    assert result.stdout.startswith("STABLEPORT_INSTANCE=1\nAPI_PORT=")
    shell = run("export", "--with-instance", "--format", "shell", cwd=repo, env=plain())
    assert shell.stdout.startswith("export STABLEPORT_INSTANCE=0\n")
    document = json.loads(run("export", "--with-instance", "--format", "json", cwd=repo).stdout)
    assert document["STABLEPORT_INSTANCE"] == "0"
    assert "STABLEPORT_INSTANCE" not in run("export", cwd=tree, env=plain()).stdout


# -- under an adversary -----------------------------------------------------------


def test_many_worktrees_starting_at_once_get_distinct_numbers(repo: Path) -> None:
    trees = [worktree(repo, f"t{index}") for index in range(6)]
    environment = clean_environment(plain())
    # Three lookups in each worktree at the same instant: 18 processes.
    processes = [
        subprocess.Popen(
            [str(SCRIPT), "web"],
            cwd=tree,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
        for tree in trees
    ]
    answers: dict[Path, set[int]] = {}
    for index, process in enumerate(processes):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        answers.setdefault(trees[index % len(trees)], set()).add(int(out))
    assert all(len(ports) == 1 for ports in answers.values()), answers
    assert sorted(instance_number(tree) for tree in trees) == [1, 2, 3, 4, 5, 6]
    assert len({ports.pop() for ports in answers.values()}) == len(trees)


def test_sigkill_at_any_moment_of_an_assignment_leaves_no_two_alike(repo: Path) -> None:
    rng = random.Random(33)  # noqa: S311 - a reproducible schedule, nothing secret
    trees = [worktree(repo, f"k{index}") for index in range(4)]
    environment = clean_environment(plain())
    for _ in range(12):
        tree = rng.choice(trees)
        process = subprocess.Popen(
            [str(SCRIPT), "web"],
            cwd=tree,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait()
    for tree in trees:
        assert web(tree).returncode == 0
    assert sorted(instance_number(tree) for tree in trees) == [1, 2, 3, 4]
    assert git("status", "--porcelain", cwd=trees[0]) == ""  # leftovers are ignored too


def test_a_full_disk_leaves_no_identity_and_no_half_line(repo: Path) -> None:
    tree = worktree(repo, "a")
    record = repo / ".git" / "stableport-instances"
    record.write_text('9 "/gone"\n' * 100)
    before = record.read_bytes()
    limit = len(before) + 5

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run("web", cwd=tree, env=plain(), preexec_fn=small_files)
    assert result.returncode == 2
    assert f"cannot add to {record}" in result.stderr
    assert record.read_bytes() == before
    assert not (tree / ".stableport-instance").exists()
    # With room again, the next lookup gives it its instance.
    assert web(tree).returncode == 0
    assert instance_number(tree) == 1


def test_an_identity_file_replaced_underneath_is_read_as_it_is_now(repo: Path) -> None:
    tree = worktree(repo, "a")
    assert web(tree).returncode == 0
    (tree / ".stableport-instance").unlink()
    (tree / ".stableport-instance").symlink_to(tree / "nowhere")
    dangling = web(tree)
    assert dangling.returncode == 2
    assert "it is a symbolic link to" in dangling.stderr
    (tree / ".stableport-instance").unlink()
    (tree / ".stableport-instance").write_text("3\n")  # by hand: this checkout's, trusted
    assert int(web(tree).stdout) == port_of(3)
    # Another worktree skips 3 and takes the lowest below it.
    other = worktree(repo, "b")
    assert web(other).returncode == 0
    assert instance_number(other) == 1


# -- orphans: a worktree removed while its servers run ---------------------------


def test_an_orphans_number_is_never_given_while_its_server_lives(repo: Path) -> None:
    tree = worktree(repo, "a")
    server = subprocess.Popen(
        [str(SCRIPT), "run", "web", "--", sys.executable, "-c", "import time; time.sleep(600)"],
        cwd=tree,
        env=clean_environment(plain()),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tree / ".stableport-instance").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the claim is taken just before the command starts
        assert instance_number(tree) == 1
        git("worktree", "remove", "--force", str(tree), cwd=repo)
        new = worktree(repo, "b")
        result = web(new)
        assert result.returncode == 0, result.stderr
        assert instance_number(new) == 2
        assert int(result.stdout) != port_of(1)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        assert server.stderr is not None
        server.stderr.close()
    # The orphan gone, its number is free again.
    assert web(worktree(repo, "c")).returncode == 0
    assert instance_number(repo.parent / "c") == 1


# -- the proof: plain `git worktree add`, real servers, no terminal, at once --------


@pytest.mark.slow
def test_proof_worktrees_added_with_git_alone_run_side_by_side(tmp_path: Path) -> None:
    def ports(namespace: str) -> list[int]:
        return [
            stableport.PortMap(
                SERVICES, envs=["dev", "test"], env="dev", namespace=namespace,
                instances=5, instance=number,
            ).port_for(service)
            for number in range(6)
            for service in SERVICES
        ]  # fmt: skip

    namespace = free_namespace("zero", ports)
    config = (
        f'namespace = "{namespace}"\nservices = ["web", "api", "db"]\n'
        f'envs = ["dev", "test"]\nenv = "dev"\ninstances = 5\n'
    )
    main = git_repository(tmp_path / "main", {"stableport.toml": config, "server.py": SERVER})
    trees = [main, *(worktree(main, f"tree-{index}") for index in (1, 2, 3))]
    with stacks(trees, SERVICES, plain()) as first:
        check_answers(trees, first)
    with stacks(trees[::-1], SERVICES, plain()) as again:
        check_answers(trees, again)
        assert again == first, "a port moved on a restart in reverse order"
    # A worktree removed while its stack runs, then a new one: never the orphan's ports.
    with stacks([trees[3]], SERVICES, plain()) as orphan:
        git("worktree", "remove", "--force", str(trees[3]), cwd=main)
        late = worktree(main, "tree-4")
        with stacks([late], SERVICES, plain()) as fresh:
            assert not set(fresh.values()) & set(orphan.values())
            check_answers([late], fresh)
    # A cp -r copy of a worktree: never its original's ports, and no later
    # worktree is given the copy's.
    copy = tmp_path / "tree-1-copy"
    shutil.copytree(trees[1], copy, symlinks=True)
    with stacks([trees[1], copy], SERVICES, plain()) as pair:
        check_answers([trees[1], copy], pair)
    later = worktree(main, "tree-5")
    with stacks([copy, later], SERVICES, plain()) as pair:
        check_answers([copy, later], pair)
    numbers = [instance_number(tree) for tree in (trees[1], trees[2], late, copy, later)]
    assert len(set(numbers)) == len(numbers), numbers


def test_a_worktrees_lookup_imports_nothing_heavy(repo: Path) -> None:
    # Its identity names its checkout, a path with a letter outside ASCII: read
    # without json, git or pathlib, with nothing a plain checkout's lookup lacks.
    tree = worktree(repo, "café")
    assert web(tree).returncode == 0
    assert (tree / ".stableport-instance").read_text(encoding="utf-8").splitlines() == [
        "1",
        f'for: "{tree}"',
    ]
    code = "from stableport._cli import main; main(['web'])"
    printed, imported = imported_by(code, cwd=tree)
    assert printed == f"{port_of(1)}\n"
    _, plain_checkouts = imported_by(code, cwd=repo)
    assert sorted(imported - plain_checkouts) == []
    assert sorted(imported & {"json", "subprocess", "argparse", "pathlib"}) == []


def test_the_fixture_gives_a_new_worktree_its_instance(repo: Path) -> None:
    tree = worktree(repo, "a")
    (tree / "test_port.py").write_text(
        "def test_port(stableport):\n    assert stableport('web') > 0\n"
    )
    result = python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_port.py", cwd=tree, env=plain()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert instance_number(tree) == 1


def test_hostile_worktree_paths_are_recorded_and_told_apart(repo: Path) -> None:
    names = ["new\nline", "ends in spaces  ", 'quote " and \\ backslash']
    trees = []
    for index, name in enumerate(names):
        git("worktree", "add", "-q", "-b", f"b{index}", f"../{name}", cwd=repo)
        trees.append(repo.parent / name)
    for tree in trees:
        assert web(tree).returncode == 0
    assert [instance_number(tree) for tree in trees] == [1, 2, 3]
    record = (repo / ".git" / "stableport-instances").read_text(encoding="utf-8")
    assert [json.loads(line.partition(" ")[2]) for line in record.splitlines()] == [
        str(tree) for tree in trees
    ]
    # Each still reads its own file as its own (not a copy's): nothing reassigned.
    for tree in trees:
        again = web(tree)
        assert (again.returncode, again.stderr) == (0, "")


def test_stderr_closed_the_worktree_is_still_given_its_instance(repo: Path) -> None:
    tree = worktree(repo, "a")
    # The shell closes stderr, as a daemon's start does.
    result = subprocess.run(
        ["bash", "-c", 'exec "$0" web 2>&-', str(SCRIPT)],
        cwd=tree,
        env=clean_environment(plain()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, int(result.stdout)) == (0, port_of(1))
    assert instance_number(tree) == 1


def test_a_ci_job_and_a_person_in_one_new_worktree_at_once(repo: Path) -> None:
    tree = worktree(repo, "a")
    processes = [
        subprocess.Popen(
            [str(SCRIPT), "web"],
            cwd=tree,
            env=clean_environment(plain(env)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in ({"CI": "true"}, {}) * 4
    ]
    answers = [int(process.communicate(timeout=120)[0]) for process in processes]
    # The person's processes all get the one instance given. A CI job gives none:
    # it keeps the plain map until the checkout has its file, and from then on
    # reads the file as any lookup does (rule 1 of docs/instances.md), so each of
    # its answers is one of the two, depending on when it read.
    assert answers[1::2] == [port_of(1)] * 4
    assert set(answers[::2]) <= {port_of(0), port_of(1)}
    assert instance_number(tree) == 1
    after = subprocess.run(
        [str(SCRIPT), "web"],
        cwd=tree,
        env=clean_environment(plain({"CI": "true"})),
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(after.stdout) == port_of(1)
