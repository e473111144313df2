"""stableport check: the configuration graded, with --live, --scan and --strict."""

from stableport._check import NOTE, PROBLEM, Finding, check_map
from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._cli.views import config_name, identity, json_document, load
from stableport._errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from stableport._config import Origin
    from stableport._port_status import PortStatus
    from stableport._portmap import PortMap


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
        from stableport._scan_check import scan_findings  # noqa: PLC0415 - only for --scan

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
    from stableport._dotenv import stale_ports  # noqa: PLC0415 - check's own path

    return [Finding(PROBLEM, subject, message) for subject, message in stale_ports(pm, origin)]


def _live_statuses(pm: "PortMap", origin: "Origin") -> "list[tuple[tuple[str, str], PortStatus]]":
    """Each declared pair with its port's live status; a port shared by pins is tried once.

    Started by a live test run: its environment's pairs too, the ports its servers use.
    """
    from stableport._port_status import port_status  # noqa: PLC0415 - imports socket, only for --live

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
