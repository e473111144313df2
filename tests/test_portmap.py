"""PortMap behaviour by example: envs, layers, pins, strictness, explain, errors."""

import copy
import gc
import pickle
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

import stableport
from stableport import PortMap
from stableport._portmap import open_ports, undeclared_ports

SERVICES = ["billing", "auth", "search"]


def shared_host_map(**overrides: object) -> PortMap:
    arguments: dict[str, object] = {
        "envs": ["dev", "test"],
        "env": "dev",
        "exclude": [25000, (26000, 26099)],
        "pins": {"billing": 8001},
    }
    arguments.update(overrides)
    return PortMap(SERVICES, **arguments)  # type: ignore[arg-type]


def test_the_issue_example_resolves_every_declared_pair_distinctly() -> None:
    pm = shared_host_map(pins={})
    ports = pm.assignments()
    assert set(ports) == {(s, e) for s in SERVICES for e in ("dev", "test")}
    assert len(set(ports.values())) == len(ports)
    assert all(20000 <= port <= 29999 for port in ports.values())
    assert pm.port_for("auth") == ports["auth", "dev"]
    assert pm.port_for("auth", env="test") == ports["auth", "test"]


def test_an_unscoped_pin_applies_to_every_environment() -> None:
    pm = shared_host_map()
    assert pm.port_for("billing") == 8001
    assert pm.port_for("billing", env="test") == 8001
    assert pm.port_for("billing", env="staging") == 8001


def test_a_per_environment_pin_beats_the_unscoped_one() -> None:
    pm = shared_host_map(pins={"billing": 8001, ("billing", "test"): 8002})
    assert pm.port_for("billing", env="dev") == 8001
    assert pm.port_for("billing", env="test") == 8002


def test_a_pinned_service_need_not_be_listed() -> None:
    pm = PortMap(["auth"], pins={"metrics": 9100})
    assert pm.services == ("auth", "metrics")
    assert pm.port_for("metrics") == 9100


def test_a_pinned_pair_answers_even_when_its_layer_is_over_full() -> None:
    # Issue 11's reproducer: prod's layer cannot hold a and b, but c is pinned.
    pm = PortMap(
        ["a", "b", "c"],
        envs=["dev"],
        port_range=(100, 102),
        pins={"c": 8000},
        default_exclusions=False,
    )
    assert pm.port_for("c", "prod") == 8000
    assert pm.explain("c", "prod").how == "pinned"
    with pytest.raises(stableport.RangeExhaustedError):
        pm.port_for("a", "prod")


def test_a_pin_inside_the_range_is_never_hashed_to() -> None:
    free = PortMap(["auth"]).port_for("auth")
    pm = PortMap(["auth"], pins={"billing": free})
    assert pm.port_for("billing") == free
    assert pm.port_for("auth") != free


def test_pin_keys_with_an_at_sign_point_to_the_tuple_form() -> None:
    with pytest.raises(stableport.InvalidNameError) as caught:
        PortMap(pins={"billing@prod": 8001})
    assert str(caught.value) == (
        "pins['billing@prod']: pin keys in Python are a service or a (service, env) pair; "
        "write ('billing', 'prod') to pin 'billing' in environment 'prod'"
    )


def test_an_undeclared_environment_is_a_layer_that_leaves_declared_ports_alone() -> None:
    pm = shared_host_map(pins={})
    before = pm.assignments()
    staging = {service: pm.port_for(service, env="staging") for service in SERVICES}
    assert pm.assignments() == before
    assert len(set(staging.values())) == len(SERVICES)
    assert not set(staging.values()) & set(before.values())


def test_undeclared_environments_resolve_the_same_in_any_map_that_declares_none() -> None:
    # With no envs declared, each environment stands alone: the default env does not matter.
    dev = PortMap(SERVICES, env="dev")
    prod = PortMap(SERVICES, env="prod")
    for service in SERVICES:
        assert dev.port_for(service, env="test") == prod.port_for(service, env="test")


def test_an_empty_envs_list_means_none_declared() -> None:
    assert PortMap(SERVICES, envs=[]) == PortMap(SERVICES)
    assert PortMap(SERVICES, envs=[]).envs is None


def test_undeclared_names_avoid_declared_ports() -> None:
    pm = shared_host_map()
    declared = set(pm.assignments().values())
    for index in range(200):
        assert pm.port_for(f"extra-{index}") not in declared
        assert pm.port_for(f"extra-{index}", env="staging") not in declared


def test_an_undeclared_name_keeps_its_port_when_nothing_is_in_its_way() -> None:
    assert PortMap(SERVICES).port_for("unrelated") == PortMap().port_for("unrelated")


def test_strict_maps_reject_undeclared_services() -> None:
    pm = shared_host_map(strict=True)
    with pytest.raises(stableport.UnknownServiceError) as caught:
        pm.port_for("payments")
    assert str(caught.value) == (
        "service 'payments' is not declared in this strict map (declared: auth, billing, search)"
    )
    assert pm.port_for("Auth") == pm.port_for("auth")


def test_assignments_of_a_map_without_envs_cover_its_default_env() -> None:
    pm = PortMap(SERVICES, env="dev")
    assert pm.assignments() == {(s, "dev"): pm.port_for(s) for s in sorted(SERVICES)}


def test_assignments_are_sorted_by_service_then_env() -> None:
    keys = list(shared_host_map().assignments())
    assert keys == sorted(keys)


def test_properties_report_the_normalized_configuration() -> None:
    pm = PortMap(
        ["Billing", "auth"],
        envs=["Test", "dev"],
        env="DEV",
        exclude=[26000, (25000, 25010), (25005, 25020)],
        pins={("Billing", "Prod"): 8001},
        strict=True,
        default_exclusions=False,
    )
    assert pm.services == ("auth", "billing")
    assert pm.envs == ("dev", "test")
    assert pm.env == "dev"
    assert pm.port_range == stableport.DEFAULT_RANGE
    assert pm.exclude == ((25000, 25020), (26000, 26000))
    assert pm.pins == {("billing", "prod"): 8001}
    assert pm.strict is True
    assert pm.default_exclusions is False


def test_exclude_is_the_maps_own_and_exclusions_in_force_adds_the_defaults() -> None:
    pm = PortMap(exclude=[(25000, 25010), 26000])
    own = (
        (25000, 25010, "in this map's exclude list"),
        (26000, 26000, "in this map's exclude list"),
    )
    assert pm.exclude == ((25000, 25010), (26000, 26000))
    assert pm.exclusions_in_force()[-2:] == own
    assert (27017, 27019, "MongoDB") in pm.exclusions_in_force()
    opted_out = PortMap(exclude=[(25000, 25010), 26000], default_exclusions=False)
    assert opted_out.exclusions_in_force() == own


def test_maps_compare_by_their_normalized_configuration() -> None:
    one = PortMap(["a", "B"], envs=["x", "y"], exclude=[1, (5, 6)], pins={"c": 80})
    two = PortMap(["b", "A"], envs=["Y", "X"], exclude=[(5, 6), 1], pins={"C": 80})
    assert one == two
    assert hash(one) == hash(two)
    assert one != PortMap(["a", "b"])
    assert one != "not a map"


def test_repr_round_trips() -> None:
    pm = PortMap(
        ["b", "a"],
        envs=["dev"],
        exclude=[25000],
        pins={"c": 80, ("a", "dev"): 81},
        strict=True,
        default_exclusions=False,
    )
    assert eval(repr(pm), {"PortMap": PortMap}) == pm  # noqa: S307 - our own repr
    assert repr(PortMap()) == "PortMap([], env='default', port_range=(20000, 29999))"


def test_the_default_exclusions_apply_unless_switched_off() -> None:
    # 27017 (MongoDB) is excluded by default: a one-port range there has no port left.
    with pytest.raises(stableport.PortRangeError) as caught:
        PortMap(port_range=(27017, 27017))
    assert str(caught.value) == (
        "port range 27017-27017 has no port left after exclusions; widen it or exclude less"
    )
    assert PortMap(port_range=(27017, 27017), default_exclusions=False).port_for("x") == 27017


def test_excluded_ports_are_skipped() -> None:
    pm = PortMap(port_range=(20001, 20003), exclude=[20002])
    ports = {pm.port_for(f"service-{index}") for index in range(50)}
    assert ports == {20001, 20003}


def test_a_full_range_raises_range_exhausted() -> None:
    with pytest.raises(stableport.RangeExhaustedError) as caught:
        PortMap(["a", "b", "c"], port_range=(20001, 20003), exclude=[20002])
    assert str(caught.value) == (
        "3 (service, env) pairs need a port but range 20001-20003 has only 2 free after "
        "exclusions, pins and ports already assigned; widen the port range or declare fewer "
        "services"
    )


def test_an_undeclared_name_in_a_full_map_raises_range_exhausted() -> None:
    pm = PortMap(["a", "b"], port_range=(20001, 20002))
    with pytest.raises(stableport.RangeExhaustedError, match="no free port left for 'c'"):
        pm.port_for("c")


def test_a_nearly_full_range_still_resolves() -> None:
    names = [f"s{index}" for index in range(999)]
    pm = PortMap(names, port_range=(21000, 21999), default_exclusions=False)
    assert len(set(pm.assignments().values())) == 999


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"port_range": (0, 100)},
            stableport.PortRangeError,
            "port_range low end is 0, outside the valid ports 1-65535",
        ),
        (
            {"port_range": (20000, 70000)},
            stableport.PortRangeError,
            "port_range high end is 70000, outside the valid ports 1-65535",
        ),
        (
            {"port_range": (30000, 20000)},
            stableport.PortRangeError,
            "port_range 30000-20000 is reversed: its low end must not exceed its high end",
        ),
        (
            {"port_range": (1, 2, 3)},
            stableport.InvalidTypeError,
            "port_range must be two ints (low, high), inclusive; got (1, 2, 3)",
        ),
        (
            {"port_range": ("1", 2)},
            stableport.InvalidTypeError,
            "port_range low end must be an int port, not str: '1'",
        ),
        (
            {"port_range": (True, 2)},
            stableport.InvalidTypeError,
            "port_range low end must be an int port, not bool: True",
        ),
        (
            {"exclude": [25000, 0]},
            stableport.PortRangeError,
            "exclude[1] is 0, outside the valid ports 1-65535",
        ),
        (
            {"exclude": [(26100, 26000)]},
            stableport.PortRangeError,
            "exclude[0] 26100-26000 is reversed: its low end must not exceed its high end",
        ),
        (
            {"exclude": "25000"},
            stableport.InvalidTypeError,
            "exclude must be a list of ports and (low, high) ranges; got '25000'",
        ),
        (
            {"pins": {"billing": 70000}},
            stableport.PinConflictError,
            "pins['billing'] is 70000, outside the valid ports 1-65535",
        ),
        (
            {"pins": {"billing": 8001, "auth": 8001}},
            stableport.PinConflictError,
            "pins['auth'] pins 'auth' to port 8001, which pins['billing'] already pins to "
            "'billing'; a port can be pinned to one service only",
        ),
        (
            {"pins": {"billing": 8001, "Billing": 8002}},
            stableport.PinConflictError,
            "pins['billing'] and pins['Billing'] pin the same service and environment; keep one",
        ),
        (
            {"pins": {("billing", "dev", "x"): 8001}},
            stableport.InvalidTypeError,
            "pins[('billing', 'dev', 'x')]: a pin key is a service or a (service, env) pair",
        ),
        (
            {"pins": [("billing", 8001)]},
            stableport.InvalidTypeError,
            "pins must be a mapping of service (or (service, env)) to port; "
            "got [('billing', 8001)]",
        ),
        (
            {"pins": {"billing": "8001"}},
            stableport.InvalidTypeError,
            "pins['billing'] must be an int port, not str: '8001'",
        ),
        (
            {"envs": "dev"},
            stableport.InvalidTypeError,
            "envs must be a list of names, not 'dev'",
        ),
        (
            {"envs": ["dev", "Dev"]},
            stableport.InvalidNameError,
            "environment name 'Dev' in envs is declared twice (also as 'dev'); "
            "names are compared casefolded",
        ),
        (
            {"env": "a@b"},
            stableport.InvalidNameError,
            "environment name 'a@b' (from env) contains '@', which is reserved; "
            "names may not contain any of @ = ,",
        ),
        (
            {"strict": 1},
            stableport.InvalidTypeError,
            "strict must be True or False, not 1",
        ),
        (
            {"default_exclusions": None},
            stableport.InvalidTypeError,
            "default_exclusions must be True or False, not None",
        ),
        (
            {"algorithm": 2},
            stableport.AlgorithmVersionError,
            "algorithm 2 is not supported; this release implements algorithm 1 only",
        ),
        (
            {"algorithm": 1.0},
            stableport.AlgorithmVersionError,
            "algorithm 1.0 is not supported; this release implements algorithm 1 only",
        ),
        (
            {"algorithm": Fraction(1)},
            stableport.AlgorithmVersionError,
            "algorithm Fraction(1, 1) is not supported; this release implements algorithm 1 only",
        ),
        (
            {"algorithm": True},
            stableport.AlgorithmVersionError,
            "algorithm True is not supported; this release implements algorithm 1 only",
        ),
        (
            {"port_range": (10**5000, 1)},
            stableport.PortRangeError,
            "port_range low end is <an integer of about 5001 digits>, outside the valid "
            "ports 1-65535",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(
    arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        PortMap(**arguments)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_a_single_string_of_services_is_rejected() -> None:
    with pytest.raises(stableport.InvalidTypeError, match="services must be a list of names"):
        PortMap("billing")


def test_two_services_declared_as_one_name_are_rejected() -> None:
    with pytest.raises(stableport.InvalidNameError, match="declared twice"):
        PortMap(["billing", "Billing"])


def test_the_same_service_may_keep_one_port_in_several_environments() -> None:
    pm = PortMap(pins={("billing", "dev"): 8001, ("billing", "test"): 8001})
    assert pm.port_for("billing", env="dev") == pm.port_for("billing", env="test") == 8001


def test_lookups_are_cached_per_map() -> None:
    pm = PortMap(SERVICES)
    port = pm.port_for("auth")
    assert pm._resolver.lookups["auth", None] == port
    pm._resolver.lookups["auth", None] = 1  # a cached answer is returned without recomputation
    assert pm.port_for("auth") == 1


def test_the_lookup_cache_is_bounded() -> None:
    pm = PortMap()
    for index in range(5000):
        pm.port_for(f"generated-{index}")
    assert len(pm._resolver.lookups) == 4096
    assert pm.port_for("generated-4999") == PortMap().port_for("generated-4999")


def test_an_overlay_resolves_worker_envs_together_above_the_declared_ones() -> None:
    pm = shared_host_map(pins={})
    overlaid = pm.overlay(["test-gw0", "test-gw1"])
    assert overlaid.overlay_envs == ("test-gw0", "test-gw1")
    assert pm.overlay_envs == ()
    ports = overlaid.assignments()
    assert set(ports) == {(s, e) for s in SERVICES for e in ("dev", "test", "test-gw0", "test-gw1")}
    assert len(set(ports.values())) == len(ports)
    assert {pair: ports[pair] for pair in pm.assignments()} == pm.assignments()
    assert overlaid.port_for("auth", env="test-gw1") == ports["auth", "test-gw1"]


def test_an_overlay_without_declared_envs_sits_above_the_maps_env() -> None:
    pm = PortMap(SERVICES, env="test")
    overlaid = pm.overlay(["test-gw0", "test-gw1"])
    worker_ports = {port for (_, env), port in overlaid.assignments().items() if env != "test"}
    assert len(worker_ports) == 2 * len(SERVICES)
    assert not worker_ports & set(pm.assignments().values())
    assert overlaid.port_for("auth") == pm.port_for("auth")


def test_an_overlay_is_a_layer_of_its_own_not_a_lookup_history() -> None:
    # The same worker env gets one answer however the map was reached.
    pm = PortMap(SERVICES)
    alone = pm.port_for("auth", env="test-gw0")
    together = pm.overlay(["test-gw0", "test-gw1"]).port_for("auth", env="test-gw0")
    assert pm.port_for("auth", env="test-gw0") == alone
    assert (
        PortMap(SERVICES).overlay(["test-gw1", "test-gw0"]).port_for("auth", env="test-gw0")
        == together
    )


def test_an_overlay_round_trips_through_repr_and_compares_by_value() -> None:
    overlaid = PortMap(SERVICES).overlay(["b", "a"])
    assert repr(overlaid).endswith(".overlay(['a', 'b'])")
    assert eval(repr(overlaid), {"PortMap": PortMap}) == overlaid  # noqa: S307 - our own repr
    assert overlaid != PortMap(SERVICES)
    assert hash(overlaid) == hash(PortMap(SERVICES).overlay(["a", "b"]))


def test_undeclared_names_in_an_overlay_avoid_every_workers_declared_ports() -> None:
    overlaid = PortMap(SERVICES).overlay(["gw0", "gw1"])
    declared = set(overlaid.assignments().values())
    assert all(overlaid.port_for(f"adhoc{i}", env="gw1") not in declared for i in range(50))


def test_undeclared_names_in_an_overlay_avoid_the_default_envs_ports_too() -> None:
    # No declared envs: the overlay sits above the default env's layer, and an
    # undeclared name in it avoids both (issue 11, item 3).
    pm = PortMap(["s"], port_range=(100, 109), default_exclusions=False)
    overlaid = pm.overlay(["w0"])
    held = {pm.port_for("s"), overlaid.port_for("s", "w0")}
    ports = {overlaid.port_for(f"x{index}", "w0") for index in range(40)}
    assert len(held) == 2
    assert ports.isdisjoint(held)
    # x13 probes the overlay's port, then the default env's, before a free one.
    skipped = [probe.port for probe in overlaid.explain("x13", "w0").probes[:-1]]
    assert sorted(skipped) == sorted(held)


@pytest.mark.parametrize(
    ("arguments", "overlay", "message"),
    [
        (
            {"envs": ["dev", "test"]},
            ["gw0", "test"],
            "overlay environment 'test' is already declared in envs; "
            "an overlay may only add environments",
        ),
        (
            {"env": "test"},
            ["Test"],
            "overlay environment 'test' is already this map's env; "
            "an overlay may only add environments",
        ),
        (
            {},
            "gw0",
            "overlay must be a list of names, not 'gw0'",
        ),
    ],
)
def test_an_overlay_may_only_add_environments(
    arguments: dict[str, object], overlay: object, message: str
) -> None:
    with pytest.raises(stableport.StableportError) as caught:
        PortMap(SERVICES, **arguments).overlay(overlay)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_an_overfull_overlay_fails_when_it_is_made() -> None:
    pm = PortMap(["a", "b"], port_range=(21000, 21004), default_exclusions=False)
    with pytest.raises(stableport.RangeExhaustedError):
        pm.overlay(["gw0", "gw1"])


@pytest.mark.parametrize("switch", [gc.enable, gc.disable])
def test_resolution_leaves_the_garbage_collector_as_it_found_it(
    switch: "Callable[[], None]",
) -> None:
    was = gc.isenabled()
    try:
        switch()
        PortMap([f"s{index}" for index in range(50)], port_range=(21000, 21060))
        assert gc.isenabled() is (switch is gc.enable)
    finally:
        (gc.enable if was else gc.disable)()


def test_an_undeclared_names_ports_start_at_its_port_and_pass_what_the_map_hands_out() -> None:
    # What the pytest fixture asks the map when a live test run holds a name's port.
    pm = PortMap(
        ["a", "b"],
        port_range=(20000, 20009),
        exclude=[20005],
        pins={"p": 20003},
        default_exclusions=False,
    )
    handed = {*pm.assignments().values(), 20003, 20005}
    ports = list(undeclared_ports(pm, "x", "default"))
    assert ports[0] == pm.port_for("x")
    assert set(ports) == set(range(20000, 20010)) - handed  # the walk reaches every open port
    assert open_ports(pm) == 10 - len(handed)
    worker = pm.overlay(["w0"])
    assert next(undeclared_ports(worker, "x", "w0")) == worker.port_for("x", "w0")


# -- a map as a value: pickled, copied, overlaid again and again -----------------


def _copies(pm: PortMap) -> list[PortMap]:
    return [
        pickle.loads(pickle.dumps(pm)),  # noqa: S301 - our own bytes
        copy.copy(pm),
        copy.deepcopy(pm),
        copy.deepcopy([pm, pm])[1],
    ]


@pytest.mark.parametrize(
    "pm",
    [
        PortMap(SERVICES),
        shared_host_map(namespace="ns", strict=True, default_exclusions=False),
        shared_host_map(pins={"billing": 8001, ("auth", "test"): 8002}).overlay(["gw0", "gw1"]),
        PortMap(SERVICES, envs=["dev"], instances=2, instance=2).overlay(["gw0"]),
        PortMap(SERVICES, config_path="/srv/app/stableport.toml"),
    ],
    ids=["plain", "everything", "overlay", "instance-overlay", "config-path"],
)
def test_a_map_pickles_and_copies_as_what_it_is(pm: PortMap) -> None:
    # A map crosses to another process (multiprocessing, a pool) by pickle,
    # and is a value: a copy is equal, answers alike and keeps where it came from.
    pm.explain("auth", "zzz")  # a map asked before: its caches are not what it is
    for twin in _copies(pm):
        assert twin == pm
        assert hash(twin) == hash(pm)
        assert repr(twin) == repr(pm)
        assert twin.config_path == pm.config_path
        assert twin.assignments() == pm.assignments()
        assert twin.reserved_ports() == pm.reserved_ports()
        for env in (None, "dev", "test", "gw0", "zzz"):
            assert twin.port_for("auth", env) == pm.port_for("auth", env)
            assert twin.explain("search", env) == pm.explain("search", env)
            if not pm.strict:
                assert twin.explain("other", env) == pm.explain("other", env)


class Tagged(PortMap):
    """A user's own kind of map, with an attribute of its own."""

    tag = "none"


class Slotted(PortMap):
    """The same, in slots of its own: one plain, one private (its name mangled)."""

    __slots__ = ("__owner", "team")

    def __init__(self, *args: Any, team: str, owner: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.__owner = owner

    @property
    def owner(self) -> str:
        return self.__owner


class OneSlot(PortMap):
    __slots__ = "team"  # noqa: PLC0205 - a str: one slot, as Python allows
    team: str


def test_a_subclass_pickles_and_copies_as_itself() -> None:
    tagged = Tagged(SERVICES, envs=["dev"])
    tagged.tag = "mine"
    slotted = Slotted(SERVICES, envs=["dev"], team="web", owner="ann")
    one = OneSlot(SERVICES, envs=["dev"])
    one.team = "ops"
    for twin in _copies(tagged):
        assert type(twin) is Tagged
        assert twin.tag == "mine"
        assert twin == tagged
        assert twin.port_for("auth", "dev") == tagged.port_for("auth", "dev")
    for copied in _copies(slotted):
        assert type(copied) is Slotted
        assert (copied.team, copied.owner) == ("web", "ann")
        assert copied.port_for("auth", "dev") == slotted.port_for("auth", "dev")
    assert [twin.team for twin in _copies(one) if isinstance(twin, OneSlot)] == ["ops"] * 4
    assert not hasattr(_copies(OneSlot(SERVICES))[0], "team")  # an unset slot stays unset


def test_a_pickled_map_carries_its_definition_not_its_tables() -> None:
    pm = PortMap([f"s{i}" for i in range(500)], envs=["dev", "test"])
    pm.overlay(["gw0"])
    for i in range(50):
        pm.port_for("s1", f"e{i}")
    # The definition is a few names; the tables are every port of them.
    assert len(pickle.dumps(pm)) < len(pickle.dumps(pm.services)) + 2000


def test_overlaying_an_overlay_again_and_again_holds_no_more_than_once() -> None:
    pm = PortMap([f"s{i}" for i in range(50)], envs=["dev"])
    once = pm.overlay(["gw0"])
    once.port_for("s1")
    chained = pm
    for i in range(100):
        chained = chained.overlay([f"gw{i}"])
        chained.port_for("s1")
    # Each overlay replaces the one before: none of their tables is read again.
    assert len(chained._resolver._tables) == len(once._resolver._tables)
    assert chained == pm.overlay(["gw99"])
    assert chained.assignments() == pm.overlay(["gw99"]).assignments()


def test_reserved_ports_are_what_an_overlays_undeclared_names_avoid() -> None:
    # What reserved_ports() says, against the spec's section 6: in an overlay
    # environment an undeclared name avoids every reserved port; in a declared
    # one it avoids only that table, so it may take an overlay's port.
    pm = PortMap(["a", "b"], envs=["dev"], port_range=(20001, 20008)).overlay(["gw0", "gw1"])
    reserved = pm.reserved_ports()
    overlay_ports = {pm.port_for(service, env) for service in "ab" for env in ("gw0", "gw1")}
    assert overlay_ports <= reserved
    names = [f"u{index}" for index in range(40)]
    for name in names:
        assert pm.port_for(name, "gw0") not in reserved
        assert pm.port_for(name, "gw0") == next(undeclared_ports(pm, name, "gw0"))
    assert any(pm.port_for(name, "dev") in overlay_ports for name in names)


def test_a_definition_is_one_immutable_value() -> None:
    # The map's definition is compared, hashed and pickled as itself, and
    # changed only by replace(): overlay() is a replace of its overlay.
    pm = PortMap(SERVICES, envs=["dev"], pins={"billing": 8001}, instances=2, instance=1)
    definition = pm._definition
    assert pickle.loads(pickle.dumps(definition)) == definition  # noqa: S301 - our own bytes
    assert hash(copy.deepcopy(definition)) == hash(definition)
    with pytest.raises(AttributeError, match="immutable"):
        definition.env = "prod"
    with pytest.raises(AttributeError, match="immutable"):
        del definition.env
    overlaid = pm.overlay(["gw0"])._definition
    assert overlaid == definition.replace(overlay=overlaid.overlay)
    assert overlaid != definition
    assert definition.replace() == definition
    assert "Definition(['auth', 'billing', 'search'], envs=['dev']" in repr(overlaid)
