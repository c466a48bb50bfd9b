"""Tests for course_lib.config and `import course_lib`: cheap import, environment, setup()."""

import json
import os
import random
import subprocess
import sys

import matplotlib as mpl
import numpy as np
import pytest

import course_lib
from course_lib import config

#: Modules that must import without TensorFlow (pure NumPy math, algorithms, plots; Keras is loaded
#: lazily inside the functions that need it). New modules are checked if they are listed here.
NO_TENSORFLOW_AT_IMPORT = [
    "course_lib",
    "course_lib.config",
    "course_lib.validation",
    "course_lib.objectives",
    "course_lib.schedules",
    "course_lib.curvature",
    "course_lib.losses",
    "course_lib.activations",
    "course_lib.optimizers",
    "course_lib.convergence",
    "course_lib.backprop",
    "course_lib.models",
    "course_lib.datasets",
    "course_lib.keras_compat",
    "course_lib.plotting",
    "course_lib.optim_plots",
    "course_lib.rates",
    "course_lib.approximation",
    "course_lib.relu_regions",
    "course_lib.calibration",
    "course_lib.propagation",
    "course_lib.region_plots",
    "course_lib.quiz",
]


def _python(code, **env):
    """Run ``code`` in a fresh interpreter (environment plus ``env``); return its stdout."""
    environment = {k: v for k, v in os.environ.items() if k not in env} | env
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return done.stdout


def test_import_course_lib_is_cheap_and_does_not_load_tensorflow():
    code = (
        "import json, sys, time\n"
        "start = time.perf_counter()\n"
        "import course_lib\n"
        "seconds = time.perf_counter() - start\n"
        "print(json.dumps({'seconds': seconds, 'tf': 'tensorflow' in sys.modules,"
        " 'keras': 'keras' in sys.modules}))\n"
    )
    result = json.loads(_python(code))
    assert not result["tf"] and not result["keras"]
    assert result["seconds"] < 1.0, result


def test_modules_import_without_tensorflow():
    """One fresh interpreter imports the modules one by one; after each, TensorFlow must still be absent."""
    import importlib.util

    modules = [m for m in NO_TENSORFLOW_AT_IMPORT if importlib.util.find_spec(m) is not None]
    code = (
        "import importlib, json, sys\n"
        "loaded = {}\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    loaded[name] = 'tensorflow' in sys.modules\n"
        "print(json.dumps(loaded))\n"
    )
    loaded = json.loads(_python(code))
    assert len(loaded) >= 14
    assert [name for name, tf in loaded.items() if tf] == []


def test_user_settings_pass_through_and_defaults_fill_the_rest():
    code = (
        "import json, os, course_lib\n"
        "print(json.dumps({k: os.environ.get(k) for k in course_lib.config.TF_ENVIRONMENT}))"
    )
    user = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "1"}
    seen = json.loads(_python(code, **user))
    assert seen["TF_ENABLE_ONEDNN_OPTS"] == "1" and seen["TF_CPP_MIN_LOG_LEVEL"] == "1"
    assert seen["TF_DETERMINISTIC_OPS"] == config.TF_ENVIRONMENT["TF_DETERMINISTIC_OPS"]


def test_import_applies_the_plot_style():
    assert tuple(mpl.rcParams["figure.figsize"]) == config.FIGSIZE == config.PLOT_STYLE["figure.figsize"]
    assert course_lib.setup is config.setup


def test_setup_seeds_python_numpy_and_keras_and_sets_floatx():
    import keras

    def draws(seed):
        course_lib.setup(seed, floatx="float64")
        layer = keras.layers.Dense(3)  # an unseeded initializer: repeats only through setup's seed
        layer.build((None, 2))
        return random.random(), np.random.rand(), layer.kernel.numpy().copy()

    first, second, other = draws(7), draws(7), draws(8)
    assert first[0] == second[0] and first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    assert first[2].dtype == np.float64 and keras.config.floatx() == "float64"
    assert other[0] != first[0] and other[1] != first[1] and not np.array_equal(other[2], first[2])
    course_lib.setup(floatx="float32")
    layer = keras.layers.Dense(2)  # after layers were built in float64: the policy follows too
    layer.build((None, 2))
    assert keras.config.floatx() == "float32" and layer.kernel.dtype == "float32"


def test_setup_turns_on_op_determinism():
    from tensorflow.python.framework import config as tf_config

    tf_config.disable_op_determinism()
    assert not tf_config.is_op_determinism_enabled()
    course_lib.setup()
    assert tf_config.is_op_determinism_enabled()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed must be"),
        ({"seed": 1.5}, "seed must be"),
        ({"seed": "0"}, "seed must be"),
        ({"seed": None}, "seed must be"),
        ({"floatx": "float128"}, "floatx must be"),
        ({"floatx": 64}, "floatx must be"),
    ],
)
def test_setup_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        course_lib.setup(**kwargs)
