"""Stability figures: how many existing services move when a map changes.

Run: python benchmarks/locality.py [--trials N] [--quick]
Prints a Markdown table. Random names come from a fixed seed, so the figures
are reproducible exactly.
"""

import argparse
import random
import statistics

from stableport import PortMap

DEFAULT_LOW, DEFAULT_HIGH = 20000, 29999


def names(rng: random.Random, count: int) -> list[str]:
    return [f"svc-{rng.getrandbits(48):012x}" for _ in range(count)]


def moved(before: PortMap, after: PortMap, services: list[str]) -> int:
    return sum(before.port_for(s) != after.port_for(s) for s in services)


def add_one_service(rng: random.Random, size: int) -> int:
    services = names(rng, size)
    return moved(PortMap(services), PortMap([*services, *names(rng, 1)]), services)


def grow_range(rng: random.Random, size: int) -> int:
    services = names(rng, size)
    grown = DEFAULT_HIGH + (DEFAULT_HIGH - DEFAULT_LOW + 1) // 10
    return moved(PortMap(services), PortMap(services, port_range=(DEFAULT_LOW, grown)), services)


def add_one_exclusion(rng: random.Random, size: int) -> int:
    services = names(rng, size)
    before = PortMap(services)
    # Exclude a port some service holds: the interesting case (any other port moves none).
    victim = rng.choice(services)
    after = PortMap(services, exclude=[before.port_for(victim)])
    return moved(before, after, services)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few trials")
    args = parser.parse_args()
    trials = 3 if args.quick else args.trials
    sizes = (10, 100) if args.quick else (10, 100, 1000)
    rng = random.Random(20261126)
    print("| change | services | trials | mean moved | max moved | mean moved % |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, experiment in (
        ("add 1 service", add_one_service),
        ("grow range by 10% (top)", grow_range),
        ("exclude 1 held port", add_one_exclusion),
    ):
        for size in sizes:
            runs = trials if size < 1000 else max(1, trials // 2)
            results = [experiment(rng, size) for _ in range(runs)]
            mean = statistics.fmean(results)
            print(
                f"| {label} | {size} | {runs} | {mean:.3f} | {max(results)} "
                f"| {100 * mean / size:.2f}% |"
            )


if __name__ == "__main__":
    main()
