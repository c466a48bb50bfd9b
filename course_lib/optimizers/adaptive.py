"""Adaptive optimizers: a step per coordinate scaled by the gradients seen so far. Chapter 09.

AdaGrad, RMSProp, Adam (with AMSGrad), AdamW, Adadelta, Adamax, Nadam (the lectures' list), and three
of today's optimizers that Keras 3.15 ships: Lion (the sign of an interpolated momentum), Muon
(momentum orthogonalized by a Newton-Schulz iteration, for one matrix parameter) and schedule-free
AdamW. Each docstring gives the update rule in the book's symbols (α the learning rate, g = ∇h(θ),
t = k + 1 the step number) and the exact conversion to ``keras.optimizers``; the conversions are
executed by :mod:`course_lib.keras_compat`'s table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from course_lib.validation import check_positive, check_rate, check_scalar, check_unit, set_validated

from .core import AccumulatorState, AdamState, MomentumState, rate

__all__ = [
    "AdaGrad",
    "RMSProp",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Lion",
    "Muon",
    "ScheduleFreeAdamW",
    "AMSGradState",
    "AdadeltaState",
    "NadamState",
    "ScheduleFreeState",
    "newton_schulz",
    "polar_factor",
    "NS_COEFFICIENTS",
]


class AMSGradState(NamedTuple):
    """count; m, v: Adam's running means of g and g⊙g; v_max: the running maximum of v."""

    count: int
    m: np.ndarray
    v: np.ndarray
    v_max: np.ndarray


class AdadeltaState(NamedTuple):
    """count; r: running mean of g⊙g; d: running mean of the squared steps Δθ⊙Δθ."""

    count: int
    r: np.ndarray
    d: np.ndarray


class NadamState(NamedTuple):
    """count; m, v as in Adam; mu_product: the product μ_1 ⋯ μ_t of the momentum schedule so far."""

    count: int
    m: np.ndarray
    v: np.ndarray
    mu_product: float


class ScheduleFreeState(NamedTuple):
    """count; z: the base sequence the gradient steps move; v: running mean of g⊙g.

    The iterate θ is y = (1 − β₁)z + β₁x; the average x is recovered as x = (y − (1 − β₁)z)/β₁.
    """

    count: int
    z: np.ndarray
    v: np.ndarray


def _adam_direction(g, state_m, state_v, t, beta1, beta2):
    """m, v after one step and the bias-correction factors c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ."""
    m = beta1 * state_m + (1.0 - beta1) * g
    v = beta2 * state_v + (1.0 - beta2) * (g * g)
    return m, v, 1.0 - beta1**t, 1.0 - beta2**t


def _adam_step(alpha, m, v, c1, c2, eps, keras_bias_correction):
    """α m̂/(ε + √v̂) (lecture form), or α√c₂/c₁ · m/(ε + √v) (Keras's form)."""
    if keras_bias_correction:
        return (alpha * np.sqrt(c2) / c1) * m / (eps + np.sqrt(v))
    return alpha * (m / c1) / (eps + np.sqrt(v / c2))


@dataclass(frozen=True)
class AdaGrad:
    """AdaGrad: r ← r + g⊙g; θ ← θ − α_k g / (ε + √r), with g = ∇h(θ) (Duchi et al., 2011).

    Each coordinate's step shrinks with the total squared gradient it has seen.

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.
        eps: ε = 1e-8; > 0 (without it a coordinate whose gradients are all zero divides 0 by 0).
        initial_accumulator: r₀ = 0.0; >= 0.
        eps_inside_sqrt: False; True divides by √(r + ε) instead (Keras's form).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Adagrad(learning_rate=α)`` is θ ← θ − α g / √(r + ε) with r₀ = 0.1 and
    ε = 1e-7: ``AdaGrad(α, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True)``. Chapter 09.
    """

    learning_rate: Any = 0.01
    eps: float = 1e-8
    initial_accumulator: float = 0.0
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            eps=check_positive("eps", self.eps),
            initial_accumulator=check_scalar("initial_accumulator", self.initial_accumulator, low=0),
            eps_inside_sqrt=bool(self.eps_inside_sqrt),
        )

    def init(self, theta):
        return AccumulatorState(np.full_like(theta, self.initial_accumulator), 0)

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        r = state.accumulator + g * g
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        alpha = rate(self.learning_rate, state.count)
        return theta - alpha * g / denominator, AccumulatorState(r, state.count + 1)


@dataclass(frozen=True)
class RMSProp:
    """RMSProp: r ← ρr + (1 − ρ) g⊙g; θ ← θ − α_k g / (ε + √r), with g = ∇h(θ), r₀ = 0 (Hinton, 2012).

    A running mean instead of AdaGrad's sum, so old gradients are forgotten.

    Args:
        learning_rate: α = 0.001; a float >= 0, or a schedule k -> α_k.
        rho: ρ = 0.9; in [0, 1).
        eps: ε = 1e-8; > 0.
        eps_inside_sqrt: False; True divides by √(r + ε) instead (Keras's form).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.RMSprop(learning_rate=α, rho=ρ)`` (momentum=0, centered=False) is
    θ ← θ − α g / √(r + ε) with ε = 1e-7: ``RMSProp(α, ρ, eps=1e-7, eps_inside_sqrt=True)``. Chapter 09.
    """

    learning_rate: Any = 0.001
    rho: float = 0.9
    eps: float = 1e-8
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            rho=check_unit("rho", self.rho),
            eps=check_positive("eps", self.eps),
            eps_inside_sqrt=bool(self.eps_inside_sqrt),
        )

    def init(self, theta):
        return AccumulatorState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        r = self.rho * state.accumulator + (1.0 - self.rho) * (g * g)
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        alpha = rate(self.learning_rate, state.count)
        return theta - alpha * g / denominator, AccumulatorState(r, state.count + 1)


@dataclass(frozen=True)
class Adam:
    """Adam: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g⊙g; m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ);
    θ ← θ − α_k m̂ / (ε + √v̂), with g = ∇h(θ), m₀ = v₀ = 0 and t = k + 1 (Kingma and Ba, 2015).

    The averages start at zero and are therefore biased toward zero; dividing by 1 − βᵗ < 1 makes
    the corrected m̂, v̂ *larger* than m, v.

    AMSGrad (``amsgrad=True``, Reddi, Kale and Kumar, 2018, as the frameworks spell it): keep the
    running maximum v_max ← max(v_max, v) of the *raw* v and use v̂ = v_max/(1 − β₂ᵗ) in the step,
    so the per-coordinate rate α/√v̂ can never grow back; ``torch.optim.Adam(amsgrad=True)`` is this
    lecture form, ``keras.optimizers.Adam(amsgrad=True)`` the same with Keras's bias correction.

    Args:
        learning_rate: α = 0.001; a float >= 0, or a schedule k -> α_k.
        beta1: β₁ = 0.9; in [0, 1).
        beta2: β₂ = 0.999; in [0, 1).
        eps: ε = 1e-8; > 0.
        keras_bias_correction: False; True for Keras's form θ ← θ − α_t m / (ε + √v) with
            α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ), the lecture form with a time-varying ε_t = ε / √(1 − β₂ᵗ).
        amsgrad: False; True for AMSGrad (above).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Adam(learning_rate=α, beta_1=β₁, beta_2=β₂)`` (ε = 1e-7):
    ``Adam(α, β₁, β₂, eps=1e-7, keras_bias_correction=True)``; float64 agreement to round-off needs
    β's exact in float32 (:data:`course_lib.keras_compat.FLOAT32_NOTES`). PyTorch:
    ``torch.optim.Adam(lr=α, betas=(β₁, β₂), eps=ε)`` is the lecture form (ε = 1e-8). Chapter 09.
    """

    learning_rate: Any = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    keras_bias_correction: bool = False
    amsgrad: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
            keras_bias_correction=bool(self.keras_bias_correction),
            amsgrad=bool(self.amsgrad),
        )

    def init(self, theta):
        zeros = np.zeros_like(theta)
        return AMSGradState(0, zeros, zeros, zeros) if self.amsgrad else AdamState(0, zeros, zeros)

    def update(self, theta, state, objective):
        t = state.count + 1
        m, v, c1, c2 = _adam_direction(objective.grad(theta), state.m, state.v, t, self.beta1, self.beta2)
        alpha = rate(self.learning_rate, state.count)
        if not self.amsgrad:
            return theta - _adam_step(alpha, m, v, c1, c2, self.eps, self.keras_bias_correction), AdamState(t, m, v)
        v_max = np.maximum(state.v_max, v)
        step = _adam_step(alpha, m, v_max, c1, c2, self.eps, self.keras_bias_correction)
        return theta - step, AMSGradState(t, m, v, v_max)


@dataclass(frozen=True)
class AdamW:
    """AdamW: θ ← θ − α_k λ θ, then Adam's step from the gradient g = ∇h(θ) taken before the decay
    (Loshchilov and Hutter, 2019: weight decay *decoupled* from the adaptive scaling).

    Adam on h + (λ/2)‖θ‖² (an L2 penalty) would add λθ to g, and the decay would then be divided by
    √v̂ like the gradient: coordinates with large gradients would be decayed less. AdamW shrinks every
    weight by the same factor 1 − α_k λ per step.

    Args:
        learning_rate: α = 0.001; a float >= 0, or a schedule k -> α_k (the decay uses α_k too).
        beta1: β₁ = 0.9; beta2: β₂ = 0.999; in [0, 1).
        eps: ε = 1e-8; > 0.
        weight_decay: λ = 0.01 (PyTorch's default; Keras's is 0.004); >= 0.
        keras_bias_correction: False; True for Keras's Adam form (see :class:`Adam`).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.AdamW(learning_rate=α, weight_decay=λ, beta_1=β₁, beta_2=β₂)``
    (ε = 1e-7): ``AdamW(α, β₁, β₂, 1e-7, λ, keras_bias_correction=True)``. PyTorch:
    ``torch.optim.AdamW(lr=α, betas=(β₁, β₂), eps=ε, weight_decay=λ)`` is the lecture form. Chapter 09.
    """

    learning_rate: Any = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.01
    keras_bias_correction: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
            weight_decay=check_scalar("weight_decay", self.weight_decay, low=0),
            keras_bias_correction=bool(self.keras_bias_correction),
        )

    def init(self, theta):
        return AdamState(0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, theta, state, objective):
        t = state.count + 1
        m, v, c1, c2 = _adam_direction(objective.grad(theta), state.m, state.v, t, self.beta1, self.beta2)
        alpha = rate(self.learning_rate, state.count)
        decayed = theta - alpha * self.weight_decay * theta
        return decayed - _adam_step(alpha, m, v, c1, c2, self.eps, self.keras_bias_correction), AdamState(t, m, v)


@dataclass(frozen=True)
class Adadelta:
    """Adadelta: r ← ρr + (1 − ρ)g⊙g; Δ = −(√(d + ε)/√(r + ε)) g; d ← ρd + (1 − ρ)Δ⊙Δ; θ ← θ + α_k Δ,
    with r₀ = d₀ = 0 (Zeiler, 2012).

    The ratio of two running RMS values gives the step the units of θ; Zeiler's rule has no learning
    rate (α = 1).

    Args:
        learning_rate: α = 1.0 (Zeiler; PyTorch's default too; Keras's default is 0.001); >= 0 or a schedule.
        rho: ρ = 0.95; in [0, 1).
        eps: ε = 1e-6 (Zeiler); > 0, inside both square roots.

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Adadelta(learning_rate=α, rho=ρ, epsilon=ε)`` is this rule (ε = 1e-7 by
    default), ``Adadelta(α, ρ, 1e-7)``. PyTorch: ``torch.optim.Adadelta(lr=1.0, rho=0.9, eps=1e-6)``, the
    same rule. Chapter 09.
    """

    learning_rate: Any = 1.0
    rho: float = 0.95
    eps: float = 1e-6

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            rho=check_unit("rho", self.rho),
            eps=check_positive("eps", self.eps),
        )

    def init(self, theta):
        return AdadeltaState(0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, theta, state, objective):
        g, rho = objective.grad(theta), self.rho
        r = rho * state.r + (1.0 - rho) * (g * g)
        delta = -np.sqrt(state.d + self.eps) / np.sqrt(r + self.eps) * g
        d = rho * state.d + (1.0 - rho) * (delta * delta)
        alpha = rate(self.learning_rate, state.count)
        return theta + alpha * delta, AdadeltaState(state.count + 1, r, d)


@dataclass(frozen=True)
class Adamax:
    """Adamax: m ← β₁m + (1 − β₁)g; u ← max(β₂u, |g|); θ ← θ − (α_k/(1 − β₁ᵗ)) m/(u + ε), with
    m₀ = u₀ = 0 (Kingma and Ba, 2015, section 7.1: Adam with the ∞-norm in place of the 2-norm).

    u needs no bias correction (a maximum is not pulled toward its zero start). Kingma and Ba's rule
    has no ε; Keras adds it to u, PyTorch inside the maximum (u ← max(β₂u, |g| + ε)).

    Args:
        learning_rate: α = 0.002 (Kingma and Ba; PyTorch too; Keras's default is 0.001).
        beta1: β₁ = 0.9; beta2: β₂ = 0.999; in [0, 1).
        eps: ε = 1e-8; > 0.

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Adamax(learning_rate=α, beta_1=β₁, beta_2=β₂)`` is this rule with
    ε = 1e-7: ``Adamax(α, β₁, β₂, eps=1e-7)``. Chapter 09.
    """

    learning_rate: Any = 0.002
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
        )

    def init(self, theta):
        return AdamState(0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, theta, state, objective):
        g, t = objective.grad(theta), state.count + 1
        m = self.beta1 * state.m + (1.0 - self.beta1) * g
        u = np.maximum(self.beta2 * state.v, np.abs(g))
        alpha = rate(self.learning_rate, state.count)
        return theta - alpha / (1.0 - self.beta1**t) * m / (u + self.eps), AdamState(t, m, u)


@dataclass(frozen=True)
class Nadam:
    """Nadam: θ ← θ − α_k m̂/(ε + √v̂), m̂ = μ_{t+1} m/(1 − Π_{t+1}) + (1 − μ_t) g/(1 − Π_t) (Dozat, 2016).

    Adam with a Nesterov look-ahead in the first moment: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g⊙g;
    v̂ = v/(1 − β₂ᵗ), with the momentum schedule μ_t = β₁(1 − ½·0.96^(tψ)) and Π_t = μ_1 ⋯ μ_t.

    Args:
        learning_rate: α = 0.002 (Dozat; PyTorch too; Keras's default 0.001).
        beta1: β₁ = 0.9; beta2: β₂ = 0.999; in [0, 1).
        eps: ε = 1e-8; > 0.
        momentum_decay: ψ = 0.004 (Dozat's 0.96^(t/250), PyTorch's ``momentum_decay``); > 0.
            Keras uses 0.96^t, i.e. ψ = 1: its μ_t reaches β₁ within a few dozen steps.

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Nadam(learning_rate=α, beta_1=β₁, beta_2=β₂)`` (ε = 1e-7) is
    ``Nadam(α, β₁, β₂, eps=1e-7, momentum_decay=1.0)``. PyTorch: ``torch.optim.NAdam(lr=α,
    betas=(β₁, β₂), eps=ε, momentum_decay=ψ)`` is the default form here. Chapter 09.
    """

    learning_rate: Any = 0.002
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    momentum_decay: float = 0.004

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
            momentum_decay=check_positive("momentum_decay", self.momentum_decay),
        )

    def _mu(self, t):
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def init(self, theta):
        return NadamState(0, np.zeros_like(theta), np.zeros_like(theta), 1.0)

    def update(self, theta, state, objective):
        g, t = objective.grad(theta), state.count + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        product = state.mu_product * mu_t
        m, v, _, c2 = _adam_direction(g, state.m, state.v, t, self.beta1, self.beta2)
        m_hat = mu_next * m / (1.0 - product * mu_next) + (1.0 - mu_t) * g / (1.0 - product)
        alpha = rate(self.learning_rate, state.count)
        return theta - alpha * m_hat / (self.eps + np.sqrt(v / c2)), NadamState(t, m, v, product)


@dataclass(frozen=True)
class Lion:
    """Lion: c = β₁m + (1 − β₁)g; θ ← θ − α_k (sign(c) + λθ); m ← β₂m + (1 − β₂)g, with m₀ = 0
    (Chen et al., 2023, found by program search).

    Every coordinate moves by exactly ±α_k (plus the decay): the sign replaces Adam's division by
    √v̂. The interpolation c uses β₁, the stored momentum the slower β₂.

    Args:
        learning_rate: α = 1e-4 (Chen et al. take it 3-10 times smaller than AdamW's; Keras's default 1e-3).
        beta1: β₁ = 0.9; beta2: β₂ = 0.99; in [0, 1).
        weight_decay: λ = 0.0; >= 0 (decoupled, as in AdamW).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Lion(learning_rate=α, beta_1=β₁, beta_2=β₂, weight_decay=λ)`` is this
    rule (Keras applies θ ← θ − αλθ first, then the sign step: the same result). PyTorch has no Lion.
    Chapter 09.
    """

    learning_rate: Any = 1e-4
    beta1: float = 0.9
    beta2: float = 0.99
    weight_decay: float = 0.0

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            weight_decay=check_scalar("weight_decay", self.weight_decay, low=0),
        )

    def init(self, theta):
        return MomentumState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        g, m = objective.grad(theta), state.velocity
        c = self.beta1 * m + (1.0 - self.beta1) * g
        alpha = rate(self.learning_rate, state.count)
        theta = theta - alpha * self.weight_decay * theta - alpha * np.sign(c)
        return theta, MomentumState(self.beta2 * m + (1.0 - self.beta2) * g, state.count + 1)


#: Jordan et al.'s quintic Newton-Schulz coefficients (a, b, c), as in Keras's and PyTorch's Muon.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, steps=5, coefficients=NS_COEFFICIENTS, eps=1e-7):
    """Approximate polar factor of a matrix G by the quintic Newton-Schulz iteration (Muon's).

    X₀ = G/(‖G‖_F + ε) (transposed first if G has more rows than columns, so XXᵀ is the small
    Gram matrix); X ← aX + (b XXᵀ + c (XXᵀ)²) X, ``steps`` times. Each step maps every singular value
    σ of X to p(σ) = aσ + bσ³ + cσ⁵ and keeps the singular vectors, so X → U φ(Σ) Vᵀ with
    G = UΣVᵀ. The coefficients make p rise steeply from 0 (p'(0) = a = 3.4445) and do *not* converge to 1:
    after 5 steps the singular values lie roughly in [0.7, 1.2] (Jordan et al., 2024). The exact
    polar factor UVᵀ is :func:`polar_factor`. Keras's ``Muon.zeropower_via_newtonschulz5``. Chapter 09.

    Args: ``G`` a finite 2-D array; ``steps`` >= 0 an integer; ``coefficients`` (a, b, c); ``eps`` > 0.
    """
    G = np.asarray(G, dtype=np.float64)
    if G.ndim != 2 or not np.all(np.isfinite(G)):
        raise ValueError(f"G must be a finite 2-D array, got shape {G.shape}")
    steps = check_scalar("steps", steps, low=0, integer=True)
    eps = check_positive("eps", eps)
    a, b, c = (float(x) for x in coefficients)
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    X = X / (np.linalg.norm(X) + eps)
    for _ in range(steps):
        gram = X @ X.T
        X = a * X + (b * gram + c * gram @ gram) @ X
    return X.T if tall else X


def polar_factor(G):
    """The polar factor UVᵀ of G = UΣVᵀ (thin SVD): the orthogonal matrix nearest to G. Chapter 09."""
    G = np.asarray(G, dtype=np.float64)
    if G.ndim != 2 or not np.all(np.isfinite(G)):
        raise ValueError(f"G must be a finite 2-D array, got shape {G.shape}")
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    return U @ Vt


@dataclass(frozen=True)
class Muon:
    """Muon: B ← μB + G; O = NS(G + μB); W ← W − α_k λ W − α_k s O (Jordan et al., 2024; Liu et al., 2025).

    For one matrix parameter W (θ = W flattened row-major, W of ``shape`` (p, q)), G the gradient as
    a matrix, NS :func:`newton_schulz`, s = ρ√max(p, q); without Nesterov O = NS(B).

    O ≈ UVᵀ for B̃ = UΣVᵀ: every singular direction of the momentum moves by the same amount, the
    matrix analogue of Adam's per-coordinate normalization. The scale s with ρ = 0.2 (Liu et al.'s
    "match the RMS of AdamW's update") lets Muon reuse AdamW's rates and weight decay.

    Args:
        learning_rate: α = 0.02; >= 0 or a schedule.
        momentum: μ = 0.95; in [0, 1).
        nesterov: True.
        shape: (p, q), the matrix shape of θ; required (p·q = θ's size).
        ns_steps: 5; >= 0.
        coefficients: (a, b, c) = :data:`NS_COEFFICIENTS`.
        rms_rate: ρ = 0.2; > 0, or None for s = 1 (no rescaling).
        weight_decay: λ = 0.0; >= 0 (decoupled).
        eps: ε = 1e-7 in the normalization G/(‖G‖_F + ε).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Muon(learning_rate=α, momentum=μ, weight_decay=λ)`` updates each 2-D
    variable by this rule (its defaults ρ = 0.2, λ = 0.004, ``nesterov=True``, 5 steps) and every other
    variable by AdamW. PyTorch: ``torch.optim.Muon(lr, weight_decay=0.1, momentum=0.95)`` uses the same
    B and NS but, by default, s = √max(1, p/q) (``adjust_lr_fn="original"``); its
    ``"match_rms_adamw"`` is s = 0.2√max(p, q). Chapter 09.
    """

    learning_rate: Any = 0.02
    momentum: float = 0.95
    nesterov: bool = True
    shape: tuple = None
    ns_steps: int = 5
    coefficients: tuple = NS_COEFFICIENTS
    rms_rate: Any = 0.2
    weight_decay: float = 0.0
    eps: float = 1e-7

    def __post_init__(self):
        if self.shape is None or len(self.shape) != 2:
            raise ValueError(f"shape must be the matrix shape (p, q) of the parameter, got {self.shape!r}")
        shape = tuple(check_scalar("shape", n, low=1, integer=True) for n in self.shape)
        coefficients = tuple(check_scalar("coefficients", c) for c in self.coefficients)
        if len(coefficients) != 3:
            raise ValueError(f"coefficients must be three numbers (a, b, c), got {self.coefficients!r}")
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            momentum=check_unit("momentum", self.momentum),
            nesterov=bool(self.nesterov),
            shape=shape,
            ns_steps=check_scalar("ns_steps", self.ns_steps, low=0, integer=True),
            coefficients=coefficients,
            rms_rate=None if self.rms_rate is None else check_positive("rms_rate", self.rms_rate),
            weight_decay=check_scalar("weight_decay", self.weight_decay, low=0),
            eps=check_positive("eps", self.eps),
        )

    def init(self, theta):
        if np.size(theta) != self.shape[0] * self.shape[1]:
            raise ValueError(f"theta must have {self.shape[0]} × {self.shape[1]} entries, got {np.size(theta)}")
        return MomentumState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        B = self.momentum * state.velocity + g
        direction = g + self.momentum * B if self.nesterov else B
        O = newton_schulz(direction.reshape(self.shape), self.ns_steps, self.coefficients, self.eps)
        scale = 1.0 if self.rms_rate is None else self.rms_rate * np.sqrt(max(self.shape))
        alpha = rate(self.learning_rate, state.count)
        theta = theta - alpha * self.weight_decay * theta - alpha * scale * O.reshape(theta.shape)
        return theta, MomentumState(B, state.count + 1)


@dataclass(frozen=True)
class ScheduleFreeAdamW:
    """Schedule-free AdamW: z ← z − γ_t g/(ε + √v̂); x ← (1 − 1/t)x + z/t; θ = y ← (1 − β₁)z + β₁x.

    (Defazio et al., 2024.) The gradient g = ∇h(y) is taken at y, a point between the base sequence
    z and its running average x:

    v ← β₂v + (1 − β₂)g⊙g with g = ∇h(y); z ← z − γ_t g/(ε + √(v/(1 − β₂ᵗ)));
    x ← (1 − 1/t)x + z/t; y ← (1 − β₁)z + β₁x, with z₀ = x₀ = y₀ = θ₀, v₀ = 0.

    Momentum is replaced by interpolation (β₁) and averaging (the uniform 1/t weights): no learning-rate
    schedule and no stopping time are needed. θ is y (the point the gradient is taken at, and the
    variable Keras stores); the paper evaluates the model at x, :meth:`average`.

    Args:
        learning_rate: γ = 0.0025; >= 0 or a schedule.
        beta1: β₁ = 0.9; beta2: β₂ = 0.999; in [0, 1); β₁ > 0 (x is recovered by dividing by β₁).
        eps: ε = 1e-8; > 0.
        warmup_steps: 0; γ_t = γ min(t/warmup, 1) (the averaging weight stays 1/t, as in Keras).
        weight_decay: λ = 0.0; >= 0: y ← y − γλy before the step (Keras's convention).
        keras_form: False; True reproduces Keras 3.15.1, which recovers x from y with the z of
            *after* the step (its ``momentum.value`` is the live TensorFlow variable, read after
            ``assign_sub``): x ← (y − (1 − β₁)z_new)/β₁ instead of z_old. Measured in chapter 09.

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.ScheduleFreeAdamW(learning_rate=γ, beta_1=β₁, beta_2=β₂, epsilon=ε)`` is
    ``ScheduleFreeAdamW(γ, β₁, β₂, ε, keras_form=True)`` (the same defaults). PyTorch has no
    schedule-free optimizer in ``torch.optim`` (the authors' ``schedulefree`` package has it, with
    weights γ_t²/Σγ_i² during warm-up). Chapter 09.
    """

    learning_rate: Any = 0.0025
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    warmup_steps: int = 0
    weight_decay: float = 0.0
    keras_form: bool = False

    def __post_init__(self):
        beta1 = check_unit("beta1", self.beta1)
        if beta1 == 0:
            raise ValueError("beta1 must be > 0 for schedule-free AdamW (x = (y − (1 − β₁)z)/β₁), got 0")
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=beta1,
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
            warmup_steps=check_scalar("warmup_steps", self.warmup_steps, low=0, integer=True),
            weight_decay=check_scalar("weight_decay", self.weight_decay, low=0),
            keras_form=bool(self.keras_form),
        )

    def init(self, theta):
        return ScheduleFreeState(0, np.array(theta, dtype=np.float64, copy=True), np.zeros_like(theta))

    def average(self, theta, state):
        """x = (y − (1 − β₁)z)/β₁, the averaged point the paper evaluates."""
        return (theta - (1.0 - self.beta1) * state.z) / self.beta1

    def update(self, theta, state, objective):
        g, t, b1 = objective.grad(theta), state.count + 1, self.beta1
        alpha = rate(self.learning_rate, state.count)
        y = theta - alpha * self.weight_decay * theta
        v = self.beta2 * state.v + (1.0 - self.beta2) * (g * g)
        warm = min(t / self.warmup_steps, 1.0) if self.warmup_steps else 1.0
        z = state.z - alpha * warm * g / (np.sqrt(v / (1.0 - self.beta2**t)) + self.eps)
        x = (y - (1.0 - b1) * (z if self.keras_form else state.z)) / b1
        x = (1.0 - 1.0 / t) * x + z / t
        return (1.0 - b1) * z + b1 * x, ScheduleFreeState(t, z, v)
