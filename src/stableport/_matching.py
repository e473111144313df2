"""Deferred acceptance: collision-free ports for a set of claimants."""

import gc

from ._errors import RangeExhaustedError
from ._hashing import probe_sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterator


def deferred_acceptance(
    keys: "Collection[bytes]",
    low: int,
    high: int,
    blocked: "Collection[int]",
    trails: "dict[bytes, list[int]] | None" = None,
) -> dict[bytes, int]:
    """Give each key a distinct free port: the claimant-optimal stable matching.

    A contested port keeps the key for which it came earliest in its probe
    sequence, ties going to the smaller key bytes. The result does not depend
    on the order in which keys are processed. The caller checks capacity.

    trails, if given, receives for each key that probed more than once the
    ports it passed over (blocked, held by a stronger claim, or lost to one), in
    probe order: with the port it keeps, its probe sequence up to that port,
    which explaining it would otherwise hash again. A key that kept its first
    probe gets no entry, so the common path records nothing.
    """
    # Every claimant keeps a probe generator alive until the matching ends, and
    # none of them is part of a cycle: reference counting frees them all. A
    # cyclic collection meanwhile would only walk them in vain, over and over
    # as they pile up (a tenth of the time of a 30,000-service map), so the
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
) -> dict[bytes, int]:
    sequences: dict[bytes, Iterator[int]] = {}
    ranks = dict.fromkeys(keys, -1)
    holders: dict[int, tuple[int, bytes]] = {}
    pending = list(keys)
    while pending:
        key = pending.pop()
        sequence = sequences.get(key)
        if sequence is None:
            sequence = sequences[key] = probe_sequence(key, low, high)
        rank = ranks[key]
        for port in sequence:
            rank += 1
            if port in blocked:
                if trails is not None:
                    _passed(trails, key, port)
                continue
            held = holders.get(port)
            if held is None:
                holders[port] = (rank, key)
                break
            if (rank, key) < held:
                holders[port] = (rank, key)
                pending.append(held[1])
                if trails is not None:
                    _passed(trails, held[1], port)
                break
            if trails is not None:
                _passed(trails, key, port)
        else:  # pragma: no cover - the caller's capacity check rules this out
            raise RangeExhaustedError(f"no free port left in {low}-{high}")
        ranks[key] = rank
    return {key: port for port, (_, key) in holders.items()}


def _passed(trails: "dict[bytes, list[int]]", key: bytes, port: int) -> None:
    """Record that key's probe of port did not end with the port (only off the common path)."""
    trail = trails.get(key)
    if trail is None:
        trails[key] = [port]
    else:
        trail.append(port)
