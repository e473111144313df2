"""Hashing, for all inputs: jump hash moves keys only to new buckets; probes permute a range."""

from hypothesis import given
from hypothesis import strategies as st

from stableport._hashing import jump_hash, probe_sequence


@given(st.integers(0, 2**64 - 1), st.integers(1, 70000), st.integers(1, 7000))
def test_jump_hash_moves_keys_only_into_new_buckets(key: int, buckets: int, growth: int) -> None:
    old, new = jump_hash(key, buckets), jump_hash(key, buckets + growth)
    assert 0 <= old < buckets
    assert new == old or new >= buckets


@given(st.binary(min_size=1, max_size=40), st.integers(1, 300), st.integers(1, 65235))
def test_a_probe_sequence_visits_every_port_once(key: bytes, size: int, low: int) -> None:
    ports = list(probe_sequence(key, low, low + size - 1))
    assert sorted(ports) == list(range(low, low + size))
