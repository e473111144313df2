"""check's reading of the .env beside the configuration: is every port in it this checkout's?

A .env is written for one checkout (`stableport export > .env`), yet people
copy it between worktrees for its secrets, and docker compose, make, Node's
--env-file and VS Code then use the other checkout's ports in silence. check
reads it with export's own reader and names each service variable whose value
is not this checkout's port. Only a declared service's exact variable
(billing-api: BILLING_API_PORT) is read: REDIS_PORT=6379 or a prefixed name
may be anything, and guessing would be a false alarm.
"""

from pathlib import Path

from ._config import load_with_origin
from ._errors import ConfigError, shown
from ._export import nameable, variable_name
from ._exported import decoded, read, read_file
from ._identity import INSTANCE_VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._config import Origin
    from ._portmap import PortMap

DOTENV_NAME = ".env"
# A .env is a few kilobytes; one larger is read this far, and no further.
_MOST_BYTES = 1024 * 1024

FIX = "stableport export > .env"


def dotenv_path(origin: "Origin") -> str | None:
    """The .env beside the configuration file, or None when no file was found."""
    if origin.path is None:
        return None
    return str(Path(origin.path).with_name(DOTENV_NAME))


def stale_ports(pm: "PortMap", origin: "Origin") -> list[tuple[str, str]]:
    """(where, why) for each service variable in the .env beside the configuration that is
    not this checkout's port; nothing when there is no .env.
    """
    path = dotenv_path(origin)
    if path is None:
        return []
    try:
        data = read_file(path, _MOST_BYTES)
    except ConfigError as error:  # a FIFO, a directory, a loop: said, never passed as fine
        return [(shown(path), f"{error}; check cannot tell whose ports it holds")]
    if data is None:
        return []
    text, _ = decoded(data)
    service_of = _variables(pm)
    stale = []
    for entry in read(text, "env").entries:
        if entry.name == INSTANCE_VARIABLE and entry.value.strip() != str(pm.instance):
            # export --with-instance wrote it; a tool that loads the file into the
            # environment (compose's env_file, direnv's dotenv) would make every
            # lookup there answer for that instance.
            stale.append(
                (
                    f"{shown(path)} {entry.name}",
                    f"line {entry.line} sets {entry.value or 'nothing'}, but this checkout is "
                    f"instance {pm.instance}; fix: stableport export --with-instance > .env",
                )
            )
            continue
        service = service_of.get(entry.name)
        if service is None:
            continue  # not a declared service's variable: not ours to judge
        number = int(entry.value) if entry.value.isascii() and entry.value.isdigit() else None
        if number is not None and number in _ports_of(pm, service):
            continue  # this checkout's port, in the map's env or another declared one
        other = None if number is None else _whose(pm, origin, service, number)
        belongs = "" if other is None else f", {other}"
        stale.append(
            (
                f"{shown(path)} {entry.name}",
                f"line {entry.line} sets {entry.value or 'nothing'}{belongs}, but this "
                f"checkout's {service} port is {pm.port_for(service)}; compose, make and "
                f"--env-file read the file's; fix: {FIX}",
            )
        )
    return stale


def _variables(pm: "PortMap") -> dict[str, str]:
    """Each declared service's variable, without a prefix -> the service."""
    # A service export refuses (no variable of its own) has no variable to be stale.
    made = nameable(dict.fromkeys(pm.services, 0))
    owners = {
        variable_name(service): service for service in pm.services if service not in made.refused
    }
    return {name: owners[name] for name in made.named}


def _whose(pm: "PortMap", origin: "Origin", service: str, port: int) -> str | None:
    """Which other checkout of this project has port for service, if one does."""
    for number in range(pm.instances + 1):
        if number != pm.instance:
            other, _ = load_with_origin(origin.path, instance=str(number))
            if port in _ports_of(other, service):
                return f"instance {number}'s port" if number else "the main checkout's port"
    return None


def _ports_of(pm: "PortMap", service: str) -> set[int]:
    envs = set(pm.envs or ()) | {pm.env}
    return {pm.port_for(service, env) for env in envs}
