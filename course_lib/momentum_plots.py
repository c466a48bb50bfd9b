r"""Figures of chapter 06 (momentum): the regime map of the heavy ball and the cycle on Lessard's function.

* :func:`plot_regime_map` -- the spectral radius ρ of heavy ball's 2 × 2 iteration over the plane
  (t = αλ, β), with the boundaries of :func:`course_lib.rates.damping_boundaries` and, optionally, the
  segment [αμ, αL] × {β} of a tuned pair (Goh 2017's picture, drawn from the formulas);
* :func:`plot_lessard` -- heavy ball and Nesterov on :class:`course_lib.objectives.LessardCounterexample`:
  the function with the iterates on it, and |x_k| against k.

Every other figure of the chapter is a :func:`course_lib.plotting.plot_curves` or an
:mod:`course_lib.optim_plots` call. Helpers return the Axes (or Figure) they drew.
"""

from __future__ import annotations

import numpy as np

from course_lib import rates
from course_lib.plotting import new_axes

__all__ = ["plot_regime_map", "plot_lessard"]


def plot_regime_map(t_max=4.2, tuned=None, ax=None, resolution=400):
    """ρ(T) of heavy ball over t = αλ in (0, ``t_max``] and β in [0, 1), with the regime boundaries.

    Colour: ρ below 1 (ρ >= 1, divergence, in light grey); lines: t = (1 − √β)² (critical
    damping, dashed), t = (1 + √β)² (dash-dot) and t = 2(1 + β) (divergence, solid). ``tuned`` =
    (α, β, μ, L) draws the segment αλ for λ in [μ, L] at height β, with its end points marked.
    Returns the Axes.
    """
    t = np.linspace(t_max / resolution, t_max, resolution)
    beta = np.linspace(0.0, 0.995, resolution)
    radius = rates.momentum_spectral_radius(1.0, beta[:, None], t[None, :])
    ax = new_axes(ax)
    import matplotlib

    cmap = matplotlib.colormaps["viridis_r"].with_extremes(bad="0.8")  # ρ >= 1: light grey
    shown = np.ma.masked_where(radius >= 1.0, radius)
    image = ax.pcolormesh(t, beta, shown, cmap=cmap, shading="auto", vmin=0, vmax=1)
    scale = matplotlib.cm.ScalarMappable(norm=image.norm, cmap=cmap)  # a smooth colour bar
    ax.figure.colorbar(scale, ax=ax, label=r"spectral radius $\rho$ (grey: $\rho \geq 1$)")
    low, high, div = rates.damping_boundaries(beta)
    ax.plot(low, beta, "w--", lw=1.5, label=r"$t = (1-\sqrt{\beta})^2$: critical damping")
    ax.plot(high, beta, "w-.", lw=1.5, label=r"$t = (1+\sqrt{\beta})^2$")
    ax.plot(div, beta, "r-", lw=2, label=r"$t = 2(1+\beta)$: divergence beyond")
    if tuned is not None:
        alpha, b, mu, L = tuned
        ax.plot(
            [alpha * mu, alpha * L],
            [b, b],
            "k-",
            lw=3,
            marker="o",
            ms=7,
            mfc="white",
            label=r"tuned: $\alpha\lambda$, $\lambda\in[\mu, L]$",
        )
    ax.text(0.05, 0.08, "monotone\n(over-damped)", color="white", fontsize=9)
    ax.text(1.2, 0.55, "oscillating\n(under-damped)", color="white", fontsize=9)
    ax.annotate(
        "alternating",
        xy=(2.05, 0.15),
        xytext=(2.2, 0.35),
        color="white",
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "white"},
    )
    ax.text(3.2, 0.15, "divergent", color="black", fontsize=9)
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, 1)
    ax.set_xlabel(r"$t = \alpha\lambda$ (step size × curvature)")
    ax.set_ylabel(r"momentum $\beta$")
    ax.set_title("Heavy ball on one eigen-direction: rate per step")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85)
    return ax


def plot_lessard(objective, heavy_ball, nesterov, axes=None, last=9, steps=40):
    """Two panels: h with the last ``last`` heavy-ball iterates on it; |x_k| (log scale) for both runs
    over the first ``steps`` steps (an exact 0 is drawn off the axis).

    ``heavy_ball`` and ``nesterov`` are :class:`course_lib.optimizers.Trajectory` runs on ``objective``
    (a 1-D objective, e.g. :class:`course_lib.objectives.LessardCounterexample`). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    left, right = axes
    grid = np.linspace(-3.0, 3.6, 400)
    left.plot(grid, objective.value(grid[:, None]), color="0.4", lw=1.5, label="$h(x)$")
    for edge in (1.0, 2.0):
        left.axvline(edge, color="0.7", lw=0.8, ls=":")
    cycle = heavy_ball.thetas[-last:, 0]
    left.plot(
        cycle, objective.value(cycle[:, None]), "o", ms=9, mfc="none", mec="C3", mew=2, label="heavy ball, last steps"
    )
    left.plot(heavy_ball.thetas[0, 0], heavy_ball.values[0], "s", color="k", ms=7, label=r"start $x_0$")
    left.set_xlabel("$x$")
    left.set_ylabel("$h(x)$")
    left.set_title("Lessard et al.'s function (pieces split at 1 and 2)")
    left.legend(fontsize=8)
    for i, (run, name) in enumerate([(heavy_ball, "heavy ball (tuned)"), (nesterov, "Nesterov")]):
        values = np.maximum(np.abs(run.thetas[: steps + 1, 0]), 1e-300)
        right.semilogy(
            run.ks[: steps + 1],
            values,
            ls=["-", "--"][i],
            marker=["o", "s"][i],
            markevery=max(1, len(values) // 10),
            ms=4,
            label=name,
        )
    right.set_xlabel("iteration $k$")
    right.set_ylabel(r"$|x_k - x^*|$")
    right.set_title("Heavy ball cycles, Nesterov converges")
    right.set_ylim(1e-16, 20)
    right.legend(fontsize=8)
    return left.figure
