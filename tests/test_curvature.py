"""Tests for course_lib.curvature: second-order test, GOE sampling, network gradient and Hessian."""

import keras
import numpy as np
import pytest

import course_lib  # noqa: F401  (environment and seeds)
from course_lib import curvature as cv


# --------------------------------------------------------------------------------------------------
# classify_critical_point / negative_fraction
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "H, expected",
    [
        (np.diag([1.0, 2.0]), "minimum"),
        (np.diag([-1.0, -3.0]), "maximum"),
        (np.diag([2.0, -2.0]), "saddle"),  # x² − y²
        ([[1.0, 2.0], [2.0, 1.0]], "saddle"),  # positive diagonal, eigenvalues 3 and −1
        ([[-1.0, -2.0], [-2.0, -1.0]], "saddle"),  # negative diagonal, eigenvalues −3 and 1
        ([[2.0, 1.0], [1.0, 2.0]], "minimum"),  # eigenvalues 1 and 3
        ([[0.0, 1.0], [1.0, 0.0]], "saddle"),  # zero diagonal, eigenvalues ±1 (h = 2xy)
        (np.diag([1.0, 0.0]), "degenerate"),  # x² + y⁴ or x² − y⁴: undecided
        (np.diag([-1.0, 0.0]), "degenerate"),
        (np.zeros((3, 3)), "degenerate"),
        (np.diag([1.0, 0.0, -1.0]), "saddle"),  # opposite signs decide despite the zero
        ([[1.0, 1.0], [1.0, 1.0]], "degenerate"),  # eigenvalues 0 and 2, entries all positive
        ([[5.0]], "minimum"),
        ([[-5.0]], "maximum"),
    ],
)
def test_classify_critical_point_textbook_cases(H, expected):
    assert cv.classify_critical_point(H) == expected


def test_classify_critical_point_rotated_matrix_uses_eigenvalues():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    for eigenvalues, expected in [([1, 2, 3, 4, 5], "minimum"), ([1, 2, 3, 4, -5], "saddle"), ([-1] * 5, "maximum")]:
        H = Q @ np.diag(eigenvalues) @ Q.T
        assert cv.classify_critical_point(H) == expected


def test_classify_critical_point_tol_decides_small_eigenvalues():
    H = np.diag([1.0, 1e-6])
    assert cv.classify_critical_point(H, tol=1e-8) == "minimum"
    assert cv.classify_critical_point(H, tol=1e-5) == "degenerate"


@pytest.mark.parametrize(
    "H, message",
    [
        (np.ones((2, 3)), "H must be a non-empty square"),
        (np.ones(3), "H must be a non-empty square"),
        (np.zeros((0, 0)), "H must be a non-empty square"),
        ([[1.0, np.nan], [np.nan, 1.0]], "H must be finite"),
        ([[1.0, 2.0], [0.0, 1.0]], "H must be symmetric"),
    ],
)
def test_classify_critical_point_validates_H(H, message):
    with pytest.raises(ValueError, match=message):
        cv.classify_critical_point(H)
    with pytest.raises(ValueError, match=message):
        cv.negative_fraction(H)


@pytest.mark.parametrize("tol", [-1.0, np.inf, np.nan, "0.1", True])
def test_tol_validated(tol):
    with pytest.raises(ValueError, match="tol must be"):
        cv.classify_critical_point(np.eye(2), tol=tol)
    with pytest.raises(ValueError, match="tol must be"):
        cv.negative_fraction(np.eye(2), tol=tol)


def test_negative_fraction_counts_eigenvalues_not_diagonal():
    assert cv.negative_fraction([[1.0, 2.0], [2.0, 1.0]]) == 0.5
    assert cv.negative_fraction(np.diag([-1.0, -1.0, 1.0, 0.0])) == 0.5
    assert cv.negative_fraction(np.diag([-1e-12, 1.0]), tol=1e-10) == 0.0


# --------------------------------------------------------------------------------------------------
# GOE
# --------------------------------------------------------------------------------------------------
def test_sample_goe_shape_symmetry_and_variances():
    M = cv.sample_goe(4, 50_000, np.random.default_rng(0))
    assert M.shape == (50_000, 4, 4)
    np.testing.assert_array_equal(M, np.swapaxes(M, 1, 2))
    diag = M[:, np.arange(4), np.arange(4)]
    off = M[:, 0, 1:]
    # Var of a sample variance of N(0, s²) with N draws: 2 s⁴ / N -> standard error ~ 0.006 here.
    np.testing.assert_allclose(diag.var(axis=0), 1.0, atol=0.03)
    np.testing.assert_allclose(off.var(axis=0), 0.5, atol=0.015)
    np.testing.assert_allclose(M.mean(axis=0), 0.0, atol=0.03)
    # distinct off-diagonal entries are uncorrelated
    assert abs(np.corrcoef(M[:, 0, 1], M[:, 0, 2])[0, 1]) < 0.02


def test_sample_goe_is_reproducible_from_rng():
    a = cv.sample_goe(3, 10, np.random.default_rng(7))
    b = cv.sample_goe(3, 10, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0, "size": 2}, "n must be an integer and >= 1"),
        ({"n": 2.5, "size": 2}, "n must be an integer and >= 1"),
        ({"n": 2, "size": 0}, "size must be an integer and >= 1"),
    ],
)
def test_sample_goe_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cv.sample_goe(rng=np.random.default_rng(0), **kwargs)


def test_sample_goe_validates_rng():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        cv.sample_goe(2, 2, rng=0)


def test_fraction_positive_definite_known_values():
    samples = 200_000
    p1 = cv.fraction_positive_definite(1, samples, seed=1)
    p2 = cv.fraction_positive_definite(2, samples, seed=2)
    for estimate, exact in [(p1, 0.5), (p2, (2 - np.sqrt(2)) / 4)]:
        stderr = np.sqrt(exact * (1 - exact) / samples)
        assert abs(estimate - exact) < 4 * stderr
    # n = 4: far below the coin-flip 2^-4 = 0.0625 (the true value is about 0.0025)
    assert cv.fraction_positive_definite(4, 100_000, seed=4) < 0.0625 / 3


def test_fraction_positive_definite_equals_direct_count():
    """The diagonal pre-filter changes nothing: same count as eigvalsh on every sampled matrix."""
    for n in (1, 3, 5):
        M = cv.sample_goe(n, 20_000, np.random.default_rng(5))
        direct = np.mean(np.linalg.eigvalsh(M)[:, 0] > 0)
        assert cv.fraction_positive_definite(n, 20_000, seed=5, batch=20_000) == direct
    # a different batch size splits the random stream differently but estimates the same quantity
    assert abs(cv.fraction_positive_definite(3, 20_000, seed=5, batch=3000) - 0.0258) < 0.006


def test_matrix_with_eigenvalues():
    eigenvalues = np.array([0.01, 0.5, 1.0, 3.0, 100.0])
    A = cv.matrix_with_eigenvalues(eigenvalues, np.random.default_rng(0))
    np.testing.assert_array_equal(A, A.T)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), eigenvalues, rtol=1e-12, atol=1e-12)
    assert np.abs(A - np.diag(np.diag(A))).max() > 0.1  # not axis-aligned
    B = cv.matrix_with_eigenvalues(eigenvalues, np.random.default_rng(0))
    np.testing.assert_array_equal(A, B)
    # Haar eigenvectors: the first eigenvector's first coordinate squared has mean 1/n
    firsts = [np.linalg.eigh(cv.matrix_with_eigenvalues([1.0, 2.0, 3.0], np.random.default_rng(s)))[1][0, 0] ** 2 for s in range(2000)]
    assert abs(np.mean(firsts) - 1 / 3) < 0.03


@pytest.mark.parametrize("eigenvalues", [[], [[1.0, 2.0]], [1.0, np.inf]])
def test_matrix_with_eigenvalues_validates(eigenvalues):
    with pytest.raises(ValueError, match="eigenvalues must be"):
        cv.matrix_with_eigenvalues(eigenvalues, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be"):
        cv.matrix_with_eigenvalues([1.0], rng=None)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0, "samples": 10}, "n must be"),
        ({"n": 2, "samples": 0}, "samples must be"),
        ({"n": 2, "samples": 10, "seed": -1}, "seed must be"),
        ({"n": 2, "samples": 10, "batch": 0}, "batch must be"),
    ],
)
def test_fraction_positive_definite_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cv.fraction_positive_definite(**kwargs)


# --------------------------------------------------------------------------------------------------
# Network gradient and Hessian
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(11)
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(3)]
    )
    model64 = cv.to_float64(model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3))
    y = rng.integers(0, 3, size=20)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return model, model64, x, y, loss


def test_to_float64_copies_weights_and_leaves_original(tiny):
    model, model64, x, _, _ = tiny
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    assert all(v.dtype == "float64" for v in model64.trainable_variables)
    for w32, w64 in zip(model.get_weights(), model64.get_weights()):
        np.testing.assert_array_equal(w32.astype(np.float64), w64)
    np.testing.assert_allclose(model64(x).numpy(), model(x).numpy(), atol=1e-5)


def test_flat_weights_order_and_size(tiny):
    _, model64, _, _, _ = tiny
    theta = cv.flat_weights(model64)
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
    theta = cv.flat_weights(model64)
    g = cv.NetworkLoss(model64, x, y, loss, compile=False).grad()
    eps = 1e-6
    fd = np.array(
        [(_mean_loss_numpy(theta + eps * e, x, y) - _mean_loss_numpy(theta - eps * e, x, y)) / (2 * eps) for e in np.eye(theta.size)]
    )
    np.testing.assert_allclose(g, fd, atol=1e-9)


def test_network_loss_value_and_theta_default(tiny):
    _, model64, x, y, loss = tiny
    f = cv.NetworkLoss(model64, x, y, loss)
    theta = cv.flat_weights(model64)
    assert f.dim == theta.size == 31
    assert abs(f.value() - _mean_loss_numpy(theta, x, y)) < 1e-14
    assert abs(f.value(theta + 0.1) - _mean_loss_numpy(theta + 0.1, x, y)) < 1e-14
    assert repr(f) == "NetworkLoss(dim=31, dtype=float64)"
    # the same value Keras's own (float64) loss reports for the model
    keras_value = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(y, model64(x))
    assert abs(f.value() - float(keras_value)) < 1e-12


def test_network_loss_at_other_theta_does_not_touch_model(tiny):
    _, model64, x, y, loss = tiny
    f = cv.NetworkLoss(model64, x, y, loss)
    theta = cv.flat_weights(model64)
    g_other = f.grad(theta + 0.1)
    np.testing.assert_array_equal(cv.flat_weights(model64), theta)
    assert not np.allclose(g_other, f.grad())
    np.testing.assert_allclose(g_other, cv.NetworkLoss(model64, x, y, loss, compile=False).grad(theta + 0.1), atol=1e-15)


def test_network_hessian_matches_finite_differences_and_is_symmetric(tiny):
    _, model64, x, y, loss = tiny
    f = cv.NetworkLoss(model64, x, y, loss)
    theta = cv.flat_weights(model64)
    P = theta.size
    H_raw = f.hessian(symmetrize=False)
    assert H_raw.shape == (P, P)
    # mixed partials agree: symmetric before symmetrizing, to rounding
    assert np.max(np.abs(H_raw - H_raw.T)) < 1e-12 * np.max(np.abs(H_raw))
    # column j = central difference of the gradient along e_j (independent of the nested tapes)
    eps = 1e-5
    fd = np.array([(f.grad(theta + eps * e) - f.grad(theta - eps * e)) / (2 * eps) for e in np.eye(P)])
    np.testing.assert_allclose(H_raw, fd, atol=1e-8)
    H = cv.NetworkLoss(model64, x, y, loss, compile=False).hessian()
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
    compiled, eager = cv.NetworkLoss(model64, x, y, loss), cv.NetworkLoss(model64, x, y, loss, compile=False)
    theta = cv.flat_weights(model64) - 0.05
    assert abs(compiled.value(theta) - eager.value(theta)) < 1e-15
    np.testing.assert_allclose(compiled.grad(theta), eager.grad(theta), atol=1e-15)
    np.testing.assert_allclose(compiled.hessian(theta), eager.hessian(theta), atol=1e-14)


def test_network_loss_drives_course_optimizers(tiny):
    """Full-batch GD on the network through optimizers.run: θ_1 = θ_0 − α∇h(θ_0), and h decreases."""
    from course_lib import optimizers

    _, model64, x, y, loss = tiny
    f = cv.NetworkLoss(model64, x, y, loss)
    theta0 = cv.flat_weights(model64)
    traj = optimizers.run(optimizers.GradientDescent(learning_rate=0.5), f, theta0, steps=20)
    np.testing.assert_allclose(traj.thetas[1], theta0 - 0.5 * f.grad(theta0), atol=1e-15)
    assert not traj.diverged and np.all(np.diff(traj.values) < 0)


def test_loss_by_name_and_mse(tiny):
    _, model64, x, _, _ = tiny
    target = np.random.default_rng(1).standard_normal((20, 3))
    by_name = cv.NetworkLoss(model64, x, target, "mean_squared_error")
    by_object = cv.NetworkLoss(model64, x, target, keras.losses.MeanSquaredError())
    np.testing.assert_allclose(by_name.grad(), by_object.grad(), atol=1e-15)
    H = by_name.hessian()
    # output bias block of the mean squared error (mean over m·K entries): (2/K) I
    np.testing.assert_allclose(H[-3:, -3:], 2.0 / 3.0 * np.eye(3), atol=1e-12)


def test_float32_model_computes_in_float32(tiny):
    model, model64, x, y, loss = tiny
    g32 = cv.NetworkLoss(model, x, y, loss, compile=False).grad()
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, cv.NetworkLoss(model64, x, y, loss, compile=False).grad(), atol=1e-6)


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
            cv.NetworkLoss(model64, compile=compile_, **args)


@pytest.mark.parametrize("theta", [np.zeros(5), np.full(31, np.nan), np.zeros((31, 1))])
def test_network_loss_validates_theta(tiny, theta):
    _, model64, x, y, loss = tiny
    f = cv.NetworkLoss(model64, x, y, loss)
    for method in (f.value, f.grad, f.hessian):
        with pytest.raises(ValueError, match="theta must be a finite vector"):
            method(theta)


def test_unbuilt_model_rejected():
    with pytest.raises(ValueError, match="model must have trainable variables"):
        cv.flat_weights(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="model must be built"):
        cv.to_float64(keras.Sequential([keras.layers.Dense(2)]))


def test_to_float64_functional_model():
    keras.utils.set_random_seed(2)
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(3, activation="relu")(inputs)))
    model64 = cv.to_float64(model)
    assert model64.inputs[0].dtype == "float64"
    x = np.array([[0.1, -0.2], [1.0, 2.0]])
    np.testing.assert_allclose(model64(x).numpy(), model(x).numpy(), atol=1e-6)
