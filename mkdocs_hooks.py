"""MkDocs hooks for the site: the home page, the API page, links that leave docs/, and
what the copy button of a console transcript copies."""

import html
import posixpath
import re
from pathlib import Path
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent

# Generated, not kept in docs/: a page of bare ::: directives reads as nothing on
# its own. Ordered by what a reader needs first: the function everyone calls,
# then the map, then the errors to catch, then the constants. Each name is
# listed once; tests/test_site.py checks that the page shows every public name.
API_PAGE = """\
# Python API

Every public name of the `stableport` package, from its docstrings, in the
order you are likely to need them. The examples in them run in the test suite
(`tests/test_docstrings.py`).

## Ports

::: stableport.port_for

::: stableport.load

::: stableport.reload

## The port map

::: stableport.PortMap
    options:
      members: false

::: stableport.PortMap.port_for
    options:
      heading_level: 4

::: stableport.PortMap.assignments
    options:
      heading_level: 4

::: stableport.PortMap.explain
    options:
      heading_level: 4

::: stableport.PortMap.overlay
    options:
      heading_level: 4

::: stableport.PortMap.exclusions_in_force
    options:
      heading_level: 4

::: stableport.PortMap.reserved_ports
    options:
      heading_level: 4

::: stableport.PortMap.services
    options:
      heading_level: 4

::: stableport.PortMap.envs
    options:
      heading_level: 4

::: stableport.PortMap.env
    options:
      heading_level: 4

::: stableport.PortMap.namespace
    options:
      heading_level: 4

::: stableport.PortMap.port_range
    options:
      heading_level: 4

::: stableport.PortMap.exclude
    options:
      heading_level: 4

::: stableport.PortMap.pins
    options:
      heading_level: 4

::: stableport.PortMap.strict
    options:
      heading_level: 4

::: stableport.PortMap.default_exclusions
    options:
      heading_level: 4

::: stableport.PortMap.overlay_envs
    options:
      heading_level: 4

::: stableport.PortMap.config_path
    options:
      heading_level: 4

## Errors

Every error is a `StableportError` and also the builtin it resembles, so
`except ValueError` catches a bad name too.

::: stableport.StableportError

::: stableport.InvalidNameError

::: stableport.InvalidTypeError

::: stableport.ConfigError

::: stableport.UnknownServiceError

::: stableport.PortRangeError

::: stableport.RangeExhaustedError

::: stableport.PinConflictError

::: stableport.AlgorithmVersionError

::: stableport.InstanceError

::: stableport.HashFunctionError

## Constants

::: stableport.DEFAULT_RANGE
    options:
      show_if_no_docstring: true

::: stableport.DEFAULT_ENV
    options:
      show_if_no_docstring: true

::: stableport.ALGORITHM_VERSION
    options:
      show_if_no_docstring: true

::: stableport.__version__
    options:
      show_if_no_docstring: true
"""

# A relative Markdown link (or image) whose target is outside docs/.
LINK = re.compile(r"(\]\()(\.\./[^)#\s]+)")
# In the README (the home page), a relative link: into docs/, or anywhere else.
README_LINK = re.compile(r"(\]\()(?!https?:|#)([^)\s]+)")


class ExampleSections(griffe.Extension):
    """Read a docstring's "Example:" as Google style's "Examples:" section.

    Griffe knows only the plural; the singular became an admonition whose
    doctest lost its prompts and line breaks, all run together.
    """

    def on_object(self, *, obj: griffe.Object, **_: Any) -> None:
        docstring = obj.docstring
        if docstring is not None:
            docstring.value = SINGULAR.sub(r"\1Examples:", docstring.value)


SINGULAR = re.compile(r"^(\s*)Example:$", re.MULTILINE)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """The home page is the README's story; add the generated API page.

    docs/README.md is the documentation's table of contents on GitHub; on the
    site the navigation is that table, so the README takes its place as home.
    """
    contents = files.get_file_from_path("README.md")
    if contents is not None:
        files.remove(contents)
    files.append(File.generated(config, "index.md", content=home_page(config)))
    files.append(File.generated(config, "api.md", content=API_PAGE))
    return files


def home_page(config: MkDocsConfig) -> str:
    """README.md with its links made to work from the site's root."""
    base = f"{config.repo_url.rstrip('/')}/blob/main/"

    def relinked(match: re.Match[str]) -> str:
        target = match[2]
        if target.startswith("docs/") and not target.startswith("docs/README.md"):
            return f"{match[1]}{target.removeprefix('docs/')}"
        return f"{match[1]}{base}{target}"

    return README_LINK.sub(relinked, (ROOT / "README.md").read_text(encoding="utf-8"))


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Links to the repository's files outside docs/ go to the repository instead."""
    base = f"{config.repo_url.rstrip('/')}/blob/main/"
    here = posixpath.dirname(page.file.src_uri)

    def repository(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join("docs", here, match[2]))
        return f"{match[1]}{base}{target}"

    return LINK.sub(repository, markdown)


# A rendered code block: its wrapper's opening tag, then its <pre>.
HIGHLIGHT = re.compile(r'(<div class="highlight"[^>]*)(>\s*<pre\b.*?</pre>)', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
PROMPT = "$ "


def on_page_content(content: str, **_: Any) -> str:
    """A console transcript's copy button copies its commands only: no prompt, no output.

    The theme copies a block's text as shown, `$ ` prompts and every output
    line with it, which a shell then runs as commands. It copies a wrapper's
    data-copy instead, when it has one: the commands, one a line.
    """

    def tagged(match: re.Match[str]) -> str:
        shown = html.unescape(TAG.sub("", match[2].lstrip(">")))
        commands = transcript_commands(shown)
        if commands is None:
            return match[0]
        return f'{match[1]} data-copy="{html.escape(commands, quote=True)}"{match[2]}'

    return HIGHLIGHT.sub(tagged, content)


def transcript_commands(text: str) -> str | None:
    """The commands of a console transcript, one a line; None for any other block.

    A transcript starts with the prompt; a line that starts with it is a
    command, and so is every line after one that ends with a backslash (its
    continuation); the rest is output. As tests/docs_examples.py runs them.
    """
    if not text.startswith(PROMPT):
        return None
    commands: list[str] = []
    continued = False
    for line in text.splitlines():
        if continued:
            commands[-1] += "\n" + line
        elif line.startswith(PROMPT):
            commands.append(line[len(PROMPT) :])
        else:
            continue
        continued = line.endswith("\\")
    return "\n".join(commands)
