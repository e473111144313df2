"""The commands, in one table: adding one is a row here and a module in this package.

Each command's module holds its arguments beside its handler (see Command),
and takes the options it shares with others from stableport._cli.commands. The table is on
the fast path (main tells a command from a service name by it), so it names
each module rather than importing it: command() imports only the named one,
when the parser is built for it.
"""

from stableport._names import normalize_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Protocol

    from stableport._cli.answer import Answer

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


# Every command, once: its line of `stableport --help` and its module in this
# package, in the order --help lists them.
COMMANDS = {
    "list": ("every declared service and its port, and how it got it", "list"),
    "explain": ("why a service has its port: every probe, skipped or taken", "explain"),
    "check": ("problems in the configuration; --live: is each port free now", "check"),
    "export": ("ports as BILLING_PORT=20345 lines for .env, JSON or shell", "export"),
    "init": ("start a configuration: append [tool.stableport] to pyproject.toml", "init"),
    "run": ("start a command with PORT and every declared port set", "run"),
    "instance": ("this checkout's instance; new: give a worktree its own ports", "instance"),
    "ps": ("every checkout of the project and what serves its ports now", "ps"),
}


def env_option(env: str | None) -> str | None:
    """--env's value normalized, so a bad one is named as the option the user typed."""
    return None if env is None else normalize_name(env, "environment name", "--env")


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
