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


def test_loss_comparison_figure():
    runs = {"x": np.full((3, 4), 0.5), "y": np.full((3, 4), 0.9)}
    fig = P.plot_loss_comparison({"left": runs, "right": runs}, epochs=np.arange(4))
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"] and len(_styles(fig.axes[0])) >= 2
