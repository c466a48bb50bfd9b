"""Tests for course_lib.adaptive_plots: each figure draws what it is given, labelled."""

import functools

import numpy as np

from course_lib import adaptive_experiments as ae
from course_lib import adaptive_plots as ap
from course_lib import online
from course_lib import optimizers as opt


def test_plot_bias_correction_draws_raw_corrected_and_ratio():
    moments = ae.moment_estimates(np.ones(100))
    fig = ap.plot_bias_correction(moments)
    left, right = fig.axes
    np.testing.assert_allclose(right.lines[0].get_ydata(), moments.ratio)
    assert len(left.lines) == 5 and left.get_legend() is not None and right.get_xlabel() == "step t"


def test_plot_rotation_marks_runs_that_never_reached():
    methods = {"GD": opt.GradientDescent, "Adam": functools.partial(opt.Adam)}
    r = ae.rotation_experiment(methods, np.geomspace(0.01, 1, 3), [1e-4, 0.5], [0], steps=60, reduction=1e-3)
    ax = ap.plot_rotation(r, reduction=1e-3)
    assert "10^{-3}" in ax.get_ylabel() and [t.get_text() for t in ax.get_xticklabels()] == ["GD", "Adam"]
    labels = ax.get_legend_handles_labels()[1]
    assert "aligned" in labels and "rotated" in labels
    if not np.all(np.isfinite(r.steps["GD"]["aligned"])):
        assert any(label.startswith("not reached") for label in labels)


def test_plot_online_draws_plays_and_regret_per_period():
    p = online.PeriodicLinear(big=3.0, small=1.0, period=3)
    runs = {"Adam": online.run_online(opt.Adam(online.InverseSqrt(0.1), 0.0, 0.1), p, 30)}
    fig = ap.plot_online(runs, p)
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), runs["Adam"].x)
    total = runs["Adam"].average_regret * np.arange(1, 31)
    np.testing.assert_allclose(right.lines[0].get_ydata(), np.diff(np.concatenate([[0], total[2::3]])) / 3)


def test_plot_newton_schulz():
    sigma = np.geomspace(1e-3, 1, 20)
    ax = ap.plot_newton_schulz(sigma, {"quintic": ae.ns_singular_values(sigma)})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ae.ns_singular_values(sigma))
    assert ax.get_xscale() == "log" and ax.get_legend() is not None
