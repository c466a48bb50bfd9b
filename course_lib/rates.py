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

Momentum (chapter 06). Heavy ball θ_{k+1} = θ_k − α∇h(θ_k) + β(θ_k − θ_{k−1}) and Nesterov's
θ_{k+1} = y_k − α∇h(y_k), y_k = θ_k + β(θ_k − θ_{k−1}); on a quadratic each eigen-direction (curvature
λ) evolves by a 2 × 2 matrix, so everything is a formula in t = αλ and β:

* :func:`heavy_ball_constants`, :func:`nesterov_constants` -- the tuned (α, β) for eigenvalues in [μ, L];
* :func:`momentum_matrix`, :func:`momentum_spectral_radius` -- the 2 × 2 iteration and its spectral
  radius ρ (the asymptotic rate per step); :func:`damping_boundaries` -- where the regime changes;
* :func:`nesterov_bound` -- (1 − 1/√κ)^k (h(θ₀) − h* + (μ/2)d₀²), Nesterov's method on any
  L-smooth μ-strongly convex h;
* :func:`first_order_lower_bound` -- (μ/2) q^{2k} d₀², q = (√κ − 1)/(√κ + 1): no first-order method
  does better on Nesterov's worst-case function (:func:`course_lib.objectives.nesterov_worst_case`);
* :func:`nesterov_convex_bound` (2Ld₀²/(k + 1)²) and :func:`convex_lower_bound`
  (3Ld₀²/(32(k + 1)²)): the convex case;
* :func:`momentum_noise_floor` -- the stationary E[h − h*] of heavy ball with additive gradient noise.
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
    "heavy_ball_constants",
    "nesterov_constants",
    "momentum_matrix",
    "momentum_spectral_radius",
    "damping_boundaries",
    "nesterov_bound",
    "first_order_lower_bound",
    "nesterov_convex_bound",
    "convex_lower_bound",
    "momentum_noise_floor",
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


# --------------------------------------------------------------------------------------------------
# Momentum (chapter 06)
# --------------------------------------------------------------------------------------------------
def _L_mu(L, mu):
    L = check_scalar("L", L, low=0, low_open=True)
    mu = check_scalar("mu", mu, low=0, low_open=True, high=L)
    return L, mu


def heavy_ball_constants(L, mu):
    """(α, β) = (4/(√L + √μ)², ((√κ − 1)/(√κ + 1))²): Polyak's tuned heavy ball for eigenvalues in [μ, L].

    They make αμ = (1 − √β)² and αL = (1 + √β)², so every eigen-direction of a quadratic is
    critically damped or under-damped and contracts at the rate √β = (√κ − 1)/(√κ + 1) per step
    (:func:`momentum_spectral_radius`). Chapter 06, eq. (eq-06-tuned).
    """
    L, mu = _L_mu(L, mu)
    root_L, root_mu = np.sqrt(L), np.sqrt(mu)
    return 4.0 / (root_L + root_mu) ** 2, ((root_L - root_mu) / (root_L + root_mu)) ** 2


def nesterov_constants(L, mu):
    """(α, β) = (1/L, (√κ − 1)/(√κ + 1)): Nesterov's constant-momentum method for μ-strongly convex h.

    Nesterov (2004), Section 2.2.1, constant step scheme III; its guarantee is :func:`nesterov_bound`.
    Chapter 06.
    """
    L, mu = _L_mu(L, mu)
    root_L, root_mu = np.sqrt(L), np.sqrt(mu)
    return 1.0 / L, (root_L - root_mu) / (root_L + root_mu)


def _momentum_inputs(learning_rate, momentum, eigenvalue):
    learning_rate = check_scalar("learning_rate", learning_rate, low=0, low_open=True)
    momentum = np.asarray(momentum, dtype=float)
    if not np.all(np.isfinite(momentum)) or np.any((momentum < 0) | (momentum >= 1)):
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    eigenvalue = np.asarray(eigenvalue, dtype=float)
    if not np.all(np.isfinite(eigenvalue)):
        raise ValueError(f"eigenvalue must be finite, got {eigenvalue!r}")
    return learning_rate * eigenvalue, momentum


def momentum_matrix(learning_rate, momentum, eigenvalue, nesterov=False):
    """The 2 × 2 matrix T with (e_{k+1}, e_k) = T (e_k, e_{k−1}) along an eigen-direction of curvature λ.

    With t = αλ: heavy ball T = [[1 + β − t, −β], [1, 0]]; Nesterov T = [[(1 + β)(1 − t), −β(1 − t)],
    [1, 0]]. ``momentum`` (β in [0, 1)) and ``eigenvalue`` broadcast; returns shape (..., 2, 2).
    Chapter 06 (Goh 2017, "Why momentum really works").
    """
    t, beta = _momentum_inputs(learning_rate, momentum, eigenvalue)
    t, beta = np.broadcast_arrays(t, beta)
    shrink = (1.0 - t) if nesterov else np.ones_like(t)
    first = (1.0 + beta) * (1.0 - t) if nesterov else 1.0 + beta - t
    T = np.empty(t.shape + (2, 2))
    T[..., 0, 0], T[..., 0, 1] = first, -beta * shrink
    T[..., 1, 0], T[..., 1, 1] = 1.0, 0.0
    return T


def momentum_spectral_radius(learning_rate, momentum, eigenvalue, nesterov=False):
    """ρ(T): the largest |root| of z² − T₀₀ z − T₀₁ = 0, the asymptotic rate per step of that direction.

    The roots are complex (|z| = √(−T₀₁)) when T₀₀² + 4T₀₁ < 0, real otherwise. Vectorized like
    :func:`momentum_matrix`; a float for scalar inputs. For the tuned heavy ball
    (:func:`heavy_ball_constants`) ρ = √β for every λ in [μ, L]. Chapter 06.
    """
    T = momentum_matrix(learning_rate, momentum, eigenvalue, nesterov)
    trace, det = T[..., 0, 0], -T[..., 0, 1]
    disc = trace * trace - 4.0 * det
    root = np.sqrt(np.abs(disc))
    real_radius = np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2.0
    radius = np.where(disc >= 0, real_radius, np.sqrt(np.abs(det)))
    return float(radius) if radius.ndim == 0 else radius


def damping_boundaries(momentum):
    """(t₁, t₂, t₃) = ((1 − √β)², (1 + √β)², 2(1 + β)): heavy ball's regimes in t = αλ.

    0 < t < t₁: two positive real roots, monotone (over-damped) decay; t = t₁: critical damping;
    t₁ < t < t₂: complex roots of modulus √β, oscillating (under-damped) decay; t₂ < t < t₃: a negative
    real root, decay with alternating sign; t > t₃: divergence. Chapter 06 (the regime map).
    """
    beta = np.asarray(momentum, dtype=float)
    if not np.all(np.isfinite(beta)) or np.any((beta < 0) | (beta >= 1)):
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    root = np.sqrt(beta)
    out = ((1.0 - root) ** 2, (1.0 + root) ** 2, 2.0 * (1.0 + beta))
    return tuple(float(x) for x in out) if beta.ndim == 0 else out


def nesterov_bound(L, mu, gap0, dist0_sq, k):
    """(1 − 1/√κ)^k (Δ₀ + (μ/2) d₀²): Nesterov's method (:func:`nesterov_constants`) on any L-smooth,
    μ-strongly convex h, with Δ₀ = h(θ₀) − h* and d₀² = ‖θ₀ − θ*‖² (Nesterov 2004, Theorem 2.2.3 and
    Lemma 2.2.4 with γ₀ = μ). Since Δ₀ <= (L/2)d₀², it implies the lectures' L(1 − 1/√κ)^k d₀².
    Chapter 06.
    """
    L, mu = _L_mu(L, mu)
    gap0 = check_scalar("gap0", gap0, low=0)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    return _result((1.0 - np.sqrt(mu / L)) ** steps * (gap0 + 0.5 * mu * dist0_sq), k)


def first_order_lower_bound(L, mu, dist0_sq, k):
    """(μ/2) q^{2k} d₀² with q = (√κ − 1)/(√κ + 1): Nesterov (2004), Theorem 2.1.13.

    For every method whose iterates satisfy θ_k ∈ θ₀ + span{∇h(θ₀), ..., ∇h(θ_{k−1})}, there is an
    L-smooth μ-strongly convex h (in ℓ²; :func:`course_lib.objectives.nesterov_worst_case` with n
    much larger than k) with ‖θ_k − θ*‖² >= q^{2k} d₀², hence h(θ_k) − h* >= (μ/2) q^{2k} d₀².
    It takes k >= (√κ − 1)/4 · log(μ d₀²/(2ε)) steps to reach ε: Ω(√κ log 1/ε). Chapter 06.
    """
    L, mu = _L_mu(L, mu)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    q = (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))
    return _result(0.5 * mu * q ** (2 * steps) * dist0_sq, k)


def nesterov_convex_bound(L, dist0_sq, k):
    """2L d₀²/(k + 1)²: Nesterov's method with β_k = (k − 1)/(k + 2) and α = 1/L on a convex L-smooth h.

    For k >= 1 (Su, Boyd and Candès 2016, with step s = 1/L; the same bound as Beck and Teboulle's
    FISTA). The optimizer is :class:`course_lib.optimizers.Momentum` with
    ``momentum=optimizers.nesterov_convex_momentum`` and ``nesterov=True``. Chapter 06.
    """
    L = check_scalar("L", L, low=0, low_open=True)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    return _result(2.0 * L * dist0_sq / (steps + 1.0) ** 2, k)


def convex_lower_bound(L, dist0_sq, k):
    """3L d₀²/(32(k + 1)²): Nesterov (2004), Theorem 2.1.7, for 1 <= k <= (n − 1)/2.

    Every first-order method (span assumption) started at θ₀ has h(θ_k) − h* >= this bound on the
    convex quadratic ``nesterov_worst_case(2k + 1, L)`` (placed in any dimension n >= 2k + 1).
    So O(1/k²) is the best possible rate on convex L-smooth functions. Chapter 06.
    """
    L = check_scalar("L", L, low=0, low_open=True)
    dist0_sq = check_scalar("dist0_sq", dist0_sq, low=0)
    steps = _steps(k)
    return _result(3.0 * L * dist0_sq / (32.0 * (steps + 1.0) ** 2), k)


def momentum_noise_floor(learning_rate, momentum, eigenvalues, noise_variances):
    """Σᵢ α cᵢ (1 + β) / (2(1 − β)(2(1 + β) − αλᵢ)): the stationary E[h(θ_k) − h*] of heavy ball.

    Model: a quadratic with Hessian eigenvalues λᵢ and gradients ∇h(θ) + ξ_k, where ξ_k is independent
    noise with mean 0 and variance cᵢ along eigenvector i (``noise_variances``; additive: the same at
    every θ). Each direction is then the AR(2) process e_{k+1} = (1 + β − αλᵢ)e_k − βe_{k−1} − αξ_k,
    whose stationary variance is α cᵢ(1 + β)/((1 − β)λᵢ(2(1 + β) − αλᵢ)); h − h* = Σ λᵢ eᵢ²/2.
    β = 0 is SGD. For small αλᵢ it is ≈ (α/(1 − β)) Σ cᵢ/4: the floor of SGD at the effective rate
    α/(1 − β). Needs a stable pair (0 < αλᵢ < 2(1 + β)). Chapter 06 (a preview of chapter 08).
    """
    learning_rate = check_scalar("learning_rate", learning_rate, low=0, low_open=True)
    beta = check_scalar("momentum", momentum, low=0, high=1, high_open=True)
    lam = np.asarray(eigenvalues, dtype=float)
    c = np.asarray(noise_variances, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(f"eigenvalues must be a non-empty 1-D array of positive numbers, got {eigenvalues!r}")
    if c.shape != lam.shape or not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError(f"noise_variances must be >= 0, one per eigenvalue, got {noise_variances!r}")
    t = learning_rate * lam
    if np.any(t >= 2.0 * (1.0 + beta)):
        raise ValueError("learning_rate too large: heavy ball is unstable (αλ >= 2(1 + β)), no floor")
    return float(np.sum(learning_rate * c * (1.0 + beta) / (2.0 * (1.0 - beta) * (2.0 * (1.0 + beta) - t))))
