"""Tests for course_lib.rates: the GD bounds against their formulas and against GD runs."""

import numpy as np
import pytest

from course_lib import objectives, optimizers, rates


def gd(objective, rate, theta0, steps):
    return optimizers.run(optimizers.GradientDescent(learning_rate=rate), objective, theta0, steps=steps)


def test_descent_coefficient_is_largest_at_one_over_L():
    L = 4.0
    grid = np.linspace(0.01, 0.49, 97)
    values = [rates.descent_coefficient(a, L) for a in grid]
    assert grid[int(np.argmax(values))] == pytest.approx(1 / L)
    assert rates.descent_coefficient(1 / L, L) == pytest.approx(1 / (2 * L))
    assert rates.descent_coefficient(2 / L, L) == pytest.approx(0.0, abs=1e-15)
    assert rates.descent_coefficient(2.5 / L, L) < 0


def test_strongly_convex_bound_formula_and_shape():
    # κ = 3: q = 1/2, so the bound is (L/2) 4^-k d².
    assert rates.strongly_convex_bound(3.0, 1.0, 2.0, 0) == pytest.approx(3.0)
    assert rates.strongly_convex_bound(3.0, 1.0, 2.0, 2) == pytest.approx(3.0 / 16)
    out = rates.strongly_convex_bound(3.0, 1.0, 2.0, np.arange(4))
    assert out.shape == (4,) and np.allclose(out, 3.0 * 0.25 ** np.arange(4))


def test_strongly_convex_bound_holds_and_is_attained_on_a_quadratic():
    rng = np.random.default_rng(0)
    quad = objectives.Quadratic.with_eigenvalues(np.geomspace(0.05, 1.0, 8), rng)
    theta0 = rng.standard_normal(8)
    traj = gd(quad, 2 / (quad.L + quad.mu), theta0, 200)
    bound = rates.strongly_convex_bound(quad.L, quad.mu, theta0 @ theta0, np.arange(201))
    assert np.all(traj.values - quad.min_value <= bound * (1 + 1e-9))
    top = np.linalg.eigh(quad.A)[1][:, -1]  # along the top eigenvector the bound is exact
    exact = gd(quad, 2 / (quad.L + quad.mu), top, 50)
    assert np.allclose(exact.values, rates.strongly_convex_bound(quad.L, quad.mu, 1.0, np.arange(51)))


def test_iterations_bound_is_enough():
    for kappa in [2.0, 10.0, 100.0]:
        k = int(np.ceil(rates.iterations_bound(kappa, 1.0, 1.0, 1e-8)))
        assert rates.strongly_convex_bound(1.0, 1 / kappa, 1.0, k) <= 1e-8
    assert rates.iterations_bound(10.0, 1.0, 1.0, 10.0) == 0.0


def test_convex_bound_holds_and_the_worst_case_reaches_a_constant_fraction():
    rng = np.random.default_rng(1)
    quad = objectives.Quadratic.with_eigenvalues(np.geomspace(1e-6, 1.0, 30), rng)
    theta0 = rng.standard_normal(30)
    traj = gd(quad, 1 / quad.L, theta0, 500)
    ks = np.arange(1, 501)
    assert np.all(traj.values[1:] - quad.min_value <= rates.convex_bound(quad.L, theta0 @ theta0, ks))
    assert rates.convex_bound(1.0, 1.0, 0) == np.inf
    # worst case for step K: a 1-D curvature L/(2K + 1); the ratio tends to 1/(2e)
    K = 1000
    hard = objectives.Quadratic(np.diag([1.0, 1 / (2 * K + 1)]))
    run = gd(hard, 1.0, [0.0, 1.0], K)
    assert run.values[-1] / rates.convex_bound(1.0, 1.0, K) == pytest.approx(1 / (2 * np.e), rel=1e-3)


def test_convex_tight_bound_is_half_the_textbook_bound_asymptotically_and_holds():
    ks = np.arange(1, 200)
    tight = rates.convex_tight_bound(2.0, 3.0, ks)
    np.testing.assert_allclose(tight, 2.0 * 3.0 / (4 * ks + 2), rtol=1e-15)
    assert np.all(tight < rates.convex_bound(2.0, 3.0, ks))
    assert tight[-1] / rates.convex_bound(2.0, 3.0, int(ks[-1])) == pytest.approx(2 * 199 / (4 * 199 + 2))
    assert rates.convex_tight_bound(2.0, 3.0, 0) == pytest.approx(2.0 * 3.0 / 2)  # L-smoothness alone
    rng = np.random.default_rng(4)  # every convex quadratic stays under it
    for _ in range(5):
        quad = objectives.Quadratic.with_eigenvalues(rng.uniform(1e-4, 1.0, 6), rng)
        theta0 = rng.standard_normal(6)
        traj = gd(quad, 1 / quad.L, theta0, 100)
        dist0_sq = float((theta0 - quad.minimizer) @ (theta0 - quad.minimizer))
        bound = rates.convex_tight_bound(quad.L, dist0_sq, np.arange(101))
        assert np.all(traj.values - quad.min_value <= bound * (1 + 1e-12))


def test_gradient_bound_holds_on_the_non_convex_wavy_bowl():
    f = objectives.WavyBowl(dim=3)
    assert np.min(np.linalg.eigvalsh(f.hessian(np.linspace(-2, 2, 300)[:, None] * np.ones(3)))) < 0
    rng = np.random.default_rng(2)
    for _ in range(20):
        theta0 = rng.uniform(-4, 4, 3)
        traj = gd(f, 1 / f.L, theta0, 60)
        squared = np.sum(f.grad(traj.thetas[:-1]) ** 2, axis=1)
        ks = np.arange(1, 61)
        assert np.all(np.minimum.accumulate(squared) <= rates.gradient_bound(f.L, traj.values[0], ks))
    assert rates.gradient_bound(1.0, 1.0, 0) == np.inf


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rates.descent_coefficient(-1.0, 1.0), "learning_rate"),
        (lambda: rates.strongly_convex_bound(1.0, 2.0, 1.0, 1), "mu"),
        (lambda: rates.strongly_convex_bound(1.0, 0.5, 1.0, -1), "k"),
        (lambda: rates.convex_bound(1.0, 1.0, 1.5), "k"),
        (lambda: rates.convex_tight_bound(1.0, -1.0, 1), "dist0_sq"),
        (lambda: rates.gradient_bound(0.0, 1.0, 1), "L"),
        (lambda: rates.iterations_bound(0.5, 1.0, 1.0, 1e-3), "kappa"),
        (lambda: objectives.WavyBowl(dim=0), "dim"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
