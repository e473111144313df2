"""The stableport library behind the conformance protocol (tests/vectors/README.md).

    python tests/vectors/runner.py --impl "python tests/vectors/reference.py"

Each layer is answered by the code the library itself runs: xxhash's xxh3_64,
_hashing.jump_hash, _names.normalize_name, and a PortMap built from the case's
map exactly as a configuration file's table is.
"""

import json
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from xxhash import xxh3_64_intdigest

import stableport
from stableport import ConfigError, PortMap, StableportError
from stableport._config import settings
from stableport._hashing import jump_hash
from stableport._names import normalize_name

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def kind(error: StableportError) -> str:
    """The error kind a vector names: a configuration's ConfigError reports its cause's."""
    if isinstance(error, ConfigError) and isinstance(error.__cause__, StableportError):
        return type(error.__cause__).__name__
    return type(error).__name__


def hello(request: dict[str, Any]) -> dict[str, Any]:
    del request
    return {
        "implementation": f"stableport {stableport.__version__} (Python)",
        "unicode": unicodedata.unidata_version,
    }


def hash_(request: dict[str, Any]) -> dict[str, Any]:
    return {"hash": f"{xxh3_64_intdigest(bytes.fromhex(request['key']), request['seed']):016x}"}


def jump(request: dict[str, Any]) -> dict[str, Any]:
    return {"bucket": jump_hash(int(request["key"], 16), request["buckets"])}


def name(request: dict[str, Any]) -> dict[str, Any]:
    return {"normalized": normalize_name(request["name"])}


# A map's keys that are not PortMap arguments: what happens to the map once built.
HISTORY_KEYS = ("overlay", "overlays", "before")


def build_map(spec: dict[str, Any]) -> PortMap:
    """A PortMap from a vector's map, read as a configuration file's table is.

    Then each overlay of "overlays" (or the one "overlay") is added in turn,
    after the map so far has been asked the lookups of "before".
    """
    table = {key: value for key, value in spec.items() if key not in (*HISTORY_KEYS, "instance")}
    arguments = settings(table, "vector", "its map")
    arguments["instance"] = spec.get("instance", 0)  # a checkout's identity: no config key
    pm = PortMap(**arguments)
    overlays = spec.get("overlays", [spec["overlay"]] if "overlay" in spec else [])
    for envs in overlays:
        for service, env in spec.get("before", ()):
            lookup(pm, service, env)  # its answer is another case's business
        pm = pm.overlay(envs)
    return pm


def lookup(pm: PortMap, service: str, env: str | None) -> int | str:
    try:
        return pm.port_for(service, env)
    except StableportError as error:
        return kind(error)


def map_(request: dict[str, Any]) -> dict[str, Any]:
    pm = build_map(request["map"])
    return {"ports": [lookup(pm, service, env) for service, env in request["lookups"]]}


HANDLERS: dict[str, Handler] = {
    "hello": hello,
    "hash": hash_,
    "jump": jump,
    "name": name,
    "map": map_,
}


def serve(lines: Iterable[str], out: TextIO, handlers: dict[str, Handler]) -> None:
    """Answer each request line with one answer line, in order."""
    for line in lines:
        request = json.loads(line)
        try:
            answer = handlers[request["op"]](request)
        except StableportError as error:
            answer = {"error": kind(error)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main(handlers: dict[str, Handler] = HANDLERS) -> None:
    serve(sys.stdin, sys.stdout, handlers)


if __name__ == "__main__":
    main()
