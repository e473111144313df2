"""The hash self-check: the first map of a process proves xxh3_64 matches the spec."""

from pathlib import Path

import pytest
import xxhash

import stableport
from stableport import PortMap, _hashing

ALGORITHM = Path(__file__).parent.parent / "docs" / "algorithm.md"


def test_the_check_values_are_the_ones_the_spec_states() -> None:
    spec = " ".join(ALGORITHM.read_text(encoding="utf-8").split())
    assert _hashing.key_bytes("billing", "default") == _hashing.CHECK_KEY
    assert "for the key of `billing` in `default`" in spec
    for seed, digest in _hashing.CHECK_DIGESTS:
        assert f"seed {seed}: `{digest:#018x}`" in spec


def test_the_installed_xxhash_passes() -> None:
    for seed, digest in _hashing.CHECK_DIGESTS:
        assert xxhash.xxh3_64_intdigest(_hashing.CHECK_KEY, seed) == digest


def test_a_hash_that_differs_from_the_spec_stops_the_first_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_hashing, "_verified", False)
    monkeypatch.setattr(_hashing, "xxh3_64_intdigest", lambda _key, _seed: 0x1234)
    with pytest.raises(stableport.HashFunctionError) as caught:
        PortMap(["billing"])
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert f"xxhash {xxhash.VERSION} (xxHash library {xxhash.XXHASH_VERSION})" in message
    assert "= 0x0000000000001234, but stableport's v1 algorithm needs 0xff1587e723a1dbc6" in message
    assert _hashing._verified is False  # a failed check is made again by the next map


def test_the_check_runs_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[int] = []

    def counting(key: bytes, seed: int) -> int:
        if key == _hashing.CHECK_KEY:
            checked.append(seed)
        return xxhash.xxh3_64_intdigest(key, seed)

    monkeypatch.setattr(_hashing, "_verified", False)
    monkeypatch.setattr(_hashing, "xxh3_64_intdigest", counting)
    PortMap(["auth"])
    PortMap(["search"])
    assert checked == [seed for seed, _ in _hashing.CHECK_DIGESTS]
    assert _hashing._verified is True
