"""Tests for chapter 06's pieces: the momentum formulas of course_lib.rates, Nesterov's worst-case
quadratic and Lessard et al.'s function (course_lib.objectives), Nesterov's convex momentum schedule
(course_lib.optimizers). Each is checked against an independent computation: eigenvalues by
numpy.linalg, stationary variances by scipy's discrete Lyapunov solver, runs of the optimizers,
finite differences and closed forms."""

import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov

from course_lib import curvature, objectives, optimizers, rates


def _hb(alpha, beta):
    return optimizers.Momentum(alpha, beta)


def _nag(alpha, beta):
    return optimizers.Momentum(alpha, beta, nesterov=True)


# --- tuned constants and the 2 x 2 iteration --------------------------------------------------------
def test_heavy_ball_constants_are_the_minimax_pair_found_by_a_grid_search():
    L, mu = 1.0, 0.04  # κ = 25
    alpha, beta = rates.heavy_ball_constants(L, mu)
    assert alpha == pytest.approx(4 / (1 + 0.2) ** 2) and beta == pytest.approx((0.8 / 1.2) ** 2)
    lams = np.linspace(mu, L, 41)

    def worst(a, b):
        T = np.array([[[1 + b - a * lam, -b], [1.0, 0.0]] for lam in lams])
        return np.abs(np.linalg.eigvals(T)).max()

    grid = [(a, b) for a in np.linspace(2.0, 3.5, 61) for b in np.linspace(0.2, 0.7, 51)]
    best = min(grid, key=lambda p: worst(*p))
    assert worst(alpha, beta) == pytest.approx(np.sqrt(beta), rel=1e-6)
    assert worst(alpha, beta) <= worst(*best) + 1e-9
    assert abs(best[0] - alpha) < 0.06 and abs(best[1] - beta) < 0.03  # grid steps 0.025, 0.01


def test_nesterov_constants():
    alpha, beta = rates.nesterov_constants(4.0, 1.0)
    assert alpha == pytest.approx(0.25) and beta == pytest.approx(1 / 3)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matrix_propagates_a_run_along_an_eigen_direction(nesterov):
    lam, alpha, beta = 0.7, 0.9, 0.6
    line = objectives.Quadratic([[lam]])
    run = optimizers.run(optimizers.Momentum(alpha, beta, nesterov=nesterov), line, [1.0], 30)
    e = run.thetas[:, 0]
    T = rates.momentum_matrix(alpha, beta, lam, nesterov=nesterov)
    for k in range(1, 30):
        assert T @ np.array([e[k], e[k - 1]]) == pytest.approx([e[k + 1], e[k]], abs=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_spectral_radius_equals_numpy_eigenvalues_and_broadcasts(nesterov):
    betas = np.array([0.0, 0.3, 0.9])[:, None]
    lams = np.array([0.01, 0.5, 1.0, 2.5, 3.9])[None, :]
    radius = rates.momentum_spectral_radius(0.8, betas, lams, nesterov=nesterov)
    T = rates.momentum_matrix(0.8, betas, lams, nesterov=nesterov)
    assert radius.shape == (3, 5)
    assert np.allclose(radius, np.abs(np.linalg.eigvals(T)).max(axis=-1), rtol=1e-7)
    assert isinstance(rates.momentum_spectral_radius(0.8, 0.3, 0.5), float)


def test_spectral_radius_is_the_measured_rate_of_a_run():
    line = objectives.Quadratic([[1.0]])
    for t, beta in [(0.3, 0.2), (1.2, 0.7), (2.2, 0.3)]:
        e = optimizers.run(_hb(t, beta), line, [1.0], 300).thetas[:, 0]
        size = np.hypot(e[1:], e[:-1])
        measured = (size[-20:].max() / size[130:150].max()) ** (1 / 150)
        assert measured == pytest.approx(rates.momentum_spectral_radius(t, beta, 1.0), rel=2e-3)


def test_damping_boundaries_separate_real_and_complex_roots_and_divergence():
    for beta in [0.1, 0.5, 0.81]:
        low, high, edge = rates.damping_boundaries(beta)
        for t, complex_roots in [(low * 0.9, False), ((low + high) / 2, True), (high * 1.01, False)]:
            roots = np.linalg.eigvals(rates.momentum_matrix(1.0, beta, t))
            assert (abs(roots.imag).max() > 0) == complex_roots
        assert rates.momentum_spectral_radius(1.0, beta, edge * 0.999) < 1
        assert rates.momentum_spectral_radius(1.0, beta, edge * 1.001) > 1
    assert np.shape(rates.damping_boundaries([0.1, 0.5])[0]) == (2,)


# --- bounds ---------------------------------------------------------------------------------------
def test_nesterov_bound_holds_on_quadratics_and_on_lessards_function():
    rng = np.random.default_rng(0)
    for kappa in [4.0, 100.0]:
        quad = objectives.Quadratic.with_eigenvalues(np.geomspace(1 / kappa, 1.0, 8), rng)
        theta0 = rng.standard_normal(8)
        run = optimizers.run(_nag(*rates.nesterov_constants(1.0, 1 / kappa)), quad, theta0, 300)
        gap = run.values - quad.min_value
        d0 = np.sum((theta0 - quad.minimizer) ** 2)
        assert np.all(gap <= rates.nesterov_bound(1.0, 1 / kappa, gap[0], d0, np.arange(301)) * (1 + 1e-9))
    f = objectives.LessardCounterexample()
    for x0 in np.linspace(-5, 5, 21):
        run = optimizers.run(_nag(*rates.nesterov_constants(25.0, 1.0)), f, [x0], 100)
        assert np.all(run.values <= rates.nesterov_bound(25.0, 1.0, run.values[0], x0**2, np.arange(101)))


def test_lower_bound_holds_for_every_first_order_method_and_cg_attains_its_rate():
    kappa, n, K = 49.0, 120, 40
    f = objectives.nesterov_worst_case(n, L=1.0, mu=1 / kappa)
    zero = np.zeros(n)
    bound = rates.first_order_lower_bound(1.0, 1 / kappa, np.sum(f.minimizer**2), np.arange(K + 1))
    q = (7 - 1) / (7 + 1)
    assert bound[1:] / bound[:-1] == pytest.approx(np.full(K, q**2))
    runs = [
        optimizers.run(optimizers.GradientDescent(1.0), f, zero, K).values,
        optimizers.run(_hb(*rates.heavy_ball_constants(1.0, 1 / kappa)), f, zero, K).values,
        optimizers.run(_nag(*rates.nesterov_constants(1.0, 1 / kappa)), f, zero, K).values,
    ]
    cg = curvature.conjugate_gradient(lambda v: f.A @ v, f.b, tol=0.0, max_iter=K, return_history=True)
    cg_gap = f.value(cg.iterates) - f.min_value
    for values in runs:
        assert np.all(values - f.min_value >= bound * (1 - 1e-9))
        assert np.all(cg_gap <= (values - f.min_value) * (1 + 1e-9))
    assert np.all(cg_gap <= 10 * bound)  # attained up to a constant


def test_convex_bounds_hold_and_sandwich_nesterov_on_the_convex_worst_case():
    for k in [3, 10, 40]:
        f = objectives.nesterov_worst_case(2 * k + 1, L=2.0)
        R2 = np.sum(f.minimizer**2)
        nag = optimizers.Momentum(0.5, momentum=optimizers.nesterov_convex_momentum, nesterov=True)
        gap = optimizers.run(nag, f, np.zeros(2 * k + 1), k).values - f.min_value
        assert np.all(gap[1:] <= rates.nesterov_convex_bound(2.0, R2, np.arange(1, k + 1)))
        assert gap[-1] >= rates.convex_lower_bound(2.0, R2, k)
        # the exact Krylov minimum: min of f over span(e1..ek) minus f*, Nesterov (2004), Section 2.1.2
        krylov = 2.0 / 8 * (1 / (k + 1) - 1 / (2 * k + 2))
        cg = curvature.conjugate_gradient(f.A.__matmul__, f.b, tol=0.0, max_iter=k)
        assert f.value(cg) - f.min_value == pytest.approx(krylov, rel=1e-8)
        assert krylov >= rates.convex_lower_bound(2.0, R2, k)
    assert rates.convex_lower_bound(1.0, 32.0, 1) == pytest.approx(3 / 4)
    assert rates.nesterov_convex_bound(1.0, 1.0, np.arange(3)) == pytest.approx([2.0, 0.5, 2 / 9])


def test_noise_floor_is_the_stationary_variance_from_the_discrete_lyapunov_equation():
    alpha, beta = 0.3, 0.7
    lams, c = np.array([0.2, 1.0, 3.0]), np.array([0.5, 1.0, 2.0])
    expected = 0.0
    for lam, ci in zip(lams, c):
        T = rates.momentum_matrix(alpha, beta, lam)
        Q = np.array([[alpha**2 * ci, 0.0], [0.0, 0.0]])  # noise −αξ enters e_{k+1}
        Sigma = solve_discrete_lyapunov(T, Q)
        expected += lam * Sigma[0, 0] / 2
    assert rates.momentum_noise_floor(alpha, beta, lams, c) == pytest.approx(expected, rel=1e-10)
    sgd = rates.momentum_noise_floor(0.01, 0.0, lams, c)
    assert sgd == pytest.approx(np.sum(0.01 * c / (2 * (2 - 0.01 * lams))))
    small = rates.momentum_noise_floor(1e-4, 0.9, lams, c)
    assert small == pytest.approx(1e-3 * c.sum() / 4, rel=1e-3)  # SGD at α/(1 − β)


@pytest.mark.slow
def test_noise_floor_matches_a_noisy_gradient_run():
    quad = objectives.Quadratic(np.diag([0.5, 2.0]))
    noisy = objectives.NoisyGradient(quad, sigma=0.3)
    run = optimizers.run(_hb(0.05, 0.8), noisy, [0.0, 0.0], 40_000, seed=1, record_every=4)
    measured = run.values[run.ks > 2000].mean()
    predicted = rates.momentum_noise_floor(0.05, 0.8, [0.5, 2.0], [0.09, 0.09])
    assert measured == pytest.approx(predicted, rel=0.08)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rates.heavy_ball_constants(1.0, 2.0), "mu"),
        (lambda: rates.heavy_ball_constants(-1.0, 0.5), "L"),
        (lambda: rates.nesterov_constants(1.0, 0.0), "mu"),
        (lambda: rates.momentum_matrix(0.0, 0.5, 1.0), "learning_rate"),
        (lambda: rates.momentum_spectral_radius(0.1, 1.0, 1.0), "momentum"),
        (lambda: rates.momentum_spectral_radius(0.1, 0.5, np.nan), "eigenvalue"),
        (lambda: rates.damping_boundaries(-0.1), "momentum"),
        (lambda: rates.nesterov_bound(1.0, 0.1, -1.0, 1.0, 3), "gap0"),
        (lambda: rates.first_order_lower_bound(1.0, 0.1, 1.0, -1), "k"),
        (lambda: rates.nesterov_convex_bound(1.0, -1.0, 2), "dist0_sq"),
        (lambda: rates.convex_lower_bound(0.0, 1.0, 2), "L"),
        (lambda: rates.momentum_noise_floor(0.1, 0.5, [1.0, -1.0], [1.0, 1.0]), "eigenvalues"),
        (lambda: rates.momentum_noise_floor(0.1, 0.5, [1.0], [1.0, 1.0]), "noise_variances"),
        (lambda: rates.momentum_noise_floor(4.0, 0.5, [1.0], [1.0]), "learning_rate"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --- objectives -----------------------------------------------------------------------------------
def test_nesterov_worst_case_structure_minimizer_and_krylov_property():
    f = objectives.nesterov_worst_case(9, L=4.0)
    assert np.allclose(f.minimizer, 1 - np.arange(1, 10) / 10)  # θ*_i = 1 − i/(n + 1)
    assert np.allclose(np.triu(f.A, 2), 0) and np.all(f.eigenvalues > 0) and f.L < 4.0
    assert np.isclose(f.value(np.zeros(9)) - f.min_value, 4.0 / 8 * (1 - 1 / 10))
    g = objectives.nesterov_worst_case(150, L=1.0, mu=0.01)
    q = 9 / 11
    assert np.allclose(g.minimizer[:60], q ** np.arange(1, 61), atol=1e-14)
    assert 0.01 < g.mu and g.L < 1.0
    theta = optimizers.run(_nag(0.7, 0.5), g, np.zeros(150), 25).thetas
    assert all(np.all(theta[k, k:] == 0) for k in range(26))  # θ_k ∈ span(e_1..e_k)


def test_lessard_function_derivatives_constants_and_the_heavy_ball_cycle():
    f = objectives.LessardCounterexample()
    x = np.array([-2.0, 0.3, 0.999, 1.0, 1.5, 1.999, 2.0, 3.3])[:, None]
    eps = 1e-6
    fd = (f.value(x + eps) - f.value(x - eps)) / (2 * eps)
    assert np.allclose(f.grad(x)[:, 0], fd, atol=1e-5)
    assert f.value(np.array([1.0 - 1e-12])) == pytest.approx(f.value(np.array([1.0])))
    assert f.value(np.array([2.0 - 1e-12])) == pytest.approx(f.value(np.array([2.0])))
    grid = np.linspace(-4, 4, 8001)[:, None]
    slopes = np.diff(f.grad(grid)[:, 0]) / np.diff(grid[:, 0])
    assert slopes.min() == pytest.approx(1.0) and slopes.max() == pytest.approx(25.0)
    assert f.hessian(np.array([1.5]))[0, 0] == 1.0 and f.hessian(np.array([0.0]))[0, 0] == 25.0
    run = optimizers.run(_hb(*rates.heavy_ball_constants(25.0, 1.0)), f, [3.3], 300)
    tail = run.thetas[-6:, 0]
    assert np.allclose(tail[3:], tail[:3], atol=1e-12)
    assert np.allclose(np.sort(tail[:3]), [-1.8024, 0.6465, 2.1159], atol=1e-4)
    assert repr(f) == "LessardCounterexample()"


def test_nesterov_worst_case_validation():
    with pytest.raises(ValueError, match="n"):
        objectives.nesterov_worst_case(0)
    with pytest.raises(ValueError, match="mu"):
        objectives.nesterov_worst_case(5, L=1.0, mu=1.0)


# --- Nesterov's convex schedule -----------------------------------------------------------------
def test_nesterov_convex_momentum_values_and_validation():
    assert [optimizers.nesterov_convex_momentum(k) for k in range(4)] == pytest.approx([0, 0, 0.25, 0.4])
    for bad in [-1, 1.5, True]:
        with pytest.raises(ValueError, match="k"):
            optimizers.nesterov_convex_momentum(bad)


def test_momentum_with_a_schedule_is_the_hand_written_accelerated_method():
    quad = objectives.Quadratic.with_eigenvalues([1e-3, 0.1, 1.0], np.random.default_rng(2))
    opt = optimizers.Momentum(1.0, momentum=optimizers.nesterov_convex_momentum, nesterov=True)
    run = optimizers.run(opt, quad, np.ones(3), 50).thetas
    x_prev = x = np.ones(3)
    for k in range(50):
        y = x + max(0.0, (k - 1) / (k + 2)) * (x - x_prev)
        x_prev, x = x, y - quad.grad(y)
        assert np.allclose(run[k + 1], x, atol=1e-12)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.run(optimizers.Momentum(0.1, momentum=lambda k: 1.0), quad, np.ones(3), 2)
