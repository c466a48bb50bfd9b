"""Convergence-rate experiments: gradient descent on quadratics against its rate bound (chapter 05).

On a quadratic with eigenvalues in [μ, L] and κ = L/μ, gradient descent with α = 2/(L + μ) contracts
the error by q = (κ − 1)/(κ + 1) per step, so h(θ_k) − h* <= (L/2) q^{2k} ‖θ_0 − θ*‖² (chapter 05,
with the proof). :func:`gd_rate_run` runs that experiment on a random quadratic with a chosen κ;
chapter 06 compares momentum's √κ rate with it.

Layer: algorithms (uses :mod:`course_lib.objectives`, :mod:`course_lib.optimizers`, and the bound's
formula from :func:`course_lib.rates.strongly_convex_bound`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.objectives import Quadratic
from course_lib.optimizers import GradientDescent, Trajectory, run
from course_lib.rates import strongly_convex_bound
from course_lib.validation import check_scalar, check_seed

__all__ = ["RateRun", "gd_rate_run"]


class RateRun(NamedTuple):
    """What :func:`gd_rate_run` returns (unpacks as ``quad, traj, bound``).

    objective : the :class:`~course_lib.objectives.Quadratic`;
    trajectory : the :class:`~course_lib.optimizers.Trajectory` of gradient descent;
    bound : array (steps + 1,), (L/2) q^{2k} ‖θ_0 − θ*‖² for k = 0 ... steps.
    """

    objective: Quadratic
    trajectory: Trajectory
    bound: np.ndarray


def gd_rate_run(kappa, steps, seed, dim=10):
    """Gradient descent at α = 2/(L + μ) on a random quadratic with condition number κ, and its bound.

    Args:
        kappa: κ >= 1; the eigenvalues are ``dim`` values spaced geometrically from 1/κ to 1
            (so L = 1, μ = 1/κ), with random eigenvectors (:meth:`Quadratic.with_eigenvalues`).
        steps: an integer >= 0.
        seed: int >= 0; one ``numpy.random.default_rng(seed)`` draws the eigenvectors, then θ_0
            (standard normal); θ* = 0, h* = 0.
        dim: n = 10; an integer >= 1.

    Returns a :class:`RateRun` ``(objective, trajectory, bound)`` with
    bound_k = (L/2) q^{2k} ‖θ_0 − θ*‖², q = (κ − 1)/(κ + 1), which h(θ_k) − h* never exceeds.
    Chapter 05 (the rate, and iterations growing linearly in κ).
    """
    kappa = check_scalar("kappa", kappa, low=1)
    steps = check_scalar("steps", steps, low=0, integer=True)
    dim = check_scalar("dim", dim, low=1, integer=True)
    rng = np.random.default_rng(check_seed(seed))
    quad = Quadratic.with_eigenvalues(np.geomspace(1.0 / kappa, 1.0, dim), rng)
    theta0 = rng.standard_normal(dim)
    trajectory = run(GradientDescent(learning_rate=2.0 / (quad.L + quad.mu)), quad, theta0, steps=steps)
    error0 = theta0 - quad.minimizer
    bound = strongly_convex_bound(quad.L, quad.mu, float(error0 @ error0), np.arange(steps + 1))
    return RateRun(quad, trajectory, bound)
