r"""General figure helpers for the book (chapter 01 on); optimization plots live in :mod:`course_lib.optim_plots`.

* :func:`plot_activations` -- a grid of panels, one activation g per panel with its derivative g'.
* :func:`plot_curves` -- several named series against a common x (learning curves, sweeps).
* :func:`plot_layer_norms` -- a per-layer quantity (e.g. ‖∂J/∂W_l‖) on a log axis, with reference curves.
* :func:`plot_rate_sweep` -- a final value against the learning rate, one curve per arm (mean and range).
* :func:`plot_paired` -- one value per seed for several arms, the seeds of each pair joined by lines.

Runs over seeds: a series given as a 2-D array (seeds × points) is drawn as its mean, with the
min-max range over the seeds shaded in the same colour (on a log axis the mean is geometric).

The convention of both plotting modules: every helper labels its axes, sets a title and a legend, and
returns the Figure (grid helpers) or the Axes (single-panel helpers, which also accept ``ax=`` to draw
into an existing panel; :func:`new_axes`). Sizes follow the book's column width
(:data:`course_lib.config.FIGSIZE`, :data:`course_lib.config.PLOT_STYLE`).
"""

from __future__ import annotations

import numpy as np

from course_lib import activations as _activations
from course_lib.config import FIGSIZE

__all__ = [
    "STYLES",
    "new_axes",
    "plot_activations",
    "plot_curves",
    "plot_layer_norms",
    "plot_paired",
    "plot_rate_sweep",
]

#: Distinct (marker, line style) pairs, so that compared curves differ in more than colour.
STYLES = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", (0, (5, 1))), ("P", (0, (3, 1, 1, 1)))]


def new_axes(ax=None):
    """``ax`` if given, else the Axes of a new figure of size :data:`course_lib.config.FIGSIZE`.

    Every single-panel helper of :mod:`plotting` and :mod:`optim_plots` starts with it, so a helper
    draws into a panel of a larger figure (``ax=axes[1]``) or makes its own book-width figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    return ax


def _check_series(series, name="series", runs=False):
    """``series`` as a dict label -> float64 array: 1-D, or with ``runs`` also 2-D (seeds × points)."""
    if not isinstance(series, dict) or not series:
        raise ValueError(f"{name} must be a non-empty dict label -> 1-D array, got {type(series).__name__}")
    out = {}
    for label, values in series.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim not in ((1, 2) if runs else (1,)) or values.size == 0:
            shape = "1-D array or 2-D array (seeds × points)" if runs else "1-D array"
            raise ValueError(f"{name}[{label!r}] must be a non-empty {shape}, got shape {values.shape}")
        out[str(label)] = values
    return out


def _plot_series(ax, x, values, geometric=False, **keywords):
    """One series: a 1-D array as a line; a 2-D array (seeds × points) as the mean over seeds (geometric
    if ``geometric``) with its min-max range shaded in the line's colour."""
    if values.ndim == 1:
        ax.plot(x, values, **keywords)
        return
    mean = np.exp(np.log(values).mean(axis=0)) if geometric else values.mean(axis=0)
    (line,) = ax.plot(x, mean, **keywords)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.2, linewidth=0)


def plot_activations(names, z=None, ncols=None, title=None):
    r"""One panel per activation: g(z) (solid) and g'(z) (dashed) on a grid of ``z`` values.

    ``names`` lists keys of :data:`course_lib.activations.ACTIVATIONS` (e.g. "sigmoid", "relu") or
    :class:`course_lib.activations.Activation` objects (for other parameters); ``z`` defaults to 401
    points on [−5, 5]; ``ncols`` defaults to min(len(names), 4). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(names, (str, _activations.Activation)) or not names:
        raise ValueError(f"names must be a non-empty list of activation names, got {names!r}")
    acts = [a if isinstance(a, _activations.Activation) else _activations.get(a) for a in names]
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"z must be a 1-D array of at least 2 points, got shape {z.shape}")
    ncols = min(len(acts), 4) if ncols is None else int(ncols)
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    nrows = -(-len(acts) // ncols)
    figsize = (min(9.0, 3.0 * ncols + 0.4), 2.6 * nrows + 0.4)  # at most the book's width
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for ax, a in zip(axes.flat, acts):
        ax.plot(z, a.f(z), color="C0", label="g(z)")
        ax.plot(z, a.df(z), color="C3", linestyle="--", label="g′(z)")
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_title(a.label, fontsize=10)
        ax.set_xlabel("z")
        ax.legend(loc="best", fontsize=8)  # "best": no curve hidden (e.g. |z|)
    for ax in axes.flat[len(acts) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def plot_curves(
    series,
    x=None,
    xlabel="epoch",
    ylabel="",
    title="",
    logy=False,
    logx=False,
    ax=None,
    marker=None,
    styles=None,
):
    r"""Plot each ``series[label]`` (a 1-D array, or seeds × points: mean and min-max band) against ``x``.

    ``x`` defaults to 1, 2, ..., n (epochs); series may have different lengths (a run that stopped
    early) as long as none is longer than ``x``. ``styles`` optionally maps a label to extra
    ``Axes.plot`` keywords (e.g. ``{"bound": {"linestyle": ":", "color": "k"}}``), which override
    ``marker`` for that series (e.g. ``{"guaranteed": {"marker": "s"}}``). With ``logy`` the mean over
    seeds is geometric. Returns the Axes.
    """
    series = _check_series(series, runs=True)
    longest = max(v.shape[-1] for v in series.values())
    x = np.arange(1, longest + 1) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or len(x) < longest:
        raise ValueError(
            f"x must be a 1-D array at least as long as the longest series ({longest}), got shape {x.shape}"
        )
    ax = new_axes(ax)
    styles = styles or {}
    for label, values in series.items():
        keywords = {"label": label, "marker": marker, **styles.get(label, {})}  # a style wins
        _plot_series(ax, x[: values.shape[-1]], values, geometric=logy, **keywords)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_layer_norms(
    norms, reference=None, ylabel=r"$\Vert \partial J / \partial W_l \Vert$", title="Gradient norm per layer", ax=None
):
    r"""Per-layer values on a log y axis against the layer index l = 1..L (integer ticks); returns the Axes.

    ``norms`` maps a label (e.g. "sigmoid") to an array of L positive values, or to seeds × L values
    (drawn as the geometric mean with the min-max band); ``reference`` optionally maps a label (e.g.
    "0.25^(L−l)") to an array of L values, drawn as black dotted lines.
    """
    norms = _check_series(norms, "norms", runs=True)
    reference = _check_series(reference, "reference") if reference is not None else {}
    L = next(iter(norms.values())).shape[-1]
    if any(v.shape[-1] != L for v in list(norms.values()) + list(reference.values())):
        raise ValueError("norms and reference must all have the same length (one value per layer)")
    ax = new_axes(ax)
    layers = np.arange(1, L + 1)
    for i, (label, values) in enumerate(norms.items()):
        marker, linestyle = STYLES[i % len(STYLES)]
        _plot_series(ax, layers, values, geometric=True, marker=marker, linestyle=linestyle, label=label)
    for i, (label, values) in enumerate(reference.items()):
        ax.plot(layers, values, color="k", linestyle=[":", "-."][i % 2], label=label)
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("layer l (1 = first hidden layer, L = output layer)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_rate_sweep(values, rates, ylabel="final training loss", title="", ax=None, logy=True, ylim=None):
    r"""Each ``values[label]`` (seeds × rates; NaN marks a diverged run) against the learning ``rates`` on a
    log x axis: the mean over the seeds that did not diverge (geometric with ``logy``), the min-max band,
    and a cross on the top edge of the axes (not at a loss value) at every rate where some seed diverged,
    nudged sideways per arm so that the crosses of several arms at one rate stay apart. ``ylim``
    (optional) clips the y range, e.g. against one arm's stalled band. Returns the Axes."""
    values = _check_series(values, "values", runs=True)
    rates = np.asarray(rates, dtype=np.float64)
    ax = new_axes(ax)
    for i, (label, runs) in enumerate(values.items()):
        runs = np.atleast_2d(runs)
        if runs.shape[-1] != rates.size:
            raise ValueError(f"values[{label!r}] must have one column per rate ({rates.size}), got {runs.shape}")
        ok = np.all(np.isfinite(runs), axis=0)
        marker, linestyle = STYLES[i % len(STYLES)]
        (line,) = ax.plot(rates[ok], _mean(runs[:, ok], logy), marker=marker, linestyle=linestyle, label=label)
        ax.fill_between(rates[ok], runs[:, ok].min(axis=0), runs[:, ok].max(axis=0), color=line.get_color(), alpha=0.15)
        if not ok.all():  # x in data coordinates (nudged per arm), y in axes coordinates: the top edge
            nudge = 1.04 ** (i - (len(values) - 1) / 2)
            ax.plot(
                rates[~ok] * nudge,
                np.full((~ok).sum(), 0.965),
                "x",
                color=line.get_color(),
                markersize=7,
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter("")
    if logy:
        ax.set_yscale("log")
    ax.set_xticks(rates, [f"{r:g}" for r in rates])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("learning rate (× on top: some seed diverged)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def _mean(runs, geometric):
    return np.exp(np.log(runs).mean(axis=0)) if geometric else runs.mean(axis=0)


def plot_paired(values, ylabel="", title="", ax=None):
    r"""One column per arm (``values[label]``: one value per seed, the same seeds for every arm): a marker
    per seed, thin grey lines joining each seed across the arms (the pairs), and the mean ± sample std
    (ddof = 1) beside each column. Returns the Axes."""
    values = _check_series(values, "values")
    n = {v.size for v in values.values()}
    if len(n) != 1 or n.pop() < 2:
        raise ValueError("every arm must have the same number (>= 2) of seeds")
    ax = new_axes(ax)
    table = np.array(list(values.values()))  # arms × seeds
    position = np.arange(len(values))
    ax.plot(position, table, color="0.75", linewidth=0.8, zorder=1)
    for i, runs in enumerate(table):
        marker, _ = STYLES[i % len(STYLES)]
        ax.plot(np.full(runs.size, i), runs, marker, color=f"C{i}", alpha=0.7, markersize=4, zorder=2)
        ax.errorbar(i + 0.2, runs.mean(), yerr=runs.std(ddof=1), fmt=marker, color=f"C{i}", capsize=3)
    ax.set_xticks(position, list(values), rotation=30, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax
