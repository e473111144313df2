"""check_map: which pins and ranges are problems, which are notes, and what each says."""

from pathlib import Path

import pytest

from stableport import PortMap
from stableport._check import NOTE, PROBLEM, Finding, check_map
from stableport._config import Origin, load_with_origin
from stableport._os_ports import linux_range

from .util import run

NO_HOST_FILE = "/nonexistent/ip_local_port_range"


def findings(pm: PortMap, origin: Origin | None = None, host: str = NO_HOST_FILE) -> list[str]:
    return [str(finding) for finding in check_map(pm, origin or Origin(None), linux_range(host))]


def test_the_default_range_has_only_its_documented_notes() -> None:
    assert findings(PortMap()) == [
        "note: range: 20000-29999 overlaps FreeBSD's ephemeral range 10000-65535 by 10000 "
        "port(s): a listener there can find its port already taken",
        "note: range: 20000-29999 overlaps Nomad's dynamic ports 20000-32000 by 10000 "
        "port(s): a listener there can find its port already taken",
        "note: range: 20000-29999 overlaps portpicker's fallback pool 15000-24999 by 5000 "
        "port(s): a listener there can find its port already taken",
    ]


# A low custom range overlaps nothing, so only the pin's own findings show.
QUIET_RANGE = (2000, 2999)


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (
            6667,
            [
                f"{PROBLEM}: pins['irc']: 6667 is blocked by browsers (WHATWG Fetch 'bad port' "
                "list): ERR_UNSAFE_PORT"
            ],
        ),
        (
            80,
            [
                f"{PROBLEM}: pins['irc']: 80 is below 1024: binding it needs root "
                "(or CAP_NET_BIND_SERVICE)"
            ],
        ),
        (5432, [f"{NOTE}: pins['irc']: 5432 is the usual port of PostgreSQL"]),
        (
            31000,
            [
                f"{PROBLEM}: pins['irc']: 31000 is in Kubernetes NodePorts 30000-32767",
                f"{NOTE}: pins['irc']: 31000 is in FreeBSD's ephemeral range 10000-65535",
                f"{NOTE}: pins['irc']: 31000 is in Nomad's dynamic ports 20000-32000",
            ],
        ),
        (
            50000,
            [
                f"{PROBLEM}: pins['irc']: 50000 is in the Linux ephemeral range 32768-60999",
                f"{PROBLEM}: pins['irc']: 50000 is in the IANA dynamic range (ephemeral on "
                "macOS and Windows) 49152-65535",
                f"{NOTE}: pins['irc']: 50000 is in FreeBSD's ephemeral range 10000-65535",
            ],
        ),
        (2500, []),
    ],
)
def test_pins_that_will_hurt_are_named(port: int, expected: list[str]) -> None:
    assert findings(PortMap(pins={"irc": port}, port_range=QUIET_RANGE)) == expected


def test_a_per_environment_pin_is_named_by_its_key() -> None:
    # A namespace, so irc hashed outside dev brings no note about sharing names.
    pm = PortMap(pins={("irc", "dev"): 80}, port_range=QUIET_RANGE, namespace="chat")
    assert findings(pm) == [
        "problem: pins['irc@dev']: 80 is below 1024: binding it needs root "
        "(or CAP_NET_BIND_SERVICE)"
    ]


def test_ranges_below_1024_or_in_ephemeral_ports_are_problems() -> None:
    found = check_map(PortMap(port_range=(1000, 1100)), Origin(None), ())
    assert found == [
        Finding(PROBLEM, "range", "1000-1100 starts below 1024: binding those ports needs root")
    ]
    found = check_map(PortMap(port_range=(60000, 61000)), Origin(None), ())
    assert [(f.level, f.message.split(" by ")[0]) for f in found] == [
        (PROBLEM, "60000-61000 overlaps the Linux ephemeral range 32768-60999"),
        (
            PROBLEM,
            "60000-61000 overlaps the IANA dynamic range (ephemeral on macOS and "
            "Windows) 49152-65535",
        ),
        (NOTE, "60000-61000 overlaps FreeBSD's ephemeral range 10000-65535"),
    ]
    assert found[0].message.endswith(
        "by 1000 port(s): a listener there can find its port already taken"
    )


@pytest.mark.parametrize("content", ["32768\t60999\n", "garbage\n"])
def test_this_hosts_ephemeral_range_counts_only_when_changed(tmp_path: Path, content: str) -> None:
    host = tmp_path / "ip_local_port_range"
    host.write_text(content)
    assert findings(PortMap(port_range=QUIET_RANGE), host=str(host)) == []


def test_a_host_whose_ephemeral_range_was_moved_onto_ours_is_a_problem(tmp_path: Path) -> None:
    host = tmp_path / "ip_local_port_range"
    host.write_text("2500\t2600\n")
    assert findings(PortMap(port_range=QUIET_RANGE), host=str(host)) == [
        f"problem: range: 2000-2999 overlaps this host's ephemeral range ({host}) 2500-2600 "
        "by 101 port(s): a listener there can find its port already taken"
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"STABLEPORT_PINS": "billing=2200,auth@test=2300", "STABLEPORT_ENV": "Prod"},
            [
                "problem: STABLEPORT_PINS: replaces the file's pin billing = 2100 with 2200; "
                "unset the variable to use the file's port",
                "note: STABLEPORT_PINS: pins auth@test = 2300, which the file does not pin",
                "note: STABLEPORT_ENV='Prod': sets the default environment to 'prod'",
            ],
        ),
        (
            {"STABLEPORT_PINS": "billing=2100"},
            ["note: STABLEPORT_PINS: repeats the file's pin billing = 2100; it changes nothing"],
        ),
    ],
)
def test_overrides_from_the_environment_are_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: list[str]
) -> None:
    config = tmp_path / "stableport.toml"
    config.write_text(
        'namespace = "shop"\nrange = [2000, 2999]\nenv = "dev"\n[pins]\nbilling = 2100\n'
    )
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert findings(*load_with_origin(config)) == expected


def test_a_pin_inside_the_range_does_not_repeat_the_ranges_overlaps() -> None:
    assert findings(PortMap(pins={"db": 25433})) == findings(PortMap())


def test_one_pin_for_every_env_of_a_shared_host_is_a_problem() -> None:
    shared = PortMap(
        envs=["dev", "test"], pins={"billing": 2100, ("auth", "dev"): 2200}, namespace="shop"
    )
    assert [f for f in findings(shared) if "billing" in f] == [
        "problem: pins['billing']: pins 'billing' to 2100 in every environment, but envs "
        "dev, test run on one host and would all bind it; pin it per environment "
        "('billing@ENV') or in one only"
    ]
    assert not [f for f in findings(shared) if "auth" in f]
    alone = PortMap(envs=["dev"], env="dev", pins={"billing": 2100}, port_range=QUIET_RANGE)
    assert findings(alone) == []


@pytest.mark.parametrize(
    ("exclude", "spans"), [([2500], "2500"), ([(2400, 2600), 2700], "2400-2600")]
)
def test_a_pin_on_the_maps_own_excluded_port_is_a_problem(
    exclude: list[int | tuple[int, int]], spans: str
) -> None:
    pm = PortMap(["web"], port_range=QUIET_RANGE, exclude=exclude, pins={"web": 2500})
    assert pm.port_for("web") == 2500  # the pin wins: the excluded port is handed out
    assert findings(pm) == [
        f"{PROBLEM}: pins['web']: 2500 is in this map's own exclude list ({spans}), yet the "
        "pin hands it out; drop the pin or the exclusion"
    ]


def test_a_pin_beside_the_maps_exclusions_is_fine() -> None:
    pm = PortMap(["web"], port_range=QUIET_RANGE, exclude=[2499, 2501], pins={"web": 2500})
    assert findings(pm) == []


@pytest.mark.slow  # real processes
def test_check_exits_1_for_a_pin_on_an_excluded_port(tmp_path: Path) -> None:
    config = tmp_path / "ports.toml"
    config.write_text('range = [2000, 2999]\nexclude = [2500]\n[pins]\n"web@dev" = 2500\n')
    problem = (
        "problem: pins['web@dev']: 2500 is in this map's own exclude list (2500), yet the pin "
        "hands it out; drop the pin or the exclusion"
    )
    result = run("check", "--config", str(config))
    assert (result.returncode, problem in result.stdout.splitlines()) == (1, True)
