"""Tests for course_lib.datasets: shapes, stratification, determinism, no test leakage, one-hot, checks."""

import numpy as np
import pytest

import course_lib  # noqa: F401
from course_lib import datasets as D


@pytest.fixture(scope="module")
def raw():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def test_shapes_dtypes_and_classes():
    d = D.digits()
    assert isinstance(d, D.Dataset) and d.n_classes == 10
    assert d.x_train.shape == (1347, 64) and d.x_test.shape == (450, 64)
    assert d.y_train.shape == (1347,) and d.y_test.shape == (450,)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert set(np.unique(d.y_test)) == set(range(10))


def test_split_is_stratified():
    d = D.digits(test_size=0.5)
    counts_train, counts_test = np.bincount(d.y_train), np.bincount(d.y_test)
    assert np.all(np.abs(counts_train - counts_test) <= 1)


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = D.digits(seed=3), D.digits(seed=3), D.digits(seed=4)
    for u, v in zip(a[:4], b[:4]):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.y_train, c.y_train)


def test_standardized_with_training_statistics_only(raw):
    x, _ = raw
    d = D.digits(standardize=False)
    s = D.digits(standardize=True)
    mean, std = d.x_train.mean(axis=0, dtype=np.float64), d.x_train.std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    np.testing.assert_allclose(s.x_train, (d.x_train - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.x_test, (d.x_test - mean) / std, rtol=1e-5, atol=1e-5)  # train stats
    varying = d.x_train.std(axis=0) > 0
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(s.x_train.std(axis=0)[varying], 1.0, rtol=1e-4)
    assert abs(s.x_test.mean()) > 1e-3  # the test set is *not* re-centred on its own statistics
    assert np.all(np.isfinite(s.x_test))
    # the unstandardized split is a partition of the raw images
    rows = {tuple(r) for r in x}
    assert all(tuple(r) in rows for r in np.vstack([d.x_train, d.x_test]).astype(np.float64))
    assert len(d.x_train) + len(d.x_test) == len(x)


def test_one_hot_matches_keras_to_categorical():
    import keras

    d, o = D.digits(), D.digits(one_hot=True)
    assert o.y_train.shape == (1347, 10) and o.y_train.dtype == np.float32
    np.testing.assert_array_equal(o.y_train, keras.utils.to_categorical(d.y_train, 10))
    np.testing.assert_array_equal(D.one_hot_labels([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: D.digits(test_size=0.0), "test_size"),
        (lambda: D.digits(test_size=1.5), "test_size"),
        (lambda: D.digits(seed=-1), "seed"),
        (lambda: D.one_hot_labels([0, 3], 3), "y"),
        (lambda: D.one_hot_labels([0.5], 3), "y"),
        (lambda: D.one_hot_labels([0], 0), "n_classes"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
