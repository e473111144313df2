"""The stableport library behind the conformance protocol (tests/vectors/README.md).

    python tests/vectors/runner.py --impl "python tests/vectors/reference.py"

Each layer is answered by the code the library itself runs: xxhash's xxh3_64,
_hashing.jump_hash, _names.normalize_name, and a PortMap built from the case's
map exactly as a configuration file's table is.
"""

import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from xxhash import xxh3_64_intdigest

import stableport
from stableport import ConfigError, PortMap, StableportError, _test_run
from stableport._config import load_with_origin
from stableport._hashing import jump_hash
from stableport._names import normalize_name
from stableport._schema import settings

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


def config(request: dict[str, Any]) -> dict[str, Any]:
    """load() in the runner's file tree, as `stableport NAME` with the case's flags.

    The process's own STABLEPORT_* variables are set aside for the case's, and
    its working directory is the case's, for the call only.
    """
    root = request["root"]
    flags = request.get("flags", {})
    saved = {key: value for key, value in os.environ.items() if _case_variable(key)}
    here = Path.cwd()
    try:
        for key in saved:
            del os.environ[key]
        os.environ.update(request.get("variables", {}))
        os.chdir(Path(root) / request.get("cwd", "."))
        _test_run.forget()  # the case's own variables: looked at afresh
        return _config_answer(root, flags, request.get("lookups", []))
    finally:
        os.chdir(here)
        for key in [key for key in os.environ if _case_variable(key)]:
            del os.environ[key]
        os.environ.update(saved)


def _case_variable(name: str) -> bool:
    """A variable a config case sets or leaves unset: STABLEPORT_*, and CI (the identity's)."""
    return name.startswith("STABLEPORT_") or name == "CI"


def _config_answer(root: str, flags: dict[str, Any], lookups: list[list[Any]]) -> dict[str, Any]:
    pm: PortMap | None = None
    answer: dict[str, Any]
    try:
        pm, origin = load_with_origin(
            flags.get("config"),
            flags.get("namespace"),
            instance=flags.get("instance"),
            env=flags.get("env"),
        )
        answer = {"map": described(pm, root, origin.path)}
    except StableportError as error:
        answer = {"error": kind(error)}
    # A live test run's ports are in the map load() gave (docs/configuration.md);
    # a lookup without an environment asks in --env's, as `stableport NAME --env E` does.
    answer["ports"] = [
        _config_lookup(pm, answer, service, flags.get("env") if env is None else env)
        for service, env in lookups
    ]
    return answer


def _config_lookup(
    pm: PortMap | None, answer: dict[str, Any], service: str, env: str | None
) -> int | str:
    # A live test run's ports are in the map load() gave (docs/configuration.md).
    try:
        return str(answer["error"]) if pm is None else pm.port_for(service, env)
    except StableportError as error:
        return kind(error)


def described(pm: PortMap, root: str, path: str | None) -> dict[str, Any]:
    """A loaded map's inputs after precedence, as the config layer writes them."""
    where = None
    if path is not None:
        inside = os.path.relpath(path, root)
        where = path if inside.startswith("..") else inside.replace(os.sep, "/")
    pins = {
        (service if env is None else f"{service}@{env}"): port
        for (service, env), port in pm.pins.items()
    }
    return {
        "config": where,
        "services": list(pm.services),
        "envs": None if pm.envs is None else list(pm.envs),
        "env": pm.env,
        "namespace": pm.namespace,
        "range": list(pm.port_range),
        "exclude": [list(span) for span in pm.exclude],
        "pins": dict(sorted(pins.items())),
        "strict": pm.strict,
        "default_exclusions": pm.default_exclusions,
        "instances": pm.instances,
        "instance": pm.instance,
    }


HANDLERS: dict[str, Handler] = {
    "hello": hello,
    "hash": hash_,
    "jump": jump,
    "name": name,
    "map": map_,
    "config": config,
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
