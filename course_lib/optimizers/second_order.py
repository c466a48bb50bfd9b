"""Second-order optimizers: steps through the Hessian (or a model of it). Chapter 07."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.validation import check_rate, check_scalar, set_validated

from .core import EmptyState, rate

__all__ = ["Newton"]


@dataclass(frozen=True)
class Newton:
    """Damped Newton: θ ← θ − α_k (H + λI)⁻¹ ∇h(θ), with H = ∇²h(θ).

    With α = 1, λ = 0 it reaches the minimizer of a quadratic in one step. Undamped Newton jumps to the
    nearest critical point of the local quadratic model, which may be a saddle or a maximum; λ > 0
    (Levenberg-style damping, a trust-region relative) shortens the step and turns it toward −∇h.
    A singular H + λI gives a non-finite iterate, which :func:`run` reports as divergence.

    Args:
        learning_rate: α = 1.0; a float >= 0, or a schedule k -> α_k.
        damping: λ = 0.0; >= 0.

    Needs from the objective: ``grad(θ)`` and ``hessian(θ)`` (an (n, n) array).

    Keras: no counterpart. Chapter 07.
    """

    learning_rate: Any = 1.0
    damping: float = 0.0

    def __post_init__(self):
        set_validated(
            self, learning_rate=check_rate(self.learning_rate), damping=check_scalar("damping", self.damping, low=0)
        )

    def init(self, theta):
        return EmptyState(0)

    def update(self, theta, state, objective):
        H = objective.hessian(theta)
        if self.damping:
            H = H + self.damping * np.eye(H.shape[-1])
        try:
            direction = np.linalg.solve(H, objective.grad(theta))
        except np.linalg.LinAlgError:
            direction = np.full_like(theta, np.nan)
        return theta - rate(self.learning_rate, state.count) * direction, EmptyState(state.count + 1)
