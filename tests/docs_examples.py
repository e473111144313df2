"""The docs' examples as Sybil parsers: transcripts run in a shell, Python runs as doctests.

Each document runs top to bottom in a fresh directory of its own:

- a ``console`` block is a transcript: each ``$ command`` runs in bash there,
  and what it prints (stdout and stderr, in order) must be the lines below it;
- a ``python`` block starting with ``>>>`` is a doctest; any other ``python``
  block is executed (it shows no output, but it must run);
- a block (``python``, ``toml``, ``ini``, ``make``, ``yaml``, ``text``, ``bash``, ``hcl``) whose
  first line is a comment naming a file (``# pyproject.toml``) is written to
  that file, as a reader following the document would;
- ``<!-- skip: next "why" -->`` (Sybil's own directive) skips the block after it.

Shown output may use ``...`` for what differs between runs (a pid, a
duration), as in doctest. The document's directory shows as ``/tmp/demo``.

Why Sybil: it lexes Markdown fences and HTML-comment directives and runs
doctests itself, and takes a parser per language, so transcripts need only an
evaluator. pytest-examples checks Python blocks only (output as ``#>``
comments, a different style from doctest), and pytest-markdown-docs runs
Python fences without comparing any output; neither reads a console block.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator, DocTestRunner, OutputChecker
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

import stableport

ROOT = Path(__file__).resolve().parents[1]
# Every document with examples: the README and everything under docs/.
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# How the document's own directory shows in the docs, whatever the real one is.
SHOWN_ROOT = "/tmp/demo"  # noqa: S108 - only a name shown in the docs, never created
# One command may start a server and talk to it, never more.
COMMAND_TIMEOUT = 120

# A first line such as "# pyproject.toml" or "# tests/test_web.py" names a file.
FILE_HEADER = re.compile(
    r"# (?P<name>(?:[\w.-]+/)*"
    r"(?:[\w.-]+\.(?:py|toml|ini|cfg|yaml|env|hcl|service)|Makefile|Procfile|\.envrc"
    r"|post-checkout))\n"
)
PROMPT = "$ "
FLAGS = doctest.ELLIPSIS


@dataclass(frozen=True)
class Comparison:
    """One shown output against what was printed, for the proof that a changed port fails."""

    shown: str
    printed: str
    flags: int


class RecordingChecker(OutputChecker):
    """Sybil's checker (doctest's, trailing whitespace ignored), keeping every comparison."""

    def __init__(self) -> None:
        self.comparisons: list[Comparison] = []
        self.root: str | None = None  # the running document's directory

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if self.root is not None:
            got = got.replace(self.root, SHOWN_ROOT)
        self.comparisons.append(Comparison(want, got, optionflags))
        return super().check_output(want, got, optionflags)

    def verdict(self, comparison: Comparison) -> bool:
        """Whether a comparison passes, without recording it again."""
        return super().check_output(comparison.shown, comparison.printed, comparison.flags)


CHECKER = RecordingChecker()


class RecordingRunner(DocTestRunner):
    """Sybil's doctest runner, comparing through CHECKER."""

    def __init__(self, optionflags: int) -> None:
        # Sybil's own __init__ would make a checker of its own: skip to doctest's.
        doctest.DocTestRunner.__init__(
            self, verbose=False, optionflags=optionflags, checker=CHECKER
        )


class RecordingDocTestEvaluator(DocTestEvaluator):
    def __init__(self, optionflags: int = 0) -> None:
        super().__init__(optionflags)
        self.runner = RecordingRunner(optionflags)


@dataclass
class Workspace:
    """A document's directory, its shell's working directory and the servers it started."""

    root: Path
    cwd: Path
    # Process groups the transcript started, ended when the document is done.
    groups: list[int] = field(default_factory=list)
    # The files or the directory changed since Python last looked.
    stale: bool = True
    # With run_document(rewrite=True): (where, shown, printed) of each drifted transcript.
    rewrites: list[tuple[int, str, str]] | None = None

    @property
    def environment(self) -> dict[str, str]:
        """This interpreter's scripts first; no STABLEPORT_*, no outer pytest-xdist or PORT.

        Nor CI: a reader follows the docs in a shell of their own, where a new
        git worktree is given its instance on first use (CI keeps the plain map).
        """
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("STABLEPORT_", "PYTEST_"))
            and key not in {"PORT", "COLUMNS", "LINES", "CI"}
        }
        scripts = str(Path(sys.executable).parent)
        environment["PATH"] = os.pathsep.join([scripts, environment.get("PATH", os.defpath)])
        return environment

    def shell(self, command: str) -> str:
        """Run one command in bash, from where the previous one left off; what it printed."""
        bash = shutil.which("bash")
        assert bash is not None, "the docs' transcripts need bash"
        with tempfile.TemporaryDirectory() as scratch:
            where = Path(scratch) / "pwd"
            # The working directory outlives the command, as in an interactive shell.
            script = f'{command}\nstatus=$?\npwd -P > "{where}"\nexit $status\n'
            with (Path(scratch) / "out").open("w+b") as out:
                # A file, not a pipe: a server started with & keeps its end open.
                with subprocess.Popen(
                    [bash, "-c", script],
                    cwd=self.cwd,
                    env=self.environment,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ) as process:
                    self.groups.append(process.pid)
                    process.wait(timeout=COMMAND_TIMEOUT)
                out.seek(0)
                printed = out.read().decode()
            if where.exists():
                self.cwd = Path(where.read_text().strip())
        self.stale = True  # the command may have written any file or moved
        return printed.replace(str(self.root), SHOWN_ROOT)

    def close(self) -> None:
        """End every process group a transcript left running (a server started with &)."""
        for group in self.groups:
            # Most groups ended with their command.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)


def workspace(example: Example) -> Workspace:
    found = example.namespace["workspace"]
    assert isinstance(found, Workspace)
    return found


def transcript(source: str) -> list[tuple[str, str]]:
    """A console block as (command, what it printed) pairs."""
    pairs: list[tuple[str, list[str]]] = []
    continued = False
    for line in source.splitlines():
        if continued:
            pairs[-1] = (pairs[-1][0] + "\n" + line, pairs[-1][1])
        elif line.startswith(PROMPT):
            pairs.append((line[len(PROMPT) :], []))
        elif pairs:
            pairs[-1][1].append(line)
        else:
            raise ValueError(
                f"a console block is a transcript and starts with {PROMPT!r}, not {line!r}; "
                "show commands without their output in an sh block"
            )
        continued = line.endswith("\\") and not pairs[-1][1]
    return [(command, "".join(f"{line}\n" for line in shown)) for command, shown in pairs]


def run_transcript(example: Example) -> str | None:
    """Each command's output is the output shown below it, or the failure says how not."""
    space = workspace(example)
    rewritten: list[str] = []
    failure = None
    for command, shown in transcript(example.parsed):
        # Blank lines closing the output are not shown (pytest ends with one).
        printed = space.shell(command).rstrip("\n")
        printed = printed + "\n" if printed else ""
        rewritten.append(f"{PROMPT}{command}\n{printed}")
        if failure is None and not CHECKER.check_output(shown, printed, FLAGS):
            want = doctest.Example(command, shown)
            failure = f"{PROMPT}{command}\n" + CHECKER.output_difference(want, printed, FLAGS)
    if failure is not None and space.rewrites is not None:
        space.rewrites.append((example.region.start, example.parsed, "".join(rewritten)))
        return None
    return failure


def run_document(path: Path, directory: Path, *, rewrite: bool = False) -> list[Comparison]:
    """Run every example of one document in order, in directory; the comparisons made.

    With rewrite, a transcript that prints something else is rewritten in the
    document with what it printed (for a change that moves shown output:
    review the diff), instead of failing.
    """
    document = parse(path)
    space = Workspace(root=directory.resolve(), cwd=directory.resolve())
    space.rewrites = [] if rewrite else None
    document.namespace["workspace"] = space
    CHECKER.comparisons.clear()
    CHECKER.root = str(space.root)
    try:
        for example in document.examples():
            # A block marked <!-- skip: next "why" --> raises SkipTest: on to the next.
            with contextlib.suppress(unittest.SkipTest):
                example.evaluate()
    finally:
        space.close()
    if space.rewrites:
        text = document.text
        for start, old, new in reversed(space.rewrites):
            at = text.index(old, start)
            text = text[:at] + new + text[at + len(old) :]
        path.write_text(text)
    return list(CHECKER.comparisons)


def main(paths: list[str]) -> None:
    """python -m tests.docs_examples FILE.md ...: rewrite the transcripts that drifted."""
    here = Path.cwd()
    for name in paths:
        with tempfile.TemporaryDirectory() as directory:
            run_document(here / name, Path(directory), rewrite=True)
            os.chdir(here)  # Python examples ran in the directory about to go


def write_file(example: Example) -> None:
    """The block is the file its first line names, written where the shell is."""
    name, text = example.parsed
    space = workspace(example)
    path = space.cwd / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    space.stale = True


def in_workspace(evaluate: Callable[[Example], str | None]) -> Callable[[Example], str | None]:
    """Python runs where the shell is, and loads the configuration as it is there now."""

    def evaluate_there(example: Example) -> str | None:
        space = workspace(example)
        if space.stale:
            os.chdir(space.cwd)
            stableport.reload()
            space.stale = False
        return evaluate(example)

    return evaluate_there


def printing_nothing(evaluate: Callable[[Example], None]) -> Callable[[Example], str | None]:
    """A code block shows no output, so it must print none: what it prints would go unchecked."""

    def evaluate_silently(example: Example) -> str | None:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            evaluate(example)
        if out.getvalue():
            return f"this block printed {out.getvalue()!r}: show it as a doctest (>>>)"
        return None

    return evaluate_silently


def file_header(source: str) -> str | None:
    match = FILE_HEADER.match(source)
    return match["name"] if match else None


class PythonParser(PythonCodeBlockParser):
    """Sybil's Python blocks (doctest or code), but a block headed by a file name is a file."""

    def __init__(self, doctest_optionflags: int) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.doctest_parser.evaluator = RecordingDocTestEvaluator(doctest_optionflags)

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in super().__call__(document):
            name = file_header(str(region.parsed)) if region.parsed is not None else None
            if isinstance(region.parsed, str) and name is not None:
                region.parsed = (name, str(region.parsed))
                region.evaluator = write_file
            elif isinstance(region.evaluator, PythonEvaluator):
                region.evaluator = in_workspace(printing_nothing(region.evaluator))
            elif region.evaluator is not None:
                region.evaluator = in_workspace(region.evaluator)
            yield region


class FileParser:
    """Blocks in other languages are shown only, unless their first line names a file."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language=r"toml|ini|make|yaml|text|bash|hcl")

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in self.lexer(document):
            source = str(region.lexemes["source"])
            name = file_header(source)
            if name is not None:
                yield Region(region.start, region.end, (name, source), write_file)


SYBIL = Sybil(
    parsers=[
        CodeBlockParser(language="console", evaluator=run_transcript),
        PythonParser(doctest_optionflags=FLAGS),
        FileParser(),
        SkipParser(),
    ],
    patterns=["*.md"],
)


def parse(path: Path) -> Document:
    return SYBIL.parse(path)


if __name__ == "__main__":
    main(sys.argv[1:])
