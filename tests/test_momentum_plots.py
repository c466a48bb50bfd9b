"""Tests for course_lib.momentum_plots: what each figure of chapter 06 contains."""

import matplotlib.pyplot as plt
import numpy as np

from course_lib import momentum_plots, objectives, optimizers, rates


def test_regime_map_draws_the_boundaries_and_the_tuned_segment():
    alpha, beta = rates.heavy_ball_constants(1.0, 0.01)
    ax = momentum_plots.plot_regime_map(tuned=(alpha, beta, 0.01, 1.0), resolution=50)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 4 and "critical damping" in labels[0] and "tuned" in labels[3]
    segment = ax.get_lines()[-1]
    assert np.allclose(segment.get_xdata(), [alpha * 0.01, alpha]) and np.allclose(segment.get_ydata(), beta)
    assert ax.get_xlabel().startswith("$t") and ax.get_ylabel() == r"momentum $\beta$"
    assert len(ax.figure.axes) == 2  # the map and its colour bar
    plt.close(ax.figure)


def test_plot_lessard_has_two_labelled_panels():
    f = objectives.LessardCounterexample()
    hb = optimizers.run(optimizers.Momentum(*rates.heavy_ball_constants(25.0, 1.0)), f, [3.3], 60)
    nag = optimizers.run(optimizers.Momentum(*rates.nesterov_constants(25.0, 1.0), nesterov=True), f, [3.3], 60)
    fig = momentum_plots.plot_lessard(f, hb, nag, steps=30)
    left, right = fig.axes
    assert left.get_ylabel() == "$h(x)$" and right.get_yscale() == "log"
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["heavy ball (tuned)", "Nesterov"]
    assert len(right.get_lines()[0].get_xdata()) == 31
    plt.close(fig)


def test_regime_map_greys_out_the_divergent_region():
    ax = momentum_plots.plot_regime_map(resolution=60)
    shown = ax.collections[0].get_array()
    t = np.linspace(4.2 / 60, 4.2, 60)
    beta = np.linspace(0.0, 0.995, 60)
    radius = rates.momentum_spectral_radius(1.0, beta[:, None], t[None, :])
    mask = np.ma.getmaskarray(shown).reshape(radius.shape)
    assert np.array_equal(mask, radius >= 1.0) and mask.any() and not mask.all()
    assert np.allclose(shown.compressed(), radius[radius < 1.0])
    plt.close(ax.figure)
