"""docs/algorithm.md and the code state the same rules and constants."""

import re
import sys
from pathlib import Path

import stableport
from stableport import _defaults, _hashing, _names

SPEC = (Path(__file__).parent.parent / "docs" / "algorithm.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the section whose heading starts with title, up to the next one."""
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", SPEC, re.MULTILINE | re.DOTALL)
    assert match is not None, title
    return match.group(0)


def ports(text: str) -> set[int]:
    """Every port a list such as '1, 7, 24007..24008 (GlusterFS)' names."""
    found: set[int] = set()
    for low, high in re.findall(r"\b(\d+)(?:\.\.(\d+))?\b", re.sub(r"\([^)]*\)", "", text)):
        found.update(range(int(low), int(high or low) + 1))
    return found


def code_points(text: str) -> set[int]:
    """Every code point a list such as 'U+0009..U+000D, U+0020' names."""
    found: set[int] = set()
    for low, high in re.findall(r"U\+([0-9A-F]{4,6})(?:\.\.U\+([0-9A-F]{4,6}))?", text):
        found.update(range(int(low, 16), int(high or low, 16) + 1))
    return found


def test_the_default_exclusion_list_is_the_codes() -> None:
    text = section("8. Defaults").split("**Default exclusion list**")[1]
    browser, software, tools = (part.split(":", 1)[1] for part in text.split("\n- ")[1:])
    assert ports(browser) == set(_defaults.BROWSER_BLOCKED_PORTS)
    assert len(_defaults.BROWSER_BLOCKED_PORTS) == 82
    others = {
        port
        for low, high, reason in _defaults.DEFAULT_EXCLUSIONS
        if reason != _defaults.BROWSER_BLOCKED_REASON
        for port in range(low, high + 1)
    }
    assert ports(software) | ports(tools) == others


def test_the_constants_are_the_codes() -> None:
    table = section("8. Defaults")
    low, high = _defaults.DEFAULT_RANGE
    assert f"| default range | `{low}..{high}` |" in table
    assert f'| default environment | `"{_defaults.DEFAULT_ENV}"` |' in table
    assert f"| longest name | {_names.MAX_NAME_LENGTH} code points," in table
    assert (
        f"| hashed probes | {_hashing.HASHED_PROBES} (seeds 0..{_hashing.HASHED_PROBES - 1}) |"
        in table
    )
    assert f"| jump multiplier | {_hashing._JUMP_MULTIPLIER} |" in table
    assert "".join(
        re.findall(r"`(.)`", table.split("| reserved characters |")[1].split("\n")[0])
    ) == (_names.RESERVED_CHARACTERS)


def test_the_whitespace_list_is_what_python_strips() -> None:
    rule = next(line for line in section("1. Names").split("\n3. ")[1:]).split("\n4. ")[0]
    listed = code_points(rule.split("U+FEFF and U+180E")[0])
    assert listed == {point for point in range(sys.maxunicode + 1) if chr(point).isspace()}


def test_the_rejected_categories_are_the_codes() -> None:
    rule = section("1. Names").split("\n4. ")[1].split("\n5. ")[0]
    named = set(re.findall(r"`([A-Z][a-z])`", rule))
    assert named == set(_names._FORBIDDEN_CATEGORIES)


def test_every_error_kind_is_in_the_errors_table() -> None:
    table = section("7. Errors")
    kinds = set(re.findall(r"^\| `(\w+Error)` \|", table, re.MULTILINE))
    leaves = {
        name
        for name in stableport.__all__
        if name.endswith("Error") and name not in {"StableportError", "ConfigError"}
    }
    assert kinds == leaves
