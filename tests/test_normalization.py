"""Tests for course_lib.normalization against Keras's layers and tf.GradientTape."""

import numpy as np
import pytest

from course_lib import normalization as bn


@pytest.fixture(scope="module")
def tf_keras():
    import keras
    import tensorflow as tf

    return tf, keras


def _data(seed=0, m=16, n=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=3.0, scale=2.0, size=(m, n))
    return x, rng.normal(size=n) + 1.0, rng.normal(size=n)


def _keras_bn(keras, n, gamma, beta, dtype):
    layer = keras.layers.BatchNormalization(dtype=dtype)
    layer.build((None, n))
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-6), ("float64", 1e-12)])
def test_training_and_inference_equal_keras_batch_normalization(tf_keras, dtype, tol):
    _, keras = tf_keras
    x, gamma, beta = _data()
    layer = _keras_bn(keras, 5, gamma, beta, dtype)
    stats = bn.init_running(5)
    for step in range(3):
        batch = x + step
        y_keras = np.asarray(layer(batch.astype(dtype), training=True))
        np.testing.assert_allclose(bn.batch_norm(batch, gamma, beta), y_keras, rtol=tol, atol=tol)
        stats = bn.update_running(stats, batch)
    np.testing.assert_allclose(stats.mean, np.asarray(layer.moving_mean), rtol=tol, atol=tol)
    np.testing.assert_allclose(stats.var, np.asarray(layer.moving_variance), rtol=tol, atol=tol)
    y_inf = np.asarray(layer(x.astype(dtype), training=False))
    np.testing.assert_allclose(bn.batch_norm_inference(x, stats, gamma, beta), y_inf, rtol=tol, atol=tol)


def test_output_has_mean_beta_and_std_gamma_not_zero_one():
    x, gamma, beta = _data(m=400)
    y = bn.batch_norm(x, gamma, beta, eps=0.0)
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), np.abs(gamma), rtol=1e-12)


def test_backward_equals_gradient_tape(tf_keras):
    tf, _ = tf_keras
    x, gamma, beta = _data(1)
    dy = np.random.default_rng(2).normal(size=x.shape)
    tx, tg, tb = (tf.Variable(v) for v in (x, gamma, beta))
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(tx, axes=[0])
        y = tg * (tx - mean) / tf.sqrt(var + 1e-3) + tb
        J = tf.reduce_sum(y * dy)
    expected = tape.gradient(J, [tx, tg, tb])
    for ours, theirs in zip(bn.batch_norm_backward(dy, x, gamma), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_equals_keras_and_tape(tf_keras):
    tf, keras = tf_keras
    x, _, _ = _data(3, m=4, n=6)
    gamma, beta = np.linspace(0.5, 2.0, 6), np.linspace(-1, 1, 6)
    layer = keras.layers.LayerNormalization(dtype="float64")
    layer.build((None, 6))
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    np.testing.assert_allclose(bn.layer_norm(x, gamma, beta), np.asarray(layer(x)), rtol=1e-12, atol=1e-12)
    dy = np.random.default_rng(4).normal(size=x.shape)
    tx, tg, tb = (tf.Variable(v) for v in (x, gamma, beta))
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(tx, axes=[1], keepdims=True)
        J = tf.reduce_sum((tg * (tx - mean) / tf.sqrt(var + 1e-3) + tb) * dy)
    expected = tape.gradient(J, [tx, tg, tb])
    for ours, theirs in zip(bn.layer_norm_backward(dy, x, gamma), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_constant_feature_gives_beta_and_finite_gradients():
    x = np.ones((8, 2))
    x[:, 1] = np.arange(8.0)
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, -0.5])
    for eps in (1e-3, 0.0):
        y = bn.batch_norm(x, gamma, beta, eps=eps)
        np.testing.assert_allclose(y[:, 0], 0.5)
        grads = bn.batch_norm_backward(np.ones_like(x), x, gamma, eps=eps)
        assert all(np.all(np.isfinite(g)) for g in grads)


def test_gradient_is_invariant_to_shift_and_scale_of_the_batch():
    x, gamma, _ = _data(5)
    dy = np.random.default_rng(6).normal(size=x.shape)
    dx, _, _ = bn.batch_norm_backward(dy, x, gamma, eps=0.0)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-10)  # orthogonal to the constant vector
    x_hat = (x - x.mean(0)) / x.std(0)
    np.testing.assert_allclose((dx * x_hat).sum(axis=0), 0.0, atol=1e-10)  # and to x_hat


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bn.batch_norm(np.ones((3, 2)), np.ones(3), np.zeros(2)), "gamma"),
        (lambda: bn.batch_norm(np.ones((3, 2)), np.ones(2), np.zeros((2, 1))), "beta"),
        (lambda: bn.batch_norm(np.ones((3, 2)), np.ones(2), np.zeros(2), eps=-1e-3), "eps"),
        (lambda: bn.batch_norm(np.ones(3), np.ones(3), np.zeros(3)), "x must be"),
        (lambda: bn.update_running(bn.init_running(2), np.ones((3, 2)), momentum=1.5), "momentum"),
        (lambda: bn.batch_norm_backward(np.ones((2, 2)), np.ones((3, 2)), np.ones(2)), "dy must have"),
        (lambda: bn.init_running(0), "n must be"),
    ],
)
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_stack_of_batches_equals_each_batch_alone():
    rng = np.random.default_rng(7)
    x, dy = rng.normal(size=(3, 6, 4)), rng.normal(size=(3, 6, 4))
    gamma, beta = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    stats = bn.RunningStats(rng.normal(size=(3, 4)), rng.uniform(0.5, 2, size=(3, 4)))
    y, back = bn.batch_norm(x, gamma, beta), bn.batch_norm_backward(dy, x, gamma)
    y_ln, back_ln = bn.layer_norm(x, gamma, beta), bn.layer_norm_backward(dy, x, gamma)
    new = bn.update_running(stats, x)
    inference = bn.batch_norm_inference(x, stats, gamma, beta)
    for a in range(3):
        np.testing.assert_allclose(y[a], bn.batch_norm(x[a], gamma[a], beta[a]), rtol=1e-13)
        np.testing.assert_allclose(y_ln[a], bn.layer_norm(x[a], gamma[a], beta[a]), rtol=1e-13)
        for ours, alone in zip(back, bn.batch_norm_backward(dy[a], x[a], gamma[a])):
            np.testing.assert_allclose(ours[a], alone, rtol=1e-12, atol=1e-14)
        for ours, alone in zip(back_ln, bn.layer_norm_backward(dy[a], x[a], gamma[a])):
            np.testing.assert_allclose(ours[a], alone, rtol=1e-12, atol=1e-14)
        one = bn.update_running(bn.RunningStats(stats.mean[a], stats.var[a]), x[a])
        np.testing.assert_allclose(new.mean[a], one.mean, rtol=1e-14)
        np.testing.assert_allclose(new.var[a], one.var, rtol=1e-14)
        alone = bn.batch_norm_inference(x[a], bn.RunningStats(stats.mean[a], stats.var[a]), gamma[a], beta[a])
        np.testing.assert_allclose(inference[a], alone, rtol=1e-14)


def test_a_single_example_gives_beta_and_no_gradient_to_x():
    x, gamma, beta = np.array([[3.0, -1.0, 2.0]]), np.array([2.0, 0.5, 1.0]), np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(bn.batch_norm(x, gamma, beta), beta[None])
    dx, _, _ = bn.batch_norm_backward(np.ones_like(x), x, gamma)
    np.testing.assert_array_equal(dx, 0.0)
