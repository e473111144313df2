"""stableport ps: every checkout of the project, who serves each port, and other claims here.

A health view across checkouts: the checkouts git lists (the main one and its
worktrees), and the ones only a live claim still names (a copy git does not
know, a worktree removed while its server ran), each with every declared
service's port in each declared environment, the pid holding it and one state:

- serving: that checkout's own `stableport run` of the service (or a child of
  it) listens on the port;
- claimed: that run lives but nothing listens yet (its server is starting);
- free: nothing holds the port;
- squatted: something else holds it: a program not started through
  stableport, or another checkout's or project's run;
- orphaned: a live run holds it for a checkout that is gone.

Then every other live claim on this host: other projects' servers.
"""

from pathlib import Path

from stableport._checkouts import same_repository, worktree_configs
from stableport._claims import checkout_gone, live_claims
from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._cli.views import config_name, json_document, load, path_text
from stableport._config import load_with_origin
from stableport._errors import StableportError
from stableport._identity import copied_from, instance_file, read_identity

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from stableport._claims import Claimant
    from stableport._config import Origin
    from stableport._port_status import PortStatus
    from stableport._portmap import PortMap


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "Every checkout of this project (the main one and its worktrees, and any a live "
        "stableport run still names: a copy, or a removed worktree whose server runs), "
        "each declared service's port there, the pid holding it and its state: serving, "
        "claimed, free, squatted or orphaned; then other projects' claims on this host."
    )
    add_options(parser, "--config", "--json")


def handle(args: "argparse.Namespace") -> Answer:
    pm, origin = load(args, notes=False)
    claims = live_claims()
    ours = [(port, claimant) for port, claimant in claims if _ours(pm, origin.path, claimant)]
    checkouts: list[dict[str, object]] = []
    configs: list[str | None] = []
    if origin.path is not None:
        configs.extend(worktree_configs(origin.path) or [origin.path])
    else:
        configs.append(None)  # the built-in defaults: this checkout alone
    # A checkout git does not list that a live run of this project names.
    configs.extend(
        dict.fromkeys(
            claimant.config
            for _, claimant in ours
            if claimant.config is not None and claimant.config not in configs
        )
    )
    for config in configs:
        note = None
        gone = config is not None and not Path(config).exists()
        checkout_map: PortMap | None = pm
        if gone:
            checkout_map = None  # only its live claims are left
        elif config != origin.path and config is not None:
            checkout_map, note = _sibling(config)
        entry = _checkout(config, config == origin.path, checkout_map, ours, gone=gone)
        checkouts.append({**entry, "note": note})
    named = {config for config in configs if config is not None}
    others = [
        _claim_entry(port, claimant)
        for port, claimant in claims
        if (port, claimant) not in ours and claimant.config not in named
    ]
    if args.json:
        return Answer(
            0,
            json_document({"config": origin.path, "checkouts": checkouts, "others": others}),
        )
    return Answer(0, _text(origin, checkouts, others))


def _sibling(config: str) -> "tuple[PortMap | None, str | None]":
    """Another checkout's map as a lookup there sees it, and a note; nothing written there.

    Its own identity file, read by the loader's reader; a worktree that has
    none yet (it gets one on first use) or a copy's file: the plain map's ports,
    said in the note. A checkout whose configuration does not load: None, and why.
    """
    path = instance_file(config)
    try:
        found = read_identity(path)
        if found is not None and copied_from(found, path) is None:
            return load_with_origin(config, instance=found.value)[0], None
        checkout_map = load_with_origin(config, instance="0")[0]
    except StableportError as error:
        return None, str(error)
    if found is not None:
        return checkout_map, f"a copy of {path_text(str(copied_from(found, path)))}: no instance"
    if checkout_map.instances:
        return checkout_map, "no instance yet: given one on first use (the plain map's ports)"
    return checkout_map, None


def _ours(pm: "PortMap", config: str | None, claimant: "Claimant") -> bool:
    """Whether a claim is a run of this project: its namespace, and its repository if none."""
    if claimant.namespace != pm.namespace or config is None or claimant.config is None:
        return False
    return pm.namespace is not None or same_repository(config, claimant.config)


def _checkout(
    config: str | None,
    this: bool,  # noqa: FBT001 - a private helper's flag
    pm: "PortMap | None",
    claims: "list[tuple[int, Claimant]]",
    *,
    gone: bool,
) -> dict[str, object]:
    """One checkout's entry: where, which instance, and each port's holder and state."""
    from stableport._port_status import port_status  # noqa: PLC0415 - sockets, only here

    services: list[dict[str, object]] = []
    mine = [(port, claimant) for port, claimant in claims if claimant.config == config]
    if pm is None:  # gone (or not loadable): what its live runs still hold
        services.extend(
            {
                "service": claimant.service,
                "env": claimant.env,
                "port": port,
                "pid": claimant.pid,
                "state": "orphaned" if gone else "claimed",
            }
            for port, claimant in mine
        )
        instance = mine[0][1].instance if mine else None
    else:
        instance = pm.instance
        statuses: dict[int, PortStatus] = {}
        for (service, env), port in pm.assignments().items():
            if port not in statuses:
                statuses[port] = port_status(port, claims=True)
            pid, state = _state(statuses[port], config, pm, service, env)
            services.append(
                {"service": service, "env": env, "port": port, "pid": pid, "state": state}
            )
    return {
        "path": None if config is None else str(Path(config).parent),
        "config": config,
        "this": this,
        "gone": gone,
        "instance": instance,
        "services": services,
    }


def _state(
    status: "PortStatus", config: str | None, pm: "PortMap", service: str, env: str
) -> tuple[int | None, str]:
    """The pid holding a checkout's port, and the port's state for that checkout."""
    claimant = status.claimant
    own = claimant is not None and tuple(claimant) == (
        pm.namespace,
        pm.instance,
        env,
        service,
        claimant.pid,
        config,
    )
    if claimant is not None and own:
        return claimant.pid, "serving" if status.served_by_claimant else "claimed"
    if claimant is not None:
        return claimant.pid, "orphaned" if checkout_gone(claimant) else "squatted"
    if status.busy_on:
        holders = status.holders or ()
        return (holders[0].pid if holders else None), "squatted"
    return None, "free"


def _claim_entry(port: int, claimant: "Claimant") -> dict[str, object]:
    return {"port": port, **claimant._asdict()}


def _text(
    origin: "Origin", checkouts: "list[dict[str, object]]", others: "list[dict[str, object]]"
) -> str:
    """The human table: a row per checkout's port, then other projects' claims."""
    rows: list[tuple[str, ...]] = [
        ("CHECKOUT", "INSTANCE", "SERVICE", "ENV", "PORT", "PID", "STATE")
    ]
    for checkout in checkouts:
        path = checkout["path"]
        where = "(no configuration)" if path is None else path_text(str(path))
        if checkout["this"]:
            where += " (this)"
        if checkout["gone"]:
            where += " (gone)"
        instance = "?" if checkout["instance"] is None else str(checkout["instance"])
        services = checkout["services"]
        assert isinstance(services, list)  # noqa: S101 - built above
        rows.extend(
            (
                where,
                instance,
                str(entry["service"]),
                str(entry["env"]),
                str(entry["port"]),
                "-" if entry["pid"] is None else str(entry["pid"]),
                str(entry["state"]),
            )
            for entry in services
        )
    lines = [f"config: {config_name(origin)}", *_table(rows)]
    lines.extend(
        f"note: {path_text(str(checkout['path']))}: {checkout['note']}"
        for checkout in checkouts
        if checkout["note"]
    )
    if others:
        lines.append("other claims on this host:")
        claim_rows: list[tuple[str, ...]] = [
            ("PORT", "SERVICE", "ENV", "PID", "NAMESPACE", "CONFIG")
        ]
        claim_rows.extend(
            (
                str(claim["port"]),
                str(claim["service"]),
                str(claim["env"]),
                str(claim["pid"]),
                "-" if claim["namespace"] is None else str(claim["namespace"]),
                "-" if claim["config"] is None else path_text(str(claim["config"])),
            )
            for claim in others
        )
        lines.extend(_table(claim_rows))
    return "\n".join(lines) + "\n"


def _table(rows: "list[tuple[str, ...]]") -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
