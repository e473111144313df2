"""The ``stableport`` console script's entry point: Ctrl-C at any moment is one line and 130.

A top-level module beside the package, as _stableport_pytest is: the script
imports it before anything else, and it imports the package (most of the
startup time) inside main, where a Ctrl-C is caught. With the package's
module as the entry point, the script imported the whole package before
main's handler existed, and a Ctrl-C then printed a KeyboardInterrupt
traceback.
"""

import sys


def main() -> int:
    """Run the command line on sys.argv; a Ctrl-C while it loads is reported as one."""
    try:
        from stableport._cli import main as command_line  # noqa: PLC0415 - inside the handler

        return command_line()
    except KeyboardInterrupt:
        # What the command line says for a Ctrl-C once it runs (see _cli.main).
        try:
            sys.stderr.write("stableport: interrupted\n")
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        return 130
