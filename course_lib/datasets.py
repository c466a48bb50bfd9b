r"""Small data sets that load offline in well under a second (chapter 01 and every chapter that trains).

* :func:`digits` -- scikit-learn's 8×8 handwritten digits (1797 images, 64 features, 10 classes),
  split and standardized, ready for a Keras MLP.
* :func:`one_hot_labels` -- integer labels to one-hot rows (what ``keras.utils.to_categorical`` returns).

Conventions: features are float32 of shape (n, d); labels are int64 of shape (n,) (or float32 of
shape (n, n_classes) with ``one_hot=True``); splits are stratified and reproducible from ``seed``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.config import SEED
from course_lib.validation import check_scalar, check_seed

__all__ = ["Dataset", "digits", "one_hot_labels"]


class Dataset(NamedTuple):
    """A train/test split: ``x_*`` float32 (n, d); ``y_*`` int labels (n,) or one-hot (n, n_classes)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def one_hot_labels(y, n_classes):
    r"""One-hot rows: ``out[i, y_i] = 1``, float32 of shape (n, n_classes), like ``keras.utils.to_categorical``.

    Raises ``ValueError`` if a label is not an integer in [0, n_classes).
    """
    n_classes = check_scalar("n_classes", n_classes, low=1, integer=True)
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(f"y must be a 1-D array of integers in [0, {n_classes}), got {y!r}")
    return np.eye(n_classes, dtype=np.float32)[y]


def digits(test_size=0.25, seed=SEED, standardize=True, one_hot=False):
    r"""The 8×8 digits of ``sklearn.datasets.load_digits``, stratified into train and test sets.

    With ``standardize=True`` every feature is mapped to (x − μ)/s with μ and s the mean and standard
    deviation of the *training* set only (so nothing about the test set leaks into training);
    features constant on the training set (always-blank border pixels) keep s = 1.
    ``test_size`` is the fraction of the 1797 images held out (0 < test_size < 1); the default 0.25
    gives 1347 training and 450 test images. The same ``seed`` always gives the same split.

    Returns a :class:`Dataset` ``(x_train, y_train, x_test, y_test, n_classes)`` with float32 features;
    labels are int64 class indices, or float32 one-hot rows with ``one_hot=True`` (for
    ``loss="categorical_crossentropy"``).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = check_scalar("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = check_seed(seed)
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std
    n_classes = int(y.max()) + 1
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    if one_hot:
        y_train, y_test = one_hot_labels(y_train, n_classes), one_hot_labels(y_test, n_classes)
    return Dataset(x_train.astype(np.float32), y_train, x_test.astype(np.float32), y_test, n_classes)
