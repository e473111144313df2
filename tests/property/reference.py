"""A second implementation of docs/algorithm.md sections 3-6, written from the text alone.

It shares no resolution code with the library: probe sequences, the tables a map
answers from and the matching are each written as the spec words them, for
clarity rather than speed (whole probe sequences, one proposal at a time).
Only what the spec defines elsewhere is taken from a built PortMap: its
normalized inputs (section 1 and 4's validation have their own tests).
"""

from xxhash import xxh3_64_intdigest

from stableport import PortMap, RangeExhaustedError, UnknownServiceError
from stableport._names import normalize_name

Table = dict[tuple[str, str], int]


def jump(key: int, buckets: int) -> int:
    """Section 3's jump consistent hash, in its operation order."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) % 2**64
        j = int(float(b + 1) * (float(2**31) / float((key >> 33) + 1)))
    return b


def probes(key: bytes, low: int, high: int) -> list[int]:
    """The whole probe sequence of key over low..high (section 3)."""
    n = high - low + 1
    sequence: list[int] = []
    for seed in range(16):
        port = low + jump(xxh3_64_intdigest(key, seed), n)
        if port not in sequence:
            sequence.append(port)
    start = jump(xxh3_64_intdigest(key, 0), n)
    for offset in range(1, n):
        port = low + (start + offset) % n
        if port not in sequence:
            sequence.append(port)
    return sequence


class Reference:
    """The answers section 4 gives for pm's inputs: tables resolved as the text says."""

    def __init__(self, pm: PortMap) -> None:
        self.services = set(pm.services)
        self.declared = set(pm.envs or ())
        self.default = pm.env
        self.overlay = set(pm.overlay_envs)
        self.namespace = pm.namespace
        self.strict = pm.strict
        self.low, self.high = pm.port_range
        self.pins = pm.pins
        excluded = {
            port
            for first, last, _ in pm.exclusions_in_force()
            for port in range(max(first, self.low), min(last, self.high) + 1)
        }
        pinned = {port for port in self.pins.values() if self.low <= port <= self.high}
        self.unavailable = excluded | pinned

    def key(self, service: str, env: str) -> bytes:
        space = b"" if self.namespace is None else self.namespace.encode() + b"\x00"
        return b"stableport\x00v1\x00" + space + env.encode() + b"\x00" + service.encode()

    def pin(self, service: str, env: str) -> int | None:
        pin = self.pins.get((service, env))
        return self.pins.get((service, None)) if pin is None else pin

    def resolve(self, envs: set[str], below: Table) -> Table:
        """Section 4's "resolve claimants above a table", matched by section 6."""
        table = dict(below)
        claimants = []
        for env in sorted(envs):
            for service in sorted(self.services):
                pin = self.pin(service, env)
                if pin is None:
                    claimants.append((service, env))
                else:
                    table[service, env] = pin
        held_below = set(below.values())
        open_ports = [
            port
            for port in range(self.low, self.high + 1)
            if port not in self.unavailable and port not in held_below
        ]
        if len(claimants) > len(open_ports):
            raise RangeExhaustedError(f"{len(claimants)} claimants, {len(open_ports)} open ports")
        allowed = set(open_ports)
        wishes = {
            pair: [port for port in probes(self.key(*pair), self.low, self.high) if port in allowed]
            for pair in claimants
        }
        # A port's preference: the claimant for which it has the lower probe number.
        rank = {}
        for pair in claimants:
            sequence = probes(self.key(*pair), self.low, self.high)
            rank[pair] = {port: number for number, port in enumerate(sequence)}
        next_wish = dict.fromkeys(claimants, 0)
        holder: dict[int, tuple[str, str]] = {}
        free = list(claimants)
        while free:
            pair = free.pop()
            port = wishes[pair][next_wish[pair]]
            next_wish[pair] += 1
            rival = holder.get(port)
            if rival is None:
                holder[port] = pair
            elif (rank[pair][port], self.key(*pair)) < (rank[rival][port], self.key(*rival)):
                holder[port] = pair
                free.append(rival)
            else:
                free.append(pair)
        table.update((pair, port) for port, pair in holder.items())
        return table

    def base(self) -> Table:
        return self.resolve(self.declared, {})

    def home(self) -> Table:
        return self.base() if self.declared else self.resolve({self.default}, {})

    def table(self, env: str) -> Table:
        """T(e): the base, the overlay above the home, or the layer of e above the base."""
        if env in self.declared:
            return self.base()
        if env in self.overlay:
            return self.resolve(self.overlay, self.home())
        return self.resolve({env}, self.base())

    def port_for(self, name: str, env: str | None = None) -> int:
        """Section 4's lookup steps, one by one."""
        service = normalize_name(name, "service name")
        environment = self.default if env is None else normalize_name(env, "environment name")
        if self.strict and service not in self.services:
            raise UnknownServiceError(service)
        pin = self.pin(service, environment)
        if pin is not None:
            return pin
        table = self.table(environment)
        if (service, environment) in table:
            return table[service, environment]
        held = set(table.values())
        for port in probes(self.key(service, environment), self.low, self.high):
            if port not in self.unavailable and port not in held:
                return port
        raise RangeExhaustedError(f"no free port for {service!r} in {environment!r}")

    def assignments(self) -> Table:
        """Every declared pair of the home and the overlay (what PortMap.assignments lists)."""
        return self.resolve(self.overlay, self.home()) if self.overlay else self.home()
