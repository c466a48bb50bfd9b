"""Tests for course_lib.regularization against Keras's regularizers, closed forms and brute force."""

import numpy as np
import pytest
from scipy import optimize

from course_lib import regularization as reg


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def test_penalties_equal_keras_regularizers_with_no_half(keras):
    # strengths that float32 represents exactly (Keras keeps the strength as a float32 constant)
    W = np.random.default_rng(0).normal(size=(5, 3))
    assert reg.l2_penalty(W, 0.0078125) == pytest.approx(float(keras.regularizers.L2(0.0078125)(W)), rel=1e-12)
    assert reg.l1_penalty(W, 0.015625) == pytest.approx(float(keras.regularizers.L1(0.015625)(W)), rel=1e-12)
    both = keras.regularizers.L1L2(l1=0.015625, l2=0.0078125)(W)
    assert reg.l1_penalty(W, 0.015625) + reg.l2_penalty(W, 0.0078125) == pytest.approx(float(both), rel=1e-12)
    assert reg.l2_penalty(W, 0.0078125) == pytest.approx(0.0078125 * np.sum(W**2))  # lambda ||W||^2, not lambda/2


def test_penalty_gradients_equal_gradient_tape(keras):
    import tensorflow as tf

    W = np.random.default_rng(1).normal(size=(4, 3))
    W[0, 0] = 0.0
    v = tf.Variable(W)
    with tf.GradientTape(persistent=True) as tape:
        l2 = keras.regularizers.L2(0.25)(v)
        l1 = keras.regularizers.L1(0.25)(v)
    np.testing.assert_allclose(reg.l2_penalty_grad(W, 0.25), tape.gradient(l2, v).numpy(), rtol=1e-12)
    np.testing.assert_allclose(reg.l1_penalty_grad(W, 0.25), tape.gradient(l1, v).numpy(), rtol=1e-12)


def test_soft_threshold_is_the_proximal_step():
    w = np.array([-2.0, -0.25, 0.0, 0.2, 1.5])
    t = 0.5
    out = reg.soft_threshold(w, t)
    for wi, oi in zip(w, out):
        objective = lambda u, wi=wi: 0.5 * (u - wi) ** 2 + t * abs(u)  # noqa: E731
        best = optimize.minimize_scalar(objective, bounds=(-5, 5), method="bounded")
        assert oi == pytest.approx(best.x, abs=1e-5)
    assert np.count_nonzero(out == 0.0) == 3  # |w_i| <= t: exactly zero


def test_ridge_closed_form_is_the_minimizer():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    lam = 0.7
    theta = reg.ridge(X, y, lam)
    grad = X.T @ (X @ theta - y) / 30 + lam * theta
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    np.testing.assert_allclose(reg.ridge(X, y, 0.0), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)


def test_filters_are_the_eigen_decomposition_of_ridge_and_gd():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(40, 3)) * [3.0, 1.0, 0.2], rng.normal(size=40)
    s, V = np.linalg.eigh(X.T @ X / 40)
    theta_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    lam, alpha, k = 0.1, 0.05, 30
    np.testing.assert_allclose(V.T @ reg.ridge(X, y, lam), reg.ridge_filter(s, lam) * (V.T @ theta_ls), rtol=1e-10)
    theta = np.zeros(3)
    for _ in range(k):
        theta -= alpha * X.T @ (X @ theta - y) / 40
    np.testing.assert_allclose(V.T @ theta, reg.gd_filter(s, alpha, k) * (V.T @ theta_ls), rtol=1e-10)


def test_gd_filter_approximates_ridge_with_lambda_one_over_k_alpha_for_small_alpha_s():
    s = np.array([1e-4, 1e-3, 1e-2])
    k, alpha = 100, 0.1
    np.testing.assert_allclose(reg.gd_filter(s, alpha, k), reg.ridge_filter(s, 1 / (k * alpha)), rtol=0.05)


def test_dropout_is_inverted_and_reproducible(keras):
    h = np.ones((2000, 50))
    out = reg.dropout(h, 0.25, np.random.default_rng(4))
    assert set(np.unique(out)) == {0.0, 1.0 / 0.75}
    assert abs(out.mean() - 1.0) < 0.01  # E[dropout(h)] = h
    np.testing.assert_array_equal(out, reg.dropout(h, 0.25, np.random.default_rng(4)))
    k_out = keras.layers.Dropout(0.25, seed=0)(h, training=True).numpy()
    assert set(np.unique(k_out)) == {0.0, 1.0 / 0.75}  # Keras scales the survivors the same way
    assert abs((k_out == 0).mean() - 0.25) < 0.01 and abs((out == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(reg.dropout(h, 0.0, np.random.default_rng(0)), h)


def test_ensemble_error_matches_simulation():
    rng = np.random.default_rng(5)
    v, c, k = 2.0, 0.5, 4
    cov = np.full((k, k), c) + (v - c) * np.eye(k)
    errors = rng.multivariate_normal(np.zeros(k), cov, size=200_000)
    assert np.mean(errors.mean(axis=1) ** 2) == pytest.approx(reg.ensemble_error(v, c, k), rel=0.015625)
    assert reg.ensemble_error(v, v, k) == v and reg.ensemble_error(v, 0.0, k) == v / k


def test_early_stopping_matches_keras_rule():
    losses = [1.0, 0.8, 0.85, 0.7, 0.75, 0.76, 0.74, 0.9]
    assert reg.early_stopping_epoch(losses, 3) == (3, 6)
    assert reg.early_stopping_epoch(losses, 10) == (3, 7)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: reg.dropout(np.ones(3), 1.0, np.random.default_rng(0)), "rate"),
        (lambda: reg.dropout(np.ones(3), -0.1, np.random.default_rng(0)), "rate"),
        (lambda: reg.l2_penalty(np.ones(3), -1), "lam"),
        (lambda: reg.soft_threshold(np.ones(3), -1), "t"),
        (lambda: reg.ridge(np.ones((3, 2)), np.ones(4), 0.1), "y must have shape"),
        (lambda: reg.ensemble_error(1.0, 2.0, 3), "c must satisfy"),
        (lambda: reg.early_stopping_epoch([], 2), "val_losses"),
        (lambda: reg.gd_filter([1.0], 0.1, -1), "k"),
        (lambda: reg.l1_penalty([np.nan], 0.1), "W must be a finite"),
    ],
)
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ensemble_terms_measure_v_and_c_and_satisfy_the_identity():
    rng = np.random.default_rng(11)
    errors = rng.normal(size=(4, 30, 3))
    v, c, err = reg.ensemble_terms(errors)
    flat = errors.reshape(4, -1)
    pairs = [np.mean(flat[i] * flat[j]) for i in range(4) for j in range(4) if i != j]
    assert v == pytest.approx(np.mean(flat**2))
    assert c == pytest.approx(np.mean(pairs))
    assert err == pytest.approx(np.mean(flat.mean(axis=0) ** 2))
    assert err == pytest.approx(reg.ensemble_error(v, c, 4), rel=1e-12)
    with pytest.raises(ValueError, match="errors"):
        reg.ensemble_terms(np.ones((1, 5)))


def test_all_masks_enumerate_every_binary_vector_once():
    masks = reg.all_masks(4)
    assert masks.shape == (16, 4)
    assert len({tuple(m) for m in masks}) == 16 and set(np.unique(masks)) == {0.0, 1.0}
    assert np.all(masks.mean(axis=0) == 0.5)
    with pytest.raises(ValueError, match="n"):
        reg.all_masks(0)


def test_normalized_geometric_mean_of_softmax_members_is_weight_scaling():
    rng = np.random.default_rng(12)
    W, b, x = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=6)
    logits = (reg.all_masks(6) * x) @ W + b
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    expected = np.exp(x @ W / 2 + b)
    np.testing.assert_allclose(reg.normalized_geometric_mean(probs), expected / expected.sum(), rtol=1e-12)
    # two members, brute force: sqrt(p q) renormalized; weights (1, 0) select the first member
    p, q = np.array([0.2, 0.8]), np.array([0.6, 0.4])
    g = np.sqrt(p * q)
    np.testing.assert_allclose(reg.normalized_geometric_mean(np.stack([p, q])), g / g.sum(), rtol=1e-12)
    np.testing.assert_allclose(reg.normalized_geometric_mean(np.stack([p, q]), [1.0, 0.0]), p, rtol=1e-12)
    with pytest.raises(ValueError, match="weights"):
        reg.normalized_geometric_mean(np.stack([p, q]), [0.5, 0.6])
    with pytest.raises(ValueError, match="probs"):
        reg.normalized_geometric_mean(np.stack([p, np.array([1.0, 0.0])]))


def test_lasso_satisfies_the_optimality_conditions_and_matches_scipy():
    rng = np.random.default_rng(13)
    X, y = rng.normal(size=(40, 5)), rng.normal(size=40)
    lam = 0.15
    theta = reg.lasso(X, y, lam, steps=5000)
    grad = X.T @ (X @ theta - y) / 40
    on = theta != 0
    np.testing.assert_allclose(grad[on], -lam * np.sign(theta[on]), atol=1e-8)  # KKT, nonzeros
    assert np.all(np.abs(grad[~on]) <= lam + 1e-8) and (~on).any()  # KKT at the exact zeros

    def objective(t):
        return np.sum((X @ t - y) ** 2) / 80 + lam * np.sum(np.abs(t))

    best = optimize.minimize(objective, np.zeros(5), method="Powell", options={"xtol": 1e-10, "ftol": 1e-14})
    assert objective(theta) <= best.fun + 1e-10
    with pytest.raises(ValueError, match="lam"):
        reg.lasso(X, y, -1.0)
