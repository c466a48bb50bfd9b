"""Tests for course_lib.validation: the shared argument checks."""

import numpy as np
import pytest

from course_lib import validation


def test_check_scalar_messages_and_values():
    assert validation.check_scalar("learning_rate", 0.5, low=0) == 0.5
    assert validation.check_scalar("steps", np.int64(3), low=0, integer=True) == 3
    with pytest.raises(ValueError, match=r"learning_rate must be finite and >= 0, got -1"):
        validation.check_scalar("learning_rate", -1, low=0)
    with pytest.raises(ValueError, match="momentum must be finite and >= 0 and < 1"):
        validation.check_scalar("momentum", 1.0, low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match="eps"):
        validation.check_scalar("eps", 0.0, low=0, low_open=True)
    for bad in (float("nan"), float("inf"), "0.1", None, True):
        with pytest.raises(ValueError, match="x must be finite"):
            validation.check_scalar("x", bad)
    with pytest.raises(ValueError, match="steps must be an integer"):
        validation.check_scalar("steps", 2.5, integer=True)


def test_check_theta_returns_float_array_and_names_the_parameter():
    out = validation.check_theta([1, 2], dim=2)
    assert out.dtype == float and out.shape == (2,)
    assert validation.check_theta(np.zeros((3, 4, 2)), dim=2).shape == (3, 4, 2)
    with pytest.raises(ValueError, match=r"theta0 must have shape \(\.\.\., 2\), got shape \(3,\)"):
        validation.check_theta(np.zeros(3), dim=2, name="theta0")
    with pytest.raises(ValueError, match="theta must have shape"):
        validation.check_theta(1.0)


def test_check_seed_and_check_rng():
    assert validation.check_seed(np.int64(5)) == 5
    for bad in (-1, 1.5, "3", None, True):
        with pytest.raises(ValueError, match="seed must be an integer and >= 0"):
            validation.check_seed(bad)
    rng = np.random.default_rng(0)
    assert validation.check_rng(rng) is rng
    for bad in (0, np.random.RandomState(0), None):
        with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
            validation.check_rng(bad)


def test_check_symmetric_one_tolerance_relative_to_the_entries():
    H = np.array([[2.0, 1.0], [1.0, 3.0]]) * 1e6
    np.testing.assert_array_equal(validation.check_symmetric(H), H)
    nearly = H + np.array([[0.0, 1e-6], [0.0, 0.0]])  # 1e-12 relative: round-off
    out = validation.check_symmetric(nearly)
    np.testing.assert_array_equal(out, out.T)
    tiny = np.array([[1e-20, 1e-21], [0.0, 1e-20]])  # asymmetric at 10% of its scale: must fail
    with pytest.raises(ValueError, match=r"A must be symmetric, got max \|A - A.T\| = 1e-21"):
        validation.check_symmetric(tiny, name="A")
    np.testing.assert_array_equal(validation.check_symmetric(np.zeros((2, 2))), np.zeros((2, 2)))
    for bad, message in [(np.ones(3), "square"), (np.zeros((0, 0)), "square"), ([[np.inf]], "finite")]:
        with pytest.raises(ValueError, match=f"H must be .*{message}"):
            validation.check_symmetric(bad)


def test_hyperparameter_checks_shared_by_optimizers_and_schedules():
    assert validation.check_positive("eps", 1e-8) == 1e-8
    with pytest.raises(ValueError, match="eps must be finite and > 0, got 0.0"):
        validation.check_positive("eps", 0.0)
    assert validation.check_unit("beta1", 0.0) == 0.0
    for bad in (1.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="beta1 must be finite and >= 0 and < 1"):
            validation.check_unit("beta1", bad)
    schedule = lambda k: 0.1 / (k + 1)  # noqa: E731
    assert validation.check_rate(schedule) is schedule and validation.check_rate(np.float64(0.5)) == 0.5
    with pytest.raises(ValueError, match="learning_rate must be finite and >= 0"):
        validation.check_rate(-0.1)
    with pytest.raises(ValueError, match="initial must be"):
        validation.check_rate("0.1", "initial")


def test_set_validated_writes_a_frozen_dataclass_once():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Rate:
        value: float

        def __post_init__(self):
            validation.set_validated(self, value=validation.check_positive("value", self.value))

    assert Rate(np.int64(2)).value == 2.0 and type(Rate(np.int64(2)).value) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        Rate(1.0).value = 3.0
    with pytest.raises(ValueError, match="value must be"):
        Rate(-1.0)


def test_check_indices():
    np.testing.assert_array_equal(validation.check_indices([2, 0, 2], 3), [2, 0, 2])
    np.testing.assert_array_equal(validation.check_indices(np.arange(3, dtype=np.int32), 3), [0, 1, 2])
    with pytest.raises(ValueError, match="batch must hold distinct indices, got 1 repeats"):
        validation.check_indices([2, 0, 2], 3, distinct=True)
    with pytest.raises(ValueError, match=r"batch must hold indices in 0..2, got values in \[0, 3\]"):
        validation.check_indices([0, 3], 3)
    for bad in ([], [[0, 1]], [0.0, 1.0], 1, [True, False]):
        with pytest.raises(ValueError, match="rows must be a non-empty 1-D array of integer indices"):
            validation.check_indices(bad, 3, name="rows")
