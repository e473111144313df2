"""Deferred acceptance: collision-free ports for a set of claimants."""

import gc

from ._errors import RangeExhaustedError
from ._hashing import first_probe, later_probes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterator


def deferred_acceptance(
    keys: "Collection[bytes]",
    low: int,
    high: int,
    blocked: "Collection[int]",
    trails: "dict[bytes, list[int]] | None" = None,
) -> dict[int, bytes]:
    """Give each key a distinct free port, as {port: key}: the claimant-optimal stable matching.

    A contested port keeps the key for which it came earliest in its probe
    sequence, ties going to the smaller key bytes. The result does not depend
    on the order in which keys are processed. The caller checks capacity.

    trails, if given, receives for each key that probed more than once the
    ports it passed over (blocked, held by a stronger claim, or lost to one), in
    probe order: with the port it keeps, its probe sequence up to that port,
    which explaining it would otherwise hash again. A key that kept its first
    probe gets no entry, so the common path records nothing.
    """
    # Every claimant turned away from its first probe keeps a probe generator
    # alive until the matching ends, and none of them is part of a cycle:
    # reference counting frees them all. A cyclic collection meanwhile would
    # only walk them in vain, over and over as they pile up (a tenth of the
    # time of a 30,000-service map when every claimant had one), so the
    # collector pauses here and resumes as the caller had it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _match(keys, low, high, blocked, trails)
    finally:
        if collecting:
            gc.enable()


def _match(
    keys: "Collection[bytes]",
    low: int,
    high: int,
    blocked: "Collection[int]",
    trails: "dict[bytes, list[int]] | None",
) -> dict[int, bytes]:
    # A claimant's trail holds every port it passed over, so its length is the
    # probe number of the port it asks for or holds: no ranks to keep apart.
    passed: dict[bytes, list[int]] = {} if trails is None else trails
    # Only a claimant turned away from its first probe gets a trail and a
    # generator of its later probes; most keep their first and get neither.
    holders: dict[int, bytes] = {}
    sequences: dict[bytes, Iterator[int]] = {}
    pending: list[bytes] = []
    # Round one: every key asks for its first probe; of two, the smaller key
    # keeps it. Most keys end here, so this round allocates nothing for them.
    for key in keys:
        port = first_probe(key, low, high)
        if port in blocked:
            loser = key
        else:
            held = holders.get(port)
            if held is None:
                holders[port] = key
                continue
            if key < held:
                holders[port] = key
                loser = held
            else:
                loser = key
        sequences[loser] = later_probes(loser, low, high, port)
        passed[loser] = [port]
        pending.append(loser)
    # Later rounds ask at probe 1 or later, so they never displace a holder of
    # its first probe (one without a trail).
    while pending:
        key = pending.pop()
        trail = passed[key]
        for port in sequences[key]:
            if port in blocked:
                trail.append(port)
                continue
            held = holders.get(port)
            if held is None:
                holders[port] = key
                break
            rank = len(trail)
            rival = passed.get(held)
            if rival is not None and (rank < len(rival) or (rank == len(rival) and key < held)):
                holders[port] = key
                rival.append(port)
                pending.append(held)
                break
            trail.append(port)
        else:  # pragma: no cover - the caller's capacity check rules this out
            raise RangeExhaustedError(f"no free port left in {low}-{high}")
    return holders
