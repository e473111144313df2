"""Python and the JavaScript package give the same answer to every configuration question.

Random configuration trees (a stableport.toml or a pyproject.toml, here or
above the working directory, any key with good and bad values, raw bytes),
STABLEPORT_* variables, the command line's flags and instances: the Python
library (tests/vectors/reference.py, the code the config layer runs) and one
long-lived Node process running the package (js/conformance.js) must load the
same map or fail with the same kind of error, and give the same port or error
kind for every declared and undeclared lookup.
"""

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vectors import reference, runner

from .profiles import examples
from .strategies import simple_names, toml_documents

JS = Path(__file__).parent.parent.parent / "js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules").is_dir(),
    reason="needs node and `npm ci` in js/ (.ci/run)",
)


class Node:
    """One Node process speaking the conformance protocol, asked one request at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", str(JS / "conformance.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.asked = 0

    def ask(self, request: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        self.asked += 1
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    process = Node()
    yield process
    # One process answered every example: it was not restarted per lookup.
    assert process.asked > 0
    process.close()


@pytest.fixture(scope="module")
def trees() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stableport-agree-") as directory:
        yield Path(directory).resolve()


# Names as written in a file, a variable or a lookup: plain, folded alike,
# NFC-sensitive, reserved, invisible, too long, empty.
HOSTILE = [
    "web", "Web", "WEB", "api", "worker", "straße", "STRASSE", "ﬁ", "FI", "ΣΑΣ", "σας",
    "café", "cafe\u0301", "\U0001f600", "Ǆ", "db.main", "8080", "a@b", "a=b", "a,b", "",
    " web", "web ", "x" * 129, "a\u200bb", "a\tb", "te\u00adst",
]  # fmt: skip
names = st.one_of(st.sampled_from(HOSTILE), simple_names)
ports = st.one_of(
    st.sampled_from([8001, 8002, 21000, 21001, 0, 70000, -1, 10**20]),
    st.integers(20000, 29999),
)
odd = st.sampled_from([1, 1.0, 1.5, True, "x", [1], {"a": 1}, [], ""])


def maybe_odd(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """values, or now and then a value of another TOML type."""
    return st.one_of(values, values, values, odd)


KEY_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "services": maybe_odd(st.lists(names, max_size=5)),
    "envs": maybe_odd(st.lists(st.sampled_from(["dev", "test", "Dev", "ci", "a@b"]), max_size=3)),
    "env": maybe_odd(st.sampled_from(["dev", "test", "Staging", "", "a=b"])),
    "namespace": maybe_odd(st.sampled_from(["shop", "Blog", "sh\u200bop", " x"])),
    "range": maybe_odd(
        st.sampled_from(
            [[20000, 29999], [21000, 21009], [21000, 21002], [0, 10], [30000, 20000], [1.0, 9]]
        )
    ),
    "exclude": maybe_odd(st.lists(st.one_of(ports, st.tuples(ports, ports).map(list)), max_size=3)),
    "pins": maybe_odd(
        st.dictionaries(
            st.one_of(
                names, st.builds("{}@{}".format, names, st.sampled_from(["dev", "test", ""]))
            ),
            st.one_of(ports, st.sampled_from([8001.0, "8001", True])),
            max_size=3,
        )
    ),
    "strict": maybe_odd(st.booleans()),
    "default_exclusions": maybe_odd(st.booleans()),
    "algorithm": st.sampled_from([1, 1, 1, 2, 1.0]),
    "instances": maybe_odd(st.sampled_from([0, 1, 2, 3, 1001, -1])),
    "servics": st.just(["web"]),  # an unknown key
}


def toml_string(text: str) -> str:
    """A TOML basic string: escapes for the quote, the backslash and the controls."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    """A case of the config layer's shape: files, cwd, variables, flags and lookups."""
    chosen = draw(st.lists(st.sampled_from(sorted(KEY_VALUES)), unique=True, max_size=6))
    table: dict[str, Any] = {key: draw(KEY_VALUES[key]) for key in chosen}
    body = "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in table.items())
    files: dict[str, Any] = {"a/b/.keep": ""}
    where = draw(st.sampled_from(["", "a/", "a/b/"]))
    kind = draw(st.sampled_from(["stableport.toml", "pyproject.toml", "raw", "none"]))
    if kind == "stableport.toml":
        files[f"{where}stableport.toml"] = body
    elif kind == "pyproject.toml":
        files[f"{where}pyproject.toml"] = '[project]\nname = "x"\n[tool.stableport]\n' + body
    elif kind == "raw":
        name = draw(st.sampled_from(["stableport.toml", "pyproject.toml"]))
        files[f"{where}{name}"] = {"hex": draw(toml_documents()).hex()}
    if kind != "none" and draw(st.booleans()):
        identity = draw(
            st.sampled_from(
                [
                    "1",
                    " 2\n",
                    "0",
                    "x",
                    "4",
                    "\ufeff1",
                    "\u00a01",
                    '1\nfor: "{root}"\n',
                    '2\nfor: "{root}/a"\n',
                    '2\nfor: "{root}/gone"\n',
                    "1\nextra\n",
                ]
            )
        )
        files[f"{where}.stableport-instance"] = identity
    variables = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "STABLEPORT_ENV": st.sampled_from(["dev", "Test", "", "a@b", "ci"]),
                "STABLEPORT_NAMESPACE": st.sampled_from(["blog", "Shop", "", "a b "]),
                "STABLEPORT_PINS": st.sampled_from(
                    [
                        "web=9001",
                        " api@test = 9002 ,web=9003",
                        "web",
                        "",
                        "web=0",
                        "web=1,web=2",
                        "api=8001",
                        "8080=21001",
                    ]
                ),
                "STABLEPORT_INSTANCE": st.sampled_from(["0", "1", "2", " 3 ", "x", "1001"]),
                "STABLEPORT_CONFIG": st.sampled_from(
                    [
                        "stableport.toml",
                        "../../stableport.toml",
                        "missing.toml",
                        "",
                        "C:\\proj\\stableport.toml",
                        "{root}/stableport.toml",
                        "{root}/pyproject.toml",
                    ]
                ),
                "STABLEPORT_TEST_PORTS": st.sampled_from(["web=23456", "", "web", "Web=1,api=2"]),
                "CI": st.sampled_from(["true", "", "0", "no"]),
                # {pid} and {start}: the runner's, a live process (tests/vectors/runner.py).
                "STABLEPORT_TEST_RUN": st.sampled_from(
                    [
                        "{pid},{start},test,,0,{root}/stableport.toml",
                        "{pid},,dev,shop,0,{root}/a/stableport.toml",
                        "{pid},,test,,1,",
                        "{pid},{start},test,,0,",
                        "2147483647,,test,,0,",
                        "x",
                        "",
                    ]
                ),
            },
        )
    )
    flags = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "namespace": st.sampled_from(["other", "A@B"]),
                "instance": st.sampled_from(["1", "0", "9"]),
                "config": st.sampled_from(["stableport.toml", "{root}/stableport.toml"]),
                "env": st.sampled_from(["dev", "Test", "a@b"]),
            },
        )
    )
    # Every name the configuration declares, and some it does not.
    services = table.get("services")
    pins = table.get("pins")
    declared = [
        *(services if isinstance(services, list) else []),
        *(key.split("@")[0] for key in (pins if isinstance(pins, dict) else {})),
    ]
    asked = [*declared, *draw(st.lists(names, min_size=1, max_size=3))]
    envs = [None, None, "dev", "test", draw(st.sampled_from(["qa", "DEV", "", "a@b"]))]
    lookups = [[name, env, None] for name in asked if isinstance(name, str) for env in envs]
    cwd = draw(st.sampled_from([".", "a", "a/b"]))
    return {"files": files, "cwd": cwd, "variables": variables, "flags": flags, "lookups": lookups}


@settings(
    max_examples=examples(400),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=configurations())
def test_python_and_javascript_load_the_same_map_and_ports(
    case: dict[str, Any], node: Node, trees: Path
) -> None:
    check = runner.config_check({**case, "id": "property", "map": {}}, trees)
    python = reference.config(check.request)
    javascript = node.ask(check.request)
    assert javascript == python, json.dumps(case, ensure_ascii=True)
