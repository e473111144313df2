"""The error hierarchy: one base, builtin parents, and pickling across processes."""

import pickle

import pytest

import stableport

LEAVES = [
    (stableport.InvalidTypeError, TypeError),
    (stableport.InvalidNameError, ValueError),
    (stableport.PortRangeError, ValueError),
    (stableport.RangeExhaustedError, ValueError),
    (stableport.PinConflictError, ValueError),
    (stableport.UnknownServiceError, LookupError),
    (stableport.AlgorithmVersionError, ValueError),
    (stableport.HashFunctionError, RuntimeError),
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
