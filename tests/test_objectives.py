"""Tests for course_lib.objectives: values (golden), gradients and Hessians against tf.GradientTape
(float64) and central finite differences, vectorization, critical points, validation."""

import numpy as np
import pytest
import scipy.optimize

import course_lib  # noqa: F401  (environment first)
from course_lib import objectives as ob

POINTS = np.array([[0.3, -0.7], [-1.2, 1.0], [2.0, 0.5], [-0.4, -2.2]])


def _quadratic():
    return ob.Quadratic([[3.0, 1.0], [1.0, 2.0]], [1.0, -1.0])


def _objectives():
    return {
        "quadratic": _quadratic(),
        "valley": ob.narrow_valley(kappa=25.0, angle=0.6, L=2.0, center=(0.5, -0.3)),
        "rosenbrock": ob.Rosenbrock(a=1.0, b=100.0),
        "rosenbrock_a2": ob.Rosenbrock(a=2.0, b=5.0),
        "saddle": ob.Saddle(a=1.5, b=0.5),
        "himmelblau": ob.Himmelblau(),
        "wavy_bowl": ob.WavyBowl(dim=2, a=0.3, omega=2.0),
    }


# ---- independent TensorFlow versions of the values, for a batch of points (B, 2) -------------------
def _tf_value(name, objective, theta):
    import tensorflow as tf

    x, y = theta[:, 0], theta[:, 1]
    if name in ("quadratic", "valley"):
        A, b = tf.constant(objective.A), tf.constant(objective.b)
        return 0.5 * tf.einsum("bi,ij,bj->b", theta, A, theta) - tf.einsum("i,bi->b", b, theta)
    if name.startswith("rosenbrock"):
        return (objective.a - x) ** 2 + objective.b * (y - x**2) ** 2
    if name == "saddle":
        return objective.a * x**2 - objective.b * y**2
    if name == "himmelblau":
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
    if name == "wavy_bowl":
        a, w = objective.a, objective.omega
        return 0.5 * (x**2 + y**2) + a * (2.0 - tf.cos(w * x) - tf.cos(w * y))
    raise KeyError(name)


def _tf_derivatives(name, objective, points):
    """Values (B,), gradients (B, 2) and Hessians (B, 2, 2) by nested tf.GradientTape, float64.

    The points are independent, so row i of each Hessian is the gradient of Σ_b ∂h/∂θ_i(θ_b).
    """
    import tensorflow as tf

    theta = tf.Variable(points, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            values = _tf_value(name, objective, theta)
            total = tf.reduce_sum(values)
        grads = inner.gradient(total, theta)
        row_sums = [tf.reduce_sum(grads[:, i]) for i in range(2)]
    hessians = np.stack([outer.gradient(row_sum, theta).numpy() for row_sum in row_sums], axis=1)
    return values.numpy(), grads.numpy(), hessians


@pytest.mark.parametrize("name", list(_objectives()))
def test_value_grad_hessian_match_tf_gradient_tape(name):
    objective = _objectives()[name]
    values, grads, hessians = _tf_derivatives(name, objective, POINTS)
    for point, value, grad, hessian in zip(POINTS, values, grads, hessians):
        np.testing.assert_allclose(objective.value(point), value, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(objective.grad(point), grad, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(objective.hessian(point), hessian, rtol=1e-11, atol=1e-11)
    assert np.abs(hessians[:, 0, 1] - hessians[:, 1, 0]).max() < 1e-10  # TF's Hessian is symmetric too


@pytest.mark.parametrize("name", list(_objectives()))
def test_grad_and_hessian_match_central_differences(name):
    objective = _objectives()[name]
    for point in POINTS:
        eye = np.eye(2)
        h = 1e-5
        grad_fd = np.array([(objective.value(point + h * e) - objective.value(point - h * e)) / (2 * h) for e in eye])
        hess_fd = np.array([(objective.grad(point + h * e) - objective.grad(point - h * e)) / (2 * h) for e in eye])
        scale = 1.0 + np.abs(objective.grad(point)).max()
        np.testing.assert_allclose(objective.grad(point), grad_fd, atol=1e-6 * scale)
        np.testing.assert_allclose(objective.hessian(point), hess_fd, atol=1e-5 * np.abs(hess_fd).max())


@pytest.mark.parametrize("name", list(_objectives()))
def test_vectorized_value_grad_hessian_on_a_grid(name):
    objective = _objectives()[name]
    grid = np.stack(np.meshgrid(np.linspace(-3, 3, 300), np.linspace(-2, 2, 300)), axis=-1)
    values = objective.value(grid)
    assert values.shape == (300, 300)
    for i, j in [(0, 0), (17, 250), (299, 299), (150, 3)]:
        np.testing.assert_allclose(values[i, j], objective.value(grid[i, j]), rtol=1e-13, atol=1e-12)
    points = grid[::60, ::60]  # (5, 5, 2)
    assert objective.grad(points).shape == (5, 5, 2)
    assert objective.hessian(points).shape == (5, 5, 2, 2)
    np.testing.assert_allclose(objective.grad(points)[2, 3], objective.grad(points[2, 3]), rtol=1e-13)
    np.testing.assert_allclose(objective.hessian(points)[4, 1], objective.hessian(points[4, 1]), rtol=1e-13)
    assert np.ndim(objective.value(grid[0, 0])) == 0
    assert objective.dim == 2


def test_quadratic_golden_constants():
    f = ob.Quadratic([[2.0, 0.0], [0.0, 8.0]], [2.0, 8.0])
    np.testing.assert_allclose(f.minimizer, [1.0, 1.0])
    assert f.min_value == pytest.approx(-5.0)
    assert (f.L, f.mu, f.kappa) == pytest.approx((8.0, 2.0, 4.0))
    assert f.value([0.0, 0.0]) == 0.0
    assert f.value([1.0, 2.0]) == pytest.approx(0.5 * (2 + 32) - (2 + 16))
    np.testing.assert_allclose(f.grad([1.0, 1.0]), [0.0, 0.0])
    np.testing.assert_allclose(f.hessian([5.0, -3.0]), [[2.0, 0.0], [0.0, 8.0]])
    assert ob.Quadratic(np.eye(3)).min_value == 0.0  # b defaults to zeros


def test_quadratic_5d_minimizer_is_the_solution_of_a_linear_system():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T + np.eye(5), rng.normal(size=5)
    f = ob.Quadratic(A, b)
    np.testing.assert_allclose(A @ f.minimizer, b, atol=1e-12)
    np.testing.assert_allclose(f.grad(f.minimizer), 0.0, atol=1e-12)
    assert f.value(f.minimizer) == pytest.approx(f.min_value, abs=1e-12)
    assert f.value(f.minimizer + 0.1) > f.min_value
    np.testing.assert_allclose(f.eigenvalues, np.linalg.eigvalsh(A), rtol=1e-12)


def test_quadratic_keeps_its_own_copy_of_b():
    b = np.array([1.0, 2.0])
    f = ob.Quadratic(np.eye(2), b)
    b[0] = 100.0
    assert b.flags.writeable
    np.testing.assert_allclose(f.b, [1.0, 2.0])


def test_narrow_valley_condition_number_and_orientation():
    angle = 0.6
    f = ob.narrow_valley(kappa=25.0, angle=angle, L=2.0, center=(0.5, -0.3))
    assert (f.L, f.mu, f.kappa) == pytest.approx((2.0, 0.08, 25.0))
    floor = np.array([np.cos(angle), np.sin(angle)])  # the valley floor: low curvature
    across = np.array([-np.sin(angle), np.cos(angle)])
    np.testing.assert_allclose(f.A @ floor, 0.08 * floor, atol=1e-14)
    np.testing.assert_allclose(f.A @ across, 2.0 * across, atol=1e-14)
    np.testing.assert_allclose(f.minimizer, [0.5, -0.3], atol=1e-14)
    default = ob.narrow_valley()
    np.testing.assert_allclose(default.A, np.diag([0.1, 1.0]), atol=1e-15)


def test_rosenbrock_golden():
    f = ob.Rosenbrock()
    np.testing.assert_allclose(f.minimizer, [1.0, 1.0])
    assert f.min_value == 0.0 and f.value([1.0, 1.0]) == 0.0
    assert f.value([-1.2, 1.0]) == pytest.approx(24.2)  # the classic start
    np.testing.assert_allclose(f.grad([-1.2, 1.0]), [-215.6, -88.0])
    np.testing.assert_allclose(f.hessian([1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]])
    np.testing.assert_allclose(ob.Rosenbrock(a=2.0, b=5.0).minimizer, [2.0, 4.0])


def test_saddle_has_mixed_curvature_and_no_minimum():
    f = ob.Saddle()
    assert f.value([1.0, 2.0]) == -3.0
    np.testing.assert_allclose(f.grad([1.0, 2.0]), [2.0, -4.0])
    eigenvalues = np.linalg.eigvalsh(f.hessian([0.0, 0.0]))
    assert eigenvalues[0] < 0 < eigenvalues[1]
    assert f.minimizer is None and f.min_value is None
    np.testing.assert_allclose(f.critical_point, [0.0, 0.0])


def test_himmelblau_critical_points_and_their_types():
    f = ob.Himmelblau()
    np.testing.assert_allclose(f.minima[0], [3.0, 2.0], atol=1e-14)
    np.testing.assert_allclose(f.minima[1], [-2.805118, 3.131312], atol=1e-6)  # published values
    np.testing.assert_allclose(f.value(f.minima), 0.0, atol=1e-25)
    points = np.vstack([f.minima, f.saddle_points, f.maximum[None]])
    np.testing.assert_allclose(f.grad(points), 0.0, atol=1e-11)
    eig = np.linalg.eigvalsh(f.hessian(points))  # (9, 2), ascending
    assert np.all(eig[:4] > 0)  # minima: all eigenvalues > 0
    assert np.all((eig[4:8, 0] < 0) & (eig[4:8, 1] > 0))  # saddles: mixed signs
    assert np.all(eig[8] < 0)  # maximum: all < 0
    # the maximum, found independently: scipy's BFGS on −h from a nearby point (published h ≈ 181.6165)
    peak = scipy.optimize.minimize(lambda t: -f.value(t), [-0.2, -0.8], method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(f.maximum, peak.x, atol=1e-7)
    assert f.value(f.maximum) == pytest.approx(-peak.fun, rel=1e-13)
    assert f.value(f.maximum) == pytest.approx(181.6165, abs=1e-4)
    assert f.min_value == 0.0 and f.minimizer is None


def test_noisy_gradient_draws_are_unbiased_and_pure_functions_of_seed_and_k():
    f = _quadratic()
    theta = np.array([0.5, -1.0])
    noisy = ob.NoisyGradient(f, sigma=0.5)
    samples = np.array([noisy.draw(3, k).grad(theta) for k in range(4000)])
    np.testing.assert_allclose(samples.mean(axis=0), f.grad(theta), atol=0.03)  # 4 standard errors
    np.testing.assert_allclose(samples.std(axis=0, ddof=1), 0.5, rtol=0.05)
    draw = noisy.draw(3, 17)
    np.testing.assert_array_equal(draw.grad(theta), samples[17])  # called again: the same noise
    np.testing.assert_array_equal(ob.NoisyGradient(f, 0.5).draw(3, 17).grad(theta), samples[17])
    expected = f.grad(theta) + 0.5 * np.random.default_rng((3, 17)).standard_normal(2)
    np.testing.assert_array_equal(draw.grad(theta), expected)
    assert not np.array_equal(noisy.draw(4, 17).grad(theta), samples[17])
    np.testing.assert_array_equal(noisy.grad(theta), f.grad(theta))  # undrawn: the mean of the draws
    for g in (noisy, draw):
        assert g.value(theta) == f.value(theta)
        np.testing.assert_array_equal(g.hessian(theta), f.hessian(theta))
        np.testing.assert_array_equal(g.minimizer, f.minimizer)
        assert g.min_value == f.min_value and g.dim == 2
    np.testing.assert_array_equal(ob.NoisyGradient(f, 0.0).draw(0, 0).grad(theta), f.grad(theta))
    assert repr(draw) == "NoisyGradient(" + repr(f) + ", sigma=0.5).draw(3, 17)"


def test_shape_checks_name_theta():
    f = _quadratic()
    for bad in (np.zeros(3), 1.0, np.zeros((4, 3))):
        with pytest.raises(ValueError, match="theta must have shape"):
            f.value(bad)
    for objective in _objectives().values():
        with pytest.raises(ValueError, match="theta"):
            objective.grad(np.zeros(3))
        with pytest.raises(ValueError, match="theta"):
            objective.hessian(np.zeros(1))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[1.0, 2.0, 3.0]],), "A must be a non-empty square matrix"),
        ((np.zeros((0, 0)),), "A must be a non-empty square matrix"),
        (([[1.0, 0.5], [0.0, 1.0]],), "A must be symmetric"),
        (([[1.0, 0.0], [0.0, -1.0]],), "A must be positive definite"),
        (([[1.0, 0.0], [0.0, 0.0]],), "A must be positive definite"),
        (([[1.0, np.nan], [np.nan, 1.0]],), "A must be finite"),
        ((np.eye(2), [1.0, 2.0, 3.0]), "b must be a finite vector"),
        ((np.eye(2), [1.0, np.inf]), "b must be a finite vector"),
    ],
)
def test_quadratic_validation(args, match):
    with pytest.raises(ValueError, match=match):
        ob.Quadratic(*args)


def test_parameter_validation_of_the_2d_objectives():
    with pytest.raises(ValueError, match="kappa"):
        ob.narrow_valley(kappa=0.5)
    with pytest.raises(ValueError, match="angle"):
        ob.narrow_valley(angle=np.nan)
    with pytest.raises(ValueError, match="L must"):
        ob.narrow_valley(L=0.0)
    with pytest.raises(ValueError, match="center"):
        ob.narrow_valley(center=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="b must"):
        ob.Rosenbrock(b=-1.0)
    with pytest.raises(ValueError, match="a must"):
        ob.Rosenbrock(a=np.inf)
    with pytest.raises(ValueError, match="a must"):
        ob.Saddle(a=0.0)
    with pytest.raises(ValueError, match="b must"):
        ob.Saddle(b=-2.0)
    with pytest.raises(ValueError, match="sigma"):
        ob.NoisyGradient(_quadratic(), sigma=-0.1)
    with pytest.raises(ValueError, match="seed"):
        ob.NoisyGradient(_quadratic(), sigma=0.1).draw(-1, 0)
    with pytest.raises(ValueError, match="k must"):
        ob.NoisyGradient(_quadratic(), sigma=0.1).draw(0, 1.5)


def test_reprs_are_informative():
    assert repr(ob.narrow_valley(kappa=10.0)) == "Quadratic(dim=2, L=1, mu=0.1, kappa=10)"
    assert repr(ob.Rosenbrock()) == "Rosenbrock(a=1, b=100)"
    assert repr(ob.Saddle()) == "Saddle(a=1, b=1)"
    assert repr(ob.Himmelblau()) == "Himmelblau()"


def test_quadratic_with_eigenvalues():
    eigenvalues = np.array([0.01, 0.5, 1.0, 3.0, 100.0])
    f = ob.Quadratic.with_eigenvalues(eigenvalues, np.random.default_rng(0))
    A = f.A
    np.testing.assert_array_equal(A, A.T)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), eigenvalues, rtol=1e-12, atol=1e-12)
    assert np.abs(A - np.diag(np.diag(A))).max() > 0.1  # not axis-aligned
    B = ob.Quadratic.with_eigenvalues(eigenvalues, np.random.default_rng(0)).A
    np.testing.assert_array_equal(A, B)
    # Haar eigenvectors: the first eigenvector's first coordinate squared has mean 1/n
    firsts = [
        np.linalg.eigh(ob.Quadratic.with_eigenvalues([1.0, 2.0, 3.0], np.random.default_rng(s)).A)[1][0, 0] ** 2
        for s in range(2000)
    ]
    assert abs(np.mean(firsts) - 1 / 3) < 0.03
    np.testing.assert_allclose((f.L, f.mu, f.kappa), (100.0, 0.01, 1e4), rtol=1e-10)
    with_b = ob.Quadratic.with_eigenvalues([1.0, 4.0], np.random.default_rng(1), b=[1.0, 2.0])
    np.testing.assert_allclose(with_b.A @ with_b.minimizer, [1.0, 2.0], rtol=1e-12)


@pytest.mark.parametrize("eigenvalues", [[], [[1.0, 2.0]], [1.0, np.inf]])
def test_quadratic_with_eigenvalues_validates(eigenvalues):
    with pytest.raises(ValueError, match="eigenvalues must be"):
        ob.Quadratic.with_eigenvalues(eigenvalues, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be"):
        ob.Quadratic.with_eigenvalues([1.0], rng=None)


def test_wavy_bowl_constants_and_minima():
    f = ob.WavyBowl(dim=2, a=0.3, omega=2.0)
    theta, eps = np.array([0.7, -1.3]), 1e-6
    numeric = [(f.value(theta + eps * e) - f.value(theta - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(f.grad(theta), numeric, atol=1e-8)
    numeric_h = [(f.grad(theta + eps * e) - f.grad(theta - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(f.hessian(theta), np.array(numeric_h).T, atol=1e-6)
    assert f.L == pytest.approx(1 + 0.3 * 4) and f.value(np.zeros(2)) == 0.0
    default = ob.WavyBowl(dim=1)
    assert default.L == 10.0
    # the docstring's second local minimum ±1.870: the root of θ + 3 sin 3θ in [1.5, 2.2], where h'' > 0
    root = scipy.optimize.brentq(lambda t: default.grad([t])[0], 1.5, 2.2, xtol=1e-14)
    assert root == pytest.approx(1.870, abs=5e-4) and default.hessian([root])[0, 0] > 0
    assert abs(default.grad([root])[0]) < 1e-12 and default.value([root]) > default.min_value
    assert f.value(np.zeros((4, 5, 2))).shape == (4, 5)


# ---- finite sums: least squares and logistic regression ----------------------------------------------
def _data(m=40, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    return X, rng


def _least_squares(m=40, n=3, seed=0):
    X, rng = _data(m, n, seed)
    return ob.LeastSquares(X, X @ rng.standard_normal(n) + 0.5 * rng.standard_normal(m))


def _logistic(m=40, n=3, seed=0, l2=0.0):
    X, rng = _data(m, n, seed)
    y = (X @ np.array([1.0, -1.5, 0.5]) + rng.standard_normal(m) > 0).astype(float)
    return ob.LogisticRegression(X, y, l2=l2)


def _central_differences(f, theta, eps=1e-6):
    grad = np.array([(f.value(theta + eps * e) - f.value(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)])
    hess = np.array([(f.grad(theta + eps * e) - f.grad(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)])
    return grad, hess


@pytest.mark.parametrize("make", [_least_squares, _logistic, lambda: _logistic(l2=0.3)], ids=["ls", "logistic", "l2"])
def test_finite_sum_derivatives_match_finite_differences_and_hvp_the_hessian(make):
    f = make()
    theta, v = np.array([0.3, -0.8, 1.1]), np.array([1.0, 2.0, -0.5])
    grad, hess = _central_differences(f, theta)
    np.testing.assert_allclose(f.grad(theta), grad, atol=1e-8)
    np.testing.assert_allclose(f.hessian(theta), hess, atol=1e-7)
    np.testing.assert_allclose(f.hvp(theta, v), f.hessian(theta) @ v, rtol=1e-13, atol=1e-15)
    assert (f.m, f.dim) == (40, 3)


def test_least_squares_against_closed_forms_and_scipy():
    import scipy.linalg

    f = _least_squares()
    theta = np.array([0.3, -0.8, 1.1])
    assert f.value(theta) == pytest.approx(np.linalg.norm(f.X @ theta - f.y) ** 2 / (2 * f.m), rel=1e-14)
    from course_lib import losses

    assert f.value(theta) == pytest.approx(0.5 * losses.mean_squared_error(f.X @ theta, f.y), rel=1e-14)
    normal_equations = scipy.linalg.solve(f.X.T @ f.X, f.X.T @ f.y, assume_a="pos")
    np.testing.assert_allclose(f.minimizer, normal_equations, rtol=1e-12)
    assert f.min_value == pytest.approx(np.sum((f.y - f.X @ normal_equations) ** 2) / (2 * f.m), rel=1e-12)
    singular_values = scipy.linalg.svdvals(f.X)
    np.testing.assert_allclose((f.L, f.mu), singular_values[[0, -1]] ** 2 / f.m, rtol=1e-12)
    np.testing.assert_allclose(f.grad(f.minimizer), 0.0, atol=1e-14)


def test_logistic_regression_value_and_derivatives_against_tf_gradient_tape():
    import tensorflow as tf

    f = _logistic(l2=0.2)
    theta0 = np.array([0.4, -0.3, 0.9])
    theta = tf.Variable(theta0, dtype=tf.float64)
    loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            logits = tf.linalg.matvec(tf.constant(f.X), theta)
            value = loss(tf.constant(f.y)[:, None], logits[:, None]) + 0.1 * tf.reduce_sum(theta * theta)
        grad = inner.gradient(value, theta)
    hessian = outer.jacobian(grad, theta).numpy()
    assert f.value(theta0) == pytest.approx(float(value), rel=1e-12)
    np.testing.assert_allclose(f.grad(theta0), grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f.hessian(theta0), hessian, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_logistic_regression_minimizer_by_newton_matches_sklearn(l2):
    from sklearn.linear_model import LogisticRegression

    f = _logistic(m=60, l2=l2)
    assert not f.separable
    assert np.linalg.norm(f.grad(f.minimizer)) <= 1e-12
    options = {"C": np.inf if l2 == 0 else 1.0 / (l2 * f.m)}  # sklearn: C Σ loss + ½‖θ‖²
    reference = LogisticRegression(fit_intercept=False, tol=1e-12, max_iter=10_000, **options).fit(f.X, f.y)
    np.testing.assert_allclose(f.minimizer, reference.coef_[0], rtol=1e-6)
    assert f.min_value == pytest.approx(f.value(reference.coef_[0]), rel=1e-10)
    assert f.min_value <= f.value(reference.coef_[0])


def test_separable_labels_have_no_minimizer_unless_penalized():
    X, _ = _data(m=30)
    y = (X @ np.array([1.0, -1.5, 0.5]) > 0).astype(float)  # a hyperplane through 0 separates them
    f = ob.LogisticRegression(X, y)
    assert f.separable and f.minimizer is None and f.min_value is None
    # h keeps falling along the separating direction: no θ is a minimizer
    direction = np.array([1.0, -1.5, 0.5])
    assert np.all(np.diff(f.value(np.outer([1.0, 10.0, 100.0], direction))) < 0)
    penalized = ob.LogisticRegression(X, y, l2=0.01)
    assert penalized.separable and np.linalg.norm(penalized.grad(penalized.minimizer)) <= 1e-12


@pytest.mark.parametrize("make", [_least_squares, lambda: _logistic(l2=0.1)], ids=["ls", "logistic"])
def test_at_batch_is_the_same_objective_on_those_examples(make):
    f = make()
    theta = np.array([0.2, 0.5, -1.0])
    batch = np.array([3, 17, 0, 25])
    sub = f.at(batch)
    kwargs = {"l2": f.l2} if hasattr(f, "l2") else {}
    direct = type(f)(f.X[batch], f.y[batch], **kwargs)
    assert sub.m == 4 and sub.dim == 3
    for name in ("value", "grad", "hessian"):
        np.testing.assert_array_equal(getattr(sub, name)(theta), getattr(direct, name)(theta))
    np.testing.assert_allclose(sub.minimizer, direct.minimizer, rtol=1e-12)
    # the full objective is the mean of the batch objectives over a partition into equal parts
    parts = np.arange(f.m).reshape(4, -1)
    np.testing.assert_allclose(np.mean([f.at(p).value(theta) for p in parts]), f.value(theta), rtol=1e-13)
    np.testing.assert_allclose(np.mean([f.at(p).grad(theta) for p in parts], axis=0), f.grad(theta), rtol=1e-12)
    # repeats count: batch [i, i] is example i
    np.testing.assert_allclose(f.at([5, 5]).value(theta), f.at([5]).value(theta), rtol=1e-15)


@pytest.mark.parametrize("make", [_least_squares, lambda: _logistic(l2=0.1)], ids=["ls", "logistic"])
def test_finite_sums_are_vectorized_over_thetas(make):
    f = make()
    thetas = np.random.default_rng(3).standard_normal((4, 5, 3))
    values, grads, hessians = f.value(thetas), f.grad(thetas), f.hessian(thetas)
    assert values.shape == (4, 5) and grads.shape == (4, 5, 3) and hessians.shape == (4, 5, 3, 3)
    for i, j in [(0, 0), (3, 4), (2, 1)]:
        assert values[i, j] == pytest.approx(f.value(thetas[i, j]), rel=1e-13)
        np.testing.assert_allclose(grads[i, j], f.grad(thetas[i, j]), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hessians[i, j], f.hessian(thetas[i, j]), rtol=1e-12, atol=1e-15)


def test_finite_sum_validation_names_the_argument():
    X, _ = _data(m=10)
    y = np.zeros(10)
    for make in (ob.LeastSquares, ob.LogisticRegression):
        with pytest.raises(ValueError, match="y must have one entry per row of X"):
            make(X, np.zeros(9))
        with pytest.raises(ValueError, match="X must be"):
            make(np.ones(10), y)
        with pytest.raises(ValueError, match="X must be"):
            make(np.where(np.eye(10, 3) > 0, np.nan, X), y)
        with pytest.raises(ValueError, match="y must be"):
            make(X, np.zeros((10, 1)))
        f = make(X, y)
        for batch in ([], [10], [-1], [0.5, 1.0], [[0, 1]]):
            with pytest.raises(ValueError, match="batch must"):
                f.at(batch)
        with pytest.raises(ValueError, match="theta"):
            f.value(np.zeros(4))
        with pytest.raises(ValueError, match="v must"):
            f.hvp(np.zeros(3), np.zeros(2))
    for labels in ([0.5] + [0.0] * 9, [2.0] + [0.0] * 9, [-1.0] + [1.0] * 9):
        with pytest.raises(ValueError, match="y must hold labels 0 or 1"):
            ob.LogisticRegression(X, labels)
    with pytest.raises(ValueError, match="l2 must"):
        ob.LogisticRegression(X, y, l2=-0.1)
    assert repr(ob.LogisticRegression(X, y, l2=0.5)) == "LogisticRegression(m=10, dim=3, l2=0.5)"
    assert repr(ob.LeastSquares(X, y)) == "LeastSquares(m=10, dim=3)"
