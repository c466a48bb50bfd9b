"""Curvature (math only, NumPy and SciPy): the second-order test, random Hessians, and the Hessian met
only through Hessian-vector products (chapters 05, 07).

* :func:`classify_critical_point` -- the second-order test on the **eigenvalues** of the Hessian H
  at a point where ∇h = 0: minimum ⇔ all λᵢ > 0, maximum ⇔ all λᵢ < 0, saddle ⇔ both signs occur,
  and a zero eigenvalue (with no opposite signs) leaves the test undecided. The diagonal of H decides
  nothing: [[1, 2], [2, 1]] has a positive diagonal and eigenvalues 3 and −1 (a saddle).
  :func:`negative_fraction` gives the index (fraction of negative eigenvalues) of Dauphin et al.
* :func:`sample_goe` and :func:`fraction_positive_definite` -- the "random Hessian" model of saddle
  points in high dimension: for an n × n Gaussian Orthogonal Ensemble matrix the probability that all
  eigenvalues are positive decays like exp(−c n²), far faster than 2⁻ⁿ (Dean & Majumdar 2006).
* :func:`top_eigenvalue` -- the largest (or smallest) eigenvalue of a symmetric operator v -> Hv given
  only as a function, by Lanczos (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``): the sharpness
  λ_max of a network's loss from Hessian-vector products, never forming the n × n Hessian.
* :func:`conjugate_gradient` -- solve Ax = b for a symmetric positive definite A given as v -> Av
  (chapter 07's Newton-CG), with its iterates and residuals for the Chebyshev bound.

Elsewhere: a quadratic with a chosen spectrum is
:meth:`course_lib.objectives.Quadratic.with_eigenvalues`; the exact Hessian of a Keras network's loss
is :class:`course_lib.models.NetworkLoss`. Matrices are checked by
:func:`course_lib.validation.check_symmetric`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.validation import check_rng, check_scalar, check_seed, check_symmetric

__all__ = [
    "classify_critical_point",
    "negative_fraction",
    "sample_goe",
    "fraction_positive_definite",
    "top_eigenvalue",
    "conjugate_gradient",
    "CGResult",
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


# --------------------------------------------------------------------------------------------------
# The Hessian through Hessian-vector products: Lanczos and conjugate gradients
# --------------------------------------------------------------------------------------------------
_WHICH = {"largest": "LA", "smallest": "SA"}


def _vector(name, v, dim):
    v = np.asarray(v, dtype=float)
    if v.shape != (dim,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be a finite vector of shape ({dim},), got shape {v.shape}")
    return v


def _operator(matvec, dim, name):
    """A ``LinearOperator`` of v -> matvec(v), with the output checked flat of length ``dim``."""
    from scipy.sparse.linalg import LinearOperator

    def apply(v):
        out = np.asarray(matvec(np.ravel(v)), dtype=float)
        if out.size != dim:
            raise ValueError(f"{name} must map a vector of shape ({dim},) to one of shape ({dim},), got {out.shape}")
        return out.ravel()

    return LinearOperator((dim, dim), matvec=apply, dtype=float)


def top_eigenvalue(
    hvp, dim, v0=None, *, which="largest", tol=1e-10, seed=0, ncv=None, max_iter=None, return_vector=False
):
    """The largest (or smallest) eigenvalue λ of a symmetric operator H given as v -> Hv, by Lanczos.

    Lanczos builds an orthonormal basis of the Krylov space span{v₀, Hv₀, H²v₀, ...} and the
    eigenvalues of H restricted to it; the extreme ones converge first, each step costs one product
    ``hvp(v)``, and H (n × n) is never formed. This is ``scipy.sparse.linalg.eigsh(op, k=1,
    which="LA" | "SA")`` on a ``LinearOperator`` (ARPACK's implicitly restarted Lanczos). "Largest" and
    "smallest" are algebraic: for a Hessian, λ_max is the sharpness (chapter 05: GD at step α is
    stable only while λ_max < 2/α) and the smallest is the most negative curvature (chapter 07: a
    saddle's escape direction).

    Args:
        hvp: v -> Hv, a vector of shape (dim,) to one of shape (dim,); H must be symmetric.
        dim: n, an integer >= 1.
        v0: the start vector (dim,), e.g. the previous eigenvector along a run (a warm start: a few
            products instead of tens); default a standard normal vector from
            ``numpy.random.default_rng(seed)``, so the same call gives the same result.
        which: ``"largest"`` (default) or ``"smallest"``.
        tol: eigsh's relative accuracy of λ (1e-10; 0 means machine precision).
        seed: the start vector's seed when ``v0`` is None (default 0).
        ncv: the Lanczos basis size (eigsh's default min(n, 20)); max_iter: ARPACK's restarts.
        return_vector: also return the unit eigenvector (its largest-magnitude entry made positive).

    Returns λ (a float), or (λ, u) with ``return_vector=True``. Raises scipy's
    ``ArpackNoConvergence`` if Lanczos has not converged within ``max_iter`` restarts.
    Chapters 05 (sharpness along gradient descent), 07.
    """
    from scipy.sparse.linalg import eigsh

    dim = check_scalar("dim", dim, low=1, integer=True)
    if which not in _WHICH:
        raise ValueError(f"which must be one of {sorted(_WHICH)}, got {which!r}")
    tol = check_scalar("tol", tol, low=0)
    seed = check_seed(seed)
    v0 = np.random.default_rng(seed).standard_normal(dim) if v0 is None else _vector("v0", v0, dim)
    if not np.any(v0):
        raise ValueError("v0 must be a nonzero vector")
    operator = _operator(hvp, dim, "hvp")
    if dim == 1:  # ARPACK needs n >= 2; a 1 × 1 operator is its own eigenvalue
        values, vectors = operator.matvec(np.ones(1)), np.ones((1, 1))
    else:
        if ncv is not None:
            ncv = check_scalar("ncv", ncv, low=2, high=dim, integer=True)
        if max_iter is not None:
            max_iter = check_scalar("max_iter", max_iter, low=1, integer=True)
        values, vectors = eigsh(operator, k=1, which=_WHICH[which], v0=v0, tol=tol, ncv=ncv, maxiter=max_iter)
    value, vector = float(values[0]), vectors[:, 0] / np.linalg.norm(vectors[:, 0])
    if not return_vector:
        return value
    return value, vector if vector[np.argmax(np.abs(vector))] > 0 else -vector


class CGResult(NamedTuple):
    """The result of :func:`conjugate_gradient` with ``return_history=True``.

    x : the last iterate (n,);  iterates : array (k + 1, n), x₀ ... x_k;  residual_norms : array
    (k + 1,), ‖b − A x_i‖ (the recursively updated residual);  iterations : k;  converged : whether
    ‖r_k‖ <= tol · ‖b‖ (False after ``max_iter`` steps, or when a direction p with pᵀAp <= 0 showed
    that A is not positive definite: the run stops there).
    """

    x: np.ndarray
    iterates: np.ndarray
    residual_norms: np.ndarray
    iterations: int
    converged: bool


def conjugate_gradient(matvec, b, tol=1e-10, max_iter=None, *, x0=None, return_history=False):
    """Solve Ax = b for a symmetric positive definite A given as v -> Av, by conjugate gradients.

    With r₀ = b − Ax₀ and p₀ = r₀, each step is
    α_k = r_kᵀr_k / p_kᵀAp_k;  x_{k+1} = x_k + α_k p_k;  r_{k+1} = r_k − α_k Ap_k;
    p_{k+1} = r_{k+1} + (r_{k+1}ᵀr_{k+1} / r_kᵀr_k) p_k,
    one product Ap per step. x_k minimizes ½xᵀAx − bᵀx over x₀ + span{r₀, Ar₀, ..., A^{k−1}r₀}, so
    (in exact arithmetic) CG stops after at most as many steps as A has distinct eigenvalues, and the
    error in the A-norm obeys ‖x_k − x*‖_A <= 2((√κ − 1)/(√κ + 1))^k ‖x₀ − x*‖_A (Chebyshev).

    Args:
        matvec: v -> Av, a vector of shape (n,) to one of shape (n,).
        b: the right-hand side (n,), finite.
        tol: stop when ‖b − Ax_k‖ <= tol · ‖b‖ (1e-10; scipy's ``cg(rtol=tol, atol=0)``).
        max_iter: at most this many steps (default 10 n, as scipy).
        x0: the start (default 0).
        return_history: return a :class:`CGResult` (iterates and residual norms) instead of x.

    Returns x (n,), or a :class:`CGResult`. A direction with pᵀAp <= 0 (A not positive definite)
    stops the run at the current iterate, with ``converged=False``. Chapter 07 (Newton-CG).
    """
    b = np.asarray(b, dtype=float)
    if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)):
        raise ValueError(f"b must be a finite non-empty vector, got shape {b.shape}")
    n = b.size
    tol = check_scalar("tol", tol, low=0)
    max_iter = 10 * n if max_iter is None else check_scalar("max_iter", max_iter, low=0, integer=True)
    x = np.zeros(n) if x0 is None else _vector("x0", x0, n).copy()

    def apply(v):
        out = np.asarray(matvec(v), dtype=float)
        if out.shape != (n,):
            raise ValueError(f"matvec must map a vector of shape ({n},) to one of shape ({n},), got {out.shape}")
        return out

    r = b - apply(x) if np.any(x) else b.copy()
    p, rr = r.copy(), float(r @ r)
    threshold = tol * float(np.linalg.norm(b))
    iterates, norms = [x.copy()], [np.sqrt(rr)]
    converged = np.sqrt(rr) <= threshold
    k = 0
    while not converged and k < max_iter:
        Ap = apply(p)
        curvature = float(p @ Ap)
        if not curvature > 0:
            break
        alpha = rr / curvature
        x = x + alpha * p
        r = r - alpha * Ap
        rr_next = float(r @ r)
        p = r + (rr_next / rr) * p
        rr, k = rr_next, k + 1
        iterates.append(x.copy())
        norms.append(np.sqrt(rr))
        converged = np.sqrt(rr) <= threshold
    if not return_history:
        return x
    return CGResult(x, np.array(iterates), np.array(norms), k, bool(converged))
