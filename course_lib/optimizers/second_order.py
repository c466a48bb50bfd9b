"""Second-order optimizers: steps through the Hessian or a curvature matrix that models it. Chapter 07.

* :class:`Newton` -- damped Newton, θ ← θ − α(H + λI)⁻¹∇h (dense Hessian);
* :class:`TrustRegion` -- the step minimizing the quadratic model in a ball, by the secular equation;
* :class:`NewtonCG` -- Hessian-free: (C + λI)d = −∇h by conjugate gradients on products Cv (Hessian or GGN);
* :class:`KFAC` -- Kronecker-factored natural gradient with momentum for NumPy networks.

The curvature pieces (trust-region step, GGN products, K-FAC factors and solves) are in
:mod:`course_lib.curvature`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from course_lib import curvature
from course_lib.validation import (
    check_positive,
    check_rate,
    check_scalar,
    check_seed,
    check_unit,
    set_validated,
)

from .core import EmptyState, rate

__all__ = ["Newton", "TrustRegion", "TrustRegionState", "NewtonCG", "KFAC", "KFACState"]


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


class TrustRegionState(NamedTuple):
    """:class:`TrustRegion`'s state: the current radius r_k and the step index."""

    radius: float
    count: int = 0


@dataclass(frozen=True)
class TrustRegion:
    """Trust region: θ ← θ + d if ρ > η, with d = argmin_{‖d‖ <= r_k} gᵀd + ½ dᵀHd, ρ = actual / predicted decrease.

    The step solves the secular equation (:func:`course_lib.curvature.trust_region_step`): d = −(H + λI)⁻¹g
    with the λ >= max(0, −λ_min) that makes ‖d‖ = r_k (or λ = 0 inside the ball), so it is a damped
    Newton step whose damping is set by the radius. The radius follows Nocedal and Wright (2006),
    Algorithm 4.1: ρ < ¼ shrinks it to r/4; ρ > ¾ with ‖d‖ = r doubles it (at most ``max_radius``).

    Args:
        radius: r₀ = 1.0; > 0.
        max_radius: r_max = 100.0; > 0.
        eta: η = 0.1; in [0, ¼), the acceptance threshold.

    Needs from the objective: ``value(θ)``, ``grad(θ)``, ``hessian(θ)``.

    Keras: no counterpart (``scipy.optimize.minimize(method="trust-exact")`` is one). Chapter 07.
    """

    radius: float = 1.0
    max_radius: float = 100.0
    eta: float = 0.1

    def __post_init__(self):
        set_validated(
            self,
            radius=check_positive("radius", self.radius),
            max_radius=check_positive("max_radius", self.max_radius),
            eta=check_scalar("eta", self.eta, low=0, high=0.25, high_open=True),
        )

    def init(self, theta):
        return TrustRegionState(float(self.radius), 0)

    def update(self, theta, state, objective):
        g, H, r = objective.grad(theta), objective.hessian(theta), state.radius
        d = curvature.trust_region_step(H, g, r).d
        predicted = -(g @ d + 0.5 * d @ H @ d)
        actual = objective.value(theta) - objective.value(theta + d)
        rho = actual / predicted if predicted > 0 else -np.inf
        if rho < 0.25:
            r = 0.25 * r
        elif rho > 0.75 and np.linalg.norm(d) >= 0.999 * r:
            r = min(2.0 * r, self.max_radius)
        new_theta = theta + d if rho > self.eta else theta
        return new_theta, TrustRegionState(float(r), state.count + 1)


_CURVATURES = ("hessian", "ggn")


@dataclass(frozen=True)
class NewtonCG:
    """Newton-CG (Hessian-free): θ ← θ + α_k d, with (C + λI) d = −∇h(θ) solved by conjugate gradients.

    C is the Hessian (products ``objective.hvp(θ, v)``) or the generalized Gauss-Newton matrix of a
    NumPy network (:func:`course_lib.curvature.ggn_vector_product`); CG needs only products C v, never the
    n × n matrix (Martens 2010). CG stops at relative residual ``cg_tol``, after ``cg_max_iter`` steps, or
    at a direction of non-positive curvature (an indefinite Hessian; the iterate so far is used, and at
    the first step that is d = 0, so use λ > −λ_min or the GGN).

    Args:
        learning_rate: α = 1.0; a float >= 0, or a schedule k -> α_k.
        damping: λ = 1e-3; >= 0.
        curvature: ``"hessian"`` (default) or ``"ggn"``.
        cg_tol: 1e-10; >= 0.  cg_max_iter: None (CG's default 10 n) or an integer >= 1.

    Needs from the objective: ``grad(θ)``; ``hvp(θ, v)`` for the Hessian; for the GGN a
    :class:`course_lib.networks.Objective` (``like``, ``x``, ``loss``).

    Keras: no counterpart. Chapter 07.
    """

    learning_rate: Any = 1.0
    damping: float = 1e-3
    curvature: str = "hessian"
    cg_tol: float = 1e-10
    cg_max_iter: Any = None

    def __post_init__(self):
        if self.curvature not in _CURVATURES:
            raise ValueError(f"curvature must be one of {_CURVATURES}, got {self.curvature!r}")
        max_iter = self.cg_max_iter
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            damping=check_scalar("damping", self.damping, low=0),
            cg_tol=check_scalar("cg_tol", self.cg_tol, low=0),
            cg_max_iter=None if max_iter is None else check_scalar("cg_max_iter", max_iter, low=1, integer=True),
        )

    def init(self, theta):
        return EmptyState(0)

    def update(self, theta, state, objective):
        if self.curvature == "ggn":
            net = _network(objective, theta)
            product = lambda v: curvature.ggn_vector_product(net, objective.x, v, objective.loss)  # noqa: E731
        else:
            product = lambda v: objective.hvp(theta, v)  # noqa: E731
        matvec = lambda v: product(v) + self.damping * v  # noqa: E731
        d = curvature.conjugate_gradient(matvec, -objective.grad(theta), self.cg_tol, self.cg_max_iter)
        return theta + rate(self.learning_rate, state.count) * d, EmptyState(state.count + 1)


def _network(objective, theta):
    """The network of a :class:`course_lib.networks.Objective` at θ (its ``like`` with parameters θ)."""
    like = getattr(objective, "like", None)
    if like is None or not hasattr(objective, "x"):
        raise ValueError(f"objective must be a course_lib.networks.Objective (with like, x), got {objective!r}")
    start, net = 0, []
    for layer in like:
        n_in, n_out = layer.W.shape
        W = theta[start : start + n_in * n_out].reshape(n_in, n_out)
        start += n_in * n_out
        net.append(type(layer)(W, theta[start : start + n_out], layer.activation))
        start += n_out
    return net


class KFACState(NamedTuple):
    """:class:`KFAC`'s state: the step index, the velocity v and the running factors (A_k, G_k) per layer."""

    count: int
    velocity: np.ndarray
    factors: tuple


@dataclass(frozen=True)
class KFAC:
    """K-FAC with momentum: v ← μv − α_k F̂⁻¹∇h(θ); θ ← θ + v, F̂ = diag(A_k ⊗ G_k) + damping.

    Kronecker-factored approximate curvature (Martens and Grosse 2015): layer k's Fisher block is
    approximated by A_k ⊗ G_k (:func:`course_lib.curvature.kfac_statistics`), so F̂⁻¹g costs two small
    solves per layer (:func:`course_lib.curvature.kfac_solve`, factored Tikhonov damping λ). The factors
    are estimated on the step's own mini-batch, with labels sampled from the model (draw k from
    ``numpy.random.default_rng((seed, k))``: the run is a pure function of its arguments), and averaged
    over steps: A ← ε A + (1 − ε) A_batch (the first step takes A_batch). Simplified from the paper: a
    fixed α, μ and λ instead of its quadratic-model choice of α and μ and its Levenberg-Marquardt λ.

    Args:
        learning_rate: α = 0.1; a float >= 0, or a schedule k -> α_k.
        damping: λ = 1e-2; > 0.
        momentum: μ = 0.9; in [0, 1).
        factor_decay: ε = 0.95; in [0, 1) (0: only the current mini-batch).
        seed: 0; the sampled labels' seed.

    Needs from the objective: a softmax cross-entropy :class:`course_lib.networks.Objective` (``like``,
    ``x``, ``y``; ``at(batch)`` for mini-batches).

    Keras: no counterpart (the kfac package for TensorFlow 1 was its reference implementation). Chapter 07.
    """

    learning_rate: Any = 0.1
    damping: float = 1e-2
    momentum: float = 0.9
    factor_decay: float = 0.95
    seed: int = 0

    def __post_init__(self):
        set_validated(
            self,
            learning_rate=check_rate(self.learning_rate),
            damping=check_positive("damping", self.damping),
            momentum=check_unit("momentum", self.momentum),
            factor_decay=check_unit("factor_decay", self.factor_decay),
            seed=check_seed(self.seed),
        )

    def init(self, theta):
        return KFACState(0, np.zeros_like(theta), ())

    def update(self, theta, state, objective):
        if getattr(objective, "loss", None) != "cross_entropy":
            raise ValueError("objective must be a networks.Objective with loss='cross_entropy' for KFAC")
        rng = np.random.default_rng((self.seed, state.count))
        g, batch = curvature.kfac_statistics(_network(objective, theta), objective.x, objective.y, rng=rng)
        eps = self.factor_decay if state.factors else 0.0
        factors = tuple(
            type(new)(eps * old.A + (1 - eps) * new.A, eps * old.G + (1 - eps) * new.G)
            for old, new in zip(state.factors or batch, batch)
        )
        step = curvature.kfac_solve(factors, g, self.damping)
        v = self.momentum * state.velocity - rate(self.learning_rate, state.count) * step
        return theta + v, KFACState(state.count + 1, v, factors)
