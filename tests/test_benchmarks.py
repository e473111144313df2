"""The benchmark runner's smoke mode: every section runs and prints its tables.

No timing is judged here; `python benchmarks/run.py` does that, on purpose not
in a test. Without the bench extra the peers are reported, not required.
"""

import subprocess
import sys
from itertools import takewhile
from pathlib import Path

import pytest

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def run_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNNER), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def quick_report() -> str:
    result = run_benchmarks("--quick")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "heading",
    [
        "# stableport benchmarks",
        "## 1. Lookup",
        "## 2. Import and startup",
        "## 3. Scale",
        "## 4. Stability",
        "## 5. Commands at scale",
        "## 6. pytest plugin",
        "## 7. JavaScript",
        "## 8. Targets",
    ],
)
def test_quick_mode_prints_every_section(quick_report: str, heading: str) -> None:
    assert f"\n{heading}\n" in f"\n{quick_report}"


@pytest.mark.parametrize(
    "row",
    [
        # 1. Lookup: stableport, the floor, and every peer, installed or not.
        "| floor: one xxh3_64 + modulo |",
        '| stableport.port_for("billing"), warm |',
        '| PortMap(3 services).port_for("billing"), cold |',
        "| socket: bind to port 0, close |",
        "| portpicker.pick_unused_port() |",
        "| port_for.select_random() |",
        "| port4me.port4me(tool='billing') |",
        # 2. Import and startup.
        "| python -c pass |",
        "| python -c 'import stableport' |",
        " billing, no config |",
        " billing, with stableport.toml |",
        "| import stableport |",
        # 3. Scale.
        "| 10 | 20000-29999 |",
        "| 100 | 20000-29999 |",
        # 4. Stability.
        "| add 1 service | 10 |",
        "| grow range by 10% (top) | 100 |",
        "| exclude 1 held port | 10 |",
        "| exclude 1 random port | 100 |",
        # 5. Commands at scale: every command on every quick case.
        "| export | 50 | 20000-29999 |",
        "| list | 50 | 20000-29999 |",
        "| list --json | 300 | 20000-20999 |",
        "| explain | 300 | 20000-20999 |",
        # 6. pytest plugin.
        "| bytecode written |",
        "| no bytecode |",
        "| without stableport |",
        "| stableport in every session |",
        "| stableport in inner sessions only, as with -p no:stableport |",
        # 8. Targets, each with a verdict.
        "| pytest plugin adds ≤ 1 ms to a session, bytecode written |",
        "| JavaScript: warm `portFor` ≤ 1 µs |",
        "| JavaScript: import + first `portFor` with a configuration ≤ 20 ms |",
        "| warm `port_for` ≤ 2x the floor |",
        "| `import stableport` adds < 3 ms |",
        "| 5,000 services resolve in < 100 ms | — | not measured |",
        "| list, list --json and explain ≤ 2x export, 300 services in 20000-20999 |",
    ],
)
def test_quick_mode_prints_every_table_row(quick_report: str, row: str) -> None:
    assert row in quick_report


def test_every_table_row_has_as_many_cells_as_its_header(quick_report: str) -> None:
    lines = quick_report.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("|---"):
            width = lines[index - 1].count("|")
            body = takewhile(lambda row: row.startswith("|"), lines[index + 1 :])
            assert all(row.count("|") == width for row in body), lines[index - 1]


def test_an_unknown_section_is_a_usage_error() -> None:
    result = run_benchmarks("--quick", "--only", "lookup,nope")
    assert result.returncode == 2
    assert "unknown section(s) nope" in result.stderr


def test_the_scan_benchmark_runs_on_a_small_tree() -> None:
    """benchmarks/scan.py --quick: a synthetic tree through the real console script."""
    result = subprocess.run(
        [sys.executable, str(RUNNER.with_name("scan.py")), "--quick", "--rounds", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Tree: a synthetic tree, 301 files git tracks" in result.stdout
    assert "| the scan's own share: median of (scan - check) per round |" in result.stdout
