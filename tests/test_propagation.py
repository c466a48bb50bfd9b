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


def test_dead_units_agree_with_a_numpy_forward_pass():
    net = models.mlp(5, hidden=(16, 16), n_outputs=3, activation="relu", seed=0)
    net.layers[0].bias.assign(-3.0 * np.ones(16))  # kills most first-layer units
    dead = P.dead_units(P.propagate(net, X).pre[:-1])
    assert dead[0] > 0
    # independently: a ReLU unit is dead when its output is 0 on every input
    reference = [int(np.sum(np.all(A.relu(a) == 0, axis=0))) for a in _numpy_forward(net, A.relu)[:-1]]
    np.testing.assert_array_equal(dead, reference)


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


def test_gradient_norms_and_factor_norms_against_gradient_tape():
    net = models.mlp(5, hidden=(4, 3), n_outputs=3, activation="tanh", seed=4)
    s = P.propagate(net, X, Y)
    np.testing.assert_allclose(P.gradient_norms(s), models.layer_gradient_norms(net, X, Y), rtol=1e-5)
    h_norm, d_norm = P.factor_norms(s)
    np.testing.assert_allclose(h_norm, [np.sqrt(np.mean(np.sum(h**2, axis=1))) for h in s.inputs])
    np.testing.assert_allclose(d_norm, [np.sqrt(np.mean(np.sum(d**2, axis=1))) for d in s.deltas])
    with pytest.raises(ValueError, match="deltas"):
        P.gradient_norms(P.propagate(net, X))
    with pytest.raises(ValueError, match="Signals"):
        P.factor_norms([1, 2])


def test_per_layer_factor_is_the_geometric_mean_ratio():
    values = 3.0 * 0.5 ** np.arange(6)  # halves every layer
    assert P.per_layer_factor(values, 0, 5) == pytest.approx(0.5, rel=1e-14)
    assert P.per_layer_factor(values, 5, 0) == pytest.approx(2.0, rel=1e-14)
    assert P.per_layer_factor([1.0, 4.0, 9.0], 0, 2) == pytest.approx(3.0)
    for bad in ((0, 0), (0, 6)):
        with pytest.raises(ValueError, match="indices"):
            P.per_layer_factor(values, *bad)
    with pytest.raises(ValueError, match="positive"):
        P.per_layer_factor([0.0, 1.0], 0, 1)


def test_mean_share_and_moment_ratio_on_constructed_layers():
    rng = np.random.default_rng(3)
    centred = rng.normal(size=(4000, 3))
    centred -= centred.mean(axis=0)
    assert P.mean_share(centred) < 1e-25
    assert P.mean_share(np.ones((5, 4)) * 2.0) == pytest.approx(1.0)
    shifted = centred + np.array([3.0, 0.0, 0.0])  # mean 3 in one unit: share 9 / (9 + 3 E[z²])
    assert P.mean_share(shifted) == pytest.approx(9.0 / (9.0 + np.mean(np.sum(centred**2, axis=1))), rel=1e-12)
    scaled = centred * np.array([3.0, 2.0, 1.0])
    eig = np.sort(np.linalg.eigvalsh(scaled.T @ scaled / len(scaled)))
    assert P.moment_ratio(scaled) == pytest.approx(eig[-1] / eig[-2], rel=1e-12)
    assert 2.0 < P.moment_ratio(scaled) < 2.5  # about 9 / 4
    with pytest.raises(ValueError, match="columns"):
        P.moment_ratio(np.ones((5, 1)))


def test_numpy_path_for_dense_stacks_equals_the_keras_path():
    net = models.mlp(5, hidden=(4, 3), n_outputs=3, activation="elu", seed=5)
    assert P._dense_stack(net, "sparse_categorical_crossentropy") is not None
    # the same network with a no-op layer appended is not a Dense stack: it runs in Keras
    keras_net = keras.Sequential([keras.Input((5,)), *net.layers, keras.layers.Activation("linear")])
    assert P._dense_stack(keras_net, "sparse_categorical_crossentropy") is None
    ours, ref = P.propagate(net, X, Y), P.propagate(keras_net, X, Y)
    for name in ("inputs", "pre", "deltas"):
        for a, b in zip(getattr(ours, name), getattr(ref, name)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)  # Keras computes in floatx


def test_gaussian_moments_against_closed_forms_and_sampling():
    q = np.array([0.0, 0.5, 2.0])
    second, slope = P.gaussian_moments("relu", q)
    np.testing.assert_allclose(second, q / 2)
    np.testing.assert_allclose(slope, 0.5)
    # tanh: quadrature against Monte Carlo with 2e6 draws (standard error ~1e-3 relative)
    z = np.random.default_rng(0).standard_normal(2_000_000)
    t2, d2 = P.gaussian_moments("tanh", 1.3)
    assert t2 == pytest.approx(np.mean(np.tanh(np.sqrt(1.3) * z) ** 2), rel=3e-3)
    assert d2 == pytest.approx(np.mean((1 - np.tanh(np.sqrt(1.3) * z) ** 2) ** 2), rel=3e-3)
    # and against an independent quadrature (scipy.integrate.quad of the Gaussian integral)
    from scipy import integrate, stats

    exact = integrate.quad(lambda u: np.tanh(np.sqrt(1.3) * u) ** 2 * stats.norm.pdf(u), -12, 12)[0]
    assert t2 == pytest.approx(exact, rel=1e-8)


def test_mean_field_relu_is_geometric_and_matches_wide_networks():
    mf = P.mean_field("relu", 1.0, 1.0, 6)
    np.testing.assert_allclose(mf.q, 0.5 ** np.arange(6))  # Glorot + ReLU halves q going up
    np.testing.assert_allclose(mf.r, 0.5 ** np.arange(5, -1, -1))  # ... and r going down
    # a wide tanh network follows the recursion (to ~5 % at width 512)
    from course_lib import networks

    net = networks.init([512] * 9, "tanh", seed=1, initializer="he_uniform")
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 256, 512))
    measured, theory = P.layer_moments(net, x, g), P.mean_field("tanh", 2.0, 2.0 * np.mean(x**2), 8)
    np.testing.assert_allclose(measured.q, theory.q, rtol=0.05)
    np.testing.assert_allclose(measured.r, theory.r, rtol=0.1)


def test_layer_moments_match_a_direct_computation():
    from course_lib import networks

    net = networks.init([5, 4, 3], "tanh", seed=0)
    x, g = RNG.normal(size=(7, 5)), RNG.normal(size=(7, 3))
    a1 = x @ net[0].W
    a2 = np.tanh(a1) @ net[1].W
    d1 = (g @ net[1].W.T) * (1 - np.tanh(a1) ** 2)
    m = P.layer_moments(net, x, g)
    np.testing.assert_allclose(m.q, [np.mean(a1**2), np.mean(a2**2)])
    np.testing.assert_allclose(m.r, [np.mean(d1**2), np.mean(g**2)])


def test_mean_field_arguments_are_validated():
    with pytest.raises(ValueError, match="weight_variance"):
        P.mean_field("tanh", 0.0, 1.0, 3)
    with pytest.raises(ValueError, match="depth"):
        P.mean_field("tanh", 1.0, 1.0, 0)
    with pytest.raises(ValueError, match="q must"):
        P.gaussian_moments("tanh", -1.0)
    with pytest.raises(ValueError, match="dJ_doutput"):
        from course_lib import networks

        P.layer_moments(networks.init([3, 2], "tanh"), np.ones((4, 3)), np.ones((4, 3)))
