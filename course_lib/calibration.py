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
* :func:`signed_gap` -- Σ_m (|B_m| / N)(conf(B_m) − acc(B_m)): > 0 means over-confident;
* :func:`brier_score` -- mean_n Σ_i (p_{n,i} − [i = y_n])², a proper score beside the NLL;
* :func:`scores` -- accuracy, NLL, Brier score, ECE and signed gap of logits, in one dict;
* :func:`ece_noise_floor` -- the ECE of labels drawn from the model's own probabilities (a
  perfectly calibrated model with the same confidences): what ECE shows from noise alone at size N.

The reliability diagram is drawn by ``course_lib.loss_plots.plot_reliability``.

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
    "signed_gap",
    "brier_score",
    "ece_noise_floor",
    "scores",
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


def signed_gap(probs, labels, n_bins=15):
    r"""Σ_m (|B_m| / N)(conf(B_m) − acc(B_m)) = mean_n c_n − accuracy: > 0 for over-confidence.

    Unlike the ECE the bin terms keep their sign, so over- and under-confident bins cancel; the
    binning drops out and the value is the mean confidence minus the accuracy. Returns a float.
    """
    r = reliability(probs, labels, n_bins)
    used = r.count > 0
    return float(np.sum(r.count[used] / r.count.sum() * (r.confidence[used] - r.accuracy[used])))


def brier_score(probs, labels):
    r"""Brier score (1/N) Σ_n Σ_i (p_{n,i} − [i = y_n])² (Brier 1950), in [0, 2]; 0 is perfect."""
    probs, labels = _check_probs(probs, labels)
    target = np.zeros_like(probs)
    np.put_along_axis(target, labels[:, None], 1.0, axis=1)
    return float(np.mean(np.sum((probs - target) ** 2, axis=1)))


def ece_noise_floor(probs, n_bins=15, draws=200, seed=0):
    r"""ECEs of ``draws`` label sets y_n ~ Categorical(p_n) drawn from the model's own ``probs``.

    Such labels make the model calibrated by construction, so these ECEs are what the estimator
    shows from sampling noise alone at this N and these confidences. Returns an array (draws,).
    """
    probs = np.asarray(probs, dtype=np.float64)
    probs, _ = _check_probs(probs, np.zeros(len(probs), dtype=np.int64))
    draws = check_scalar("draws", draws, low=1, integer=True)
    rng = np.random.default_rng(check_scalar("seed", seed, low=0, integer=True))
    cumulative = np.cumsum(probs, axis=1)
    values = np.empty(draws)
    for k in range(draws):
        u = rng.uniform(size=(len(probs), 1))
        labels = np.minimum((u > cumulative).sum(axis=1), probs.shape[1] - 1)
        values[k] = expected_calibration_error(probs, labels, n_bins)
    return values


def scores(logits, labels, n_bins=15):
    r"""{"accuracy", "NLL", "Brier", "ECE", "signed gap"} of p = softmax(``logits``) on ``labels``.

    NLL is :func:`course_lib.losses.cross_entropy` of the logits (exact even where p underflows),
    the others are computed from p. Returns a dict of floats.
    """
    logits = losses._finite("logits", logits, min_ndim=2)
    labels = losses._labels(labels, logits)
    p = losses.softmax(logits)
    return {
        "accuracy": float(np.mean(p.argmax(axis=1) == labels)),
        "NLL": losses.cross_entropy(logits, labels),
        "Brier": brier_score(p, labels),
        "ECE": expected_calibration_error(p, labels, n_bins),
        "signed gap": signed_gap(p, labels, n_bins),
    }
