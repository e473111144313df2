"""The conformance kit: layered corpus, schemas, runner, and what fails where."""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.util import clean_environment, python
from tests.vectors import generate, runner

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

VECTORS = Path(__file__).parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
RUNNER = VECTORS / "runner.py"
REFERENCE = VECTORS / "reference.py"
LAYER_FILES = {entry["layer"]: entry for entry in MANIFEST["layers"]}


def schemas() -> Registry:
    resources = []
    for path in sorted((VECTORS / "schema").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(schema_path: str) -> Draft202012Validator:
    schema = json.loads((VECTORS / schema_path).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=schemas())


def run_runner(impl: str, *args: str) -> tuple[int, dict[str, Any]]:
    """The runner in a subprocess, as CI and other projects run it; its --json report."""
    result = python(str(RUNNER), "--impl", impl, "--json", *args, timeout=600)
    return result.returncode, json.loads(result.stdout)


def python_impl(path: Path) -> str:
    return f"{sys.executable} {path}"


def expectations(layer: str) -> int:
    cases = runner.load_corpus(VECTORS).layers[layer]
    with tempfile.TemporaryDirectory() as trees:  # the config layer's cases make file trees
        return sum(check.expectations for check in runner.checks(layer, cases, Path(trees)))


# ---- the files --------------------------------------------------------------


@pytest.mark.parametrize("layer", sorted(LAYER_FILES))
def test_every_corpus_file_matches_its_schema(layer: str) -> None:
    entry = LAYER_FILES[layer]
    document = json.loads((VECTORS / entry["file"]).read_text(encoding="utf-8"))
    errors = [error.message for error in validator(entry["schema"]).iter_errors(document)]
    assert errors == []
    ids = [case["id"] for case in document["cases"]]
    assert len(set(ids)) == len(ids)


def test_the_manifest_matches_its_schema() -> None:
    assert list(validator("schema/manifest.schema.json").iter_errors(MANIFEST)) == []
    assert [entry["layer"] for entry in MANIFEST["layers"]] == list(runner.LAYERS)


def test_the_schemas_reject_what_a_second_implementation_would_misread() -> None:
    hash_file = {"layer": "hash", "algorithm": 1, "description": "", "cases": []}
    case = {"id": "x", "key": "00", "xxh3_64": ["0" * 16] * 16}
    check = validator("schema/hash.schema.json")
    assert check.is_valid(hash_file | {"cases": [case]})
    # A digest as a JSON number: JSON.parse would round it.
    assert not check.is_valid(hash_file | {"cases": [case | {"xxh3_64": [2**63] * 16}]})
    assert not check.is_valid(hash_file | {"cases": [case | {"xxh3_64": ["0" * 16] * 15}]})
    assert not check.is_valid(hash_file | {"cases": [case | {"key": "0"}]})
    maps = validator("schema/maps.schema.json")
    good = {"id": "x", "map": {}, "lookups": [["a", None, 20000]]}
    assert maps.is_valid({"algorithm": 1, "description": "", "cases": [good]})
    # A map key no implementation knows would be ignored silently: rejected.
    unknown = good | {"map": {"lanes": 1}}
    assert not maps.is_valid({"algorithm": 1, "description": "", "cases": [unknown]})
    both = good | {"error": "InvalidNameError"}
    assert not maps.is_valid({"algorithm": 1, "description": "", "cases": [both]})


def test_no_number_in_the_corpus_needs_more_than_53_bits() -> None:
    # Every 64-bit value is a hex string: a JavaScript JSON.parse reads the
    # corpus exactly.
    def numbers(value: Any) -> list[int]:
        if isinstance(value, bool):
            return []
        if isinstance(value, int):
            return [value]
        if isinstance(value, list):
            return [n for item in value for n in numbers(item)]
        if isinstance(value, dict):
            return [n for item in value.values() for n in numbers(item)]
        return []

    for entry in MANIFEST["layers"]:
        document = json.loads((VECTORS / entry["file"]).read_text(encoding="utf-8"))
        assert max(abs(n) for n in numbers(document)) < 2**53


def test_the_hash_layer_covers_every_xxh3_path_up_to_the_longest_key() -> None:
    cases = runner.load_corpus(VECTORS).layers["hash"]
    lengths = {len(case["key"]) // 2 for case in cases}
    longest = generate.longest_key()
    assert len(longest) == 1552
    assert set(range(257)) <= lengths
    assert max(lengths) > len(longest)
    assert longest.hex() in {case["key"] for case in cases}
    # Either side of every 64-byte stripe up to the longest key, the 1024-byte block too.
    for stripes in range(5, len(longest) // 64 + 1):
        assert {64 * stripes - 1, 64 * stripes, 64 * stripes + 1} <= lengths


def test_the_jump_layer_has_the_bucket_counts_ports_need() -> None:
    cases = runner.load_corpus(VECTORS).layers["jump"]
    assert {1, 2, 10000, 65535} <= {case["buckets"] for case in cases}
    assert {"0" * 16, "f" * 16} <= {case["key"] for case in cases}


@pytest.mark.skipif(
    runner.version_key(unicodedata.unidata_version) < (14,),
    reason="the names layer holds cases of Unicode 14.0, which this Python lacks",
)
def test_the_generator_makes_exactly_the_committed_files(tmp_path: Path) -> None:
    # The files are the reference's output, byte for byte; a hand edit shows.
    assert generate.main(["--check", "--dir", str(VECTORS)]) == 0
    # From nothing, it writes the same files.
    assert generate.main(["--dir", str(tmp_path)]) == 0
    for file_name, *_ in generate.LAYERS.values():
        assert (tmp_path / file_name).read_bytes() == (VECTORS / file_name).read_bytes()


def test_the_generator_keeps_landed_cases_and_appends_new_ones(tmp_path: Path) -> None:
    landed = json.loads((VECTORS / "v1-jump.json").read_text(encoding="utf-8"))
    landed["cases"] = [*landed["cases"][:3], {**landed["cases"][3], "id": "landed/only"}]
    (tmp_path / "v1-jump.json").write_text(json.dumps(landed), encoding="utf-8")
    generate.main(["--dir", str(tmp_path)])
    cases = json.loads((tmp_path / "v1-jump.json").read_text(encoding="utf-8"))["cases"]
    # A case the generator no longer makes is kept, in place; the rest follow.
    assert [case["id"] for case in cases[:4]] == [
        *(case["id"] for case in landed["cases"][:3]),
        "landed/only",
    ]
    assert len(cases) == len(generate.jump_cases()) + 1
    # A landed case whose expectation changed stops the generator.
    landed["cases"][0]["bucket"] += 1
    (tmp_path / "v1-jump.json").write_text(json.dumps(landed), encoding="utf-8")
    with pytest.raises(SystemExit, match="changed; landed cases never do"):
        generate.main(["--dir", str(tmp_path)])


# ---- the runner against the library -----------------------------------------


def test_the_library_passes_every_case_through_the_protocol() -> None:
    status, report = run_runner(python_impl(REFERENCE))
    assert status == 0, report
    assert report["passed"]
    assert report["sha256"] == runner.load_corpus(VECTORS).sha256
    for layer in runner.LAYERS:
        result = report["layers"][layer]
        assert result == {
            "total": expectations(layer),
            "passed": expectations(layer),
            "failed": 0,
            "skipped": 0,
            "failures": [],
        }
    assert report["layers"]["hash"]["total"] == 16 * len(runner.load_corpus(VECTORS).layers["hash"])


def test_the_readme_publishes_this_corpus_version_and_sha() -> None:
    corpus = runner.load_corpus(VECTORS)
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    row = f"| {corpus.version} | `{corpus.sha256}` |"
    assert row in readme, (
        f"tests/vectors/README.md must publish the corpus: {row} (after an append, "
        "raise the version in manifest.json and add a row to the Versions table)"
    )


# ---- broken implementations fail in the layer of their mistake ---------------

BROKEN = {
    # A look-alike library: XXH64 where the spec says XXH3, everywhere.
    "xxh64": """
import xxhash
from stableport import _hashing
_hashing.xxh3_64_intdigest = xxhash.xxh64_intdigest
reference.xxh3_64_intdigest = xxhash.xxh64_intdigest
""",
    # A simple lowercase where the spec says full case folding.
    "lower": """
import unicodedata
from stableport._names import normalize_name
def name(request):
    normalize_name(request["name"])  # the same checks
    folded = unicodedata.normalize("NFC", request["name"]).lower()
    return {"normalized": unicodedata.normalize("NFC", folded)}
handlers["name"] = name
""",
    # A modulo where the spec says jump consistent hash.
    "modulo": """
def jump(request):
    return {"bucket": int(request["key"], 16) % request["buckets"]}
handlers["jump"] = jump
""",
}


def broken(tmp_path: Path, mistake: str) -> str:
    script = tmp_path / f"broken_{mistake}.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(VECTORS)!r})\n"
        "import reference\nhandlers = dict(reference.HANDLERS)\n"
        f"{BROKEN[mistake]}\nreference.main(handlers)\n",
        encoding="utf-8",
    )
    return python_impl(script)


@pytest.mark.parametrize(
    ("mistake", "failing"),
    [("xxh64", {"hash", "maps", "config"}), ("lower", {"names"}), ("modulo", {"jump"})],
)
def test_a_broken_implementation_fails_in_the_layer_of_its_mistake(
    tmp_path: Path, mistake: str, failing: set[str]
) -> None:
    status, report = run_runner(broken(tmp_path, mistake))
    assert status == 1
    assert not report["passed"]
    layers = report["layers"]
    assert {layer for layer, result in layers.items() if result["failed"]} == failing
    # The first layer that fails is the one that names the mistake.
    first = next(layer for layer in runner.LAYERS if layers[layer]["failed"])
    assert first == {"xxh64": "hash", "lower": "names", "modulo": "jump"}[mistake]


def test_the_text_report_names_the_failing_layer_and_case(tmp_path: Path) -> None:
    result = python(str(RUNNER), "--impl", broken(tmp_path, "lower"), "--layer", "names")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stableport v1 conformance corpus ")
    assert any(line.startswith("names ") and line.endswith("FAIL") for line in lines)
    assert (
        '    fold/sharp-s: expected {"normalized": "strasse"}, got {"normalized": "stra\\u00dfe"}'
        in lines
    )
    assert lines[-1].startswith("FAIL: v1 corpus ")


# ---- the runner against hostile implementations ------------------------------


def hostile(tmp_path: Path, body: str) -> str:
    script = tmp_path / "hostile.py"
    script.write_text("import json, sys\n" + body, encoding="utf-8")
    return python_impl(script)


HELLO = (
    "sys.stdin.readline()\n"
    'print(json.dumps({"implementation": "hostile", "unicode": "15.1"}), flush=True)\n'
)


def test_the_report_is_ascii_whatever_the_implementation_says(tmp_path: Path) -> None:
    hello = json.dumps({"implementation": "port\u00e9 \u2028 \U0001f600", "unicode": "15.1"})
    impl = hostile(tmp_path, f"sys.stdin.readline()\nprint({hello!r}, flush=True)\n")
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--impl", impl, "--layer", "jump"],
        capture_output=True,
        check=False,
        env=clean_environment({"PYTHONIOENCODING": "ascii"}),
    )
    assert result.returncode == 1
    assert b"implementation: port\\xe9 \\u2028 \\U0001f600 (Unicode 15.1)" in result.stdout
    assert result.stderr == b""


def test_an_implementation_that_exits_early_fails_and_says_so(tmp_path: Path) -> None:
    status, report = run_runner(hostile(tmp_path, HELLO + "sys.exit(3)\n"), "--layer", "jump")
    assert status == 1
    assert (
        report["problem"]
        == "the implementation exited with status 3 before answering every request"
    )
    assert report["layers"]["jump"]["failed"] == expectations("jump")


def test_an_implementation_that_hangs_is_killed(tmp_path: Path) -> None:
    impl = hostile(tmp_path, HELLO + "import time\ntime.sleep(3600)\n")
    status, report = run_runner(impl, "--layer", "jump", "--timeout", "1")
    assert status == 1
    assert report["problem"] == "the implementation timed out before answering every request"


def test_a_hash_answered_as_a_json_number_fails(tmp_path: Path) -> None:
    # The 2**53 trap: a number, even the right one, is not a conforming answer.
    body = HELLO + (
        "sys.path.insert(0, sys.argv[1])\nimport reference\n"
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        "    answer = reference.hash_(request) if request['op'] == 'hash' else {}\n"
        "    if 'hash' in answer: answer['hash'] = int(answer['hash'], 16)\n"
        "    print(json.dumps(answer), flush=True)\n"
    )
    impl = f"{hostile(tmp_path, body)} {VECTORS}"
    status, report = run_runner(impl, "--layer", "hash")
    assert status == 1
    assert report["layers"]["hash"]["passed"] == 0


def test_garbage_and_extra_answers_fail(tmp_path: Path) -> None:
    impl = hostile(
        tmp_path, HELLO + "for line in sys.stdin:\n    print('not json')\n    print('{}')\n"
    )
    status, report = run_runner(impl, "--layer", "names")
    assert status == 1
    failures = report["layers"]["names"]["failures"]
    assert failures[0].startswith("ascii/plain: the answer is not a JSON object")
    assert report["problem"] is None or "more answers" in report["problem"]


def test_a_hello_without_a_unicode_version_is_refused(tmp_path: Path) -> None:
    status, report = run_runner(hostile(tmp_path, "print('{}')\n"), "--layer", "jump")
    assert status == 1
    assert report["problem"] == "the answer to hello must name its Unicode version: got {}"


@pytest.mark.parametrize("unicode", ["12.1", "fifteen", "", "15.1.x"])
def test_a_unicode_version_the_spec_does_not_allow_is_refused(tmp_path: Path, unicode: str) -> None:
    # A made-up version must not skip the names layer.
    hello = json.dumps({"implementation": "x", "unicode": unicode})
    body = f"sys.stdin.readline()\nprint({hello!r})\n"
    status, report = run_runner(hostile(tmp_path, body), "--layer", "names")
    assert status == 1
    assert report["problem"] == (
        f"the answer to hello names Unicode {unicode!r}; the spec needs 13.0 or later, "
        "written like 15.1"
    )
    assert report["layers"]["names"]["skipped"] == 0


def test_names_cases_of_a_newer_unicode_are_skipped_not_failed(tmp_path: Path) -> None:
    # An implementation on Unicode 13.0 rejects U+2C2F (unassigned there): allowed.
    body = (
        "sys.stdin.readline()\n"
        'print(json.dumps({"implementation": "old", "unicode": "13.0"}), flush=True)\n'
        "sys.path.insert(0, sys.argv[1])\nimport reference\n"
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        "    try:\n"
        "        if any(c in request['name'] for c in '\\u2c2f\\ua7c0\\U00010570'):\n"
        "            raise reference.stableport.InvalidNameError('unassigned in 13.0')\n"
        "        answer = reference.name(request)\n"
        "    except reference.StableportError as error:\n"
        "        answer = {'error': type(error).__name__}\n"
        "    print(json.dumps(answer), flush=True)\n"
    )
    status, report = run_runner(f"{hostile(tmp_path, body)} {VECTORS}", "--layer", "names")
    assert status == 0, report
    names = report["layers"]["names"]
    assert names["skipped"] == 3
    assert names["passed"] == expectations("names") - 3


def test_a_missing_command_or_corpus_fails(tmp_path: Path) -> None:
    status, report = run_runner(str(tmp_path / "no-such-command"))
    assert status == 1
    assert report["problem"].startswith("cannot start ")
    result = python(str(RUNNER), "--impl", "true", "--corpus", str(tmp_path))
    assert result.returncode == 2
    assert "not a stableport conformance corpus" in result.stderr


# ---- the example second implementation --------------------------------------

JS_EXAMPLE = Path(__file__).parent.parent / "examples" / "conformance-js"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS_EXAMPLE / "node_modules").is_dir(),
    reason="the JavaScript example needs node and `npm ci` in examples/conformance-js (.ci/run)",
)
def test_the_javascript_example_passes_every_case() -> None:
    status, report = run_runner(f"node {JS_EXAMPLE / 'stableport.mjs'}")
    assert status == 0, report
    assert report["implementation"]["unicode"] == "15.1"
    for layer in runner.LAYERS:
        assert report["layers"][layer]["passed"] == expectations(layer)


JS_PACKAGE = Path(__file__).parent.parent / "js"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS_PACKAGE / "node_modules").is_dir(),
    reason="the JavaScript package needs node and `npm ci` in js/ (.ci/run)",
)
def test_the_javascript_package_passes_every_case() -> None:
    status, report = run_runner(f"node {JS_PACKAGE / 'conformance.js'}")
    assert status == 0, report
    for layer in runner.LAYERS:
        assert report["layers"][layer]["passed"] == expectations(layer)


def test_a_config_case_of_an_unknown_file_kind_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(runner.CorpusError, match="socket: not text, hex"):
        runner.make_tree(tmp_path, {"socket": {"socket": True}})


@pytest.mark.parametrize("report_format", [[], ["--json"]])
def test_a_reader_that_went_away_costs_no_traceback(report_format: list[str]) -> None:
    # stdout is a pipe whose reader is gone before the runner writes (| head -0).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, str(RUNNER), "--impl", python_impl(REFERENCE), *report_format],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            env=clean_environment(),
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_maps_case_of_an_unknown_shape_stops_the_run(tmp_path: Path) -> None:
    # A newer corpus's case shape must not pass unseen by an older runner.
    for entry in MANIFEST["layers"]:
        shutil.copy(VECTORS / entry["file"], tmp_path / entry["file"])
    shutil.copy(VECTORS / "manifest.json", tmp_path / "manifest.json")
    maps = json.loads((VECTORS / "v1.json").read_text(encoding="utf-8"))
    maps["cases"].append({"id": "future/steps", "map": {}, "steps": []})
    (tmp_path / "v1.json").write_text(json.dumps(maps), encoding="utf-8")
    result = python(str(RUNNER), "--impl", python_impl(REFERENCE), "--corpus", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == "runner.py: maps case future/steps: neither 'lookups' nor 'error'\n"


# ---- append-only, in the repository's history --------------------------------

ROOT = Path(__file__).parent.parent
# The first commit from which every version of v1.json is a prefix of every
# later one: before it, two branches that landed the same day interleaved
# their new cases (no release had shipped). Every later commit only appends.
APPEND_ONLY_SINCE = "818a563"


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("file_name", [entry["file"] for entry in MANIFEST["layers"]])
def test_every_landed_case_is_unchanged_in_every_later_commit(file_name: str) -> None:
    if shutil.which("git") is None or git("cat-file", "-e", APPEND_ONLY_SINCE).returncode:
        pytest.skip("needs the repository's history (a git checkout, not shallow)")
    path = f"tests/vectors/{file_name}"
    commits = git("log", "--format=%H", f"{APPEND_ONLY_SINCE}..HEAD", "--", path).stdout.split()
    current = json.loads((ROOT / path).read_text(encoding="utf-8"))["cases"]
    checked = 0
    for commit in [*commits, APPEND_ONLY_SINCE]:
        shown = git("show", f"{commit}:{path}")
        if shown.returncode:
            continue  # the file did not exist yet
        landed = json.loads(shown.stdout)["cases"]
        # Compared as data: a landed case keeps its place, id and every value.
        assert current[: len(landed)] == landed, f"{path} at {commit[:10]}: a landed case changed"
        checked += 1
    assert checked >= 1


def test_a_generator_stopped_mid_write_leaves_the_landed_file_whole(tmp_path: Path) -> None:
    # RLIMIT_FSIZE well under the hash file's size: the write fails half way.
    landed = json.loads((VECTORS / "v1-hash.json").read_text(encoding="utf-8"))
    landed["cases"] = landed["cases"][:10]
    before = json.dumps(landed)
    (tmp_path / "v1-hash.json").write_text(before, encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    # A resource limit for this child only.
    result = python(str(VECTORS / "generate.py"), "--dir", str(tmp_path), preexec_fn=limit)
    assert result.returncode != 0
    assert (tmp_path / "v1-hash.json").read_text(encoding="utf-8") == before
