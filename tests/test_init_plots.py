"""Smoke-and-content tests for course_lib.init_plots: each figure draws what it is given."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import init_experiments as X  # noqa: E402
from course_lib import init_plots  # noqa: E402


def test_plot_propagation_draws_measured_and_theory():
    res = X.signal_propagation("relu", "he_uniform", 2.0, depth=4, width=32, batch=16, seeds=(0, 1))
    fig = init_plots.plot_propagation({"He + ReLU": res})
    left = fig.axes[0]
    np.testing.assert_allclose(left.lines[1].get_ydata(), res.theory.q)  # the theory line
    np.testing.assert_allclose(left.lines[0].get_ydata(), np.exp(np.log(res.q).mean(axis=0)))
    plt.close(fig)


def test_plot_depth_steps_puts_unreached_runs_at_the_cap():
    steps = {"a": np.array([[3.0, 5.0], [4.0, 4.0]]), "b": np.array([[6.0, 8.0], [np.inf, 9.0]])}
    ax = init_plots.plot_depth_steps([2, 4], steps, 100)
    ys = [tuple(line.get_ydata()) for line in ax.lines]
    assert (4.0, 4.0) in ys and (7.0,) in ys and (100.0,) in ys
    plt.close(ax.figure)


def test_plot_seed_curves_and_histograms_validate():
    ax = init_plots.plot_seed_curves(np.arange(3), {"x": np.ones((2, 3))}, "loss")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1, 1, 1])
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="curves"):
        init_plots.plot_seed_curves(np.arange(3), {"x": np.ones((2, 4))}, "loss")
    ax = init_plots.plot_weight_histograms({"u": np.linspace(-1, 1, 50)})
    assert ax.get_xlabel() == "weight value"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="samples"):
        init_plots.plot_weight_histograms({})
