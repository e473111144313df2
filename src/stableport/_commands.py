"""The commands, in one table, and the options they share: adding one is a row here
and the module it names.

A command's module holds its arguments beside its handler (see Command). The
table is on the fast path (_cli tells a command from a service name by it), so
it names each module rather than importing it: _parser imports only the named
command's module, to read its words. This module imports none: each command's
module imports add_options from here, and no import circle runs through it.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Protocol

    from ._common import Answer

    class Container(Protocol):
        """A parser, or a group of its options: what takes add_argument."""

        def add_argument(self, *names: str, **keywords: Any) -> argparse.Action:
            """Add an option or a positional argument."""

    class Command(Protocol):
        """What a command's module holds: its arguments, and its handler."""

        def arguments(self, parser: argparse.ArgumentParser) -> None:
            """Add the command's description and arguments to its parser."""

        def handle(self, args: argparse.Namespace) -> Answer:
            """Run the command: its exit status and what stdout gets, not yet written."""


# Every command, once: its line of `stableport --help` and the module that holds
# it, in the order --help lists them. A module is named after its command
# where the command is its one concept; explain's name is taken by the
# Explanation it prints.
COMMANDS = {
    "list": ("every declared service and its port, and how it got it", "_list"),
    "explain": ("why a service has its port: every probe, skipped or taken", "_explain_command"),
    "check": ("problems in the configuration; --live: is each port free now", "_check"),
    "export": ("ports as BILLING_PORT=20345 lines for .env, JSON or shell", "_export"),
    "init": ("start a configuration: append [tool.stableport] to pyproject.toml", "_init"),
    "run": ("start a command with PORT and every declared port set", "_run"),
    "instance": ("this checkout's instance; new: give a worktree its own ports", "_instances"),
    "ps": ("every checkout of the project and what serves its ports now", "_ps"),
}


def add_options(container: "Container", *options: str) -> None:
    """The options the NAME form and several commands share, in the order given.

    --config, --json, --env, --namespace and --instance: one spelling and one
    help text each, wherever they are taken.
    """
    for option in options:
        keywords = SHARED_OPTIONS[option]
        if option == "--config":
            import argparse  # noqa: PLC0415 - loaded by the parser, the caller's caller

            # So a command's default never hides one given before the command.
            keywords = {**keywords, "default": argparse.SUPPRESS}
        container.add_argument(option, **keywords)


# Each shared option's spelling, metavar and help, once: _cli reads the names
# and metavars on the fast path (which words take a value, what an error
# suggests), the parser the rest.
SHARED_OPTIONS: "dict[str, dict[str, Any]]" = {
    "--config": {
        "metavar": "PATH",
        "help": "load this stableport.toml or pyproject.toml instead of discovering one",
    },
    "--json": {"action": "store_true", "help": "one JSON object, for machines"},
    "--env": {
        "metavar": "ENV",
        "help": "the environment (default: $STABLEPORT_ENV, else the config's env, else 'default')",
    },
    "--namespace": {
        "metavar": "NS",
        "help": "the namespace keys are hashed in (default: $STABLEPORT_NAMESPACE, else "
        "the config's namespace, else none)",
    },
    "--instance": {
        "metavar": "N",
        "help": "the instance (checkout) whose ports to give, 0 for the plain map "
        "(default: $STABLEPORT_INSTANCE, else the checkout's .stableport-instance, else 0)",
    },
}
