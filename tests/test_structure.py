"""The code's shape, held: one home per concept, reached through what it offers."""

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest

from stableport import PortMap
from stableport._cli.commands import COMMANDS
from stableport._definition import Definition

SOURCE = Path(__file__).resolve().parent.parent / "src"


def modules() -> dict[str, Path]:
    """Every module we ship, by its dotted name (a package's modules too)."""
    package = SOURCE / "stableport"
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    found.update({path.stem: path for path in SOURCE.glob("_stableport_*.py")})
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ours path imports, anywhere in it: under TYPE_CHECKING, in functions."""
    parts = path.relative_to(SOURCE).with_suffix("").parts
    # The package a relative import starts from: the module's own.
    here = list(parts if parts[-1] == "__init__" else parts[:-1])
    if here and here[-1] == "__init__":
        here.pop()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = str(node.module)
            # `from . import _x` names a module; `from .pkg import mod` a package and a module.
            named = [f"{base}.{alias.name}" for alias in node.names]
            candidates = named if node.module is None else [base, *named]
            found.update(name for name in candidates if name in known)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
    return found


def test_no_module_imports_itself_through_others() -> None:
    # An import circle, even one only the type checker follows, means two
    # modules share one concept: split it out, or pass what one needs.
    known = modules()
    graph = {name: imports(path, set(known)) - {name} for name, path in known.items()}
    # The parser imports each command's module by the name COMMANDS gives it
    # (__import__), which no import statement shows: an edge all the same.
    graph["stableport._cli.argparser"] |= {
        f"stableport._cli.commands.{module}" for _, module in COMMANDS.values()
    }
    circles = []
    for start, first in graph.items():
        path = [start]  # a depth-first walk from start, looking for start again
        stack = [iter(sorted(first))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                path.pop()
            elif step == start:
                circles.append([*path, start])
            elif step not in path:
                path.append(step)
                stack.append(iter(sorted(graph[step])))
    assert circles == []
    # The check sees real edges: the package's API module imports the map.
    assert "stableport._portmap" in graph["stableport._api"]
    assert "stableport._cli.commands.instance" in graph["stableport._cli.argparser"]
    assert all(f"stableport._cli.commands.{module}" in known for _, module in COMMANDS.values())


def test_no_module_reads_another_ones_private_state() -> None:
    # What a module needs from another is part of what that one offers.
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in modules().values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "SLF001" in line
    ]
    assert offenders == []


# A silenced PLC0415 (an import inside a function) and what follows its codes.
NOQA_DEFERRED = re.compile(r"#\s*noqa:\s*(?:[A-Z]+[0-9]+,\s*)*PLC0415(?:,\s*[A-Z]+[0-9]+)*(.*)")


def deferred_imports(text: str) -> list[tuple[int, str, str]]:
    """Each deferred import's line number, its reason after the codes, and the line above it."""
    lines = text.splitlines()
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        match = NOQA_DEFERRED.search(token.string) if token.type == tokenize.COMMENT else None
        if match is not None:
            number = token.start[0]
            above = lines[number - 2].strip() if number > 1 else ""
            found.append((number, match.group(1).strip(" -"), above))
    return found


def test_every_deferred_import_says_why() -> None:
    # An import kept inside a function keeps a module off some path: a start-up
    # (`import stableport`, `stableport NAME`), a platform, a branch that alone
    # needs something heavy, an import circle. Which, is said after the noqa's
    # codes (`- Windows only`) or in a comment line just above;
    # without it, the next reader cannot tell whether it may move to the top.
    deferred = {
        f"{path.relative_to(SOURCE)}:{number}": (reason, above)
        for path in modules().values()
        for number, reason, above in deferred_imports(path.read_text(encoding="utf-8"))
    }
    unexplained = [
        where
        for where, (reason, above) in deferred.items()
        if not reason and not above.startswith("#")
    ]
    assert unexplained == []
    # The check reads real comments: the package has deferred imports, each one found.
    assert len(deferred) > 50
    assert deferred_imports("def f():\n    import json  # noqa: PLC0415\n") == [(2, "", "def f():")]
    assert deferred_imports("# why\nimport a  # noqa: F401, PLC0415 - only here\n") == [
        (2, "only here", "# why")
    ]


def test_a_map_holds_its_definition_and_its_resolver_only() -> None:
    # What a map is lives in one value, its Definition; everything derived from
    # it (tables, caches, lanes) in its Resolver; config_path is where it was
    # read, no part of what it is. Equality, hashing, pickling and overlay()
    # deal with the definition as a whole, never field by field.
    assert set(PortMap.__slots__) == {"_config_path", "_definition", "_resolver"}


def test_a_new_map_argument_is_a_field_of_the_definition() -> None:
    # Every argument of PortMap but the algorithm (checked, never varied) and
    # config_path is a field of the definition, under its own name; the
    # definition's other fields are what overlay() and the loader set.
    arguments = set(inspect.signature(PortMap).parameters)
    assert arguments - {"algorithm", "config_path"} == set(Definition.__slots__) - {
        "overlay",
        "test_ports",
    }


# -- layers ------------------------------------------------------------------------

# Which module may import which: each layer only from its own and those below
# it, never upward. A module (or a package: its name covers every module in
# it) belongs to exactly one layer; a new one is placed here when it lands.
LAYERS: list[tuple[str, set[str]]] = [
    # Values, checks and leaf helpers, knowing nothing of maps, files or processes.
    (
        "base",
        {
            "_errors", "_defaults", "_version", "_names", "_port_numbers", "_pins", "_hashing",
            "_matching", "_appending", "_checkouts", "_os_ports", "_winlocks", "_hosting",
            "_stderr",
        },
    ),
    # What a map is and what it resolves to.
    ("map", {"_definition", "_resolver", "_explain", "_portmap"}),
    # What a checkout holds: its configuration file and what its keys mean, its
    # identity, a test run's variables.
    ("checkout", {"_files", "_schema", "_identity", "_test_run"}),
    # Processes and what they hold: locks, claims, live checks, the pick of an instance,
    # a test process's lease and the ports handed out under it.
    ("process", {"_lockfile", "_claims", "_port_status", "_assign", "_leasing", "_lease_holder"}),
    # The library's own entry: load() and the module-level port_for.
    ("loader", {"_config", "_api", "stableport"}),
    # The command line and the checks and formats its commands are made of.
    (
        "commands",
        {
            "_cli", "_hints", "_export", "_export_check", "_exported", "_dotenv",
            "_scan", "_scan_check", "_check", "_fixture",
        },
    ),
    # What Python, pytest and the console script call.
    ("entry points", {"__main__", "_stableport_cli", "_stableport_pytest"}),
]  # fmt: skip


def layer(module: str) -> int:
    """The layer of module: of its own name, else of the package it is in."""
    name = module.removeprefix("stableport.") if module != "stableport" else module
    for rank, (_, members) in enumerate(LAYERS):
        parts = name.split(".")
        if any(".".join(parts[:end]) in members for end in range(len(parts), 0, -1)):
            return rank
    raise AssertionError(f"{module} is in no layer: place it in LAYERS")


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    known = modules()
    upward = [
        f"{name} ({LAYERS[layer(name)][0]}) imports {target} ({LAYERS[layer(target)][0]})"
        for name, path in sorted(known.items())
        for target in sorted(imports(path, set(known)) - {name})
        if layer(target) > layer(name)
    ]
    assert upward == []
    # The check sees real edges across layers, and every module is placed once.
    assert layer("stableport._portmap") < layer("stableport._config") < layer("stableport._cli")
    placed = [module for _, members in LAYERS for module in members]
    assert len(placed) == len(set(placed))


def test_an_upward_import_is_caught() -> None:
    # The check itself: an import of a command from the loader is an upward one.
    assert layer("stableport._cli.commands.list") > layer("stableport._config")
    assert layer("stableport._cli.commands.list") == layer("stableport._cli")
    with pytest.raises(AssertionError, match="in no layer"):
        layer("stableport._nowhere")
