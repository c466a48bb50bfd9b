"""Convergence experiments: gradient descent against the bounds of :mod:`course_lib.rates` (chapter 05).

* :func:`gd_rate_run`, :func:`iterations_to_reduce` -- the linear rate on random quadratics, and the
  steps it takes as κ grows;
* :func:`huber_worst_case`, :func:`quadratic_worst_case` -- the hardest convex instances for k steps
  at α = 1/L (:class:`Huber` attains L R²/(4k + 2) exactly, Drori & Teboulle 2014);
* :func:`gradient_bound_check` -- the non-convex guarantee min_j ‖∇h(θ_j)‖² <= 2L(h(θ₀) − h*)/k
  along GD runs from many starts;
* :func:`sharpness_along_gd` -- the top Hessian eigenvalue along a GD run (edge of stability).

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

from course_lib.curvature import top_eigenvalue
from course_lib.objectives import Objective, Quadratic
from course_lib.optimizers import GradientDescent, Trajectory, run
from course_lib.rates import gradient_bound, strongly_convex_bound
from course_lib.validation import check_scalar, check_seed

__all__ = [
    "RateRun",
    "gd_rate_run",
    "iterations_to_reduce",
    "Huber",
    "WorstCase",
    "huber_worst_case",
    "quadratic_worst_case",
    "GradientBoundCheck",
    "gradient_bound_check",
    "SharpnessRun",
    "sharpness_along_gd",
    "EdgeFacts",
    "edge_of_stability_facts",
    "WindowFacts",
    "edge_window_facts",
]


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


# --------------------------------------------------------------------------------------------------
# The convex worst case (section 8)
# --------------------------------------------------------------------------------------------------
class Huber(Objective):
    r"""h(θ) = L θ²/2 for |θ| <= τ, L τ |θ| − L τ²/2 beyond (1-D): convex, L-smooth, h* = h(0) = 0.

    ∇h = L θ inside the band |θ| <= τ and L τ sign(θ) outside; ∇²h = L inside, 0 outside. Outside the
    band a GD step of size 1/L moves θ by exactly τ towards 0. Chapter 05 (the worst case of GD).
    """

    dim = 1

    def __init__(self, L=1.0, width=1.0):
        self.L = check_scalar("L", L, low=0, low_open=True)
        self.width = check_scalar("width", width, low=0, low_open=True)
        self.minimizer = np.zeros(1)
        self.min_value = 0.0

    def value(self, theta):
        t = np.abs(self._theta(theta)[..., 0])
        return np.where(t <= self.width, 0.5 * self.L * t * t, self.L * self.width * (t - 0.5 * self.width))

    def grad(self, theta):
        theta = self._theta(theta)
        return self.L * np.clip(theta, -self.width, self.width)

    def hessian(self, theta):
        theta = self._theta(theta)
        return np.where(np.abs(theta) <= self.width, self.L, 0.0)[..., None]

    def __repr__(self):
        return f"Huber(L={self.L:g}, width={self.width:g})"


class WorstCase(NamedTuple):
    """A hard instance for k GD steps at α = 1/L: ``objective``, start ``theta0`` (‖θ₀ − θ*‖ = R)."""

    objective: Objective
    theta0: np.ndarray


def huber_worst_case(k, L=1.0, R=1.0):
    """Drori and Teboulle's (2014) worst case for k GD steps at α = 1/L: :class:`Huber` with τ = R/(2k + 1).

    From θ₀ = R every step stays outside the band and moves by τ, so θ_k = (k + 1)R/(2k + 1) and
    h(θ_k) − h* = L τ (θ_k − τ/2) = L R²/(4k + 2), equal to :func:`course_lib.rates.convex_tight_bound`.
    Chapter 05, section 8.
    """
    k = check_scalar("k", k, low=0, integer=True)
    L = check_scalar("L", L, low=0, low_open=True)
    R = check_scalar("R", R, low=0, low_open=True)
    return WorstCase(Huber(L=L, width=R / (2 * k + 1)), np.array([R]))


def quadratic_worst_case(k, L=1.0, R=1.0):
    """The worst quadratic for k GD steps at α = 1/L: curvature λ = L/(2k + 1), start θ₀ = R (1-D).

    h(θ_k) − h* = (λ/2)(1 − λ/L)^{2k} R², maximal over λ ∈ (0, L] at λ = L/(2k + 1); for large k it is
    ≈ L R²/(4e k), a fraction 1/e of the worst case over all convex functions. Chapter 05, section 8.
    """
    k = check_scalar("k", k, low=0, integer=True)
    L = check_scalar("L", L, low=0, low_open=True)
    R = check_scalar("R", R, low=0, low_open=True)
    return WorstCase(Quadratic([[L / (2 * k + 1)]]), np.array([R]))


# --------------------------------------------------------------------------------------------------
# Iterations against κ (section 5) and the non-convex guarantee (section 8)
# --------------------------------------------------------------------------------------------------
def iterations_to_reduce(kappas, reduction=1e6, seed=7):
    """Steps GD (α = 2/(L + μ)) needs to reduce h − h* by ``reduction``, measured and guaranteed.

    For each κ, :func:`gd_rate_run` (dim 10, ``seed``) runs 1.2 (κ/4) log(10³ reduction) steps.
    Returns ``(needed, guaranteed)``, int arrays: the first k with h(θ_k) − h* <= (h(θ₀) − h*)/reduction,
    and the first k at which the rate bound (L/2) q^{2k} ‖θ₀ − θ*‖² is that small. Chapter 05, section 5.
    """
    reduction = check_scalar("reduction", reduction, low=1, low_open=True)
    needed, guaranteed = [], []
    for kappa in np.atleast_1d(np.asarray(kappas, dtype=float)):
        steps = int(1.2 * kappa / 4 * np.log(1e3 * reduction))
        quad, traj, bound = gd_rate_run(kappa, steps=steps, seed=seed)
        gap = traj.values - quad.min_value
        target = gap[0] / reduction
        if not (gap[-1] <= target and bound[-1] <= target):
            raise ValueError(f"kappas: {steps} steps are not enough for kappa = {kappa:g}")
        needed.append(int(np.argmax(gap <= target)))
        guaranteed.append(int(np.argmax(bound <= target)))
    return np.array(needed), np.array(guaranteed)


class GradientBoundCheck(NamedTuple):
    """What :func:`gradient_bound_check` returns.

    ratios : (starts, steps), min_{j<k} ‖∇h(θ_j)‖² divided by the bound 2L(h(θ₀) − h*)/k, k = 1 ... steps;
    best : (starts, steps), min_{j<k} ‖∇h(θ_j)‖²;  bounds : (starts, steps), the bound;
    trajectories : list of :class:`~course_lib.optimizers.Trajectory`;  ends : (starts, n), θ_K.
    """

    ratios: np.ndarray
    best: np.ndarray
    bounds: np.ndarray
    trajectories: list
    ends: np.ndarray


def gradient_bound_check(objective, starts, steps):
    """GD at α = 1/L from each start, against min_{j<k} ‖∇h(θ_j)‖² <= 2L(h(θ₀) − h*)/k.

    ``objective`` needs ``L`` and ``min_value`` (e.g. :class:`~course_lib.objectives.WavyBowl`);
    ``starts`` (S, n); ``steps`` K >= 1. Returns a :class:`GradientBoundCheck`. Chapter 05, section 8.
    """
    steps = check_scalar("steps", steps, low=1, integer=True)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    gd = GradientDescent(learning_rate=1.0 / objective.L)
    ks = np.arange(1, steps + 1)
    trajectories = [run(gd, objective, start, steps=steps) for start in starts]
    best = np.array([np.minimum.accumulate(np.sum(objective.grad(t.thetas[:-1]) ** 2, axis=-1)) for t in trajectories])
    bounds = np.array([gradient_bound(objective.L, t.values[0] - objective.min_value, ks) for t in trajectories])
    ends = np.array([t.thetas[-1] for t in trajectories])
    return GradientBoundCheck(best / bounds, best, bounds, trajectories, ends)


# --------------------------------------------------------------------------------------------------
# The top Hessian eigenvalue along GD: progressive sharpening and the edge of stability (section 12)
# --------------------------------------------------------------------------------------------------
class SharpnessRun(NamedTuple):
    """What :func:`sharpness_along_gd` returns.

    values : (steps + 1,), h(θ_k) for every k;  ks : the sampled steps (0, every, 2·every, ...);
    sharpness : λ_max(∇²h(θ_k)) at those steps;  learning_rate : α (the edge is 2/α);
    thetas : the iterates θ_k at those steps, shape (len(ks), n) (``None`` when not recorded).
    """

    values: np.ndarray
    ks: np.ndarray
    sharpness: np.ndarray
    learning_rate: float
    thetas: np.ndarray | None = None


def sharpness_along_gd(objective, theta0, learning_rate, steps, every=1, at=None, eigensolver=None):
    """Full-batch GD on ``objective`` and λ_max of its Hessian at every ``every``-th iterate (or at ``at``).

    ``objective`` has ``value``, ``grad`` (or ``value_and_grad``), ``dim`` and ``hvp(theta, v)`` (the
    exact Hessian-vector product); GD is θ_{k+1} = θ_k − α ∇h(θ_k), as
    :class:`~course_lib.optimizers.GradientDescent`. λ_max comes from ``eigensolver(hvp, dim, v0)``
    -> (λ, eigenvector) (Lanczos; default :func:`_lanczos_top`), warm-started at the previous
    eigenvector. ``at`` (optional): the steps to sample, integers in [0, steps], instead of 0, every,
    2·every, ... Returns a :class:`SharpnessRun`, with the sampled iterates.
    Chapter 05, section 12 (progressive sharpening, Cohen et al. 2021).
    """
    learning_rate = check_scalar("learning_rate", learning_rate, low=0, low_open=True)
    steps = check_scalar("steps", steps, low=1, integer=True)
    every = check_scalar("every", every, low=1, integer=True)
    if at is None:
        ks = np.arange(0, steps + 1, every)
    else:
        ks = np.unique(np.asarray(at))
        if ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or ks[0] < 0 or ks[-1] > steps:
            raise ValueError(f"at must hold integer steps in [0, {steps}], got {at!r}")
    eigensolver = _lanczos_top if eigensolver is None else eigensolver
    value_and_grad = getattr(objective, "value_and_grad", None)
    if value_and_grad is None:  # one pass for both when the objective offers it

        def value_and_grad(theta):
            return objective.value(theta), objective.grad(theta)

    theta = np.array(theta0, dtype=float)
    values, sampled = np.empty(steps + 1), {}
    wanted = set(ks.tolist())
    for k in range(steps + 1):
        value, gradient = value_and_grad(theta)
        values[k] = value
        if not np.isfinite(value) or abs(value) > 1e12:
            raise ValueError(f"learning_rate: GD diverged at learning_rate = {learning_rate:g}")
        if k in wanted:
            sampled[k] = theta.copy()
        theta = theta - learning_rate * gradient
    vector, sharpness = np.ones(objective.dim), []
    for k in ks:
        value, vector = eigensolver(lambda v, t=sampled[k]: objective.hvp(t, v), objective.dim, vector)
        sharpness.append(value)
    return SharpnessRun(values, ks, np.array(sharpness), learning_rate, np.array([sampled[k] for k in ks]))


def _lanczos_top(hvp, dim, v0):
    """(λ_max, eigenvector) of the symmetric operator v -> hvp(v): :func:`course_lib.curvature.top_eigenvalue`.

    Lanczos (scipy's ``eigsh``) to relative tolerance 1e-6 with a Krylov space of 10 vectors, which
    halves the Hessian-vector products per call against scipy's default of 20 for P = 310. The
    tolerance bounds the residual; the Ritz value's error is of its square, so λ_max comes out to
    about 1e-12 (checked against ``eigvalsh`` of the full Hessian in chapter 05 and the tests).
    """
    return top_eigenvalue(hvp, dim, v0, tol=1e-6, ncv=min(10, dim), return_vector=True)


class EdgeFacts(NamedTuple):
    """Summary of a :class:`SharpnessRun`, sharpness in units of 2/α (see :func:`edge_of_stability_facts`)."""

    first_at_edge: int
    peak_median: float
    late_median: float
    late_max: float
    loss_increases: int
    late_loss_drop: float


def edge_of_stability_facts(result, window=250, late=1000, every=None):
    """What a :class:`SharpnessRun` shows, with λ_max measured in units of the edge 2/α.

    * ``first_at_edge`` -- the first sampled k with λ_max >= 2/α (``-1`` if never);
    * ``peak_median`` -- the largest median of λ_max over consecutive windows of ``window`` steps;
    * ``late_median``, ``late_max`` -- median and maximum of λ_max over the last ``late`` steps;
    * ``loss_increases`` -- the number of steps with h(θ_{k+1}) > h(θ_k);
    * ``late_loss_drop`` -- h at the start of the last ``late`` steps minus h at the end.

    ``every`` (optional) uses only the samples at multiples of ``every`` (a run sampled on a regular
    grid plus a dense window). Chapter 05, section 12.
    """
    window = check_scalar("window", window, low=1, integer=True)
    late = check_scalar("late", late, low=1, integer=True)
    ks, ratio = np.asarray(result.ks), np.asarray(result.sharpness) * result.learning_rate / 2.0
    if every is not None:
        keep = ks % check_scalar("every", every, low=1, integer=True) == 0
        ks, ratio = ks[keep], ratio[keep]
    steps = len(result.values) - 1
    if late > steps:
        raise ValueError(f"late must be at most the number of steps ({steps}), got {late}")
    at_edge = np.flatnonzero(ratio >= 1.0)
    starts = np.arange(0, steps, window)
    medians = [np.median(ratio[(ks >= s) & (ks < s + window)]) for s in starts if np.any((ks >= s) & (ks < s + window))]
    tail = ratio[ks >= steps - late]
    return EdgeFacts(
        first_at_edge=int(ks[at_edge[0]]) if at_edge.size else -1,
        peak_median=float(np.max(medians)),
        late_median=float(np.median(tail)),
        late_max=float(np.max(tail)),
        loss_increases=int(np.sum(np.diff(result.values) > 0)),
        late_loss_drop=float(result.values[steps - late] - result.values[-1]),
    )


class WindowFacts(NamedTuple):
    """λ_max at every step of a window, in units of 2/α (see :func:`edge_window_facts`)."""

    floor: float
    median: float
    above: float
    peak: float
    period2_gap: float
    spikes: int
    rise_at_spikes: float
    rise_elsewhere: float


def edge_window_facts(result, start, stop, above=1.05, spike=2.0):
    """What a :class:`SharpnessRun` sampled at *every* step ``start <= k < stop`` shows there.

    With r_k = λ_max(θ_k) / (2/α):

    * ``floor``, ``median``, ``peak`` -- min, median and max of r_k over the window;
    * ``above`` -- the fraction of steps with r_k > ``above``;
    * ``period2_gap`` -- max_k |r_{k+2} − r_k|, small for a two-step cycle;
    * ``spikes`` -- the number of steps with r_k > ``spike``;
    * ``rise_at_spikes``, ``rise_elsewhere`` -- the fraction of those steps, and of the others, after
      which the loss rose, h(θ_{k+1}) > h(θ_k) (``nan`` for an empty set).

    Raises ``ValueError`` unless every step of the window was sampled. Chapter 05, section 12.
    """
    start = check_scalar("start", start, low=0, integer=True)
    stop = check_scalar("stop", stop, low=start + 3, integer=True)
    ks = np.asarray(result.ks)
    window = np.arange(start, stop)
    if stop > len(result.values) - 1 or not np.all(np.isin(window, ks)):
        raise ValueError(f"the run must be sampled at every step of [{start}, {stop}) and go beyond it")
    ratio = np.asarray(result.sharpness)[np.searchsorted(ks, window)] * result.learning_rate / 2.0
    values = np.asarray(result.values)
    rose = values[window + 1] > values[window]
    high = ratio > spike

    def fraction(mask):
        return float(np.mean(rose[mask])) if np.any(mask) else float("nan")

    return WindowFacts(
        floor=float(ratio.min()),
        median=float(np.median(ratio)),
        above=float(np.mean(ratio > above)),
        peak=float(ratio.max()),
        period2_gap=float(np.max(np.abs(ratio[2:] - ratio[:-2]))),
        spikes=int(np.sum(high)),
        rise_at_spikes=fraction(high),
        rise_elsewhere=fraction(~high),
    )
