"""Figures for the optimization chapters (05-09): contours with trajectories, loss curves, animations.

* :func:`plot_contours` -- contour lines of a 2-D objective with one or several optimizer paths;
* :func:`plot_loss` -- h(θ_k) − h* against k on a log scale, with an optional theoretical bound;
* :func:`plot_rate_panels` -- one panel per run of :func:`course_lib.convergence.gd_rate_run`, GD against
  its rate bound;
* :func:`plot_iterations_vs_kappa` -- steps to reduce h − h* by a factor, measured and guaranteed, against κ;
* :func:`plot_quadratic_forms` -- filled contours of ½ θᵀHθ with the eigenvectors of H drawn as arrows;
* :func:`plot_sharpness` -- λ_max(∇²h(θ_k)) along GD runs in units of the edge 2/α (edge of stability);
* :func:`plot_hessian_spectra` -- sorted Hessian eigenvalues on a symmetric-log axis;
* :func:`animate_trajectories` -- the same paths drawn step by step, as a small JavaScript animation
  (``FuncAnimation.to_jshtml``) that plays in the static HTML book, with a deterministic element id so a
  stored notebook output is identical on every run (nbval compares it).

Helpers follow :mod:`course_lib.plotting`'s convention (``ax=`` or a new book-width figure; labelled
axes, title, legend; they return the Axes). "Trajectories" may be a
:class:`course_lib.optimizers.Trajectory`, an array of iterates (K + 1, 2), or a list of these.
"""

from __future__ import annotations

import hashlib
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.lines import Line2D

from course_lib.plotting import new_axes
from course_lib.validation import check_scalar

__all__ = [
    "plot_contours",
    "plot_loss",
    "plot_rate_panels",
    "plot_iterations_vs_kappa",
    "plot_quadratic_forms",
    "plot_sharpness",
    "plot_sharpness_window",
    "plot_hessian_spectra",
    "animate_trajectories",
]

#: Largest number of frames :func:`animate_trajectories` accepts (keeps the HTML small).
MAX_FRAMES = 60

#: Line styles and markers given to the i-th compared curve, so curves differ in more than colour.
LINESTYLES = ["-", "-.", ":", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P"]


def _style(i, n_points):
    """Colour, line style and a few markers for the i-th of several compared curves."""
    return {
        "color": f"C{i % 10}",
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
        "markevery": max(1, n_points // 8),
        "ms": 5,
    }


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def _as_list(items, attribute, ndim):
    """One run (a Trajectory, an array, or a nested list of ``ndim`` dimensions) or a list of runs
    -> list of float arrays."""
    single = hasattr(items, attribute) or isinstance(items, np.ndarray)
    if isinstance(items, (list, tuple)) and items and not hasattr(items[0], attribute):
        single = single or np.ndim(items[0]) == ndim - 1
    if single:
        items = [items]
    return [np.asarray(getattr(item, attribute, item), dtype=float) for item in items]


def _paths(trajectories):
    paths = _as_list(trajectories, "thetas", ndim=2)
    for path in paths:
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"trajectories must be iterates of shape (K + 1, 2), got shape {path.shape}")
    return paths


def _labels(labels, count):
    if labels is None:
        return [None] * count
    if isinstance(labels, str):
        labels = [labels]
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"labels must give one label per curve ({count}), got {len(labels)}")
    return labels


def _known_minima(objective):
    minima = getattr(objective, "minima", None)
    if minima is None:
        minima = getattr(objective, "minimizer", None)
    return None if minima is None else np.atleast_2d(np.asarray(minima, dtype=float))


def _limits(objective, paths, xlim, ylim):
    """Axis limits: given ones, else the box around the paths and minima with a 15% margin."""
    if getattr(objective, "dim", 2) != 2:
        raise ValueError(f"objective must be 2-D for a contour plot, got dim={objective.dim}")
    points = [p[np.all(np.isfinite(p), axis=1)] for p in paths]
    minima = _known_minima(objective)
    if minima is not None:
        points.append(minima)
    points = np.concatenate(points) if points else np.empty((0, 2))
    limits = []
    for axis, given in ((0, xlim), (1, ylim)):
        if given is None:
            if len(points) == 0:
                given = (-2.0, 2.0)
            else:
                low, high = points[:, axis].min(), points[:, axis].max()
                margin = 0.15 * max(high - low, 1e-3)
                given = (low - margin, high + margin)
        low, high = (check_scalar("xlim" if axis == 0 else "ylim", v) for v in given)
        if not low < high:
            raise ValueError(f"{'xlim' if axis == 0 else 'ylim'} must be (low, high) with low < high, got {given}")
        limits.append((low, high))
    return limits


def _draw_contours(ax, objective, xlim, ylim, levels, log_levels, resolution, filled=False):
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (resolution, resolution, 2)
    values = objective.value(grid)
    if log_levels:
        count = levels if isinstance(levels, int) else 30
        low = values.min()
        gap = values - low
        top = gap.max()
        floor = max(np.quantile(gap, 0.002), top * 1e-6, np.finfo(float).tiny)
        levels = low + np.geomspace(floor, top, count) if top > 0 else count
    if filled:  # flat colour bands: compress well in the PNG frames of an animation
        ax.contourf(xs, ys, values, levels=levels, cmap="viridis", alpha=0.4, antialiased=False)
    else:
        ax.contour(xs, ys, values, levels=levels, cmap="viridis", linewidths=0.8, alpha=0.8)
    minima = _known_minima(objective)
    if minima is not None:
        ax.plot(minima[:, 0], minima[:, 1], "k*", ms=11, ls="none", zorder=5)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")


def _legend_handles(ax, has_minimum, has_paths):
    handles, _ = ax.get_legend_handles_labels()
    if has_paths:
        handles += [
            Line2D([], [], marker="o", mfc="white", mec="k", ls="none", label="start"),
            Line2D([], [], marker="s", color="k", ms=5, ls="none", label="end"),
        ]
    if has_minimum:
        handles.append(Line2D([], [], marker="*", color="k", ms=10, ls="none", label="minimum"))
    return handles


# --------------------------------------------------------------------------------------------------
# Public plots
# --------------------------------------------------------------------------------------------------
def plot_contours(
    objective,
    trajectories=(),
    labels=None,
    xlim=None,
    ylim=None,
    ax=None,
    levels=30,
    log_levels=False,
    resolution=300,
    title=None,
    equal_aspect=True,
):
    """Contours of a 2-D ``objective`` with optimizer paths drawn on top; returns the axes.

    Parameters: ``trajectories`` (a Trajectory, an array (K + 1, 2), or a list of them; may be empty),
    ``labels`` (one per trajectory, for the legend), ``xlim``/``ylim`` (default: the box around the
    paths and known minima, 15% margin -- pass them for diverging runs), ``ax`` (default: a new figure),
    ``levels`` (number or values of contour levels; 30), ``log_levels`` (levels spaced geometrically
    above the grid minimum: shows narrow valleys such as Rosenbrock's), ``resolution`` (grid points per
    axis; 300 = one vectorized ``value`` call on a (300, 300, 2) grid), ``title`` (default: the
    objective's repr), ``equal_aspect`` (True: circles look round, so angles and zig-zags are true).
    Marks: hollow circle = start, square = end, black star = known minimizer(s). Chapters 05-09.
    """
    paths = _paths(trajectories)
    labels = _labels(labels, len(paths))
    resolution = check_scalar("resolution", resolution, low=2, integer=True)
    xlim, ylim = _limits(objective, paths, xlim, ylim)
    ax = new_axes(ax)
    _draw_contours(ax, objective, xlim, ylim, levels, log_levels, resolution)
    for i, (path, label) in enumerate(zip(paths, labels)):
        color, linestyle = f"C{i % 10}", LINESTYLES[i % len(LINESTYLES)]
        marker = "." if len(path) <= 200 else None
        ax.plot(path[:, 0], path[:, 1], color=color, ls=linestyle, marker=marker, ms=4, lw=1.4, label=label)
        ax.plot(*path[0], "o", mfc="white", mec=color, mew=1.5, ms=7, zorder=6)
        ax.plot(*path[-1], "s", color=color, ms=6, zorder=6)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    ax.set_title(repr(objective) if title is None else title)
    handles = _legend_handles(ax, _known_minima(objective) is not None, bool(paths))
    if handles:  # outside, to the right: never hides a path or a minimum
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax


def plot_loss(
    values_or_list,
    labels=None,
    bound=None,
    ax=None,
    min_value=0.0,
    bound_label="bound",
    title="Suboptimality",
    xlabel="iteration $k$",
    ylabel=r"$h(\theta_k) - h^*$",
):
    """Plot h(θ_k) − h* against k on a log scale, for one or several runs; returns the axes.

    Parameters: ``values_or_list`` (values h(θ_0) ... h(θ_K) as an array or a Trajectory, or a list of
    them), ``labels`` (one per run), ``bound`` (optional theoretical bound: an array over k or a
    callable k -> bound, drawn dashed black), ``ax``, ``min_value`` h* subtracted from the values
    (default 0.0; pass ``objective.min_value``), ``bound_label``, ``title``, axis labels.
    Values <= h* (exact convergence, round-off) cannot be drawn on a log axis and are left out.
    Several runs get different line styles and markers as well as colours.
    Chapters 05-09 (linear rates appear as straight lines).
    """
    runs = _as_list(values_or_list, "values", ndim=1)
    labels = _labels(labels, len(runs))
    min_value = check_scalar("min_value", min_value)
    ax = new_axes(ax)
    longest = 0
    for i, (run_values, label) in enumerate(zip(runs, labels)):
        if run_values.ndim != 1:
            raise ValueError(f"values_or_list must hold 1-D arrays of values, got shape {run_values.shape}")
        with np.errstate(invalid="ignore", over="ignore"):
            gap = run_values - min_value
            gap = np.where(np.isfinite(gap) & (gap > 0), gap, np.nan)
        style = _style(i, len(gap)) if len(runs) > 1 else {}
        ax.semilogy(np.arange(len(gap)), gap, label=label, **style)
        longest = max(longest, len(gap))
    if bound is not None:
        ks = np.arange(longest)
        curve = np.asarray(bound(ks) if callable(bound) else bound, dtype=float)
        ax.semilogy(np.arange(len(curve)), curve, "k--", lw=1.2, label=bound_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if any(label is not None for label in labels) or bound is not None:
        ax.legend(loc="best")
    return ax


def plot_rate_panels(results, title=None):
    """One panel per :class:`~course_lib.convergence.RateRun` (``results``: dict title -> run); returns the Figure.

    Each panel is :func:`plot_loss` of the GD values against the dashed rate bound, on a shared log axis.
    Chapter 05 (GD at α = 2/(L + μ) stays under (L/2) q^{2k} ‖θ₀ − θ*‖²), chapter 06.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    fig, axes = plt.subplots(1, len(results), figsize=(3.4 * len(results), 3.5), sharey=True, squeeze=False)
    for ax, (name, (quad, traj, bound)) in zip(axes[0], results.items()):
        plot_loss(
            traj,
            labels="GD, α = 2/(L+μ)",
            bound=bound,
            bound_label="rate bound",
            min_value=quad.min_value,
            ax=ax,
            title=name,
        )
    for ax in axes[0, 1:]:
        ax.set_ylabel("")
    if title:
        fig.suptitle(title)
    return fig


def plot_iterations_vs_kappa(kappas, needed, guaranteed, reduction=1e6, ax=None):
    """Steps to reduce h − h* by ``reduction`` against κ, log-log: measured, guaranteed, (κ/4) log(reduction).

    The title gives the fitted slope of log(needed) against log κ. Returns the Axes. Chapter 05.
    """
    kappas = np.asarray(kappas, dtype=float)
    needed, guaranteed = np.asarray(needed, dtype=float), np.asarray(guaranteed, dtype=float)
    if not kappas.shape == needed.shape == guaranteed.shape or kappas.size < 2:
        raise ValueError("kappas, needed and guaranteed must be 1-D arrays of the same length >= 2")
    reduction = check_scalar("reduction", reduction, low=1, low_open=True)
    factor = f"10^{{{np.log10(reduction):g}}}" if np.log10(reduction).is_integer() else f"{reduction:g}"
    slope = np.polyfit(np.log(kappas), np.log(needed), 1)[0]
    ax = new_axes(ax)
    ax.loglog(kappas, needed, "o-", label="GD, measured")
    ax.loglog(kappas, guaranteed, "s--", label="guaranteed by the rate bound")
    ax.loglog(kappas, kappas / 4 * np.log(reduction), "k:", label=rf"$(\kappa/4)\,\log {factor}$")
    ax.set_xlabel(r"condition number $\kappa$")
    ax.set_ylabel(rf"iterations to reduce $h - h^*$ by ${factor}$")
    ax.set_title(f"Iterations grow linearly in κ (fitted log-log slope {slope:.3f})")
    ax.legend()
    return ax


def plot_quadratic_forms(hessians, lim=2.0, levels=17):
    """Filled contours of ½ θᵀHθ for each ``hessians[title] = H`` (2 × 2), eigenvectors as arrows; a Figure.

    Blue is below h(0) = 0, red above; the black line is h = 0; each arrow is an eigenvector of H,
    labelled with its eigenvalue. Chapter 05 (a positive diagonal does not make a minimum), chapter 07.
    """
    if not hessians:
        raise ValueError("hessians must hold at least one 2 x 2 matrix")
    xs = np.linspace(-lim, lim, 201)
    X, Y = np.meshgrid(xs, xs)
    fig, axes = plt.subplots(1, len(hessians), figsize=(4.6 * len(hessians), 4.2), layout="constrained", squeeze=False)
    scale = 2.0 * lim
    for ax, (title, H) in zip(axes[0], hessians.items()):
        H = np.asarray(H, dtype=float)
        if H.shape != (2, 2) or not np.allclose(H, H.T):
            raise ValueError(f"hessians[{title!r}] must be a symmetric 2 x 2 matrix, got {H.tolist()}")
        Z = 0.5 * (H[0, 0] * X**2 + 2 * H[0, 1] * X * Y + H[1, 1] * Y**2)
        filled = ax.contourf(X, Y, Z, levels=np.linspace(-scale, scale, levels), cmap="RdBu_r", extend="both")
        ax.contour(X, Y, Z, levels=[0], colors="k", linewidths=1)
        ax.plot(0, 0, "kx", ms=9)
        values, vectors = np.linalg.eigh(H)
        for value, vector, color in zip(values, vectors.T, ["navy", "darkred"]):
            ax.annotate("", xy=0.7 * lim * vector, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=color, lw=2.5))
            ax.text(
                *(0.72 * lim * vector + [-0.1 * lim, 0.06 * lim]),
                f"λ = {value:g}",
                color=color,
                fontsize=11,
                fontweight="bold",
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
            )
        ax.set_aspect("equal")
        ax.set_xlabel(r"$\theta_1$")
        ax.set_ylabel(r"$\theta_2$")
        ax.set_title(title)
    fig.colorbar(filled, ax=axes[0].tolist(), shrink=0.85, label=r"$h(\theta) - h(0)$")
    return fig


def plot_sharpness(results, ax=None, title="Top Hessian eigenvalue along GD", pairs=False):
    """λ_max(∇²h(θ_k)) · α/2 against k for each ``results[label]`` (a ``SharpnessRun``); returns the Axes.

    In these units the edge of stability 2/α is 1 for every run (dotted black line). Several runs
    get different line styles and markers. ``pairs=True``: the runs are sampled at pairs of
    consecutive steps (k, k + 1); the smaller value of each pair is drawn as a line at k and the
    larger one as faint markers of the same colour (joining k + 1 to the next k would draw a
    saw-tooth). Chapter 05, section 12 (Cohen et al. 2021).
    """
    if not results:
        raise ValueError("results must hold at least one SharpnessRun")
    ax = new_axes(ax)
    for i, (label, result) in enumerate(results.items()):
        ks = np.asarray(result.ks)
        ratio = np.asarray(result.sharpness) * result.learning_rate / 2.0
        if not pairs:
            ax.plot(ks, ratio, label=label, lw=1.0, **_style(i, len(ratio)))
            continue
        if ks.size % 2 or np.any(ks[1::2] - ks[0::2] != 1):
            raise ValueError(f"{label}: pairs=True needs ks = k₁, k₁ + 1, k₂, k₂ + 1, ...")
        pair = ratio.reshape(-1, 2)
        style = _style(i, len(pair))
        ax.plot(ks[0::2], pair.min(axis=1), label=f"{label}: lower of (k, k + 1)", lw=1.2, **style)
        ax.plot(
            ks[0::2],
            pair.max(axis=1),
            ls="none",
            marker=style["marker"],
            ms=4,
            color=style["color"],
            alpha=0.35,
            label=f"{label}: upper",
        )
    ax.axhline(1.0, color="k", ls=":", lw=1.2, label="edge: λ_max = 2/α")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(r"$\lambda_{\max}(H(\theta_k))\;/\;(2/\alpha)$")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_sharpness_window(result, start, stop, ax=None, title=None, style_index=0, labels=(True, True)):
    """λ_max · α/2 at every step ``start <= k < stop`` of a ``SharpnessRun``, and the loss on a twin axis.

    The sharpness is drawn as markers joined by a line (left axis, the edge 2/α dotted at 1), the
    loss h(θ_k) as a thin grey line (right axis). ``labels``: whether to write the left and the
    right axis label (side-by-side panels need them only on the outside). Returns ``(ax, twin)``.
    Chapter 05, section 12.
    """
    ks = np.asarray(result.ks)
    window = np.arange(start, stop)
    if window.size < 2 or not np.all(np.isin(window, ks)):
        raise ValueError(f"the run must be sampled at every step of [{start}, {stop})")
    ratio = np.asarray(result.sharpness)[np.searchsorted(ks, window)] * result.learning_rate / 2.0
    ax = new_axes(ax)
    style = _style(style_index, window.size)
    style.update(markevery=1, ms=3)
    ax.plot(window, ratio, lw=0.9, label=r"$\lambda_{\max}/(2/\alpha)$", **style)
    ax.axhline(1.0, color="k", ls=":", lw=1.2)
    ax.set_xlabel("iteration $k$")
    if labels[0]:
        ax.set_ylabel(r"$\lambda_{\max}\;/\;(2/\alpha)$")
    twin = ax.twinx()
    twin.plot(window, np.asarray(result.values)[window], color="0.45", lw=1.0, ls="-", label=r"loss $h(\theta_k)$")
    if labels[1]:
        twin.set_ylabel(r"loss $h(\theta_k)$", color="0.35")
    twin.tick_params(axis="y", colors="0.35", labelsize=8)
    if title is not None:
        ax.set_title(title)
    return ax, twin


def plot_hessian_spectra(spectra, ax=None, linthresh=1e-4, title="Hessian spectrum"):
    """Each ``spectra[label]`` (eigenvalues) sorted from the largest, on a symmetric-log y axis; the Axes.

    Values within ``linthresh`` of 0 are on a linear scale, so zero eigenvalues show. Chapter 05.
    """
    if not spectra:
        raise ValueError("spectra must hold at least one array of eigenvalues")
    ax = new_axes(ax)
    for i, (label, eigenvalues) in enumerate(spectra.items()):
        values = np.sort(np.asarray(eigenvalues, dtype=float))[::-1]
        ax.plot(np.arange(1, values.size + 1), values, label=label, lw=1.4, **_style(i, values.size))
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("rank (largest first)")
    ax.set_ylabel(r"eigenvalue $\lambda$ (symlog)")
    ax.set_title(title)
    ax.legend(loc="lower left")
    return ax


def animate_trajectories(
    objective,
    trajectories,
    labels=None,
    frames=40,
    xlim=None,
    ylim=None,
    levels=15,
    log_levels=False,
    interval=150,
    figsize=(5, 4),
    dpi=72,
    title=None,
):
    """Animate optimizer paths on the contours of a 2-D objective; returns ``IPython.display.HTML``.

    The paths grow over ``frames`` frames (2 ... 60, default 40; frame j shows the first
    ≈ j/(frames − 1) of the longest run). Rendered with ``FuncAnimation.to_jshtml(default_mode='once')``
    at ``figsize`` (5, 4) and ``dpi`` 72, so it plays in the static HTML book without a server. The
    figure is closed, so no static copy is shown. The random element id matplotlib puts in the HTML is
    replaced by a hash of the content, so the same call gives byte-identical HTML on every run (do not
    display the very same animation twice on one page).

    To keep the HTML small (about 15 kB per frame) the contours are pale filled bands (``levels`` = 15)
    rather than lines; to keep it fast, the static part (contours, axes, title, legend) is rendered
    once and each frame only draws the paths over that picture. Other parameters as in
    :func:`plot_contours`; ``interval`` = milliseconds per frame. Chapters 05, 06, 09.
    """
    from IPython.display import HTML

    paths = _paths(trajectories)
    if not paths:
        raise ValueError("trajectories must contain at least one path")
    labels = _labels(labels, len(paths))
    frames = check_scalar("frames", frames, low=2, high=MAX_FRAMES, integer=True)
    interval = check_scalar("interval", interval, low=1, integer=True)
    dpi = check_scalar("dpi", dpi, low=10, high=200, integer=True)
    xlim, ylim = _limits(objective, paths, xlim, ylim)
    colors = [f"C{i % 10}" for i in range(len(paths))]

    with mpl.rc_context({"savefig.dpi": dpi, "savefig.bbox": None, "animation.frame_format": "png"}):
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
        # 1. The static picture: contours, minima, start points, labels, title, legend.
        _draw_contours(ax, objective, xlim, ylim, levels, log_levels, resolution=150, filled=True)
        for path, color in zip(paths, colors):
            ax.plot(*path[0], "o", mfc="white", mec=color, mew=1.5, ms=7, zorder=6)
        ax.set_aspect("equal", adjustable="box")
        ax.set_title(repr(objective) if title is None else title)
        if any(label is not None for label in labels):
            handles = [Line2D([], [], color=c, marker=".", label=lab) for c, lab in zip(colors, labels)]
            ax.legend(handles=handles, loc="best", framealpha=0.9)
        fig.canvas.draw()
        background = np.asarray(fig.canvas.buffer_rgba()).copy()
        # 2. Freeze the layout, show that picture as the figure's background, and draw the moving
        #    paths on a bare axes with the same position and limits.
        box = ax.get_position()
        fig.set_layout_engine("none")
        ax.remove()
        fig.figimage(background, zorder=-1)
        ax = fig.add_axes(box, xlim=xlim, ylim=ylim)
        ax.set_axis_off()
        lines = [ax.plot([], [], color=c, marker=".", ms=3, lw=1.4)[0] for c in colors]
        heads = [ax.plot([], [], "s", color=c, ms=5)[0] for c in colors]
        longest = max(len(path) for path in paths)
        shown = np.rint(np.linspace(0, longest - 1, frames)).astype(int)  # last index drawn in frame j

        def draw(j):
            for path, line, head in zip(paths, lines, heads):
                last = min(shown[j], len(path) - 1)
                line.set_data(path[: last + 1, 0], path[: last + 1, 1])
                head.set_data([path[last, 0]], [path[last, 1]])
            return lines + heads

        animation = FuncAnimation(fig, draw, frames=frames, interval=interval, blit=False, repeat=False)
        html = animation.to_jshtml(default_mode="once")
        plt.close(fig)
    return HTML(_deterministic_ids(html))


def _deterministic_ids(html):
    """Replace matplotlib's random uuid4 element id by a hash of the rest of the HTML."""
    match = re.search(r"_anim_img([0-9a-f]{32})", html)
    if match is None:  # pragma: no cover - matplotlib changed its template
        return html
    random_id = match.group(1)
    stable_id = hashlib.sha1(html.replace(random_id, "").encode()).hexdigest()[:32]
    return html.replace(random_id, stable_id)
