"""The code's shape, held: one home per concept, reached through what it offers."""

import ast
from pathlib import Path

from stableport import PortMap
from stableport._commands import COMMANDS

SOURCE = Path(__file__).resolve().parent.parent / "src"


def modules() -> dict[str, Path]:
    """Every module we ship, by its dotted name."""
    found = {f"stableport.{path.stem}": path for path in (SOURCE / "stableport").glob("*.py")}
    found.update({path.stem: path for path in SOURCE.glob("_stableport_*.py")})
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ours path imports, anywhere in it: under TYPE_CHECKING, in functions."""
    package = "stableport"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = f"{package}.{node.module}" if node.level else node.module
            if node.level and node.module is None:
                candidates = [f"{package}.{alias.name}" for alias in node.names]
            else:
                candidates = [str(base)]
            found.update(name for name in candidates if name in known)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
    return found


def test_no_module_imports_itself_through_others() -> None:
    # An import circle, even one only the type checker follows, means two
    # modules share one concept: split it out, or pass what one needs.
    known = modules()
    graph = {name: imports(path, set(known)) - {name} for name, path in known.items()}
    # _parser imports each command's module by the name COMMANDS gives it
    # (__import__), which no import statement shows: an edge all the same.
    graph["stableport._parser"] |= {f"stableport.{module}" for _, module in COMMANDS.values()}
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
    assert "stableport._instances" in graph["stableport._parser"]
    assert all(f"stableport.{module}" in known for _, module in COMMANDS.values())


def test_no_module_reads_another_ones_private_state() -> None:
    # What a module needs from another is part of what that one offers.
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in modules().values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "SLF001" in line
    ]
    assert offenders == []


def test_a_map_holds_its_definition_and_its_resolver_only() -> None:
    # Everything derived from a map (tables, caches, lanes) lives in its
    # Resolver, so that overlay() and equality deal with the definition alone.
    # A new slot here is a new part of the definition: add it to __eq__,
    # __hash__, __repr__ and overlay() too, or put it in the Resolver.
    definition = {
        "_config_path",
        "_declared_envs",
        "_default_exclusions",
        "_env",
        "_exclude",
        "_instance",
        "_instances",
        "_namespace",
        "_overlay",
        "_pins",
        "_range",
        "_services",
        "_strict",
        "_test_ports",  # a live test run's ports, in the map load() gives its processes
    }
    assert set(PortMap.__slots__) == {*definition, "_resolver"}
