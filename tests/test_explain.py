"""explain(): the probe-by-probe story agrees with the port and gives true reasons."""

import pytest

from stableport import PortMap


def test_a_first_probe_port_is_explained_as_hashed() -> None:
    pm = PortMap(["auth"], default_exclusions=False)
    story = pm.explain("auth")
    assert story.port == pm.port_for("auth")
    assert story.how == "hashed"
    assert [probe.verdict for probe in story.probes] == ["taken"]
    assert (story.pin, story.key, story.skipped) == (
        None,
        b"stableport\x00v1\x00default\x00auth",
        0,
    )
    assert str(story) == (
        f"auth@default -> {story.port}: hashed (its first probe)\n"
        "  key: b'stableport\\x00v1\\x00default\\x00auth'\n"
        f"  probe   0: {story.port:>5}  free: taken"
    )


def test_a_pinned_service_is_explained_by_its_pin() -> None:
    pm = PortMap(pins={"billing": 8001, ("billing", "prod"): 8002})
    assert str(pm.explain("billing")) == "billing@default -> 8001: pinned by pins['billing']"
    story = pm.explain("billing")
    assert (story.how, story.pin, story.key, story.skipped) == ("pinned", "billing", None, 0)
    assert pm.explain("billing", env="prod").pin == "billing@prod"
    assert str(pm.explain("Billing", env="Prod")) == (
        "billing@prod -> 8002: pinned by pins['billing@prod']"
    )


def test_excluded_and_pinned_probes_name_their_reason() -> None:
    # 27015-27021: Steam, a pin, MongoDB x3, then the only two free ports.
    pm = PortMap(["s"], port_range=(27015, 27021), pins={"db": 27016})
    expected = {
        27015: ("excluded", "excluded: Source engine / Steam game servers"),
        27016: ("pinned", "pinned to db"),
        27017: ("excluded", "excluded: MongoDB"),
        27018: ("excluded", "excluded: MongoDB"),
        27019: ("excluded", "excluded: MongoDB"),
    }
    seen = set()
    for service in ("s", "visitor"):
        story = pm.explain(service)
        assert story.probes[-1].verdict == "taken"
        for probe in story.probes[:-1]:
            if probe.port in expected:
                assert (probe.verdict, probe.reason) == expected[probe.port]
                seen.add(probe.port)
    assert seen


@pytest.mark.parametrize("env", ["dev", "test", "staging"])
def test_held_probes_name_a_holder_that_outranks_the_claimant(env: str) -> None:
    # A crowded range forces many collisions; every skip must be justified.
    names = [f"svc-{index}" for index in range(25)]
    pm = PortMap(names, envs=["dev", "test"], port_range=(20100, 20199), default_exclusions=False)
    ports = {service: pm.port_for(service, env=env) for service in names}
    held = 0
    for service in names:
        story = pm.explain(service, env=env)
        assert story.port == ports[service]
        assert story.probes[-1].port == story.port
        for probe in story.probes[:-1]:
            assert probe.verdict == "held"
            holder = probe.reason.split()[2]
            if env == "staging" and probe.reason.endswith("(assigned before this lookup)"):
                assert holder.split("@")[1] in {"dev", "test"}
            holder_service, holder_env = holder.split("@")
            assert pm.port_for(holder_service, env=holder_env) == probe.port
            held += 1
    assert held > 0


def test_undeclared_names_are_explained_against_the_declared_holders() -> None:
    pm = PortMap(
        [f"s{index}" for index in range(8)], port_range=(20000, 20009), default_exclusions=False
    )
    story = pm.explain("visitor")
    assert story.port == pm.port_for("visitor")
    for probe in story.probes[:-1]:
        assert probe.verdict == "held"
        assert probe.reason.endswith("(assigned before this lookup)")


def test_a_pin_outside_the_range_is_never_a_reason() -> None:
    # The same crowded range, with a second pin far below it: no probe can meet it.
    pm = PortMap(["s"], port_range=(27015, 27021), pins={"db": 27016, "far": 8001})
    reasons = {
        probe.reason for service in ("s", "visitor") for probe in pm.explain(service).probes[:-1]
    }
    assert "pinned to db" in reasons
    assert not [reason for reason in reasons if "far" in reason]
    assert pm.explain("far").how == "pinned"
