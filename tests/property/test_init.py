"""init on random pyproject.toml files: the file is unchanged, or its old bytes plus a table.

The issue's standing fuzz test: [[tool]] arrays, byte order marks, CRLF, files
near the 4 MiB limit, tables in escaped spellings, invalid TOML and bytes that
are no UTF-8. Whatever the file, init either refuses with a StableportError and
leaves the directory exactly as it was, or appends a table the loader reads
back as written, after every old byte.
"""

import tempfile
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

import stableport
from stableport import StableportError
from stableport._files import MAX_CONFIG_BYTES
from stableport._init import init

from .profiles import examples
from .strategies import simple_names

# A project table, or none...
PROJECTS = st.sampled_from(
    [
        b"",
        b'[project]\nname = "shop"\nversion = "1.0"\n',
        b"[project]\nname = 'a b'\n",
        b"[project]\nname = 12\n",
    ]
)

# ...pieces real pyproject.toml files are made of...
PIECES = st.sampled_from(
    [
        b"[[tool.black]]\nx = 1\n",
        b"[tool.black]\nline-length = 99\n",
        b"[tool.ruff]\n[tool.ruff.lint]\nselect = ['E']\n",
        b"# a comment\n",
        b"\n",
        b'x = """\nmultiline\n"""\n',
    ]
)

# ...and those that trip a writer.
TRAPS = st.sampled_from(
    [
        b"[[tool]]\nname = 'first'\n",
        b"tool = { black = { line-length = 99 } }\n",
        b"tool = 1\n",
        b"[tool]\nstableport = 1\n",
        b"[tool.stableport]\nservices = []\n",
        b'[tool."\\u0073tableport"]\n',
        b'[project]\nname = ""\n',
        b"[project\n",
        b"key = 'unterminated\n",
        b"\xff\xfe not utf-8\n",
    ]
)


@st.composite
def pyproject_files(draw: st.DrawFn) -> bytes:
    """A pyproject.toml's bytes: pieces, then maybe a BOM, CRLF and padding to near the limit."""
    pieces = [draw(PROJECTS), *draw(st.lists(PIECES, max_size=5, unique=True))]
    if draw(st.integers(0, 2)) == 0:
        pieces.insert(draw(st.integers(0, len(pieces))), draw(TRAPS))
    if draw(st.booleans()):
        pieces.append(b"[build-system]\nrequires = ['hatchling']")  # no final newline
    data = b"".join(pieces)
    if draw(st.integers(0, 5)) == 0:
        data += draw(st.binary(max_size=8))
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.integers(0, 7)) == 0:
        # Close enough to MAX_CONFIG_BYTES that the table may or may not fit.
        size = MAX_CONFIG_BYTES - draw(st.integers(-16, 400))
        data = b"# " + b"x" * max(0, size - len(data) - 3) + b"\n" + data
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@settings(max_examples=examples(60))
@given(
    original=pyproject_files(),
    services=st.lists(simple_names, max_size=3, unique_by=str.casefold),
    namespace=st.one_of(st.none(), simple_names),
)
def test_init_leaves_the_file_alone_or_appends_one_readable_table(
    original: bytes, services: list[str], namespace: str | None
) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name) / "project"
        directory.mkdir()
        pyproject = directory / "pyproject.toml"
        pyproject.write_bytes(original)
        try:
            written = init(directory, services, namespace=namespace)
        except StableportError as error:
            event(f"refused: {type(error).__name__}")
            assert pyproject.read_bytes() == original
            assert [path.name for path in directory.iterdir()] == ["pyproject.toml"]
            return
        event("appended")
        data = pyproject.read_bytes()
        assert written.path == pyproject
        assert data.startswith(original)
        addition = data[len(original) :].replace(b"\r\n", b"\n").lstrip(b"\n")
        assert addition == written.text.encode()
        pm = stableport.load(pyproject)
        assert set(pm.services) == {service.casefold() for service in services}
        if namespace is not None:
            assert pm.namespace == namespace.casefold()
