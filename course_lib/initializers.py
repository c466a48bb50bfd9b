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

from course_lib.validation import check_rng

__all__ = [
    "TRUNCATION_STD",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "orthogonal",
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


#: The initializers by their Keras names.
INITIALIZERS = {f.__name__: f for f in (glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, orthogonal)}


def get(name):
    """The initializer called ``name`` (a key of :data:`INITIALIZERS`), or ``name`` itself if it is callable."""
    if callable(name):
        return name
    if name not in INITIALIZERS:
        raise ValueError(f"initializer must be one of {sorted(INITIALIZERS)} or a callable, got {name!r}")
    return INITIALIZERS[name]
