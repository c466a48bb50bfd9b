"""Tests for course_lib.loss_plots: each figure has its panels, labels, and curves told apart by line style."""

import numpy as np

import course_lib  # noqa: F401  (environment first)
from course_lib import loss_plots as P


def _styles(ax):
    return {(line.get_linestyle(), line.get_marker()) for line in ax.get_lines() if line.get_label()[0] != "_"}


def test_logit_gradient_figure():
    z = np.linspace(-5, 5, 11)
    fig = P.plot_logit_gradients(z, {"a": np.exp(z), "b": np.exp(-z)}, z, {"a": z**2 + 1, "b": z**2 + 2})
    assert len(fig.axes) == 2 and all(ax.get_yscale() == "log" and ax.get_xlabel() for ax in fig.axes)
    assert len(_styles(fig.axes[0])) == 2


def test_keras_clipping_figure():
    m = np.linspace(0, 40, 9)
    measured = np.c_[m, np.ones(9), np.minimum(m, 16.1), (m < 16).astype(float)]
    fig = P.plot_keras_clipping(m, measured, 16.118, 18.32)
    assert len(fig.axes) == 2 and "18.32" in fig.axes[1].get_legend().get_texts()[-1].get_text()
    fig = P.plot_keras_clipping(m, measured, 16.118, 18.32, one_hot=measured * 0.5)
    assert fig.axes[1].get_yscale() == "symlog" and len(_styles(fig.axes[1])) == 4  # 3 curves + the marker line
    np.testing.assert_array_equal(fig.axes[1].get_lines()[2].get_ydata(), measured[:, 3] * 0.5)


def test_loss_comparison_figure():
    runs = {"x": np.full((3, 4), 0.5), "y": np.full((3, 4), 0.9)}
    fig = P.plot_loss_comparison({"left": runs, "right": runs}, epochs=np.arange(4))
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"] and len(_styles(fig.axes[0])) >= 2
    # curves recorded at different epochs: each its own x
    panels = {"p": {"short": np.full((2, 3), 0.2), "long": np.full((2, 5), 0.7)}}
    fig = P.plot_loss_comparison(panels, epochs={"p": {"short": [0, 1, 2], "long": [0, 10, 20, 30, 40]}})
    xs = {line.get_label(): line.get_xdata() for line in fig.axes[0].get_lines()}
    assert list(xs["short"]) == [0, 1, 2] and list(xs["long"]) == [0, 10, 20, 30, 40]


def test_reliability_bins_with_few_images_are_pale():
    from course_lib import calibration, losses

    rng = np.random.default_rng(3)
    z = rng.normal(scale=3.0, size=(300, 4))
    y = rng.integers(0, 4, size=300)
    ax = P.plot_reliability(losses.softmax(z), y, few=10)
    r = calibration.reliability(losses.softmax(z), y)
    used = r.count[r.count > 0]
    filled = [p for p in ax.patches if p.get_fill() and p.get_facecolor()[3] < 1]
    assert len(filled) == np.sum(used < 10) > 0  # one pale bar per sparse bin
    assert "accuracy, < 10 images" in [t.get_text() for t in ax.get_legend().get_texts()]
