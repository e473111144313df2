"""Instances, for all maps: apart from each other and the plain map, which never moves."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from stableport import PortMap, RangeExhaustedError
from stableport._portmap import undeclared_ports

from .strategies import build, crowded_maps, simple_names


def instance_maps(arguments: dict[str, object], room: int) -> list[PortMap]:
    """The plain map (instance 0) and each of its instances, or none if they do not fit."""
    try:
        return [build({**arguments, "instances": room, "instance": i}) for i in range(room + 1)]
    except RangeExhaustedError:
        assume(False)
        raise  # unreachable: assume(False) stops the example


def home_envs(pm: PortMap) -> tuple[str, ...]:
    return pm.envs or (pm.env,)


def pinned(pm: PortMap, service: str, env: str) -> int | None:
    return pm.pins.get((service, env), pm.pins.get((service, None)))


@given(crowded_maps(), st.integers(1, 4))
def test_no_two_instances_nor_the_plain_map_share_a_declared_port(
    arguments: dict[str, object], room: int
) -> None:
    maps = instance_maps(arguments, room)
    owners: dict[int, tuple[int, str, str]] = {}
    for pm in maps:
        for env in home_envs(pm):
            for service in pm.services:
                port = pm.port_for(service, env)
                pin = pinned(pm, service, env)
                if pin is not None:  # a pin is every checkout's: the same port everywhere
                    assert port == pin
                    continue
                assert port not in owners, (owners[port], (pm.instance, service, env))
                owners[port] = (pm.instance, service, env)
                low, high = pm.port_range
                assert low <= port <= high
                assert port not in pm.pins.values()


@given(crowded_maps(), st.integers(1, 4), st.lists(simple_names, max_size=4))
def test_declaring_instances_moves_no_port_of_the_plain_map(
    arguments: dict[str, object], room: int, visitors: list[str]
) -> None:
    before = build(arguments)
    try:
        after = build({**arguments, "instances": room})
    except RangeExhaustedError:
        after = None
    assume(after is not None)
    assert after is not None
    for env in home_envs(before):
        for service in [*before.services, *visitors]:
            assert after.port_for(service, env) == before.port_for(service, env)
    assert after.assignments() == before.assignments()


@given(crowded_maps(), st.integers(1, 3), st.integers(1, 3))
def test_an_overlay_in_any_checkout_avoids_every_instances_ports(
    arguments: dict[str, object], room: int, workers: int
) -> None:
    maps = instance_maps(arguments, room)
    lanes = maps[0].reserved_ports()
    for pm in maps:
        try:
            overlaid = pm.overlay([f"gw{index}" for index in range(workers)])
        except RangeExhaustedError:
            continue
        for index in range(workers):
            for service in pm.services:
                port = overlaid.port_for(service, f"gw{index}")
                assert port == pinned(pm, service, f"gw{index}") or port not in lanes
        # An overlay moves none of the checkout's own ports.
        for env in home_envs(pm):
            for service in pm.services:
                assert overlaid.port_for(service, env) == pm.port_for(service, env)


@given(crowded_maps(), st.integers(1, 40))
def test_a_map_builds_exactly_when_every_instance_fits(
    arguments: dict[str, object], room: int
) -> None:
    plain = build(arguments)
    low, high = plain.port_range
    taken = plain.reserved_ports()
    blocked = {
        port
        for first, last, _ in plain.exclusions_in_force()
        for port in range(max(first, low), min(last, high) + 1)
    } | {port for port in plain.pins.values() if low <= port <= high}
    open_ports = high - low + 1 - len(taken | blocked)
    claimants = sum(
        1
        for env in home_envs(plain)
        for service in plain.services
        if pinned(plain, service, env) is None
    )
    fits = claimants * room <= open_ports
    if fits:
        assert build({**arguments, "instances": room, "instance": room}).instance == room
    else:
        with pytest.raises(RangeExhaustedError, match=f"instances = {room} of {claimants} "):
            build({**arguments, "instances": room, "instance": room})


class Lookups(RuleBasedStateMachine):
    """An instance's answers never depend on what it, or anyone, was asked before."""

    @initialize(arguments=crowded_maps(), room=st.integers(1, 3), data=st.data())
    def start(self, arguments: dict[str, object], room: int, data: st.DataObject) -> None:
        self.arguments = {**arguments, "instances": room}
        self.room = room
        self.instance = data.draw(st.integers(0, room))
        try:
            self.pm = build({**self.arguments, "instance": self.instance})
        except RangeExhaustedError:
            assume(False)
        self.answers: dict[tuple[str, str | None], int] = {}

    def fresh(self) -> PortMap:
        return build({**self.arguments, "instance": self.instance})

    @rule(
        name=st.one_of(simple_names, st.sampled_from(["a", "b", "web"])),
        env=st.sampled_from([None, "dev", "test", "x", "default"]),
    )
    def look_up(self, name: str, env: str | None) -> None:
        try:
            port = self.pm.port_for(name, env)
        except RangeExhaustedError:
            return  # a layer that does not fit in a crowded range
        assert self.answers.setdefault((name, env), port) == port
        assert self.fresh().port_for(name, env) == port

    @rule(other=st.integers(0, 3))
    def a_sibling_looks_up_everything(self, other: int) -> None:
        sibling = build({**self.arguments, "instance": min(other, self.room)})
        sibling.assignments()

    @invariant()
    def its_declared_ports_are_a_fresh_maps(self) -> None:
        if hasattr(self, "pm"):
            assert self.pm.assignments() == self.fresh().assignments()


TestLookups = Lookups.TestCase


@given(crowded_maps(), st.integers(1, 3), st.lists(simple_names, min_size=1, max_size=3))
def test_an_undeclared_names_fallback_order_starts_at_its_port_in_every_instance(
    arguments: dict[str, object], room: int, visitors: list[str]
) -> None:
    # The pytest fixture walks this order when a live run holds a name's port:
    # the name's probe sequence past every reserved port, so it starts at the
    # port every other entry point gives unless that port is reserved: in the
    # plain map's home, an undeclared name avoids its own table only (spec
    # section 6), which may hold an instance's lane port; the walk avoids it.
    for pm in instance_maps(arguments, room):
        layers: tuple[PortMap, ...]
        try:
            layers = (pm, pm.overlay(["w0"]))
        except RangeExhaustedError:
            layers = (pm,)
        for layer in layers:
            reserved = layer.reserved_ports()
            for visitor in visitors:
                assume(visitor not in layer.services)
                # The fixture's envs: lease 0's home ones, or lease k's in the overlay.
                for env in layer.overlay_envs or home_envs(layer):
                    order = list(undeclared_ports(layer, visitor, env))
                    try:
                        port = layer.port_for(visitor, env)
                    except RangeExhaustedError:  # no port left: nothing to walk either
                        assert not order
                        continue
                    assert order[:1] == [port] or (port in reserved and layer.instance == 0)
                    assert not reserved.intersection(order)
                    assert len(order) == len(set(order))
