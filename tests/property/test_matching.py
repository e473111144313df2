"""Deferred acceptance, for all inputs: the order claimants arrive in changes nothing."""

import random

from hypothesis import given
from hypothesis import strategies as st

from stableport._hashing import key_bytes
from stableport._matching import deferred_acceptance

from .strategies import simple_names, small_ranges


@given(st.lists(simple_names, min_size=1, max_size=40, unique=True), small_ranges(), st.randoms())
def test_deferred_acceptance_ignores_processing_order(
    names: list[str], port_range: tuple[int, int], shuffler: random.Random
) -> None:
    keys = [key_bytes(name, "e") for name in names]
    blocked = {port_range[0] + 1}
    result = deferred_acceptance(keys, *port_range, blocked)
    shuffler.shuffle(keys)
    assert deferred_acceptance(keys, *port_range, blocked) == result
