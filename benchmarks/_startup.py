"""Section 2: import and startup, as whole processes against ``python -c pass``.

Every command runs as a child of this process, interleaved with the others,
many times; the table reports medians. "Added" is the median of the per-round
differences from ``python -c pass`` run in the same round. Children write
bytecode (PYTHONDONTWRITEBYTECODE is dropped) and each command runs twice
before timing, so imports come from .pyc files.
"""

import shutil
import sys
from pathlib import Path

from _measure import (
    Command,
    child_environment,
    format_ratio,
    median,
    process_samples,
)
from _peers import Peer
from _report import Section, table

BASELINE = "python -c pass"
IMPORT_STABLEPORT = "python -c 'import stableport'"
CLI_NO_CONFIG = "stableport billing, no config"
CLI_WITH_CONFIG = "stableport billing, with stableport.toml"
MODULE_NO_CONFIG = "python -m stableport billing, no config"

# A project's file: the "with config" runs parse it (and so import tomllib).
CONFIG = """\
services = ["billing", "auth", "search", "web", "worker", "cache", "queue", "mail"]
envs = ["dev", "test"]
env = "dev"
exclude = [[21000, 21099]]

[pins]
mail = 8025
"""


def console_script(python: str = sys.executable) -> tuple[list[str], str]:
    """The stableport command next to python, or python -m as a fallback."""
    found = shutil.which("stableport", path=str(Path(python).parent))
    if found is None:
        return [python, "-m", "stableport"], "python -m stableport"
    return [found], "stableport"


def wrapper_note(script: list[str]) -> str | None:
    """A warning when the installer's console-script wrapper imports re (older pip)."""
    if len(script) != 1:
        return None
    try:
        text = Path(script[0]).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "import re\n" not in text:
        return None
    return (
        f"Note: `{script[0]}` was written by an installer whose wrapper imports `re` "
        "(older pip), which alone costs a few milliseconds; reinstall with a current pip "
        "(`python -m pip install -U pip`) for the figures users of a current pip get."
    )


def importtime_us(stderr: str, module: str) -> float:
    """The cumulative microseconds -X importtime reports for the import of module."""
    prefix = "import time:"
    for line in stderr.splitlines():
        fields = line.removeprefix(prefix).split("|")
        if not line.startswith(prefix) or len(fields) != 3:
            continue
        cumulative, name = fields[1].strip(), fields[2].strip()
        if name == module and cumulative.isdigit():
            return float(cumulative)
    raise ValueError(f"-X importtime printed no line for {module}")


def run(peers: list[Peer], workdir: Path, *, quick: bool, before: str | None = None) -> Section:
    """Time processes; figures: median seconds by label, and added seconds of the import.

    before: another interpreter (a checkout before a change), whose import and
    console script are timed in the same rounds, in rows of their own.
    """
    rounds = 3 if quick else 60
    empty = workdir / "no-config"
    project = workdir / "with-config"
    empty.mkdir()
    project.mkdir()
    (project / "stableport.toml").write_text(CONFIG, encoding="utf-8")
    env = child_environment()
    python = sys.executable
    script, script_label = console_script()
    modules = ["stableport", *(peer.module for peer in peers if peer.call is not None)]

    def command(argv: list[str], cwd: Path = empty, *, stderr: bool = False) -> Command:
        return Command(tuple(argv), str(cwd), env, capture_stderr=stderr)

    wall = {
        BASELINE: command([python, "-c", "pass"]),
        **{
            f"python -c 'import {module}'": command([python, "-c", f"import {module}"])
            for module in modules
        },
        CLI_NO_CONFIG: command([*script, "billing"]),
        MODULE_NO_CONFIG: command([python, "-m", "stableport", "billing"]),
        CLI_WITH_CONFIG: command([*script, "billing"], project),
    }
    if before is not None:
        old, _ = console_script(before)
        wall.update(
            {
                f"before: {BASELINE}": command([before, "-c", "pass"]),
                f"before: {IMPORT_STABLEPORT}": command([before, "-c", "import stableport"]),
                f"before: {CLI_NO_CONFIG}": command([*old, "billing"]),
                f"before: {CLI_WITH_CONFIG}": command([*old, "billing"], project),
            }
        )
    importtime = {
        f"-X importtime {module}": command(
            [python, "-X", "importtime", "-c", f"import {module}"], stderr=True
        )
        for module in modules
    }
    samples = process_samples({**wall, **importtime}, rounds)
    base = samples[BASELINE].seconds
    medians = {label: median(samples[label].seconds) for label in wall}
    added = {
        label: median(
            [run - pass_ for run, pass_ in zip(samples[label].seconds, base, strict=True)]
        )
        for label in wall
    }
    rows = [
        [
            label.replace("stableport", script_label, 1)
            if label.startswith("stableport")
            else label,
            f"{medians[label] * 1000:.2f}",
            "—" if label == BASELINE else f"{added[label] * 1000:+.2f}",
            format_ratio(medians[label] / medians[BASELINE]),
        ]
        for label in wall
    ]
    import_rows = [
        [
            f"import {module}",
            f"{median([importtime_us(text, module) for text in samples[label].stderr]):,.0f}",
        ]
        for module, label in zip(modules, importtime, strict=True)
    ]
    missing = [[f"import {peer.module}", peer.status] for peer in peers if peer.call is None]
    lines = [
        *table(
            ["process", "median ms", "added to `python -c pass`, ms", "ratio to `python -c pass`"],
            rows,
        ),
        "",
        "`python -X importtime -c 'import X'`: the cumulative time of the top-level import, "
        "median over the same rounds.",
        "",
        *table(["import", "cumulative µs"], [*import_rows, *missing]),
    ]
    note = wrapper_note(script)
    if note is not None:
        lines.extend(["", note])
    section = Section(
        "2. Import and startup",
        f"Whole processes started from this one with `{python}` and the console script "
        f"next to it, {rounds} interleaved rounds after 2 warm-up runs each (bytecode "
        f'written), in an empty directory ("no config") or one holding a '
        f'`stableport.toml` of 8 services in 2 environments ("with config").'
        + (
            ""
            if before is None
            else f" Rows marked before: `{before}` and the console script next to it, "
            "in the same rounds; their ratios are to this interpreter's `python -c pass`."
        ),
        lines,
    )
    section.figures.update(medians)
    section.figures["import stableport added"] = added[IMPORT_STABLEPORT]
    return section
