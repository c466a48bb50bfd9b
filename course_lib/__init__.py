"""course_lib: the shared code of *Optimization for Deep Learning*.

``import course_lib`` is cheap (well under a second, no TensorFlow): it sets TensorFlow's environment
variables (only those the user has not set) and the plotting style. Every chapter's first code cell is::

    import course_lib

    course_lib.setup()  # the chapter's one set-up call: seeds, TF determinism, float64

Modules, one per concept, in layers (a module imports only from its own layer or below; see
CONTRIBUTING.md)::

    0  config, validation                                          settings and argument checks
    1  objectives, schedules, curvature, activations, losses, datasets, ...   math (NumPy), data
    2  optimizers, convergence, backprop, models, keras_compat, ...         algorithms, Keras plumbing
    3  plotting, optim_plots, ...                                  figures
"""

from course_lib import config
from course_lib.config import setup

config.configure_environment()
config.set_plot_style()

__all__ = ["config", "setup"]
__version__ = "0.1.0"
