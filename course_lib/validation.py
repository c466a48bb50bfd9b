"""Argument checks shared by every module of :mod:`course_lib`.

A bad argument raises ``ValueError`` with a message that names the parameter, what it must be, and what
was given, e.g. ``learning_rate must be finite and >= 0, got -1``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_scalar", "check_theta"]


def check_scalar(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or int) after checking it is a finite real number in range.

    Parameters: ``low``/``high`` bounds (None = unbounded); ``low_open``/``high_open`` make a bound strict;
    ``integer=True`` demands an integer and returns an ``int``.
    Raises ``ValueError("<name> must be ...")``, e.g. "learning_rate must be finite and >= 0, got -1".
    """
    conditions = []
    if low is not None:
        conditions.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        conditions.append(f"{'<' if high_open else '<='} {high}")
    kind = "an integer" if integer else "finite"
    message = f"{name} must be {kind}{' and ' + ' and '.join(conditions) if conditions else ''}, got {value!r}"
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


def check_theta(theta, dim=None, name="theta"):
    """Return ``theta`` as a float array of shape (..., dim) after checking its last axis is ``dim``.

    Only the shape is checked (cheap enough to call on every ``value``/``grad``); finiteness of a
    starting point is checked by :func:`course_lib.optimizers.run`.
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim == 0 or (dim is not None and theta.shape[-1] != dim):
        raise ValueError(f"{name} must have shape (..., {dim}), got shape {theta.shape}")
    return theta
