r"""Back-propagation from scratch, in NumPy: the chain rule as the lectures' M_k recursion (chapter 05).

A multilayer perceptron is a chain f(x; θ) = f_L(… f_2(f_1(x; θ_1); θ_2) …; θ_L) of layers

    f_k(a; θ_k) = φ_k(a W_k + b_k),   θ_k = (W_k, b_k),  W_k of shape (n_{k−1}, n_k),  b_k of shape (n_k,)

with an elementwise activation φ_k (from :mod:`course_lib.activations`; ``"linear"`` for the output
layer, whose values are then logits). Examples are **rows**: a batch x of shape (m, n_0) gives
f_k of shape (m, n_k). For the loss J(θ) = (1/m) Σᵢ ℓ(f(xᵢ; θ), yᵢ), the chain rule, evaluated from the
loss backwards, is the recursion (one row vector per example)

    M_L = ∂J/∂f_L,     M_{k−1} = M_k ∂f_k/∂f_{k−1},     ∂J/∂θ_k = M_k ∂f_k/∂θ_k,

where M_k = ∂J/∂f_k and, with z_k = f_{k−1}W_k + b_k the pre-activation,
∂f_k/∂f_{k−1} = diag(φ_k'(z_k)) W_kᵀ. The matrices are never formed: with δ_k = M_k ⊙ φ_k'(z_k),

    M_{k−1} = δ_k W_kᵀ,   ∂J/∂W_k = f_{k−1}ᵀ δ_k,   ∂J/∂b_k = Σ_rows δ_k.

:func:`forward` stores every f_{k−1} and z_k; :func:`backward` runs the recursion;
:func:`loss_and_gradients` does both; :func:`flatten_gradients` makes one vector of the result (in
the order of :func:`course_lib.models.flat_weights`). :func:`layer_jacobians` builds the explicit Jacobian matrices of
one example, to check the recursion against the plain product of Jacobians (Rumelhart et al. 1986).
The unit tests compare everything with ``tf.GradientTape`` in float64 (agreement to 1e-10).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import activations
from course_lib.validation import check_seed

__all__ = [
    "Layer",
    "LOSSES",
    "init_mlp",
    "from_keras",
    "forward",
    "loss_and_output_gradient",
    "backward",
    "loss_and_gradients",
    "flatten_gradients",
    "layer_jacobians",
]

#: Loss names understood by :func:`loss_and_output_gradient` (the Keras names, same definitions).
LOSSES = ("sparse_categorical_crossentropy", "mean_squared_error")

#: Keras activation names that mean exactly the same function here (Keras's leaky ReLU slope differs).
_KERAS_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softplus", "elu", "gelu")


class Layer(NamedTuple):
    """One dense layer f(a) = φ(a W + b): ``W`` (n_in, n_out), ``b`` (n_out,), ``activation`` a name."""

    W: np.ndarray
    b: np.ndarray
    activation: str


def _phi(name):
    """(φ, φ') for an activation name: "linear" or a key of :data:`course_lib.activations.ACTIVATIONS`."""
    if name == "linear":
        return (lambda z: z), np.ones_like
    act = activations.get(name)
    return act.f, act.df


def _check_layers(layers):
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise ValueError("layers must be a non-empty list of Layer")
    n_in = None
    for k, layer in enumerate(layers, start=1):
        if not isinstance(layer, Layer):
            raise ValueError(f"layers[{k - 1}] must be a Layer, got {type(layer).__name__}")
        W, b = np.asarray(layer.W), np.asarray(layer.b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"layers[{k - 1}] must have W (n_in, n_out) and b (n_out,), got {W.shape}, {b.shape}")
        if n_in is not None and W.shape[0] != n_in:
            raise ValueError(f"layers[{k - 1}].W must have {n_in} rows (the previous width), got {W.shape[0]}")
        if layer.activation != "linear":
            activations.get(layer.activation)  # raises ValueError naming the allowed names
        n_in = W.shape[1]
    return layers


def init_mlp(sizes, activation="tanh", seed=0):
    """Layers of sizes n_0 → n_1 → … → n_L, hidden activation ``activation``, linear output layer.

    Weights Glorot-uniform, U(±√(6/(n_in + n_out))) (Keras's ``Dense`` default), biases 0, drawn from
    ``numpy.random.default_rng(seed)``; float64. Chapter 05.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive integers, got {sizes!r}")
    if activation != "linear":
        activations.get(activation)
    rng = np.random.default_rng(check_seed(seed))
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        limit = np.sqrt(6.0 / (n_in + n_out))
        W = rng.uniform(-limit, limit, size=(n_in, n_out))
        layers.append(Layer(W, np.zeros(n_out), activation if k < len(sizes) - 1 else "linear"))
    return layers


def from_keras(model):
    """The :class:`Layer` list of a Keras model made of ``Dense`` layers only (weights copied, float64).

    Each Dense layer's ``activation`` must be one of linear, sigmoid, tanh, relu, softplus, elu, gelu
    (the functions defined identically here and in Keras). Chapter 05 (compare with GradientTape).
    """
    import keras

    layers = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"model must contain only Dense layers, found {type(layer).__name__}")
        name = keras.activations.serialize(layer.activation)
        name = name if isinstance(name, str) else getattr(layer.activation, "__name__", str(name))
        if name not in _KERAS_ACTIVATIONS or not layer.use_bias:
            raise ValueError(f"model's Dense activations must be in {_KERAS_ACTIVATIONS} with a bias, got {name!r}")
        W, b = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        layers.append(Layer(W, b, name))
    return _check_layers(layers)


def forward(layers, x):
    """Forward pass: returns (f_L(x), cache) with cache[k−1] = (f_{k−1}, z_k) for k = 1 … L.

    ``x``: (m, n_0) batch (rows are examples); f_0 = x, z_k = f_{k−1} W_k + b_k, f_k = φ_k(z_k).
    """
    layers = _check_layers(layers)
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != layers[0].W.shape[0]:
        raise ValueError(f"x must have shape (m, {layers[0].W.shape[0]}), got {a.shape}")
    cache = []
    for layer in layers:
        z = a @ layer.W + layer.b
        cache.append((a, z))
        a = _phi(layer.activation)[0](z)
    return a, cache


def loss_and_output_gradient(output, y, loss="sparse_categorical_crossentropy"):
    """J = (1/m) Σᵢ ℓ(f_L(xᵢ), yᵢ) and M_L = ∂J/∂f_L (shape of ``output``).

    ``"sparse_categorical_crossentropy"``: ``output`` = logits (m, K), ``y`` = integer labels (m,);
    ℓ = logsumexp(f) − f_y (computed stably), M_L = (softmax(f) − onehot(y)) / m.
    ``"mean_squared_error"``: ``y`` of the shape of ``output`` (m, K); J = mean over all m·K entries
    of (f − y)², M_L = 2 (f − y) / (m K) -- Keras's definition.
    """
    output = np.asarray(output, dtype=np.float64)
    if output.ndim != 2:
        raise ValueError(f"output must have shape (m, K), got {output.shape}")
    m, K = output.shape
    if loss == "sparse_categorical_crossentropy":
        y = np.asarray(y)
        if y.shape != (m,) or not np.issubdtype(y.dtype, np.integer) or np.any((y < 0) | (y >= K)):
            raise ValueError(f"y must be integer labels in [0, {K}) of shape ({m},)")
        shifted = output - output.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        onehot = np.eye(K)[y]
        value = -np.mean(np.sum(onehot * log_softmax, axis=1))
        return float(value), (np.exp(log_softmax) - onehot) / m
    if loss == "mean_squared_error":
        y = np.asarray(y, dtype=np.float64)
        if y.shape != output.shape:
            raise ValueError(f"y must have the shape of output {output.shape}, got {y.shape}")
        residual = output - y
        return float(np.mean(residual**2)), 2.0 * residual / residual.size
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def backward(layers, cache, M_L):
    """Backward pass (the M_k recursion): returns [(∂J/∂W_k, ∂J/∂b_k) for k = 1 … L].

    Starting from M_L = ∂J/∂f_L (m, n_L), for k = L … 1: δ_k = M_k ⊙ φ_k'(z_k);
    ∂J/∂W_k = f_{k−1}ᵀ δ_k; ∂J/∂b_k = Σ_rows δ_k; M_{k−1} = δ_k W_kᵀ (= M_k ∂f_k/∂f_{k−1}).
    """
    layers = _check_layers(layers)
    M = np.asarray(M_L, dtype=np.float64)
    if len(cache) != len(layers) or M.shape != cache[-1][1].shape:
        raise ValueError("M_L must have the shape of the last layer's output, and cache one entry per layer")
    grads = [None] * len(layers)
    for k in range(len(layers) - 1, -1, -1):
        a_prev, z = cache[k]
        delta = M * _phi(layers[k].activation)[1](z)
        grads[k] = (a_prev.T @ delta, delta.sum(axis=0))
        M = delta @ layers[k].W.T
    return grads


def loss_and_gradients(layers, x, y, loss="sparse_categorical_crossentropy"):
    """J(θ) and its gradient [(∂J/∂W_k, ∂J/∂b_k)]: :func:`forward`, then :func:`backward`."""
    output, cache = forward(layers, x)
    value, M_L = loss_and_output_gradient(output, y, loss)
    return value, backward(layers, cache, M_L)


def flatten_gradients(grads):
    """The gradient [(∂J/∂W_k, ∂J/∂b_k)] of :func:`backward` as one vector of shape (P,).

    Order: layer by layer, each ∂J/∂W_k in row-major order, then ∂J/∂b_k -- the order of
    :func:`course_lib.models.flat_weights` (a Keras model's ``trainable_variables``), so the vector can
    be compared with :meth:`course_lib.models.NetworkLoss.grad` entry by entry. Chapter 05.
    """
    if not isinstance(grads, (list, tuple)) or not grads:
        raise ValueError("grads must be a non-empty list of (dW, db) pairs, as backward returns")
    pieces = []
    for k, pair in enumerate(grads):
        if len(pair) != 2:
            raise ValueError(f"grads[{k}] must be a pair (dW, db), got {len(pair)} items")
        pieces += [np.asarray(pair[0], dtype=np.float64).ravel(), np.asarray(pair[1], dtype=np.float64).ravel()]
    return np.concatenate(pieces)


def layer_jacobians(layers, x):
    """The explicit Jacobians of one example x (shape (n_0,)), for checking the recursion by hand.

    Returns (J_f, J_θ), lists over k = 1 … L of
    J_f[k−1] = ∂f_k/∂f_{k−1} = diag(φ_k'(z_k)) W_kᵀ, shape (n_k, n_{k−1}), and
    J_θ[k−1] = ∂f_k/∂θ_k, shape (n_k, n_{k−1} n_k + n_k), θ_k = (W_k flattened row-major, b_k):
    ∂f_k[j]/∂W_k[i, j'] = φ_k'(z_k[j]) f_{k−1}[i] 1[j = j'],  ∂f_k[j]/∂b_k[j'] = φ_k'(z_k[j]) 1[j = j'].
    Then ∂ℓ/∂θ_k = M_L J_f[L−1] ⋯ J_f[k] J_θ[k−1] (the product of the lectures' slide).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a single example of shape (n_0,), got {x.shape}")
    _, cache = forward(layers, x[None, :])
    J_f, J_theta = [], []
    for layer, (a_prev, z) in zip(layers, cache):
        d = _phi(layer.activation)[1](z[0])
        n_in, n_out = layer.W.shape
        J_f.append(d[:, None] * layer.W.T)
        dW = np.einsum("j,i,jl->jil", d, a_prev[0], np.eye(n_out)).reshape(n_out, n_in * n_out)
        J_theta.append(np.hstack([dW, np.diag(d)]))
    return J_f, J_theta
