"""The ports this host's OS takes away: its ephemeral range, and Windows' excluded ranges.

A server whose port lies in the ephemeral range can find it taken by any
outgoing connection; one in a Windows excluded port range cannot bind at all
(WinError 10013, "forbidden by its access permissions") although nothing
listens, and a connect probe never sees why: only a bind does.

Where each OS says so (sources in docs/design.md, "Ports the OS takes away"):
Linux in /proc/sys/net/ipv4/ip_local_port_range; macOS in the sysctls
net.inet.ip.portrange.first and .last; Windows through
``netsh interface ipv4 show excludedportrange protocol=tcp`` and
``netsh int ipv4 show dynamicport tcp``, run unelevated. netsh's headers are
localised, so only its numbers are read: an excluded range is a line that
starts with two integers ("*" after them marks one an administrator added);
the dynamic range is the first two lines that end in an integer (start, then
number of ports).

Read only where asked (check, run, the fixture), once per process: never on
port_for's path. Tests inject the OS and the command (SYSTEM, COMMAND).
"""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

LINUX_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range"
MACOS_SYSCTL = ("sysctl", "-n", "net.inet.ip.portrange.first", "net.inet.ip.portrange.last")
NETSH_EXCLUDED = ("netsh", "interface", "ipv4", "show", "excludedportrange", "protocol=tcp")
NETSH_DYNAMIC = ("netsh", "int", "ipv4", "show", "dynamicport", "tcp")

# Who excludes ranges that nobody administered: Hyper-V and WSL2 reserve them
# through the Windows NAT driver (winnat), Docker Desktop through them too.
LIKELY_OWNER = "Hyper-V, WSL2 or WinNAT (the winnat service; Docker Desktop uses them)"


class Reserved(NamedTuple):
    """A range of ports the OS takes away, where it was read, and what to do about it."""

    first: int
    last: int
    what: str  # "a Windows excluded port range", "this host's ephemeral range", ...
    source: str  # the command or file that said so
    administered: bool = False  # Windows: added by an administrator; applications may bind it

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.first <= port <= self.last

    @property
    def span(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"

    def reason(self, port: int) -> str:
        """Why port cannot be used (an excluded range's), naming the range and its likely owner."""
        return (
            f"excluded by the OS: {port} is in {EXCLUDED} {self.span} (`{self.source}`), "
            f"likely reserved by {LIKELY_OWNER}; binding it fails with WinError 10013"
        )

    def remedies(self, service: str, port: int) -> str:
        """What to do about port in this excluded range, with the commands to run."""
        return (
            f"pin {service} outside it (pins.{service} = PORT, or STABLEPORT_PINS={service}=PORT); "
            f"or, as administrator while {port} is free (after a restart, before WSL2 or "
            f"Hyper-V start), reserve it for yourself, which keeps it bindable: "
            f"`netsh int ipv4 add excludedportrange protocol=tcp startport={port} "
            f"numberofports=1 store=persistent`; or move range away from {self.span}"
        )


EXCLUDED = "a Windows excluded port range"

# Injected by tests: the OS (sys.platform's spelling) and how a command runs.
SYSTEM = sys.platform


def run_command(argv: "tuple[str, ...]") -> str | None:
    """What argv prints, or None if it cannot run or fails; never waits long."""
    import subprocess  # noqa: PLC0415 - only where the OS is asked

    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    # Localised text in the console's code page: only its ASCII digits are read.
    return done.stdout.decode("ascii", errors="replace")


COMMAND: "Callable[[tuple[str, ...]], str | None]" = run_command
_cache: "tuple[Reserved, ...] | None" = None


def taken_away() -> "tuple[Reserved, ...]":
    """Every range this host's OS takes away, read once per process."""
    global _cache  # noqa: PLW0603 - one reading per process
    if _cache is None:
        _cache = tuple(_read(SYSTEM))
    return _cache


def excluded(port: int) -> Reserved | None:
    """The Windows excluded range port lies in (not an administered one), else None."""
    return next(
        (
            reserved
            for reserved in taken_away()
            if reserved.what == EXCLUDED and not reserved.administered and port in reserved
        ),
        None,
    )


def _read(system: str) -> "list[Reserved]":
    if system.startswith("linux"):
        return linux_range()
    if system == "darwin":
        text = COMMAND(MACOS_SYSCTL)
        pair = None if text is None else _two(text.split())
        if pair is None:
            return []
        return [Reserved(*pair, "this host's ephemeral range", " ".join(MACOS_SYSCTL[:2]) + " ...")]
    if system == "win32":
        found = []
        text = COMMAND(NETSH_DYNAMIC)
        dynamic = None if text is None else parse_dynamic(text)
        if dynamic is not None:
            found.append(
                Reserved(*dynamic, "the Windows dynamic port range", " ".join(NETSH_DYNAMIC))
            )
        text = COMMAND(NETSH_EXCLUDED)
        for first, last, administered in parse_excluded(text or ""):
            found.append(Reserved(first, last, EXCLUDED, " ".join(NETSH_EXCLUDED), administered))
        return found
    return []


def linux_range(path: str = LINUX_RANGE_FILE) -> "list[Reserved]":
    """Linux's ephemeral range, from path (ip_local_port_range); none if it cannot be read."""
    try:
        pair = _two(Path(path).read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return []  # a kernel without the file (or a sandbox): the defaults apply
    if pair is None:
        return []
    return [Reserved(*pair, "this host's ephemeral range", path)]


def parse_excluded(text: str) -> "list[tuple[int, int, bool]]":
    """netsh's excluded ranges: (first, last, administered) from lines of two integers."""
    ranges = []
    for line in text.splitlines():
        fields = line.split()
        pair = _two(fields[:2])
        if pair is not None:
            ranges.append((*pair, "*" in fields[2:]))
    return ranges


def parse_dynamic(text: str) -> "tuple[int, int] | None":
    """netsh's dynamic range: the first two lines ending in an integer (start, number)."""
    numbers = []
    for line in text.splitlines():
        fields = line.replace(":", " ").split()
        if len(fields) > 1 and _integer(fields[-1]) is not None:
            numbers.append(int(fields[-1]))
    if len(numbers) < 2 or numbers[1] < 1:
        return None
    start, count = numbers[:2]
    last = start + count - 1
    return (start, last) if 0 < start <= last <= 65535 else None


def _two(fields: "list[str]") -> "tuple[int, int] | None":
    """Two fields that are ports, first <= last; else None."""
    if len(fields) != 2:
        return None
    first, last = _integer(fields[0]), _integer(fields[1])
    if first is None or last is None or not 0 < first <= last <= 65535:
        return None
    return first, last


def _integer(field: str) -> int | None:
    return int(field) if field.isascii() and field.isdigit() and len(field) <= 5 else None
