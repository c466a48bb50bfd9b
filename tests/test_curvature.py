"""Tests for course_lib.curvature: the second-order test, GOE sampling, Lanczos and conjugate gradients."""

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
# top_eigenvalue (Lanczos through Hessian-vector products)
# --------------------------------------------------------------------------------------------------
def _symmetric(n, seed=0):
    M = np.random.default_rng(seed).standard_normal((n, n))
    return 0.5 * (M + M.T)


class _Counting:
    """v -> Hv that counts its calls."""

    def __init__(self, H):
        self.H, self.calls = H, 0

    def __call__(self, v):
        self.calls += 1
        return self.H @ v


@pytest.mark.parametrize("n", [2, 3, 50, 200])
def test_top_eigenvalue_matches_the_dense_eigenvalues(n):
    H = _symmetric(n, seed=n)
    eigenvalues = np.linalg.eigvalsh(H)
    scale = np.abs(eigenvalues).max()
    assert abs(cv.top_eigenvalue(lambda v: H @ v, n) - eigenvalues[-1]) <= 1e-10 * scale
    assert abs(cv.top_eigenvalue(lambda v: H @ v, n, which="smallest") - eigenvalues[0]) <= 1e-10 * scale


def test_top_eigenvalue_is_algebraic_not_by_magnitude_and_returns_the_eigenvector():
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((30, 30)))
    spectrum = np.linspace(-10.0, 3.0, 30)  # the largest magnitude is negative
    H = (Q * spectrum) @ Q.T
    value, vector = cv.top_eigenvalue(lambda v: H @ v, 30, return_vector=True)
    assert value == pytest.approx(3.0, abs=1e-10)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(H @ vector, value * vector, atol=1e-8)
    assert abs(vector @ Q[:, -1]) == pytest.approx(1.0, abs=1e-10)
    assert vector[np.argmax(np.abs(vector))] > 0  # the sign convention
    low, low_vector = cv.top_eigenvalue(lambda v: H @ v, 30, which="smallest", return_vector=True)
    assert low == pytest.approx(-10.0, abs=1e-10) and abs(low_vector @ Q[:, 0]) == pytest.approx(1.0, abs=1e-10)


def test_top_eigenvalue_is_deterministic_and_a_warm_start_saves_products():
    H = _symmetric(300, seed=2)
    cold = _Counting(H)
    first = cv.top_eigenvalue(cold, 300, return_vector=True)
    again = cv.top_eigenvalue(lambda v: H @ v, 300, return_vector=True)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])
    # a slightly different matrix (the next step of a run), started at the previous eigenvector
    E = 1e-3 * _symmetric(300, seed=3)
    warm, restarted = _Counting(H + E), _Counting(H + E)
    warm_value = cv.top_eigenvalue(warm, 300, v0=first[1], tol=1e-8)
    cold_value = cv.top_eigenvalue(restarted, 300, tol=1e-8)
    assert warm_value == pytest.approx(cold_value, rel=1e-8)
    assert warm.calls < restarted.calls


def test_top_eigenvalue_of_a_finite_sum_is_its_smoothness_constant():
    from course_lib import objectives

    X = np.random.default_rng(4).standard_normal((100, 8))
    f = objectives.LeastSquares(X, X @ np.ones(8))
    theta = np.zeros(8)
    assert cv.top_eigenvalue(lambda v: f.hvp(theta, v), 8) == pytest.approx(f.L, rel=1e-12)
    assert cv.top_eigenvalue(lambda v: f.hvp(theta, v), 8, which="smallest") == pytest.approx(f.mu, rel=1e-10)


def test_top_eigenvalue_of_a_network_hessian_from_exact_hvps():
    """Chapter 05's use: the sharpness of a small network's loss, from its Hessian-vector products only."""
    from course_lib import networks

    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((30, 4)), rng.integers(0, 3, size=30)
    net = networks.init([4, 5, 3], activation="tanh", seed=1)
    loss = networks.Objective(net, x, y)
    theta = networks.flatten(net)
    dense = np.linalg.eigvalsh(loss.hessian(theta))
    top = cv.top_eigenvalue(lambda v: loss.hvp(theta, v), theta.size)
    bottom = cv.top_eigenvalue(lambda v: loss.hvp(theta, v), theta.size, which="smallest")
    np.testing.assert_allclose([top, bottom], dense[[-1, 0]], rtol=1e-8, atol=1e-10)


def test_top_eigenvalue_one_dimension_and_validation():
    assert cv.top_eigenvalue(lambda v: -2.5 * v, 1) == -2.5
    assert cv.top_eigenvalue(lambda v: -2.5 * v, 1, return_vector=True)[1].tolist() == [1.0]
    H = _symmetric(5)
    with pytest.raises(ValueError, match="which must be"):
        cv.top_eigenvalue(lambda v: H @ v, 5, which="LA")
    with pytest.raises(ValueError, match="v0 must be a finite vector of shape"):
        cv.top_eigenvalue(lambda v: H @ v, 5, v0=np.ones(4))
    with pytest.raises(ValueError, match="v0 must be a nonzero"):
        cv.top_eigenvalue(lambda v: H @ v, 5, v0=np.zeros(5))
    with pytest.raises(ValueError, match="dim must be"):
        cv.top_eigenvalue(lambda v: H @ v, 0)
    with pytest.raises(ValueError, match="hvp must map"):
        cv.top_eigenvalue(lambda v: np.ones(3), 5)
    with pytest.raises(ValueError, match="tol must be"):
        cv.top_eigenvalue(lambda v: H @ v, 5, tol=-1.0)
    with pytest.raises(ValueError, match="seed must be"):
        cv.top_eigenvalue(lambda v: H @ v, 5, seed=-1)


# --------------------------------------------------------------------------------------------------
# conjugate_gradient
# --------------------------------------------------------------------------------------------------
def _spd(n, eigenvalues, seed=0):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    A = (Q * np.asarray(eigenvalues, dtype=float)) @ Q.T
    return 0.5 * (A + A.T)


def test_conjugate_gradient_matches_scipy_cg_iterate_by_iterate_and_the_dense_solve():
    import scipy.sparse.linalg

    n = 60
    A = _spd(n, np.geomspace(1.0, 1e3, n))
    b = np.random.default_rng(1).standard_normal(n)
    ours = cv.conjugate_gradient(lambda v: A @ v, b, return_history=True)
    scipy_iterates = []
    x, info = scipy.sparse.linalg.cg(A, b, rtol=1e-10, atol=0.0, callback=lambda xk: scipy_iterates.append(xk.copy()))
    assert info == 0 and ours.converged
    assert ours.iterations == len(scipy_iterates)
    np.testing.assert_allclose(ours.iterates[1:], np.array(scipy_iterates), rtol=1e-9, atol=1e-12)
    exact = np.linalg.solve(A, b)
    np.testing.assert_allclose(ours.x, exact, rtol=1e-8)
    np.testing.assert_array_equal(cv.conjugate_gradient(lambda v: A @ v, b), ours.x)
    assert np.linalg.norm(b - A @ ours.x) <= 1.01e-10 * np.linalg.norm(b)
    np.testing.assert_allclose(
        ours.residual_norms, np.linalg.norm(b - ours.iterates @ A, axis=1), rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("distinct", [1, 2, 3, 5, 8])
def test_conjugate_gradient_terminates_in_as_many_steps_as_distinct_eigenvalues(distinct):
    n = 40
    spectrum = np.resize(np.linspace(1.0, 10.0, distinct), n)  # each value repeated
    A = _spd(n, spectrum, seed=distinct)
    b = np.random.default_rng(2).standard_normal(n)
    result = cv.conjugate_gradient(lambda v: A @ v, b, tol=1e-9, return_history=True)
    assert result.converged and result.iterations == distinct
    assert result.residual_norms[distinct - 1] > 1e-3 * np.linalg.norm(b)  # not one step earlier
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)


def test_conjugate_gradient_error_obeys_the_chebyshev_bound():
    """‖x_k − x*‖_A <= 2((√κ − 1)/(√κ + 1))^k ‖x_0 − x*‖_A (chapter 07's figure)."""
    n, kappa = 100, 400.0
    A = _spd(n, np.linspace(1.0, kappa, n), seed=7)
    b = np.random.default_rng(3).standard_normal(n)
    result = cv.conjugate_gradient(lambda v: A @ v, b, tol=1e-12, return_history=True)
    errors = result.iterates - np.linalg.solve(A, b)
    a_norms = np.sqrt(np.einsum("ki,ij,kj->k", errors, A, errors))
    rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    k = np.arange(len(a_norms))
    assert np.all(a_norms <= 2 * rate**k * a_norms[0] * (1 + 1e-9))
    assert np.all(np.diff(a_norms) < 0)  # the A-norm error falls at every step
    # and far faster than gradient descent's (κ − 1)/(κ + 1) per step
    assert a_norms[40] < ((kappa - 1) / (kappa + 1)) ** 40 * a_norms[0] * 1e-3


def test_conjugate_gradient_edge_cases_and_validation():
    A = _spd(6, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    zero = cv.conjugate_gradient(lambda v: A @ v, np.zeros(6), return_history=True)
    assert zero.iterations == 0 and zero.converged and not np.any(zero.x)
    start = np.arange(6.0)
    warm = cv.conjugate_gradient(lambda v: A @ v, A @ start, x0=start, return_history=True)
    assert warm.iterations == 0 and warm.converged
    capped = cv.conjugate_gradient(lambda v: A @ v, np.ones(6), max_iter=2, return_history=True)
    assert capped.iterations == 2 and not capped.converged and capped.iterates.shape == (3, 6)
    indefinite = np.diag([1.0, -1.0])
    stopped = cv.conjugate_gradient(lambda v: indefinite @ v, np.array([1.0, 1.0]), return_history=True)
    assert not stopped.converged and stopped.iterations == 0  # pᵀAp = 0 on the first direction
    with pytest.raises(ValueError, match="b must be"):
        cv.conjugate_gradient(lambda v: A @ v, np.ones((6, 1)))
    with pytest.raises(ValueError, match="b must be"):
        cv.conjugate_gradient(lambda v: A @ v, [1.0, np.nan, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="x0 must be"):
        cv.conjugate_gradient(lambda v: A @ v, np.ones(6), x0=np.ones(5))
    with pytest.raises(ValueError, match="matvec must map"):
        cv.conjugate_gradient(lambda v: np.ones(5), np.ones(6))
    with pytest.raises(ValueError, match="max_iter must be"):
        cv.conjugate_gradient(lambda v: A @ v, np.ones(6), max_iter=-1)
    with pytest.raises(ValueError, match="tol must be"):
        cv.conjugate_gradient(lambda v: A @ v, np.ones(6), tol=np.nan)
