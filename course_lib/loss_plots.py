r"""Chapter 02's figures: logit gradients of each loss, Keras's clipping, the loss comparison, reliability.

* :func:`plot_logit_gradients` -- |∂J/∂z| of the cross-entropy and of the squared error behind a
  sigmoid (left) and a 10-class softmax (right), on a log axis;
* :func:`plot_keras_clipping` -- Keras's loss and true-logit gradient from logits and from
  probabilities against the margin of a wrong class;
* :func:`plot_loss_comparison` -- test accuracy against epochs, each loss at its own best rate,
  for a normal and a confidently wrong start (two panels);
* :func:`plot_reliability` -- the reliability diagram with the per-bin counts (moved here from
  ``calibration``: only figure modules import matplotlib).

Compared curves differ in line style and marker as well as colour (:data:`plotting.STYLES`).
"""

from __future__ import annotations

import numpy as np

from course_lib import calibration
from course_lib.plotting import STYLES, new_axes, plot_curves

__all__ = ["plot_logit_gradients", "plot_keras_clipping", "plot_loss_comparison", "plot_reliability"]


def _style(k):
    marker, linestyle = STYLES[k % len(STYLES)]
    return {"marker": marker, "linestyle": linestyle, "markevery": 0.1, "markersize": 4}


def plot_logit_gradients(z, sigmoid_grads, margins, softmax_grads):
    r"""Two panels of |∂J/∂z| (log axis): ``sigmoid_grads`` = {label: values over ``z``} for a
    sigmoid output with target 1, ``softmax_grads`` = {label: values over ``margins``} for a softmax
    output whose wrong class leads by the margin. The confidently wrong region is shaded. Returns
    the Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    panels = (
        (axes[0], z, sigmoid_grads, "logit z (target y = 1)", "|∂J/∂z|", "Sigmoid output", (-12, -4)),
        (
            axes[1],
            margins,
            softmax_grads,
            "margin s of a wrong class over the true class",
            "‖∂J/∂z‖",
            "Softmax output, 10 classes",
            (4, 12),
        ),
    )
    for ax, x, series, xlabel, ylabel, title, wrong in panels:
        for k, (label, values) in enumerate(series.items()):
            ax.semilogy(x, np.abs(values), label=label, **_style(k))
        ax.axvspan(*wrong, color="C3", alpha=0.08, label="confidently wrong")
        ax.set(xlabel=xlabel, ylabel=ylabel, ylim=(1e-9, 3), title=title)
        ax.legend(loc="lower left", fontsize=8)
    fig.suptitle("Gradient with respect to the logits: the log undoes the exponent")
    return fig


def plot_keras_clipping(margins, measured, cap, zero_from, one_hot=None):
    r"""Loss (left) and |∂J/∂z_y| (right) of Keras's sparse cross-entropy against the margin:
    ``measured`` as returned by ``loss_experiments.keras_clipping``; ``one_hot`` (optional) the same
    for ``CategoricalCrossentropy``, whose probability curves are added. ``cap`` = −log ε is drawn
    dotted, ``zero_from`` marks where the sparse gradient from probabilities becomes exactly 0. The
    gradient axis is symmetric-log (linear below 1e-12), so the e^{−s} trace and the exact zeros both
    show. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    curves = [("from_logits=True", measured, 0), ("sparse, from probabilities", measured, 2)]
    if one_hot is not None:
        curves.append(("one-hot, from probabilities", np.asarray(one_hot), 2))
    for k, (label, values, col) in enumerate(curves):
        ax1.plot(margins, values[:, col], label=label, **_style(k))
        ax2.plot(margins, values[:, col + 1], label=label, **_style(k))
    ax1.axhline(cap, color="0.4", linestyle=":", label=f"−log ε ≈ {cap:.3f}")
    ax2.axvline(zero_from, color="0.4", linestyle=":", label=f"sparse: exactly 0 from s = {zero_from:.2f}")
    ax1.set(
        xlabel="margin s of a wrong class over the true class",
        ylabel="loss of the example",
        title="Keras's cross-entropy",
    )
    ax2.set_yscale("symlog", linthresh=1e-12)
    ax2.set(
        xlabel="margin s of a wrong class over the true class",
        ylabel="|∂J/∂z_y| (0, then log from 1e-12)",
        ylim=(0, 3),
        title="Its gradient for the true logit",
    )
    ax1.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="lower left", fontsize=7)
    return fig


def plot_loss_comparison(panels, epochs):
    r"""One panel per entry of ``panels`` = {title: {label: (seeds, T) test accuracies}}: mean over
    seeds with the min-max band, against ``epochs`` (0 = the initial network): one array for every
    curve, or {title: {label: its epochs}} when the curves were recorded at different epochs.
    Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.8), sharey=True)
    for ax, (title, series) in zip(np.atleast_1d(axes), panels.items()):
        for k, (label, values) in enumerate(series.items()):
            x = epochs[title][label] if isinstance(epochs, dict) else epochs
            plot_curves({label: values}, x=x, ylabel="test accuracy", title=title, ax=ax, styles={label: _style(k)})
        ax.axhline(0.1, color="0.5", linestyle=":", label="chance")
        ax.set_ylim(0, 1)
        ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_reliability(probs, labels, n_bins=15, ax=None, title="Reliability diagram", few=10):
    r"""Reliability diagram: accuracy per confidence bin as bars, the diagonal, the gap hatched, and
    each bin's count |B_m| written above its bar.

    The hatched red outline spans the gap between a bin's accuracy and its mean confidence (above
    the bar: over-confident); the legend's title gives the ECE. Bins with fewer than ``few`` images
    are drawn pale (their accuracy is mostly noise). Returns the Axes.
    """
    r = calibration.reliability(probs, labels, n_bins)
    ece = calibration.expected_calibration_error(probs, labels, n_bins)
    ax = new_axes(ax)
    used = r.count > 0
    left, width = r.edges[:-1][used], np.diff(r.edges)[used]
    acc, conf = r.accuracy[used], r.confidence[used]
    pale = r.count[used] < few
    for k, (rows, shade) in enumerate(((~pale, 1.0), (pale, 0.3))):
        label = "accuracy" if k == 0 else f"accuracy, < {few} images"
        if rows.any():
            ax.bar(left[rows], acc[rows], width=width[rows], align="edge", color="C0", alpha=shade, label=label)
            ax.bar(left[rows], acc[rows], width=width[rows], align="edge", fill=False, edgecolor="k", linewidth=0.6)
    low, gap = np.minimum(acc, conf), np.abs(conf - acc)
    ax.bar(
        left,
        gap,
        bottom=low,
        width=width,
        align="edge",
        fill=False,
        edgecolor="C3",
        hatch="///",
        linewidth=0.8,
        label="gap",
    )
    for x, w, top, n in zip(left, width, np.maximum(acc, conf), r.count[used]):
        ax.text(x + w / 2, top + 0.01, str(int(n)), ha="center", va="bottom", fontsize=6)
    ax.plot([0, 1], [0, 1], color="k", linestyle="--", linewidth=1.0, label="calibrated")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.3),
        yticks=np.linspace(0, 1, 6),
        xlabel="confidence (largest softmax probability)",
        ylabel="accuracy",
        title=title,
    )
    ax.legend(loc="upper left", ncol=3, title=f"ECE = {ece:.3f}; numbers: images per bin", fontsize=7, title_fontsize=8)
    return ax
