r"""The one NumPy representation of a multilayer perceptron: forward, backward, curvature, sweeps.

A network is a list of :class:`Dense` layers. Layer k (k = 1 … L) maps a row a_{k−1} to

    z_k = a_{k−1} W_k + b_k,    a_k = φ_k(z_k),    a_0 = x,

with W_k of shape (n_{k−1}, n_k) (a Keras ``Dense`` kernel), b_k of shape (n_k,) and an elementwise
activation φ_k named in :data:`course_lib.activations.ACTIVATIONS` or ``"linear"`` (the output layer's
usual choice: a_L are then logits). Examples are **rows**: a batch x of shape (m, n_0).

Python indices are 0-based: ``net[i]`` is the book's layer k = i + 1; :func:`forward` returns
``z[i]`` = z_{i+1} and ``a[i]`` = a_i (``a[0]`` = x, ``a[L]`` = the output); :func:`backward` returns
``delta[i]`` = δ_{i+1} and ``grads[i]`` = (∂J/∂W_{i+1}, ∂J/∂b_{i+1}).

Back-propagation (chapter 05): with g_k = ∂J/∂a_k and δ_k = ∂J/∂z_k,

    δ_k = g_k ⊙ φ_k'(z_k),   ∂J/∂W_k = a_{k−1}ᵀ δ_k,   ∂J/∂b_k = Σ_rows δ_k,   g_{k−1} = δ_k W_kᵀ.

The losses come from :mod:`course_lib.losses` (:data:`LOSSES`): the cross-entropy of integer labels on
the logits (optionally with label smoothing), Keras's mean squared error (the mean over every entry),
and the squared error behind a softmax (chapter 02's comparison).

Everything also works on **stacks** of networks: W of shape (A, n_{k−1}, n_k), b of shape (A, n_k) and
x of shape (A, m, n_0) give A networks at once (``np.matmul`` over the leading axis); :func:`sweep`
trains the arms (variants × seeds × learning rates) of an experiment that way (issue 12.7).

Parameters as one vector θ (:func:`flatten`): layer by layer, W_k in row-major order, then b_k -- the
order of a Keras model's ``trainable_variables``, so θ, gradients and Hessian-vector products compare
entry by entry with ``tf.GradientTape``. :func:`hvp` is the exact product ∇²J(θ) v by Pearlmutter's
R-operator (chapters 05, 07); :class:`Objective` is the loss as a function of θ for optimizers and
:func:`course_lib.curvature.top_eigenvalue`. Chapters 05 (back-propagation, curvature), 07 (per-layer
activations and back-propagated gradients for Gauss-Newton and K-FAC), 11 (inside a network), and 01/02
(the sweeps).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import activations, initializers, losses, normalization
from course_lib.datasets import Dataset
from course_lib.validation import check_indices, check_scalar, check_seed

__all__ = [
    "Dense",
    "BatchNorm",
    "ScaleShift",
    "Forward",
    "Backward",
    "LOSSES",
    "init",
    "check_network",
    "forward",
    "backward",
    "output_loss",
    "loss_and_gradients",
    "flatten",
    "unflatten",
    "n_params",
    "from_keras",
    "to_keras",
    "hvp",
    "layer_jacobians",
    "jvp",
    "ggn_vp",
    "Objective",
    "OPTIMIZERS",
    "KERAS_OPTIMIZERS",
    "optimizer_config",
    "keras_optimizer",
    "Sweep",
    "sweep",
    "train",
    "best_rates",
]

#: Loss names: the cross-entropy of integer labels on logits, Keras's mean squared error, and the
#: squared error of softmax(logits) against one-hot labels (no curvature: hvp takes the first two).
LOSSES = ("cross_entropy", "mse", "softmax_mse")
_LOSS_ALIASES = {
    "cross_entropy": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
    "mse": "mse",
    "mean_squared_error": "mse",
    "softmax_mse": "softmax_mse",
}

#: Activations defined identically here and in Keras (Keras's leaky ReLU slope differs).
KERAS_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softplus", "elu", "gelu")


class Dense(NamedTuple):
    """One layer a ↦ φ(a W + b): ``W`` (n_in, n_out), ``b`` (n_out,), ``activation`` a name."""

    W: np.ndarray
    b: np.ndarray
    activation: str


class BatchNorm(NamedTuple):
    r"""Batch normalization then an activation: a ↦ φ(γ ⊙ (a − μ)/√(σ² + ε) + β) (chapter 11).

    Training mode (``forward(..., training=True)``): μ, σ² are the batch's mean and biased variance of
    each feature over the examples (:func:`course_lib.normalization.batch_norm`; for a stack, per
    network); inference mode: the running averages ``mean``, ``var``
    (:func:`~course_lib.normalization.batch_norm_inference`), which :func:`train` and :func:`sweep`
    update at every step, mean ← ρ mean + (1 − ρ) μ_B (ρ = ``momentum``, Keras's 0.99; ε = ``eps``,
    Keras's 1e-3). ``gamma``, ``beta``, ``mean``, ``var`` have shape (n,) (or (A, n) for a stack);
    γ, β are trainable (θ holds them after the layer's predecessor), ``mean``/``var`` are not.
    Keras: ``BatchNormalization(momentum, epsilon)`` followed by ``Activation(activation)``.
    """

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    activation: str = "linear"
    momentum: float = normalization.KERAS_MOMENTUM
    eps: float = normalization.KERAS_EPSILON


class ScaleShift(NamedTuple):
    """:func:`backward`'s gradient of a :class:`BatchNorm` layer: (∂J/∂γ, ∂J/∂β)."""

    gamma: np.ndarray
    beta: np.ndarray


class Forward(NamedTuple):
    """:func:`forward`'s record: ``output`` = a[L]; ``z[i]`` = z_{i+1} (L arrays); ``a[i]`` = a_i (L + 1)."""

    output: np.ndarray
    z: list
    a: list


class Backward(NamedTuple):
    """:func:`backward`'s result: ``delta[i]`` = δ_{i+1} = ∂J/∂z_{i+1}; ``grads[i]`` = (∂J/∂W, ∂J/∂b)."""

    delta: list
    grads: list


# --------------------------------------------------------------------------------------------------
# Activations: φ, φ' and φ'' by name
# --------------------------------------------------------------------------------------------------
def _check_activation(name, argument="activation"):
    if not isinstance(name, str) or (name != "linear" and name not in activations.ACTIVATIONS):
        raise ValueError(f"{argument} must be 'linear' or one of {sorted(activations.ACTIVATIONS)}, got {name!r}")
    return name


def _by_runs(fn, name, z):
    """fn(name, z) elementwise; ``name`` a tuple gives one activation per network of a stack (axis 0)."""
    if isinstance(name, str):
        return fn(name, z)
    out, start = np.empty_like(z), 0
    while start < len(name):
        stop = start + 1
        while stop < len(name) and name[stop] == name[start]:
            stop += 1
        out[start:stop] = fn(name[start], z[start:stop])
        start = stop
    return out


def _phi(name, z):
    return _by_runs(lambda n, u: u if n == "linear" else activations.ACTIVATIONS[n].f(u), name, z)


def _dphi(name, z):
    return _by_runs(lambda n, u: np.ones_like(u) if n == "linear" else activations.ACTIVATIONS[n].df(u), name, z)


def _d2phi(name, z):
    """φ''(z), for the Hessian-vector product (0 for the piecewise-linear units, as tf.GradientTape gives)."""
    if name in ("linear", "relu", "abs", "leaky_relu"):
        return np.zeros_like(z)
    if name == "tanh":
        return -2.0 * activations.tanh(z) * activations.tanh_grad(z)
    if name == "sigmoid":
        return activations.sigmoid_grad(z) * (1.0 - 2.0 * activations.sigmoid(z))
    if name == "softplus":
        return activations.sigmoid_grad(z)
    if name == "elu":
        return np.where(z > 0, 0.0, np.exp(np.minimum(z, 0.0)))
    if name == "gelu":
        return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi) * (2.0 - z * z)
    raise ValueError(f"activation {name!r} has no second derivative here")


# --------------------------------------------------------------------------------------------------
# The network: init, checks, forward, backward
# --------------------------------------------------------------------------------------------------
def _check_sizes(sizes):
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else sizes
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes)
    ):
        raise ValueError(f"sizes must be a list of at least two positive integers, got {sizes!r}")
    return [int(s) for s in sizes]


def _params(layer):
    """The trainable arrays of a layer: (W, b) of a Dense, (γ, β) of a BatchNorm."""
    return (layer.gamma, layer.beta) if isinstance(layer, BatchNorm) else (layer.W, layer.b)


def _n_in(layer):
    return layer.gamma.shape[-1] if isinstance(layer, BatchNorm) else layer.W.shape[-2]


def _lead(layer):
    """The stack axes of a layer (() for one network)."""
    return layer.gamma.shape[:-1] if isinstance(layer, BatchNorm) else layer.W.shape[:-2]


def _has_bn(net):
    return any(isinstance(layer, BatchNorm) for layer in net)


def _take(layer, ok):
    """The networks ``ok`` (a boolean mask over the first stack axis) of a stacked layer."""
    act = tuple(np.array(layer.activation)[ok]) if isinstance(layer.activation, tuple) else layer.activation
    if isinstance(layer, BatchNorm):
        return layer._replace(
            gamma=layer.gamma[ok], beta=layer.beta[ok], mean=layer.mean[ok], var=layer.var[ok], activation=act
        )
    return Dense(layer.W[ok], layer.b[ok], act)


def init(
    sizes,
    activation="tanh",
    seed=0,
    initializer="glorot_uniform",
    output_activation="linear",
    output_scale=1.0,
    batch_norm=False,
):
    r"""A network of widths n_0 → n_1 → … → n_L: hidden activation ``activation``, output ``output_activation``.

    W_k = ``initializers.get(initializer)((n_{k−1}, n_k), rng)`` for k = 1 … L in turn, with one
    ``rng = numpy.random.default_rng(seed)``; b_k = 0. ``initializer`` is a name of
    :data:`course_lib.initializers.INITIALIZERS` (default Glorot-uniform U(±√(6/(n_{k−1} + n_k))),
    Keras's ``Dense`` default) or a callable f(shape, rng). The same seed gives the same network.
    ``output_scale`` c > 0 multiplies the last layer's W_L (the same draws, scaled): a large c starts
    the network with large logits, e.g. confidently wrong (chapter 02).

    ``batch_norm=True`` (chapter 11): every hidden layer becomes ``Dense(W_k, b_k, "linear")`` followed
    by ``BatchNorm(γ = 1, β = 0, mean = 0, var = 1, activation)`` (Keras's ``Dense``,
    ``BatchNormalization()``, ``Activation``); the same W_k as without it (paired). The bias b_k is
    kept (Keras's ``Dense`` default) though BN removes it: its gradient is 0 up to round-off.
    """
    sizes = _check_sizes(sizes)
    _check_activation(activation)
    _check_activation(output_activation, "output_activation")
    draw = initializers.get(initializer)
    output_scale = check_scalar("output_scale", output_scale, low=0.0, low_open=True)
    rng = np.random.default_rng(check_seed(seed))
    net = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W = np.asarray(draw((n_in, n_out), rng), dtype=np.float64)
        if W.shape != (n_in, n_out):
            raise ValueError(f"initializer must return an array of shape {(n_in, n_out)}, got {W.shape}")
        if k == len(sizes) - 1 and output_scale != 1.0:
            W = W * output_scale
        if batch_norm and k < len(sizes) - 1:
            net.append(Dense(W, np.zeros(n_out), "linear"))
            net.append(BatchNorm(np.ones(n_out), np.zeros(n_out), np.zeros(n_out), np.ones(n_out), activation))
        else:
            net.append(Dense(W, np.zeros(n_out), activation if k < len(sizes) - 1 else output_activation))
    return net


def check_network(net, name="net"):
    """Return ``net`` as a list of float64 :class:`Dense` (and :class:`BatchNorm`) after checking shapes.

    Widths, activations, and a BatchNorm's ``momentum`` in [0, 1] and ``eps`` ≥ 0 are checked. W may
    carry leading stack axes (A, n_in, n_out) with b (A, n_out), the same A for every layer; the
    ``activation`` of a stack of A networks (one axis) may be a tuple of A names, one per network.
    """
    if not isinstance(net, (list, tuple)) or len(net) == 0:
        raise ValueError(f"{name} must be a non-empty list of Dense layers, got {type(net).__name__}")
    checked, n_in, stack = [], None, None
    for i, layer in enumerate(net):
        if isinstance(layer, BatchNorm):
            layer = _check_batch_norm(layer, f"{name}[{i}]", n_in, stack)
            checked.append(layer)
            n_in, stack = layer.gamma.shape[-1], layer.gamma.shape[:-1]
            continue
        if not isinstance(layer, Dense):
            raise ValueError(f"{name}[{i}] must be a Dense or a BatchNorm, got {type(layer).__name__}")
        W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
        if W.ndim < 2 or b.shape != W.shape[:-2] + W.shape[-1:]:
            raise ValueError(f"{name}[{i}] must have W (n_in, n_out) and b (n_out,), got {W.shape} and {b.shape}")
        if stack is not None and W.shape[:-2] != stack:
            raise ValueError(f"{name}[{i}] must have the stack axes {stack} of layer 0, got {W.shape[:-2]}")
        if n_in is not None and W.shape[-2] != n_in:
            raise ValueError(f"{name}[{i}].W must have {n_in} rows (the previous width), got {W.shape[-2]}")
        _check_layer_activation(layer.activation, W.shape[:-2], f"{name}[{i}]")
        checked.append(Dense(W, b, layer.activation))
        n_in, stack = W.shape[-1], W.shape[:-2]
    return checked


def _check_layer_activation(activation, lead, name):
    if isinstance(activation, tuple) and len(lead) == 1:  # one name per network of a stack
        if len(activation) != lead[0]:
            raise ValueError(f"{name}.activation must name one activation per network ({lead[0]})")
        for act in set(activation):
            _check_activation(act, f"{name}.activation")
    else:
        _check_activation(activation, f"{name}.activation")


def _check_batch_norm(layer, name, n_in, stack):
    gamma, beta, mean, var = (np.asarray(a, dtype=np.float64) for a in layer[:4])
    if gamma.ndim < 1 or any(a.shape != gamma.shape for a in (beta, mean, var)):
        raise ValueError(
            f"{name} must have gamma, beta, mean, var of one shape (n,), got "
            f"{gamma.shape}, {beta.shape}, {mean.shape}, {var.shape}"
        )
    if stack is not None and gamma.shape[:-1] != stack:
        raise ValueError(f"{name} must have the stack axes {stack} of layer 0, got {gamma.shape[:-1]}")
    if n_in is not None and gamma.shape[-1] != n_in:
        raise ValueError(f"{name}.gamma must have {n_in} entries (the previous width), got {gamma.shape[-1]}")
    _check_layer_activation(layer.activation, gamma.shape[:-1], name)
    momentum = check_scalar(f"{name}.momentum", layer.momentum, low=0.0, high=1.0)
    eps = check_scalar(f"{name}.eps", layer.eps, low=0.0)
    return BatchNorm(gamma, beta, mean, var, layer.activation, momentum, eps)


def _check_x(net, x, name="x"):
    x = np.asarray(x, dtype=np.float64)
    n_0 = _n_in(net[0])
    if x.ndim < 2 or x.shape[-1] != n_0:
        raise ValueError(f"{name} must have shape (m, {n_0}), got {x.shape}")
    return x


def forward(net, x, training=True):
    r"""The forward pass, keeping every layer: a_0 = x, z_k = a_{k−1} W_k + b_k, a_k = φ_k(z_k).

    ``x`` (m, n_0), rows are examples (or (A, m, n_0) for a stack of A networks). Returns
    :class:`Forward` (``output`` = a_L, ``z`` = [z_1 … z_L], ``a`` = [a_0 … a_L]). Chapters 05, 07.
    A :class:`BatchNorm` layer k gives z_k = γ ⊙ (a_{k−1} − μ)/√(σ² + ε) + β, a_k = φ_k(z_k), with the
    batch's statistics (``training=True``, the default: the loss that training minimizes, as
    ``model(x, training=True)``) or the running ones (``training=False``, Keras's inference mode;
    :func:`train`/:func:`sweep` record in that mode). ``training`` changes nothing without BatchNorm.
    """
    net = check_network(net)
    a = [_check_x(net, x)]
    z = []
    for layer in net:
        if isinstance(layer, BatchNorm):
            z.append(_bn_forward(layer, a[-1], training))
        else:
            z.append(a[-1] @ layer.W + layer.b[..., None, :])
        a.append(_phi(layer.activation, z[-1]))
    return Forward(a[-1], z, a)


def _bn_sanitized(layer, x, training, dy=None):
    """(bad, x, γ, β, stats, dy): the networks (of a stack) holding a non-finite input or parameter, and
    the arrays with those networks' entries replaced by harmless ones (their results are set to NaN)."""
    arrays = [layer.gamma, layer.beta] + ([] if training else [layer.mean, layer.var])
    bad = ~np.isfinite(x).all(axis=(-2, -1))
    for arr in arrays:
        bad = bad | ~np.isfinite(arr).all(axis=-1)
    if dy is not None:
        bad = bad | ~np.isfinite(dy).all(axis=(-2, -1))
    stats = normalization.RunningStats(layer.mean, layer.var)
    if not bad.any():
        return None, x, layer.gamma, layer.beta, stats, dy
    b1, b2 = bad[..., None], bad[..., None, None]
    x = np.where(b2, 0.0, x)
    gamma, beta = np.where(b1, 1.0, layer.gamma), np.where(b1, 0.0, layer.beta)
    stats = normalization.RunningStats(np.where(b1, 0.0, layer.mean), np.where(b1, 1.0, layer.var))
    return bad, x, gamma, beta, stats, None if dy is None else np.where(b2, 0.0, dy)


def _bn_forward(layer, x, training):
    """A BatchNorm layer's output before its activation (normalization.batch_norm / _inference)."""
    if x.shape[-2] == 0:  # no examples (an empty validation split)
        return np.zeros(np.broadcast_shapes(x.shape[:-2], layer.gamma.shape[:-1]) + x.shape[-2:])
    try:  # the usual case: everything finite (normalization checks it)
        if training:
            return normalization.batch_norm(x, layer.gamma, layer.beta, layer.eps)
        stats = normalization.RunningStats(layer.mean, layer.var)
        return normalization.batch_norm_inference(x, stats, layer.gamma, layer.beta, layer.eps)
    except ValueError:
        bad, x, gamma, beta, stats, _ = _bn_sanitized(layer, x, training)  # a diverged network gives NaN
        if bad is None:
            raise
    if training:
        y = normalization.batch_norm(x, gamma, beta, layer.eps)
    else:
        y = normalization.batch_norm_inference(x, stats, gamma, beta, layer.eps)
    return y if bad is None else np.where(bad[..., None, None], np.nan, y)


def backward(net, fwd, dJ_doutput):
    r"""Back-propagation: from g_L = ∂J/∂a_L, each layer's δ_k = ∂J/∂z_k and (∂J/∂W_k, ∂J/∂b_k).

    For k = L … 1:  δ_k = g_k ⊙ φ_k'(z_k);  ∂J/∂W_k = a_{k−1}ᵀ δ_k;  ∂J/∂b_k = Σ_rows δ_k;
    g_{k−1} = δ_k W_kᵀ  (the chain rule g_{k−1} = g_k ∂a_k/∂a_{k−1}, ∂a_k/∂a_{k−1} = diag(φ_k'(z_k)) W_kᵀ,
    never formed). ``fwd`` is :func:`forward`'s record. Returns :class:`Backward`. Chapter 05.
    A :class:`BatchNorm` layer (training mode) passes δ_k through
    :func:`course_lib.normalization.batch_norm_backward`: g_{k−1} = ∂J/∂a_{k−1} and its
    ``grads[k]`` = :class:`ScaleShift` (∂J/∂γ, ∂J/∂β) (chapter 11).
    """
    g = np.asarray(dJ_doutput, dtype=np.float64)
    if g.shape != fwd.output.shape:
        raise ValueError(f"dJ_doutput must have the output's shape {fwd.output.shape}, got {g.shape}")
    L = len(net)
    delta, grads = [None] * L, [None] * L
    for k in range(L - 1, -1, -1):
        delta[k] = g * _dphi(net[k].activation, fwd.z[k])
        if isinstance(net[k], BatchNorm):
            g, dgamma, dbeta = _bn_backward(net[k], delta[k], fwd.a[k])
            grads[k] = ScaleShift(dgamma, dbeta)
            continue
        grads[k] = (np.swapaxes(fwd.a[k], -1, -2) @ delta[k], delta[k].sum(axis=-2))
        if k > 0:
            g = delta[k] @ np.swapaxes(net[k].W, -1, -2)
    return Backward(delta, grads)


def _bn_backward(layer, delta, x):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) of a BatchNorm layer in training mode (normalization.batch_norm_backward)."""
    try:
        return normalization.batch_norm_backward(delta, x, layer.gamma, layer.eps)
    except ValueError:
        bad, x, gamma, _, _, delta = _bn_sanitized(layer, x, True, delta)
        if bad is None:
            raise
    dx, dgamma, dbeta = normalization.batch_norm_backward(delta, x, gamma, layer.eps)
    nan = bad[..., None]
    return np.where(nan[..., None], np.nan, dx), np.where(nan, np.nan, dgamma), np.where(nan, np.nan, dbeta)


def _loss_name(loss):
    if loss not in _LOSS_ALIASES:
        raise ValueError(f"loss must be one of {sorted(_LOSS_ALIASES)}, got {loss!r}")
    return _LOSS_ALIASES[loss]


def _check_smoothing(loss, label_smoothing):
    label_smoothing = check_scalar("label_smoothing", label_smoothing, low=0.0, high=1.0, high_open=True)
    if label_smoothing and loss != "cross_entropy":
        raise ValueError(f"label_smoothing applies to loss='cross_entropy' only, got loss={loss!r}")
    return label_smoothing


def output_loss(output, y, loss="cross_entropy", label_smoothing=0.0):
    r"""(J, ∂J/∂a_L) for the network output a_L and targets ``y``, by :mod:`course_lib.losses`.

    ``"cross_entropy"``: a_L are logits (m, K), ``y`` integer labels (m,); J = −(1/m) Σ log softmax(a_L)_y,
    ∂J/∂a_L = (softmax(a_L) − onehot(y)) / m (Keras's ``SparseCategoricalCrossentropy(from_logits=True)``);
    ``label_smoothing`` a replaces onehot(y) by (1 − a) onehot(y) + a/K (Keras's
    ``CategoricalCrossentropy(from_logits=True, label_smoothing=a)``).
    ``"mse"``: ``y`` of the output's shape; J = the mean of (a_L − y)² over all entries, ∂J/∂a_L =
    2 (a_L − y) / size (Keras's ``MeanSquaredError``).
    ``"softmax_mse"``: ``y`` integer labels; J = the mean of (softmax(a_L) − onehot(y))² over all entries
    (``MeanSquaredError()(onehot(y), softmax(a_L))``), its gradient through the softmax's Jacobian.
    """
    loss = _loss_name(loss)
    label_smoothing = _check_smoothing(loss, label_smoothing)
    if loss == "cross_entropy":
        return (
            losses.cross_entropy(output, y, label_smoothing),
            losses.cross_entropy_grad(output, y, label_smoothing),
        )
    if loss == "softmax_mse":
        return losses.softmax_mean_squared_error(output, y), losses.softmax_mean_squared_error_grad(output, y)
    return losses.mean_squared_error(output, y), losses.mean_squared_error_grad(output, y)


def _output_gradient(output, y, loss, label_smoothing=0.0):
    """∂J/∂a_L alone (training steps need no value)."""
    if loss == "cross_entropy":
        return losses.cross_entropy_grad(output, y, label_smoothing)
    if loss == "softmax_mse":
        return losses.softmax_mean_squared_error_grad(output, y)
    return losses.mean_squared_error_grad(output, y)


def loss_and_gradients(net, x, y, loss="cross_entropy"):
    """(J, grads): :func:`forward`, :func:`output_loss`, then :func:`backward`. Chapter 05."""
    net = check_network(net)
    fwd = forward(net, x)
    value, g = output_loss(fwd.output, y, loss)
    return value, backward(net, fwd, g).grads


# --------------------------------------------------------------------------------------------------
# Flat parameters, Keras
# --------------------------------------------------------------------------------------------------
def flatten(params):
    """θ: a network (or :func:`backward`'s ``grads``) as one vector, per layer W row-major then b.

    The order of a Keras model's ``trainable_variables`` (kernel, bias of each Dense layer; γ, β of
    a :class:`BatchNorm`, whose running statistics are not parameters). A stack of A networks gives θ
    of shape (A, P).
    """
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise ValueError("params must be a non-empty list of Dense layers or (dW, db) pairs")
    pieces = []
    for i, item in enumerate(params):
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise ValueError(f"params[{i}] must be a Dense or a pair (dW, db)")
        W, b = np.asarray(item[0], dtype=np.float64), np.asarray(item[1], dtype=np.float64)
        lead = W.shape[:-1] if isinstance(item, (BatchNorm, ScaleShift)) else W.shape[:-2]
        pieces += [W.reshape(lead + (-1,)), b.reshape(lead + (-1,))]
    return np.concatenate(pieces, axis=-1)


def n_params(net):
    """P, the number of parameters Σ_k (n_{k−1} + 1) n_k (plus 2 n per BatchNorm layer of width n)."""
    total = 0
    for layer in check_network(net):
        if isinstance(layer, BatchNorm):
            total += 2 * layer.gamma.shape[-1]
        else:
            total += layer.W.shape[-2] * layer.W.shape[-1] + layer.W.shape[-1]
    return total


def unflatten(theta, like):
    """The network with the shapes and activations of ``like`` and the parameters θ (inverse of flatten)."""
    like = check_network(like, "like")
    theta = np.asarray(theta, dtype=np.float64)
    P = n_params(like)
    if theta.ndim < 1 or theta.shape[-1] != P:
        raise ValueError(f"theta must have shape (..., {P}), got {theta.shape}")
    lead, net, start = theta.shape[:-1], [], 0
    for layer in like:
        if isinstance(layer, BatchNorm):
            n = layer.gamma.shape[-1]
            gamma, beta = theta[..., start : start + n], theta[..., start + n : start + 2 * n]
            net.append(layer._replace(gamma=gamma, beta=beta))
            start += 2 * n
            continue
        n_in, n_out = layer.W.shape[-2:]
        W = theta[..., start : start + n_in * n_out].reshape(lead + (n_in, n_out))
        start += n_in * n_out
        net.append(Dense(W, theta[..., start : start + n_out], layer.activation))
        start += n_out
    return net


def from_keras(model):
    """The network of a Keras model made of ``Dense`` layers (weights copied as float64).

    Each activation must be one of :data:`KERAS_ACTIVATIONS` (defined identically in both), with a bias.
    A ``BatchNormalization`` (over the last axis, with γ and β) becomes a :class:`BatchNorm` (its moving
    statistics, momentum and epsilon copied), taking the activation of an ``Activation`` layer after it.
    """
    import keras

    net = []
    for layer in getattr(model, "layers", None) or []:
        if (
            isinstance(layer, keras.layers.BatchNormalization)
            and layer.center
            and layer.scale
            and layer.axis in (-1, [-1], 1, [1])
        ):
            gamma, beta, mean, var = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            net.append(BatchNorm(gamma, beta, mean, var, "linear", float(layer.momentum), float(layer.epsilon)))
            continue
        if isinstance(layer, keras.layers.Activation) and net and isinstance(net[-1], BatchNorm):
            name = keras.activations.serialize(layer.activation)
            name = name if isinstance(name, str) else getattr(layer.activation, "__name__", str(name))
            if net[-1].activation != "linear" or name not in KERAS_ACTIVATIONS:
                raise ValueError(f"model's Activation after BatchNormalization must be one in {KERAS_ACTIVATIONS}")
            net[-1] = net[-1]._replace(activation=name)
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(
                f"model must contain only Dense layers (and BatchNormalization, then Activation), "
                f"found {type(layer).__name__}"
            )
        name = keras.activations.serialize(layer.activation)
        name = name if isinstance(name, str) else getattr(layer.activation, "__name__", str(name))
        if name not in KERAS_ACTIVATIONS or not layer.use_bias:
            raise ValueError(f"model's Dense activations must be in {KERAS_ACTIVATIONS} with a bias, got {name!r}")
        W, b = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        net.append(Dense(W, b, name))
    if not net:
        raise ValueError("model must be a Keras model with at least one Dense layer")
    return check_network(net, "model")


def to_keras(net, name="network"):
    """A ``keras.Sequential([keras.Input((n_0,)), Dense, …])`` holding ``net``'s weights (layers dense_1…L).

    A :class:`BatchNorm` becomes ``BatchNormalization(momentum, epsilon)`` (γ, β and the running
    statistics copied) followed by ``Activation`` unless its activation is linear.
    """
    import keras

    net = check_network(net)
    if _lead(net[0]):
        raise ValueError("net must be a single network (no stack axes)")
    bad = [layer.activation for layer in net if layer.activation not in KERAS_ACTIVATIONS]
    if bad:
        raise ValueError(f"net's activations must be in {KERAS_ACTIVATIONS} for Keras, got {bad[0]!r}")
    layers, weights, k = [keras.Input((_n_in(net[0]),))], [], 0
    for layer in net:
        if isinstance(layer, BatchNorm):
            layers.append(keras.layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.eps))
            weights += [layer.gamma, layer.beta, layer.mean, layer.var]
            if layer.activation != "linear":
                layers.append(keras.layers.Activation(layer.activation))
        else:
            k += 1
            layers.append(keras.layers.Dense(layer.W.shape[1], layer.activation, name=f"dense_{k}"))
            weights += [layer.W, layer.b]
    model = keras.Sequential(layers, name=name)
    model.set_weights(weights)
    return model


# --------------------------------------------------------------------------------------------------
# Curvature: the exact Hessian-vector product (R-operator)
# --------------------------------------------------------------------------------------------------
class _Point(NamedTuple):
    """What every Hessian-vector product at one θ shares: the forward record, φ', φ'', g_L and softmax."""

    net: list
    fwd: Forward
    d1: list
    d2: list
    g: np.ndarray
    p: np.ndarray | None


def _curvature_loss(loss):
    loss = _loss_name(loss)
    if loss == "softmax_mse":
        raise ValueError("loss must be 'cross_entropy' or 'mse' for curvature (hvp, Objective), got 'softmax_mse'")
    return loss


def _no_batch_norm(net, what):
    if _has_bn(net):
        raise ValueError(
            f"net has BatchNorm layers: {what} is not implemented for them (available for them: "
            "Objective.value/grad/hvp/hessian, loss_and_gradients)"
        )


def _point(net, x, y, loss):
    loss = _curvature_loss(loss)
    _no_batch_norm(net, "the exact Hessian-vector product")
    fwd = forward(net, x)
    d1 = [_dphi(layer.activation, z) for layer, z in zip(net, fwd.z)]
    d2 = [_d2phi(layer.activation, z) for layer, z in zip(net, fwd.z)]
    p = losses.softmax(fwd.output) if _loss_name(loss) == "cross_entropy" else None
    return _Point(net, fwd, d1, d2, _output_gradient(fwd.output, y, loss), p)


def _r_forward(net, fwd, d1, v):
    """The forward R-pass for v of shape (K, P): (R{a}, R{z}) per layer, R{a_L} = J v (K, m, n_L)."""
    V = unflatten(v, like=net)  # stacks: V[k].W (K, n_{k−1}, n_k)
    Ra, Rz = [np.zeros((1,) + fwd.a[0].shape)], []  # R{a_0} = 0
    for k, layer in enumerate(net):
        Rz.append(Ra[k] @ layer.W + fwd.a[k] @ V[k].W + V[k].b[:, None, :])
        Ra.append(d1[k] * Rz[k])
    return V, Ra, Rz


def _output_hessian_times(point, u):
    """∇²_{a_L} J u: (p ⊙ u − p (pᵀu)) / m for the cross-entropy, 2u / size for the MSE."""
    if point.p is not None:
        return point.p * (u - np.sum(point.p * u, axis=-1, keepdims=True)) / point.p.shape[0]
    return 2.0 * u / point.g.size


def _r_pass(point, v):
    """∇²J v for v of shape (K, P): the R-operator of :func:`hvp` on K directions at once."""
    net, fwd, d1, d2, g, p = point
    V, Ra, Rz = _r_forward(net, fwd, d1, v)
    Rg = _output_hessian_times(point, Ra[-1])
    out = [None] * len(net)
    for k in range(len(net) - 1, -1, -1):
        delta = g * d1[k]
        Rdelta = Rg * d1[k] + g * d2[k] * Rz[k]
        out[k] = (np.swapaxes(Ra[k], -1, -2) @ delta + fwd.a[k].T @ Rdelta, Rdelta.sum(axis=-2))
        if k > 0:
            g, Rg = delta @ net[k].W.T, Rdelta @ net[k].W.T + delta @ np.swapaxes(V[k].W, -1, -2)
    return flatten(out)


def hvp(net, x, y, v, loss="cross_entropy"):
    r"""∇²J(θ) v, exact, by Pearlmutter's R-operator R{·} = ∂/∂ε (·)(θ + ε v) at ε = 0 (chapters 05, 07).

    ``v`` is a flat vector (order of :func:`flatten`), V_k, c_k its pieces. Forward, with R{a_0} = 0:
    R{z_k} = R{a_{k−1}} W_k + a_{k−1} V_k + c_k,  R{a_k} = φ_k'(z_k) ⊙ R{z_k}.
    At the output, R{g_L} = ∇²ℓ R{a_L}: (p ⊙ u − p (pᵀu)) / m for the cross-entropy (p = softmax,
    u = R{a_L}), 2u / size for the MSE. Backward, for k = L … 1:
    R{δ_k} = R{g_k} ⊙ φ_k'(z_k) + g_k ⊙ φ_k''(z_k) ⊙ R{z_k},
    (∇²J v)_{W_k} = R{a_{k−1}}ᵀ δ_k + a_{k−1}ᵀ R{δ_k},  (∇²J v)_{b_k} = Σ_rows R{δ_k},
    R{g_{k−1}} = R{δ_k} W_kᵀ + δ_k V_kᵀ.  Cost: about two gradients. Returns a vector of shape (P,)
    (``v`` of shape (K, P), K directions, gives (K, P)). :class:`Objective` reuses the forward pass
    across products at the same θ.
    """
    net = check_network(net)
    v = np.asarray(v, dtype=np.float64)
    P = n_params(net)
    if v.shape[-1:] != (P,) or v.ndim > 2:
        raise ValueError(f"v must have shape ({P},) or (K, {P}), the flat parameters, got {v.shape}")
    return _r_pass(_point(net, x, y, loss), v.reshape(-1, P)).reshape(v.shape)


def _ggn_pass(point, v):
    """G v = Jᵀ (∇²_{a_L} J) J v for v of shape (K, P): a forward R-pass, then plain back-propagation."""
    net, fwd, d1 = point.net, point.fwd, point.d1
    _, Ra, _ = _r_forward(net, fwd, d1, v)
    g = _output_hessian_times(point, Ra[-1])
    out = [None] * len(net)
    for k in range(len(net) - 1, -1, -1):
        delta = g * d1[k]
        out[k] = (fwd.a[k].T @ delta, delta.sum(axis=-2))
        if k > 0:
            g = delta @ net[k].W.T
    return flatten(out)


def _check_directions(net, v):
    v = np.asarray(v, dtype=np.float64)
    P = n_params(net)
    if v.shape[-1:] != (P,) or v.ndim > 2:
        raise ValueError(f"v must have shape ({P},) or (K, {P}), the flat parameters, got {v.shape}")
    return v, P


def jvp(net, x, v):
    r"""J v: the derivative of the outputs a_L (m, n_L) along the parameter direction v (chapter 07).

    The forward R-pass of :func:`hvp`: R{a_0} = 0, R{z_k} = R{a_{k−1}} W_k + a_{k−1} V_k + c_k,
    R{a_k} = φ_k'(z_k) ⊙ R{z_k}; returns R{a_L} (m, n_L), or (K, m, n_L) for v of shape (K, P).
    J = ∂a_L/∂θ is never formed; cost about one forward pass. Not for BatchNorm networks.
    """
    net = check_network(net)
    _no_batch_norm(net, "jvp")
    v, P = _check_directions(net, v)
    fwd = forward(net, x)
    d1 = [_dphi(layer.activation, z) for layer, z in zip(net, fwd.z)]
    out = _r_forward(net, fwd, d1, v.reshape(-1, P))[1][-1]
    return out.reshape(v.shape[:-1] + out.shape[1:])


def ggn_vp(net, x, y, v, loss="cross_entropy"):
    r"""G v, the generalized Gauss-Newton matrix G = Jᵀ H_ℓ J times v, exact (chapter 07).

    J = ∂a_L/∂θ (all m examples), H_ℓ = ∇²_{a_L} J the loss's Hessian in the outputs: for the
    cross-entropy on logits (diag(p) − p pᵀ)/m per example (p = softmax), for the MSE 2/size · I; both
    positive semi-definite, so G is (Schraudolph 2002; Martens 2010). Computed as a forward R-pass
    (u = J v, :func:`jvp`), u ← H_ℓ u, then back-propagation of u without the second-derivative
    terms of :func:`hvp` (∇²J − G = Σ ∂J/∂a_L ⊙ ∂²a_L/∂θ², which vanishes when a_L is linear in θ,
    e.g. one linear layer, or at zero residual). ``v`` (P,) or (K, P). Not for BatchNorm networks.
    """
    net = check_network(net)
    v, P = _check_directions(net, v)
    return _ggn_pass(_point(net, x, y, loss), v.reshape(-1, P)).reshape(v.shape)


def layer_jacobians(net, x):
    """The explicit Jacobians of ONE example x (shape (n_0,)), to check back-propagation by hand (chapter 05).

    Returns (J_a, J_θ), lists over k = 1 … L of J_a[k−1] = ∂a_k/∂a_{k−1} = diag(φ_k'(z_k)) W_kᵀ, shape
    (n_k, n_{k−1}), and J_θ[k−1] = ∂a_k/∂θ_k, shape (n_k, n_{k−1} n_k + n_k), θ_k = (W_k row-major, b_k):
    ∂a_k[j]/∂W_k[i, j'] = φ_k'(z_k[j]) a_{k−1}[i] 1[j = j'],  ∂a_k[j]/∂b_k[j'] = φ_k'(z_k[j]) 1[j = j'].
    Then ∂ℓ/∂θ_k = g_L J_a[L−1] ⋯ J_a[k] J_θ[k−1] (the product of Jacobians that back-propagation avoids).
    """
    net = check_network(net)
    _no_batch_norm(net, "layer_jacobians (one example has no batch statistics)")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a single example of shape (n_0,), got {x.shape}")
    fwd = forward(net, x[None, :])
    J_a, J_theta = [], []
    for k, layer in enumerate(net):
        d = _dphi(layer.activation, fwd.z[k][0])
        n_in, n_out = layer.W.shape
        J_a.append(d[:, None] * layer.W.T)
        dW = np.einsum("j,i,jl->jil", d, fwd.a[k][0], np.eye(n_out)).reshape(n_out, n_in * n_out)
        J_theta.append(np.hstack([dW, np.diag(d)]))
    return J_a, J_theta


class Objective:
    """J(θ) = (1/m) Σᵢ ℓ(f(xᵢ; θ), yᵢ) of a network as a function of its flat parameters θ (NumPy, exact).

    ``like``: a network giving the shapes and activations (its own parameters are not used);
    ``x`` (m, n_0), ``y`` labels (m,) or targets (m, n_L); ``loss`` in :data:`LOSSES`. Methods take θ of
    shape (P,) (:func:`flatten` order): ``value``, ``grad``, ``value_and_grad``, ``hvp(θ, v)`` (exact,
    :func:`hvp`), ``hessian(θ)`` (the P columns H e_j, symmetrized), ``at(batch)`` (the same loss on the
    examples ``batch``, an index array: the mean over them), ``ggn_vp(θ, v)`` and ``ggn(θ)`` (the
    generalized Gauss-Newton matrix, :func:`ggn_vp`). ``dim`` = P, ``m`` = the number of examples.
    The interface of :mod:`course_lib.objectives`; chapters 05, 07. With :class:`BatchNorm` layers
    (chapter 11) J is the training-mode loss (batch statistics over the m examples, or over ``batch``
    for ``at(batch)``): ``value``/``grad`` are exact; ``hvp`` (and ``hessian``, its columns) is the central
    difference (∇J(θ + εv) − ∇J(θ − εv))/(2ε) of the exact gradient, ε = ∛(machine ε)(1 + ‖θ‖)/‖v‖
    (about 1e-8 relative error, tested against ``tf.GradientTape``; so :mod:`course_lib.curvature`'s
    ``top_eigenvalue`` and ``conjugate_gradient`` work on normalized networks); ``ggn_vp``/``ggn`` raise
    a ``ValueError``.
    """

    def __init__(self, like, x, y, loss="cross_entropy"):
        self.like = [
            l._replace(gamma=np.ones_like(l.gamma), beta=np.zeros_like(l.beta))
            if isinstance(l, BatchNorm)
            else Dense(np.zeros_like(l.W), np.zeros_like(l.b), l.activation)
            for l in check_network(like, "like")
        ]
        if _lead(self.like[0]):
            raise ValueError("like must be a single network (no stack axes)")
        self.loss = _curvature_loss(loss)
        self.x = _check_x(self.like, x)
        if self.x.ndim != 2 or self.x.shape[0] == 0:
            raise ValueError(f"x must have shape (m, n_0) with m >= 1, got {self.x.shape}")
        self.y = np.asarray(y)
        if self.y.ndim == 0 or self.y.shape[0] != self.x.shape[0]:
            raise ValueError(f"y must have as many rows as x ({self.x.shape[0]}), got shape {self.y.shape}")
        output_loss(forward(self.like, self.x[:1]).output, self.y[:1], self.loss)  # checks y's kind early
        self.dim, self.m = n_params(self.like), self.x.shape[0]
        self._cache = None  # (θ, _Point) of the last θ of hvp/hessian

    def _net(self, theta, name="theta"):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            raise ValueError(f"{name} must have shape ({self.dim},), got {theta.shape}")
        return unflatten(theta, self.like)

    def value(self, theta):
        """J(θ), a float."""
        return output_loss(forward(self._net(theta), self.x).output, self.y, self.loss)[0]

    def value_and_grad(self, theta):
        """(J(θ), ∇J(θ)) from one forward and one backward pass."""
        value, grads = loss_and_gradients(self._net(theta), self.x, self.y, self.loss)
        return value, flatten(grads)

    def grad(self, theta):
        """∇J(θ), shape (P,)."""
        return self.value_and_grad(theta)[1]

    def hvp(self, theta, v):
        """∇²J(θ) v, exact (:func:`hvp`), shape (P,); the forward pass at θ is kept for the next call."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (self.dim,):
            raise ValueError(f"v must have shape ({self.dim},), got {v.shape}")
        if _has_bn(self.like):
            return self._hvp_difference(theta, v)
        return _r_pass(self._point(theta), v[None])[0]

    def _hvp_difference(self, theta, v):
        """BatchNorm networks: ∇²J(θ) v by a central difference of the exact gradient (see the class)."""
        theta, norm = np.asarray(theta, dtype=np.float64), np.linalg.norm(v)
        if norm == 0.0:
            return np.zeros(self.dim)
        eps = np.cbrt(np.finfo(np.float64).eps) * (1.0 + np.linalg.norm(theta)) / norm
        return (self.grad(theta + eps * v) - self.grad(theta - eps * v)) / (2.0 * eps)

    def ggn_vp(self, theta, v):
        """G(θ) v, the generalized Gauss-Newton product (:func:`ggn_vp`), shape (P,); caches like hvp."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (self.dim,):
            raise ValueError(f"v must have shape ({self.dim},), got {v.shape}")
        return _ggn_pass(self._point(theta), v[None])[0]

    def ggn(self, theta, block=64):
        """G(θ), (P, P): the products G e_j, ``block`` directions per pass, symmetrized."""
        point, eye = self._point(theta), np.eye(self.dim)
        G = np.concatenate([_ggn_pass(point, eye[j : j + block]) for j in range(0, self.dim, block)])
        return 0.5 * (G + G.T)

    def _point(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if self._cache is None or not np.array_equal(self._cache[0], theta):
            theta = theta.copy()  # the cached network must not see later changes to the caller's array
            self._cache = (theta, _point(self._net(theta), self.x, self.y, self.loss))
        return self._cache[1]

    def hessian(self, theta, block=64):
        """∇²J(θ), (P, P): the products ∇²J(θ) e_j, ``block`` directions per batched R-pass, symmetrized."""
        if _has_bn(self.like):
            H = np.stack([self._hvp_difference(theta, e) for e in np.eye(self.dim)])
            return 0.5 * (H + H.T)
        point, eye = self._point(theta), np.eye(self.dim)
        H = np.concatenate([_r_pass(point, eye[j : j + block]) for j in range(0, self.dim, block)])
        return 0.5 * (H + H.T)

    def at(self, batch):
        """The same loss on the examples ``batch`` (integer indices in 0..m−1; the mean over them)."""
        batch = check_indices(batch, self.m)
        return Objective(self.like, self.x[batch], self.y[batch], self.loss)

    def __repr__(self):
        return f"Objective(dim={self.dim}, m={self.m}, loss={self.loss!r})"


# --------------------------------------------------------------------------------------------------
# Optimizers for train and sweep: Keras 3's update rules, batched over an arm axis
# --------------------------------------------------------------------------------------------------
#: Optimizer names for :func:`train` and :func:`sweep`, each with its options and Keras 3's defaults
#: (the keyword arguments of ``keras.optimizers.<Class>`` other than ``learning_rate``).
OPTIMIZERS = {
    "sgd": {"momentum": 0.0, "nesterov": False, "weight_decay": 0.0},
    "rmsprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False, "weight_decay": 0.0},
    "adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False, "weight_decay": 0.0},
    "adamw": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False, "weight_decay": 0.004},
    "nadam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.0},
    "adagrad": {"initial_accumulator_value": 0.1, "epsilon": 1e-7, "weight_decay": 0.0},
    "lion": {"beta_1": 0.9, "beta_2": 0.99, "weight_decay": 0.0},
    "schedule_free_adamw": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "warmup_steps": 0, "weight_decay": 0.0},
}
#: The Keras class of each name of :data:`OPTIMIZERS` (``keras.optimizers.<class>``).
KERAS_OPTIMIZERS = {
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adagrad": "Adagrad",
    "lion": "Lion",
    "schedule_free_adamw": "ScheduleFreeAdamW",
}
_OPTION_RANGES = {  # (low, high, high_open) for floats; booleans and integers apart
    "momentum": (0.0, 1.0, True),
    "rho": (0.0, 1.0, True),
    "beta_1": (0.0, 1.0, True),
    "beta_2": (0.0, 1.0, True),
    "epsilon": (0.0, None, False),
    "weight_decay": (0.0, None, False),
    "initial_accumulator_value": (0.0, None, False),
}


def optimizer_config(optimizer="sgd", optimizer_options=None, momentum=0.0):
    r"""The full options of ``optimizer`` (a key of :data:`OPTIMIZERS`): Keras's defaults, updated.

    ``optimizer_options`` (a dict, or None) overrides the defaults by Keras's keyword names (e.g.
    ``{"beta_1": 0.8}`` for Adam, ``{"momentum": 0.9, "nesterov": True}`` for SGD); ``weight_decay``
    λ ≥ 0 is Keras's decoupled decay θ ← θ − η λ θ before each step (0 = none; Keras's ``None``).
    ``momentum`` (the older argument of :func:`train`/:func:`sweep`) is SGD's μ: with
    ``optimizer="sgd"`` it sets ``optimizer_options["momentum"]`` (giving both, different, is an error);
    with another optimizer it must be 0. Returns ``(name, options)``; a ``ValueError`` names a bad
    ``optimizer``, ``optimizer_options`` key or ``optimizer_options['<key>']`` value.
    """
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    options = {} if optimizer_options is None else optimizer_options
    if not isinstance(options, dict):
        raise ValueError(f"optimizer_options must be a dict or None, got {type(options).__name__}")
    config = dict(OPTIMIZERS[optimizer])
    for key, value in options.items():
        if key not in config:
            raise ValueError(
                f"optimizer_options has an unknown key {key!r} for optimizer={optimizer!r}; "
                f"its options are {sorted(config)}"
            )
        name = f"optimizer_options[{key!r}]"
        if key in ("nesterov", "centered", "amsgrad"):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {value!r}")
            config[key] = bool(value)
        elif key == "warmup_steps":
            config[key] = check_scalar(name, value, low=0, integer=True)
        else:
            if key == "weight_decay" and value is None:
                value = 0.0  # Keras's None: no decay
            low, high, high_open = _OPTION_RANGES[key]
            config[key] = check_scalar(name, value, low=low, high=high, high_open=high_open)
    momentum = check_scalar("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if momentum:
        if optimizer != "sgd":
            raise ValueError(
                f"momentum applies to optimizer='sgd' only, got optimizer={optimizer!r} "
                "(give its options in optimizer_options)"
            )
        if "momentum" in options and config["momentum"] != momentum:
            raise ValueError("momentum and optimizer_options['momentum'] differ; give one of them")
        config["momentum"] = momentum
    return optimizer, config


def keras_optimizer(optimizer, learning_rate, optimizer_options=None, momentum=0.0):
    """The Keras optimizer that one arm of :func:`sweep` (or :func:`train`) with these arguments equals.

    ``keras.optimizers.<KERAS_OPTIMIZERS[optimizer]>(learning_rate, **options)`` with the options of
    :func:`optimizer_config` (``weight_decay`` 0 passed as Keras's ``None``).
    """
    import keras

    name, config = optimizer_config(optimizer, optimizer_options, momentum)
    learning_rate = check_scalar("learning_rate", learning_rate, low=0.0, low_open=True)
    if name != "adamw":  # Keras's AdamW demands a float; the others take None for "no decay"
        config = dict(config, weight_decay=config["weight_decay"] or None)
    return getattr(keras.optimizers, KERAS_OPTIMIZERS[name])(learning_rate=learning_rate, **config)


#: Keras's Nadam casts its schedule constant 0.96 to the variables' type from a Python float, which
#: TensorFlow makes float32 first: u_t uses float32(0.96), the running product Π_t the exact 0.96.
_NADAM_DECAY = float(np.float32(0.96))


def _opt_init(name, config, params):
    """The optimizer's state for the arrays ``params`` (its slots, Keras's initial values); step t = 0."""
    slots = []
    for p in params:
        zeros = np.zeros_like(p).copy
        if name == "sgd":
            s = {"m": zeros()} if config["momentum"] else {}
        elif name == "rmsprop":
            s = {"v": zeros()}
            if config["momentum"]:
                s["mom"] = zeros()
            if config["centered"]:
                s["avg"] = zeros()
        elif name in ("adam", "adamw", "nadam"):
            s = {"m": zeros(), "v": zeros()}
            if config.get("amsgrad"):
                s["v_hat"] = zeros()
        elif name == "adagrad":
            s = {"acc": np.full_like(p, config["initial_accumulator_value"])}
        elif name == "lion":
            s = {"m": zeros()}
        else:  # schedule_free_adamw: z starts at θ_0 (Keras's "momentum" slot), v at 0
            s = {"z": p.copy(), "v": zeros()}
        slots.append(s)
    return {"t": 0, "u_product": 1.0, "slots": slots}


def _opt_step(name, c, state, params, grads, lr):
    r"""One step of optimizer ``name`` (options ``c``) on the arrays ``params`` in place (Keras's arithmetic).

    ``lr``: a float (one network) or one rate per arm, shape (A,), broadcast over each array (A, …).
    The rules, with g the gradient, η the rate, t the step (1, 2, …), every slot 0 at t = 0 unless said:
    decay (any optimizer, λ = ``weight_decay``): θ ← θ − η λ θ, first;
    sgd: m ← μ m − η g; θ ← θ + m (``nesterov``: θ ← θ + μ m − η g); μ = 0: θ ← θ − η g;
    rmsprop: v ← ρ v + (1 − ρ) g²; (``centered``: ḡ ← ρ ḡ + (1 − ρ) g, v − ḡ² in place of v);
    Δ = η g / √(v + ε) (ε inside the root); momentum: m ← μ m + Δ, θ ← θ − m; else θ ← θ − Δ;
    adam/adamw: m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂); (``amsgrad``: v̂ ← max(v̂, v));
    θ ← θ − α_t m / (√v + ε), α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ) (ε outside the root, not bias-corrected);
    nadam: u_t = β₁ (1 − ½ 0.96ᵗ), Π_t = u_1 ⋯ u_t; m, v as adam; m̂ = u_{t+1} m / (1 − Π_t u_{t+1})
    + (1 − u_t) g / (1 − Π_t); v̂ = v / (1 − β₂ᵗ); θ ← θ − η m̂ / (√v̂ + ε);
    adagrad: a ← a + g² (a starts at ``initial_accumulator_value``); θ ← θ − η g / √(a + ε);
    lion: θ ← θ − η sign(β₁ m + (1 − β₁) g); m ← β₂ m + (1 − β₂) g;
    schedule_free_adamw (θ = y, Keras's variable, where gradients are taken; z starts at θ_0):
    η_t = η min(t / warmup, 1); v as adam; z ← z − η_t g / (√(v / (1 − β₂ᵗ)) + ε);
    x ← (1 − 1/t) x + z/t with x = (y − (1 − β₁) z_old) / β₁; y ← (1 − β₁) z + β₁ x.

    Hyperparameters are used exactly as given. Keras rounds some through float32 even on float64
    variables (``ops.cast`` of a Python float: SGD's μ, the β's inside β₁ᵗ, β₂ᵗ, the decay λ, Adagrad's
    initial accumulator; :data:`course_lib.keras_compat.FLOAT32_NOTES`): with values exact in float32
    (0.875, 1 − 2⁻¹⁰, 2⁻⁷, 0.125) an arm equals Keras to round-off (tested), with Keras's defaults (0.9,
    0.999) to ~1e-6. Nadam's constant 0.96 in u_t is float32(0.96), as in Keras. Schedule-free AdamW
    follows Defazio et al. (2024) (x_t recovered with z_t, the slot before its update): Keras 3.15 on
    TensorFlow reads the slot after its update there (its ``momentum_old = momentum.value`` aliases the
    variable), a different recursion (shown by a test); the records are at y, Keras's variables.
    """
    state["t"] += 1
    t = float(state["t"])
    if name == "nadam":  # Keras's _u_product, once per step before the variables
        state["u_product"] = state["u_product"] * c["beta_1"] * (1.0 - 0.5 * np.power(0.96, t))
    for p, g, s in zip(params, grads, state["slots"]):
        eta = lr if np.ndim(lr) == 0 else np.reshape(lr, np.shape(lr) + (1,) * (p.ndim - 1))
        if c["weight_decay"]:
            p -= p * c["weight_decay"] * eta
        if name == "sgd":
            if c["momentum"]:
                s["m"] = s["m"] * c["momentum"] - g * eta
                p += s["m"] * c["momentum"] - g * eta if c["nesterov"] else s["m"]
            else:
                p -= g * eta
        elif name == "rmsprop":
            rho = c["rho"]
            s["v"] = rho * s["v"] + (1 - rho) * np.square(g)
            if c["centered"]:
                s["avg"] = rho * s["avg"] + (1 - rho) * g
                denominator = s["v"] - np.square(s["avg"]) + c["epsilon"]
            else:
                denominator = s["v"] + c["epsilon"]
            increment = eta * g / np.sqrt(denominator)
            if c["momentum"]:
                s["mom"] = c["momentum"] * s["mom"] + increment
                p -= s["mom"]
            else:
                p -= increment
        elif name in ("adam", "adamw"):
            b1, b2 = c["beta_1"], c["beta_2"]
            alpha = eta * np.sqrt(1 - np.power(b2, t)) / (1 - np.power(b1, t))
            s["m"] += (g - s["m"]) * (1 - b1)
            s["v"] += (np.square(g) - s["v"]) * (1 - b2)
            v = s["v"]
            if c["amsgrad"]:
                s["v_hat"] = v = np.maximum(s["v_hat"], s["v"])
            p -= s["m"] * alpha / (np.sqrt(v) + c["epsilon"])
        elif name == "nadam":
            b1, b2 = c["beta_1"], c["beta_2"]
            u_t = b1 * (1.0 - 0.5 * np.power(_NADAM_DECAY, t))
            u_next = b1 * (1.0 - 0.5 * np.power(_NADAM_DECAY, t + 1))
            product, product_next = state["u_product"], state["u_product"] * u_next
            s["m"] += (g - s["m"]) * (1 - b1)
            s["v"] += (np.square(g) - s["v"]) * (1 - b2)
            m_hat = u_next * s["m"] / (1 - product_next) + (1 - u_t) * g / (1 - product)
            v_hat = s["v"] / (1 - np.power(b2, t))
            p -= m_hat * eta / (np.sqrt(v_hat) + c["epsilon"])
        elif name == "adagrad":
            s["acc"] += np.square(g)
            p -= eta * g / np.sqrt(s["acc"] + c["epsilon"])
        elif name == "lion":
            b1, b2 = c["beta_1"], c["beta_2"]
            p -= eta * np.sign(s["m"] * b1 + g * (1.0 - b1))
            s["m"] = s["m"] * b2 + g * (1.0 - b2)
        else:  # schedule_free_adamw
            b1, b2 = c["beta_1"], c["beta_2"]
            if c["warmup_steps"] > 0:
                eta = eta * min(t / c["warmup_steps"], 1.0)
            z_old = s["z"]
            s["v"] += (np.square(g) - s["v"]) * (1 - b2)
            s["z"] = z_old - eta * g / (np.sqrt(s["v"] / (1 - np.power(b2, t))) + c["epsilon"])
            weight = 1.0 / t
            x_old = (p - (1 - b1) * z_old) / b1  # x_t from y_t and z_t (see the docstring on Keras)
            x_new = (1 - weight) * x_old + weight * s["z"]
            p[...] = (1 - b1) * s["z"] + b1 * x_new


# --------------------------------------------------------------------------------------------------
# Sweeps: many small networks trained as one computation (issue 12.7; chapters 01, 02 and later)
# --------------------------------------------------------------------------------------------------
class Run(NamedTuple):
    """:func:`train`'s result for one network: records at the epochs ``epochs`` (0 = at initialization).

    ``loss``/``train_accuracy`` on the training examples (without the validation rows), ``val_*`` on the
    validation rows (NaN without a validation split), ``test_*`` on the test set; ``net`` the final
    network; ``diverged``: a non-finite output met during training (records after it are NaN).
    """

    epochs: np.ndarray
    loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    net: list
    diverged: bool


class Sweep(NamedTuple):
    """:func:`sweep`'s result: V activations × S seeds × R learning rates.

    The records (``loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``test_loss``,
    ``test_accuracy``) have shape (V, S, R, T), column t at epoch ``epochs[t]`` (0 = at initialization),
    NaN after an arm diverged; ``params[v]``: activation v's final networks as a stack, each W of shape
    (S, R, n_in, n_out) (NaN for a diverged arm); ``diverged`` (V, S, R) bool; ``optimizer`` its name and
    ``options`` its full options (:func:`optimizer_config`).
    """

    activations: tuple
    seeds: tuple
    learning_rates: np.ndarray
    epochs: np.ndarray
    loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    params: list
    diverged: np.ndarray
    optimizer: str = "sgd"
    options: dict | None = None


def _split(data, validation, loss):
    """(train, validation, test) pairs (x float64, y) from a Dataset; MSE targets are one-hot rows.

    ``validation``: a fraction in [0, 1) of the training rows, or (an int) their number; the last rows.
    """
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a course_lib.datasets.Dataset, got {type(data).__name__}")
    x, y = np.asarray(data.x_train, dtype=np.float64), np.asarray(data.y_train)
    if isinstance(validation, (int, np.integer)) and not isinstance(validation, bool):
        n_val = check_scalar("validation", validation, low=0, integer=True)
    else:
        n_val = int(round(check_scalar("validation", validation, low=0.0, high=1.0, high_open=True) * len(x)))
    if y.ndim != 1:
        raise ValueError("data must have integer labels (datasets.digits(one_hot=False))")
    if len(x) - n_val < 1:
        raise ValueError(f"validation leaves no training examples, got {validation!r}")
    sets = [(x[: len(x) - n_val], y[: len(x) - n_val]), (x[len(x) - n_val :], y[len(x) - n_val :])]
    sets.append((np.asarray(data.x_test, dtype=np.float64), np.asarray(data.y_test)))
    return sets, data.n_classes


def _targets(y, n_classes, loss):
    return np.eye(n_classes)[y] if loss == "mse" else y


def _scores(output, y, n_classes, loss, label_smoothing=0.0):
    """Per network of a stack (A, m, K): (mean loss, accuracy), NaN where the output is not finite."""
    out = np.full(output.shape[0], np.nan), np.full(output.shape[0], np.nan)
    if len(y) == 0:
        return out
    ok = np.all(np.isfinite(output), axis=(-2, -1))
    if ok.any():
        o = output[ok]
        if loss == "cross_entropy" and label_smoothing:
            t = (1.0 - label_smoothing) * np.eye(n_classes)[y] + label_smoothing / n_classes
            out[0][ok] = -np.sum(t * losses.log_softmax(o), axis=-1).mean(axis=-1)
        elif loss == "cross_entropy":
            out[0][ok] = -np.take_along_axis(
                losses.log_softmax(o), np.broadcast_to(y[:, None], o.shape[:-1] + (1,)), -1
            ).mean(axis=(-2, -1))
        elif loss == "softmax_mse":
            out[0][ok] = np.mean((losses.softmax(o) - np.eye(n_classes)[y]) ** 2, axis=(-2, -1))
        else:
            out[0][ok] = np.mean((o - _targets(y, n_classes, loss)) ** 2, axis=(-2, -1))
        out[1][ok] = np.mean(o.argmax(axis=-1) == y, axis=-1)
    return out


def _check_run(epochs, batch_size, momentum, loss, record_every, label_smoothing, optimizer, optimizer_options):
    loss = _loss_name(loss)
    return (
        check_scalar("epochs", epochs, low=1, integer=True),
        check_scalar("batch_size", batch_size, low=1, integer=True),
        optimizer_config(optimizer, optimizer_options, momentum),
        loss,
        check_scalar("record_every", record_every, low=1, integer=True),
        _check_smoothing(loss, label_smoothing),
    )


def train(
    net,
    data,
    learning_rate,
    seed=0,
    *,
    epochs=30,
    batch_size=32,
    momentum=0.0,
    optimizer="sgd",
    optimizer_options=None,
    loss="cross_entropy",
    label_smoothing=0.0,
    validation=0.0,
    record_every=1,
):
    r"""Mini-batch SGD (or another optimizer) on one network, the plain loop (the reference for :func:`sweep`).

    Each epoch takes a fresh permutation of the training rows from ``numpy.random.default_rng(seed)``,
    cut into batches B of ``batch_size`` (the last one shorter), and steps
    v ← μ v − η ∇J_B(θ), θ ← θ + v (μ = ``momentum``; with μ = 0, θ ← θ − η ∇J_B(θ)): Keras's ``SGD``
    with the batches of :func:`course_lib.models.train`. ``optimizer`` (a key of :data:`OPTIMIZERS`,
    default ``"sgd"``) with ``optimizer_options`` (Keras's keyword names and defaults,
    :func:`optimizer_config`) steps θ by that Keras optimizer's rule instead (:func:`_opt_step` has the
    equations): ``keras_optimizer(optimizer, learning_rate, optimizer_options, momentum)`` is the Keras
    optimizer the run equals (tested). ``validation``: the fraction of the training
    rows held out (the last ones; ``datasets.digits`` has shuffled them), or an int, their number.
    ``loss`` one of :data:`LOSSES` (``label_smoothing`` a for the cross-entropy: :func:`output_loss`); the
    recorded losses are that loss, smoothed targets included. A network with :class:`BatchNorm`
    layers trains in training mode (batch statistics) and updates the running statistics at every step;
    the records use them (inference mode, as Keras's ``evaluate``). Returns a :class:`Run`.
    """
    net = check_network(net)
    if _lead(net[0]):
        raise ValueError("net must be a single network (no stack axes); use sweep for many")
    learning_rate = check_scalar("learning_rate", learning_rate, low=0.0, low_open=True)
    rng = np.random.default_rng(check_seed(seed))
    epochs, batch_size, (name, config), loss, record_every, smoothing = _check_run(
        epochs, batch_size, momentum, loss, record_every, label_smoothing, optimizer, optimizer_options
    )
    sets, n_classes = _split(data, validation, loss)
    x, y = sets[0]
    momentum, plain = config.get("momentum", 0.0), _plain_sgd(name, config)
    velocity = [tuple(np.zeros_like(p) for p in _params(layer)) for layer in net]
    if not plain:  # the optimizer updates its own copies of the parameters in place
        params = [arr.copy() for layer in net for arr in _params(layer)]
        net = [_with_params(layer, params[2 * i], params[2 * i + 1]) for i, layer in enumerate(net)]
        opt_state = _opt_init(name, config, params)
    recorded, history, diverged = [], [], False
    with np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            if epoch > 0 and not diverged:
                order = rng.permutation(len(x))
                for first in range(0, len(x), batch_size):
                    batch = order[first : first + batch_size]
                    fwd = forward(net, x[batch])
                    if not np.all(np.isfinite(fwd.output)):
                        diverged = True
                        break
                    g = _output_gradient(fwd.output, _targets(y[batch], n_classes, loss), loss, smoothing)
                    grads = backward(net, fwd, g).grads
                    net = _update_running(net, fwd)
                    if not plain:
                        _opt_step(name, config, opt_state, params, [a for pair in grads for a in pair], learning_rate)
                        continue
                    for i, (layer, (dW, db)) in enumerate(zip(net, grads)):
                        W, b = _params(layer)
                        if momentum:
                            vW, vb = velocity[i]
                            velocity[i] = (momentum * vW - learning_rate * dW, momentum * vb - learning_rate * db)
                            net[i] = _with_params(layer, W + velocity[i][0], b + velocity[i][1])
                        else:
                            net[i] = _with_params(layer, W - learning_rate * dW, b - learning_rate * db)
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                scores = [
                    _scores(forward(net, xs[None], training=False).output, ys, n_classes, loss, smoothing)
                    for xs, ys in sets
                ]
                history.append(np.full(6, np.nan) if diverged else np.ravel(scores))
    h = np.array(history).T
    if diverged:
        net = [_with_params(l, *(np.full_like(p, np.nan) for p in _params(l))) for l in net]
    diverged = diverged or not np.isfinite(h[0, -1])
    return Run(np.array(recorded), *h, net=net, diverged=bool(diverged))


def sweep(
    data,
    sizes,
    *,
    learning_rates,
    seeds,
    activations=("relu",),
    epochs=30,
    batch_size=32,
    momentum=0.0,
    optimizer="sgd",
    optimizer_options=None,
    loss="cross_entropy",
    label_smoothing=0.0,
    initializer="glorot_uniform",
    output_scale=1.0,
    batch_norm=False,
    validation=0.0,
    record_every=1,
):
    r"""Train V × S × R networks (activations × seeds × learning rates) as one computation (issue 12.7).

    Arm (v, s, r) is ``train(init(sizes, activations[v], seeds[s], initializer, output_scale=output_scale),
    data, learning_rates[r], seeds[s], ...)`` (the same ``loss``, ``label_smoothing``, ``validation`` ...):
    the same seed gives the same initial weights and the same mini-batch order whatever the rate and the
    activation (a paired design). The arms of one activation are a stack with a leading
    arm axis, stepped together by batched matrix products (``np.matmul`` over the arm axis) in
    :func:`forward` and :func:`backward`; an arm whose output stops being finite is marked diverged and
    dropped (no warning, no effect on the others). The tests check the result equals the arms trained one
    by one with :func:`train` (to 1e-12) in well-conditioned runs; in a chaotic one (a saturated softmax
    trained at a large rate, chapter 02's confidently wrong start) the different summation order of a
    stacked product grows from round-off to several points of accuracy within a few epochs, as it would
    on another BLAS. ``loss``: one of :data:`LOSSES`; ``label_smoothing`` (cross-entropy only) and
    ``output_scale`` (the last layer's initial W multiplied, :func:`init`) serve chapter 02.
    ``optimizer``/``optimizer_options``: any of :data:`OPTIMIZERS` with Keras's options and defaults
    (:func:`optimizer_config`), each arm at its own learning rate η_r (the rate multiplies each arm's
    step, and its decay η λ θ, along the arm axis); ``momentum`` is SGD's μ as before.
    ``batch_norm=True`` (chapter 11): the networks of ``init(..., batch_norm=True)`` (a :class:`BatchNorm`
    after every hidden Dense; the same W as without, so the arms pair with a plain sweep); each step
    updates W, b, γ, β and the running statistics; the records are in inference mode (running
    statistics, as Keras's ``evaluate``). Returns a :class:`Sweep`; :func:`best_rates` picks each
    activation's rate.
    """
    from threadpoolctl import threadpool_limits

    sizes = _check_sizes(sizes)
    acts = (activations,) if isinstance(activations, str) else tuple(activations)
    if not acts:
        raise ValueError("activations must name at least one activation")
    for name in acts:
        _check_activation(name, "activations")
    rates = np.atleast_1d(np.asarray(learning_rates, dtype=np.float64))
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"learning_rates must be a non-empty 1-D sequence of positive numbers, got {learning_rates!r}")
    seeds = tuple(check_seed(s, "seeds") for s in (np.atleast_1d(seeds).tolist() if np.ndim(seeds) else [seeds]))
    if not seeds:
        raise ValueError("seeds must not be empty")
    epochs, batch_size, opt, loss, record_every, smoothing = _check_run(
        epochs, batch_size, momentum, loss, record_every, label_smoothing, optimizer, optimizer_options
    )
    sets, n_classes = _split(data, validation, loss)
    if sizes[0] != sets[0][0].shape[1] or sizes[-1] != n_classes:
        raise ValueError(
            f"sizes must start with {sets[0][0].shape[1]} inputs and end with {n_classes} outputs, got {sizes}"
        )
    x, y = sets[0]
    V, S, R = len(acts), len(seeds), rates.size
    A = V * S * R  # arm a = (v, s, r) in row-major order
    arm_seed, arm_rate = np.tile(np.repeat(np.arange(S), R), V), np.tile(rates, V * S)
    per_seed = [init(sizes, "linear", s, initializer, output_scale=output_scale, batch_norm=batch_norm) for s in seeds]
    hidden = tuple(np.repeat(acts, S * R).tolist())
    arms = lambda arrays: np.tile(  # noqa: E731  one array per seed -> one per arm (v, s, r)
        np.repeat(np.stack(arrays), R, axis=0), (V,) + (1,) * arrays[0].ndim
    )
    net = []
    for i, layer in enumerate(per_seed[0]):
        fields = [arms([n[i][j] for n in per_seed]) for j in range(2 if isinstance(layer, Dense) else 4)]
        if isinstance(layer, BatchNorm):
            net.append(
                layer._replace(gamma=fields[0], beta=fields[1], mean=fields[2], var=fields[3], activation=hidden)
            )
        else:
            last = i == len(per_seed[0]) - 1
            net.append(Dense(*fields, hidden if not (last or batch_norm) else "linear"))
    state = {"net": net, "alive": np.arange(A), "velocity": [(0.0, 0.0)] * len(net)}
    if not _plain_sgd(*opt):
        state["opt"] = _opt_init(*opt, [arr for layer in net for arr in _params(layer)])
    history, recorded, rngs = [], [], [np.random.default_rng(s) for s in seeds]
    with threadpool_limits(1, user_api="blas"), np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            if epoch > 0:
                orders = np.stack([rng.permutation(len(x)) for rng in rngs])
                for first in range(0, len(x), batch_size):
                    batch = orders[arm_seed[state["alive"]], first : first + batch_size]
                    targets = _targets(y[batch], n_classes, loss)
                    _sgd_step(state, x[batch], targets, arm_rate, loss, opt, smoothing)
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                h = np.full((6, A), np.nan)
                if state["alive"].size:
                    for j, (xs, ys) in enumerate(sets):
                        out = forward(state["net"], xs[None], training=False).output
                        scores = _scores(out, ys, n_classes, loss, smoothing)
                        h[2 * j, state["alive"]], h[2 * j + 1, state["alive"]] = scores
                history.append(h)
    history = np.stack(history, axis=-1).reshape(6, V, S, R, -1)
    params, alive = [], state["alive"]
    for v in range(V):
        params.append([])
        for layer in state["net"]:
            rows = slice(v * S * R, (v + 1) * S * R)
            fields = []
            for arr in layer[: 4 if isinstance(layer, BatchNorm) else 2]:
                full = np.full((A,) + arr.shape[1:], np.nan)
                full[alive] = arr
                fields.append(full[rows].reshape((S, R) + arr.shape[1:]))
            act = acts[v] if isinstance(layer.activation, tuple) else layer.activation
            if isinstance(layer, BatchNorm):
                params[v].append(
                    layer._replace(gamma=fields[0], beta=fields[1], mean=fields[2], var=fields[3], activation=act)
                )
            else:
                params[v].append(Dense(*fields, act))
    dead = np.ones(A, dtype=bool)
    dead[alive] = False
    diverged = dead.reshape(V, S, R) | ~np.isfinite(history[0, ..., -1])
    return Sweep(
        acts,
        seeds,
        rates,
        np.array(recorded),
        *history,
        params=params,
        diverged=diverged,
        optimizer=opt[0],
        options=opt[1],
    )


def _with_params(layer, first, second):
    """The layer with new trainable arrays: (W, b) of a Dense, (γ, β) of a BatchNorm."""
    if isinstance(layer, BatchNorm):
        return layer._replace(gamma=first, beta=second)
    return Dense(first, second, layer.activation)


def _update_running(net, fwd):
    """The network with each BatchNorm's running statistics updated from this training-mode pass's inputs
    (normalization.update_running: mean ← ρ mean + (1 − ρ) μ_B, var ← ρ var + (1 − ρ) σ²_B, Keras's)."""
    if not _has_bn(net):
        return net
    out = list(net)
    for k, layer in enumerate(net):
        if isinstance(layer, BatchNorm):
            x, stats = fwd.a[k], normalization.RunningStats(layer.mean, layer.var)
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    new = normalization.update_running(stats, x, layer.momentum)
            except ValueError:  # a network (of a stack) gone non-finite: NaN statistics, no error
                bad = ~np.isfinite(x).all(axis=(-2, -1))
                bad = bad | ~np.isfinite(stats.mean).all(-1) | ~np.isfinite(stats.var).all(-1)
                if not bad.any():
                    raise
                x = np.where(bad[..., None, None], 0.0, x)
                stats = normalization.RunningStats(*(np.where(bad[..., None], 0.0, v) for v in stats))
                with np.errstate(over="ignore", invalid="ignore"):
                    new = normalization.update_running(stats, x, layer.momentum)
                new = normalization.RunningStats(*(np.where(bad[..., None], np.nan, v) for v in new))
            out[k] = layer._replace(mean=new.mean, var=new.var)
    return out


def _plain_sgd(name, config):
    """SGD or heavy-ball momentum without Nesterov or decay: the original code path (chapters 01-05)."""
    return name == "sgd" and not config["nesterov"] and not config["weight_decay"]


def _sgd_step(state, x, y, arm_rate, loss, opt, label_smoothing):
    """One step of the arms alive (batches x (A, B, n_0)) by ``opt`` = (name, options); drops diverged arms."""
    net, live = state["net"], state["alive"]
    if live.size == 0:
        return
    fwd = forward(net, x)
    ok = np.all(np.isfinite(fwd.output), axis=(-2, -1))
    if not ok.all():  # drop the diverged arms (their NaNs would slow every later step)
        keep = lambda arr: arr[ok] if np.ndim(arr) else arr  # noqa: E731
        state["net"] = net = [_take(layer, ok) for layer in net]
        state["velocity"] = [(keep(a), keep(c)) for a, c in state["velocity"]]
        if "opt" in state:
            state["opt"]["slots"] = [{k: a[ok] for k, a in s.items()} for s in state["opt"]["slots"]]
        state["alive"] = live = live[ok]
        if live.size == 0:
            return
        x, y = x[ok], y[ok]
        fwd = forward(net, x)
    g = live.size * _output_gradient(
        fwd.output, y, loss, label_smoothing
    )  # ∂(Σ_arms J_arm)/∂a_L: each arm its own mean
    eta = arm_rate[live]
    grads = backward(net, fwd, g).grads
    state["net"] = net = _update_running(net, fwd)
    if "opt" in state:
        _opt_step(*opt, state["opt"], [a for layer in net for a in _params(layer)], [a for p in grads for a in p], eta)
        return
    momentum = opt[1]["momentum"]
    for i, (layer, (dW, db)) in enumerate(zip(net, grads)):
        W, b = _params(layer)
        dW *= eta.reshape((-1,) + (1,) * (dW.ndim - 1))  # η g, in place: the stack's own arrays (as train)
        db *= eta[:, None]
        if momentum:
            vW, vb = state["velocity"][i]
            vW, vb = momentum * vW - dW, momentum * vb - db  # v ← μ v − η g
            state["velocity"][i] = (vW, vb)
            np.add(W, vW, out=W)  # θ ← θ + v
            np.add(b, vb, out=b)
        else:
            np.subtract(W, dW, out=W)  # θ ← θ − η g
            np.subtract(b, db, out=b)


def best_rates(result, metric="val_loss"):
    r"""Each activation's best learning-rate index (shape (V,)), from the last record of ``metric``.

    The score of a rate is the mean over seeds of the final ``metric`` (``"val_loss"``, ``"loss"``,
    ``"test_loss"`` are minimized, ``"val_accuracy"``, ``"train_accuracy"``, ``"test_accuracy"``
    maximized); a rate at which some seed diverged (or the metric is NaN) is excluded. Choose on the
    validation split (``sweep(..., validation=0.2)``), report on the test set. ``ValueError`` if every
    rate of an activation is excluded.
    """
    if not isinstance(result, Sweep):
        raise ValueError(f"result must be a Sweep, got {type(result).__name__}")
    names = ("val_loss", "loss", "test_loss", "val_accuracy", "train_accuracy", "test_accuracy")
    if metric not in names:
        raise ValueError(f"metric must be one of {names}, got {metric!r}")
    final = getattr(result, metric)[..., -1]  # (V, S, R)
    sign = 1.0 if metric.endswith("loss") else -1.0
    bad = result.diverged.any(axis=1) | ~np.isfinite(final).all(axis=1)
    score = np.where(bad, np.inf, sign * np.where(np.isfinite(final), final, 0.0).mean(axis=1))
    if np.isinf(score).all(axis=1).any():
        v = int(np.flatnonzero(np.isinf(score).all(axis=1))[0])
        raise ValueError(f"result: every learning rate of {result.activations[v]!r} diverged or has no {metric}")
    return np.argmin(score, axis=1)
