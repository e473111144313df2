"""Timing helpers: interleaved rounds in one process, child processes, medians.

On a shared, noisy machine only what is measured side by side compares: every
helper here runs its cases round-robin (the order rotating each round), so a
slow moment hits every case alike, and reports medians.
"""

import os
import statistics
import subprocess
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """A function and its arguments, timed as the single statement ``fn(a0, a1, ...)``."""

    fn: "Callable[..., object]"
    args: tuple[object, ...] = ()

    def timer(self) -> timeit.Timer:
        """A timer whose statement is the bare call: no lambda around it, no loop overhead
        beyond timeit's own. Its setup makes the call once, so every repeat starts warm."""
        names = [f"a{index}" for index in range(len(self.args))]
        statement = f"fn({', '.join(names)})"
        namespace: dict[str, Any] = dict(zip(names, self.args, strict=True))
        namespace["fn"] = self.fn
        return timeit.Timer(statement, setup=statement, globals=namespace)


def median(values: Sequence[float]) -> float:
    """The median of values."""
    return statistics.median(values)


def rotated(items: Sequence[str], shift: int) -> list[str]:
    """items rotated left by shift: each round starts with a different case."""
    if not items:
        return []
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


def per_call_seconds(
    calls: Mapping[str, Call], rounds: int, repeat_seconds: float
) -> dict[str, list[float]]:
    """Seconds per call of each case, one sample per round, cases interleaved.

    Each sample is one timeit repeat sized (once, up front) to take about
    repeat_seconds; timeit switches the garbage collector off while it runs.
    """
    timers = {label: call.timer() for label, call in calls.items()}
    numbers = {label: _loops_for(timer, repeat_seconds) for label, timer in timers.items()}
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for round_index in range(rounds):
        for label in rotated(list(calls), round_index):
            number = numbers[label]
            samples[label].append(timers[label].timeit(number) / number)
    return samples


def _loops_for(timer: timeit.Timer, seconds: float) -> int:
    """How many calls make one repeat last about seconds (at least one)."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= seconds / 10 or number >= 10**7:
            return max(1, round(number * seconds / max(elapsed, 1e-9)))
        number *= 10


@dataclass(frozen=True)
class Command:
    """A child process to time: its argv, working directory and environment."""

    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str]
    capture_stderr: bool = False


@dataclass
class ProcessSamples:
    """Wall seconds of each run of one command, and the stderr of each if captured."""

    seconds: list[float]
    stderr: list[str]


def child_environment() -> dict[str, str]:
    """This process's environment for children: no STABLEPORT_* override, and bytecode
    written, so imports are timed from .pyc files as on any ordinary machine."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STABLEPORT_") and key != "PYTHONDONTWRITEBYTECODE"
    }


def run_once(command: Command) -> subprocess.CompletedProcess[str]:
    """Run command, raising with its stderr if it fails."""
    result = subprocess.run(
        command.argv,
        cwd=command.cwd,
        env=dict(command.env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command.argv)} exited {result.returncode} in {command.cwd}: "
            f"{result.stderr.strip()}"
        )
    return result


def process_samples(
    commands: Mapping[str, Command], rounds: int, warmups: int = 2
) -> dict[str, ProcessSamples]:
    """Wall time of whole processes, run interleaved, after warm-up runs (which also
    write any missing .pyc files)."""
    for command in commands.values():
        for _ in range(warmups):
            run_once(command)
    samples = {label: ProcessSamples([], []) for label in commands}
    for round_index in range(rounds):
        for label in rotated(list(commands), round_index):
            command = commands[label]
            stderr = subprocess.PIPE if command.capture_stderr else subprocess.DEVNULL
            start = time.perf_counter()
            result = subprocess.run(
                command.argv,
                cwd=command.cwd,
                env=dict(command.env),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
                check=True,
            )
            samples[label].seconds.append(time.perf_counter() - start)
            samples[label].stderr.append(result.stderr or "")
    return samples


def format_seconds(seconds: float) -> str:
    """A duration with a unit that keeps three significant figures or so."""
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_ratio(ratio: float) -> str:
    """A ratio as 0.81x, 2.4x or 1,234x."""
    if ratio < 10:
        return f"{ratio:.2f}x"
    return f"{ratio:,.0f}x"


def format_bytes(size: float) -> str:
    """A byte count in KiB or MiB."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
