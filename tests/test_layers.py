"""Tests for course_lib.layers: the Keras Maxout layer against course_lib.activations.maxout and
TensorFlow's gradient, and the activation_mlp builder."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib import activations as A
from course_lib import layers as ly


def test_maxout_layer_matches_numpy_maxout():
    z = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32)  # Keras's floatx
    for k in (1, 2, 3, 4):
        out = np.asarray(ly.Maxout(k)(tf.constant(z)))
        np.testing.assert_array_equal(out, A.maxout(z, k))
        assert out.shape == (5, 12 // k)


def test_maxout_layer_golden_values_and_one_hot_gradient():
    z = tf.constant([[1.0, -2.0, 0.5, 3.0], [-1.0, -0.5, 2.0, 2.5]])
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = ly.Maxout(2)(z)
        total = tf.reduce_sum(out)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 3.0], [-0.5, 2.5]])
    grad = tape.gradient(total, z).numpy()
    np.testing.assert_array_equal(grad, [[1, 0, 0, 1], [0, 1, 0, 1]])
    np.testing.assert_array_equal(grad, A.maxout_grad(z.numpy(), 2))


def test_maxout_layer_reproduces_relu_abs_and_leaky():
    z = np.linspace(-3, 3, 61)
    pieces = {
        "relu": (np.stack([0 * z, z], -1), A.relu(z)),
        "abs": (np.stack([z, -z], -1), np.abs(z)),
        "leaky": (np.stack([z, 0.01 * z], -1), A.leaky_relu(z, 0.01)),
    }
    for name, (p, target) in pieces.items():
        np.testing.assert_allclose(np.asarray(ly.Maxout(2)(p))[:, 0], target, atol=1e-15, err_msg=name)


def test_maxout_layer_rejects_bad_pieces_and_widths():
    with pytest.raises(ValueError, match="pieces"):
        ly.Maxout(0)
    with pytest.raises(ValueError, match="pieces"):
        ly.Maxout(2.5)
    with pytest.raises(ValueError, match="multiple of pieces=3"):
        ly.Maxout(3)(np.zeros((2, 4)))


def test_maxout_layer_config_round_trip():
    layer = ly.Maxout(3, name="mx")
    clone = ly.Maxout.from_config(layer.get_config())
    assert clone.pieces == 3 and clone.name == "mx"


@pytest.mark.parametrize("activation", ly.HIDDEN_ACTIVATIONS)
def test_activation_mlp_builds_every_activation(activation):
    net = ly.activation_mlp(8, hidden=(6, 4), n_outputs=3, activation=activation, seed=1)
    x = np.random.default_rng(0).normal(size=(5, 8))
    p = np.asarray(net(x))
    assert p.shape == (5, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    dense = [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.name for d in dense] == ["dense_1", "dense_2", "dense_3"]
    widths = [d.units for d in dense]
    assert widths == ([12, 8, 3] if activation == "maxout" else [6, 4, 3])


def test_activation_mlp_is_reproducible_and_seed_dependent():
    a = ly.activation_mlp(8, hidden=(6,), activation="prelu", seed=3)
    b = ly.activation_mlp(8, hidden=(6,), activation="prelu", seed=3)
    c = ly.activation_mlp(8, hidden=(6,), activation="prelu", seed=4)
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    assert not np.array_equal(a.weights[0].numpy(), c.weights[0].numpy())


def test_activation_mlp_layers_compute_the_stated_functions():
    z = np.linspace(-3, 3, 13).reshape(1, -1)
    net = ly.activation_mlp(13, hidden=(13,), activation="leaky_relu", seed=0)
    np.testing.assert_allclose(np.asarray(net.layers[1](z)), A.leaky_relu(z, 0.01), atol=1e-12)
    net = ly.activation_mlp(13, hidden=(13,), activation="gelu", seed=0)
    np.testing.assert_allclose(np.asarray(net.layers[1](z)), A.gelu(z), atol=1e-7)
    net = ly.activation_mlp(13, hidden=(13,), activation="prelu", seed=0)
    np.testing.assert_array_equal(np.asarray(net.layers[1](z)), A.relu(z))  # PReLU starts at α = 0


def test_activation_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        ly.activation_mlp(8, activation="swish")
    with pytest.raises(ValueError, match="hidden"):
        ly.activation_mlp(8, hidden=(0,))


# ----------------------------------------------------------------------------------------------
# activation_sweep: many networks at once, equal to models.train arm by arm
# ----------------------------------------------------------------------------------------------
def _small_data():
    from course_lib.datasets import Dataset

    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return Dataset(x[:70], y[:70], x[70:], y[70:], 3)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu", "elu", "gelu", "maxout", "tanh"])
def test_activation_sweep_equals_keras_training_arm_by_arm(activation):
    from course_lib import models

    data = _small_data()
    sweep = ly.activation_sweep(
        data, activation, hidden=(5, 4), learning_rates=(0.05, 0.2), seeds=(3, 7), epochs=2, batch_size=16
    )
    assert sweep.loss.shape == (2, 2, 3) and not sweep.diverged.any()
    for i, seed in enumerate((3, 7)):
        for r, rate in enumerate((0.05, 0.2)):
            net = ly.activation_mlp(6, (5, 4), 3, activation, seed)
            history = models.train(
                net, data, epochs=2, batch_size=16, seed=seed, optimizer=keras.optimizers.SGD(learning_rate=rate)
            )
            for w_keras, w_sweep in zip(net.get_weights(), sweep.weights):
                np.testing.assert_allclose(
                    w_sweep[i, r], w_keras, rtol=0, atol=1e-8 if activation in ("gelu", "leaky_relu") else 1e-12
                )
            np.testing.assert_allclose(sweep.test_accuracy[i, r, 1:], history.test_accuracy)
            np.testing.assert_allclose(sweep.test_loss[i, r, 1:], history.test_loss, rtol=1e-8)
            np.testing.assert_allclose(sweep.model(i, r).get_weights()[0], net.get_weights()[0], atol=1e-8)


def test_activation_sweep_marks_diverged_arms_and_picks_the_best_rate():
    data = _small_data()
    sweep = ly.activation_sweep(data, "relu", hidden=(8,), learning_rates=(0.01, 0.1, 1e30), seeds=(0, 1), epochs=3)
    assert sweep.diverged[:, 2].all() and not sweep.diverged[:, :2].any()
    assert np.isnan(sweep.weights[0][:, 2]).all() and np.isfinite(sweep.weights[0][:, :2]).all()
    final = sweep.loss[:, :2, -1].mean(axis=0)
    assert sweep.best_rate() == int(np.argmin(final))
    with pytest.raises(ValueError, match="diverged"):
        sweep.model(0, 2)
    # a diverged arm does not change the others: the same arm alone gives the same weights
    alone = ly.activation_sweep(data, "relu", hidden=(8,), learning_rates=(0.1,), seeds=(1,), epochs=3)
    np.testing.assert_allclose(alone.weights[0][0, 0], sweep.weights[0][1, 1], rtol=0, atol=1e-13)


def test_activation_sweep_initial_weights_and_record_every():
    data = _small_data()
    first = ly.activation_sweep(data, "elu", hidden=(4,), learning_rates=(0.1,), seeds=(2,), epochs=2)
    both = ly.activation_sweep(data, "elu", hidden=(4,), learning_rates=(0.1,), seeds=(2,), epochs=4, record_every=2)
    assert both.loss.shape == (1, 1, 3)  # epochs 0, 2, 4
    every = ly.activation_sweep(data, "elu", hidden=(4,), learning_rates=(0.1,), seeds=(2,), epochs=4)
    some = ly.activation_sweep(
        data, "elu", hidden=(4,), learning_rates=(0.1,), seeds=(2,), epochs=4, record_epochs=(1,)
    )
    assert some.loss.shape == (1, 1, 3)  # epochs 0, 1, 4
    for field in ("loss", "train_accuracy", "test_loss", "test_accuracy"):
        np.testing.assert_array_equal(getattr(some, field), getattr(every, field)[:, :, [0, 1, 4]])
    np.testing.assert_allclose(both.loss, every.loss[:, :, [0, 2, 4]], rtol=0, atol=0)
    with pytest.raises(ValueError, match="record_epochs"):
        ly.activation_sweep(data, "elu", hidden=(4,), epochs=4, record_epochs=(5,))
    again = ly.activation_sweep(
        data, "elu", hidden=(4,), learning_rates=(0.1,), seeds=(2,), epochs=2, initial_weights=first.weights
    )
    # starting from given weights: epoch 0 evaluates exactly those weights
    assert again.loss[0, 0, 0] == pytest.approx(first.loss[0, 0, -1], rel=1e-12)


def test_activation_sweep_rejects_bad_arguments():
    data = _small_data()
    with pytest.raises(ValueError, match="activation"):
        ly.activation_sweep(data, "swish")
    with pytest.raises(ValueError, match="learning_rates"):
        ly.activation_sweep(data, "relu", learning_rates=(0.1, -1.0))
    with pytest.raises(ValueError, match="data"):
        ly.activation_sweep((1, 2), "relu")
