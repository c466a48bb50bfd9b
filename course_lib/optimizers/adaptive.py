"""Adaptive optimizers: a step per coordinate scaled by the gradients seen so far. Chapter 09."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.validation import check_positive, check_rate, check_scalar, check_unit, set_validated

from .core import AccumulatorState, AdamState, rate

__all__ = ["AdaGrad", "RMSProp", "Adam"]


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

    Args:
        learning_rate: α = 0.001; a float >= 0, or a schedule k -> α_k.
        beta1: β₁ = 0.9; in [0, 1).
        beta2: β₂ = 0.999; in [0, 1).
        eps: ε = 1e-8; > 0.
        keras_bias_correction: False; True for Keras's form θ ← θ − α_t m / (ε + √v) with
            α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ), the lecture form with a time-varying ε_t = ε / √(1 − β₂ᵗ).

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.Adam(learning_rate=α, beta_1=β₁, beta_2=β₂)`` (ε = 1e-7):
    ``Adam(α, β₁, β₂, eps=1e-7, keras_bias_correction=True)``; float64 agreement to round-off needs
    β's exact in float32 (:data:`course_lib.keras_compat.FLOAT32_NOTES`). Chapter 09.
    """

    learning_rate: Any = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    keras_bias_correction: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            beta1=check_unit("beta1", self.beta1),
            beta2=check_unit("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
            keras_bias_correction=bool(self.keras_bias_correction),
        )

    def init(self, theta):
        return AdamState(0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        t = state.count + 1
        b1, b2 = self.beta1, self.beta2
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * (g * g)
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        alpha = rate(self.learning_rate, state.count)
        if self.keras_bias_correction:
            step = (alpha * np.sqrt(c2) / c1) * m / (self.eps + np.sqrt(v))
        else:
            step = alpha * (m / c1) / (self.eps + np.sqrt(v / c2))
        return theta - step, AdamState(t, m, v)
