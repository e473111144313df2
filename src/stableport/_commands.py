"""The list, explain, check and export commands: text for people, JSON for machines."""

import json
import os
import unicodedata

from ._check import PROBLEM, Finding, check_map
from ._common import env_option, say
from ._config import ENV_VARIABLE, NAMESPACE_VARIABLE, load_with_origin
from ._errors import ConfigError, shown
from ._export import render, variables
from ._files import CONFIG_VARIABLE, working_directory
from ._hints import enclosing_project, lookup_notes
from ._pins import PINS_VARIABLE, format_pin_key

# What init checks before writing but leaves out of the ports it prints.
OVERRIDE_VARIABLES = (ENV_VARIABLE, NAMESPACE_VARIABLE, PINS_VARIABLE)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ._config import Origin
    from ._explain import Explanation
    from ._instances import NewInstance
    from ._live import PortStatus
    from ._portmap import PortMap

    Result = tuple[int, str | bytes]  # the exit code, and what stdout gets


def run(args: "argparse.Namespace") -> "Result":
    """Run the command named in args; return the exit code and what stdout gets.

    Nothing is written here: the caller writes the whole output at once, so a
    command that fails half way leaves stdout empty.
    """
    if args.command == "init":
        return _init(args)
    if args.command == "instance" and args.action == "new":
        from ._instances import new_instance  # noqa: PLC0415 - runs git: only here

        return _new_instance(args, new_instance(args.config))
    if getattr(args, "env", None) is not None:
        args.env = env_option(args.env)
    # check takes no --namespace nor --instance: it checks the map as configured.
    pm, origin = load_with_origin(
        args.config,
        getattr(args, "namespace", None),
        instance=getattr(args, "instance", None),
    )
    if args.command != "check":  # check grades the configuration itself
        for line in lookup_notes(pm, origin, None, getattr(args, "env", None)):
            say(line)
    commands = {
        "list": _list,
        "explain": _explain,
        "check": _check,
        "export": _export,
        "instance": _show_instance,
    }
    return commands[args.command](args, pm, origin)


def _list(args: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> "Result":
    if args.all_envs:
        pairs = list(pm.assignments())
    else:
        pairs = [(service, args.env) for service in pm.services]
    overridden = _overridden(origin)
    entries = [_entry(pm.explain(service, env), overridden) for service, env in pairs]
    if args.json:
        return 0, _json({**_identity(pm, origin), "entries": entries})
    if not entries:
        say(f"stableport: no services declared in {_config_name(origin)}")
        return 0, ""
    return 0, f"config: {_config_name(origin)}\n" + _listing(pm, entries, origin)


def _identity(pm: "PortMap", origin: "Origin") -> dict[str, object]:
    """Which map a --json document is about: its file, namespace and instance."""
    return {
        "config": origin.path,
        "namespace": pm.namespace,
        "instance": pm.instance,
        "instances": pm.instances,
        "instance_from": origin.instance_source,
    }


def _instance_line(pm: "PortMap", origin: "Origin | None") -> str:
    """The instance line of list and explain: which instance, and who said so."""
    if not pm.instance:
        return ""
    source = (
        ""
        if origin is None or origin.instance_source is None
        else (f" (from {origin.instance_source})")
    )
    return f"instance: {pm.instance} of {pm.instances}{source}\n"


def _listing(
    pm: "PortMap", entries: "list[dict[str, object]]", origin: "Origin | None" = None
) -> str:
    """list's human output: the namespace and instance, if any, then the table of entries."""
    head = "" if pm.namespace is None else f"namespace: {pm.namespace}\n"
    head += _instance_line(pm, origin)
    rows = [("SERVICE", "ENV", "PORT", "HOW")]
    rows.extend(
        (str(entry["service"]), str(entry["env"]), str(entry["port"]), _how_text(entry))
        for entry in entries
    )
    return head + _table(rows)


def _init(args: "argparse.Namespace") -> "Result":
    """Write a first configuration, then show it and the ports it gives, as list would."""
    from pathlib import Path  # noqa: PLC0415 - init is rare; the other commands skip pathlib

    from ._init import init  # noqa: PLC0415

    # The loader's own helper: a deleted working directory is a one-line ConfigError.
    written = init(Path(working_directory()), args.services, args.config, args.namespace)
    verb = "created" if written.created else "appended to"
    through = "" if written.link is None else f" (through the link {_path(written.link)})"
    head = (
        f"{verb} {_path(written.path)}{through}:\n\n{written.text}\n"
        f"(namespace from {written.namespace_source})\n"
    )
    if written.config_variable is not None:
        head += (
            f"({CONFIG_VARIABLE}={shown(written.config_variable)} is set: every later command "
            f"reads that file instead, until it is unset)\n"
        )
    if not written.discovered:
        head += (
            "(discovery looks for stableport.toml and pyproject.toml only: "
            "name this file with --config or STABLEPORT_CONFIG)\n"
        )
    elif written.replaced is not None:
        home = (written.link or written.path).parent
        head += (
            f"({_path(home)} used {_path(written.replaced)} until now; "
            f"this file takes its place there)\n"
        )
    # Below a configured project, the note above already says which file this replaces.
    above = enclosing_project(written.path.parent) if written.replaced is None else None
    if above is not None:
        # A subfolder of a project: this file now ends discovery here, apart from it.
        head += (
            f"({shown(str(above))} is above this directory: this file configures only "
            f"{shown(str(written.path.parent))} and below; to configure that project "
            f"instead, delete {shown(str(written.path))} and run init in "
            f"{shown(str(above.parent))})\n"
        )
    # The ports of what was written: the variables were checked, not applied.
    # Through the link, as discovery reads it: its name says it is a pyproject.toml.
    pm, _ = load_with_origin(written.link or written.path, variables=False)
    overriding = [name for name in OVERRIDE_VARIABLES if os.environ.get(name) is not None]
    if overriding and pm.services:
        head += (
            f"({', '.join(overriding)} set: not applied below, where the ports are "
            f"the file's own; stableport list applies them)\n"
        )
    head += "\n"
    if not pm.services:
        return 0, head + "no services yet: list them in services, then run stableport list\n"
    entries = [_entry(pm.explain(service), set()) for service in pm.services]
    return 0, head + _listing(pm, entries)


def _entry(story: "Explanation", overridden: "set[str]") -> dict[str, object]:
    """A list entry: where the port came from, in the --json schema."""
    return {
        "service": story.service,
        "env": story.env,
        "port": story.port,
        "how": "overridden" if story.pin in overridden else story.how,
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


def _explain(args: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> "Result":
    story = pm.explain(args.name, args.env)
    declared = story.service in pm.services
    if args.json:
        document = {
            **_identity(pm, origin),
            "declared": declared,
            **_entry(story, _overridden(origin)),
            "key": None if story.key is None else story.key.decode(),
            "probes": [probe._asdict() for probe in story.probes],
        }
        return 0, _json(document)
    lines = [f"config: {_config_name(origin)}"]
    if pm.instance:
        lines.append(_instance_line(pm, origin).rstrip("\n"))
    lines.append(str(story))
    if story.pin is not None and story.pin in _overridden(origin):
        lines.append("  (the pin comes from STABLEPORT_PINS, not the file)")
    if not declared:
        lines.append(
            f"  note: {story.service!r} is not declared in {_config_name(origin)}: its port "
            f"avoids every declared one, but another undeclared name may share it"
        )
    return 0, "\n".join(lines) + "\n"


def _check(args: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> "Result":
    findings = check_map(pm, origin)
    live = _live_statuses(pm) if args.live else None
    findings.extend(
        Finding(
            PROBLEM, f"{service}@{env} {status.port}", f"port {status.port} is {status.describe()}"
        )
        for (service, env), status in live or ()
        if not status.free
    )
    findings.sort(key=lambda finding: finding.level != PROBLEM)  # stable: problems first
    problems = sum(finding.level == PROBLEM for finding in findings)
    code = 1 if problems else 0
    if args.json:
        return code, _json(
            {
                **_identity(pm, origin),
                "ok": problems == 0,
                "findings": [finding._asdict() for finding in findings],
                "live": None if live is None else [_live_entry(*item) for item in live],
            }
        )
    lines = [f"config: {_config_name(origin)}"]
    lines.extend(str(finding) for finding in findings)
    lines.extend(
        f"live: {service}@{env} {status.port}: {status.describe()}"
        for (service, env), status in live or ()
        if status.free
    )
    notes = len(findings) - problems
    lines.append(f"{problems} problem(s), {notes} note(s)" if problems else f"ok ({notes} note(s))")
    return code, "\n".join(lines) + "\n"


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
        "claimant": None if status.claimant is None else status.claimant._asdict(),
    }


def _export(args: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> "Result":
    ports = {service: pm.port_for(service, args.env) for service in pm.services}
    named = variables(ports, args.prefix)
    if not named:  # `export > .env` must not write an empty file and succeed
        raise ConfigError(f"nothing to export: no services declared in {_config_name(origin)}")
    return 0, render(named, args.format, pm.namespace, pm.instance)


def _show_instance(args: "argparse.Namespace", pm: "PortMap", origin: "Origin") -> "Result":
    """stableport instance: this checkout's instance, and its ports in its default env."""
    entries = [_entry(pm.explain(service), _overridden(origin)) for service in pm.services]
    if args.json:
        return 0, _json({**_identity(pm, origin), "entries": entries})
    if pm.instance:
        head = ""
    elif pm.instances:
        head = (
            f"instance: none (the plain map; room for {pm.instances}: "
            f"stableport instance new gives this checkout one)\n"
        )
    else:
        head = "instance: none (the plain map; the configuration declares no instances)\n"
    return 0, f"config: {_config_name(origin)}\n{head}" + _listing(pm, entries, origin)


def _new_instance(args: "argparse.Namespace", made: "NewInstance") -> "Result":
    """stableport instance new: what was written, then the instance's ports."""
    pm, origin = made.map, made.origin
    entries = [_entry(pm.explain(service), _overridden(origin)) for service in pm.services]
    if args.json:
        document = {**_identity(pm, origin), "kept": made.kept, "entries": entries}
        return 0, _json(document)
    verb = "kept" if made.kept else "wrote"
    head = f"instance {pm.instance} of {pm.instances}: {verb} {made.path}\n"
    head += "".join(f"({note})\n" for note in made.notes)
    return 0, f"{head}\nconfig: {_config_name(origin)}\n" + _listing(pm, entries, origin)


def _overridden(origin: "Origin") -> set[str]:
    """The pins STABLEPORT_PINS set, spelled as Explanation.pin spells a pin."""
    return {format_pin_key(key) for key in origin.pin_overrides}


def _path(path: "str | os.PathLike[str]") -> str:
    """A path in output: whole, quoted if it holds a newline or another unprintable character.

    A byte that is not UTF-8 (os.fsdecode's lone surrogate) is no reason: it goes
    out as the byte it was, as pwd writes it; a newline would forge a line.
    """
    text = os.fspath(path)
    if text.isprintable() or all(char.isprintable() or _undecoded(char) for char in text):
        return text
    return shown(text, whole=True)


def _undecoded(char: str) -> bool:
    """Whether char stands for a byte that was not UTF-8 (os.fsdecode's surrogateescape)."""
    return "\udc80" <= char <= "\udcff"


def _config_name(origin: "Origin") -> str:
    """The configuration's path as output shows it: quoted if it holds a newline or the like."""
    if origin.path is not None:
        # Raw, a newline in a directory's name would forge a row of list's table.
        return _path(origin.path)
    # Where discovery looked, so a command run in the wrong directory shows it.
    return (
        f"the built-in defaults (no stableport.toml or [tool.stableport] found in "
        f"{_path(working_directory())} or above it)"
    )


def _json(document: object) -> bytes:
    """document as UTF-8 JSON, whatever stdout's encoding: JSON is UTF-8 (RFC 8259)."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    # A path that is not UTF-8 holds lone surrogates (os.fsdecode's spelling of
    # its bytes): they go out as \udcXX escapes, ASCII, so the output is valid
    # UTF-8 and json.loads then os.fsencode give the bytes back.
    return text.encode("utf-8", "backslashreplace")


def _table(rows: "list[tuple[str, str, str, str]]") -> str:
    widths = [max(_width(row[column]) for row in rows) for column in range(3)]
    lines = []
    for service, env, port, how in rows:
        cells = (
            service + " " * (widths[0] - _width(service)),
            env + " " * (widths[1] - _width(env)),
            " " * (widths[2] - len(port)) + port,
            how,
        )
        lines.append("  ".join(cells) + "\n")
    return "".join(lines)


def _width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    if text.isascii():  # one column each; the common case, without a lookup per character
        return len(text)
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )
