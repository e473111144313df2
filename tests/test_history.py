"""Issue 18: a map's answers never depend on what it, or the map it came from, was asked.

The reproducers of the issue, kept as they were filed; the stateful model in
tests/property/test_history.py looks for more of their kind.
"""

import random
import sys
import threading
from collections.abc import Callable

import pytest

import stableport as sp
from stableport import PortMap, RangeExhaustedError


def tight(port_range: tuple[int, int] = (100, 101)) -> PortMap:
    return PortMap(["a"], port_range=port_range, default_exclusions=False)


def test_f1_a_lookup_does_not_change_a_later_overlay() -> None:
    assert tight().overlay(["w0"]).port_for("a", "w0") == 100
    m = tight()
    assert m.port_for("a", "w0") == 101  # w0 alone: a layer above the (empty) base
    overlaid = m.overlay(["w0"])
    # w0 as an overlay sits above a@default (101), so a@w0 moves to 100 ...
    assert overlaid.port_for("a", "w0") == 100
    assert overlaid.port_for("a") == 101
    assert overlaid.assignments() == {("a", "default"): 101, ("a", "w0"): 100}
    # ... and the map it came from still answers as before.
    assert m.port_for("a", "w0") == 101


def test_f1_a_lookup_does_not_let_an_overfull_overlay_build() -> None:
    with pytest.raises(RangeExhaustedError):
        tight((100, 100)).overlay(["w0"])
    m = tight((100, 100))
    assert m.port_for("a", "w0") == 100
    with pytest.raises(RangeExhaustedError):
        m.overlay(["w0"])


def test_f2_a_replaced_overlay_stops_answering() -> None:
    o = tight().overlay(["w0"]).overlay(["w1"])
    assert o.port_for("a", "w0") == 101  # w0 is a plain layer again
    assert o.port_for("a", "w1") == 100
    assert o.port_for("a", "w0") == tight().port_for("a", "w0")
    assert o == tight().overlay(["w1"])


def test_an_empty_overlay_leaves_no_overlay() -> None:
    # Decided in issue 18 (docs/algorithm.md section 4): overlay(O) replaces the
    # map's overlay by O, so overlay([]) is the map without any.
    m = tight()
    emptied = m.overlay(["w0"]).overlay([])
    assert emptied == m
    assert repr(emptied) == repr(m)
    assert emptied.overlay_envs == ()
    assert emptied.port_for("a", "w0") == m.port_for("a", "w0") == 101
    assert emptied.assignments() == m.assignments() == {("a", "default"): 101}


def test_explaining_first_does_not_change_an_overlay() -> None:
    # Found by the stateful model: explain() resolved default's layer (env dev
    # is the home), and overlay(["default"]) then answered from it.
    def build() -> PortMap:
        return PortMap(["a"], env="dev", port_range=(100, 101), default_exclusions=False)

    m = build()
    m.explain("a", "default")
    assert m.overlay(["default"]).assignments() == build().overlay(["default"]).assignments()
    with pytest.raises(RangeExhaustedError):
        PortMap(["a"], env="dev", port_range=(100, 100), default_exclusions=False).overlay(
            ["default"]
        )
    m = PortMap(["a"], env="dev", port_range=(100, 100), default_exclusions=False)
    m.explain("a", "default")
    with pytest.raises(RangeExhaustedError):
        m.overlay(["default"])


class Lookalike(str):
    """A str that claims to equal every string: it must not answer for other names."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash("auth")


def test_a_lookalike_name_is_never_cached() -> None:
    pm = PortMap(["auth", "billing"])
    assert pm.port_for(Lookalike("billing")) == pm.port_for("billing")
    assert pm.port_for("auth") == PortMap(["auth", "billing"]).port_for("auth")
    assert pm.port_for("billing", Lookalike("dev")) == pm.port_for("billing", "dev")
    assert pm.port_for("billing") == PortMap(["auth", "billing"]).port_for("billing")


def test_a_lookalike_name_is_never_cached_by_the_module_api() -> None:
    assert sp.port_for(Lookalike("billing")) == 20695
    assert sp.port_for("auth") == 24835


def test_threads_sharing_a_map_get_a_fresh_maps_answers() -> None:
    # Caches filled from several threads at once (a table resolved twice, an
    # overlay made while lookups fill the map it comes from) change no answer.
    def build() -> PortMap:
        return PortMap(["a", "b", "c"], port_range=(100, 107), default_exclusions=False)

    def answer(call: Callable[..., object], *args: object) -> object:
        try:
            return call(*args)
        except sp.StableportError as error:
            return type(error).__name__

    envs = ["w0", "w1", "w2", "default"]
    shared = build()
    wrong: list[tuple[object, ...]] = []

    def work(seed: int) -> None:
        choose = random.Random(seed)  # noqa: S311 - a reproducible schedule, not a secret
        for _ in range(150):
            name, env = choose.choice("abcx"), choose.choice(envs)
            if choose.random() < 0.2:
                overlay = choose.sample(envs[:3], choose.randint(0, 2))
                got = answer(shared.overlay, overlay)
                fresh = answer(build().overlay, overlay)
                if isinstance(got, PortMap) and isinstance(fresh, PortMap):
                    got, fresh = got.port_for(name, env), fresh.port_for(name, env)
            elif choose.random() < 0.5:
                got, fresh = answer(shared.port_for, name, env), answer(build().port_for, name, env)
            else:
                got, fresh = answer(shared.explain, name, env), answer(build().explain, name, env)
            if got != fresh:
                wrong.append((seed, name, env, got, fresh))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
