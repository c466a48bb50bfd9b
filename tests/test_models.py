"""Tests for course_lib.models on tiny networks: architecture and names, seeded weights, gradient
norms against a NumPy backprop (itself checked by finite differences), the training loop against
Keras's fit, determinism, divergence, argument checks; NetworkLoss (value, gradient,
Hessian-vector product, Hessian, mini-batches) against NumPy, finite differences and course_lib.networks."""

import keras  # noqa: E402
import numpy as np
import pytest
from scipy import stats

import course_lib  # noqa: F401
from course_lib import datasets as D
from course_lib import models as M
from course_lib import networks


@pytest.fixture(scope="module")
def data():
    return D.digits()


@pytest.fixture(scope="module")
def small():
    """A 2-class toy problem (40 points in 3-D) for fast exact checks."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return D.Dataset(x[:30], y[:30], x[30:], y[30:], 2)


def weights_of(model):
    return [w.numpy() for w in model.weights]


def test_mlp_architecture_and_names():
    m = M.mlp(64, hidden=(32, 16), n_outputs=10, activation="tanh")
    assert [layer.name for layer in m.layers] == ["dense_1", "dense_2", "dense_3"]
    assert [layer.kernel.shape for layer in M.dense_layers(m)] == [(64, 32), (32, 16), (16, 10)]
    assert m.input_shape == (None, 64) and m.output_shape == (None, 10)
    assert m.layers[0].activation is keras.activations.tanh
    assert m.layers[-1].activation is keras.activations.softmax
    assert M.mlp(3, hidden=4, n_outputs=1, output_activation=None).layers[-1].activation is keras.activations.linear
    for layer in m.layers:
        np.testing.assert_array_equal(layer.bias.numpy(), 0.0)


def test_mlp_weights_depend_on_seed_only():
    a = weights_of(M.mlp(8, hidden=(5, 5, 5), n_outputs=3, seed=7))
    np.random.seed(123)  # global state must not matter
    keras.utils.set_random_seed(99)
    keras.random.uniform((3,))
    b = weights_of(M.mlp(8, hidden=(5, 5, 5), n_outputs=3, seed=7))
    c = weights_of(M.mlp(8, hidden=(5, 5, 5), n_outputs=3, seed=8))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], a[4])  # equal-shaped layers get different draws


def test_mlp_kernel_initializer_is_respected():
    m = M.mlp(400, hidden=(300,), n_outputs=2, kernel_initializer="he_normal")
    w = m.layers[0].kernel.numpy()
    # Keras's he_normal: a normal truncated at 2 stddev, rescaled so that the std is √(2/fan_in)
    assert w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.abs(w).max() <= 2 * np.sqrt(2 / 400) / stats.truncnorm(-2, 2).std()
    g = M.mlp(400, hidden=(300,), n_outputs=2).layers[0].kernel.numpy()
    limit = np.sqrt(6 / 700)
    assert g.max() <= limit and g.min() >= -limit and g.max() > 0.99 * limit  # glorot_uniform default
    z = M.mlp(3, hidden=(2,), n_outputs=2, kernel_initializer="zeros")
    np.testing.assert_array_equal(z.layers[0].kernel.numpy(), 0.0)


def numpy_backprop(model, x, y):
    """J = mean cross-entropy of a 1-hidden-layer ReLU/softmax net and ∂J/∂W1, ∂J/∂W2 in float64."""
    w1, b1, w2, b2 = [w.astype(np.float64) for w in weights_of(model)]
    x = x.astype(np.float64)
    a = x @ w1 + b1
    h = np.maximum(a, 0)
    logits = h @ w2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(x)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    delta2 = (p - np.eye(p.shape[1])[y]) / n
    delta1 = (delta2 @ w2.T) * (a > 0)
    return loss, x.T @ delta1, h.T @ delta2, (w1, b1, w2, b2)


def test_layer_gradient_norms_match_numpy_backprop_and_finite_differences(small):
    m = M.mlp(3, hidden=(6,), n_outputs=2, seed=3)
    x, y = small.x_train, small.y_train
    loss, g1, g2, (w1, b1, w2, b2) = numpy_backprop(m, x, y)
    norms = M.layer_gradient_norms(m, x, y)
    assert norms.shape == (2,) and norms.dtype == np.float64
    np.testing.assert_allclose(norms, [np.linalg.norm(g1), np.linalg.norm(g2)], rtol=1e-5)
    assert norms[0] > 0 and norms[1] > 0

    # the NumPy backprop itself, against central differences of its float64 loss
    def loss_at(w1_, w2_):
        a = x.astype(np.float64) @ w1_ + b1
        logits = np.maximum(a, 0) @ w2_ + b2
        logz = logits.max(axis=1) + np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1))
        return np.mean(logz - logits[np.arange(len(y)), y])

    assert loss_at(w1, w2) == pytest.approx(loss, rel=1e-12)
    eps = 1e-6
    for i, j in [(0, 0), (1, 3), (2, 5)]:
        e = np.zeros_like(w1)
        e[i, j] = eps
        assert (loss_at(w1 + e, w2) - loss_at(w1 - e, w2)) / (2 * eps) == pytest.approx(g1[i, j], abs=1e-8)
    for i, j in [(0, 0), (4, 1)]:
        e = np.zeros_like(w2)
        e[i, j] = eps
        assert (loss_at(w1, w2 + e) - loss_at(w1, w2 - e)) / (2 * eps) == pytest.approx(g2[i, j], abs=1e-8)


def test_one_full_batch_step_equals_keras_fit(small):
    a = M.mlp(3, hidden=(6,), n_outputs=2, seed=5)
    b = M.mlp(3, hidden=(6,), n_outputs=2, seed=5)
    M.train(a, small, epochs=1, batch_size=len(small.x_train), optimizer=keras.optimizers.SGD(learning_rate=0.5))
    b.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
    b.fit(small.x_train, small.y_train, epochs=1, batch_size=len(small.x_train), shuffle=False, verbose=0)
    for u, v in zip(weights_of(a), weights_of(b)):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-7)


def test_train_history_and_determinism(data):
    def run():
        m = M.mlp(64, hidden=(16, 16), seed=1)
        h = M.train(
            m,
            data,
            epochs=3,
            batch_size=64,
            optimizer=keras.optimizers.SGD(learning_rate=0.1),
            seed=2,
            record_gradient_norms=True,
            gradient_batch_size=100,
        )
        return m, h

    m1, h1 = run()
    m2, h2 = run()
    assert isinstance(h1, M.History) and h1.epochs_run == 3 and not h1.diverged
    assert h1.loss.shape == h1.test_loss.shape == h1.test_accuracy.shape == (3,)
    assert h1.grad_norms.shape == (4, 3)
    np.testing.assert_array_equal(
        h1.grad_norms[0],
        M.layer_gradient_norms(M.mlp(64, hidden=(16, 16), seed=1), data.x_train[:100], data.y_train[:100]),
    )
    np.testing.assert_array_equal(h1.grad_norms[-1], M.layer_gradient_norms(m1, data.x_train[:100], data.y_train[:100]))
    for field in ["loss", "test_loss", "test_accuracy", "grad_norms"]:
        np.testing.assert_array_equal(getattr(h1, field), getattr(h2, field))
    for u, v in zip(weights_of(m1), weights_of(m2)):
        np.testing.assert_array_equal(u, v)
    assert h1.loss[-1] < h1.loss[0] < np.log(10) + 0.2 and h1.test_accuracy[-1] > 0.5
    # test metrics are those of the final model
    probs = m1.predict(data.x_test, verbose=0)
    assert h1.test_accuracy[-1] == pytest.approx(np.mean(probs.argmax(1) == data.y_test))
    h3 = M.train(
        M.mlp(64, hidden=(16, 16), seed=1),
        data,
        epochs=1,
        batch_size=64,
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        seed=3,
    )
    assert h3.loss[0] != h1.loss[0] and h3.grad_norms is None  # another shuffling order


def test_train_with_one_hot_labels_and_regression_output(small):
    oh = small._replace(y_train=D.one_hot_labels(small.y_train, 2), y_test=D.one_hot_labels(small.y_test, 2))
    h = M.train(M.mlp(3, hidden=(4,), n_outputs=2), oh, epochs=2, loss="categorical_crossentropy")
    assert np.all(np.isfinite(h.loss))
    model = M.mlp(3, hidden=(4,), n_outputs=2)
    h = M.train(model, oh, epochs=2, loss="categorical_crossentropy")
    probs = np.asarray(model(oh.x_test))
    assert h.test_accuracy[-1] == np.mean(probs.argmax(1) == oh.y_test.argmax(1))
    reg = small._replace(y_train=small.y_train.astype(np.float32), y_test=small.y_test.astype(np.float32))
    h = M.train(M.mlp(3, hidden=(4,), n_outputs=1, output_activation=None), reg, epochs=2, loss="mse")
    assert np.all(np.isnan(h.test_accuracy)) and np.all(np.isfinite(h.test_loss))


def test_divergence_is_reported_not_raised(data):
    course_lib.setup(floatx="float32")  # overflows quickly (conftest restores float64 for the next test)
    m = M.mlp(64, hidden=(16, 16), seed=0)
    h = M.train(
        m, data, epochs=5, batch_size=32, optimizer=keras.optimizers.SGD(learning_rate=1e4), record_gradient_norms=True
    )
    assert h.diverged and h.epochs_run < 5 and np.isnan(h.loss[-1])
    assert h.grad_norms.shape == (h.epochs_run + 1, 3)
    assert np.isnan(m(data.x_train[:5]).numpy()).any()  # the weights really blew up


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: M.mlp(0), "input_dim"),
        (lambda: M.mlp(3, hidden=(4, 0)), "hidden"),
        (lambda: M.mlp(3, n_outputs=0), "n_outputs"),
        (lambda: M.mlp(3, seed=-1), "seed"),
        (lambda: M.layer_gradient_norms(M.mlp(3, hidden=(2,)), np.zeros(3), [0]), "x"),
        (lambda: M.layer_gradient_norms(M.mlp(3, hidden=(2,)), np.zeros((2, 3)), [0]), "y"),
        (lambda: M.dense_layers("model"), "model"),
        (lambda: M.train(M.mlp(3, hidden=(2,)), (1, 2), epochs=1), "data"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"seed": 1.5}, "seed"),
        ({"gradient_batch_size": 0}, "gradient_batch_size"),
    ],
)
def test_train_bad_arguments_raise(small, kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.train(M.mlp(3, hidden=(2,), n_outputs=2), small, **kwargs)


# --------------------------------------------------------------------------------------------------
# Network gradient and Hessian
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(11)
    model = keras.Sequential(  # float32 on purpose: float32 computation is tested
        [
            keras.Input(shape=(3,), dtype="float32"),
            keras.layers.Dense(4, activation="tanh", dtype="float32"),
            keras.layers.Dense(3, dtype="float32"),
        ]
    )
    model64 = networks.to_keras(networks.from_keras(model))  # the same weights in float64 (setup's floatx)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3))
    y = rng.integers(0, 3, size=20)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return model, model64, x, y, loss


def test_flat_weights_order_and_size(tiny):
    _, model64, _, _, _ = tiny
    theta = M.flat_weights(model64)
    assert theta.shape == (3 * 4 + 4 + 4 * 3 + 3,)
    assert theta.dtype == np.float64
    kernel = model64.layers[0].kernel.numpy()
    np.testing.assert_array_equal(theta[:12], kernel.ravel())


def _mean_loss_numpy(theta, x, y):
    """The tiny model's loss written out in NumPy: softmax cross-entropy of tanh(x W1 + b1) W2 + b2."""
    W1, b1, W2, b2 = theta[:12].reshape(3, 4), theta[12:16], theta[16:28].reshape(4, 3), theta[28:]
    logits = np.tanh(x @ W1 + b1) @ W2 + b2
    logits = logits - logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y])


def test_network_loss_gradient_matches_finite_differences(tiny):
    _, model64, x, y, loss = tiny
    theta = M.flat_weights(model64)
    g = M.NetworkLoss(model64, x, y, loss, compile=False).grad()
    eps = 1e-6
    fd = np.array(
        [
            (_mean_loss_numpy(theta + eps * e, x, y) - _mean_loss_numpy(theta - eps * e, x, y)) / (2 * eps)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(g, fd, atol=1e-9)


def test_network_loss_value_and_theta_default(tiny):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    theta = M.flat_weights(model64)
    assert f.dim == theta.size == 31
    assert abs(f.value() - _mean_loss_numpy(theta, x, y)) < 1e-14
    assert abs(f.value(theta + 0.1) - _mean_loss_numpy(theta + 0.1, x, y)) < 1e-14
    assert repr(f) == "NetworkLoss(dim=31, m=20, dtype=float64)"
    # the same value Keras's own (float64) loss reports for the model
    keras_value = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(y, model64(x))
    assert abs(f.value() - float(keras_value)) < 1e-12


def test_network_loss_at_other_theta_does_not_touch_model(tiny):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    theta = M.flat_weights(model64)
    g_other = f.grad(theta + 0.1)
    np.testing.assert_array_equal(M.flat_weights(model64), theta)
    assert not np.allclose(g_other, f.grad())
    np.testing.assert_allclose(g_other, M.NetworkLoss(model64, x, y, loss, compile=False).grad(theta + 0.1), atol=1e-15)


def test_network_hessian_matches_finite_differences_and_is_symmetric(tiny):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    theta = M.flat_weights(model64)
    P = theta.size
    H_raw = f.hessian(symmetrize=False)
    assert H_raw.shape == (P, P)
    # mixed partials agree: symmetric before symmetrizing, to rounding
    assert np.max(np.abs(H_raw - H_raw.T)) < 1e-12 * np.max(np.abs(H_raw))
    # column j = central difference of the gradient along e_j (independent of the nested tapes)
    eps = 1e-5
    fd = np.array([(f.grad(theta + eps * e) - f.grad(theta - eps * e)) / (2 * eps) for e in np.eye(P)])
    np.testing.assert_allclose(H_raw, fd, atol=1e-8)
    H = M.NetworkLoss(model64, x, y, loss, compile=False).hessian()
    np.testing.assert_array_equal(H, H.T)
    np.testing.assert_allclose(H, H_raw, atol=1e-15)
    # golden block: the output bias block of softmax cross-entropy is the mean of diag(p) − ppᵀ
    logits = model64(x).numpy()
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    bias_block = np.mean([np.diag(q) - np.outer(q, q) for q in p], axis=0)
    np.testing.assert_allclose(H[-3:, -3:], bias_block, atol=1e-12)


def test_compiled_and_eager_agree(tiny):
    _, model64, x, y, loss = tiny
    compiled, eager = M.NetworkLoss(model64, x, y, loss), M.NetworkLoss(model64, x, y, loss, compile=False)
    theta = M.flat_weights(model64) - 0.05
    assert abs(compiled.value(theta) - eager.value(theta)) < 1e-15
    np.testing.assert_allclose(compiled.grad(theta), eager.grad(theta), atol=1e-15)
    np.testing.assert_allclose(compiled.hessian(theta), eager.hessian(theta), atol=1e-14)


def test_network_loss_drives_course_optimizers(tiny):
    """Full-batch GD on the network through optimizers.run: θ_1 = θ_0 − α∇h(θ_0), and h decreases."""
    from course_lib import optimizers

    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    theta0 = M.flat_weights(model64)
    traj = optimizers.run(optimizers.GradientDescent(learning_rate=0.5), f, theta0, steps=20)
    np.testing.assert_allclose(traj.thetas[1], theta0 - 0.5 * f.grad(theta0), atol=1e-15)
    assert not traj.diverged and np.all(np.diff(traj.values) < 0)


def test_loss_by_name_and_mse(tiny):
    _, model64, x, _, _ = tiny
    target = np.random.default_rng(1).standard_normal((20, 3))
    by_name = M.NetworkLoss(model64, x, target, "mean_squared_error")
    by_object = M.NetworkLoss(model64, x, target, keras.losses.MeanSquaredError())
    np.testing.assert_allclose(by_name.grad(), by_object.grad(), atol=1e-15)
    H = by_name.hessian()
    # output bias block of the mean squared error (mean over m·K entries): (2/K) I
    np.testing.assert_allclose(H[-3:, -3:], 2.0 / 3.0 * np.eye(3), atol=1e-12)


def test_float32_model_computes_in_float32(tiny):
    model, model64, x, y, loss = tiny
    g32 = M.NetworkLoss(model, x, y, loss, compile=False).grad()
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, M.NetworkLoss(model64, x, y, loss, compile=False).grad(), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": 3}, "loss must be"),
        ({"x": np.zeros(3)}, "x must be a non-empty batch"),
        ({"y": np.zeros(5, dtype=int)}, "y must have as many rows as x"),
    ],
)
def test_network_loss_validates(tiny, kwargs, message):
    _, model64, x, y, loss = tiny
    args = {"x": x, "y": y, "loss": loss, **kwargs}
    for compile_ in (True, False):
        with pytest.raises(ValueError, match=message):
            M.NetworkLoss(model64, compile=compile_, **args)


@pytest.mark.parametrize("theta", [np.zeros(5), np.full(31, np.nan), np.zeros((31, 1))])
def test_network_loss_validates_theta(tiny, theta):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    for method in (f.value, f.grad, f.hessian, lambda t: f.hvp(t, np.zeros(31))):
        with pytest.raises(ValueError, match="theta must be a finite vector"):
            method(theta)
    with pytest.raises(ValueError, match="v must be a finite vector"):
        f.hvp(None, theta)


@pytest.mark.parametrize("batch, message", [([], "batch must be"), ([0.5], "batch must be"), ([20], "batch must hold")])
def test_network_loss_at_validates_batch(tiny, batch, message):
    _, model64, x, y, loss = tiny
    with pytest.raises(ValueError, match=message):
        M.NetworkLoss(model64, x, y, loss).at(np.array(batch))


def test_unbuilt_model_rejected():
    with pytest.raises(ValueError, match="model must have trainable variables"):
        M.flat_weights(keras.Sequential([keras.layers.Dense(2)]))


@pytest.mark.parametrize("compile_", [True, False])
def test_network_loss_hvp_is_the_hessian_times_v_and_matches_numpy(tiny, compile_):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss, compile=compile_)
    theta = M.flat_weights(model64) + 0.05
    H = f.hessian(theta)
    obj = networks.Objective(networks.from_keras(model64), x, y)  # the NumPy R-operator: independent code
    for v in np.random.default_rng(3).standard_normal((3, f.dim)):
        np.testing.assert_allclose(f.hvp(theta, v), H @ v, rtol=0, atol=1e-12)
        np.testing.assert_allclose(f.hvp(theta, v), obj.hvp(theta, v), rtol=0, atol=1e-12)


def test_network_loss_at_is_the_loss_of_the_subset_without_retracing(tiny):
    _, model64, x, y, loss = tiny
    f = M.NetworkLoss(model64, x, y, loss)
    theta = M.flat_weights(model64) - 0.1
    f.grad(theta)
    traces = f._grad.experimental_get_tracing_count()
    for batch in (np.array([4, 0, 19, 4]), np.arange(7), np.array([11])):
        sub = f.at(batch)
        assert sub.m == batch.size and sub.dim == f.dim
        alone = M.NetworkLoss(model64, x[batch], y[batch], loss, compile=False)
        assert abs(sub.value(theta) - alone.value(theta)) < 1e-14
        np.testing.assert_allclose(sub.grad(theta), alone.grad(theta), rtol=0, atol=1e-14)
        np.testing.assert_allclose(sub.hvp(theta, theta), alone.hvp(theta, theta), rtol=0, atol=1e-13)
        assert abs(sub.value(theta) - _mean_loss_numpy(theta, x[batch], y[batch])) < 1e-14
    assert f._grad.experimental_get_tracing_count() == traces  # one compiled function for every batch
    assert f.m == 20  # the full objective is unchanged


def test_layer_seeds_are_distinct_and_reproducible():
    seeds = M.layer_seeds(7, 5)
    assert seeds == M.layer_seeds(7, 5) and len(set(seeds)) == 5
    assert seeds != M.layer_seeds(8, 5) and all(0 <= s < 2**31 - 1 for s in seeds)


def test_seeded_initializer_draws_depend_only_on_the_seed():
    first = np.asarray(M.seeded_initializer("glorot_uniform", 3)((4, 3)))
    again = np.asarray(M.seeded_initializer("glorot_uniform", 3)((4, 3)))
    other = np.asarray(M.seeded_initializer("glorot_uniform", 4)((4, 3)))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.all(np.asarray(M.seeded_initializer("zeros", 3)((2, 2))) == 0)
