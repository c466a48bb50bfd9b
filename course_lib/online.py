"""Online convex optimization and Reddi, Kale and Kumar's counterexample to Adam's convergence. Chapter 09.

In online learning a loss f_t arrives at each round t = 1, 2, ...; the learner plays x_t before seeing
it and is judged by its regret R_T = Σ_{t≤T} f_t(x_t) − min_{x∈F} Σ_{t≤T} f_t(x). A method *converges*
in this sense if the average regret R_T/T → 0.

Reddi, Kale and Kumar (2018, section 3) take F = [−1, 1] and linear losses that repeat with period P:
f_t(x) = C x if t ≡ 1 (mod P), else −c x. With C > (P − 1)c the sum over a period, (C − (P − 1)c) x,
is minimized at x* = −1; but the one large gradient C is rare, and Adam's exponential average v
forgets it within ~1/(1 − β₂) rounds: the many small gradients −c, each divided by a small √v̂,
then push x toward +1 further than the rare large one, divided by a large √v̂, pushes it back.
AMSGrad's running maximum of v remembers C and converges to −1. The learner here is any
:mod:`course_lib.optimizers` optimizer (its ``update`` sees the round's gradient), followed by the
projection onto F (for one coordinate the Euclidean and the √v̂-weighted projections coincide).

Layer: algorithms (uses :mod:`course_lib.optimizers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from course_lib.validation import check_positive, check_scalar

__all__ = ["PeriodicLinear", "InverseSqrt", "OnlineRun", "run_online"]


@dataclass(frozen=True)
class PeriodicLinear:
    """f_t(x) = C x if t ≡ 1 (mod P), else −c x, on F = [−1, 1] (Reddi et al., 2018).

    Args:
        big: C = 1010.0 (> 0); small: c = 10.0 (> 0); period: P = 101 (>= 2) -- the setting of
            Reddi et al.'s figure 1 (section 3's proof uses C > 2, c = 1, P = 3).

    ``minimizer`` is −1 if C > (P − 1)c (the sum over a period increases with x), else +1;
    ``gradient(t)`` is f_t'(x) (the same for every x).
    """

    big: float = 1010.0
    small: float = 10.0
    period: int = 101

    def __post_init__(self):
        object.__setattr__(self, "big", check_positive("big", self.big))
        object.__setattr__(self, "small", check_positive("small", self.small))
        object.__setattr__(self, "period", check_scalar("period", self.period, low=2, integer=True))

    @property
    def period_slope(self):
        """C − (P − 1)c, the slope of the sum of the losses over one period."""
        return self.big - (self.period - 1) * self.small

    @property
    def minimizer(self):
        return -1.0 if self.period_slope > 0 else 1.0

    def gradient(self, t):
        """f_t' for rounds t (1-based; an int or an int array)."""
        return np.where(np.asarray(t) % self.period == 1, self.big, -self.small)


@dataclass(frozen=True)
class InverseSqrt:
    """The schedule α_k = α/√(k + 1) (round t = k + 1: α/√t), the rate of the online analysis."""

    alpha: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))

    def __call__(self, k):
        return self.alpha / np.sqrt(np.asarray(k, dtype=np.float64) + 1.0)


class OnlineRun(NamedTuple):
    """x: the plays x_1 ... x_{T+1} (x[0] the start); average_regret: R_t/t for t = 1 ... T."""

    x: np.ndarray
    average_regret: np.ndarray


class _Round:
    """The loss of one round as an objective: grad returns the round's (constant) gradient."""

    def __init__(self, g):
        self._g = np.array([g], dtype=np.float64)

    def grad(self, theta):
        return self._g


def run_online(optimizer, problem, rounds, x0=0.0):
    """Play ``rounds`` rounds of ``problem`` with ``optimizer``: x_{t+1} = Π_F(update(x_t, f_t)).

    Args:
        optimizer: a :mod:`course_lib.optimizers` optimizer (e.g. ``Adam(InverseSqrt(0.1), 0.9, 0.99)``).
        problem: a :class:`PeriodicLinear`.
        rounds: T >= 1.
        x0: the first play, in [−1, 1].

    Returns an :class:`OnlineRun`; the regret counts f_t(x_t) for the play made before f_t is seen.
    """
    rounds = check_scalar("rounds", rounds, low=1, integer=True)
    x0 = check_scalar("x0", x0, low=-1, high=1)
    theta = np.array([x0])
    state = optimizer.init(theta)
    xs = np.empty(rounds + 1)
    xs[0] = x0
    grads = problem.gradient(np.arange(1, rounds + 1))
    for t in range(rounds):
        theta, state = optimizer.update(theta, state, _Round(grads[t]))
        theta = np.clip(theta, -1.0, 1.0)
        xs[t + 1] = theta[0]
    losses = grads * (xs[:-1] - problem.minimizer)  # f_t(x_t) − f_t(x*), linear losses
    return OnlineRun(xs, np.cumsum(losses) / np.arange(1, rounds + 1))
