"""Tests for course_lib.calibration: reliability bins and ECE against a plain loop, temperature
scaling recovering a known temperature, invariance of the accuracy, the plot, argument checks."""

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment first)
from course_lib import calibration as C
from course_lib import losses as L


def sample(n=20_000, c=5, temperature=2.0, seed=0):
    """Logits z and labels drawn from softmax(z / temperature): calibrated at that temperature."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=4.0, size=(n, c))
    p = L.softmax(z / temperature)
    labels = (rng.uniform(size=(n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    return z, np.minimum(labels, c - 1)


def ece_loop(probs, labels, n_bins):
    """ECE with an explicit loop over bins ((m-1)/M, m/M] (the first bin includes 0)."""
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    total = 0.0
    for m in range(n_bins):
        lo, hi = m / n_bins, (m + 1) / n_bins
        inside = (conf > lo) & (conf <= hi) if m else (conf <= hi)
        if inside.any():
            gap = abs(np.mean(pred[inside] == labels[inside]) - np.mean(conf[inside]))
            total += inside.mean() * gap
    return total


def test_ece_matches_a_plain_loop_and_a_hand_computed_case():
    z, y = sample(n=3000)
    p = L.softmax(z)
    for n_bins in (1, 10, 15):
        assert C.expected_calibration_error(p, y, n_bins) == pytest.approx(ece_loop(p, y, n_bins), abs=1e-12)
    # two predictions at confidence 0.9 (one right) and one at 0.6 (right), 10 bins:
    # bin (0.8, 0.9]: acc 0.5, conf 0.9; bin (0.5, 0.6]: acc 1, conf 0.6
    probs = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4]])
    labels = np.array([0, 0, 0])
    expected = (2 / 3) * 0.4 + (1 / 3) * 0.4
    assert C.expected_calibration_error(probs, labels, 10) == pytest.approx(expected, abs=1e-12)
    r = C.reliability(probs, labels, 10)
    assert r.count.sum() == 3 and r.count[8] == 2 and r.count[5] == 1
    assert np.isnan(r.accuracy[0]) and r.edges[-1] == 1.0


def test_calibrated_samples_have_small_ece_and_overconfident_ones_large():
    z, y = sample(temperature=2.0)
    calibrated = C.expected_calibration_error(L.softmax(z / 2.0), y)
    overconfident = C.expected_calibration_error(L.softmax(z), y)
    assert calibrated < 0.02 < 0.1 < overconfident


def test_fit_temperature_recovers_the_temperature_and_keeps_the_accuracy():
    z, y = sample(temperature=2.0)
    t = C.fit_temperature(z, y)
    assert t == pytest.approx(2.0, rel=0.05)
    assert C.temperature_nll(z, y, t) <= min(C.temperature_nll(z, y, s) for s in (t * 0.99, t * 1.01, 1.0))
    assert np.array_equal(L.softmax(z / t).argmax(axis=1), z.argmax(axis=1))


def test_fit_temperature_is_the_stationary_point_of_the_loss():
    z, y = sample(n=2000, temperature=0.5, seed=1)
    t = C.fit_temperature(z, y)
    h = 1e-5
    slope = (C.temperature_nll(z, y, t + h) - C.temperature_nll(z, y, t - h)) / (2 * h)
    assert abs(slope) < 1e-7 and t < 1


def test_fit_temperature_returns_the_end_of_the_interval_when_the_minimum_is_outside():
    z = np.array([[5.0, 0.0], [0.0, 5.0]])
    assert C.fit_temperature(z, [0, 1], low=0.5, high=4.0) == 0.5  # all right: sharpen fully
    assert C.fit_temperature(z, [1, 0], low=0.5, high=4.0) == 4.0  # all wrong: soften fully


def test_plot_reliability_labels_its_axes_and_writes_the_counts():
    z, y = sample(n=500)
    from course_lib import loss_plots

    ax = loss_plots.plot_reliability(L.softmax(z), y, title="test")
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "test"
    assert "ECE" in ax.get_legend().get_title().get_text()
    counts = sorted(int(t.get_text()) for t in ax.texts)
    r = C.reliability(L.softmax(z), y)
    assert counts == sorted(int(n) for n in r.count[r.count > 0]) and sum(counts) == 500


def test_signed_gap_is_mean_confidence_minus_accuracy():
    z, y = sample(n=3000, temperature=2.0, seed=4)
    p = L.softmax(z)  # sharper than the labels: over-confident
    expected = p.max(axis=1).mean() - np.mean(p.argmax(axis=1) == y)
    assert C.signed_gap(p, y) == pytest.approx(expected, abs=1e-12) and expected > 0.05
    assert C.signed_gap(L.softmax(z / 4.0), y) < 0  # too soft: under-confident


def test_brier_score_against_a_loop():
    z, y = sample(n=200, seed=5)
    p = L.softmax(z)
    loop = np.mean([sum((p[n, i] - (i == y[n])) ** 2 for i in range(p.shape[1])) for n in range(len(y))])
    assert C.brier_score(p, y) == pytest.approx(loop, rel=1e-12)


def test_scores_collects_the_metrics():
    z, y = sample(n=400, seed=6)
    s = C.scores(z, y)
    p = L.softmax(z)
    assert s["NLL"] == L.cross_entropy(z, y) and s["ECE"] == C.expected_calibration_error(p, y)
    assert s["Brier"] == C.brier_score(p, y) and s["accuracy"] == np.mean(p.argmax(1) == y)


def test_ece_noise_floor_matches_calibrated_labels_and_shrinks_with_n():
    z, _ = sample(n=4000, seed=7)
    p = L.softmax(z / 2.0)
    small = C.ece_noise_floor(p[:400], draws=100, seed=1)
    large = C.ece_noise_floor(p, draws=100, seed=1)
    assert small.shape == (100,) and np.all(small > 0)
    assert large.mean() < 0.6 * small.mean()  # sampling noise ~ 1/sqrt(N)
    # the same labels a direct draw would give: ECE of labels sampled from p
    rng = np.random.default_rng(1)
    u = rng.uniform(size=(400, 1))
    labels = np.minimum((u > np.cumsum(p[:400], axis=1)).sum(axis=1), 4)
    assert small[0] == pytest.approx(C.expected_calibration_error(p[:400], labels), abs=1e-15)


def test_bad_inputs_raise_naming_the_argument():
    p = np.array([[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="probs must have rows that sum to 1"):
        C.expected_calibration_error(np.array([[2.0, 0.0]]), [0])
    with pytest.raises(ValueError, match="probs must have shape"):
        C.reliability(np.array([0.5, 0.5]), [0])
    with pytest.raises(ValueError, match="labels"):
        C.reliability(p, [0, 2])
    with pytest.raises(ValueError, match="n_bins"):
        C.reliability(p, [0, 1], n_bins=0)
    with pytest.raises(ValueError, match="temperature"):
        C.temperature_nll(p, [0, 1], 0.0)
    with pytest.raises(ValueError, match="logits must be finite"):
        C.fit_temperature(np.array([[np.nan, 0.0]]), [0])
    with pytest.raises(ValueError, match="high"):
        C.fit_temperature(p, [0, 1], low=2.0, high=1.0)
