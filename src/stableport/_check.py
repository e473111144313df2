"""Configuration checks: ports that will hurt at run time, and overrides to see."""

from pathlib import Path
from typing import Literal, NamedTuple

from ._defaults import BROWSER_BLOCKED_PORTS, DEFAULT_ENV, DEFAULT_EXCLUSIONS
from ._os_ports import EXCLUDED, taken_away
from ._pins import format_pin_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._config import Origin
    from ._os_ports import Reserved
    from ._portmap import PortMap

Level = Literal["problem", "note"]
PROBLEM: Level = "problem"  # makes `stableport check` exit 1
NOTE: Level = "note"  # shown, but all is well

# (name, low, high, level): where another party hands out ports at run time.
Foreign = tuple[str, int, int, Level]
# Sources, linked in docs/design.md ("The default range"): the Linux kernel's
# ip_local_port_range (docs.kernel.org/networking/ip-sysctl.html), RFC 6335
# section 6 (IANA dynamic range; macOS XNU in_pcb.c, Microsoft KB 929851),
# Kubernetes' --service-node-port-range, FreeBSD sys/netinet/in.h, Nomad
# nomad/structs/network.go, portpicker src/portserver.py.
# FreeBSD, Nomad and portpicker overlap the default range on the hosts that run
# them, an accepted and documented overlap, so they are notes, not problems.
FOREIGN_RANGES: tuple[Foreign, ...] = (
    ("the Linux ephemeral range", 32768, 60999, PROBLEM),
    ("the IANA dynamic range (ephemeral on macOS and Windows)", 49152, 65535, PROBLEM),
    ("Kubernetes NodePorts", 30000, 32767, PROBLEM),
    ("FreeBSD's ephemeral range", 10000, 65535, NOTE),
    ("Nomad's dynamic ports", 20000, 32000, NOTE),
    ("portpicker's fallback pool", 15000, 24999, NOTE),
)


class Finding(NamedTuple):
    """One thing check reports: a problem or a note about a subject."""

    level: Level
    subject: str  # what it is about: "range", "pins['billing']", "STABLEPORT_PINS", ...
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.subject}: {self.message}"


def check_map(
    pm: "PortMap", origin: "Origin", host: "Sequence[Reserved] | None" = None
) -> list[Finding]:
    """Every problem and note for a loaded map, problems first.

    host: the ranges this host's OS takes away (default: asked, _os_ports).
    """
    if host is None:
        host = taken_away()
    foreign = [*FOREIGN_RANGES, *_host_ephemeral_range(host)]
    findings = _range_findings(pm, foreign)
    findings.extend(_excluded_findings(pm, host))
    low, high = pm.port_range
    for key, port in sorted(pm.pins.items(), key=lambda item: (item[1], item[0][0])):
        spelled = format_pin_key(key)
        subject = (
            f"STABLEPORT_PINS {spelled}" if key in origin.pin_overrides else f"pins[{spelled!r}]"
        )
        # A pin inside the range shares the range's overlaps, reported once above.
        outside = [] if low <= port <= high else foreign
        findings.extend(_pin_findings(subject, port, outside))
        excluded = next(
            ((first, last) for first, last in pm.exclude if first <= port <= last), None
        )
        if excluded is not None:
            # A pin wins over an exclusion, so the port the map was told to avoid is handed out.
            spans = (
                f"{excluded[0]}" if excluded[0] == excluded[1] else f"{excluded[0]}-{excluded[1]}"
            )
            message = (
                f"{port} is in this map's own exclude list ({spans}), yet the pin hands it "
                f"out; drop the pin or the exclusion"
            )
            findings.append(Finding(PROBLEM, subject, message))
        shared = len(pm.envs or ()) > 1 and key[1] is None
        if shared:
            # Declared envs share one host; one port for all of them collides there.
            message = (
                f"pins {key[0]!r} to {port} in every environment, but envs "
                f"{', '.join(pm.envs or ())} run on one host and would all bind it; "
                f"pin it per environment ('{key[0]}@ENV') or in one only"
            )
            findings.append(Finding(PROBLEM, subject, message))
    findings.extend(_override_findings(pm, origin))
    findings.extend(_env_findings(pm, origin))
    findings.extend(_namespace_findings(pm, origin))
    return sorted(findings, key=lambda finding: finding.level != PROBLEM)


def _override_findings(pm: "PortMap", origin: "Origin") -> list[Finding]:
    """What STABLEPORT_PINS and STABLEPORT_ENV change: the operator must see it."""
    findings = []
    for key, port in origin.pin_overrides.items():
        spelled = format_pin_key(key)
        replaced = origin.replaced_pins.get(key)
        if replaced is None:
            message = f"pins {spelled} = {port}, which the file does not pin"
            findings.append(Finding(NOTE, "STABLEPORT_PINS", message))
        elif replaced == port:
            message = f"repeats the file's pin {spelled} = {port}; it changes nothing"
            findings.append(Finding(NOTE, "STABLEPORT_PINS", message))
        else:
            message = (
                f"replaces the file's pin {spelled} = {replaced!r} with {port}; "
                f"unset the variable to use the file's port"
            )
            findings.append(Finding(PROBLEM, "STABLEPORT_PINS", message))
    if origin.namespace_override is not None:
        message = f"sets the namespace to {pm.namespace!r}"
        findings.append(
            Finding(NOTE, f"STABLEPORT_NAMESPACE={origin.namespace_override!r}", message)
        )
    if origin.env_override is not None:
        message = f"sets the default environment to {pm.env!r}"
        findings.append(Finding(NOTE, f"STABLEPORT_ENV={origin.env_override!r}", message))
    return findings


def _env_findings(pm: "PortMap", origin: "Origin") -> list[Finding]:
    """A default env outside the declared envs: test workers' ports may land on its ports.

    pytest-xdist workers' environments are resolved above the declared envs only
    (see PortMap.overlay), so a server started in an undeclared env can hold the
    port a worker is handed. An env the file sets is the project's own choice: a
    problem. The implicit 'default' (env unset) and $STABLEPORT_ENV (an
    operator's choice for one process) are notes.
    """
    envs = pm.envs
    if envs is None or pm.env in envs:
        return []
    if origin.env_override is not None:
        subject, level, fix = f"STABLEPORT_ENV={origin.env_override!r}", NOTE, "STABLEPORT_ENV"
    elif pm.env == DEFAULT_ENV:
        subject, level, fix = "env", NOTE, "env"
    else:
        subject, level, fix = "env", PROBLEM, "env"
    listed = ", ".join(envs)
    if subject == "env" and level == NOTE:
        what = (
            f"is not set, so lookups without --env use {pm.env!r}, which is not in envs ({listed})"
        )
    else:
        what = f"{pm.env!r} is not in envs ({listed})"
    message = (
        f"{what}: its ports are resolved apart from theirs, and test workers' ports avoid only "
        f"the declared envs', so a test may be handed a port a server in {pm.env!r} holds; "
        f"add {pm.env!r} to envs or set {fix} to one of them"
    )
    return [Finding(level, subject, message)]


def _namespace_findings(pm: "PortMap", origin: "Origin") -> list[Finding]:
    """A map that hashes declared services in the shared namespace: its names can collide."""
    pinned_everywhere = {service for service, env in pm.pins if env is None}
    hashed = [service for service in pm.services if service not in pinned_everywhere]
    if pm.namespace is not None or not hashed:
        return []
    # A map built in code, or from STABLEPORT_PINS alone, has no file to name.
    name = "the configuration" if origin.path is None else Path(origin.path).name
    where = "[tool.stableport]" if name == "pyproject.toml" else name
    names = ", ".join(repr(service) for service in hashed[:3])
    more = ", ..." if len(hashed) > 3 else ""
    message = (
        f"none is set, so every other project on this host that declares {names}{more} without "
        f'one gets the same ports for them; add namespace = "<project name>" '
        f"to {where} (it moves every hashed port once, then never again)"
    )
    return [Finding(NOTE, "namespace", message)]


def _range_findings(pm: "PortMap", foreign: "list[Foreign]") -> list[Finding]:
    low, high = pm.port_range
    findings = []
    if low < 1024:
        message = f"{low}-{high} starts below 1024: binding those ports needs root"
        findings.append(Finding(PROBLEM, "range", message))
    for name, first, last, level in foreign:
        overlap = min(high, last) - max(low, first) + 1
        if overlap > 0:
            message = (
                f"{low}-{high} overlaps {name} {first}-{last} by {overlap} port(s): "
                f"a listener there can find its port already taken"
            )
            findings.append(Finding(level, "range", message))
    return findings


def _pin_findings(subject: str, port: int, foreign: "list[Foreign]") -> list[Finding]:
    findings = []
    if port in BROWSER_BLOCKED_PORTS:
        message = f"{port} is blocked by browsers (WHATWG Fetch 'bad port' list): ERR_UNSAFE_PORT"
        findings.append(Finding(PROBLEM, subject, message))
    elif port < 1024:
        message = f"{port} is below 1024: binding it needs root (or CAP_NET_BIND_SERVICE)"
        findings.append(Finding(PROBLEM, subject, message))
    else:
        for first, last, reason in DEFAULT_EXCLUSIONS:
            if first <= port <= last:
                findings.append(Finding(NOTE, subject, f"{port} is the usual port of {reason}"))
    for name, first, last, level in foreign:
        if first <= port <= last:
            findings.append(Finding(level, subject, f"{port} is in {name} {first}-{last}"))
    return findings


def _host_ephemeral_range(host: "Sequence[Reserved]") -> "list[Foreign]":
    """This host's own ephemeral range, where it differs from its OS's default above."""
    defaults = {(first, last) for _, first, last, level in FOREIGN_RANGES if level == PROBLEM}
    return [
        (f"{reserved.what} ({reserved.source})", reserved.first, reserved.last, PROBLEM)
        for reserved in host
        if reserved.what != EXCLUDED and (reserved.first, reserved.last) not in defaults
    ]


def _excluded_findings(pm: "PortMap", host: "Sequence[Reserved]") -> list[Finding]:
    """Each declared port in a range the OS excludes (Windows): it will not bind."""
    findings = []
    for (service, env), port in pm.assignments().items():
        for reserved in host:
            if reserved.what != EXCLUDED or port not in reserved:
                continue
            subject = f"{service}@{env} {port}"
            if reserved.administered:
                message = (
                    f"{port} is in {EXCLUDED} {reserved.span} an administrator added "
                    f"(`{reserved.source}`, marked *): Windows hands none of it out, and "
                    f"applications still bind it"
                )
                findings.append(Finding(NOTE, subject, message))
            else:
                message = f"{reserved.reason(port)}; {reserved.remedies(service, port)}"
                findings.append(Finding(PROBLEM, subject, message))
    return findings
