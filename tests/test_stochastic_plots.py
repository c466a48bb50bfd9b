"""Tests for course_lib.stochastic_plots: each figure draws the data it is given."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import stochastic_plots as sp  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_plot_variance_draws_formula_measured_and_reference():
    b = np.array([1, 10, 90])
    ax = sp.plot_variance(b, [2.0, 0.2, 0.01], [2.0, 0.18, 0.002], 2.0, 100)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 2.0 / b)
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [2.0, 0.2, 0.01])
    with pytest.raises(ValueError, match="measured"):
        sp.plot_variance(b, [1.0], [1.0, 1.0, 1.0], 2.0, 100)


def test_plot_noise_ball_draws_line_and_points():
    ax = sp.plot_noise_ball([0.1, 0.2], [0.3, 0.9], 2.0, limit=0.5)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.4])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.3, 0.9])
    with pytest.raises(ValueError, match="rates"):
        sp.plot_noise_ball([0.0, 0.2], [0.3, 0.9], 2.0)


def test_plot_batch_scaling_draws_both_panels():
    b = np.array([8, 32, 128])
    steps = np.array([[100.0, 30.0, 20.0], [120.0, 32.0, 22.0]])
    fig = sp.plot_batch_scaling(
        b, steps, [0.1, 0.4, 0.8], fit_steps=[110.0, 31.0, 19.0], largest_stable=[0.2, 0.8, 1.6]
    )
    left, right = fig.axes
    np.testing.assert_allclose(right.lines[0].get_ydata(), [0.1, 0.4, 0.8])
    np.testing.assert_allclose(right.lines[1].get_ydata(), [0.1, 0.4, 1.6])  # α ∝ b
    assert left.get_xscale() == "log" and len(right.lines) == 3
    with pytest.raises(ValueError, match="steps"):
        sp.plot_batch_scaling(b, steps[:, :2], [0.1, 0.4, 0.8])
