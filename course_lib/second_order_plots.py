"""Figures of chapter 07 (second-order methods): error curves, paths on contours, spectra, K-FAC blocks.

Single-panel helpers take ``ax=None`` and return the Axes; grid helpers return the Figure. Every series
gets its own marker and line style (:data:`course_lib.plotting.STYLES`) as well as a colour.
"""

from __future__ import annotations

import numpy as np

from course_lib.config import FIGSIZE
from course_lib.plotting import STYLES, new_axes

__all__ = ["plot_errors", "plot_paths", "plot_spectra", "plot_step_fields", "plot_blocks", "plot_comparison"]


def plot_errors(series, xlabel="iteration k", ylabel="error", title="", ax=None, x=None):
    """Semilog-y curves: ``series`` {label: values}; ``x`` {label: x values} (default 0, 1, …)."""
    ax = new_axes(ax)
    for (label, values), (marker, style) in zip(series.items(), STYLES * 3):
        values = np.asarray(values, dtype=float)
        xs = np.arange(values.size) if x is None or label not in x else np.asarray(x[label])
        keep = values > 0
        ax.semilogy(xs[keep], values[keep], marker=marker, linestyle=style, markersize=4, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    return ax


def plot_paths(
    objective, paths, xlim, ylim, title="", ax=None, levels=30, log_levels=False, names=("θ", "θ"), equal=False
):
    """Contours of a 2-D objective and iterate paths ``paths`` {label: array (T, 2)} (start: a star).

    ``log_levels``: contours of log10(h − min h + 10⁻³) (readable for steep functions); ``names`` the
    coordinates' symbols (axis labels name₁, name₂); ``equal``: equal aspect ratio.
    """
    ax = new_axes(ax)
    u, v = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    values = objective.value(np.stack([u, v], axis=-1))
    if log_levels:
        values = np.log10(values - values.min() + 1e-3)
    ax.contour(u, v, values, levels=levels, cmap="Greys", linewidths=0.6, alpha=0.8)
    for (label, path), (marker, style) in zip(paths.items(), STYLES * 3):
        path = np.asarray(path, dtype=float)
        path = path[np.all(np.isfinite(path), axis=1)]
        ax.plot(path[:, 0], path[:, 1], marker=marker, linestyle=style, markersize=4, label=label)
    first = np.asarray(next(iter(paths.values())), dtype=float)[0]
    ax.plot(*first, marker="*", color="k", markersize=12, linestyle="none", label="start")
    ax.set(xlim=xlim, ylim=ylim, xlabel=f"{names[0]}₁", ylabel=f"{names[1]}₂", title=title)
    if equal:
        ax.set_aspect("equal")
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_spectra(spectra, title="", ax=None, linthresh=1e-6):
    """Sorted eigenvalues of several symmetric matrices, ``spectra`` {label: eigenvalues}, symlog y."""
    ax = new_axes(ax)
    for (label, eigenvalues), (marker, style) in zip(spectra.items(), STYLES * 3):
        e = np.sort(np.asarray(eigenvalues, dtype=float))[::-1]
        ax.plot(
            np.arange(1, e.size + 1),
            e,
            linestyle=style,
            marker=marker,
            markevery=max(e.size // 12, 1),
            markersize=4,
            label=label,
        )
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.axhline(0.0, color="k", linewidth=0.6)
    ax.set(xlabel="index i (eigenvalues sorted, largest first)", ylabel=r"eigenvalue $\lambda_i$ (symlog)", title=title)
    ax.legend(fontsize="small")
    return ax


def plot_step_fields(objective, points, steps, minimizer, xlim, ylim, titles):
    """One panel per step field: contours, arrows from ``points`` (N, 2) along each ``steps[i]`` (N, 2)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(steps), figsize=(FIGSIZE[0], FIGSIZE[0] / len(steps) + 0.4))
    u, v = np.meshgrid(np.linspace(*xlim, 150), np.linspace(*ylim, 150))
    values = objective.value(np.stack([u, v], axis=-1))
    for ax, d, title in zip(np.atleast_1d(axes), steps, titles):
        ax.contour(u, v, values, levels=15, cmap="Greys", linewidths=0.6)
        ax.quiver(
            points[:, 0],
            points[:, 1],
            d[:, 0],
            d[:, 1],
            angles="xy",
            scale_units="xy",
            scale=1,
            width=0.006,
            color="C0",
        )
        ax.plot(
            *minimizer, marker="*", color="C3", markersize=12, linestyle="none", zorder=5, label=r"minimizer $\theta^*$"
        )
        ax.set(xlim=xlim, ylim=ylim, xlabel=r"$\theta_1$", ylabel=r"$\theta_2$", title=title)
        ax.set_aspect("equal")
        ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def plot_blocks(blocks, title="", vmax=None):
    """Heat maps of matrices side by side, ``blocks`` {label: (p, p) array}, one shared symmetric colour scale
    (±``vmax``, default the largest magnitude; entries beyond it saturate)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(blocks), figsize=(FIGSIZE[0], FIGSIZE[0] / len(blocks) + 0.6), layout="constrained")
    scale = max(np.abs(np.asarray(b)).max() for b in blocks.values()) if vmax is None else vmax
    for ax, (label, block) in zip(np.atleast_1d(axes), blocks.items()):
        image = ax.imshow(block, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set(title=label, xlabel="parameter j", ylabel="parameter i")
        ax.grid(False)
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_comparison(comparison, best, backprops=None):
    """Training loss of each method at its rate index ``best[i]``: mean over seeds (band: min to max over
    seeds) against steps and against back-propagations (``backprops[i]`` per step, default 1; K-FAC's
    sampled-label pass makes it 2). A dotted line marks the end of the cheapest run. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(FIGSIZE[0], FIGSIZE[1]), sharey=True)
    per_step = np.ones(len(comparison.names)) if backprops is None else np.asarray(backprops, float)
    for i, ((name, r), (marker, style)) in enumerate(zip(zip(comparison.names, best), STYLES)):
        runs = comparison.loss[i, r]
        mean = runs.mean(axis=0)
        label = f"{name} (α = {comparison.rates[i, r]:g})"
        for ax, x in zip(axes, (comparison.steps, comparison.steps * per_step[i])):
            ax.semilogy(x, mean, marker=marker, linestyle=style, markersize=4, label=label)
            ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), alpha=0.2)
    axes[1].axvline(comparison.steps[-1] * per_step.min(), color="gray", linestyle=":", linewidth=1)
    axes[0].set(xlabel="step k", ylabel="training loss (all examples)", title="per iteration")
    axes[1].set(xlabel="back-propagations", title="per back-propagation")
    axes[0].legend(fontsize="small", title="mean; band: min to max over seeds", title_fontsize="small")
    fig.tight_layout()
    return fig
