"""Tests for course_lib.initializers against Keras's initializers: variance, support, distribution."""

import numpy as np
import pytest
from scipy import stats

from course_lib import initializers as init

SHAPE = (300, 200)  # 60 000 draws: variance within about 1 %
KERAS_NAMES = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_normal": "LecunNormal",
}
TARGET_VARIANCE = {
    "glorot_uniform": 2 / 500,
    "glorot_normal": 2 / 500,
    "he_uniform": 2 / 300,
    "he_normal": 2 / 300,
    "lecun_normal": 1 / 300,
}


@pytest.fixture(scope="module")
def keras_samples():
    import keras

    return {
        name: np.asarray(getattr(keras.initializers, cls)(seed=1)(SHAPE, dtype="float64"))
        for name, cls in KERAS_NAMES.items()
    }


def test_truncation_std_is_keras_constant():
    assert init.TRUNCATION_STD == pytest.approx(0.87962566103423978, rel=1e-14)
    # and it is the std of N(0, 1) conditioned on |z| <= 2, by numerical integration
    z = np.linspace(-2, 2, 200_001)
    w = stats.norm.pdf(z)
    assert np.sqrt(np.trapezoid(z**2 * w, z) / np.trapezoid(w, z)) == pytest.approx(init.TRUNCATION_STD, rel=1e-9)


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_same_variance_support_and_distribution_as_keras(name, keras_samples):
    ours = init.get(name)(SHAPE, np.random.default_rng(0))
    theirs = keras_samples[name]
    assert ours.shape == SHAPE
    assert ours.var() == pytest.approx(TARGET_VARIANCE[name], rel=0.03)
    assert theirs.var() == pytest.approx(TARGET_VARIANCE[name], rel=0.03)
    bound = max(np.abs(theirs).max(), np.abs(ours).max())
    if name.endswith("uniform"):
        limit = np.sqrt(3 * TARGET_VARIANCE[name])
        assert np.abs(ours).max() <= limit and np.abs(theirs).max() <= limit
        assert bound > 0.999 * limit
    else:
        sigma = np.sqrt(TARGET_VARIANCE[name]) / init.TRUNCATION_STD
        assert bound <= 2 * sigma and bound > 1.99 * sigma  # truncated at two standard deviations
    # two-sample Kolmogorov-Smirnov test on fixed seeds: the same distribution
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue > 0.01


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30)])
def test_orthogonal_has_orthonormal_columns_or_rows(shape):
    W = init.orthogonal(shape, np.random.default_rng(2))
    assert W.shape == shape
    small = min(shape)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_matches_keras_in_distribution():
    import keras

    ours = np.concatenate([init.orthogonal((40, 40), np.random.default_rng(s)).ravel() for s in range(20)])
    theirs = np.concatenate(
        [np.asarray(keras.initializers.Orthogonal(seed=s)((40, 40), dtype="float64")).ravel() for s in range(20)]
    )
    assert stats.ks_2samp(ours, theirs).pvalue > 0.01
    assert ours.var() == pytest.approx(1 / 40, rel=0.02)  # entries of a Haar orthogonal matrix: Var = 1/n


def test_same_rng_seed_same_weights():
    a = init.he_normal((10, 5), np.random.default_rng(7))
    np.testing.assert_array_equal(a, init.he_normal((10, 5), np.random.default_rng(7)))


@pytest.mark.parametrize("shape", [(0, 3), (3,), (2, 3, 4), "ab", 5])
@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_bad_shape_is_a_value_error_naming_shape(name, shape):
    with pytest.raises(ValueError, match="shape"):
        init.get(name)(shape, np.random.default_rng(0))


def test_get_names_the_choices():
    with pytest.raises(ValueError, match="initializer must be one of"):
        init.get("xavier")
    assert init.get(init.he_normal) is init.he_normal


@pytest.mark.parametrize("shape", [(100, 40), (8, 30)])
def test_sparse_has_k_nonzero_normal_weights_per_unit(shape):
    W = init.sparse(shape, np.random.default_rng(3), nonzero=15, std=2.0)
    k = min(15, shape[0])
    np.testing.assert_array_equal(np.count_nonzero(W, axis=0), np.full(shape[1], k))
    if shape[0] > 15:  # the non-zero entries are N(0, std²): KS test against the normal
        assert stats.kstest(W[W != 0] / 2.0, "norm").pvalue > 0.01
        # the rows chosen for a unit are spread over all inputs, not the first k
        assert np.count_nonzero(W.any(axis=1)) > 0.9 * shape[0]


def test_sparse_preactivation_variance_does_not_depend_on_fan_in():
    rng = np.random.default_rng(4)
    for fan_in in (50, 800):
        W = init.sparse((fan_in, 400), rng, nonzero=10)
        x = rng.standard_normal((2000, fan_in))
        assert np.var(x @ W) == pytest.approx(10.0, rel=0.1)  # k std² E[x²] = 10


def test_scaled_multiplies_the_same_draws_and_constant_fills():
    base = init.he_normal((20, 10), np.random.default_rng(5))
    np.testing.assert_array_equal(init.scaled("he_normal", 0.5)((20, 10), np.random.default_rng(5)), 0.5 * base)
    np.testing.assert_array_equal(init.scaled(init.he_normal, 2.0)((20, 10), np.random.default_rng(5)), 2 * base)
    np.testing.assert_array_equal(init.constant(0.25)((3, 4), None), np.full((3, 4), 0.25))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: init.sparse((5, 5), np.random.default_rng(0), nonzero=0), "nonzero"),
        (lambda: init.sparse((5, 5), np.random.default_rng(0), std=-1.0), "std"),
        (lambda: init.scaled("he_normal", 0.0), "gain"),
        (lambda: init.scaled("xavier", 1.0), "initializer"),
        (lambda: init.constant(np.inf), "value"),
        (lambda: init.constant(1.0)((0, 3), None), "shape"),
    ],
)
def test_factory_arguments_are_validated(call, name):
    with pytest.raises(ValueError, match=name):
        call()
