"""check --scan's findings: the map's ports, the scan of the project, and what it says.

_scan reads files and knows nothing of maps; this module hands it every port
the map gives (each declared service, in each declared environment, in the
plain map and every instance: a literal of any of them is a copy) and tells it
which files are export's own output, then grades what it found.
"""

from typing import NamedTuple

from ._config import load_with_origin
from ._errors import StableportError
from ._export import exported, variable_stem
from ._exported import format_of, read
from ._scan import describe, port_owners, project_root, scan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._config import Origin
    from ._portmap import PortMap


class Scanned(NamedTuple):
    literals: list[tuple[str, str]]  # (where, what) per literal port
    line: str  # check's summary line: what was read and skipped
    summary: dict[str, object]  # the same for --json


def scan_findings(
    pm: "PortMap", origin: "Origin", config: str | None, paths: "list[str]"
) -> Scanned:
    """Each literal port in paths (default: the tracked files), with what was read."""
    others = (number for number in range(pm.instances + 1) if number != pm.instance)
    maps = [pm, *(load_with_origin(config, instance=str(number))[0] for number in others)]
    owners = port_owners(maps)
    root = project_root(origin)
    result = scan(
        root, paths, owners, lambda data: any(_is_exported(each, origin, data) for each in maps)
    )
    literals = [describe(hit, owners[hit.port]) for hit in result.hits]
    skipped = ", ".join(f"{count} {why}" for why, count in sorted(result.skipped.items()))
    line = f"{result.read} file(s) read under {root}, {len(result.hits)} literal port(s)" + (
        f"; skipped: {skipped}" if skipped else ""
    )
    summary: dict[str, object] = {
        "root": root,
        "read": result.read,
        "literals": len(result.hits),
        "skipped": result.skipped,
    }
    return Scanned(literals, line, summary)


def _is_exported(pm: "PortMap", origin: "Origin", data: bytes) -> bool:
    """Whether data is exactly what export writes for this map, in some env and prefix.

    Such a file is guarded by export --check; its numbers are the map's own.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    output_format = format_of(text)
    entries = read(text, output_format).entries
    if not entries:
        return False
    first = next(
        (entry.name for entry in entries if not entry.name.startswith("STABLEPORT_")), None
    )
    if first is None:
        return False
    # Each prefix the first variable could have been written with: what is left of
    # it before a service's part (BILLING_API_PORT: '' for billing-api, BILLING_ for api).
    endings = (f"{variable_stem(service)}_PORT" for service in pm.services)
    prefixes = {first[: -len(ending)] for ending in endings if first.endswith(ending)}
    envs = {pm.env, *(pm.envs or ())}
    return any(
        _written(pm, origin, env, prefix, output_format, with_instance=with_instance) == text
        for prefix in prefixes
        for env in envs
        for with_instance in (False, True)  # export --with-instance's first line
    )


def _written(
    pm: "PortMap",
    origin: "Origin",
    env: str,
    prefix: str,
    output_format: str,
    *,
    with_instance: bool,
) -> str:
    """What export writes with these options; nothing where it refuses (2fa without a prefix)."""
    try:
        return exported(pm, origin, env, prefix, output_format, with_instance=with_instance)
    except StableportError:
        return ""
