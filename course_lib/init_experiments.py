r"""The experiments of chapter 10 (initialization), in NumPy.

* :func:`symmetry_gap` -- how different the units of each hidden layer are (0: identical units).
* :func:`signal_propagation` -- second moments of the pre-activations (forward) and of the deltas
  (backward) through a deep network at initialization, measured over seeds, with the mean-field
  theory of :func:`course_lib.propagation.mean_field` beside them.
* :func:`deep_linear_steps` -- full-batch gradient descent on a deep *linear* network
  P = W_1 W_2 ⋯ W_N fitted to a target matrix M, h = ½‖P − M‖²_F: the number of steps to a loss
  threshold, for every depth × seed × learning rate (Saxe et al. 2013), and :func:`fastest`, the
  best rate of each depth.
* :func:`product_singular_values` -- the singular values of W_1 ⋯ W_N at initialization (dynamical
  isometry: all equal to 1 for orthogonal layers).
* :func:`residual_growth` -- how much a stack of residual blocks x ← x + c ReLU(x) W multiplies the
  second moment of its input.

Conventions as in :mod:`course_lib.networks`: examples are rows, W_l of shape (n_in, n_out).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import initializers, networks, propagation
from course_lib.validation import check_scalar, check_seed

__all__ = [
    "symmetry_gap",
    "Propagation",
    "signal_propagation",
    "DeepLinear",
    "deep_linear_steps",
    "fastest",
    "product_singular_values",
    "residual_growth",
]


def symmetry_gap(net):
    r"""Per hidden layer l = 1..L−1, max_j of the largest |difference| between unit j and unit 1.

    A unit j of layer l is its incoming column W_l[:, j], its bias b_l[j] and its outgoing row
    W_{l+1}[j, :]; the gap is 0 exactly when all units of the layer are copies of each other (they
    then compute the same function and receive the same gradient). Returns an array of length L − 1.
    """
    net = networks.check_network(net)
    if net[0].W.ndim != 2:
        raise ValueError("net must be a single network (no stack axes)")
    gaps = []
    for layer, above in zip(net[:-1], net[1:]):
        incoming = np.abs(layer.W - layer.W[:, :1]).max()
        bias = np.abs(layer.b - layer.b[0]).max()
        outgoing = np.abs(above.W - above.W[:1, :]).max()
        gaps.append(max(incoming, bias, outgoing))
    return np.array(gaps)


class Propagation(NamedTuple):
    """:func:`signal_propagation`'s result: measured ``q``, ``r`` of shape (S, L) (seeds × layers) and
    ``theory`` (:class:`course_lib.propagation.MeanField`, arrays of length L)."""

    q: np.ndarray
    r: np.ndarray
    theory: propagation.MeanField


def signal_propagation(activation, initializer, weight_variance, *, depth=30, width=256, batch=256, seeds=(0, 1, 2)):
    r"""Forward and backward second moments through ``depth`` layers of ``width`` units at initialization.

    For each seed s: a network ``networks.init([width] * (depth + 1), activation, s, initializer)``
    (every layer width → width, the last one linear), a batch of ``batch`` standard-normal inputs x and
    standard-normal output gradients g (both from ``default_rng(s + 1000)``);
    q_l = mean a_l², r_l = mean δ_l² (:func:`course_lib.propagation.layer_moments`). ``theory`` is
    :func:`course_lib.propagation.mean_field` with σ_w² = ``weight_variance`` (n_in Var(W): 1 for
    Glorot with equal widths, 2 for He), q_1 = σ_w² and r_L = 1 (the expectations of the inputs).
    """
    depth = check_scalar("depth", depth, low=2, integer=True)
    width = check_scalar("width", width, low=1, integer=True)
    batch = check_scalar("batch", batch, low=2, integer=True)
    seeds = [check_seed(s, "seeds") for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    q, r = [], []
    for seed in seeds:
        net = networks.init([width] * (depth + 1), activation, seed, initializer)
        rng = np.random.default_rng(seed + 1000)
        x, g = rng.standard_normal((2, batch, width))
        measured = propagation.layer_moments(net, x, g)
        q.append(measured.q)
        r.append(measured.r)
    theory = propagation.mean_field(activation, weight_variance, weight_variance, depth)
    return Propagation(np.array(q), np.array(r), theory)


class DeepLinear(NamedTuple):
    """:func:`deep_linear_steps`'s result. ``steps[d, s, k]``: the first step at which depth
    ``depths[d]``, seed ``seeds[s]``, rate ``learning_rates[k]`` has h <= ``threshold`` (``inf`` if not
    within ``max_steps`` or diverged); ``initial_loss[d, s]``."""

    depths: tuple
    seeds: tuple
    learning_rates: np.ndarray
    steps: np.ndarray
    initial_loss: np.ndarray
    threshold: float
    max_steps: int


def _layer_shapes(n, width, depth):
    if depth == 1:
        return [(n, n)]
    return [(n, width)] + [(width, width)] * (depth - 2) + [(width, n)]


def _steps_to_threshold(W, target, eta, threshold, max_steps):
    """GD on stacks W (list of (A, ., .)) with per-arm rates eta (A,); first step with h <= threshold."""
    A, n = len(eta), target.shape[0]
    hit, alive, h0 = np.full(A, np.inf), np.arange(A), None
    eye = np.broadcast_to(np.eye(n), (A, n, n))
    with np.errstate(all="ignore"):
        for step in range(max_steps + 1):
            prefix = [eye[: alive.size]]  # prefix[k] = W_1 ⋯ W_k
            for w in W:
                prefix.append(prefix[-1] @ w)
            error = prefix[-1] - target
            h = 0.5 * np.sum(error**2, axis=(1, 2))
            if h0 is None:
                h0 = h.copy()
            done = h <= threshold
            hit[alive[done]] = step
            keep = ~done & np.isfinite(h) & (h < 1e6 * h0[alive])  # drop reached and diverged arms
            if not keep.any() or step == max_steps:
                break
            if not keep.all():
                W, error, prefix = [w[keep] for w in W], error[keep], [p[keep] for p in prefix]
                alive = alive[keep]
            suffix = eye[: alive.size]  # W_{k+1} ⋯ W_N, built from the top
            rate = eta[alive][:, None, None]
            new = [None] * len(W)
            for k in range(len(W) - 1, -1, -1):
                grad = np.swapaxes(prefix[k], 1, 2) @ error @ np.swapaxes(suffix, 1, 2)
                suffix = W[k] @ suffix
                new[k] = W[k] - rate * grad
            W = new
    return hit, h0


def deep_linear_steps(target, depths, initializer, learning_rates, seeds, *, width=None, max_steps=300, tolerance=0.01):
    r"""Steps of full-batch gradient descent until a deep linear network fits ``target`` (Saxe et al. 2013).

    The network maps x (a row of n = ``target.shape[0]`` inputs) to x W_1 W_2 ⋯ W_N: N = depth weight
    matrices, hidden layers of ``width`` units (default 2n; W_1 is n × width, W_N width × n). For
    whitened inputs (E[xᵀx] = I) the mean squared error is h = ½‖W_1 ⋯ W_N − M‖²_F, M = ``target``,
    whose gradient is ∂h/∂W_k = (W_1 ⋯ W_{k−1})ᵀ (P − M) (W_{k+1} ⋯ W_N)ᵀ. For each depth, seed and
    learning rate (one stack of seeds × rates per depth, the weights of seed s drawn layer by layer with
    ``default_rng(s)`` by ``initializer``), W_k ← W_k − α ∂h/∂W_k until h <= ``tolerance`` · ½‖M‖²_F.
    Returns :class:`DeepLinear`; :func:`fastest` picks each depth's best rate.
    """
    target = np.asarray(target, dtype=np.float64)
    if target.ndim != 2 or target.shape[0] != target.shape[1] or not np.all(np.isfinite(target)):
        raise ValueError(f"target must be a finite square matrix, got shape {target.shape}")
    n = target.shape[0]
    width = 2 * n if width is None else check_scalar("width", width, low=1, integer=True)
    depths = tuple(check_scalar("depths", d, low=1, integer=True) for d in depths)
    rates = np.asarray(learning_rates, dtype=np.float64)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"learning_rates must be a non-empty 1-D sequence of positive numbers, got {learning_rates!r}")
    seeds = tuple(check_seed(s, "seeds") for s in seeds)
    if not depths or not seeds:
        raise ValueError("depths and seeds must not be empty")
    max_steps = check_scalar("max_steps", max_steps, low=1, integer=True)
    tolerance = check_scalar("tolerance", tolerance, low=0.0, low_open=True)
    draw = initializers.get(initializer)
    threshold = tolerance * 0.5 * float(np.sum(target**2))
    S, R = len(seeds), rates.size
    steps, initial = np.empty((len(depths), S, R)), np.empty((len(depths), S))
    for d, depth in enumerate(depths):
        shapes = _layer_shapes(n, width, depth)
        per_seed = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            per_seed.append([np.asarray(draw(shape, rng), dtype=np.float64) for shape in shapes])
        W = [np.repeat(np.stack([layers[k] for layers in per_seed]), R, axis=0) for k in range(depth)]
        hit, h0 = _steps_to_threshold(W, target, np.tile(rates, S), threshold, max_steps)
        steps[d], initial[d] = hit.reshape(S, R), h0.reshape(S, R)[:, 0]
    return DeepLinear(depths, seeds, rates, steps, initial, threshold, max_steps)


def fastest(result):
    r"""Per depth, the rate with the fewest mean steps over seeds and those steps: (rate index (D,),
    steps (D, S)). A rate at which some seed did not reach the threshold has mean ``inf``; if every rate
    of a depth has, the index is −1 and the steps are ``inf``."""
    if not isinstance(result, DeepLinear):
        raise ValueError(f"result must be a DeepLinear, got {type(result).__name__}")
    mean = result.steps.mean(axis=1)  # (D, R)
    index = np.where(np.isfinite(mean).any(axis=1), np.argmin(mean, axis=1), -1)
    steps = np.full(result.steps.shape[:2], np.inf)
    for d, k in enumerate(index):
        if k >= 0:
            steps[d] = result.steps[d, :, k]
    return index, steps


def product_singular_values(initializer, depth, width, seed=0):
    r"""The singular values of W_1 ⋯ W_N, N = ``depth`` square ``width`` × ``width`` layers drawn by
    ``initializer`` with ``default_rng(seed)``: the input-output Jacobian of a deep linear network.

    Orthogonal layers give a product whose singular values are all 1 (dynamical isometry); Gaussian
    layers of variance 1/width keep the mean squared singular value near 1 but spread the singular
    values over many orders of magnitude as N grows. Returns them in decreasing order.
    """
    depth = check_scalar("depth", depth, low=1, integer=True)
    width = check_scalar("width", width, low=1, integer=True)
    draw = initializers.get(initializer)
    rng = np.random.default_rng(check_seed(seed))
    product = np.eye(width)
    for _ in range(depth):
        product = product @ np.asarray(draw((width, width), rng), dtype=np.float64)
    return np.linalg.svd(product, compute_uv=False)


def residual_growth(blocks, width, branch_scale=1.0, batch=256, seed=0):
    r"""E[x_L²] / E[x_0²] for L = ``blocks`` residual blocks x_{l+1} = x_l + c ReLU(x_l) W_l.

    W_l are He-uniform (Var = 2/``width``), c = ``branch_scale``, x_0 a (``batch``, ``width``) array of
    standard normals, all drawn from ``default_rng(seed)``. In expectation each block multiplies the
    second moment by 1 + c² (the branch adds c² · 2 · E[ReLU(x)²] = c² E[x²], uncorrelated with x):
    2^L for c = 1, (1 + 1/L)^L < e for c = 1/√L (chapter 10).
    """
    blocks = check_scalar("blocks", blocks, low=1, integer=True)
    width = check_scalar("width", width, low=1, integer=True)
    batch = check_scalar("batch", batch, low=1, integer=True)
    branch_scale = check_scalar("branch_scale", branch_scale, low=0.0)
    rng = np.random.default_rng(check_seed(seed))
    x0 = rng.standard_normal((batch, width))
    x = x0
    for _ in range(blocks):
        x = x + branch_scale * (np.maximum(x, 0.0) @ initializers.he_uniform((width, width), rng))
    return float(np.mean(x**2) / np.mean(x0**2))
