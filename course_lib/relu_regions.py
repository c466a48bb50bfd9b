r"""The geometry of ReLU networks: linear pieces in 1-D, activation regions in 2-D, bounds (chapter 03).

Networks are :mod:`course_lib.networks` networks (``Dense(W, b, activation)`` layers, Keras's
convention), ReLU on the hidden layers and a linear output; the plain ``[(W_1, b_1), ...]`` lists of
:func:`course_lib.approximation.as_network` are accepted too. Outputs are evaluated by ``networks.forward``
(through :func:`course_lib.approximation.relu_network`); the pattern logic is this module's own. On the set of inputs
where the *activation pattern* (which hidden units are positive) is fixed, the network is affine:
with D_l(x) = diag(1[a_l(x) > 0]) the 0/1 mask of layer l,

.. math:: f(x) = W_L^\top D_{L-1} W_{L-1}^\top \cdots D_1 (W_1^\top x + b_1) + \dots + b_L .

* :func:`activation_patterns` -- the 0/1 pattern of every hidden unit on a batch of inputs.
* :func:`pattern_breakpoints_1d` / :func:`linear_pieces_1d` / :func:`count_linear_pieces` -- exact
  breakpoints of a network with one input on [lo, hi], found layer by layer (no grid): where some
  unit's pre-activation changes sign, and the maximal intervals on which the output is affine.
* :func:`activation_regions_2d` -- the exact partition of a rectangle into convex polygons of constant
  activation pattern (each layer's lines cut the previous layer's polygons), with the output's affine
  map on each; :func:`layer_boundaries_2d` -- the segments where each layer's units switch (folding).
* Bounds on the number of regions of a network with n_0 inputs and hidden widths n_1, ..., n_L:
  :func:`zaslavsky_count` (one layer, hyperplanes in general position), :func:`serra_upper_bound`
  (Serra et al. 2018), :func:`montufar_lower_bound` (Montúfar et al. 2014, the best network's count).
* :func:`random_relu_layers` -- Gaussian random networks (He-scaled weights, Gaussian biases).
"""

from __future__ import annotations

import itertools
from math import comb
from typing import NamedTuple

import numpy as np

from course_lib.approximation import as_network, relu_network
from course_lib.validation import check_scalar

__all__ = [
    "activation_patterns",
    "pattern_breakpoints_1d",
    "linear_pieces_1d",
    "count_linear_pieces",
    "Region",
    "activation_regions_2d",
    "layer_boundaries_2d",
    "linear_region_count",
    "zaslavsky_count",
    "serra_upper_bound",
    "montufar_lower_bound",
    "random_relu_layers",
    "region_counts",
    "hidden_widths",
]


def _pairs(net, input_dim=None):
    """The (W, b) pairs of a ReLU network (ReLU hidden layers, linear output), checked."""
    net = as_network(net, "layers")
    if any(layer.W.ndim != 2 for layer in net):
        raise ValueError("layers must be a single network (no stack axes)")
    if any(layer.activation != "relu" for layer in net[:-1]) or net[-1].activation != "linear":
        raise ValueError("layers must have ReLU hidden layers and a linear output")
    if input_dim is not None and net[0].W.shape[0] != input_dim:
        raise ValueError(f"layers must take {input_dim} inputs, got {net[0].W.shape[0]}")
    return [(layer.W, layer.b) for layer in net]


def hidden_widths(layers):
    """Widths n_1, ..., n_{L-1} of the hidden layers (a tuple)."""
    return tuple(W.shape[1] for W, _ in _pairs(layers)[:-1])


def activation_patterns(layers, x):
    r"""0/1 array (n, n_1 + ... + n_{L-1}): which hidden units have a positive pre-activation at x.

    Unit order: layer 1's units, then layer 2's, ... A pre-activation of exactly 0 counts as off
    (ReLU'(0) = 0, TensorFlow's convention).
    """
    layers = _pairs(layers)
    n0 = layers[0][0].shape[0]
    h = np.asarray(x, dtype=np.float64)
    h = h[:, None] if (n0 == 1 and h.ndim == 1) else h
    if h.ndim != 2 or h.shape[1] != n0:
        raise ValueError(f"x must have shape (n, {n0}), got shape {h.shape}")
    bits = []
    for W, b in layers[:-1]:
        a = h @ W + b
        bits.append(a > 0)
        h = np.maximum(a, 0.0)
    if not bits:
        return np.zeros((h.shape[0], 0), dtype=np.int8)
    return np.concatenate(bits, axis=1).astype(np.int8)


def _check_interval(lo, hi):
    lo = check_scalar("lo", lo)
    hi = check_scalar("hi", hi)
    if not hi > lo:
        raise ValueError(f"hi must be > lo, got lo={lo}, hi={hi}")
    return lo, hi


def _preactivations(layers, points, depth):
    """Pre-activations of hidden layer ``depth`` (1-based) at 1-D ``points``."""
    h = points[:, None]
    for W, b in layers[: depth - 1]:
        h = np.maximum(h @ W + b, 0.0)
    W, b = layers[depth - 1]
    return h @ W + b


def pattern_breakpoints_1d(layers, lo, hi):
    r"""Sorted points lo = p_0 < p_1 < ... < p_m = hi where some hidden unit switches on or off.

    Exact up to rounding, no grid: on each interval between the current points the pre-activations
    of the next layer are affine (every earlier unit has a fixed sign there), so each sign change is
    located by linear interpolation between the interval's ends and added as a new point. Between
    consecutive points the activation pattern is constant: there are m activation regions.
    """
    layers = _pairs(layers, input_dim=1)
    lo, hi = _check_interval(lo, hi)
    points = np.array([lo, hi])
    for depth in range(1, len(layers)):
        a = _preactivations(layers, points, depth)
        scale = np.max(np.abs(a), axis=0, keepdims=True) + 1e-300
        a = np.where(np.abs(a) <= 1e-12 * scale, 0.0, a)  # rounding noise at a kink counts as 0
        left, right = a[:-1], a[1:]
        crossing = left * right < 0
        j, _ = np.nonzero(crossing)
        t = left[crossing] / (left[crossing] - right[crossing])
        new = points[j] + t * (points[j + 1] - points[j])
        points = np.unique(np.concatenate([points, new]))
        gap = np.diff(points) > 1e-12 * (hi - lo)  # merge duplicates found twice
        points = np.concatenate([points[:1], points[1:][gap]])
        points[-1] = hi
    return points


def linear_pieces_1d(layers, lo, hi, rtol=1e-9):
    r"""Boundaries lo = q_0 < ... < q_P = hi of the P maximal intervals on which the network is affine.

    Starts from :func:`pattern_breakpoints_1d` and drops every breakpoint where the output's slope
    (all outputs) does not change, up to ``rtol`` relative to the largest slope: a unit switching
    can leave the output unchanged (a dead path). The number of linear pieces is ``len(q) - 1``.
    """
    points = pattern_breakpoints_1d(layers, lo, hi)
    rtol = check_scalar("rtol", rtol, low=0.0)
    y = relu_network(layers, points)
    slopes = np.diff(y, axis=0) / np.diff(points)[:, None]
    tol = rtol * (np.max(np.abs(slopes)) + 1.0)
    kink = np.any(np.abs(np.diff(slopes, axis=0)) > tol, axis=1)
    return np.concatenate([points[:1], points[1:-1][kink], points[-1:]])


def count_linear_pieces(layers, lo, hi):
    """The number of maximal intervals of [lo, hi] on which the network is affine (an int)."""
    return len(linear_pieces_1d(layers, lo, hi)) - 1


class Region(NamedTuple):
    """One activation region: a convex polygon (vertices in order, shape (m, 2)), its 0/1 pattern, and
    the network's affine map there, f(x) = x @ ``weights`` + ``bias`` (``weights`` (2, n_L), ``bias`` (n_L,))."""

    vertices: np.ndarray
    pattern: tuple
    weights: np.ndarray
    bias: np.ndarray


def _area(v):
    x, y = v[:, 0], v[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _split(v, f):
    """Cut the convex polygon ``v`` by the line f = 0 (f: values of an affine function at the
    vertices); returns the parts where f >= 0 and f <= 0 (each None if empty)."""
    pos, neg = [], []
    m = len(v)
    for i in range(m):
        j = (i + 1) % m
        if f[i] >= 0:
            pos.append(v[i])
        if f[i] <= 0:
            neg.append(v[i])
        if f[i] * f[j] < 0:
            point = v[i] + (f[i] / (f[i] - f[j])) * (v[j] - v[i])
            pos.append(point)
            neg.append(point)
    as_polygon = lambda p: np.array(p) if len(p) >= 3 else None  # noqa: E731
    return as_polygon(pos), as_polygon(neg)


def _refine(layers, box, min_area):
    """Cut ``box`` layer by layer; returns the final pieces (polygon, pattern, A, c) and, per hidden
    layer, the segments along which its units switch (each a (2, 2) array of end points)."""
    x_lo, x_hi, y_lo, y_hi = (check_scalar("box", v) for v in box)
    if not (x_hi > x_lo and y_hi > y_lo):
        raise ValueError(f"box must be (x_lo, x_hi, y_lo, y_hi) with lo < hi, got {box!r}")
    min_area = check_scalar("min_area", min_area, low=0.0) * (x_hi - x_lo) * (y_hi - y_lo)
    square = np.array([[x_lo, y_lo], [x_hi, y_lo], [x_hi, y_hi], [x_lo, y_hi]])
    # each entry: (polygon, pattern so far, A, c) with the current layer's output h = x A + c
    pieces, segments = [(square, (), np.eye(2), np.zeros(2))], []
    for W, b in layers[:-1]:
        refined, cuts = [], []
        for v, pattern, A, c in pieces:
            M, d = A @ W, c @ W + b  # pre-activations a = x M + d on this polygon
            parts = [v]
            values = v @ M + d
            scale = np.abs(values).max(axis=0) + np.abs(d) + 1e-300
            cut = np.nonzero((values.max(axis=0) > 1e-12 * scale) & (values.min(axis=0) < -1e-12 * scale))[0]
            for unit in cut:
                new_parts = []
                for p in parts:
                    f = p @ M[:, unit] + d[unit]
                    if f.max() > 0 and f.min() < 0:
                        pos, neg = _split(p, f)
                        new_parts += [q for q in (pos, neg) if q is not None and _area(q) > min_area]
                        if pos is not None and neg is not None:
                            cuts.append(_common_edge(pos, neg))
                    else:
                        new_parts.append(p)
                parts = new_parts
            for p in parts:
                on = (p.mean(axis=0) @ M + d) > 0  # the centroid is inside: its signs are the part's
                refined.append((p, pattern + tuple(int(s) for s in on), A @ W * on, (c @ W + b) * on))
        pieces = refined
        segments.append([s for s in cuts if s is not None])
    return pieces, segments


def _common_edge(pos, neg):
    """The cut segment shared by the two halves of a split polygon (points that are in both)."""
    shared = [p for p in pos if np.min(np.abs(neg - p).sum(axis=1)) < 1e-12 * (1.0 + np.abs(p).sum())]
    return np.array(shared[:2]) if len(shared) >= 2 else None


def activation_regions_2d(layers, box=(-1.0, 1.0, -1.0, 1.0), min_area=1e-12):
    r"""The activation regions of a network with two inputs inside ``box`` = (x_lo, x_hi, y_lo, y_hi).

    Exact polygon arithmetic (no grid): start from the rectangle; for hidden layer l, on each polygon
    of the current partition the network's layer-(l−1) output is affine, h = x A + c, so the unit
    pre-activations a = x (A W_l) + (c W_l + b_l) are affine there; every unit whose sign changes over
    the polygon cuts it along a straight line. Pieces thinner than ``min_area`` (relative to the box;
    rounding slivers where a line passes through a vertex) are dropped. Returns a list of
    :class:`Region` (with the output's affine map x ↦ x (A W_L) + (c W_L + b_L) on each); their number
    is the count of activation regions in the box (which can exceed the number of *linear* regions:
    neighbouring patterns may share one affine map).
    """
    layers = _pairs(layers, input_dim=2)
    pieces, _ = _refine(layers, box, min_area)
    W, b = layers[-1]
    return [Region(v, pattern, A @ W, c @ W + b) for v, pattern, A, c in pieces]


def layer_boundaries_2d(layers, box=(-1.0, 1.0, -1.0, 1.0)):
    r"""Per hidden layer l, the segments inside ``box`` where one of its units switches (a_l = 0).

    Layer 1's segments lie on straight lines across the box; layer l's are straight inside each
    region of layers 1..l−1 and bend where they cross an earlier boundary: the folding of depth.
    Returns a list (one entry per hidden layer) of lists of (2, 2) arrays (the two end points).
    """
    return _refine(_pairs(layers, input_dim=2), box, 1e-12)[1]


def linear_region_count(regions, decimals=9):
    r"""The number of linear regions formed by ``regions`` (from :func:`activation_regions_2d`).

    Two activation regions are merged when they share an edge (two common vertices) and carry the
    same affine map (weights and bias equal after rounding to ``decimals``); the count is the number of
    connected groups (union-find). At most ``len(regions)``: a unit can switch without changing the
    output (a dead path), so there can be fewer linear regions than activation regions.
    """
    if not isinstance(regions, (list, tuple)) or not all(isinstance(r, Region) for r in regions):
        raise ValueError("regions must be a list of Region")
    decimals = check_scalar("decimals", decimals, low=0, integer=True)
    keys = [tuple(np.round(np.concatenate([r.weights.ravel(), r.bias.ravel()]), decimals)) for r in regions]
    parent = list(range(len(regions)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scale = 1e-9 * (1.0 + max(float(np.abs(r.vertices).max()) for r in regions)) if regions else 0.0
    for i, j in itertools.combinations(range(len(regions)), 2):
        if keys[i] != keys[j]:
            continue
        distances = np.abs(regions[i].vertices[:, None, :] - regions[j].vertices[None, :, :]).sum(axis=2)
        if np.sum(distances.min(axis=1) < scale) >= 2:
            parent[root(i)] = root(j)
    return len({root(i) for i in range(len(regions))})


def zaslavsky_count(n, n0):
    r"""Regions of R^{n_0} cut by n hyperplanes in general position: Σ_{j=0}^{n_0} C(n, j).

    The exact count of activation regions of a one-hidden-layer network with n units whose
    hyperplanes are in general position (Zaslavsky 1975), and the maximum for one hidden layer.
    """
    n = check_scalar("n", n, low=0, integer=True)
    n0 = check_scalar("n0", n0, low=1, integer=True)
    return sum(comb(n, j) for j in range(n0 + 1))


def _check_widths(widths):
    if isinstance(widths, (int, np.integer)):
        widths = (widths,)
    widths = tuple(check_scalar("widths", w, low=1, integer=True) for w in widths)
    if not widths:
        raise ValueError("widths must list at least one hidden layer")
    return widths


def serra_upper_bound(n0, widths):
    r"""Serra, Tjandraatmadja & Ramalingam (2018), Theorem 1: at most

    .. math:: \sum_{(j_1, \dots, j_L) \in J} \prod_{l=1}^{L} \binom{n_l}{j_l}, \quad
              J = \{0 \le j_l \le \min(n_0, n_1 - j_1, \dots, n_{l-1} - j_{l-1}, n_l)\}

    activation regions for a ReLU network with n_0 inputs and hidden widths n_1, ..., n_L. For
    L = 1 it is :func:`zaslavsky_count`; for n_0 = 1 it is Π_l (n_l + 1), exact in 1-D.
    """
    n0 = check_scalar("n0", n0, low=1, integer=True)
    widths = _check_widths(widths)
    total = 0
    # enumerate j_1..j_L with the running cap min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1})
    stack = [(0, n0, 1)]  # (layer index, cap on j_l from earlier layers, product so far)
    while stack:
        l, cap, product = stack.pop()
        if l == len(widths):
            total += product
            continue
        n = widths[l]
        for j in range(min(cap, n) + 1):
            stack.append((l + 1, min(cap, n - j), product * comb(n, j)))
    return total


def montufar_lower_bound(n0, widths):
    r"""Montúfar, Pascanu, Cho & Bengio (2014): some network with hidden widths n_l ≥ n_0 has at least

    .. math:: \Bigl(\prod_{l=1}^{L-1} \lfloor n_l / n_0 \rfloor^{n_0}\Bigr) \sum_{j=0}^{n_0} \binom{n_L}{j}

    linear regions (the layers fold the input space onto itself ⌊n_l/n_0⌋ times per direction). A
    statement about the best weights, not about random or trained ones.
    """
    n0 = check_scalar("n0", n0, low=1, integer=True)
    widths = _check_widths(widths)
    if min(widths) < n0:
        raise ValueError(f"widths must all be >= n0 = {n0} for this bound, got {widths}")
    product = 1
    for n in widths[:-1]:
        product *= (n // n0) ** n0
    return product * zaslavsky_count(widths[-1], n0)


def random_relu_layers(n0, widths, rng, bias_std=0.5, n_outputs=1):
    r"""A random ReLU network: W_l ~ N(0, 2/n_{l−1}) (He), b_l ~ N(0, ``bias_std``²), linear output.

    ``rng`` a ``numpy.random.Generator``. Nonzero biases put the hidden units' boundaries at random
    offsets (with zero biases every first-layer boundary passes through the origin).
    """
    n0 = check_scalar("n0", n0, low=1, integer=True)
    widths = _check_widths(widths)
    bias_std = check_scalar("bias_std", bias_std, low=0.0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    sizes = (n0,) + widths + (check_scalar("n_outputs", n_outputs, low=1, integer=True),)
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        layers.append((W, rng.normal(0.0, bias_std, size=n_out)))
    return as_network(layers)


def region_counts(widths, seeds, box=(-1.0, 1.0, -1.0, 1.0), bias_std=0.5):
    """The number of activation regions in ``box`` of :func:`random_relu_layers` (2 inputs, hidden
    ``widths``), one count per seed (``numpy.random.default_rng(seed)``): an int array."""
    widths = _check_widths(widths)
    return np.array(
        [
            len(activation_regions_2d(random_relu_layers(2, widths, np.random.default_rng(seed), bias_std), box))
            for seed in seeds
        ]
    )
