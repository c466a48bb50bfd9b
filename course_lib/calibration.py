r"""Calibration of a classifier's probabilities: reliability, ECE, temperature scaling (chapter 02).

A classifier is *calibrated* when, among the inputs it gives confidence c = max_i p_i, a fraction c
is classified correctly. Sort the N predictions into M equal-width bins B_1, ..., B_M of confidence
((m−1)/M, m/M] and compare, in each bin, the accuracy with the mean confidence:

* :func:`reliability` -- per bin: mean confidence conf(B_m), accuracy acc(B_m), count |B_m|
  (the reliability diagram plots acc against conf; a calibrated model lies on the diagonal);
* :func:`expected_calibration_error` -- ECE = Σ_m (|B_m| / N) |acc(B_m) − conf(B_m)|
  (Naeini et al. 2015; Guo et al. 2017 use M = 15 bins, the default here);
* :func:`fit_temperature` -- temperature scaling (Guo et al. 2017): the T > 0 that minimizes the
  cross-entropy of softmax(z / T) on held-out data. T > 1 softens over-confident predictions;
  the argmax, hence the accuracy, does not change;
* :func:`plot_reliability` -- the reliability diagram, with the gap to the diagonal shaded.

Inputs: ``probs`` of shape (N, C) (rows sum to 1) or ``logits`` (N, C), and integer ``labels``
(N,) in 0..C−1; bad inputs raise ``ValueError`` naming the argument (via :mod:`course_lib.losses`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import losses
from course_lib.validation import check_scalar

__all__ = [
    "Reliability",
    "reliability",
    "expected_calibration_error",
    "temperature_nll",
    "fit_temperature",
    "plot_reliability",
]


class Reliability(NamedTuple):
    """Per-bin statistics of :func:`reliability` (arrays of length M; NaN in empty bins).

    ``edges``: the M + 1 bin edges 0, 1/M, ..., 1; ``confidence``: mean max-probability in the bin;
    ``accuracy``: fraction of the bin's predictions that are correct; ``count``: examples in the bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray


def _check_probs(probs, labels):
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
        raise ValueError(f"probs must have shape (N, C) with N >= 1 and C >= 2, got shape {probs.shape}")
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise ValueError("probs must be finite and non-negative")
    if np.max(np.abs(probs.sum(axis=1) - 1.0)) > 1e-6:
        raise ValueError("probs must have rows that sum to 1 (pass softmax outputs, not logits)")
    labels = losses._labels(labels, probs)
    return probs, labels


def reliability(probs, labels, n_bins=15):
    r"""Bin the predictions by confidence c_n = max_i p_{n,i} into M = ``n_bins`` bins ((m−1)/M, m/M].

    Returns a :class:`Reliability` with, per bin, the mean confidence, the accuracy (prediction
    argmax_i p_{n,i} equal to the label) and the count.
    """
    probs, labels = _check_probs(probs, labels)
    n_bins = check_scalar("n_bins", n_bins, low=1, integer=True)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    index = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / count
    return Reliability(np.linspace(0.0, 1.0, n_bins + 1), mean_conf, accuracy, count)


def expected_calibration_error(probs, labels, n_bins=15):
    r"""ECE = Σ_m (|B_m| / N) |acc(B_m) − conf(B_m)| over the non-empty bins of :func:`reliability`.

    0 for a perfectly calibrated classifier, at most 1. Returns a float.
    """
    r = reliability(probs, labels, n_bins)
    used = r.count > 0
    weights = r.count[used] / r.count.sum()
    return float(np.sum(weights * np.abs(r.accuracy[used] - r.confidence[used])))


def temperature_nll(logits, labels, temperature):
    r"""The cross-entropy −(1/N) Σ_n log softmax(z_n / T)_{y_n} of the scaled logits (a float)."""
    temperature = check_scalar("temperature", temperature, low=0.0, low_open=True)
    return losses.cross_entropy(np.asarray(logits, dtype=np.float64) / temperature, labels)


def fit_temperature(logits, labels, low=1e-2, high=1e2):
    r"""The temperature T ∈ [``low``, ``high``] minimizing :func:`temperature_nll` (Guo et al. 2017).

    With β = 1/T the loss N(β) = (1/N) Σ_n [log Σ_j e^{β z_{n,j}} − β z_{n,y_n}] is convex, with
    derivative N'(β) = (1/N) Σ_n (E_{p_n(β)}[z_n] − z_{n,y_n}) increasing in β; the minimizer is the
    root of N', found by bisection in log β to full float64 precision (the same answer on any
    machine). If N' does not change sign on the interval the nearer end is returned.
    """
    logits = losses._finite("logits", logits, min_ndim=2)
    labels = losses._labels(labels, logits)
    low = check_scalar("low", low, low=0.0, low_open=True)
    high = check_scalar("high", high, low=low, low_open=True)
    picked = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]

    def slope(beta):  # N'(β)
        p = losses.softmax(beta * logits)
        return float(np.mean(np.sum(p * logits, axis=-1) - picked))

    a, b = np.log(1.0 / high), np.log(1.0 / low)  # log β interval
    if slope(np.exp(a)) >= 0:
        return high
    if slope(np.exp(b)) <= 0:
        return low
    for _ in range(200):
        mid = 0.5 * (a + b)
        if mid in (a, b):
            break
        if slope(np.exp(mid)) > 0:
            b = mid
        else:
            a = mid
    return float(1.0 / np.exp(0.5 * (a + b)))


def plot_reliability(probs, labels, n_bins=15, ax=None, title="Reliability diagram"):
    r"""Reliability diagram: accuracy per confidence bin as bars, the diagonal, the gap shaded.

    Bars are drawn for non-empty bins at the bin positions; the hatched red outline spans the gap
    between each bin's accuracy and its mean confidence (above the bar: over-confident; inside it:
    under-confident); the legend's title gives the ECE. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    r = reliability(probs, labels, n_bins)
    ece = expected_calibration_error(probs, labels, n_bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.0))
    used = r.count > 0
    left, width = r.edges[:-1][used], np.diff(r.edges)[used]
    acc, conf = r.accuracy[used], r.confidence[used]
    ax.bar(left, acc, width=width, align="edge", color="C0", edgecolor="k", linewidth=0.6, label="accuracy")
    low, gap = np.minimum(acc, conf), np.abs(conf - acc)  # the gap, drawn as a hatched outline
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
    ax.plot([0, 1], [0, 1], color="k", linestyle="--", linewidth=1.0, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (largest softmax probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left", title=f"ECE = {ece:.3f}", fontsize=8, title_fontsize=9)
    return ax
