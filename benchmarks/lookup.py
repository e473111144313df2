"""Warm port_for against the one-hash floor, measured in one process.

Run: python benchmarks/lookup.py [--quick]
The floor is a Python function doing one xxh3_64 and a modulo: the least any
name-hashing lookup can cost. Medians of repeated timeit runs, in nanoseconds.
"""

import argparse
import statistics
import timeit

from xxhash import xxh3_64_intdigest

import stableport


def floor(name: str) -> int:
    """One xxh3_64 of the name, reduced into the default range."""
    return 20000 + xxh3_64_intdigest(name.encode()) % 10000


def median_ns(call: "timeit._Stmt", number: int, repeat: int) -> float:
    return statistics.median(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few iterations, for smoke runs")
    args = parser.parse_args()
    number, repeat = (1000, 3) if args.quick else (200_000, 15)
    stableport.port_for("billing")  # the first call builds the default map
    warm = stableport.port_for
    rows = [
        ("floor: xxh3_64 + modulo", median_ns(lambda: floor("billing"), number, repeat)),
        ("stableport.port_for (warm)", median_ns(lambda: warm("billing"), number, repeat)),
    ]
    base = rows[1][1]
    print("| lookup | median ns | ratio to warm port_for |")
    print("|---|---:|---:|")
    for label, value in rows:
        print(f"| {label} | {value:.0f} | {value / base:.2f} |")


if __name__ == "__main__":
    main()
