"""The module-level port_for and its process-wide default map."""

from ._config import load
from ._portmap import PortMap, cacheable

_LOOKUP_CACHE_SIZE = 4096
_lookups: dict[tuple[object, object], int] = {}
_default_map: list[PortMap] = []


def default_map() -> PortMap:
    """The process-wide map: the project's configuration, loaded on first use."""
    if not _default_map:
        _default_map.append(load())
    return _default_map[0]


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
