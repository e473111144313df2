"""Ports as environment variables: BILLING_PORT=20345 for .env files, shells and JSON."""

import json
import re
from typing import NamedTuple

from ._commands import add_options
from ._common import Answer
from ._config import NAMESPACE_VARIABLE
from ._errors import ConfigError, InvalidNameError
from ._identity import INSTANCE_VARIABLE
from ._output import config_name, load

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ._config import Origin
    from ._portmap import PortMap

FORMATS = ("env", "json", "shell")

_NOT_ALLOWED = re.compile(r"[^A-Z0-9]+")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def arguments(parser: "argparse.ArgumentParser") -> None:
    parser.description = (
        "Every declared service's port as a variable: billing-api -> BILLING_API_PORT."
    )
    add_options(parser, "--config", "--env", "--namespace", "--instance")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env: NAME=PORT lines (docker compose .env); json: an object; shell: export lines",
    )
    parser.add_argument("--prefix", default="", help="put before every variable name, e.g. APP_")
    parser.add_argument(
        "--with-instance",
        action="store_true",
        help="add STABLEPORT_INSTANCE=N, the checkout's instance (0: the plain map), as the "
        "first variable",
    )
    parser.add_argument(
        "--check",
        metavar="FILE",
        help="write nothing; exit 0 if FILE holds exactly what export would write, "
        "else 1 and a line per differing variable",
    )


def handle(args: "argparse.Namespace") -> Answer:
    pm, origin = load(args)
    text = exported(
        pm, origin, args.env, args.prefix, args.format, with_instance=args.with_instance
    )
    if args.check is None:
        return Answer(0, text)
    from ._export_check import check_file  # noqa: PLC0415 - only for --check

    return check_file(args.check, text, args.format, _rewrite_command(args))


def exported(
    pm: "PortMap",
    origin: "Origin",
    env: str | None,
    prefix: str,
    output_format: str,
    *,
    with_instance: bool = False,
) -> str:
    """What `stableport export` writes for the map: one text, for export and its --check."""
    ports = {service: pm.port_for(service, env) for service in pm.services}
    named = variables(ports, prefix)
    if not named:  # `export > .env` must not write an empty file and succeed
        raise ConfigError(f"nothing to export: no services declared in {config_name(origin)}")
    return render(named, output_format, pm.namespace, pm.instance, with_instance=with_instance)


def _rewrite_command(args: "argparse.Namespace") -> str:
    """The export command that rewrites --check's FILE: the options given, then > FILE."""
    import shlex  # noqa: PLC0415 - only for --check

    words = ["stableport", "export"]
    for option in ("config", "env", "namespace", "instance", "prefix"):
        value = getattr(args, option, None)
        if value:
            words += [f"--{option}", str(value)]
    if args.format != "env":
        words += ["--format", args.format]
    if getattr(args, "with_instance", False):
        words.append("--with-instance")
    return f"{shlex.join(words)} > {shlex.quote(args.check)}"


def variable_name(service: str, prefix: str = "") -> str:
    """prefix + the service upper-cased, each run of other characters one '_', + '_PORT'."""
    stem = variable_stem(service)
    if not stem:
        raise InvalidNameError(
            f"service {service!r} has no ASCII letter or digit to name a variable after; "
            f"rename it or export it by hand"
        )
    name = f"{prefix}{stem}_PORT"
    if not _VARIABLE.fullmatch(name):
        raise InvalidNameError(
            f"service {service!r} would be exported as {name!r}, which starts with a digit; "
            f"give a --prefix such as 'APP_'"
        )
    return name


def variable_stem(service: str) -> str:
    """The service's part of its variable: upper-cased, each run of other characters one '_'."""
    return _NOT_ALLOWED.sub("_", service.upper()).strip("_")


def variables(ports: "dict[str, int]", prefix: str = "") -> dict[str, int]:
    """Variable name -> port for service -> port, refusing two services on one name."""
    if prefix and not _VARIABLE.fullmatch(prefix):
        raise InvalidNameError(
            f"--prefix {prefix!r} is not a valid variable name start; "
            f"use ASCII letters, digits and '_', not starting with a digit"
        )
    named: dict[str, int] = {}
    owners: dict[str, str] = {}
    for service in sorted(ports):
        name = variable_name(service, prefix)
        if name in owners:
            raise InvalidNameError(
                f"services {owners[name]!r} and {service!r} would both be exported as "
                f"{name}; rename one of them"
            )
        named[name], owners[name] = ports[service], service
    return named


class Nameable(NamedTuple):
    """run's variables: those it sets, and why each service or name left out is."""

    named: dict[str, int]  # variable -> port
    refused: dict[str, str]  # service -> why it has no variable
    shared: dict[str, str]  # variable two services would share -> why it is not set


def nameable(ports: "dict[str, int]", prefix: str = "") -> Nameable:
    """variables(), except that a service without a variable of its own is left out.

    run's version: one service that makes no variable (or whose variable another
    service would share) must not stop every other service from starting.
    """
    variables({}, prefix)  # a bad prefix is run's own option: still an error
    owners: dict[str, list[str]] = {}
    result = Nameable({}, {}, {})
    for service in sorted(ports):
        name, why = _variable_or_why(service, prefix)
        if name is None:
            result.refused[service] = why
        else:
            owners.setdefault(name, []).append(service)
    for name, services in owners.items():
        if len(services) == 1:
            result.named[name] = ports[services[0]]
            continue
        why = f"services {' and '.join(map(repr, services))} would both be {name}"
        result.shared[name] = why
        result.refused.update(dict.fromkeys(services, why))
    return result


def _variable_or_why(service: str, prefix: str) -> tuple[str | None, str]:
    """service's variable, or None and why it has none."""
    try:
        return variable_name(service, prefix), ""
    except InvalidNameError as error:
        return None, str(error).partition(";")[0]


def render(
    named: "dict[str, int]",
    output_format: str,
    namespace: str | None = None,
    instance: int = 0,
    *,
    with_instance: bool = False,
) -> str:
    """The variables as .env lines, a JSON object or shell export lines.

    JSON also carries the map's namespace and instance, as the variables that
    select them, so a reader knows whose ports they are; .env and shell lines do
    not, since sourcing them would move every later lookup in that shell to it,
    unless with_instance asks for the instance (a compose file naming its
    project after the checkout: the checkout's own instance, 0 if plain).
    """
    if output_format == "json":
        carried: dict[str, object] = {} if namespace is None else {NAMESPACE_VARIABLE: namespace}
        if instance or with_instance:
            carried[INSTANCE_VARIABLE] = str(instance)
        return json.dumps({**carried, **named}, indent=2) + "\n"
    export = "export " if output_format == "shell" else ""
    lines = {INSTANCE_VARIABLE: instance} if with_instance else {}
    return "".join(f"{export}{name}={value}\n" for name, value in {**lines, **named}.items())
