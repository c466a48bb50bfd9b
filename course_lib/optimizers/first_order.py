"""First-order optimizers: gradient descent and momentum (heavy ball, Nesterov). Chapters 05, 06, 08."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.validation import check_rate, check_unit, set_validated

from .core import EmptyState, MomentumState, rate


def nesterov_convex_momentum(k):
    """β_k = (k − 1)/(k + 2) for k >= 1 (0 at k = 0): Nesterov's momentum schedule for convex h.

    Used as ``Momentum(1/L, momentum=nesterov_convex_momentum, nesterov=True)`` it is the method
    y_k = θ_k + (k − 1)/(k + 2)(θ_k − θ_{k−1}), θ_{k+1} = y_k − ∇h(y_k)/L (θ_{−1} = θ₀), whose
    guarantee on convex L-smooth h is h(θ_k) − h* <= 2L‖θ₀ − θ*‖²/(k + 1)²
    (:func:`course_lib.rates.nesterov_convex_bound`; Su, Boyd and Candès 2016). Chapter 06.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    return max(0.0, (k - 1.0) / (k + 2.0))


__all__ = ["GradientDescent", "Momentum", "nesterov_convex_momentum"]


@dataclass(frozen=True)
class GradientDescent:
    """Gradient descent: θ ← θ − α_k ∇h(θ).

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.

    Needs from the objective: ``grad(θ)``.

    Keras: ``keras.optimizers.SGD(learning_rate=α)`` (momentum=0) gives identical iterates.
    Chapter 05: on a quadratic it converges iff 0 < α < 2/L; α = 1/L decreases h monotonically on
    any L-smooth function. Run with ``batch_size`` (mini-batch gradients) this is SGD (chapter 08).
    """

    learning_rate: Any = 0.01

    def __post_init__(self):
        set_validated(self, learning_rate=check_rate(self.learning_rate))

    def init(self, theta):
        return EmptyState(0)

    def update(self, theta, state, objective):
        alpha = rate(self.learning_rate, state.count)
        return theta - alpha * objective.grad(theta), EmptyState(state.count + 1)


@dataclass(frozen=True)
class Momentum:
    """Heavy ball: v ← μv − ∇h(θ); θ ← θ + α_k v, with v₀ = 0 (Polyak, 1964).

    Nesterov (``nesterov=True``): v ← μv − ∇h(θ + α_k μv); θ ← θ + α_k v (the gradient at the
    look-ahead point θ + α_k μv, a step *along* the velocity).

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.
        momentum: μ = 0.9 (chapter 06 calls it β); in [0, 1) (0.9 is the usual start; 0.99 needs a
            smaller α), or a schedule k -> μ_k in [0, 1) such as :func:`nesterov_convex_momentum`
            (then step k uses μ_k in both places).
        nesterov: False; True for Nesterov's look-ahead gradient.
        keras_form: False; True for Keras's form, m ← μm − α_k ∇h(θ); θ ← θ + m (Nesterov:
            θ ← θ + μm − α_k ∇h(θ) with the new m), where the velocity carries the rate and
            Nesterov's stored iterate is the look-ahead point.

    Needs from the objective: ``grad(θ)`` (Nesterov: also at the look-ahead point).

    Keras: ``keras.optimizers.SGD(learning_rate=α, momentum=μ, nesterov=...)``. For a constant α the
    plain forms give identical iterates (m = αv), and Keras's Nesterov iterates are the lecture's
    look-ahead points θ_k + αμv_k; with a schedule only ``keras_form=True`` matches
    (:mod:`course_lib.keras_compat`).
    Chapter 06: on a quadratic with eigenvalues in [λ_min, λ_max] and κ = λ_max/λ_min, the best
    constants are momentum = ((√κ − 1)/(√κ + 1))² and α = 4/(√λ_max + √λ_min)²; also chapters 08, 09.
    """

    learning_rate: Any = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    keras_form: bool = False

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            momentum=self.momentum if callable(self.momentum) else check_unit("momentum", self.momentum),
            nesterov=bool(self.nesterov),
            keras_form=bool(self.keras_form),
        )

    def init(self, theta):
        return MomentumState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        alpha, v = rate(self.learning_rate, state.count), state.velocity
        mu = check_unit("momentum", self.momentum(state.count)) if callable(self.momentum) else self.momentum
        if self.keras_form:
            g = objective.grad(theta)
            v = mu * v - alpha * g
            step = mu * v - alpha * g if self.nesterov else v
            return theta + step, MomentumState(v, state.count + 1)
        g = objective.grad(theta + alpha * mu * v) if self.nesterov else objective.grad(theta)
        v = mu * v - g
        return theta + alpha * v, MomentumState(v, state.count + 1)
