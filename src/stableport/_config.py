"""Loading a project's map: which configuration, what the flags and variables change.

load_with_origin finds the file (_files), reads its keys (_schema, only when
there is a file), lays the flags and STABLEPORT_* variables over them
(overridden, one pure function), then the checkout's instance (the order
here, the identity file's rule in _identity) and a live test run's ports
(_test_run); Origin records what each of them changed.
"""

import os

from . import _test_run
from ._errors import ConfigError, StableportError, shown
from ._files import CONFIG_VARIABLE, discover, named_by_variable, path_argument, working_directory
from ._identity import (
    INSTANCE_VARIABLE,
    FirstUse,
    checked_instance,
    checkout_instance,
    other_checkouts_config,
)
from ._names import normalize_name
from ._pins import PINS_VARIABLE, format_pin_key, parse_pin_overrides, pin_keys, portmap_pins
from ._portmap import PortMap, absolute, give_test_ports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._pins import PinKey, PinTable
    from ._schema import Settings
    from ._test_run import TestRun


ENV_VARIABLE = "STABLEPORT_ENV"
NAMESPACE_VARIABLE = "STABLEPORT_NAMESPACE"


class Origin:
    """Where a loaded map came from: its file, and what the environment overrode."""

    __slots__ = (
        "env_override",
        "instance_source",
        "namespace_override",
        "path",
        "pin_overrides",
        "replaced_pins",
        "test_note",
        "test_run",
    )

    def __init__(self, path: str | None) -> None:
        self.path = path  # the configuration file, or None for the built-in defaults
        self.env_override: str | None = None  # $STABLEPORT_ENV, when set
        self.namespace_override: str | None = None  # $STABLEPORT_NAMESPACE, when set
        self.pin_overrides: dict[PinKey, int] = {}  # pins from $STABLEPORT_PINS
        self.replaced_pins: dict[PinKey, int] = {}  # the file's pins those replaced
        # Where the instance came from: "--instance", the variable, or the identity
        # file's path; None for the plain map.
        self.instance_source: str | None = None
        # The live test run whose map this is (see _test_run), or None; and why
        # STABLEPORT_TEST_* variables that are set were ignored, for a person.
        self.test_run: TestRun | None = None
        self.test_note: str | None = None


def load_with_origin(
    path: "str | bytes | os.PathLike[str] | os.PathLike[bytes] | None" = None,
    namespace: str | None = None,
    *,
    variables: bool = True,
    instance: str | None = None,
    start: str | None = None,
    test_run: bool = True,
    env: str | None = None,
) -> "tuple[PortMap, Origin]":
    """load(), and where the map came from (for the command line's list and check).

    namespace is the command line's --namespace: it wins over $STABLEPORT_NAMESPACE,
    which wins over the file's key, as --env and $STABLEPORT_ENV do for env.
    instance is the command line's --instance: it wins over $STABLEPORT_INSTANCE,
    which wins over the checkout's .stableport-instance file.
    env is the command line's --env (normalized): the map's default environment,
    winning over $STABLEPORT_ENV and the file's env. It is the same input as
    the variable, so `--env dev` and `STABLEPORT_ENV=dev` are one map: with
    instances and no envs declared, the default environment is the home whose
    lanes the instances get (docs/algorithm.md), never a layer above them.
    variables=False reads the file alone: no $STABLEPORT_ENV, _NAMESPACE, _PINS,
    _INSTANCE nor identity file.
    start is where discovery begins instead of the working directory (the
    pytest fixture's: its session's root directory), and what a relative
    $STABLEPORT_CONFIG is relative to.
    test_run=False ignores a live test run's variables (the fixture: a run of
    its own); otherwise a map that is that run's answers its ports (see
    _test_run and docs/configuration.md, "Inside a test run").
    """
    found: str | None
    config: Settings
    run, note = _test_run.current() if variables and test_run else (None, None)
    if path is None and os.environ.get(CONFIG_VARIABLE) is not None:
        path = named_by_variable(os.environ[CONFIG_VARIABLE], start)
        elsewhere = other_checkouts_config(path, start)
        if elsewhere is not None:
            from ._stderr import say  # noqa: PLC0415 - only for this note

            say(
                f"stableport: note: {CONFIG_VARIABLE} names {shown(absolute(path))}, in another "
                f"checkout than the working directory's ({shown(elsewhere)}): these are that "
                f"checkout's ports; unset {CONFIG_VARIABLE} for this one's"
            )
    if path is not None:
        found, document = path_argument(path), None
    else:
        found, document = discover(working_directory() if start is None else start)
        if found is None and run is not None and run.config is not None:
            # Found nothing here: a process the test started in another directory.
            found, document = run.config, None
    if found is None:
        config = {}
    else:
        from ._schema import read_settings  # noqa: PLC0415 - only when there is a file to read

        config = read_settings(found, document)
    at = None if found is None else absolute(found)
    label = "the built-in defaults" if found is None else shown(found)
    # The flags and variables over the file's values, in one place; without
    # variables, the flags alone.
    environ: Mapping[str, str] = os.environ if variables else {}
    config, origin, label = overridden(config, at, label, environ, namespace, env=env)
    if variables:
        # The instance reads its file too: config and origin are this call's own here.
        apply_instance(config, origin, label, instance, environ)
    origin.test_note = note
    own = run is not None and _test_run.applies(
        run, at, config.get("namespace"), config.get("instance", 0)
    )
    if own and env is None:
        # The run's environment, in place of $STABLEPORT_ENV and the file's env
        # (--env, a question of its own, still wins).
        config["env"] = run.env  # type: ignore[union-attr] # own: run is not None
        origin.env_override = None
    try:
        pm = PortMap(**config, config_path=origin.path)
    except StableportError as error:
        raise ConfigError(f"{label}: {error}") from error
    if own:
        origin.test_run = run
        give_test_ports(pm, run.env, run.ports)  # type: ignore[union-attr] # own: run is not None
    return pm, origin


def overridden(
    config: "Settings",
    path: str | None,
    label: str,
    environ: "Mapping[str, str]",
    namespace: str | None = None,
    *,
    env: str | None = None,
) -> "tuple[Settings, Origin, str]":
    """config with --env, --namespace (each over its variable) and $STABLEPORT_PINS.

    The one place flags and variables change a configuration's values (the
    instance aside: apply_instance, which may read the checkout's file). A
    pure function: it reads environ, never os.environ, and changes none of
    its arguments: returns new settings, the
    Origin of the file at path recording what the variables set, and label, the
    configuration's name in messages, extended when the pins come from the
    variable too.
    """
    config = config.copy()
    origin = Origin(path)
    if env is not None:
        config["env"] = normalize_name(env, "environment name", "--env")
    elif environ.get(ENV_VARIABLE) is not None:
        origin.env_override = environ[ENV_VARIABLE]
        try:
            config["env"] = normalize_name(origin.env_override, "environment name", ENV_VARIABLE)
        except StableportError as error:
            raise ConfigError(str(error)) from None
    if namespace is not None:
        config["namespace"] = normalize_name(namespace, "namespace", "--namespace")
    elif environ.get(NAMESPACE_VARIABLE) is not None:
        origin.namespace_override = environ[NAMESPACE_VARIABLE]
        config["namespace"] = normalize_name(
            origin.namespace_override, "namespace", NAMESPACE_VARIABLE
        )
    if environ.get(PINS_VARIABLE) is not None:
        overrides = parse_pin_overrides(environ[PINS_VARIABLE])
        # The file's pins were checked when it was read: only their keys change form.
        file_pins = pin_keys(config.get("pins", {}))
        pins: PinTable = {
            key: (port, f"pins[{format_pin_key(key)!r}]") for key, port in file_pins.items()
        }
        for key, (port, _) in overrides.items():
            origin.pin_overrides[key] = port
            if key in file_pins:
                origin.replaced_pins[key] = file_pins[key]
        pins.update(overrides)
        label = f"{label} with {PINS_VARIABLE}"
        try:
            config["pins"] = portmap_pins(pins)
        except StableportError as error:
            raise ConfigError(f"{label}: {error}") from error
    return config, origin, label


def apply_instance(
    config: "Settings",
    origin: Origin,
    label: str,
    option: str | None,
    environ: "Mapping[str, str]",
) -> None:
    """Put the checkout's instance in config: --instance, else the variable, else its file.

    Records where it came from in origin. An instance beyond the configuration's
    instances is a ConfigError naming both. Which instance the checkout's file
    gives, and whether a worktree is given one now, is _identity's rule.
    """
    room = config.get("instances", 0)
    value = option
    source = "--instance"
    if value is None and environ.get(INSTANCE_VARIABLE) is not None:
        value, source = environ[INSTANCE_VARIABLE], INSTANCE_VARIABLE
    if value is None and origin.path is not None:
        found = checkout_instance(origin.path, room)
        if isinstance(found, FirstUse):
            from ._assign import first_use  # noqa: PLC0415 - only where an identity is missing

            value, source = first_use(origin.path, room, config.get("namespace"), found.original)
        elif found is not None:
            value, source = found
    if value is None:
        return
    config["instance"] = checked_instance(value, source, room, label)
    origin.instance_source = source
