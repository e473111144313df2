"""One answer, whatever came before: a map's answers never depend on what it was asked.

A stateful model drives random sequences of every public operation of PortMap
(building, with instances and config_path or not, lookups good and bad,
explain, assignments, reserved_ports, exclusions_in_force, overlay, overlay
of an overlay, overlay([]), pickling) and checks after every step that
the answer, a port or the kind of error, is the answer of a fresh map built by
the same arguments and asked only that question, and of a second
implementation written from docs/algorithm.md alone (reference.py).

Issue 18's two defects are the kind it exists for: a lookup made a later
overlay reuse a table resolved for another purpose (F1), and an overlay of an
overlay kept answering from the one it replaced (F2).
"""

import json
import pickle
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, rule

import stableport
from stableport import PortMap, StableportError

from .profiles import examples
from .reference import Reference
from .test_entry_points import command, project, run_expected, run_variables

# Few, short names, so that operations meet: the same service in several maps,
# the same environment as a lookup, a layer and an overlay. "A" and "W0"
# normalize to names of the pool, "" and "x@y" are invalid.
SERVICES = ["a", "b", "c"]
LOOKUP_NAMES = [*SERVICES, "d", "A", "", "x@y"]
ENVS = ["dev", "test", "w0", "w1", "default"]
LOOKUP_ENVS = [None, *ENVS, "W1", ""]
OVERLAY_ENVS = ["w0", "w1", "default", "test", "W0"]


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments of a small map: a range of 1-8 ports, so layers crowd and overflow.

    The lows put default exclusions inside the range when they apply (101-104,
    the Fetch bad ports; 27015-27019, Source engine and MongoDB).
    """
    low = draw(st.sampled_from([100, 20000, 27014]))
    # Mostly 1-4 ports: two layers of one service collide often.
    high = low + draw(st.sampled_from([0, 1, 2, 3, 7]))
    services = draw(st.lists(st.sampled_from(SERVICES), unique=True, min_size=1, max_size=3))
    pin_keys = st.one_of(
        st.sampled_from([*SERVICES, "d"]),
        st.tuples(st.sampled_from([*SERVICES, "d"]), st.sampled_from(ENVS)),
    )
    pins = draw(
        st.dictionaries(pin_keys, st.one_of(st.integers(low, high), st.just(8001)), max_size=2)
    )
    return {
        "services": services,
        "envs": draw(st.one_of(st.none(), st.lists(st.sampled_from(ENVS[:3]), max_size=2))),
        "env": draw(st.sampled_from([None, "default", "dev", "w0"])),
        "namespace": draw(st.sampled_from([None, "ns"])),
        "port_range": (low, high),
        "exclude": draw(st.lists(st.integers(low, high), max_size=2)),
        "pins": pins,
        "strict": draw(st.booleans()),
        "default_exclusions": draw(st.booleans()),
        **draw(instances()),
        "config_path": draw(st.sampled_from([None, "/srv/a/stableport.toml"])),
    }


def instances() -> st.SearchStrategy[dict[str, int]]:
    """Mostly none; else room for one or two instances, and which one this map is."""
    return st.one_of(
        st.just({}),
        st.integers(1, 2).flatmap(
            lambda room: st.fixed_dictionaries(
                {"instances": st.just(room), "instance": st.integers(0, room)}
            )
        ),
    )


def checked_by_reference(built: "Built") -> bool:
    """Whether reference.py models built: it has no instances (spec section 6 aside)."""
    return not built.pm.instances


class Built:
    """A map as the sequence made it, and the arguments a fresh one is built from."""

    def __init__(self, arguments: dict[str, Any], overlay: tuple[str, ...] | None, pm: PortMap):
        self.arguments = arguments
        self.overlay = overlay  # the last overlay() call's envs; None: never overlaid
        self.pm = pm

    def fresh(self) -> PortMap:
        """A new map with the same arguments; overlay() replaces, so the last one alone."""
        pm = PortMap(**self.arguments)
        return pm if self.overlay is None else pm.overlay(self.overlay)

    def __repr__(self) -> str:
        return f"Built({self.arguments!r}, overlay={self.overlay!r})"


def outcome(call: Any, *args: Any) -> object:
    """What call(*args) gives: its value, or the kind of StableportError it raises."""
    try:
        return call(*args)
    except StableportError as error:
        return type(error).__name__


class History(RuleBasedStateMachine):
    """Random histories of maps; every answer is checked against a map that has none."""

    maps = Bundle("maps")

    # Every history starts with a map, and may build more on the way.
    @initialize(target=maps, arguments=definitions())
    def first(self, arguments: dict[str, Any]) -> object:
        return self.build(arguments)

    @rule(target=maps, arguments=definitions())
    def build(self, arguments: dict[str, Any]) -> object:
        try:
            pm = PortMap(**arguments)
        except StableportError:
            return multiple()
        return Built(arguments, None, pm)

    @rule(
        target=maps,
        built=maps,
        envs=st.lists(st.sampled_from(OVERLAY_ENVS), max_size=2),
        survey=st.booleans(),
    )
    def overlay(self, built: Built, envs: list[str], *, survey: bool) -> object:
        result = outcome(built.pm.overlay, envs)
        expected = outcome(PortMap(**built.arguments).overlay, envs)
        if not isinstance(result, PortMap):
            assert result == expected
            return multiple()
        assert isinstance(expected, PortMap)
        assert result == expected
        assert result.assignments() == expected.assignments()
        overlaid = Built(built.arguments, tuple(envs), result)
        if survey:  # at once, or maybe later: an overlay asked before, or not
            self.survey(overlaid)
        return overlaid

    @rule(built=maps, name=st.sampled_from(LOOKUP_NAMES), env=st.sampled_from(LOOKUP_ENVS))
    def port_for(self, built: Built, name: str, env: str | None) -> None:
        answer = outcome(built.pm.port_for, name, env)
        assert answer == outcome(built.fresh().port_for, name, env)
        if checked_by_reference(built):
            assert answer == outcome(Reference(built.pm).port_for, name, env)

    @rule(built=maps)
    def survey(self, built: Built) -> None:
        """Every name in every environment, in one step: a long history at once."""
        reference = Reference(built.pm) if checked_by_reference(built) else None
        for name in LOOKUP_NAMES:
            for env in LOOKUP_ENVS:
                answer = outcome(built.pm.port_for, name, env)
                assert answer == outcome(built.fresh().port_for, name, env), (name, env)
                if reference is not None:
                    assert answer == outcome(reference.port_for, name, env), (name, env)

    @rule(built=maps, name=st.sampled_from(LOOKUP_NAMES), env=st.sampled_from(LOOKUP_ENVS))
    def explain(self, built: Built, name: str, env: str | None) -> None:
        answer = outcome(built.pm.explain, name, env)
        assert answer == outcome(built.fresh().explain, name, env)
        if not isinstance(answer, str):
            assert str(answer) == str(built.fresh().explain(name, env))

    @rule(built=maps)
    def assignments(self, built: Built) -> None:
        answer = outcome(built.pm.assignments)
        assert answer == outcome(built.fresh().assignments)
        if checked_by_reference(built):
            assert answer == outcome(Reference(built.pm).assignments)

    @rule(built=maps)
    def reserved_ports(self, built: Built) -> None:
        # What the pytest fixture sizes its leases and walks past: a derived
        # set, so it too must not depend on what the map was asked before.
        assert outcome(built.pm.reserved_ports) == outcome(built.fresh().reserved_ports)

    @rule(built=maps)
    def definition(self, built: Built) -> None:
        fresh = built.fresh()
        assert built.pm == fresh
        assert hash(built.pm) == hash(fresh)
        assert repr(built.pm) == repr(fresh)
        assert built.pm.exclusions_in_force() == fresh.exclusions_in_force()
        assert built.pm.overlay_envs == fresh.overlay_envs
        assert built.pm.config_path == fresh.config_path
        assert (built.pm.instances, built.pm.instance) == (fresh.instances, fresh.instance)

    @rule(target=maps, built=maps)
    def pickled(self, built: Built) -> Built:
        """A map through pickle: the same map, whatever it was asked before."""
        twin = pickle.loads(pickle.dumps(built.pm))  # noqa: S301 - our own bytes
        assert twin == built.pm
        assert twin.config_path == built.pm.config_path
        assert outcome(twin.reserved_ports) == outcome(built.pm.reserved_ports)
        return Built(built.arguments, built.overlay, twin)


# In the suite: a size that fits CI. On the code before issue 18's fix, this size
# found F1 and F2 in every run tried (see the note for the counts).
History.TestCase.settings = settings(max_examples=examples(200), stateful_step_count=30)
TestHistory = History.TestCase


# -- identities: whatever was set before, the answer is the current inputs' ------


# Tight: 12 ports for the home and the lanes of three services and three
# instances, the rest for a layer, so where an environment is resolved shows.
RANGE = (27000, 27030)


class IdentityHistory(RuleBasedStateMachine):
    """A checkout whose identity and env change underneath every entry point.

    The identity comes from a file (written, rewritten, made for another
    checkout, broken, removed), STABLEPORT_INSTANCE or --instance; the env from
    STABLEPORT_ENV or --env. After every step, stableport NAME, list --json and
    stableport.port_for (reloaded) answer what a PortMap built from the inputs
    as they are now answers, or all fail: never an answer an earlier step left.
    """

    def __init__(self) -> None:
        super().__init__()
        import tempfile  # noqa: PLC0415 - the machine's own directory

        self.directory = tempfile.TemporaryDirectory()
        self.root = Path(self.directory.name).resolve()
        self.project = self.root / "checkout"
        self.other = self.root / "original"
        self.project.mkdir()
        self.other.mkdir()
        (self.project / "stableport.toml").write_text(
            f'services = ["a", "b", "c"]\ninstances = 3\nrange = {list(RANGE)}\n',
            encoding="utf-8",
        )
        self.variables: dict[str, str] = {}
        self.file: str | None = None  # what the identity file says: a number, or None

    def teardown(self) -> None:
        self.directory.cleanup()

    def expected(self, instance_flag: str | None, env_flag: str | None) -> object:
        """The port of every service, or the kind of error, from the inputs as they are."""
        env = env_flag if env_flag is not None else self.variables.get("STABLEPORT_ENV")
        identity = instance_flag
        if identity is None:
            identity = self.variables.get("STABLEPORT_INSTANCE")
        if identity is None:
            identity = self.file
        # As docs/instances.md reads an identity: ASCII digits, ASCII space around.
        text = "0" if identity is None else identity.strip(" \t\n\r\f\v")
        if not (text.isascii() and text.isdigit()):
            return "error"
        try:
            pm = PortMap(
                ["a", "b", "c"], env=env, instances=3, instance=int(text), port_range=RANGE
            )
            return [pm.port_for(service) for service in ("a", "b", "c")]
        except (ValueError, StableportError):
            return "error"

    @rule(number=st.integers(0, 4), own=st.booleans())
    def write_file(self, number: int, *, own: bool) -> None:
        text = f"{number}\n"
        if own:  # as instance new writes it: for this checkout
            text += f'for: "{self.project}"\n'
        (self.project / ".stableport-instance").write_text(text, encoding="utf-8")
        self.file = str(number)

    @rule()
    def copied_file(self) -> None:
        # Made for another checkout that exists: a copy's, never this one's identity.
        (self.project / ".stableport-instance").write_text(
            f'1\nfor: "{self.other}"\n', encoding="utf-8"
        )
        self.file = "copy"

    @rule(junk=st.sampled_from(["\u00a01", "x", "1 2", ""]))
    def broken_file(self, junk: str) -> None:
        (self.project / ".stableport-instance").write_text(junk, encoding="utf-8")
        self.file = "junk"

    @rule()
    def remove_file(self) -> None:
        (self.project / ".stableport-instance").unlink(missing_ok=True)
        self.file = None

    @rule(value=st.sampled_from([None, "0", "2", " 3 ", "9", "\u00a02"]))
    def instance_variable(self, value: str | None) -> None:
        self.set("STABLEPORT_INSTANCE", value)

    @rule(value=st.sampled_from([None, "dev", "qa", "Dev"]))
    def env_variable(self, value: str | None) -> None:
        self.set("STABLEPORT_ENV", value)

    def set(self, name: str, value: str | None) -> None:
        if value is None:
            self.variables.pop(name, None)
        else:
            self.variables[name] = value

    @rule(
        instance_flag=st.sampled_from([None, "0", "1", "3"]),
        env_flag=st.sampled_from([None, "dev", "qa"]),
    )
    def ask(self, instance_flag: str | None, env_flag: str | None) -> None:
        expected = self.expected(instance_flag, env_flag)
        flags = [] if instance_flag is None else ["--instance", instance_flag]
        flags += [] if env_flag is None else ["--env", env_flag]
        with project(self.project, {"CI": "", **self.variables}):
            try:
                got: object = [int(command(service, *flags)) for service in ("a", "b", "c")]
            except AssertionError:  # the command failed: an error, exit 2
                got = "error"
            assert got == expected, (self.variables, self.file, flags)
            if not flags:  # the API reads the same inputs, through the same readers
                try:
                    api: object = [stableport.port_for(service) for service in ("a", "b", "c")]
                except StableportError:
                    api = "error"
                assert api == expected


IdentityHistory.TestCase.settings = settings(
    max_examples=examples(25), stateful_step_count=12, deadline=None
)
TestIdentityHistory = IdentityHistory.TestCase


class RunVariablesHistory(RuleBasedStateMachine):
    """A test run's variables come, change, go stale and go, under every entry point.

    The run is this process (live), a process that has ended, or absent with
    its ports left behind; the lookup runs in the run's project, in another
    project or where no configuration is; STABLEPORT_ENV, _PINS and
    _NAMESPACE come and go. After every step, stableport NAME, explain, list
    --json and stableport.port_for / load().port_for (reloaded) answer what
    docs/configuration.md ("Inside a test run") says for the inputs as they
    are now: never what an earlier step left (issue 28, items 1-5).
    """

    def __init__(self) -> None:
        super().__init__()
        import tempfile  # noqa: PLC0415 - the machine's own directory

        self.directory = tempfile.TemporaryDirectory()
        root = Path(self.directory.name).resolve()
        self.places = {"project": root / "shop", "other": root / "blog", "empty": root / "empty"}
        for place in self.places.values():
            place.mkdir()
        (self.places["project"] / "stableport.toml").write_text(
            'services = ["web", "api", "db"]\nenvs = ["dev", "test"]\nenv = "dev"\n',
            encoding="utf-8",
        )
        (self.places["other"] / "stableport.toml").write_text(
            'services = ["web"]\nrange = [30000, 30999]\n', encoding="utf-8"
        )
        self.case: dict[str, Any] = {
            "state": "none",
            "here": "project",
            "run_env": "test",
            "ports": {},
            "variables": {},
            "env_flag": None,
        }

    def teardown(self) -> None:
        self.directory.cleanup()

    @rule(state=st.sampled_from(["none", "ports-alone", "ended", "live", "other-namespace"]))
    def run_state(self, state: str) -> None:
        self.case["state"] = state

    @rule(run_env=st.sampled_from(["test", "test-lease2"]))
    def run_env(self, run_env: str) -> None:
        self.case["run_env"] = run_env

    @rule(names=st.lists(st.sampled_from(["web", "api", "db", "adhoc"]), unique=True))
    def handed(self, names: list[str]) -> None:
        self.case["ports"] = {name: 21000 + 7 * index for index, name in enumerate(names)}

    @rule(here=st.sampled_from(["project", "other", "empty"]))
    def move(self, here: str) -> None:
        self.case["here"] = here

    @rule(
        name=st.sampled_from(["STABLEPORT_ENV", "STABLEPORT_NAMESPACE", "STABLEPORT_PINS"]),
        on=st.booleans(),
    )
    def variable(self, name: str, *, on: bool) -> None:
        values = {"STABLEPORT_ENV": "qa", "STABLEPORT_NAMESPACE": "other"}
        variables = self.case["variables"]
        if not on:
            variables.pop(name, None)
        elif name == "STABLEPORT_PINS":  # a pin of the run's env: the test's port wins
            variables[name] = f"web@{self.case['run_env']}=9002"
        else:
            variables[name] = values[name]

    @rule(env_flag=st.sampled_from([None, "dev", "test"]))
    def ask(self, env_flag: str | None) -> None:
        case = {**self.case, "env_flag": env_flag}
        if "STABLEPORT_PINS" in case["variables"]:  # the pin follows the run's env
            case["variables"] = {
                **case["variables"],
                "STABLEPORT_PINS": f"web@{case['run_env']}=9002",
            }
        expected = run_expected(case)
        ports, run_env = case["ports"], case["run_env"]
        variables = {
            **case["variables"],
            **run_variables(case["state"], self.places["project"], ports, run_env),
        }
        given = [] if env_flag is None else ["--env", env_flag]
        with project(self.places[case["here"]], variables):
            for service, port in expected.items():
                assert int(command(service, *given)) == port, (case, service)
                assert json.loads(command("explain", service, "--json", *given))["port"] == port
            listed = json.loads(command("list", "--json", *given))["entries"]
            assert all(entry["port"] == expected[entry["service"]] for entry in listed)
            if not given:
                loaded = stableport.load()
                for service, port in expected.items():
                    assert stableport.port_for(service) == port, (case, service)
                    assert loaded.port_for(service) == port, (case, service)


RunVariablesHistory.TestCase.settings = settings(
    max_examples=examples(15), stateful_step_count=10, deadline=None
)
TestRunVariablesHistory = RunVariablesHistory.TestCase
