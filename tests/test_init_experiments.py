"""Tests for course_lib.init_experiments (chapter 10) against direct computations."""

import numpy as np
import pytest

from course_lib import datasets, initializers, networks
from course_lib import init_experiments as X


def test_symmetry_gap_is_zero_for_copies_and_stays_zero_in_training():
    net = networks.init([64, 6, 5, 10], "tanh", seed=0, initializer=initializers.constant(0.2))
    np.testing.assert_array_equal(X.symmetry_gap(net), [0.0, 0.0])
    data = datasets.digits()
    trained = networks.train(list(net), data, 0.1, seed=0, epochs=2, record_every=2).net
    np.testing.assert_array_equal(X.symmetry_gap(trained), [0.0, 0.0])
    assert not np.allclose(trained[0].W, net[0].W)  # it did train
    # the gap is the largest entry difference from the first unit, computed by hand
    W1 = net[0].W.copy()
    W1[3, 2] += 0.7
    nudged = [net[0]._replace(W=W1)] + net[1:]
    np.testing.assert_allclose(X.symmetry_gap(nudged), [0.7, 0.0])


def test_signal_propagation_relu_follows_the_halving():
    res = X.signal_propagation("relu", "glorot_uniform", 1.0, depth=6, width=256, batch=128, seeds=(0, 1))
    assert res.q.shape == (2, 6) and res.r.shape == (2, 6)
    np.testing.assert_allclose(res.theory.q, 0.5 ** np.arange(6))
    np.testing.assert_allclose(res.q.mean(axis=0), res.theory.q, rtol=0.15)
    np.testing.assert_allclose(res.r.mean(axis=0), res.theory.r, rtol=0.15)


def _brute_force_steps(target, depth, width, init, rate, seed, max_steps, threshold):
    """One arm by a plain loop with explicit products (independent of the stacked implementation)."""
    rng = np.random.default_rng(seed)
    n = target.shape[0]
    shapes = [(n, n)] if depth == 1 else [(n, width)] + [(width, width)] * (depth - 2) + [(width, n)]
    W = [initializers.get(init)(s, rng) for s in shapes]
    for step in range(max_steps + 1):
        P = np.linalg.multi_dot([np.eye(n)] + W)
        E = P - target
        if 0.5 * np.sum(E**2) <= threshold:
            return step
        grads = []
        for k in range(depth):
            left = np.linalg.multi_dot([np.eye(n)] + W[:k] + [np.eye(W[k].shape[0])])
            right = np.linalg.multi_dot([np.eye(W[k].shape[1])] + W[k + 1 :] + [np.eye(n)])
            grads.append(left.T @ E @ right.T)
        W = [w - rate * g for w, g in zip(W, grads)]
    return np.inf


def test_deep_linear_steps_equal_a_plain_loop_and_the_gradient_is_right():
    rng = np.random.default_rng(0)
    target = rng.standard_normal((4, 4))
    rates = [0.2, 0.05]
    res = X.deep_linear_steps(target, [1, 3], "orthogonal", rates, [0, 1], width=6, max_steps=200)
    for d, depth in enumerate([1, 3]):
        for s, seed in enumerate([0, 1]):
            for k, rate in enumerate(rates):
                ref = _brute_force_steps(target, depth, 6, "orthogonal", rate, seed, 200, res.threshold)
                assert res.steps[d, s, k] == ref
    assert res.threshold == pytest.approx(0.01 * 0.5 * np.sum(target**2))
    # the gradient formula against central finite differences
    W = [initializers.orthogonal(s, rng) for s in [(4, 6), (6, 6), (6, 4)]]
    h = lambda Ws: 0.5 * np.sum((Ws[0] @ Ws[1] @ Ws[2] - target) ** 2)  # noqa: E731
    E = W[0] @ W[1] @ W[2] - target
    analytic = W[0].T @ E @ W[2].T  # ∂h/∂W_2
    eps, numeric = 1e-6, np.zeros_like(W[1])
    for i in range(6):
        for j in range(6):
            plus = [w.copy() for w in W]
            minus = [w.copy() for w in W]
            plus[1][i, j] += eps
            minus[1][i, j] -= eps
            numeric[i, j] = (h(plus) - h(minus)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


def test_fastest_picks_the_rate_with_fewest_mean_steps():
    steps = np.array([[[5.0, 3.0, np.inf], [7.0, 4.0, 2.0]], [[np.inf, np.inf, 9.0], [np.inf, 8.0, 9.0]]])
    res = X.DeepLinear((2, 4), (0, 1), np.array([1.0, 0.5, 0.25]), steps, np.ones((2, 2)), 0.1, 10)
    index, best = X.fastest(res)
    np.testing.assert_array_equal(index, [1, 2])
    np.testing.assert_array_equal(best, [[3.0, 4.0], [9.0, 9.0]])
    with pytest.raises(ValueError, match="result"):
        X.fastest("no")


def test_product_singular_values_and_residual_growth():
    np.testing.assert_allclose(X.product_singular_values("orthogonal", 10, 8, seed=1), np.ones(8), atol=1e-12)
    s = X.product_singular_values("lecun_normal", 10, 8, seed=1)
    rng = np.random.default_rng(1)
    product = np.linalg.multi_dot([initializers.lecun_normal((8, 8), rng) for _ in range(10)])
    np.testing.assert_allclose(s, np.linalg.svd(product, compute_uv=False), rtol=1e-8)
    # residual blocks: one block by hand
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((16, 8))
    x1 = x0 + 0.5 * (np.maximum(x0, 0) @ initializers.he_uniform((8, 8), rng))
    assert X.residual_growth(1, 8, 0.5, batch=16, seed=3) == pytest.approx(np.mean(x1**2) / np.mean(x0**2))
    assert X.residual_growth(3, 8, 0.0, batch=16, seed=3) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: X.deep_linear_steps(np.ones((2, 3)), [2], "orthogonal", [0.1], [0]), "target"),
        (lambda: X.deep_linear_steps(np.eye(2), [0], "orthogonal", [0.1], [0]), "depths"),
        (lambda: X.deep_linear_steps(np.eye(2), [2], "orthogonal", [-0.1], [0]), "learning_rates"),
        (lambda: X.signal_propagation("relu", "he_uniform", 2.0, depth=1), "depth"),
        (lambda: X.residual_growth(0, 4), "blocks"),
        (lambda: X.symmetry_gap("net"), "net"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
