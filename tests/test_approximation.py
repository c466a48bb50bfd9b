"""Tests for course_lib.approximation: the numpy network against Keras, the hat-function interpolant
(exact at the knots, the h²·max|f''|/8 error bound, slope −2), Telgarsky's tent-map network against
the formula, argument checks."""

import numpy as np
import pytest

from course_lib import approximation as ap
from course_lib import models


def test_relu_network_matches_keras_mlp():
    model = models.mlp(3, hidden=(5, 4), n_outputs=2, output_activation=None, seed=3)
    rng = np.random.default_rng(0)
    for layer in models.dense_layers(model):  # nonzero biases, so they are exercised too
        layer.bias.assign(rng.normal(size=layer.bias.shape))
    x = rng.normal(size=(50, 3))
    layers = ap.keras_layers(model)
    assert [W.shape for W, _ in layers] == [(3, 5), (5, 4), (4, 2)]
    np.testing.assert_allclose(ap.relu_network(layers, x), np.asarray(model(x)), rtol=0, atol=1e-13)
    assert ap.n_parameters(layers) == model.count_params()


def test_hat_interpolant_is_exact_at_the_knots_and_linear_between():
    rng = np.random.default_rng(1)
    knots = np.sort(rng.uniform(-2, 3, size=9))
    values = rng.normal(size=9)
    net = ap.hat_interpolant(knots, values)
    assert net[0][0].shape == (1, 8)
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
    assert len(net) == k + 1 and all(W.shape[1] == 2 for W, _ in net[:-1])
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
        (lambda: ap.relu_network([], [[1.0]]), "layers"),
        (lambda: ap.relu_network([(np.ones((2, 3)), np.ones(2))], [[1.0, 2.0]]), "layers"),
        (lambda: ap.relu_network([(np.ones((1, 3)), np.ones(3)), (np.ones((2, 1)), np.ones(1))], [[1.0]]), "layers"),
        (lambda: ap.relu_network([(np.ones((2, 1)), np.ones(1))], np.ones((4, 3))), "x"),
        (lambda: ap.relu_network([(np.full((1, 1), np.inf), np.ones(1))], [[1.0]]), "layers"),
        (lambda: ap.keras_layers("not a model"), "model"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        call()
