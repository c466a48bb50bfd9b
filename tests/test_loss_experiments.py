"""Tests for course_lib.loss_experiments: the held-out split (against the images it is cut from and
networks.sweep's validation rows), the Keras probes' measured facts, and the tape's logit derivatives."""

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment first)
from course_lib import datasets, networks
from course_lib import loss_experiments as X


def test_held_out_split_cuts_the_test_images_into_validation_and_test():
    data = datasets.digits(test_size=0.4)
    split, n_val = X.held_out_split(data)
    assert n_val == len(data.x_test) // 2 == 359 and len(split.x_test) == 360
    np.testing.assert_array_equal(split.x_train[: len(data.x_train)], data.x_train)
    np.testing.assert_array_equal(split.x_train[-n_val:], data.x_test[:n_val])
    np.testing.assert_array_equal(split.y_train[-n_val:], data.y_test[:n_val])
    np.testing.assert_array_equal(split.x_test, data.x_test[n_val:])
    np.testing.assert_array_equal(split.y_test, data.y_test[n_val:])
    # networks.sweep's validation rows are exactly these images
    result = networks.sweep(split, [64, 10], learning_rates=[0.1], seeds=[0], epochs=1, validation=n_val)
    net = [networks.Dense(result.params[0][0].W[0, 0], result.params[0][0].b[0, 0], "linear")]
    z = networks.forward(net, data.x_test[:n_val]).output
    assert result.val_accuracy[0, 0, 0, -1] == np.mean(z.argmax(1) == data.y_test[:n_val])


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="data must be"):
        X.held_out_split((np.zeros((3, 2)), np.zeros(3)))
    with pytest.raises(ValueError, match="needles"):
        X.source_lines(X.held_out_split, ["no such text anywhere"])


def test_keras_clipping_facts():
    import keras

    eps = keras.config.epsilon()
    edge = np.log(9 * (1 - eps) / eps)
    sparse = X.keras_clipping([40.0, edge - 1e-3, edge + 1e-3])
    onehot = X.keras_clipping([40.0])
    assert sparse[0, 2] - (-np.log(eps)) == pytest.approx(np.log1p(8 * eps), abs=1e-12)
    assert sparse[1, 3] > 0 and sparse[2, 3] == 0.0 and sparse[0, 0] == pytest.approx(40.0)
    assert X.keras_clipping([40.0], one_hot=True)[0, 2] == pytest.approx(-np.log(eps), abs=1e-12)
    assert onehot.shape == (1, 4)
    routes = X.route_losses(40.0)
    assert routes["tf.nn.softmax inside tf.function"] == pytest.approx(40.0)
    assert routes["tf.nn.softmax, eager"] == pytest.approx(-np.log(eps), abs=1e-5)
    assert routes["keras.activations.sigmoid -> BCE"] == pytest.approx(40.0)  # float64 logits: recovered
    assert routes["float32 keras sigmoid -> float64 BCE"] == pytest.approx(-np.log(eps), abs=1e-5)  # cast: clipped


def test_tape_logit_derivatives_of_a_categorical_output():
    z = np.array([1.0, -0.5, 0.2])
    g, h = X.tape_logit_derivatives("categorical", z, np.eye(3)[0])
    p = np.exp(z) / np.exp(z).sum()
    assert np.allclose(g, p - np.eye(3)[0], atol=1e-14) and np.allclose(h, np.diag(p) - np.outer(p, p), atol=1e-14)


def test_max_margin_satisfies_the_kkt_conditions():
    """ŵ is optimal iff ŵ = Σ α_n s_n x_n with α ≥ 0 on the support vectors (margin 1): checked by NNLS."""
    from scipy.optimize import nnls

    rng = np.random.default_rng(1)
    x = np.c_[np.concatenate([rng.normal(size=(20, 2)) + 2, rng.normal(size=(20, 2)) - 2]), np.ones(40)]
    y = np.r_[np.ones(20), np.zeros(20)]
    w = X.max_margin(x, y)
    margins = (2 * y - 1) * (x @ w)
    assert margins.min() == pytest.approx(1.0, abs=1e-8)
    support = margins < 1 + 1e-6
    alpha, residual = nnls(((2 * y - 1)[:, None] * x)[support].T, w)
    assert residual < 1e-6 * np.linalg.norm(w) and alpha.max() > 0
    # any other separator with margin >= 1 is longer: e.g. the scaled difference of the class means
    d = np.r_[x[:20, :2].mean(0) - x[20:, :2].mean(0), 0.0]
    d /= ((2 * y - 1) * (x @ d)).min()
    assert np.linalg.norm(d) > np.linalg.norm(w)
    with pytest.raises(ValueError, match="separable"):
        X.max_margin(np.array([[1.0], [1.0]]), np.array([1, 0]))
