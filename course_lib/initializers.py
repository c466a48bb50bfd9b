r"""Weight initializers in NumPy, as Keras 3 defines them (chapter 10).

Each is ``f(shape, rng)`` with ``shape = (fan_in, fan_out)``, the shape of a Keras ``Dense`` kernel W (a layer
computes a W + b for a row a of n_in = fan_in inputs), and ``rng`` a ``numpy.random.Generator``. Biases start
at zero. The target variances (Glorot and Bengio 2010; He et al. 2015; LeCun et al. 1998)::

    glorot_uniform   U(−ℓ, ℓ),  ℓ = √(6 / (fan_in + fan_out))       Var = 2 / (fan_in + fan_out)   (Dense default)
    glorot_normal    truncated normal                                Var = 2 / (fan_in + fan_out)
    he_uniform       U(−ℓ, ℓ),  ℓ = √(6 / fan_in)                    Var = 2 / fan_in
    he_normal        truncated normal                                Var = 2 / fan_in
    lecun_normal     truncated normal                                Var = 1 / fan_in
    orthogonal       Q of a QR factorization of a Gaussian matrix (Saxe et al. 2013)
    sparse           k = 15 non-zero N(0, 1) weights into each unit, the rest 0 (Martens 2010)

Two factories make initializers of the same ``f(shape, rng)`` form for experiments: :func:`scaled`
(an initializer's draws times a gain g, so the variance times g²) and :func:`constant` (every weight
the same value: the symmetric start that training cannot break, chapter 10).

The ``*_normal`` initializers are Keras's: a normal **truncated at two standard deviations** (draws beyond
±2σ are redrawn) with σ chosen so that the *truncated* variable has the target variance, σ = √Var / c with
c = :data:`TRUNCATION_STD` = ``scipy.stats.truncnorm(-2, 2).std()`` ≈ 0.8796 (the std of a standard normal
truncated to [−2, 2]). So every value lies in [−2σ, 2σ].

``orthogonal``: for a tall or square shape (fan_in >= fan_out) the columns are orthonormal (WᵀW = I); for a
wide one the rows are (WWᵀ = I); the sign of each column of Q is fixed by the sign of R's diagonal, which
makes Q Haar-distributed (uniform over orthogonal matrices), as in Keras.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from course_lib.validation import check_rng, check_scalar

__all__ = [
    "TRUNCATION_STD",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "orthogonal",
    "sparse",
    "scaled",
    "constant",
    "INITIALIZERS",
    "get",
]

#: Standard deviation of a standard normal truncated to [−2, 2] (Keras writes 0.87962566103423978).
TRUNCATION_STD = float(stats.truncnorm(-2.0, 2.0).std())


def _fans(shape):
    """(fan_in, fan_out) of a 2-D kernel shape, checked."""
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a pair (fan_in, fan_out), got {shape!r}") from None
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be a pair (fan_in, fan_out) of positive integers, got {shape!r}")
    return shape


def _uniform(shape, variance, rng):
    limit = np.sqrt(3.0 * variance)  # Var U(−ℓ, ℓ) = ℓ²/3
    return check_rng(rng).uniform(-limit, limit, size=shape)


def _truncated_normal(shape, variance, rng):
    sigma = np.sqrt(variance) / TRUNCATION_STD
    return sigma * stats.truncnorm.rvs(-2.0, 2.0, size=shape, random_state=check_rng(rng))


def glorot_uniform(shape, rng):
    """U(−ℓ, ℓ) with ℓ = √(6/(fan_in + fan_out)): Var = 2/(fan_in + fan_out) (Keras's ``Dense`` default)."""
    fan_in, fan_out = _fans(shape)
    return _uniform((fan_in, fan_out), 2.0 / (fan_in + fan_out), rng)


def glorot_normal(shape, rng):
    """Truncated normal (±2σ) with Var = 2/(fan_in + fan_out)."""
    fan_in, fan_out = _fans(shape)
    return _truncated_normal((fan_in, fan_out), 2.0 / (fan_in + fan_out), rng)


def he_uniform(shape, rng):
    """U(−ℓ, ℓ) with ℓ = √(6/fan_in): Var = 2/fan_in (for ReLU layers)."""
    fan_in, fan_out = _fans(shape)
    return _uniform((fan_in, fan_out), 2.0 / fan_in, rng)


def he_normal(shape, rng):
    """Truncated normal (±2σ) with Var = 2/fan_in (He et al. 2015, for ReLU layers)."""
    fan_in, fan_out = _fans(shape)
    return _truncated_normal((fan_in, fan_out), 2.0 / fan_in, rng)


def lecun_normal(shape, rng):
    """Truncated normal (±2σ) with Var = 1/fan_in (LeCun et al. 1998; SELU networks)."""
    fan_in, fan_out = _fans(shape)
    return _truncated_normal((fan_in, fan_out), 1.0 / fan_in, rng)


def orthogonal(shape, rng):
    """A Haar-random matrix with orthonormal columns (fan_in >= fan_out) or orthonormal rows (fan_in < fan_out)."""
    fan_in, fan_out = _fans(shape)
    a = check_rng(rng).normal(size=(max(fan_in, fan_out), min(fan_in, fan_out)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return q if fan_in >= fan_out else q.T


def sparse(shape, rng, nonzero=15, std=1.0):
    r"""Martens's (2010) sparse initialization: each unit (column) gets ``nonzero`` incoming weights.

    For each of the fan_out columns, k = min(``nonzero``, fan_in) of the fan_in rows, chosen uniformly
    without replacement, get N(0, ``std``²) weights; the others are 0. A unit's pre-activation then sums
    k terms whatever fan_in is: Var(a_j) = k std² E[x²] (not fan_in std² E[x²]), so wide layers do not
    saturate, and the units differ from each other by *which* inputs they see as well as by their
    weights. Martens used k = 15. Unlike the variance-scaled initializers, the scale does not
    shrink with fan_in: a unit sees a few inputs strongly rather than all of them weakly.
    """
    fan_in, fan_out = _fans(shape)
    nonzero = check_scalar("nonzero", nonzero, low=1, integer=True)
    std = check_scalar("std", std, low=0.0, low_open=True)
    rng = check_rng(rng)
    k = min(nonzero, fan_in)
    W = np.zeros((fan_in, fan_out))
    rows = np.argsort(rng.random((fan_in, fan_out)), axis=0)[:k]  # k distinct rows per column
    W[rows, np.arange(fan_out)] = std * rng.standard_normal((k, fan_out))
    return W


def scaled(initializer, gain):
    r"""The initializer ``initializer`` (a name or a callable) with its draws multiplied by ``gain`` g > 0.

    Var(g W) = g² Var(W): ``scaled("he_normal", 2 ** -0.5)`` has Var = 1/fan_in, half of He's. Returns
    an ``f(shape, rng)`` that :func:`course_lib.networks.init` and ``networks.sweep`` accept.
    """
    draw = get(initializer)
    gain = check_scalar("gain", gain, low=0.0, low_open=True)

    def initialize(shape, rng):
        return gain * draw(shape, rng)

    initialize.__name__ = f"{getattr(draw, '__name__', 'initializer')}_x{gain:g}"
    return initialize


def constant(value):
    r"""An ``f(shape, rng)`` that fills every weight with ``value`` (and ignores ``rng``).

    With all weights of a layer equal, all its units compute the same function and receive the same
    gradient: gradient descent keeps them equal for ever (chapter 10's symmetry experiment).
    """
    value = check_scalar("value", value)

    def initialize(shape, rng):
        return np.full(_fans(shape), value)

    initialize.__name__ = f"constant_{value:g}"
    return initialize


#: The initializers by their Keras names (and ``sparse``, which Keras does not have).
INITIALIZERS = {
    f.__name__: f for f in (glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, orthogonal, sparse)
}


def get(name):
    """The initializer called ``name`` (a key of :data:`INITIALIZERS`), or ``name`` itself if it is callable."""
    if callable(name):
        return name
    if name not in INITIALIZERS:
        raise ValueError(f"initializer must be one of {sorted(INITIALIZERS)} or a callable, got {name!r}")
    return INITIALIZERS[name]
