"""Tests for course_lib.regularization_plots: each figure draws the data it is given."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import regularization_plots as rp  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_plot_capacity_draws_fits_and_errors():
    grid = np.linspace(-1, 1, 5)
    fig = rp.plot_capacity([0.0], [1.0], grid, grid**2, np.ones((2, 5)), (1, 2), [0, 1], [1.0, 0.0], [2.0, 3.0])
    ax1, ax2 = fig.axes
    assert len(ax1.lines) == 4 and ax2.get_yscale() == "log"
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), [1.0, 1e-4])  # 0 drawn on the floor
    np.testing.assert_allclose(ax2.lines[1].get_ydata(), [2.0, 3.0])


def test_plot_width_draws_means_and_seeds():
    fig = rp.plot_width([1, 2], np.zeros((2, 3)), np.ones((2, 3)), np.full((2, 3), 2.0))
    ax1, ax2 = fig.axes
    assert len(ax1.lines) == 2 * (1 + 3) and len(ax2.lines) == 1 + 3
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), [2.0, 2.0])


def test_plot_penalty_paths_filters_and_ensemble_draw_each_series():
    t1, t2 = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 4))
    fig = rp.plot_penalty_paths(t1, t2, t1**2 + t2**2, np.ones((3, 2)), np.zeros((3, 2)), (1.0, 1.0))
    assert [line.get_label() for line in fig.axes[0].lines][:2] == [
        "L2 penalty (ridge) path",
        "L1 penalty (lasso) path",
    ]
    fig = rp.plot_penalty_paths(t1, t2, t1**2 + t2**2, np.ones((3, 2)), np.zeros((3, 2)), (0.0, 0.0), constraint=0)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[:2] == ["L2 ball at one λ", "L1 diamond at one λ"]
    fig = rp.plot_penalty_paths(t1, t2, t1**2, np.ones((3, 2)), np.zeros((3, 2)), (0.0, 0.0), constraint=0, lam=100.0)
    assert [line.get_label() for line in fig.axes[0].lines][:2] == ["L2 ball at λ = 100", "L1 diamond at λ = 100"]
    ball = fig.axes[0].lines[0].get_xydata()
    assert np.allclose(np.hypot(*ball.T), np.sqrt(2))  # radius = ||l2_path[0]||
    fig = rp.plot_filters(np.array([0.1, 1.0]), np.ones((2, 2)), np.zeros((2, 2)), (10, 100), 0.1)
    styles = [line.get_linestyle() for line in fig.axes[0].lines[:4]]
    assert styles == ["-", "--", "-", "--"]
    fig = rp.plot_ensemble([1, 2], (0.0, 0.5), np.ones((2, 2)), np.ones((2, 2)))
    assert len(fig.axes[0].lines) == 4


def test_plot_verdicts_draws_one_row_per_arm_with_two_bars():
    fig = rp.plot_verdicts(["a", "b"], [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], [0.5, 0.25], [1.0, 0.75])
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    thin, thick = (c.lines[2][0].get_segments() for c in ax.containers)
    np.testing.assert_allclose([s[:, 0] for s in thin], [[0.0, 4.0], [-1.5, 1.5]])
    np.testing.assert_allclose([s[:, 0] for s in thick], [[1.0, 3.0], [-0.5, 0.5]])
    np.testing.assert_allclose([s[0, 1] for s in thick], [1.0, 0.0])  # first arm on top
