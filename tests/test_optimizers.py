"""Tests for course_lib.optimizers: Newton against exact solves, divergence/convergence, the run loop and
its one step clock, frozen hyperparameters, validation. (Golden runs against keras.optimizers are in
tests/test_keras_compat.py, which executes every recipe of course_lib.keras_compat.)"""

import warnings

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment first)
from course_lib import objectives as ob
from course_lib import optimizers as opt
from course_lib import schedules

STEPS = 200


def _max_diff(a, b):
    assert a.shape == b.shape
    return float(np.max(np.abs(a - b)))


def test_adam_keras_epsilon_is_a_time_varying_lecture_epsilon(problems):
    """One step at t = 1: Keras's form with ε equals the lecture's with ε₁ = ε/√(1 − β₂)."""
    f, theta0 = problems[0]
    eps, beta2 = 1e-3, 0.99
    keras_form = opt.Adam(0.1, 0.9, beta2, eps=eps, keras_bias_correction=True)
    lecture = opt.Adam(0.1, 0.9, beta2, eps=eps / np.sqrt(1 - beta2))
    a, _ = keras_form.update(theta0, keras_form.init(theta0), f)
    b, _ = lecture.update(theta0, lecture.init(theta0), f)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    # and the first lecture step has size α in every coordinate (m̂ = g, v̂ = g², ε ≪ |g|)
    first, _ = opt.Adam(0.1, eps=1e-12).update(theta0, opt.Adam().init(theta0), f)
    np.testing.assert_allclose(np.abs(first - theta0), 0.1, rtol=1e-9)


# ---- Newton -----------------------------------------------------------------------------------------
def test_newton_reaches_the_minimizer_of_a_quadratic_in_one_step(problems):
    for f, theta0 in problems:
        traj = opt.run(opt.Newton(), f, theta0, 1)
        np.testing.assert_allclose(traj.thetas[1], f.minimizer, atol=1e-12)
        assert traj.values[1] == pytest.approx(f.min_value, abs=1e-12)


def test_damped_newton_step_matches_scipy_solve():
    import scipy.linalg

    f = ob.Rosenbrock()
    theta0 = np.array([-1.2, 1.0])
    for alpha, damping in [(1.0, 0.0), (0.5, 10.0), (1.0, 1e3)]:
        theta1, _ = opt.Newton(alpha, damping).update(theta0, opt.EmptyState(), f)
        H, g = f.hessian(theta0), f.grad(theta0)
        expected = theta0 - alpha * scipy.linalg.solve(H + damping * np.eye(2), g, assume_a="sym")
        np.testing.assert_allclose(theta1, expected, rtol=1e-13)
    # large damping turns the step into gradient descent with rate α/λ
    theta1, _ = opt.Newton(1.0, 1e10).update(theta0, opt.EmptyState(), f)
    np.testing.assert_allclose((theta0 - theta1) * 1e10, f.grad(theta0), rtol=1e-6)


def test_newton_on_rosenbrock_converges_and_jumps_to_the_saddle():
    traj = opt.run(opt.Newton(), ob.Rosenbrock(), [-1.2, 1.0], 10)
    np.testing.assert_allclose(traj.thetas[-1], [1.0, 1.0], atol=1e-12)
    saddle = opt.run(opt.Newton(), ob.Saddle(), [0.7, -0.4], 1)
    np.testing.assert_allclose(saddle.thetas[1], [0.0, 0.0], atol=1e-15)  # undamped Newton is attracted


def test_singular_hessian_is_reported_as_divergence():
    class Flat:
        dim = 2

        def value(self, theta):
            return 0.0 * theta[0]

        def grad(self, theta):
            return np.ones(2)

        def hessian(self, theta):
            return np.zeros((2, 2))

    traj = opt.run(opt.Newton(), Flat(), [0.0, 0.0], 5)
    assert traj.diverged and len(traj.values) == 2 and np.all(np.isnan(traj.thetas[1]))


# ---- the run loop -----------------------------------------------------------------------------------
def _all_optimizers():
    return [
        opt.GradientDescent(0.1),
        opt.Momentum(0.1, 0.5),
        opt.Momentum(0.1, 0.5, nesterov=True),
        opt.AdaGrad(0.5),
        opt.RMSProp(0.05),
        opt.Adam(0.05),
        opt.Newton(0.5, damping=0.1),
    ]


@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=repr)
def test_trajectory_shapes_and_values(optimizer, problems):
    f, theta0 = problems[1]
    traj = opt.run(optimizer, f, theta0, 50)
    assert traj.thetas.shape == (51, 5) and traj.values.shape == (51,) and traj.diverged is False
    np.testing.assert_array_equal(traj.thetas[0], theta0)
    np.testing.assert_allclose(traj.values, f.value(traj.thetas), rtol=1e-12, atol=1e-12)
    assert traj.values[-1] < traj.values[0]


@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=repr)
def test_optimizers_are_pure_and_reusable(optimizer, problems):
    f, theta0 = problems[0]
    first = opt.run(optimizer, f, theta0, 30)
    second = opt.run(optimizer, f, theta0, 30)
    np.testing.assert_array_equal(first.thetas, second.thetas)
    state = optimizer.init(theta0)
    copies = [np.copy(x) for x in state if isinstance(x, np.ndarray)]
    theta = theta0.copy()
    new_theta, new_state = optimizer.update(theta, state, f)
    np.testing.assert_array_equal(theta, theta0)  # inputs untouched
    for before, after in zip(copies, [x for x in state if isinstance(x, np.ndarray)]):
        np.testing.assert_array_equal(before, after)
    assert isinstance(new_state, tuple) and type(new_state) is type(state)
    with pytest.raises(AttributeError):
        new_state.count = 5  # NamedTuple: immutable


def test_steps_zero_returns_theta0_only(problems):
    f, theta0 = problems[0]
    traj = opt.run(opt.Adam(), f, theta0, 0)
    assert traj.thetas.shape == (1, 2) and traj.values.shape == (1,)
    np.testing.assert_array_equal(traj.thetas[0], theta0)
    assert traj.values[0] == f.value(theta0) and not traj.diverged


def test_gradient_descent_converges_below_2_over_L_and_diverges_above_without_warnings(problems):
    f, theta0 = problems[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = opt.run(opt.GradientDescent(1.9 / f.L), f, theta0, 2000)
        bad = opt.run(opt.GradientDescent(2.1 / f.L), f, theta0, 5000)
    assert not good.diverged and good.values[-1] - f.min_value < 1e-12
    assert bad.diverged and len(bad.values) < 5001
    assert abs(bad.values[-1]) > 1e12 or np.linalg.norm(bad.thetas[-1]) > 1e12
    assert np.all(np.abs(bad.values[:-1]) <= 1e12)


def test_divergence_to_overflow_is_a_result_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = opt.run(opt.GradientDescent(1.0), ob.Rosenbrock(), [3.0, -3.0], 100)
        custom = opt.run(opt.GradientDescent(1.0), ob.Rosenbrock(), [1.5, 2.0], 100, divergence_threshold=1e3)
    assert traj.diverged and len(traj.values) < 10
    assert custom.diverged and len(custom.values) <= len(traj.values)


def test_gradient_descent_rate_on_a_quadratic(problems):
    """α = 2/(L + μ): ‖θ_k − θ*‖ <= ((κ − 1)/(κ + 1))^k ‖θ_0 − θ*‖ (chapter 05)."""
    f, theta0 = problems[1]
    traj = opt.run(opt.GradientDescent(2.0 / (f.L + f.mu)), f, theta0, 60)
    errors = np.linalg.norm(traj.thetas - f.minimizer, axis=1)
    rate = (f.kappa - 1) / (f.kappa + 1)
    assert np.all(errors <= rate ** np.arange(61) * errors[0] * (1 + 1e-9))
    monotone = opt.run(opt.GradientDescent(1.0 / f.L), f, theta0, 60).values
    assert np.all(np.diff(monotone) < 0)


def test_schedule_as_learning_rate_equals_a_manual_loop(problems):
    f, theta0 = problems[0]
    schedule = schedules.ExponentialDecay(0.3, rate=0.9)
    traj = opt.run(opt.GradientDescent(schedule), f, theta0, 20)
    theta = theta0.copy()
    for k in range(20):
        theta = theta - 0.3 * 0.9**k * f.grad(theta)
    np.testing.assert_allclose(traj.thetas[-1], theta, rtol=1e-14)


def test_stochastic_gradients_through_the_objective(problems):
    f, theta0 = problems[0]
    clean = opt.run(opt.GradientDescent(0.1), f, theta0, 100)
    same = opt.run(opt.GradientDescent(0.1), ob.NoisyGradient(f, 0.0), theta0, 100)
    np.testing.assert_array_equal(clean.thetas, same.thetas)
    noisy_a = opt.run(opt.GradientDescent(0.1), ob.NoisyGradient(f, 0.3, seed=7), theta0, 100)
    noisy_b = opt.run(opt.GradientDescent(0.1), ob.NoisyGradient(f, 0.3, seed=7), theta0, 100)
    np.testing.assert_array_equal(noisy_a.thetas, noisy_b.thetas)
    assert _max_diff(noisy_a.thetas, clean.thetas) > 1e-2
    np.testing.assert_allclose(noisy_a.values, f.value(noisy_a.thetas))  # records the true h


# ---- validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: opt.GradientDescent(-1.0), "learning_rate"),
        (lambda: opt.GradientDescent(float("nan")), "learning_rate"),
        (lambda: opt.GradientDescent("0.1"), "learning_rate"),
        (lambda: opt.Momentum(0.1, momentum=1.0), "momentum"),
        (lambda: opt.Momentum(0.1, momentum=-0.1), "momentum"),
        (lambda: opt.Momentum(-0.1), "learning_rate"),
        (lambda: opt.AdaGrad(0.1, eps=0.0), "eps"),
        (lambda: opt.AdaGrad(0.1, eps=-1e-8), "eps"),
        (lambda: opt.AdaGrad(0.1, initial_accumulator=-0.1), "initial_accumulator"),
        (lambda: opt.RMSProp(0.1, rho=1.0), "rho"),
        (lambda: opt.RMSProp(0.1, eps=0.0), "eps"),
        (lambda: opt.Adam(beta1=1.0), "beta1"),
        (lambda: opt.Adam(beta1=np.nan), "beta1"),
        (lambda: opt.Adam(beta2=1.5), "beta2"),
        (lambda: opt.Adam(beta2=-0.5), "beta2"),
        (lambda: opt.Adam(eps=0.0), "eps"),
        (lambda: opt.Adam(learning_rate=-0.001), "learning_rate"),
        (lambda: opt.Newton(damping=-1.0), "damping"),
        (lambda: opt.Newton(learning_rate=np.inf), "learning_rate"),
    ],
)
def test_hyperparameter_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_run_validation(problems):
    f, theta0 = problems[0]
    gd = opt.GradientDescent()
    with pytest.raises(ValueError, match="theta0"):
        opt.run(gd, f, np.zeros(3))
    with pytest.raises(ValueError, match="theta0"):
        opt.run(gd, f, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="theta0"):
        opt.run(gd, f, [np.nan, 0.0])
    with pytest.raises(ValueError, match="theta0"):
        opt.run(gd, f, [np.inf, 0.0])
    with pytest.raises(ValueError, match="steps"):
        opt.run(gd, f, theta0, steps=-1)
    with pytest.raises(ValueError, match="steps"):
        opt.run(gd, f, theta0, steps=2.5)
    with pytest.raises(ValueError, match="divergence_threshold"):
        opt.run(gd, f, theta0, divergence_threshold=0.0)


def test_defaults_and_repr():
    adam = opt.Adam()
    assert (adam.learning_rate, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)
    assert opt.Momentum().momentum == 0.9 and opt.Momentum().nesterov is False
    assert (opt.Newton().learning_rate, opt.Newton().damping) == (1.0, 0.0)
    assert opt.AdaGrad().initial_accumulator == 0.0 and opt.RMSProp().rho == 0.9
    assert repr(opt.Momentum(0.1, 0.5, nesterov=True)) == (
        "Momentum(learning_rate=0.1, momentum=0.5, nesterov=True, keras_form=False)"
    )


# ---- frozen hyperparameters and the one step clock -----------------------------------------------------
@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=repr)
def test_hyperparameters_are_frozen_after_validation(optimizer):
    with pytest.raises(AttributeError):
        optimizer.learning_rate = -1
    with pytest.raises(AttributeError):
        optimizer.new_attribute = 1
    assert optimizer.learning_rate >= 0


def test_state_carries_the_step_count_so_a_hand_loop_advances_the_schedule(problems):
    f, theta0 = problems[0]
    schedule = schedules.ExponentialDecay(0.3, rate=0.5)
    for optimizer in (
        opt.GradientDescent(schedule),
        opt.Momentum(schedule, 0.5),
        opt.Adam(schedule),
        opt.AdaGrad(schedule),
        opt.RMSProp(schedule),
        opt.Newton(schedule),
    ):
        theta, state = theta0.copy(), optimizer.init(theta0)
        assert state.count == 0
        for k in range(5):
            theta, state = optimizer.update(theta, state, f)
            assert state.count == k + 1
        np.testing.assert_array_equal(theta, opt.run(optimizer, f, theta0, 5).thetas[-1])


def test_a_constant_rate_run_differs_from_a_scheduled_one(problems):
    """The schedule is really read at every step: with a decaying α the iterates differ from α_0 fixed."""
    f, theta0 = problems[0]
    decaying = opt.run(opt.GradientDescent(schedules.ExponentialDecay(0.3, rate=0.5)), f, theta0, 5)
    frozen = opt.run(opt.GradientDescent(0.3), f, theta0, 5)
    assert _max_diff(decaying.thetas, frozen.thetas) > 1e-2


def test_update_has_no_separate_step_argument(problems):
    f, theta0 = problems[0]
    gd = opt.GradientDescent(0.1)
    with pytest.raises(TypeError):
        gd.update(theta0, gd.init(theta0), f, 0)
