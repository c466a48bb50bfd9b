"""Tests for course_lib.online: Reddi, Kale and Kumar's online problem, the regret, and the outcome
the chapter asserts (Adam at +1, AMSGrad at −1), on short runs."""

import numpy as np
import pytest

from course_lib import online
from course_lib import optimizers as opt


def test_periodic_linear_gradients_and_minimizer():
    p = online.PeriodicLinear(big=3.0, small=1.0, period=3)
    np.testing.assert_array_equal(p.gradient(np.arange(1, 7)), [3.0, -1.0, -1.0, 3.0, -1.0, -1.0])
    assert p.period_slope == 1.0 and p.minimizer == -1.0
    assert online.PeriodicLinear(big=1.0, small=1.0, period=3).minimizer == 1.0  # sum −x: best at +1
    assert online.PeriodicLinear().period_slope == 1010 - 100 * 10


def test_inverse_sqrt_schedule():
    schedule = online.InverseSqrt(0.5)
    np.testing.assert_allclose(schedule(np.arange(4)), 0.5 / np.sqrt([1, 2, 3, 4]))


def test_run_online_regret_is_the_direct_sum_and_plays_stay_in_the_interval():
    p = online.PeriodicLinear(big=3.0, small=1.0, period=3)
    run = online.run_online(opt.GradientDescent(online.InverseSqrt(0.3)), p, 50, x0=0.2)
    assert run.x.shape == (51,) and np.all(np.abs(run.x) <= 1) and run.x[0] == 0.2
    x = [0.2]
    for t in range(1, 51):  # projected online gradient descent, written out
        x.append(float(np.clip(x[-1] - 0.3 / np.sqrt(t) * p.gradient(t), -1, 1)))
    np.testing.assert_allclose(run.x, x, atol=1e-15)
    regret = np.cumsum([p.gradient(t) * x[t - 1] - p.gradient(t) * (-1.0) for t in range(1, 51)])
    np.testing.assert_allclose(run.average_regret, regret / np.arange(1, 51), atol=1e-12)


@pytest.mark.parametrize("amsgrad, end", [(False, 1.0), (True, -1.0)])
def test_adam_goes_to_the_worst_point_and_amsgrad_to_the_best(amsgrad, end):
    p = online.PeriodicLinear(big=3.0, small=1.0, period=3)
    optimizer = opt.Adam(online.InverseSqrt(0.1), 0.0, 1 / (1 + 3.0**2), amsgrad=amsgrad)
    run = online.run_online(optimizer, p, 3000)
    assert abs(run.x[-3:].mean() - end) < 0.02


def test_validation():
    with pytest.raises(ValueError, match="big"):
        online.PeriodicLinear(big=0.0)
    with pytest.raises(ValueError, match="period"):
        online.PeriodicLinear(period=1)
    with pytest.raises(ValueError, match="alpha"):
        online.InverseSqrt(-1.0)
    with pytest.raises(ValueError, match="rounds"):
        online.run_online(opt.Adam(), online.PeriodicLinear(), 0)
    with pytest.raises(ValueError, match="x0"):
        online.run_online(opt.Adam(), online.PeriodicLinear(), 5, x0=2.0)
