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
        # chapter 09 (Muon needs a matrix shape: tests/test_adaptive.py)
        opt.Adam(0.05, amsgrad=True),
        opt.AdamW(0.05),
        opt.Adadelta(1.0),
        opt.Adamax(0.05),
        opt.Nadam(0.05),
        opt.Lion(0.01),
        opt.ScheduleFreeAdamW(0.05),
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


def test_noisy_gradient_runs_are_pure_functions_of_the_seed(problems):
    f, theta0 = problems[0]
    clean = opt.run(opt.GradientDescent(0.1), f, theta0, 100)
    same = opt.run(opt.GradientDescent(0.1), ob.NoisyGradient(f, 0.0), theta0, 100)
    np.testing.assert_array_equal(clean.thetas, same.thetas)
    noisy = ob.NoisyGradient(f, 0.3)
    noisy_a = opt.run(opt.GradientDescent(0.1), noisy, theta0, 100, seed=7)
    noisy_b = opt.run(opt.GradientDescent(0.1), noisy, theta0, 100, seed=7)  # the same object, run again
    np.testing.assert_array_equal(noisy_a.thetas, noisy_b.thetas)
    assert _max_diff(noisy_a.thetas, opt.run(opt.GradientDescent(0.1), noisy, theta0, 100, seed=8).thetas) > 1e-2
    assert _max_diff(noisy_a.thetas, clean.thetas) > 1e-2
    np.testing.assert_allclose(noisy_a.values, f.value(noisy_a.thetas))  # records the true h
    # step k adds σ ξ_k with ξ_k from default_rng((seed, k)): a hand loop reproduces the run
    theta = theta0.copy()
    for k in range(100):
        theta = theta - 0.1 * (f.grad(theta) + 0.3 * np.random.default_rng((7, k)).standard_normal(2))
    np.testing.assert_allclose(noisy_a.thetas[-1], theta, rtol=1e-13)


# ---- mini-batches of a finite sum -------------------------------------------------------------------------
def _least_squares(m=60, n=4, noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    return ob.LeastSquares(X, X @ rng.standard_normal(n) + noise * rng.standard_normal(m))


def _logistic(m=80, n=3, seed=1, l2=0.01):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(m) > 0).astype(float)
    return ob.LogisticRegression(X, y, l2=l2)


@pytest.mark.parametrize("sampling", opt.SAMPLINGS)
def test_batches_are_distinct_indices_and_pure(sampling):
    m, size, steps = 23, 5, 40
    index = opt.batches(m, size, steps, seed=3, sampling=sampling)
    assert index.shape == (steps, size) and index.min() >= 0 and index.max() < m
    assert all(len(set(row)) == size for row in index)  # batch_size distinct examples
    np.testing.assert_array_equal(index, opt.batches(m, size, steps, seed=3, sampling=sampling))
    assert not np.array_equal(index, opt.batches(m, size, steps, seed=4, sampling=sampling))
    np.testing.assert_array_equal(index[:10], opt.batches(m, size, 10, seed=3, sampling=sampling))  # prefix


def test_independent_batches_come_from_seed_and_k():
    index = opt.batches(50, 7, 30, seed=11, sampling="independent")
    for k in (0, 13, 29):
        np.testing.assert_array_equal(index[k], np.random.default_rng((11, k)).choice(50, 7, replace=False))
    # each example is drawn with probability B/m per step: counts over many steps match (binomial, 5 sd)
    counts = np.bincount(opt.batches(20, 5, 4000, sampling="independent").ravel(), minlength=20)
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(4000 * 0.25 * 0.75))


def test_reshuffle_covers_an_epoch_then_draws_a_new_permutation():
    m, size = 23, 5  # 4 batches per epoch, 3 examples left over each epoch
    index = opt.batches(m, size, 12, seed=2, sampling="reshuffle")
    epochs = index.reshape(3, 20)
    for e, epoch in enumerate(epochs):
        np.testing.assert_array_equal(epoch, np.random.default_rng((2, e)).permutation(m)[:20])
        assert len(set(epoch)) == 20
    assert not np.array_equal(epochs[0], epochs[1])


def test_shuffle_once_reads_one_permutation_cyclically():
    m, size = 10, 4
    index = opt.batches(m, size, 5, seed=5, sampling="shuffle_once")
    permutation = np.random.default_rng(5).permutation(m)
    np.testing.assert_array_equal(index.ravel(), np.tile(permutation, 2))  # 20 = two passes
    assert np.all(np.bincount(index.ravel(), minlength=m) == 2)


@pytest.mark.parametrize("sampling", opt.SAMPLINGS)
@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=repr)
def test_a_mini_batch_run_is_the_hand_loop_over_objective_at_batch(optimizer, sampling):
    """Step k's update sees objective.at(batch_k) -- gradient, look-ahead gradient and Hessian alike --
    and values record the full objective."""
    f = _logistic()
    theta0 = np.array([0.5, 0.5, -0.5])
    traj = opt.run(optimizer, f, theta0, 25, batch_size=8, seed=4, sampling=sampling)
    index = opt.batches(f.m, 8, 25, seed=4, sampling=sampling)
    theta, state = theta0.copy(), optimizer.init(theta0)
    for k in range(25):
        theta, state = optimizer.update(theta, state, ob.LogisticRegression(f.X[index[k]], f.y[index[k]], l2=0.01))
        np.testing.assert_allclose(traj.thetas[k + 1], theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(traj.values, f.value(traj.thetas), rtol=1e-13)
    again = opt.run(optimizer, f, theta0, 25, batch_size=8, seed=4, sampling=sampling)
    np.testing.assert_array_equal(traj.thetas, again.thetas)  # the same call gives the same run
    other = opt.run(optimizer, f, theta0, 25, batch_size=8, seed=5, sampling=sampling)
    assert _max_diff(traj.thetas, other.thetas) > 1e-6


def test_full_batch_size_is_full_batch_gradient_descent():
    f = _least_squares()
    theta0 = np.zeros(f.dim)
    full = opt.run(opt.GradientDescent(0.1), f, theta0, 30)
    batched = opt.run(opt.GradientDescent(0.1), f, theta0, 30, batch_size=f.m, sampling="reshuffle")
    np.testing.assert_allclose(batched.thetas, full.thetas, rtol=1e-12, atol=1e-15)  # only the sum's order


def test_sgd_interpolates_at_a_linear_rate_and_stalls_at_a_noise_floor():
    """Chapter 08: when every residual can vanish (y = Xθ*), constant-step SGD converges to θ*; with
    noisy targets it stalls at a floor above h*, which full-batch GD at the same step goes below."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    theta_star = rng.standard_normal(5)
    exact = ob.LeastSquares(X, X @ theta_star)
    run = opt.run(opt.GradientDescent(0.05), exact, np.zeros(5), 3000, batch_size=10, seed=1)
    assert np.linalg.norm(run.thetas[-1] - theta_star) < 1e-8
    noisy = ob.LeastSquares(X, X @ theta_star + rng.standard_normal(200))
    sgd = opt.run(opt.GradientDescent(0.05), noisy, np.zeros(5), 3000, batch_size=10, seed=1, record_every=100)
    gd = opt.run(opt.GradientDescent(0.05), noisy, np.zeros(5), 3000)
    floor = np.mean(sgd.values[-10:]) - noisy.min_value
    assert gd.values[-1] - noisy.min_value < 1e-10 < 1e-3 < floor


def test_record_every_records_the_full_objective_at_the_sampled_steps(problems):
    f = _least_squares()
    theta0 = np.ones(f.dim)
    every = opt.run(opt.Momentum(0.05, 0.5), f, theta0, 50, batch_size=6, seed=2)
    sparse = opt.run(opt.Momentum(0.05, 0.5), f, theta0, 50, batch_size=6, seed=2, record_every=7)
    np.testing.assert_array_equal(every.ks, np.arange(51))
    np.testing.assert_array_equal(sparse.ks, [0, 7, 14, 21, 28, 35, 42, 49, 50])
    np.testing.assert_array_equal(sparse.thetas, every.thetas[sparse.ks])
    np.testing.assert_array_equal(sparse.values, every.values[sparse.ks])
    exact = opt.run(opt.GradientDescent(0.1), f, theta0, 20, record_every=5)
    np.testing.assert_array_equal(exact.ks, [0, 5, 10, 15, 20])


def test_divergence_between_recorded_steps_is_caught_and_recorded(problems):
    f, theta0 = problems[1]
    sparse = opt.run(opt.GradientDescent(2.5 / f.L), f, theta0, 5000, record_every=1000)
    # ‖θ_k‖ is checked at every step (h only at the recorded ones): the run stops at the first k with
    # ‖θ_k‖ > 1e12 and records it
    far = opt.run(opt.GradientDescent(2.5 / f.L), f, theta0, 200, divergence_threshold=1e300)
    first = int(np.argmax(np.linalg.norm(far.thetas, axis=1) > 1e12))
    assert sparse.diverged and 0 < first < 200
    np.testing.assert_array_equal(sparse.ks, [0, first])
    np.testing.assert_array_equal(sparse.thetas[-1], far.thetas[first])
    assert sparse.values[-1] == f.value(far.thetas[first])


def test_no_generator_is_held_or_advanced():
    """Nothing in the objectives or optimizers holds a numpy Generator that a call advances."""
    objectives = [_least_squares(), _logistic(), ob.NoisyGradient(ob.Rosenbrock(), 0.1)]
    for f in objectives:
        theta0 = np.zeros(f.dim)
        kwargs = {"batch_size": 5} if hasattr(f, "at") else {}
        first = opt.run(opt.Adam(0.01), f, theta0, 20, seed=3, **kwargs)
        np.testing.assert_array_equal(first.thetas, opt.run(opt.Adam(0.01), f, theta0, 20, seed=3, **kwargs).thetas)
        assert not any(isinstance(value, np.random.Generator) for value in vars(f).values())


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
    with pytest.raises(ValueError, match="record_every"):
        opt.run(gd, f, theta0, record_every=0)
    with pytest.raises(ValueError, match="sampling"):
        opt.run(gd, f, theta0, sampling="bootstrap")
    with pytest.raises(ValueError, match="seed"):
        opt.run(gd, f, theta0, seed=-1)
    with pytest.raises(ValueError, match="objective must be a finite sum"):
        opt.run(gd, f, theta0, batch_size=1)  # a Quadratic has no examples


@pytest.mark.parametrize("batch_size", [0, 61, -3, 2.5, True, "8"])
def test_batch_size_outside_1_to_m_names_the_argument(batch_size):
    f = _least_squares(m=60)
    with pytest.raises(ValueError, match="batch_size must be an integer in 1..m = 1..60"):
        opt.run(opt.GradientDescent(), f, np.zeros(f.dim), 5, batch_size=batch_size)


def test_batches_validation():
    with pytest.raises(ValueError, match="batch_size"):
        opt.batches(10, 11, 5)
    with pytest.raises(ValueError, match="m must"):
        opt.batches(0, 1, 5)
    with pytest.raises(ValueError, match="sampling"):
        opt.batches(10, 2, 5, sampling="sequential")
    assert opt.batches(10, 10, 0).shape == (0, 10)


# ---- the package: one style, what each optimizer needs ------------------------------------------------
def test_every_public_name_is_exported_and_documented_in_one_style():
    import inspect

    assert sorted(opt.__all__) == sorted(set(opt.__all__))
    for name in opt.__all__:
        assert getattr(opt, name).__doc__, name
    optimizers = [obj for obj in vars(opt).values() if inspect.isclass(obj) and hasattr(obj, "update")]
    expected = {"GradientDescent", "Momentum", "AdaGrad", "RMSProp", "Adam", "Newton"}
    expected |= {"AdamW", "Adadelta", "Adamax", "Nadam", "Lion", "Muon", "ScheduleFreeAdamW"}  # chapter 09
    expected |= {"TrustRegion", "NewtonCG", "KFAC"}  # chapter 07
    assert {o.__name__ for o in optimizers} == expected
    for optimizer in optimizers:
        first_line = optimizer.__doc__.splitlines()[0]
        assert "θ ←" in first_line or "←" in first_line, f"{optimizer.__name__}: update rule at the top"
        assert "Needs from the objective:" in optimizer.__doc__, optimizer.__name__
        assert "Keras:" in optimizer.__doc__ and "Chapter" in optimizer.__doc__, optimizer.__name__


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


# --- growing batches (chapter 08): batch_size as a sequence of per-step sizes -------------------------
def test_run_with_growing_batches_uses_the_batch_of_each_step():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    problem = ob.LeastSquares(X, rng.standard_normal(30))
    sizes = np.array([1, 2, 4, 8, 30])
    gd = opt.GradientDescent(0.1)
    traj = opt.run(gd, problem, np.zeros(2), 5, batch_size=sizes, seed=3)
    theta = np.zeros(2)
    for k, b in enumerate(sizes):
        batch = np.random.default_rng((3, k)).choice(30, int(b), replace=False)
        theta = theta - 0.1 * problem.at(batch).grad(theta)
        np.testing.assert_allclose(traj.thetas[k + 1], theta, rtol=1e-14)
    step = traj.thetas[-1] - traj.thetas[-2]
    np.testing.assert_allclose(step, -0.1 * problem.grad(traj.thetas[-2]), rtol=1e-12)  # b = m: full gradient
    with pytest.raises(ValueError, match="batch_size"):
        opt.run(gd, problem, np.zeros(2), 5, batch_size=[1, 2, 3])
    with pytest.raises(ValueError, match="batch_size"):
        opt.run(gd, problem, np.zeros(2), 2, batch_size=[1, 31])
    with pytest.raises(ValueError, match="sampling"):
        opt.run(gd, problem, np.zeros(2), 2, batch_size=[1, 2], sampling="reshuffle")
