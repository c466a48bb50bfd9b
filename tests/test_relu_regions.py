"""Tests for course_lib.relu_regions: exact 1-D breakpoints and pieces (tent map, interpolants,
random deep nets checked against dense sampling), exact 2-D regions (Zaslavsky's count, a partition
of the box, patterns checked against direct evaluation and a grid), the region bounds, arguments."""

import math

import numpy as np
import pytest

from course_lib import approximation as ap
from course_lib import relu_regions as rr


@pytest.mark.parametrize("k", [1, 2, 4, 7, 10])
def test_tent_map_has_exactly_2_to_the_k_pieces(k):
    net = ap.tent_map_network(k)
    q = rr.linear_pieces_1d(net, 0.0, 1.0)
    assert len(q) - 1 == rr.count_linear_pieces(net, 0.0, 1.0) == 2**k
    np.testing.assert_array_equal(q, np.arange(2**k + 1) / 2**k)


def test_pieces_of_simple_networks():
    one = [(np.ones((1, 1)), np.zeros(1)), (np.ones((1, 1)), np.zeros(1))]  # ReLU(x)
    assert len(rr.linear_pieces_1d(one, -1, 1)) - 1 == 2
    assert len(rr.linear_pieces_1d(one, 0.5, 2)) - 1 == 1
    knots = np.array([0.0, 0.3, 0.5, 0.9, 1.0])
    net = ap.hat_interpolant(knots, [0.0, 1.0, -1.0, 2.0, 0.0])
    np.testing.assert_allclose(rr.linear_pieces_1d(net, 0, 1), knots, atol=1e-15)
    # a unit that switches but whose output weight is 0 is an activation breakpoint, not a kink
    dead = [(np.array([[1.0, 1.0]]), np.array([0.0, -0.5])), (np.array([[1.0], [0.0]]), np.zeros(1))]
    assert len(rr.pattern_breakpoints_1d(dead, -1, 1)) == 4
    assert len(rr.linear_pieces_1d(dead, -1, 1)) == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_deep_net_is_affine_between_the_breakpoints(seed):
    rng = np.random.default_rng(seed)
    net = rr.random_relu_layers(1, (6, 5, 4), rng)
    q = rr.pattern_breakpoints_1d(net, -2, 2)
    for a, b in zip(q[:-1], q[1:]):
        x = np.linspace(a, b, 7)[1:-1]  # interior points share one pattern, the output is affine
        pats = rr.activation_patterns(net, x)
        assert (pats == pats[0]).all()
        y = ap.relu_network(net, x)[:, 0]
        assert np.max(np.abs(np.diff(y, 2))) < 1e-10 * (1 + np.max(np.abs(y)))
    mids = 0.5 * (q[:-1] + q[1:])
    pats = rr.activation_patterns(net, mids)
    pattern_change = np.sum(np.any(pats[1:] != pats[:-1], axis=1))
    assert pattern_change == len(q) - 2  # every breakpoint changes the pattern
    # and a dense grid finds no pattern change the exact method missed
    grid = np.linspace(-2, 2, 200001)
    g = rr.activation_patterns(net, grid)
    changes = np.sum(np.any(g[1:] != g[:-1], axis=1))
    assert changes <= len(q) - 2


def test_one_hidden_layer_in_a_huge_box_gives_zaslavskys_count():
    rng = np.random.default_rng(0)
    for n in (1, 3, 10, 25):
        net = rr.random_relu_layers(2, (n,), rng)
        regions = rr.activation_regions_2d(net, box=(-1e4, 1e4, -1e4, 1e4), min_area=0.0)
        assert len(regions) == rr.zaslavsky_count(n, 2) == 1 + n + n * (n - 1) // 2


@pytest.mark.parametrize("widths", [(8,), (6, 6), (4, 4, 4)])
def test_regions_partition_the_box_with_the_right_patterns(widths):
    rng = np.random.default_rng(5)
    net = rr.random_relu_layers(2, widths, rng)
    regions = rr.activation_regions_2d(net, box=(-1, 2, -1, 1))
    areas = [rr._area(r.vertices) for r in regions]
    assert sum(areas) == pytest.approx(6.0, rel=1e-12)
    patterns = [r.pattern for r in regions]
    assert len(set(patterns)) == len(patterns)  # a pattern's region is convex: one polygon
    centroids = np.array([r.vertices.mean(axis=0) for r in regions])
    np.testing.assert_array_equal(rr.activation_patterns(net, centroids), np.array(patterns))
    g = np.stack(np.meshgrid(np.linspace(-1, 2, 301), np.linspace(-1, 1, 201)), -1).reshape(-1, 2)
    seen = {tuple(p) for p in rr.activation_patterns(net, g)}
    assert seen <= set(patterns) and len(seen) >= 0.8 * len(patterns)
    assert len(regions) <= rr.serra_upper_bound(2, widths)


def test_bounds_golden_values():
    assert rr.zaslavsky_count(4, 2) == 11
    assert rr.serra_upper_bound(2, (4,)) == 11
    assert rr.serra_upper_bound(1, (2, 2, 2)) == 27  # (n + 1)^L in 1-D
    assert rr.serra_upper_bound(1, (3, 5)) == 24
    assert rr.montufar_lower_bound(2, (4, 4)) == 4 * 11
    assert rr.montufar_lower_bound(1, (2, 2, 2)) == 2 * 2 * 3
    # L = 2, n0 = 2, widths (2, 3): j1 <= 2; j2 <= min(2, 2 - j1, 3)
    expected = sum(math.comb(2, j1) * math.comb(3, j2) for j1 in range(3) for j2 in range(min(2, 2 - j1) + 1))
    assert rr.serra_upper_bound(2, (2, 3)) == expected == 1 * 7 + 2 * 4 + 1 * 1
    for widths in [(4, 4), (6, 6, 6), (8, 8, 8, 8)]:
        assert rr.montufar_lower_bound(2, widths) <= rr.serra_upper_bound(2, widths)
        assert rr.serra_upper_bound(2, widths) <= 2 ** sum(widths)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rr.linear_pieces_1d(ap.tent_map_network(2), 1.0, 0.0), "hi"),
        (lambda: rr.linear_pieces_1d([(np.ones((2, 1)), np.ones(1))], 0, 1), "layers"),
        (lambda: rr.activation_regions_2d(ap.tent_map_network(2)), "layers"),
        (
            lambda: rr.activation_regions_2d(rr.random_relu_layers(2, 3, np.random.default_rng(0)), box=(1, 0, 0, 1)),
            "box",
        ),
        (lambda: rr.activation_patterns(ap.tent_map_network(1), np.ones((3, 2))), "x"),
        (lambda: rr.serra_upper_bound(0, (3,)), "n0"),
        (lambda: rr.serra_upper_bound(2, ()), "widths"),
        (lambda: rr.montufar_lower_bound(3, (2, 4)), "widths"),
        (lambda: rr.random_relu_layers(2, (3,), rng=0), "rng"),
        (lambda: rr.random_relu_layers(2, (3,), np.random.default_rng(0), bias_std=-1), "bias_std"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        call()


@pytest.mark.parametrize("widths", [(5,), (4, 3), (3, 3, 3)])
def test_each_region_carries_the_networks_affine_map(widths):
    net = rr.random_relu_layers(2, widths, np.random.default_rng(4))
    for region in rr.activation_regions_2d(net):
        inside = region.vertices.mean(axis=0) * 0.5 + region.vertices * 0.5  # points of the polygon
        np.testing.assert_allclose(
            inside @ region.weights + region.bias, ap.relu_network(net, inside), rtol=1e-10, atol=1e-12
        )


def test_layer_boundaries_lie_where_the_layers_units_are_zero():
    net = rr.random_relu_layers(2, (4, 4), np.random.default_rng(1))
    first, second = rr.layer_boundaries_2d(net)
    W, b = net[0].W, net[0].b
    for segment in first:  # layer 1: on one of its straight lines
        a = segment @ W + b
        assert np.any(np.all(np.abs(a) < 1e-9, axis=0))
    h = np.maximum(np.concatenate(second) @ W + b, 0.0)
    a2 = h @ net[1].W + net[1].b  # layer 2: some unit's pre-activation is 0 at both ends
    assert np.all(np.min(np.abs(a2), axis=1) < 1e-9)
    assert len(first) >= 4 and len(second) >= 1


def test_linear_regions_merge_patterns_that_leave_the_output_unchanged():
    rng = np.random.default_rng(2)
    net = rr.random_relu_layers(2, (6,), rng)
    regions = rr.activation_regions_2d(net, box=(-1e3, 1e3, -1e3, 1e3), min_area=0.0)
    assert rr.linear_region_count(regions) == len(regions) == rr.zaslavsky_count(6, 2)
    muted = [net[0], net[1]._replace(W=np.concatenate([net[1].W[:5], [[0.0]]]))]  # unit 6 unseen
    regions = rr.activation_regions_2d(muted, box=(-1e3, 1e3, -1e3, 1e3), min_area=0.0)
    assert len(regions) == rr.zaslavsky_count(6, 2)
    assert rr.linear_region_count(regions) == rr.zaslavsky_count(5, 2)


def test_region_counts_match_a_direct_count():
    counts = rr.region_counts((5, 4), seeds=[3, 7])
    direct = [len(rr.activation_regions_2d(rr.random_relu_layers(2, (5, 4), np.random.default_rng(s)))) for s in (3, 7)]
    np.testing.assert_array_equal(counts, direct)
