"""Section 6: what the pytest plugin costs a session, pytest inside pytest, and a lease.

Per session: ``python -m pytest --co -q`` on a one-test file with the plugin
loaded by its entry point, against ``-p no:stableport``, interleaved, once with
bytecode written and once with none read or written (every import compiled
again, as on a read-only install without .pyc files). The reproducer of
issue 15: one pytest session running many in-process inner sessions
(``pytester.parseconfigure()``), with plugin autoloading off in every case so
that only stableport differs: loaded in no session, in every session, and in
the inner sessions only (as ``-p no:stableport`` leaves it). Its memory
peak is the child's maximum resident set size, from ``os.wait4``.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from _measure import Call, child_environment, format_ratio, median, per_call_seconds, rotated
from _report import Section, table
from _startup import importtime_us
from stableport._lockfile import Locks

SESSION_WITH = "pytest --co, plugin loaded"
SESSION_WITHOUT = "pytest --co, -p no:stableport"
BYTECODE = {"bytecode written": False, "no bytecode": True}
REPRO_WITHOUT = "without stableport"
REPRO_WITH = "stableport in every session"
REPRO_NO_OUTER = "stableport in inner sessions only, as with -p no:stableport"
# The baseline's inner sessions load a module doing nothing through -p as well:
# -p looks the name up among entry points first, which costs as much for any.
NOOP_PLUGIN = "stableport_bench_noop_plugin"
LEASE = "take a lease (a byte-range lock of the lock file), release it"
LEASE_BENCH_SLOT = 1 << 33  # a lease's byte, in a directory of its own

# Issue 15's reproducer, its inner sessions' arguments from the environment.
REPRODUCER = """\
import os

import pytest

pytest_plugins = "pytester"
INNER = os.environ["INNER_ARGS"].split()


@pytest.mark.parametrize("i", range(int(os.environ["INNER_SESSIONS"])))
def test_inner_session(pytester, i):
    pytester.parseconfigure(*INNER)
"""


def _environment(workdir: Path, *, bytecode: bool) -> dict[str, str]:
    """Children's environment; without bytecode, none is read or written: every import compiles."""
    env = child_environment()
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "no-bytecode-here")  # stays empty
    return env


def session_key(label: str, bytecode: str) -> str:
    """The figure name of a per-session median."""
    return f"{label}, {bytecode}"


def added_key(bytecode: str) -> str:
    """The figure name of what the plugin adds to a session."""
    return f"plugin added per session, {bytecode}"


class Run(NamedTuple):
    """One child process: wall and CPU (user + system) seconds, peak resident KiB."""

    wall: float
    cpu: float
    peak: int


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """One child process, which must succeed, measured by the kernel's accounting."""
    start = time.perf_counter()
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {errors.decode()}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def _per_session(workdir: Path, rounds: int) -> dict[str, list[float]]:
    """One-test `pytest --co` with and without the plugin, both bytecode modes, interleaved."""
    (workdir / "test_one.py").write_text("def test_one():\n    pass\n", encoding="utf-8")
    base = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
    commands = {}
    for bytecode, off in BYTECODE.items():
        env = _environment(workdir, bytecode=not off)
        commands[session_key(SESSION_WITH, bytecode)] = (base, env)
        commands[session_key(SESSION_WITHOUT, bytecode)] = ([*base, "-p", "no:stableport"], env)
    for argv, env in commands.values():  # warm-up: caches filled, bytecode written
        _timed(argv, workdir, env)
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for round_index in range(rounds):
        for label in rotated(list(commands), round_index):
            argv, env = commands[label]
            samples[label].append(_timed(argv, workdir, env).cpu)
    return samples


# Many sessions in one process, interleaved: what the plugin's hooks cost a
# session once its module is imported, without process start-up's noise.
IN_PROCESS = """\
import contextlib, io, json, sys, time
import pytest
rounds = int(sys.argv[1])
base = ["--co", "-q", "-p", "no:cacheprovider", "test_one.py"]
cases = {"with": base, "without": [*base, "-p", "no:stableport"]}
seconds = {label: [] for label in cases}
for index in range(rounds):
    for label in (list(cases) if index % 2 else list(cases)[::-1]):
        with contextlib.redirect_stdout(io.StringIO()):
            start = time.process_time()
            pytest.main(cases[label])
            seconds[label].append(time.process_time() - start)
print(json.dumps(seconds))
"""


def _hooks_added(workdir: Path, rounds: int) -> float:
    """Median per-session CPU seconds the plugin's hooks add, sessions run in one process."""
    result = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(rounds)],
        cwd=workdir,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = json.loads(result.stdout)
    return median([a - b for a, b in zip(seconds["with"], seconds["without"], strict=True)])


def _import_seconds(workdir: Path, rounds: int, *, bytecode: bool) -> float:
    """Median cumulative -X importtime of the plugin's module, imported after pytest."""
    env = _environment(workdir, bytecode=bytecode)
    argv = [sys.executable, "-X", "importtime", "-c", "import pytest, _stableport_pytest"]
    times = []
    for _ in range(rounds + 1):  # the first run writes the bytecode
        result = subprocess.run(
            argv, cwd=workdir, env=env, capture_output=True, text=True, check=True
        )
        times.append(importtime_us(result.stderr, "_stableport_pytest") / 1e6)
    return median(times[1:])


def _reproducer(workdir: Path, rounds: int, sessions: int) -> dict[str, list[Run]]:
    """Issue 15's reproducer three ways, interleaved: (seconds, peak KiB) per run."""
    (workdir / "test_inner.py").write_text(REPRODUCER, encoding="utf-8")
    (workdir / f"{NOOP_PLUGIN}.py").write_text('"""Does nothing."""\n', encoding="utf-8")
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytester"]
    plugin = "-p _stableport_pytest"
    noop = f"-p {NOOP_PLUGIN}"
    cases = {
        REPRO_WITHOUT: ([*base, *noop.split()], noop),
        REPRO_WITH: ([*base, *plugin.split()], plugin),
        REPRO_NO_OUTER: ([*base, *noop.split()], plugin),
    }
    env = child_environment()
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        INNER_SESSIONS=str(sessions),
        PYTHONPATH=os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")])),
    )
    results: dict[str, list[Run]] = {label: [] for label in cases}
    for round_index in range(rounds):
        for label in rotated(list(cases), round_index):
            argv, inner = cases[label]
            results[label].append(
                _timed([*argv, "test_inner.py"], workdir, {**env, "INNER_ARGS": inner})
            )
    return results


def _lease_seconds(rounds: int) -> list[float]:
    """Taking one lease and releasing it, in this process, timed warm."""
    with tempfile.TemporaryDirectory(prefix="stableport-leases-") as directory:
        locks = Locks(Path(directory))

        def take_and_release() -> None:
            locks.take(LEASE_BENCH_SLOT)
            locks.release()

        return per_call_seconds({LEASE: Call(take_and_release)}, rounds, 0.02)[LEASE]


def run(workdir: Path, *, quick: bool) -> Section:
    """Measure; figures: per-session medians, the plugin's added cost, the reproducer's."""
    rounds, repro_rounds, sessions = (2, 1, 10) if quick else (40, 5, 120)
    session_dir = workdir / "plugin-session"
    repro_dir = workdir / "plugin-reproducer"
    session_dir.mkdir()
    repro_dir.mkdir()
    samples = _per_session(session_dir, rounds)
    repro = _reproducer(repro_dir, repro_rounds, sessions)
    lease = median(_lease_seconds(5 if quick else 25))

    section = Section(
        "6. pytest plugin",
        f"Per session: `python -m pytest --co -q -p no:cacheprovider` on a one-test file, "
        f"{rounds} interleaved rounds after a warm-up run each, timed by the child's CPU "
        f"time (user + system, from `os.wait4`: on a loaded machine wall time mostly "
        f"measures waiting) and their median per-round difference, which this machine's noise "
        f"(±10 ms a process) swamps. So *added* is the plugin's own share, measured "
        f"apart: the `-X importtime` of `_stableport_pytest` after pytest (median of "
        f"{rounds}) plus what its hooks add to a session, the median per-session "
        f"difference of CPU time over {10 if quick else 200} interleaved pairs of "
        f"`pytest.main` sessions in one process. "
        f"Reproducer: issue 15's {sessions} in-process inner "
        f"sessions (`pytester.parseconfigure()`), {repro_rounds} interleaved rounds, plugin "
        f"autoloading off so that only stableport differs; targets read its CPU time; "
        f"peak memory is the child's maximum resident set size.",
    )
    hooks = _hooks_added(session_dir, 10 if quick else 200)
    rows = []
    for bytecode, off in BYTECODE.items():
        with_ = samples[session_key(SESSION_WITH, bytecode)]
        without = samples[session_key(SESSION_WITHOUT, bytecode)]
        whole = median([a - b for a, b in zip(with_, without, strict=True)])
        imported = _import_seconds(session_dir, rounds, bytecode=not off)
        section.figures[added_key(bytecode)] = imported + hooks
        rows.append(
            [
                bytecode,
                f"{median(with_) * 1000:.1f}",
                f"{median(without) * 1000:.1f}",
                f"{whole * 1000:+.2f}",
                f"{imported * 1000:.3f}",
                f"{hooks * 1000:+.3f}",
                f"{(imported + hooks) * 1000:.3f}",
            ]
        )
    section.lines.extend(
        table(
            [
                "bytecode",
                "plugin loaded, CPU ms",
                "-p no:stableport, CPU ms",
                "difference, ms",
                "plugin import, ms",
                "hooks, ms",
                "added, ms",
            ],
            rows,
        )
    )
    base = {
        "wall": median([run.wall for run in repro[REPRO_WITHOUT]]),
        "cpu": median([run.cpu for run in repro[REPRO_WITHOUT]]),
        "peak": median([run.peak for run in repro[REPRO_WITHOUT]]),
    }
    repro_rows = []
    for label, runs in repro.items():
        wall = median([run.wall for run in runs])
        cpu = median([run.cpu for run in runs])
        peak = median([run.peak for run in runs])
        section.figures[f"reproducer time ratio, {label}"] = cpu / base["cpu"]
        section.figures[f"reproducer memory ratio, {label}"] = peak / base["peak"]
        repro_rows.append(
            [
                label,
                f"{wall:.2f} s",
                f"{cpu:.2f} s",
                format_ratio(cpu / base["cpu"]),
                f"{peak / 1024:.1f} MiB",
                format_ratio(peak / base["peak"]),
            ]
        )
    section.lines.extend(
        [
            "",
            *table(
                ["reproducer", "wall", "CPU", "CPU vs without", "peak memory", "vs without"],
                repro_rows,
            ),
            "",
            f"Taking a lease and releasing it (a byte-range lock in the user's lock "
            f"file, first opening it; the fixture does it once per session): median "
            f"{lease * 1e6:.1f} µs.",
        ]
    )
    section.figures[LEASE] = lease
    return section
