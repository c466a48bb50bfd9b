"""Tests for course_lib.networks: forward/backward and hvp against tf.GradientTape, Keras round trips, sweeps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib import datasets, initializers, losses, models, normalization
from course_lib import networks as N


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


KERAS_LOSS = {
    "cross_entropy": lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    "mse": lambda: keras.losses.MeanSquaredError(),
}


def _problem(loss, m=16, n_in=5, n_out=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, n_in))
    y = rng.integers(0, n_out, size=m) if loss == "cross_entropy" else rng.standard_normal((m, n_out))
    return x, y


def _tape(model, x, y, loss):
    """Value, gradient, dense Hessian by tf.GradientTape (models.NetworkLoss, eager)."""
    return models.NetworkLoss(model, x, y, KERAS_LOSS[loss](), compile=False)


# TensorFlow's own float64 Gelu kernel (tf.nn.gelu, approximate=False) is off by up to ~5e-9 from
# 0.5 x erfc(−x/√2) (which scipy and TF's erfc agree on to 1e-16), so GELU is compared at 1e-7.
ACTIVATION_TOL = [("tanh", 1e-10), ("sigmoid", 1e-10), ("relu", 1e-10), ("softplus", 1e-10), ("elu", 1e-10)]


# --------------------------------------------------------------------------------------------------
# forward, backward, losses
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation, atol", ACTIVATION_TOL + [("gelu", 1e-7)])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_forward_and_backward_match_gradient_tape(activation, atol, loss):
    model = _keras_mlp([5, 7, 6, 4], activation, seed=1)
    x, y = _problem(loss)
    net = N.from_keras(model)
    fwd = N.forward(net, x)
    np.testing.assert_allclose(fwd.output, model(x).numpy(), rtol=0, atol=atol)
    value, grads = N.loss_and_gradients(net, x, y, loss)
    tape = _tape(model, x, y, loss)
    assert abs(value - tape.value()) < atol / 10
    np.testing.assert_allclose(N.flatten(grads), tape.grad(), rtol=0, atol=atol)


def test_forward_keeps_every_layer_and_backward_every_delta():
    net = N.init([3, 4, 5, 2], activation="tanh", seed=2)
    x = np.random.default_rng(1).standard_normal((6, 3))
    fwd = N.forward(net, x)
    assert len(fwd.z) == 3 and len(fwd.a) == 4
    np.testing.assert_array_equal(fwd.a[0], x)
    for i, layer in enumerate(net):  # a_{i+1} = φ(z_{i+1}), z_{i+1} = a_i W + b
        np.testing.assert_allclose(fwd.z[i], fwd.a[i] @ layer.W + layer.b, atol=1e-15)
    np.testing.assert_allclose(fwd.a[1], np.tanh(fwd.z[0]), atol=1e-15)
    np.testing.assert_array_equal(fwd.output, fwd.a[3])
    y = np.array([0, 1, 1, 0, 1, 0])
    _, g = N.output_loss(fwd.output, y)
    back = N.backward(net, fwd, g)
    np.testing.assert_allclose(back.delta[2], g, atol=1e-15)  # linear output: δ_L = g_L
    # δ_k = (δ_{k+1} W_{k+1}ᵀ) ⊙ tanh'(z_k), and ∂J/∂b_k = Σ_rows δ_k
    np.testing.assert_allclose(back.delta[1], (back.delta[2] @ net[2].W.T) * (1 - np.tanh(fwd.z[1]) ** 2), atol=1e-15)
    np.testing.assert_allclose(back.grads[0][1], back.delta[0].sum(axis=0), atol=1e-15)


def test_gradients_match_central_finite_differences():
    net = [l._replace(b=l.b + 0.1) for l in N.init([4, 5, 3], activation="tanh", seed=3)]
    x, y = _problem("cross_entropy", m=9, n_in=4, n_out=3, seed=2)
    obj = N.Objective(net, x, y)
    theta = N.flatten(net)
    eps, eye = 1e-6, np.eye(theta.size)
    numeric = np.array([(obj.value(theta + eps * e) - obj.value(theta - eps * e)) / (2 * eps) for e in eye])
    np.testing.assert_allclose(obj.grad(theta), numeric, rtol=0, atol=1e-9)


def test_output_loss_uses_course_lib_losses():
    rng = np.random.default_rng(4)
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    value, g = N.output_loss(logits, labels)
    assert value == losses.cross_entropy(logits, labels)
    np.testing.assert_array_equal(g, losses.cross_entropy_grad(logits, labels))
    # all-zero logits: J = log K, g = (1/K − onehot)/m
    value, g = N.output_loss(np.zeros((2, 4)), np.array([0, 3]), "sparse_categorical_crossentropy")
    assert abs(value - np.log(4)) < 1e-15
    np.testing.assert_allclose(g, (np.full((2, 4), 0.25) - np.eye(4)[[0, 3]]) / 2)
    value, g = N.output_loss(np.array([[1.0, 2.0]]), np.zeros((1, 2)), "mean_squared_error")
    assert value == 2.5
    np.testing.assert_allclose(g, [[1.0, 2.0]])


def test_stacked_networks_equal_each_network():
    nets = [N.init([3, 4, 2], "sigmoid", seed=s) for s in range(3)]
    stack = [
        N.Dense(np.stack([n[i].W for n in nets]), np.stack([n[i].b for n in nets]), nets[0][i].activation)
        for i in range(2)
    ]
    x = np.random.default_rng(5).standard_normal((3, 7, 3))
    fwd = N.forward(stack, x)
    g = np.random.default_rng(6).standard_normal(fwd.output.shape)
    grads = N.backward(stack, fwd, g).grads
    for a, net in enumerate(nets):
        one = N.forward(net, x[a])
        np.testing.assert_allclose(fwd.output[a], one.output, atol=1e-15)
        np.testing.assert_allclose(N.flatten(grads)[a], N.flatten(N.backward(net, one, g[a]).grads), atol=1e-15)
    # one activation per network of a stack
    mixed = [
        layer._replace(activation=("sigmoid", "tanh", "tanh")) if i == 0 else layer for i, layer in enumerate(stack)
    ]
    np.testing.assert_allclose(N.forward(mixed, x).a[1][1], np.tanh(x[1] @ nets[1][0].W), atol=1e-15)


# --------------------------------------------------------------------------------------------------
# init, flatten, Keras
# --------------------------------------------------------------------------------------------------
def test_init_draws_through_the_initializers():
    net = N.init([64, 32, 10], activation="relu", seed=0)
    rng = np.random.default_rng(0)
    expected = [initializers.glorot_uniform((64, 32), rng), initializers.glorot_uniform((32, 10), rng)]
    for layer, W in zip(net, expected):
        np.testing.assert_array_equal(layer.W, W)
        assert np.all(layer.b == 0)
    assert [l.activation for l in net] == ["relu", "linear"]
    assert np.all(np.abs(net[0].W) <= np.sqrt(6 / 96))
    he = N.init([64, 32, 10], "relu", seed=0, initializer="he_normal", output_activation="sigmoid")
    np.testing.assert_array_equal(he[0].W, initializers.he_normal((64, 32), np.random.default_rng(0)))
    assert he[1].activation == "sigmoid"
    ones = N.init([2, 3], seed=0, initializer=lambda shape, rng: np.ones(shape))  # a callable f(shape, rng)
    np.testing.assert_array_equal(ones[0].W, np.ones((2, 3)))


def test_flatten_order_is_keras_trainable_variables_and_unflatten_inverts():
    model = _keras_mlp([3, 5, 2], "tanh", seed=7)
    net = N.from_keras(model)
    theta = N.flatten(net)
    np.testing.assert_array_equal(theta, models.flat_weights(model))
    np.testing.assert_array_equal(theta, np.concatenate([v.numpy().ravel() for v in model.trainable_variables]))
    assert theta.size == N.n_params(net) == model.count_params() == 3 * 5 + 5 + 5 * 2 + 2
    back = N.unflatten(theta, like=net)
    for a, b in zip(net, back):
        np.testing.assert_array_equal(a.W, b.W)
        np.testing.assert_array_equal(a.b, b.b)
        assert a.activation == b.activation


def test_keras_round_trip():
    net = [l._replace(b=l.b + 0.3) for l in N.init([4, 6, 3], activation="elu", seed=8)]
    model = N.to_keras(net)
    assert [layer.name for layer in model.layers] == ["dense_1", "dense_2"]
    x = np.random.default_rng(7).standard_normal((5, 4))
    np.testing.assert_allclose(model(x).numpy(), N.forward(net, x).output, rtol=0, atol=1e-14)
    again = N.from_keras(model)
    np.testing.assert_array_equal(N.flatten(again), N.flatten(net))
    assert [l.activation for l in again] == ["elu", "linear"]


def test_from_keras_rejects_unsupported_models():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="leaky_relu")])
    with pytest.raises(ValueError, match="model's Dense activations"):
        N.from_keras(model)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dropout(0.1), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="model must contain only Dense layers"):
        N.from_keras(model)
    with pytest.raises(ValueError, match="net's activations must be in"):
        N.to_keras(N.init([2, 3, 2], "abs"))


# --------------------------------------------------------------------------------------------------
# curvature: hvp against the dense Hessian of tf.GradientTape
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation, atol", ACTIVATION_TOL + [("gelu", 1e-7)])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_hvp_matches_dense_hessian_of_gradient_tape(activation, atol, loss):
    model = _keras_mlp([4, 5, 3], activation, seed=9)
    x, y = _problem(loss, m=11, n_in=4, n_out=3, seed=3)
    H = _tape(model, x, y, loss).hessian()  # the tape's Jacobian of the gradient, P × P
    net = N.from_keras(model)
    rng = np.random.default_rng(8)
    for v in [rng.standard_normal(H.shape[0]) for _ in range(3)]:
        np.testing.assert_allclose(N.hvp(net, x, y, v, loss), H @ v, rtol=0, atol=atol)
    np.testing.assert_allclose(N.Objective(net, x, y, loss).hessian(N.flatten(net)), H, rtol=0, atol=atol)


@pytest.mark.parametrize("activation", ["tanh", "gelu", "leaky_relu", "abs", "sigmoid"])
def test_objective_hvp_is_linear_symmetric_and_matches_gradient_differences(activation):
    net = N.init([6, 8, 4], activation, seed=10)
    x, y = _problem("cross_entropy", m=20, n_in=6, n_out=4, seed=4)
    obj = N.Objective(net, x, y)
    theta = N.flatten(net) + 0.1
    rng = np.random.default_rng(9)
    u, v = rng.standard_normal((2, obj.dim))
    np.testing.assert_allclose(obj.hvp(theta, 2 * u + v), 2 * obj.hvp(theta, u) + obj.hvp(theta, v), atol=1e-13)
    assert abs(u @ obj.hvp(theta, v) - v @ obj.hvp(theta, u)) < 1e-12  # ∇² J symmetric
    eps = 1e-5
    numeric = (obj.grad(theta + eps * v) - obj.grad(theta - eps * v)) / (2 * eps)
    np.testing.assert_allclose(obj.hvp(theta, v), numeric, rtol=0, atol=1e-8)


def test_objective_reuses_the_forward_pass_only_at_the_same_theta():
    net = N.init([5, 6, 3], "tanh", seed=12)
    x, y = _problem("cross_entropy", m=10, n_in=5, n_out=3, seed=6)
    obj = N.Objective(net, x, y)
    theta = N.flatten(net) + 0.2
    v = np.random.default_rng(10).standard_normal(obj.dim)
    first = obj.hvp(theta, v)
    theta += 0.3  # changed in place: the cached forward pass must not be used
    np.testing.assert_array_equal(obj.hvp(theta, v), N.hvp(N.unflatten(theta, net), x, y, v))
    assert not np.allclose(first, obj.hvp(theta, v))
    batched = N.hvp(N.unflatten(theta, net), x, y, np.stack([v, 2 * v]))  # K directions at once
    np.testing.assert_allclose(batched, [obj.hvp(theta, v), 2 * obj.hvp(theta, v)], rtol=0, atol=1e-15)


def test_layer_jacobians_product_equals_backward():
    """The product g_L (∂a_L/∂a_{L−1}) ⋯ (∂a_k/∂θ_k) for one example equals backward()."""
    net = N.init([3, 4, 5, 2], activation="sigmoid", seed=4)
    x, y = np.array([0.3, -1.2, 0.8]), np.array([1])
    fwd = N.forward(net, x[None, :])
    _, g = N.output_loss(fwd.output, y)
    grads = N.backward(net, fwd, g).grads
    J_a, J_theta = N.layer_jacobians(net, x)
    for k in range(len(net)):
        M = g[0]
        for j in range(len(net) - 1, k, -1):
            M = M @ J_a[j]
        np.testing.assert_allclose(M @ J_theta[k], np.concatenate([grads[k][0].ravel(), grads[k][1]]), atol=1e-14)
    model = N.to_keras(net)
    x_t = tf.constant(x[None, :])
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        h = model.layers[0](x_t)
    np.testing.assert_allclose(J_a[0], tape.jacobian(h, x_t).numpy()[0, :, 0, :], atol=1e-14)


def test_objective_at_is_the_loss_on_the_subset():
    model = _keras_mlp([5, 6, 3], "tanh", seed=11)
    x, y = _problem("cross_entropy", m=30, n_in=5, n_out=3, seed=5)
    obj = N.Objective(N.from_keras(model), x, y)
    batch = np.array([3, 17, 4, 29, 3])
    sub = obj.at(batch)
    assert sub.m == 5 and sub.dim == obj.dim
    theta = models.flat_weights(model)
    tape = _tape(model, x[batch], y[batch], "cross_entropy")
    assert abs(sub.value(theta) - tape.value()) < 1e-12
    np.testing.assert_allclose(sub.grad(theta), tape.grad(), atol=1e-12)
    # the full objective is the mean of the one-example objectives
    each = np.mean([obj.at(np.array([i])).value(theta) for i in range(obj.m)])
    assert abs(each - obj.value(theta)) < 1e-13


# --------------------------------------------------------------------------------------------------
# sweeps
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_digits():
    data = datasets.digits()
    return datasets.Dataset(data.x_train[:300], data.y_train[:300], data.x_test[:100], data.y_test[:100], 10)


FIELDS = ("loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


@pytest.mark.parametrize("loss, momentum", [("cross_entropy", 0.0), ("mse", 0.9)])
def test_sweep_equals_the_arms_run_one_by_one(small_digits, loss, momentum):
    rates, seeds, acts = [0.05, 0.5, 1e6], [3, 7], ("tanh", "relu")
    result = N.sweep(
        small_digits,
        [64, 12, 10],
        learning_rates=rates,
        seeds=seeds,
        activations=acts,
        epochs=3,
        batch_size=25,
        momentum=momentum,
        loss=loss,
        validation=0.2,
    )
    assert result.loss.shape == (2, 2, 3, 4) and result.diverged.shape == (2, 2, 3)
    np.testing.assert_array_equal(result.epochs, [0, 1, 2, 3])
    assert result.diverged[1, :, 2].all() and not result.diverged[:, :, 0].any()  # η = 1e6 diverges, quietly
    for v, act in enumerate(acts):
        for s, seed in enumerate(seeds):
            for r, rate in enumerate(rates):
                net = N.init([64, 12, 10], act, seed)
                run = N.train(
                    net, small_digits, rate, seed, epochs=3, batch_size=25, momentum=momentum, loss=loss, validation=0.2
                )
                assert run.diverged == result.diverged[v, s, r]
                for field in FIELDS:
                    np.testing.assert_allclose(
                        getattr(result, field)[v, s, r], getattr(run, field), rtol=1e-12, atol=1e-12
                    )
                theta = N.flatten(run.net)  # to 1e-12 of the parameters' scale (η = 1e6 magnifies round-off)
                scale = max(1.0, np.nanmax(np.abs(theta), initial=0.0))
                np.testing.assert_allclose(N.flatten(result.params[v])[s, r], theta, rtol=0, atol=1e-12 * scale)
    # paired: the same seed, the same start whatever the rate and the activation (record 0)
    np.testing.assert_array_equal(result.loss[0, :, :, 0], result.loss[0, :, :1, 0].repeat(3, axis=1))


@pytest.mark.parametrize(
    "loss, momentum, smoothing, scale",
    [("softmax_mse", 0.9, 0.0, 3.0), ("cross_entropy", 0.5, 0.1, 1.0), ("mse", 0.0, 0.0, 20.0)],
)
def test_sweep_with_output_losses_and_scaled_init_equals_the_arms_run_one_by_one(
    small_digits, loss, momentum, smoothing, scale
):
    rates, seeds = [0.05, 0.5], [3, 7]
    options = dict(epochs=3, batch_size=25, momentum=momentum, loss=loss, label_smoothing=smoothing, validation=60)
    result = N.sweep(small_digits, [64, 12, 10], learning_rates=rates, seeds=seeds, output_scale=scale, **options)
    for s, seed in enumerate(seeds):
        for r, rate in enumerate(rates):
            run = N.train(N.init([64, 12, 10], "relu", seed, output_scale=scale), small_digits, rate, seed, **options)
            assert run.diverged == result.diverged[0, s, r]
            for field in FIELDS:
                np.testing.assert_allclose(getattr(result, field)[0, s, r], getattr(run, field), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(N.flatten(result.params[0])[s, r], N.flatten(run.net), rtol=1e-12, atol=1e-12)


def _keras_loss(loss, smoothing):
    """The Keras loss of integer labels y and logits z that N.train's ``loss``, ``label_smoothing`` name."""
    if loss == "softmax_mse":
        return lambda y, z: keras.losses.MeanSquaredError()(tf.one_hot(y, 10, dtype=z.dtype), tf.nn.softmax(z))
    xent = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    return lambda y, z: xent(tf.one_hot(y, 10, dtype=z.dtype), z)


@pytest.mark.parametrize("loss, smoothing, scale", [("softmax_mse", 0.0, 4.0), ("cross_entropy", 0.2, 1.0)])
def test_train_with_output_losses_equals_keras_sgd(small_digits, loss, smoothing, scale):
    """softmax-MSE, label smoothing and a scaled output layer against Keras SGD + tf.GradientTape."""
    net = N.init([64, 16, 10], "tanh", seed=2, output_scale=scale)
    run = N.train(net, small_digits, 0.3, seed=2, epochs=2, momentum=0.5, loss=loss, label_smoothing=smoothing)
    model = N.to_keras(net)
    sgd = keras.optimizers.SGD(0.3, momentum=0.5)
    history = models.train(
        model, small_digits, epochs=2, batch_size=32, seed=2, optimizer=sgd, loss=_keras_loss(loss, smoothing)
    )
    np.testing.assert_allclose(N.flatten(run.net), models.flat_weights(model), rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.test_loss[1:], history.test_loss, rtol=0, atol=1e-12)


def test_output_scale_multiplies_the_last_layer_only_and_validation_counts_rows(small_digits):
    plain, scaled = N.init([5, 4, 3, 2], "relu", seed=9), N.init([5, 4, 3, 2], "relu", seed=9, output_scale=7.0)
    for k in range(2):
        np.testing.assert_array_equal(plain[k].W, scaled[k].W)
    np.testing.assert_array_equal(7.0 * plain[2].W, scaled[2].W)
    assert not scaled[2].b.any()
    # validation=60 (rows) is validation=0.2 of the 300 rows: the same run
    net = N.init([64, 8, 10], "relu", 1)
    by_rows = N.train(net, small_digits, 0.1, 1, epochs=1, validation=60)
    by_fraction = N.train(net, small_digits, 0.1, 1, epochs=1, validation=0.2)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(by_rows, field), getattr(by_fraction, field))


def test_output_loss_softmax_mse_and_smoothing_are_course_lib_losses():
    rng = np.random.default_rng(6)
    z, y = rng.normal(size=(9, 4)), rng.integers(0, 4, size=9)
    value, g = N.output_loss(z, y, "softmax_mse")
    assert value == losses.softmax_mean_squared_error(z, y)
    np.testing.assert_array_equal(g, losses.softmax_mean_squared_error_grad(z, y))
    value, g = N.output_loss(z, y, label_smoothing=0.2)
    assert value == losses.cross_entropy(z, y, 0.2)
    np.testing.assert_array_equal(g, losses.cross_entropy_grad(z, y, 0.2))


def test_train_equals_models_train_on_the_same_network(small_digits):
    """One arm = Keras SGD with the batches of models.train (an independent implementation)."""
    net = N.init([64, 16, 10], "tanh", seed=5)
    run = N.train(net, small_digits, 0.1, seed=5, epochs=2, batch_size=32, momentum=0.5)
    model = N.to_keras(net)
    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    sgd = keras.optimizers.SGD(0.1, momentum=0.5)
    history = models.train(model, small_digits, epochs=2, batch_size=32, seed=5, optimizer=sgd, loss=xent)
    np.testing.assert_allclose(N.flatten(run.net), models.flat_weights(model), rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.test_accuracy[1:], history.test_accuracy, atol=0)
    np.testing.assert_allclose(run.test_loss[1:], history.test_loss, rtol=0, atol=1e-12)


def test_best_rates_picks_the_lowest_mean_validation_loss(small_digits):
    result = N.sweep(
        small_digits,
        [64, 8, 10],
        learning_rates=[0.001, 0.05, 1e3],
        seeds=[0, 1],
        epochs=2,
        validation=0.25,
        loss="mse",
    )
    final = result.val_loss[..., -1].mean(axis=1)  # (V, R), NaN where diverged
    assert result.diverged[0, :, 2].all()
    np.testing.assert_array_equal(N.best_rates(result), [np.nanargmin(final[0])])
    np.testing.assert_array_equal(
        N.best_rates(result, "val_accuracy"), [np.nanargmax(result.val_accuracy[0, :, :, -1].mean(axis=0))]
    )
    with pytest.raises(ValueError, match="metric must be one of"):
        N.best_rates(result, "accuracy")
    all_bad = result._replace(diverged=np.ones_like(result.diverged))
    with pytest.raises(ValueError, match="every learning rate"):
        N.best_rates(all_bad)


# --------------------------------------------------------------------------------------------------
# bad inputs
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: N.init([3]), "sizes must be"),
        (lambda: N.init([3, 0]), "sizes must be"),
        (lambda: N.init([3, 2], activation="swish"), "activation must be"),
        (lambda: N.init([3, 2], output_activation="softmax"), "output_activation must be"),
        (lambda: N.init([3, 2], initializer="zeros"), "initializer must be one of"),
        (lambda: N.init([3, 2], seed=-1), "seed must be"),
        (lambda: N.init([3, 2], initializer=lambda shape, rng: np.ones(2)), "initializer must return"),
        (lambda: N.forward([], np.zeros((1, 3))), "net must be a non-empty list"),
        (lambda: N.forward([(np.zeros((3, 2)), np.zeros(2), "tanh")], np.zeros((1, 3))), r"net\[0\] must be a Dense"),
        (
            lambda: N.forward([N.Dense(np.zeros((3, 2)), np.zeros(3), "tanh")], np.zeros((1, 3))),
            r"net\[0\] must have W",
        ),
        (lambda: N.forward(N.init([3, 2, 2]) + N.init([3, 2]), np.zeros((1, 3))), r"net\[2\].W must have 2 rows"),
        (lambda: N.forward(N.init([3, 2]), np.zeros((1, 4))), "x must have shape"),
        (
            lambda: N.forward([N.Dense(np.zeros((2, 3, 2)), np.zeros((2, 2)), ("tanh",))], np.zeros((1, 3))),
            "one activation per",
        ),
        (
            lambda: N.forward([N.Dense(np.zeros((2, 3, 2)), np.zeros((2, 2)), ("tanh", "swish"))], np.zeros((1, 3))),
            "activation must",
        ),
        (lambda: N.forward([N.Dense(np.zeros((3, 2)), np.zeros(2), ["tanh"])], np.zeros((1, 3))), "activation must"),
        (
            lambda: N.backward(N.init([3, 2]), N.forward(N.init([3, 2]), np.zeros((1, 3))), np.zeros((2, 2))),
            "dJ_doutput",
        ),
        (lambda: N.output_loss(np.zeros((2, 3)), np.array([0, 3])), "labels must be integers"),
        (lambda: N.output_loss(np.zeros((2, 3)), np.zeros((2, 2)), "mse"), "y must have the shape"),
        (lambda: N.output_loss(np.zeros((2, 3)), np.array([0, 1]), "hinge"), "loss must be one of"),
        (lambda: N.flatten([]), "params must be"),
        (lambda: N.unflatten(np.zeros(5), N.init([3, 2])), "theta must have shape"),
        (lambda: N.hvp(N.init([3, 2]), np.zeros((1, 3)), [0], np.zeros(7)), "v must have shape"),
        (lambda: N.layer_jacobians(N.init([3, 2]), np.zeros((1, 3))), "x must be a single example"),
        (lambda: N.Objective(N.init([3, 2]), np.zeros((2, 3)), [0]), "y must have as many rows"),
        (lambda: N.Objective(N.init([3, 2]), np.zeros((2, 3)), [0, 1]).at(np.array([2])), "batch must hold"),
        (lambda: N.Objective(N.init([3, 2]), np.zeros((2, 3)), [0, 1]).at([0.5]), "batch must be"),
        (lambda: N.Objective(N.init([3, 2]), np.zeros((2, 3)), [0, 1]).hvp(np.zeros(8), np.zeros(7)), "v must have"),
        (lambda: N.init([3, 2], output_scale=0.0), "output_scale must be"),
        (lambda: N.output_loss(np.zeros((2, 3)), np.zeros((2, 3)), "mse", label_smoothing=0.1), "label_smoothing"),
        (lambda: N.output_loss(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=1.0), "label_smoothing must be"),
        (lambda: N.hvp(N.init([3, 2]), np.zeros((1, 3)), [0], np.zeros(8), "softmax_mse"), "for curvature"),
        (lambda: N.Objective(N.init([3, 2]), np.zeros((2, 3)), [0, 1], "softmax_mse"), "for curvature"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rates=[]), "learning_rates must be"),
        (dict(learning_rates=[-0.1]), "learning_rates must be"),
        (dict(seeds=[]), "seeds must not be empty"),
        (dict(seeds=[-1]), "seeds must be"),
        (dict(activations=("swish",)), "activations must be"),
        (dict(epochs=0), "epochs must be"),
        (dict(batch_size=0), "batch_size must be"),
        (dict(momentum=1.0), "momentum must be"),
        (dict(loss="hinge"), "loss must be one of"),
        (dict(validation=1.0), "validation must be"),
        (dict(validation=-3), "validation must be"),
        (dict(label_smoothing=0.1, loss="mse"), "label_smoothing applies"),
        (dict(output_scale=-1.0), "output_scale must be"),
        (dict(record_every=0), "record_every must be"),
        (dict(sizes=[63, 10]), "sizes must start with 64"),
        (dict(data=(1, 2)), "data must be a course_lib.datasets.Dataset"),
    ],
)
def test_sweep_bad_arguments_raise(small_digits, kwargs, match):
    args = dict(data=small_digits, sizes=[64, 10], learning_rates=[0.1], seeds=[0]) | kwargs
    with pytest.raises(ValueError, match=match):
        N.sweep(args.pop("data"), args.pop("sizes"), **args)


# --------------------------------------------------------------------------------------------------
# optimizers of train and sweep (Keras 3's rules, batched over the arm axis)
# --------------------------------------------------------------------------------------------------
# Hyperparameters exact in float32 (Keras rounds some through float32: keras_compat.FLOAT32_NOTES),
# so that one arm equals Keras to round-off; Keras's defaults are checked apart, more loosely.
B1, B2 = 0.875, 1 - 2**-10
OPTIMIZER_CASES = [
    ("sgd", {"momentum": 0.875, "nesterov": True}, 0.05),
    ("sgd", {"momentum": 0.5, "weight_decay": 2**-7}, 0.05),
    ("rmsprop", {"rho": 0.875}, 0.002),
    ("rmsprop", {"rho": 0.875, "momentum": 0.5, "centered": True, "epsilon": 2**-20}, 0.001),
    ("adam", {"beta_1": B1, "beta_2": B2}, 0.003),
    ("adam", {"beta_1": B1, "beta_2": B2, "amsgrad": True, "epsilon": 2**-10}, 0.003),
    ("adamw", {"beta_1": B1, "beta_2": B2, "weight_decay": 2**-4}, 0.003),
    ("nadam", {"beta_1": B1, "beta_2": B2}, 0.003),
    ("adagrad", {"initial_accumulator_value": 0.125}, 0.05),
    ("lion", {"beta_1": B1, "beta_2": 0.984375, "weight_decay": 2**-5}, 0.001),
]


def _keras_run(net, data, name, rate, options, seed, epochs=2):
    """Keras's optimizer (built first, as fit does) on to_keras(net), with models.train's batches."""
    model = N.to_keras(net)
    optimizer = N.keras_optimizer(name, rate, options)
    optimizer.build(model.trainable_variables)
    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    history = models.train(model, data, epochs=epochs, batch_size=32, seed=seed, optimizer=optimizer, loss=xent)
    return models.flat_weights(model), history


@pytest.mark.parametrize("name, options, rate", OPTIMIZER_CASES)
def test_train_with_each_optimizer_equals_keras(small_digits, name, options, rate):
    net = N.init([64, 16, 10], "tanh", seed=5)
    run = N.train(net, small_digits, rate, seed=5, epochs=2, optimizer=name, optimizer_options=options)
    theta, history = _keras_run(net, small_digits, name, rate, options, seed=5)
    assert np.abs(N.flatten(run.net) - N.flatten(net)).max() > 100 * rate * 1e-3  # it moved
    np.testing.assert_allclose(N.flatten(run.net), theta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.test_loss[1:], history.test_loss, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name, rate", [("adam", 0.003), ("adagrad", 0.05), ("sgd", 0.05)])
def test_train_with_keras_defaults_agrees_to_float32_rounding(small_digits, name, rate):
    """Keras's defaults (β₂ = 0.999, an accumulator 0.1, μ = 0.9) go through float32 in Keras: ~1e-7."""
    options = {"momentum": 0.9, "nesterov": True} if name == "sgd" else None
    net = N.init([64, 16, 10], "relu", seed=1)
    run = N.train(net, small_digits, rate, seed=1, epochs=2, optimizer=name, optimizer_options=options)
    theta, _ = _keras_run(net, small_digits, name, rate, options, seed=1)
    error = np.abs(N.flatten(run.net) - theta).max()
    assert 1e-13 < error < 1e-6  # not round-off: the float32 β's; yet far below the steps' size


def _schedule_free_reference(net, data, rate, seed, b1, b2, eps, keras_alias=False, epochs=2, batch_size=32):
    """Defazio et al.'s schedule-free AdamW in its (x, z) form: y = (1 − β₁) z + β₁ x, gradients at y.

    ``keras_alias``: recover x from y with the *updated* z, as Keras 3.15 on TensorFlow does.
    """
    theta0 = N.flatten(net)
    x, z, v, t = theta0.copy(), theta0.copy(), np.zeros_like(theta0), 0
    y = theta0.copy()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(data.x_train))
        for first in range(0, len(order), batch_size):
            batch = order[first : first + batch_size]
            _, grads = N.loss_and_gradients(N.unflatten(y, net), data.x_train[batch], data.y_train[batch])
            g, t = N.flatten(grads), t + 1
            v = b2 * v + (1 - b2) * g**2
            z_new = z - rate * g / (np.sqrt(v / (1 - b2**t)) + eps)
            if keras_alias:
                x = (y - (1 - b1) * z_new) / b1
            x = (1 - 1 / t) * x + z_new / t
            z = z_new
            y = (1 - b1) * z + b1 * x
    return y


def test_schedule_free_adamw_is_defazio_et_al_and_keras_differs_by_its_alias(small_digits):
    net, rate, options = N.init([64, 16, 10], "tanh", seed=4), 0.003, {"beta_1": B1, "beta_2": B2}
    run = N.train(net, small_digits, rate, seed=4, epochs=2, optimizer="schedule_free_adamw", optimizer_options=options)
    reference = _schedule_free_reference(net, small_digits, rate, 4, B1, B2, 1e-8)
    np.testing.assert_allclose(N.flatten(run.net), reference, rtol=0, atol=1e-12)
    theta, _ = _keras_run(net, small_digits, "schedule_free_adamw", rate, options, seed=4)
    aliased = _schedule_free_reference(net, small_digits, rate, 4, B1, B2, 1e-8, keras_alias=True)
    np.testing.assert_allclose(theta, aliased, rtol=0, atol=1e-12)  # what Keras computes
    assert np.abs(theta - reference).max() > 1e-3  # and it is not the algorithm


@pytest.mark.parametrize("name, options", [(n, o) for n, o, _ in OPTIMIZER_CASES[::2]] + [("schedule_free_adamw", {})])
def test_sweep_with_each_optimizer_equals_the_arms_run_one_by_one(small_digits, name, options):
    rates, seeds, acts = [1e-3, 0.03], [3, 7], ("tanh", "relu")
    common = dict(epochs=2, batch_size=25, optimizer=name, optimizer_options=options, validation=0.2)
    result = N.sweep(small_digits, [64, 12, 10], learning_rates=rates, seeds=seeds, activations=acts, **common)
    assert result.optimizer == name and result.options == N.optimizer_config(name, options)[1]
    for v, act in enumerate(acts):
        for s, seed in enumerate(seeds):
            for r, rate in enumerate(rates):
                run = N.train(N.init([64, 12, 10], act, seed), small_digits, rate, seed, **common)
                for field in FIELDS:
                    np.testing.assert_allclose(
                        getattr(result, field)[v, s, r], getattr(run, field), rtol=1e-11, atol=1e-12
                    )
                np.testing.assert_allclose(N.flatten(result.params[v])[s, r], N.flatten(run.net), atol=1e-12)


def test_sweep_drops_diverged_arms_with_an_optimizer_state(small_digits):
    """Nesterov SGD at η = 1e12 diverges; the other arms (and their slots) carry on as if alone."""
    options = {"momentum": 0.875, "nesterov": True, "weight_decay": 0.01}
    common = dict(epochs=2, batch_size=25, optimizer="sgd", optimizer_options=options)
    result = N.sweep(small_digits, [64, 12, 10], learning_rates=[0.05, 1e12], seeds=[1, 2], **common)
    assert result.diverged[0, :, 1].all() and not result.diverged[0, :, 0].any()
    for s, seed in enumerate([1, 2]):
        run = N.train(N.init([64, 12, 10], "relu", seed), small_digits, 0.05, seed, **common)
        np.testing.assert_allclose(N.flatten(result.params[0])[s, 0], N.flatten(run.net), atol=1e-12)


def test_momentum_argument_is_sgd_momentum_and_unchanged(small_digits):
    common = dict(learning_rates=[0.1], seeds=[0], epochs=1)
    old = N.sweep(small_digits, [64, 8, 10], momentum=0.9, **common)
    new = N.sweep(small_digits, [64, 8, 10], optimizer="sgd", optimizer_options={"momentum": 0.9}, **common)
    np.testing.assert_array_equal(N.flatten(old.params[0]), N.flatten(new.params[0]))
    assert old.options == {"momentum": 0.9, "nesterov": False, "weight_decay": 0.0}


def test_sweep_takes_a_callable_initializer(small_digits):
    def scaled(shape, rng):  # chapter 10's kind: He-normal times 0.5
        return 0.5 * initializers.he_normal(shape, rng)

    result = N.sweep(small_digits, [64, 8, 10], learning_rates=[0.1], seeds=[3], epochs=1, initializer=scaled)
    run = N.train(N.init([64, 8, 10], "relu", 3, initializer=scaled), small_digits, 0.1, 3, epochs=1)
    np.testing.assert_allclose(N.flatten(result.params[0])[0, 0], N.flatten(run.net), atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(optimizer="adamax"), "optimizer must be one of"),
        (dict(optimizer="adam", optimizer_options={"rho": 0.9}), "unknown key 'rho'"),
        (dict(optimizer="adam", optimizer_options={"beta_1": 1.0}), r"optimizer_options\['beta_1'\] must be"),
        (dict(optimizer="rmsprop", optimizer_options={"epsilon": -1.0}), r"optimizer_options\['epsilon'\]"),
        (dict(optimizer="sgd", optimizer_options={"nesterov": 1}), r"optimizer_options\['nesterov'\] must be True"),
        (dict(optimizer="schedule_free_adamw", optimizer_options={"warmup_steps": 1.5}), "warmup_steps"),
        (dict(optimizer="adam", optimizer_options=[("beta_1", 0.9)]), "optimizer_options must be a dict"),
        (dict(optimizer="adam", momentum=0.9), "momentum applies to optimizer='sgd' only"),
        (dict(momentum=0.9, optimizer_options={"momentum": 0.5}), "momentum and optimizer_options"),
    ],
)
def test_optimizer_bad_arguments_raise(small_digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        N.sweep(small_digits, [64, 10], learning_rates=[0.1], seeds=[0], **kwargs)
    with pytest.raises(ValueError, match=match):
        N.train(N.init([64, 10]), small_digits, 0.1, **kwargs)


# --------------------------------------------------------------------------------------------------
# batch normalization inside the network (chapter 11)
# --------------------------------------------------------------------------------------------------
def _bn_net(sizes, activation, seed):
    """init(batch_norm=True) with γ, β, the running statistics and b moved off their initial values."""
    rng = np.random.default_rng(seed + 100)
    net = []
    for layer in N.init(sizes, activation, seed, batch_norm=True):
        if isinstance(layer, N.BatchNorm):
            n = layer.gamma.size
            layer = layer._replace(
                gamma=1 + 0.3 * rng.standard_normal(n),
                beta=0.2 * rng.standard_normal(n),
                mean=0.1 * rng.standard_normal(n),
                var=rng.uniform(0.5, 2.0, n),
            )
        else:
            layer = layer._replace(b=0.1 * rng.standard_normal(layer.b.shape))
        net.append(layer)
    return net


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_batch_norm_forward_and_gradients_match_keras(activation):
    net = _bn_net([5, 7, 6, 4], activation, seed=3)
    assert [type(l).__name__ for l in net] == ["Dense", "BatchNorm", "Dense", "BatchNorm", "Dense"]
    model = N.to_keras(net)
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation"] * 2 + ["Dense"]
    x, y = _problem("cross_entropy", m=16)
    np.testing.assert_allclose(N.forward(net, x, training=False).output, model(x, training=False), atol=1e-12)
    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        output = model(x, training=True)  # (this also moves Keras's moving statistics)
        value = xent(y, output)
    grads = tape.gradient(value, model.trainable_variables)
    np.testing.assert_allclose(N.forward(net, x).output, output, atol=1e-12)  # training=True: batch statistics
    J, mine = N.loss_and_gradients(net, x, y)
    assert abs(J - float(value)) < 1e-12
    np.testing.assert_allclose(N.flatten(mine), np.concatenate([g.numpy().ravel() for g in grads]), atol=1e-12)
    obj = N.Objective(net, x, y)  # θ = (W1, b1, γ1, β1, W2, b2, γ2, β2, W3, b3), Keras's trainable order
    assert obj.dim == N.n_params(net) == N.flatten(net).size == sum(int(np.prod(v.shape)) for v in grads)
    np.testing.assert_allclose(obj.grad(N.flatten(net)), N.flatten(mine), atol=0)
    np.testing.assert_allclose(N.unflatten(N.flatten(net), net)[1].gamma, net[1].gamma)
    with pytest.raises(ValueError, match="BatchNorm"):
        obj.ggn_vp(N.flatten(net), np.ones(obj.dim))
    again = N.from_keras(model)  # Keras -> network: γ, β and the moving statistics Keras has just updated
    moved = normalization.update_running(normalization.RunningStats(net[1].mean, net[1].var), x @ net[0].W + net[0].b)
    np.testing.assert_allclose(again[1].mean, moved.mean, atol=1e-12)
    np.testing.assert_allclose(again[1].var, moved.var, atol=1e-12)
    assert again[1].activation == activation and again[1].momentum == 0.99 and again[1].eps == 1e-3


def test_batch_norm_gradient_matches_finite_differences():
    net = _bn_net([4, 5, 3], "tanh", seed=1)
    x, y = _problem("cross_entropy", m=9, n_in=4, n_out=3, seed=2)
    obj, theta = N.Objective(net, x, y), N.flatten(net)
    eps, eye = 1e-6, np.eye(theta.size)
    numeric = np.array([(obj.value(theta + eps * e) - obj.value(theta - eps * e)) / (2 * eps) for e in eye])
    np.testing.assert_allclose(obj.grad(theta), numeric, rtol=0, atol=1e-8)
    assert np.abs(obj.grad(theta)[20:25]).max() < 1e-15  # ∂J/∂b of the Dense before BN: 0 (BN removes b)


@pytest.mark.parametrize(
    "name, options",
    [("sgd", {"momentum": 0.5}), pytest.param("sgd", {"momentum": 0.875, "nesterov": True}, marks=pytest.mark.slow)],
)
def test_train_with_batch_norm_equals_keras(small_digits, name, options):
    """Dense -> BatchNormalization -> Activation, SGD, models.train's batches: weights and moving statistics."""
    net = N.init([64, 16, 12, 10], "relu", seed=6, batch_norm=True)
    run = N.train(net, small_digits, 0.1, seed=6, epochs=1, optimizer=name, optimizer_options=options)
    model = N.to_keras(net)
    optimizer = N.keras_optimizer(name, 0.1, options)
    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    history = models.train(model, small_digits, epochs=1, batch_size=32, seed=6, optimizer=optimizer, loss=xent)
    np.testing.assert_allclose(N.flatten(run.net), models.flat_weights(model), rtol=0, atol=1e-10)
    keras_net = N.from_keras(model)
    for k in (1, 3):
        np.testing.assert_allclose(run.net[k].mean, keras_net[k].mean, rtol=0, atol=1e-12)
        np.testing.assert_allclose(run.net[k].var, keras_net[k].var, rtol=0, atol=1e-12)
        assert np.abs(run.net[k].var - 1).max() > 0.02  # the running statistics moved
    np.testing.assert_allclose(run.test_loss[1:], history.test_loss, rtol=0, atol=1e-10)  # inference mode


def test_sweep_with_batch_norm_equals_the_arms_run_one_by_one(small_digits):
    rates, seeds, acts = [0.03, 0.3, 1e8], [3, 7], ("sigmoid", "relu")
    common = dict(epochs=2, batch_size=25, momentum=0.5, validation=0.2)
    result = N.sweep(
        small_digits, [64, 12, 8, 10], learning_rates=rates, seeds=seeds, activations=acts, batch_norm=True, **common
    )
    assert [type(l).__name__ for l in result.params[0]] == ["Dense", "BatchNorm"] * 2 + ["Dense"]
    assert result.params[0][1].mean.shape == (2, 3, 12) and result.diverged[1, :, 2].all()  # relu at 1e8
    for v, act in enumerate(acts):
        for s, seed in enumerate(seeds):
            for r, rate in enumerate(rates[:2]):
                run = N.train(N.init([64, 12, 8, 10], act, seed, batch_norm=True), small_digits, rate, seed, **common)
                for field in FIELDS:
                    np.testing.assert_allclose(
                        getattr(result, field)[v, s, r], getattr(run, field), rtol=1e-11, atol=1e-12
                    )
                np.testing.assert_allclose(N.flatten(result.params[v])[s, r], N.flatten(run.net), atol=1e-12)
                for k in (1, 3):
                    np.testing.assert_allclose(result.params[v][k].var[s, r], run.net[k].var, atol=1e-12)
    # paired with plain networks: the same W from the same seed, γ = 1, β = 0, running mean 0, variance 1
    with_bn, plain = N.init([64, 12, 8, 10], "relu", 3, batch_norm=True), N.init([64, 12, 8, 10], "relu", 3)
    for a, b in zip([l for l in with_bn if isinstance(l, N.Dense)], plain):
        np.testing.assert_array_equal(a.W, b.W)
    assert (
        with_bn[1].gamma.tolist() == [1.0] * 12 and with_bn[1].var.tolist() == [1.0] * 12 and not with_bn[1].mean.any()
    )


def test_sweep_with_batch_norm_and_adam_equals_train(small_digits):
    common = dict(epochs=1, batch_size=50, optimizer="adam", optimizer_options={"beta_1": B1, "beta_2": B2})
    result = N.sweep(small_digits, [64, 12, 10], learning_rates=[1e-3, 1e-2], seeds=[2], batch_norm=True, **common)
    for r, rate in enumerate([1e-3, 1e-2]):
        run = N.train(N.init([64, 12, 10], "relu", 2, batch_norm=True), small_digits, rate, 2, **common)
        np.testing.assert_allclose(result.test_loss[0, 0, r], run.test_loss, rtol=1e-10)
        np.testing.assert_allclose(result.params[0][1].gamma[0, r], run.net[1].gamma, atol=1e-10)


def test_batch_norm_layer_bad_arguments_raise():
    net = N.init([3, 4, 2], batch_norm=True)
    with pytest.raises(ValueError, match=r"net\[1\].gamma must have 4 entries"):
        N.forward(
            [net[0], net[1]._replace(gamma=np.ones(3), beta=np.ones(3), mean=np.ones(3), var=np.ones(3))], [[0, 0, 0]]
        )
    with pytest.raises(ValueError, match=r"net\[1\] must have gamma, beta, mean, var of one shape"):
        N.forward([net[0], net[1]._replace(beta=np.ones(3))], np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"net\[1\].momentum must be"):
        N.forward([net[0], net[1]._replace(momentum=1.5)], np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"net\[1\].eps must be"):
        N.forward([net[0], net[1]._replace(eps=-1.0)], np.zeros((1, 3)))
    with pytest.raises(ValueError, match="BatchNorm"):
        N.hvp(net, np.zeros((2, 3)), [0, 1], np.zeros(N.n_params(net)))
    with pytest.raises(ValueError, match="BatchNorm"):
        N.layer_jacobians(net, np.zeros(3))


# --------------------------------------------------------------------------------------------------
# Jacobian-vector and Gauss-Newton products (chapter 07)
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_jvp_and_ggn_match_the_tape_jacobian_and_output_hessian(loss):
    """G = Σᵢ Jᵢᵀ Hᵢ Jᵢ with J from tape.jacobian and H = ∇² of the Keras loss in the outputs (by tape)."""
    model = _keras_mlp([4, 5, 3], "tanh", seed=12)
    x, y = _problem(loss, m=6, n_in=4, n_out=3, seed=3)
    net = N.from_keras(model)
    with tf.GradientTape() as tape:
        out = model(x)
    J = tape.jacobian(out, model.trainable_variables)  # (m, K, *shape) per variable
    J = np.concatenate([j.numpy().reshape(6, 3, -1) for j in J], axis=-1)  # (m, K, P)
    z = tf.Variable(out)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = KERAS_LOSS[loss]()(y, z)
        g = inner.gradient(value, z)
    H = outer.jacobian(g, z).numpy().reshape(18, 18)  # ∇²_{a_L} J over all (i, k)
    G = J.reshape(18, -1).T @ H @ J.reshape(18, -1)
    v = np.random.default_rng(4).standard_normal((2, J.shape[-1]))
    np.testing.assert_allclose(N.jvp(net, x, v[0]), (J @ v[0]), atol=1e-12)
    np.testing.assert_allclose(N.jvp(net, x, v), np.einsum("mkp,qp->qmk", J, v), atol=1e-12)
    np.testing.assert_allclose(N.ggn_vp(net, x, y, v[0], loss), G @ v[0], atol=1e-12)
    np.testing.assert_allclose(N.ggn_vp(net, x, y, v, loss), v @ G.T, atol=1e-12)
    obj = N.Objective(net, x, y, loss)
    theta = N.flatten(net)
    np.testing.assert_allclose(obj.ggn(theta), G, atol=1e-12)
    np.testing.assert_allclose(obj.ggn_vp(theta, v[1]), G @ v[1], atol=1e-12)
    assert np.linalg.eigvalsh(obj.ggn(theta)).min() > -1e-12  # positive semi-definite
    # outputs linear in θ (one linear layer): G is the Hessian; two linear layers: it is not
    lin = N.init([4, 2], "linear", seed=1)
    targets = np.random.default_rng(5).standard_normal((6, 2))
    lin_obj = N.Objective(lin, x, targets, "mse")
    np.testing.assert_allclose(lin_obj.ggn(N.flatten(lin)), lin_obj.hessian(N.flatten(lin)), atol=1e-12)
    deep = N.Objective(N.init([4, 3, 2], "linear", seed=1), x, targets, "mse")
    theta = N.flatten(N.init([4, 3, 2], "linear", seed=1))
    assert np.abs(deep.ggn(theta) - deep.hessian(theta)).max() > 1e-2


def test_batch_norm_hvp_matches_second_differences_of_the_loss():
    """BN nets: Objective.hvp (a central difference of the exact gradient) against second differences of J.

    Not against tf.GradientTape: TF's moments (tf.nn.moments, used by Keras's BatchNormalization) compute
    the variance around ``stop_gradient(mean)``, which leaves first derivatives exact but drops a term of
    the second ones (measured: reverse-over-reverse on the Keras model is 3 % off here). The reference is
    uᵀHv from values of J alone, by polarization of second differences along u + v and u − v.
    """
    net = _bn_net([5, 7, 6, 4], "tanh", seed=4)
    x, y = _problem("cross_entropy", m=16)
    obj, theta = N.Objective(net, x, y), N.flatten(net)
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=(2, obj.dim))
    h = 1e-4

    def curvature_along(w):  # wᵀHw from J alone
        return (obj.value(theta + h * w) - 2 * obj.value(theta) + obj.value(theta - h * w)) / h**2

    uHv = (curvature_along(u + v) - curvature_along(u - v)) / 4
    Hv = obj.hvp(theta, v)
    assert abs(u @ Hv - uHv) < 1e-4 * (1 + abs(uHv))
    assert abs(v @ Hv - curvature_along(v)) < 1e-4 * (1 + abs(v @ Hv))
    H = obj.hessian(theta)
    np.testing.assert_allclose(H @ v, Hv, rtol=0, atol=1e-6 * np.linalg.norm(Hv))
    assert np.linalg.eigvalsh(H)[0] < 0 < np.linalg.eigvalsh(H)[-1]  # an indefinite Hessian: a real test
    from course_lib import curvature

    top = curvature.top_eigenvalue(lambda w: obj.hvp(theta, w), obj.dim)
    assert abs(top - np.linalg.eigvalsh(H)[-1]) < 1e-5 * abs(np.linalg.eigvalsh(H)[-1])
