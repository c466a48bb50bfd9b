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
    "ridge_filter",
    "gd_filter",
    "dropout_mask",
    "dropout",
    "ensemble_error",
    "early_stopping_epoch",
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
