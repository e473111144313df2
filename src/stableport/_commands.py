"""The commands, in one table: adding one is a row here and the module it names.

A command's module holds its arguments beside its handler (see Command). The
table is on the fast path (_cli tells a command from a service name by it), so
it names each module rather than importing it: only the named command's
module is ever imported, by the parser that reads its words.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Protocol

    from ._common import Answer

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
}


def command(name: str) -> "Command":
    """The module of the command called name (a key of COMMANDS)."""
    from importlib import import_module  # noqa: PLC0415 - off the fast path

    module: Command = import_module(f".{COMMANDS[name][1]}", __package__)
    return module
