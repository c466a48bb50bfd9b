"""From-scratch optimizers in NumPy, written as the lectures write them, and a loop that runs them.

Each optimizer is a frozen dataclass holding only its hyperparameters (validated once, then
read-only: ``opt.learning_rate = -1`` raises), with a pure pair of methods (the optax pattern)::

    state = opt.init(theta)                          # an immutable NamedTuple; state.count = 0
    theta, state = opt.update(theta, state, objective)   # one step; returns state.count + 1

The step index k lives in one place, the state's ``count`` (k = 0 for the first step): a schedule
(``learning_rate`` may be any callable k -> α_k, e.g. from :mod:`course_lib.schedules`) and Adam's bias
correction both read it, so a hand-written loop advances the schedule exactly as :func:`run` does.
One optimizer object can be run any number of times. ``update`` receives the objective itself
(anything with ``grad(θ)``; :class:`Newton` also needs ``hessian(θ)``), so Nesterov can take the gradient
at its look-ahead point and Newton can use the Hessian.

:func:`run` iterates ``update`` and records θ_0 ... θ_K and h(θ_0) ... h(θ_K) in a :class:`Trajectory`;
a run that blows up stops early with ``diverged=True`` (divergence is a result, not an error).

Stochastic gradients: the step uses whatever ``objective.grad`` returns, so an objective whose ``grad``
is itself random (:class:`course_lib.objectives.NoisyGradient`, or a mini-batch loss drawing a batch per
call) gives SGD and its variants; ``objective.value`` should be the full objective, which is what
:func:`run` records.

Keras's optimizers write some rules differently (ε inside the square root, Adam's bias correction
folded into the step size, the velocity carrying the learning rate, ...). Flags on each optimizer
reproduce Keras's forms exactly; :mod:`course_lib.keras_compat` lists every difference with its
conversion (chapter 09), and its tests run both side by side. This module imports only
:mod:`course_lib.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from course_lib.validation import check_scalar, check_theta

__all__ = [
    "GradientDescent",
    "Momentum",
    "AdaGrad",
    "RMSProp",
    "Adam",
    "Newton",
    "EmptyState",
    "MomentumState",
    "AccumulatorState",
    "AdamState",
    "Trajectory",
    "run",
]


# --------------------------------------------------------------------------------------------------
# States (immutable; each carries the step count k) and the result of a run
# --------------------------------------------------------------------------------------------------
class EmptyState(NamedTuple):
    """State of an optimizer that carries nothing but the step count (gradient descent, Newton)."""

    count: int = 0


class MomentumState(NamedTuple):
    """v: the velocity (lecture form: without the learning rate; Keras form: with it); the step count."""

    velocity: np.ndarray
    count: int = 0


class AccumulatorState(NamedTuple):
    """r: AdaGrad's sum of squared gradients, or RMSProp's running mean of them; the step count."""

    accumulator: np.ndarray
    count: int = 0


class AdamState(NamedTuple):
    """count: steps taken (t − 1 at the next step); m, v: running means of g and of g⊙g (uncorrected)."""

    count: int
    m: np.ndarray
    v: np.ndarray


class Trajectory(NamedTuple):
    """The result of :func:`run`.

    thetas : array (K + 1, n), θ_0 ... θ_K (K = steps, fewer if the run diverged);
    values : array (K + 1,), h(θ_0) ... h(θ_K);
    diverged : True if the run stopped early because an iterate or value became non-finite or huge
        (the last row is the offending iterate, possibly inf/nan).
    """

    thetas: np.ndarray
    values: np.ndarray
    diverged: bool


# --------------------------------------------------------------------------------------------------
# Hyperparameter checks (run once, in __post_init__; the dataclasses are frozen afterwards)
# --------------------------------------------------------------------------------------------------
def _check_rate(learning_rate):
    """A float >= 0 or a callable k -> rate (a schedule)."""
    if callable(learning_rate):
        return learning_rate
    return check_scalar("learning_rate", learning_rate, low=0)


def _check_unit(name, value):
    """A decay factor in [0, 1): momentum μ, ρ, β₁, β₂."""
    return check_scalar(name, value, low=0, high=1, high_open=True)


def _positive(name, value):
    return check_scalar(name, value, low=0, low_open=True)


def _set(obj, **values):
    """Store validated values on a frozen dataclass (only ever called from __post_init__)."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def _rate(learning_rate, k):
    return learning_rate(k) if callable(learning_rate) else learning_rate


# --------------------------------------------------------------------------------------------------
# The optimizers
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradientDescent:
    """Gradient descent: θ ← θ − α_k ∇h(θ).

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.

    Keras: ``keras.optimizers.SGD(learning_rate=α)`` (momentum=0) gives identical iterates.
    Chapter 05: on a quadratic it converges iff 0 < α < 2/L; α = 1/L decreases h monotonically on
    any L-smooth function. With a stochastic ``grad`` this is SGD (chapter 08).
    """

    learning_rate: Any = 0.01

    def __post_init__(self):
        _set(self, learning_rate=_check_rate(self.learning_rate))

    def init(self, theta):
        return EmptyState(0)

    def update(self, theta, state, objective):
        alpha = _rate(self.learning_rate, state.count)
        return theta - alpha * objective.grad(theta), EmptyState(state.count + 1)


@dataclass(frozen=True)
class Momentum:
    """Heavy ball: v ← μv − ∇h(θ); θ ← θ + α_k v, with v₀ = 0 (Polyak, 1964).

    Nesterov (``nesterov=True``): v ← μv − ∇h(θ + α_k μv); θ ← θ + α_k v (the gradient at the
    look-ahead point θ + α_k μv, a step *along* the velocity).

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.
        momentum: μ = 0.9; in [0, 1) (0.9 is the usual start; 0.99 needs a smaller α).
        nesterov: False; True for Nesterov's look-ahead gradient.
        keras_form: False; True for Keras's form, m ← μm − α_k ∇h(θ); θ ← θ + m (Nesterov:
            θ ← θ + μm − α_k ∇h(θ) with the new m), where the velocity carries the rate and
            Nesterov's stored iterate is the look-ahead point.

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
        _set(
            self,
            learning_rate=_check_rate(self.learning_rate),
            momentum=_check_unit("momentum", self.momentum),
            nesterov=bool(self.nesterov),
            keras_form=bool(self.keras_form),
        )

    def init(self, theta):
        return MomentumState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        alpha, mu, v = _rate(self.learning_rate, state.count), self.momentum, state.velocity
        if self.keras_form:
            g = objective.grad(theta)
            v = mu * v - alpha * g
            step = mu * v - alpha * g if self.nesterov else v
            return theta + step, MomentumState(v, state.count + 1)
        g = objective.grad(theta + alpha * mu * v) if self.nesterov else objective.grad(theta)
        v = mu * v - g
        return theta + alpha * v, MomentumState(v, state.count + 1)


@dataclass(frozen=True)
class AdaGrad:
    """AdaGrad: r ← r + g⊙g; θ ← θ − α_k g / (ε + √r), with g = ∇h(θ) (Duchi et al., 2011).

    Each coordinate's step shrinks with the total squared gradient it has seen.

    Args:
        learning_rate: α = 0.01; a float >= 0, or a schedule k -> α_k.
        eps: ε = 1e-8; > 0 (without it a coordinate whose gradients are all zero divides 0 by 0).
        initial_accumulator: r₀ = 0.0; >= 0.
        eps_inside_sqrt: False; True divides by √(r + ε) instead (Keras's form).

    Keras: ``keras.optimizers.Adagrad(learning_rate=α)`` is θ ← θ − α g / √(r + ε) with r₀ = 0.1 and
    ε = 1e-7: ``AdaGrad(α, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True)``. Chapter 09.
    """

    learning_rate: Any = 0.01
    eps: float = 1e-8
    initial_accumulator: float = 0.0
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        _set(
            self,
            learning_rate=_check_rate(self.learning_rate),
            eps=_positive("eps", self.eps),
            initial_accumulator=check_scalar("initial_accumulator", self.initial_accumulator, low=0),
            eps_inside_sqrt=bool(self.eps_inside_sqrt),
        )

    def init(self, theta):
        return AccumulatorState(np.full_like(theta, self.initial_accumulator), 0)

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        r = state.accumulator + g * g
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        alpha = _rate(self.learning_rate, state.count)
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

    Keras: ``keras.optimizers.RMSprop(learning_rate=α, rho=ρ)`` (momentum=0, centered=False) is
    θ ← θ − α g / √(r + ε) with ε = 1e-7: ``RMSProp(α, ρ, eps=1e-7, eps_inside_sqrt=True)``. Chapter 09.
    """

    learning_rate: Any = 0.001
    rho: float = 0.9
    eps: float = 1e-8
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        _set(
            self,
            learning_rate=_check_rate(self.learning_rate),
            rho=_check_unit("rho", self.rho),
            eps=_positive("eps", self.eps),
            eps_inside_sqrt=bool(self.eps_inside_sqrt),
        )

    def init(self, theta):
        return AccumulatorState(np.zeros_like(theta), 0)

    def update(self, theta, state, objective):
        g = objective.grad(theta)
        r = self.rho * state.accumulator + (1.0 - self.rho) * (g * g)
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        alpha = _rate(self.learning_rate, state.count)
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
        _set(
            self,
            learning_rate=_check_rate(self.learning_rate),
            beta1=_check_unit("beta1", self.beta1),
            beta2=_check_unit("beta2", self.beta2),
            eps=_positive("eps", self.eps),
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
        alpha = _rate(self.learning_rate, state.count)
        if self.keras_bias_correction:
            step = (alpha * np.sqrt(c2) / c1) * m / (self.eps + np.sqrt(v))
        else:
            step = alpha * (m / c1) / (self.eps + np.sqrt(v / c2))
        return theta - step, AdamState(t, m, v)


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

    Keras: no counterpart. Chapter 07.
    """

    learning_rate: Any = 1.0
    damping: float = 0.0

    def __post_init__(self):
        _set(self, learning_rate=_check_rate(self.learning_rate), damping=check_scalar("damping", self.damping, low=0))

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
        return theta - _rate(self.learning_rate, state.count) * direction, EmptyState(state.count + 1)


# --------------------------------------------------------------------------------------------------
# Running an optimizer
# --------------------------------------------------------------------------------------------------
def run(optimizer, objective, theta0, steps=100, *, divergence_threshold=1e12):
    """θ_{k+1}, state_{k+1} = optimizer.update(θ_k, state_k, objective) for k = 0 ... steps − 1.

    Records θ_0 ... θ_steps and h(θ_0) ... h(θ_steps) in a :class:`Trajectory`. The run stops early
    with ``diverged=True`` when h(θ_k) or ‖θ_k‖ is non-finite or exceeds ``divergence_threshold`` in
    absolute value; numpy's overflow warnings are silenced inside the loop, so a blow-up is a result,
    not a warning.

    Args:
        optimizer: any object with ``init(θ)`` and ``update(θ, state, objective)``.
        objective: ``value``, ``grad`` (may be stochastic), and ``hessian`` for Newton.
        theta0: the start, a finite vector of shape (objective.dim,).
        steps: 100; an integer >= 0 (0 returns just θ₀).
        divergence_threshold: 1e12; > 0.

    Chapters 05-09.
    """
    steps = check_scalar("steps", steps, low=0, integer=True)
    threshold = check_scalar("divergence_threshold", divergence_threshold, low=0, low_open=True)
    theta = check_theta(theta0, getattr(objective, "dim", None), name="theta0")
    if theta.ndim != 1 or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta0 must be a finite vector of shape (n,), got {np.asarray(theta0)!r}")
    theta = theta.copy()
    thetas = np.empty((steps + 1, theta.size))
    values = np.empty(steps + 1)
    limit_sq = threshold * threshold
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        state = optimizer.init(theta)
        for k in range(steps + 1):
            if k:
                theta, state = optimizer.update(theta, state, objective)
            value = float(objective.value(theta))
            thetas[k], values[k] = theta, value
            # "not (x <= limit)" is also True for nan
            if not (abs(value) <= threshold and float(theta @ theta) <= limit_sq):
                return Trajectory(thetas[: k + 1], values[: k + 1], True)
    return Trajectory(thetas, values, False)
