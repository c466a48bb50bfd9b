r"""Figures of chapter 09 (adaptive methods).

* :func:`plot_bias_correction` -- Adam's raw and corrected moments of a constant gradient, and how much
  larger the uncorrected step is;
* :func:`plot_rotation` -- steps to a 10⁶ reduction on an axis-aligned and a rotated quadratic;
* :func:`plot_online` -- Adam and AMSGrad on Reddi et al.'s online problem: the plays x_t and the
  average regret;
* :func:`plot_newton_schulz` -- what Muon's Newton-Schulz iteration does to a singular value.

The comparison of optimizers on digits is drawn with :func:`course_lib.plotting.plot_curves` and
:func:`course_lib.plotting.plot_paired`. Helpers return the Axes (single panel) or the Figure.
"""

from __future__ import annotations

import numpy as np

from course_lib.plotting import STYLES, new_axes

__all__ = ["plot_bias_correction", "plot_rotation", "plot_online", "plot_newton_schulz"]


def plot_bias_correction(moments, gradient=1.0, beta1=0.9, beta2=0.999):
    """Two panels for a constant gradient g: m_t, √v_t (raw, dashed) and m̂_t, √v̂_t (solid) against t
    with the truth g (dotted); and the ratio of the uncorrected step m/√v to the corrected one.

    ``moments``: :func:`course_lib.adaptive_experiments.moment_estimates` of T copies of ``gradient``
    (1-D). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    t = np.arange(1, len(moments.m) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(t, moments.m, "C0--", label=r"raw $m_t$")
    left.plot(t, np.sqrt(moments.v), "C1-.", label=r"raw $\sqrt{v_t}$")
    marks = np.unique(np.geomspace(1, len(t), 10).astype(int)) - 1  # evenly spaced on the log axis
    left.plot(t, moments.m_hat, "C0-", marker="o", markevery=list(marks), lw=2.5, label=r"corrected $\hat m_t$")
    left.plot(
        t, np.sqrt(moments.v_hat), "C1-", marker="s", markevery=list(marks[1::2]), label=r"corrected $\sqrt{\hat v_t}$"
    )
    left.axhline(abs(gradient), color="k", linestyle=":", label=f"truth |g| = {abs(gradient):g}")
    left.set_xscale("log")
    left.set_xlabel("step t")
    left.set_ylabel("estimate")
    left.set_title(rf"Constant gradient, $\beta_1$ = {beta1}, $\beta_2$ = {beta2}")
    left.legend(fontsize=8)
    right.plot(t, moments.ratio, "C3-", label=r"$(1-\beta_1^t)\,/\sqrt{1-\beta_2^t}$")
    right.axhline(1.0, color="k", linestyle=":", label="corrected step (= 1)")
    right.set_xscale("log")
    right.set_xlabel("step t")
    right.set_ylabel(r"uncorrected step $\div$ corrected step")
    right.set_title("Without correction the early steps are too large")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_rotation(result, reduction=1e-4, ax=None):
    """Steps to the reduction per method (x) on the aligned and the rotated problem (two markers per
    method, one per seed, joined by a line), on a log axis; ``inf`` is drawn at the top edge as ×.

    ``result``: :func:`course_lib.adaptive_experiments.rotation_experiment` run with ``reduction``.
    Returns the Axes.
    """
    ax = new_axes(ax)
    methods = list(result.steps)
    finite = np.concatenate([v[v < np.inf] for m in methods for v in result.steps[m].values()])
    ceiling = 2.0 * finite.max() if finite.size else 1.0  # where "not reached" is drawn
    labelled_miss = False
    for i, problem in enumerate(result.problems):
        marker, _ = STYLES[i]
        for j, method in enumerate(methods):
            values = result.steps[method][problem]
            shown = np.where(np.isfinite(values), values, ceiling)
            offsets = j + (i - 0.5) * 0.3 + np.linspace(-0.06, 0.06, values.size)
            ax.scatter(offsets, shown, marker=marker, color=f"C{i}", label=problem if j == 0 else None, zorder=3)
            missed = ~np.isfinite(values)
            if missed.any():
                label = None if labelled_miss else "not reached (drawn at the top)"
                ax.scatter(offsets[missed], shown[missed], marker="x", color="k", s=60, zorder=4, label=label)
                labelled_miss = True
    ax.set_yscale("log")
    ax.set_xticks(range(len(methods)), methods)
    exponent = f"{np.log10(reduction):.0f}"
    ax.set_ylabel(rf"steps until $h - h^*$ stays $\leq 10^{{{exponent}}}\,(h_0 - h^*)$")
    ax.set_title("Best rate of each method on the same quadratic, axis-aligned or rotated")
    ax.legend()
    return ax


def plot_online(runs, problem, axes=None):
    """Two panels: the plays x_t against the round t, with the optimum x* dotted; and the regret per round
    of each period, (R_{t} − R_{t−P})/P at the period ends t = P, 2P, ... (log-log).
    ``runs``: {label: :class:`course_lib.online.OnlineRun`}. Returns the Figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    left, right = axes
    for i, (label, run) in enumerate(runs.items()):
        marker, style = STYLES[i % len(STYLES)]
        t = np.arange(len(run.x))
        every = max(1, len(t) // 10)
        left.plot(t, run.x, linestyle=style, marker=marker, markevery=every, color=f"C{i}", label=label, lw=0.8)
        total = run.average_regret * np.arange(1, len(run.average_regret) + 1)  # R_t
        ends = np.arange(problem.period, len(total) + 1, problem.period)  # the end of each period
        per_round = np.diff(np.concatenate([[0.0], total[ends - 1]])) / problem.period
        right.plot(
            ends,
            per_round,
            linestyle=style,
            marker=marker,
            markevery=max(1, len(ends) // 10),
            color=f"C{i}",
            label=label,
        )
    left.axhline(problem.minimizer, color="k", linestyle=":", label=f"best fixed point x* = {problem.minimizer:g}")
    left.set_xlabel("round t")
    left.set_ylabel(r"play $x_t$")
    left.set_title(f"f_t(x) = {problem.big:g}x once every {problem.period} rounds, else −{problem.small:g}x")
    left.legend(fontsize=8)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("round t")
    right.set_ylabel("regret per round, over each period")
    right.set_title("Adam's regret per round stays positive")
    right.legend(fontsize=8)
    left.figure.tight_layout()
    return left.figure


def plot_newton_schulz(sigma, curves, ax=None):
    """φ(σ) for each ``curves[label]`` (an array over ``sigma``, e.g. from
    :func:`course_lib.adaptive_experiments.ns_singular_values`), with the exact target 1 (the polar
    factor maps every singular value to 1). Log x axis. Returns the Axes."""
    ax = new_axes(ax)
    for i, (label, values) in enumerate(curves.items()):
        marker, style = STYLES[i % len(STYLES)]
        ax.plot(sigma, values, linestyle=style, marker=marker, markevery=max(1, len(sigma) // 10), label=label)
    ax.axhline(1.0, color="k", linestyle=":", label="polar factor: 1")
    ax.set_xscale("log")
    ax.set_xlabel(r"singular value $\sigma$ of $G/\|G\|_F$")
    ax.set_ylabel(r"after the iteration, $\varphi(\sigma)$")
    ax.set_title("Newton-Schulz maps every singular value near 1, not onto it")
    ax.legend(fontsize=8)
    return ax
