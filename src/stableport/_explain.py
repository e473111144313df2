"""The story of one port: each probe, and why it was skipped or taken."""

from typing import Literal, NamedTuple

# How a port was found: its pin, its first probe, or a later probe.
How = Literal["pinned", "hashed", "probed"]
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
    the key bytes that were hashed in key, and pin is None.

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
        skipped = self.skipped
        summary = "hashed (its first probe)" if skipped == 0 else f"probed past {skipped} port(s)"
        lines = [f"{head}: {summary}", f"  key: {self.key!r}"]
        lines.extend(
            f"  probe {probe.step:>3}: {probe.port:>5}  {probe.reason}" for probe in self.probes
        )
        return "\n".join(lines)
