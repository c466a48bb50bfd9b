"""Tests for course_lib.approximation: the numpy network against Keras, the hat-function interpolant
(exact at the knots, the h²·max|f''|/8 error bound, slope −2), Telgarsky's tent-map network against
the formula, argument checks."""

import numpy as np
import pytest

from course_lib import approximation as ap
from course_lib import models, networks, optimizers


def test_relu_network_matches_keras_mlp():
    model = models.mlp(3, hidden=(5, 4), n_outputs=2, output_activation=None, seed=3)
    rng = np.random.default_rng(0)
    for layer in models.dense_layers(model):  # nonzero biases, so they are exercised too
        layer.bias.assign(rng.normal(size=layer.bias.shape))
    x = rng.normal(size=(50, 3))
    net = networks.from_keras(model)
    assert [layer.W.shape for layer in net] == [(3, 5), (5, 4), (4, 2)]
    np.testing.assert_allclose(ap.relu_network(net, x), np.asarray(model(x)), rtol=0, atol=1e-13)
    pairs = [(layer.W, layer.b) for layer in net]  # the exercises' (W, b) form: same network
    np.testing.assert_array_equal(ap.relu_network(pairs, x), ap.relu_network(net, x))
    assert [layer.activation for layer in ap.as_network(pairs)] == ["relu", "relu", "linear"]


def test_hat_interpolant_is_exact_at_the_knots_and_linear_between():
    rng = np.random.default_rng(1)
    knots = np.sort(rng.uniform(-2, 3, size=9))
    values = rng.normal(size=9)
    net = ap.hat_interpolant(knots, values)
    assert net[0].W.shape == (1, 8) and [layer.activation for layer in net] == ["relu", "linear"]
    np.testing.assert_allclose(ap.relu_network(net, knots)[:, 0], values, atol=1e-12)
    x = np.linspace(knots[0], knots[-1], 1001)
    np.testing.assert_allclose(ap.relu_network(net, x)[:, 0], np.interp(x, knots, values), atol=1e-12)
    left = ap.relu_network(net, np.array([knots[0] - 5.0]))[0, 0]
    assert left == pytest.approx(values[0])  # constant left of the first knot


def test_hat_interpolant_error_bound_and_second_order_rate():
    f, f2max = np.sin, 1.0  # |f''| <= 1
    x = np.linspace(0, 3, 30001)
    errors = []
    ns = np.array([8, 16, 32, 64, 128])
    for n in ns:
        knots = np.linspace(0, 3, n + 1)
        error = np.max(np.abs(ap.relu_network(ap.hat_interpolant(knots, f(knots)), x)[:, 0] - f(x)))
        assert error <= (3 / n) ** 2 * f2max / 8 * (1 + 1e-9)
        errors.append(error)
    slope = np.polyfit(np.log(ns), np.log(errors), 1)[0]
    assert abs(slope + 2) < 0.05


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_tent_map_network_computes_the_composition(k):
    x = np.arange(2**10 + 1) / 2**10  # dyadic points: every value is exact in binary
    net = ap.tent_map_network(k)
    assert len(net) == k + 1 and all(layer.W.shape[1] == 2 for layer in net[:-1])
    np.testing.assert_array_equal(ap.relu_network(net, x)[:, 0], ap.tent_map(x, k))


def test_tent_map_values():
    assert ap.tent_map(0.25, 1) == 0.5 and ap.tent_map(0.75, 1) == 0.5
    assert ap.tent_map(1 / 8, 3) == 1.0 and ap.tent_map(0.25, 3) == 0.0
    np.testing.assert_array_equal(ap.tent_map([0.0, 0.5, 1.0], 0), [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: ap.hat_interpolant([0, 1, 1], [0, 1, 2]), "x"),
        (lambda: ap.hat_interpolant([0, 1, 2], [0, 1]), "y"),
        (lambda: ap.hat_interpolant([0.0], [1.0]), "x"),
        (lambda: ap.hat_interpolant([0, 1], [0, np.nan]), "y"),
        (lambda: ap.tent_map([0.5, 1.5], 2), "x"),
        (lambda: ap.tent_map(0.5, -1), "k"),
        (lambda: ap.tent_map_network(0), "k"),
        (lambda: ap.relu_network([], [[1.0]]), "net"),
        (lambda: ap.relu_network([(np.ones((2, 3)), np.ones(2))], [[1.0, 2.0]]), "net"),
        (lambda: ap.relu_network([(np.ones((1, 3)), np.ones(3)), (np.ones((2, 1)), np.ones(1))], [[1.0]]), "net"),
        (lambda: ap.relu_network([(np.ones((2, 1)), np.ones(1))], np.ones((4, 3))), "x"),
        (lambda: ap.relu_network([(np.full((1, 1), np.inf), np.ones(1))], [[1.0]]), "net"),
        (lambda: ap.relu_network(["W", "b"], [[1.0]]), "net"),
        (lambda: ap.square_network(0), "m"),
        (lambda: ap.fit_sweep([ap.tent_map_network(1)], np.ones((3, 1)), np.ones((3, 1)), [-1.0], 5), "learning_rates"),
        (lambda: ap.fit_sweep([ap.tent_map_network(1)], np.ones((3, 1)), np.ones((3, 1)), [0.1], 0), "steps"),
        (lambda: ap.fit_sweep([ap.tent_map_network(1)], np.ones((3, 1)), np.ones((4, 1)), [0.1], 5), "x"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        call()


@pytest.mark.parametrize("m", [1, 2, 3, 6, 9])
def test_square_network_is_the_interpolant_of_x_squared_with_error_4_to_the_minus_m_minus_1(m):
    x = np.arange(2**12 + 1) / 2**12  # dyadic: every knot and midpoint, exact in binary
    net = ap.square_network(m)
    assert len(net) == m + 1 and all(layer.W.shape[1] == 3 for layer in net[:-1])
    y = ap.relu_network(net, x)[:, 0]
    knots = np.arange(2**m + 1) / 2**m
    np.testing.assert_allclose(y, np.interp(x, knots, knots**2), rtol=0, atol=1e-14)
    assert np.max(np.abs(y - x**2)) == pytest.approx(4.0 ** (-m - 1), rel=1e-9)
    assert np.all(y >= x**2 - 1e-15)  # the interpolant of a convex function lies above it


def test_bump_network_is_the_pyramid_with_compact_support():
    x = np.random.default_rng(0).uniform(-3, 3, size=(5000, 2))
    y = ap.relu_network(ap.bump_network(), x)[:, 0]
    np.testing.assert_allclose(y, np.maximum(1 - np.abs(x).sum(axis=1), 0.0), rtol=0, atol=1e-15)
    assert [layer.W.shape for layer in ap.bump_network()] == [(2, 4), (4, 1), (1, 1)]


def _sweep_problem():
    x = np.linspace(-1, 1, 12)[:, None]
    y = np.sin(3 * x)
    starts = [networks.init([1, 4, 3, 1], "relu", seed=s) for s in (0, 1)]
    starts = [[networks.Dense(L.W, L.b + 0.05, L.activation) for L in n] for n in starts]
    return x, y, starts


def test_fit_sweep_arms_equal_the_runs_one_by_one_and_optimizers_adam():
    x, y, starts = _sweep_problem()
    rates = [0.01, 0.03]
    sweep = ap.fit_sweep(starts, x, y, rates, steps=30, record_every=10)
    assert sweep.losses.shape == (4, 2, 2) and list(sweep.steps) == [0, 10, 20, 30]
    for s, start in enumerate(starts):
        for r, rate in enumerate(rates):
            alone = ap.fit_sweep([start], x, y, [rate], steps=30, record_every=10)
            np.testing.assert_allclose(sweep.losses[:, s, r], alone.losses[:, 0, 0], rtol=1e-12)
            objective = networks.Objective(start, x, y, loss="mse")
            run = optimizers.run(optimizers.Adam(rate, eps=1e-7), objective, networks.flatten(start), 30)
            np.testing.assert_allclose(sweep.losses[:, s, r], run.values[::10], rtol=1e-10)
            np.testing.assert_allclose(networks.flatten(ap.arm(sweep.net, s, r)), run.thetas[-1], rtol=1e-9, atol=1e-12)


def test_best_rate_uses_the_median_over_seeds():
    losses = np.array([[[1.0, 2.0], [1.0, 2.0], [9.0, 1.0]]])  # seed 2 collapses at rate 0
    sweep = ap.FitSweep(np.array([0]), losses, [], np.array([0.1, 0.2]))
    assert ap.best_rate(sweep) == 0  # medians 1 and 2; the mean (3.7 vs 1.7) would pick 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_best_rate_skips_a_rate_with_a_diverged_arm(bad):
    # rate 1 has the smallest median (0.5) but one non-finite seed; np.argmin of the medians would pick it
    losses = np.array([[[1.0, 0.5, 2.0], [1.0, 0.5, 2.0], [1.0, bad, 2.0]]])
    sweep = ap.FitSweep(np.array([0]), losses, [], np.array([0.1, 0.2, 0.3]))
    assert ap.best_rate(sweep) == 0
    with pytest.raises(ValueError, match="diverged"):
        ap.best_rate(ap.FitSweep(np.array([0]), np.full((1, 2, 2), np.nan), [], np.array([0.1, 0.2])))


def test_fit_sweep_a_diverged_arm_leaves_the_others_unchanged():
    x, y, starts = _sweep_problem()
    rates = [0.01, 1e300]  # Adam's step is about the rate: the second arm overflows to inf / NaN
    with np.errstate(all="ignore"):
        sweep = ap.fit_sweep(starts, x, y, rates, steps=40, record_every=10)
    assert not np.any(np.isfinite(sweep.losses[-1, :, 1]))
    alone = ap.fit_sweep(starts, x, y, rates[:1], steps=40, record_every=10)
    np.testing.assert_allclose(sweep.losses[:, :, 0], alone.losses[:, :, 0], rtol=1e-12)
    assert ap.best_rate(sweep) == 0


@pytest.mark.parametrize("beta1, beta2, eps", [(0.5, 0.9, 1e-3), (0.0, 0.99, 1e-8)])
def test_fit_sweep_follows_optimizers_adam_for_other_constants(beta1, beta2, eps):
    x, y, starts = _sweep_problem()
    sweep = ap.fit_sweep(starts[:1], x, y, [0.02], steps=25, record_every=5, beta1=beta1, beta2=beta2, eps=eps)
    objective = networks.Objective(starts[0], x, y, loss="mse")
    adam = optimizers.Adam(0.02, beta1=beta1, beta2=beta2, eps=eps)
    run = optimizers.run(adam, objective, networks.flatten(starts[0]), 25)
    np.testing.assert_allclose(sweep.losses[:, 0, 0], run.values[::5], rtol=1e-10)
    np.testing.assert_allclose(networks.flatten(ap.arm(sweep.net, 0, 0)), run.thetas[-1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 11, 181])
def test_square_one_layer_error_and_the_piece_bound(n):
    net = ap.square_one_layer(n)
    assert net[0].W.shape == (1, n)
    h = 2.0 / (2 * n + 1)
    knots = h / 2 + h * np.arange(n + 1)
    x = np.sort(np.concatenate([[0.0], knots, knots[:-1] + h / 2, np.linspace(0, 1, 4001)]))
    err = ap.relu_network(net, x)[:, 0] - x**2
    assert np.max(np.abs(err)) == pytest.approx(1 / (2 * (2 * n + 1) ** 2), rel=1e-9)
    assert err[0] == pytest.approx(h**2 / 8, rel=1e-12) and err.min() == pytest.approx(-(h**2) / 8, rel=1e-9)
    # independent check: the n-unit construction is the linear interpolation of its own knot values
    y_knots = np.concatenate([[h**2 / 8, h**2 / 8], knots[1:] ** 2 - h**2 / 8])
    xk = np.concatenate([[0.0], knots])
    np.testing.assert_allclose(ap.relu_network(net, x)[:, 0], np.interp(x, xk, y_knots), atol=1e-14)
    # and it is within the piece-count bound: n units, n + 1 pieces, error >= 1/(8 (n + 1)^2)
    assert 1 / (8 * (n + 1) ** 2) <= np.max(np.abs(err)) < 1 / (8 * n**2)


def test_stack_and_arm_are_inverse():
    nets = [networks.init([2, 3, 1], "relu", seed=s) for s in range(3)]
    stacked = ap.stack(nets)
    assert stacked[0].W.shape == (3, 2, 3)
    for s, net in enumerate(nets):
        np.testing.assert_array_equal(networks.flatten(ap.arm(stacked, s)), networks.flatten(net))
