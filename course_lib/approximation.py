r"""Universal approximation made executable: ReLU networks written by hand, and trained (chapter 03).

A network is a :mod:`course_lib.networks` network, a list of ``networks.Dense(W, b, activation)``
(Keras's convention: ``W`` of shape (n_in, n_out), rows are examples), ReLU on the hidden layers and a
linear output. :func:`as_network` also accepts the plain list ``[(W_1, b_1), ..., (W_L, b_L)]`` that
the chapter's exercises write, and reads it with that convention; every evaluation goes through
``networks.forward`` (the course's one forward pass).

* :func:`relu_network` -- the output of such a network on a batch, float64.
* :func:`hat_interpolant` -- one hidden layer, no training: the continuous piecewise-linear
  interpolant of data (x_i, y_i),

  .. math:: f_N(x) = y_0 + \sum_{i=0}^{N-1} (s_i - s_{i-1}) \, \mathrm{ReLU}(x - x_i),
            \qquad s_i = \frac{y_{i+1} - y_i}{x_{i+1} - x_i},\; s_{-1} = 0,

  which equals \sum_i y_i \phi_i(x) with the hat functions \phi_i on [x_0, x_N] (N units).
* :func:`tent_map` and :func:`tent_map_network` -- Telgarsky's tent map t(x) = 2 ReLU(x) − 4 ReLU(x − 1/2)
  on [0, 1] and t^k as a ReLU network of depth k and width 2.
* :func:`square_network` -- Yarotsky's (2017) deep network for x² on [0, 1]:
  f_m(x) = x − Σ_{s=1}^{m} t^s(x) / 4^s, depth m, width 3, error exactly 4^{−m−1}.
* :func:`square_one_layer` -- the best one-hidden-layer network of n units for x² on [0, 1]: a flat
  piece, then n shifted secants, sup error 1/(2(2n + 1)²).
* :func:`bump_network` -- a two-hidden-layer ReLU network with compact support in 2-D,
  ReLU(1 − |x_1| − |x_2|) (one hidden layer cannot make any compactly supported function but 0).
* :func:`fit_sweep` -- full-batch Adam on the mean squared error for a grid of seeds × learning rates,
  all arms in one stacked computation through ``networks.forward`` / ``networks.backward``;
  :func:`best_rate` picks the tuned rate (the smallest median final loss over the seeds, among the
  rates at which no seed diverged).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import networks
from course_lib.validation import check_scalar

__all__ = [
    "as_network",
    "relu_network",
    "hat_interpolant",
    "tent_map",
    "tent_map_network",
    "square_network",
    "square_one_layer",
    "bump_network",
    "FitSweep",
    "stack",
    "arm",
    "fit_sweep",
    "best_rate",
]


def as_network(net, name="net"):
    """``net`` as a checked list of ``networks.Dense``: ReLU hidden layers and a linear output.

    ``net`` is either a list of ``networks.Dense`` (returned checked, activations as given) or a
    list of ``(W, b)`` pairs (Keras's kernel convention), read as ReLU layers with a linear last layer.
    Raises ``ValueError`` naming ``name`` if the shapes do not chain or an entry is not finite.
    """
    if not isinstance(net, (list, tuple)) or len(net) == 0:
        raise ValueError(f"{name} must be a non-empty list of Dense layers or (W, b) pairs")
    if not all(isinstance(layer, networks.Dense) for layer in net):
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in net):
            raise ValueError(f"{name} must be a list of Dense layers or of (W, b) pairs")
        last = len(net) - 1
        net = [networks.Dense(W, b, "linear" if i == last else "relu") for i, (W, b) in enumerate(net)]
    net = networks.check_network(net, name)
    if not all(np.all(np.isfinite(layer.W)) and np.all(np.isfinite(layer.b)) for layer in net):
        raise ValueError(f"{name} must have finite weights")
    return net


def relu_network(net, x):
    r"""Output of the network on the batch ``x`` (n, n_0), float64 of shape (n, n_L).

    ``networks.forward(as_network(net), x).output``; a 1-D ``x`` is read as n scalar inputs when the
    network takes one input.
    """
    net = as_network(net)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1 and net[0].W.shape[-2] == 1:
        x = x[:, None]
    return networks.forward(net, x).output


def _relu_net(layers):
    """Dense layers from (W, b) pairs: ReLU hidden, linear output."""
    last = len(layers) - 1
    return [
        networks.Dense(np.asarray(W, float), np.asarray(b, float), "linear" if i == last else "relu")
        for i, (W, b) in enumerate(layers)
    ]


def hat_interpolant(x, y):
    r"""A one-hidden-layer ReLU network (N = len(x) − 1 units) through the points (x_i, y_i).

    ``x`` strictly increasing knots x_0 < ... < x_N (N ≥ 1), ``y`` the values there. Unit i has
    weight 1 and bias −x_i, so it switches on at the knot x_i; its output weight is the change of
    slope s_i − s_{i−1} there; the output bias is y_0. On [x_0, x_N] the network is the piecewise
    linear interpolant Σ_i y_i φ_i(x) (φ_i the hat functions); left of x_0 it is constant y_0, right
    of x_N it continues the last segment. Returns a two-layer ``networks`` network.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be at least 2 finite, strictly increasing knots, got {x!r}")
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError(f"y must be {x.size} finite values (one per knot), got shape {y.shape}")
    slopes = np.diff(y) / np.diff(x)
    jumps = np.diff(slopes, prepend=0.0)  # s_i - s_{i-1}, with s_{-1} = 0
    return _relu_net([(np.ones((1, x.size - 1)), -x[:-1]), (jumps[:, None], np.array([y[0]]))])


def tent_map(x, k=1):
    r"""The k-fold composition t^k(x) of the tent map t(x) = 2x on [0, 1/2], 2(1 − x) on [1/2, 1].

    Computed with the formula (not with a network), for ``x`` in [0, 1]; t^k has 2^k linear pieces,
    with peaks of height 1 at the odd multiples of 2^{−k}.
    """
    k = check_scalar("k", k, low=0, integer=True)
    x = np.asarray(x, dtype=np.float64)
    if np.any(x < 0) or np.any(x > 1):
        raise ValueError("x must lie in [0, 1]")
    for _ in range(k):
        x = np.where(x <= 0.5, 2.0 * x, 2.0 * (1.0 - x))
    return x


def tent_map_network(k):
    r"""The ReLU network of depth k (k hidden layers of width 2) that computes t^k on [0, 1].

    One tent is t(x) = 2 ReLU(x) − 4 ReLU(x − 1/2) for x in [0, 1]. Hidden layer 1 computes
    (ReLU(x), ReLU(x − 1/2)); every further hidden layer computes (ReLU(t), ReLU(t − 1/2)) from the
    previous layer's t = 2 h_1 − 4 h_2 (folded into its weights); the output layer returns
    t = 2 h_1 − 4 h_2. 2k hidden units in all.
    """
    k = check_scalar("k", k, low=1, integer=True)
    half = np.array([0.0, -0.5])
    combine = np.array([[2.0], [-4.0]])  # t = 2 h_1 - 4 h_2
    layers = [(np.ones((1, 2)), half)] + [(combine @ np.ones((1, 2)), half)] * (k - 1)
    return _relu_net(layers + [(combine, np.zeros(1))])


def square_network(m):
    r"""Yarotsky's network for x² on [0, 1]: f_m(x) = x − Σ_{s=1}^{m} t^s(x) / 4^s, depth m, width 3.

    t is the tent map; f_m is the piecewise-linear interpolant of x² at the 2^m + 1 points j/2^m, so
    sup_{[0,1]} |x² − f_m(x)| = 4^{−m−1} (Yarotsky 2017, Proposition 2). Hidden layer s carries
    (ReLU(t^{s−1}), ReLU(t^{s−1} − 1/2), ReLU(y_{s−1})) with y_s = x − Σ_{r≤s} t^r/4^r ≥ x² ≥ 0
    (so the ReLU passes it through); the output is y_m. 3m hidden units.
    """
    m = check_scalar("m", m, low=1, integer=True)
    layers = [(np.ones((1, 3)), np.array([0.0, -0.5, 0.0]))]
    for s in range(1, m + 1):  # t^s = 2 h_1 - 4 h_2 and y_s = h_3 - t^s / 4^s
        t_and_y = np.array([[2.0, -2.0 / 4**s], [-4.0, 4.0 / 4**s], [0.0, 1.0]])
        if s < m:
            W = t_and_y @ np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            layers.append((W, np.array([0.0, -0.5, 0.0])))
        else:
            layers.append((t_and_y[:, 1:], np.zeros(1)))
    return _relu_net(layers)


def square_one_layer(n):
    r"""A one-hidden-layer ReLU network of ``n`` units for x² on [0, 1] with sup error 1/(2(2n + 1)²).

    With h = 2/(2n + 1): the constant h²/8 on [0, h/2], then on each of the n pieces
    [h/2 + jh, h/2 + (j + 1)h] the secant of x² shifted down by h²/8 (unit j, weight 1 and bias
    −(h/2 + jh), switches on at the start of piece j). The error equioscillates between ±h²/8 at 0,
    at the knots and at the pieces' midpoints. n units make at most n + 1 pieces on [0, 1], and any
    continuous piecewise-linear function with P pieces is at least 1/(8P²) from x² (one piece has
    length ≥ 1/P, and the best line on an interval of length L is L²/8 away), so no n units do
    better than 1/(8(n + 1)²).
    """
    n = check_scalar("n", n, low=1, integer=True)
    h = 2.0 / (2 * n + 1)
    knots = h / 2 + h * np.arange(n + 1)  # knots[-1] = 1
    slopes = knots[1:] + knots[:-1]  # the secant slopes of x² on each piece
    jumps = np.diff(slopes, prepend=0.0)
    return _relu_net([(np.ones((1, n)), -knots[:-1]), (jumps[:, None], np.array([h**2 / 8]))])


def bump_network():
    r"""ReLU(1 − |x_1| − |x_2|): a 2-D pyramid supported on the square |x_1| + |x_2| ≤ 1, two hidden layers.

    Layer 1: (ReLU(x_1), ReLU(−x_1), ReLU(x_2), ReLU(−x_2)), whose sum is |x_1| + |x_2|; layer 2: one
    unit ReLU(1 − |x_1| − |x_2|); a linear output of weight 1.
    """
    W1 = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    return _relu_net([(W1, np.zeros(4)), (-np.ones((4, 1)), np.ones(1)), (np.ones((1, 1)), np.zeros(1))])


class FitSweep(NamedTuple):
    """:func:`fit_sweep`'s result: ``steps`` (T,) the recorded steps, ``losses`` (T, S, R) the training
    MSE of each seed × learning rate (axis order: step, seed, rate; ``networks.Sweep.loss`` is
    (V, S, R, T) instead), ``net`` the final networks stacked with W of shape (S, R, n_in, n_out),
    ``learning_rates`` (R,). A diverged arm's loss is inf or NaN from then on."""

    steps: np.ndarray
    losses: np.ndarray
    net: list
    learning_rates: np.ndarray


def stack(nets):
    """One network whose W, b carry a leading axis over the networks ``nets`` (same shapes)."""
    nets = [as_network(n, f"nets[{i}]") for i, n in enumerate(nets)]
    return [
        networks.Dense(np.stack([n[i].W for n in nets]), np.stack([n[i].b for n in nets]), layer.activation)
        for i, layer in enumerate(nets[0])
    ]


def arm(net, *index):
    """The single network at ``index`` of a stacked network (e.g. ``arm(sweep.net, seed, rate)``)."""
    return [networks.Dense(layer.W[index], layer.b[index], layer.activation) for layer in net]


def fit_sweep(nets, x, y, learning_rates, steps, record_every=100, beta1=0.9, beta2=0.999, eps=1e-7):
    r"""Full-batch Adam on J = mean (f(x) − y)² from each start in ``nets`` at each learning rate.

    Arms: S starts (one network per seed) × R learning rates α_r, trained as one stacked computation
    (``networks.forward`` / ``networks.backward`` with W of shape (S, R, n_in, n_out)). Adam in the
    lecture form m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − α m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ) (``optimizers.Adam``; ε = 1e-7 as in Keras). Records J at step 0 and every
    ``record_every`` steps up to ``steps``. The arms are independent: an arm that diverges carries inf
    or NaN from then on and leaves the others unchanged (:func:`best_rate` skips its rate). Returns
    :class:`FitSweep`.
    """
    nets = [as_network(n, f"nets[{i}]") for i, n in enumerate(nets)]
    rates = np.asarray(learning_rates, dtype=np.float64)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(f"learning_rates must be a non-empty list of positive numbers, got {learning_rates!r}")
    steps = check_scalar("steps", steps, low=1, integer=True)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0], nets[0][-1].W.shape[1]):
        raise ValueError(f"x must be (m, n_0) and y (m, n_L), got {x.shape} and {y.shape}")
    R = rates.size
    net = [
        networks.Dense(np.repeat(L.W[:, None], R, 1), np.repeat(L.b[:, None], R, 1), L.activation) for L in stack(nets)
    ]
    alpha = rates[None, :, None]
    params = [p for layer in net for p in (layer.W, layer.b)]
    m, v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    recorded, history = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            fwd = networks.forward(net, x)
            residual = fwd.output - y
            if k % record_every == 0 or k == steps:
                recorded.append(k)
                history.append(np.mean(residual**2, axis=(-2, -1)))
            if k == steps:
                break
            grads = networks.backward(net, fwd, 2.0 * residual / residual[0, 0].size).grads
            for i, g in enumerate(g for pair in grads for g in pair):
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                step = (m[i] / (1 - beta1 ** (k + 1))) / (np.sqrt(v[i] / (1 - beta2 ** (k + 1))) + eps)
                params[i] = params[i] - (alpha if g.ndim == 3 else alpha[..., None]) * step
            net = [networks.Dense(params[2 * i], params[2 * i + 1], L.activation) for i, L in enumerate(net)]
    return FitSweep(np.array(recorded), np.array(history), net, rates)


def best_rate(sweep):
    """The tuned rate: the index of the learning rate whose final loss has the smallest median over
    the seeds, among the rates at which every seed's final loss is finite (a rate where any seed
    diverged is excluded). The median, so that one seed that collapses at every rate does not choose
    the rate. Raises ``ValueError`` if every rate has a diverged seed."""
    final = np.asarray(sweep.losses)[-1]
    ok = np.all(np.isfinite(final), axis=0)
    if not ok.any():
        raise ValueError("every learning rate has a diverged (non-finite) arm")
    medians = np.where(ok, np.median(np.where(np.isfinite(final), final, 0.0), axis=0), np.inf)
    return int(np.argmin(medians))
