"""The options the NAME form and several commands share, declared once, and --env's reading.

--config, --json, --env, --namespace and --instance: one spelling, one metavar
and one help text each. The package's main reads the names and metavars on the
fast path (which words take a value, what an error suggests), the parser the
rest; every command reads --env's value through env_option, so a bad one is
named as the option the user typed.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Protocol

    class Container(Protocol):
        """A parser, or a group of its options: what takes add_argument."""

        def add_argument(self, *names: str, **keywords: Any) -> argparse.Action:
            """Add an option or a positional argument."""


def env_option(env: str | None) -> str | None:
    """--env's value normalized, so a bad one is named as the option the user typed."""
    from stableport._names import normalize_name  # noqa: PLC0415 - loaded by then; kept off the top

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
