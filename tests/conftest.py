"""Shared fixtures: every test starts from a clean process-wide state."""

from collections.abc import Iterator

import pytest

import stableport

STABLEPORT_VARIABLES = ("STABLEPORT_ENV",)


@pytest.fixture(autouse=True)
def clean_stableport_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No STABLEPORT_* variable leaks in, and no cached default map leaks out."""
    for variable in STABLEPORT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    stableport.reload()
    yield
    stableport.reload()
