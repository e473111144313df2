"""docs/production.md's recipes: what each generated, parsed and checked against the map.

The page runs first (as tests/test_docs.py runs it), in a directory of this
test's; then every file it wrote is read as the tool it is for would read it:
YAML parsed, each variable a manifest, chart, compose file or job reads
checked against what `export` wrote, the tools run where installed (kubectl's
kustomize), and the CI steps and hooks run as CI would run them.
"""

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stableport._exported import read
from tests.docs_examples import ROOT, run_document

from .util import SCRIPT, clean_environment, git, git_repository, run

pytestmark = pytest.mark.slow  # the page's transcripts, pre-commit, kubectl

PAGE = ROOT / "docs" / "production.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory docs/production.md ran in, every transcript as shown."""
    directory = tmp_path_factory.mktemp("production")
    run_document(PAGE, directory)
    return directory


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = clean_environment()
    scripts = str(Path(sys.executable).parent)
    environment["PATH"] = f"{scripts}:{environment.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def port(demo: Path, service: str, env: str) -> int:
    result = shell(f"stableport {service} --env {env}", demo)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def env_file(path: Path) -> dict[str, str]:
    """A file export wrote, read by export --check's own reader."""
    reading = read(path.read_text(), "env")
    assert reading.unreadable == []
    return {entry.name: entry.value for entry in reading.entries}


def yaml_file(path: Path) -> Any:  # a parsed document, read by key
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), path
    return document


def test_the_kustomize_recipe_reads_only_what_export_wrote(demo: Path) -> None:
    k8s = demo / "deploy" / "k8s"
    ports = env_file(k8s / "ports.env")
    assert ports["WEB_PORT"] == str(port(demo, "web", "prod")) == "8080"
    kustomization = yaml_file(k8s / "kustomization.yaml")
    assert kustomization["configMapGenerator"] == [{"name": "ports", "envs": ["ports.env"]}]
    for resource in kustomization["resources"]:
        assert (k8s / resource).is_file()
    (replacement,) = kustomization["replacements"]
    assert replacement["source"]["fieldPath"] == "data.WEB_PORT"
    deployment = yaml_file(k8s / "deployment.yaml")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    read_keys = {item["valueFrom"]["configMapKeyRef"]["key"] for item in container["env"]}
    assert read_keys <= set(ports)
    assert [entry["name"] for entry in container["ports"]] == ["http"]
    service = yaml_file(k8s / "service.yaml")
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_manifests_with_the_maps_port(demo: Path) -> None:
    built = shell("kubectl kustomize deploy/k8s", demo)
    assert built.returncode == 0, built.stderr
    documents = {document["kind"]: document for document in yaml.safe_load_all(built.stdout)}
    web = port(demo, "web", "prod")
    assert documents["ConfigMap"]["data"] == env_file(demo / "deploy" / "k8s" / "ports.env")
    (container,) = documents["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": web}]
    assert isinstance(container["ports"][0]["containerPort"], int)


def test_the_helm_values_hold_every_value_the_chart_reads(demo: Path) -> None:
    values_path = demo / "deploy" / "helm" / "ports.json"
    values = yaml.safe_load(values_path.read_text())  # as Helm reads it: JSON is YAML
    assert values == json.loads(values_path.read_text())
    assert values["WEB_PORT"] == port(demo, "web", "prod")
    assert values["BILLING_API_PORT"] == port(demo, "billing-api", "prod")
    template = (demo / "deploy" / "helm" / "shop" / "templates" / "deployment.yaml").read_text()
    read_values = set(re.findall(r"\.Values\.(\w+)", template))
    assert read_values == {"WEB_PORT", "BILLING_API_PORT"}
    assert read_values <= set(values)
    # Rendered as Helm would for these values, the manifest is YAML with an int port.
    rendered = re.sub(
        r"\{\{ \.Values\.(\w+)( \| quote)? \}\}",
        lambda match: json.dumps(str(values[match[1]])) if match[2] else str(values[match[1]]),
        template,
    )
    document = yaml.safe_load(rendered)
    (container,) = document["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == values["WEB_PORT"]


def test_the_compose_file_reads_only_variables_the_staging_env_file_sets(demo: Path) -> None:
    compose = yaml_file(demo / "compose.yaml")
    assert set(compose["services"]) == {"web", "billing-api", "postgres"}
    text = (demo / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{(\w+)\}", text))
    dotenv = env_file(demo / ".env")
    assert used <= set(dotenv)
    assert dotenv["WEB_PORT"] == str(port(demo, "web", "staging"))
    assert dotenv["WEB_PORT"] != str(port(demo, "web", "dev"))


def test_the_systemd_units_command_starts_the_server_on_the_prod_port(demo: Path) -> None:
    unit = configparser.ConfigParser(interpolation=None)
    unit.read(demo / "deploy" / "shop-web.service")
    words = shlex.split(unit["Service"]["ExecStart"])
    assert words[0].endswith("/stableport")
    dashes = words.index("--")
    assert words[1:dashes] == ["run", "web", "--env", "prod"]
    assert "{PORT}" in " ".join(words[dashes + 1 :])
    assert "$PORT" not in unit["Service"]["ExecStart"]  # systemd would expand it first
    assert SCRIPT is not None
    stand_in = [sys.executable, "-c", "import sys; print(' '.join(sys.argv[1:]))"]
    result = subprocess.run(
        [SCRIPT, *words[1 : dashes + 1], *stand_in, *words[dashes + 2 :]],
        cwd=demo,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"--bind 127.0.0.1:{port(demo, 'web', 'prod')} shop.wsgi\n"


def test_the_nomad_jobs_variables_are_each_exported(demo: Path) -> None:
    job = (demo / "deploy" / "shop.nomad.hcl").read_text()
    declared = set(re.findall(r'^variable "(\w+)"', job, re.MULTILINE))
    assert set(re.findall(r"\bvar\.(\w+)", job)) == declared == {"WEB_PORT", "BILLING_API_PORT"}
    exported = shell("stableport export --env prod --format shell --prefix NOMAD_VAR_", demo)
    names = {entry.name: entry.value for entry in read(exported.stdout, "shell").entries}
    assert {f"NOMAD_VAR_{name}" for name in declared} <= set(names)
    assert names["NOMAD_VAR_WEB_PORT"] == "8080"
    # Nomad's dynamic ports, 20000-32000: a static port there can be taken first.
    assert not 20000 <= int(names["NOMAD_VAR_WEB_PORT"]) <= 32000


def test_every_pre_commit_hook_and_github_actions_step_passes_here(demo: Path) -> None:
    hooks = yaml_file(demo / ".pre-commit-config.yaml")
    entries = [hook["entry"] for hook in hooks["repos"][0]["hooks"]]
    workflow = yaml_file(demo / ".github" / "workflows" / "ports.yaml")
    steps = workflow["jobs"]["ports"]["steps"]
    runs = [step["run"] for step in steps if "run" in step and "pip install" not in step["run"]]
    assert len(entries) == len(runs) == 3
    for command in [*entries, *runs]:
        assert command.startswith("stableport ")
        result = shell(command, demo)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    # And they fail on a stale file, naming the variable.
    values = demo / "deploy" / "helm" / "ports.json"
    original = values.read_text()
    try:
        values.write_text(original.replace('"WEB_PORT": 8080', '"WEB_PORT": 8081'))
        failed = shell(runs[1], demo)
        assert failed.returncode == 1
        assert "WEB_PORT: the file has 8081, the map has 8080" in failed.stdout
    finally:
        values.write_text(original)


def test_a_shared_map_in_a_submodule_is_this_checkouts_without_a_note(tmp_path: Path) -> None:
    """The many-repositories pattern with a real submodule: no "another checkout" note.

    A worktree's STABLEPORT_CONFIG naming another worktree's file still gets it.
    """
    shared = git_repository(tmp_path / "ports", {"stableport.toml": 'services = ["web"]\n'})
    web = git_repository(tmp_path / "web", {"README.md": "web\n"})
    git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "--quiet",
        "add",
        str(shared),
        "ports",
        cwd=web,
    )
    git("commit", "-qm", "the shared map", cwd=web)
    variable = {"STABLEPORT_CONFIG": "ports/stableport.toml"}
    answer = run("web", cwd=web, env=variable)
    assert (answer.returncode, answer.stderr) == (0, "")
    git("worktree", "add", "-q", "../web-wt", cwd=web)
    tree = tmp_path / "web-wt"
    git("-c", "protocol.file.allow=always", "submodule", "--quiet", "update", "--init", cwd=tree)
    assert run("web", cwd=tree, env=variable).stderr == ""  # the worktree's own submodule
    other = run("web", cwd=tree, env={"STABLEPORT_CONFIG": str(web / "ports/stableport.toml")})
    assert "in another checkout than the working directory's" in other.stderr
    assert other.stdout == answer.stdout  # the same map, said so
