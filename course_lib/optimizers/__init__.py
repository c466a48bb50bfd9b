"""From-scratch optimizers in NumPy, written as the lectures write them, and a loop that runs them.

Each optimizer is a frozen dataclass holding only its hyperparameters (validated once, then
read-only: ``opt.learning_rate = -1`` raises), with a pure pair of methods (the optax pattern)::

    state = opt.init(theta)                              # an immutable NamedTuple; state.count = 0
    theta, state = opt.update(theta, state, objective)   # one step; returns state.count + 1

The step index k lives in one place, the state's ``count`` (k = 0 for the first step): a schedule
(``learning_rate`` may be any callable k -> α_k, e.g. from :mod:`course_lib.schedules`) and Adam's bias
correction both read it, so a hand-written loop advances the schedule exactly as :func:`run` does.
One optimizer object can be run any number of times. ``update`` receives the objective itself, so
Nesterov can take the gradient at its look-ahead point and Newton can use the Hessian; each
optimizer's docstring says what it needs from the objective (``grad``, ``hessian``, ``hvp``).

:func:`run` iterates ``update`` and records θ_k and h(θ_k) in a :class:`Trajectory`; a run that blows
up stops early with ``diverged=True`` (divergence is a result, not an error).

Stochastic gradients are pure: with ``run(..., batch_size=B, seed=s)`` step k's update sees
``objective.at(batch_k)`` (a finite sum such as :class:`course_lib.objectives.LogisticRegression`),
batch k drawn from a generator seeded by (s, k) (:func:`batches`: independent draws, a reshuffle per
epoch, or the lectures' shuffle once), while ``values`` record the full objective; an objective with
``draw(seed, k)`` (:class:`course_lib.objectives.NoisyGradient`) is drawn the same way. The same call
gives the same run, and the two questions an optimizer asks in one step (gradient and curvature, or a
look-ahead gradient) go to the same mini-batch.

Keras's optimizers write some rules differently (ε inside the square root, Adam's bias correction
folded into the step size, the velocity carrying the learning rate, ...). Flags on each optimizer
reproduce Keras's forms exactly; :mod:`course_lib.keras_compat` lists every difference with its
conversion (chapter 09), and its tests run both side by side.

The package: ``core`` (states, :class:`Trajectory`, :func:`batches`, :func:`run`), ``first_order``
(gradient descent, momentum), ``adaptive`` (AdaGrad, RMSProp, Adam), ``second_order`` (Newton, trust
region, Newton-CG, K-FAC). It imports only :mod:`course_lib.validation` and :mod:`course_lib.curvature`.
A new optimizer goes into the file of its family, with its update rule at the top of its docstring, then
its arguments, what it needs from the objective, its Keras counterpart and its chapter; and its name
into ``__all__`` here.
"""

from __future__ import annotations

from .adaptive import (
    NS_COEFFICIENTS,
    Adadelta,
    AdadeltaState,
    AdaGrad,
    Adam,
    Adamax,
    AdamW,
    AMSGradState,
    Lion,
    Muon,
    Nadam,
    NadamState,
    RMSProp,
    ScheduleFreeAdamW,
    ScheduleFreeState,
    newton_schulz,
    polar_factor,
)
from .core import (
    SAMPLINGS,
    AccumulatorState,
    AdamState,
    EmptyState,
    MomentumState,
    Trajectory,
    batches,
    run,
)
from .first_order import GradientDescent, Momentum, nesterov_convex_momentum
from .second_order import KFAC, KFACState, Newton, NewtonCG, TrustRegion, TrustRegionState

__all__ = [
    "GradientDescent",
    "Momentum",
    "nesterov_convex_momentum",
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
    "NS_COEFFICIENTS",
    "newton_schulz",
    "polar_factor",
    "Newton",
    "TrustRegion",
    "NewtonCG",
    "KFAC",
    "TrustRegionState",
    "KFACState",
    "EmptyState",
    "MomentumState",
    "AccumulatorState",
    "AdamState",
    "Trajectory",
    "SAMPLINGS",
    "batches",
    "run",
]
