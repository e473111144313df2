"""The error hierarchy: one base, builtin parents, and pickling across processes."""

import pickle
from pathlib import Path

import pytest

import stableport
from stableport._errors import PATH_LENGTH, PortCheckError

LEAVES = [
    (stableport.InvalidTypeError, TypeError),
    (stableport.InvalidNameError, ValueError),
    (stableport.PortRangeError, ValueError),
    (stableport.RangeExhaustedError, ValueError),
    (stableport.PinConflictError, ValueError),
    (stableport.UnknownServiceError, LookupError),
    (stableport.AlgorithmVersionError, ValueError),
    (stableport.HashFunctionError, RuntimeError),
    (PortCheckError, OSError),
]


@pytest.mark.parametrize(("error", "builtin"), LEAVES)
def test_each_error_is_a_stableport_error_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, stableport.StableportError)
    assert issubclass(error, builtin)


def test_range_exhausted_is_a_port_range_error() -> None:
    assert issubclass(stableport.RangeExhaustedError, stableport.PortRangeError)


@pytest.mark.parametrize(("error", "builtin"), LEAVES)
def test_errors_pickle_with_their_message(error: type[Exception], builtin: type[Exception]) -> None:
    original = error("port 80 is not allowed")
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own bytes
    assert type(copy) is error
    assert isinstance(copy, builtin)
    assert str(copy) == "port 80 is not allowed"


def test_a_raised_error_pickles() -> None:
    with pytest.raises(stableport.InvalidNameError) as caught:
        stableport.port_for("bad@name")
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes
    assert str(copy) == str(caught.value)


def test_a_long_path_is_shown_by_its_two_ends(tmp_path: Path) -> None:
    # Longer than a message shows whole (PATH_LENGTH): its start and its end, elided between.
    directory = tmp_path / ("d" * 100) / ("e" * 100)
    directory.mkdir(parents=True)
    path = directory / "stableport.toml"
    path.write_text("services = [\n")
    with pytest.raises(stableport.ConfigError) as raised:
        stableport.load(path)
    whole = str(path)
    assert len(whole) > PATH_LENGTH
    half = PATH_LENGTH // 2
    assert str(raised.value).startswith(f"{whole[:half]!r}...{whole[-half:]!r}: invalid TOML: ")
