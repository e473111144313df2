"""One answer across every entry point, for random configurations (issue 18).

For a configuration file, STABLEPORT_* variables and command-line flags drawn
at random, the port of each (namespace, env, service) must be the one a
PortMap built in code from the same arguments gives, whether it comes from
stableport.port_for, load(), ``stableport NAME``, ``list --json``,
``explain --json``, ``export`` in every format, the variables ``stableport
run`` gives its command, or the pytest fixture with leasing off.

The commands run in this process through main() where that is faithful (they
read the file, the variables and the working directory as a process does, and
cache nothing between calls); ``run`` (its command's real environment, through
the console script) and the fixture (a real pytest session) run as
subprocesses, which also makes the example count small.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import stableport
from stableport import PortMap, StableportError
from stableport._cli import main
from stableport._export import variable_name
from tests.util import SCRIPT, clean_environment

from .profiles import examples

# Names whose export variables differ (BILLING_PORT, SEARCH_API_PORT, ...).
SERVICES = ["billing", "Search-API", "db", "auth"]
UNDECLARED = "adhoc"


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    """A configuration file's table, the variables set and the flags given."""
    services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=4, unique=True))
    low = draw(st.sampled_from([20000, 21000, 27010]))
    # Tight or the default: declared ports collide and move, or never do.
    high = draw(st.sampled_from([low + 12, low + 40, 29999]))
    table: dict[str, Any] = {"services": services, "range": [low, high]}
    if draw(st.booleans()):
        table["envs"] = draw(st.lists(st.sampled_from(["dev", "test"]), min_size=1, unique=True))
    if draw(st.booleans()):
        table["env"] = draw(st.sampled_from(["dev", "staging"]))
    if draw(st.booleans()):
        table["namespace"] = "shop"
    if draw(st.booleans()):
        table["pins"] = {services[0]: 8001}
    if draw(st.booleans()):
        table["exclude"] = [low + 1, [low + 3, low + 5]]
    if draw(st.booleans()):
        table["default_exclusions"] = False
    variables = {}
    if draw(st.booleans()):
        variables["STABLEPORT_ENV"] = draw(st.sampled_from(["dev", "qa"]))
    if draw(st.booleans()):
        variables["STABLEPORT_NAMESPACE"] = "other"
    if draw(st.booleans()):
        variables["STABLEPORT_PINS"] = f"{services[-1]}@qa=8002"
    return {
        "file": draw(st.sampled_from(["stableport.toml", "pyproject.toml"])),
        "table": table,
        "variables": variables,
        "env_flag": draw(st.sampled_from([None, "dev", "ci"])),
        "namespace_flag": draw(st.sampled_from([None, "flagged"])),
    }


def toml(table: dict[str, Any]) -> str:
    """The table as TOML lines (JSON's strings, numbers and arrays are TOML's too)."""
    lines = []
    for key, value in table.items():
        if key == "pins":
            pins = ", ".join(f"{json.dumps(name)} = {port}" for name, port in value.items())
            lines.append(f"pins = {{ {pins} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def expected_map(config: dict[str, Any], *, flags: bool) -> tuple[PortMap, str]:
    """The PortMap built in code from what an entry point sees, and its lookup env.

    Precedence, as docs/configuration.md states it: flags > variables > file >
    defaults. STABLEPORT_PINS adds a pin of its own key.
    """
    table, variables = config["table"], config["variables"]
    pins: dict[str | tuple[str, str], int] = dict(table.get("pins", {}))
    if "STABLEPORT_PINS" in variables:
        pins[config["table"]["services"][-1], "qa"] = 8002
    namespace = (config["namespace_flag"] if flags else None) or variables.get(
        "STABLEPORT_NAMESPACE", table.get("namespace")
    )
    env = (config["env_flag"] if flags else None) or variables.get(
        "STABLEPORT_ENV", table.get("env", "default")
    )
    pm = PortMap(
        table["services"],
        envs=table.get("envs"),
        env=variables.get("STABLEPORT_ENV", table.get("env")),
        namespace=namespace,
        port_range=(table["range"][0], table["range"][1]),
        exclude=[
            tuple(item) if isinstance(item, list) else item for item in table.get("exclude", [])
        ],
        pins=pins,
        default_exclusions=table.get("default_exclusions", True),
    )
    return pm, env


@contextlib.contextmanager
def project(directory: Path, variables: dict[str, str]) -> Iterator[None]:
    """This process in directory, with exactly these STABLEPORT_* variables."""
    saved_environment, saved_directory = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(clean_environment(variables))
    os.chdir(directory)
    stableport.reload()
    try:
        yield
    finally:
        os.chdir(saved_directory)
        os.environ.clear()
        os.environ.update(saved_environment)
        stableport.reload()


def command(*args: str) -> str:
    """What main(args) prints, in this process; it must succeed."""
    # Streams with a byte buffer, as sys.stdout has: main() writes bytes.
    out, err = io.TextIOWrapper(io.BytesIO()), io.TextIOWrapper(io.BytesIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    out.flush()
    err.flush()
    assert code == 0, err.buffer.getvalue()
    return out.buffer.getvalue().decode()


def flags(config: dict[str, Any]) -> list[str]:
    given = []
    if config["env_flag"] is not None:
        given += ["--env", config["env_flag"]]
    if config["namespace_flag"] is not None:
        given += ["--namespace", config["namespace_flag"]]
    return given


def written(directory: Path, config: dict[str, Any]) -> None:
    text = toml(config["table"])
    if config["file"] == "pyproject.toml":
        text = "[tool.stableport]\n" + text
    (directory / config["file"]).write_text(text, encoding="utf-8")


@pytest.mark.slow  # real processes for each example
@settings(max_examples=examples(15), suppress_health_check=[HealthCheck.too_slow])
@given(configurations())
def test_every_entry_point_gives_the_portmaps_port(config: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        written(directory, config)
        try:
            pm, env = expected_map(config, flags=True)
            plain, plain_env = expected_map(config, flags=False)
            services = [*pm.services, UNDECLARED]
            expected = {service: pm.port_for(service, env) for service in services}
            for service in services:
                plain.port_for(service, config["env_flag"] or plain_env)
        except StableportError:
            reject()  # an over-full range: the entry points' errors have tests of their own
        given = flags(config)
        with project(directory, config["variables"]):
            # The API sees the file and the variables; --env is its env argument.
            api_env = config["env_flag"]
            loaded = stableport.load()
            for service in services:
                want = plain.port_for(service, api_env or plain_env)
                assert stableport.port_for(service, env=api_env) == want
                assert loaded.port_for(service, api_env) == want
            # The commands see the flags too.
            for service in services:
                assert int(command(service, *given)) == expected[service]
                story = json.loads(command("explain", service, "--json", *given))
                assert (story["env"], story["port"]) == (env, expected[service])
            listed = json.loads(command("list", "--json", *given))["entries"]
            assert {entry["service"]: entry["port"] for entry in listed} == {
                service: expected[service] for service in pm.services
            }
            assert {entry["env"] for entry in listed} == {env}
            variables = {variable_name(service): expected[service] for service in pm.services}
            exported = json.loads(command("export", "--format", "json", *given))
            # JSON names the namespace too, as the variable that selects it.
            carried = {} if pm.namespace is None else {"STABLEPORT_NAMESPACE": pm.namespace}
            assert exported == {**carried, **variables}
            env_lines = command("export", "--format", "env", *given).splitlines()
            assert env_lines == [f"{key}={port}" for key, port in variables.items()]
            shell_lines = command("export", "--format", "shell", *given).splitlines()
            assert shell_lines == [f"export {key}={port}" for key, port in variables.items()]
        # run: the variables its command really gets, from the console script.
        first = pm.services[0]
        child = (
            "import json, os; "
            "print(json.dumps({k: v for k, v in os.environ.items() if k.endswith('PORT')}))"
        )
        assert SCRIPT is not None
        result = subprocess.run(
            [SCRIPT, "run", first, *given, "--", sys.executable, "-c", child],
            capture_output=True,
            text=True,
            check=False,
            cwd=directory,
            env=clean_environment(config["variables"]),
        )
        assert result.returncode == 0, result.stderr
        got = {key: int(value) for key, value in json.loads(result.stdout).items()}
        assert got == {"PORT": expected[first], **variables}


FIXTURE_TEST = """
import json

def test_ports(stableport):
    names = {names!r}
    with open({out!r}, "w") as out:
        json.dump({{name: stableport(name) for name in names}}, out)
"""


@pytest.mark.slow  # a real pytest session for each example
@settings(max_examples=examples(4), suppress_health_check=[HealthCheck.too_slow])
@given(configurations())
def test_the_fixture_with_leasing_off_gives_the_portmaps_port(config: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        written(directory, config)
        # The fixture sees the file and the variables; its env is its own option.
        pm, env = expected_map(config, flags=False)
        fixture_env = config["env_flag"] or env
        names = [*pm.services, UNDECLARED]
        try:
            expected = {name: pm.port_for(name, fixture_env) for name in names}
        except StableportError:
            reject()
        out = directory / "ports.json"
        (directory / "test_ports.py").write_text(
            FIXTURE_TEST.format(names=names, out=str(out)), encoding="utf-8"
        )
        environment = clean_environment(config["variables"])
        for variable in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_ADDOPTS"):
            environment.pop(variable, None)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--stableport-leases=off",
                "--stableport-env",
                fixture_env,
                "test_ports.py",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=directory,
            env=environment,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        ports = json.loads(out.read_text(encoding="utf-8"))
        assert ports == expected


# -- identities and environments: one reader for each input -----------------------


@st.composite
def identities(draw: st.DrawFn) -> dict[str, Any]:
    """A map with instances, and its identity and env each from one of its sources.

    With no envs declared (half the time), the default environment is the home
    each instance has lanes in: where --env and STABLEPORT_ENV once disagreed.
    """
    services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=4, unique=True))
    room = draw(st.integers(1, 4))
    table: dict[str, Any] = {"services": services, "instances": room}
    if draw(st.booleans()):
        table["envs"] = draw(st.lists(st.sampled_from(["dev", "test"]), min_size=1, unique=True))
    if draw(st.booleans()):
        table["env"] = draw(st.sampled_from(["dev", "staging"]))
    if draw(st.booleans()):
        table["range"] = [27000, 27000 + draw(st.sampled_from([40, 120]))]
    return {
        "table": table,
        "instance": draw(st.integers(0, room)),
        "instance_from": draw(st.sampled_from(["--instance", "variable", "file"])),
        # Written as a person might: space around it in the file, never another kind.
        "spacing": draw(st.sampled_from(["", " ", "\n", "\t", "\r\n"])),
        "env": draw(st.sampled_from([None, "dev", "qa", "Staging"])),
        "env_from": draw(st.sampled_from(["--env", "variable"])),
    }


@pytest.mark.slow  # real processes for each example
@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.too_slow])
@given(identities())
def test_an_identity_and_an_env_give_one_port_from_every_source(case: dict[str, Any]) -> None:
    table = case["table"]
    env = case["env"]
    try:
        pm = PortMap(
            table["services"],
            envs=table.get("envs"),
            env=env if env is not None else table.get("env"),
            port_range=tuple(table.get("range", (20000, 29999))),
            instances=table["instances"],
            instance=case["instance"],
        )
        expected = {service: pm.port_for(service) for service in [*pm.services, UNDECLARED]}
    except StableportError:
        reject()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        written(directory, {"file": "stableport.toml", "table": table})
        variables: dict[str, str] = {}
        flags: list[str] = []
        number = str(case["instance"])
        if case["instance_from"] == "--instance":
            flags += ["--instance", number]
        elif case["instance_from"] == "variable":
            variables["STABLEPORT_INSTANCE"] = f"{case['spacing']}{number}{case['spacing']}"
        else:
            (directory / ".stableport-instance").write_text(
                f"{case['spacing']}{number}\n{case['spacing']}", encoding="utf-8"
            )
        if env is not None and case["env_from"] == "--env":
            flags += ["--env", env]
        elif env is not None:
            variables["STABLEPORT_ENV"] = env
        with project(directory, variables):
            for service, port in expected.items():
                assert int(command(service, *flags)) == port, service
            listed = json.loads(command("list", "--json", *flags))
            assert listed["instance"] == case["instance"]
            assert {entry["service"]: entry["port"] for entry in listed["entries"]} == {
                service: expected[service] for service in pm.services
            }
            exported = json.loads(command("export", "--format", "json", *flags))
            assert {key: value for key, value in exported.items() if key.endswith("_PORT")} == {
                variable_name(service): expected[service] for service in pm.services
            }
            if not flags:
                # The API reads the same file and variables: one reader of each.
                assert stableport.load().port_for(UNDECLARED) == expected[UNDECLARED]
                for service in pm.services:
                    assert stableport.port_for(service) == expected[service]
        # run: the command's PORT and its own port_for agree, whatever the source.
        first = pm.services[0]
        child = "import os, stableport; print(os.environ['PORT'], stableport.port_for(%r))"
        assert SCRIPT is not None
        result = subprocess.run(
            [SCRIPT, "run", first, *flags, "--no-claim", "--", sys.executable, "-c",
             child % first],
            capture_output=True,
            text=True,
            check=False,
            cwd=directory,
            env=clean_environment(variables),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(expected[first])] * 2


# -- test-run variables: only a live run's, only for its own map ----------------------

RUN_SERVICES = ["web", "api", "db"]
RUN_TABLE: dict[str, Any] = {"services": RUN_SERVICES, "envs": ["dev", "test"], "env": "dev"}
OTHER_TABLE: dict[str, Any] = {"services": ["web"], "range": [30000, 30999]}


def run_variables(state: str, where: Path, ports: dict[str, int], run_env: str) -> dict[str, str]:
    """STABLEPORT_TEST_RUN and _PORTS for state: none, ports alone, ended, live, or live elsewhere.

    A live run is this process (its pid and start time), whose map is the
    project at where (or, for "other-namespace", the same file in another
    namespace).
    """
    from stableport import _test_run  # noqa: PLC0415

    listed = {"STABLEPORT_TEST_PORTS": _test_run.encode(ports)}
    config = where / "stableport.toml"
    start = _test_run.start_time(os.getpid()) or ""
    if state == "none":
        return {}
    if state == "ports-alone":
        return listed
    if state == "ended":
        return {**listed, "STABLEPORT_TEST_RUN": f"2147483647,,{run_env},,0,{config}"}
    namespace = "elsewhere" if state == "other-namespace" else ""
    run = f"{os.getpid()},{start},{run_env},{namespace},0,{config}"
    return {**listed, "STABLEPORT_TEST_RUN": run}


def run_expected(case: dict[str, Any]) -> dict[str, int]:
    """Every name's port, as docs/configuration.md ("Inside a test run") states it.

    case["here"]: where the lookup runs: "project", "other" (another project)
    or "empty" (no configuration up from it, so a live run's file is read).
    """
    state, here, variables = case["state"], case["here"], case["variables"]
    env_flag, ports, run_env = case["env_flag"], case["ports"], case["run_env"]
    live = state in ("live", "other-namespace")
    table: dict[str, Any] = OTHER_TABLE if here == "other" else RUN_TABLE
    if here == "empty" and not live:
        table = {}
    own = state == "live" and here != "other" and "STABLEPORT_NAMESPACE" not in variables
    env = env_flag or (run_env if own else None) or variables.get("STABLEPORT_ENV")
    pins: dict[str | tuple[str, str], int] = {}
    if "STABLEPORT_PINS" in variables:
        pins[("web", run_env)] = 9002
    pm = PortMap(
        table.get("services", ()),
        envs=table.get("envs"),
        env=env or table.get("env"),
        namespace=variables.get("STABLEPORT_NAMESPACE"),
        port_range=(table.get("range", [20000])[0], table.get("range", [0, 29999])[1]),
        pins=pins,
    )
    asked = env or pm.env
    return {
        name: ports[name] if own and asked == run_env and name in ports else pm.port_for(name)
        for name in [*RUN_SERVICES, UNDECLARED]
    }


@st.composite
def run_states(draw: st.DrawFn) -> dict[str, Any]:
    """A test run's variables in one of their states, other inputs, and where the lookup runs."""
    run_env = draw(st.sampled_from(["test", "test-lease1", "ci-lease3"]))
    listed = draw(st.lists(st.sampled_from([*RUN_SERVICES, UNDECLARED]), unique=True))
    ports = {name: 21000 + index * 7 for index, name in enumerate(listed)}
    variables: dict[str, str] = {}
    if draw(st.booleans()):
        variables["STABLEPORT_ENV"] = draw(st.sampled_from(["dev", "qa"]))
    if draw(st.booleans()):
        variables["STABLEPORT_PINS"] = f"web@{run_env}=9002"
    if draw(st.integers(0, 4)) == 0:
        variables["STABLEPORT_NAMESPACE"] = "other"
    return {
        "state": draw(st.sampled_from(["none", "ports-alone", "ended", "live", "other-namespace"])),
        "here": draw(st.sampled_from(["project", "other", "empty"])),
        "run_env": run_env,
        "ports": ports,
        "variables": variables,
        "env_flag": draw(st.sampled_from([None, None, "dev", run_env])),
    }


@pytest.mark.slow  # real processes for each example
@settings(max_examples=examples(20), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(run_states())
def test_test_run_variables_give_one_answer_from_every_entry_point(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name).resolve()
        places = {"project": root / "shop", "other": root / "blog", "empty": root / "empty"}
        for place in places.values():
            place.mkdir()
        written(places["project"], {"file": "stableport.toml", "table": RUN_TABLE})
        written(places["other"], {"file": "stableport.toml", "table": OTHER_TABLE})
        state, ports, run_env = case["state"], case["ports"], case["run_env"]
        variables = {
            **case["variables"],
            **run_variables(state, places["project"], ports, run_env),
        }
        expected = run_expected(case)
        given = [] if case["env_flag"] is None else ["--env", case["env_flag"]]
        where = places[case["here"]]
        with project(where, variables):
            for service, port in expected.items():
                assert int(command(service, *given)) == port, service
                story = json.loads(command("explain", service, "--json", *given))
                assert story["port"] == port, service
            listed = json.loads(command("list", "--json", *given))["entries"]
            declared = {entry["service"]: entry["port"] for entry in listed}
            assert declared == {service: expected[service] for service in declared}
            if declared:  # export refuses a map that declares nothing
                exported = json.loads(command("export", "--format", "json", *given))
                assert {k: v for k, v in exported.items() if k.endswith("_PORT")} == {
                    variable_name(service): expected[service] for service in declared
                }
            if not given:
                loaded = stableport.load()
                for service, port in expected.items():
                    assert stableport.port_for(service) == port, service
                    assert loaded.port_for(service) == port, service
        # run: its PORT, and its command's own port_for, agree with the rest.
        first = "web" if case["here"] != "empty" or state in ("live", "other-namespace") else None
        if first is None:
            return  # the built-in defaults declare nothing to run
        child = "import os, stableport; print(os.environ['PORT'], stableport.port_for('web'))"
        assert SCRIPT is not None
        result = subprocess.run(
            [SCRIPT, "run", first, *given, "--no-claim", "--", sys.executable, "-c", child],
            capture_output=True,
            text=True,
            check=False,
            cwd=where,
            env=clean_environment(variables),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(expected[first])] * 2
