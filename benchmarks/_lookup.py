"""Section 1: one lookup, against the one-hash floor and against the peers.

Every case is timed in this process, round-robin, as the bare statement
``fn(args)`` under timeit (garbage collector off, one warm-up call before each
repeat); the table reports the median time per call.
"""

from xxhash import xxh3_64_intdigest

import stableport
from _measure import Call, format_ratio, format_seconds, median, per_call_seconds
from _peers import Peer, bind_port_zero
from _report import Section, table
from stableport import PortMap

SMALL_MAP = ("billing", "auth", "search")

FLOOR = "floor: one xxh3_64 + modulo"
WARM = 'stableport.port_for("billing"), warm'
COLD = 'PortMap(3 services).port_for("billing"), cold'
FIRST = 'reload(), then stableport.port_for("billing")'
BIND = "socket: bind to port 0, close"


def floor(name: str) -> int:
    """The least a name-hashing lookup can cost: one xxh3_64 of the name, reduced."""
    return 20000 + xxh3_64_intdigest(name.encode()) % 10000


def cold_lookup(name: str) -> int:
    """A fresh small map, built and asked once: resolution included."""
    return PortMap(SMALL_MAP).port_for(name)


def first_lookup(name: str) -> int:
    """The first module-level lookup of a process: configuration discovery, the
    default map, then the lookup."""
    stableport.reload()
    return stableport.port_for(name)


def run(peers: list[Peer], *, quick: bool) -> Section:
    """Time every lookup; figures: seconds per call by label."""
    rounds, repeat_seconds = (3, 0.002) if quick else (25, 0.02)
    calls = {
        FLOOR: Call(floor, ("billing",)),
        WARM: Call(stableport.port_for, ("billing",)),
        COLD: Call(cold_lookup, ("billing",)),
        FIRST: Call(first_lookup, ("billing",)),
        BIND: Call(bind_port_zero),
    }
    unavailable: dict[str, str] = {}
    for peer in peers:
        if peer.call is None:
            unavailable[peer.label] = peer.status
            continue
        try:
            peer.call()
        except Exception as error:  # noqa: BLE001 - a failing peer is reported, not fatal
            unavailable[peer.label] = f"failed: {type(error).__name__}: {error}"
            continue
        calls[peer.label] = Call(peer.call)
    samples = per_call_seconds(calls, rounds, repeat_seconds)
    medians = {label: median(values) for label, values in samples.items()}
    warm = medians[WARM]
    rows = [
        [label, format_seconds(seconds), format_ratio(seconds / warm)]
        for label, seconds in medians.items()
    ]
    rows.extend([label, status, "—"] for label, status in unavailable.items())
    section = Section(
        "1. Lookup",
        f"Median time per call over {rounds} interleaved timeit repeats of about "
        f"{repeat_seconds * 1000:g} ms each, in one process, with no project configuration. "
        f"The ratio is to the warm `stableport.port_for`: above 1 is slower.",
        table(["lookup", "median per call", "ratio to warm port_for"], rows),
    )
    section.figures.update(medians)
    return section
