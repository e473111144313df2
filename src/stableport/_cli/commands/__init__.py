"""The commands, in one table: adding one is a row here and a module in this package.

Each command's module holds its arguments beside its handler (see Command),
and takes the options it shares with others from stableport._cli.options. The table is on
the fast path (main tells a command from a service name by it), so it names
each module rather than importing it: command() imports only the named one,
when the parser is built for it.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Protocol

    from stableport._cli.answer import Answer

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


def command(name: str) -> "Command":
    """The module of the command called name (a key of COMMANDS), imported on first use."""
    # __import__, not importlib.import_module: no module to load for it, and
    # `python -X importtime` times (and so shows) the command's module.
    module: Command = __import__(f"{__name__}.{COMMANDS[name][1]}", fromlist=["handle"])
    return module
