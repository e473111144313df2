"""The story of one port: each probe, and why it was skipped or taken."""

from typing import NamedTuple


class Probe(NamedTuple):
    """One step of a probe sequence."""

    step: int  # the position in the probe sequence, from 0
    port: int
    verdict: str  # "taken", "excluded", "pinned" or "held"
    reason: str


class Explanation(NamedTuple):
    """Why a (service, env) has its port."""

    service: str
    env: str
    port: int
    how: str  # "pinned", "hashed" (first probe) or "probed" (a later one)
    source: str  # the pin's key when pinned, else the hex key bytes that were hashed
    probes: tuple[Probe, ...]

    @property
    def skipped(self) -> int:
        """How many probes were passed over before the port (0 when hashed or pinned)."""
        return max(len(self.probes) - 1, 0)

    @property
    def key(self) -> bytes | None:
        """The key bytes that were hashed; None when pinned."""
        return None if self.how == "pinned" else bytes.fromhex(self.source)

    def __str__(self) -> str:
        head = f"{self.service}@{self.env} -> {self.port}"
        if self.how == "pinned":
            return f"{head}: pinned by pins[{self.source!r}]"
        skipped = self.skipped
        summary = "hashed (its first probe)" if skipped == 0 else f"probed past {skipped} port(s)"
        lines = [f"{head}: {summary}", f"  key: {self.key!r}"]
        lines.extend(
            f"  probe {probe.step:>3}: {probe.port:>5}  {probe.reason}" for probe in self.probes
        )
        return "\n".join(lines)
