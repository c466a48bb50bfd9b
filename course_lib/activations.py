r"""Activation functions g(z) of hidden units and their derivatives g'(z), in NumPy (chapter 01).

Every activation comes as a pair of plain functions, ``name(z)`` and ``name_grad(z)``, acting
elementwise on an array ``z`` of pre-activations (any shape, computed in float64)::

    sigmoid,   sigmoid_grad      σ(z) = 1 / (1 + e^{-z})                 σ' = σ(1 − σ)
    tanh,      tanh_grad         tanh(z)                                  1 − tanh²(z)
    relu,      relu_grad         max(0, z)                                1[z > 0]
    abs_rect,  abs_rect_grad     |z|                                      sign(z)
    leaky_relu, leaky_relu_grad  max(0, z) + α min(0, z), fixed α         1 if z > 0 else α
    prelu,     prelu_grad        same formula, α learned                  (∂g/∂z, ∂g/∂α)
    softplus,  softplus_grad     log(1 + e^{z})                           σ(z)
    elu,       elu_grad          z if z > 0 else α(e^{z} − 1)             1 if z > 0 else α e^{z}
    gelu,      gelu_grad         z Φ(z)                                   Φ(z) + z φ(z)
    maxout,    maxout_grad       g_i = max_{j ∈ G_i} z_j (groups of k)    one-hot of the argmax

Conventions:

* At a kink the derivative takes the value TensorFlow's gradient uses: relu'(0) = 0, |·|'(0) = 0,
  leaky_relu'(0) = α, elu'(0) = α, and ∂prelu/∂z = 0 at z = 0 (Keras's ``PReLU`` layer computes
  relu(z) − α relu(−z)); so the functions here agree with ``tf.GradientTape`` everywhere.
* Every function is stable at extreme inputs: ``sigmoid(±1000)`` is exactly 1 and 0,
  ``softplus(1000)`` is 1000, and no input (even ±1e308 or ±inf) triggers a NumPy overflow warning.
* :data:`ACTIVATIONS` maps a name to an :class:`Activation` (``.f``, ``.df``, ``.label``) for the
  elementwise activations with their default parameters, used by :func:`course_lib.plotting.plot_activations`.

Slopes on the negative side (chapter 01, "Which units can die?"): GELU′ is zero at z ≈ −0.7518 (the
minimum of GELU) and negative below it, and both ELU′ and GELU′ tend to 0 as z → −∞; a learned PReLU
slope can reach 0. Only leaky ReLU's fixed slope α > 0 keeps a gradient for every z < 0.

Leaky ReLU's slope: Maas et al. (2013) used α = 0.01. Keras 3's ``keras.layers.LeakyReLU`` defaults
to ``negative_slope=0.3`` and the function ``keras.activations.leaky_relu`` to 0.2; here the default is
Maas et al.'s 0.01. A leaky slope must satisfy 0 ≤ α < 1 (α = 1 is the identity, and α < 0 is no
longer "leaky": α = −1 gives |z|); the learned slope of :func:`prelu` may be any finite real number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, ndtr

from course_lib.validation import check_scalar

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "abs_rect",
    "abs_rect_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "prelu",
    "prelu_grad",
    "softplus",
    "softplus_grad",
    "elu",
    "elu_grad",
    "gelu",
    "gelu_grad",
    "maxout",
    "maxout_grad",
    "Activation",
    "ACTIVATIONS",
    "get",
    "tangent_pieces",
    "MAAS_LEAKY_SLOPE",
]

#: The leaky-ReLU slope used by Maas, Hannun and Ng (2013), and this module's default.
MAAS_LEAKY_SLOPE = 0.01


def _as_array(z):
    return np.asarray(z, dtype=np.float64)


def _leaky_slope(alpha):
    return check_scalar("alpha", alpha, low=0.0, high=1.0, high_open=True)


# --------------------------------------------------------------------------------------------------
# Saturating units: sigmoid, tanh
# --------------------------------------------------------------------------------------------------
def sigmoid(z):
    r"""Logistic sigmoid σ(z) = 1 / (1 + e^{−z}), values in (0, 1).

    Computed by ``scipy.special.expit``, which never overflows and keeps full relative precision in
    both tails (the tests check it against 1/(1 + e) and e/(1 + e), e = e^{−|z|}); about three times
    faster than that two-branch NumPy form. ``sigmoid(1000) == 1.0`` and ``sigmoid(-1000) == 0.0``.
    """
    return expit(_as_array(z))


def sigmoid_grad(z):
    r"""σ'(z) = σ(z)(1 − σ(z)) = e^{−|z|} / (1 + e^{−|z|})², at most 1/4 (at z = 0).

    The second form has no cancellation, so σ'(z) keeps full relative precision in the tails.
    """
    e = np.exp(-np.abs(_as_array(z)))
    return e / (1.0 + e) ** 2


def tanh(z):
    r"""Hyperbolic tangent tanh(z) = (e^{z} − e^{−z}) / (e^{z} + e^{−z}) = 2σ(2z) − 1, values in (−1, 1)."""
    return np.tanh(_as_array(z))


def tanh_grad(z):
    r"""tanh'(z) = 1 − tanh²(z) = 4 e^{−2|z|} / (1 + e^{−2|z|})², at most 1 (at z = 0).

    The second form keeps full relative precision where tanh(z) rounds to ±1.
    """
    e = np.exp(-np.abs(_as_array(z))) ** 2  # e^{-2|z|}, written so that 2|z| cannot overflow
    return 4.0 * e / (1.0 + e) ** 2


# --------------------------------------------------------------------------------------------------
# Rectifiers: ReLU, absolute value, leaky ReLU, parametric ReLU
# --------------------------------------------------------------------------------------------------
def relu(z):
    r"""Rectified linear unit g(z) = max(0, z) (Nair & Hinton 2010; Glorot et al. 2011)."""
    return np.maximum(_as_array(z), 0.0)


def relu_grad(z):
    r"""g'(z) = 1 for z > 0 and 0 for z ≤ 0 (the value 0 at the kink z = 0 is TensorFlow's choice)."""
    return (_as_array(z) > 0).astype(np.float64)


def abs_rect(z):
    r"""Absolute value rectification g(z) = |z| = max(0, z) + (−1)·min(0, z): PReLU with α = −1."""
    return np.abs(_as_array(z))


def abs_rect_grad(z):
    r"""g'(z) = sign(z): −1, 0 (at the kink, as TensorFlow) or +1."""
    return np.sign(_as_array(z))


def leaky_relu(z, alpha=MAAS_LEAKY_SLOPE):
    r"""Leaky ReLU g(z) = max(0, z) + α min(0, z) with a fixed small slope 0 ≤ α < 1.

    Default α = 0.01 as in Maas et al. (2013). Keras 3's ``LeakyReLU`` layer uses 0.3 by default and
    ``keras.activations.leaky_relu`` 0.2; pass ``alpha`` explicitly to match them.
    Raises ``ValueError`` if ``alpha`` is not finite with 0 ≤ α < 1.
    """
    alpha = _leaky_slope(alpha)
    z = _as_array(z)
    return np.maximum(z, 0.0) + alpha * np.minimum(z, 0.0)


def leaky_relu_grad(z, alpha=MAAS_LEAKY_SLOPE):
    r"""g'(z) = 1 for z > 0 and α for z ≤ 0 (α at the kink, as TensorFlow)."""
    alpha = _leaky_slope(alpha)
    return np.where(_as_array(z) > 0, 1.0, alpha)


def _prelu_slope(alpha):
    alpha = np.asarray(alpha, dtype=np.float64)
    if not np.all(np.isfinite(alpha)):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return alpha


def prelu(z, alpha):
    r"""Parametric ReLU g(z; α) = max(0, z) + α min(0, z), α learned (He et al. 2015).

    ``alpha`` is a float or an array broadcastable against ``z`` (one slope per unit, say); any
    finite value is allowed: α = 0 gives ReLU, α = −1 gives |z|, α = 1 the identity.
    """
    alpha = _prelu_slope(alpha)
    z = _as_array(z)
    return np.maximum(z, 0.0) + alpha * np.minimum(z, 0.0)


def prelu_grad(z, alpha):
    r"""Both partial derivatives of PReLU, as a pair ``(dg_dz, dg_dalpha)``, broadcast to a common shape.

    ∂g/∂z = 1 for z > 0 and α for z < 0;   ∂g/∂α = min(0, z)  (what a learned slope is trained with).
    At the kink z = 0, ∂g/∂z = 0, as for Keras's ``PReLU`` layer, which computes relu(z) − α relu(−z).
    """
    alpha = _prelu_slope(alpha)
    z = _as_array(z)
    dz = np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0))
    dalpha = np.minimum(z, 0.0) + np.zeros_like(alpha)
    return np.broadcast_arrays(dz, dalpha)


# --------------------------------------------------------------------------------------------------
# Smooth relatives: softplus, ELU, GELU
# --------------------------------------------------------------------------------------------------
def softplus(z):
    r"""Softplus g(z) = log(1 + e^{z}) = max(z, 0) + log(1 + e^{−|z|}), a smooth ReLU; g' = σ.

    The second form never overflows: ``softplus(1000) == 1000`` and ``softplus(-1000) == 0``
    (to within the tiny e^{−1000}, which underflows to 0).
    """
    z = _as_array(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus_grad(z):
    r"""softplus'(z) = σ(z)."""
    return sigmoid(z)


def _elu_scale(alpha):
    return check_scalar("alpha", alpha, low=0.0)


def elu(z, alpha=1.0):
    r"""Exponential linear unit g(z) = z for z > 0, α(e^{z} − 1) for z ≤ 0 (Clevert et al. 2015); α ≥ 0.

    e^{z} is only evaluated at min(z, 0), so large positive z cannot overflow.
    """
    alpha = _elu_scale(alpha)
    z = _as_array(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_grad(z, alpha=1.0):
    r"""g'(z) = 1 for z > 0 and α e^{z} for z ≤ 0 (α at the kink, as TensorFlow)."""
    alpha = _elu_scale(alpha)
    z = _as_array(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def gelu(z):
    r"""Gaussian error linear unit g(z) = z Φ(z), Φ the standard normal CDF (Hendrycks & Gimpel 2016).

    The exact form, as ``keras.activations.gelu(x, approximate=False)`` (Keras's default there).
    Below z = −40, g(z) is smaller than any float64 and is returned as 0 (this also keeps −inf finite).
    """
    z = _as_array(z)
    return np.maximum(z, -40.0) * ndtr(z)  # Φ(z) = 0 in float64 below −38.5, so −inf gives (−)0


def gelu_grad(z):
    r"""g'(z) = Φ(z) + z φ(z) with φ(z) = e^{−z²/2}/√(2π).

    z φ(z) is evaluated at z clipped to [−40, 40], where it is already 0 in float64, so z² never overflows.
    """
    z = _as_array(z)
    zc = np.clip(z, -40.0, 40.0)
    out = np.exp(-0.5 * zc * zc)
    out *= zc
    out *= _INV_SQRT_2PI
    out += ndtr(z)
    return out


# --------------------------------------------------------------------------------------------------
# Maxout
# --------------------------------------------------------------------------------------------------
def _maxout_groups(z, k):
    k = check_scalar("k", k, low=1, integer=True)
    z = _as_array(z)
    if z.ndim == 0 or z.shape[-1] % k != 0:
        raise ValueError(f"z must have a last axis divisible by k={k} (groups of k pieces), got shape {z.shape}")
    return z.reshape(z.shape[:-1] + (z.shape[-1] // k, k)), k


def maxout(z, k):
    r"""Maxout (Goodfellow et al. 2013): g(z)_i = max_{j ∈ G_i} z_j over groups of k pieces.

    ``z`` has shape (..., m·k): the pre-activations z_j = hᵀW_{:,j} + b_j of m·k affine pieces; the
    groups are consecutive, G_i = {ik, ..., ik + k − 1}. Returns shape (..., m). As a function of the
    unit's input h, each g_i is a maximum of affine functions, hence convex and piecewise linear.
    Raises ``ValueError`` if ``k`` is not a positive integer or ``z``'s last axis is not a multiple of k.
    """
    groups, k = _maxout_groups(z, k)
    out = groups[..., 0]  # elementwise maxima of the k slices: much faster than a max over a short axis
    for j in range(1, k):
        out = np.maximum(out, groups[..., j])
    return out


def maxout_grad(z, k):
    r"""∂g_i/∂z_j = 1 if z_j is the largest piece of its group G_i, else 0; shape (..., m·k) like ``z``.

    Each z_j belongs to exactly one group, so this one-hot array *is* the Jacobian (zero outside the
    blocks). At a tie the first largest piece gets the 1 (TensorFlow's ``reduce_max`` would share it).
    """
    groups, k = _maxout_groups(z, k)
    onehot = np.zeros_like(groups)
    np.put_along_axis(onehot, groups.argmax(axis=-1)[..., None], 1.0, axis=-1)
    return onehot.reshape(np.shape(z))


# --------------------------------------------------------------------------------------------------
# Registry of the elementwise activations (default parameters), for plots and loops
# --------------------------------------------------------------------------------------------------
class Activation(NamedTuple):
    """An elementwise activation: ``f(z)``, its derivative ``df(z)``, and a display ``label``."""

    name: str
    f: Callable
    df: Callable
    label: str


#: name -> :class:`Activation`, with default parameters (leaky ReLU α = 0.01, ELU α = 1).
ACTIVATIONS = {
    a.name: a
    for a in [
        Activation("sigmoid", sigmoid, sigmoid_grad, "sigmoid σ(z)"),
        Activation("tanh", tanh, tanh_grad, "tanh(z)"),
        Activation("relu", relu, relu_grad, "ReLU max(0, z)"),
        Activation("abs", abs_rect, abs_rect_grad, "absolute value |z|"),
        Activation("leaky_relu", leaky_relu, leaky_relu_grad, "leaky ReLU (α = 0.01)"),
        Activation("softplus", softplus, softplus_grad, "softplus log(1 + eᶻ)"),
        Activation("elu", elu, elu_grad, "ELU (α = 1)"),
        Activation("gelu", gelu, gelu_grad, "GELU z Φ(z)"),
    ]
}


def get(name):
    """Return the :class:`Activation` called ``name`` (a key of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def tangent_pieces(z, points, f, df):
    r"""The tangents of ``f`` at ``points`` t_j, evaluated at ``z``: f(t_j) + f'(t_j)(z − t_j), shape (len(z), k).

    Their maximum, ``maxout(tangent_pieces(...), k)``, is a maxout unit with k pieces that lies below a
    convex ``f`` and touches it at every t_j (chapter 01: for f(z) = z² the gap is at most s²/4, s the spacing).
    """
    z = _as_array(z).reshape(-1, 1)
    t = _as_array(points).reshape(1, -1)
    if t.size == 0:
        raise ValueError("points must not be empty")
    return f(t) + df(t) * (z - t)
