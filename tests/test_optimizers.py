"""Tests for course_lib.optimizers: golden runs against keras.optimizers (float64) with each conversion
stated, Newton against exact solves, divergence/convergence, the run loop, validation, speed."""

import warnings

import course_lib  # noqa: F401  (environment first)
import numpy as np
import pytest

from course_lib import objectives as ob
from course_lib import optimizers as opt
from course_lib import schedules

STEPS = 200


def _problems():
    """A 2-D (κ ≈ 22) and a 5-D (κ = 8) quadratic with nonzero minimizers, and starting points."""
    two = ob.Quadratic([[3.0, 1.0], [1.0, 0.5]], [1.0, -2.0])
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    A = Q @ np.diag([0.5, 1.0, 1.5, 2.5, 4.0]) @ Q.T
    five = ob.Quadratic(0.5 * (A + A.T), rng.normal(size=5))
    return [(two, np.array([2.0, -1.5])), (five, rng.normal(size=5))]


@pytest.fixture(scope="module")
def keras_run():
    """Run a keras.optimizers optimizer on a quadratic with a float64 variable; return θ_0 ... θ_K.

    The gradient Aθ − b is computed in TensorFlow from A and b (not by course_lib), and the loop runs in
    one tf.function (optimizer.apply_gradients inside tf.range), reading the variable after each step.
    """
    import keras
    import tensorflow as tf

    def run(optimizer, objective, theta0, steps=STEPS, momentum_slots=False):
        var = keras.Variable(theta0, dtype="float64")
        optimizer.build([var])
        A, b = tf.constant(objective.A), tf.constant(objective.b)

        @tf.function
        def loop():
            out = tf.TensorArray(tf.float64, size=steps)
            slots = tf.TensorArray(tf.float64, size=steps)
            for i in tf.range(steps):
                optimizer.apply_gradients([(tf.linalg.matvec(A, var.value) - b, var)])
                out = out.write(i, var.value)
                if momentum_slots:
                    slots = slots.write(i, optimizer.momentums[0].value)
            return out.stack(), (slots.stack() if momentum_slots else out.stack())

        thetas, slots = loop()
        thetas = np.vstack([theta0, thetas.numpy()])
        if momentum_slots:
            return thetas, np.vstack([np.zeros_like(theta0), slots.numpy()])
        return thetas

    return run


def _max_diff(a, b):
    assert a.shape == b.shape
    return float(np.max(np.abs(a - b)))


# ---- golden comparisons with keras.optimizers -------------------------------------------------------
# Learning rates and β's are dyadic (exact in float32): Keras keeps a float learning rate in a float32
# variable and casts some Python-float constants through float32 even for float64 variables (below).
def test_gradient_descent_equals_keras_sgd(keras_run):
    import keras

    for f, theta0 in _problems():
        ours = opt.run(opt.GradientDescent(0.125), f, theta0, STEPS).thetas
        theirs = keras_run(keras.optimizers.SGD(learning_rate=0.125), f, theta0)
        assert _max_diff(ours, theirs) < 1e-12


def test_lecture_momentum_equals_keras_sgd_momentum_for_a_constant_rate(keras_run):
    """Lecture v ← μv − g, θ ← θ + αv vs Keras m ← μm − αg, θ ← θ + m: m = αv, same θ_k for constant α."""
    import keras

    for f, theta0 in _problems():
        ours = opt.run(opt.Momentum(0.125, 0.75), f, theta0, STEPS).thetas
        theirs = keras_run(keras.optimizers.SGD(learning_rate=0.125, momentum=0.75), f, theta0)
        assert _max_diff(ours, theirs) < 1e-12


def test_lecture_nesterov_equals_keras_nesterov_at_the_look_ahead_points(keras_run):
    """Compared: Keras's variable after k steps, φ_k, against the lecture's look-ahead point
    θ_k + αμv_k = θ_k + μ(θ_k − θ_{k−1}) (since θ_k − θ_{k−1} = αv_k; φ_0 = θ_0); and conversely
    the lecture iterate θ_k against φ_k − μm_k with Keras's momentum slot m_k (= αv_k)."""
    import keras

    alpha, mu = 0.125, 0.75
    for f, theta0 in _problems():
        ours = opt.run(opt.Momentum(alpha, mu, nesterov=True), f, theta0, STEPS).thetas
        phi, m = keras_run(
            keras.optimizers.SGD(learning_rate=alpha, momentum=mu, nesterov=True), f, theta0, momentum_slots=True
        )
        look_ahead = ours.copy()
        look_ahead[1:] += mu * (ours[1:] - ours[:-1])
        assert _max_diff(look_ahead, phi) < 1e-12
        assert _max_diff(ours, phi - mu * m) < 1e-12
        assert _max_diff(ours, phi) > 1e-2  # the stored points really differ
        keras_form = opt.run(opt.Momentum(alpha, mu, nesterov=True, keras_form=True), f, theta0, STEPS).thetas
        assert _max_diff(keras_form, phi) < 1e-12


def test_momentum_with_a_schedule_needs_keras_form(keras_run):
    """With α_k varying, Keras's velocity (which carries α_k) differs from the lecture's; keras_form=True
    reproduces Keras. The schedule is Keras's own InverseTimeDecay (float32 arithmetic: ~1e-8 differences)."""
    import keras

    schedule = schedules.InverseTime(0.125, k0=20.0)
    f, theta0 = _problems()[0]  # one problem is enough: the difference is about the schedule
    for nesterov in (False, True):
        keras_sgd = keras.optimizers.SGD(learning_rate=schedule.to_keras(), momentum=0.75, nesterov=nesterov)
        theirs = keras_run(keras_sgd, f, theta0)
        lecture = opt.run(opt.Momentum(schedule, 0.75, nesterov=nesterov), f, theta0, STEPS).thetas
        keras_form = opt.run(opt.Momentum(schedule, 0.75, nesterov=nesterov, keras_form=True), f, theta0, STEPS)
        assert _max_diff(keras_form.thetas, theirs) < 1e-6
        assert _max_diff(lecture, theirs) > 1e-3


def test_adagrad_equals_keras_with_eps_inside_sqrt_and_initial_accumulator(keras_run):
    """Keras: r₀ = 0.1, θ ← θ − αg/√(r + ε), ε = 1e-7. (Keras builds r₀ with a float32 constant, so
    r₀ = float32(0.1) reproduces it to round-off; with r₀ = 0.1 exactly the difference is ~1e-9.)"""
    import keras

    for f, theta0 in _problems():
        theirs = keras_run(keras.optimizers.Adagrad(learning_rate=0.25), f, theta0)
        flags = dict(eps=1e-7, eps_inside_sqrt=True)
        exact = opt.AdaGrad(0.25, initial_accumulator=float(np.float32(0.1)), **flags)
        assert _max_diff(opt.run(exact, f, theta0, STEPS).thetas, theirs) < 1e-12
        rounded = opt.run(opt.AdaGrad(0.25, initial_accumulator=0.1, **flags), f, theta0, STEPS).thetas
        assert _max_diff(rounded, theirs) < 1e-6
        lecture = opt.run(opt.AdaGrad(0.25, eps=1e-7), f, theta0, STEPS).thetas
        assert _max_diff(lecture, theirs) > 1e-3  # r₀ = 0 vs 0.1 matters
        theirs_r0 = keras_run(keras.optimizers.Adagrad(learning_rate=0.25, initial_accumulator_value=0.0), f, theta0)
        assert 1e-8 < _max_diff(lecture, theirs_r0) < 1e-4  # only ε's place differs


def test_rmsprop_equals_keras_with_eps_inside_sqrt(keras_run):
    """Keras (momentum=0, centered=False): θ ← θ − αg/√(r + ε), ε = 1e-7.

    Near the minimum RMSProp with a constant rate keeps oscillating, and these oscillations can be
    chaotic: with ρ = 0.875 on the 2-D problem, round-off differences of the gradients (TF's matvec vs
    NumPy's) grow to 0.2 after 66 steps. ρ = 0.75 keeps both runs in step to round-off."""
    import keras

    for f, theta0 in _problems():
        theirs = keras_run(keras.optimizers.RMSprop(learning_rate=0.0625, rho=0.75), f, theta0)
        ours = opt.run(opt.RMSProp(0.0625, rho=0.75, eps=1e-7, eps_inside_sqrt=True), f, theta0, STEPS).thetas
        assert _max_diff(ours, theirs) < 1e-12
        lecture = opt.run(opt.RMSProp(0.0625, rho=0.75, eps=1e-7), f, theta0, STEPS).thetas
        assert _max_diff(lecture, theirs) > 1e-7  # ε's place shows once the gradients get small


def test_adam_equals_keras_with_keras_bias_correction(keras_run):
    """Keras: θ ← θ − α_t m/(√v + ε), α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ), ε = 1e-7, t = 1 at the first step."""
    import keras

    beta1, beta2 = 0.875, 1 - 2.0**-10  # exact in float32
    for f, theta0 in _problems():
        theirs = keras_run(keras.optimizers.Adam(learning_rate=0.0625, beta_1=beta1, beta_2=beta2), f, theta0)
        ours = opt.Adam(0.0625, beta1, beta2, eps=1e-7, keras_bias_correction=True)
        assert _max_diff(opt.run(ours, f, theta0, STEPS).thetas, theirs) < 1e-12
        lecture = opt.run(opt.Adam(0.0625, beta1, beta2, eps=1e-7), f, theta0, STEPS).thetas
        assert 1e-8 < _max_diff(lecture, theirs) < 1e-3  # only ε's place differs


def test_adam_keras_defaults_round_betas_through_float32(keras_run):
    """With β₂ = 0.999, Keras's float64 Adam computes β₂ᵗ from float32(0.999) (its ops.cast of a Python
    float goes through a float32 tensor) but updates m, v with the exact floats: a ~1e-5 difference.
    A replica with float32-rounded β's in the bias correction only agrees to round-off."""
    import keras

    f, theta0 = _problems()[1]
    theirs = keras_run(keras.optimizers.Adam(learning_rate=0.0625), f, theta0)
    ours = opt.run(opt.Adam(0.0625, 0.9, 0.999, eps=1e-7, keras_bias_correction=True), f, theta0, STEPS).thetas
    assert 1e-7 < _max_diff(ours, theirs) < 1e-4
    b1, b2, theta, m, v, replica = 0.9, 0.999, theta0.copy(), 0.0, 0.0, [theta0]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        b1_32, b2_32 = float(np.float32(b1)), float(np.float32(b2))  # rounded to float32, then float64 powers
        alpha_t = 0.0625 * np.sqrt(1 - b2_32**t) / (1 - b1_32**t)
        theta = theta - alpha_t * m / (np.sqrt(v) + 1e-7)
        replica.append(theta)
    assert _max_diff(np.array(replica), theirs) < 1e-12


def test_adam_keras_epsilon_is_a_time_varying_lecture_epsilon():
    """One step at t = 1: Keras's form with ε equals the lecture's with ε₁ = ε/√(1 − β₂)."""
    f, theta0 = _problems()[0]
    eps, beta2 = 1e-3, 0.99
    keras_form = opt.Adam(0.1, 0.9, beta2, eps=eps, keras_bias_correction=True)
    lecture = opt.Adam(0.1, 0.9, beta2, eps=eps / np.sqrt(1 - beta2))
    a, _ = keras_form.update(theta0, keras_form.init(theta0), f, 0)
    b, _ = lecture.update(theta0, lecture.init(theta0), f, 0)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    # and the first lecture step has size α in every coordinate (m̂ = g, v̂ = g², ε ≪ |g|)
    first, _ = opt.Adam(0.1, eps=1e-12).update(theta0, opt.Adam().init(theta0), f, 0)
    np.testing.assert_allclose(np.abs(first - theta0), 0.1, rtol=1e-9)


def test_keras_conventions_table_lists_every_difference():
    names = [row["optimizer"] for row in opt.KERAS_CONVENTIONS]
    for required in ("SGD with momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"):
        assert required in names
    for row in opt.KERAS_CONVENTIONS:
        assert set(row) == {"optimizer", "lecture", "keras", "convert", "course_lib"}
        assert all(isinstance(text, str) and text for text in row.values())


# ---- Newton -----------------------------------------------------------------------------------------
def test_newton_reaches_the_minimizer_of_a_quadratic_in_one_step():
    for f, theta0 in _problems():
        traj = opt.run(opt.Newton(), f, theta0, 1)
        np.testing.assert_allclose(traj.thetas[1], f.minimizer, atol=1e-12)
        assert traj.values[1] == pytest.approx(f.min_value, abs=1e-12)


def test_damped_newton_step_matches_scipy_solve():
    import scipy.linalg

    f = ob.Rosenbrock()
    theta0 = np.array([-1.2, 1.0])
    for alpha, damping in [(1.0, 0.0), (0.5, 10.0), (1.0, 1e3)]:
        theta1, _ = opt.Newton(alpha, damping).update(theta0, opt.EmptyState(), f, 0)
        H, g = f.hessian(theta0), f.grad(theta0)
        expected = theta0 - alpha * scipy.linalg.solve(H + damping * np.eye(2), g, assume_a="sym")
        np.testing.assert_allclose(theta1, expected, rtol=1e-13)
    # large damping turns the step into gradient descent with rate α/λ
    theta1, _ = opt.Newton(1.0, 1e10).update(theta0, opt.EmptyState(), f, 0)
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
def test_trajectory_shapes_and_values(optimizer):
    f, theta0 = _problems()[1]
    traj = opt.run(optimizer, f, theta0, 50)
    assert traj.thetas.shape == (51, 5) and traj.values.shape == (51,) and traj.diverged is False
    np.testing.assert_array_equal(traj.thetas[0], theta0)
    np.testing.assert_allclose(traj.values, f.value(traj.thetas), rtol=1e-12, atol=1e-12)
    assert traj.values[-1] < traj.values[0]


@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=repr)
def test_optimizers_are_pure_and_reusable(optimizer):
    f, theta0 = _problems()[0]
    first = opt.run(optimizer, f, theta0, 30)
    second = opt.run(optimizer, f, theta0, 30)
    np.testing.assert_array_equal(first.thetas, second.thetas)
    state = optimizer.init(theta0)
    copies = [np.copy(x) for x in state if isinstance(x, np.ndarray)]
    theta = theta0.copy()
    new_theta, new_state = optimizer.update(theta, state, f, 0)
    np.testing.assert_array_equal(theta, theta0)  # inputs untouched
    for before, after in zip(copies, [x for x in state if isinstance(x, np.ndarray)]):
        np.testing.assert_array_equal(before, after)
    assert isinstance(new_state, tuple) and type(new_state) is type(state)
    with pytest.raises(AttributeError):
        new_state.count = 5  # NamedTuple: immutable


def test_steps_zero_returns_theta0_only():
    f, theta0 = _problems()[0]
    traj = opt.run(opt.Adam(), f, theta0, 0)
    assert traj.thetas.shape == (1, 2) and traj.values.shape == (1,)
    np.testing.assert_array_equal(traj.thetas[0], theta0)
    assert traj.values[0] == f.value(theta0) and not traj.diverged


def test_gradient_descent_converges_below_2_over_L_and_diverges_above_without_warnings():
    f, theta0 = _problems()[1]
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


def test_gradient_descent_rate_on_a_quadratic():
    """α = 2/(L + μ): ‖θ_k − θ*‖ <= ((κ − 1)/(κ + 1))^k ‖θ_0 − θ*‖ (chapter 05)."""
    f, theta0 = _problems()[1]
    traj = opt.run(opt.GradientDescent(2.0 / (f.L + f.mu)), f, theta0, 60)
    errors = np.linalg.norm(traj.thetas - f.minimizer, axis=1)
    rate = (f.kappa - 1) / (f.kappa + 1)
    assert np.all(errors <= rate ** np.arange(61) * errors[0] * (1 + 1e-9))
    monotone = opt.run(opt.GradientDescent(1.0 / f.L), f, theta0, 60).values
    assert np.all(np.diff(monotone) < 0)


def test_schedule_as_learning_rate_equals_a_manual_loop():
    f, theta0 = _problems()[0]
    schedule = schedules.ExponentialDecay(0.3, rate=0.9)
    traj = opt.run(opt.GradientDescent(schedule), f, theta0, 20)
    theta = theta0.copy()
    for k in range(20):
        theta = theta - 0.3 * 0.9**k * f.grad(theta)
    np.testing.assert_allclose(traj.thetas[-1], theta, rtol=1e-14)


def test_stochastic_gradients_through_the_objective():
    f, theta0 = _problems()[0]
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


def test_run_validation():
    f, theta0 = _problems()[0]
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


# ---- speed --------------------------------------------------------------------------------------------
def test_benchmark_reports_every_optimizer_and_runs_fast():
    timings = opt.benchmark(steps=500)
    assert set(timings) == {"GradientDescent", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "Newton"}
    # < 200 µs per step even on a loaded 2-core machine (about 20-50 µs when idle)
    assert all(0 < seconds < 0.1 for seconds in timings.values()), timings
    with pytest.raises(ValueError, match="steps"):
        opt.benchmark(steps=-5)
