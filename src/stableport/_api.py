"""The library's entry: load(), and the module-level port_for with its process-wide map.

The loader (_config) and everything it reads with (its files, their schema, a
checkout's identity, a test run's variables) load with the first map, not
with the package: `import stableport` is the map and these functions.
"""

from ._portmap import PortMap, cacheable

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os

_LOOKUP_CACHE_SIZE = 4096
_lookups: dict[tuple[object, object], int] = {}
_default_map: list[PortMap] = []


def default_map() -> PortMap:
    """The process-wide map: the project's configuration, loaded on first use."""
    if not _default_map:
        _default_map.append(load())
    return _default_map[0]


def load(path: "str | bytes | os.PathLike[str] | os.PathLike[bytes] | None" = None) -> PortMap:
    """The project's PortMap: from path, $STABLEPORT_CONFIG or discovery, plus overrides.

    Reads the keys of a ``stableport.toml`` (at its top level) or of a
    ``pyproject.toml``'s ``[tool.stableport]`` table, then applies
    $STABLEPORT_ENV (the default environment, over the file's ``env``),
    $STABLEPORT_NAMESPACE and $STABLEPORT_PINS on top, and the checkout's
    instance: $STABLEPORT_INSTANCE, else the ``.stableport-instance`` file
    beside the configuration (docs/instances.md). Without path or
    $STABLEPORT_CONFIG, the first such file from the working directory upward
    is used; with none found, the built-in defaults. In a process a live
    pytest session started, the map of that session's project answers its
    ports in the test's environment (docs/configuration.md, "Inside a test
    run").

    Args:
        path: The configuration file to read, instead of $STABLEPORT_CONFIG
            and discovery.

    Returns:
        A new PortMap each call (stableport.port_for() keeps the first); its
        config_path is the file read, or None for the built-in defaults.

    Raises:
        ConfigError: The file is missing, not a regular file, larger than
            MAX_CONFIG_BYTES, not UTF-8 or not TOML (or nested too deeply to
            parse), holds an unknown key, a value of the wrong shape or one
            PortMap refuses (then the error's ``__cause__`` is PortMap's own,
            such as PortRangeError), or a STABLEPORT_* variable is invalid. The
            message names the file (or variable), the key as written there and
            what is allowed.
        InvalidTypeError: path is not a str, bytes or os.PathLike.
        InvalidNameError: $STABLEPORT_NAMESPACE is not a valid name.

    Example:
        In a project whose ``stableport.toml`` declares
        ``services = ["billing", "auth"]`` and ``env = "dev"``:

        >>> import stableport
        >>> pm = stableport.load()
        >>> pm.services, pm.env, pm.config_path.name
        (('auth', 'billing'), 'dev', 'stableport.toml')
        >>> pm.port_for("billing") == stableport.load("stableport.toml").port_for("billing")
        True
    """
    from ._config import load_with_origin  # noqa: PLC0415 - with the first map, not the package

    return load_with_origin(path)[0]


def port_for(name: str, env: str | None = None) -> int:
    """The stable port of service name in env (default: the project's default environment).

    The first call loads the project's map with load(): the configuration file
    found from the working directory upward (or named by $STABLEPORT_CONFIG)
    and the STABLEPORT_* variables. The default environment is
    $STABLEPORT_ENV, else the configuration's ``env``, else ``"default"``; in
    a checkout that is an instance ($STABLEPORT_INSTANCE, else its
    ``.stableport-instance`` file), the instance's own port. Later calls
    answer from memory and touch no file, socket or clock; reload() makes the
    next call load again.

    Inside a pytest session that uses the ``stableport`` fixture, and in the
    processes it starts while it lives, a lookup in the test's environment
    answers the fixture's port (docs/configuration.md, "Inside a test run").

    Args:
        name: A service name; names are casefolded (``"Billing"`` is
            ``"billing"``).
        env: An environment name; None means the project's default environment.

    Returns:
        The port: the same on every machine, in every process, for the same
        project configuration.

    Raises:
        ConfigError: The project's configuration file or a STABLEPORT_*
            variable is invalid.
        InvalidTypeError: name or env is not a str.
        InvalidNameError: name or env is empty, too long or holds a reserved
            character.
        UnknownServiceError: The project's map is strict and name is not
            declared.

    Example:
        >>> import stableport
        >>> stableport.port_for("billing")
        20695
        >>> stableport.port_for("billing", env="staging")
        22659
    """
    try:
        return _lookups[name, env]
    except (KeyError, TypeError):  # TypeError: an unhashable name, rejected below
        pass
    # Inside a pytest session that uses the stableport fixture: the fixture's
    # port. A process it started loads the run's map (see _test_run).
    from ._test_run import session_port  # noqa: PLC0415 - with a first lookup, not the package

    port = session_port(name) if env is None else None
    if port is None:
        port = default_map().port_for(name, env)
    if len(_lookups) < _LOOKUP_CACHE_SIZE and cacheable(name, env):
        _lookups[name, env] = port
    return port


def reload() -> None:
    """Forget the default map, so the next lookup reads the configuration and environment again.

    For a long-lived process (a notebook kernel, a REPL) whose configuration
    file or STABLEPORT_* variables changed; maps made with PortMap or load()
    are not affected.

    Example:
        >>> import os, stableport
        >>> stableport.port_for("billing")
        20695
        >>> os.environ["STABLEPORT_ENV"] = "staging"
        >>> stableport.port_for("billing")  # the map loaded before: env "default"
        20695
        >>> stableport.reload()
        >>> stableport.port_for("billing")
        22659
    """
    _default_map.clear()
    _lookups.clear()
    from ._test_run import forget  # noqa: PLC0415 - as in port_for

    forget()
