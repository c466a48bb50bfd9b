r"""Figures of chapter 10 (initialization). Each function returns the Figure (or the Axes with ``ax=``).

* :func:`plot_weight_histograms` -- histograms of initial weights (ours beside Keras's).
* :func:`plot_propagation` -- forward q_l and backward r_l per layer, measured (markers, geometric
  mean over seeds with the range shaded) under the mean-field theory (lines).
* :func:`plot_seed_curves` -- a quantity against epochs for several arms, mean over seeds and range.
* :func:`plot_depth_steps` -- steps to a loss threshold against depth, one curve per initializer, with
  the runs that never reached it drawn at the cap.
"""

from __future__ import annotations

import numpy as np

from course_lib.plotting import STYLES, new_axes

__all__ = ["plot_weight_histograms", "plot_propagation", "plot_seed_curves", "plot_depth_steps"]


def _check_dict(values, name):
    if not isinstance(values, dict) or not values:
        raise ValueError(f"{name} must be a non-empty dict label -> values, got {type(values).__name__}")
    return values


def plot_weight_histograms(samples, bins=60, title="Initial weights", ax=None):
    """Density histograms (step outlines) of the arrays in ``samples`` (dict label -> array)."""
    samples = _check_dict(samples, "samples")
    ax = new_axes(ax)
    edges = np.histogram_bin_edges(np.concatenate([np.ravel(v) for v in samples.values()]), bins=bins)
    for (_, style), (label, values) in zip(STYLES, samples.items()):
        ax.hist(np.ravel(values), bins=edges, density=True, histtype="step", linestyle=style, lw=1.5, label=label)
    ax.set(xlabel="weight value", ylabel="density", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_propagation(results, title="Signal propagation at initialization"):
    """Two panels against the layer l: q_l = E[a_l²] (forward) and r_l = E[δ_l²] (backward), log scale.

    ``results``: dict label -> :class:`course_lib.init_experiments.Propagation`. Markers: the geometric
    mean over seeds, the range shaded; lines: the mean-field theory.
    """
    import matplotlib.pyplot as plt

    results = _check_dict(results, "results")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    for k, (label, res) in enumerate(results.items()):
        marker, style = STYLES[k % len(STYLES)]
        color = f"C{k}"
        for ax, measured, theory in ((axes[0], res.q, res.theory.q), (axes[1], res.r, res.theory.r)):
            layers = np.arange(1, measured.shape[1] + 1)
            geo = np.exp(np.log(measured).mean(axis=0))
            ax.fill_between(layers, measured.min(axis=0), measured.max(axis=0), color=color, alpha=0.15, lw=0)
            ax.plot(layers, geo, marker, color=color, ms=4, linestyle="none", label=f"{label} (measured)")
            ax.plot(layers, theory, color=color, linestyle=style, lw=1.2, label=f"{label} (theory)")
    axes[0].set(xlabel="layer l", ylabel="second moment", yscale="log", title=r"forward: $q_l = E[a_l^2]$")
    axes[1].set(xlabel="layer l", yscale="log", title=r"backward: $r_l = E[\delta_l^2]$")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, ncol=4, loc="lower center")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def plot_seed_curves(epochs, curves, ylabel, title="", ax=None, logy=False):
    """``curves``: dict label -> (seeds, T) array; each drawn as its mean over seeds (range shaded)."""
    curves = _check_dict(curves, "curves")
    ax = new_axes(ax)
    epochs = np.asarray(epochs)
    for (marker, style), (label, values) in zip(STYLES, curves.items()):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != epochs.size:
            raise ValueError(f"curves[{label!r}] must have shape (seeds, {epochs.size}), got {values.shape}")
        (line,) = ax.plot(epochs, values.mean(axis=0), marker=marker, linestyle=style, ms=4, label=label)
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.2, lw=0)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_depth_steps(depths, steps, max_steps, title="Steps to the loss threshold", ax=None):
    """Mean steps over seeds against depth (log-log), one curve per label of ``steps`` (dict label ->
    (D, S) array, ``inf`` for a run that did not reach the threshold within ``max_steps``): a depth at
    which a run did not reach it is drawn as an open marker at ``max_steps`` (a lower bound)."""
    steps = _check_dict(steps, "steps")
    ax = new_axes(ax)
    depths = np.asarray(depths, dtype=np.float64)
    for (marker, style), (label, values) in zip(STYLES, steps.items()):
        values = np.asarray(values, dtype=np.float64)
        reached = np.all(np.isfinite(values), axis=1)
        mean = np.where(reached, np.where(np.isfinite(values), values, 0).mean(axis=1), max_steps)
        (line,) = ax.plot(depths[reached], mean[reached], marker=marker, linestyle=style, label=label)
        if (~reached).any():
            ax.plot(
                depths[~reached],
                mean[~reached],
                marker=marker,
                mfc="white",
                color=line.get_color(),
                linestyle="none",
                label=f"{label}: not within {max_steps} steps",
            )
    ax.axhline(max_steps, color="0.6", linestyle=":", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="depth N (weight matrices)", ylabel="steps (best rate)", title=title)
    from matplotlib.ticker import NullLocator

    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(depths, [f"{d:g}" for d in depths])
    ax.legend(fontsize=8)
    return ax
