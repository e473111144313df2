"""The loader and the constructor under odd input: a map or a StableportError, nothing else."""

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import stableport
from stableport import PortMap, StableportError
from stableport._files import may_hold_table
from stableport._schema import settings as config_settings

from .profiles import examples
from .strategies import config_keys, odd_values, pin_tables, toml_documents

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

# Each example writes a file or builds maps from nested values: bounded, so the
# whole module stays a few seconds of the suite.
FUZZ = settings(max_examples=examples(120))

ARGUMENTS = (
    "services",
    "envs",
    "env",
    "namespace",
    "port_range",
    "exclude",
    "pins",
    "strict",
    "default_exclusions",
    "algorithm",
)


@FUZZ
@given(toml_documents(), st.sampled_from(["stableport.toml", "pyproject.toml"]))
def test_any_file_loads_as_a_map_or_raises_a_stableport_error(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        with contextlib.suppress(StableportError):
            assert isinstance(stableport.load(path), PortMap)
        # Discovery reads the same file (a pyproject.toml only when it may hold the table).
        cwd = Path.cwd()
        os.chdir(directory)
        try:
            with contextlib.suppress(StableportError):
                assert isinstance(stableport.load(), PortMap)
        finally:
            os.chdir(cwd)


@FUZZ
@given(st.dictionaries(config_keys, odd_values, max_size=4))
def test_any_table_gives_map_arguments_or_raises_a_stableport_error(
    table: dict[str, object],
) -> None:
    with contextlib.suppress(StableportError):
        arguments = config_settings(table, "fuzz.toml", "the top level")
        assert isinstance(PortMap(**arguments), PortMap)


@FUZZ
@given(st.dictionaries(st.sampled_from(ARGUMENTS), odd_values, max_size=4))
def test_the_constructor_accepts_or_raises_a_stableport_error(
    arguments: dict[str, object],
) -> None:
    with contextlib.suppress(StableportError):
        pm = PortMap(**arguments)  # type: ignore[arg-type]
        assert all(isinstance(port, int) for port in pm.assignments().values())


@FUZZ
@given(odd_values)
def test_any_path_argument_loads_or_raises_a_stableport_error(path: object) -> None:
    with contextlib.suppress(StableportError):
        stableport.load(path)  # type: ignore[arg-type]


# -- the quick byte check never decides otherwise than the parser ------------------


def _spelled(text: str, draw: st.DrawFn) -> str:
    """A TOML key for text: bare, literal, or basic with some characters escaped."""
    form = draw(st.sampled_from(["bare", "literal", "basic"]))
    if form == "bare":
        return text
    if form == "literal":
        return f"'{text}'"
    escaped = [
        draw(st.sampled_from([char, f"\\u{ord(char):04x}", f"\\U{ord(char):08X}"])) for char in text
    ]
    return '"' + "".join(escaped) + '"'


@st.composite
def tables_spelled_every_way(draw: st.DrawFn) -> str:
    """A document holding [tool.stableport], its keys spelled any way TOML allows."""
    tool, name = _spelled("tool", draw), _spelled("stableport", draw)
    dot = draw(st.sampled_from([".", " . "]))
    form = draw(st.sampled_from(["table", "subtable", "dotted", "inline", "parent"]))
    body = {
        "table": f'[{tool}{dot}{name}]\nservices = ["web"]\n',
        "subtable": f"[{tool}{dot}{name}{dot}pins]\nweb = 8001\n",
        "dotted": f'{tool}{dot}{name}{dot}services = ["web"]\n',
        "inline": f'{tool} = {{ {name} = {{ services = ["web"] }} }}\n',
        "parent": f'[{tool}]\n{name} = {{ env = "dev" }}\n',
    }[form]
    # The body first: a dotted key under [project] would belong to that table.
    return f'{body}\n[project]\nname = "demo"\n'


@given(tables_spelled_every_way())
def test_the_byte_check_passes_every_document_the_parser_finds_the_table_in(text: str) -> None:
    document = tomllib.loads(text)
    tool = document["tool"]
    assert isinstance(tool, dict)
    assert "stableport" in tool
    assert may_hold_table(text.encode())


def _kind_or_pins(build: "Callable[[], PortMap]") -> object:
    """The map's pins, or the kind of error building it raises (PortMap's own kind)."""
    try:
        return build().pins
    except StableportError as error:
        # The loader wraps PortMap's kind of error in a ConfigError caused by it.
        cause = error.__cause__ if isinstance(error, stableport.ConfigError) else error
        return type(cause).__name__


@FUZZ
@given(pin_tables)
def test_the_loader_and_the_constructor_raise_the_same_kind_for_the_same_pins(
    table: dict[str, object],
) -> None:
    """Entry by entry, as spec section 7 step 5 orders it: the first mistake decides the kind."""
    argument: dict[Any, Any] = {}
    for text, port in table.items():
        service, at, env = text.partition("@")
        argument[(service, env) if at else service] = port
    constructed = _kind_or_pins(lambda: PortMap(pins=argument))
    loaded = _kind_or_pins(
        lambda: PortMap(**config_settings({"pins": table}, "fuzz.toml", "the top level"))
    )
    assert constructed == loaded
