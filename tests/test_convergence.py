"""Tests for course_lib.convergence: gradient descent's linear rate on random quadratics (chapter 05)."""

import numpy as np
import pytest

from course_lib import convergence as cg
from course_lib import objectives as ob
from course_lib import optimizers as opt
from course_lib import rates


@pytest.mark.parametrize("kappa", [2, 10, 100])
def test_gd_rate_run_stays_under_its_bound_and_the_bound_is_tight_somewhere(kappa):
    quad, traj, bound = cg.gd_rate_run(kappa, steps=150, seed=kappa)
    assert quad.dim == 10 and quad.kappa == pytest.approx(kappa, rel=1e-10) and quad.L == pytest.approx(1.0)
    gap = traj.values - quad.min_value
    assert not traj.diverged and traj.thetas.shape == (151, 10)
    assert np.all(gap <= bound * (1 + 1e-9))
    assert bound[0] == pytest.approx(0.5 * quad.L * traj.thetas[0] @ traj.thetas[0], rel=1e-14)
    # the bound decays at exactly q² per step
    np.testing.assert_allclose(bound[1:] / bound[:-1], ((quad.kappa - 1) / (quad.kappa + 1)) ** 2, rtol=1e-12)


def test_gd_rate_run_is_the_experiment_written_out():
    """Same seed, same numbers: one generator draws the eigenvectors, then θ₀."""
    run = cg.gd_rate_run(10, steps=20, seed=3, dim=4)
    rng = np.random.default_rng(3)
    quad = ob.Quadratic.with_eigenvalues(np.geomspace(0.1, 1.0, 4), rng)
    theta0 = rng.standard_normal(4)
    traj = opt.run(opt.GradientDescent(2 / (quad.L + quad.mu)), quad, theta0, 20)
    np.testing.assert_array_equal(run.objective.A, quad.A)
    np.testing.assert_array_equal(run.trajectory.thetas, traj.thetas)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kappa": 0.5}, "kappa"),
        ({"steps": -1}, "steps"),
        ({"seed": -1}, "seed"),
        ({"dim": 0}, "dim"),
    ],
)
def test_gd_rate_run_validates(kwargs, match):
    args = {"kappa": 10, "steps": 5, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        cg.gd_rate_run(**args)


@pytest.mark.parametrize("k", [0, 1, 4, 50])
def test_huber_worst_case_attains_the_tight_bound_exactly(k):
    L, R = 2.5, 1.7
    case = cg.huber_worst_case(k, L=L, R=R)
    traj = opt.run(opt.GradientDescent(1 / L), case.objective, case.theta0, steps=k)
    # every iterate stays outside the quadratic band and moves by τ = R/(2k + 1): θ_j = R − jτ
    tau = R / (2 * k + 1)
    np.testing.assert_allclose(traj.thetas[:, 0], R - tau * np.arange(k + 1), rtol=1e-13)
    assert traj.values[-1] == pytest.approx(rates.convex_tight_bound(L, R**2, k), rel=1e-12)


def test_huber_value_gradient_and_hessian_against_finite_differences():
    f = cg.Huber(L=3.0, width=0.5)
    theta = np.array([[-2.0], [-0.3], [0.1], [0.49], [0.51], [4.0]])
    step = 1e-6
    fd = (f.value(theta + step) - f.value(theta - step)) / (2 * step)
    np.testing.assert_allclose(f.grad(theta)[:, 0], fd, rtol=1e-7, atol=1e-9)
    fd2 = (f.grad(theta + step) - f.grad(theta - step))[:, 0] / (2 * step)
    assert f.hessian(theta).shape == (6, 1, 1)
    np.testing.assert_allclose(f.hessian(theta)[:, 0, 0], fd2, atol=1e-6)
    assert f.value(np.array([0.5])) == pytest.approx(0.5 * 3.0 * 0.25)  # continuous at |θ| = τ
    assert f.value(f.minimizer) == f.min_value == 0.0


def test_quadratic_worst_case_is_the_worst_curvature_and_tends_to_one_over_e_of_the_tight_bound():
    k = 400
    case = cg.quadratic_worst_case(k)
    gaps = [0.5 * lam * (1 - lam) ** (2 * k) for lam in np.linspace(1e-4, 1.0, 20001)]
    traj = opt.run(opt.GradientDescent(1.0), case.objective, case.theta0, steps=k)
    assert traj.values[-1] >= max(gaps) * (1 - 1e-12)
    assert traj.values[-1] / rates.convex_tight_bound(1.0, 1.0, k) == pytest.approx(np.exp(-1), rel=2e-3)


def test_iterations_to_reduce_matches_the_runs_written_out():
    needed, guaranteed = cg.iterations_to_reduce([10.0, 40.0], reduction=1e4, seed=2)
    for kappa, n, g in zip([10.0, 40.0], needed, guaranteed):
        quad, traj, bound = cg.gd_rate_run(kappa, steps=int(1.2 * kappa / 4 * np.log(1e7)), seed=2)
        gap = traj.values - quad.min_value
        assert gap[n] <= gap[0] / 1e4 < gap[n - 1]
        assert bound[g] <= gap[0] / 1e4 < bound[g - 1]
        assert n <= g  # the bound is a guarantee


def test_gradient_bound_check_on_the_wavy_bowl():
    bowl = ob.WavyBowl(dim=2)
    starts = np.random.default_rng(0).uniform(-4, 4, (5, 2))
    check = cg.gradient_bound_check(bowl, starts, steps=30)
    assert check.ratios.shape == (5, 30) and np.all(check.ratios <= 1)
    traj = opt.run(opt.GradientDescent(1 / bowl.L), bowl, starts[3], steps=30)
    squared = np.sum(bowl.grad(traj.thetas[:-1]) ** 2, axis=1)
    np.testing.assert_allclose(check.best[3], np.minimum.accumulate(squared))
    np.testing.assert_allclose(check.bounds[3], 2 * bowl.L * traj.values[0] / np.arange(1, 31))
    np.testing.assert_array_equal(check.ends[3], traj.thetas[-1])


class _QuadraticWithHvp(ob.Quadratic):
    def hvp(self, theta, v):
        return self.A @ v


def test_sharpness_along_gd_on_a_quadratic_is_its_top_eigenvalue():
    quad = _QuadraticWithHvp(np.diag([0.5, 2.0, 3.0]))
    result = cg.sharpness_along_gd(quad, [1.0, 1.0, 1.0], learning_rate=0.1, steps=20, every=7)
    np.testing.assert_array_equal(result.ks, [0, 7, 14])
    np.testing.assert_allclose(result.sharpness, 3.0, rtol=1e-10)
    facts = cg.edge_of_stability_facts(result, window=10, late=10)
    assert facts.first_at_edge == -1 and facts.peak_median == pytest.approx(3.0 * 0.1 / 2)
    assert facts.loss_increases == 0 and facts.late_loss_drop > 0


def test_edge_of_stability_facts_from_a_hand_made_run():
    values = np.array([5.0, 4.0, 4.5, 3.0, 3.5, 2.0, 1.0, 1.5, 0.5])
    ratio = np.array([0.5, 0.9, 1.2, 1.5, 0.8])  # λ_max · α/2 at k = 0, 2, 4, 6, 8
    result = cg.SharpnessRun(values, np.arange(0, 9, 2), ratio * 2 / 0.5, 0.5)
    facts = cg.edge_of_stability_facts(result, window=4, late=4)
    assert facts.first_at_edge == 4
    assert facts.peak_median == pytest.approx(np.median([1.2, 1.5]))
    assert facts.late_median == pytest.approx(np.median([1.2, 1.5, 0.8]))
    assert facts.late_max == pytest.approx(1.5) and facts.loss_increases == 3
    assert facts.late_loss_drop == pytest.approx(values[8 - 4] - values[8])
    with pytest.raises(ValueError, match="late"):
        cg.edge_of_stability_facts(result, late=9)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cg.huber_worst_case(-1), "k"),
        (lambda: cg.Huber(width=0.0), "width"),
        (lambda: cg.quadratic_worst_case(3, L=-1.0), "L"),
        (lambda: cg.gradient_bound_check(ob.WavyBowl(), [[0.0, 1.0]], steps=0), "steps"),
        (lambda: cg.iterations_to_reduce([10.0], reduction=1.0), "reduction"),
    ],
)
def test_new_functions_validate(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sharpness_along_gd_samples_the_given_steps_and_facts_can_thin_them():
    quad = _QuadraticWithHvp(np.diag([1.0, 5.0]))
    result = cg.sharpness_along_gd(quad, [1.0, 1.0], learning_rate=0.5, steps=12, at=[0, 3, 4, 5, 12])
    np.testing.assert_array_equal(result.ks, [0, 3, 4, 5, 12])
    np.testing.assert_allclose(result.sharpness, 5.0, rtol=1e-10)
    thinned = cg.SharpnessRun(result.values, result.ks, np.array([1.0, 9.0, 2.0, 9.0, 3.0]), 2.0)
    facts = cg.edge_of_stability_facts(thinned, window=20, late=12, every=4)  # keeps k = 0, 4, 12
    assert facts.late_median == pytest.approx(2.0) and facts.late_max == pytest.approx(3.0)
    with pytest.raises(ValueError, match="at"):
        cg.sharpness_along_gd(quad, [1.0, 1.0], learning_rate=0.5, steps=12, at=[13])


def test_sharpness_along_gd_follows_the_gradient_descent_of_optimizers():
    quad = _QuadraticWithHvp(np.array([[2.0, 0.5], [0.5, 1.0]]))
    result = cg.sharpness_along_gd(quad, [1.0, -2.0], learning_rate=0.3, steps=15, every=5)
    reference = opt.run(opt.GradientDescent(0.3), quad, [1.0, -2.0], steps=15)
    np.testing.assert_allclose(result.values, reference.values, rtol=1e-14)
    np.testing.assert_allclose(result.thetas, reference.thetas[[0, 5, 10, 15]], rtol=1e-14)
    np.testing.assert_allclose(result.sharpness, np.linalg.eigvalsh(quad.A)[-1], rtol=1e-10)
    with pytest.raises(ValueError, match="learning_rate"):
        cg.sharpness_along_gd(quad, [1.0, -2.0], learning_rate=5.0, steps=200)


def test_edge_window_facts_against_a_hand_made_run():
    # α = 0.5, so r_k = λ_max / (2/α) = λ_max / 4; steps 0..9 sampled, loss values chosen by hand.
    ratio = np.array([1.0, 3.0, 1.0, 1.2, 0.9, 2.5, 1.0, 1.0, 1.0, 1.0])
    values = np.array([5.0, 4.0, 4.5, 4.4, 4.3, 4.35, 4.36, 4.2, 4.1, 4.0, 3.9])
    result = cg.SharpnessRun(values, np.arange(10), ratio * 4.0, 0.5)
    facts = cg.edge_window_facts(result, 1, 9)
    window = ratio[1:9]
    assert facts.floor == pytest.approx(0.9) and facts.peak == pytest.approx(3.0)
    assert facts.median == pytest.approx(np.median(window))
    assert facts.above == pytest.approx(np.mean(window > 1.05))  # 3.0, 1.2, 2.5 -> 3/8
    assert facts.above == pytest.approx(3 / 8)
    assert facts.period2_gap == pytest.approx(max(abs(window[i + 2] - window[i]) for i in range(6)))
    # spikes (r > 2) at k = 1 (loss 4.0 -> 4.5: rose) and k = 5 (4.35 -> 4.36: rose)
    assert facts.spikes == 2 and facts.rise_at_spikes == 1.0
    # others k = 2, 3, 4, 6, 7, 8: rises after k = 4 only
    assert facts.rise_elsewhere == pytest.approx(1 / 6)


def test_edge_window_facts_two_step_cycle_and_errors():
    ratio = np.tile([0.9, 1.3], 10)
    result = cg.SharpnessRun(np.zeros(21), np.arange(20), ratio * 2.0, 1.0)
    facts = cg.edge_window_facts(result, 0, 20)
    assert facts.period2_gap == pytest.approx(0.0, abs=1e-15) and facts.spikes == 0
    assert np.isnan(facts.rise_at_spikes) and facts.rise_elsewhere == 0.0
    thinned = cg.SharpnessRun(np.zeros(21), np.arange(0, 20, 2), ratio[::2] * 2.0, 1.0)
    with pytest.raises(ValueError):
        cg.edge_window_facts(thinned, 0, 10)  # not sampled at every step
    with pytest.raises(ValueError):
        cg.edge_window_facts(result, 0, 21)  # needs h(θ_{k+1}) beyond the window
