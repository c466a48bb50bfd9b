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
