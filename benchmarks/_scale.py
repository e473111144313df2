"""Section 3: resolving whole maps, from 10 services to a nearly full range.

Each case builds ``PortMap(names, port_range=...)`` from seeded random names
(made before the clock starts): resolution of every service, with the default
exclusions. Times are medians of repeated builds, cases interleaved, the
garbage collector on (as a caller has it). Peak memory is a separate build
under tracemalloc: the most Python had allocated at once during it.
"""

import random
import time
import tracemalloc
from unittest import mock

from xxhash import xxh3_64_intdigest

from _measure import format_bytes, format_ratio, format_seconds, median, rotated
from _report import Section, table
from stableport import DEFAULT_RANGE, PortMap

WIDE_RANGE = (1024, 65535)

FULL_CASES = (
    (10, DEFAULT_RANGE),
    (100, DEFAULT_RANGE),
    (1_000, DEFAULT_RANGE),
    (5_000, DEFAULT_RANGE),
    (7_000, DEFAULT_RANGE),
    (9_000, DEFAULT_RANGE),
    (1_000, WIDE_RANGE),
    (30_000, WIDE_RANGE),
    (60_000, WIDE_RANGE),
)
QUICK_CASES = ((10, DEFAULT_RANGE), (100, DEFAULT_RANGE), (300, WIDE_RANGE))

# Per-service cost is compared from this size up to half fill: below it, the
# fixed cost of a map (its exclusion set) dominates.
FLAT_FROM = 100


def names(rng: random.Random, count: int) -> list[str]:
    """count distinct random service names."""
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(f"svc-{rng.getrandbits(48):012x}")
    return sorted(chosen)


def available_ports(port_range: tuple[int, int]) -> int:
    """Ports of the range left after the default exclusions."""
    low, high = port_range
    excluded: set[int] = set()
    for first, last, _ in PortMap(port_range=port_range).exclusions_in_force():
        excluded.update(range(max(first, low), min(last, high) + 1))
    return high - low + 1 - len(excluded)


def _build_seconds(services: list[str], port_range: tuple[int, int], number: int = 1) -> float:
    """Seconds per build, over number consecutive builds."""
    start = time.perf_counter()
    for _ in range(number):
        PortMap(services, port_range=port_range)
    return (time.perf_counter() - start) / number


def _peak_bytes(services: list[str], port_range: tuple[int, int]) -> int:
    tracemalloc.start()
    try:
        PortMap(services, port_range=port_range)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def key(size: int, port_range: tuple[int, int]) -> str:
    """The figure name of a case."""
    return f"scale {size} in {port_range[0]}-{port_range[1]}"


def run(*, quick: bool) -> Section:
    """Build every map; figures: median seconds by case, and the per-service spread."""
    cases = QUICK_CASES if quick else FULL_CASES
    max_runs, budget, sample_seconds = (3, 0.5, 0.002) if quick else (15, 3.0, 0.05)
    rng = random.Random(20261126)
    inputs = {key(size, span): (names(rng, size), span) for size, span in cases}
    runs: dict[str, int] = {}
    builds: dict[str, int] = {}
    samples: dict[str, list[float]] = {label: [] for label in inputs}
    for label, (services, span) in inputs.items():
        first = max(_build_seconds(services, span), 1e-9)  # a warm-up, and the case's size
        runs[label] = max(3, min(max_runs, int(budget / first)))
        # Small maps are built several times in a row per sample, so they are timed
        # warm rather than right after a large build has flushed the caches.
        builds[label] = max(1, round(sample_seconds / first))
    for round_index in range(max(runs.values())):
        for label in rotated(list(inputs), round_index):
            if len(samples[label]) < runs[label]:
                samples[label].append(_build_seconds(*inputs[label], builds[label]))
    medians = {label: median(values) for label, values in samples.items()}
    per_service = {label: medians[label] / len(inputs[label][0]) for label in inputs}
    references: dict[tuple[int, int], float] = {}
    for span in {span for _, span in cases}:
        sizes = sorted(size for size, other in cases if other == span)
        base = next((size for size in sizes if size >= FLAT_FROM), sizes[0])
        references[span] = per_service[key(base, span)]
    rows = []
    for label, (services, span) in inputs.items():
        size = len(services)
        peak = _peak_bytes(services, span)
        rows.append(
            [
                f"{size:,}",
                f"{span[0]}-{span[1]}",
                f"{size / available_ports(span):.1%}",
                str(runs[label]),
                format_seconds(medians[label]),
                f"{per_service[label] * 1e6:.2f}",
                format_ratio(per_service[label] / references[span]),
                f"{_hashes(services, span) / size:.2f}",
                format_bytes(peak),
                f"{peak / size:,.0f}",
            ]
        )
    section = Section(
        "3. Scale",
        "Resolving a whole `PortMap`: median wall time of repeated builds (cases "
        "interleaved; each sample at least one build and about 50 ms of them; at least 3 "
        "samples and about 3 s' worth per case), and time per service, also relative to the "
        f"smallest map of at least {FLAT_FROM} services in the same range. Hashes per service "
        "counts the xxh3_64 probes computed (one more build): the work that grows with fill, "
        "as claimants collide and move on. Peak memory is from `tracemalloc` (one more build; "
        "Python allocations only). Fill is services / ports left after the default exclusions.",
        table(
            [
                "services",
                "range",
                "fill",
                "runs",
                "median",
                "µs per service",
                "per service vs low fill",
                "hashes per service",
                "peak memory",
                "bytes per service",
            ],
            rows,
        ),
    )
    section.figures.update(medians)
    for span in (DEFAULT_RANGE, WIDE_RANGE):
        half = (span[1] - span[0] + 1) / 2
        flat = [size for size, other in cases if other == span and FLAT_FROM <= size <= half]
        if len(flat) > 1:
            costs = [per_service[key(size, span)] for size in flat]
            section.figures[flat_key(span)] = max(costs) / min(costs)
            section.figures[flat_key(span, "from")] = min(flat)
            section.figures[flat_key(span, "to")] = max(flat)
    return section


def flat_key(port_range: tuple[int, int], what: str = "spread") -> str:
    """The figure name of the per-service spread up to half fill in port_range."""
    return f"scale flat {what} in {port_range[0]}-{port_range[1]}"


def _hashes(services: list[str], port_range: tuple[int, int]) -> int:
    """How many xxh3_64 probes resolving the map computes."""
    count = 0

    def counting(key: bytes, seed: int) -> int:
        nonlocal count
        count += 1
        return xxh3_64_intdigest(key, seed)

    with mock.patch("stableport._hashing.xxh3_64_intdigest", new=counting):
        PortMap(services, port_range=port_range)
    return count
