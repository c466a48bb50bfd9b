"""Tests for course_lib.region_plots: one filled polygon per region, colours fixed by the seed,
labelled axes, argument checks."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from course_lib import region_plots
from course_lib import relu_regions as rr


def _regions(seed=0):
    net = rr.random_relu_layers(2, (6, 4), np.random.default_rng(seed))
    return rr.activation_regions_2d(net)


def test_one_polygon_per_region_with_labels_and_title():
    regions = _regions()
    ax = region_plots.plot_regions(regions, title="random net")
    (collection,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(collection.get_paths()) == len(regions)
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert ax.get_title() == "random net"
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_ylim() == (-1.0, 1.0)


def test_colours_depend_only_on_the_seed():
    regions = _regions()
    colours = [region_plots.plot_regions(regions, seed=s).collections[0].get_facecolors() for s in (3, 3, 4)]
    np.testing.assert_array_equal(colours[0], colours[1])
    assert not np.array_equal(colours[0], colours[2])


@pytest.mark.parametrize("bad", [[], "regions", [np.zeros((3, 2))]])
def test_bad_regions_raise(bad):
    with pytest.raises(ValueError, match="^regions"):
        region_plots.plot_regions(bad)


def test_every_region_gets_a_distinct_colour():
    regions = _regions()
    colours = region_plots.plot_regions(regions).collections[0].get_facecolors()
    assert len({tuple(np.round(c, 6)) for c in colours}) == len(regions)


def test_layer_boundaries_one_style_per_layer():
    from matplotlib.collections import LineCollection

    net = rr.random_relu_layers(2, (3, 3, 3), np.random.default_rng(9))
    ax = region_plots.plot_layer_boundaries(net)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 3
    assert [len(c.get_segments()) for c in lines] == [len(s) for s in rr.layer_boundaries_2d(net)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"layer {l} switches" for l in (1, 2, 3)]
    styles = {str(c.get_linestyle()) for c in lines}
    assert len(styles) == 3


def test_chapter_figures_draw_their_series():
    from course_lib import approximation as ap

    fig = region_plots.plot_tent(np.arange(1, 5), 2 ** np.arange(1, 5), 2 ** np.arange(1, 5))
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 3
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), fig.axes[1].lines[1].get_ydata())
    ax = region_plots.plot_square([3, 6], [1 / 16, 1 / 64], [2, 4], [1 / 16, 1 / 64])
    assert ax.get_xscale() == "log" and len(ax.lines) == 2
    ax = region_plots.plot_square([3, 6], [1 / 16, 1 / 64], [2, 4], [1 / 16, 1 / 64], [1, 3], [1 / 18, 1 / 98])
    assert len(ax.lines) == 3 and list(ax.lines[1].get_xdata()) == [1, 3]
    fig = region_plots.plot_bump()
    assert len(fig.axes) == 3  # two panels and the colour bar
    fig = region_plots.plot_interpolant(np.sin, np.linspace(0, 3, 5), np.array([4, 8]), [0.1, 0.03], [0.2, 0.05])
    assert fig.axes[1].get_yscale() == "log"
    counts = {"(4,)": np.array([10, 11]), "(2, 2)": np.array([5, 6])}
    ax = region_plots.plot_region_counts(
        counts, {"(2, 2)": np.array([7, 8])}, {"(4,)": 11, "(2, 2)": 12}, {"(4,)": 11, "(2, 2)": 9}
    )
    assert ax.get_yscale() == "log" and len(ax.get_legend().get_texts()) == 4
    x = np.linspace(0, 1, 9)[:, None]
    sweep = ap.fit_sweep([ap.tent_map_network(1)] * 2, x, ap.tent_map(x, 1), [0.01], steps=4, record_every=2)
    fig = region_plots.plot_training(
        {"a": sweep.losses[:, :, 0].T + [[1e-3], [2e-3]]},
        sweep.steps,
        {"a": [1e-3, 2e-3], "b": [3e-3, 1e-3]},
        reference=1e-3,
        reference_label="ref",
    )
    assert fig.axes[0].get_yscale() == "log"
    fig = region_plots.plot_training(
        {"a": np.array([[1.0, 0.5], [1.0, 0.4], [1.0, 0.6], [1.0, 0.9]])},
        [0, 1],
        {"a": [0.5, 0.4, 0.6, 0.9]},
        separate={"a": np.array([False, False, False, True])},
    )
    median, stuck = fig.axes[0].lines[:2]
    np.testing.assert_allclose(median.get_ydata(), [1.0, 0.5])  # the median of the three kept seeds
    np.testing.assert_allclose(stuck.get_ydata(), [1.0, 0.9])  # the separated seed, its own line
    fig = region_plots.plot_tent_training(sweep, x, ap.tent_map(x, 1), show_seeds=2)
    assert len(fig.axes[1].lines) == 3


def test_region_grid_has_one_panel_per_entry():
    regions = _regions()
    fig = region_plots.plot_region_grid({"a": regions, "b": regions[:3], "c": regions}, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"]
    assert len(visible[1].collections[0].get_paths()) == 3
    with pytest.raises(ValueError, match="^panels"):
        region_plots.plot_region_grid({})
