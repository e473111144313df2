"""Variable names for export: the mangling rule, its refusals, and the three formats."""

import pytest

from stableport import InvalidNameError
from stableport._export import render, variable_name, variables


@pytest.mark.parametrize(
    ("service", "prefix", "expected"),
    [
        ("billing", "", "BILLING_PORT"),
        ("billing-api", "", "BILLING_API_PORT"),
        ("billing.api--v2", "", "BILLING_API_V2_PORT"),
        ("-edge-", "", "EDGE_PORT"),
        ("café", "", "CAF_PORT"),
        ("2fa", "APP_", "APP_2FA_PORT"),
        ("billing", "my_", "my_BILLING_PORT"),
    ],
)
def test_variable_names(service: str, prefix: str, expected: str) -> None:
    assert variable_name(service, prefix) == expected


@pytest.mark.parametrize(
    ("service", "prefix", "message"),
    [
        (
            "2fa",
            "",
            "service '2fa' would be exported as '2FA_PORT', which starts with a digit; "
            "give a --prefix such as 'APP_'",
        ),
        (
            "ñ",
            "",
            "service 'ñ' has no ASCII letter or digit to name a variable after; "
            "rename it or export it by hand",
        ),
        (
            "billing",
            "9X",
            "--prefix '9X' is not a valid variable name start; "
            "use ASCII letters, digits and '_', not starting with a digit",
        ),
        (
            "billing",
            "A-",
            "--prefix 'A-' is not a valid variable name start; "
            "use ASCII letters, digits and '_', not starting with a digit",
        ),
    ],
)
def test_names_that_cannot_be_variables_are_refused(
    service: str, prefix: str, message: str
) -> None:
    with pytest.raises(InvalidNameError) as caught:
        variables({service: 20001}, prefix)
    assert str(caught.value) == message


def test_two_services_on_one_variable_are_refused() -> None:
    with pytest.raises(
        InvalidNameError, match=r"'a\.b' and 'a_b' would both be exported as A_B_PORT;"
    ):
        variables({"a_b": 1, "a.b": 2})


def test_the_three_formats() -> None:
    named = variables({"web": 20001, "api": 20002})
    assert render(named, "env") == "API_PORT=20002\nWEB_PORT=20001\n"
    assert render(named, "shell") == "export API_PORT=20002\nexport WEB_PORT=20001\n"
    assert render(named, "json") == '{\n  "API_PORT": 20002,\n  "WEB_PORT": 20001\n}\n'
