"""Issue 21: mistakes that give a port must not pass in silence (real console-script runs)."""

import os
import pty
import subprocess
from pathlib import Path

import pytest

import stableport
from stableport import PortMap, _hints
from stableport._check import check_map
from stableport._cli import main
from stableport._config import Origin
from stableport._fixture import StableportFixture
from stableport._hints import enclosing_project, lookup_notes
from stableport._lease_holder import LeaseHolder

from .util import SCRIPT, clean_environment, output_of, run

pytest_plugins = ["pytester"]


CONFIG = 'services = ["web", "api", "worker"]\nenvs = ["dev", "test"]\nenv = "dev"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stableport.toml").write_text(CONFIG)
    return tmp_path


def config_of(project: Path) -> Path:
    return project / "stableport.toml"


# -- a typo in a service name ----------------------------------------------------


@pytest.mark.slow  # real processes
def test_a_typo_gets_its_port_on_stdout_and_the_closest_name_on_stderr(project: Path) -> None:
    result = run("wbe", cwd=project)
    assert (result.returncode, result.stdout) == (
        0,
        f"{stableport.load(config_of(project)).port_for('wbe')}\n",
    )
    assert result.stderr == (
        f"stableport: note: 'wbe' is not among the services of {config_of(project)} "
        "(api, web, worker), so it gets an undeclared name's port; did you mean 'web'? "
        "(strict = true makes this an error)\n"
    )


def test_a_name_close_to_none_gets_the_note_without_a_guess(project: Path) -> None:
    result = run("zzzz", "--env", "test", cwd=project)
    assert result.returncode == 0
    assert "did you mean" not in result.stderr
    assert result.stderr.startswith("stableport: note: 'zzzz' is not among the services of ")


@pytest.mark.slow  # real processes
def test_declared_names_any_case_and_projects_without_services_say_nothing(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    output_of("Web", cwd=project)  # fails on any stderr
    output_of("worker", "--env", "TEST", cwd=project)
    bare = tmp_path_factory.mktemp("bare")
    (bare / "stableport.toml").write_text('namespace = "shop"\n')
    output_of("anything", cwd=bare)


def test_a_strict_map_refuses_the_typo_instead(project: Path) -> None:
    config_of(project).write_text(CONFIG + "strict = true\n")
    result = run("wbe", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert "not declared in this strict map" in result.stderr


# -- a wrong environment -----------------------------------------------------------


@pytest.mark.slow  # real processes
@pytest.mark.parametrize(
    ("args", "variables"),
    [
        (["web", "--env", "tset"], {}),
        (["web"], {"STABLEPORT_ENV": "tset"}),
        (["list", "--env", "tset"], {}),
        (["explain", "web", "--env", "tset"], {}),
        (["export", "--env", "tset"], {}),
        (["run", "web", "--env", "tset", "--", "true"], {}),
    ],
)
def test_an_undeclared_env_is_named_with_the_closest_declared_one(
    project: Path, args: list[str], variables: dict[str, str]
) -> None:
    result = run(*args, cwd=project, env=variables)
    assert result.returncode == 0
    assert result.stderr == (
        f"stableport: note: environment 'tset' is not among the envs of {config_of(project)} "
        "(dev, test), so its ports are none of theirs; did you mean 'test'?\n"
    )


def test_without_declared_envs_any_env_is_silent(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text('services = ["web"]\n')
    output_of("web", "--env", "tset", cwd=tmp_path)


def test_the_notes_are_computed_from_the_map_and_where_it_came_from() -> None:
    pm = PortMap(["web"], envs=["dev", "test"], env="dev")
    assert lookup_notes(pm, Origin(None), "web", "dev") == []
    assert lookup_notes(pm, Origin(None), None, None) == []
    # A long list is cut, with the count.
    many = PortMap([f"service-{index}" for index in range(12)])
    (note,) = lookup_notes(many, Origin(None), "service-99", None)
    assert "(service-0, service-1, service-10, service-11, service-2, service-3, " in note
    assert "service-5, ... (12 in all))" in note
    assert "did you mean 'service-9'?" in note


# -- no configuration found --------------------------------------------------------


def with_terminal_stderr(*args: str, cwd: Path) -> tuple[int, str, str]:
    """The console script with stderr on a pseudo-terminal: what a person at a shell sees."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [str(SCRIPT), *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            check=False,
            cwd=cwd,
            env=clean_environment(),
        )
        os.close(terminal)
        terminal = -1
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal's last writer has closed it
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    return result.returncode, result.stdout, seen.decode().replace("\r\n", "\n")


def test_no_configuration_is_said_to_a_person_with_where_it_looked(tmp_path: Path) -> None:
    code, out, err = with_terminal_stderr("web", cwd=tmp_path)
    assert (code, out) == (0, f"{PortMap().port_for('web')}\n")
    assert err == (
        f"stableport: note: no stableport.toml or pyproject.toml with [tool.stableport] in "
        f"{tmp_path} or above it: the built-in defaults apply\n"
    )


def test_no_configuration_leaves_a_scripts_stderr_alone(tmp_path: Path) -> None:
    # PORT=$(stableport web) in a script, CI, a Makefile: stdout and stderr unchanged.
    assert output_of("web", cwd=tmp_path) == f"{PortMap().port_for('web')}\n"


def test_a_found_configuration_adds_no_note_even_on_a_terminal(project: Path) -> None:
    assert with_terminal_stderr("web", cwd=project)[2] == ""


# -- check grades an env outside envs --------------------------------------------------


def test_check_reports_an_env_outside_envs_as_a_problem(tmp_path: Path) -> None:
    (tmp_path / "stableport.toml").write_text(
        'namespace = "shop"\nservices = ["web"]\nenvs = ["dev", "test"]\nenv = "prod"\n'
    )
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "problem: env: 'prod' is not in envs (dev, test): its ports are resolved apart from "
        "theirs, and test workers' ports avoid only the declared envs', so a test may be "
        "handed a port a server in 'prod' holds; add 'prod' to envs or set env to one of them"
    ) in result.stdout.splitlines()


def test_the_problem_is_real_a_worker_lands_on_the_undeclared_envs_ports() -> None:
    # Why check calls it a problem: the workers' overlay avoids the declared envs only.
    services = [f"s{index}" for index in range(40)]
    pm = PortMap(services, envs=["dev", "test"], env="prod", port_range=(20000, 20400))
    workers = pm.overlay(["test-gw0", "test-gw1"])
    prod = {pm.port_for(name) for name in services}
    handed = {workers.port_for(name, env) for name in services for env in workers.overlay_envs}
    assert prod & handed


@pytest.mark.parametrize(
    ("table", "variables", "expected"),
    [
        (
            'envs = ["dev", "test"]\n',
            {},
            "note: env: is not set, so lookups without --env use 'default', which is not in "
            "envs (dev, test): its ports",
        ),
        (
            'envs = ["dev", "test"]\nenv = "dev"\n',
            {"STABLEPORT_ENV": "ci"},
            "note: STABLEPORT_ENV='ci': 'ci' is not in envs (dev, test): its ports",
        ),
    ],
)
def test_check_notes_an_unset_env_and_an_operators_variable(
    tmp_path: Path, table: str, variables: dict[str, str], expected: str
) -> None:
    (tmp_path / "stableport.toml").write_text(f'namespace = "shop"\nservices = ["web"]\n{table}')
    result = run("check", cwd=tmp_path, env=variables)
    assert result.returncode == 0, result.stdout
    assert [line for line in result.stdout.splitlines() if line.startswith(expected)]


# -- init ------------------------------------------------------------------------------


@pytest.mark.slow  # a pytest session in a subprocess
def test_init_alone_keeps_tests_off_dev_ports(pytester: pytest.Pytester) -> None:
    """After `stableport init` and nothing else, no test is handed a dev server's port."""
    services = [f"s{index}" for index in range(30)]
    # Without envs (what init wrote before issue 21) these 30 names in "shop" give
    # one service's test port to another's default port: the case to rule out.
    before = PortMap(services, namespace="shop")
    assert {before.port_for(name) for name in services} & {
        before.port_for(name, "test") for name in services
    }
    init = run("init", *services, "--namespace", "shop", cwd=pytester.path)
    assert init.returncode == 0, init.stderr
    dev = {int(output_of(name, cwd=pytester.path)) for name in services}
    pytester.makepyfile(
        test_ports=f"""
        import pytest

        @pytest.mark.parametrize("index", range(4))
        def test_off_dev_ports(stableport, index):
            handed = {{stableport(name) for name in {services!r}}}
            assert not handed & {dev!r}, (stableport.env, handed & {dev!r})
        """
    )
    for args in ([], ["-n", "2"]):
        pytester.runpytest_subprocess("-p", "no:cacheprovider", *args).assert_outcomes(passed=4)


@pytest.mark.slow  # real processes
def test_init_in_a_projects_subfolder_says_so(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    sub = tmp_path / "services" / "web"
    sub.mkdir(parents=True)
    result = run("init", "web", cwd=sub)
    assert result.returncode == 0
    assert (
        f"({tmp_path / 'pyproject.toml'} is above this directory: this file configures only "
        f"{sub} and below; to configure that project instead, delete {sub / 'stableport.toml'} "
        f"and run init in {tmp_path})\n"
    ) in result.stdout


def test_a_subfolder_with_its_own_pyproject_is_a_project_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "monorepo"\n')
    package = tmp_path / "package"
    package.mkdir()
    (package / "pyproject.toml").write_text('[project]\nname = "package"\n')
    assert enclosing_project(package) is None
    assert enclosing_project(package / "src") == package / "pyproject.toml"
    assert "is above this directory" not in run("init", "web", cwd=package).stdout


# -- the fixture is not the module ---------------------------------------------------------


@pytest.mark.slow  # a pytest session in a subprocess
def test_the_fixture_used_as_the_module_names_the_mistake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mistake="""
        def test_uses_module_api(stableport):
            stableport.port_for("web")

        def test_other_attributes_fail_plainly(stableport):
            stableport.no_such_thing
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "E *AttributeError: the stableport fixture has no attribute 'port_for': it is not "
            "the module. Call it for a port, stableport('billing'); for the module in a test "
            "that takes the fixture, import stableport under another name "
            "(import stableport as sp; sp.port_for)",
            "E *AttributeError: 'StableportFixture' object has no attribute 'no_such_thing'",
        ]
    )


# -- the same, in this process (main() on real streams), for coverage of each branch --------


def test_in_process_every_note_of_a_lookup(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.delenv("STABLEPORT_ENV", raising=False)
    assert main(["wbe"]) == 0
    assert "did you mean 'web'?" in capsys.readouterr().err
    monkeypatch.setenv("STABLEPORT_ENV", "tset")
    assert main(["web"]) == 0
    assert "environment 'tset' is not among the envs" in capsys.readouterr().err


def test_in_process_no_configuration_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in ("STABLEPORT_CONFIG", "STABLEPORT_ENV", "STABLEPORT_NAMESPACE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_hints, "person_reads_stderr", lambda: True)
    assert main(["web"]) == 0
    assert capsys.readouterr().err == f"{_hints.no_config_note(str(tmp_path))}\n"
    assert main(["export"]) == 2
    assert "nothing to export" in capsys.readouterr().err


def test_in_process_init_in_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (tmp_path / "web").mkdir()
    monkeypatch.chdir(tmp_path / "web")
    assert main(["init", "web"]) == 0
    assert f"({tmp_path / 'pyproject.toml'} is above this directory" in capsys.readouterr().out


def test_person_reads_stderr_is_whether_stderr_is_a_terminal() -> None:
    assert _hints.person_reads_stderr() is os.isatty(2)


@pytest.mark.parametrize(
    ("env", "override", "expected"),
    [
        ("prod", None, [("problem", "env")]),
        (None, None, [("note", "env")]),
        ("ci", "ci", [("note", "STABLEPORT_ENV='ci'")] * 2),  # "sets the default...", then this
        ("dev", None, []),
    ],
)
def test_check_grades_an_env_outside_envs(
    env: str | None, override: str | None, expected: list[tuple[str, str]]
) -> None:
    pm = PortMap(["web"], envs=["dev", "test"], env=env, namespace="shop", port_range=(2000, 2999))
    origin = Origin(None)
    origin.env_override = override
    found = check_map(pm, origin, ())
    assert [(finding.level, finding.subject) for finding in found] == expected


def test_the_fixture_object_names_the_module_mistake_in_process() -> None:
    fixture = StableportFixture(LeaseHolder(PortMap(), "test"))
    with pytest.raises(AttributeError, match=r"it is not the module.*sp\.reload\)") as caught:
        fixture.reload  # noqa: B018 - the attribute access is the test
    assert (caught.value.name, caught.value.obj) == ("reload", fixture)
    with pytest.raises(AttributeError, match=r"^'StableportFixture' object has no attribute 'x'$"):
        fixture.x  # noqa: B018
    assert not hasattr(fixture, "__wrapped__")
