"""Tests for course_lib.propagation: forward signals and per-example deltas against a NumPy forward
pass and tf.GradientTape, and the summary statistics on hand-made arrays."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib import activations as A
from course_lib import layers as ly
from course_lib import models
from course_lib import propagation as P

RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 5))
Y = RNG.integers(0, 3, size=7)


def _numpy_forward(net, g):
    dense = [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]
    h, pre = X, []
    for d in dense:
        a = h @ d.kernel.numpy() + d.bias.numpy()
        pre.append(a)
        h = g(a)
    return pre


def test_pre_activations_match_a_numpy_forward_pass():
    net = models.mlp(5, hidden=(4, 3), n_outputs=3, activation="tanh", seed=2)
    s = P.propagate(net, X)
    for ours, ref in zip(s.pre[:-1], _numpy_forward(net, np.tanh)[:-1]):
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)  # float32 layers
    np.testing.assert_allclose(s.inputs[0], X, rtol=1e-7)  # x as Keras's float32
    np.testing.assert_allclose(s.inputs[1], np.tanh(s.pre[0]), rtol=1e-6, atol=1e-7)
    assert s.deltas is None and len(s.pre) == 3


def test_deltas_are_per_example_gradients_and_give_the_weight_gradient():
    net = ly.activation_mlp(5, hidden=(4, 6), n_outputs=3, activation="maxout", seed=1)
    s = P.propagate(net, X, Y)
    # output layer of a softmax + cross-entropy: delta = p - e_y, per example
    p = np.asarray(net(X), dtype=np.float64)
    np.testing.assert_allclose(s.deltas[-1], p - np.eye(3)[Y], atol=1e-6)
    # dJ/dW_l of the mean loss = mean_n h_{l-1,n} delta_{l,n}^T (Keras's kernel orientation)
    dense = [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(Y, net(X)))
    grads = tape.gradient(loss, [d.kernel for d in dense])
    for h, d, g in zip(s.inputs, s.deltas, grads):
        np.testing.assert_allclose(h.T @ d / len(X), g.numpy(), rtol=1e-5, atol=1e-7)


def test_spread_rms_norm_and_dead_units_on_hand_made_arrays():
    h = np.array([[1.0, 5.0], [3.0, 5.0]])  # unit 1 varies (std 1), unit 2 is constant
    assert P.spread(h) == pytest.approx(np.sqrt(0.5))
    assert P.spread(np.ones((4, 3))) == 0.0
    assert P.rms_norm(np.array([[3.0, 4.0], [0.0, 0.0]])) == pytest.approx(np.sqrt(12.5))
    pre = [np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0]]), np.array([[1.0], [2.0]])]
    np.testing.assert_array_equal(P.dead_units(pre), [2, 0])
    assert P.saturated_fraction(np.array([-4.0, 0.5, 3.0, 3.5]), 3.0) == 0.5


def test_dead_units_agree_with_models_dead_relu_fraction():
    net = models.mlp(5, hidden=(16, 16), n_outputs=3, activation="relu", seed=0)
    net.layers[0].bias.assign(-3.0 * np.ones(16))  # kills most first-layer units
    dead = P.dead_units(P.propagate(net, X).pre[:-1])
    assert dead[0] > 0
    assert dead.sum() / 32 == pytest.approx(models.dead_relu_fraction(net, X))


def test_gelu_network_signals_use_the_exact_gelu():
    net = ly.activation_mlp(5, hidden=(4,), n_outputs=3, activation="gelu", seed=0)
    s = P.propagate(net, X)
    np.testing.assert_allclose(s.inputs[1], A.gelu(s.pre[0]), rtol=1e-6, atol=1e-7)  # float32


def test_bad_arguments_name_the_parameter():
    net = models.mlp(5, hidden=(4,), n_outputs=3, seed=0)
    with pytest.raises(ValueError, match="x must be"):
        P.propagate(net, X[0])
    with pytest.raises(ValueError, match="y must have one entry"):
        P.propagate(net, X, Y[:3])
    with pytest.raises(ValueError, match="model must be a keras.Sequential"):
        P.propagate("net", X)
    with pytest.raises(ValueError, match="h must be"):
        P.spread(np.ones(3))
    with pytest.raises(ValueError, match="threshold"):
        P.saturated_fraction(X, -1.0)
