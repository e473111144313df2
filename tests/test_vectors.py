"""Golden vectors: the v1 contract. A landed case is never edited or removed."""

import json
from pathlib import Path
from typing import Any

import pytest

import stableport
from stableport import ALGORITHM_VERSION, ConfigError, PortMap, StableportError
from stableport._schema import settings

VECTORS = Path(__file__).parent / "vectors" / "v1.json"
MINIMUM_LOOKUPS = 300
# A map's keys that are not PortMap arguments: what happens to the map once built.
HISTORY_KEYS = ("overlay", "overlays", "before")


def load_cases() -> list[dict[str, Any]]:
    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert document["algorithm"] == 1
    cases: list[dict[str, Any]] = document["cases"]
    return cases


def build_map(spec: dict[str, Any], case_id: str = "vector") -> PortMap:
    """A PortMap from a vector's spec, read exactly as a configuration file's table is.

    An optional "overlay" (a list of environments) builds the map's overlay(envs);
    "overlays" (a list of such lists) overlays one after the other, and
    "before" lists lookups asked of the map before each overlay is added.
    An optional "instance" is the instance (never a configuration key: a
    checkout's identity is not committed).
    """
    table = {key: value for key, value in spec.items() if key not in (*HISTORY_KEYS, "instance")}
    arguments = settings(table, case_id, "its map")
    arguments["instance"] = spec.get("instance", 0)
    pm = PortMap(**arguments)
    # Each overlay in turn, once the map so far has answered "before" (issue 18:
    # a history that must change nothing).
    overlays = spec.get("overlays", [spec["overlay"]] if "overlay" in spec else [])
    for envs in overlays:
        for service, env in spec.get("before", ()):
            lookup(pm, service, env)
        pm = pm.overlay(envs)
    return pm


def lookup(pm: PortMap, service: str, env: str | None) -> int | str:
    """The port of a lookup, or the kind of error it raises (its class name)."""
    try:
        return pm.port_for(service, env)
    except StableportError as error:
        return type(error).__name__


CASES = load_cases()
LOOKUP_CASES = [case for case in CASES if "lookups" in case]
ERROR_CASES = [case for case in CASES if "error" in case]


def test_the_corpus_is_not_empty() -> None:
    # Guards against a truncated or emptied file passing vacuously.
    lookups = sum(len(case["lookups"]) for case in LOOKUP_CASES)
    assert lookups >= MINIMUM_LOOKUPS
    assert len({case["id"] for case in CASES}) == len(CASES)
    assert ALGORITHM_VERSION == 1


def test_every_case_expects_lookups_or_one_error_kind() -> None:
    assert len(LOOKUP_CASES) + len(ERROR_CASES) == len(CASES)
    assert not [case["id"] for case in CASES if "lookups" in case and "error" in case]
    kinds = {case["error"] for case in ERROR_CASES} | {
        expected
        for case in LOOKUP_CASES
        for *_, expected in case["lookups"]
        if isinstance(expected, str)
    }
    assert kinds
    for kind in kinds:
        assert issubclass(getattr(stableport, kind), StableportError)


@pytest.mark.parametrize("case", LOOKUP_CASES, ids=[case["id"] for case in LOOKUP_CASES])
def test_vector(case: dict[str, Any]) -> None:
    pm = build_map(case["map"], case["id"])
    actual = [[service, env, lookup(pm, service, env)] for service, env, _ in case["lookups"]]
    assert actual == case["lookups"]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case["id"] for case in ERROR_CASES])
def test_error_vector(case: dict[str, Any]) -> None:
    with pytest.raises(StableportError) as caught:
        build_map(case["map"], case["id"])
    # A map read as a configuration reports a ConfigError caused by the kind
    # PortMap raises; that kind is the contract.
    error = caught.value
    if isinstance(error, ConfigError):
        assert isinstance(error.__cause__, StableportError)
        error = error.__cause__
    # The exact kind: a RangeExhaustedError does not pass for a PortRangeError.
    assert type(error).__name__ == case["error"]
