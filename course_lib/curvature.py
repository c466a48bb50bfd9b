"""Curvature (math only, NumPy): the second-order test and random Hessians (chapter 05).

* :func:`classify_critical_point` -- the second-order test on the **eigenvalues** of the Hessian H
  at a point where ∇h = 0: minimum ⇔ all λᵢ > 0, maximum ⇔ all λᵢ < 0, saddle ⇔ both signs occur,
  and a zero eigenvalue (with no opposite signs) leaves the test undecided. The diagonal of H decides
  nothing: [[1, 2], [2, 1]] has a positive diagonal and eigenvalues 3 and −1 (a saddle).
  :func:`negative_fraction` gives the index (fraction of negative eigenvalues) of Dauphin et al.
* :func:`sample_goe` and :func:`fraction_positive_definite` -- the "random Hessian" model of saddle
  points in high dimension: for an n × n Gaussian Orthogonal Ensemble matrix the probability that all
  eigenvalues are positive decays like exp(−c n²), far faster than 2⁻ⁿ (Dean & Majumdar 2006).

Elsewhere: a quadratic with a chosen spectrum is
:meth:`course_lib.objectives.Quadratic.with_eigenvalues`; the exact Hessian of a Keras network's loss
is :class:`course_lib.models.NetworkLoss`. Matrices are checked by
:func:`course_lib.validation.check_symmetric`.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_rng, check_scalar, check_seed, check_symmetric

__all__ = [
    "classify_critical_point",
    "negative_fraction",
    "sample_goe",
    "fraction_positive_definite",
]


# --------------------------------------------------------------------------------------------------
# The second-order test
# --------------------------------------------------------------------------------------------------
def classify_critical_point(H, tol=1e-8):
    """Classify a critical point (∇h(θ) = 0) by the eigenvalues λ₁ ≤ … ≤ λₙ of its Hessian H.

    With h(θ + d) = h(θ) + ½ dᵀHd + o(‖d‖²) and H = Σᵢ λᵢ uᵢuᵢᵀ:

    * ``"minimum"``    if every λᵢ > tol (h rises along every direction);
    * ``"maximum"``    if every λᵢ < −tol;
    * ``"saddle"``     if some λᵢ > tol and some λⱼ < −tol (h rises along uᵢ, falls along uⱼ);
    * ``"degenerate"`` otherwise: some |λᵢ| ≤ tol and no opposite signs, so the second-order test is
      undecided (x⁴ and −x⁴ and x³ all have H = 0 at 0).

    Parameters: ``H`` symmetric (n, n) array (checked square, finite, symmetric to 1e-8 relative);
    ``tol`` >= 0, the threshold below which an eigenvalue counts as zero (default 1e-8).
    Chapter 05 (the seed's "diagonal Hessian" test corrected).
    """
    H = check_symmetric(H)
    tol = check_scalar("tol", tol, low=0)
    eigenvalues = np.linalg.eigvalsh(H)
    has_positive = bool(np.any(eigenvalues > tol))
    has_negative = bool(np.any(eigenvalues < -tol))
    has_zero = bool(np.any(np.abs(eigenvalues) <= tol))
    if has_positive and has_negative:
        return "saddle"
    if has_zero:
        return "degenerate"
    return "minimum" if has_positive else "maximum"


def negative_fraction(H, tol=0.0):
    """The index α = (number of eigenvalues λᵢ < −tol) / n of a symmetric (n, n) matrix H.

    Dauphin et al. (2014) plot the training error of critical points against α: points with high
    error have a large α (many directions of negative curvature, i.e. saddles), minima have α = 0.
    Chapter 05 (Hessian of a small network on the digits).
    """
    H = check_symmetric(H)
    tol = check_scalar("tol", tol, low=0)
    return float(np.mean(np.linalg.eigvalsh(H) < -tol))


# --------------------------------------------------------------------------------------------------
# Random symmetric matrices (Gaussian Orthogonal Ensemble)
# --------------------------------------------------------------------------------------------------
def sample_goe(n, size, rng):
    """Draw ``size`` random symmetric matrices M = (X + Xᵀ)/2, X with i.i.d. N(0, 1) entries.

    Returns an array of shape (size, n, n). Entries: Mᵢᵢ ~ N(0, 1), Mᵢⱼ = Mⱼᵢ ~ N(0, ½) for i ≠ j, all
    independent otherwise -- the Gaussian Orthogonal Ensemble (GOE), the simplest model of "a random
    Hessian". ``rng`` is a ``numpy.random.Generator``. Chapter 05.
    """
    n = check_scalar("n", n, low=1, integer=True)
    size = check_scalar("size", size, low=1, integer=True)
    rng = check_rng(rng)
    X = rng.standard_normal((size, n, n))
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def fraction_positive_definite(n, samples, seed=0, batch=50_000):
    """Monte-Carlo estimate of P(all eigenvalues of an n × n GOE matrix are > 0).

    Draws ``samples`` matrices with :func:`sample_goe` (``batch`` at a time, to bound memory) from
    ``numpy.random.default_rng(seed)`` and returns the fraction whose smallest eigenvalue (batched
    ``np.linalg.eigvalsh``) is positive; matrices with a non-positive diagonal entry are rejected
    before the eigenvalue solver (they cannot be positive definite). Its standard error is
    √(p(1 − p)/samples).
    Known values: ½ for n = 1, (2 − √2)/4 ≈ 0.146 for n = 2; for large n it decays like
    exp(−(ln 3 / 4) n²) (Dean & Majumdar 2006). By symmetry (M ↦ −M) the same holds for "all negative".
    Chapter 05 (corrects the seed's "probability 1/n").
    """
    n = check_scalar("n", n, low=1, integer=True)
    samples = check_scalar("samples", samples, low=1, integer=True)
    batch = check_scalar("batch", batch, low=1, integer=True)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    positive, done = 0, 0
    while done < samples:
        size = min(batch, samples - done)
        M = sample_goe(n, size, rng)
        # A positive-definite M has Mᵢᵢ = eᵢᵀMeᵢ > 0: only matrices with a positive diagonal (a
        # fraction 2⁻ⁿ) can qualify, so only those go through the eigenvalue solver.
        candidates = M[np.all(np.diagonal(M, axis1=1, axis2=2) > 0, axis=1)]
        if len(candidates):
            positive += int(np.count_nonzero(np.linalg.eigvalsh(candidates)[:, 0] > 0))
        done += size
    return positive / samples
