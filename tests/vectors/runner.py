"""Replay the stableport v1 conformance corpus against any implementation.

    python tests/vectors/runner.py --impl "node examples/conformance-js/stableport.mjs"

The implementation is a command that speaks the protocol of tests/vectors/README.md:
one JSON request a line on its stdin, one JSON answer a line on its stdout, in
order. This script uses the standard library only, so it can be vendored with
the corpus into a project in any language.
"""

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).parent
PROTOCOL = 1
LAYERS = ("hash", "jump", "names", "maps", "config")
# The oldest Unicode version docs/algorithm.md allows (section 1).
OLDEST_UNICODE = "13.0"


class CorpusError(Exception):
    """The corpus directory is missing a file, or a file is not what the manifest says."""


@dataclass
class Check:
    """One request and what its answer must say."""

    layer: str
    case_id: str
    request: dict[str, Any]
    # The answer's value for each expectation: a hash case has 16 (one per seed)
    # folded into one request per seed, a map case one per lookup.
    expected: Any
    expectations: int
    unicode: str | None = None


@dataclass
class LayerResult:
    layer: str
    total: int = 0
    passed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.total - self.passed - self.skipped


@dataclass
class Corpus:
    version: str
    sha256: str
    layers: dict[str, list[dict[str, Any]]]  # every case but the withdrawn ones
    withdrawn: dict[str, str]  # case id -> why and since which version (README.md)


def load_corpus(directory: Path) -> Corpus:
    """The manifest's layers, and the corpus SHA-256 (README.md, "Versions")."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        digest_lines = []
        layers = {}
        withdrawn = dict(manifest.get("withdrawn", {}))
        for entry in manifest["layers"]:
            data = (directory / entry["file"]).read_bytes()
            digest_lines.append(f"{hashlib.sha256(data).hexdigest()}  {entry['file']}\n")
            document = json.loads(data.decode("utf-8"))
            # A withdrawn case stays in its file, byte for byte, and is not replayed.
            cases = document["cases"]
            layers[entry["layer"]] = [case for case in cases if case["id"] not in withdrawn]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{directory}: not a stableport conformance corpus: {error}") from error
    sha256 = hashlib.sha256("".join(digest_lines).encode()).hexdigest()
    return Corpus(str(manifest["corpus"]), sha256, layers, withdrawn)


def make_tree(root: Path, files: dict[str, Any]) -> None:
    """A config case's file tree under root: each path's text, bytes, link, directory or FIFO."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            # {root}: the tree's directory, for a file that names a path (an identity's for: line).
            path.write_bytes(content.replace("{root}", str(root)).encode("utf-8"))
        elif "hex" in content:
            path.write_bytes(bytes.fromhex(content["hex"]))
        elif "symlink" in content:
            path.symlink_to(content["symlink"])
        elif content.get("directory"):
            path.mkdir(exist_ok=True)
        elif content.get("fifo"):
            os.mkfifo(path)
        else:
            raise CorpusError(f"config case file {name}: not text, hex, symlink, directory or fifo")


def own_start_time() -> str:
    """This process's start time, field 22 of /proc/self/stat; "" where the OS has no /proc."""
    try:
        text = Path("/proc/self/stat").read_bytes()
    except OSError:
        return ""
    return text[text.rfind(b")") + 1 :].split()[19].decode("ascii")


def with_root(value: Any, root: Path) -> Any:
    """value with "{root}" (the tree's directory), "{pid}" and "{start}" filled in.

    {pid} and {start} are this runner's process id and start time: a live
    process for STABLEPORT_TEST_RUN (docs/configuration.md, "Inside a test
    run"), since the implementation runs as this runner's child.
    """
    if isinstance(value, str):
        value = value.replace("{pid}", str(os.getpid())).replace("{start}", own_start_time())
        return value.replace("{root}", str(root))
    if isinstance(value, dict):
        return {key: with_root(item, root) for key, item in value.items()}
    return value


def config_check(case: dict[str, Any], trees: Path) -> Check:
    """A config case's request, in a file tree of its own under trees."""
    root = Path(tempfile.mkdtemp(dir=trees))
    make_tree(root, case.get("files", {}))
    lookups = case.get("lookups", [])
    request = {
        "op": "config",
        "root": str(root),
        "cwd": case.get("cwd", "."),
        "variables": with_root(case.get("variables", {}), root),
        "flags": with_root(case.get("flags", {}), root),
        "lookups": [[service, env] for service, env, _ in lookups],
    }
    loaded = {"error": case["error"]} if "error" in case else {"map": case["map"]}
    expected = {"load": loaded, "ports": [port for *_, port in lookups]}
    return Check("config", case["id"], request, expected, 1 + len(lookups))


def checks(layer: str, cases: list[dict[str, Any]], trees: Path | None = None) -> Iterator[Check]:
    """The requests of one layer's cases, each with its expectation.

    trees: where the config layer makes its cases' file trees.
    """
    for case in cases:
        case_id = case["id"]
        if layer == "config":
            if trees is None or ("map" in case) == ("error" in case):
                raise CorpusError(f"config case {case_id}: needs a directory and 'map' or 'error'")
            yield config_check(case, trees)
        elif layer == "hash":
            for seed, digest in enumerate(case["xxh3_64"]):
                request = {"op": "hash", "key": case["key"], "seed": seed}
                yield Check(layer, f"{case_id} seed {seed}", request, int(digest, 16), 1)
        elif layer == "jump":
            request = {"op": "jump", "key": case["key"], "buckets": case["buckets"]}
            yield Check(layer, case_id, request, case["bucket"], 1)
        elif layer == "names":
            expected = {"error": case["error"]} if "error" in case else case["normalized"]
            request = {"op": "name", "name": case["name"]}
            yield Check(layer, case_id, request, expected, 1, case["unicode"])
        elif "error" in case:
            request = {"op": "map", "map": case["map"], "lookups": []}
            yield Check(layer, case_id, request, {"error": case["error"]}, 1)
        elif "lookups" in case:
            lookups = [[service, env] for service, env, _ in case["lookups"]]
            expected = [port for *_, port in case["lookups"]]
            request = {"op": "map", "map": case["map"], "lookups": lookups}
            yield Check(layer, case_id, request, expected, len(expected))
        else:
            # A case shape this runner does not know must fail, not pass unseen.
            raise CorpusError(f"maps case {case_id}: neither 'lookups' nor 'error'")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def judge(check: Check, answer: Any, result: LayerResult) -> None:
    """Count check's expectations as passed, or note why they are not."""
    if not isinstance(answer, dict):
        why = f"the answer is not a JSON object: {show(answer)[:200]}"
    elif check.layer == "config":
        judge_config(check, answer, result)
        return
    elif isinstance(check.expected, dict) or "error" in answer:
        # An expected error kind (names, maps), or an error where none is expected.
        got = {"error": answer["error"]} if "error" in answer else answer
        why = "" if got == check.expected else f"expected {show(check.expected)}, got"
    elif check.layer == "maps":
        judge_ports(check, answer, result)
        return
    else:
        expected = expected_answer(check)
        why = "" if same(answer, expected) else f"expected {show(expected)}, got"
    if why:
        if why.endswith(", got"):
            why = f"{why} {show(answer)[:200]}"
        result.failures.append(f"{check.case_id}: {why}")
    else:
        result.passed += check.expectations


def expected_answer(check: Check) -> dict[str, Any]:
    if check.layer == "hash":
        return {"hash": f"{check.expected:016x}"}
    return {"jump": {"bucket": check.expected}, "names": {"normalized": check.expected}}[
        check.layer
    ]


def same(answer: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether answer has expected's one field, of the same JSON type."""
    ((key, want),) = expected.items()
    got = answer.get(key)
    # A hash is a string, never a JSON number: JSON.parse rounds integers above
    # 2**53. Upper-case hex digits are as good as lower-case ones.
    if key == "hash":
        return isinstance(got, str) and len(got) == 16 and _is_hex(got) and got.lower() == want
    # bool is an int in Python, and true is no bucket.
    return got == want and type(got) is type(want)


def judge_config(check: Check, answer: dict[str, Any], result: LayerResult) -> None:
    """The loaded map (or its error kind) is one expectation, each lookup another."""
    loaded = {key: answer[key] for key in ("map", "error") if key in answer}
    if loaded == check.expected["load"]:
        result.passed += 1
    else:
        want = show(check.expected["load"])
        result.failures.append(f"{check.case_id}: expected {want}, got {show(loaded)[:300]}")
    lookups = check.request["lookups"]
    ports = answer.get("ports")
    if not isinstance(ports, list) or len(ports) != len(lookups):
        result.failures.append(f"{check.case_id}: expected {len(lookups)} ports, got {show(ports)}")
        return
    for (service, env), want, got in zip(lookups, check.expected["ports"], ports, strict=True):
        if got == want and type(got) is type(want):
            result.passed += 1
        else:
            lookup = f"[{show(service)}, {show(env)}]"
            result.failures.append(
                f"{check.case_id}: lookup {lookup}: expected {show(want)}, got {show(got)}"
            )


def judge_ports(check: Check, answer: dict[str, Any], result: LayerResult) -> None:
    ports = answer.get("ports")
    if not isinstance(ports, list) or len(ports) != len(check.expected):
        want = len(check.expected)
        result.failures.append(f"{check.case_id}: expected {want} ports, got {show(answer)[:200]}")
        return
    for (service, env), want, got in zip(
        check.request["lookups"], check.expected, ports, strict=True
    ):
        if got == want and type(got) is type(want):
            result.passed += 1
        else:
            lookup = f"[{show(service)}, {show(env)}]"
            result.failures.append(
                f"{check.case_id}: lookup {lookup}: expected {show(want)}, got {show(got)}"
            )


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)


class Implementation:
    """The command under test, fed every request by a thread while its answers are read."""

    def __init__(self, command: Sequence[str], timeout: float) -> None:
        self.command = list(command)
        self.timeout = timeout
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # The implementation's own diagnostics go where the runner's go.
            stderr=None,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        self._progress = time.monotonic()
        self.timed_out = False

    def feed(self, requests: list[dict[str, Any]]) -> None:
        """Write every request, then close stdin, without waiting for answers."""
        stdin = self.process.stdin
        assert stdin is not None

        def write() -> None:
            try:
                for request in requests:
                    stdin.write(json.dumps(request, ensure_ascii=True) + "\n")
                stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass  # the implementation exited: the missing answers say so

        # Written from a thread, so that an implementation that answers as it
        # reads never blocks on a full pipe, and one that reads everything
        # first (a batch) works too.
        threading.Thread(target=write, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        # A hung implementation fails the run instead of hanging it.
        while self.process.poll() is None:
            if time.monotonic() - self._progress > self.timeout:
                self.timed_out = True
                self.process.kill()
                return
            time.sleep(0.2)

    def answers(self) -> Iterator[Any]:
        """Each answer line, parsed (a line that is not JSON is yielded as its text)."""
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            self._progress = time.monotonic()
            try:
                yield json.loads(line)
            except ValueError:
                yield line.rstrip("\n")

    def close(self) -> int:
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait()


@dataclass
class Report:
    corpus: Corpus
    implementation: dict[str, Any]
    results: dict[str, LayerResult]
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None and all(r.failed == 0 for r in self.results.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus.version,
            "sha256": self.corpus.sha256,
            "implementation": self.implementation,
            "passed": self.passed,
            "problem": self.problem,
            "layers": {
                name: {
                    "total": r.total,
                    "passed": r.passed,
                    "failed": r.failed,
                    "skipped": r.skipped,
                    "failures": r.failures,
                }
                for name, r in self.results.items()
            },
        }


def run(
    command: Sequence[str], corpus: Corpus, layers: Sequence[str], timeout: float = 60.0
) -> Report:
    """Replay layers of corpus against command."""
    with tempfile.TemporaryDirectory(prefix="stableport-config-") as trees:
        # realpath: a working directory is reported resolved (macOS's /tmp is a link).
        return _run(command, corpus, layers, timeout, Path(os.path.realpath(trees)))


def _run(
    command: Sequence[str], corpus: Corpus, layers: Sequence[str], timeout: float, trees: Path
) -> Report:
    all_checks = [check for layer in layers for check in checks(layer, corpus.layers[layer], trees)]
    results = {layer: LayerResult(layer) for layer in layers}
    for check in all_checks:
        results[check.layer].total += check.expectations
    report = Report(corpus, {}, results)
    answered = 0
    try:
        implementation = Implementation(command, timeout)
    except OSError as error:
        report.problem = f"cannot start {shlex.join(command)}: {error}"
        return report
    hello = {"op": "hello", "protocol": PROTOCOL, "corpus": corpus.version}
    implementation.feed([hello] + [check.request for check in all_checks])
    answers = implementation.answers()
    first = next(answers, None)
    if not isinstance(first, dict) or not isinstance(first.get("unicode"), str):
        report.problem = f"the answer to hello must name its Unicode version: got {first!r}"
    elif not re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", first["unicode"]) or version_key(
        first["unicode"]
    ) < version_key(OLDEST_UNICODE):
        # Else a made-up version would skip every names case.
        report.problem = (
            f"the answer to hello names Unicode {first['unicode']!r}; the spec needs "
            f"{OLDEST_UNICODE} or later, written like 15.1"
        )
    else:
        report.implementation = first
        unicode = version_key(first["unicode"])
        for check in all_checks:
            answer = next(answers, None)
            if answer is None:
                break
            answered += 1
            result = results[check.layer]
            if check.unicode is not None and version_key(check.unicode) > unicode:
                # The case needs a newer Unicode than the implementation has:
                # its answer may differ by the spec's rule (section 1).
                result.skipped += check.expectations
                continue
            judge(check, answer, result)
        else:
            if next(answers, None) is not None:
                report.problem = "the implementation wrote more answers than requests"
    status = implementation.close()
    if report.problem is None and answered < len(all_checks):
        how = "timed out" if implementation.timed_out else f"exited with status {status}"
        report.problem = f"the implementation {how} before answering every request"
    return report


def print_report(report: Report, out: TextIO, max_failures: int) -> None:
    corpus = report.corpus
    # In ASCII, like every answer the report quotes: any terminal prints it.
    name = ascii(report.implementation.get("implementation", "?"))[1:-1]
    unicode = report.implementation.get("unicode", "?")
    print(f"stableport v1 conformance corpus {corpus.version}, sha256 {corpus.sha256}", file=out)
    print(f"implementation: {name} (Unicode {unicode})", file=out)
    total = passed = skipped = 0
    for result in report.results.values():
        total += result.total
        passed += result.passed
        skipped += result.skipped
        status = "ok" if result.failed == 0 else "FAIL"
        extra = f", {result.skipped} skipped (newer Unicode)" if result.skipped else ""
        line = f"{result.layer:<6} {result.passed:>6,}/{result.total:,} passed{extra}"
        print(f"{line:<56} {status}", file=out)
        for failure in result.failures[:max_failures]:
            print(f"    {failure}", file=out)
        if len(result.failures) > max_failures:
            print(f"    ... and {len(result.failures) - max_failures} more", file=out)
    if report.problem:
        print(f"error: {report.problem}", file=out)
    verdict = "PASS" if report.passed else "FAIL"
    print(
        f"{verdict}: v1 corpus {corpus.version} @ sha256:{corpus.sha256[:12]}: "
        f"{passed:,}/{total - skipped:,}" + (f" ({skipped:,} skipped)" if skipped else ""),
        file=out,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay the stableport v1 conformance corpus against an implementation."
    )
    parser.add_argument("--impl", required=True, help='the command, e.g. "node my-port.js"')
    parser.add_argument("--corpus", type=Path, default=HERE, help="the corpus directory")
    parser.add_argument("--layer", action="append", choices=LAYERS, help="only this layer")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds without an answer")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--max-failures", type=int, default=10, help="failures shown per layer")
    args = parser.parse_args(argv)
    try:
        corpus = load_corpus(args.corpus)
    except CorpusError as error:
        print(f"runner.py: {error}", file=sys.stderr)
        return 2
    layers = [layer for layer in LAYERS if not args.layer or layer in args.layer]
    try:
        report = run(shlex.split(args.impl), corpus, layers, args.timeout)
    except CorpusError as error:
        print(f"runner.py: {error}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(report.as_json(), indent=1), flush=True)
        else:
            print_report(report, sys.stdout, args.max_failures)
            sys.stdout.flush()
    except BrokenPipeError:
        # A reader that stopped early (| head -1) saw what it wanted; the exit
        # status still says whether the implementation passed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
