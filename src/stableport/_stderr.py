"""One line to stderr, for errors and notes: never an error of its own.

Below everything that tells a person something (the loader's notes, the
instance pick's, every command's): a closed or full stderr loses the line,
never the answer.
"""

import sys


def say(line: str) -> None:
    """Write one line to stderr, if there is a stderr that takes it: errors never crash."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # closed (`2>&-`), full, or detached
        pass
