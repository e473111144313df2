"""Golden vectors: the v1 contract. A landed case is never edited or removed."""

import json
from pathlib import Path
from typing import Any

import pytest

from stableport import ALGORITHM_VERSION, PortMap
from stableport._config import settings

VECTORS = Path(__file__).parent / "vectors" / "v1.json"
MINIMUM_LOOKUPS = 300


def load_cases() -> list[dict[str, Any]]:
    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert document["algorithm"] == 1
    cases: list[dict[str, Any]] = document["cases"]
    return cases


def build_map(spec: dict[str, Any], case_id: str = "vector") -> PortMap:
    """A PortMap from a vector's spec, read exactly as a configuration file's table is.

    An optional "overlay" (a list of environments) builds the map's overlay(envs).
    """
    table = {key: value for key, value in spec.items() if key != "overlay"}
    pm = PortMap(**settings(table, case_id, "its map"))
    return pm.overlay(spec["overlay"]) if "overlay" in spec else pm


CASES = load_cases()


def test_the_corpus_is_not_empty() -> None:
    # Guards against a truncated or emptied file passing vacuously.
    lookups = sum(len(case["lookups"]) for case in CASES)
    assert lookups >= MINIMUM_LOOKUPS
    assert len({case["id"] for case in CASES}) == len(CASES)
    assert ALGORITHM_VERSION == 1


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_vector(case: dict[str, Any]) -> None:
    pm = build_map(case["map"], case["id"])
    actual = [[service, env, pm.port_for(service, env)] for service, env, _ in case["lookups"]]
    assert actual == case["lookups"]
