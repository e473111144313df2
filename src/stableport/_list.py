"""stableport list: every declared service, its port, and how it got it."""

from ._commands import add_options
from ._common import Answer
from ._output import config_name, entry, identity, json_document, listing, load, overridden
from ._stderr import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = "Every declared (service, env), its port, and how it got it."
    add_options(parser, "--config", "--json")
    scope = parser.add_mutually_exclusive_group()
    add_options(scope, "--env")
    add_options(parser, "--namespace", "--instance")
    scope.add_argument(
        "--all-envs",
        action="store_true",
        help="every declared environment (the config's envs), not just one",
    )


def handle(args: "argparse.Namespace") -> Answer:
    pm, origin = load(args)
    if args.all_envs:
        pairs = list(pm.assignments())
    else:
        pairs = [(service, args.env) for service in pm.services]
    pins = overridden(origin)
    entries = [entry(pm.explain(service, env), pins) for service, env in pairs]
    if args.json:
        return Answer(0, json_document({**identity(pm, origin), "entries": entries}))
    if not entries:
        say(f"stableport: no services declared in {config_name(origin)}")
        return Answer(0)
    return Answer(0, f"config: {config_name(origin)}\n" + listing(pm, entries, origin))
