"""Live port checks against real sockets, and the /proc reader against a fake /proc."""

import errno
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stableport import _port_status
from stableport._port_status import Holder, PortStatus, find_holders, port_status

from .util import own_name

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real TCP listener on an OS-chosen loopback port, closed after the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def test_a_port_held_by_a_listener_is_busy_and_free_once_it_closes(
    listener: socket.socket,
) -> None:
    port = listener.getsockname()[1]
    status = port_status(port)
    assert not status.free
    assert status.busy_on == ("127.0.0.1",)
    listener.close()
    assert port_status(port) == PortStatus(port, (), ())
    assert port_status(port).describe() == "free on loopback"


@linux_only
def test_the_holder_is_this_process_by_pid_and_name(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    status = port_status(port)
    assert status.holders == (Holder(os.getpid(), own_name()),)
    assert status.describe() == f"in use on 127.0.0.1 (held by pid {os.getpid()} ({own_name()}))"


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_an_ipv6_only_listener_is_seen_on_its_address() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(("::1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_status(port).busy_on == ("::1",)


def test_other_systems_say_the_holder_is_unknown(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    port = listener.getsockname()[1]
    status = port_status(port)
    assert status.holders is None
    assert status.holder_text() == (
        "holder unknown: this OS does not show which process holds a port"
    )


def test_an_invisible_holder_is_said_to_be_invisible() -> None:
    status = PortStatus(20001, ("127.0.0.1", "::1"), ())
    assert status.describe() == (
        "in use on 127.0.0.1 and ::1 (holder unknown: not visible to this user)"
    )


class RefusingSocket:
    """A socket whose bind fails with one errno, as the OS would."""

    def __init__(self, code: int) -> None:
        self.code = code

    def __enter__(self) -> "RefusingSocket":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, _timeout: float) -> None:
        pass

    def connect(self, _address: tuple[str, int]) -> None:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")

    def bind(self, _address: tuple[str, int]) -> None:
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize(
    ("code", "port", "expected"),
    [
        (
            errno.EACCES,
            1023,
            "not bindable by this user on 127.0.0.1 and ::1 (permission denied: "
            "ports below 1024 need root or CAP_NET_BIND_SERVICE)",
        ),
        (
            errno.EPERM,
            50000,
            "not bindable by this user on 127.0.0.1 and ::1 (permission denied: "
            "excluded by the OS, e.g. a Windows excluded port range)",
        ),
        (
            # Windows' WSAEACCES, a port in an excluded range: was "in use".
            10013,
            29999,
            "not bindable by this user on 127.0.0.1 and ::1 (permission denied: "
            "excluded by the OS, e.g. a Windows excluded port range)",
        ),
        (errno.EADDRNOTAVAIL, 20001, "free on loopback"),
        (errno.EADDRINUSE, 20001, None),
    ],
)
def test_a_port_this_user_may_not_bind_is_not_called_busy(
    monkeypatch: pytest.MonkeyPatch, code: int, port: int, expected: str | None
) -> None:
    monkeypatch.setattr(socket, "socket", lambda *_args: RefusingSocket(code))
    status = port_status(port)
    if expected is None:
        assert status.busy_on == ("127.0.0.1", "::1")
        assert not status.denied_on
    else:
        assert status.describe() == expected
        assert not status.busy_on


def test_no_address_family_means_nothing_to_collide_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_family(*_args: object) -> None:
        raise OSError(errno.EAFNOSUPPORT, "Address family not supported")

    monkeypatch.setattr(socket, "socket", no_family)
    assert port_status(20001).free


HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid ...\n"


def socket_line(port: int, state: str, inode: int) -> str:
    return (
        f"   0: 0100007F:{port:04X} 00000000:0000 {state} 00000000:00000000 00:00000000 "
        f"00000000  1000        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )


@pytest.fixture
def fake_proc(tmp_path: Path) -> Path:
    """A /proc with a listener (pid 10), a connected socket (pid 11) and a hidden pid 12."""
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(
        HEADER
        + socket_line(20001, "0A", 111)
        + socket_line(20001, "01", 222)  # an established connection from the port: not bound
        + socket_line(20002, "07", 333)  # bound, not listening: still blocks a bind
        + socket_line(20003, "0A", 0)  # inode 0: a socket in teardown
    )
    (tmp_path / "net" / "tcp6").write_text(HEADER + socket_line(20004, "0A", 444))
    for pid, inodes in ((10, [111, 444]), (11, [222, 333])):
        fd = tmp_path / str(pid) / "fd"
        fd.mkdir(parents=True)
        (tmp_path / str(pid) / "comm").write_text(f"server{pid}\n")
        for number, inode in enumerate(inodes):
            (fd / str(number)).symlink_to(f"socket:[{inode}]")
        (fd / "9").symlink_to("/dev/null")
    (tmp_path / "12").mkdir()  # no fd dir readable: another user's process
    (tmp_path / "self").mkdir()
    return tmp_path


@linux_only
@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (20001, (Holder(10, "server10"),)),
        (20002, (Holder(11, "?"),)),
        (20003, ()),
        (20004, (Holder(10, "server10"),)),
        (20005, ()),
    ],
)
def test_holders_are_read_from_proc(
    fake_proc: Path, port: int, expected: tuple[Holder, ...]
) -> None:
    (fake_proc / "11" / "comm").unlink()  # a process whose name is gone keeps its pid
    assert find_holders(port, str(fake_proc)) == expected


@linux_only
def test_a_host_without_ipv6_tables_still_reads_ipv4(fake_proc: Path) -> None:
    (fake_proc / "net" / "tcp6").unlink()
    assert find_holders(20001, str(fake_proc)) == (Holder(10, "server10"),)


def test_a_system_without_proc_net_shows_no_holders(tmp_path: Path) -> None:
    assert find_holders(20001, str(tmp_path)) is None


# -- no false "free" where a bind would say free ------------------------------------------

# Every address family and address a listener may take here: loopback and wildcard,
# IPv4 and (where the host has it) IPv6, the IPv6 wildcard both alone and dual-stack.
LISTENERS = [
    pytest.param("127.0.0.1", socket.AF_INET, False, id="ipv4-loopback"),
    pytest.param("0.0.0.0", socket.AF_INET, False, id="ipv4-wildcard"),  # noqa: S104
    pytest.param("::1", socket.AF_INET6, True, id="ipv6-loopback"),
    pytest.param("::", socket.AF_INET6, True, id="ipv6-wildcard-v6only"),
    pytest.param("::", socket.AF_INET6, False, id="ipv6-wildcard-dual-stack"),
]


@contextmanager
def listening_on(address: str, family: socket.AddressFamily, v6only: bool) -> Iterator[int]:  # noqa: FBT001
    """A real listener on address (skips where the host lacks it); yields its port."""
    if family == socket.AF_INET6 and not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback on this host")
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind((address, 0))
        sock.listen()
        yield sock.getsockname()[1]


def binds_always_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Binds as macOS and the BSDs answer them next to another's wildcard listener."""
    monkeypatch.setattr(_port_status, "_try_bind", lambda *_args: "free")


@pytest.mark.parametrize(("address", "family", "v6only"), LISTENERS)
def test_a_listener_on_any_address_is_never_called_free(
    address: str,
    family: socket.AddressFamily,
    v6only: bool,  # noqa: FBT001
) -> None:
    with listening_on(address, family, v6only) as port:
        status = port_status(port)
    assert not status.free
    assert status.busy_on


@pytest.mark.parametrize(("address", "family", "v6only"), LISTENERS)
def test_a_listener_is_found_by_connecting_where_every_bind_would_succeed(
    address: str,
    family: socket.AddressFamily,
    v6only: bool,  # noqa: FBT001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    binds_always_succeed(monkeypatch)
    with listening_on(address, family, v6only) as port:
        status = port_status(port)
        # Reachable on the loopback of its family (a dual-stack :: on both).
        loopback = "127.0.0.1" if family == socket.AF_INET else "::1"
        assert loopback in status.busy_on
        if address == "::" and not v6only:
            assert status.busy_on == ("127.0.0.1", "::1")
    assert port_status(port).free  # closed: nothing accepts, every bind succeeds


def test_nothing_listening_is_free_by_connection_too(monkeypatch: pytest.MonkeyPatch) -> None:
    binds_always_succeed(monkeypatch)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        assert port_status(port).free


def non_loopback_ipv4() -> str | None:
    """An IPv4 address of this host other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


def test_a_port_held_on_another_address_is_busy_on_the_wildcard() -> None:
    # Loopback is free, but a dev server binding 0.0.0.0 (the default) would fail.
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this host")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        sock.listen()
        status = port_status(sock.getsockname()[1])
    assert status.busy_on == ("0.0.0.0",)  # noqa: S104


class SelfConnected:
    """A socket that connected to itself, as TCP simultaneous open allows."""

    def __init__(self, *_args: object) -> None:
        pass

    def __enter__(self) -> "SelfConnected":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def settimeout(self, _timeout: float) -> None:
        pass

    def connect(self, _address: tuple[str, int]) -> None:
        pass

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 40000)

    def getpeername(self) -> tuple[str, int]:
        return ("127.0.0.1", 40000)


def test_a_connection_to_itself_is_no_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", SelfConnected)
    assert _port_status._accepts("127.0.0.1", socket.AF_INET, 40000) is None


def test_a_connection_that_waits_is_a_listener_with_a_full_backlog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Waiting(SelfConnected):
        def connect(self, _address: tuple[str, int]) -> None:
            raise TimeoutError

    monkeypatch.setattr(socket, "socket", Waiting)
    assert _port_status._accepts("127.0.0.1", socket.AF_INET, 40000) == "busy"


# -- a port in TIME_WAIT is said to be one -------------------------------------------------


def closed_first(*, reuse: bool) -> int:
    """A port whose only socket is a connection its server closed first (in TIME_WAIT)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuse:  # what servers set; the connection it accepts inherits it
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port: int = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server's side first: its end waits in TIME_WAIT
            assert client.recv(1) == b""
    return port


@linux_only
def test_a_port_in_time_wait_is_said_to_be_closing_not_held_by_an_invisible_process() -> None:
    port = closed_first(reuse=False)
    status = port_status(port)
    assert status.busy_on == ("127.0.0.1",)  # a server's bind fails there for now
    assert status.holders == ()
    assert status.closing == 1
    assert status.describe() == (
        "in use on 127.0.0.1 (no process holds it: 1 connection(s) closing (TIME_WAIT), "
        "free in about a minute)"
    )


def test_a_port_in_time_wait_a_server_can_reuse_is_free() -> None:
    # The bind a server makes (SO_REUSEADDR) succeeds: no reason to pass it over.
    assert port_status(closed_first(reuse=True)).free


@linux_only
def test_closing_connections_are_counted_from_proc(fake_proc: Path) -> None:
    with (fake_proc / "net" / "tcp").open("a") as table:
        table.write(socket_line(20009, "06", 0) + socket_line(20009, "05", 0))
        table.write(socket_line(20009, "01", 555))  # a live connection: a process has it
    assert _port_status.closing_connections(20009, str(fake_proc)) == 2
    assert _port_status.closing_connections(20001, str(fake_proc)) == 0


# -- a port its claimant (or a child of it) serves -----------------------------------------


@linux_only
def test_a_holder_descends_from_its_claimant_through_proc() -> None:
    assert _port_status._descends(os.getpid(), os.getpid())
    assert _port_status._descends(os.getpid(), os.getppid())  # a child of its parent
    assert not _port_status._descends(os.getppid(), os.getpid())
    assert not _port_status._descends(2**22 + 1, os.getpid())  # no such process


def test_served_by_claimant_believes_the_claim_only_where_a_holder_fits() -> None:
    from stableport._claims import Claimant  # noqa: PLC0415

    claimant = Claimant(None, 0, "default", "web", os.getpid(), None)
    listening = PortStatus(20001, ("127.0.0.1",), (Holder(os.getpid(), "python"),), (), claimant)
    assert listening.served_by_claimant
    assert listening._replace(holders=None).served_by_claimant  # the OS names none: believed
    assert not listening._replace(busy_on=()).served_by_claimant  # claimed, not listened on
    assert not listening._replace(claimant=None).served_by_claimant
    if sys.platform.startswith("linux"):
        stranger = (Holder(2**22 + 1, "other"),)
        assert not listening._replace(holders=stranger).served_by_claimant


def test_a_parent_chain_is_followed_only_so_far(tmp_path: Path) -> None:
    # A chain longer than any dev server's (a loop in a fake /proc, say) ends: no ancestor.
    for pid in range(100, 200):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (a (b) c) S {pid + 1} 0 0\n")
    assert _port_status._descends(100, 150, str(tmp_path))
    assert not _port_status._descends(100, 190, str(tmp_path))  # 90 steps up: past the limit
    assert not _port_status._descends(100, 5, str(tmp_path))
