"""Whose PORT wins in `stableport run`: a hosting platform's, or stableport's.

On Heroku a web process that does not bind $PORT is killed (R10); Cloud Run,
App Engine and Render route only to $PORT. There, the inherited PORT is the
one the process must bind, and run keeps it. Local process managers (honcho,
foreman, overmind) set PORT=5000, 5100, ... too: there run replaces it, which
is what it is for. A platform is recognized by a variable it sets in every
process and a developer's machine does not; STABLEPORT_KEEP_PORT decides
where that guess is wrong.
"""

from ._errors import ConfigError, excerpt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

KEEP_PORT_VARIABLE = "STABLEPORT_KEEP_PORT"

# The variable each platform sets in its processes, and the platform's name.
PLATFORMS = (
    ("DYNO", "Heroku"),  # Dokku sets it too, and routes to $PORT the same way
    ("K_SERVICE", "Cloud Run"),  # and Cloud Run functions
    ("GAE_SERVICE", "App Engine"),
    ("RENDER", "Render"),
)

_CHOICES = {"1": True, "0": False}


def keeps_port(environ: "Mapping[str, str]") -> bool:
    """Whether run keeps the inherited PORT rather than setting the service's port.

    Raises ConfigError for a STABLEPORT_KEEP_PORT other than 1 or 0.
    """
    if environ.get("PORT") is None:
        return False
    choice = environ.get(KEEP_PORT_VARIABLE)
    if choice is None:
        return platform(environ) is not None
    if choice not in _CHOICES:
        raise ConfigError(
            f"{KEEP_PORT_VARIABLE}={excerpt(choice)} is not 1 (keep the inherited PORT) "
            f"or 0 (replace it with the service's port); set one of them, or unset it"
        )
    return _CHOICES[choice]


def platform(environ: "Mapping[str, str]") -> str | None:
    """The hosting platform this process runs on, and how it was told: 'Heroku (DYNO is set)'."""
    for variable, name in PLATFORMS:
        if environ.get(variable):
            return f"{name} ({variable} is set)"
    return None
