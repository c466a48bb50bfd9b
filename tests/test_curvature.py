"""Tests for course_lib.curvature: the second-order test and GOE sampling (math only)."""

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
