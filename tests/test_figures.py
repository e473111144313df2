"""Every figure the README and docs quote comes from the benchmarks' record or a computation.

The record is benchmarks/README.md (its targets and its recorded run's tables);
the computations are in the docs, run by tests/test_docs.py. A figure that
drifts from its source fails here: edit the record and the prose together.
"""

# ruff: noqa: RUF001, RUF003 - the docs' own × and − signs are what is matched
import math
import random
import re
from pathlib import Path

import pytest

from stableport import PortMap

ROOT = Path(__file__).resolve().parents[1]
RECORD = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")


def page(name: str) -> str:
    """A page's text with its lines joined, so a figure split across lines is found."""
    return " ".join((ROOT / name).read_text(encoding="utf-8").split())


def row(first_cell: str, text: str = RECORD) -> list[str]:
    """The cells of the Markdown table row of text starting with first_cell."""
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(f"| {first_cell} |")
    ]
    # The targets table is pasted twice (summary and recorded run): the same row.
    assert rows, first_cell
    assert all(cells == rows[0] for cells in rows), (first_cell, rows)
    return rows[0]


def ratio(cell: str) -> float:
    """1.27 from '1.27x' or '11.63 ms vs 9.18 ms = 1.27x'; 120223 from '120,223x'."""
    match = re.search(r"([\d,.]+)x$", cell)
    assert match is not None, cell
    return float(match[1].replace(",", ""))


def lookup_ratio(case: str) -> float:
    return ratio(row(case)[2])


def figures(text: str) -> dict[str, str]:
    """The figures the README's Benchmarks entry quotes, by what they measure."""
    pattern = (
        r"a warm `port_for` costs (?P<floor>[\d.]+)× one `xxh3_64` and a modulo, "
        r"(?P<socket>\d+)× less than binding a socket to port 0 and (?P<peers>[\d,]+)× or "
        r"more less than portpicker, port-for or port4me; `stableport billing` starts in "
        r"(?P<startup>[\d.]+)× `python -c pass`; 5,000 services resolve in (?P<scale>[\d.]+) ms"
    )
    match = re.search(pattern, text)
    assert match is not None, "the README's Benchmarks entry no longer reads as this test expects"
    return match.groupdict()


PEERS = (
    "portpicker.pick_unused_port()",
    "port_for.select_random()",
    "port4me.port4me(tool='billing')",
)


def drifted(quoted: dict[str, str]) -> list[str]:
    """Which of the README's quoted figures differ from the record."""
    record = {
        "floor": f"{ratio(row('warm `port_for` ≤ 2x the floor')[1]):.2f}",
        "socket": f"{lookup_ratio('socket: bind to port 0, close'):.0f}",
        # "N× or more less than" the three peers: the least of them.
        "peers": f"{min(lookup_ratio(peer) for peer in PEERS):,.0f}",
        "startup": f"{ratio(row('stableport billing, no config')[3]):.2f}",
        "scale": row("5,000")[4].removesuffix(" ms"),
    }
    return [name for name, value in record.items() if quoted[name] != value]


def test_the_readmes_benchmark_figures_are_the_records() -> None:
    assert drifted(figures(page("README.md"))) == []


def test_a_drifted_figure_is_caught() -> None:
    text = page("README.md")
    for name in ("floor", "socket", "peers", "startup", "scale"):
        quoted = figures(text)
        quoted[name] = "143"
        assert drifted(quoted) == [name]


def test_cli_md_quotes_the_recorded_startup() -> None:
    text = page("docs/cli.md")
    baseline, billing, module = (
        row("python -c pass"),
        row("stableport billing, no config"),
        row("python -m stableport billing, no config"),
    )
    assert f"`python -c pass` takes a median {baseline[1]} ms" in text
    assert f"`stableport billing` {billing[1]} ms ({ratio(billing[3]):.2f}×)" in text
    assert f"`python -m stableport billing` takes {module[1]} ms ({ratio(module[3]):.2f}×)" in text
    # The wrapper's `re`: a finding of the same README.
    assert "writes imports `re` first (about 5 ms here)" in text
    assert "imports `re` before calling stableport, about 5 ms on this machine" in " ".join(
        RECORD.split()
    )


def test_design_md_quotes_the_recorded_stability_rows() -> None:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    rows = [line for line in design.splitlines() if re.match(r"\| (add|grow|exclude) ", line)]
    assert len(rows) == 9
    for line in rows:
        assert f"\n{line}\n" in RECORD, line


def test_the_birthday_figure_is_computed() -> None:
    # README and design.md: 20 names hashed independently into 10,000 ports.
    odds = 1 - math.exp(-20 * 19 / (2 * 10_000))
    assert f"{odds:.1%}" == "1.9%"
    assert "20 names in 10,000 ports collide 1.9% of the time" in page("README.md")
    assert "probability 1.9% (1 − exp(−n(n−1)/2R))" in page("docs/design.md")


def test_the_cross_project_odds_are_configuration_mds() -> None:
    computed = re.search(
        r"'(?P<two>[\d.]+%) for two projects, (?P<five>\d+%) for five'",
        page("docs/configuration.md"),
    )
    assert computed is not None
    readme = page("README.md")
    assert (
        f"({computed['two']} for two projects of 20 services each, {computed['five']} for five"
        in readme
    )


@pytest.mark.slow  # a single long one
@pytest.mark.parametrize("services", [20])
def test_the_cross_project_formula_matches_real_maps(services: int) -> None:
    """configuration.md's formula against 4,000 pairs of real maps in random namespaces."""
    pm = PortMap()
    low, high = pm.port_range
    excluded = {
        port
        for first, last, _ in pm.exclusions_in_force()
        for port in range(max(first, low), min(last, high) + 1)
    }
    usable = high - low + 1 - len(excluded)
    predicted = 1 - (1 - services / usable) ** services
    names = [f"service-{index}" for index in range(services)]
    rng = random.Random(20261201)  # noqa: S311 - seeded namespaces, nothing secret
    trials = 4000
    shared = 0
    for _ in range(trials):
        one, other = (
            set(PortMap(names, namespace=f"p{rng.getrandbits(64):x}").assignments().values())
            for _ in range(2)
        )
        shared += bool(one & other)
    # Binomial: 4 standard deviations either way (a fixed seed; it either passes or not).
    sigma = math.sqrt(trials * predicted * (1 - predicted))
    assert abs(shared - trials * predicted) < 4 * sigma, (shared, trials * predicted)
