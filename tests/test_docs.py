"""Every example in README.md and docs/ runs and prints what the docs show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sybil.example import SybilFailure

from stableport._check import FOREIGN_RANGES
from stableport._defaults import DEFAULT_EXCLUSIONS, DEFAULT_RANGE
from tests.docs_examples import CHECKER, DOCUMENTS, ROOT, Comparison, run_document, transcript

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

# A port as the docs show one: four or five digits standing alone.
PORT = re.compile(r"(?<![\w.])[1-9]\d{3,4}(?![\w.])")
FENCED = re.compile(r"^(`{3,}).*?^\1", re.MULTILINE | re.DOTALL)


def changed(text: str, match: re.Match[str], group: int = 0) -> str:
    """The text with one port (a match, or its group) replaced by the next one."""
    start, end = match.span(group)
    return f"{text[:start]}{int(match[group]) + 1}{text[end:]}"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_example_prints_what_the_docs_show(path: Path, tmp_path: Path) -> None:
    comparisons = run_document(path, tmp_path)
    # Changing any one shown port would fail: every shown output was compared,
    # and no comparison passes with one of its ports changed.
    for comparison in comparisons:
        for match in PORT.finditer(comparison.shown):
            mutated = Comparison(
                changed(comparison.shown, match), comparison.printed, comparison.flags
            )
            assert not CHECKER.verdict(mutated), (path, comparison.shown, match[0])


@pytest.mark.parametrize(
    ("path", "port"),
    [
        ("README.md", "20695"),  # a doctest's output
        ("docs/cli.md", "24236"),  # a transcript's output
    ],
)
def test_a_changed_port_fails_the_document(path: str, port: str, tmp_path: Path) -> None:
    text = (ROOT / path).read_text()
    match = re.search(rf"^{port}$", text, re.MULTILINE)
    assert match is not None, f"{path} no longer shows {port} alone on a line"
    # The document up to the block that shows the port: enough to run it.
    end = text.index("```\n", match.end()) + 4
    copy = tmp_path / Path(path).name
    copy.write_text(changed(text[:end], match))
    with pytest.raises(SybilFailure, match=rf"(?s)Expected:\s+{int(port) + 1}\b.*Got:\s+{port}\b"):
        run_document(copy, tmp_path)


def known_ports() -> set[int]:
    """Ports the docs may name without running anything: the frozen defaults' bounds."""
    bounds = {*DEFAULT_RANGE}
    bounds.update(port for low, high, _ in DEFAULT_EXCLUSIONS for port in (low, high))
    bounds.update(port for _, low, high, _ in FOREIGN_RANGES for port in (low, high))
    return bounds


def unshown_ports(text: str) -> set[str]:
    """Hashed ports a page names in its sentences that none of its blocks shows."""
    blocks = "".join(match[0] for match in FENCED.finditer(text))
    low, high = DEFAULT_RANGE
    return {
        match[0]
        for match in PORT.finditer(FENCED.sub("", text))
        if low <= int(match[0]) <= high
        and int(match[0]) not in known_ports()
        and not re.search(rf"(?<![\w.]){match[0]}(?![\w.])", blocks)
    }


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_port_named_in_prose_is_shown_by_an_example(path: Path) -> None:
    """A port in a sentence is checked through an example of the same page that prints it."""
    assert not unshown_ports(path.read_text()), path


def test_a_changed_port_in_prose_fails() -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text()
    match = re.search(r"^(\d+), not \d+: a port belongs to", text, re.MULTILINE)
    assert match is not None, "docs/tutorial.md no longer quotes the port it prints"
    assert unshown_ports(text) == set()
    assert unshown_ports(changed(text, match, group=1)) == {str(int(match[1]) + 1)}


def test_a_console_block_is_a_transcript() -> None:
    assert transcript("$ stableport web\n28439\n$ true\n") == [
        ("stableport web", "28439\n"),
        ("true", ""),
    ]
    assert transcript("$ echo a \\\n  b\na b\n") == [("echo a \\\n  b", "a b\n")]
    with pytest.raises(ValueError, match="show commands without their output in an sh block"):
        transcript("pip install stableport\n")


def test_a_python_block_that_prints_must_show_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(20695)\n```\n")
    with pytest.raises(SybilFailure, match=r"printed '20695\\n': show it as a doctest"):
        run_document(page, tmp_path)


def test_a_skipped_block_does_not_run_and_files_are_written(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```toml\n# sub/stableport.toml\nservices = ['web']\n```\n\n"
        '<!-- skip: next "fails on purpose" -->\n\n'
        "```console\n$ false\nnever printed\n```\n\n"
        "```console\n$ cd sub && stableport list | head -n 1\n"
        "config: /tmp/demo/sub/stableport.toml\n```\n"
    )
    assert [c.shown for c in run_document(page, tmp_path)] == [
        "config: /tmp/demo/sub/stableport.toml\n"
    ]
