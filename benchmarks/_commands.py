"""Section 5: list, list --json and explain against export, on the same large maps.

Each command runs in this process through ``stableport._cli.main`` with its
``--config``, as the console script runs it: the file is read and parsed, the
map built, the answer rendered and written (to the null device). ``export`` does
the least a command can (one port per service), so it is the yardstick: the
others explain every service (``list``) or one (``explain``) on top of it.
"""

import os
import random
import sys
import time
from pathlib import Path

from _measure import format_ratio, format_seconds, median, rotated
from _report import Section, table
from _scale import names
from stableport import DEFAULT_RANGE
from stableport._cli import main as stableport_main

# (services, range): half fill of the default range, and 20,000 services in
# 25,000 ports, the size the hardening issue measured (0.5 s against 73 s).
FULL_CASES = ((1_000, DEFAULT_RANGE), (5_000, DEFAULT_RANGE), (20_000, (20000, 44999)))
QUICK_CASES = ((50, DEFAULT_RANGE), (300, (20000, 20999)))

COMMANDS = ("export", "list", "list --json", "explain")

# list, list --json and explain stay within this factor of export.
LIMIT = 2.0


def key(size: int, command: str) -> str:
    """The figure name of one command on one case."""
    return f"commands {size} {command}"


def _write_config(directory: Path, services: list[str], port_range: tuple[int, int]) -> Path:
    path = directory / f"stableport-{len(services)}.toml"
    quoted = ", ".join(f'"{name}"' for name in services)
    path.write_text(
        f"range = [{port_range[0]}, {port_range[1]}]\nservices = [{quoted}]\n", encoding="utf-8"
    )
    return path


def _argv(command: str, config: Path, explained: str) -> list[str]:
    words = command.split()
    if words[0] == "explain":
        words.append(explained)
    return [*words, "--config", str(config)]


def _seconds(argv: list[str]) -> float:
    """One run of the command line, its output sent to the null device."""
    saved = sys.stdout
    with Path(os.devnull).open("w", encoding="utf-8") as null:
        sys.stdout = null
        try:
            start = time.perf_counter()
            code = stableport_main(argv)
            elapsed = time.perf_counter() - start
        finally:
            sys.stdout = saved
    if code != 0:
        message = f"stableport {' '.join(argv)} exited {code}"
        raise RuntimeError(message)
    return elapsed


def run(workdir: Path, *, quick: bool) -> Section:
    """Time every command on every case, interleaved; figures: medians and ratios to export."""
    cases = QUICK_CASES if quick else FULL_CASES
    rounds = 3 if quick else 11
    rng = random.Random(20261126)
    runs: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for size, port_range in cases:
        services = names(rng, size)
        config = _write_config(workdir, services, port_range)
        # The most probed service: explain's longest story on this map.
        explained = services[-1]
        for command in COMMANDS:
            label = key(size, command)
            runs[label] = _argv(command, config, explained)
            sizes[label] = size
    for argv in runs.values():
        _seconds(argv)  # warm-up: imports, and the file in the page cache
    samples: dict[str, list[float]] = {label: [] for label in runs}
    for round_index in range(rounds):
        for label in rotated(list(runs), round_index):
            samples[label].append(_seconds(runs[label]))
    medians = {label: median(values) for label, values in samples.items()}
    rows = []
    section = Section(
        "5. Commands at scale",
        "`list`, `list --json` and `explain NAME` against `export` on the same map: "
        f"median of {rounds} interleaved runs each, in this process through "
        "`stableport._cli.main` with `--config` (the file read and parsed, the map built, "
        "the output rendered and written to the null device), seeded random names. "
        "The ratio is to `export` on the same map.",
    )
    for size, port_range in cases:
        base = medians[key(size, "export")]
        for command in COMMANDS:
            label = key(size, command)
            ratio = medians[label] / base
            rows.append(
                [
                    command,
                    f"{size:,}",
                    f"{port_range[0]}-{port_range[1]}",
                    format_seconds(medians[label]),
                    format_ratio(ratio),
                ]
            )
            section.figures[label] = medians[label]
            if command != "export":
                section.figures[ratio_key(size, command)] = ratio
    section.lines = table(["command", "services", "range", "median", "ratio to export"], rows)
    return section


def ratio_key(size: int, command: str) -> str:
    """The figure name of a command's ratio to export on one case."""
    return f"commands {size} {command} / export"


def cases(*, quick: bool) -> "tuple[tuple[int, tuple[int, int]], ...]":
    """The cases a run measures."""
    return QUICK_CASES if quick else FULL_CASES
