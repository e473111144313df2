"""The v1 probe sequence: key bytes, xxh3_64 probes, jump consistent hash."""

from xxhash import xxh3_64_intdigest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# Hashed probes before the sequence falls back to a linear walk. Enough that a
# half-full range almost never reaches the walk, few enough to bound the work.
HASHED_PROBES = 16

KEY_PREFIX = b"stableport\x00v1\x00"
_MASK64 = (1 << 64) - 1
_JUMP_MULTIPLIER = 2862933555777941757


def key_prefix(namespace: str | None) -> bytes:
    """The bytes every key of a map starts with: its normalized namespace joins them."""
    # Without a namespace the prefix is the one v1 always had, so no landed port
    # moves; with one the key holds four NULs instead of three, so a namespaced
    # key never equals an unnamespaced one.
    return KEY_PREFIX if namespace is None else KEY_PREFIX + namespace.encode() + b"\x00"


def key_bytes(service: str, env: str, prefix: bytes = KEY_PREFIX) -> bytes:
    """The bytes a (normalized service, normalized env) pair hashes as, after prefix."""
    # NUL cannot occur in a valid name, so the encoding is unambiguous.
    return prefix + env.encode() + b"\x00" + service.encode()


def jump_hash(key: int, buckets: int) -> int:
    """Jump consistent hash (Lamping & Veach 2014): a bucket in [0, buckets)."""
    bucket, candidate = -1, 0
    while candidate < buckets:
        bucket = candidate
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK64
        # Same operation order as the paper's C code, so IEEE doubles agree.
        candidate = int((bucket + 1) * (2147483648.0 / ((key >> 33) + 1)))
    return bucket


def probe_sequence(key: bytes, low: int, high: int) -> "Iterator[int]":
    """Every port of [low, high] exactly once, in this key's order of preference."""
    size = high - low + 1
    seen: set[int] = set()
    start = 0
    for seed in range(HASHED_PROBES):
        bucket = jump_hash(xxh3_64_intdigest(key, seed), size)
        if seed == 0:
            start = bucket
        port = low + bucket
        if port not in seen:
            seen.add(port)
            yield port
    # Linear walk upward from the first probe, wrapping, so every port comes up.
    for offset in range(1, size):
        port = low + (start + offset) % size
        if port not in seen:
            yield port
