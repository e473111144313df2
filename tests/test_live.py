"""Live port checks against real sockets, and the /proc reader against a fake /proc."""

import errno
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import stableport
from stableport import _lease_holder, _port_status
from stableport._errors import PortCheckError, StableportError
from stableport._fixture import StableportFixture
from stableport._lease_holder import LeaseHolder
from stableport._leasing import lease_family
from stableport._lockfile import Locks, lease_directory, lease_slot
from stableport._port_status import Holder, PortStatus, find_holders, port_status

from .util import USE_UP_DESCRIPTORS, clean_environment, own_name, python

pytest_plugins = ["pytester"]

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


@pytest.mark.parametrize(
    "code",
    [
        errno.EAFNOSUPPORT,  # Linux booted with ipv6.disable=1, for AF_INET6
        errno.EPROTONOSUPPORT,
        10047,  # Windows' WSAEAFNOSUPPORT
        10043,  # Windows' WSAEPROTONOSUPPORT
    ],
)
def test_no_address_family_means_nothing_to_collide_with(
    monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_family(*_args: object) -> None:
        raise OSError(code, "Address family not supported")

    monkeypatch.setattr(socket, "socket", no_family)
    assert port_status(20001).free


# -- a socket the OS refuses: the port is unknown, never free -------------------------


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.EMFILE, "this process has too many open files: raise its limit (ulimit -n)"),
        (errno.ENFILE, "the system has too many open files: close programs, or raise its"),
        (errno.ENOBUFS, "the system is out of buffer space for sockets"),
        (errno.ENOMEM, "the system is out of memory: free some"),
        (errno.EACCES, "try again"),  # socket(2): a policy refusing sockets
    ],
)
def test_a_socket_the_os_refuses_is_an_error_never_free(
    monkeypatch: pytest.MonkeyPatch, code: int, advice: str
) -> None:
    def refused(*_args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(socket, "socket", refused)
    with pytest.raises(PortCheckError) as caught:
        port_status(20001)
    message = str(caught.value)
    assert message.startswith(
        f"port 20001 cannot be checked: the OS refused the socket to test it on 127.0.0.1 "
        f"({os.strerror(code)}, {errno.errorcode[code]}), so whether it is free is unknown; "
    )
    assert advice in message
    # Caught as the OS error it is, or as stableport's.
    assert isinstance(caught.value, OSError)
    assert isinstance(caught.value, StableportError)


# A process that has used up its descriptors: its limit lowered, then filled
# with open files. What it runs (warm) first has loaded every module it needs,
# as an import opens a file too; no configuration file is read (a pin from
# STABLEPORT_PINS), so only the check's own socket needs a descriptor.
NO_DESCRIPTORS = """\
import os, resource, sys
from stableport._cli import main
from stableport._errors import PortCheckError
from stableport._port_status import port_status

{warm}
print("-- no descriptors left --", flush=True)
print("-- no descriptors left --", file=sys.stderr, flush=True)
{use_up}{then}
"""

needs_rlimit = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")


def without_descriptors(warm: str, then: str, cwd: Path, port: int) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of what came after the descriptors ran out."""
    script = NO_DESCRIPTORS.format(warm=warm, use_up=USE_UP_DESCRIPTORS, then=then)
    result = python(
        "-c", script, cwd=cwd, env=clean_environment({"STABLEPORT_PINS": f"web={port}"})
    )
    marker = "-- no descriptors left --\n"
    assert marker in result.stdout, result.stderr
    return (
        result.returncode,
        result.stdout.partition(marker)[2],
        result.stderr.partition(marker)[2],
    )


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def emfile(port: int) -> str:
    return (
        f"port {port} cannot be checked: the OS refused the socket to test it on 127.0.0.1 "
        f"({os.strerror(errno.EMFILE)}, EMFILE), so whether it is free is unknown; this process "
        f"has too many open files: raise its limit (ulimit -n) or close descriptors"
    )


@needs_rlimit
def test_a_port_checked_without_a_descriptor_left_is_an_error(tmp_path: Path) -> None:
    port = unused_port()
    then = """\
try:
    print("free" if port_status(int(sys.argv[1])).free else "not free")
except PortCheckError as error:
    print(error)
"""
    script = NO_DESCRIPTORS.format(warm="", use_up=USE_UP_DESCRIPTORS, then=then)
    result = python("-c", script, str(port), cwd=tmp_path, env=clean_environment())
    assert result.stdout.splitlines()[-1] == emfile(port), result.stderr


@needs_rlimit
def test_check_live_without_a_descriptor_left_fails_and_calls_nothing_free(
    tmp_path: Path,
) -> None:
    port = unused_port()
    code, out, err = without_descriptors(
        'main(["check", "--live"])', 'sys.exit(main(["check", "--live"]))', tmp_path, port
    )
    assert (code, out) == (2, "")
    assert err == f"stableport: error: {emfile(port)}\n"


@needs_rlimit
def test_run_without_a_descriptor_left_starts_nothing(tmp_path: Path) -> None:
    # Warmed by a run whose command is not found (run returns; its probe and
    # claim ran). Unchecked, the port could be a program's: run refuses it.
    port = unused_port()
    code, out, err = without_descriptors(
        'main(["run", "web", "--", "no-such-command-of-stableport"])',
        'sys.exit(main(["run", "web", "--", "sh", "-c", "echo started"]))',
        tmp_path,
        port,
    )
    assert (code, out) == (2, "")
    # After its note that the built-in defaults apply (no configuration file).
    assert err.splitlines()[-1] == f"stableport: error: run: {emfile(port)}"
    assert "started" not in err


def test_run_refuses_a_port_it_cannot_check_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The same refusal as above, in this process (what coverage sees): every
    # socket refused as a process out of descriptors has it; nothing started.
    from stableport._cli import main  # noqa: PLC0415 - the command line, this test only
    from stableport._cli.commands import run  # noqa: PLC0415

    started: list[list[str]] = []

    def start(argv: list[str], _environment: dict[str, str]) -> int:
        # Never this process replaced by the command, should run go on to start it.
        started.append(argv)
        return 0

    monkeypatch.setattr(run, "start", start)
    port = unused_port()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STABLEPORT_PINS", f"web={port}")

    def refused(*_args: object) -> None:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    monkeypatch.setattr(socket, "socket", refused)
    code = main(["run", "web", "--", "sh", "-c", "echo started"])
    out, err = capsys.readouterr()
    assert (code, out, started) == (2, "", [])
    assert err.splitlines()[-1] == f"stableport: error: run: {emfile(port)}"


def test_ps_fails_on_a_port_it_cannot_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # ps lists each port's state: one it cannot check has none to list.
    from stableport._cli import main  # noqa: PLC0415 - the command line, this test only

    (tmp_path / "stableport.toml").write_text('services = ["web"]\n')
    monkeypatch.chdir(tmp_path)
    port = stableport.load(tmp_path / "stableport.toml").port_for("web")

    def refused(*_args: object) -> None:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    monkeypatch.setattr(socket, "socket", refused)
    code = main(["ps"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"stableport: error: {emfile(port)}\n"


# The pytest fixture probes the ports it hands out: an inner session whose
# sockets are all refused, as a process out of descriptors has them refused.
REFUSING_CONFTEST = """\
import errno, os, socket

def refused(*_args, **_kwargs):
    raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

socket.socket = refused
"""


def test_the_fixture_does_not_hand_out_a_port_it_could_not_check(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", stableport='services = ["web"]')
    pytester.makeconftest(REFUSING_CONFTEST)
    pytester.makepyfile("def test_port(stableport):\n    assert stableport('web')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert "passed" not in outcomes, result.stdout.str()
    # The fixture's one-line failure, as for any port it cannot hand out: no traceback.
    result.stdout.fnmatch_lines(["stableport: port * cannot be checked*EMFILE*ulimit -n*"])
    result.stdout.no_fnmatch_line("*PortCheckError*")


def test_a_port_that_could_not_be_checked_is_asked_for_again_not_moved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Refused once (out of descriptors a moment), the port's lock is given
    # back: the next lookup of the name gets its own port, not the next one.
    project = stableport.PortMap(["web"])
    locks = Locks(lease_directory())
    refusals = [PortCheckError(f"port {project.port_for('cache', 'test')} cannot be checked")]

    def refused_once(port: int) -> PortStatus:
        if refusals:
            raise refusals.pop()
        return port_status(port)

    monkeypatch.setattr(_lease_holder, "port_status", refused_once)
    try:
        fixture = StableportFixture(LeaseHolder(project, "test", lease=0, locks=locks))
        with pytest.raises(pytest.fail.Exception) as failed:
            fixture("cache")
        port = fixture("cache")
    finally:
        locks.release()
    assert str(failed.value) == f"stableport: port {port} cannot be checked"
    assert port == project.port_for("cache", "test")
    assert fixture.moved == []


def test_a_lease_whose_port_could_not_be_checked_keeps_none_of_its_locks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The lease's number and every declared port it locked before the refusal
    # are given back: another run may take them, as if this one never tried.
    project = stableport.PortMap(["web", "api", "db"])
    locks, other = Locks(lease_directory()), Locks(lease_directory())
    probed: list[int] = []

    def refused_third(port: int) -> PortStatus:
        probed.append(port)
        if len(probed) == 3:
            raise PortCheckError(f"port {port} cannot be checked")
        return port_status(port)

    monkeypatch.setattr(_lease_holder, "port_status", refused_third)
    try:
        with pytest.raises(PortCheckError):
            LeaseHolder.take(project, "test", locks, 1)
        held = [port for port in probed if not other.take(port)]
        lease_free = other.take(lease_slot(lease_family(project, "test"), 1))
    finally:
        locks.release()
        other.release()
    assert len(probed) == 3
    assert held == []
    assert lease_free


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
