"""Validation and normalization of service and environment names."""

from ._errors import InvalidNameError, InvalidTypeError, excerpt

MAX_NAME_LENGTH = 128

# '@' joins service and environment in pins ("billing@prod"); '=' and ','
# separate entries of the STABLEPORT_PINS override variable.
RESERVED_CHARACTERS = "@=,"

# Cc: control, Cs: lone surrogates (not encodable), Cn: unassigned. Rejecting
# unassigned code points keeps casefold() stable across Python's Unicode versions.
# Cf (zero-width, bidirectional controls, U+FEFF), Zl and Zp are invisible or
# break lines: they would make names that look alike but hash apart (Trojan Source).
_FORBIDDEN_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Cs": "a surrogate",
    "Cn": "unassigned",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def normalize_name(value: object, kind: str = "service name", where: str = "") -> str:
    """Return the canonical form of a name (NFC, casefolded) or raise naming the value."""
    origin = f" (from {where})" if where else ""
    if not isinstance(value, str):
        raise InvalidTypeError(
            f"{kind} must be a str, not {type(value).__name__}: {excerpt(value)}{origin}"
        )
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{kind} {excerpt(value)}{origin} is {len(value)} characters long; "
            f"at most {MAX_NAME_LENGTH} are allowed"
        )
    if not value:
        raise InvalidNameError(f"{kind} is empty{origin}; give at least one character")
    if value != value.strip():
        raise InvalidNameError(
            f"{kind} {value!r}{origin} has leading or trailing whitespace; remove it"
        )
    if value.isascii() and value.isprintable() and not any(c in value for c in RESERVED_CHARACTERS):
        # Printable ASCII: no character of a forbidden category, NFC as it is,
        # and casefold() is lower(). The common name, without unicodedata.
        return value.lower()
    import unicodedata  # noqa: PLC0415 - only for a name beyond printable ASCII, or a bad one

    for char in value:
        if char in RESERVED_CHARACTERS:
            raise InvalidNameError(
                f"{kind} {value!r}{origin} contains {char!r}, which is reserved; "
                f"names may not contain any of {' '.join(RESERVED_CHARACTERS)}"
            )
        category = unicodedata.category(char)
        if category in _FORBIDDEN_CATEGORIES:
            raise InvalidNameError(
                f"{kind} {value!r}{origin} contains U+{ord(char):04X}, "
                f"{_FORBIDDEN_CATEGORIES[category]}; use printable characters"
            )
    # NFC again after casefold: folding can leave a decomposed sequence behind.
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())
    if len(folded) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{kind} {excerpt(value)}{origin} is {len(folded)} characters long once "
            f"casefolded; at most {MAX_NAME_LENGTH} are allowed"
        )
    return folded
