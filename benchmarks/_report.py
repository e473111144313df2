"""Markdown output: sections, tables, the machine a run happened on, and the targets."""

import datetime
import importlib.metadata
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import stableport


@dataclass
class Section:
    """One numbered part of the report, and the figures the targets read from it."""

    title: str
    method: str
    lines: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    def render(self) -> str:
        """The section as Markdown."""
        return "\n".join([f"## {self.title}", "", self.method, "", *self.lines, ""])


def table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> list[str]:
    """A Markdown table: the first left columns aligned left, the others (figures) right."""
    lines = [
        f"| {' | '.join(header)} |",
        "|" + "|".join(["---"] * left + ["---:"] * (len(header) - left)) + "|",
    ]
    lines.extend(f"| {' | '.join(row)} |" for row in rows)
    return lines


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123 - one read
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine(peers: Iterable[tuple[str, str]], mode: str) -> list[str]:
    """The header: when, where and with what the run happened."""
    now = datetime.datetime.now(tz=datetime.timezone.utc)
    facts = [
        ("date (UTC)", now.strftime("%Y-%m-%d %H:%M")),
        ("mode", mode),
        ("uname -a", " ".join(part for part in platform.uname() if part)),
        ("CPU", cpu_model()),
        ("CPUs (os.cpu_count)", str(os.cpu_count())),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("stableport", stableport.__version__),
        ("xxhash", _version("xxhash")),
        *((f"peer: {name}", status) for name, status in peers),
    ]
    return [
        "# stableport benchmarks",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in facts),
        "",
    ]
