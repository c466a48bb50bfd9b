"""Tests for course_lib.adaptive_experiments (chapter 09), each against a closed form or a direct computation."""

import functools

import numpy as np
import pytest

from course_lib import adaptive_experiments as ae
from course_lib import datasets, networks, objectives
from course_lib import optimizers as opt


def test_moment_estimates_of_a_constant_gradient_are_the_closed_forms():
    t = np.arange(1, 51)
    m = ae.moment_estimates(np.full(50, 2.0), beta1=0.8, beta2=0.99)
    np.testing.assert_allclose(m.m, 2.0 * (1 - 0.8**t), rtol=1e-13)
    np.testing.assert_allclose(m.v, 4.0 * (1 - 0.99**t), rtol=1e-13)
    np.testing.assert_allclose(m.m_hat, 2.0, rtol=1e-13)
    np.testing.assert_allclose(m.v_hat, 4.0, rtol=1e-12)
    np.testing.assert_allclose(m.ratio, (m.m / np.sqrt(m.v)) / (m.m_hat / np.sqrt(m.v_hat)), rtol=1e-12)


def test_moment_estimates_match_adams_state_on_a_gradient_sequence():
    rng = np.random.default_rng(0)
    f = objectives.Quadratic.with_eigenvalues([1.0, 2.0, 3.0], rng)
    theta, optimizer = rng.normal(size=3), opt.Adam(0.05)
    state, grads, ms = optimizer.init(theta), [], []
    for _ in range(20):
        grads.append(f.grad(theta))
        theta, state = optimizer.update(theta, state, f)
        ms.append(state.m)
    np.testing.assert_allclose(ae.moment_estimates(np.array(grads)).m, ms, atol=1e-15)
    with pytest.raises(ValueError, match="gradients"):
        ae.moment_estimates(np.zeros((2, 2, 2)))


def test_steps_to_reduce_on_a_parabola_is_the_closed_form():
    f = objectives.Quadratic([[1.0]])  # GD at α: h_k = (1 − α)^(2k) h_0
    k = ae.steps_to_reduce(opt.GradientDescent(0.5), f, np.array([1.0]), 100, reduction=1e-6)
    assert k == np.ceil(np.log(1e-6) / (2 * np.log(0.5)))
    assert ae.steps_to_reduce(opt.GradientDescent(1e-4), f, np.array([1.0]), 10) == np.inf
    assert ae.steps_to_reduce(opt.GradientDescent(2.5), f, np.array([1.0]), 2000) == np.inf  # diverges


def test_steps_to_reduce_counts_staying_below_not_the_first_lucky_crossing():
    f = objectives.Quadratic([[1.0]])  # heavy ball at α = 1, μ = 0.9: h oscillates through ~0
    optimizer, theta0, steps, red = opt.Momentum(1.0, momentum=0.9), np.array([1.0]), 300, 1e-4
    gap = opt.run(optimizer, f, theta0, steps).values - f.min_value
    first = np.flatnonzero(gap <= red * gap[0])[0]
    k = ae.steps_to_reduce(optimizer, f, theta0, steps, reduction=red)
    assert first < k <= steps and np.all(gap[int(k) :] <= red * gap[0]) and gap[int(k) - 1] > red * gap[0]
    assert ae.steps_to_reduce(optimizer, f, theta0, int(k) - 1, reduction=red) == np.inf


def test_rotation_experiment_leaves_gd_unchanged_and_slows_adagrad():
    methods = {"GD": opt.GradientDescent, "AdaGrad": functools.partial(opt.AdaGrad)}
    r = ae.rotation_experiment(methods, np.geomspace(0.01, 1, 4), np.geomspace(0.01, 3, 6), [0], steps=300)
    np.testing.assert_array_equal(r.steps["GD"]["aligned"], r.steps["GD"]["rotated"])
    assert r.steps["AdaGrad"]["aligned"][0] < 10 < r.steps["AdaGrad"]["rotated"][0]
    assert r.problems == ("aligned", "rotated") and r.rates["GD"]["aligned"].shape == (1,)
    assert r.counts["AdaGrad"]["rotated"].shape == (1, 6)
    assert r.counts["GD"]["aligned"].min() == r.steps["GD"]["aligned"][0]
    with pytest.raises(ValueError, match="rates"):
        ae.rotation_experiment(methods, [1.0, 2.0], [], [0])


def test_box_minimizer_is_the_clipped_minimizer_for_a_diagonal_quadratic():
    f = objectives.Quadratic(np.diag([1.0, 2.0, 0.5]), np.diag([1.0, 2.0, 0.5]) @ np.array([3.0, -0.4, -5.0]))
    np.testing.assert_allclose(ae.box_minimizer(f, 2.0), [2.0, -0.4, -2.0], atol=1e-12)
    with pytest.raises(ValueError, match="radius"):
        ae.box_minimizer(f, 0.0)


def test_ns_singular_values_are_those_of_newton_schulz():
    G = np.random.default_rng(2).standard_normal((5, 8))
    s = np.linalg.svd(G, compute_uv=False)
    out = np.linalg.svd(opt.newton_schulz(G), compute_uv=False)
    np.testing.assert_allclose(np.sort(out), np.sort(ae.ns_singular_values(s / (np.linalg.norm(G) + 1e-7))), atol=1e-12)


def test_compare_optimizers_picks_the_sweeps_best_rate_and_times_the_target():
    d = datasets.digits()
    small = d._replace(x_train=d.x_train[:300], y_train=d.y_train[:300])
    arms = {"Adam": ae.Arm("adam", {}, (1e-3, 1e-2)), "SGD": ae.Arm("sgd", {}, (0.03, 0.3))}
    out = ae.compare_optimizers(small, (64, 8, 10), arms, seeds=[0, 1], target=0.8, epochs=4)
    sweep = networks.sweep(
        small, (64, 8, 10), learning_rates=(1e-3, 1e-2), seeds=[0, 1], epochs=4, optimizer="adam", validation=0.2
    )
    r = int(networks.best_rates(sweep)[0])
    assert out["Adam"].rate == sweep.learning_rates[r] and out["Adam"].rate_index == r
    np.testing.assert_array_equal(out["Adam"].final_test_accuracy, sweep.test_accuracy[0, :, r, -1])
    val = sweep.val_accuracy[0, :, r, :]
    for s in range(2):
        hit = np.flatnonzero(val[s] >= 0.8)
        assert out["Adam"].epochs_to_target[s] == (sweep.epochs[hit[0]] if hit.size else np.inf)
    lines = ae.summary_lines(out, reference="Adam")
    assert len(lines) == 2 and "vs Adam" in lines[1]
