"""The ports each OS takes away: netsh and sysctl read from recorded outputs, the OS injected.

No Windows or macOS host ran these: the OS (_os_ports.SYSTEM) and the command
(_os_ports.COMMAND) are injected, and the outputs below are what those
commands printed on real hosts, as published (each names where), or, where
marked, built from a recorded one with another language's headers: only
the numbers are read, so the headers must not matter.
"""

from pathlib import Path

import pytest

from stableport import PortMap, _os_ports
from stableport._check import check_map
from stableport._cli import main
from stableport._config import Origin
from stableport._fixture import StableportFixture
from stableport._lease_holder import LeaseHolder
from stableport._lockfile import Locks

# `netsh interface ipv4 show excludedportrange protocol=tcp` on a GitHub Actions
# Windows runner, after an administrator excluded 55679
# (open-telemetry/opentelemetry-collector PR #10839).
EXCLUDED_ENGLISH = """\

Protocol tcp Port Exclusion Ranges

Start Port    End Port
----------    --------
        80          80
      5986        5986
     47001       47001
     55679       55679     *

* - Administered port exclusions.

"""
# The same command on a Spanish Windows with WSL2 (microsoft/WSL issue 5306),
# 14 blocks between 24266 and 26212, inside stableport's default range.
EXCLUDED_SPANISH = """\
Puerto de inicio    Puerto final
----------          --------
      1025        1124
      1125        1224
      1225        1324
      1325        1424
      1425        1524
      1525        1624
      5357        5357
      5700        5700
      8884        8884
     24266       24365
     24466       24565
     24566       24665
     24666       24765
     24902       25001
     25002       25101
     25102       25201
     25313       25412
     25513       25612
     25613       25712
     25713       25812
     25913       26012
     26013       26112
     26113       26212
     50000       50059
"""
# Built, not recorded: EXCLUDED_ENGLISH's numbers under German and Japanese
# headers (a header with digits in it too), to show only the numbers count.
EXCLUDED_GERMAN = """\

Protokoll tcp Portausschlussbereiche

Startport    Endport
----------    --------
     24266       24365
     55679       55679     *

* - Verwaltete Portausschlüsse.
"""
EXCLUDED_JAPANESE = """\
プロトコル tcp ポート除外範囲

開始ポート    終了ポート
----------    --------
     24266       24365
2 個の範囲
"""
# `netsh int ipv4 show dynamicport tcp`: English (dorssel/usbipd-win issue 53),
# German (SeleniumHQ/selenium issue 7284).
DYNAMIC_ENGLISH = """\

Protocol tcp Dynamic Port Range
---------------------------------
Start Port      : 49152
Number of Ports : 16384

"""
DYNAMIC_GERMAN = """\

Protokoll tcp Dynamischer Portbereich
---------------------------------
Startport      : 49152
Anzahl von Ports : 16384

"""
# The dynamic range an installer moved to start at 1024 (nmap/nmap PR #3499,
# actions/runner-images PR 1442): built from DYNAMIC_ENGLISH.
DYNAMIC_MOVED = DYNAMIC_ENGLISH.replace("49152", "1024").replace("16384", "64511")


def inject(
    monkeypatch: pytest.MonkeyPatch, system: str, outputs: dict[tuple[str, ...], str]
) -> list[tuple[str, ...]]:
    """The OS and what its commands print, for this test; the commands asked, in order."""
    asked: list[tuple[str, ...]] = []

    def command(argv: tuple[str, ...]) -> str | None:
        asked.append(argv)
        return outputs.get(argv)

    monkeypatch.setattr(_os_ports, "SYSTEM", system)
    monkeypatch.setattr(_os_ports, "COMMAND", command)
    monkeypatch.setattr(_os_ports, "_cache", None)
    return asked


def windows(
    monkeypatch: pytest.MonkeyPatch,
    excluded: str = EXCLUDED_SPANISH,
    dynamic: str = DYNAMIC_ENGLISH,
) -> list[tuple[str, ...]]:
    outputs: dict[tuple[str, ...], str] = {
        _os_ports.NETSH_EXCLUDED: excluded,
        _os_ports.NETSH_DYNAMIC: dynamic,
    }
    return inject(monkeypatch, "win32", outputs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            EXCLUDED_ENGLISH,
            [(80, 80, False), (5986, 5986, False), (47001, 47001, False), (55679, 55679, True)],
        ),
        (EXCLUDED_GERMAN, [(24266, 24365, False), (55679, 55679, True)]),
        (EXCLUDED_JAPANESE, [(24266, 24365, False)]),
        ("", []),
        ("70000 70001\n300 200\n12 x\n", []),  # no ports, reversed, not two integers
    ],
)
def test_only_lines_of_two_integers_are_excluded_ranges(
    text: str, expected: list[tuple[int, int, bool]]
) -> None:
    assert _os_ports.parse_excluded(text) == expected


def test_the_spanish_hosts_fourteen_blocks_in_the_default_range() -> None:
    ranges = _os_ports.parse_excluded(EXCLUDED_SPANISH)
    assert len(ranges) == 24
    inside = [(first, last) for first, last, _ in ranges if 20000 <= first <= 29999]
    assert (len(inside), inside[0], inside[-1]) == (14, (24266, 24365), (26113, 26212))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DYNAMIC_ENGLISH, (49152, 65535)),
        (DYNAMIC_GERMAN, (49152, 65535)),
        (DYNAMIC_MOVED, (1024, 65534)),
        ("Start Port : 49152\n", None),  # no count
        ("Start Port : 60000\nNumber of Ports : 16384\n", None),  # past 65535
    ],
)
def test_the_dynamic_range_is_the_first_two_numbers(
    text: str, expected: tuple[int, int] | None
) -> None:
    assert _os_ports.parse_dynamic(text) == expected


def test_windows_asks_netsh_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = windows(monkeypatch)
    assert _os_ports.excluded(24300) == _os_ports.Reserved(
        24266, 24365, _os_ports.EXCLUDED, " ".join(_os_ports.NETSH_EXCLUDED)
    )
    assert _os_ports.excluded(24400) is None
    assert _os_ports.excluded(50000) is not None
    assert asked == [_os_ports.NETSH_DYNAMIC, _os_ports.NETSH_EXCLUDED]


def test_an_administered_exclusion_is_no_exclusion_to_avoid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    windows(monkeypatch, excluded=EXCLUDED_ENGLISH)
    assert _os_ports.excluded(55679) is None  # reserved by an administrator: bindable
    assert _os_ports.excluded(5986) is not None


def test_netsh_that_cannot_run_takes_nothing_away(monkeypatch: pytest.MonkeyPatch) -> None:
    inject(monkeypatch, "win32", {})
    assert _os_ports.taken_away() == ()


@pytest.mark.parametrize(
    ("system", "outputs"),
    [
        ("darwin", {}),  # sysctl missing or failing
        ("darwin", {_os_ports.MACOS_SYSCTL: "net.inet.ip.portrange.first: 49152\n"}),
        ("freebsd14", {_os_ports.MACOS_SYSCTL: "10000\n65535\n"}),  # not asked
    ],
)
def test_an_os_that_says_nothing_readable_takes_nothing_away(
    monkeypatch: pytest.MonkeyPatch, system: str, outputs: dict[tuple[str, ...], str]
) -> None:
    inject(monkeypatch, system, outputs)
    assert _os_ports.taken_away() == ()


def test_a_real_command_that_fails_or_is_missing_says_nothing() -> None:
    assert _os_ports.run_command(("false",)) is None
    assert _os_ports.run_command(("/nonexistent/netsh",)) is None
    assert _os_ports.run_command(("echo", "1024", "2000")) == "1024 2000\n"


def findings(pm: PortMap) -> list[str]:
    return [str(finding) for finding in check_map(pm, Origin(None))]


def test_check_names_each_declared_port_in_an_excluded_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    windows(monkeypatch)
    pm = PortMap(["web", "api"], pins={"web": 24300, "api": 24400})
    assert [line for line in findings(pm) if "24" in line.split(":")[1]] == [
        "problem: web@default 24300: excluded by the OS: 24300 is in a Windows excluded port "
        "range 24266-24365 (`netsh interface ipv4 show excludedportrange protocol=tcp`), likely "
        "reserved by Hyper-V, WSL2 or WinNAT (the winnat service; Docker Desktop uses them); "
        "binding it fails with WinError 10013; pin web outside it (pins.web = PORT, or "
        "STABLEPORT_PINS=web=PORT); or, as administrator while 24300 is free (after a restart, "
        "before WSL2 or Hyper-V start), reserve it for yourself, which keeps it bindable: "
        "`netsh int ipv4 add excludedportrange protocol=tcp startport=24300 numberofports=1 "
        "store=persistent`; or move range away from 24266-24365"
    ]


def test_check_notes_a_port_in_an_administered_exclusion(monkeypatch: pytest.MonkeyPatch) -> None:
    windows(monkeypatch, excluded=EXCLUDED_GERMAN)
    pm = PortMap(["web"], pins={"web": 55679})
    assert (
        "note: web@default 55679: 55679 is in a Windows excluded port range 55679 an "
        "administrator added (`netsh interface ipv4 show excludedportrange protocol=tcp`, "
        "marked *): Windows hands none of it out, and applications still bind it"
    ) in findings(pm)


def test_check_names_a_moved_windows_dynamic_range(monkeypatch: pytest.MonkeyPatch) -> None:
    windows(monkeypatch, excluded="", dynamic=DYNAMIC_MOVED)
    assert (
        "problem: range: 20000-29999 overlaps the Windows dynamic port range (netsh int ipv4 "
        "show dynamicport tcp) 1024-65534 by 10000 port(s): a listener there can find its "
        "port already taken"
    ) in findings(PortMap())
    windows(monkeypatch, excluded="", dynamic=DYNAMIC_GERMAN)  # the default: said once already
    assert not [line for line in findings(PortMap()) if "Windows dynamic" in line]


@pytest.mark.parametrize(("first", "last", "moved"), [(49152, 65535, False), (10000, 65535, True)])
def test_check_reads_macos_ephemeral_range_from_sysctl(
    monkeypatch: pytest.MonkeyPatch, first: int, last: int, *, moved: bool
) -> None:
    # `sysctl -n a b` prints each value on a line of its own.
    inject(monkeypatch, "darwin", {_os_ports.MACOS_SYSCTL: f"{first}\n{last}\n"})
    expected = (
        f"problem: range: 20000-29999 overlaps this host's ephemeral range (sysctl -n ...) "
        f"{first}-{last} by 10000 port(s): a listener there can find its port already taken"
    )
    assert (expected in findings(PortMap())) is moved


def test_check_on_the_command_line_exits_1_naming_the_range(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    windows(monkeypatch)
    monkeypatch.setenv("STABLEPORT_PINS", "web=24300")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "problem: web@default 24300: excluded by the OS: 24300 is in a Windows" in out


def test_run_refuses_an_excluded_port_saying_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    windows(monkeypatch)
    monkeypatch.setenv("STABLEPORT_PINS", "web=25000")
    assert main(["run", "web", "--", "false"]) == 2
    # (After the note that no configuration file was found.)
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith(
        "stableport: error: run: port 25000 of web@default is excluded by the OS: 25000 is in "
        "a Windows excluded port range 24902-25001 (`netsh interface ipv4 show "
        "excludedportrange protocol=tcp`), likely reserved by Hyper-V, WSL2 or WinNAT"
    )
    assert "startport=25000 numberofports=1 store=persistent" in err


def test_the_fixture_moves_a_name_off_an_excluded_port(monkeypatch: pytest.MonkeyPatch) -> None:
    windows(monkeypatch)
    pm = PortMap(["web"], pins={"web": 24300})
    fixture = StableportFixture(LeaseHolder(pm, "default"))
    port = fixture("web")
    assert port != 24300
    assert _os_ports.excluded(port) is None
    assert fixture.moved == [f"web 24300 -> {port}"]


def test_a_lease_whose_declared_port_is_excluded_is_passed_over_saying_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    windows(monkeypatch)
    pm = PortMap(["web"], pins={("web", "test"): 24300}, envs=["test"], env="test")
    locks = Locks(tmp_path)
    try:
        holder = LeaseHolder(pm, "test", lease=0, locks=locks)
        why = holder._reserve()  # what pytest's summary shows for lease 0
        assert why is not None
        assert why.startswith(
            "port 24300 of 'web' is excluded by the OS: 24300 is in a Windows excluded port "
            "range 24266-24365"
        )
        assert len(locks) == 0  # nothing of the lease kept
    finally:
        locks.release()
