"""Views of a map for the commands that read one: the map from their options, and how it is shown.

A leaf of the command line: list, explain, check, export, instance and init
import it, and it imports none of them (nor the parser).
"""

import json
import unicodedata

from stableport._config import load_with_origin
from stableport._errors import path_text as _path_text
from stableport._files import working_directory
from stableport._hints import lookup_notes
from stableport._pins import format_pin_key
from stableport._stderr import say

# Lives with shown (instance assignment needs it, and must not import this
# module); the commands take it from here, as before.
path_text = _path_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from stableport._config import Origin
    from stableport._explain import Explanation
    from stableport._portmap import PortMap


def load(args: "argparse.Namespace", *, notes: bool = True) -> "tuple[PortMap, Origin]":
    """The map a command reads, from its --config, --env, --namespace and --instance.

    args.env is normalized already (main does it for every command), so the
    command reads it as the map does. notes: say on stderr what the lookup
    should know (a STABLEPORT_* override and the like); check leaves them out,
    since it grades the configuration itself.
    """
    # A command that takes no --namespace nor --instance (check) reads the map as
    # configured: the parser gives them as None (argparser.build's defaults).
    pm, origin = load_with_origin(args.config, args.namespace, instance=args.instance, env=args.env)
    if notes:
        for line in lookup_notes(pm, origin, None, args.env):
            say(line)
    return pm, origin


def identity(pm: "PortMap", origin: "Origin") -> dict[str, object]:
    """Which map a --json document is about: its file, namespace and instance."""
    return {
        "config": origin.path,
        "namespace": pm.namespace,
        "instance": pm.instance,
        "instances": pm.instances,
        "instance_from": origin.instance_source,
    }


def instance_line(pm: "PortMap", origin: "Origin | None") -> str:
    """The instance line of list and explain: which instance, and who said so."""
    if not pm.instance:
        return ""
    source = (
        ""
        if origin is None or origin.instance_source is None
        else (f" (from {origin.instance_source})")
    )
    return f"instance: {pm.instance} of {pm.instances}{source}\n"


def listing(
    pm: "PortMap", entries: "list[dict[str, object]]", origin: "Origin | None" = None
) -> str:
    """list's human output: the namespace and instance, if any, then the table of entries."""
    head = "" if pm.namespace is None else f"namespace: {pm.namespace}\n"
    head += instance_line(pm, origin)
    rows = [("SERVICE", "ENV", "PORT", "HOW")]
    rows.extend(
        (str(entry["service"]), str(entry["env"]), str(entry["port"]), _how_text(entry))
        for entry in entries
    )
    return head + _table(rows)


def entry(story: "Explanation", overridden: "set[str]") -> dict[str, object]:
    """A list entry: where the port came from, in the --json schema."""
    return {
        "service": story.service,
        "env": story.env,
        "port": story.port,
        "how": "overridden" if story.pin in overridden else story.how,
        "skipped": story.skipped,
        "pin": story.pin,
    }


def entries(pm: "PortMap", origin: "Origin | None") -> "list[dict[str, object]]":
    """Every declared service's entry in pm's default env (none overridden without origin)."""
    pins = set() if origin is None else overridden(origin)
    return [entry(pm.explain(service), pins) for service in pm.services]


def _how_text(entry: "dict[str, object]") -> str:
    if entry["how"] == "pinned":
        return f"pinned (pins[{entry['pin']!r}])"
    if entry["how"] == "overridden":
        return f"overridden (STABLEPORT_PINS {entry['pin']}={entry['port']})"
    if entry["how"] == "probed":
        return f"probed past {entry['skipped']} port(s)"
    if entry["how"] == "test":
        return "test run (STABLEPORT_TEST_PORTS)"
    return "hashed"


def overridden(origin: "Origin") -> set[str]:
    """The pins STABLEPORT_PINS set, spelled as Explanation.pin spells a pin."""
    return {format_pin_key(key) for key in origin.pin_overrides}


def config_name(origin: "Origin") -> str:
    """The configuration's path as output shows it: quoted if it holds a newline or the like."""
    if origin.path is not None:
        # Raw, a newline in a directory's name would forge a row of list's table.
        return path_text(origin.path)
    # Where discovery looked, so a command run in the wrong directory shows it.
    return (
        f"the built-in defaults (no stableport.toml or [tool.stableport] found in "
        f"{path_text(working_directory())} or above it)"
    )


def json_document(document: object) -> bytes:
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
