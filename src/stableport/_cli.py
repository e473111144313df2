"""The command line: ``stableport NAME [--env ENV]`` prints the port."""

import sys

from ._api import port_for
from ._errors import StableportError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the command line with argv (default: sys.argv[1:]); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # The common shapes skip argparse, whose import alone costs more than the answer.
    parsed = _parse_simple(args)
    if parsed is None:
        namespace = _parser().parse_args(args)
        parsed = namespace.name, namespace.env
    name, env = parsed
    try:
        port = port_for(name, env)
    except StableportError as error:
        sys.stderr.write(f"stableport: error: {error}\n")
        return 2
    sys.stdout.write(f"{port}\n")
    return 0


def _parse_simple(args: list[str]) -> tuple[str, str | None] | None:
    """NAME, NAME --env ENV or NAME --env=ENV; None for anything else."""
    if not args or args[0].startswith("-"):
        return None
    name, rest = args[0], args[1:]
    if not rest:
        return name, None
    if len(rest) == 2 and rest[0] == "--env":
        return name, rest[1]
    if len(rest) == 1 and rest[0].startswith("--env="):
        return name, rest[0][len("--env=") :]
    return None


def _parser() -> "argparse.ArgumentParser":
    import argparse  # noqa: PLC0415 - only for help, version and usage errors

    from ._version import __version__  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="stableport",
        description="Print the stable port of a service: the same on every machine, forever.",
    )
    parser.add_argument("name", help="the service name, e.g. billing")
    parser.add_argument("--env", help="the environment (default: $STABLEPORT_ENV, else 'default')")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser
