"""Tests for the optimizers of chapter 09 in course_lib.optimizers.adaptive: each update rule against a
loop written out from its formula, the properties the chapter relies on, and argument validation.
(Every rule is also run against keras.optimizers in float64 by tests/test_keras_compat.py.)"""

import numpy as np
import pytest

from course_lib import objectives
from course_lib import optimizers as opt

STEPS = 60


def _quadratic():
    rng = np.random.default_rng(3)
    f = objectives.Quadratic.with_eigenvalues([0.3, 1.0, 2.0, 5.0], rng, b=rng.normal(size=4))
    return f, rng.normal(size=4)


def _diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def test_amsgrad_is_the_running_maximum_of_raw_v_then_bias_corrected():
    f, theta = _quadratic()
    alpha, b1, b2, eps = 0.05, 0.9, 0.99, 1e-8
    run = opt.run(opt.Adam(alpha, b1, b2, eps, amsgrad=True), f, theta, STEPS).thetas
    m = v = v_max = np.zeros_like(theta)
    expected = [theta]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        theta = theta - alpha * (m / (1 - b1**t)) / (eps + np.sqrt(v_max / (1 - b2**t)))
        expected.append(theta)
    assert _diff(run, expected) < 1e-13
    assert _diff(run, opt.run(opt.Adam(alpha, b1, b2, eps), f, expected[0], STEPS).thetas) > 1e-4


def test_amsgrad_state_keeps_a_maximum_that_never_decreases():
    f, theta = _quadratic()
    optimizer, state = opt.Adam(0.1, amsgrad=True), None
    state = optimizer.init(theta)
    previous = state.v_max
    for _ in range(40):
        theta, state = optimizer.update(theta, state, f)
        assert np.all(state.v_max >= previous) and np.all(state.v_max >= state.v)
        previous = state.v_max
    assert isinstance(state, opt.AMSGradState)


def test_adamw_decays_before_the_adam_step_with_the_old_gradient():
    f, theta = _quadratic()
    alpha, lam = 0.05, 0.3
    run = opt.run(opt.AdamW(alpha, 0.9, 0.999, 1e-8, lam), f, theta, STEPS).thetas
    m = v = np.zeros_like(theta)
    expected = [theta]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)  # at θ before the decay
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        theta = theta * (1 - alpha * lam) - alpha * (m / (1 - 0.9**t)) / (1e-8 + np.sqrt(v / (1 - 0.999**t)))
        expected.append(theta)
    assert _diff(run, expected) < 1e-13
    no_decay = opt.run(opt.AdamW(alpha, weight_decay=0.0), f, expected[0], STEPS).thetas
    assert _diff(no_decay, opt.run(opt.Adam(alpha), f, expected[0], STEPS).thetas) == 0.0


def test_adamw_differs_from_adam_with_an_l2_penalty():
    f, theta = _quadratic()
    lam = 0.3
    penalized = objectives.Quadratic(f.A + lam * np.eye(4), f.b)
    l2 = opt.run(opt.Adam(0.05), penalized, theta, 3000).thetas[-1]
    decoupled = opt.run(opt.AdamW(0.05, weight_decay=lam), f, theta, 3000).thetas[-1]
    assert _diff(l2, penalized.minimizer) < 1e-3 and _diff(l2, decoupled) > 1e-2


def test_adadelta_is_zeilers_rule():
    f, theta = _quadratic()
    rho, eps, alpha = 0.9, 1e-6, 1.0
    run = opt.run(opt.Adadelta(alpha, rho, eps), f, theta, STEPS).thetas
    r = d = np.zeros_like(theta)
    expected = [theta]
    for _ in range(STEPS):
        g = f.grad(theta)
        r = rho * r + (1 - rho) * g * g
        delta = -np.sqrt(d + eps) / np.sqrt(r + eps) * g
        d = rho * d + (1 - rho) * delta**2
        theta = theta + alpha * delta
        expected.append(theta)
    assert _diff(run, expected) < 1e-14
    assert _diff(run[1] - run[0], -np.sqrt(eps / (1 - rho)) * np.sign(f.grad(run[0]))) < 1e-6


def test_adamax_is_adam_with_the_infinity_norm():
    f, theta = _quadratic()
    alpha, b1, b2, eps = 0.02, 0.9, 0.999, 1e-8
    run = opt.run(opt.Adamax(alpha, b1, b2, eps), f, theta, STEPS).thetas
    m = u = np.zeros_like(theta)
    expected = [theta]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        m, u = b1 * m + (1 - b1) * g, np.maximum(b2 * u, np.abs(g))
        theta = theta - alpha / (1 - b1**t) * m / (u + eps)
        expected.append(theta)
    assert _diff(run, expected) < 1e-14


@pytest.mark.parametrize("psi", [0.004, 1.0])
def test_nadam_is_dozats_rule_with_its_momentum_schedule(psi):
    f, theta = _quadratic()
    alpha, b1, b2, eps = 0.02, 0.9, 0.999, 1e-8
    run = opt.run(opt.Nadam(alpha, b1, b2, eps, momentum_decay=psi), f, theta, STEPS).thetas
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * psi))  # noqa: E731
    m = v = np.zeros_like(theta)
    expected = [theta]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        product_t, product_next = np.prod([mu(i) for i in range(1, t + 1)]), np.prod([mu(i) for i in range(1, t + 2)])
        m_hat = mu(t + 1) * m / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
        theta = theta - alpha * m_hat / (eps + np.sqrt(v / (1 - b2**t)))
        expected.append(theta)
    assert _diff(run, expected) < 1e-12


def test_lion_moves_every_coordinate_by_exactly_the_rate_plus_its_decay():
    f, theta = _quadratic()
    alpha, b1, b2, lam = 0.01, 0.9, 0.99, 0.1
    run = opt.run(opt.Lion(alpha, b1, b2, lam), f, theta, STEPS).thetas
    m, expected = np.zeros_like(theta), [theta]
    for _ in range(STEPS):
        g = f.grad(theta)
        theta = theta - alpha * (np.sign(b1 * m + (1 - b1) * g) + lam * theta)
        m = b2 * m + (1 - b2) * g
        expected.append(theta)
    assert _diff(run, expected) < 1e-15
    steps = opt.run(opt.Lion(alpha), f, run[0], 10).thetas
    np.testing.assert_allclose(np.abs(np.diff(steps, axis=0)), alpha, rtol=0, atol=1e-15)


def test_newton_schulz_acts_on_singular_values_and_the_cubic_converges_to_the_polar_factor():
    rng = np.random.default_rng(0)
    for shape in [(4, 7), (7, 4)]:
        G = rng.standard_normal(shape)
        U, s, Vt = np.linalg.svd(G, full_matrices=False)
        polar = opt.polar_factor(G)
        np.testing.assert_allclose(polar, U @ Vt, atol=1e-12)
        np.testing.assert_allclose(polar @ polar.T if shape[0] < shape[1] else polar.T @ polar, np.eye(4), atol=1e-12)
        a, b, c = opt.NS_COEFFICIENTS
        sigma = s / (np.linalg.norm(G) + 1e-7)
        for _ in range(5):
            sigma = a * sigma + b * sigma**3 + c * sigma**5
        np.testing.assert_allclose(opt.newton_schulz(G), U @ np.diag(sigma) @ Vt, atol=1e-12)
        cubic = opt.newton_schulz(G, steps=40, coefficients=(1.5, -0.5, 0.0))
        np.testing.assert_allclose(cubic, polar, atol=1e-10)
        assert _diff(opt.newton_schulz(G), polar) > 1e-2  # the quintic does not converge to UVᵀ
    with pytest.raises(ValueError, match="G"):
        opt.newton_schulz(np.ones(3))
    with pytest.raises(ValueError, match="steps"):
        opt.newton_schulz(np.ones((2, 2)), steps=-1)


def test_muon_is_orthogonalized_nesterov_momentum_of_the_matrix():
    rng = np.random.default_rng(1)
    f = objectives.Quadratic.with_eigenvalues(np.linspace(0.5, 3, 6), rng, b=rng.normal(size=6))
    theta = rng.normal(size=6)
    alpha, mu, lam = 0.05, 0.9, 0.1
    run = opt.run(opt.Muon(alpha, mu, shape=(2, 3), weight_decay=lam), f, theta, 20).thetas
    B, expected = np.zeros(6), [theta]
    for _ in range(20):
        g = f.grad(theta)
        B = mu * B + g
        O = opt.newton_schulz((g + mu * B).reshape(2, 3))
        theta = theta - alpha * lam * theta - alpha * 0.2 * np.sqrt(3) * O.ravel()
        expected.append(theta)
    assert _diff(run, expected) < 1e-13
    plain = opt.run(opt.Muon(alpha, mu, nesterov=False, shape=(2, 3), rms_rate=None), f, expected[0], 1).thetas
    direction = opt.newton_schulz(f.grad(expected[0]).reshape(2, 3)).ravel()
    np.testing.assert_allclose(plain[1], expected[0] - alpha * direction, atol=1e-14)


def test_schedule_free_average_is_the_mean_of_the_base_sequence():
    f, theta = _quadratic()
    optimizer = opt.ScheduleFreeAdamW(0.05, 0.9, 0.999)
    state, zs = optimizer.init(theta), []
    for _ in range(30):
        theta, state = optimizer.update(theta, state, f)
        zs.append(state.z)
        np.testing.assert_allclose(optimizer.average(theta, state), np.mean(zs, axis=0), atol=1e-12)
        np.testing.assert_allclose(theta, 0.1 * state.z + 0.9 * np.mean(zs, axis=0), atol=1e-12)


def test_schedule_free_keras_form_recovers_x_with_the_new_z():
    f, theta0 = _quadratic()
    alpha, b1, b2 = 0.05, 0.875, 0.999
    run = opt.run(opt.ScheduleFreeAdamW(alpha, b1, b2, keras_form=True), f, theta0, STEPS).thetas
    y, z, v, expected = theta0.copy(), theta0.copy(), np.zeros(4), [theta0]
    for t in range(1, STEPS + 1):
        g = f.grad(y)
        v = b2 * v + (1 - b2) * g * g
        z = z - alpha * g / (np.sqrt(v / (1 - b2**t)) + 1e-8)
        x = (1 - 1 / t) * (y - (1 - b1) * z) / b1 + z / t
        y = (1 - b1) * z + b1 * x
        expected.append(y)
    assert _diff(run, expected) < 1e-13
    assert _diff(run, opt.run(opt.ScheduleFreeAdamW(alpha, b1, b2), f, theta0, STEPS).thetas) > 1e-3


def test_schedule_free_warmup_and_decay():
    f, theta = _quadratic()
    warm = opt.ScheduleFreeAdamW(0.05, warmup_steps=10)
    first = opt.run(warm, f, theta, 1).thetas
    plain = opt.run(opt.ScheduleFreeAdamW(0.005), f, theta, 1).thetas
    np.testing.assert_allclose(first, plain, atol=1e-15)  # γ_1 = γ · 1/10
    decayed = opt.run(opt.ScheduleFreeAdamW(0.05, weight_decay=0.5), f, theta, 5).thetas
    y, z, v, b1 = theta.copy(), theta.copy(), np.zeros(4), 0.9
    for t in range(1, 6):  # y ← y − γλy first (the gradient taken before), x recovered from it
        g = f.grad(y)
        y = y - 0.05 * 0.5 * y
        x = (y - (1 - b1) * z) / b1
        v = 0.999 * v + 0.001 * g * g
        z = z - 0.05 * g / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        x = (1 - 1 / t) * x + z / t
        y = (1 - b1) * z + b1 * x
    np.testing.assert_allclose(decayed[-1], y, atol=1e-14)
    assert _diff(decayed[-1], opt.run(opt.ScheduleFreeAdamW(0.05), f, theta, 5).thetas[-1]) > 1e-4


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: opt.AdamW(weight_decay=-0.1), "weight_decay"),
        (lambda: opt.AdamW(beta2=1.0), "beta2"),
        (lambda: opt.Adam(eps=0.0), "eps"),
        (lambda: opt.Adadelta(rho=1.0), "rho"),
        (lambda: opt.Adadelta(eps=-1.0), "eps"),
        (lambda: opt.Adamax(beta1=-0.1), "beta1"),
        (lambda: opt.Nadam(momentum_decay=0.0), "momentum_decay"),
        (lambda: opt.Lion(learning_rate=-1.0), "learning_rate"),
        (lambda: opt.Lion(weight_decay=-1.0), "weight_decay"),
        (lambda: opt.Muon(), "shape"),
        (lambda: opt.Muon(shape=(2, 0)), "shape"),
        (lambda: opt.Muon(shape=(2, 2), momentum=1.0), "momentum"),
        (lambda: opt.Muon(shape=(2, 2), ns_steps=-1), "ns_steps"),
        (lambda: opt.Muon(shape=(2, 2), rms_rate=0.0), "rms_rate"),
        (lambda: opt.Muon(shape=(2, 2), coefficients=(1.0, 2.0)), "coefficients"),
        (lambda: opt.ScheduleFreeAdamW(beta1=0.0), "beta1"),
        (lambda: opt.ScheduleFreeAdamW(warmup_steps=-1), "warmup_steps"),
        (lambda: opt.ScheduleFreeAdamW(weight_decay=-1), "weight_decay"),
    ],
)
def test_hyperparameters_are_validated(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_muon_checks_the_size_of_theta():
    with pytest.raises(ValueError, match="theta"):
        opt.Muon(shape=(2, 3)).init(np.zeros(5))


@pytest.mark.parametrize(
    "optimizer",
    [
        opt.Adam(0.05, amsgrad=True),
        opt.AdamW(0.05, weight_decay=0.1),
        opt.Adadelta(1.0),
        opt.Adamax(0.05),
        opt.Nadam(0.05),
        opt.Lion(0.01),
        opt.Muon(0.02, shape=(2, 2)),
        opt.ScheduleFreeAdamW(0.05),
    ],
    ids=lambda o: type(o).__name__,
)
def test_new_optimizers_are_pure_frozen_and_decrease_a_quadratic(optimizer):
    f, theta0 = _quadratic()
    first, second = opt.run(optimizer, f, theta0, 40), opt.run(optimizer, f, theta0, 40)
    np.testing.assert_array_equal(first.thetas, second.thetas)
    assert first.values[-1] < first.values[0] and not first.diverged
    state = optimizer.init(theta0)
    copy = theta0.copy()
    _, new_state = optimizer.update(theta0, state, f)
    np.testing.assert_array_equal(theta0, copy)
    assert type(new_state) is type(state) and new_state.count == 1
    with pytest.raises(AttributeError):
        optimizer.learning_rate = 1.0
