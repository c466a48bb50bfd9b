r"""Universal approximation made executable: ReLU networks written by hand (chapter 03).

A ReLU network here is a list of layers ``[(W_1, b_1), ..., (W_L, b_L)]`` in Keras's convention
(``W_l`` has shape (n_{l-1}, n_l), so a batch of row vectors maps as ``H_l = g(H_{l-1} W_l + b_l)``),
ReLU on layers 1..L-1 and a linear output layer L. That is exactly what
``[layer.get_weights() for layer in model.layers]`` gives for a ``course_lib.models.mlp`` with
``activation="relu"`` and ``output_activation=None``, and what ``layer.set_weights`` accepts.

* :func:`relu_network` -- evaluate such a network on a batch, in float64.
* :func:`hat_interpolant` -- one hidden layer, no training: the continuous piecewise-linear
  interpolant of data (x_i, y_i), written as

  .. math:: f_N(x) = y_0 + \sum_{i=0}^{N-1} (s_i - s_{i-1}) \, \mathrm{ReLU}(x - x_i),
            \qquad s_i = \frac{y_{i+1} - y_i}{x_{i+1} - x_i},\; s_{-1} = 0,

  which equals \sum_i y_i \phi_i(x) with the hat functions \phi_i on [x_0, x_N] (N units).
* :func:`tent_map` and :func:`tent_map_network` -- Telgarsky's tent map t(x) = 2 ReLU(x) - 4 ReLU(x - 1/2)
  on [0, 1] and its k-fold composition t^k as a ReLU network of depth k and width 2.
* :func:`keras_layers` -- the ``(W, b)`` list of a Keras model's Dense layers.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_scalar

__all__ = [
    "relu_network",
    "check_layers",
    "hat_interpolant",
    "tent_map",
    "tent_map_network",
    "keras_layers",
    "n_parameters",
]


def check_layers(layers, input_dim=None, name="layers"):
    """Return ``layers`` as a list of float64 ``(W, b)`` pairs after checking that the shapes chain.

    Raises ``ValueError`` naming ``name`` if the list is empty, a W is not 2-D, a b does not match its
    W's columns, consecutive layers do not chain, an entry is not finite, or the first layer does not
    take ``input_dim`` inputs (when given).
    """
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise ValueError(f"{name} must be a non-empty list of (W, b) pairs, got {layers!r}")
    out = []
    for l, pair in enumerate(layers, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"{name}[{l - 1}] must be a (W, b) pair")
        W, b = (np.asarray(a, dtype=np.float64) for a in pair)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(
                f"{name}[{l - 1}] must be W of shape (n_in, n_out) and b of shape (n_out,), got {W.shape} and {b.shape}"
            )
        if out and out[-1][0].shape[1] != W.shape[0]:
            raise ValueError(
                f"{name}[{l - 1}] takes {W.shape[0]} inputs but layer {l - 1} has {out[-1][0].shape[1]} units"
            )
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError(f"{name}[{l - 1}] must be finite")
        out.append((W, b))
    if input_dim is not None and out[0][0].shape[0] != input_dim:
        raise ValueError(f"{name} must take {input_dim} inputs, got {out[0][0].shape[0]}")
    return out


def _check_inputs(x, dim, name="x"):
    x = np.asarray(x, dtype=np.float64)
    if dim == 1 and x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}), got shape {x.shape}")
    return x


def relu_network(layers, x):
    r"""Output of the ReLU network ``layers`` on the batch ``x`` (n, n_0), float64 of shape (n, n_L).

    h_0 = x, h_l = ReLU(h_{l-1} W_l + b_l) for l < L, output h_{L-1} W_L + b_L (linear). A 1-D ``x``
    is read as n scalar inputs when the network takes one input.
    """
    layers = check_layers(layers)
    h = _check_inputs(x, layers[0][0].shape[0])
    for W, b in layers[:-1]:
        h = np.maximum(h @ W + b, 0.0)
    W, b = layers[-1]
    return h @ W + b


def n_parameters(layers):
    """Number of weights and biases of the network (what Keras's ``count_params`` reports)."""
    return int(sum(W.size + b.size for W, b in check_layers(layers)))


def hat_interpolant(x, y):
    r"""A one-hidden-layer ReLU network (N = len(x) − 1 units) through the points (x_i, y_i).

    ``x`` strictly increasing knots x_0 < ... < x_N (N ≥ 1), ``y`` the values there. Unit i has
    weight 1 and bias −x_i, so it switches on at the knot x_i; its output weight is the change of
    slope s_i − s_{i−1} there; the output bias is y_0. On [x_0, x_N] the network is the piecewise
    linear interpolant Σ_i y_i φ_i(x) (φ_i the hat functions); left of x_0 it is constant y_0, right
    of x_N it continues the last segment. Returns ``[(W_1, b_1), (W_2, b_2)]``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be at least 2 finite, strictly increasing knots, got {x!r}")
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError(f"y must be {x.size} finite values (one per knot), got shape {y.shape}")
    slopes = np.diff(y) / np.diff(x)
    jumps = np.diff(slopes, prepend=0.0)  # s_i - s_{i-1}, with s_{-1} = 0
    W1, b1 = np.ones((1, x.size - 1)), -x[:-1]
    W2, b2 = jumps[:, None], np.array([y[0]])
    return [(W1, b1), (W2, b2)]


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
    t = 2 h_1 − 4 h_2. Returns ``[(W_1, b_1), ..., (W_{k+1}, b_{k+1})]``: 2k hidden units in all.
    """
    k = check_scalar("k", k, low=1, integer=True)
    half = np.array([0.0, -0.5])
    combine = np.array([[2.0], [-4.0]])  # t = 2 h_1 - 4 h_2
    layers = [(np.ones((1, 2)), half.copy())]
    layers += [(combine @ np.ones((1, 2)), half.copy()) for _ in range(k - 1)]
    layers.append((combine.copy(), np.zeros(1)))
    return layers


def keras_layers(model):
    """The ``(W, b)`` list of a Keras model's Dense layers, as float64 arrays (kernel, bias).

    The inverse of loading weights with ``layer.set_weights([W, b])``; the network it describes is
    the model only if the hidden Dense layers use ReLU and the last one is linear.
    """
    import keras  # on first use: importing this module does not load TensorFlow

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError("model must contain at least one Dense layer")
    return [
        (np.asarray(layer.kernel.numpy(), np.float64), np.asarray(layer.bias.numpy(), np.float64)) for layer in dense
    ]
