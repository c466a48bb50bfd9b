"""course_lib: the shared code of *Optimization for Deep Learning*.

``import course_lib`` at the top of a chapter does the set-up every chapter needs:

1. TensorFlow's environment (quiet, deterministic), before TensorFlow is loaded;
2. the course-wide seed :data:`course_lib.config.SEED`;
3. the plotting style for figures at book width.

Modules, one per concept (import the ones a chapter needs)::

    from course_lib import activations, models, datasets, plotting      # chapter 01
    from course_lib import objectives, optimizers, schedules            # chapters 05-09
"""

from course_lib import config as _config

_config.configure_environment()
_config.set_plot_style()
_config.set_seed(_config.SEED)

SEED = _config.SEED

__all__ = ["SEED"]
__version__ = "0.1.0"
