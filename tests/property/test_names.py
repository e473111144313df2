"""Names, for all inputs: normalization is idempotent and case never splits a service."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import stableport
from stableport._names import normalize_name

from .strategies import valid_names


@given(valid_names)
def test_normalization_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


@given(valid_names)
def test_case_variants_are_one_service(name: str) -> None:
    assume(normalize_name(name.upper()) == normalize_name(name))
    assert stableport.port_for(name.upper()) == stableport.port_for(name)


@given(
    valid_names,
    st.characters(categories=["Cf", "Zl", "Zp"]),
    st.integers(min_value=0),
)
def test_an_invisible_character_anywhere_is_rejected(name: str, char: str, at: int) -> None:
    at %= len(name) + 1
    with pytest.raises(stableport.InvalidNameError):
        normalize_name(name[:at] + char + name[at:])
