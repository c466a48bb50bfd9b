r"""Signal propagation through a feedforward network: forward activations, backward deltas (chapter 01).

For a network h_0 = x, a_l = W_l h_{l−1} + b_l, h_l = g(a_l) (l = 1..L, a_L the logits), backprop gives
δ_l = ∂J/∂a_l and, for one example, the rank-one gradient ∂J/∂W_l = δ_l h_{l−1}ᵀ, whose norm is
‖δ_l‖ ‖h_{l−1}‖: a backward factor times a forward factor.

* :func:`propagate` -- for a batch: the inputs h_0..h_{L−1} of the Dense layers, their pre-activations
  a_1..a_L and, given labels, the per-example deltas δ_1..δ_L (one ``tf.GradientTape`` pass).
* :func:`spread` -- how much a layer's values vary *across inputs*: √(mean_i Var_n h_{n,i}).
* :func:`rms_norm` -- the root-mean-square over examples of the per-example norm, √(mean_n ‖v_n‖²).
* :func:`gradient_norms` -- per layer, ‖∂J/∂W_l‖ (Frobenius) of the mean loss, from the signals.
* :func:`factor_norms` -- per layer, the RMS norms of the two factors h_{l−1} and δ_l.
* :func:`per_layer_factor` -- the geometric-mean factor per layer by which a per-layer quantity changes.
* :func:`mean_share`, :func:`moment_ratio` -- how much of a layer's signal is its mean over the inputs.
* :func:`dead_units` -- per layer, the units whose pre-activation is ≤ 0 on every input (a dead ReLU).
* :func:`saturated_fraction` -- the fraction of pre-activations with |a| > a threshold.

For a NumPy network (:mod:`course_lib.networks`, chapter 10), the mean-field theory of signal
propagation and its measurement:

* :func:`gaussian_moments` -- E[φ(√q z)²] and E[φ′(√q z)²] for z ~ N(0, 1).
* :func:`mean_field` -- the forward second moments q_l of the pre-activations and the backward second
  moments r_l of the deltas, layer by layer, in a deep network of equal widths at initialization.
* :func:`layer_moments` -- the same two quantities measured on a batch by ``networks.forward`` and
  ``networks.backward``.

Works for any ``keras.Sequential`` made of ``Dense`` layers (with or without a built-in activation)
and parameter-free or parametric activation layers between them (``PReLU``, ``LeakyReLU``,
:class:`course_lib.layers.Maxout`, ...). "Layer l" is the l-th Dense layer, as in
:mod:`course_lib.models`. Arrays are float64 NumPy arrays with one row per example.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from course_lib.validation import check_scalar

__all__ = [
    "Signals",
    "propagate",
    "spread",
    "rms_norm",
    "gradient_norms",
    "factor_norms",
    "per_layer_factor",
    "mean_share",
    "moment_ratio",
    "dead_units",
    "saturated_fraction",
    "MeanField",
    "gaussian_moments",
    "mean_field",
    "layer_moments",
]


class Signals(NamedTuple):
    """What :func:`propagate` returns, one entry per Dense layer l = 1..L (lists of (n, width) arrays).

    ``inputs[l-1]`` = h_{l−1}, the input of Dense layer l (``inputs[0]`` is x);
    ``pre[l-1]`` = a_l = h_{l−1} W_l + b_l, before the activation (``pre[-1]`` holds the logits);
    ``deltas[l-1]`` = δ_l = ∂J_n/∂a_l for each example n (the loss of that example alone), or ``None``.
    """

    inputs: list
    pre: list
    deltas: list | None


def _dense_type():
    import keras

    return keras.layers.Dense


def _dense_stack(model, loss):
    """The model as a :mod:`course_lib.networks` network (softmax output as logits), or ``None``.

    Only for a model made of Dense layers alone, with hidden activations NumPy knows
    (:data:`course_lib.networks.KERAS_ACTIVATIONS`), a softmax output and the cross-entropy loss.
    """
    from course_lib import networks

    dense = _dense_type()
    layers = list(model.layers)
    if loss != "sparse_categorical_crossentropy" or not layers or not all(isinstance(d, dense) for d in layers):
        return None
    names = [d.activation.__name__ for d in layers]
    if names[-1] != "softmax" or any(n not in networks.KERAS_ACTIVATIONS for n in names[:-1]):
        return None
    return [
        networks.Dense(
            np.asarray(d.kernel, dtype=np.float64),
            np.asarray(d.bias, dtype=np.float64),
            "linear" if k == len(layers) - 1 else names[k],
        )
        for k, d in enumerate(layers)
    ]


def _propagate_numpy(net, x, y):
    """:func:`propagate` for a Dense stack, by :func:`course_lib.networks.forward` and ``backward``."""
    from course_lib import networks

    fwd = networks.forward(net, np.asarray(x, dtype=np.float64))
    deltas = None
    if y is not None:
        _, g = networks.output_loss(fwd.output, np.asarray(y), "cross_entropy")
        # g is ∂J/∂a_L of the mean loss: times n, each row is its own example's δ_L
        deltas = list(networks.backward(net, fwd, g * len(x)).delta)
    return Signals(inputs=list(fwd.a[:-1]), pre=list(fwd.z), deltas=deltas)


def propagate(model, x, y=None, loss="sparse_categorical_crossentropy"):
    r"""Run the batch ``x`` through ``model`` layer by layer and record h_{l−1}, a_l (and δ_l).

    A model of Dense layers alone (softmax output, hidden activations of
    :data:`course_lib.networks.KERAS_ACTIVATIONS`, the default loss) goes through
    :func:`course_lib.networks.forward` and ``backward`` in float64. Any other model (``PReLU``,
    :class:`course_lib.layers.Maxout`, ... between the Dense layers) runs in Keras: each Dense layer is
    split into its affine part a_l = h_{l−1} W_l + b_l and its activation (``layer.activation``); every
    other layer is applied as it is (``training=False``), under one ``tf.GradientTape``. With labels
    ``y`` the per-example loss J_n = ``loss``(y_n, model(x_n)) is differentiated with respect to every
    a_l: δ_l[n] = ∂J_n/∂a_l[n]. Returns :class:`Signals`. Raises ``ValueError`` for a model without
    Dense layers or a ``y`` whose length differs from ``x``'s.
    """
    import keras
    import tensorflow as tf

    dense = _dense_type()
    if not isinstance(model, keras.Sequential):
        raise ValueError(f"model must be a keras.Sequential, got {type(model).__name__}")
    if not any(isinstance(layer, dense) for layer in model.layers):
        raise ValueError("model must contain at least one Dense layer")
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 2-D array (n, d), got shape {x.shape}")
    if y is not None and len(y) != len(x):
        raise ValueError(f"y must have one entry per row of x ({len(x)}), got {len(y)}")
    net = _dense_stack(model, loss)
    if net is not None:  # a plain Dense stack: the one NumPy forward and backward pass
        return _propagate_numpy(net, x, y)
    dtype = model.layers[0].compute_dtype
    h = tf.constant(x, dtype=dtype)
    inputs, pre = [], []
    with tf.GradientTape() as tape:
        for layer in model.layers:
            if isinstance(layer, dense):
                inputs.append(h)
                a = tf.matmul(h, tf.cast(layer.kernel, dtype)) + tf.cast(layer.bias, dtype)
                tape.watch(a)
                pre.append(a)
                h = layer.activation(a)
            else:
                h = layer(h, training=False)
        if y is not None:
            per_example = keras.losses.get(loss)
            # the summed loss: its gradient w.r.t. a_l[n] is example n's own δ_l
            total = tf.reduce_sum(per_example(y, h))
    deltas = None
    if y is not None:
        deltas = [g.numpy().astype(np.float64) for g in tape.gradient(total, pre)]
    return Signals(
        inputs=[np.asarray(v, dtype=np.float64) for v in inputs],
        pre=[np.asarray(v, dtype=np.float64) for v in pre],
        deltas=deltas,
    )


def _check_rows(name, values):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise ValueError(f"{name} must be a 2-D array (n, width) with n >= 2, got shape {values.shape}")
    return values


def spread(h):
    r"""Spread of a layer across inputs: √(mean_i Var_n h_{n,i}), the RMS over units i of the std over rows n.

    0 means every input gives the same layer output: the layers above see a constant.
    """
    h = _check_rows("h", h)
    return float(np.sqrt(np.mean(np.var(h, axis=0))))


def rms_norm(v):
    r"""√(mean_n ‖v_n‖²): the root-mean-square over examples (rows) of the per-example norm."""
    v = _check_rows("v", v)
    return float(np.sqrt(np.mean(np.sum(v * v, axis=1))))


def dead_units(pre):
    r"""Per layer, the number of units i with a_{n,i} ≤ 0 for every example n (``pre``: a list of (n, width)).

    For a ReLU such a unit outputs 0 on every input and gets no gradient: it is dead. (For a leaky
    ReLU or ELU it is not dead: it still passes the small slope; the count says how many units sit
    entirely on the negative side.) Returns an int array with one count per array in ``pre``.
    """
    if isinstance(pre, np.ndarray):
        pre = [pre]
    return np.array([int(np.sum(np.all(_check_rows("pre", a) <= 0, axis=0))) for a in pre])


def saturated_fraction(a, threshold):
    r"""Fraction of the entries of ``a`` with |a| > ``threshold`` (e.g. 3 for tanh, where tanh′ < 0.01)."""
    threshold = check_scalar("threshold", threshold, low=0.0)
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        raise ValueError("a must not be empty")
    return float(np.mean(np.abs(a) > threshold))


def _check_signals(signals, need_deltas=False):
    if not isinstance(signals, Signals):
        raise ValueError(f"signals must be a propagation.Signals, got {type(signals).__name__}")
    if need_deltas and signals.deltas is None:
        raise ValueError("signals must hold deltas: call propagate(model, x, y) with labels y")
    return signals


def gradient_norms(signals):
    r"""Per layer l = 1..L, ‖∂J/∂W_l‖ (Frobenius) for J the mean loss over the batch: ‖h_{l−1}ᵀ δ_l‖ / n.

    ``signals`` from :func:`propagate` with labels (its deltas are the per-example δ_l).
    """
    signals = _check_signals(signals, need_deltas=True)
    n = len(signals.inputs[0])
    return np.array([np.linalg.norm(h.T @ d) / n for h, d in zip(signals.inputs, signals.deltas)])


def factor_norms(signals):
    r"""Per layer l = 1..L, the two factors of one example's gradient δ_l h_{l−1}ᵀ: (:func:`rms_norm` of
    h_{l−1}, :func:`rms_norm` of δ_l), as two arrays of length L."""
    signals = _check_signals(signals, need_deltas=True)
    return (
        np.array([rms_norm(h) for h in signals.inputs]),
        np.array([rms_norm(d) for d in signals.deltas]),
    )


def per_layer_factor(values, first, last):
    r"""(values[last] / values[first])^(1/(last − first)): the geometric-mean factor per layer from index
    ``first`` to index ``last`` (``last < first`` follows a backward signal down the layers)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or not (0 <= first < len(values) and 0 <= last < len(values)) or first == last:
        raise ValueError(f"first and last must be two different indices into values (length {values.size})")
    if np.any(values[[first, last]] <= 0):
        raise ValueError("values[first] and values[last] must be positive")
    return float((values[last] / values[first]) ** (1.0 / abs(last - first)))


def mean_share(h):
    r"""‖mean_n h_n‖² / mean_n ‖h_n‖²: the share of a layer's second moment that is the same for every input."""
    h = _check_rows("h", h)
    return float(np.sum(h.mean(axis=0) ** 2) / np.mean(np.sum(h * h, axis=1)))


def moment_ratio(h):
    r"""Largest over second-largest eigenvalue of the second-moment matrix mean_n h_n h_nᵀ (width >= 2)."""
    h = _check_rows("h", h)
    if h.shape[1] < 2:
        raise ValueError(f"h must have at least 2 columns, got shape {h.shape}")
    eig = np.linalg.eigvalsh(h.T @ h / len(h))
    return float(eig[-1] / eig[-2])


# --------------------------------------------------------------------------------------------------
# Mean-field signal propagation at initialization (chapter 10)
# --------------------------------------------------------------------------------------------------
#: (E[φ(z)²], E[φ′(z)²]) for z ~ N(0, 1) of the positively homogeneous activations: exact, and for
#: them E[φ(√q z)²] = q E[φ(z)²] while E[φ′(√q z)²] does not depend on q.
_HOMOGENEOUS = {"linear": (1.0, 1.0), "relu": (0.5, 0.5), "abs": (1.0, 1.0)}


@functools.lru_cache(maxsize=8)
def _hermite_nodes(order):
    """Nodes and weights (summing to 1) of Gauss-Hermite quadrature for E[f(z)], z ~ N(0, 1)."""
    z, w = np.polynomial.hermite_e.hermegauss(order)
    return z, w / w.sum()


class MeanField(NamedTuple):
    """:func:`mean_field`'s result, one entry per layer l = 1..L: ``q[l-1]`` = E[a_l²] (forward),
    ``r[l-1]`` = E[δ_l²] (backward, r_L = E[δ_L²] given)."""

    q: np.ndarray
    r: np.ndarray


def gaussian_moments(activation, q, order=101):
    r"""(E[φ(√q z)²], E[φ′(√q z)²]) for z ~ N(0, 1), φ = ``activation`` (a name of
    :data:`course_lib.activations.ACTIVATIONS` or ``"linear"``), ``q`` >= 0 a number or an array.

    Exact for linear, ReLU and |z| (E[ReLU(√q z)²] = q/2, E[ReLU′²] = 1/2); otherwise Gauss-Hermite
    quadrature with ``order`` nodes (probabilists' weight e^{−z²/2}), accurate to about 1e-9 for tanh and
    the sigmoid at q <= 100. Returns two arrays of the shape of ``q``.
    """
    from course_lib import activations

    q = np.asarray(q, dtype=np.float64)
    if not np.all(np.isfinite(q) & (q >= 0)):
        raise ValueError(f"q must be finite and >= 0, got {q!r}")
    order = check_scalar("order", order, low=2, integer=True)
    if activation in _HOMOGENEOUS:
        second, slope = _HOMOGENEOUS[activation]
        return second * q, np.full(q.shape, slope)
    act = activations.get(activation)
    z, w = _hermite_nodes(order)
    a = np.sqrt(q)[..., None] * z
    return np.sum(w * act.f(a) ** 2, axis=-1), np.sum(w * act.df(a) ** 2, axis=-1)


def mean_field(activation, weight_variance, q1, depth, r_last=1.0):
    r"""Layer-by-layer second moments of a deep network at initialization, by the mean-field recursion.

    Network: a_l = h_{l−1} W_l (biases 0), h_l = φ(a_l) for l < L, a_L the output; every layer of
    width n with Var(W_l) = σ_w²/n, σ_w² = ``weight_variance`` (1 for Glorot's 2/(n + n), 2 for He).
    With independent weights and wide layers (Poole et al. 2016; Schoenholz et al. 2017)

        q_1 = ``q1`` (σ_w² E[x²] for an input x),   q_{l+1} = σ_w² E[φ(√q_l z)²],
        r_L = ``r_last``,                            r_l = σ_w² E[φ′(√q_l z)²] r_{l+1},

    q_l = E[a_l²] the forward signal and r_l = E[δ_l²] the backward one (δ_l = ∂J/∂a_l). For ReLU
    this is q_{l+1} = (σ_w²/2) q_l and r_l = (σ_w²/2) r_{l+1}: He's σ_w² = 2 keeps both constant,
    Glorot's σ_w² = 1 halves them at every layer. Returns :class:`MeanField` of two arrays of length
    ``depth`` L (chapter 10).
    """
    weight_variance = check_scalar("weight_variance", weight_variance, low=0.0, low_open=True)
    q1 = check_scalar("q1", q1, low=0.0)
    depth = check_scalar("depth", depth, low=1, integer=True)
    r_last = check_scalar("r_last", r_last, low=0.0)
    q = [q1]
    for _ in range(depth - 1):
        q.append(weight_variance * float(gaussian_moments(activation, q[-1])[0]))
    slopes = gaussian_moments(activation, np.array(q))[1]
    r = np.empty(depth)
    r[-1] = r_last
    for layer in range(depth - 2, -1, -1):
        r[layer] = weight_variance * slopes[layer] * r[layer + 1]
    return MeanField(np.array(q), r)


def layer_moments(net, x, dJ_doutput):
    r"""Measured (q_l, r_l) of a :mod:`course_lib.networks` network on a batch, l = 1..L.

    q_l = mean over examples and units of a_l² (``networks.forward``'s z), r_l = the same mean of δ_l²
    (``networks.backward`` from ``dJ_doutput``, e.g. standard normal rows: δ_L = ``dJ_doutput``).
    The measured counterpart of :func:`mean_field`. Returns :class:`MeanField`.
    """
    from course_lib import networks

    fwd = networks.forward(net, np.asarray(x, dtype=np.float64))
    g = np.asarray(dJ_doutput, dtype=np.float64)
    if g.shape != fwd.output.shape:
        raise ValueError(f"dJ_doutput must have the output's shape {fwd.output.shape}, got {g.shape}")
    bwd = networks.backward(net, fwd, g)
    return MeanField(
        np.array([np.mean(z**2) for z in fwd.z]),
        np.array([np.mean(d**2) for d in bwd.delta]),
    )
