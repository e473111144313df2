"""The test's ports, for the code under test: what a pytest session's fixture handed out.

While a session's ``stableport`` fixture is in use, lookups that name no
environment (``stableport.port_for(name)``, ``stableport NAME``, ``stableport
run NAME``) answer with the fixture's ports, so an application started by a
test reaches the test's servers, never the developer's. In the session's own
process the fixture answers itself (``SESSION``), for any name; a process it
starts inherits ``STABLEPORT_TEST_PORTS``, every name it has handed out so far
(each declared service from the start), with ``STABLEPORT_ENV`` (the lease's
environment) and ``STABLEPORT_CONFIG`` (the project's file) for the rest.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ._portmap import PortMap

TEST_PORTS_VARIABLE = "STABLEPORT_TEST_PORTS"

# The fixture's lookup while its session runs in this process, with that
# process's id (set and cleared by the fixture); empty otherwise. A child forked
# from it (multiprocessing) holds a copy of the fixture that no longer shares
# its state: it reads the variable, as any other child does.
SESSION: "list[tuple[int, Callable[[str], int]]]" = []
# $STABLEPORT_TEST_PORTS as last parsed: (its value, its ports).
_parsed: list[tuple[str, dict[str, int]]] = []


def test_port(name: str) -> int | None:
    """The test's port for name (an environment-free lookup), or None outside a test's reach."""
    if SESSION and SESSION[0][0] == os.getpid():
        return SESSION[0][1](name)
    value = os.environ.get(TEST_PORTS_VARIABLE)
    if not value:
        return None
    if os.supports_bytes_environ:
        # UTF-8 whatever the locale (see publish()): the bytes, decoded as such.
        value = os.fsencode(value).decode("utf-8", "surrogateescape")
    if not _parsed or _parsed[0][0] != value:
        from ._errors import ConfigError  # noqa: PLC0415
        from ._pins import PINS_VARIABLE, parse_pin_overrides  # noqa: PLC0415 - children only

        try:
            ports = parse_pin_overrides(value)  # the same 'name=port,...' syntax
        except ConfigError as error:
            raise ConfigError(str(error).replace(PINS_VARIABLE, TEST_PORTS_VARIABLE)) from None
        _parsed[:] = [(value, {service: port for (service, _), (port, _) in ports.items()})]
    from ._names import normalize_name  # noqa: PLC0415

    return _parsed[0][1].get(normalize_name(name))


def lookup(pm: "PortMap", name: str, env: str | None) -> int:
    """pm's port for name in env; the test's when env is None and a test handed one out."""
    port = test_port(name) if env is None else None
    return pm.port_for(name, env) if port is None else port


def encode(ports: "dict[str, int]") -> str:
    """$STABLEPORT_TEST_PORTS for ports: 'billing=23717,cache=21234'."""
    return ",".join(f"{name}={port}" for name, port in sorted(ports.items()))


def publish(ports: "dict[str, int]") -> None:
    """Set $STABLEPORT_TEST_PORTS for ports, in UTF-8 whatever the locale.

    os.environ encodes in the locale's encoding: in an ASCII one (the C locale
    with Python's UTF-8 mode off) a name such as café could not be set at all.
    """
    value = encode(ports)
    if os.supports_bytes_environ:
        os.environb[TEST_PORTS_VARIABLE.encode()] = value.encode()
    else:  # pragma: no cover - Windows: the environment is text
        os.environ[TEST_PORTS_VARIABLE] = value
