"""Configuration checks: ports that will hurt at run time, and overrides to see."""

from pathlib import Path
from typing import Literal, NamedTuple

from ._commands import add_options
from ._common import Answer
from ._defaults import BROWSER_BLOCKED_PORTS, DEFAULT_ENV, DEFAULT_EXCLUSIONS
from ._errors import ConfigError
from ._os_ports import EXCLUDED, taken_away
from ._output import config_name, identity, json_document, load
from ._pins import format_pin_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from ._config import Origin
    from ._live import PortStatus
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


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "Report pins and ranges that will hurt at run time, and overrides from the "
        "environment. Exit 0: all is well; 1: problems found; 2: usage or config error."
    )
    add_options(parser, "--config", "--json")
    parser.add_argument(
        "--live",
        action="store_true",
        help="also try to bind every assigned port on loopback, and name who holds it",
    )
    parser.add_argument(
        "--scan",
        nargs="*",
        metavar="PATH",
        help="also find the map's ports written as literals (localhost:20695, port: 20695) "
        "in these files or directories (default: the files git tracks in the project)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="with --scan: a literal port is a problem (exit 1), not a note",
    )


def handle(args: "argparse.Namespace") -> Answer:
    """stableport check: the map as configured (no --namespace nor --instance), graded."""
    if args.strict and args.scan is None:
        message = "check: --strict grades --scan's findings; give --scan too"
        raise ConfigError(message)
    pm, origin = load(args, notes=False)  # check grades the configuration itself
    findings = check_map(pm, origin)
    findings.extend(_dotenv_findings(pm, origin))
    scanned = None
    if args.scan is not None:
        from ._scan_check import scan_findings  # noqa: PLC0415 - only for --scan

        scanned = scan_findings(pm, origin, args.config, args.scan)
        level = PROBLEM if args.strict else NOTE
        findings.extend(Finding(level, *literal) for literal in scanned.literals)
    live = _live_statuses(pm, origin) if args.live else None
    findings.extend(
        Finding(
            PROBLEM, f"{service}@{env} {status.port}", f"port {status.port} is {status.describe()}"
        )
        for (service, env), status in live or ()
        if not status.available and _served(pm, origin, (service, env), status) is None
    )
    findings.sort(key=lambda finding: finding.level != PROBLEM)  # stable: problems first
    problems = sum(finding.level == PROBLEM for finding in findings)
    code = 1 if problems else 0
    if args.json:
        document = {
            **identity(pm, origin),
            "ok": problems == 0,
            "findings": [finding._asdict() for finding in findings],
            "live": None if live is None else [_live_entry(pm, origin, *item) for item in live],
            "scan": None if scanned is None else scanned.summary,
        }
        return Answer(code, json_document(document))
    lines = [f"config: {config_name(origin)}"]
    lines.extend(str(finding) for finding in findings)
    for (service, env), status in live or ():
        served = _served(pm, origin, (service, env), status)
        if served is not None:
            lines.append(f"live: {service}@{env} {status.port}: served by pid {served}")
        elif status.available:
            lines.append(f"live: {service}@{env} {status.port}: {status.describe()}")
    if scanned is not None:
        lines.append(f"scan: {scanned.line}")
    notes = len(findings) - problems
    lines.append(f"{problems} problem(s), {notes} note(s)" if problems else f"ok ({notes} note(s))")
    return Answer(code, "\n".join(lines) + "\n")


def _dotenv_findings(pm: "PortMap", origin: "Origin") -> list[Finding]:
    """The .env beside the configuration: a port in it that is another checkout's."""
    from ._dotenv import stale_ports  # noqa: PLC0415 - check's own path

    return [Finding(PROBLEM, subject, message) for subject, message in stale_ports(pm, origin)]


def _live_statuses(pm: "PortMap", origin: "Origin") -> "list[tuple[tuple[str, str], PortStatus]]":
    """Each declared pair with its port's live status; a port shared by pins is tried once.

    Started by a live test run: its environment's pairs too, the ports its servers use.
    """
    from ._live import port_status  # noqa: PLC0415 - imports socket, only for --live

    assignments = pm.assignments()
    run = origin.test_run
    if run is not None:
        for service in pm.services:
            assignments.setdefault((service, run.env), pm.port_for(service, run.env))
    statuses = {port: port_status(port, claims=True) for port in set(assignments.values())}
    return [(pair, statuses[port]) for pair, port in assignments.items()]


def _served(
    pm: "PortMap", origin: "Origin", pair: tuple[str, str], status: "PortStatus"
) -> int | None:
    """The pid of this checkout's own `stableport run` of pair serving the port, else None."""
    claimant = status.claimant
    if claimant is None or not status.served_by_claimant:
        return None
    mine = (pm.namespace, pm.instance, pair[1], pair[0], claimant.pid, origin.path)
    return claimant.pid if tuple(claimant) == mine else None


def _live_entry(
    pm: "PortMap", origin: "Origin", pair: tuple[str, str], status: "PortStatus"
) -> dict[str, object]:
    holders = status.holders
    return {
        "service": pair[0],
        "env": pair[1],
        "port": status.port,
        "free": status.free,
        "busy_on": list(status.busy_on),
        "denied_on": list(status.denied_on),
        "holders": None if holders is None else [holder._asdict() for holder in holders],
        "claimant": None if status.claimant is None else status.claimant._asdict(),
        "closing": status.closing,
        "served_by": _served(pm, origin, pair, status),
    }


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
