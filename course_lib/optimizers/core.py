"""The shared core of :mod:`course_lib.optimizers`: states, the result of a run, mini-batches, the loop."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.validation import check_scalar, check_seed, check_theta

__all__ = [
    "EmptyState",
    "MomentumState",
    "AccumulatorState",
    "AdamState",
    "Trajectory",
    "SAMPLINGS",
    "batches",
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

    thetas : array (R, n), the iterates θ_k at the recorded steps;
    values : array (R,), the full objective h(θ_k) at the same steps;
    diverged : True if the run stopped early because an iterate or value became non-finite or huge
        (the last row is the offending iterate, possibly inf/nan);
    ks : int array (R,), the recorded steps: 0, r, 2r, ... and the last step (r = ``record_every``;
        with r = 1, ks = 0, 1, ..., K and row k is step k).
    """

    thetas: np.ndarray
    values: np.ndarray
    diverged: bool
    ks: np.ndarray


def rate(learning_rate, k):
    """α_k: the schedule at step k, or the constant rate."""
    return learning_rate(k) if callable(learning_rate) else learning_rate


# --------------------------------------------------------------------------------------------------
# Mini-batches: index arrays, a pure function of (seed, k)
# --------------------------------------------------------------------------------------------------
#: The ways :func:`batches` draws step k's mini-batch.
SAMPLINGS = ("independent", "reshuffle", "shuffle_once")


def batches(m, batch_size, steps, *, seed=0, sampling="independent"):
    """The mini-batches of ``steps`` steps over a finite sum of ``m`` examples: an int array (steps, B).

    Row k holds the B = ``batch_size`` distinct example indices that step k sees:

    * ``"independent"`` -- each batch drawn afresh without replacement from
      ``numpy.random.default_rng((seed, k))``: batches are independent and identically distributed,
      the setting of the SGD theory (chapter 08);
    * ``"reshuffle"`` -- epoch e reads a new permutation ``default_rng((seed, e)).permutation(m)`` in
      ⌊m/B⌋ consecutive slices of B (the m mod B left over wait for a later epoch): every example is
      seen once per epoch, as ``keras.Model.fit(shuffle=True)`` does (it keeps a smaller last batch);
    * ``"shuffle_once"`` -- the lectures' "shuffle once, then read sequentially": one permutation
      ``default_rng(seed).permutation(m)`` read cyclically, batch k = its entries kB ... kB + B − 1
      (mod m).

    The same arguments give the same array. Args: ``m`` >= 1; ``batch_size`` in 1..m; ``steps`` >= 0;
    ``seed`` >= 0; ``sampling`` one of :data:`SAMPLINGS`.
    """
    m = check_scalar("m", m, low=1, integer=True)
    batch_size = check_scalar("batch_size", batch_size, low=1, high=m, integer=True)
    steps = check_scalar("steps", steps, low=0, integer=True)
    seed = check_seed(seed)
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    out = np.empty((steps, batch_size), dtype=np.intp)
    if sampling == "independent":
        for k in range(steps):
            out[k] = np.random.default_rng((seed, k)).choice(m, batch_size, replace=False)
    elif sampling == "reshuffle":
        per_epoch = m // batch_size
        for epoch in range(-(-steps // per_epoch)):
            permutation = np.random.default_rng((seed, epoch)).permutation(m)
            first = epoch * per_epoch
            count = min(per_epoch, steps - first)
            out[first : first + count] = permutation[: count * batch_size].reshape(count, batch_size)
    else:
        permutation = np.random.default_rng(seed).permutation(m)
        out[:] = permutation[(np.arange(steps)[:, None] * batch_size + np.arange(batch_size)) % m]
    return out


# --------------------------------------------------------------------------------------------------
# Running an optimizer
# --------------------------------------------------------------------------------------------------
def _step_objectives(objective, steps, batch_size, seed, sampling):
    """k -> the objective step k's update sees: objective.at(batch_k), objective.draw(seed, k), or itself."""
    if isinstance(batch_size, list | tuple | np.ndarray) and np.ndim(batch_size) == 1:
        return _growing_batches(objective, steps, batch_size, seed, sampling)
    if batch_size is not None:
        if not (hasattr(objective, "at") and hasattr(objective, "m")):
            raise ValueError(
                f"objective must be a finite sum (with .at(batch) and .m) to run with batch_size, got {objective!r}"
            )
        m = check_scalar("objective.m", objective.m, low=1, integer=True)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or not 1 <= batch_size <= m:
            raise ValueError(f"batch_size must be an integer in 1..m = 1..{m}, got {batch_size!r}")
        index = batches(m, batch_size, steps, seed=seed, sampling=sampling)
        return lambda k: objective.at(index[k])
    draw = getattr(objective, "draw", None)
    if draw is not None:
        return lambda k: draw(seed, k)
    return lambda k: objective


def _growing_batches(objective, steps, batch_sizes, seed, sampling):
    """k -> objective.at(B_k) with |B_k| = batch_sizes[k], B_k drawn from default_rng((seed, k))."""
    if not (hasattr(objective, "at") and hasattr(objective, "m")):
        raise ValueError(f"objective must be a finite sum (with .at(batch) and .m) for batch sizes, got {objective!r}")
    if sampling != "independent":
        raise ValueError(f"a batch_size per step needs sampling='independent', got {sampling!r}")
    m = check_scalar("objective.m", objective.m, low=1, integer=True)
    sizes = np.asarray(batch_sizes)
    if (
        sizes.shape != (steps,)
        or not np.issubdtype(sizes.dtype, np.integer)
        or (steps and (sizes.min() < 1 or sizes.max() > m))
    ):
        raise ValueError(f"batch_size must be an int or {steps} integers in 1..m = 1..{m}, got {batch_sizes!r}")
    return lambda k: objective.at(np.random.default_rng((seed, k)).choice(m, int(sizes[k]), replace=False))


def run(
    optimizer,
    objective,
    theta0,
    steps=100,
    *,
    batch_size=None,
    seed=0,
    sampling="independent",
    record_every=1,
    divergence_threshold=1e12,
):
    """θ_{k+1}, state_{k+1} = optimizer.update(θ_k, state_k, objective_k) for k = 0 ... steps − 1.

    objective_k is the objective itself (full batch); with ``batch_size`` = B it is
    ``objective.at(batches[k])``, the mean over B distinct examples drawn as :func:`batches` says
    (a pure function of ``seed``, k and ``sampling``); an objective with ``draw(seed, k)``
    (:class:`~course_lib.objectives.NoisyGradient`) gives ``objective.draw(seed, k)``. Everything
    step k's update asks (gradient, Hessian, a look-ahead gradient) goes to objective_k, so the same
    call gives the same run.

    Records θ_k and the full objective h(θ_k) (``objective.value``) at k = 0, r, 2r, ... and at the
    last step (r = ``record_every``; a long run on a large sum need not evaluate h at every step), in a
    :class:`Trajectory` whose ``ks`` says which k. The run stops early with ``diverged=True`` when
    ‖θ_k‖ (checked at every step) or h(θ_k) (at the recorded steps) is non-finite or exceeds
    ``divergence_threshold`` in absolute value; that step is recorded. numpy's overflow warnings are
    silenced inside the loop, so a blow-up is a result, not a warning.

    Args:
        optimizer: any object with ``init(θ)`` and ``update(θ, state, objective)``.
        objective: ``value`` and what the optimizer needs (``grad``; ``hessian`` for Newton); ``at(batch)``
            and ``m`` for ``batch_size``.
        theta0: the start, a finite vector of shape (objective.dim,).
        steps: 100; an integer >= 0 (0 returns just θ₀).
        batch_size: None (full batch), an integer in 1..objective.m, or a sequence of ``steps``
            integers B_0, ..., B_{K−1} (growing batches: step k draws B_k distinct examples from
            ``default_rng((seed, k))``; sampling must be ``"independent"``; chapter 08).
        seed: 0; an integer >= 0, the run's randomness (batches or noise).
        sampling: ``"independent"`` (default), ``"reshuffle"`` or ``"shuffle_once"`` (:data:`SAMPLINGS`).
        record_every: 1; an integer >= 1.
        divergence_threshold: 1e12; > 0.

    Chapters 05-09.
    """
    steps = check_scalar("steps", steps, low=0, integer=True)
    threshold = check_scalar("divergence_threshold", divergence_threshold, low=0, low_open=True)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    seed = check_seed(seed)
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    theta = check_theta(theta0, getattr(objective, "dim", None), name="theta0")
    if theta.ndim != 1 or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta0 must be a finite vector of shape (n,), got {np.asarray(theta0)!r}")
    step_objective = _step_objectives(objective, steps, batch_size, seed, sampling)
    theta = theta.copy()
    recorded = steps // record_every + 1 + (steps % record_every != 0)
    thetas, values = np.empty((recorded, theta.size)), np.empty(recorded)
    ks = np.empty(recorded, dtype=int)
    limit_sq, row = threshold * threshold, 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        state = optimizer.init(theta)
        for k in range(steps + 1):
            if k:
                theta, state = optimizer.update(theta, state, step_objective(k - 1))
            # "not (x <= limit)" is also True for nan
            blown = not float(theta @ theta) <= limit_sq
            if blown or k % record_every == 0 or k == steps:
                value = float(objective.value(theta))
                thetas[row], values[row], ks[row] = theta, value, k
                row += 1
                if blown or not abs(value) <= threshold:
                    return Trajectory(thetas[:row], values[:row], True, ks[:row])
    return Trajectory(thetas, values, False, ks)
