"""Learning-rate schedules k -> α_k and averages of iterates (chapter 08; used in 06 and 09).

Every schedule is a small frozen dataclass (its parameters are validated once, then read-only) and a
callable: ``schedule(k)`` for a step index k >= 0 returns a float, and
for an array of k an array (handy for plotting). Pass one as ``learning_rate`` to any optimizer in
:mod:`course_lib.optimizers`: step k (k = 0 for the first step, read from the optimizer's state) uses α_k.

Index convention against Keras: a Keras optimizer calls its schedule with ``optimizer.iterations``,
which is 0 at the first step, so ``schedule(k)`` here and the Keras schedule at step = k are used for the
same update. ``to_keras()`` returns the equivalent ``keras.optimizers.schedules`` object (conversion of
the parameters in each docstring).

Schedules: :class:`Constant`, :class:`InverseTime` (α₀/(1 + k/k₀)), :class:`LinearDecay` (the
lectures' linear decay to λ_τ, then constant λ_τ), :class:`StepDecay`, :class:`ExponentialDecay`,
:class:`CosineDecay`. Averages of iterates: :func:`polyak_average` (running mean) and
:func:`exponential_average`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from course_lib.validation import check_positive, check_scalar, set_validated

__all__ = [
    "Constant",
    "InverseTime",
    "LinearDecay",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "polyak_average",
    "exponential_average",
]


class _Schedule:
    """Shared ``__call__``: a scalar or array k, checked >= 0; subclasses define ``_rate``."""

    def __call__(self, k):
        k_array = np.asarray(k, dtype=float)
        if not np.all(k_array >= 0):  # also rejects nan
            raise ValueError(f"k must be >= 0, got {k!r}")
        rate = self._rate(k_array)
        return float(rate) if k_array.ndim == 0 else rate


@dataclass(frozen=True)
class Constant(_Schedule):
    """α_k = α for every k.

    Args:
        value: α; >= 0.

    Keras: the float itself (``to_keras()`` returns it; Keras takes a float ``learning_rate``).
    """

    value: float

    def __post_init__(self):
        set_validated(self, value=check_scalar("value", self.value, low=0))

    def _rate(self, k):
        return np.full_like(k, self.value)

    def to_keras(self):
        return self.value


@dataclass(frozen=True)
class InverseTime(_Schedule):
    """α_k = α₀ / (1 + k/k₀): constant for k ≪ k₀, then decaying like α₀k₀/k.

    Args:
        initial: α₀; >= 0.
        k0: k₀; > 0 (steps).

    Keras: ``keras.optimizers.schedules.InverseTimeDecay(α₀, decay_steps=k₀, decay_rate=1)``.
    Chapter 08: the O(1/k) decay of the SGD theory for strongly convex objectives; Σα_k = ∞ and
    Σα_k² < ∞ (Robbins-Monro).
    """

    initial: float
    k0: float

    def __post_init__(self):
        set_validated(self, initial=check_scalar("initial", self.initial, low=0), k0=check_positive("k0", self.k0))

    def _rate(self, k):
        return self.initial / (1.0 + k / self.k0)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.InverseTimeDecay(self.initial, decay_steps=self.k0, decay_rate=1.0)


@dataclass(frozen=True)
class LinearDecay(_Schedule):
    """λ_k = (1 − k/τ) λ₀ + (k/τ) λ_τ for k <= τ, then λ_k = λ_τ (it stays at the final rate).

    The lectures' decay schedule (one slide writes "then λ = λ₀"; the rule keeps λ_τ).

    Args:
        initial: λ₀; >= 0.
        final: λ_τ; >= 0.
        tau: τ; > 0 (steps).

    Keras: ``keras.optimizers.schedules.PolynomialDecay(λ₀, decay_steps=τ, end_learning_rate=λ_τ,
    power=1)``. Chapter 08.
    """

    initial: float
    final: float
    tau: float

    def __post_init__(self):
        set_validated(
            self,
            initial=check_scalar("initial", self.initial, low=0),
            final=check_scalar("final", self.final, low=0),
            tau=check_positive("tau", self.tau),
        )

    def _rate(self, k):
        fraction = np.minimum(k / self.tau, 1.0)
        return (1.0 - fraction) * self.initial + fraction * self.final

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.PolynomialDecay(
            self.initial, decay_steps=self.tau, end_learning_rate=self.final, power=1.0
        )


@dataclass(frozen=True)
class StepDecay(_Schedule):
    """α_k = α₀ · γ^⌊k/s⌋: multiply the rate by γ every s steps ("divide by 10 every 30 epochs").

    Args:
        initial: α₀; >= 0.
        factor: γ; in (0, 1].
        step_size: s; an integer >= 1.

    Keras: ``keras.optimizers.schedules.ExponentialDecay(α₀, decay_steps=s, decay_rate=γ,
    staircase=True)``; equivalently ``PiecewiseConstantDecay(boundaries=[s − 1, 2s − 1, ...],
    values=[α₀, α₀γ, ...])`` (Keras uses values[i] while step <= boundaries[i]). Chapter 08.
    """

    initial: float
    factor: float
    step_size: int

    def __post_init__(self):
        set_validated(
            self,
            initial=check_scalar("initial", self.initial, low=0),
            factor=check_scalar("factor", self.factor, low=0, high=1, low_open=True),
            step_size=check_scalar("step_size", self.step_size, low=1, integer=True),
        )

    def _rate(self, k):
        return self.initial * self.factor ** np.floor(k / self.step_size)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.initial, decay_steps=self.step_size, decay_rate=self.factor, staircase=True
        )


@dataclass(frozen=True)
class ExponentialDecay(_Schedule):
    """α_k = α₀ · γ^(k/s): a smooth geometric decay by γ every s steps.

    Args:
        initial: α₀; >= 0.
        rate: γ; in (0, 1].
        decay_steps: s = 1; > 0 (s = 1 gives α₀γ^k).

    Keras: ``keras.optimizers.schedules.ExponentialDecay(α₀, decay_steps=s, decay_rate=γ)``.
    Chapter 08.
    """

    initial: float
    rate: float
    decay_steps: float = 1

    def __post_init__(self):
        set_validated(
            self,
            initial=check_scalar("initial", self.initial, low=0),
            rate=check_scalar("rate", self.rate, low=0, high=1, low_open=True),
            decay_steps=check_positive("decay_steps", self.decay_steps),
        )

    def _rate(self, k):
        return self.initial * self.rate ** (k / self.decay_steps)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.initial, decay_steps=self.decay_steps, decay_rate=self.rate
        )


@dataclass(frozen=True)
class CosineDecay(_Schedule):
    """α_k = α_τ + ½ (α₀ − α_τ)(1 + cos(π k/τ)) for k <= τ, then α_τ (half a cosine from α₀ to α_τ).

    Args:
        initial: α₀; >= 0.
        tau: τ; > 0 (steps).
        final: α_τ = 0.0; >= 0.

    Keras: ``keras.optimizers.schedules.CosineDecay(α₀, decay_steps=τ, alpha=α_τ/α₀)`` (Keras's
    ``alpha`` is a fraction of α₀, so it needs α₀ > 0). Chapters 08, 09.
    """

    initial: float
    tau: float
    final: float = 0.0

    def __post_init__(self):
        set_validated(
            self,
            initial=check_scalar("initial", self.initial, low=0),
            tau=check_positive("tau", self.tau),
            final=check_scalar("final", self.final, low=0),
        )

    def _rate(self, k):
        fraction = np.minimum(k / self.tau, 1.0)
        return self.final + 0.5 * (self.initial - self.final) * (1.0 + np.cos(np.pi * fraction))

    def to_keras(self):
        import keras

        if self.initial == 0:
            raise ValueError("initial must be > 0 for Keras's CosineDecay (alpha = final/initial)")
        return keras.optimizers.schedules.CosineDecay(
            self.initial, decay_steps=self.tau, alpha=self.final / self.initial
        )


# --------------------------------------------------------------------------------------------------
# Averages of iterates
# --------------------------------------------------------------------------------------------------
def _check_iterates(thetas):
    thetas = np.asarray(thetas, dtype=float)
    if thetas.ndim == 0 or thetas.shape[0] == 0:
        raise ValueError(f"thetas must be an array of iterates of shape (K + 1, n), got shape {thetas.shape}")
    return thetas


def polyak_average(thetas):
    """Running (Polyak-Ruppert) average θ̄_k = 1/(k + 1) Σ_{i=0}^{k} θ_i of iterates θ_0 ... θ_K.

    ``thetas``: array (K + 1, n) (e.g. ``Trajectory.thetas``) or (K + 1,). Returns the same shape, row k
    being θ̄_k (so θ̄_0 = θ_0). With a constant step SGD's iterates keep bouncing in a noise ball; their
    average converges (Polyak and Juditsky, 1992). Chapter 08.
    """
    thetas = _check_iterates(thetas)
    counts = np.arange(1, thetas.shape[0] + 1).reshape((-1,) + (1,) * (thetas.ndim - 1))
    return np.cumsum(thetas, axis=0) / counts


def exponential_average(thetas, beta):
    """Exponential moving average θ̄_k = (1 − β) θ_k + β θ̄_{k−1}, with θ̄_0 = θ_0.

    ``thetas``: array (K + 1, n) or (K + 1,); ``beta`` β in [0, 1) (β = 0 returns the iterates; weights
    decay like β^(k − i), a memory of about 1/(1 − β) steps). Returns the same shape. Keras's
    ``use_ema=True, ema_momentum=β`` keeps the same average, started at θ_1 (the first updated weights)
    instead of θ_0. Chapter 08.
    """
    thetas = _check_iterates(thetas)
    beta = check_scalar("beta", beta, low=0, high=1, high_open=True)
    # lfilter runs y_k = (1 − β) x_k + β y_{k−1}; the initial state β x_0 makes y_0 = x_0.
    initial_state = (beta * thetas[0])[None]
    averaged, _ = lfilter([1.0 - beta], [1.0, -beta], thetas, axis=0, zi=initial_state)
    return averaged
