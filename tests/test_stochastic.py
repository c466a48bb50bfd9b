"""Tests for course_lib.stochastic: per-example gradients against finite differences and the objectives'
own gradients, the variance formula against exhaustive enumeration, the Polyak constant and noise scale
against closed forms, and the batched SGD runs against optimizers.run run by run."""

import itertools

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment first)
from course_lib import networks, objectives, optimizers, schedules, stochastic


def _problem(m=40, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    return objectives.LeastSquares(X, X @ rng.standard_normal(n) + rng.standard_normal(m))


def test_per_example_gradients_least_squares_equal_the_single_example_objectives():
    P, theta = _problem(), np.array([0.3, -1.0, 2.0])
    grads = stochastic.per_example_gradients(P, theta)
    loop = np.stack([P.at(np.array([i])).grad(theta) for i in range(P.m)])
    np.testing.assert_allclose(grads, loop, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads.mean(axis=0), P.grad(theta), rtol=1e-12)


def test_per_example_gradients_of_logistic_regression_and_a_network_match_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 3))
    logistic = objectives.LogisticRegression(X, (X[:, 0] > 0).astype(float), l2=0.1)
    theta = rng.standard_normal(3)
    grads = stochastic.per_example_gradients(logistic, theta)
    eps = 1e-6
    for i in (0, 7):
        one = logistic.at(np.array([i]))
        fd = [(one.value(theta + eps * e) - one.value(theta - eps * e)) / (2 * eps) for e in np.eye(3)]
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6, atol=1e-8)
    net = networks.init([3, 4, 2], "tanh", seed=2)
    objective = networks.Objective(net, X, (X[:, 1] > 0).astype(int))
    flat = networks.flatten(net)
    grads = stochastic.per_example_gradients(objective, flat)
    np.testing.assert_allclose(grads.mean(axis=0), objective.grad(flat), rtol=1e-10, atol=1e-12)


def test_minibatch_variance_equals_enumeration_of_all_batches():
    """E‖g_B − ∇h‖² over every b-subset of m = 7 examples, exactly (no sampling)."""
    P, theta = _problem(m=7, n=2, seed=3), np.array([0.5, -0.5])
    grads = stochastic.per_example_gradients(P, theta)
    mean, sigma = stochastic.gradient_covariance(P, theta)
    np.testing.assert_allclose(sigma, np.cov(grads.T, ddof=0), rtol=1e-12)
    for b in (1, 2, 3, 6, 7):
        subsets = np.array(list(itertools.combinations(range(7), b)))
        exact = np.mean(np.sum((grads[subsets].mean(axis=1) - mean) ** 2, axis=1))
        assert stochastic.minibatch_variance(np.trace(sigma), 7, b) == pytest.approx(exact, rel=1e-12, abs=1e-15)
    with_replacement = np.array(list(itertools.product(range(7), repeat=2)))
    exact = np.mean(np.sum((grads[with_replacement].mean(axis=1) - mean) ** 2, axis=1))
    assert stochastic.minibatch_variance(np.trace(sigma), 7, 2, replace=True) == pytest.approx(exact, rel=1e-12)


def test_sampled_variance_estimates_the_formula():
    P, theta = _problem(m=200, n=3, seed=4), np.zeros(3)
    _, sigma = stochastic.gradient_covariance(P, theta)
    for b in (1, 50, 150):
        estimate = stochastic.sampled_variance(P, theta, b, 4000, seed=1)
        assert estimate == pytest.approx(stochastic.minibatch_variance(np.trace(sigma), 200, b), rel=0.1)


def test_polyak_constant_closed_forms():
    H = np.diag([1.0, 4.0])
    assert stochastic.polyak_constant(H, np.diag([2.0, 8.0])) == pytest.approx(2.0)  # tr(I·2)/2
    assert stochastic.polyak_constant(H, 0.5 * H) == pytest.approx(0.5)  # σ² n / 2
    with pytest.raises(ValueError, match="positive definite"):
        stochastic.polyak_constant(np.diag([1.0, -1.0]), np.eye(2))
    with pytest.raises(ValueError, match="sigma"):
        stochastic.polyak_constant(H, np.eye(3))


def test_noise_scale_and_its_two_batch_estimate():
    P, theta = _problem(m=50, seed=5), np.zeros(3)
    grad, sigma = stochastic.gradient_covariance(P, theta)
    assert stochastic.noise_scale(P, theta) == pytest.approx(np.trace(sigma) / (grad @ grad), rel=1e-12)
    # exact expectations E‖g_b‖² = ‖G‖² + tr Σ / b (with replacement) give the exact answer back
    sq = lambda b: grad @ grad + np.trace(sigma) / b  # noqa: E731
    small, big = np.array([np.sqrt(sq(4)), 0.0]), np.array([np.sqrt(sq(32)), 0.0])
    signal, trace, scale = stochastic.noise_scale_estimate(small, big, 4, 32)
    assert signal == pytest.approx(grad @ grad, rel=1e-10)
    assert trace == pytest.approx(np.trace(sigma), rel=1e-10)
    assert scale == pytest.approx(stochastic.noise_scale(P, theta), rel=1e-10)
    with pytest.raises(ValueError, match="b_big"):
        stochastic.noise_scale_estimate(small, big, 4, 4)


@pytest.mark.parametrize("sampling", optimizers.SAMPLINGS)
def test_sgd_least_squares_equals_optimizers_run(sampling):
    P, theta0 = _problem(), np.array([1.0, 0.0, -1.0])
    seeds, K, b = (0, 3), 37, 4
    index = np.stack([optimizers.batches(P.m, b, K, seed=s, sampling=sampling) for s in seeds])
    schedule = schedules.InverseTime(0.1, k0=10)
    runs = stochastic.sgd_least_squares(P, theta0, schedule, index, record_every=5)
    np.testing.assert_array_equal(runs.ks, [0, 5, 10, 15, 20, 25, 30, 35, 37])
    for r, seed in enumerate(seeds):
        ref = optimizers.run(
            optimizers.GradientDescent(schedule), P, theta0, K, batch_size=b, seed=seed, sampling=sampling
        )
        np.testing.assert_allclose(runs.thetas[r], ref.thetas[runs.ks], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            runs.averages[r], schedules.polyak_average(ref.thetas)[runs.ks], rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(runs.excess[r], ref.values[runs.ks] - P.min_value, rtol=1e-9, atol=1e-13)


def test_excess_is_the_objective_gap():
    P = _problem(seed=6)
    thetas = np.random.default_rng(0).standard_normal((4, 2, 3))
    np.testing.assert_allclose(stochastic.excess(P, thetas), P.value(thetas) - P.min_value, rtol=1e-10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda P: stochastic.minibatch_variance(1.0, 10, 11), "batch_size"),
        (lambda P: stochastic.minibatch_variance(-1.0, 10, 2), "trace_sigma"),
        (lambda P: stochastic.per_example_gradients(objectives.Quadratic(np.eye(2)), [0.0, 0.0]), "finite sum"),
        (lambda P: stochastic.per_example_gradients(P, np.zeros((2, 3))), "theta"),
        (lambda P: stochastic.sgd_least_squares(P, np.zeros(3), 0.1, np.zeros((2, 3), dtype=int)), "index"),
        (lambda P: stochastic.sgd_least_squares(P, np.zeros(3), 0.1, np.full((1, 2, 1), 40)), "index"),
        (lambda P: stochastic.sgd_least_squares(P, np.zeros(3), -0.1, np.zeros((1, 2, 1), dtype=int)), "learning_rate"),
        (
            lambda P: stochastic.sgd_least_squares(objectives.Quadratic(np.eye(3)), np.zeros(3), 0.1, None),
            "LeastSquares",
        ),
        (lambda P: stochastic.sampled_variance(P, np.zeros(3), 2, 0), "draws"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call(_problem())
