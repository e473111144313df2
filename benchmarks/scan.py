"""check --scan on a large real source tree: seconds per 10,000 files (issue 31).

Run: python benchmarks/scan.py [--sdist NAME | --tree DIR | --quick] [--rounds N]

--sdist NAME downloads NAME's source distribution with
`pip download --no-binary :all: --no-deps` (default: django), unpacks it in a
temporary directory and makes it a git repository (untimed), with a
stableport.toml of 8 services in 2 environments; --tree DIR copies DIR
instead; --quick makes a small synthetic tree (the test suite's smoke run).
Then `stableport check --scan` runs as a whole process (the console script
next to this interpreter), the first run apart (the tree just written: warm
page cache, cold everything else) and then --rounds runs, whose median is
reported with the files git lists and their bytes, and `stableport check`
without --scan interleaved with them: the median per-round difference is the
scan's own share, what the per-10,000-files target is about (a process's
start-up is paid once, whatever the tree). Prints Markdown.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q")
TARGET_PER_10K = 1.0  # seconds per 10,000 files, the bound

CONFIG = """\
namespace = "bench"
services = ["web", "api", "worker", "postgres", "redis", "search", "auth", "billing"]
envs = ["dev", "test"]
env = "dev"
"""


def git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _download(name: str, into: Path) -> Path:
    subprocess.run(
        [*PIP_DOWNLOAD, "-d", str(into), name],
        check=True,
    )
    archive = next(path for path in into.iterdir() if path.is_file())
    target = into / "tree"
    # An sdist is a .tar.gz (PEP 625); the "data" filter keeps its paths inside target.
    with tarfile.open(archive) as opened:
        opened.extractall(target, filter="data")
    archive.unlink()
    (top,) = target.iterdir()
    return top


def _synthetic(into: Path, files: int) -> Path:
    tree = into / "tree"
    for number in range(files):
        path = tree / f"pkg{number % 20}" / f"module{number}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# module {number}\nSIZE = {number * 7}\n" + "x = 1\n" * 200)
    return tree


def _prepare(tree: Path) -> tuple[int, int]:
    """tree made a git repository holding a stableport.toml; its file count and bytes."""
    (tree / "stableport.toml").write_text(CONFIG)
    git("init", "-q", cwd=tree)
    git("add", "-A", cwd=tree)
    git("commit", "-qm", "tree", "--no-verify", cwd=tree)
    listed = git("ls-files", "-z", cwd=tree).split("\0")[:-1]
    size = sum((tree / name).lstat().st_size for name in listed)
    return len(listed), size


def _seconds(script: str, tree: Path, *words: str) -> float:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STABLEPORT_")}
    start = time.perf_counter()
    result = subprocess.run(
        [script, "check", *words],
        cwd=tree,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in {0, 1}:
        message = f"stableport check {' '.join(words)} exited {result.returncode}: {result.stderr}"
        raise RuntimeError(message)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sdist", default="django", help="a PyPI project's sdist to scan")
    source.add_argument("--tree", type=Path, help="a directory to copy and scan instead")
    source.add_argument("--quick", action="store_true", help="a small synthetic tree")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    script = shutil.which("stableport", path=str(Path(sys.executable).parent))
    if script is None:
        parser.error("no stableport console script beside this interpreter: pip install -e .")
    with tempfile.TemporaryDirectory() as scratch:
        if args.quick:
            tree, what = _synthetic(Path(scratch), 300), "a synthetic tree"
        elif args.tree is not None:
            tree, what = Path(scratch) / "tree", str(args.tree)
            shutil.copytree(args.tree, tree, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        else:
            tree = _download(args.sdist, Path(scratch))
            what = f"{tree.name} (sdist from PyPI)"
        files, size = _prepare(tree)
        first = _seconds(script, tree, "--scan")
        times, plain = [], []
        for _ in range(args.rounds):  # interleaved: a busy moment slows both alike
            times.append(_seconds(script, tree, "--scan"))
            plain.append(_seconds(script, tree))
    median = statistics.median(times)
    scanning = statistics.median(scan - check for scan, check in zip(times, plain, strict=True))
    per_10k = scanning * 10_000 / files
    verdict = "met" if per_10k < TARGET_PER_10K else "**missed**"
    print("## check --scan on a large source tree\n")
    print(f"Tree: {what}, {files:,} files git tracks, {size / 1e6:.1f} MB.\n")
    print("| run | seconds | per 10,000 files |")
    print("|---|---|---|")
    print(f"| first (tree just written) | {first:.3f} | {first * 10_000 / files:.3f} |")
    print(f"| median of {args.rounds} | {median:.3f} | {median * 10_000 / files:.3f} |")
    print(f"| fastest / slowest | {min(times):.3f} / {max(times):.3f} | |")
    print(f"| `check` alone, median | {statistics.median(plain):.3f} | |")
    share = "the scan's own share: median of (scan - check) per round"
    print(f"| {share} | {scanning:.3f} | {per_10k:.3f} |")
    print(
        f"\nTarget: the scan under {TARGET_PER_10K:g} s per 10,000 files "
        f"(its own share, per 10,000 files): {verdict}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
