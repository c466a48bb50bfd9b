r"""Batch normalization and layer normalization in NumPy, forward and backward (chapter 11).

Batch normalization (Ioffe and Szegedy 2015), training mode, for a batch x of shape (m, n) (rows are examples,
statistics per feature over the batch, the *biased* variance)::

    μ = (1/m) Σᵢ xᵢ,   σ² = (1/m) Σᵢ (xᵢ − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β

So the layer does **not** output N(0, 1) features: it outputs mean β and standard deviation ≈ |γ|, both learned.
Its backward pass, with g = ∂J/∂y and s = √(σ² + ε)::

    ∂J/∂β = Σᵢ gᵢ,   ∂J/∂γ = Σᵢ gᵢ ⊙ x̂ᵢ,   ∂J/∂x = (γ / (m s)) ⊙ (m g − Σᵢ gᵢ − x̂ ⊙ Σᵢ gᵢ ⊙ x̂ᵢ)

(the last two sums make ∂J/∂x orthogonal, per feature, to the constant vector and to x̂: the output does not
change when the batch is shifted or scaled). At inference the batch statistics are replaced by running averages,
updated at every training step as Keras does (``BatchNormalization(momentum=0.99, epsilon=1e-3)``, starting from
mean 0 and variance 1)::

    μ_run ← ρ μ_run + (1 − ρ) μ,   σ²_run ← ρ σ²_run + (1 − ρ) σ²,     y = γ ⊙ (x − μ_run)/√(σ²_run + ε) + β

Layer normalization (Ba et al. 2016) normalizes each example over its features instead (axis −1), so it needs no
batch and behaves the same in training and inference: :func:`layer_norm` and :func:`layer_norm_backward`
(Keras's ``LayerNormalization(epsilon=1e-3)``).

Every function also takes a *stack* of A batches, x of shape (A, m, n) with γ, β and the running statistics of
shape (n,) or (A, n) (statistics over axis −2 for batch norm, −1 for layer norm), so that the arms of an experiment
(:mod:`course_lib.bn_experiments`, :func:`course_lib.networks.sweep`) step together. Chapter 11.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.validation import check_scalar

__all__ = [
    "KERAS_MOMENTUM",
    "KERAS_EPSILON",
    "batch_norm",
    "batch_norm_backward",
    "RunningStats",
    "init_running",
    "update_running",
    "batch_norm_inference",
    "layer_norm",
    "layer_norm_backward",
]

#: Keras's defaults for ``BatchNormalization``: running-average momentum ρ and ε.
KERAS_MOMENTUM = 0.99
KERAS_EPSILON = 1e-3


def _batch(x, name="x"):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[-2] < 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite array of shape (m, n) or (A, m, n), got shape {x.shape}")
    return x


def _feature_vector(name, v, n, stack=()):
    """A per-feature vector: shape (n,), or (A, n) for a stack of A batches (A = ``stack``)."""
    v = np.asarray(v, dtype=np.float64)
    if v.shape not in ((n,), tuple(stack) + (n,)) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be a finite vector of shape ({n},), got shape {v.shape}")
    return v[..., None, :] if v.ndim > 1 else v


def _eps(eps):
    return check_scalar("eps", eps, low=0)


def _normalize(x, axis, eps):
    """x̂ and s = √(σ² + ε) with the statistics over ``axis`` (kept as a length-1 axis)."""
    centred = x - x.mean(axis=axis, keepdims=True)
    s = np.sqrt(np.mean(centred * centred, axis=axis, keepdims=True) + eps)  # the biased variance, as np.var
    if np.all(s > 0):
        return centred / s, s
    x_hat = np.divide(centred, s, out=np.zeros_like(centred), where=s > 0)  # a constant feature, ε = 0: x̂ = 0
    return x_hat, s


def batch_norm(x, gamma, beta, eps=KERAS_EPSILON):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ, σ² the batch mean and biased variance of each column of x (m, n)."""
    return _forward(x, gamma, beta, eps, axis=-2)


def _forward(x, gamma, beta, eps, axis):
    """γ ⊙ x̂ + β with the statistics of x̂ over ``axis`` (-2: batch norm, -1: layer norm)."""
    x = _batch(x)
    n, stack = x.shape[-1], x.shape[:-2]
    gamma, beta = _feature_vector("gamma", gamma, n, stack), _feature_vector("beta", beta, n, stack)
    x_hat, _ = _normalize(x, axis, _eps(eps))
    return gamma * x_hat + beta


def batch_norm_backward(dy, x, gamma, eps=KERAS_EPSILON):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) of :func:`batch_norm` at x, given dy = ∂J/∂y (both (m, n), or (A, m, n))."""
    return _backward(dy, x, gamma, eps, axis=-2)


def _backward(dy, x, gamma, eps, axis):
    """The normalization's backward pass with the statistics over ``axis`` (-2: batch norm, -1: layer norm).

    With g = γ ⊙ dy = ∂J/∂x̂ and n values per statistic: ∂J/∂x = (n g − Σ g − x̂ ⊙ Σ g ⊙ x̂) / (n s).
    """
    x = _batch(x)
    dy = _batch(dy, "dy")
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x {x.shape}, got {dy.shape}")
    gamma = _feature_vector("gamma", gamma, x.shape[-1], x.shape[:-2])
    x_hat, s = _normalize(x, axis, _eps(eps))
    n = x.shape[axis]
    g = dy * gamma
    total = g.sum(axis=axis, keepdims=True)
    along = (g * x_hat).sum(axis=axis, keepdims=True)
    numerator = n * g - total - x_hat * along
    if np.all(s > 0):
        dx = numerator / (n * s)
    else:  # s = 0 only for a constant feature with ε = 0: x̂ = 0 and no gradient flows
        dx = np.divide(numerator, n * s, out=np.zeros_like(numerator), where=np.broadcast_to(s > 0, numerator.shape))
    return dx, (dy * x_hat).sum(axis=-2), dy.sum(axis=-2)


class RunningStats(NamedTuple):
    """Running mean and (biased) variance of each feature, used by batch norm at inference."""

    mean: np.ndarray
    var: np.ndarray


def init_running(n):
    """Keras's starting point: mean 0 and variance 1 for each of ``n`` features."""
    n = check_scalar("n", n, low=1, integer=True)
    return RunningStats(np.zeros(n), np.ones(n))


def update_running(stats, x, momentum=KERAS_MOMENTUM):
    """One training step's update ρ·old + (1 − ρ)·batch of the running mean and variance (returns new stats).

    x of shape (m, n), or (A, m, n) with stats of shape (A, n) (a stack of A networks' layers).
    """
    x = _batch(x)
    rho = check_scalar("momentum", momentum, low=0, high=1)
    n, stack = x.shape[-1], x.shape[:-2]
    mean = np.asarray(stats.mean, dtype=np.float64)
    var = np.asarray(stats.var, dtype=np.float64)
    for name, v in (("stats.mean", mean), ("stats.var", var)):
        _feature_vector(name, v, n, stack)
    return RunningStats(rho * mean + (1 - rho) * x.mean(axis=-2), rho * var + (1 - rho) * x.var(axis=-2))


def batch_norm_inference(x, stats, gamma, beta, eps=KERAS_EPSILON):
    """y = γ ⊙ (x − μ_run)/√(σ²_run + ε) + β: batch norm at inference, each example on its own."""
    x = _batch(x)
    n, stack = x.shape[-1], x.shape[:-2]
    mean = _feature_vector("stats.mean", stats.mean, n, stack)
    var = _feature_vector("stats.var", stats.var, n, stack)
    if np.any(var < 0):
        raise ValueError("stats.var must be >= 0")
    gamma, beta = _feature_vector("gamma", gamma, n, stack), _feature_vector("beta", beta, n, stack)
    scale = gamma / np.sqrt(var + _eps(eps))  # an affine map per feature: x ⊙ scale + shift
    return x * scale + (beta - mean * scale)


def layer_norm(x, gamma, beta, eps=KERAS_EPSILON):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ, σ² the mean and biased variance of each *row* of x (m, n)."""
    return _forward(x, gamma, beta, eps, axis=-1)


def layer_norm_backward(dy, x, gamma, eps=KERAS_EPSILON):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) of :func:`layer_norm`: the batch-norm formula with the roles of the axes swapped."""
    return _backward(dy, x, gamma, eps, axis=-1)
