"""The leases of test runs: which one a test process asks for, and what each one's ports are.

The policy a test process's lease holder (_lease_holder) follows, apart from
how it hands out ports: lease 0 is the plain test environment, lease k >= 1 the environment
ENV-lease{k}, and leases 1..len(overlay_envs) are resolved together as one
overlay above the project's map, so their declared services never share a
port. The lock file (_lockfile) keeps live runs' leases and ports apart.
"""

import hashlib

from ._portmap import open_ports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._portmap import PortMap

# Leases 1..MAX_OVERLAY (fewer in a tight range) are resolved together; a
# higher one (more live test processes than that) hands out every name as an
# undeclared name is hashed, skipping every port the map hands out, and is kept
# apart from other processes by the port locks. Keeps the overlay cheap: 64
# environments per declared service.
MAX_OVERLAY = 64
# Leases 1, 2, ... use the environments ENV-lease1, ENV-lease2, ...; the highest
# lease bounds how long ENV may be (checked once, before any worker starts).
MAX_LEASES = 256
LONGEST_SUFFIX = f"-lease{MAX_LEASES - 1}"


def overlay_envs(project: "PortMap", env: str) -> tuple[str, ...]:
    """The environments of leases 1, 2, ... that the range can hold apart (at most half full)."""
    services = len(project.services)
    if not services:
        return ()
    count = min(MAX_OVERLAY, open_ports(project) // (2 * services))
    return tuple(f"{env}-lease{index}" for index in range(1, count + 1))


def capacity_problem(project: "PortMap", workers: int, env: str) -> str | None:
    """Why the range cannot hold the declared services of workers xdist workers apart, or None."""
    held = len(overlay_envs(project, env))
    if not project.services or workers <= held:
        return None
    low, high = project.port_range
    most = f"use at most {held} workers" if held else "run without -n"
    return (
        f"-n {workers}: range {low}-{high} holds the {len(project.services)} declared services "
        f"of at most {held} workers apart (keeping it at most half full); {most}, widen range "
        f"or declare fewer services"
    )


def lease_env(env: str, number: int) -> str:
    """The environment of lease number: env itself for lease 0, ENV-lease{k} for lease k."""
    return env if number == 0 else f"{env}-lease{number}"


def preferred_lease(worker: str | None) -> int:
    """Lease 0 for a plain run; N+1 for xdist worker gwN, so a lone run's workers never move."""
    if worker is None:
        return 0
    number = worker.removeprefix("gw")
    return int(number) + 1 if number.isdigit() and number.isascii() else 1


def lease_family(project: "PortMap | None", env: str) -> str:
    """The name of the project's lease files in env: runs of other projects never share it."""
    # Keyed by everything its ports depend on (namespace, services, envs,
    # range, exclusions, pins: repr shows them all), not by its path: two
    # worktrees of one project share it and take distinct leases, while
    # another project's run never pushes this one off lease 0 (the port
    # locks keep the two projects' ports apart). None: a configuration that
    # does not load, whose lookups all fail anyway.
    return hashlib.sha256(f"{env}\x00{project!r}".encode()).hexdigest()[:16]
