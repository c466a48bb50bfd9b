"""Tests for course_lib.bn_experiments: against networks.train, Keras + SGD, tf.GradientTape, finite
differences and closed forms."""

import numpy as np
import pytest

from course_lib import bn_experiments as bx
from course_lib import datasets, networks, normalization


@pytest.fixture(scope="module")
def small():
    d = datasets.digits()
    return datasets.Dataset(d.x_train[:120], d.y_train[:120], d.x_test[:60], d.y_test[:60], d.n_classes)


def test_without_normalization_a_sweep_is_networks_train(small):
    sizes, rates = [64, 16, 16, 10], [0.05, 0.3]
    result = bx.sweep(small, sizes, norm="none", activation="tanh", learning_rates=rates, seeds=[0, 1], epochs=2)
    for s in range(2):
        for r, rate in enumerate(rates):
            run = networks.train(networks.init(sizes, "tanh", s), small, rate, s, epochs=2)
            np.testing.assert_allclose(result.sweep.loss[0, s, r], run.loss, rtol=1e-12)
            np.testing.assert_allclose(result.net.W[0][2 * s + r], run.net[0].W, rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_a_batch_norm_network_trained_by_sgd_equals_keras(small):
    import keras
    import tensorflow as tf

    sizes, seed, rate, batch_size, epochs = [64, 16, 12, 10], 3, 0.2, 32, 2
    ours = bx.sweep(
        small, sizes, norm="batch", learning_rates=[rate], seeds=[seed], epochs=epochs, batch_size=batch_size
    )
    start = bx.init(sizes, [seed], norm="batch")
    layers = [keras.Input(shape=(64,))]
    for n in sizes[1:-1]:
        layers += [
            keras.layers.Dense(n, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
        ]
    layers.append(keras.layers.Dense(sizes[-1]))
    model = keras.Sequential(layers)
    weights = []
    for i in range(len(sizes) - 2):
        weights += [start.W[i][0], start.gamma[i][0], start.beta[i][0], np.zeros(sizes[i + 1]), np.ones(sizes[i + 1])]
    model.set_weights(weights + [start.W[-1][0], start.b[-1][0]])
    opt = keras.optimizers.SGD(learning_rate=rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y, rng = np.asarray(small.x_train, dtype=np.float64), np.asarray(small.y_train), np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for first in range(0, len(x), batch_size):
            idx = order[first : first + batch_size]
            with tf.GradientTape() as tape:
                loss = loss_fn(y[idx], model(x[idx], training=True))
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    keras_w = model.get_weights()
    net = ours.net
    for i in range(len(sizes) - 2):
        kernel, gamma, beta, mean, var = keras_w[5 * i : 5 * i + 5]
        np.testing.assert_allclose(net.W[i][0], kernel, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(net.gamma[i][0], gamma, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(net.beta[i][0], beta, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(net.running[i].mean[0], mean, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(net.running[i].var[0], var, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(net.W[-1][0], keras_w[-2], rtol=1e-9, atol=1e-10)
    inference = np.asarray(model(np.asarray(small.x_test, dtype=np.float64), training=False))
    np.testing.assert_allclose(bx.forward(net, small.x_test, training=False)[0][0], inference, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_gradients_equal_central_differences(norm):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(9, 5)), rng.integers(0, 3, size=9)
    net = bx.init([5, 4, 4, 3], [0, 1], norm=norm, activation="tanh")
    net = net._replace(
        gamma=[g + rng.normal(size=g.shape) * 0.3 for g in net.gamma],
        beta=[b + rng.normal(size=b.shape) * 0.3 for b in net.beta],
    )
    _, grads = bx.loss_and_grads(net, x, y)
    for group in ("W", "gamma", "beta", "b"):
        for i, param in enumerate(getattr(net, group)):
            for index in [
                (0,) + tuple(np.zeros(param.ndim - 1, dtype=int)),
                (1,) + tuple(np.ones(param.ndim - 1, dtype=int)),
            ]:
                h = 1e-6
                plus, minus = [p.copy() for p in getattr(net, group)], [p.copy() for p in getattr(net, group)]
                plus[i][index] += h
                minus[i][index] -= h
                numeric = (
                    bx.loss_and_grads(net._replace(**{group: plus}), x, y)[0]
                    - bx.loss_and_grads(net._replace(**{group: minus}), x, y)[0]
                )[index[0]] / (2 * h)
                analytic = getattr(grads, group)[i][index]
                if group == "b" and norm != "none" and i < len(net.b) - 1:
                    assert analytic == 0.0 and abs(numeric) < 1e-8  # a bias before a norm layer does nothing
                else:
                    assert abs(numeric - analytic) < 1e-7 * max(1.0, abs(analytic)), (group, i, index)


def test_layer_norm_network_gradient_equals_gradient_tape():
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    net = bx.init([5, 4, 3], [4], norm="layer", activation="relu")
    _, grads = bx.loss_and_grads(net, x, y)
    W1, g1, b1, W2, c2 = (
        tf.Variable(v) for v in (net.W[0][0], net.gamma[0][0], net.beta[0][0], net.W[1][0], net.b[1][0])
    )
    with tf.GradientTape() as tape:
        z = tf.constant(x) @ W1
        mean, var = tf.nn.moments(z, axes=[1], keepdims=True)
        a = tf.nn.relu(g1 * (z - mean) / tf.sqrt(var + normalization.KERAS_EPSILON) + b1)
        J = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, a @ W2 + c2))
    tape_grads = tape.gradient(J, [W1, g1, b1, W2, c2])
    ours = [grads.W[0][0], grads.gamma[0][0], grads.beta[0][0], grads.W[1][0], grads.b[1][0]]
    for a, b in zip(ours, tape_grads):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-12)


def test_scale_invariance_and_effective_rate(small):
    inv = bx.scale_invariance(small, [64, 16, 10], seed=0, scales=[2.0, 50.0])
    np.testing.assert_allclose(inv["grad_ratio"], 1.0, atol=2e-3)  # ε = 1e-3 breaks exactness
    assert np.all(inv["cosine"] < 1e-3) and np.all(inv["output"] < 1e-2)
    eff = bx.effective_rate_run(small, [64, 16, 10], seeds=[0], learning_rate=0.5, epochs=1)
    np.testing.assert_allclose(eff["growth"], eff["predicted_growth"], rtol=0.02)
    assert np.all(np.diff(eff["norm2"][0]) > 0)  # the weights only grow


def test_batch_stat_noise_matches_sampling_without_replacement():
    z = np.random.default_rng(0).normal(size=(400, 3))
    mean_sd, std_sd = bx.batch_stat_noise(z, [4, 100, 400], draws=600, seed=1)
    theory = np.sqrt((400 - np.array([4, 100])) / (np.array([4, 100]) * 399))
    np.testing.assert_allclose(mean_sd[:2], theory, rtol=0.1)
    assert mean_sd[2] < 1e-12 and std_sd[2] < 1e-12  # the whole set every time


def test_single_example_batch_gives_no_gradient_to_weights():
    net = bx.init([5, 4, 3], [0], norm="batch")
    _, grads = bx.loss_and_grads(net, np.ones((1, 5)), np.array([1]))
    assert np.all(grads.W[0] == 0)


def test_running_gap_and_shift_shapes_and_modes(small):
    at, run, batch = bx.running_gap(small, [64, 16, 10], [0, 1], learning_rate=0.1, steps=6, eval_every=3)
    np.testing.assert_array_equal(at, [0, 3, 6])
    assert run.shape == batch.shape == (2, 3)
    net = bx.init([64, 16, 10], [0], norm="layer")
    acc = bx.shift_accuracy(net, small, [1.0, 3.0])
    np.testing.assert_allclose(acc[:, 0], acc[:, 1])  # layer norm, bias-free first layer: scale-invariant


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda d: bx.init([4, 3, 2], [0], norm="group"), "norm"),
        (lambda d: bx.sweep(d, [64, 10], learning_rates=[-1.0], seeds=[0]), "learning_rates"),
        (lambda d: bx.sweep(d, [64, 10], learning_rates=[0.1], seeds=[0], epochs=0), "epochs"),
        (lambda d: bx.sweep("digits", [64, 10], learning_rates=[0.1], seeds=[0]), "data"),
        (lambda d: bx.batch_stat_noise(np.ones((5, 2)), [1], 3, 0), "batch_sizes"),
    ],
)
def test_bad_arguments_name_the_parameter(small, call, match):
    with pytest.raises(ValueError, match=match):
        call(small)


def test_batch_norm_sweep_equals_the_network_modules_sweep(small):
    # networks.sweep(batch_norm=True) keeps the Dense bias before BN (zero gradient); ours has none
    kwargs = dict(learning_rates=[0.1, 1.0], seeds=[0, 1], epochs=2, validation=0.2, initializer="he_normal")
    for use_bn in (False, True):
        theirs = networks.sweep(small, [64, 16, 16, 10], batch_norm=use_bn, **kwargs)
        ours = bx.sweep(small, [64, 16, 16, 10], norm="batch" if use_bn else "none", **kwargs).sweep
        for field in ("loss", "val_loss", "test_loss", "test_accuracy"):
            np.testing.assert_allclose(getattr(ours, field), getattr(theirs, field), rtol=1e-10, atol=1e-12)


def test_reestimate_gives_the_population_statistics_and_equals_training_mode_on_that_batch(small):
    net = bx.init([64, 16, 12, 10], [0, 1], norm="batch", initializer="he_normal")
    x = np.asarray(small.x_train, dtype=float)
    precise = bx.reestimate(net, x)
    _, cache = bx.forward(net, x, training=True)
    for r, c in zip(precise.running, cache[:-1]):
        np.testing.assert_allclose(r.mean, c[1].mean(axis=-2), rtol=1e-12)
        np.testing.assert_allclose(r.var, c[1].var(axis=-2), rtol=1e-12)
    # inference with the re-estimated statistics = training mode on the same batch (same eps)
    np.testing.assert_allclose(bx.forward(precise, x, False)[0], bx.forward(net, x, True)[0], rtol=1e-9, atol=1e-12)
    assert bx.reestimate(bx.init([64, 16, 10], [0], norm="none"), x).running[0].var.max() == 1.0
    assert all(np.all(r.var == 1) for r in net.running)  # the input stack is not changed


def test_sweep_records_the_epoch_loss_and_the_reestimated_scores(small):
    kwargs = dict(learning_rates=[0.1, 0.5], seeds=[0, 1], epochs=3, batch_size=40, validation=0.2)
    plain = bx.sweep(small, [64, 16, 16, 10], norm="batch", **kwargs)
    both = bx.sweep(small, [64, 16, 16, 10], norm="batch", reestimate=True, **kwargs)
    assert plain.reestimated is None and plain.epoch_loss.shape == (2, 2, 3)
    np.testing.assert_array_equal(plain.sweep.loss, both.sweep.loss)  # the training is unchanged
    np.testing.assert_array_equal(plain.epoch_loss, both.epoch_loss)
    sets = bx._split(small, 0.2)
    (x, y), (xv, yv) = sets[0], sets[1]
    precise = bx.reestimate(both.net, x)
    J, acc = bx._scores(precise, xv, yv)
    np.testing.assert_allclose(both.reestimated.val_loss[0, :, :, -1].ravel(), J, rtol=1e-12)
    np.testing.assert_allclose(both.reestimated.val_accuracy[0, :, :, -1].ravel(), acc)
    # the epoch loss is the size-weighted mean of the mini-batch losses: one epoch at one rate by hand
    one = bx.sweep(
        small, [64, 16, 16, 10], norm="batch", learning_rates=[0.1], seeds=[0], epochs=1, batch_size=40, validation=0.2
    )
    net, order, total = bx.init([64, 16, 16, 10], [0], norm="batch"), np.random.default_rng(0).permutation(len(x)), 0.0
    for first in range(0, len(x), 40):
        rows = order[first : first + 40]
        J, grads = bx._loss_and_grads_cached(net, x[rows], y[rows])
        net, _ = bx._advance(net, grads, J, np.array([0.1]), np.ones(1, bool), normalization.KERAS_MOMENTUM)
        total += J[0] * len(rows)
    np.testing.assert_allclose(one.epoch_loss[0, 0, 0], total / len(x), rtol=1e-12)
