"""Tests for course_lib.schedules: golden values, agreement with keras.optimizers.schedules (index
convention: Keras's step = optimizer.iterations = k, 0 at the first update), averages of iterates
against direct loops and against Keras's EMA, validation."""

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment first)
from course_lib import objectives as ob
from course_lib import optimizers as opt
from course_lib import schedules as sch

KS = np.arange(301)


@pytest.mark.parametrize(
    ("schedule", "golden"),
    [
        (sch.Constant(0.1), {0: 0.1, 7: 0.1, 1000: 0.1}),
        (sch.InverseTime(1.0, k0=10), {0: 1.0, 10: 0.5, 30: 0.25}),
        (sch.LinearDecay(1.0, 0.1, tau=10), {0: 1.0, 5: 0.55, 10: 0.1, 11: 0.1, 50: 0.1}),  # stays at λ_τ
        (sch.StepDecay(0.8, factor=0.5, step_size=3), {0: 0.8, 2: 0.8, 3: 0.4, 5: 0.4, 6: 0.2, 8: 0.2}),
        (sch.ExponentialDecay(2.0, rate=0.5, decay_steps=2), {0: 2.0, 1: np.sqrt(2.0), 2: 1.0, 4: 0.5}),
        (sch.CosineDecay(1.0, tau=10, final=0.1), {0: 1.0, 5: 0.55, 10: 0.1, 20: 0.1}),
    ],
    ids=repr,
)
def test_golden_values(schedule, golden):
    for k, value in golden.items():
        result = schedule(k)
        assert isinstance(result, float)
        assert result == pytest.approx(value, rel=1e-14)
    ks = np.array(list(golden))
    np.testing.assert_allclose(schedule(ks), list(golden.values()), rtol=1e-14)
    assert schedule(ks).shape == ks.shape


def test_linear_decay_is_linear_then_constant():
    schedule = sch.LinearDecay(0.5, 0.05, tau=100)
    values = schedule(KS)
    np.testing.assert_allclose(np.diff(values[:101]), -0.45 / 100, rtol=1e-10)
    np.testing.assert_allclose(values[100:], 0.05, rtol=1e-15)


def _keras_values(keras_schedule):
    return np.array(keras_schedule(KS), dtype=float)  # Keras computes in float32


@pytest.mark.parametrize(
    ("ours", "keras_args"),
    [
        (
            sch.InverseTime(0.5, k0=25),
            ("InverseTimeDecay", dict(initial_learning_rate=0.5, decay_steps=25, decay_rate=1.0)),
        ),
        (
            sch.LinearDecay(0.5, 0.05, tau=120),
            ("PolynomialDecay", dict(initial_learning_rate=0.5, decay_steps=120, end_learning_rate=0.05, power=1.0)),
        ),
        (
            sch.StepDecay(0.5, factor=0.3, step_size=40),
            ("ExponentialDecay", dict(initial_learning_rate=0.5, decay_steps=40, decay_rate=0.3, staircase=True)),
        ),
        (
            sch.ExponentialDecay(0.5, rate=0.7, decay_steps=30),
            ("ExponentialDecay", dict(initial_learning_rate=0.5, decay_steps=30, decay_rate=0.7)),
        ),
        (
            sch.CosineDecay(0.5, tau=200, final=0.05),
            ("CosineDecay", dict(initial_learning_rate=0.5, decay_steps=200, alpha=0.1)),
        ),
    ],
    ids=lambda x: repr(x) if not isinstance(x, tuple) else x[0],
)
def test_agrees_with_keras_schedules(ours, keras_args):
    """Same k on both sides; conversions: k₀ = decay_steps with decay_rate = 1; τ = decay_steps and
    λ_τ = end_learning_rate with power = 1; step decay = staircase ExponentialDecay; Keras's alpha = α_τ/α₀."""
    import keras

    name, kwargs = keras_args
    explicit = getattr(keras.optimizers.schedules, name)(**kwargs)
    np.testing.assert_allclose(ours(KS), _keras_values(explicit), rtol=1e-6)
    np.testing.assert_allclose(ours(KS), _keras_values(ours.to_keras()), rtol=1e-6)


def test_step_decay_agrees_with_keras_piecewise_constant():
    """Keras's PiecewiseConstantDecay uses values[i] while step <= boundaries[i]; the rate here drops
    at k = s, 2s, ..., so the Keras boundaries are s − 1, 2s − 1, ... for integer steps."""
    import keras

    s, factor = 40, 0.3
    ours = sch.StepDecay(0.5, factor=factor, step_size=s)
    boundaries = [j * s - 1 for j in range(1, 8)]
    values = [0.5 * factor**j for j in range(8)]
    theirs = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    np.testing.assert_allclose(ours(KS), _keras_values(theirs), rtol=1e-6)
    naive = keras.optimizers.schedules.PiecewiseConstantDecay([j * s for j in range(1, 8)], values)
    assert not np.allclose(ours(KS), _keras_values(naive))  # off by one step at each drop


def test_constant_to_keras_is_the_float():
    assert sch.Constant(0.25).to_keras() == 0.25
    with pytest.raises(ValueError, match="initial"):
        sch.CosineDecay(0.0, tau=10).to_keras()


# ---- averages of iterates ---------------------------------------------------------------------------
def _iterates():
    return np.random.default_rng(2).normal(size=(40, 3))


def test_polyak_average_against_a_direct_loop():
    thetas = _iterates()
    expected = np.array([thetas[: k + 1].sum(axis=0) / (k + 1) for k in range(len(thetas))])
    np.testing.assert_allclose(sch.polyak_average(thetas), expected, rtol=1e-12)
    np.testing.assert_allclose(sch.polyak_average(thetas[:, 0]), expected[:, 0], rtol=1e-12)


def test_exponential_average_against_a_direct_loop():
    thetas = _iterates()
    for beta in (0.0, 0.5, 0.9, 0.99):
        expected = [thetas[0]]
        for theta in thetas[1:]:
            expected.append((1 - beta) * theta + beta * expected[-1])
        np.testing.assert_allclose(sch.exponential_average(thetas, beta), expected, rtol=1e-12, atol=1e-14)
        one_coordinate = sch.exponential_average(thetas[:, 1], beta)
        np.testing.assert_allclose(one_coordinate, np.array(expected)[:, 1], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(sch.exponential_average(thetas, 0.0), thetas)


def test_exponential_average_matches_keras_ema_started_at_theta_1():
    """Keras's use_ema keeps avg ← β avg + (1 − β) θ_k after each step, starting from avg = θ_1;
    finalize_variable_values writes the average into the variable."""
    import keras

    f = ob.Quadratic([[3.0, 1.0], [1.0, 0.5]], [1.0, -2.0])
    theta0, steps, beta = np.array([2.0, -1.5]), 30, 0.875
    ours = opt.run(opt.Momentum(0.125, 0.5), f, theta0, steps).thetas
    keras_opt = keras.optimizers.SGD(learning_rate=0.125, momentum=0.5, use_ema=True, ema_momentum=beta)
    var = keras.Variable(theta0, dtype="float64")
    for _ in range(steps):
        keras_opt.apply_gradients([(f.A @ var.numpy() - f.b, var)])
    np.testing.assert_allclose(var.numpy(), ours[-1], rtol=1e-12)
    keras_opt.finalize_variable_values([var])
    np.testing.assert_allclose(var.numpy(), sch.exponential_average(ours[1:], beta)[-1], rtol=1e-7)
    assert np.abs(var.numpy() - sch.exponential_average(ours, beta)[-1]).max() > 1e-3


def test_polyak_averaging_tames_constant_step_sgd():
    """Constant-step SGD bounces in a noise ball around θ*; the running average of the second half of
    the iterates is much closer (chapter 08). Five seeds: mean distances 1.15 (iterate) vs 0.12 (average)."""
    f = ob.narrow_valley(kappa=5.0)
    last, averaged = [], []
    for seed in range(5):
        traj = opt.run(opt.GradientDescent(0.5), ob.NoisyGradient(f, sigma=1.0), [2.0, 2.0], 4000, seed=seed)
        tail = traj.thetas[2000:]
        last.append(np.linalg.norm(tail - f.minimizer, axis=1).mean())
        averaged.append(np.linalg.norm(sch.polyak_average(tail)[-1] - f.minimizer))
    assert np.mean(averaged) < 0.2 * np.mean(last)
    assert sum(a < 0.25 * b for a, b in zip(averaged, last)) >= 4


# ---- validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: sch.Constant(-0.1), "value"),
        (lambda: sch.Constant(np.nan), "value"),
        (lambda: sch.InverseTime(-1.0, 10), "initial"),
        (lambda: sch.InverseTime(1.0, 0), "k0"),
        (lambda: sch.LinearDecay(1.0, -0.1, 10), "final"),
        (lambda: sch.LinearDecay(1.0, 0.1, 0), "tau"),
        (lambda: sch.StepDecay(1.0, 0.0, 10), "factor"),
        (lambda: sch.StepDecay(1.0, 1.5, 10), "factor"),
        (lambda: sch.StepDecay(1.0, 0.5, 0), "step_size"),
        (lambda: sch.StepDecay(1.0, 0.5, 2.5), "step_size"),
        (lambda: sch.ExponentialDecay(1.0, 0.0), "rate"),
        (lambda: sch.ExponentialDecay(1.0, 0.5, decay_steps=-1), "decay_steps"),
        (lambda: sch.CosineDecay(np.inf, 10), "initial"),
        (lambda: sch.CosineDecay(1.0, -10), "tau"),
        (lambda: sch.CosineDecay(1.0, 10, final=-1.0), "final"),
        (lambda: sch.exponential_average(np.zeros((3, 2)), 1.0), "beta"),
        (lambda: sch.exponential_average(np.zeros((3, 2)), -0.1), "beta"),
        (lambda: sch.polyak_average(np.zeros((0, 2))), "thetas"),
        (lambda: sch.polyak_average(3.0), "thetas"),
        (lambda: sch.InverseTime(1.0, 10)(-1), "k must"),
        (lambda: sch.CosineDecay(1.0, 10)(np.array([0, -2])), "k must"),
        (lambda: sch.LinearDecay(1.0, 0.1, 10)(np.nan), "k must"),
    ],
)
def test_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_repr():
    assert repr(sch.LinearDecay(1.0, 0.1, 10)) == "LinearDecay(initial=1.0, final=0.1, tau=10.0)"


@pytest.mark.parametrize(
    "schedule",
    [
        sch.Constant(0.1),
        sch.InverseTime(0.1, 10),
        sch.LinearDecay(0.1, 0.01, 50),
        sch.StepDecay(0.1, 0.5, 10),
        sch.ExponentialDecay(0.1, 0.9),
        sch.CosineDecay(0.1, 50),
    ],
    ids=lambda s: type(s).__name__,
)
def test_parameters_are_frozen_after_validation(schedule):
    before = schedule(7)
    name = next(iter(vars(schedule)))
    with pytest.raises(AttributeError):
        setattr(schedule, name, -1)
    assert schedule(7) == before
