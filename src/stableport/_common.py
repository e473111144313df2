"""What every command shares, below all of them: --env's reading, Answer, Exit.

_cli builds its parser with _parser and dispatches to each command's module,
and all of them need these: kept here, the command line has no import circle,
and each command's module imports without _cli.
"""


def env_option(env: str | None) -> str | None:
    """--env's value normalized, so a bad one is named as the option the user typed."""
    from ._names import normalize_name  # noqa: PLC0415 - loaded by then; kept off the top

    return None if env is None else normalize_name(env, "environment name", "--env")


class Answer:
    """A command's result: its exit status, what stdout gets, and what it did.

    done names what the command changed before its output was written (init's
    file, instance new's), so a failure to write the output can say the change
    was made all the same.
    """

    __slots__ = ("code", "done", "output")

    def __init__(self, code: int, output: "str | bytes" = "", done: str | None = None) -> None:
        self.code = code
        self.output = output
        self.done = done


class Exit(Exception):  # noqa: N818 - an exit, not an error: like SystemExit
    """A finished run: its exit status and what stdout gets, rendered but not yet written."""

    def __init__(self, code: int, output: "str | bytes" = "") -> None:
        super().__init__(code, output)
        self.code = code
        self.output = output
