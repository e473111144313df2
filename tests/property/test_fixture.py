"""The fixture's port locks: within one process, distinct names never share a port."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from stableport import PortMap, _os_ports
from stableport._errors import StableportError
from stableport._fixture import StableportFixture
from stableport._lease_holder import LeaseHolder
from stableport._lockfile import Locks
from stableport._names import normalize_name

from .strategies import build, crowded_maps, service_sets


@given(
    arguments=crowded_maps(),
    undeclared=service_sets,
    leasing=st.booleans(),
    data=st.data(),
)
def test_the_fixture_never_hands_out_a_port_the_os_excludes(
    arguments: dict[str, object],
    undeclared: list[str],
    *,
    leasing: bool,
    data: st.DataObject,
) -> None:
    try:
        port_map = build(arguments)
        port_map.assignments()
    except StableportError:
        assume(False)
        raise  # unreachable: assume(False) stops the example
    low, high = port_map.port_range
    # Windows' excluded ranges (netsh), anywhere in the range, up to half of it.
    spans = st.tuples(st.integers(low, high), st.integers(0, (high - low) // 8))
    excluded = tuple(
        _os_ports.Reserved(first, min(first + size, high), _os_ports.EXCLUDED, "netsh")
        for first, size in data.draw(st.lists(spans, max_size=4))
    )
    names = list(dict.fromkeys(normalize_name(name) for name in [*port_map.services, *undeclared]))
    with tempfile.TemporaryDirectory() as directory, pytest.MonkeyPatch.context() as patch:
        patch.setattr(_os_ports, "_cache", excluded)
        mine = Locks(Path(directory)) if leasing else None
        try:
            holder = LeaseHolder(port_map, "test", lease=1 if leasing else None, locks=mine)
            fixture = StableportFixture(holder)
            for name in names:
                try:
                    port = fixture(name)
                except pytest.fail.Exception:  # every port left is excluded or held: said
                    break
                assert not [reserved for reserved in excluded if port in reserved], (name, port)
        finally:
            if mine is not None:
                mine.release()


@given(
    arguments=crowded_maps(),
    env=st.sampled_from(["test", "test-lease1"]),
    undeclared=service_sets,
    held_share=st.integers(0, 60),
    data=st.data(),
)
def test_within_one_process_distinct_names_never_share_a_port(
    arguments: dict[str, object],
    env: str,
    undeclared: list[str],
    held_share: int,
    data: st.DataObject,
) -> None:
    try:
        port_map = build(arguments)
        if env != "test":  # a worker's lease: its environment in the overlay
            port_map = port_map.overlay([env])
        port_map.assignments()
    except StableportError:
        assume(False)
        raise  # unreachable: assume(False) stops the example
    low, high = port_map.port_range
    # Another live run holds some of the range (up to held_share percent).
    others = data.draw(st.sets(st.integers(low, high), max_size=(high - low) * held_share // 100))
    names = list(dict.fromkeys(normalize_name(name) for name in [*port_map.services, *undeclared]))
    with tempfile.TemporaryDirectory() as directory:
        other, mine = Locks(Path(directory)), Locks(Path(directory))
        try:
            assert all(other.take(port) for port in others)
            # Its own map as the project's (overlaid above), and a lease of 1:
            # no other lease's ports to avoid.
            fixture = StableportFixture(LeaseHolder(port_map, env, lease=1, locks=mine))
            given_ports: dict[str, int] = {}
            for name in names:
                try:
                    port = fixture(name)
                except pytest.fail.Exception:  # every port left is held: said, and stops
                    break
                given_ports[name] = port
                assert fixture(name.upper()) == port  # asked again, in any case
        finally:
            other.release()
            mine.release()
    ports = list(given_ports.values())
    assert len(set(ports)) == len(ports)
    assert not set(ports) & others


def test_a_declared_service_keeps_its_port_when_an_undeclared_one_moved_first() -> None:
    """The fallback skips the ports of the environment's declared services."""
    port_map = PortMap(["billing"], port_range=(20001, 20041))
    billing = port_map.port_for("billing", "test")
    with tempfile.TemporaryDirectory() as directory:
        other, mine = Locks(Path(directory)), Locks(Path(directory))
        fixture = StableportFixture(LeaseHolder(port_map, "test", lease=1, locks=mine))
        # Every port but billing's is held by another run: the undeclared name
        # finds nothing rather than taking billing's.
        for port in range(20001, 20042):
            if port != billing:
                assert other.take(port)
        with pytest.raises(pytest.fail.Exception, match="no port left for 'cache'"):
            fixture("cache")
        assert fixture("billing") == billing
        other.release()
        mine.release()
