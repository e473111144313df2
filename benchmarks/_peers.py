"""The tools people use instead of stableport, each behind a typed wrapper.

A peer that is not installed, or fails to import, is reported as such: the
runner works without the bench extra. Peers are imported by name through
importlib, so type checking needs neither them nor stubs for them.
"""

import importlib
import importlib.metadata
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Peer:
    """One tool: how the tables name it, what it imports as, and a call returning a port."""

    label: str
    module: str
    distribution: str
    call: Callable[[], int] | None  # None when the peer is unavailable
    status: str  # its version, "not installed" or "failed to import: ..."


def bind_port_zero() -> int:
    """Ask the kernel for a free port: bind a TCP socket to port 0, read the port, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _portpicker(module: ModuleType) -> Callable[[], int]:
    pick: Callable[[], int] = module.pick_unused_port
    give_back: Callable[[int], object] = module.return_port

    def pick_unused_port() -> int:
        # Returned at once, as a well-behaved caller does: portpicker never hands
        # out a port twice while it remembers it, so unreturned picks pile up.
        port = pick()
        give_back(port)
        return port

    return pick_unused_port


def _port_for(module: ModuleType) -> Callable[[], int]:
    # select_random() only reads /proc and probes ports; PortStore, which writes
    # /etc/port-for.conf, is never touched.
    select_random: Callable[[], int] = module.select_random
    return select_random


def _port4me(module: ModuleType) -> Callable[[], int]:
    find: Callable[..., int] = module.port4me

    def port4me() -> int:
        return find(tool="billing")

    return port4me


# (label, import name, distribution name, wrapper)
_PEERS: tuple[tuple[str, str, str, Callable[[ModuleType], Callable[[], int]]], ...] = (
    ("portpicker.pick_unused_port()", "portpicker", "portpicker", _portpicker),
    ("port_for.select_random()", "port_for", "port-for", _port_for),
    ("port4me.port4me(tool='billing')", "port4me", "port4me", _port4me),
)


def load_peers() -> list[Peer]:
    """Every peer, imported if it can be."""
    peers = []
    for label, module_name, distribution, wrap in _PEERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            peers.append(Peer(label, module_name, distribution, None, "not installed"))
            continue
        except Exception as error:  # noqa: BLE001 - a broken peer is reported, not fatal
            status = f"failed to import: {type(error).__name__}: {error}"
            peers.append(Peer(label, module_name, distribution, None, status))
            continue
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown version"
        peers.append(Peer(label, module_name, distribution, wrap(module), version))
    return peers
