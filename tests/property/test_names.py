"""Names, for all inputs: normalization is idempotent and case never splits a service."""

from hypothesis import assume, given

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
