"""Course-wide settings: the seed, TensorFlow's environment, the plotting style, and :func:`setup`.

Everything that makes a chapter reproducible and quiet lives here, in one place:

* :data:`TF_ENVIRONMENT`, the variables TensorFlow reads when it loads (no C++ log lines, oneDNN off,
  deterministic ops). ``import course_lib`` sets them with ``os.environ.setdefault`` before anything
  can load TensorFlow, so a value the user set already wins: ``TF_ENABLE_ONEDNN_OPTS=1 make test``
  or ``OMP_NUM_THREADS=1 ...`` really run the notebooks that way (``make test`` does both, to prove
  the stored outputs do not depend on the machine).
* :data:`SEED`, the one seed every chapter starts from, and :func:`setup`, the one explicit set-up call
  of every chapter (its first code cell), which seeds Python, NumPy and Keras, turns on TensorFlow's
  op determinism and sets Keras's float type (float64 by default).
* :data:`FIGSIZE` and :data:`PLOT_STYLE`, figures sized for the book's column width.

Importing this module (or :mod:`course_lib`) does not import TensorFlow: only :func:`setup` does.
"""

from __future__ import annotations

import os
import random

import numpy as np

from course_lib.validation import check_seed

__all__ = [
    "SEED",
    "FLOATX",
    "TF_ENVIRONMENT",
    "FIGSIZE",
    "PLOT_STYLE",
    "configure_environment",
    "setup",
    "set_plot_style",
    "compact_retina_png",
]

#: The seed every chapter starts from. Change it here, and only here.
SEED = 0

#: Keras's float type in the chapters: the book's networks are small, and float64 gives the same
#: numbers on every CPU, thread count and kernel library (float32 sums do not).
FLOATX = "float64"

#: Environment variables TensorFlow and Keras read at import time (set only where the user has not).
TF_ENVIRONMENT = {
    "KERAS_BACKEND": "tensorflow",
    "TF_CPP_MIN_LOG_LEVEL": "3",  # no C++ INFO/WARNING/ERROR lines on stderr
    "TF_ENABLE_ONEDNN_OPTS": "0",  # oneDNN reorders float sums: float32 results would depend on the CPU
    "TF_DETERMINISTIC_OPS": "1",
    "ABSL_MIN_LOG_LEVEL": "3",
    "GRPC_VERBOSITY": "ERROR",
}

#: Default size (inches) of a one-panel figure at book width (about 700 px at 100 dpi).
FIGSIZE = (7.0, 4.0)

#: Matplotlib settings for figures read at book width.
PLOT_STYLE = {
    "figure.figsize": FIGSIZE,
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

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")


def configure_environment() -> None:
    """Set :data:`TF_ENVIRONMENT` with ``os.environ.setdefault`` (a variable the user set is kept).

    Must run before TensorFlow is imported; :mod:`course_lib`'s ``__init__`` calls it first thing.
    """
    for key, value in TF_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def setup(seed: int = SEED, floatx: str = FLOATX) -> None:
    """The one set-up call of a chapter: seeds, TensorFlow's op determinism, Keras's float type.

    Args:
        seed: non-negative int, default :data:`SEED`; seeds Python's ``random``, NumPy's global
            generator and Keras (``keras.utils.set_random_seed``), so Keras's unseeded initializers
            and everything a chapter draws itself repeat on every run.
        floatx: Keras's default float type, default ``"float64"`` (one of float16, bfloat16, float32,
            float64); sets ``keras.config.set_floatx`` and the global dtype policy, so layers,
            weights and optimizer variables built afterwards use it.

    Also turns on ``tf.config.experimental.enable_op_determinism()`` (a random op without a seed then
    raises instead of giving a different result each run). Imports TensorFlow (a few seconds).
    Every chapter's first cell calls it; nothing else in a chapter sets a global seed.
    """
    seed = check_seed(seed)
    if floatx not in _FLOAT_TYPES:
        raise ValueError(f"floatx must be one of {_FLOAT_TYPES}, got {floatx!r}")
    configure_environment()
    random.seed(seed)
    np.random.seed(seed)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(floatx)  # Keras caches the policy at the first layer: set it too
    tf.config.experimental.enable_op_determinism()


def set_plot_style() -> None:
    """Apply :data:`PLOT_STYLE` to matplotlib's ``rcParams``, for a book read on any screen and by anyone.

    On top of :data:`PLOT_STYLE`: an opaque white figure and axes face (readable in the book's dark
    mode: no black text on a transparent background); a colour cycle that colour-blind readers can
    tell apart (Okabe & Ito's palette, without its yellow, which is faint on white) paired with a
    line style per colour (solid, dashed, dash-dot, dotted, ...), so compared curves differ in more than
    colour; and, in a Jupyter kernel, figures stored as 2x ("retina") PNGs, crisp on high-density
    screens at the same displayed size, with a 256-colour palette (:func:`compact_retina_png`).
    """
    import matplotlib as mpl
    from cycler import cycler

    shell = _ipython_shell()
    if shell is not None:
        # Load the inline backend first: loading it configures IPython's figure formatters and rcParams,
        # which would otherwise overwrite what follows when the first figure is drawn.
        import matplotlib_inline.backend_inline  # noqa: F401
    mpl.rcParams.update(PLOT_STYLE)
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    styles = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1))]
    white = {key: "white" for key in ("figure.facecolor", "axes.facecolor", "savefig.facecolor")}
    mpl.rcParams.update(
        {**white, "savefig.transparent": False, "axes.prop_cycle": cycler(color=colors) + cycler(linestyle=styles)}
    )
    if shell is not None:
        from matplotlib.figure import Figure

        shell.display_formatter.formatters["image/png"].for_type(Figure, compact_retina_png)


def _ipython_shell():
    """The running IPython shell with display formatters (a Jupyter kernel), or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "display_formatter") else None


def compact_retina_png(figure):
    """A figure as a 2x ("retina") PNG with a 256-colour palette: ``(png_bytes, {"width", "height"})``.

    Drawn at twice the resolution, so that it is crisp on high-density screens, and displayed at its
    normal size (the metadata halve the pixel size, as matplotlib_inline's "retina" format does). The
    palette (median cut, no dithering) keeps line plots visually identical and makes the PNG about 3x
    smaller, which keeps a chapter page under the book's page weight. Chapter figures only (set by
    :func:`set_plot_style` in a Jupyter kernel).
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    figure.canvas.print_figure(buffer, format="png", dpi=2 * figure.dpi, bbox_inches="tight")
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    width, height = image.size
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue(), {"width": width // 2, "height": height // 2}
