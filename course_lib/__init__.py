"""course_lib: the shared code of *Optimization for Deep Learning*.

``import course_lib`` is cheap (no TensorFlow): it sets TensorFlow's environment variables (only those
the user has not set) and the plotting style. Every chapter's first code cell is::

    import course_lib

    course_lib.setup()  # the chapter's one set-up call: seeds, TF determinism, float64

Modules, one per concept, in four layers (a module imports only from its own layer or below; see
CONTRIBUTING.md). The table of modules, with each one's layer, is :mod:`course_lib.registry`; a
registered module is also reachable as an attribute, loaded on first use (``course_lib.optimizers``)::

    0  config, validation                                          settings and argument checks
    1  objectives, schedules, curvature, activations, losses, datasets, ...   math (NumPy), data
    2  optimizers, convergence, backprop, models, keras_compat, ...         algorithms, Keras plumbing
    3  plotting, optim_plots, ...                                  figures
"""

import importlib

from course_lib import config, registry
from course_lib.config import setup

config.configure_environment()
config.set_plot_style()

__all__ = ["config", "registry", "setup"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """``course_lib.<module>`` for a module of :data:`registry.MODULES`, imported on first use."""
    if name in registry.MODULES:
        return importlib.import_module(f"course_lib.{name}")
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(registry.MODULES))
