"""MkDocs hooks for the site: the API page, and links that leave docs/."""

import posixpath
import re
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# Generated, not kept in docs/: a page of bare ::: directives reads as nothing on
# its own. Every public name of the package (private ones filtered); the constants
# (DEFAULT_RANGE and the others) have no docstring of their own but are shown.
API_PAGE = """\
# Python API

Every public name of the `stableport` package, from its docstrings. The
examples in them run in the test suite (`tests/test_docstrings.py`).

::: stableport
    options:
      show_root_heading: false
      filters: ["!^_"]
      show_if_no_docstring: true
"""

# A relative Markdown link (or image) whose target is outside docs/.
LINK = re.compile(r"(\]\()(\.\./[^)#\s]+)")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated API page."""
    files.append(File.generated(config, "api.md", content=API_PAGE))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Links to the repository's files outside docs/ go to the repository instead."""
    base = f"{config.repo_url.rstrip('/')}/blob/main/"
    here = posixpath.dirname(page.file.src_uri)

    def repository(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join("docs", here, match[2]))
        return f"{match[1]}{base}{target}"

    return LINK.sub(repository, markdown)
