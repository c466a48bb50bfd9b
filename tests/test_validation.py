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
