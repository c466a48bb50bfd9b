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


# --------------------------------------------------------------------------------------------------
# Newton, damping and trust regions on a dense model (chapter 07)
# --------------------------------------------------------------------------------------------------
class TrustRegionStep(NamedTuple):
    """:func:`trust_region_step`'s result: the step d, its damping λ >= 0, whether ‖d‖ = r (boundary)."""

    d: np.ndarray
    damping: float
    boundary: bool


def _dense_model(H, g):
    H = check_symmetric(H)
    g = _vector("g", g, H.shape[0])
    return H, g


def damped_step(H, g, damping):
    """d(λ) = −(H + λI)⁻¹ g, the minimizer of the damped model gᵀd + ½ dᵀ(H + λI)d when H + λI ≻ 0.

    ``H`` symmetric (n, n), ``g`` (n,), ``damping`` λ >= 0. λ = 0 is Newton's step; as λ → ∞,
    d(λ) ≈ −g/λ, a short gradient step. Chapter 07.
    """
    H, g = _dense_model(H, g)
    damping = check_scalar("damping", damping, low=0)
    return -np.linalg.solve(H + damping * np.eye(H.shape[0]), g)


def step_norms(H, g, dampings):
    """‖d(λ)‖ = ‖(H + λI)⁻¹ g‖ = √(Σᵢ (uᵢᵀg)² / (λᵢ + λ)²) for each λ in ``dampings`` (eigenbasis of H).

    Decreasing in λ on (−λ_min, ∞): the link between the damping λ and the trust radius r. Chapter 07.
    """
    H, g = _dense_model(H, g)
    eigenvalues, U = np.linalg.eigh(H)
    c2 = (U.T @ g) ** 2
    lam = np.asarray(dampings, dtype=float)
    with np.errstate(divide="ignore"):
        return np.sqrt(np.sum(c2 / (eigenvalues + lam[..., None]) ** 2, axis=-1))


def trust_region_step(H, g, radius, xtol=1e-14):
    """argmin_{‖d‖ <= r} gᵀd + ½ dᵀHd, by the secular equation ‖d(λ)‖ = r (Moré and Sorensen 1983).

    The solution is d = −(H + λI)⁻¹ g for a λ >= max(0, −λ_min(H)) with λ (r − ‖d‖) = 0
    (Nocedal and Wright 2006, Theorem 4.1): λ = 0 when H ≻ 0 and the Newton step fits inside the ball;
    otherwise ‖d‖ = r and λ solves the 1-D **secular equation**
    ‖d(λ)‖² = Σᵢ (uᵢᵀg)² / (λᵢ + λ)² = r²  (H = Σᵢ λᵢ uᵢuᵢᵀ),
    found here by Brent's method on (max(0, −λ_min), ‖g‖/r − λ_min], where ‖d‖ falls from +∞ to <= r.
    The "hard case" (g ⟂ the eigenvectors of λ_min, the equation has no root) adds a multiple of u_min
    to reach the boundary. Returns :class:`TrustRegionStep`. ``radius`` r > 0. Chapter 07.
    """
    from scipy.optimize import brentq

    H, g = _dense_model(H, g)
    radius = check_scalar("radius", radius, low=0, low_open=True)
    eigenvalues, U = np.linalg.eigh(H)
    c = U.T @ g
    lowest = eigenvalues[0]
    if lowest > 0:
        newton = -U @ (c / eigenvalues)
        if np.linalg.norm(newton) <= radius:
            return TrustRegionStep(newton, 0.0, False)
    low = max(0.0, -lowest)

    def excess(lam):
        with np.errstate(divide="ignore"):
            return np.sqrt(np.sum(c**2 / (eigenvalues + lam) ** 2)) - radius

    high = max(low, np.linalg.norm(g) / radius - lowest) + 1e-300
    if excess(low + 1e-15 * max(1.0, abs(low))) <= 0:  # hard case: no root above −λ_min
        shifted = eigenvalues + low
        keep = shifted > 1e-12 * max(1.0, abs(eigenvalues).max())
        d = -U[:, keep] @ (c[keep] / shifted[keep])
        tau = np.sqrt(max(radius**2 - d @ d, 0.0))
        return TrustRegionStep(d + tau * U[:, 0], float(low), True)
    lam = brentq(excess, low + 1e-15 * max(1.0, abs(low)), high + 1e-12, xtol=xtol, rtol=4 * np.finfo(float).eps)
    return TrustRegionStep(-U @ (c / (eigenvalues + lam)), float(lam), True)


def convergence_order(errors):
    """The estimated orders q_k = log(e_{k+1}/e_k) / log(e_k/e_{k−1}) of an error sequence e_0, e_1, …

    For e_{k+1} ≈ C e_k^q the ratio tends to q: 1 for linear convergence, 2 for Newton's quadratic
    convergence (the number of correct digits −log₁₀ e_k roughly doubles per step). ``errors`` > 0, at
    least 3 of them; returns an array of length len(errors) − 2. Chapter 07.
    """
    e = np.asarray(errors, dtype=float)
    if e.ndim != 1 or e.size < 3 or not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError(f"errors must be at least 3 finite positive numbers, got {errors!r}")
    log_e = np.log(e)
    return (log_e[2:] - log_e[1:-1]) / (log_e[1:-1] - log_e[:-2])


# --------------------------------------------------------------------------------------------------
# Gauss-Newton, Fisher, empirical Fisher and K-FAC of a NumPy network (chapter 07)
# --------------------------------------------------------------------------------------------------
def _network_point(net, x):
    from course_lib import networks

    net = networks.check_network(net)
    if net[0].W.ndim != 2:
        raise ValueError("net must be a single network (no stack axes)")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (m, n_0) with m >= 1, got {x.shape}")
    return net, networks.forward(net, x)


def _activation_slope(name, z):
    """φ'(z) of a named activation (``"linear"``: 1), from :mod:`course_lib.activations`."""
    from course_lib import activations

    return np.ones_like(z) if name == "linear" else activations.ACTIVATIONS[name].df(z)


def _per_example(net, fwd, g):
    """Rows ∂(g_i · a_L,i)/∂θ for every example i: the per-example gradients (m, P) in flatten order."""
    from course_lib import networks

    delta = networks.backward(net, fwd, g).delta
    pieces = []
    for k, d in enumerate(delta):
        a = fwd.a[k]
        pieces += [(a[:, :, None] * d[:, None, :]).reshape(a.shape[0], -1), d]
    return np.concatenate(pieces, axis=1)


def output_jacobians(net, x):
    """J_i = ∂a_L(x_i)/∂θ for every example: an array (m, K, P), θ in :func:`networks.flatten` order.

    Column block c is back-propagation of g_L = e_c (every row), kept per example: for layer k,
    ∂a_L,c/∂W_k = a_{k−1} δ_kᵀ (an outer product per example) and ∂a_L,c/∂b_k = δ_k. Chapter 07
    (checked against ``tf.GradientTape.jacobian``).
    """
    net, fwd = _network_point(net, x)
    m, K = fwd.output.shape
    return np.stack([_per_example(net, fwd, np.broadcast_to(np.eye(K)[c], (m, K)).copy()) for c in range(K)], 1)


def _curvature_loss(loss):
    if loss not in ("cross_entropy", "mse"):
        raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")
    return loss


def output_hessians(net, x, loss="cross_entropy"):
    """H_i = ∂²ℓ_i/∂a_L² per example (m, K, K): diag(p) − ppᵀ (cross-entropy, p = softmax), (2/K) I (MSE).

    ℓ_i is example i's own loss (the book's J is their mean). Chapter 07.
    """
    from course_lib import losses

    loss = _curvature_loss(loss)
    net, fwd = _network_point(net, x)
    m, K = fwd.output.shape
    if loss == "mse":
        return np.broadcast_to(2.0 / K * np.eye(K), (m, K, K)).copy()
    p = losses.softmax(fwd.output)
    return p[:, :, None] * np.eye(K) - p[:, :, None] * p[:, None, :]


def ggn_matrix(net, x, loss="cross_entropy"):
    """The generalized Gauss-Newton matrix G = (1/m) Σᵢ J_iᵀ H_i J_i (P, P), positive semi-definite.

    J_i = ∂a_L/∂θ (:func:`output_jacobians`), H_i = ∂²ℓ_i/∂a_L² (:func:`output_hessians`, PSD for both
    losses, so G is PSD). It is the Hessian ∇²J without the term Σ (∂ℓ/∂a_L) ∇²a_L that carries the
    network's own curvature (Schraudolph 2002). Chapter 07.
    """
    J = output_jacobians(net, x)
    H = output_hessians(net, x, loss)
    G = np.einsum("mkp,mkl,mlq->pq", J, H, J, optimize=True) / J.shape[0]
    return 0.5 * (G + G.T)


def ggn_vector_product(net, x, v, loss="cross_entropy"):
    """G v = (1/m) Σᵢ J_iᵀ H_i (J_i v) without forming G or J: one forward R-pass and one back-propagation.

    J v is the directional derivative of the outputs, R{a_L} (forward: R{z_k} = R{a_{k−1}} W_k + a_{k−1} V_k
    + c_k, R{a_k} = φ_k'(z_k) ⊙ R{z_k}); u_i = H_i (J_i v)/m; then Jᵀu is back-propagation of g_L = u
    (:func:`networks.backward`). ``v`` flat (P,). Cost: about two gradients (Schraudolph 2002; the
    "Gauss-Newton vector product" of Hessian-free optimization, Martens 2010). Chapter 07.
    """
    from course_lib import losses, networks

    loss = _curvature_loss(loss)
    net, fwd = _network_point(net, x)
    P = networks.n_params(net)
    v = _vector("v", v, P)
    V = networks.unflatten(v, net)
    Ra = np.zeros_like(fwd.a[0])
    for k, layer in enumerate(net):
        Rz = Ra @ layer.W + fwd.a[k] @ V[k].W + V[k].b
        Ra = _activation_slope(layer.activation, fwd.z[k]) * Rz
    m, K = fwd.output.shape
    if loss == "mse":
        u = 2.0 / K * Ra / m
    else:
        p = losses.softmax(fwd.output)
        u = p * (Ra - np.sum(p * Ra, axis=1, keepdims=True)) / m
    return networks.flatten(networks.backward(net, fwd, u).grads)


def _softmax_output(net, x):
    from course_lib import losses

    net, fwd = _network_point(net, x)
    return net, fwd, losses.softmax(fwd.output)


def fisher_matrix(net, x):
    """The Fisher F = (1/m) Σᵢ E_{y ~ p(·|xᵢ)}[∇ℓ(y) ∇ℓ(y)ᵀ] of a softmax classifier (P, P), exactly.

    The expectation over the model's own labels is the sum Σ_c p_ic g_ic g_icᵀ with g_ic the gradient of
    −log p(c | xᵢ): K back-propagations, no Hessian of the loss anywhere. For the softmax cross-entropy
    F equals the GGN (:func:`ggn_matrix`), because E_y[(p − e_y)(p − e_y)ᵀ] = diag(p) − ppᵀ, the logit
    Hessian (chapter 02; Martens 2020). Chapter 07.
    """
    net, fwd, p = _softmax_output(net, x)
    m, K = p.shape
    F = np.zeros((_n_params(net),) * 2)
    for c in range(K):
        g = _per_example(net, fwd, p - np.eye(K)[c])
        F += (g * p[:, c : c + 1]).T @ g
    F /= m
    return 0.5 * (F + F.T)


def _n_params(net):
    from course_lib import networks

    return networks.n_params(net)


def empirical_fisher_matrix(net, x, y):
    """The "empirical Fisher" F̃ = (1/m) Σᵢ ∇ℓᵢ ∇ℓᵢᵀ with the **observed** labels yᵢ (P, P).

    Not the Fisher: the labels come from the data, not from the model, so F̃ depends on the residuals
    p − e_y (it vanishes where the fit is perfect and is large far from a fit); Kunstner, Balles and
    Hennig (2019) show that its preconditioned steps can point far from the minimizer. Chapter 07.
    """
    net, fwd, p = _softmax_output(net, x)
    y = np.asarray(y)
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= p.shape[1]:
        raise ValueError(f"y must be {p.shape[0]} integer labels in 0..{p.shape[1] - 1}")
    g = _per_example(net, fwd, p - np.eye(p.shape[1])[y])
    return g.T @ g / p.shape[0]


class KFACFactors(NamedTuple):
    """One dense layer's Kronecker factors: A = E[ā āᵀ] (ā = [a_{k−1}, 1]) and G = E[δ δᵀ] (per-example δ)."""

    A: np.ndarray
    G: np.ndarray


def kfac_statistics(net, x, y=None, *, rng=None, exact=False):
    """(∇J, [KFACFactors per layer]) from one forward pass (Martens and Grosse 2015).

    Layer k's Fisher block (parameters [W_k; b_k] in flatten order) is E[(ā ⊗ δ)(ā ⊗ δ)ᵀ] =
    E[āāᵀ ⊗ δδᵀ] ≈ A_k ⊗ G_k with A_k = (1/m) Σᵢ āᵢāᵢᵀ, G_k = (1/m) Σᵢ δᵢδᵢᵀ, where δᵢ = ∂ℓᵢ/∂z_k is
    back-propagated from labels **sampled from the model**, ŷᵢ ~ softmax(a_L,i) drawn with ``rng`` (the
    Fisher's expectation by one sample; observed labels would give the empirical Fisher), or, with
    ``exact=True``, averaged over all K labels with weights p_ic. The gradient (returned first, flat) uses
    the observed labels ``y`` (None: no gradient, returns None). Chapter 07.
    """
    from course_lib import losses, networks

    net, fwd = _network_point(net, x)
    m, K = fwd.output.shape
    p = losses.softmax(fwd.output)
    grad = None
    if y is not None:
        grad = networks.flatten(networks.backward(net, fwd, networks.output_loss(fwd.output, y)[1]).grads)
    if exact:
        deltas = [networks.backward(net, fwd, p - np.eye(K)[c]).delta for c in range(K)]
        weights = [p[:, c : c + 1] for c in range(K)]
    else:
        rng = check_rng(rng)
        sampled = (p.cumsum(axis=1) < rng.random((m, 1))).sum(axis=1).clip(max=K - 1)
        deltas, weights = [networks.backward(net, fwd, p - np.eye(K)[sampled]).delta], [np.ones((m, 1))]
    factors = []
    for k in range(len(net)):
        a_bar = np.hstack([fwd.a[k], np.ones((m, 1))])
        G = sum((d[k] * w).T @ d[k] for d, w in zip(deltas, weights)) / m
        factors.append(KFACFactors(a_bar.T @ a_bar / m, G))
    return grad, factors


def kfac_matrix(factors):
    """The block-diagonal K-FAC approximation diag(A_1 ⊗ G_1, …, A_L ⊗ G_L) as a dense (P, P) array."""
    from scipy.linalg import block_diag

    return block_diag(*[np.kron(f.A, f.G) for f in factors])


def kfac_solve(factors, vector, damping):
    """(A ⊗ G + damping)⁻¹ v per layer: V_k ↦ (A_k + π_k γ I)⁻¹ V_k (G_k + γ/π_k I)⁻¹, γ = √λ.

    V_k is layer k's slice of the flat ``vector`` reshaped to (n_{k−1} + 1, n_k) ([W_k; b_k], flatten
    order), since (A ⊗ G) vec(V) = vec(A V G) for row-major vec. Factored Tikhonov damping with
    π_k = √((tr A_k / dim A_k) / (tr G_k / dim G_k)) (Martens and Grosse 2015, section 6.3): two small
    solves per layer instead of one P × P solve. ``damping`` λ > 0. Chapter 07.
    """
    damping = check_scalar("damping", damping, low=0, low_open=True)
    v = np.asarray(vector, dtype=float)
    sizes = [f.A.shape[0] * f.G.shape[0] for f in factors]
    if v.shape != (sum(sizes),):
        raise ValueError(f"vector must have shape ({sum(sizes)},), got {v.shape}")
    gamma, out, start = np.sqrt(damping), [], 0
    for f, size in zip(factors, sizes):
        V = v[start : start + size].reshape(f.A.shape[0], f.G.shape[0])
        pi = np.sqrt((np.trace(f.A) / f.A.shape[0]) / max(np.trace(f.G) / f.G.shape[0], 1e-300))
        left = np.linalg.solve(f.A + pi * gamma * np.eye(f.A.shape[0]), V)
        out.append(np.linalg.solve(f.G + gamma / pi * np.eye(f.G.shape[0]), left.T).T.ravel())
        start += size
    return np.concatenate(out)
