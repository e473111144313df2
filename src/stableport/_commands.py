"""The list, explain, check and export commands: text for people, JSON for machines."""

import json
import sys
import unicodedata

from ._check import PROBLEM, Finding, check_map
from ._config import load_with_origin
from ._export import render, variables
from ._ports import format_pin_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ._config import Origin
    from ._explain import Explanation
    from ._live import PortStatus
    from ._portmap import PortMap


def run(namespace: "argparse.Namespace") -> int:
    """Run the command namespace names; return the exit code."""
    if namespace.command == "init":
        return _init(namespace)
    # check takes no --namespace: it checks the map as configured.
    pm, origin = load_with_origin(namespace.config, getattr(namespace, "namespace", None))
    commands = {"list": _list, "explain": _explain, "check": _check, "export": _export}
    return commands[namespace.command](namespace, pm, origin)


def _list(namespace: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> int:
    if namespace.all_envs:
        pairs = list(pm.assignments())
    else:
        pairs = [(service, namespace.env) for service in pm.services]
    entries = [_entry(pm.explain(service, env), origin) for service, env in pairs]
    if namespace.json:
        _write_json({"config": origin.path, "namespace": pm.namespace, "entries": entries})
        return 0
    if not entries:
        sys.stderr.write(f"stableport: no services declared in {_config_name(origin)}\n")
        return 0
    sys.stdout.write(f"config: {_config_name(origin)}\n")
    _write_listing(pm, entries)
    return 0


def _write_listing(pm: "PortMap", entries: "list[dict[str, object]]") -> None:
    """list's human output: the namespace, if any, then the table of entries."""
    if pm.namespace is not None:
        sys.stdout.write(f"namespace: {pm.namespace}\n")
    rows = [("SERVICE", "ENV", "PORT", "HOW")]
    rows.extend(
        (str(entry["service"]), str(entry["env"]), str(entry["port"]), _how_text(entry))
        for entry in entries
    )
    _write_table(rows)


def _init(namespace: "argparse.Namespace") -> int:
    """Write a first configuration, then show it and the ports it gives, as list would."""
    from pathlib import Path  # noqa: PLC0415 - init is rare; the other commands skip pathlib

    from ._init import init  # noqa: PLC0415

    written = init(Path.cwd(), namespace.services, namespace.config, namespace.namespace)
    verb = "created" if written.created else "appended to"
    sys.stdout.write(f"{verb} {written.path}:\n\n{written.text}\n")
    sys.stdout.write(f"(namespace from {written.namespace_source})\n\n")
    pm, origin = load_with_origin(written.path)
    if not pm.services:
        sys.stdout.write("no services yet: list them in services, then run stableport list\n")
        return 0
    _write_listing(pm, [_entry(pm.explain(service), origin) for service in pm.services])
    return 0


def _entry(story: "Explanation", origin: "Origin") -> dict[str, object]:
    """A list entry: where the port came from, in the --json schema."""
    overridden = story.pin is not None and story.pin in _overridden(origin)
    return {
        "service": story.service,
        "env": story.env,
        "port": story.port,
        "how": "overridden" if overridden else story.how,
        "skipped": story.skipped,
        "pin": story.pin,
    }


def _how_text(entry: "dict[str, object]") -> str:
    if entry["how"] == "pinned":
        return f"pinned (pins[{entry['pin']!r}])"
    if entry["how"] == "overridden":
        return f"overridden (STABLEPORT_PINS {entry['pin']}={entry['port']})"
    if entry["how"] == "probed":
        return f"probed past {entry['skipped']} port(s)"
    return "hashed"


def _explain(namespace: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> int:
    story = pm.explain(namespace.name, namespace.env)
    declared = story.service in pm.services
    if namespace.json:
        document = {
            "config": origin.path,
            "namespace": pm.namespace,
            "declared": declared,
            **_entry(story, origin),
            "key": None if story.key is None else story.key.decode(),
            "probes": [probe._asdict() for probe in story.probes],
        }
        _write_json(document)
        return 0
    lines = [f"config: {_config_name(origin)}", str(story)]
    if story.pin is not None and story.pin in _overridden(origin):
        lines.append("  (the pin comes from STABLEPORT_PINS, not the file)")
    if not declared:
        lines.append(
            f"  note: {story.service!r} is not declared in {_config_name(origin)}: its port "
            f"avoids every declared one, but another undeclared name may share it"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _check(namespace: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> int:
    findings = check_map(pm, origin)
    live = _live_statuses(pm) if namespace.live else None
    findings.extend(
        Finding(
            PROBLEM, f"{service}@{env} {status.port}", f"port {status.port} is {status.describe()}"
        )
        for (service, env), status in live or ()
        if not status.free
    )
    findings.sort(key=lambda finding: finding.level != PROBLEM)  # stable: problems first
    problems = sum(finding.level == PROBLEM for finding in findings)
    if namespace.json:
        _write_json(
            {
                "config": origin.path,
                "namespace": pm.namespace,
                "ok": problems == 0,
                "findings": [finding._asdict() for finding in findings],
                "live": None if live is None else [_live_entry(*item) for item in live],
            }
        )
        return 1 if problems else 0
    lines = [f"config: {_config_name(origin)}"]
    lines.extend(str(finding) for finding in findings)
    lines.extend(
        f"live: {service}@{env} {status.port}: {status.describe()}"
        for (service, env), status in live or ()
        if status.free
    )
    notes = len(findings) - problems
    lines.append(f"{problems} problem(s), {notes} note(s)" if problems else f"ok ({notes} note(s))")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if problems else 0


def _live_statuses(pm: "PortMap") -> "list[tuple[tuple[str, str], PortStatus]]":
    """Each declared pair with its port's live status; a port shared by pins is tried once."""
    from ._live import port_status  # noqa: PLC0415 - imports socket, only for --live

    assignments = pm.assignments()
    statuses = {port: port_status(port) for port in set(assignments.values())}
    return [(pair, statuses[port]) for pair, port in assignments.items()]


def _live_entry(pair: tuple[str, str], status: "PortStatus") -> dict[str, object]:
    holders = status.holders
    return {
        "service": pair[0],
        "env": pair[1],
        "port": status.port,
        "free": status.free,
        "busy_on": list(status.busy_on),
        "denied_on": list(status.denied_on),
        "holders": None if holders is None else [holder._asdict() for holder in holders],
    }


def _export(namespace: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> int:
    ports = {service: pm.port_for(service, namespace.env) for service in pm.services}
    named = variables(ports, namespace.prefix)
    if not named:
        sys.stderr.write(f"stableport: no services declared in {_config_name(origin)}\n")
    sys.stdout.write(render(named, namespace.format, pm.namespace))
    return 0


def _overridden(origin: "Origin") -> set[str]:
    """The pins STABLEPORT_PINS set, spelled as Explanation.pin spells a pin."""
    return {format_pin_key(key) for key in origin.pin_overrides}


def _config_name(origin: "Origin") -> str:
    return origin.path or "the built-in defaults (no stableport.toml or [tool.stableport] found)"


def _write_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _write_table(rows: "list[tuple[str, str, str, str]]") -> None:
    widths = [max(_width(row[column]) for row in rows) for column in range(3)]
    for service, env, port, how in rows:
        cells = (
            service + " " * (widths[0] - _width(service)),
            env + " " * (widths[1] - _width(env)),
            " " * (widths[2] - len(port)) + port,
            how,
        )
        sys.stdout.write("  ".join(cells) + "\n")


def _width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )
