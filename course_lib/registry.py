"""The table of ``course_lib``'s modules: each module's layer and what it may import at module level.

One line per module, the one place these rules are written (CONTRIBUTING.md, "The layers of
course_lib"). ``course_lib/__init__.py`` reads it (``course_lib.<module>`` loads a registered module on
first use), ``tests/test_layering.py`` checks the import graph against it, and ``tests/test_config.py``
imports every module not marked ``keras=True`` in a fresh interpreter and checks that TensorFlow and
Keras stay unloaded. A new module ``course_lib/<name>.py`` is added here in one line, e.g.::

    "initializers": Module(MATH),

The layers (a module imports ``course_lib`` modules of its own layer or below, function-level imports
included):

* :data:`SETTINGS` (0): the seed, TensorFlow's environment, ``setup()``, argument checks;
* :data:`MATH` (1): formulas in NumPy, data sets, summaries of experiments;
* :data:`ALGORITHMS` (2): from-scratch algorithms and the Keras plumbing;
* :data:`FIGURES` (3): figures. Only figure modules import matplotlib (anywhere in the module), and
  the one exception is :data:`PLOT_STYLE_MODULES` (``config.set_plot_style`` sets ``rcParams``).

``keras=True`` marks a module that imports Keras (or TensorFlow) at module level because it defines
Keras classes; every other module imports them inside the functions that use them, so that
``import course_lib.<name>`` stays cheap. This module imports nothing.
"""

from __future__ import annotations

from typing import NamedTuple

SETTINGS, MATH, ALGORITHMS, FIGURES = 0, 1, 2, 3
LAYER_NAMES = {SETTINGS: "settings", MATH: "math and data", ALGORITHMS: "algorithms", FIGURES: "figures"}


class Module(NamedTuple):
    """One row of the table: the module's layer, and whether it imports Keras at module level."""

    layer: int
    keras: bool = False


#: Every module of the package, by name (the file ``course_lib/<name>.py`` or the package ``course_lib/<name>/``).
MODULES: dict[str, Module] = {
    "registry": Module(SETTINGS),
    "config": Module(SETTINGS),
    "validation": Module(SETTINGS),
    "objectives": Module(MATH),
    "schedules": Module(MATH),
    "curvature": Module(MATH),
    "activations": Module(MATH),
    "losses": Module(MATH),
    "datasets": Module(MATH),
    "rates": Module(MATH),
    "approximation": Module(MATH),
    "relu_regions": Module(MATH),
    "calibration": Module(MATH),
    "experiments": Module(MATH),
    "regularization": Module(MATH),
    "initializers": Module(MATH),
    "normalization": Module(MATH),
    "networks": Module(MATH),  # NumPy; Keras only inside from_keras/to_keras
    "optimizers": Module(ALGORITHMS),
    "second_order_experiments": Module(ALGORITHMS),
    "second_order_plots": Module(FIGURES),
    "convergence": Module(ALGORITHMS),
    "models": Module(ALGORITHMS),
    "keras_compat": Module(ALGORITHMS),
    "online": Module(ALGORITHMS),  # chapter 09: Reddi et al.'s online counterexample
    "adaptive_experiments": Module(ALGORITHMS),  # chapter 09
    "adaptive_plots": Module(FIGURES),  # chapter 09
    "propagation": Module(ALGORITHMS),
    "loss_experiments": Module(ALGORITHMS),
    "regularization_experiments": Module(ALGORITHMS),
    "init_experiments": Module(ALGORITHMS),  # chapter 10
    "bn_experiments": Module(ALGORITHMS),  # chapter 11: normalized MLPs as stacks, BN experiments
    "stochastic": Module(ALGORITHMS),  # chapter 08: gradient noise, SGD runs on least squares
    "layers": Module(ALGORITHMS, keras=True),  # Maxout subclasses keras.layers.Layer
    "plotting": Module(FIGURES),
    "optim_plots": Module(FIGURES),
    "momentum_plots": Module(FIGURES),
    "region_plots": Module(FIGURES),
    "loss_plots": Module(FIGURES),
    "regularization_plots": Module(FIGURES),
    "init_plots": Module(FIGURES),  # chapter 10
    "bn_plots": Module(FIGURES),
    "stochastic_plots": Module(FIGURES),
    "quiz": Module(FIGURES),
}

#: Modules outside the figure layer that may import matplotlib: ``config`` applies the plot style.
PLOT_STYLE_MODULES = frozenset({"config"})


def figure_modules() -> list[str]:
    """The modules of the figure layer, sorted."""
    return sorted(name for name, module in MODULES.items() if module.layer == FIGURES)


def may_import_matplotlib(name: str) -> bool:
    """Whether module ``name`` may import matplotlib: a figure module, or the plot-style module."""
    return MODULES[name].layer == FIGURES or name in PLOT_STYLE_MODULES


def import_cheap() -> list[str]:
    """The modules that must import without loading TensorFlow or Keras (all but ``keras=True``)."""
    return sorted(name for name, module in MODULES.items() if not module.keras)
