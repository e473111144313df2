"""Checkouts of one project: which git repository a configuration is in, and its worktrees.

Read from the files git leaves (.git, a worktree's gitdir and commondir) where
that is enough, so a refusal can tell two checkouts of one project from two
projects without running git; the worktree listing asks git itself.
"""

import os
from pathlib import Path


def same_repository(config: str, other: str | None) -> bool:
    """Whether both files are in checkouts of one git repository (one common directory)."""
    here = common_directory(config)
    return here is not None and other is not None and here == common_directory(other)


def common_directory(config: str) -> Path | None:
    """The git common directory of config's checkout: .git, or what a worktree's .git names."""
    for parent in Path(config).parents:
        marker = parent / ".git"
        if marker.is_dir():
            return marker.resolve()
        if marker.is_file():
            try:
                text = marker.read_text(encoding="utf-8", errors="replace")
                gitdir = (parent / text.removeprefix("gitdir:").strip()).resolve()
                common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
            except OSError:
                return None
            return (gitdir / common).resolve()
    return None


def worktree_configs(config: str) -> list[str]:
    """The same configuration file in every worktree git lists for config's repository.

    config's own first; worktrees whose directory is gone are left out (their
    servers, if any still run, are found by their claims). Empty without git.
    """
    import subprocess  # noqa: PLC0415 - only ps lists worktrees

    directory = str(Path(config).parent)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(  # noqa: S603 - git, with our own arguments
                ["git", *args],  # noqa: S607 - git from PATH, as the user runs it
                cwd=directory,
                capture_output=True,
                check=False,
            )
        except OSError:
            return None
        return os.fsdecode(done.stdout) if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    # -z: each field ends in NUL, so a path holding a newline is one field.
    listing = git("worktree", "list", "--porcelain", "-z")
    if top is None or listing is None:
        return []
    relative = os.path.relpath(config, top.removesuffix("\n"))
    found = [config]
    for field in listing.split("\0"):
        if field.startswith("worktree "):
            path = str(Path(field.removeprefix("worktree "), relative))
            if os.path.lexists(path) and not _same_file(path, config):
                found.append(path)
    return found


def _same_file(one: str, other: str) -> bool:
    try:
        return Path(one).samefile(other)
    except OSError:
        return False
