"""Tests for course_lib.config and `import course_lib`: no TensorFlow at import, environment, setup()."""

import json
import os
import random
import subprocess
import sys

import matplotlib as mpl
import numpy as np
import pytest

import course_lib
from course_lib import config, registry


def _python(code, **env):
    """Run ``code`` in a fresh interpreter (environment plus ``env``); return its stdout."""
    environment = {k: v for k, v in os.environ.items() if k not in env} | env
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return done.stdout


def test_modules_import_without_tensorflow_or_keras():
    """A fresh interpreter imports course_lib, then each module the registry does not mark ``keras=True``,
    one by one; after each, TensorFlow and Keras must still be absent (speed is measured by make bench)."""
    modules = ["course_lib"] + [f"course_lib.{name}" for name in registry.import_cheap()]
    code = (
        "import importlib, json, sys\n"
        "loaded = {}\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    loaded[name] = sorted({'tensorflow', 'keras'} & set(sys.modules))\n"
        "print(json.dumps(loaded))\n"
    )
    loaded = json.loads(_python(code))
    assert list(loaded) == modules and len(modules) == len(registry.MODULES) + 1 - sum(
        m.keras for m in registry.MODULES.values()
    )
    assert {name: heavy for name, heavy in loaded.items() if heavy} == {}


def test_the_import_check_sees_a_module_that_loads_keras():
    """The check above can fail: importing the one keras=True module does load Keras."""
    keras_modules = [name for name, module in registry.MODULES.items() if module.keras]
    assert keras_modules
    code = f"import sys, course_lib.{keras_modules[0]}\nprint('keras' in sys.modules)"
    assert _python(code).strip() == "True"


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


def test_registered_modules_are_attributes_loaded_on_first_use():
    code = (
        "import json, sys, course_lib\n"
        "before = 'course_lib.losses' in sys.modules\n"
        "losses = course_lib.losses\n"
        "print(json.dumps([before, losses.__name__, 'losses' in dir(course_lib)]))"
    )
    assert json.loads(_python(code)) == [False, "course_lib.losses", True]
    assert "losses" in registry.MODULES
    with pytest.raises(AttributeError, match="no_such_module"):
        course_lib.no_such_module  # noqa: B018


def test_compact_retina_png_is_twice_the_resolution_displayed_at_normal_size_and_smaller():
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(np.sin(np.linspace(0, 9, 200)), label="sin")
    ax.legend()
    data, meta = config.compact_retina_png(fig)
    plain = io.BytesIO()
    fig.savefig(plain, format="png", dpi=2 * fig.dpi, bbox_inches="tight")
    plt.close(fig)
    image = Image.open(io.BytesIO(data))
    reference = Image.open(io.BytesIO(plain.getvalue()))
    assert image.size == reference.size
    assert (meta["width"], meta["height"]) == (image.size[0] // 2, image.size[1] // 2)
    assert image.mode == "P" and len(data) < 0.7 * len(plain.getvalue())
    # the palette keeps the picture: no pixel far from the full-colour rendering
    diff = np.abs(np.asarray(image.convert("RGB"), float) - np.asarray(reference.convert("RGB"), float))
    assert diff.mean() < 1.0
