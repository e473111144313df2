"""The v1 probe sequence: key bytes, xxh3_64 probes, jump consistent hash."""

from xxhash import xxh3_64_intdigest

from ._errors import HashFunctionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# Hashed probes before the sequence falls back to a linear walk. Enough that a
# half-full range almost never reaches the walk, few enough to bound the work.
HASHED_PROBES = 16

KEY_PREFIX = b"stableport\x00v1\x00"
_MASK64 = (1 << 64) - 1
_JUMP_MULTIPLIER = 2862933555777941757


# The check values of docs/algorithm.md section 3: xxh3_64 of the key of billing
# in default, with seeds 0 and 1. XXH3's output only became stable in xxHash
# 0.8.0, and python-xxhash can be built against an older system library.
CHECK_KEY = b"stableport\x00v1\x00default\x00billing"
CHECK_DIGESTS = ((0, 0xFF1587E723A1DBC6), (1, 0x54B818974E6A5773))

_verified = False


def verify_hash() -> None:
    """Raise HashFunctionError, once per process, unless xxh3_64 gives the spec's values."""
    global _verified  # noqa: PLW0603 - one check per process, whichever map comes first
    if _verified:
        return
    for seed, expected in CHECK_DIGESTS:
        actual = xxh3_64_intdigest(CHECK_KEY, seed)
        if actual != expected:
            import xxhash  # noqa: PLC0415 - only to name the version in the error

            raise HashFunctionError(
                f"xxhash {xxhash.VERSION} (xxHash library {xxhash.XXHASH_VERSION}) gives "
                f"xxh3_64({CHECK_KEY!r}, seed={seed}) = {actual:#018x}, but stableport's v1 "
                f"algorithm needs {expected:#018x}; install python-xxhash 3 or 4 built "
                f"with xxHash 0.8.0 or newer"
            )
    _verified = True


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


def first_probe(key: bytes, low: int, high: int) -> int:
    """The port key prefers most in [low, high]: the first of its probe sequence."""
    return low + jump_hash(xxh3_64_intdigest(key, 0), high - low + 1)


def probe_sequence(key: bytes, low: int, high: int) -> "Iterator[int]":
    """Every port of [low, high] exactly once, in this key's order of preference."""
    first = first_probe(key, low, high)
    yield first
    yield from later_probes(key, low, high, first)


def later_probes(key: bytes, low: int, high: int, first: int) -> "Iterator[int]":
    """key's probe sequence after its first probe, which is first (see first_probe)."""
    # A separate generator so that the matching makes one only for a claimant
    # turned away from its first probe: most keep theirs and never need it.
    size = high - low + 1
    start = first - low
    seen = {first}
    for seed in range(1, HASHED_PROBES):
        port = low + jump_hash(xxh3_64_intdigest(key, seed), size)
        if port not in seen:
            seen.add(port)
            yield port
    # Linear walk upward from the first probe, wrapping, so every port comes up.
    for offset in range(1, size):
        port = low + (start + offset) % size
        if port not in seen:
            yield port
