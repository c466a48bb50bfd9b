r"""Figures of the geometry of ReLU networks (chapter 03).

* :func:`plot_regions` -- the activation regions of a network with two inputs
  (:func:`course_lib.relu_regions.activation_regions_2d`), one colour per activation pattern.

Returns the Axes and accepts ``ax=`` to draw into an existing panel, like :mod:`course_lib.plotting`.
"""

from __future__ import annotations

import numpy as np

from course_lib.relu_regions import Region

__all__ = ["plot_regions"]


def plot_regions(regions, ax=None, title="", cmap="tab20", seed=0, edgecolor="0.2"):
    r"""Fill each :class:`~course_lib.relu_regions.Region` polygon with its own colour.

    Colours cycle through the qualitative colormap ``cmap`` in an order shuffled by ``seed`` (so
    neighbouring regions rarely share a colour, and the same call always gives the same figure);
    region boundaries are drawn as thin ``edgecolor`` lines. Axes are x₁, x₂ with equal aspect.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if not isinstance(regions, (list, tuple)) or not regions:
        raise ValueError("regions must be a non-empty list of Region")
    if not all(isinstance(r, Region) for r in regions):
        raise ValueError("regions must be a non-empty list of Region")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.0, 4.0))
    colors = plt.get_cmap(cmap)(np.linspace(0.0, 1.0, 20))
    order = np.random.default_rng(seed).permutation(len(regions)) % len(colors)
    polygons = [r.vertices for r in regions]
    ax.add_collection(PolyCollection(polygons, facecolors=colors[order], edgecolors=edgecolor, linewidths=0.3))
    points = np.concatenate(polygons)
    ax.set_xlim(points[:, 0].min(), points[:, 0].max())
    ax.set_ylim(points[:, 1].min(), points[:, 1].max())
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    ax.set_title(title)
    return ax
