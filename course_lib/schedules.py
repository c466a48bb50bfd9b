"""Learning-rate schedules k -> α_k and averages of iterates (chapter 08; used in 06 and 09).

Every schedule is a small callable object: ``schedule(k)`` for a step index k >= 0 returns a float, and
for an array of k an array (handy for plotting). Pass one as ``learning_rate`` to any optimizer in
:mod:`course_lib.optimizers`: step k (k = 0 for the first step) uses α_k.

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

import numpy as np
from scipy.signal import lfilter

from course_lib.validation import check_scalar

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
    """Shared ``__call__`` (scalar or array k, checked >= 0) and ``__repr__``; subclasses define ``_rate``."""

    _fields: tuple = ()

    def __call__(self, k):
        k_array = np.asarray(k, dtype=float)
        if not np.all(k_array >= 0):  # also rejects nan
            raise ValueError(f"k must be >= 0, got {k!r}")
        rate = self._rate(k_array)
        return float(rate) if k_array.ndim == 0 else rate

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({args})"


def _rate_arg(name, value):
    return check_scalar(name, value, low=0)


class Constant(_Schedule):
    """α_k = α for every k.

    ``to_keras()`` returns the float itself (Keras takes a float ``learning_rate`` directly).
    """

    _fields = ("value",)

    def __init__(self, value):
        self.value = _rate_arg("value", value)

    def _rate(self, k):
        return np.full_like(k, self.value)

    def to_keras(self):
        return self.value


class InverseTime(_Schedule):
    """α_k = α₀ / (1 + k/k₀): constant for k ≪ k₀, then decaying like α₀k₀/k.

    The O(1/k) decay of the SGD convergence theory for strongly convex objectives (chapter 08);
    Σα_k = ∞ and Σα_k² < ∞ (Robbins-Monro). Parameters: ``initial`` α₀ >= 0, ``k0`` > 0.
    Keras: ``InverseTimeDecay(initial_learning_rate=α₀, decay_steps=k₀, decay_rate=1)``.
    """

    _fields = ("initial", "k0")

    def __init__(self, initial, k0):
        self.initial = _rate_arg("initial", initial)
        self.k0 = check_scalar("k0", k0, low=0, low_open=True)

    def _rate(self, k):
        return self.initial / (1.0 + k / self.k0)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.InverseTimeDecay(self.initial, decay_steps=self.k0, decay_rate=1.0)


class LinearDecay(_Schedule):
    """λ_k = (1 − k/τ) λ₀ + (k/τ) λ_τ for k <= τ, then λ_k = λ_τ (it stays at the final rate).

    The lectures' decay schedule (one slide writes "then λ = λ₀"; the rule keeps λ_τ). Parameters:
    ``initial`` λ₀ >= 0, ``final`` λ_τ >= 0, ``tau`` τ > 0 (steps). Chapter 08.
    Keras: ``PolynomialDecay(initial_learning_rate=λ₀, decay_steps=τ, end_learning_rate=λ_τ, power=1)``.
    """

    _fields = ("initial", "final", "tau")

    def __init__(self, initial, final, tau):
        self.initial = _rate_arg("initial", initial)
        self.final = _rate_arg("final", final)
        self.tau = check_scalar("tau", tau, low=0, low_open=True)

    def _rate(self, k):
        fraction = np.minimum(k / self.tau, 1.0)
        return (1.0 - fraction) * self.initial + fraction * self.final

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.PolynomialDecay(
            self.initial, decay_steps=self.tau, end_learning_rate=self.final, power=1.0
        )


class StepDecay(_Schedule):
    """α_k = α₀ · γ^⌊k/s⌋: multiply the rate by γ every s steps ("divide by 10 every 30 epochs").

    Parameters: ``initial`` α₀ >= 0, ``factor`` γ in (0, 1], ``step_size`` s >= 1 (an integer).
    Keras: ``ExponentialDecay(α₀, decay_steps=s, decay_rate=γ, staircase=True)``; equivalently
    ``PiecewiseConstantDecay(boundaries=[s − 1, 2s − 1, ...], values=[α₀, α₀γ, ...])`` (Keras uses
    values[i] while step <= boundaries[i], so the boundaries are one less than the steps where the rate drops).
    Chapter 08.
    """

    _fields = ("initial", "factor", "step_size")

    def __init__(self, initial, factor, step_size):
        self.initial = _rate_arg("initial", initial)
        self.factor = check_scalar("factor", factor, low=0, high=1, low_open=True)
        self.step_size = check_scalar("step_size", step_size, low=1, integer=True)

    def _rate(self, k):
        return self.initial * self.factor ** np.floor(k / self.step_size)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.initial, decay_steps=self.step_size, decay_rate=self.factor, staircase=True
        )


class ExponentialDecay(_Schedule):
    """α_k = α₀ · γ^(k/s): a smooth geometric decay by γ every s steps.

    Parameters: ``initial`` α₀ >= 0, ``rate`` γ in (0, 1], ``decay_steps`` s > 0 (default 1: α₀γ^k).
    Keras: ``ExponentialDecay(α₀, decay_steps=s, decay_rate=γ)`` (staircase=False). Chapter 08.
    """

    _fields = ("initial", "rate", "decay_steps")

    def __init__(self, initial, rate, decay_steps=1):
        self.initial = _rate_arg("initial", initial)
        self.rate = check_scalar("rate", rate, low=0, high=1, low_open=True)
        self.decay_steps = check_scalar("decay_steps", decay_steps, low=0, low_open=True)

    def _rate(self, k):
        return self.initial * self.rate ** (k / self.decay_steps)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.initial, decay_steps=self.decay_steps, decay_rate=self.rate
        )


class CosineDecay(_Schedule):
    """α_k = α_τ + ½ (α₀ − α_τ)(1 + cos(π k/τ)) for k <= τ, then α_τ (half a cosine from α₀ to α_τ).

    Parameters: ``initial`` α₀ >= 0, ``tau`` τ > 0 (steps), ``final`` α_τ >= 0 (default 0).
    Keras: ``CosineDecay(α₀, decay_steps=τ, alpha=α_τ/α₀)`` (Keras's ``alpha`` is a fraction of α₀;
    needs α₀ > 0). Chapters 08, 09.
    """

    _fields = ("initial", "tau", "final")

    def __init__(self, initial, tau, final=0.0):
        self.initial = _rate_arg("initial", initial)
        self.tau = check_scalar("tau", tau, low=0, low_open=True)
        self.final = _rate_arg("final", final)

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
