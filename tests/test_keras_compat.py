"""Tests for course_lib.keras_compat: every recipe of the convention table is executed against
keras.optimizers (float64 variables, gradients computed by TensorFlow), every float32 note is shown,
and each conversion is shown to matter (the lecture form differs from Keras's where the table says so)."""

import numpy as np
import pytest

import course_lib
from course_lib import keras_compat as kc
from course_lib import optimizers as opt
from course_lib import schedules

STEPS = 200


def _max_diff(a, b):
    assert a.shape == b.shape
    return float(np.max(np.abs(a - b)))


def _ours(optimizer, problem):
    return opt.run(optimizer, *problem, STEPS).thetas


def _theirs(keras_optimizer, problem):
    return kc.keras_trajectory(keras_optimizer, *problem, STEPS)


# ---- the table's recipes ------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", kc.CONVENTIONS, ids=lambda c: c.topic)
def test_every_recipe_reproduces_keras(convention, problems):
    shape = kc.MATRIX_SHAPES.get(convention.topic)
    if shape is not None:  # a matrix optimizer (Muon): a quadratic on vec(W)
        problems = [kc.check_problem(int(np.prod(shape)), seed) for seed in (0, 2)]
    for f, theta0 in problems:
        keras_optimizer, ours = kc.recipe_pair(convention)  # fresh Keras optimizer per run
        mine = opt.run(ours, f, theta0, convention.steps).thetas
        theirs = kc.keras_trajectory(keras_optimizer, f, theta0, convention.steps, shape=shape)
        difference = _max_diff(mine, theirs)
        assert difference < convention.tolerance, (convention.topic, difference)


def test_table_covers_every_optimizer_and_the_conventions():
    topics = [c.topic for c in kc.CONVENTIONS]
    for required in (
        "gradient descent",
        "SGD with momentum",
        "Nesterov",
        "AdaGrad",
        "RMSProp",
        "Adam",
        "defaults",
        "schedules",
        "AMSGrad",
        "AdamW",
        "Adadelta",
        "Adamax",
        "Nadam",
        "Lion",
        "Muon",
        "schedule-free AdamW",
    ):
        assert required in topics
    for convention in kc.CONVENTIONS:
        assert 0 < convention.tolerance <= 1e-5 and convention.steps >= 50
        assert convention.keras_recipe.startswith("keras.optimizers.")
        assert convention.course_lib_recipe.startswith("optimizers.")


def test_keras_trajectory_is_independent_of_course_lib_and_validates(problems):
    import keras

    f, theta0 = problems[0]
    thetas = kc.keras_trajectory(keras.optimizers.SGD(learning_rate=0.125), f, theta0, steps=3)
    expected = [theta0]
    for _ in range(3):  # written out: θ ← θ − α(Aθ − b)
        expected.append(expected[-1] - 0.125 * (f.A @ expected[-1] - f.b))
    np.testing.assert_allclose(thetas, np.array(expected), rtol=1e-15, atol=1e-15)
    with pytest.raises(ValueError, match="steps"):
        kc.keras_trajectory(keras.optimizers.SGD(), f, theta0, steps=0)


# ---- each conversion matters --------------------------------------------------------------------------
def test_lecture_nesterov_iterates_are_keras_look_ahead_points(problems):
    """Keras's variable φ_k is the lecture's look-ahead point θ_k + αμv_k = θ_k + μ(θ_k − θ_{k−1})."""
    import keras

    alpha, mu = 0.125, 0.75
    for problem in problems:
        ours = _ours(opt.Momentum(alpha, mu, nesterov=True), problem)
        phi = _theirs(keras.optimizers.SGD(learning_rate=alpha, momentum=mu, nesterov=True), problem)
        look_ahead = ours.copy()
        look_ahead[1:] += mu * (ours[1:] - ours[:-1])
        assert _max_diff(look_ahead, phi) < 1e-12
        assert _max_diff(ours, phi) > 1e-2  # the stored points really differ


def test_momentum_with_a_schedule_needs_keras_form(problems):
    import keras

    schedule = schedules.InverseTime(0.125, k0=20.0)
    problem = problems[0]
    for nesterov in (False, True):
        theirs = _theirs(
            keras.optimizers.SGD(learning_rate=schedule.to_keras(), momentum=0.75, nesterov=nesterov), problem
        )
        keras_form = _ours(opt.Momentum(schedule, 0.75, nesterov=nesterov, keras_form=True), problem)
        lecture = _ours(opt.Momentum(schedule, 0.75, nesterov=nesterov), problem)
        assert _max_diff(keras_form, theirs) < 1e-6
        assert _max_diff(lecture, theirs) > 1e-3


def test_lecture_adagrad_rmsprop_adam_differ_from_keras_only_where_the_table_says(problems):
    import keras

    problem = problems[0]
    adagrad = _theirs(keras.optimizers.Adagrad(learning_rate=0.25), problem)
    assert _max_diff(_ours(opt.AdaGrad(0.25, eps=1e-7), problem), adagrad) > 1e-3  # r₀ = 0 vs 0.1
    adagrad_r0 = _theirs(keras.optimizers.Adagrad(learning_rate=0.25, initial_accumulator_value=0.0), problem)
    assert 1e-8 < _max_diff(_ours(opt.AdaGrad(0.25, eps=1e-7), problem), adagrad_r0) < 1e-4  # only ε's place
    rmsprop = _theirs(keras.optimizers.RMSprop(learning_rate=0.0625, rho=0.75), problem)
    assert _max_diff(_ours(opt.RMSProp(0.0625, rho=0.75, eps=1e-7), problem), rmsprop) > 1e-7
    beta1, beta2 = 0.875, 1 - 2.0**-10
    adam = _theirs(keras.optimizers.Adam(learning_rate=0.0625, beta_1=beta1, beta_2=beta2), problem)
    assert 1e-8 < _max_diff(_ours(opt.Adam(0.0625, beta1, beta2, eps=1e-7), problem), adam) < 1e-3


# ---- the float32 notes --------------------------------------------------------------------------------
def test_note_learning_rate_is_kept_in_the_default_float_type(problems):
    import keras

    assert "variable of its default float type" in kc.FLOAT32_NOTES[0]
    problem = problems[1]
    course_lib.setup(floatx="float32")  # Keras's own default (conftest restores the book's float64)
    theirs = _theirs(keras.optimizers.SGD(learning_rate=0.1), problem)
    assert 1e-12 < _max_diff(_ours(opt.GradientDescent(0.1), problem), theirs) < 1e-6
    assert _max_diff(_ours(opt.GradientDescent(float(np.float32(0.1))), problem), theirs) < 1e-12
    course_lib.setup()  # the book's float64: the rate is exact
    theirs = _theirs(keras.optimizers.SGD(learning_rate=0.1), problem)
    assert _max_diff(_ours(opt.GradientDescent(0.1), problem), theirs) < 1e-12


def test_note_adam_rounds_betas_through_float32(problems):
    """Keras's float64 Adam computes β₂ᵗ from float32(0.999) but updates m, v with the exact floats."""
    import keras

    assert "Adam" in kc.FLOAT32_NOTES[1]
    f, theta0 = problems[1]
    theirs = _theirs(keras.optimizers.Adam(learning_rate=0.0625), (f, theta0))
    ours = _ours(opt.Adam(0.0625, 0.9, 0.999, eps=1e-7, keras_bias_correction=True), (f, theta0))
    assert 1e-7 < _max_diff(ours, theirs) < 1e-4
    b1, b2, theta, m, v, replica = 0.9, 0.999, theta0.copy(), 0.0, 0.0, [theta0]
    b1_32, b2_32 = float(np.float32(b1)), float(np.float32(b2))  # rounded to float32, then float64 powers
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        alpha_t = 0.0625 * np.sqrt(1 - b2_32**t) / (1 - b1_32**t)
        theta = theta - alpha_t * m / (np.sqrt(v) + 1e-7)
        replica.append(theta)
    assert _max_diff(np.array(replica), theirs) < 1e-12


def test_note_adagrad_starts_at_float32_one_tenth(problems):
    import keras

    assert "float32(0.1)" in kc.FLOAT32_NOTES[2]
    for problem in problems:
        theirs = _theirs(keras.optimizers.Adagrad(learning_rate=0.25), problem)
        flags = dict(eps=1e-7, eps_inside_sqrt=True)
        exact = opt.AdaGrad(0.25, initial_accumulator=float(np.float32(0.1)), **flags)
        assert _max_diff(_ours(exact, problem), theirs) < 1e-12
        assert 1e-12 < _max_diff(_ours(opt.AdaGrad(0.25, initial_accumulator=0.1, **flags), problem), theirs) < 1e-6


def test_note_schedules_compute_in_float32():
    assert "schedules compute in float32" in kc.FLOAT32_NOTES[3]
    schedule = schedules.InverseTime(0.1, k0=3.0)
    ks = np.arange(50)
    keras_rates = np.array([float(schedule.to_keras()(k)) for k in ks])
    difference = np.max(np.abs(keras_rates - schedule(ks)))
    assert 1e-12 < difference < 1e-7


# ---- chapter 09's rows -----------------------------------------------------------------------------------
def test_nadam_note_keras_rounds_its_schedule_constant_through_float32(problems):
    """Keras's μ_t, μ_{t+1} use float32(0.96); its running product Π_t the exact 0.96."""
    import keras

    assert "Nadam" in kc.FLOAT32_NOTES[4]
    f, theta0 = problems[0]
    b1, b2, lr = 0.875, 1 - 2.0**-10, 0.0625
    theirs = _theirs(keras.optimizers.Nadam(learning_rate=lr, beta_1=b1, beta_2=b2), (f, theta0))
    ours = _ours(opt.Nadam(lr, b1, b2, eps=1e-7, momentum_decay=1.0), (f, theta0))
    assert 1e-10 < _max_diff(ours, theirs) < 1e-6
    d32 = float(np.float32(0.96))
    theta, m, v, product, replica = theta0.copy(), 0.0, 0.0, 1.0, [theta0]
    for t in range(1, STEPS + 1):
        g = f.grad(theta)
        product *= b1 * (1 - 0.5 * 0.96**t)
        mu, mu_next = b1 * (1 - 0.5 * d32**t), b1 * (1 - 0.5 * d32 ** (t + 1))
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu) * g / (1 - product)
        theta = theta - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + 1e-7)
        replica.append(theta)
    assert _max_diff(np.array(replica), theirs) < 1e-12


def test_lecture_forms_of_chapter_09_differ_from_keras_where_the_table_says(problems):
    import keras

    problem = problems[1]
    b1, b2 = 0.875, 1 - 2.0**-10
    nadam = _theirs(keras.optimizers.Nadam(learning_rate=0.0625, beta_1=b1, beta_2=b2), problem)
    assert _max_diff(_ours(opt.Nadam(0.0625, b1, b2, eps=1e-7), problem), nadam) > 1e-3  # Dozat's ψ
    sf = _theirs(keras.optimizers.ScheduleFreeAdamW(learning_rate=0.0625, beta_1=b1, beta_2=b2), problem)
    assert _max_diff(_ours(opt.ScheduleFreeAdamW(0.0625, b1, b2), problem), sf) > 1e-3  # the paper's x
    amsgrad = _theirs(keras.optimizers.Adam(learning_rate=0.0625, beta_1=b1, beta_2=b2, amsgrad=True), problem)
    lecture = _ours(opt.Adam(0.0625, b1, b2, eps=1e-7, amsgrad=True), problem)
    assert 1e-9 < _max_diff(lecture, amsgrad) < 1e-3  # only where ε sits (PyTorch's form is the lecture's)
    adamw = _theirs(keras.optimizers.AdamW(learning_rate=0.0625, weight_decay=2**-8, beta_1=b1, beta_2=b2), problem)
    keras_form = opt.AdamW(0.0625, b1, b2, 1e-7, 2**-8, keras_bias_correction=True)
    assert _max_diff(_ours(keras_form, problem), adamw) < 1e-12
    assert _max_diff(_ours(opt.AdamW(0.0625, b1, b2, 1e-7, keras_bias_correction=True), problem), adamw) > 1e-4


def test_execute_table_and_table_markdown():
    rows = [c for c in kc.CONVENTIONS if c.topic in ("Lion", "Muon")]
    differences = kc.execute_table(rows)
    assert set(differences) == {"Lion", "Muon"}
    assert all(differences[c.topic] < c.tolerance for c in rows)
    text = kc.table_markdown(rows, columns=("topic", "torch"))
    assert text.count("\n") == 3 and "no Lion in torch.optim" in text
    with pytest.raises(ValueError, match="columns"):
        kc.table_markdown(rows, columns=("nonsense",))


def test_keras_trajectory_with_a_matrix_shape_and_its_validation():
    import keras

    f, theta0 = kc.check_problem(6, 1)
    flat = kc.keras_trajectory(keras.optimizers.SGD(learning_rate=0.125), f, theta0, steps=5)
    matrix = kc.keras_trajectory(keras.optimizers.SGD(learning_rate=0.125), f, theta0, steps=5, shape=(2, 3))
    np.testing.assert_allclose(matrix, flat, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="shape"):
        kc.keras_trajectory(keras.optimizers.SGD(), f, theta0, steps=2, shape=(4, 2))
