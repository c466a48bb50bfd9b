"""Tests for course_lib.regularization_experiments against networks.train, brute force and closed forms."""

import numpy as np
import pytest

from course_lib import datasets, losses, networks
from course_lib import regularization as reg
from course_lib import regularization_experiments as rx


@pytest.fixture(scope="module")
def split():
    return rx.digit_images(n_train=60, n_val=40)


def test_polynomial_errors_interpolate_at_degree_n_minus_1_and_match_polyfit():
    data = rx.polynomial_data(n_train=6, n_test=50, noise=0.1, seed=1)
    train, test, curves = rx.polynomial_errors([1, 5], *data, grid=np.array([0.0, 0.5]))
    assert train[1] < 1e-20 and train[0] > 1e-4
    coef = np.polyfit(data[0], data[1], 1)
    assert train[0] == pytest.approx(np.mean((np.polyval(coef, data[0]) - data[1]) ** 2), rel=1e-10)
    assert test[0] == pytest.approx(np.mean((np.polyval(coef, data[2]) - data[3]) ** 2), rel=1e-10)
    np.testing.assert_allclose(curves[0], np.polyval(coef, [0.0, 0.5]), rtol=1e-10)


def test_digit_images_are_pixels_in_the_unit_interval(split):
    assert split.x_train.shape == (60, 64) and split.x_val.shape == (40, 64)
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    raw = datasets.digits(standardize=False)
    np.testing.assert_array_equal(split.x_val, raw.x_train[60:100] / 16.0)


def test_augment_shifts_images_with_zeros_shifted_in():
    image = np.zeros((8, 8))
    image[3, 4] = 1.0
    x = np.repeat(image.reshape(1, 64), 200, axis=0)
    out = rx.augment(x, np.random.default_rng(0), shift=1)
    positions = {tuple(np.argwhere(o.reshape(8, 8) == 1.0)[0]) for o in out}
    assert positions == {(3 + dy, 4 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert np.all(out.sum(axis=1) == 1.0)
    edge = np.zeros((1, 64))
    edge[0, 0] = 1.0  # a pixel in the corner can leave the image
    sums = [rx.augment(edge, np.random.default_rng(s), shift=1).sum() for s in range(40)]
    assert set(sums) == {0.0, 1.0}
    noisy = rx.augment(np.zeros((500, 64)), np.random.default_rng(1), shift=0, noise=0.5)
    assert abs(noisy.std() - 0.5) < 0.01
    with pytest.raises(ValueError, match="x must be"):
        rx.augment(np.zeros((2, 10)), np.random.default_rng(0))


def test_train_mlp_equals_networks_train_arm_by_arm(split):
    result = rx.train_mlp(split, 16, learning_rates=[0.05, 0.3], seeds=[2, 5], epochs=3, record_every=1)
    data = datasets.Dataset(
        np.concatenate([split.x_train, split.x_val]), np.concatenate([split.y_train, split.y_val]),
        split.x_test, split.y_test, 10,
    )  # fmt: skip
    for s, seed in enumerate((2, 5)):
        for r, rate in enumerate((0.05, 0.3)):
            run = networks.train(networks.init([64, 16, 10], "relu", seed), data, rate, seed,
                                 epochs=3, validation=0.4)  # fmt: skip
            np.testing.assert_allclose(result.params["W1"][s, r], run.net[0].W, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(result.params["heads"][0][0][s, r], run.net[1].W, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(result.val_loss[0, s, r], run.val_loss, rtol=1e-10)
            np.testing.assert_allclose(1 - result.test_error[0, s, r], run.test_accuracy, rtol=1e-12)


def _loss(params, x, ys, masks, rate, decay):
    W1, b1, heads = params
    h = np.maximum(x @ W1 + b1, 0.0) * masks / (1 - rate)
    total = 0.0
    for (W, b), y in zip(heads, ys):
        logp = losses.log_softmax(h @ W + b)
        total += -np.mean(logp[np.arange(len(y)), y]) + decay * np.sum(W**2)
    return total + decay * np.sum(W1**2)


def test_one_step_with_dropout_decay_and_two_heads_is_a_gradient_step(split):
    # one full batch, one step: the update equals -rate * the finite-difference gradient of the loss
    rate_lr, decay, p = 0.1, 0.01, 0.5
    result = rx.train_mlp(split, 6, learning_rates=[rate_lr], seeds=[3], epochs=1, batch_size=60,
                          dropout=p, weight_decay=decay, tasks=("digit", "parity"), record_every=1)  # fmt: skip
    W1, b1, heads = rx._init(6, ("digit", "parity"), 3)
    order = np.random.default_rng(3).permutation(60)
    masks = reg.dropout_mask((60, 6), p, np.random.default_rng((3, 1)))
    x, ys = split.x_train[order], [split.y_train[order], split.y_train[order] % 2]
    base = _loss((W1, b1, heads), x, ys, masks, p, decay)
    eps = 1e-6
    for i, j in [(0, 0), (10, 3), (40, 5)]:
        W = W1.copy()
        W[i, j] += eps
        g = (_loss((W, b1, heads), x, ys, masks, p, decay) - base) / eps
        assert result.params["W1"][0, 0][i, j] == pytest.approx(W1[i, j] - rate_lr * g, abs=1e-6)
    Wp = heads[1][0].copy()
    Wp[2, 1] += eps
    g = (_loss((W1, b1, [heads[0], (Wp, heads[1][1])]), x, ys, masks, p, decay) - base) / eps
    assert result.params["heads"][1][0][0, 0][2, 1] == pytest.approx(heads[1][0][2, 1] - rate_lr * g, abs=1e-6)


def test_choose_picks_the_lowest_mean_validation_loss(split):
    result = rx.train_mlp(split, 8, learning_rates=[0.01, 0.3], seeds=[0, 1], epochs=4, record_every=2)
    choice = rx.choose(result)
    mean = result.val_loss[0].mean(axis=0)
    r, t = np.unravel_index(np.argmin(mean), mean.shape)
    assert choice.rate == result.learning_rates[r] and choice.epoch == result.epochs[t]
    np.testing.assert_array_equal(choice.test_error, result.test_error[0][:, r, t])


def test_member_and_mask_probabilities_agree_with_a_forward_pass(split):
    result = rx.train_mlp(split, 5, learning_rates=[0.1], seeds=[0, 1], epochs=2, record_every=2)
    p = result.params
    probs = rx.member_probabilities(result, split.x_test)
    W1, b1, W2, b2 = p["W1"][1, 0], p["b1"][1, 0], p["heads"][0][0][1, 0], p["heads"][0][1][1, 0]
    net = [networks.Dense(W1, b1, "relu"), networks.Dense(W2, b2, "linear")]
    expected = losses.softmax(networks.forward(net, split.x_test).output)
    np.testing.assert_allclose(probs[1], expected, rtol=1e-12)
    full = rx.mask_probabilities(W1, b1, W2, b2, split.x_test, np.ones((1, 5)), 0.0)[0]
    np.testing.assert_allclose(full, expected, rtol=1e-12)
    mask = np.array([[1.0, 0, 1, 0, 0]])
    dropped = rx.mask_probabilities(W1, b1, W2, b2, split.x_test, mask, 0.5)[0]
    h = np.maximum(split.x_test @ W1 + b1, 0) * mask * 2
    np.testing.assert_allclose(dropped, losses.softmax(h @ W2 + b2), rtol=1e-12)


def test_noisy_inputs_fit_tends_to_ridge_with_lambda_sigma_squared():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    target = reg.ridge(X, y, 0.25)
    gaps = [np.linalg.norm(rx.noisy_inputs_fit(X, y, 0.5, c, seed=1) - target) for c in (5, 2000)]
    assert gaps[1] < 0.2 * gaps[0] and gaps[1] < 0.01 * np.linalg.norm(target)
    np.testing.assert_allclose(rx.noisy_inputs_fit(X, y, 0.0, 1), np.linalg.lstsq(X, y, rcond=None)[0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda s: rx.train_mlp(s, 4, learning_rates=[0.1], seeds=[0], tasks=("colour",)), "tasks"),
        (lambda s: rx.train_mlp(s, 4, learning_rates=[-0.1], seeds=[0]), "learning_rates"),
        (lambda s: rx.train_mlp(s, 4, learning_rates=[0.1], seeds=[0], dropout=1.0), "dropout"),
        (lambda s: rx.digit_images(2000, 10), "n_train"),
        (lambda s: rx.mask_probabilities(0, 0, 0, 0, np.zeros((1, 2)), np.ones((1, 2)), 1.5), "rate"),
    ],
)
def test_bad_arguments_name_the_parameter(split, call, match):
    with pytest.raises(ValueError, match=match):
        call(split)


def test_extra_test_images_are_the_unused_training_images_then_the_test_split():
    plain, extra = rx.digit_images(60, 40), rx.digit_images(60, 40, extra_test=True)
    raw = datasets.digits(standardize=False)
    assert len(extra.y_test) == len(raw.y_train) - 100 + len(raw.y_test)
    np.testing.assert_array_equal(extra.x_test[: len(raw.y_train) - 100], raw.x_train[100:] / 16.0)
    np.testing.assert_array_equal(extra.x_test[len(raw.y_train) - 100 :], plain.x_test)
    np.testing.assert_array_equal(extra.y_test[len(raw.y_train) - 100 :], plain.y_test)
    np.testing.assert_array_equal(extra.x_train, plain.x_train)


def test_batch_stream_bootstrap_draws_one_resample_and_permutes_it(split):
    epochs = list(rx.batch_stream(split.x_train, 3, epochs=2, batch_size=25, bootstrap=True))
    sample = np.random.default_rng((3, 2)).integers(0, 60, size=60)
    for batches in epochs:
        index = np.concatenate([b[1] for b in batches])
        np.testing.assert_array_equal(np.sort(index), np.sort(sample))
        np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), split.x_train[index])
        assert [len(b[1]) for b in batches] == [25, 25, 10] and all(b[2] is None for b in batches)
    assert len(np.unique(sample)) < 50  # with replacement: about 63% distinct


@pytest.mark.parametrize(
    "options",
    [
        {"dropout": 0.5, "weight_decay": 2.0**-9, "shift": 1, "noise": 0.2, "tasks": ("digit", "parity")},
        {"bootstrap": True, "tasks": ("digit", "parity")},
    ],
)
def test_train_mlp_arm_equals_a_keras_model_on_the_same_batches_and_masks(split, options):
    stacked = rx.train_mlp(split, 8, learning_rates=[0.2, 0.3], seeds=[4], epochs=3, record_every=3, **options)
    model, params = rx.keras_arm(split, 8, learning_rate=0.3, seed=4, epochs=3, **options)
    initial = rx._init(8, ("digit", "parity"), 4)[0]
    assert np.abs(params["W1"] - initial).max() > 1e-2  # the weights moved
    np.testing.assert_allclose(params["W1"], stacked.params["W1"][0, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(params["b1"], stacked.params["b1"][0, 1], rtol=0, atol=1e-12)
    for (W, b), (Wk, bk) in zip(stacked.params["heads"], params["heads"]):
        np.testing.assert_allclose(Wk, W[0, 1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(bk, b[0, 1], rtol=0, atol=1e-12)
    logits = model([split.x_test, np.ones((len(split.x_test), 8))])
    wrong = np.asarray(logits[0]).argmax(-1) != split.y_test
    np.testing.assert_array_equal(wrong, stacked.test_wrong[0, 0, 1, -1])


def test_keras_rounds_the_l2_factor_to_float32_first(split):
    # L2(0.001) multiplies by float32(0.001) (ops.cast of a Python float): the weights then differ
    # from the float64 NumPy trainer by ~1e-10, while a power of two (exact in float32) agrees to rounding
    import keras

    x = np.ones(4)
    assert float(keras.regularizers.L2(0.001)(x)) == 4 * float(np.float32(0.001))
    assert float(keras.regularizers.L2(0.001)(x)) != 4 * 0.001
    stacked = rx.train_mlp(split, 8, learning_rates=[0.3], seeds=[4], epochs=2, weight_decay=1e-3)
    _, params = rx.keras_arm(split, 8, learning_rate=0.3, seed=4, epochs=2, weight_decay=1e-3)
    gap = np.abs(params["W1"] - stacked.params["W1"][0, 0]).max()
    assert 1e-13 < gap < 1e-8


def test_compare_splits_the_standard_error_into_seeds_and_test_images():
    rng = np.random.default_rng(0)
    wrong_a, wrong_b = rng.random((5, 400)) < 0.08, rng.random((5, 400)) < 0.1
    a = rx.Choice(0.1, 10, None, wrong_a.mean(1), wrong_a)
    b = rx.Choice(0.3, 20, None, wrong_b.mean(1), wrong_b)
    d = rx.compare(a, b)
    diff = wrong_a.astype(float) - wrong_b
    assert d.mean == pytest.approx(wrong_a.mean() - wrong_b.mean(), abs=1e-15)
    np.testing.assert_allclose(d.differences, a.test_error - b.test_error, atol=1e-15)
    assert d.se_seeds == pytest.approx(np.std(d.differences, ddof=1) / np.sqrt(5))
    per_image = diff.mean(axis=0)
    assert d.se_images == pytest.approx(np.sqrt(np.sum((per_image - per_image.mean()) ** 2) / 399 / 400))
    assert d.stderr == pytest.approx(np.sqrt(d.se_seeds**2 + d.se_images**2))
    assert d.distinguishable == (abs(d.mean) > 2 * d.stderr)
    same = rx.compare(a, a)
    assert same.mean == 0 and same.stderr == 0 and not same.distinguishable
    with pytest.raises(ValueError, match="a and b"):
        rx.compare(a, rx.Choice(0.1, 10, None, None, wrong_b[:, :100]))


def test_ensemble_check_measures_the_formula_and_predicts_from_validation(split):
    result = rx.train_mlp(split, 6, learning_rates=[0.3], seeds=[0, 1, 2], epochs=3, record_every=3)
    check = rx.ensemble_check(result, split)
    probs = rx.member_probabilities(result, split.x_test)
    errors = probs - np.eye(10)[split.y_test]
    v, c, average = reg.ensemble_terms(errors)
    assert check.measured[0] == pytest.approx(1.0) and check.measured[-1] == pytest.approx(average / v)
    assert check.measured[-1] == pytest.approx(reg.ensemble_error(1.0, c / v, 3))  # the identity at k = S
    pair = np.mean([np.mean(((errors[i] + errors[j]) / 2) ** 2) for i, j in [(0, 1), (0, 2), (1, 2)]])
    assert check.measured[1] == pytest.approx(pair / v)
    val = rx.member_probabilities(result, split.x_val) - np.eye(10)[split.y_val]
    v_val, c_val, _ = reg.ensemble_terms(val)
    np.testing.assert_allclose(check.predicted, [1, (1 + c_val / v_val) / 2, (1 + 2 * c_val / v_val) / 3])
    assert check.ensemble_accuracy == np.mean(probs.mean(0).argmax(-1) == split.y_test)
