"""Name validation and normalization: exact messages for every kind of bad name."""

import pytest

import stableport
from stableport._names import normalize_name


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("billing", "billing"),
        ("Billing", "billing"),
        ("BILLING-API", "billing-api"),
        ("Straße", "strasse"),
        ("caf\u0065\u0301", "caf\u00e9"),  # decomposed e + acute composes (NFC)
        ("CAF\u00c9", "caf\u00e9"),
        ("\u212b", "\u00e5"),  # ANGSTROM SIGN: NFC gives A-ring, casefold lowers it
        ("billing api", "billing api"),  # inner spaces are kept
        ("x" * 128, "x" * 128),
        ("サービス", "サービス"),
    ],
)
def test_names_normalize_to_nfc_casefold(given: str, normalized: str) -> None:
    assert normalize_name(given) == normalized


def test_case_and_unicode_variants_share_a_port() -> None:
    assert stableport.port_for("Billing") == stableport.port_for("billing")
    assert stableport.port_for("caf\u0065\u0301") == stableport.port_for("CAF\u00c9")
    assert stableport.port_for("billing", env="Staging") == stableport.port_for(
        "billing", env="staging"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "service name is empty; give at least one character"),
        (
            " billing",
            "service name ' billing' has leading or trailing whitespace; remove it",
        ),
        (
            "billing\n",
            "service name 'billing\\n' has leading or trailing whitespace; remove it",
        ),
        (
            "bill\x00ing",
            "service name 'bill\\x00ing' contains U+0000, a control character; "
            "use printable characters",
        ),
        (
            "bill\x7fing",
            "service name 'bill\\x7fing' contains U+007F, a control character; "
            "use printable characters",
        ),
        (
            "bill\ud800ing",
            "service name 'bill\\ud800ing' contains U+D800, a surrogate; use printable characters",
        ),
        (
            "bill\u0378ing",
            "service name 'bill\\u0378ing' contains U+0378, unassigned; use printable characters",
        ),
        (
            "billing\u200b",
            "service name 'billing\\u200b' contains U+200B, an invisible format character; "
            "use printable characters",
        ),
        (
            "\ufeffbilling",
            "service name '\\ufeffbilling' contains U+FEFF, an invisible format character; "
            "use printable characters",
        ),
        (
            "bill\u00ading",
            "service name 'bill\\xading' contains U+00AD, an invisible format character; "
            "use printable characters",
        ),
        (
            "\u202ebilling",
            "service name '\\u202ebilling' contains U+202E, an invisible format character; "
            "use printable characters",
        ),
        (
            "bill\u2066ing",
            "service name 'bill\\u2066ing' contains U+2066, an invisible format character; "
            "use printable characters",
        ),
        (
            "bill\u2028ing",
            "service name 'bill\\u2028ing' contains U+2028, a line separator; "
            "use printable characters",
        ),
        (
            "bill\u2029ing",
            "service name 'bill\\u2029ing' contains U+2029, a paragraph separator; "
            "use printable characters",
        ),
        (
            "billing@prod",
            "service name 'billing@prod' contains '@', which is reserved; "
            "names may not contain any of @ = ,",
        ),
        (
            "a=b",
            "service name 'a=b' contains '=', which is reserved; "
            "names may not contain any of @ = ,",
        ),
        (
            "a,b",
            "service name 'a,b' contains ',', which is reserved; "
            "names may not contain any of @ = ,",
        ),
        (
            "x" * 129,
            "service name 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx' "
            "is 129 characters long; at most 128 are allowed",
        ),
        (
            "ß" * 65,
            "service name 'ßßßßßßßßßßßßßßßßßßßßßßßßßßß...ßßßßßßßßßßßßßßßßßßßßßßßßßßßß' "
            "is 130 characters long once casefolded; at most 128 are allowed",
        ),
    ],
)
def test_bad_names_raise_invalid_name_error_with_the_value(given: str, message: str) -> None:
    with pytest.raises(stableport.InvalidNameError) as caught:
        stableport.port_for(given)
    assert str(caught.value) == message


@pytest.mark.parametrize("given", [None, 42, b"billing", ["billing"], 1.5])
def test_non_str_names_raise_type_error(given: object) -> None:
    with pytest.raises(stableport.InvalidTypeError, match="service name must be a str") as caught:
        stableport.port_for(given)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert repr(given) in str(caught.value)


def test_bad_environment_names_are_named_as_environments() -> None:
    with pytest.raises(stableport.InvalidNameError) as caught:
        stableport.port_for("billing", env="")
    assert str(caught.value) == "environment name is empty; give at least one character"


def test_where_the_name_came_from_is_in_the_message() -> None:
    with pytest.raises(stableport.InvalidNameError) as caught:
        stableport.PortMap(["ok", "bad@name"])
    assert str(caught.value) == (
        "service name 'bad@name' (from services[1]) contains '@', which is reserved; "
        "names may not contain any of @ = ,"
    )
