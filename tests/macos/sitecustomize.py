"""A process started with this directory on PYTHONPATH has macOS's fcntl: no OFD locks.

macOS has classic POSIX record locks and BSD flock, but no open file
description locks (fcntl.F_OFD_*). Removing them before anything imports
stableport sends the library down the path it takes there. PYTHONPATH (an
absolute one) is inherited by every process the suite starts: the CLI, pytester
subprocesses, xdist workers. CI runs the lock suites so a second time (.ci/run).
"""

import fcntl

for name in ("F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW"):
    if hasattr(fcntl, name):
        delattr(fcntl, name)
