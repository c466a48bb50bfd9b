"""Figures of chapter 08 (stochastic gradient descent): each function draws on an Axes and returns it.

Every series gets its own marker and line style as well as its colour; no figure is shown or saved
here (the chapter does that).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plotting import new_axes

__all__ = ["plot_variance", "plot_noise_ball", "plot_batch_scaling"]


def _positive(name, values):
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.all(values > 0):
        raise ValueError(f"{name} must be a non-empty 1-D array of positive numbers, got {values!r}")
    return values


def plot_variance(batch_sizes, measured, exact, trace_sigma, m, ax=None):
    """Log-log E‖g_B − ∇h‖² against b: measured (markers), (tr Σ/b)(m − b)/(m − 1) (line), tr Σ/b (dashed)."""
    b = _positive("batch_sizes", batch_sizes)
    measured, exact = np.asarray(measured, dtype=float), np.asarray(exact, dtype=float)
    if measured.shape != b.shape or exact.shape != b.shape:
        raise ValueError("measured and exact must have one value per batch size")
    ax = new_axes(ax)
    ax.loglog(b, trace_sigma / b, "k--", lw=1, label=r"$\mathrm{tr}\,\Sigma/b$ (slope $-1$)")
    ax.loglog(b, exact, "-", color="C0", lw=1.5, label=r"$(\mathrm{tr}\,\Sigma/b)\,(m-b)/(m-1)$")
    ax.loglog(b, measured, "o", color="C1", mfc="none", ms=7, label="measured (Monte Carlo)")
    ax.axvline(m, color="0.5", lw=0.8, ls=":")
    ax.text(m, 0.93, f"m = {m} ", transform=ax.get_xaxis_transform(), va="top", ha="right", color="0.3", fontsize=9)
    ax.set(xlabel="batch size $b$", ylabel=r"$E\,\|g_B - \nabla h\|^2$", title="Mini-batch gradient variance")
    ax.legend(loc="lower left")
    return ax


def plot_noise_ball(rates, excess, slope_constant, limit=None, ax=None):
    """Log-log stationary E h(θ_k) − h* of constant-step SGD against α, with the small-α line c·α."""
    rates, excess = _positive("rates", rates), _positive("excess", excess)
    if excess.shape != rates.shape:
        raise ValueError("excess must have one value per rate")
    ax = new_axes(ax)
    ax.loglog(rates, slope_constant * rates, "k--", lw=1, label=r"$\alpha\,\mathrm{tr}\,\Sigma/4$")
    ax.loglog(rates, excess, "s-", color="C0", mfc="none", ms=7, label="measured (stationary)")
    if limit is not None:
        ax.axvline(limit, color="C3", ls=":", lw=1.2, label=f"divergence near α = {limit:.2f}")
    ax.set(
        xlabel=r"learning rate $\alpha$",
        ylabel=r"$E\,h(\theta_k) - h^*$ (late $k$)",
        title="Constant step: the noise ball grows with α",
    )
    ax.legend(loc="upper left")
    return ax


def plot_batch_scaling(batch_sizes, steps, best_rates, fit_steps=None, largest_stable=None):
    """Two panels against the batch size b (log-log): steps to the target (± over seeds) with the fit
    S_min(1 + B_crit/b), and each b's best learning rate with the line of the linear scaling rule.

    ``steps``: (S, len(b)) steps to the target per seed; ``best_rates`` (len(b),); ``fit_steps``
    optional fitted curve at ``batch_sizes``; ``largest_stable`` optional largest non-diverging rate.
    Returns the Figure.
    """
    b = _positive("batch_sizes", batch_sizes)
    steps = np.asarray(steps, dtype=float)
    if steps.ndim != 2 or steps.shape[1] != b.size:
        raise ValueError(f"steps must have shape (seeds, {b.size}), got {steps.shape}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.9))
    mean, std = steps.mean(axis=0), steps.std(axis=0, ddof=1)
    left.errorbar(b, mean, yerr=std, fmt="o", color="C0", mfc="none", ms=7, capsize=3, label="measured")
    left.loglog(b, mean[0] * b[0] / b, "k--", lw=1, label="perfect scaling ∝ 1/b")
    if fit_steps is not None:
        left.loglog(b, fit_steps, "-.", color="C1", lw=1.5, label=r"fit $S_{\min}(1 + B_{\mathrm{crit}}/b)$")
    left.set(
        xscale="log",
        yscale="log",
        xlabel="batch size $b$",
        ylabel="steps to the target",
        title="Steps to reach the target training loss",
    )
    left.legend(loc="upper right")
    right.loglog(b, best_rates, "s-", color="C2", mfc="none", ms=7, label="best rate on the grid")
    right.loglog(b, best_rates[0] * b / b[0], "k--", lw=1, label="linear scaling α ∝ b")
    if largest_stable is not None:
        right.loglog(
            b, largest_stable, "v:", color="C3", ms=7, label="largest stable rate (every seed ends below its start)"
        )
    right.set(xlabel="batch size $b$", ylabel=r"learning rate $\alpha$", title="The best learning rate")
    right.legend(loc="upper left")
    fig.tight_layout()
    return fig
