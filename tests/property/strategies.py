"""Shared hypothesis strategies: valid names, small crowded maps, arbitrary junk."""

from hypothesis import strategies as st

from stableport import PortMap
from stableport._names import MAX_NAME_LENGTH, RESERVED_CHARACTERS

# Printable letters, digits, punctuation and symbols from all of Unicode, minus
# the reserved characters: the alphabet a real service name is drawn from.
name_characters = st.characters(
    categories=["L", "M", "N", "P", "S", "Zs"],
    exclude_characters=RESERVED_CHARACTERS,
)

valid_names = (
    st.text(name_characters, min_size=1, max_size=24)
    .map(str.strip)
    .filter(lambda name: len(name) > 0 and len(name.casefold()) <= MAX_NAME_LENGTH)
)

# Short ASCII names collide often after casefolding, so build distinct sets from
# a case-insensitive view.
simple_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12)

service_sets = st.lists(simple_names, min_size=1, max_size=30, unique_by=str.casefold)
# A map's namespace: absent (the shared key space) or a name.
namespaces = st.one_of(st.none(), simple_names)

env_sets = st.lists(st.sampled_from(["dev", "test", "ci", "stage", "qa"]), unique=True, max_size=3)


@st.composite
def small_ranges(draw: st.DrawFn) -> tuple[int, int]:
    """A range of 40-400 ports somewhere in the default band: crowded enough to collide."""
    low = draw(st.integers(20000, 29000))
    return low, low + draw(st.integers(40, 400))


@st.composite
def exclusions_in(draw: st.DrawFn, port_range: tuple[int, int]) -> list[int | tuple[int, int]]:
    """A few single ports and short ranges inside port_range."""
    low, high = port_range
    singles = draw(st.lists(st.integers(low, high), max_size=4))
    spans = draw(
        st.lists(st.integers(low, high - 5).map(lambda start: (start, start + 3)), max_size=2)
    )
    return [*singles, *spans]


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=200),
    st.binary(max_size=10),
    st.lists(st.integers(-5, 70000), max_size=3),
    st.tuples(st.integers(-5, 70000), st.integers(-5, 70000)),
    st.dictionaries(st.text(max_size=5), st.integers(-5, 70000), max_size=3),
)


@st.composite
def crowded_maps(draw: st.DrawFn) -> dict[str, object]:
    """Arguments for a map whose services crowd a small range, with envs, exclusions, pins.

    The range holds every declared pair, one undeclared environment's layer and
    some spare ports, but is small enough that probes collide often.
    """
    services = draw(service_sets)
    envs = draw(env_sets)
    claimants = len(services) * (len(envs) + 1)
    low = draw(st.integers(20000, 29000))
    port_range = (low, low + claimants + 20 + draw(st.integers(0, 3 * claimants)))
    pinned = draw(st.lists(st.sampled_from(services), unique=True, max_size=3))
    pin_ports = draw(
        st.lists(st.integers(*port_range), min_size=len(pinned), max_size=len(pinned), unique=True)
    )
    return {
        "services": services,
        "envs": envs or None,
        "port_range": port_range,
        "exclude": draw(exclusions_in(port_range)),
        "pins": dict(zip(pinned, pin_ports, strict=True)),
        "default_exclusions": draw(st.booleans()),
        "namespace": draw(namespaces),
    }


def build(arguments: dict[str, object]) -> PortMap:
    """The map a crowded_maps() draw describes."""
    return PortMap(**arguments)  # type: ignore[arg-type]


# -- odd inputs for the loader and the constructor ------------------------------


def nested(depth: int, leaf: object = 1) -> object:
    """leaf inside depth lists, built without recursion: [[[...leaf...]]]."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# Scalars of every kind a caller or a decoder can produce, including the odd
# ones: huge integers, NaN, lone surrogates, NUL, bytes, exact numbers equal to 1.
odd_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**5000), 10**5000),
    st.integers(-5, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "\ud800", "a\udcff", "a\x00b", "@", "=", "a,b", "x" * 300]),
    st.binary(max_size=10),
    st.fractions(max_denominator=3),
    st.decimals(allow_nan=True),
    st.complex_numbers(allow_nan=True),
)

# Scalars inside lists, tuples and tables, a few levels deep, or one lone value
# buried hundreds to thousands of levels down.
odd_values = st.one_of(
    st.recursive(
        odd_scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.tuples(inner, inner),
            st.dictionaries(st.text(max_size=8), inner, max_size=4),
        ),
        max_leaves=12,
    ),
    st.integers(0, 3000).map(nested),
)

# A table's keys: every key the loader knows, and some it does not.
config_keys = st.one_of(
    st.sampled_from(
        [
            "services",
            "range",
            "env",
            "envs",
            "namespace",
            "exclude",
            "pins",
            "strict",
            "default_exclusions",
            "algorithm",
        ]
    ),
    st.text(max_size=12),
)


def _toml_value(depth: int, leaf: str) -> str:
    """A TOML value nested depth levels deep, arrays and inline tables alternating."""
    opening = "".join("[" if level % 2 else "{a = " for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return opening + leaf + closing


toml_leaves = st.sampled_from(
    ['"web"', "8001", "1", "true", "[20000, 29999]", "[[1, 2]]", "{ web = 8001 }", "1.5", "''"]
)


@st.composite
def toml_documents(draw: st.DrawFn) -> bytes:
    """Bytes a configuration file could hold: TOML-like lines, odd nesting and odd bytes."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["pair", "header", "deep", "raw"]))
        if kind == "pair":
            key = draw(config_keys.map(lambda key: f'"{key}"' if key else '""'))
            lines.append(f"{key} = {draw(toml_leaves)}")
        elif kind == "header":
            lines.append(
                draw(st.sampled_from(["[tool.stableport]", "[pins]", "[tool.other]", "[[x]]"]))
            )
        elif kind == "deep":
            depth = draw(st.one_of(st.integers(0, 40), st.integers(200, 2000)))
            lines.append(
                f"{draw(config_keys.filter(str.isidentifier) | st.just('x'))} = "
                f"{_toml_value(depth, draw(toml_leaves))}"
            )
        else:
            lines.append(draw(st.text(max_size=40)))
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff", b"\x00", b"stableport\n"]))
    return prefix + data + draw(st.binary(max_size=8))


# Pin keys as a file writes them ('service' or 'service@env'), good and bad:
# names that normalize alike, empty parts, an invisible character, two '@'.
pin_texts = st.one_of(
    st.sampled_from(
        ["a", "A", "b", "b@dev", "B@Dev", "@dev", "b@", "a@b@c", "b\u200b", "c@te\u00ad"]
    ),
    simple_names,
    st.builds("{}@{}".format, simple_names, st.sampled_from(["dev", "test", "DEV"])),
)
# Ports that are taken twice, out of range, or no int at all.
pin_ports = st.one_of(
    st.sampled_from([8001, 8002, 0, 70000, -1]),
    st.integers(1, 65535),
    st.sampled_from(["8001", 8001.0, True, None]),
)
# Several entries, so a later entry's mistake can follow an earlier one's.
pin_tables = st.dictionaries(pin_texts, pin_ports, min_size=1, max_size=5)
