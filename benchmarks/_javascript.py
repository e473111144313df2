"""Section 7: the JavaScript package beside the Python library, measured in the same run.

Warm lookups are timed inside one Node process (benchmarks/javascript.mjs):
the module-level ``portFor``, a loaded map's ``portFor`` and ``get-port`` (the
npm package most projects use for a port: it binds a socket to find a free
one), each the median of interleaved rounds. The first lookup, the package's
import and configuration discovery included, is timed inside fresh Node
processes in a project with a ``stableport.toml``, interleaved with the same
first lookup in fresh Python processes; each child times itself, from before
its import to the port, so process start-up is left out on both sides.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from _measure import child_environment, format_seconds, median, rotated
from _report import Section, table
from _startup import CONFIG

JS = Path(__file__).resolve().parent.parent / "js"
SCRIPT = Path(__file__).resolve().parent / "javascript.mjs"

WARM = 'portFor("billing"), warm (JavaScript)'
MAP_WARM = 'load().portFor("billing"), warm (JavaScript)'
ENV_WARM = 'portFor("billing", { env: "test" }), warm (JavaScript)'
GET_PORT = "getPort() (get-port)"
FIRST = "import + first portFor, with stableport.toml (JavaScript)"
FIRST_CPU = "the same, CPU time (JavaScript)"
PY_FIRST = "import + first port_for, with stableport.toml (Python)"

# Python's first lookup, timed by the child itself, as the Node script times its own.
PYTHON_FIRST = (
    "import time; start = time.perf_counter(); import stableport; "
    "stableport.port_for('billing'); print(time.perf_counter() - start)"
)


def unavailable() -> str | None:
    """Why the section cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (JS / "node_modules" / "get-port").is_dir():
        return "run `npm ci` in js/ (the package's dependencies and get-port)"
    return None


def run(workdir: Path, *, quick: bool) -> Section:
    """Time the package; figures: seconds by label."""
    why = unavailable()
    title = "7. JavaScript"
    if why is not None:
        return Section(title, f"Not measured: {why}.", [])
    project = workdir / "javascript-project"
    project.mkdir()
    (project / "stableport.toml").write_text(CONFIG, encoding="utf-8")
    env = child_environment()
    rounds, calls = (3, 2_000) if quick else (25, 200_000)
    node = ["node", str(SCRIPT), str(JS), str(project)]
    warm = json.loads(_output([*node, str(rounds), str(calls)], project, env))
    first_rounds = 3 if quick else 40
    firsts: dict[str, list[float]] = {FIRST: [], FIRST_CPU: [], PY_FIRST: []}
    for round_index in range(first_rounds):
        for case in rotated(["node", "python"], round_index):
            if case == "node":
                answer = json.loads(_output([*node, "0", "0", "first"], project, env))
                firsts[FIRST].append(answer["first"])
                firsts[FIRST_CPU].append(answer["firstCpu"])
            else:
                seconds = _output([sys.executable, "-c", PYTHON_FIRST], project, env)
                firsts[PY_FIRST].append(float(seconds))
    figures = {
        WARM: warm["warm"],
        MAP_WARM: warm["mapWarm"],
        ENV_WARM: warm["envWarm"],
        GET_PORT: warm["getPort"],
        **{label: median(values) for label, values in firsts.items()},
    }
    rows = [[label, format_seconds(seconds)] for label, seconds in figures.items()]
    section = Section(
        title,
        f"Node {warm['node']}. Warm lookups: the median of {rounds} interleaved rounds of "
        f"{calls:,} calls in one Node process (get-port: a thousandth as many). First "
        f"lookups: the median of {first_rounds} fresh processes of each language, "
        "interleaved, in a project with a `stableport.toml` of 8 services in 2 "
        "environments; each child times itself from before its import to the port.",
        table(["lookup", "median"], rows),
    )
    section.figures.update(figures)
    return section


def _output(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout.strip()
