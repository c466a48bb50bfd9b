r"""Figures of chapter 03: ReLU networks by hand, their regions, and what training finds.

* :func:`plot_regions` -- the activation regions of a network with two inputs
  (:func:`course_lib.relu_regions.activation_regions_2d`), one colour per activation pattern.
* :func:`plot_layer_boundaries` -- folding in 2-D: each hidden layer's switching lines in its own colour
  and line style, over the output.
* :func:`plot_bump` -- a compactly supported 2-D bump (two hidden layers) beside its one-layer part.
* :func:`plot_interpolant` -- the hat-function network and its error against the width.
* :func:`plot_tent` -- t^k and the counts of pieces and units against the depth k.
* :func:`plot_square` -- x² by depth (Yarotsky) and by width (the interpolant): error against units.
* :func:`plot_region_counts` -- region counts of random networks against the bounds.
* :func:`plot_training` -- loss against steps per architecture (median and interquartile band over the
  seeds, stuck seeds as their own thin lines) and the final loss per seed;
  :func:`plot_tent_training` -- the same for the tent map t^4, with the fits.

Single-panel helpers take ``ax=None`` and return the Axes; the others return the Figure.
"""

from __future__ import annotations

import numpy as np

from course_lib import approximation as ap
from course_lib import plotting
from course_lib import relu_regions as rr
from course_lib.relu_regions import Region

__all__ = [
    "plot_regions",
    "plot_region_grid",
    "plot_layer_boundaries",
    "plot_bump",
    "plot_interpolant",
    "plot_tent",
    "plot_square",
    "plot_region_counts",
    "plot_training",
    "plot_tent_training",
]

LAYER_STYLES = [("C0", "-"), ("C3", "--"), ("C2", ":"), ("C4", "-.")]

#: Resolution of this module's figures (the course's figure.dpi); the chapter stores them as 2x PNGs.
DPI = 100


def _new_axes(ax):
    """``plotting.new_axes(ax)``; a new figure gets this module's :data:`DPI`."""
    if ax is None:
        ax = plotting.new_axes(None)
        ax.figure.set_dpi(DPI)
    return ax


def _square_axes(ax, regions, title):
    points = np.concatenate([r.vertices for r in regions])
    ax.set_xlim(points[:, 0].min(), points[:, 0].max())
    ax.set_ylim(points[:, 1].min(), points[:, 1].max())
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set(xlabel=r"$x_1$", ylabel=r"$x_2$", title=title)


def plot_regions(regions, ax=None, title="", cmap="turbo", seed=0, edgecolor="0.2"):
    r"""Fill each :class:`~course_lib.relu_regions.Region` polygon with a colour of its own.

    Each region (one activation pattern) gets its own colour: ``len(regions)`` evenly spaced colours
    of the continuous colormap ``cmap``, shuffled by ``seed`` (so neighbours rarely look alike and the
    same call gives the same figure); boundaries are thin ``edgecolor`` lines. Axes x₁, x₂, equal aspect.
    """
    from matplotlib.collections import PolyCollection

    if not isinstance(regions, (list, tuple)) or not regions or not all(isinstance(r, Region) for r in regions):
        raise ValueError("regions must be a non-empty list of Region")
    ax = _new_axes(ax)
    import matplotlib.pyplot as plt

    colors = plt.get_cmap(cmap)(np.linspace(0.05, 0.95, len(regions)))
    colors = colors[np.random.default_rng(seed).permutation(len(regions))]
    polygons = [r.vertices for r in regions]
    ax.add_collection(PolyCollection(polygons, facecolors=colors, edgecolors=edgecolor, linewidths=0.3))
    _square_axes(ax, regions, title)
    return ax


def plot_region_grid(panels, ncols=2, title="", panel_size=4.0, edgecolor="none"):
    r"""One :func:`plot_regions` panel per entry of ``panels`` (dict panel title -> list of Region), in
    rows of ``ncols``, each ``panel_size`` inches square, region edges in ``edgecolor`` (none: the
    colours alone separate the regions, and the image stays small); ``title`` over the grid. Returns
    the Figure."""
    import matplotlib.pyplot as plt

    if not isinstance(panels, dict) or not panels:
        raise ValueError("panels must be a non-empty dict title -> regions")
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows), dpi=DPI, squeeze=False)
    for ax, (name, regions) in zip(axes.flat, panels.items()):
        plot_regions(regions, ax=ax, title=name, edgecolor=edgecolor)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def plot_layer_boundaries(layers, box=(-1.0, 1.0, -1.0, 1.0), ax=None, title=""):
    r"""The network's output in grey (each region filled with its affine map's value at the centroid)
    and, on top, the segments where each hidden layer's units switch: layer 1 straight lines, later
    layers bent at earlier boundaries, one colour and line style per layer."""
    from matplotlib.collections import LineCollection, PolyCollection

    regions = rr.activation_regions_2d(layers, box=box)
    ax = _new_axes(ax)
    shade = np.array([float((r.vertices.mean(axis=0) @ r.weights + r.bias)[0]) for r in regions])
    shade = (shade - shade.min()) / (np.ptp(shade) + 1e-300)
    faces = [(0.55 + 0.4 * s,) * 3 for s in shade]
    ax.add_collection(PolyCollection([r.vertices for r in regions], facecolors=faces, edgecolors="none"))
    for l, segments in enumerate(rr.layer_boundaries_2d(layers, box=box)):
        color, style = LAYER_STYLES[l % len(LAYER_STYLES)]
        ax.add_collection(LineCollection(segments, colors=color, linestyles=style, linewidths=1.6))
        ax.plot([], [], color=color, linestyle=style, label=f"layer {l + 1} switches")
    _square_axes(ax, regions, title)
    ax.set_xticks(np.linspace(box[0], box[1], 5))
    ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    return ax


def plot_bump(box=(-2.0, 2.0, -2.0, 2.0), n=201):
    r"""Two panels: ReLU(1 − |x₁| − |x₂|) (two hidden layers, :func:`course_lib.approximation.bump_network`)
    and the same network without its second ReLU, 1 − |x₁| − |x₂| (one hidden layer), whose ridges run
    to infinity; the 0 level in black; one colour bar (integer ticks) for both panels. Returns the Figure."""
    import matplotlib.pyplot as plt

    g1, g2 = np.meshgrid(np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n))
    points = np.column_stack([g1.ravel(), g2.ravel()])
    bump = ap.relu_network(ap.bump_network(), points).reshape(g1.shape)
    (W1, b1), (W2, b2) = [(layer.W, layer.b) for layer in ap.bump_network()[:2]]
    one_layer = ap.relu_network([(W1, b1), (W2, b2)], points).reshape(g1.shape)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), dpi=DPI, layout="constrained")
    titles = ["two hidden layers: ReLU(1 − |x₁| − |x₂|)", "one hidden layer: 1 − |x₁| − |x₂|"]
    for ax, values, title in zip(axes, [bump, one_layer], titles):
        image = ax.contourf(g1, g2, values, levels=np.linspace(-3.125, 3.125, 26), cmap="RdBu_r", extend="both")
        ax.contour(g1, g2, one_layer, levels=[0.0], colors="k", linewidths=1.0)  # |x₁| + |x₂| = 1
        ax.set(xlabel=r"$x_1$", ylabel=r"$x_2$", title=title)
        ax.grid(False)
    fig.colorbar(image, ax=list(axes), shrink=0.9, ticks=np.arange(-3, 4), label="network output (both panels)")
    return fig


def plot_interpolant(target, knots, ns, errors, bound, lo=-1.0, hi=1.0):
    r"""Left: the hat-function network on ``knots`` (:func:`course_lib.approximation.hat_interpolant`),
    its units' contributions and ``target``; right: the measured sup error and the bound against the
    number of units ``ns`` (log-log). Returns the Figure."""
    import matplotlib.pyplot as plt

    x = np.linspace(lo, hi, 2001)
    net = ap.hat_interpolant(knots, target(knots))
    units = np.maximum(x[:, None] * net[0].W + net[0].b, 0.0) * net[1].W[:, 0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=DPI)
    ax1.plot(x, units, color="0.6", linestyle="-", linewidth=0.8)
    ax1.plot([], [], color="0.6", linestyle="-", linewidth=0.8, label="units $(s_i - s_{i-1})$ReLU$(x - x_i)$")
    ax1.plot(x, target(x), color="C0", linestyle="-", label="target f")
    ax1.plot(x, ap.relu_network(net, x), "C3--", label=f"network, N = {len(knots) - 1}")
    ax1.plot(knots, target(knots), "ko", markersize=4, label="knots")
    ax1.set(xlabel="x", ylabel="value", title="Hand-built one-hidden-layer ReLU network", ylim=(-4, 4))
    ax1.legend(fontsize=8, loc="lower right")
    plotting.plot_curves(
        {"measured sup error": errors, "bound (b-a)² max|f''| / (8N²)": bound},
        x=ns,
        xlabel="hidden units N",
        ylabel="sup |f - f_N|",
        logx=True,
        logy=True,
        ax=ax2,
        title="Error against width",
        styles={
            "measured sup error": {"marker": "o"},
            "bound (b-a)² max|f''| / (8N²)": {"marker": "x", "linestyle": "--"},
        },
    )
    return fig


def plot_tent(ks, pieces, shallow_units):
    r"""Left: t^k for k = 1..4 (the networks of :func:`course_lib.approximation.tent_map_network`);
    right: the counted pieces of t^k (large open circles), the units one hidden layer needs
    (``shallow_units``, crosses on a dashed line: they coincide with the pieces) and the deep network's
    2k units, against k (log scale). Returns the Figure."""
    import matplotlib.pyplot as plt

    x = np.linspace(0, 1, 2049)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=DPI)
    for k, (color, style) in zip((1, 2, 3, 4), LAYER_STYLES):
        ax1.plot(
            x, ap.relu_network(ap.tent_map_network(k), x), color=color, linestyle=style, label=f"$t^{k}$, depth {k}"
        )
    ax1.set(xlabel="x", ylabel="network output", title="The tent map composed k times", ylim=(-0.05, 1.4))
    ax1.legend(fontsize=8, loc="upper center", ncol=2)
    ax2.plot(
        ks, pieces, "o", markersize=10, markerfacecolor="none", color="C0", label="linear pieces of $t^k$ (counted)"
    )
    ax2.plot(ks, shallow_units, "x--", color="C3", label="units one hidden layer needs: $2^k$")
    ax2.plot(ks, 2 * np.asarray(ks), "s:", color="C2", markersize=4, label="units of the deep network: 2k")
    ax2.set(xlabel="depth k", ylabel="count", yscale="log", title="Pieces and units")
    ax2.legend(fontsize=8, loc="upper left")
    return fig


def plot_square(units_depth, error_depth, units_width, error_width, units_best=None, error_best=None, ax=None):
    r"""Sup error of x² on [0, 1] against the number of hidden units: Yarotsky's depth-m network
    (3m units), the one-hidden-layer interpolant (N units) and, optionally, the best one-hidden-layer
    network (:func:`course_lib.approximation.square_one_layer`), log-log axes. Returns the Axes."""
    ax = _new_axes(ax)
    ax.plot(units_width, error_width, "o-", color="C0", label="one hidden layer, interpolant: 1/(4N²)")
    if units_best is not None:
        ax.plot(units_best, error_best, "x:", color="C2", markersize=7, label="one hidden layer, best: 1/(2(2N+1)²)")
    ax.plot(units_depth, error_depth, "s--", color="C3", label="depth m, width 3 (3m units): $4^{-m-1}$")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="hidden units",
        ylabel=r"sup$_{[0,1]}$ |x² − f(x)|",
        title="x² by width and by depth",
    )
    ax.legend(fontsize=8)
    return ax


def plot_region_counts(counts, same_neurons, serra, montufar, ax=None):
    r"""Region counts in [−1, 1]² per architecture (dict label -> counts over seeds): the mean ± sample std
    of the random networks, of one hidden layer with the same number of neurons (``same_neurons``), the
    Serra et al. upper bound and the Montúfar et al. construction (dicts label -> number). Returns Axes."""
    ax = _new_axes(ax)
    labels = list(counts)
    pos = np.arange(len(labels))
    ax.errorbar(
        pos - 0.08,
        [np.mean(counts[s]) for s in labels],
        yerr=[np.std(counts[s], ddof=1) for s in labels],
        fmt="o",
        color="C0",
        capsize=4,
        label=f"random networks (mean ± std, {len(counts[labels[0]])} seeds)",
    )
    same = [s for s in labels if s in same_neurons]
    ax.errorbar(
        pos[[labels.index(s) for s in same]] + 0.08,
        [np.mean(same_neurons[s]) for s in same],
        yerr=[np.std(same_neurons[s], ddof=1) for s in same],
        fmt="D",
        color="C1",
        capsize=4,
        label="one hidden layer, same number of neurons",
    )
    ax.plot(pos, [serra[s] for s in labels], "k^:", label="Serra et al. upper bound")
    ax.plot(pos, [montufar[s] for s in labels], "v-.", color="C3", label="Montúfar et al.: some network reaches")
    ax.set_xticks(pos, labels)
    ax.set(
        yscale="log",
        xlabel="hidden widths (about 240 parameters each)",
        ylabel="activation regions",
        title="Regions in $[-1, 1]^2$: random networks against the bounds",
    )
    ax.legend(fontsize=8)
    return ax


def plot_training(curves, steps, finals, reference=None, reference_label="", title="", separate=None):
    r"""Left: loss against steps, one series per label (``curves[label]``: seeds × recorded steps, drawn as
    the median over the seeds with the interquartile band); the seeds flagged in ``separate[label]`` (a
    boolean mask over the seeds, e.g. runs stuck on a plateau) are left out of the median and band and
    drawn as thin lines of their own. Right: log₁₀ of the final loss per seed, the seeds joined across
    labels (``finals[label]``), with the mean ± sample std of the log; an optional horizontal
    ``reference`` on both. Returns the Figure."""
    import matplotlib.pyplot as plt

    separate = separate or {}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.8), dpi=DPI)
    steps = np.asarray(steps)
    for i, (label, style) in enumerate(zip(curves, ["-", "--", ":", "-."])):
        color = f"C{i}"  # the colours of plot_paired's columns on the right
        values = np.asarray(curves[label], dtype=float)
        mask = np.asarray(separate.get(label, np.zeros(len(values), bool)), dtype=bool)
        kept = values[~mask]
        ax1.plot(steps, np.median(kept, axis=0), color=color, linestyle=style, label=f"{label} (median)")
        lo, hi = np.percentile(kept, [25, 75], axis=0)
        ax1.fill_between(steps, lo, hi, color=color, alpha=0.2, linewidth=0)
        for i, row in enumerate(values[mask]):
            ax1.plot(
                steps,
                row,
                color=color,
                linestyle=style,
                linewidth=0.8,
                alpha=0.8,
                label=f"{label}: stuck seed" if i == 0 else None,
            )
    ax1.set(xlabel="Adam step", ylabel="training MSE", yscale="log", title=title)
    logs = {label: np.log10(np.asarray(v, dtype=float)) for label, v in finals.items()}
    plotting.plot_paired(logs, ylabel="log$_{10}$ final training MSE", title="Final loss per seed", ax=ax2)
    if reference is not None:
        for ax, level in ((ax1, reference), (ax2, np.log10(reference))):
            ax.axhline(level, color="k", linestyle=(0, (1, 3)), linewidth=1.2, label=reference_label)
        if reference_label:
            ax2.legend(fontsize=8, loc="upper left")
    ax1.legend(fontsize=7)
    return fig


def plot_tent_training(sweep, x, y, show_seeds=3):
    r"""The tent-map case: left, the training MSE relative to the target's variance against the steps,
    one series per learning rate (mean and min-max band over the seeds); right, the target ``y`` on
    ``x`` and each of the first ``show_seeds`` seeds' trained network at its best rate (the smallest
    final loss of that seed over the rates), legend outside the panel. Returns the Figure."""
    import matplotlib.pyplot as plt

    relative = sweep.losses / np.var(y)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=DPI, layout="constrained")
    curves = {f"rate {r:g}": relative[:, :, i].T for i, r in enumerate(sweep.learning_rates)}
    styles = {label: {"linestyle": style, "color": color} for label, (color, style) in zip(curves, LAYER_STYLES)}
    plotting.plot_curves(
        curves,
        x=sweep.steps,
        xlabel="Adam step",
        ylabel="MSE / Var(target)",
        ax=ax1,
        styles=styles,
        title="Training from random starts",
    )
    ax1.axhline(1.0, color="k", linestyle=(0, (1, 3)), linewidth=1.2)
    ax1.set_ylim(0, max(2.0, float(np.median(relative[0])) * 1.1))
    ax2.plot(x, y, "k", linewidth=2, label="target $t^4$\n(exact network)")
    for s, (color, style) in zip(range(show_seeds), LAYER_STYLES[1:] + LAYER_STYLES[:1]):
        r = int(np.argmin(sweep.losses[-1, s]))
        ax2.plot(x, ap.relu_network(ap.arm(sweep.net, s, r), x), color=color, linestyle=style, label=f"seed {s}")
    ax2.set(xlabel="x", ylabel="output", title="Each seed at its best rate", ylim=(-0.05, 1.1))
    ax2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig
