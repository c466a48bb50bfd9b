"""Tests for course_lib.losses: values against keras.losses (from_logits=True, dtype float64), gradients against
tf.GradientTape and finite differences, golden values, stability at extreme logits, argument checks."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import course_lib  # noqa: F401  (environment first)
from course_lib import losses as L

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(scale=3.0, size=(7, 5))
LABELS = RNG.integers(0, 5, size=7)
EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0], [1e4, 1e4, -1e4]])
EXTREME_LABELS = np.array([1, 2, 0, 2])


def tape_grad(loss_fn, x):
    """Value and gradient of a TF scalar function at x (float64) via tf.GradientTape."""
    xt = tf.constant(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        value = loss_fn(xt)
    return float(value), tape.gradient(value, xt).numpy()


def central_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


# --- softmax and log_softmax -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (7, 5), (2, 3, 4)])
def test_softmax_and_log_softmax_match_tensorflow_for_any_batch_shape(shape):
    z = RNG.normal(scale=4.0, size=shape)
    np.testing.assert_allclose(L.softmax(z), tf.nn.softmax(tf.constant(z)).numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(L.log_softmax(z), tf.nn.log_softmax(tf.constant(z)).numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(L.softmax(z).sum(axis=-1), 1.0, rtol=1e-14)


def test_softmax_golden_values_and_shift_invariance():
    np.testing.assert_allclose(L.softmax([0.0, np.log(3.0)]), [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(L.log_softmax([0.0, 0.0]), [-np.log(2), -np.log(2)], rtol=1e-15)
    np.testing.assert_allclose(L.softmax(LOGITS + 1234.5), L.softmax(LOGITS), rtol=1e-10)
    assert L.logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)


def test_log_softmax_is_finite_where_naive_formula_fails():
    z = np.array([0.0, -1e4, 1e4])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = L.log_softmax(z)
        p = L.softmax(z)
    np.testing.assert_array_equal(out, [-1e4, -2e4, 0.0])
    np.testing.assert_array_equal(p, [0.0, 0.0, 1.0])
    with np.errstate(all="ignore"):
        naive = np.log(np.exp(z) / np.exp(z).sum())
    assert not np.all(np.isfinite(naive))


# --- categorical cross-entropy ---------------------------------------------------------------


def test_cross_entropy_matches_keras_sparse_and_one_hot():
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    dense = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    onehot = np.eye(5)[LABELS]
    ours = L.cross_entropy(LOGITS, LABELS)
    assert ours == pytest.approx(float(sparse(LABELS, tf.constant(LOGITS))), rel=1e-13)
    assert ours == pytest.approx(float(dense(onehot, tf.constant(LOGITS))), rel=1e-13)


def test_cross_entropy_golden_values():
    assert L.cross_entropy(np.zeros((3, 10)), [0, 4, 9]) == pytest.approx(np.log(10.0), rel=1e-15)
    # log(1 + e^{-2}) for the right class ahead by 2, and 2 + log(1 + e^{-2}) for the wrong one
    assert L.cross_entropy([[2.0, 0.0]], [0]) == pytest.approx(np.log1p(np.exp(-2.0)), rel=1e-15)
    assert L.cross_entropy([[2.0, 0.0]], [1]) == pytest.approx(2 + np.log1p(np.exp(-2.0)), rel=1e-15)


def check_loss_and_gradient(keras_loss, loss, grad, z, y, rel, grad_rtol):
    """``loss(z, y)`` and ``grad(z, y)`` against ``keras_loss(y, z)`` and its tape gradient, and the
    gradient against central differences of ``loss``."""
    value, tf_grad = tape_grad(lambda zt: keras_loss(y, zt), z)
    assert loss(z, y) == pytest.approx(value, rel=rel)
    np.testing.assert_allclose(grad(z, y), tf_grad, rtol=grad_rtol, atol=1e-16)
    fd = central_difference(lambda zz: loss(zz, y), z)
    np.testing.assert_allclose(grad(z, y), fd, atol=1e-9)


def test_cross_entropy_grad_matches_gradient_tape_and_finite_differences():
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    check_loss_and_gradient(sparse, L.cross_entropy, L.cross_entropy_grad, LOGITS, LABELS, 1e-13, 1e-12)


def test_cross_entropy_batch_shape_averages_over_all_examples():
    z = RNG.normal(size=(2, 3, 4))
    y = RNG.integers(0, 4, size=(2, 3))
    flat = L.cross_entropy(z.reshape(6, 4), y.reshape(6))
    assert L.cross_entropy(z, y) == pytest.approx(flat, rel=1e-15)
    np.testing.assert_allclose(
        L.cross_entropy_grad(z, y).reshape(6, 4), L.cross_entropy_grad(z.reshape(6, 4), y.reshape(6)), rtol=1e-15
    )
    assert L.cross_entropy_grad(z, y).shape == z.shape


def test_cross_entropy_is_stable_at_extreme_logits():
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        value = L.cross_entropy(EXTREME, EXTREME_LABELS)
        grad = L.cross_entropy_grad(EXTREME, EXTREME_LABELS)
    # per example: 2e4, 0, log 3, 1e4 + log 2
    expected = np.mean([2e4, 0.0, np.log(3.0), 2e4 + np.log(2.0)])
    assert value == pytest.approx(expected, rel=1e-15)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad[0] * 4, [1.0, -1.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(grad[3] * 4, [0.5, 0.5, -1.0], atol=1e-300)
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None, dtype="float64")
    keras_values = sparse(EXTREME_LABELS, tf.constant(EXTREME)).numpy()
    assert np.mean(keras_values) == pytest.approx(value, rel=1e-15)


def test_confidently_wrong_prediction_gets_the_largest_gradient():
    # the gradient of cross-entropy w.r.t. the true logit is p_y - 1: largest when p_y -> 0
    z = np.array([[0.0, 50.0]])
    assert L.cross_entropy_grad(z, [0])[0, 0] == pytest.approx(-1.0, abs=1e-15)
    assert L.cross_entropy_grad(z, [1])[0, 1] == pytest.approx(0.0, abs=1e-15)


# --- binary cross-entropy --------------------------------------------------------------------


@pytest.mark.parametrize("soft", [False, True])
def test_binary_cross_entropy_matches_keras_and_gradient_tape(soft):
    z = RNG.normal(scale=3.0, size=(6, 3))
    y = RNG.uniform(size=z.shape) if soft else RNG.integers(0, 2, size=z.shape).astype(float)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    check_loss_and_gradient(bce, L.binary_cross_entropy, L.binary_cross_entropy_grad, z, y, 1e-12, 1e-10)


def test_binary_cross_entropy_golden_and_extreme_values():
    assert L.binary_cross_entropy([0.0], [1.0]) == pytest.approx(np.log(2.0), rel=1e-15)
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        value = L.binary_cross_entropy(z, y)
        grad = L.binary_cross_entropy_grad(z, y)
    assert value == pytest.approx(2e4 / 4, rel=1e-15)
    np.testing.assert_array_equal(grad * 4, [1.0, -1.0, 0.0, 0.0])


# --- mean squared error ----------------------------------------------------------------------


def test_mean_squared_error_matches_keras_and_gradient_tape():
    pred = RNG.normal(size=(5, 4))
    y = RNG.normal(size=(5, 4))
    mse = keras.losses.MeanSquaredError(dtype="float64")
    check_loss_and_gradient(mse, L.mean_squared_error, L.mean_squared_error_grad, pred, y, 1e-13, 1e-12)
    assert L.mean_squared_error([1.0, 3.0], [0.0, 0.0]) == 5.0
    np.testing.assert_array_equal(L.mean_squared_error_grad([1.0, 3.0], [0.0, 0.0]), [1.0, 3.0])


def test_mean_squared_error_is_a_gaussian_negative_log_likelihood():
    from scipy.stats import norm

    pred, y = RNG.normal(size=(50, 3)), RNG.normal(size=(50, 3))
    nll = -np.mean(np.sum(norm.logpdf(y, loc=pred, scale=1.0), axis=1))
    d = y.shape[1]
    expected = 0.5 * d * L.mean_squared_error(pred, y) + 0.5 * d * np.log(2 * np.pi)
    assert nll == pytest.approx(expected, rel=1e-13)


# --- argument checks -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[5, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0], [0.5] * 7])
def test_bad_labels_raise(bad):
    with pytest.raises(ValueError, match="labels"):
        L.cross_entropy(LOGITS, bad)
    with pytest.raises(ValueError, match="labels"):
        L.cross_entropy_grad(LOGITS, bad)


def test_shape_mismatch_raises_naming_the_argument():
    with pytest.raises(ValueError, match="labels must have the batch shape"):
        L.cross_entropy(LOGITS, LABELS[:3])
    with pytest.raises(ValueError, match="labels must have the batch shape"):
        L.cross_entropy(LOGITS, np.eye(5)[LABELS])  # one-hot rows are not integer labels
    with pytest.raises(ValueError, match="y must have the shape of logits"):
        L.binary_cross_entropy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="y must have the shape of prediction"):
        L.mean_squared_error(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="y must have the shape of prediction"):
        L.mean_squared_error_grad(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_inputs_raise_naming_the_argument(value):
    bad = LOGITS.copy()
    bad[2, 3] = value
    for fn in (L.softmax, L.log_softmax, L.logsumexp):
        with pytest.raises(ValueError, match="z must be finite"):
            fn(bad)
    with pytest.raises(ValueError, match="logits must be finite"):
        L.cross_entropy(bad, LABELS)
    with pytest.raises(ValueError, match="logits must be finite"):
        L.binary_cross_entropy_grad(bad, np.zeros_like(bad))
    with pytest.raises(ValueError, match="y must be finite"):
        L.binary_cross_entropy(LOGITS, np.where(np.isfinite(bad), 0.0, value))
    with pytest.raises(ValueError, match="prediction must be finite"):
        L.mean_squared_error(bad, LOGITS)
    with pytest.raises(ValueError, match="y must be finite"):
        L.mean_squared_error_grad(LOGITS, bad)


def test_other_bad_inputs_raise():
    with pytest.raises(ValueError, match="y must hold probabilities"):
        L.binary_cross_entropy([0.0, 1.0], [0.0, 2.0])
    with pytest.raises(ValueError, match="z must be a non-empty array"):
        L.softmax(3.0)
    with pytest.raises(ValueError, match="logits must be an array of real numbers"):
        L.cross_entropy([["a", "b"]], [0])


def test_binary_cross_entropy_keeps_relative_precision_of_tiny_losses():
    # y = 1, z = 20: the loss is log1p(e^{-20}) ~ 2e-9, which softplus(z) - z would round badly
    z = np.array([20.0, 30.0, -25.0])
    y = np.array([1.0, 1.0, 0.0])
    expected = np.log1p(np.exp(-np.abs(z)))
    for i in range(3):
        assert L.binary_cross_entropy(z[i : i + 1], y[i : i + 1]) == pytest.approx(expected[i], rel=1e-14)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None, dtype="float64")
    np.testing.assert_allclose(bce(y[:, None], tf.constant(z[:, None])).numpy(), expected, rtol=1e-14)


def test_cross_entropy_keeps_relative_precision_of_tiny_losses():
    # a confident, correct prediction: loss log(1 + 9 e^{-50}) ~ 1.7e-21, not 0
    z = np.zeros((1, 10))
    z[0, 3] = 50.0
    assert L.cross_entropy(z, [3]) == pytest.approx(9 * np.exp(-50.0), rel=1e-14)
    assert L.logsumexp(z)[0] == 50.0


@pytest.mark.parametrize("output", L.OUTPUTS)
def test_logit_hessian_and_fisher_of_the_matched_pairs_against_tf(output):
    import tensorflow as tf

    rng = np.random.default_rng(11)
    z = rng.normal(scale=2.0, size=4)
    y = {"gaussian": rng.normal(size=4), "bernoulli": np.array([1.0, 0.0, 1.0, 0.0]), "categorical": np.eye(4)[1]}[
        output
    ]
    zt, yt = tf.constant(z), tf.constant(y)
    with tf.GradientTape() as outer:
        outer.watch(zt)
        with tf.GradientTape() as inner:
            inner.watch(zt)
            if output == "gaussian":
                nll = -tf.reduce_sum(-0.5 * (yt - zt) ** 2)
            elif output == "bernoulli":
                p = tf.sigmoid(zt)
                nll = -tf.reduce_sum(yt * tf.math.log(p) + (1 - yt) * tf.math.log(1 - p))
            else:
                nll = -tf.reduce_sum(yt * tf.nn.log_softmax(zt))
        g = inner.gradient(nll, zt)
    hessian = outer.jacobian(g, zt).numpy()
    assert np.allclose(g.numpy(), L.mean_output(output, z) - y, atol=1e-12)
    assert np.allclose(L.logit_hessian(output, z), hessian, atol=1e-12)
    assert np.linalg.eigvalsh(L.logit_hessian(output, z)).min() > -1e-15
    fisher = L.fisher_information(output, z, samples=100_000, rng=np.random.default_rng(0))
    assert np.allclose(fisher, hessian, atol=0.03 if output == "gaussian" else 1e-12)


def test_fisher_information_checks_its_arguments():
    with pytest.raises(ValueError, match="output"):
        L.logit_hessian("poisson", [0.0])
    with pytest.raises(ValueError, match="samples and rng"):
        L.fisher_information("gaussian", [0.0, 1.0])


def test_binary_cross_entropy_grad_uses_the_stable_sigmoid():
    z = np.array([-1e4, 0.0, 1e4])
    assert np.array_equal(L.binary_cross_entropy_grad(z, np.ones(3)) * 3, np.array([-1.0, -0.5, 0.0]))
    assert not hasattr(L, "_sigmoid")


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_label_smoothed_cross_entropy_matches_keras_and_gradient_tape(smoothing):
    targets = np.eye(5)[LABELS]
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    value, grad = tape_grad(lambda z: keras_loss(targets, z), LOGITS)
    assert L.cross_entropy(LOGITS, LABELS, label_smoothing=smoothing) == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(L.cross_entropy_grad(LOGITS, LABELS, smoothing), grad, rtol=1e-11, atol=1e-15)
    # by hand: -mean_n t_n . log p_n with t = (1 - a) e_y + a / C
    t = (1 - smoothing) * targets + smoothing / 5
    by_hand = -np.mean(np.sum(t * np.log(np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)), axis=1))
    assert L.cross_entropy(LOGITS, LABELS, smoothing) == pytest.approx(by_hand, rel=1e-12)


def test_label_smoothing_zero_is_the_plain_cross_entropy_bit_for_bit():
    assert L.cross_entropy(LOGITS, LABELS, 0.0) == L.cross_entropy(LOGITS, LABELS)
    np.testing.assert_array_equal(L.cross_entropy_grad(LOGITS, LABELS, 0.0), L.cross_entropy_grad(LOGITS, LABELS))
    with pytest.raises(ValueError, match="label_smoothing"):
        L.cross_entropy(LOGITS, LABELS, label_smoothing=1.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        L.cross_entropy_grad(LOGITS, LABELS, label_smoothing=-0.1)


@pytest.mark.parametrize("shape", [(7, 5), (2, 3, 5)])
def test_softmax_mean_squared_error_matches_keras_and_gradient_tape(shape):
    rng = np.random.default_rng(4)
    z, y = rng.normal(scale=3.0, size=shape), rng.integers(0, 5, size=shape[:-1])
    onehot = np.eye(5)[y]
    value, grad = tape_grad(lambda t: keras.losses.MeanSquaredError()(onehot, tf.nn.softmax(t)), z)
    assert L.softmax_mean_squared_error(z, y) == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(L.softmax_mean_squared_error_grad(z, y), grad, rtol=1e-10, atol=1e-16)
    # the gradient vanishes when p is one-hot, right or wrong; the cross-entropy's does not when wrong
    wrong, right = np.array([[0.0, 30.0, 0.0]]), np.array([[30.0, 0.0, 0.0]])
    assert np.abs(L.softmax_mean_squared_error_grad(wrong, [0])).max() < 1e-11
    assert np.abs(L.softmax_mean_squared_error_grad(right, [0])).max() < 1e-11
    assert np.abs(L.cross_entropy_grad(wrong, [0])).max() > 0.99
    with pytest.raises(ValueError, match="labels"):
        L.softmax_mean_squared_error(z, y + 5)
