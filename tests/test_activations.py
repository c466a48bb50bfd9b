"""Tests for course_lib.activations: values and derivatives against TensorFlow (float64) and central
finite differences, golden values, identities, stability at extreme inputs, argument checks."""

import inspect
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib import activations as A

# Points away from the kinks at 0 (for the rectifiers) and dense enough to cover both tails.
Z = np.concatenate([np.linspace(-8.0, -0.05, 160), np.linspace(0.05, 8.0, 160)])
ALPHA_LEAKY = 0.25  # exactly representable: TF stores the slope as a float32 attribute


def tf_grad(fn, z):
    """Value and elementwise derivative of a TF function at z (float64) via tf.GradientTape."""
    zt = tf.constant(z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        y = fn(zt)
    return y.numpy(), tape.gradient(y, zt).numpy()


def central_difference(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


# name -> (ours f, ours df, TensorFlow f)
PAIRS = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad, tf.math.sigmoid),
    "tanh": (A.tanh, A.tanh_grad, tf.math.tanh),
    "relu": (A.relu, A.relu_grad, tf.nn.relu),
    "abs": (A.abs_rect, A.abs_rect_grad, tf.abs),
    "leaky_relu": (
        lambda z: A.leaky_relu(z, ALPHA_LEAKY),
        lambda z: A.leaky_relu_grad(z, ALPHA_LEAKY),
        lambda z: tf.nn.leaky_relu(z, alpha=ALPHA_LEAKY),
    ),
    "prelu": (
        lambda z: A.prelu(z, 0.25),
        lambda z: A.prelu_grad(z, 0.25)[0],
        lambda z: tf.nn.relu(z) - 0.25 * tf.nn.relu(-z),
    ),
    "softplus": (A.softplus, A.softplus_grad, tf.math.softplus),
    "elu": (lambda z: A.elu(z, 0.7), lambda z: A.elu_grad(z, 0.7), lambda z: keras.ops.elu(z, alpha=0.7)),
    "gelu": (A.gelu, A.gelu_grad, lambda z: tf.nn.gelu(z, approximate=False)),
}


# TensorFlow's float64 erf (inside tf.nn.gelu) is only accurate to about 4e-9 absolute.
TOLERANCES = {"gelu": dict(rtol=1e-7, atol=1e-8)}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_value_and_derivative_match_tensorflow(name):
    f, df, tf_f = PAIRS[name]
    value, grad = tf_grad(tf_f, Z)
    np.testing.assert_allclose(f(Z), value, **TOLERANCES.get(name, dict(rtol=1e-12, atol=1e-15)))
    np.testing.assert_allclose(df(Z), grad, **TOLERANCES.get(name, dict(rtol=1e-9, atol=1e-15)))


def test_gelu_matches_the_standard_library_erfc_to_full_precision():
    exact = [z * 0.5 * math.erfc(-z / math.sqrt(2.0)) for z in Z]
    np.testing.assert_allclose(A.gelu(Z), exact, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_derivative_matches_central_differences(name):
    f, df, _ = PAIRS[name]
    np.testing.assert_allclose(df(Z), central_difference(f, Z), rtol=1e-6, atol=1e-9)


def test_registry_pairs_are_consistent():
    for name, act in A.ACTIVATIONS.items():
        assert act.name == name and act.label
        np.testing.assert_allclose(act.df(Z), central_difference(act.f, Z), rtol=1e-6, atol=1e-9)
    assert A.get("relu") is A.ACTIVATIONS["relu"]


def test_golden_values():
    assert A.sigmoid(0.0) == 0.5 and A.sigmoid_grad(0.0) == 0.25
    assert A.tanh_grad(0.0) == 1.0
    assert A.softplus(0.0) == pytest.approx(math.log(2.0), rel=1e-15)
    assert A.elu(-1.0) == pytest.approx(math.exp(-1.0) - 1.0, rel=1e-15)
    assert A.gelu(1.0) == pytest.approx(0.8413447460685429, rel=1e-14)  # Φ(1)
    assert A.sigmoid_grad(10.0) == pytest.approx(4.5395807735951673e-05, rel=1e-14)
    assert A.leaky_relu(-2.0) == -0.02  # the default slope is Maas et al.'s 0.01
    np.testing.assert_array_equal(A.maxout([1.0, 3.0, -2.0, -5.0], 2), [3.0, -2.0])


def test_kink_conventions_match_tensorflow():
    zero = np.zeros(1)
    for name in ["relu", "abs", "leaky_relu", "prelu", "elu"]:
        f, df, tf_f = PAIRS[name]
        _, grad = tf_grad(tf_f, zero)
        np.testing.assert_array_equal(df(zero), grad, err_msg=name)


def test_sigmoid_derivative_peaks_at_one_quarter_at_zero():
    z = np.linspace(-10, 10, 20001)
    d = A.sigmoid_grad(z)
    assert z[np.argmax(d)] == 0.0 and d.max() == 0.25
    np.testing.assert_allclose(d, A.sigmoid(z) * (1 - A.sigmoid(z)), atol=1e-16)


def test_sigmoid_equals_the_two_branch_formula_to_full_relative_precision():
    # independent computation: e = exp(-|z|), σ = 1/(1 + e) for z >= 0 and e/(1 + e) below
    z = np.concatenate([np.linspace(-700, 700, 14001), [-1000.0, 0.0, 1000.0]])  # no subnormals
    e = np.exp(-np.abs(z))
    two_branch = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    s = A.sigmoid(z)
    np.testing.assert_allclose(s, two_branch, rtol=4e-16, atol=0)
    assert A.sigmoid(-1000.0) == 0.0 and A.sigmoid(1000.0) == 1.0
    assert A.sigmoid(-700.0) == pytest.approx(math.exp(-700.0), rel=1e-14)  # no cancellation
    assert np.asarray(A.sigmoid([0.5])).dtype == np.float64


def test_tanh_is_a_rescaled_sigmoid():
    z = np.linspace(-20, 20, 4001)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(A.tanh_grad(z), 4 * A.sigmoid_grad(2 * z), rtol=1e-13)


def test_prelu_special_slopes_and_alpha_derivative():
    z = np.linspace(-3, 3, 61)
    np.testing.assert_array_equal(A.prelu(z, 0.0), A.relu(z))
    np.testing.assert_array_equal(A.prelu(z, -1.0), A.abs_rect(z))
    np.testing.assert_array_equal(A.prelu(z, 1.0), z)
    # ∂g/∂α against TensorFlow, with one slope per unit (broadcasting)
    zs, alpha = Z.reshape(64, 5), np.linspace(-0.5, 0.5, 5)
    at = tf.Variable(alpha)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.relu(zs) - at * tf.nn.relu(-zs))
    dz, dalpha = A.prelu_grad(zs, alpha)
    assert dz.shape == dalpha.shape == zs.shape
    np.testing.assert_allclose(dalpha.sum(axis=0), tape.gradient(y, at).numpy(), rtol=1e-12)
    np.testing.assert_allclose(dalpha, central_difference(lambda a: A.prelu(zs, a), alpha), atol=1e-8)


def test_maxout_and_its_gradient_match_tensorflow():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, 12))  # 4 units of k = 3 pieces; continuous draws have no ties
    v = rng.normal(size=(7, 4))
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        y = tf.reduce_max(tf.reshape(zt, (7, 4, 3)), axis=-1)
        s = tf.reduce_sum(y * v)
    np.testing.assert_array_equal(A.maxout(z, 3), y.numpy())
    onehot = A.maxout_grad(z, 3)
    assert onehot.shape == z.shape
    np.testing.assert_array_equal(onehot.reshape(7, 4, 3).sum(axis=-1), 1.0)
    np.testing.assert_allclose(onehot * np.repeat(v, 3, axis=-1), tape.gradient(s, zt).numpy(), rtol=1e-15)
    # finite differences of Σ v_i g_i with respect to every piece
    fd = np.array(
        [
            (np.sum(A.maxout(z + e, 3) * v) - np.sum(A.maxout(z - e, 3) * v)) / 2e-6
            for e in np.eye(z.size).reshape(-1, 7, 12) * 1e-6
        ]
    ).reshape(z.shape)
    np.testing.assert_allclose(fd, onehot * np.repeat(v, 3, axis=-1), atol=1e-8)


def test_maxout_equals_the_maximum_over_each_group_for_every_k():
    z = np.random.default_rng(3).normal(size=(3, 5, 24))
    for k in (1, 2, 3, 4, 6):
        expected = z.reshape(3, 5, 24 // k, k).max(axis=-1)  # independent: a reduction per group
        np.testing.assert_array_equal(A.maxout(z, k), expected)
    z[0, 0, 1] = np.nan  # a diverged arm's NaN stays NaN in its own group only
    out = A.maxout(z, 2)
    assert np.isnan(out[0, 0, 0]) and np.isfinite(out[0, 0, 1:]).all()


def test_maxout_with_two_pieces_reproduces_rectifiers():
    z = np.linspace(-4, 4, 801)
    pieces = lambda a, b: np.stack([a * z, b * z], axis=-1).reshape(-1)  # noqa: E731
    np.testing.assert_array_equal(A.maxout(pieces(0.0, 1.0), 2), A.relu(z))
    np.testing.assert_array_equal(A.maxout(pieces(1.0, -1.0), 2), A.abs_rect(z))
    np.testing.assert_allclose(A.maxout(pieces(1.0, 0.01), 2), A.leaky_relu(z), atol=1e-15)


@pytest.mark.parametrize("big", [1000.0, 1e308, np.inf])
def test_stable_at_extreme_inputs(big):
    z = np.array([-big, big])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert A.sigmoid(z).tolist() == [0.0, 1.0]
        assert A.sigmoid_grad(z).tolist() == [0.0, 0.0]
        assert A.tanh(z).tolist() == [-1.0, 1.0]
        assert A.tanh_grad(z).tolist() == [0.0, 0.0]
        assert A.softplus(z).tolist() == [0.0, big]
        assert A.softplus_grad(z).tolist() == [0.0, 1.0]
        assert A.elu(z).tolist() == [-1.0, big]
        assert A.elu_grad(z).tolist() == [0.0, 1.0]
        assert A.gelu(z).tolist() == [0.0, big]
        assert A.gelu_grad(z).tolist() == [0.0, 1.0]
        assert A.relu(z).tolist() == [0.0, big]
        assert A.leaky_relu(z).tolist() == [-0.01 * big, big]
        for act in A.ACTIVATIONS.values():
            assert not np.isnan(act.f(z)).any() and not np.isnan(act.df(z)).any()


def test_softplus_at_1000_is_1000_and_keeps_tiny_values():
    assert A.softplus(1000.0) == 1000.0
    assert A.softplus(-50.0) == pytest.approx(math.exp(-50.0), rel=1e-12)
    assert A.sigmoid_grad(-700.0) == pytest.approx(math.exp(-700.0), rel=1e-12)  # no cancellation


def test_keras_leaky_relu_defaults_and_agreement():
    # The lecture's "~0.001" is a misquote: Maas et al. used 0.01; Keras 3 defaults differ again.
    assert A.MAAS_LEAKY_SLOPE == 0.01
    assert keras.layers.LeakyReLU().negative_slope == 0.3
    assert inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default == 0.2
    z = Z.astype(np.float32)
    layer = keras.layers.LeakyReLU(negative_slope=0.01)
    np.testing.assert_allclose(np.asarray(layer(z)), A.leaky_relu(z), rtol=1e-6)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: A.leaky_relu(1.0, alpha=-0.1), "alpha"),
        (lambda: A.leaky_relu(1.0, alpha=1.0), "alpha"),
        (lambda: A.leaky_relu_grad(1.0, alpha=float("nan")), "alpha"),
        (lambda: A.prelu(1.0, alpha=[0.1, float("inf")]), "alpha"),
        (lambda: A.prelu_grad(1.0, alpha=float("nan")), "alpha"),
        (lambda: A.elu(1.0, alpha=-1.0), "alpha"),
        (lambda: A.elu_grad(1.0, alpha="a"), "alpha"),
        (lambda: A.maxout(np.zeros(4), 0), "k"),
        (lambda: A.maxout(np.zeros(4), 1.5), "k"),
        (lambda: A.maxout(np.zeros(5), 2), "z"),
        (lambda: A.maxout_grad(np.float64(1.0), 1), "z"),
        (lambda: A.get("swish"), "name"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_keras_prelu_layer_agrees_and_starts_as_relu():
    z = Z.reshape(-1, 5).astype(np.float32)
    layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    np.testing.assert_allclose(np.asarray(layer(z)), A.prelu(z, 0.25), rtol=1e-6)
    default = keras.layers.PReLU()
    np.testing.assert_array_equal(np.asarray(default(z)), A.relu(z))  # Keras starts α at 0 (He et al.: 0.25)


def test_gelu_and_elu_slopes_vanish_or_turn_negative_on_the_left():
    """Chapter 01's correction: only a fixed positive slope keeps a unit trainable for every z < 0."""
    from scipy.optimize import brentq

    z_star = brentq(A.gelu_grad, -2.0, -0.1)
    assert z_star == pytest.approx(-0.7517915246935, abs=1e-9)
    assert A.gelu(z_star) == pytest.approx(-0.1699712, abs=1e-6)  # GELU's minimum
    assert np.all(A.gelu_grad(np.linspace(-8.0, z_star - 1e-6, 200)) < 0)
    assert A.gelu_grad(-np.sqrt(2.0)) == pytest.approx(-0.1289041, abs=1e-6)  # smallest slope
    assert abs(A.gelu_grad(-10.0)) < 1e-20 and A.elu_grad(-10.0) == pytest.approx(np.exp(-10.0))
    assert np.all(A.leaky_relu_grad(np.array([-1e6, -10.0, -1e-3])) == A.MAAS_LEAKY_SLOPE)


def test_gelu_slope_decays_like_z_phi_not_faster_than_the_gaussian():
    """Far left, GELU'(z) = Φ(z) + z φ(z) ≈ z φ(z) = −|z| e^{−z²/2}/√(2π): it vanishes faster than
    any exponential e^{−c|z|} but more slowly than e^{−z²/2} itself (chapter 01, sec-01-dying)."""
    z = np.array([-4.0, -6.0, -8.0, -10.0, -20.0])
    z_phi = z * np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    ratio = A.gelu_grad(z) / z_phi
    assert np.all(np.diff(ratio) > 0) and np.all((0.9 < ratio) & (ratio < 1.0))  # ratio -> 1
    assert ratio[-1] == pytest.approx(1.0, abs=3e-3)
    assert np.all(np.abs(A.gelu_grad(z)) > np.exp(-(z**2) / 2))


def test_tangent_pieces_of_a_parabola_and_their_maxout():
    z = np.linspace(-3, 3, 61)
    t = np.array([-2.0, 0.5, 2.0])
    pieces = A.tangent_pieces(z, t, np.square, lambda u: 2 * u)
    np.testing.assert_allclose(pieces, 2 * t * z[:, None] - t**2, rtol=0, atol=1e-12)
    g = A.maxout(pieces, k=3)[:, 0]
    assert np.all(g <= z**2 + 1e-12)
    np.testing.assert_allclose(A.tangent_pieces(t, t, np.square, lambda u: 2 * u).diagonal(), t**2)
    with pytest.raises(ValueError, match="points"):
        A.tangent_pieces(z, [], np.square, np.square)
