"""Namespaced keys: never equal to an unnamespaced key, and distinct for distinct inputs."""

from hypothesis import given
from hypothesis import strategies as st

from stableport import PortMap
from stableport._hashing import KEY_PREFIX, key_bytes, key_prefix
from stableport._names import normalize_name

from .strategies import valid_names


@given(valid_names, valid_names, valid_names, valid_names, valid_names)
def test_a_namespaced_key_never_equals_an_unnamespaced_one(
    namespace: str, service: str, env: str, other_service: str, other_env: str
) -> None:
    namespaced = key_bytes(
        normalize_name(service), normalize_name(env), key_prefix(normalize_name(namespace))
    )
    plain = key_bytes(normalize_name(other_service), normalize_name(other_env))
    assert namespaced != plain
    assert namespaced.count(0) == 4
    assert plain.count(0) == 3


# (namespace, env, service), each normalized as the map normalizes it.
key_parts = st.tuples(valid_names, valid_names, valid_names).map(
    lambda parts: tuple(normalize_name(part) for part in parts)
)


@given(key_parts, key_parts)
def test_namespaced_keys_are_equal_only_for_equal_inputs(
    one: tuple[str, str, str], two: tuple[str, str, str]
) -> None:
    key_one = key_bytes(one[2], one[1], key_prefix(one[0]))
    key_two = key_bytes(two[2], two[1], key_prefix(two[0]))
    assert (key_one == key_two) == (one == two)
    assert key_one == KEY_PREFIX + b"\x00".join(part.encode() for part in one)


@given(valid_names, valid_names)
def test_a_map_hashes_every_lookup_in_its_namespace(namespace: str, service: str) -> None:
    pm = PortMap(namespace=namespace)
    story = pm.explain(service)
    assert pm.namespace == normalize_name(namespace)
    assert story.key == key_bytes(story.service, story.env, key_prefix(pm.namespace))
    assert pm.port_for(service) == story.port
