"""What a command gives back, not yet written: an Answer, or an Exit from argparse.

The package's main writes either at once; each command's module returns one
(the modules below the command line that render a command's output too).
"""


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
