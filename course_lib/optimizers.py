"""From-scratch optimizers in NumPy, written as the lectures write them, and a loop that runs them.

Each optimizer is a small object holding only its hyperparameters, with a pure pair of methods
(the optax pattern)::

    state = opt.init(theta)                              # an immutable NamedTuple
    theta, state = opt.update(theta, state, objective, k)  # one step; k = 0, 1, 2, ... is the step index

so one optimizer object can be run any number of times. ``update`` receives the objective itself
(anything with ``grad(θ)``; :class:`Newton` also needs ``hessian(θ)``), so Nesterov can take the gradient
at its look-ahead point and Newton can use the Hessian. ``learning_rate`` is a float or any callable
k -> rate (e.g. from :mod:`course_lib.schedules`); step k uses the rate at k (k = 0 for the first step).

:func:`run` iterates ``update`` and records θ_0 ... θ_K and h(θ_0) ... h(θ_K) in a :class:`Trajectory`;
a run that blows up stops early with ``diverged=True`` (divergence is a result, not an error).

Stochastic gradients: the step uses whatever ``objective.grad`` returns, so an objective whose ``grad``
is itself random (:class:`course_lib.objectives.NoisyGradient`, or a mini-batch loss drawing a batch per
call) gives SGD and its variants; ``objective.value`` should be the full objective, which is what
:func:`run` records.

Keras's optimizers write some rules differently (ε inside the square root, Adam's bias correction
folded into the step size, the velocity carrying the learning rate, ...). Flags on each optimizer
reproduce Keras's forms exactly, and :data:`KERAS_CONVENTIONS` lists every difference with its conversion
(chapter 09). The unit tests run both side by side.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from course_lib.objectives import narrow_valley
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
    "benchmark",
    "KERAS_CONVENTIONS",
]


# --------------------------------------------------------------------------------------------------
# States (immutable) and the result of a run
# --------------------------------------------------------------------------------------------------
class EmptyState(NamedTuple):
    """State of an optimizer that carries nothing between steps (gradient descent, Newton)."""


class MomentumState(NamedTuple):
    """v: the velocity (lecture form: without the learning rate; Keras form: with it)."""

    velocity: np.ndarray


class AccumulatorState(NamedTuple):
    """r: AdaGrad's sum of squared gradients, or RMSProp's running mean of squared gradients."""

    accumulator: np.ndarray


class AdamState(NamedTuple):
    """t: number of steps taken; m, v: running means of g and of g⊙g (uncorrected)."""

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
# Hyperparameter checks
# --------------------------------------------------------------------------------------------------
def _check_rate(learning_rate):
    """A float >= 0 or a callable k -> rate (a schedule)."""
    if callable(learning_rate):
        return learning_rate
    return check_scalar("learning_rate", learning_rate, low=0)


def _check_unit(name, value):
    """A decay factor in [0, 1): momentum μ, ρ, β₁, β₂."""
    return check_scalar(name, value, low=0, high=1, high_open=True)


def _rate(learning_rate, k):
    return learning_rate(k) if callable(learning_rate) else learning_rate


class _Optimizer:
    """Shared ``__repr__``; subclasses define ``init``/``update`` and list their hyperparameters."""

    _fields: tuple = ()

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------------------------------
# The optimizers
# --------------------------------------------------------------------------------------------------
class GradientDescent(_Optimizer):
    """Gradient descent: θ ← θ − α ∇h(θ).

    Parameters: ``learning_rate`` α = 0.01 (float >= 0 or schedule k -> α_k).
    On a quadratic it converges iff 0 < α < 2/L; α = 1/L guarantees monotone decrease on any
    L-smooth function (chapter 05). With a stochastic ``grad`` this is SGD (chapter 08).
    Keras: ``keras.optimizers.SGD(learning_rate=α)`` (momentum=0), identical.
    """

    _fields = ("learning_rate",)

    def __init__(self, learning_rate=0.01):
        self.learning_rate = _check_rate(learning_rate)

    def init(self, theta):
        return EmptyState()

    def update(self, theta, state, objective, k):
        return theta - _rate(self.learning_rate, k) * objective.grad(theta), state


class Momentum(_Optimizer):
    """Heavy-ball momentum: v ← μv − ∇h(θ); θ ← θ + αv, with v₀ = 0.

    Nesterov (``nesterov=True``): v ← μv − ∇h(θ + αμv); θ ← θ + αv (gradient at the look-ahead point
    θ + αμv, a step *along* the velocity).

    Parameters: ``learning_rate`` α = 0.01 (float or schedule), ``momentum`` μ = 0.9 in [0, 1) (0.9 is
    the usual start; 0.99 needs a smaller α), ``nesterov`` = False,
    ``keras_form`` = False: use Keras's SGD form instead, where the velocity carries the learning rate
    and (Nesterov) the stored iterate is the look-ahead point:
    m ← μm − α_k ∇h(θ); θ ← θ + m, or for Nesterov θ ← θ + μm − α_k ∇h(θ) (new m).
    For a constant α the plain forms give identical iterates (m = αv); Keras's Nesterov iterates are the
    lecture's look-ahead points θ_k + αμv_k. With a schedule the forms differ (see KERAS_CONVENTIONS).
    Chapter 06 (rates on quadratics: μ = ((√κ − 1)/(√κ + 1))², α = 4/(√L + √μ)²), 08, 09.
    """

    _fields = ("learning_rate", "momentum", "nesterov", "keras_form")

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False, keras_form=False):
        self.learning_rate = _check_rate(learning_rate)
        self.momentum = _check_unit("momentum", momentum)
        self.nesterov = bool(nesterov)
        self.keras_form = bool(keras_form)

    def init(self, theta):
        return MomentumState(np.zeros_like(theta))

    def update(self, theta, state, objective, k):
        alpha, mu, v = _rate(self.learning_rate, k), self.momentum, state.velocity
        if self.keras_form:
            g = objective.grad(theta)
            v = mu * v - alpha * g
            step = mu * v - alpha * g if self.nesterov else v
            return theta + step, MomentumState(v)
        g = objective.grad(theta + alpha * mu * v) if self.nesterov else objective.grad(theta)
        v = mu * v - g
        return theta + alpha * v, MomentumState(v)


class AdaGrad(_Optimizer):
    """AdaGrad: r ← r + g⊙g; θ ← θ − α g / (ε + √r), with g = ∇h(θ) and r₀ = 0.

    Each coordinate's step shrinks with the total squared gradient it has seen (Duchi et al., 2011).

    Parameters: ``learning_rate`` α = 0.01, ``eps`` ε = 1e-8 (> 0; without it a coordinate whose
    gradients are all zero divides 0 by 0), ``initial_accumulator`` r₀ = 0.0 (>= 0),
    ``eps_inside_sqrt`` = False. Keras's ``Adagrad`` is θ ← θ − α g / √(r + ε) with r₀ = 0.1 and
    ε = 1e-7: reproduce it with ``eps_inside_sqrt=True, initial_accumulator=0.1, eps=1e-7``.
    Chapter 09.
    """

    _fields = ("learning_rate", "eps", "initial_accumulator", "eps_inside_sqrt")

    def __init__(self, learning_rate=0.01, eps=1e-8, initial_accumulator=0.0, eps_inside_sqrt=False):
        self.learning_rate = _check_rate(learning_rate)
        self.eps = check_scalar("eps", eps, low=0, low_open=True)
        self.initial_accumulator = check_scalar("initial_accumulator", initial_accumulator, low=0)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def init(self, theta):
        return AccumulatorState(np.full_like(theta, self.initial_accumulator))

    def update(self, theta, state, objective, k):
        g = objective.grad(theta)
        r = state.accumulator + g * g
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        return theta - _rate(self.learning_rate, k) * g / denominator, AccumulatorState(r)


class RMSProp(_Optimizer):
    """RMSProp: r ← ρr + (1 − ρ) g⊙g; θ ← θ − α g / (ε + √r), with g = ∇h(θ) and r₀ = 0.

    A running mean instead of AdaGrad's sum, so old gradients are forgotten (Hinton, 2012).

    Parameters: ``learning_rate`` α = 0.001, ``rho`` ρ = 0.9 in [0, 1), ``eps`` ε = 1e-8 (> 0),
    ``eps_inside_sqrt`` = False. Keras's ``RMSprop`` (momentum=0, centered=False) is
    θ ← θ − α g / √(r + ε) with ε = 1e-7: reproduce it with ``eps_inside_sqrt=True, eps=1e-7``.
    Chapter 09.
    """

    _fields = ("learning_rate", "rho", "eps", "eps_inside_sqrt")

    def __init__(self, learning_rate=0.001, rho=0.9, eps=1e-8, eps_inside_sqrt=False):
        self.learning_rate = _check_rate(learning_rate)
        self.rho = _check_unit("rho", rho)
        self.eps = check_scalar("eps", eps, low=0, low_open=True)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def init(self, theta):
        return AccumulatorState(np.zeros_like(theta))

    def update(self, theta, state, objective, k):
        g = objective.grad(theta)
        r = self.rho * state.accumulator + (1.0 - self.rho) * (g * g)
        denominator = np.sqrt(r + self.eps) if self.eps_inside_sqrt else self.eps + np.sqrt(r)
        return theta - _rate(self.learning_rate, k) * g / denominator, AccumulatorState(r)


class Adam(_Optimizer):
    """Adam: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g⊙g; m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ);
    θ ← θ − α m̂ / (ε + √v̂), with g = ∇h(θ), m₀ = v₀ = 0 and t = 1 at the first step.

    The averages start at zero and are therefore biased toward zero; dividing by 1 − βᵗ < 1 makes
    the corrected m̂, v̂ *larger* than m, v (Kingma and Ba, 2015).

    Parameters: ``learning_rate`` α = 0.001, ``beta1`` β₁ = 0.9, ``beta2`` β₂ = 0.999 (both in [0, 1)),
    ``eps`` ε = 1e-8 (> 0), ``keras_bias_correction`` = False. Keras's ``Adam`` folds the correction
    into the step size and adds ε to the uncorrected √v:
    θ ← θ − α_t m / (ε + √v), α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ), with ε = 1e-7 -- the lecture form with a
    time-varying ε_t = ε / √(1 − β₂ᵗ). Reproduce it with ``keras_bias_correction=True, eps=1e-7``.
    (With float64 variables Keras computes β₁ᵗ, β₂ᵗ from float32-rounded β's, so with β₂ = 0.999 the
    two agree to ~1e-5 only; β's exact in float32, e.g. 0.875 and 1 − 2⁻¹⁰, agree to round-off.)
    Chapter 09.
    """

    _fields = ("learning_rate", "beta1", "beta2", "eps", "keras_bias_correction")

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8, keras_bias_correction=False):
        self.learning_rate = _check_rate(learning_rate)
        self.beta1 = _check_unit("beta1", beta1)
        self.beta2 = _check_unit("beta2", beta2)
        self.eps = check_scalar("eps", eps, low=0, low_open=True)
        self.keras_bias_correction = bool(keras_bias_correction)

    def init(self, theta):
        return AdamState(0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, theta, state, objective, k):
        g = objective.grad(theta)
        t = state.count + 1
        b1, b2 = self.beta1, self.beta2
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * (g * g)
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        alpha = _rate(self.learning_rate, k)
        if self.keras_bias_correction:
            step = (alpha * np.sqrt(c2) / c1) * m / (self.eps + np.sqrt(v))
        else:
            step = alpha * (m / c1) / (self.eps + np.sqrt(v / c2))
        return theta - step, AdamState(t, m, v)


class Newton(_Optimizer):
    """Damped Newton: θ ← θ − α (H + λI)⁻¹ ∇h(θ), with H = ∇²h(θ).

    Parameters: ``learning_rate`` α = 1.0 (float or schedule), ``damping`` λ = 0.0 (>= 0).
    With α = 1, λ = 0 it reaches the minimizer of a quadratic in one step. Undamped Newton jumps to the
    nearest critical point of the local quadratic model, which may be a saddle or a maximum; λ > 0
    (Levenberg-style damping, a trust-region relative) shortens the step and turns it toward −∇h.
    A singular H + λI gives a non-finite iterate, which :func:`run` reports as divergence.
    No Keras counterpart. Chapter 07.
    """

    _fields = ("learning_rate", "damping")

    def __init__(self, learning_rate=1.0, damping=0.0):
        self.learning_rate = _check_rate(learning_rate)
        self.damping = check_scalar("damping", damping, low=0)

    def init(self, theta):
        return EmptyState()

    def update(self, theta, state, objective, k):
        H = objective.hessian(theta)
        if self.damping:
            H = H + self.damping * np.eye(H.shape[-1])
        try:
            direction = np.linalg.solve(H, objective.grad(theta))
        except np.linalg.LinAlgError:
            direction = np.full_like(theta, np.nan)
        return theta - _rate(self.learning_rate, k) * direction, state


# --------------------------------------------------------------------------------------------------
# Running an optimizer
# --------------------------------------------------------------------------------------------------
def run(optimizer, objective, theta0, steps=100, *, divergence_threshold=1e12):
    """Run ``steps`` updates of ``optimizer`` on ``objective`` from ``theta0``; return a :class:`Trajectory`.

    Step k (k = 0 ... steps − 1) is ``optimizer.update(θ_k, state, objective, k)``; the trajectory
    holds θ_0 ... θ_steps and h(θ_0) ... h(θ_steps). The run stops early with ``diverged=True`` when
    h(θ_k) or ‖θ_k‖ is non-finite or exceeds ``divergence_threshold`` (default 1e12) in absolute value;
    numpy's overflow warnings are silenced inside the loop, so a blow-up is a result, not a warning.

    Parameters: ``optimizer`` (any object with init/update), ``objective`` (value, grad, and hessian for
    Newton; ``grad`` may be stochastic), ``theta0`` (finite array of shape (objective.dim,)),
    ``steps`` >= 0 (0 returns just θ₀). Chapters 05-09.
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
                theta, state = optimizer.update(theta, state, objective, k - 1)
            value = float(objective.value(theta))
            thetas[k], values[k] = theta, value
            # "not (x <= limit)" is also True for nan
            if not (abs(value) <= threshold and float(theta @ theta) <= limit_sq):
                return Trajectory(thetas[: k + 1], values[: k + 1], True)
    return Trajectory(thetas, values, False)


def benchmark(steps=10_000):
    """Seconds for a ``steps``-step :func:`run` of each optimizer on a 2-D quadratic (κ = 10).

    Returns a dict name -> seconds (best of 3 runs, perf_counter), for ``python -m course_lib.book bench``.
    """
    steps = check_scalar("steps", steps, low=0, integer=True)
    objective = narrow_valley(kappa=10.0, angle=0.5)
    theta0 = np.array([-2.0, 1.5])
    optimizers = {
        "GradientDescent": GradientDescent(0.5),
        "Momentum": Momentum(0.5, 0.5),
        "Nesterov": Momentum(0.5, 0.5, nesterov=True),
        "AdaGrad": AdaGrad(0.5),
        "RMSProp": RMSProp(0.01),
        "Adam": Adam(0.01),
        "Newton": Newton(0.5, damping=0.1),
    }
    timings = {}
    for name, optimizer in optimizers.items():
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            run(optimizer, objective, theta0, steps)
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    return timings


# --------------------------------------------------------------------------------------------------
# The lecture's forms against Keras's (chapter 09's table)
# --------------------------------------------------------------------------------------------------
#: Every difference between the lecture forms (course_lib's defaults) and ``keras.optimizers`` (Keras 3),
#: as read from Keras's sources; "course_lib" is how to reproduce Keras's form here. Checked by
#: tests/test_optimizers.py, which runs both side by side.
KERAS_CONVENTIONS = [
    {
        "optimizer": "SGD with momentum",
        "lecture": "v ← μv − g;  θ ← θ + αv",
        "keras": "m ← μm − αg;  θ ← θ + m   (SGD(learning_rate=α, momentum=μ))",
        "convert": "m = αv: identical iterates for a constant α; differ when α varies (schedule)",
        "course_lib": "Momentum(α, μ, keras_form=True)",
    },
    {
        "optimizer": "Nesterov",
        "lecture": "v ← μv − ∇h(θ + αμv);  θ ← θ + αv",
        "keras": "m ← μm − α∇h(φ);  φ ← φ + μm − α∇h(φ)   (nesterov=True)",
        "convert": "Keras stores the look-ahead point φ_k = θ_k + αμv_k (φ₀ = θ₀); θ_k = φ_k − μm_k",
        "course_lib": "Momentum(α, μ, nesterov=True, keras_form=True)",
    },
    {
        "optimizer": "AdaGrad",
        "lecture": "r ← r + g²;  θ ← θ − αg/(ε + √r),  r₀ = 0",
        "keras": "r ← r + g²;  θ ← θ − αg/√(r + ε),  r₀ = 0.1, ε = 1e-7",
        "convert": "ε moves inside the root; initial_accumulator_value=0.0 in Keras removes the r₀ difference",
        "course_lib": "AdaGrad(α, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True)",
    },
    {
        "optimizer": "RMSProp",
        "lecture": "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/(ε + √r)",
        "keras": "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/√(r + ε),  ε = 1e-7",
        "convert": "ε moves inside the root (Keras's momentum=0, centered=False are the lecture's RMSProp)",
        "course_lib": "RMSProp(α, ρ, eps=1e-7, eps_inside_sqrt=True)",
    },
    {
        "optimizer": "Adam",
        "lecture": "θ ← θ − α m̂/(ε + √v̂),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)",
        "keras": "θ ← θ − α_t m/(ε + √v),  α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ),  ε = 1e-7",
        "convert": "Keras's ε equals a lecture ε_t = ε/√(1 − β₂ᵗ); same m, v, t = 1 at the first step",
        "course_lib": "Adam(α, β₁, β₂, eps=1e-7, keras_bias_correction=True)",
    },
    {
        "optimizer": "defaults",
        "lecture": "course_lib: momentum 0.9; ε = 1e-8; Adam α = 1e-3, β = (0.9, 0.999)",
        "keras": "SGD momentum=0.0, learning_rate=0.01; ε = 1e-7; Adam 1e-3, (0.9, 0.999); RMSprop ρ = 0.9",
        "convert": "names: beta1/beta2/eps here, beta_1/beta_2/epsilon in Keras",
        "course_lib": "pass the Keras values explicitly",
    },
    {
        "optimizer": "schedules",
        "lecture": "step k = 0, 1, ... uses α_k",
        "keras": "step uses schedule(optimizer.iterations), iterations = 0 at the first step",
        "convert": "same index: schedule(k) at step k",
        "course_lib": "learning_rate=schedule",
    },
]
