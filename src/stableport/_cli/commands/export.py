"""stableport export: ports as variables for .env files, shells and JSON; --check a file."""

from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._cli.views import load
from stableport._export import FORMATS, exported

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "Every declared service's port as a variable: billing-api -> BILLING_API_PORT."
    )
    add_options(parser, "--config", "--env", "--namespace", "--instance")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env: NAME=PORT lines (docker compose .env); json: an object; shell: export lines",
    )
    parser.add_argument("--prefix", default="", help="put before every variable name, e.g. APP_")
    parser.add_argument(
        "--with-instance",
        action="store_true",
        help="add STABLEPORT_INSTANCE=N, the checkout's instance (0: the plain map), as the "
        "first variable",
    )
    parser.add_argument(
        "--check",
        metavar="FILE",
        help="write nothing; exit 0 if FILE holds exactly what export would write, "
        "else 1 and a line per differing variable",
    )


def handle(args: "argparse.Namespace") -> Answer:
    pm, origin = load(args)
    text = exported(
        pm, origin, args.env, args.prefix, args.format, with_instance=args.with_instance
    )
    if args.check is None:
        return Answer(0, text)
    from stableport._export_check import check_file  # noqa: PLC0415 - only for --check

    return check_file(args.check, text, args.format, _rewrite_command(args))


def _rewrite_command(args: "argparse.Namespace") -> str:
    """The export command that rewrites --check's FILE: the options given, then > FILE."""
    import shlex  # noqa: PLC0415 - only for --check

    words = ["stableport", "export"]
    given = {
        "config": args.config,
        "env": args.env,
        "namespace": args.namespace,
        "instance": args.instance,
        "prefix": args.prefix,
    }
    for option, value in given.items():
        if value:
            words += [f"--{option}", str(value)]
    if args.format != "env":
        words += ["--format", args.format]
    if args.with_instance:
        words.append("--with-instance")
    return f"{shlex.join(words)} > {shlex.quote(args.check)}"
