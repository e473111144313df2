"""check --scan: every literal copy of a port in the project, none of its look-alikes.

A seeded repository: each planted literal's line ends with PLANTED, and every
other line holding a port's digits is a look-alike (a year, a size, a line
number, a version) the scan must pass over. Real git, real files, the real
console script.
"""

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from stableport import PortMap, _scan, load
from stableport._scan import scan, variable_or_service

from .util import Run, git, git_repository, run, run_redirected

pytestmark = pytest.mark.slow  # real console scripts and git

CONFIG = """\
namespace = "shop"
services = ["web", "billing-api", "postgres"]
envs = ["dev", "test"]
env = "dev"
pins = { "web@test" = 2024 }
"""

# {web} is web@dev's port, {billing} billing-api@dev's, {pg} postgres@dev's, {year}
# web@test's pin; PLANTED ends each line the scan must report.
SEED = {
    "tests/test_web.py": """\
BASE = "http://localhost:{web}/api"  # PLANTED
OTHER = requests.get("http://127.0.0.1:{billing}")  # PLANTED
port = int(os.environ.get("WEB_PORT", "{web}"))  # PLANTED
app.run(port={year})  # PLANTED
# Copyright {year} shop authors; released {year}-01-01, {year}/02/03
SIZE = {web}  # bytes, {web} KiB
max_size = {web}
# see views.py:{web}: error on line {web}, column {billing}
report: {web}
transport = {web}
support_level = {web}
version = "1.{web}"
big = 1{web}
ratio = {web}.5
ids = [{web}, {billing}]
timeout_ms: {pg}
""",
    "k8s/deploy.yaml": """\
spec:
  containers:
    - ports:
        - containerPort: {web}  # PLANTED
  ports:
    - port: {web}  # PLANTED
      targetPort: "{web}"  # PLANTED
      nodePort: 3{web}
  replicas: {year}
""",
    "compose.yaml": """\
services:
  db:
    ports:
      - "{pg}:5432"  # PLANTED
      - {pg}
    environment:
      POSTGRES_PORT: "{pg}"  # PLANTED
      RETRIES: "{pg}"
""",
    "Procfile": "web: gunicorn --port {web} PLANTED\nrt: tool -p {web} PLANTED\ncount: -n {web}\n",
    "conf.json": '{{"billing": {{"port": "{billing}"}}, "size": {billing}}} PLANTED\n',
    "nginx.conf": (
        "location / {{ proxy_pass http://web:{web}/; }} # PLANTED\n"
        "listen [::1]:{web}; # PLANTED\n"
        "client_max_body_size {web};\n"
    ),
    "README.md": (
        "Open http://localhost:{billing}/docs PLANTED\n"
        "Served at :{billing}/ on the host. PLANTED\n"
        "In {year}, {web} users read {billing} pages.\n"
    ),
    ".env.example": "WEB_PORT={web} # PLANTED\nWORKERS={web}\n",
}


def ports(project: Path) -> dict[str, int]:
    pm = load(project / "stableport.toml")
    return {
        "web": pm.port_for("web", "dev"),
        "billing": pm.port_for("billing-api", "dev"),
        "pg": pm.port_for("postgres", "dev"),
        "year": pm.port_for("web", "test"),
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    main = git_repository(tmp_path / "shop", {"stableport.toml": CONFIG})
    values = ports(main)
    for name, template in SEED.items():
        path = main / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values))
    git("add", ".", cwd=main)
    git("commit", "-qm", "seed", cwd=main)
    return main


def planted(project: Path) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for name in SEED:
        lines = (project / name).read_text().splitlines()
        found.update((name, number) for number, line in enumerate(lines, 1) if "PLANTED" in line)
    return found


def scanned(
    cli: Run, project: Path, *args: str
) -> tuple[int, set[tuple[str, int]], dict[str, object]]:
    """check --scan --json: its exit status, the (file, line) of each literal, its summary."""
    result = cli("check", "--json", "--scan", *args, cwd=project)
    assert result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    where = set()
    for finding in document["findings"]:
        if finding["subject"].rpartition(":")[2].isdigit() and "literal" in finding["message"]:
            path, _, line = finding["subject"].rpartition(":")
            where.add((path, int(line)))
    return result.returncode, where, document["scan"]


def test_every_planted_literal_and_no_look_alike(cli: Run, project: Path) -> None:
    code, found, summary = scanned(cli, project)
    assert found == planted(project)
    assert code == 0  # notes, without --strict
    assert summary["read"] == len(SEED) + 1  # and stableport.toml
    assert summary["literals"] == len(planted(project))


def test_strict_makes_each_literal_a_problem(cli: Run, project: Path) -> None:
    result = cli("check", "--strict", "--scan", cwd=project)
    assert result.returncode == 1
    values = ports(project)
    assert (
        f"problem: k8s/deploy.yaml:4: web@dev port {values['web']} as a literal: "
        f"'- containerPort: {values['web']}  # PLANTED'; it goes stale when the map moves the "
        f"port; read it from the map (stableport web --env dev, or $WEB_PORT)\n"
    ) in result.stdout
    assert result.stdout.endswith(f"{len(planted(project))} problem(s), 3 note(s)\n")


def test_strict_without_scan_is_a_usage_error(cli: Run, project: Path) -> None:
    result = cli("check", "--strict", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert "--strict grades --scan's findings; give --scan too" in result.stderr


def test_only_tracked_files_by_default_and_named_paths_whatever_git_says(
    cli: Run, project: Path
) -> None:
    values = ports(project)
    (project / "untracked.py").write_text(f"URL = 'http://localhost:{values['web']}'\n")
    assert ("untracked.py", 1) not in scanned(cli, project)[1]
    code, found, _ = scanned(cli, project, "untracked.py", "k8s")
    assert found == {("untracked.py", 1), ("k8s/deploy.yaml", 4)} | {
        ("k8s/deploy.yaml", 6),
        ("k8s/deploy.yaml", 7),
    }
    assert code == 0


def test_a_file_exactly_as_export_writes_it_is_skipped_and_an_edited_one_is_not(
    cli: Run,
    project: Path,
) -> None:
    exported = cli("export", "--env", "test", cwd=project).stdout
    (project / "deploy").mkdir()
    (project / "deploy" / "test.env").write_text(exported)
    (project / "deploy" / "values.json").write_text(
        cli("export", "--format", "json", cwd=project).stdout
    )
    git("add", "deploy", cwd=project)
    _, found, summary = scanned(cli, project)
    assert found == planted(project)
    assert summary["skipped"] == {"as export writes it": 2}
    (project / "deploy" / "test.env").write_text(exported + "# edited\n")
    _, found, _ = scanned(cli, project)
    # No longer export's own output: each of its ports is a literal again.
    assert found - planted(project) == {("deploy/test.env", line) for line in (1, 2, 3)}


def test_the_same_literals_however_the_bytes_are_written(cli: Run, project: Path) -> None:
    web = ports(project)["web"]
    files = {
        "crlf.py": f"a = 1\r\nURL = 'http://localhost:{web}/'\r\n".encode(),
        "bom.yaml": f"\ufeffport: {web}\n".encode(),
        "latin1.cfg": f"# caf\xe9\nport = {web}\n".encode("latin-1"),
        "huge.js": b"x" * 5_000_000 + f"\nfetch('http://localhost:{web}/')\n".encode(),
        "long-line.js": b"y" * 5_000_000 + f" port: {web}\n".encode(),
        "binary.bin": b"\0\1\2" + f"port: {web}".encode(),
    }
    for name, data in files.items():
        (project / name).write_bytes(data)
    git("add", ".", cwd=project)
    _, found, summary = scanned(cli, project)
    assert found - planted(project) == {
        ("crlf.py", 2),
        ("bom.yaml", 1),
        ("latin1.cfg", 2),
        ("huge.js", 2),
        ("long-line.js", 1),
    }
    skipped = summary["skipped"]
    assert isinstance(skipped, dict)
    assert skipped["binary"] == 1


def test_nothing_outside_the_project_is_read(cli: Run, project: Path, tmp_path: Path) -> None:
    web = ports(project)["web"]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"port: {web}\n")
    (project / "linked.yaml").symlink_to(outside / "secret.yaml")
    (project / "sub").mkdir()
    (project / "sub" / "secret.yaml").write_text(f"port: {web}\n")
    (project / "sub" / "deeper").mkdir()
    (project / "sub" / "deeper" / "secret.yaml").write_text(f"port: {web}\n")
    (outside / "deeper").mkdir()
    (outside / "deeper" / "secret.yaml").write_text(f"port: {web}\n")
    git("add", ".", cwd=project)
    # After git listed them, the directory is replaced by a link out of the project.
    shutil.rmtree(project / "sub")
    (project / "sub").symlink_to(outside)
    _, found, summary = scanned(cli, project)
    assert found == planted(project)
    assert summary["skipped"] == {
        "behind a symbolic link out of the project": 2,
        "symbolic link": 1,
    }
    result = cli("check", "--scan", str(outside), cwd=project)
    assert result.returncode == 2
    assert "is outside the project" in result.stderr
    assert "the scan never reads outside it" in result.stderr
    result = cli("check", "--scan", "linked.yaml", cwd=project)
    assert result.returncode == 2, "a link named on the command line is refused, not followed"


def test_a_named_path_that_does_not_exist_is_an_error_not_an_empty_scan(
    cli: Run, project: Path
) -> None:
    # A typo would read no file, find no literal and pass, --strict included.
    for args in (["nosuchdir"], ["nosuchdir", "--strict"], ["tests/test_web.py", "nosuchdir"]):
        result = cli("check", "--scan", *args, cwd=project)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert result.stderr == (
            "stableport: error: check --scan: 'nosuchdir' names no file or directory; give "
            "paths inside the project, relative to the working directory or absolute\n"
        )


def test_files_gone_or_replaced_after_listing_and_hostile_names(cli: Run, project: Path) -> None:
    web = ports(project)["web"]
    (project / "gone.py").write_text(f"port = {web}\n")
    (project / "pipe.py").write_text(f"port = {web}\n")
    odd = "new\nline .py"
    (project / odd).write_text(f"port = {web}\n")
    git("add", ".", cwd=project)
    (project / "gone.py").unlink()  # deleted between git ls-files and the read
    (project / "pipe.py").unlink()
    os.mkfifo(project / "pipe.py")  # a FIFO where a tracked file was: never waited on
    result = run("check", "--json", "--scan", cwd=project, timeout=60)  # a wait would time out
    document = json.loads(result.stdout)
    subjects = {finding["subject"] for finding in document["findings"]}
    assert "'new\\nline .py':1" in subjects
    assert not any("gone.py" in subject or "pipe.py" in subject for subject in subjects)
    assert document["scan"]["skipped"] == {"not a regular file": 1}
    # Proven not to wait above (with a timeout): the same answer in this process too.
    assert json.loads(cli("check", "--json", "--scan", cwd=project).stdout) == document


def test_without_git_the_paths_must_be_named(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    web = PortMap(["web"], namespace="shop", envs=["dev", "test"], env="dev").port_for("web")
    (tmp_path / "app.py").write_text(f"URL = 'http://localhost:{web}/'\n")
    result = cli("check", "--scan", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not in a git work tree" in result.stderr
    assert "stableport check --scan PATH ..." in result.stderr
    result = cli("check", "--scan", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert f"note: app.py:1: web@dev port {web} as a literal" in result.stdout


def test_a_closed_stdout_is_an_error(project: Path) -> None:
    result = run_redirected(">&-", "check", "--scan", cwd=project)
    assert result.returncode == 2


def test_a_file_over_the_size_limit_is_counted_not_read(cli: Run, project: Path) -> None:
    with (project / "dump.sql").open("wb") as file:
        file.write(f"port: {ports(project)['web']}\n".encode())
        file.truncate(33 * 1024 * 1024)  # sparse: over 32 MiB, yet cheap
    git("add", "dump.sql", cwd=project)
    result = cli("check", "--json", "--scan", cwd=project)
    skipped = json.loads(result.stdout)["scan"]["skipped"]
    assert skipped == {"larger than 32 MiB": 1}


def test_without_git_on_the_path_the_default_scan_is_an_error(cli: Run, project: Path) -> None:
    result = cli("check", "--scan", cwd=project, env={"PATH": str(project / "no-such-bin")})
    assert (result.returncode, result.stdout) == (2, "")
    assert "cannot run git to list the tracked files" in result.stderr


def test_a_map_without_services_has_nothing_to_find(cli: Run, tmp_path: Path) -> None:
    main = git_repository(tmp_path / "empty", {"stableport.toml": 'namespace = "x"\n'})
    result = cli("check", "--scan", cwd=main)
    assert result.returncode == 0
    assert "scan: 0 file(s) read under" in result.stdout


def test_a_service_export_cannot_name_still_has_its_literals_found(
    cli: Run, tmp_path: Path
) -> None:
    config = 'namespace = "x"\nservices = ["2fa", "web"]\n'
    main = git_repository(tmp_path / "odd", {"stableport.toml": config})
    pm = load(main / "stableport.toml")
    (main / "app.py").write_text(f"URL = 'http://localhost:{pm.port_for('2fa')}/'\n")
    exported = cli("export", "--prefix", "APP_", cwd=main).stdout
    (main / "ports.env").write_text(exported)
    # No prefix: export refuses 2fa, so this file, whatever it holds, is no output of it.
    (main / "web.env").write_text(f"WEB_PORT={pm.port_for('web')}\n")
    git("add", ".", cwd=main)
    result = cli("check", "--json", "--scan", cwd=main)
    document = json.loads(result.stdout)
    literals = [f for f in document["findings"] if f["subject"].startswith("app.py")]
    assert len(literals) == 1
    assert any(f["subject"] == "web.env:1" for f in document["findings"])
    assert "(stableport 2fa --env default, or $NAME_PORT)" in literals[0]["message"]
    assert document["scan"]["skipped"] == {"as export writes it": 1}
    assert variable_or_service("web") == "WEB_PORT"


def test_without_o_nofollow_a_link_is_still_never_followed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no O_NOFOLLOW: simulated here by taking it away, as the scan sees it."""
    web = ports(project)["web"]
    (tmp_path / "outside.yaml").write_text(f"port: {web}\n")
    (project / "linked.yaml").symlink_to(tmp_path / "outside.yaml")
    git("add", "linked.yaml", cwd=project)
    monkeypatch.setattr(_scan, "_NO_FOLLOW", 0)
    monkeypatch.setattr(_scan, "_OPEN_FLAGS", os.O_RDONLY | os.O_NONBLOCK)
    found = scan(str(project), [], {web: ["web@dev"]}, lambda _: False)
    assert found.skipped == {"symbolic link": 1}
    assert found.hits  # the project's own files are read as ever
    assert "linked.yaml" not in {hit.path for hit in found.hits}


def test_a_read_that_fails_is_counted_not_a_crash(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_read(*_: int) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    web = ports(project)["web"]
    monkeypatch.setattr(os, "read", failing_read)  # a disk error on every file
    named = [str(project / name) for name in [*SEED, "stableport.toml"]]  # no git to list
    found = scan(str(project), named, {web: ["web@dev"]}, lambda _: False)
    assert found.hits == []
    assert found.skipped == {"unreadable (Input/output error)": len(SEED) + 1}


def test_a_directory_replaced_by_a_link_inside_the_project_is_read(cli: Run, project: Path) -> None:
    web = ports(project)["web"]
    (project / "sub").mkdir()
    (project / "sub" / "app.yaml").write_text(f"port: {web}\n")
    git("add", "sub", cwd=project)
    (project / "elsewhere").mkdir()
    (project / "sub" / "app.yaml").rename(project / "elsewhere" / "app.yaml")
    (project / "sub").rmdir()
    (project / "sub").symlink_to("elsewhere")  # still inside: read, as the file it is
    _, found, _ = scanned(cli, project)
    assert found - planted(project) == {("sub/app.yaml", 1)}


def test_outside_git_and_any_project_the_named_paths_are_read_from_here(
    cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("port: 25485\n")
    result = cli("check", "--scan", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert f"scan: 0 file(s) read under {tmp_path}, 0 literal port(s)" in result.stdout


def test_a_file_of_stableport_variables_only_is_not_exports_output(cli: Run, project: Path) -> None:
    (project / "test-ports.env").write_text(f"STABLEPORT_TEST_PORTS={ports(project)['web']}\n")
    # (PORTS upper-cased is a port-like key too, as EXPOSED_PORTS= is.)
    (project / "web.env").write_text(f"WEB_PORT={ports(project)['web']}\n")
    git("add", ".", cwd=project)
    _, found, _ = scanned(cli, project)
    assert found - planted(project) == {("test-ports.env", 1), ("web.env", 1)}


def test_a_named_directory_in_git_is_what_git_does_not_ignore(cli: Run, project: Path) -> None:
    web = ports(project)["web"]
    (project / ".gitignore").write_text(".venv/\n.env\n")
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "site.py").write_text(f"PORT = {web}\n")
    (project / "new.py").write_text(f"PORT = {web}\n")  # untracked, not ignored
    (project / ".env").write_text(f"WEB_PORT={web}\n# edited\n")
    _, found, _ = scanned(cli, project, ".")
    assert found - planted(project) == {("new.py", 1)}
    _, found, _ = scanned(cli, project, ".env")  # named: read, ignored or not
    assert found == {(".env", 1)}
