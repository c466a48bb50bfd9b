"""Argument checks shared by every module of :mod:`course_lib` (the bottom layer: imports only NumPy).

A bad argument raises ``ValueError`` with a message that names the parameter, what it must be, and what
was given, e.g. ``learning_rate must be finite and >= 0, got -1``.

Random numbers, one convention for the whole package: an *entry point* (a function a chapter calls
to run an experiment, a model builder, a data set) takes ``seed: int`` (checked by :func:`check_seed`)
and makes its own ``numpy.random.default_rng(seed)``; a *sampler* (a function that draws as part of a
larger computation) takes ``rng: numpy.random.Generator`` (checked by :func:`check_rng`).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_scalar",
    "check_positive",
    "check_unit",
    "check_rate",
    "set_validated",
    "check_theta",
    "check_seed",
    "check_rng",
    "check_symmetric",
    "check_indices",
]

#: Relative tolerance of :func:`check_symmetric`: max |H − Hᵀ| <= SYMMETRY_RTOL · max |H|.
SYMMETRY_RTOL = 1e-10


def check_scalar(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or int) after checking it is a finite real number in range.

    Args:
        name: the parameter's name, used in the message.
        value: the argument to check.
        low, high: bounds (None = unbounded); ``low_open``/``high_open`` make a bound strict.
        integer: demand an integer and return an ``int``.

    Raises ``ValueError("<name> must be ...")``, e.g. "learning_rate must be finite and >= 0, got -1".
    """
    conditions = []
    if low is not None:
        conditions.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        conditions.append(f"{'<' if high_open else '<='} {high}")
    kind = "an integer" if integer else "finite"
    bounds = " and " + " and ".join(conditions) if conditions else ""
    message = f"{name} must be {kind}{bounds}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    if integer and not isinstance(value, numbers.Integral):
        raise ValueError(message)
    x = int(value) if integer else float(value)
    if not np.isfinite(x):
        raise ValueError(message)
    if low is not None and (x <= low if low_open else x < low):
        raise ValueError(message)
    if high is not None and (x >= high if high_open else x > high):
        raise ValueError(message)
    return x


def check_positive(name, value):
    """Return ``value`` as a float after checking it is finite and > 0 (ε, τ, k₀, ...)."""
    return check_scalar(name, value, low=0, low_open=True)


def check_unit(name, value):
    """Return ``value`` as a float after checking it lies in [0, 1) (a decay factor: μ, ρ, β₁, β₂)."""
    return check_scalar(name, value, low=0, high=1, high_open=True)


def check_rate(value, name="learning_rate"):
    """Return a learning rate: a callable k -> α_k (a schedule) as is, else a float >= 0."""
    if callable(value):
        return value
    return check_scalar(name, value, low=0)


def set_validated(obj, **values):
    """Store validated values on a frozen dataclass, from its ``__post_init__`` (the only writer).

    The hyperparameter classes of :mod:`course_lib.optimizers` and :mod:`course_lib.schedules` are
    ``@dataclass(frozen=True)``: ``__post_init__`` checks each field once and stores the checked value
    here; afterwards an assignment raises ``FrozenInstanceError``.
    """
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def check_indices(batch, m, name="batch", distinct=False):
    """Return ``batch`` as a non-empty 1-D integer array of indices in 0..m−1 (``distinct``: no repeats).

    The index array of a mini-batch of a finite sum of ``m`` terms (``objective.at(batch)``).
    """
    array = np.asarray(batch)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D array of integer indices, got {batch!r}")
    if array.min() < 0 or array.max() >= m:
        raise ValueError(f"{name} must hold indices in 0..{m - 1}, got values in [{array.min()}, {array.max()}]")
    if distinct and np.unique(array).size != array.size:
        raise ValueError(f"{name} must hold distinct indices, got {array.size - np.unique(array).size} repeats")
    return array


def check_theta(theta, dim=None, name="theta"):
    """Return ``theta`` as a float array of shape (..., dim) after checking its last axis is ``dim``.

    Only the shape is checked (cheap enough to call on every ``value``/``grad``); finiteness of a
    starting point is checked by :func:`course_lib.optimizers.run`.
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim == 0 or (dim is not None and theta.shape[-1] != dim):
        raise ValueError(f"{name} must have shape (..., {dim}), got shape {theta.shape}")
    return theta


def check_seed(seed, name="seed"):
    """Return ``seed`` as an int after checking it is a non-negative integer (entry points)."""
    return check_scalar(name, seed, low=0, integer=True)


def check_rng(rng, name="rng"):
    """Return ``rng`` after checking it is a ``numpy.random.Generator`` (samplers)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name} must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def check_symmetric(H, name="H"):
    """Return ½(H + Hᵀ) as a float (n, n) array after checking H is square, non-empty, finite, symmetric.

    Symmetric means max |H − Hᵀ| <= :data:`SYMMETRY_RTOL` · max |H| (round-off of a computed Hessian
    passes; a non-symmetric matrix fails, with the asymmetry in the message).
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} must be finite")
    asymmetry = float(np.max(np.abs(H - H.T)))
    if asymmetry > SYMMETRY_RTOL * float(np.max(np.abs(H))):
        raise ValueError(f"{name} must be symmetric, got max |{name} - {name}.T| = {asymmetry:.3g}")
    return 0.5 * (H + H.T)
