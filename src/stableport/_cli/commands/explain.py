"""stableport explain: the whole story of one port, the hashed key and every probe."""

from stableport._cli.answer import Answer
from stableport._cli.commands import add_options
from stableport._cli.views import (
    config_name,
    entry,
    identity,
    instance_line,
    json_document,
    load,
    overridden,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = "The whole story of one port: the hashed key and every probe."
    add_options(parser, "--config", "--json")
    parser.add_argument("name", metavar="NAME", help="the service name")
    add_options(parser, "--env", "--namespace", "--instance")


def handle(args: "argparse.Namespace") -> Answer:
    pm, origin = load(args)
    story = pm.explain(args.name, args.env)
    declared = story.service in pm.services
    if args.json:
        document = {
            **identity(pm, origin),
            "declared": declared,
            **entry(story, overridden(origin)),
            "key": None if story.key is None else story.key.decode(),
            "probes": [probe._asdict() for probe in story.probes],
        }
        return Answer(0, json_document(document))
    lines = [f"config: {config_name(origin)}"]
    if pm.instance:
        lines.append(instance_line(pm, origin).rstrip("\n"))
    lines.append(str(story))
    if story.pin is not None and story.pin in overridden(origin):
        lines.append("  (the pin comes from STABLEPORT_PINS, not the file)")
    if not declared:
        lines.append(
            f"  note: {story.service!r} is not declared in {config_name(origin)}: its port "
            f"avoids every declared one, but another undeclared name may share it"
        )
    return Answer(0, "\n".join(lines) + "\n")
