"""export --check FILE: does FILE hold exactly what export would write now?

The `ruff format --check` of ports, for CI and pre-commit: exit 0 when the
file's bytes are export's, else exit 1 with a line per variable that differs
(its name, the file's value, the map's value), then the command that rewrites
the file. A file equal in its values but written otherwise (a BOM, CRLF, its
lines in another order, a comment) is still not export's: one line says how.
"""

from ._cli.answer import Answer
from ._errors import shown
from ._exported import Reading, decoded, format_of, read, read_file

# A generated file is a few hundred bytes: read a bounded amount more than
# export's text, so a huge file or device is reported, not read whole.
_SLACK = 64 * 1024


def check_file(path: str, expected: str, output_format: str, fix: str) -> Answer:
    """Exit 0 and one line if path holds expected; else 1, each difference and the fix."""
    name = shown(path)
    data = read_file(path, len(expected.encode()) + _SLACK)
    if data == expected.encode():
        count = len(read(expected, output_format).entries)
        return Answer(0, f"{name}: up to date ({count} variable(s))\n")
    if data is None:
        lines = [f"{name}: does not exist"]
    else:
        lines = [f"{name}: {line}" for line in differences(data, expected, output_format)]
    lines.append(f"fix: {fix}")
    return Answer(1, "\n".join(lines) + "\n")


def differences(data: bytes, expected: str, output_format: str) -> list[str]:
    """How data differs from expected, export's text: by variable first, else how it is written."""
    text, changes = decoded(data)
    written_as = format_of(text)
    if written_as != output_format:
        # Read in the wrong format, every line would be a difference: say the one that is.
        return [
            f"is written as --format {written_as}, not --format {output_format}: "
            f"check it with --format {written_as}, or rewrite it"
        ]
    found, wanted = read(text, output_format), read(expected, output_format)
    lines = [f"line {line}: {why}" for line, why in found.unreadable]
    lines.extend(_variable_lines(found, wanted))
    if not lines:  # the same variables and values, written otherwise
        lines = changes or [_first_difference(text, expected)]
    return lines


def _variable_lines(found: Reading, wanted: Reading) -> list[str]:
    """NAME: the file's value, the map's value: for each variable set otherwise than export."""
    mine = {entry.name: entry.value for entry in wanted.entries}
    theirs: dict[str, str] = {}
    lines = []
    for entry in found.entries:
        if entry.name in theirs:
            lines.append(f"{entry.name}: set again on line {entry.line}; export sets it once")
            continue
        theirs[entry.name] = entry.value
    for variable, value in mine.items():
        if variable not in theirs:
            lines.append(f"{variable}: the file has none, the map has {value}")
        elif theirs[variable] != value:
            lines.append(f"{variable}: the file has {theirs[variable]}, the map has {value}")
    lines.extend(
        f"{variable}: the file has {value}, the map has none"
        for variable, value in theirs.items()
        if variable not in mine
    )
    return lines


def _first_difference(text: str, expected: str) -> str:
    ours, theirs = expected.split("\n"), text.split("\n")
    for number, (want, got) in enumerate(zip(ours, theirs, strict=False), start=1):
        if want != got:
            return f"line {number} is {got!r}, export writes {want!r}"
    return f"has {len(theirs) - 1} line(s), export writes {len(ours) - 1}"
