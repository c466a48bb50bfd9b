"""Chapter 11's figures (batch normalization): each function draws numbers computed by
:mod:`course_lib.bn_experiments` and returns the Figure (grids) or the Axes (single panels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plotting import STYLES, plot_rate_sweep

__all__ = ["plot_effective_rate", "plot_batch_statistics", "plot_deep_sweep", "plot_smoothness"]


def _band(ax, x, runs, i, label):
    """Mean over the rows of ``runs`` (seeds) with a min-max band; style i of :data:`STYLES`."""
    marker, linestyle = STYLES[i % len(STYLES)]
    runs = np.atleast_2d(runs)
    every = max(1, len(x) // 8)
    (line,) = ax.plot(x, runs.mean(axis=0), linestyle=linestyle, marker=marker, markevery=every, label=label)
    ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.15)
    return line


def plot_effective_rate(norm2, learning_rate):
    """Left: ‖W₁‖² against the step (seeds as rows of ``norm2``); right: the effective rate α/‖W₁‖²
    per column on average (α n/‖W₁‖² for n columns of equal norm). Returns the Figure."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    steps = np.arange(norm2.shape[1])
    _band(left, steps, norm2, 0, "measured ‖W₁‖²")
    left.set_xlabel("SGD step")
    left.set_ylabel("‖W₁‖² (weights into the BN layer)")
    left.set_title(f"The weights grow under SGD (α = {learning_rate:g})")
    left.legend(fontsize=8)
    _band(right, steps, learning_rate / norm2, 1, "α / ‖W₁‖²")
    right.set_yscale("log")
    right.set_xlabel("SGD step")
    right.set_ylabel("effective learning rate")
    right.set_title("... so the effective rate decays")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_batch_statistics(batch_sizes, mean_sd, std_sd, theory, steps, gaps):
    """Left: the spread of the batch mean and standard deviation against B (log-log) with the theory
    curve; right: ``gaps[label]`` (seeds × evaluations) of test accuracy lost in inference mode against
    the step. Returns the Figure."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    b = np.asarray(batch_sizes)
    left.loglog(b, mean_sd, "o-", label="sd of batch mean / σ")
    left.loglog(b, std_sd, "s--", label="sd of batch std / σ")
    left.loglog(b, theory, ":", color="0.3", label=r"$\sqrt{(N-B)/(B(N-1))}$")
    left.set_xticks(b, [str(v) for v in b])
    left.xaxis.set_minor_formatter("")
    left.set_xlabel("batch size B")
    left.set_ylabel("spread over batches (relative)")
    left.set_title("Noise of the batch statistics")
    left.legend(fontsize=8)
    for i, (label, runs) in enumerate(gaps.items()):
        _band(right, steps, runs, i, label)
    right.axhline(0.0, color="0.5", lw=0.8)
    right.set_xlabel("SGD step")
    right.set_ylabel("accuracy(batch stats) − accuracy(running)")
    right.set_title("Train/inference gap while averages settle")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_deep_sweep(rates, finals, epochs, curves, losses=None):
    """Left: ``finals[label]`` (seeds × rates, NaN = diverged) against the rate; then ``curves[label]``
    (seeds × recorded epochs) at each arm's own best rate; with ``losses`` (label -> seeds × epochs
    1, 2, ..., the training loss of each epoch) a middle panel of those on a log axis. Integer epoch
    ticks. Returns the Figure."""
    panels = 2 if losses is None else 3
    fig, axes = plt.subplots(1, panels, figsize=(4.75 * panels, 3.6))
    left, right = axes[0], axes[-1]
    plot_rate_sweep(finals, rates, ylabel="validation accuracy (final)", ax=left, logy=False)
    left.set_title("Which rates train (mean, min-max over seeds)")
    if losses is not None:
        for i, (label, runs) in enumerate(losses.items()):
            runs = np.asarray(runs)
            _band(axes[1], np.arange(1, runs.shape[1] + 1), runs, i, label)
        axes[1].set_yscale("log")
        axes[1].set_ylabel("training loss (mean over the epoch)")
        axes[1].set_title("Training loss, each arm at its best rate")
        axes[1].legend(fontsize=8)
    for i, (label, runs) in enumerate(curves.items()):
        _band(right, np.asarray(epochs), runs, i, label)
    right.set_ylabel("validation accuracy")
    right.set_title("Each arm at its own best rate")
    right.legend(fontsize=8)
    for ax in axes[1:]:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def plot_smoothness(steps, ratios, ranges):
    """Left: ``ratios[label]`` (seeds × probes), the largest gradient change per unit step along the
    gradient (Santurkar et al.'s effective β-smoothness); right: ``ranges[label]``, the range of the loss
    J(θ − ηg) over the probed η; both against the training step, log y. Returns the Figure."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for ax, values in ((left, ratios), (right, ranges)):
        for i, (label, runs) in enumerate(values.items()):
            _band(ax, np.asarray(steps), runs, i, label)
        ax.set_yscale("log")
        ax.set_xlabel("SGD step")
        ax.legend(fontsize=8)
    left.set_ylabel("max over η of ‖∇J(θ−ηg) − ∇J(θ)‖ / ‖ηg‖")
    left.set_title("Gradient change along the gradient")
    right.set_ylabel("max − min over η of J(θ − ηg)")
    right.set_title("Loss variation along the gradient")
    fig.tight_layout()
    return fig
