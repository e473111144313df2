"""Ports spread evenly over the range: a chi-square test over many names."""

from collections import Counter

import pytest

from stableport import PortMap

# Critical values of chi-square at p = 0.001: a uniform hash fails 1 time in 1000,
# and since the hash is fixed, the verdict never changes from run to run.
CRITICAL_99_DF = 148.23


@pytest.mark.parametrize(
    ("port_range", "env"), [((20000, 29999), "default"), ((1024, 65535), "prod")]
)
def test_names_spread_evenly_over_the_range(port_range: tuple[int, int], env: str) -> None:
    pm = PortMap(port_range=port_range, default_exclusions=False)
    low, high = port_range
    buckets, names = 100, 50_000
    width = (high - low + 1) / buckets
    counts = Counter(int((pm.port_for(f"name-{i}", env) - low) / width) for i in range(names))
    expected = names / buckets
    chi_square = sum((counts[b] - expected) ** 2 / expected for b in range(buckets))
    assert chi_square < CRITICAL_99_DF
