"""Tests for course_lib.config: the environment, the seed and the plotting style set at import."""

import os
import random

import keras
import matplotlib as mpl
import numpy as np
import pytest

import course_lib
from course_lib import config


def test_import_sets_tensorflow_environment_and_plot_style():
    for key in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND"):
        assert key in os.environ
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == config.TF_ENVIRONMENT["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert tuple(mpl.rcParams["figure.figsize"]) == config.PLOT_STYLE["figure.figsize"]
    assert course_lib.SEED == config.SEED


def test_set_seed_makes_python_numpy_and_keras_draws_repeat():
    def draws():
        config.set_seed(7)
        layer = keras.layers.Dense(3)
        layer.build((None, 2))
        return random.random(), np.random.rand(), layer.kernel.numpy().copy()

    first, second = draws(), draws()
    assert first[0] == second[0] and first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    config.set_seed(8)
    assert random.random() != first[0]
    config.set_seed(config.SEED)  # leave the global generators as the import left them


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        config.set_seed(bad)
