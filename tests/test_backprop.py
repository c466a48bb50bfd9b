"""Tests for course_lib.backprop: the M_k recursion against tf.GradientTape and finite differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import course_lib  # noqa: F401  (environment and seeds)
from course_lib import backprop as bp
from course_lib import models


def _keras_mlp(sizes, activation, seed):
    """A float64 Keras MLP (hidden ``activation``, linear output) with non-zero biases."""
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(sizes[0],), dtype="float64")]
    for k, n in enumerate(sizes[1:], start=1):
        layers.append(
            keras.layers.Dense(
                n,
                activation=activation if k < len(sizes) - 1 else None,
                bias_initializer=keras.initializers.RandomNormal(stddev=0.5),
                dtype="float64",
            )
        )
    return keras.Sequential(layers)


def _tape_gradients(model, x, y, loss):
    """J and ∇J by tf.GradientTape (models.NetworkLoss), flat in the order of models.flat_weights."""
    keras_loss = {
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "mean_squared_error": keras.losses.MeanSquaredError(),
    }[loss]
    network_loss = models.NetworkLoss(model, x, y, keras_loss, compile=False)
    return network_loss.value(), network_loss.grad()


def test_flatten_gradients_order_and_validation():
    grads = [(np.arange(6.0).reshape(2, 3), np.array([10.0, 11.0, 12.0])), (np.array([[20.0], [21.0], [22.0]]), [30.0])]
    np.testing.assert_array_equal(bp.flatten_gradients(grads), [0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30])
    with pytest.raises(ValueError, match="grads must be a non-empty list"):
        bp.flatten_gradients([])
    with pytest.raises(ValueError, match=r"grads\[0\] must be a pair"):
        bp.flatten_gradients([(np.zeros(2),)])


# TensorFlow's own float64 Gelu kernel (tf.nn.gelu, approximate=False) is off by up to ~5e-9 from
# 0.5 x erfc(−x/√2) (which scipy and TF's erfc agree on to 1e-16), so GELU is compared at 1e-7.
@pytest.mark.parametrize(
    "activation, atol",
    [("tanh", 1e-10), ("sigmoid", 1e-10), ("relu", 1e-10), ("softplus", 1e-10), ("elu", 1e-10), ("gelu", 1e-7)],
)
def test_gradients_match_gradient_tape_cross_entropy(activation, atol):
    model = _keras_mlp([5, 7, 6, 4], activation, seed=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5))
    y = rng.integers(0, 4, size=16)
    layers = bp.from_keras(model)
    value, grads = bp.loss_and_gradients(layers, x, y)
    tape_value, tape_grad = _tape_gradients(model, x, y, "sparse_categorical_crossentropy")
    assert abs(value - tape_value) < atol / 10
    np.testing.assert_allclose(bp.flatten_gradients(grads), tape_grad, rtol=0, atol=atol)


def test_gradients_match_gradient_tape_mse():
    model = _keras_mlp([3, 8, 2], "tanh", seed=2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 3))
    y = rng.standard_normal((10, 2))
    value, grads = bp.loss_and_gradients(bp.from_keras(model), x, y, loss="mean_squared_error")
    tape_value, tape_grad = _tape_gradients(model, x, y, "mean_squared_error")
    assert abs(value - tape_value) < 1e-12
    np.testing.assert_allclose(bp.flatten_gradients(grads), tape_grad, rtol=0, atol=1e-10)


def test_gradients_match_central_finite_differences():
    layers = bp.init_mlp([4, 5, 3], activation="tanh", seed=3)
    layers = [bp.Layer(l.W, l.b + 0.1, l.activation) for l in layers]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 4))
    y = rng.integers(0, 3, size=9)
    _, grads = bp.loss_and_gradients(layers, x, y)
    eps = 1e-6
    for k, (dW, db) in enumerate(grads):
        for name, analytic in (("W", dW), ("b", db)):
            numeric = np.zeros_like(analytic)
            for index in np.ndindex(analytic.shape):
                values = []
                for sign in (1.0, -1.0):
                    param = getattr(layers[k], name).copy()
                    param[index] += sign * eps
                    shifted = list(layers)
                    shifted[k] = layers[k]._replace(**{name: param})
                    values.append(bp.loss_and_gradients(shifted, x, y)[0])
                numeric[index] = (values[0] - values[1]) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-9)


def test_explicit_jacobian_product_equals_recursion():
    """The slide's product M_L (∂f_L/∂f_{L−1}) ⋯ (∂f_k/∂θ_k) for one example equals backward()."""
    layers = bp.init_mlp([3, 4, 5, 2], activation="sigmoid", seed=4)
    x = np.array([0.3, -1.2, 0.8])
    y = np.array([1])
    output, cache = bp.forward(layers, x[None, :])
    _, M_L = bp.loss_and_output_gradient(output, y)
    grads = bp.backward(layers, cache, M_L)
    J_f, J_theta = bp.layer_jacobians(layers, x)
    for k in range(len(layers)):
        M = M_L[0]
        for j in range(len(layers) - 1, k, -1):
            M = M @ J_f[j]
        dW, db = grads[k]
        np.testing.assert_allclose(M @ J_theta[k], np.concatenate([dW.ravel(), db]), atol=1e-14)


def test_layer_jacobians_match_gradient_tape_jacobian():
    model = _keras_mlp([3, 4, 2], "tanh", seed=5)
    layers = bp.from_keras(model)
    x = np.array([[0.5, -0.1, 0.9]])
    J_f, _ = bp.layer_jacobians(layers, x[0])
    x_t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        h = model.layers[0](x_t)
    np.testing.assert_allclose(J_f[0], tape.jacobian(h, x_t).numpy()[0, :, 0, :], atol=1e-14)


def test_forward_matches_keras_and_cache():
    model = _keras_mlp([3, 6, 2], "relu", seed=6)
    x = np.random.default_rng(3).standard_normal((7, 3))
    output, cache = bp.forward(bp.from_keras(model), x)
    np.testing.assert_allclose(output, model(x).numpy(), atol=1e-14)
    assert len(cache) == 2
    np.testing.assert_array_equal(cache[0][0], x)
    assert cache[1][1].shape == (7, 2)


def test_loss_and_output_gradient_golden_values():
    # logits 0 for all K classes: loss log K, M_L = (1/K − onehot)/m
    value, M = bp.loss_and_output_gradient(np.zeros((2, 4)), np.array([0, 3]))
    assert abs(value - np.log(4)) < 1e-15
    np.testing.assert_allclose(M, (np.full((2, 4), 0.25) - np.eye(4)[[0, 3]]) / 2)
    # stable at extreme logits
    value, M = bp.loss_and_output_gradient(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert value == 2000.0 and np.all(np.isfinite(M))
    value, M = bp.loss_and_output_gradient(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), "mean_squared_error")
    assert value == 2.5
    np.testing.assert_allclose(M, [[1.0, 2.0]])


def test_init_mlp_shapes_and_glorot_range():
    layers = bp.init_mlp([64, 32, 10], activation="relu", seed=0)
    assert [l.W.shape for l in layers] == [(64, 32), (32, 10)]
    assert [l.activation for l in layers] == ["relu", "linear"]
    assert np.all(np.abs(layers[0].W) <= np.sqrt(6 / 96)) and np.all(layers[0].b == 0)
    np.testing.assert_allclose(layers[0].W.var(), 2 / 96, rtol=0.1)  # variance 2/(fan_in + fan_out)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: bp.init_mlp([3]), "sizes must be"),
        (lambda: bp.init_mlp([3, 0]), "sizes must be"),
        (lambda: bp.init_mlp([3, 2], activation="swish"), "name must be one of"),
        (lambda: bp.forward([], np.zeros((1, 3))), "layers must be"),
        (
            lambda: bp.forward([(np.zeros((3, 2)), np.zeros(2), "tanh")], np.zeros((1, 3))),
            r"layers\[0\] must be a Layer",
        ),
        (
            lambda: bp.forward([bp.Layer(np.zeros((3, 2)), np.zeros(3), "tanh")], np.zeros((1, 3))),
            r"layers\[0\] must have W",
        ),
        (
            lambda: bp.forward(bp.init_mlp([3, 2, 2]) + bp.init_mlp([3, 2]), np.zeros((1, 3))),
            r"layers\[2\].W must have 2 rows",
        ),
        (lambda: bp.forward(bp.init_mlp([3, 2]), np.zeros((1, 4))), "x must have shape"),
        (lambda: bp.loss_and_output_gradient(np.zeros(3), [0]), "output must have shape"),
        (lambda: bp.loss_and_output_gradient(np.zeros((2, 3)), np.array([0, 3])), "y must be integer labels"),
        (lambda: bp.loss_and_output_gradient(np.zeros((2, 3)), np.array([0.0, 1.0])), "y must be integer labels"),
        (
            lambda: bp.loss_and_output_gradient(np.zeros((2, 3)), np.zeros((2, 2)), "mean_squared_error"),
            "y must have the shape",
        ),
        (lambda: bp.loss_and_output_gradient(np.zeros((2, 3)), np.array([0, 1]), "hinge"), "loss must be one of"),
        (lambda: bp.backward(bp.init_mlp([3, 2]), [], np.zeros((1, 2))), "M_L must have the shape"),
        (lambda: bp.layer_jacobians(bp.init_mlp([3, 2]), np.zeros((1, 3))), "x must be a single example"),
    ],
)
def test_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_from_keras_rejects_unsupported_models():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="leaky_relu")])
    with pytest.raises(ValueError, match="model's Dense activations"):
        bp.from_keras(model)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dropout(0.1), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="model must contain only Dense layers"):
        bp.from_keras(model)
