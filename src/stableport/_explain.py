"""The story of one port: each probe, and why it was skipped or taken."""

from typing import TYPE_CHECKING, Literal, NamedTuple

from ._hashing import probe_sequence
from ._pins import format_pin_key
from ._resolver import LANE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._resolver import Pair, Resolver, Trails

# How a port was found: its pin, its first probe, a later probe, or handed out
# by a live test run this process is part of (docs/configuration.md).
How = Literal["pinned", "hashed", "probed", "test"]
# What a probe found at its port: free (taken by this service), or why not.
Verdict = Literal["taken", "excluded", "pinned", "held"]


class Probe(NamedTuple):
    """One step of a probe sequence."""

    step: int  # the position in the probe sequence, from 0
    port: int
    verdict: Verdict
    reason: str


class Explanation(NamedTuple):
    """Why a (service, env) has its port, as PortMap.explain() tells it.

    A pinned port has its pin's key in pin, and key is None; a hashed one has
    the key bytes that were hashed in key, and pin is None; a port a live test
    run handed out (how is ``"test"``) has neither, and no probes.

    Example:
        >>> from stableport import PortMap
        >>> pm = PortMap(["billing", "auth"], pins={"billing": 8001})
        >>> pm.explain("billing").pin, pm.explain("billing").key
        ('billing', None)
        >>> pm.explain("auth").pin, pm.explain("auth").key
        (None, b'stableport\\x00v1\\x00default\\x00auth')
    """

    service: str
    env: str
    port: int
    how: How
    pin: str | None  # the pin's key, 'service' or 'service@env', when pinned; else None
    key: bytes | None  # the key bytes that were hashed; None when pinned
    probes: tuple[Probe, ...]

    @property
    def skipped(self) -> int:
        """How many probes were passed over before the port (0 when hashed or pinned)."""
        return max(len(self.probes) - 1, 0)

    def __str__(self) -> str:
        head = f"{self.service}@{self.env} -> {self.port}"
        if self.pin is not None:
            return f"{head}: pinned by pins[{self.pin!r}]"
        if self.how == "test":
            return f"{head}: handed out by the live test run (STABLEPORT_TEST_PORTS)"
        skipped = self.skipped
        summary = "hashed (its first probe)" if skipped == 0 else f"probed past {skipped} port(s)"
        lines = [f"{head}: {summary}", f"  key: {self.key!r}"]
        lines.extend(
            f"  probe {probe.step:>3}: {probe.port:>5}  {probe.reason}" for probe in self.probes
        )
        return "\n".join(lines)


def explain(resolver: "Resolver", service: str, env: str) -> Explanation:
    """Why service has its port in env (both normalized), as resolver resolved it."""
    handed = resolver.handed(service, env)
    if handed is not None:
        return Explanation(service, env, handed, "test", None, None, ())
    port = resolver.port(service, env)
    pin_key = resolver.pin_key(service, env)
    if pin_key is not None:
        return Explanation(service, env, port, "pinned", format_pin_key(pin_key), None, ())
    declared = resolver.is_declared(service)
    environment = resolver.lane_env(env)  # an instance hashes, matches and holds in its lane
    table_key = resolver.table_key(environment)
    holders = resolver.holders(table_key)
    # Only holders resolved in the same matching as a declared claimant
    # competed with it; every other holder was there before it asked.
    rivals = table_key[0] if declared else frozenset()
    trails = resolver.trails(table_key)
    key = resolver.key(service, environment)
    # A declared pair was resolved by a matching, which kept what it passed over.
    candidates = (
        [*trails.get((service, environment), ()), port]
        if declared
        else probe_sequence(key, *resolver.port_range)
    )
    skips = resolver.skips()
    probes = []
    for rank, candidate in enumerate(candidates):
        if candidate == port:
            probes.append(Probe(rank, candidate, "taken", "free: taken"))
            break
        verdict, reason = skips.get(candidate) or _held(candidate, rank, holders, rivals, trails)
        probes.append(Probe(rank, candidate, verdict, reason))
    how: How = "hashed" if len(probes) == 1 else "probed"
    return Explanation(service, env, port, how, None, key, tuple(probes))


def _held(
    port: int,
    rank: int,
    holders: "Mapping[int, Pair]",
    rivals: "frozenset[str]",
    trails: "Trails",
) -> "tuple[Verdict, str]":
    """Why port, at probe number rank, neither pinned nor excluded, was not taken.

    It is held by exactly one pair (the lookup's own port ended the probes
    before this one). holders: who holds each port in the lookup's table;
    rivals: the environments resolved in the same matching as the one
    explained; trails: that matching's trails.
    """
    service, env = holders[port]
    name, _, number = env.partition(LANE)
    holder = f"{service}@{name}" + (f" of instance {number}" if number else "")
    if env not in rivals:
        return "held", f"held by {holder} (assigned before this lookup)"
    # The holder reached the port it holds after the ports it passed over.
    holder_rank = len(trails.get((service, env), ()))
    if holder_rank == rank:
        why = f"its probe {holder_rank} too, and its key sorts first"
    else:
        why = f"its probe {holder_rank}, earlier than this probe {rank}"
    return "held", f"held by {holder} ({why})"
