"""Course-wide settings, applied once when :mod:`course_lib` is imported.

Everything that makes a chapter reproducible and quiet lives here, in one place:

* the environment TensorFlow reads when it loads (no oneDNN reordering, no C++ log lines),
* the one random seed :data:`SEED` every chapter starts from,
* the plotting style (figure size and resolution chosen for the book's column width).

Importing :mod:`course_lib` calls :func:`configure_environment` before anything imports TensorFlow,
then :func:`set_seed` (which loads TensorFlow, about 7 s) and :func:`set_plot_style`, so that every run
of a notebook prints the same numbers: that is what lets ``nbval`` compare stored outputs strictly.
"""

from __future__ import annotations

import os
import random

import numpy as np

#: The seed every chapter starts from. Change it here, and only here.
SEED = 0

#: Environment variables TensorFlow and Keras read at import time.
TF_ENVIRONMENT = {
    "KERAS_BACKEND": "tensorflow",
    "TF_CPP_MIN_LOG_LEVEL": "3",  # no C++ INFO/WARNING/ERROR lines on stderr
    "TF_ENABLE_ONEDNN_OPTS": "0",  # oneDNN reorders float sums: results would differ run to run
    "TF_DETERMINISTIC_OPS": "1",
    "ABSL_MIN_LOG_LEVEL": "3",
    "GRPC_VERBOSITY": "ERROR",
}

#: Matplotlib settings for figures read at book width (about 700 px).
PLOT_STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
}


def configure_environment() -> None:
    """Set TensorFlow's environment variables (only those the user has not set already).

    Must run before TensorFlow is imported; :mod:`course_lib`'s ``__init__`` calls it first thing.
    """
    for key, value in TF_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def set_seed(seed: int = SEED) -> None:
    """Seed Python's, NumPy's and TensorFlow's global generators, and make TF ops deterministic.

    Code in :mod:`course_lib` takes explicit ``seed``/``rng`` arguments wherever it draws random
    numbers; this global seed covers what a chapter draws itself and Keras's weight initializers.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    _seed_keras(int(seed))


def _seed_keras(seed: int) -> None:
    """Seed Keras/TensorFlow and turn on TF's op determinism (no-op without TensorFlow installed).

    With op determinism on, a random op without a seed raises; seeding here, at import, means a chapter
    can call ``model.fit`` or a Keras initializer without seeding anything itself.
    """
    try:
        import keras
        import tensorflow as tf
    except ImportError:  # pragma: no cover - tensorflow is in requirements.txt
        return
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def set_plot_style() -> None:
    """Apply :data:`PLOT_STYLE` to matplotlib (if it is installed)."""
    try:
        import matplotlib as mpl
    except ImportError:  # pragma: no cover - matplotlib is in requirements.txt
        return
    mpl.rcParams.update(PLOT_STYLE)
