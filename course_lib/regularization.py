r"""Regularization in NumPy: norm penalties, the proximal step, dropout, early stopping, ensembles (chapter 04).

Penalties, in Keras's convention (``keras.regularizers.L1``, ``L2``, ``L1L2`` add exactly these, with no ½)::

    l2_penalty(W, λ)      Ω(W) = λ ‖W‖²  = λ Σ W²          ∇Ω = 2λ W
    l1_penalty(W, λ)      Ω(W) = λ ‖W‖₁  = λ Σ |W|          ∂Ω ∋ λ sign(W)  (0 is chosen at W = 0)

The proximal step of t‖·‖₁ is the soft threshold (it sets small coordinates *exactly* to zero)::

    soft_threshold(w, t) = argmin_u ½‖u − w‖² + t‖u‖₁ = sign(w) max(|w| − t, 0)

Ridge regression and its spectral filters (early stopping acts like L2): for h(θ) = 1/(2m)‖Xθ − y‖² + (λ/2)‖θ‖²
with the eigenvalues sᵢ of H = XᵀX/m, the ridge solution keeps the fraction sᵢ/(sᵢ + λ) of the least-squares
solution along eigen-direction i, and k steps of gradient descent from θ = 0 with rate α keep 1 − (1 − α sᵢ)^k::

    ridge(X, y, lam)                      θ = (XᵀX/m + λ I)⁻¹ Xᵀy/m
    ridge_filter(s, lam)                  sᵢ / (sᵢ + λ)
    gd_filter(s, learning_rate, k)        1 − (1 − α sᵢ)^k     (≈ ridge_filter(s, 1/(kα)) for α sᵢ ≪ 1)

Dropout (Srivastava et al. 2014), *inverted* as in Keras: each unit is kept with probability 1 − rate and a kept
unit is scaled by 1/(1 − rate), so E[dropout(h)] = h and nothing changes at evaluation::

    dropout(h, rate, rng) = h ⊙ μ / (1 − rate),   μᵢ ~ Bernoulli(1 − rate)

Ensembles: k members whose errors have variance v and pairwise covariance c; the average prediction's expected
squared error is (Goodfellow et al. 2016, § 7.11)::

    ensemble_error(v, c, k) = v / k + (k − 1) c / k

Early stopping with patience (the rule of ``keras.callbacks.EarlyStopping(restore_best_weights=True)``):
:func:`early_stopping_epoch`.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_rng, check_scalar

__all__ = [
    "l2_penalty",
    "l2_penalty_grad",
    "l1_penalty",
    "l1_penalty_grad",
    "soft_threshold",
    "ridge",
    "lasso",
    "ridge_filter",
    "gd_filter",
    "dropout_mask",
    "dropout",
    "ensemble_error",
    "ensemble_terms",
    "early_stopping_epoch",
    "all_masks",
    "normalized_geometric_mean",
]


def _array(name, x, min_ndim=0):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < min_ndim or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite array with at least {min_ndim} dimensions, got shape {x.shape}")
    return x


def _strength(lam):
    return check_scalar("lam", lam, low=0)


def l2_penalty(W, lam):
    """λ ‖W‖² = λ Σ W² (Keras's ``L2(lam)``: no ½), a float."""
    return _strength(lam) * float(np.sum(_array("W", W) ** 2))


def l2_penalty_grad(W, lam):
    """∇(λ ‖W‖²) = 2λ W."""
    return 2.0 * _strength(lam) * _array("W", W)


def l1_penalty(W, lam):
    """λ ‖W‖₁ = λ Σ |W| (Keras's ``L1(lam)``), a float."""
    return _strength(lam) * float(np.sum(np.abs(_array("W", W))))


def l1_penalty_grad(W, lam):
    """The subgradient λ sign(W) of λ ‖W‖₁ (with 0 at W = 0, the choice of TensorFlow's gradient of |x|)."""
    return _strength(lam) * np.sign(_array("W", W))


def soft_threshold(w, t):
    """prox_{t‖·‖₁}(w) = sign(w) max(|w| − t, 0): coordinates with |wᵢ| <= t become exactly 0."""
    t = check_scalar("t", t, low=0)
    w = _array("w", w)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def ridge(X, y, lam):
    """The minimizer (XᵀX/m + λ I)⁻¹ Xᵀy/m of 1/(2m)‖Xθ − y‖² + (λ/2)‖θ‖² (λ > 0, or λ = 0 with XᵀX invertible)."""
    X, y = _array("X", X, 2), _array("y", y, 1)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    m, n = X.shape
    return np.linalg.solve(X.T @ X / m + _strength(lam) * np.eye(n), X.T @ y / m)


def lasso(X, y, lam, steps=2000):
    """The minimizer of 1/(2m)‖Xθ − y‖² + λ‖θ‖₁ by proximal gradient descent (ISTA) from θ = 0.

    Each step is a gradient step on the smooth part with rate 1/L (L the largest eigenvalue of XᵀX/m),
    then :func:`soft_threshold` with t = λ/L, the proximal step of the L1 penalty: coordinates end exactly
    at 0 (Tibshirani 1996; Goodfellow et al. 2016, § 7.1.2).
    """
    X, y = _array("X", X, 2), _array("y", y, 1)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    lam = _strength(lam)
    steps = check_scalar("steps", steps, low=1, integer=True)
    m = X.shape[0]
    L = float(np.linalg.eigvalsh(X.T @ X / m)[-1])
    theta = np.zeros(X.shape[1])
    for _ in range(steps):
        theta = soft_threshold(theta - X.T @ (X @ theta - y) / (m * L), lam / L)
    return theta


def ridge_filter(s, lam):
    """sᵢ / (sᵢ + λ): the fraction of the least-squares solution ridge keeps along eigenvalue sᵢ of H."""
    s = _array("s", s)
    lam = _strength(lam)
    if np.any(s < 0) or (lam == 0 and np.any(s == 0)):
        raise ValueError("s must be eigenvalues >= 0 (and > 0 where lam = 0)")
    return s / (s + lam)


def gd_filter(s, learning_rate, k):
    """1 − (1 − α sᵢ)^k: the fraction gradient descent from 0 has reached along eigenvalue sᵢ after k steps."""
    s = _array("s", s)
    if np.any(s < 0):
        raise ValueError("s must be eigenvalues >= 0")
    alpha = check_scalar("learning_rate", learning_rate, low=0, low_open=True)
    k = check_scalar("k", k, low=0, integer=True)
    return 1.0 - (1.0 - alpha * s) ** k


def dropout_mask(shape, rate, rng):
    """A 0/1 mask μ of ``shape`` with P(μᵢ = 1) = 1 − rate, drawn from ``rng``."""
    rate = check_scalar("rate", rate, low=0, high=1, high_open=True)
    rng = check_rng(rng)
    return (rng.random(shape) >= rate).astype(np.float64)


def dropout(h, rate, rng):
    """Inverted dropout h ⊙ μ / (1 − rate), μ from :func:`dropout_mask` (``rate`` in [0, 1); E[output] = h)."""
    h = _array("h", h)
    rate = check_scalar("rate", rate, low=0, high=1, high_open=True)
    return h * dropout_mask(h.shape, rate, rng) / (1.0 - rate)


def ensemble_error(v, c, k):
    """E[(mean of k errors)²] = v/k + (k − 1)c/k for errors of variance v and pairwise covariance c."""
    v = check_scalar("v", v, low=0)
    c = check_scalar("c", c)
    k = check_scalar("k", k, low=1, integer=True)
    if abs(c) > v:
        raise ValueError(f"c must satisfy |c| <= v (a covariance), got c={c!r}, v={v!r}")
    return v / k + (k - 1) * c / k


def ensemble_terms(errors):
    """(v, c, error of the average) measured from k members' errors ``errors`` of shape (k, ...).

    v = mean of eᵢ² over members and entries, c = mean of eᵢ eⱼ over the pairs i ≠ j and entries, and the
    mean squared error of the average prediction (1/k Σ eᵢ)². With these empirical v and c the identity
    error = v/k + (k − 1)c/k holds exactly (:func:`ensemble_error`), for any errors.
    """
    e = _array("errors", errors, 1)
    k = e.shape[0]
    if k < 2:
        raise ValueError(f"errors must hold at least 2 members on axis 0, got shape {e.shape}")
    e = e.reshape(k, -1)
    gram = e @ e.T / e.shape[1]
    v = float(np.trace(gram) / k)
    c = float((gram.sum() - np.trace(gram)) / (k * (k - 1)))
    return v, c, float(np.mean(e.mean(axis=0) ** 2))


def all_masks(n):
    """All 2ⁿ binary masks of n units, shape (2ⁿ, n), row i the binary digits of i (n <= 20)."""
    n = check_scalar("n", n, low=1, high=20, integer=True)
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def normalized_geometric_mean(probs, weights=None):
    """The normalized (weighted) geometric mean of distributions ``probs`` (M, ..., K) over axis 0.

    p̃(y) ∝ Π_μ p_μ(y)^{w_μ} (weights w summing to 1; equal weights 1/M by default), renormalized over the
    last axis (Srivastava et al. 2014; Goodfellow et al. 2016, § 7.12). Computed in logs.
    """
    p = _array("probs", probs, 2)
    if np.any(p <= 0):
        raise ValueError("probs must be strictly positive distributions")
    w = np.full(p.shape[0], 1.0 / p.shape[0]) if weights is None else _array("weights", weights, 1)
    if w.shape != (p.shape[0],) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights must be {p.shape[0]} non-negative numbers summing to 1")
    log = np.tensordot(w, np.log(p), axes=1)
    log -= log.max(axis=-1, keepdims=True)
    q = np.exp(log)
    return q / q.sum(axis=-1, keepdims=True)


def early_stopping_epoch(val_losses, patience):
    """The epoch (0-based) whose weights early stopping with ``patience`` keeps, and the epoch it stops at.

    Training stops after ``patience`` epochs in a row without a new minimum of the validation loss; the
    best epoch so far is restored (``EarlyStopping(patience=..., restore_best_weights=True)``). Returns
    ``(best, stopped)``; ``stopped`` is the last epoch run (the last index if it never stops).
    """
    losses = _array("val_losses", val_losses, 1)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"val_losses must be a non-empty 1-D sequence, got shape {losses.shape}")
    patience = check_scalar("patience", patience, low=1, integer=True)
    best, wait = 0, 0
    for epoch in range(1, losses.size):
        if losses[epoch] < losses[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best, epoch
    return best, losses.size - 1
