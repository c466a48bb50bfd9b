r"""Stochastic gradients of a finite sum: their noise, its constants, and many SGD runs at once (chapter 08).

A finite sum h(θ) = (1/m) Σᵢ hᵢ(θ) (:class:`course_lib.objectives.LeastSquares`,
:class:`~course_lib.objectives.LogisticRegression`, :class:`course_lib.networks.Objective`) has the
per-example gradients gᵢ = ∇hᵢ(θ), their mean ∇h(θ) and their (population) covariance

    Σ(θ) = (1/m) Σᵢ (gᵢ − ∇h)(gᵢ − ∇h)ᵀ.

A mini-batch of b distinct examples drawn uniformly gives the unbiased estimate g_B = (1/b) Σ_{i∈B} gᵢ
with E‖g_B − ∇h‖² = (tr Σ / b) (m − b)/(m − 1) (the finite-population correction; with replacement the
factor is 1). What this module computes:

* :func:`per_example_gradients`, :func:`gradient_covariance` -- the gᵢ and (∇h, Σ);
* :func:`minibatch_variance` -- the exact E‖g_B − ∇h‖²; :func:`sampled_variance` its Monte-Carlo
  estimate over the batches :func:`course_lib.optimizers.batches` draws;
* :func:`polyak_constant` -- tr(H⁻¹Σ)/2, the constant of the asymptotic rate
  E h(θ̄_k) − h* ≈ tr(H⁻¹Σ)/(2k) of SGD with Polyak averaging (Polyak and Juditsky 1992);
* :func:`noise_scale` -- McCandlish et al. (2018)'s simple gradient noise scale B = tr Σ / ‖∇h‖²,
  and :func:`noise_scale_estimate`, their unbiased estimate from two batch sizes;
* :func:`sgd_least_squares` -- R runs of mini-batch SGD on a least-squares problem as one NumPy
  computation, with the running Polyak average, equal to :func:`course_lib.optimizers.run` run by run
  (tested).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.validation import check_scalar, check_seed, check_theta

__all__ = [
    "per_example_gradients",
    "gradient_covariance",
    "minibatch_variance",
    "sampled_variance",
    "polyak_constant",
    "noise_scale",
    "noise_scale_estimate",
    "SGDRuns",
    "sgd_least_squares",
    "excess",
]


def _finite_sum(objective):
    if not (hasattr(objective, "at") and hasattr(objective, "m") and hasattr(objective, "dim")):
        raise ValueError(f"objective must be a finite sum (with .at(batch), .m and .dim), got {objective!r}")
    return objective


def per_example_gradients(objective, theta):
    """The m per-example gradients gᵢ = ∇hᵢ(θ) of a finite sum, an array (m, n).

    Least squares: gᵢ = xᵢ (xᵢᵀθ − yᵢ) in one product; any other finite sum (``at(batch)``, ``m``,
    ``dim``): ``objective.at([i]).grad(θ)`` for each i. Their mean is ∇h(θ). Chapter 08.
    """
    from course_lib.objectives import LeastSquares

    objective = _finite_sum(objective)
    theta = check_theta(theta, objective.dim)
    if theta.ndim != 1:
        raise ValueError(f"theta must be one point of shape ({objective.dim},), got {theta.shape}")
    if isinstance(objective, LeastSquares):
        return objective.X * (objective.X @ theta - objective.y)[:, None]
    return np.stack([np.asarray(objective.at(np.array([i])).grad(theta)) for i in range(objective.m)])


def gradient_covariance(objective, theta):
    """(∇h(θ), Σ(θ)): the mean of the per-example gradients and their covariance (1/m) Σᵢ (gᵢ − ∇h)(gᵢ − ∇h)ᵀ.

    Σ is the covariance of the gradient of ONE example drawn uniformly (ddof = 0: the population of m
    examples is the whole distribution). Chapter 08.
    """
    grads = per_example_gradients(objective, theta)
    mean = grads.mean(axis=0)
    centred = grads - mean
    return mean, centred.T @ centred / grads.shape[0]


def minibatch_variance(trace_sigma, m, batch_size, replace=False):
    """E‖g_B − ∇h‖² for a batch of b examples: (tr Σ / b)(m − b)/(m − 1) without replacement, tr Σ / b with.

    Args: ``trace_sigma`` tr Σ >= 0 (:func:`gradient_covariance`); ``m`` >= 2 examples; ``batch_size``
    b in 1..m (an int or an int array); ``replace``: draws with replacement (then any b >= 1).
    The factor (m − b)/(m − 1) is the finite-population correction: b = m gives 0 (the full gradient).
    Chapter 08.
    """
    trace_sigma = check_scalar("trace_sigma", trace_sigma, low=0)
    m = check_scalar("m", m, low=2, integer=True)
    b = np.asarray(batch_size)
    if b.size == 0 or not np.issubdtype(b.dtype, np.integer) or b.min() < 1 or (not replace and b.max() > m):
        raise ValueError(f"batch_size must be integers in 1..m = 1..{m}, got {batch_size!r}")
    b = b.astype(float)
    out = trace_sigma / b if replace else trace_sigma / b * (m - b) / (m - 1)
    return float(out) if out.ndim == 0 else out


def sampled_variance(objective, theta, batch_size, draws=1000, *, seed=0, sampling="independent"):
    """Monte-Carlo mean of ‖g_B − ∇h‖² over ``draws`` batches from :func:`course_lib.optimizers.batches`.

    The batches are those step 0 ... draws − 1 of :func:`course_lib.optimizers.run` would see with the
    same ``seed`` and ``sampling``; the estimate has the relative standard error of a mean of ``draws``
    squared norms. Chapter 08.
    """
    from course_lib.optimizers import batches

    draws = check_scalar("draws", draws, low=1, integer=True)
    grads = per_example_gradients(objective, theta)
    index = batches(grads.shape[0], batch_size, draws, seed=check_seed(seed), sampling=sampling)
    deviation = grads[index].mean(axis=1) - grads.mean(axis=0)
    return float(np.mean(np.sum(deviation * deviation, axis=1)))


def polyak_constant(hessian, sigma):
    """tr(H⁻¹Σ)/2: the constant c of E h(θ̄_k) − h* = c/k + O(1/k²) for SGD with Polyak averaging.

    ``hessian`` H (n, n) symmetric positive definite (the Hessian at θ*), ``sigma`` Σ (n, n) the
    covariance of the gradient estimate one step uses, at θ* (for b examples per step, the per-example
    covariance divided by b, times (m − b)/(m − 1) without replacement). Asymptotically
    √k (θ̄_k − θ*) ~ N(0, H⁻¹ΣH⁻¹) (Polyak and Juditsky 1992), so E ½(θ̄_k − θ*)ᵀH(θ̄_k − θ*) =
    tr(H⁻¹Σ)/(2k). Chapter 08.
    """
    H, S = np.asarray(hessian, dtype=float), np.asarray(sigma, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.all(np.isfinite(H)):
        raise ValueError(f"hessian must be a finite square matrix, got shape {H.shape}")
    if S.shape != H.shape or not np.all(np.isfinite(S)):
        raise ValueError(f"sigma must be a finite matrix of the shape of hessian {H.shape}, got {S.shape}")
    if np.linalg.eigvalsh(0.5 * (H + H.T))[0] <= 0:
        raise ValueError("hessian must be positive definite")
    return float(np.trace(np.linalg.solve(H, S))) / 2.0


def noise_scale(objective, theta):
    """McCandlish et al. (2018)'s simple noise scale B_simple = tr Σ(θ) / ‖∇h(θ)‖² (in examples).

    The batch size at which the gradient noise E‖g_B − ∇h‖² ≈ tr Σ / b equals the squared signal
    ‖∇h‖²: below it doubling b nearly halves the steps needed, above it returns diminish. Chapter 08.
    """
    grad, sigma = gradient_covariance(objective, theta)
    return float(np.trace(sigma) / (grad @ grad))


def noise_scale_estimate(g_small, g_big, b_small, b_big):
    """McCandlish et al. (2018, appendix A)'s unbiased estimates from two batch gradients: (|G|², tr Σ, B).

    With E‖g_b‖² = ‖G‖² + tr Σ / b (draws with replacement):
    ‖G‖² ≈ (b_big ‖g_big‖² − b_small ‖g_small‖²)/(b_big − b_small),
    tr Σ ≈ (‖g_small‖² − ‖g_big‖²)/(1/b_small − 1/b_big), and B_simple ≈ tr Σ / ‖G‖² (a ratio of
    averages: average each estimate over many steps before dividing). Chapter 08.
    """
    b_small = check_scalar("b_small", b_small, low=1)
    b_big = check_scalar("b_big", b_big, low=b_small, low_open=True)
    small, big = np.asarray(g_small, dtype=float), np.asarray(g_big, dtype=float)
    if small.shape != big.shape or small.size == 0:
        raise ValueError(f"g_small and g_big must be gradients of one shape, got {small.shape} and {big.shape}")
    sq_small, sq_big = np.sum(small * small, axis=-1), np.sum(big * big, axis=-1)
    signal = (b_big * sq_big - b_small * sq_small) / (b_big - b_small)
    trace = (sq_small - sq_big) / (1.0 / b_small - 1.0 / b_big)
    return signal, trace, trace / signal


class SGDRuns(NamedTuple):
    """:func:`sgd_least_squares`'s result: R runs recorded at the steps ``ks``.

    ``thetas`` (R, T, n) the iterates θ_k, ``averages`` (R, T, n) the Polyak averages
    θ̄_k = (1/(k + 1)) Σ_{i<=k} θ_i, ``excess`` and ``excess_average`` (R, T) h(θ_k) − h* and
    h(θ̄_k) − h*.
    """

    ks: np.ndarray
    thetas: np.ndarray
    averages: np.ndarray
    excess: np.ndarray
    excess_average: np.ndarray


def sgd_least_squares(problem, theta0, learning_rate, index, *, record_every=1):
    """R runs of mini-batch SGD θ_{k+1} = θ_k − α_k X_Bᵀ(X_B θ_k − y_B)/b on least squares, as one computation.

    Args:
        problem: a :class:`course_lib.objectives.LeastSquares`.
        theta0: the start, (n,) (every run) or (R, n).
        learning_rate: α, a float > 0, or a schedule k -> α_k (:mod:`course_lib.schedules`; called
            once on all k).
        index: int array (R, K, b): run r's batch at step k (e.g. ``optimizers.batches(m, b, K,
            seed=s, sampling=...)`` stacked over seeds s).
        record_every: r >= 1; records at k = 0, r, 2r, ... and K.

    Returns :class:`SGDRuns`. Run r equals ``optimizers.run(GradientDescent(α), problem, θ₀, K,
    batch_size=b, seed=s, sampling=...)`` with the same batches (tested), and ``averages`` equals
    :func:`course_lib.schedules.polyak_average` of its iterates. Chapter 08.
    """
    from course_lib.objectives import LeastSquares

    if not isinstance(problem, LeastSquares):
        raise ValueError(f"problem must be a LeastSquares objective, got {problem!r}")
    index = np.asarray(index)
    if index.ndim != 3 or index.size == 0 or not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"index must be a non-empty int array (R, K, b), got shape {index.shape}")
    if index.min() < 0 or index.max() >= problem.m:
        raise ValueError(f"index must hold example indices in 0..{problem.m - 1}")
    R, K, b = index.shape
    theta = np.array(np.broadcast_to(check_theta(theta0, problem.dim, name="theta0"), (R, problem.dim)))
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    ks = np.unique(np.append(np.arange(0, K + 1, record_every), K))
    if callable(learning_rate):
        rates = np.asarray(learning_rate(np.arange(K)), dtype=float) * np.ones(K)
    else:
        rates = np.full(K, check_scalar("learning_rate", learning_rate, low=0, low_open=True))
    X, y = problem.X, problem.y
    total = theta.copy()
    thetas, averages = np.empty((R, ks.size, problem.dim)), np.empty((R, ks.size, problem.dim))
    thetas[:, 0], averages[:, 0], row = theta, theta, 1
    with np.errstate(all="ignore"):
        for k in range(K):
            xb = X[index[:, k]]  # (R, b, n)
            residual = np.einsum("rbn,rn->rb", xb, theta) - y[index[:, k]]
            theta = theta - (rates[k] / b) * np.einsum("rbn,rb->rn", xb, residual)
            total += theta
            if k + 1 == ks[row]:
                thetas[:, row], averages[:, row] = theta, total / (k + 2)
                row += 1
    return SGDRuns(ks, thetas, averages, excess(problem, thetas), excess(problem, averages))


def excess(problem, thetas):
    """h(θ) − h* = ½ (θ − θ*)ᵀ H (θ − θ*) of least squares, for θ of shape (..., n), without forming Xθ.

    Exact for :class:`course_lib.objectives.LeastSquares` (the normal equations cancel the linear term;
    θ* the minimizer), and cheap for many θ at once. Chapter 08.
    """
    from course_lib.objectives import LeastSquares

    if not isinstance(problem, LeastSquares):
        raise ValueError(f"problem must be a LeastSquares objective, got {problem!r}")
    error = check_theta(thetas, problem.dim, name="thetas") - problem.minimizer
    return 0.5 * np.einsum("...i,ij,...j->...", error, problem.hessian(problem.minimizer), error)
