r"""Statistics over seeds: the numbers a chapter's claims rest on (every chapter).

A claim about a random experiment (a trained network, a stochastic optimizer) rests on several seeds, and
a comparison of two arms on the *same* seeds (a paired design). The book's convention, stated once in each
chapter: "mean ± sample std over N seeds", where the sample standard deviation is

    s = √( Σᵢ (xᵢ − x̄)² / (N − 1) )        (ddof = 1).

* :func:`over_seeds` -- run ``fn(seed)`` for each seed and summarize.
* :func:`summarize` -- mean, sample std, min and max of values already computed (seeds on ``axis``).
* :func:`paired` -- the per-seed differences a − b of two arms run on the same seeds: their mean, sample
  std, standard error s/√N, and whether the mean is more than two standard errors from 0 (the book calls a
  smaller difference "not distinguishable here").
* :func:`pm` -- "mean ± std" as text, at a stated number of decimals.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.validation import check_scalar

__all__ = ["SeedStats", "Paired", "summarize", "over_seeds", "paired", "pm"]


class SeedStats(NamedTuple):
    """Summary of one quantity over N seeds (seeds on the first axis of ``values``).

    ``mean``, ``std`` (sample std, ddof = 1), ``min``, ``max`` have the shape of one seed's value.
    """

    values: np.ndarray
    mean: np.ndarray | float
    std: np.ndarray | float
    min: np.ndarray | float
    max: np.ndarray | float

    @property
    def n(self):
        """The number of seeds N."""
        return int(self.values.shape[0])


class Paired(NamedTuple):
    """Per-seed differences d = a − b of two arms on the same N seeds.

    ``mean`` d̄, ``std`` s_d (ddof = 1), ``stderr`` s_d/√N, ``n`` N, ``distinguishable`` |d̄| > 2 s_d/√N.
    """

    differences: np.ndarray
    mean: np.ndarray | float
    std: np.ndarray | float
    stderr: np.ndarray | float
    n: int
    distinguishable: np.ndarray | bool


def _scalar_or_array(x):
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


def summarize(values, axis=0):
    """:class:`SeedStats` of ``values`` with the seeds on ``axis`` (at least 2 seeds, all finite)."""
    values = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    if values.ndim == 0 or values.shape[0] < 2:
        raise ValueError(f"values must hold at least 2 seeds along axis {axis}, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite (a diverged run is reported by the caller, not averaged)")
    return SeedStats(
        values=values,
        mean=_scalar_or_array(values.mean(axis=0)),
        std=_scalar_or_array(values.std(axis=0, ddof=1)),
        min=_scalar_or_array(values.min(axis=0)),
        max=_scalar_or_array(values.max(axis=0)),
    )


def over_seeds(fn, seeds):
    """Run ``fn(seed)`` for every seed (a float or an array of a fixed shape) and :func:`summarize` it."""
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds, got {seeds!r}")
    return summarize([np.asarray(fn(seed), dtype=np.float64) for seed in seeds])


def paired(a, b):
    """:class:`Paired` for arms ``a`` and ``b``: values on the same seeds, seeds on the first axis."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape (one value per seed), got {a.shape} and {b.shape}")
    stats = summarize(a - b)
    stderr = _scalar_or_array(np.asarray(stats.std) / np.sqrt(stats.n))
    distinguishable = np.abs(np.asarray(stats.mean)) > 2.0 * np.asarray(stderr)
    return Paired(
        differences=stats.values,
        mean=stats.mean,
        std=stats.std,
        stderr=stderr,
        n=stats.n,
        distinguishable=bool(distinguishable) if distinguishable.ndim == 0 else distinguishable,
    )


def pm(stats, digits=3):
    """``"mean ± std"`` of a scalar :class:`SeedStats` or :class:`Paired`, rounded to ``digits`` decimals."""
    digits = check_scalar("digits", digits, low=0, integer=True)
    if np.ndim(stats.mean) != 0:
        raise ValueError("stats must summarize a scalar quantity")
    return f"{stats.mean:.{digits}f} ± {stats.std:.{digits}f}"
