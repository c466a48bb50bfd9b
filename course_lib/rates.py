r"""What gradient descent guarantees, as formulas (chapter 05), and a non-convex function to test them.

For GD, θ_{k+1} = θ_k − α ∇h(θ_k), on an L-smooth objective h (‖∇h(θ) − ∇h(θ')‖ <= L‖θ − θ'‖) with
minimum value h* and a minimizer θ*, write d₀² = ‖θ₀ − θ*‖² and Δ₀ = h(θ₀) − h*. Then:

* :func:`descent_coefficient` -- the descent lemma: h(θ_{k+1}) <= h(θ_k) − α(1 − αL/2)‖∇h(θ_k)‖²;
* :func:`strongly_convex_bound` -- h μ-strongly convex, α = 2/(L + μ), κ = L/μ, q = (κ − 1)/(κ + 1):
  h(θ_k) − h* <= (L/2) q^{2k} d₀²;
* :func:`iterations_bound` -- the k that makes that bound <= ε: k >= (κ/4) log(L d₀² / (2ε));
* :func:`convex_bound` -- h convex, α = 1/L: h(θ_k) − h* <= L d₀² / (2k) (the O(1/k) rate);
* :func:`convex_tight_bound` -- the exact worst case of the same method, L d₀² / (4k + 2)
  (Drori & Teboulle 2014), attained by a Huber function (:func:`course_lib.convergence.huber_worst_case`);
* :func:`gradient_bound` -- any L-smooth h bounded below, α = 1/L:
  min_{0 <= j < k} ‖∇h(θ_j)‖² <= 2L Δ₀ / k.

Every bound takes ``k`` as an int or an array of step counts and returns floats of the same shape.
:class:`course_lib.objectives.WavyBowl` is an L-smooth, non-convex objective with known L and h* on
which the last bound is checked. Chapter 05 checks each bound against GD runs; the unit tests do too.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_scalar

__all__ = [
    "descent_coefficient",
    "strongly_convex_bound",
    "iterations_bound",
    "convex_bound",
    "convex_tight_bound",
    "gradient_bound",
]


def _steps(k, low=0):
    """k (int or array of ints >= low) as an int64 array, checked."""
    steps = np.asarray(k)
    if steps.dtype == bool or not np.issubdtype(steps.dtype, np.integer) or np.any(steps < low):
        raise ValueError(f"k must be an integer (or array of integers) >= {low}, got {k!r}")
    return steps.astype(np.int64)


def _result(value, k):
    return float(value) if np.ndim(k) == 0 else np.asarray(value, dtype=float)


def descent_coefficient(learning_rate, L):
    """α(1 − αL/2): the guaranteed decrease of h per unit of ‖∇h‖² for one GD step (descent lemma).

    Positive exactly for 0 < α < 2/L and largest, 1/(2L), at α = 1/L. Chapter 05, section 7.
    """
    rate = check_scalar("learning_rate", learning_rate, low=0, low_open=True)
    L = check_scalar("L", L, low=0, low_open=True)
    return rate * (1.0 - rate * L / 2.0)


def strongly_convex_bound(L, mu, dist0_sq, k):
    """(L/2) q^{2k} d₀² with q = (κ − 1)/(κ + 1), κ = L/μ: GD at α = 2/(L + μ), μ-strongly convex h.

    ``dist0_sq`` = ‖θ₀ − θ*‖²; ``k`` an int or an array of ints >= 0. Chapter 05, eq. (eq-05-rate).
    """
    L = check_scalar("L", L, low=0, low_open=True)
    mu = check_scalar("mu", mu, low=0, low_open=True, high=L)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    q = (L - mu) / (L + mu)  # = (κ − 1)/(κ + 1)
    return _result(L / 2.0 * q ** (2 * steps) * dist0_sq, k)


def iterations_bound(kappa, L, dist0_sq, eps):
    """(κ/4) log(L d₀² / (2ε)): enough GD steps (α = 2/(L + μ)) for the strongly convex bound <= ε.

    Uses log(1/q) >= 2/κ. Returns 0.0 when the bound is already <= ε at k = 0. Chapter 05.
    """
    kappa = check_scalar("kappa", kappa, low=1)
    L = check_scalar("L", L, low=0, low_open=True)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    eps = check_scalar("eps", eps, low=0, low_open=True)
    return max(0.0, kappa / 4.0 * np.log(L * dist0_sq / (2.0 * eps))) if dist0_sq > 0 else 0.0


def convex_bound(L, dist0_sq, k):
    """L d₀² / (2k): GD at α = 1/L on a convex L-smooth h, for k >= 1 (``inf`` at k = 0).

    Proof (chapter 05): the descent lemma and convexity give h(θ_{j+1}) − h* <=
    (L/2)(‖θ_j − θ*‖² − ‖θ_{j+1} − θ*‖²); summing over j < k telescopes, and h(θ_j) decreases.
    """
    L = check_scalar("L", L, low=0, low_open=True)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    with np.errstate(divide="ignore"):
        value = np.where(steps > 0, L * dist0_sq / (2.0 * np.maximum(steps, 1)), np.inf)
    return _result(value, k)


def convex_tight_bound(L, dist0_sq, k):
    """L d₀² / (4k + 2): the exact worst case of GD at α = 1/L over convex L-smooth h (k >= 0).

    Drori and Teboulle (2014, Theorem 3.1 and its tightness example, step h = 1) prove
    h(θ_k) − h* <= L d₀² / (4k + 2) for every convex L-smooth h in any dimension, and exhibit a Huber
    function on which GD attains it with equality; :func:`convex_bound` L d₀² / (2k) is about twice as
    large. At k = 0 it is L d₀² / 2, the bound of L-smoothness alone. Chapter 05, section 8.
    """
    L = check_scalar("L", L, low=0, low_open=True)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    return _result(L * dist0_sq / (4.0 * steps + 2.0), k)


def gradient_bound(L, gap0, k):
    """2L Δ₀ / k, with Δ₀ = h(θ₀) − h*: bounds min_{j<k} ‖∇h(θ_j)‖² for GD at α = 1/L (``inf`` at k = 0).

    Needs only L-smoothness and h >= h* (no convexity): summing the descent lemma
    h(θ_{j+1}) <= h(θ_j) − ‖∇h(θ_j)‖²/(2L) over j < k gives Σ_j ‖∇h(θ_j)‖² <= 2L Δ₀. Chapter 05.
    """
    L = check_scalar("L", L, low=0, low_open=True)
    gap0 = check_scalar("gap0", gap0, low=0)
    steps = _steps(k)
    with np.errstate(divide="ignore"):
        value = np.where(steps > 0, 2.0 * L * gap0 / np.maximum(steps, 1), np.inf)
    return _result(value, k)
