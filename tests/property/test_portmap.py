"""PortMap, for all inputs: bad arguments raise our errors; crowded maps keep every invariant."""

import contextlib
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import stableport
from stableport import PortMap
from stableport._hashing import key_bytes, key_prefix, probe_sequence
from stableport._names import normalize_name

from .profiles import examples
from .strategies import build, crowded_maps, junk, service_sets, simple_names, small_ranges


@given(junk, junk)
def test_port_for_returns_a_port_or_raises_a_stableport_error(name: object, env: object) -> None:
    try:
        port = stableport.port_for(name, env)  # type: ignore[arg-type]
    except stableport.StableportError:
        return
    assert 20000 <= port <= 29999


@given(
    services=junk,
    envs=junk,
    env=junk,
    port_range=junk,
    exclude=junk,
    pins=junk,
    strict=junk,
)
def test_portmap_accepts_or_raises_a_stableport_error(**arguments: object) -> None:
    with contextlib.suppress(stableport.StableportError):
        PortMap(**arguments)  # type: ignore[arg-type]


def blocked_for(pm: PortMap, port: int) -> bool:
    return any(low <= port <= high for low, high, _ in pm.exclusions_in_force())


@given(crowded_maps(), st.lists(simple_names, max_size=5), st.sampled_from([None, "dev", "x"]))
def test_ports_are_in_range_not_excluded_and_not_pinned_to_another(
    arguments: dict[str, object], visitors: list[str], env: str | None
) -> None:
    pm = build(arguments)
    low, high = pm.port_range
    pinned = {port: key[0] for key, port in pm.pins.items()}
    for service in [*pm.services, *visitors]:
        port = pm.port_for(service, env)
        if pinned.get(port) == normalize_name(service):
            continue
        assert low <= port <= high
        assert not blocked_for(pm, port)
        assert port not in pinned


@given(crowded_maps())
def test_declared_pairs_never_collide(arguments: dict[str, object]) -> None:
    pm = build(arguments)
    owners: dict[int, str] = {}
    for (service, _env), port in pm.assignments().items():
        # Only one service's pin may repeat a port across environments.
        assert owners.setdefault(port, service) == service
        if port not in {pin for key, pin in pm.pins.items() if key[0] == service}:
            assert list(pm.assignments().values()).count(port) == 1


@given(crowded_maps(), st.randoms(use_true_random=False))
def test_declaration_order_changes_nothing(
    arguments: dict[str, object], shuffler: random.Random
) -> None:
    shuffled = dict(arguments)
    for key in ("services", "envs", "exclude"):
        if isinstance(arguments[key], list):
            values = list(arguments[key])  # type: ignore[call-overload]
            shuffler.shuffle(values)
            shuffled[key] = values
    pins = list(arguments["pins"].items())  # type: ignore[attr-defined]
    shuffler.shuffle(pins)
    shuffled["pins"] = dict(pins)
    one, two = build(arguments), build(shuffled)
    assert one.assignments() == two.assignments()
    assert one.port_for("visitor", env="other") == two.port_for("visitor", env="other")


def displacement_chain(
    before: dict[tuple[str, str], int], after: dict[tuple[str, str], int], start: tuple[str, str]
) -> list[tuple[str, str]]:
    """Follow who was pushed off whose port, starting from start's new port."""
    holders = {port: pair for pair, port in before.items()}
    chain, pair = [], start
    while (pushed := holders.get(after[pair])) is not None and pushed != pair:
        chain.append(pushed)
        pair = pushed
    return chain


@given(crowded_maps(), simple_names)
def test_adding_a_service_moves_at_most_one_chain(
    arguments: dict[str, object], newcomer: str
) -> None:
    services: list[str] = arguments["services"]  # type: ignore[assignment]
    assume(newcomer not in services)
    before = build(arguments).assignments()
    try:
        after = build({**arguments, "services": [*services, newcomer]}).assignments()
    except stableport.RangeExhaustedError:
        return
    moved = {pair for pair, port in before.items() if after[pair] != port}
    chained: set[tuple[str, str]] = set()
    for pair in after:
        if pair[0] == newcomer:
            chained.update(displacement_chain(before, after, pair))
    assert moved == chained
    # Each environment of the newcomer starts at most one chain.
    assert len(moved) <= sum(1 for pair in after if pair not in before) * len(before)


@given(crowded_maps(), st.data())
def test_an_exclusion_moves_only_its_port_and_the_chain_behind_it(
    arguments: dict[str, object], data: st.DataObject
) -> None:
    before = build(arguments).assignments()
    excluded = data.draw(st.integers(*arguments["port_range"]))  # type: ignore[misc]
    try:
        after = build(
            {**arguments, "exclude": [*arguments["exclude"], excluded]}  # type: ignore[misc]
        ).assignments()
    except stableport.PortRangeError:
        return
    moved = {pair for pair, port in before.items() if after[pair] != port}
    evicted = [pair for pair, port in before.items() if port == excluded and after[pair] != port]
    assert len(evicted) <= 1
    expected = set(evicted)
    for pair in evicted:
        expected.update(displacement_chain(before, after, pair))
    assert moved == expected


@settings(max_examples=examples(30))
@given(small_ranges(), st.integers(0, 5))
def test_a_nearly_full_range_resolves_and_an_overfull_one_raises(
    port_range: tuple[int, int], spare: int
) -> None:
    size = port_range[1] - port_range[0] + 1
    names = [f"s{index}" for index in range(size - spare)]
    pm = PortMap(names, port_range=port_range, default_exclusions=False)
    assert len(set(pm.assignments().values())) == len(names)
    with pytest.raises(stableport.RangeExhaustedError):
        PortMap(
            [*names, *(f"t{i}" for i in range(spare + 1))],
            port_range=port_range,
            default_exclusions=False,
        )


@given(crowded_maps(), st.integers(1, 4))
def test_an_overlay_gives_each_worker_its_own_ports_and_moves_none_below(
    arguments: dict[str, object], workers: int
) -> None:
    arguments = {**arguments, "port_range": (20000, 29999)}  # room for every worker's layer
    pm = build(arguments)
    below = pm.assignments()
    worker_envs = [f"gw{index}" for index in range(workers)]
    overlaid = pm.overlay(worker_envs)
    everything = overlaid.assignments()
    assert {pair: everything[pair] for pair in below} == below
    hashed = [
        port
        for (service, env), port in everything.items()
        if env in worker_envs and pm.port_for(service, env) not in pm.pins.values()
    ]
    assert len(set(hashed)) == len(hashed)
    assert not set(hashed) & set(below.values())
    for (service, env), port in everything.items():
        assert overlaid.port_for(service, env) == port


@given(service_sets.filter(lambda names: len(names) >= 2), st.data())
def test_a_pinned_pair_answers_however_full_its_layer(
    services: list[str], data: st.DataObject
) -> None:
    pinned, *claimants = services
    spare = data.draw(st.integers(0, len(claimants) - 1))
    low = data.draw(st.integers(20000, 29000))
    # Room for dev's claimants and fewer spare ports than prod's layer needs.
    pm = PortMap(
        services,
        envs=["dev"],
        port_range=(low, low + len(claimants) + spare - 1),
        pins={pinned: data.draw(st.integers(30000, 65535))},
        default_exclusions=False,
    )
    assert pm.port_for(pinned, "prod") == pm.pins[normalize_name(pinned), None]
    with pytest.raises(stableport.RangeExhaustedError):
        pm.port_for(claimants[0], "prod")


def _sequence_to(service: str, env: str, pm: PortMap, port: int) -> list[int]:
    """The pair's probe sequence, hashed afresh, up to and including port."""
    key = key_bytes(service, env, key_prefix(pm.namespace))
    ports = []
    for candidate in probe_sequence(key, *pm.port_range):
        ports.append(candidate)
        if candidate == port:
            return ports
    raise AssertionError(port)  # pragma: no cover - every port of the range comes up


@settings(max_examples=examples(40))
@given(crowded_maps())
def test_explain_from_the_matchings_trails_tells_the_hashed_story(
    arguments: dict[str, object],
) -> None:
    # explain reads what the matching passed over instead of hashing again:
    # the probes it tells, and each holder's probe number, are the hash's.
    pm = build(arguments)
    for (service, env), port in pm.assignments().items():
        story = pm.explain(service, env)
        assert [probe.port for probe in story.probes] in ([], _sequence_to(service, env, pm, port))
        for probe in story.probes:
            if probe.verdict != "held" or "its probe" not in probe.reason:
                continue
            holder = probe.reason.removeprefix("held by ").partition(" (")[0]
            holder_service, _, holder_env = holder.partition("@")
            rank = len(_sequence_to(holder_service, holder_env, pm, probe.port)) - 1
            assert f"(its probe {rank}" in probe.reason
