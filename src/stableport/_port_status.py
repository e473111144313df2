"""Live checks: is a port free right now, and who holds it if not.

A port is taken if something accepts a connection on it, whatever a bind
says, and if a bind on a loopback or wildcard address fails. Binds alone
lie on macOS and the BSDs: with SO_REUSEADDR a bind to 127.0.0.1 succeeds
next to another process's wildcard listener (0.0.0.0 or ::, the default of
Node, Docker's published ports and most dev servers), and Windows' rules for a
specific bind over a wildcard one are similar. A connection is answered by
the listener whatever those rules are.
"""

import contextlib
import errno
import os
import socket
import sys
from pathlib import Path
from typing import Literal, NamedTuple

from ._errors import PortCheckError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._claims import Claimant

# What binding a port on one address says right now.
Bind = Literal["free", "busy", "denied"]

# Where a listener must be able to bind; ::1 only where the host has IPv6 loopback.
LOOPBACK_ADDRESSES = (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6))
# Where a dev server binds by default: a port taken on any address fails there.
WILDCARD_ADDRESSES = (("0.0.0.0", socket.AF_INET), ("::", socket.AF_INET6))  # noqa: S104

# How long a connection attempt may wait: loopback answers at once (accepted or
# refused); only a listener whose backlog is full lets it wait, and that
# listener is there.
CONNECT_TIMEOUT = 2.0

# /proc/net/tcp* state column: a socket bound to the port, listening ("0A") or not ("07").
_BOUND_STATES = frozenset(("0A", "07"))
# A connection being closed: FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK,
# CLOSING (include/net/tcp_states.h). With no process left (inode 0) the kernel
# keeps it, and the port, for about a minute (TCP_TIMEWAIT_LEN, tcp_fin_timeout).
_CLOSING_STATES = frozenset(("04", "05", "06", "08", "09", "0B"))

# socket() errors that say the host lacks the address family (a kernel built or
# booted without IPv6, ipv6.disable=1 on Linux): nothing there can collide.
# socket(2) and POSIX socket() name EAFNOSUPPORT and EPROTONOSUPPORT; Windows'
# socket() says WSAEAFNOSUPPORT (10047) or WSAEPROTONOSUPPORT (10043), which
# Python's errno module names EAFNOSUPPORT and EPROTONOSUPPORT there, listed
# by number too. Any other failure (EMFILE, ENFILE, ENOBUFS, ENOMEM: see
# _ADVICE) says nothing about the port, so it is an error, never "free".
# https://man7.org/linux/man-pages/man2/socket.2.html
# https://pubs.opengroup.org/onlinepubs/9799919799/functions/socket.html
# https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-socket
_NO_FAMILY = frozenset((errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, 10047, 10043))
# What to do about a socket() failure, by errno; anything else: try again.
_ADVICE = {
    errno.EMFILE: "this process has too many open files: raise its limit (ulimit -n) "
    "or close descriptors",
    errno.ENFILE: "the system has too many open files: close programs, or raise its "
    "limit (fs.file-max on Linux)",
    errno.ENOBUFS: "the system is out of buffer space for sockets: close connections "
    "or free memory",
    errno.ENOMEM: "the system is out of memory: free some",
}

# bind() errors that say "not here", not "taken": an address family or address
# the host lacks (no IPv6 loopback), so nothing there can collide.
_ABSENT = frozenset((errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT))
# bind() errors that say "not for you": privileged ports, reserved ranges.
# Windows says WSAEACCES (10013) for a port in an excluded range, as the
# socket's errno: "excluded by the OS", never "in use".
WSAEACCES = 10013
_DENIED = frozenset((errno.EACCES, errno.EPERM, WSAEACCES))


class Holder(NamedTuple):
    """A process that holds a port, as far as the OS lets us see."""

    pid: int
    name: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.name})"


class PortStatus(NamedTuple):
    """Whether a port can be bound on every loopback address, and who holds it."""

    port: int
    busy_on: tuple[str, ...]  # loopback addresses where another socket holds the port
    holders: tuple[Holder, ...] | None  # None: the OS does not show holders here
    denied_on: tuple[str, ...] = ()  # addresses where this user may not bind it at all
    claimant: "Claimant | None" = None  # the stableport run claiming it, if one does
    closing: int = 0  # connections on it the kernel is closing, no process holding them

    @property
    def free(self) -> bool:
        """True when the port could be bound on every loopback address the host has."""
        return not self.busy_on and not self.denied_on

    @property
    def available(self) -> bool:
        """True when the port is free and no live stableport run claims it (see claims)."""
        return self.free and self.claimant is None

    @property
    def served_by_claimant(self) -> bool:
        """True when the live stableport run claiming the port (or its child) listens on it.

        Where the OS names no holder (another OS, or not visible), the claim is
        believed: a run's command inherited it, and nothing else can bind meanwhile
        without the claimant's server failing or moving (run refuses a held port).
        """
        if self.claimant is None or not self.busy_on or self.denied_on:
            return False
        if not self.holders:
            return True
        return any(_descends(holder.pid, self.claimant.pid) for holder in self.holders)

    def describe(self) -> str:
        """One phrase for messages: free, or in use (by whom), or not bindable (why)."""
        phrases = []
        if self.busy_on:
            phrases.append(f"in use on {' and '.join(self.busy_on)} ({self.holder_text()})")
        if self.denied_on:
            why = (
                "ports below 1024 need root or CAP_NET_BIND_SERVICE"
                if self.port < 1024
                else "excluded by the OS, e.g. a Windows excluded port range"
            )
            phrases.append(
                f"not bindable by this user on {' and '.join(self.denied_on)} "
                f"(permission denied: {why})"
            )
        if not phrases and self.claimant is not None:
            # Bindable, but a live `stableport run` holds it: its server is
            # starting, or stopped listening; another run would be refused.
            return f"not listened on, but claimed by {self.claimant}"
        return "; ".join(phrases) or "free on loopback"

    def holder_text(self) -> str:
        """Who holds the port, or why we cannot tell; the stableport run claiming it, if one is."""
        claimed = "" if self.claimant is None else f", claimed by {self.claimant}"
        if self.holders is None:
            return "holder unknown: this OS does not show which process holds a port" + claimed
        if not self.holders and self.closing:
            # A server that closed first leaves TIME_WAIT; binding fails unless it set SO_REUSEADDR.
            return (
                f"no process holds it: {self.closing} connection(s) closing (TIME_WAIT), "
                f"free in about a minute" + claimed
            )
        if not self.holders:
            return "holder unknown: not visible to this user" + claimed
        return "held by " + ", ".join(str(holder) for holder in self.holders) + claimed


def port_status(port: int, *, claims: bool = False) -> PortStatus:
    """Whether anything accepts connections to port or holds it; who, if something does.

    On each loopback address, a connection, then a bind; where both say free,
    a bind on that family's wildcard address. The stableport run claiming a
    busy port is named; with claims, a free port's claimant too.

    Raises:
        PortCheckError: The OS refused a socket to check with (too many open
            files, no memory), other than for a family the host lacks.
    """
    wildcards = {family: wildcard for wildcard, family in WILDCARD_ADDRESSES}
    verdicts = [
        _verdict(address, wildcards[family], family, port) for address, family in LOOPBACK_ADDRESSES
    ]
    busy_on = tuple(address for address, verdict in verdicts if verdict == "busy")
    denied_on = tuple(address for address, verdict in verdicts if verdict == "denied")
    holders = find_holders(port) if busy_on else ()
    closing = closing_connections(port) if busy_on and not holders else 0
    claimant = None
    if busy_on or claims:
        from ._claims import claimant as claimed  # noqa: PLC0415 - only when asked

        claimant = claimed(port)
    return PortStatus(port, busy_on, holders, denied_on, claimant, closing)


def _verdict(
    loopback: str, wildcard: str, family: socket.AddressFamily, port: int
) -> tuple[str, Bind]:
    """The address that decides, and what it says: loopback, or where it is free, the wildcard."""
    verdict = _accepts(loopback, family, port) or _try_bind(loopback, family, port)
    if verdict != "free":
        return loopback, verdict
    # Free on loopback: a server binding the wildcard (the common default) would
    # still fail where another address of the family holds the port.
    return wildcard, _try_bind(wildcard, family, port)


def _socket(address: str, family: socket.AddressFamily, port: int) -> "socket.socket | None":
    """A TCP socket to check port on address with; None where the host lacks the family.

    Raises:
        PortCheckError: The OS refused the socket for another reason (too many
            open files, no memory): the port cannot be checked.
    """
    try:
        return socket.socket(family, socket.SOCK_STREAM)
    except OSError as error:
        if error.errno in _NO_FAMILY:
            return None
        code = errno.errorcode.get(error.errno or 0, str(error.errno))
        advice = _ADVICE.get(error.errno or 0, "try again")
        raise PortCheckError(
            f"port {port} cannot be checked: the OS refused the socket to test it on "
            f"{address} ({error.strerror}, {code}), so whether it is free is unknown; {advice}"
        ) from None


def _accepts(address: str, family: socket.AddressFamily, port: int) -> 'Literal["busy"] | None':
    """'busy' if something on address accepts a connection to port, else None."""
    sock = _socket(address, family, port)
    if sock is None:
        return None  # no such address family on this host
    with sock:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect((address, port))
        except TimeoutError:
            return "busy"  # a listener with a full backlog: it is there
        except OSError:
            return None  # refused, or no such address: nothing accepts here
        # A port in the ephemeral range may connect to itself (TCP simultaneous
        # open) when nothing listens: that is no listener.
        return None if sock.getsockname()[:2] == sock.getpeername()[:2] else "busy"


def _try_bind(address: str, family: socket.AddressFamily, port: int) -> Bind:
    """'free', 'busy' or 'denied': what binding port on address says right now."""
    sock = _socket(address, family, port)
    if sock is None:
        return "free"  # no such address family on this host: nothing there to collide with
    with sock:
        if os.name != "nt":
            # As servers do: a port in TIME_WAIT is reusable, only a live socket blocks it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            # :: alone, not 0.0.0.0 as well: the IPv4 wildcard is tried on its own.
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((address, port))
        except OSError as error:
            if error.errno in _ABSENT:
                return "free"
            return "denied" if error.errno in _DENIED else "busy"
    return "free"


def find_holders(port: int, proc: str = "/proc") -> tuple[Holder, ...] | None:
    """Processes with a TCP socket bound to port, from Linux's /proc; None elsewhere."""
    root = Path(proc)
    if not sys.platform.startswith("linux") or not (root / "net").is_dir():
        return None
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes(port, root)}
    if not wanted:
        return ()
    holders = (
        Holder(int(process.name), _process_name(process))
        for process in root.iterdir()
        if process.name.isdigit() and wanted & _open_files(process)
    )
    return tuple(sorted(holders))


def closing_connections(port: int, proc: str = "/proc") -> int:
    """How many connections on port the kernel is closing with no process left (Linux; else 0)."""
    root = Path(proc)
    if not sys.platform.startswith("linux"):
        return 0
    return sum(
        state in _CLOSING_STATES and inode == "0" for state, inode in _sockets_on(port, root)
    )


def _socket_inodes(port: int, root: Path) -> set[str]:
    """Inodes of TCP sockets bound (listening or not) to port, IPv4 and IPv6."""
    return {
        inode for state, inode in _sockets_on(port, root) if state in _BOUND_STATES and inode != "0"
    }


def _sockets_on(port: int, root: Path) -> list[tuple[str, str]]:
    """(state, inode) of each TCP socket whose local port is port, IPv4 and IPv6."""
    lines: list[str] = []
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):  # a host without IPv6 has no tcp6 table
            lines.extend((root / "net" / table).read_text(encoding="ascii").splitlines()[1:])
    sockets = []
    for line in lines:
        # Columns: sl, local "ADDR:PORT" in hex, remote, state, ..., inode (the tenth).
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            sockets.append((fields[3], fields[9]))
    return sockets


def _open_files(process: Path) -> set[str]:
    """What the process's file descriptors point to; empty if we may not look."""
    targets = set()
    try:
        for descriptor in (process / "fd").iterdir():
            with contextlib.suppress(OSError):  # closed while we looked
                targets.add(str(descriptor.readlink()))
    except OSError:
        pass  # another user's process, or one that just exited
    return targets


def _descends(pid: int, ancestor: int, proc: str = "/proc") -> bool:
    """Whether pid is ancestor or one of its descendants (a server's worker), from /proc."""
    for _ in range(64):  # a parent chain that long is no chain of a dev server's
        if pid == ancestor:
            return True
        try:
            stat = (Path(proc) / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
    return False


def _process_name(process: Path) -> str:
    try:
        return (process / "comm").read_text(encoding="utf-8", errors="replace").strip() or "?"
    except OSError:
        return "?"
