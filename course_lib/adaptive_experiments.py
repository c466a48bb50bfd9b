"""The experiments of chapter 09 (adaptive methods), as functions the chapter calls.

* :func:`moment_estimates` -- Adam's raw and bias-corrected moments of a gradient sequence;
* :func:`steps_to_reduce` / :func:`rotation_experiment` -- per-coordinate scaling on an axis-aligned
  quadratic and on the same quadratic rotated (adaptive methods are not rotation invariant);
* :func:`box_minimizer` -- min h(θ) subject to ‖θ‖_∞ ≤ r, where full-batch AdamW ends (Xie and Li, 2024);
* :func:`ns_singular_values` -- what Muon's Newton-Schulz iteration does to each singular value;
* :func:`compare_optimizers` -- Keras's optimizers on a network on digits, each at its best rate from
  its own grid, over paired seeds: epochs to a fixed validation accuracy and final test accuracy.

Layer: algorithms (uses :mod:`course_lib.optimizers`, :mod:`course_lib.networks`,
:mod:`course_lib.experiments`, :mod:`course_lib.objectives`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import experiments, networks, objectives, optimizers
from course_lib.validation import check_positive, check_scalar, check_unit

__all__ = [
    "Moments",
    "moment_estimates",
    "steps_to_reduce",
    "RotationResult",
    "rotation_experiment",
    "box_minimizer",
    "ns_singular_values",
    "Arm",
    "ComparisonArm",
    "compare_optimizers",
    "summary_lines",
]


class Moments(NamedTuple):
    """m, v: Adam's running means (rows t = 1 ... T); m_hat, v_hat: divided by 1 − β₁ᵗ, 1 − β₂ᵗ;
    ratio: the uncorrected step m/√v divided by the corrected m̂/√v̂ (= (1 − β₁ᵗ)/√(1 − β₂ᵗ))."""

    m: np.ndarray
    v: np.ndarray
    m_hat: np.ndarray
    v_hat: np.ndarray
    ratio: np.ndarray


def moment_estimates(gradients, beta1=0.9, beta2=0.999):
    """Adam's moments of a gradient sequence g_1 ... g_T (array (T,) or (T, n)), m₀ = v₀ = 0:
    m_t = β₁m_{t−1} + (1 − β₁)g_t, v_t = β₂v_{t−1} + (1 − β₂)g_t², m̂_t = m_t/(1 − β₁ᵗ), v̂_t = v_t/(1 − β₂ᵗ).

    For a constant gradient g, m_t = (1 − β₁ᵗ)g and v_t = (1 − β₂ᵗ)g²: the raw averages are biased
    toward their zero start, the corrected ones equal g and g² exactly. Chapter 09.
    """
    g = np.asarray(gradients, dtype=np.float64)
    if g.ndim not in (1, 2) or g.shape[0] < 1 or not np.all(np.isfinite(g)):
        raise ValueError(f"gradients must be a finite array of shape (T,) or (T, n), got shape {g.shape}")
    beta1, beta2 = check_unit("beta1", beta1), check_unit("beta2", beta2)
    m, v = np.zeros_like(g), np.zeros_like(g)
    m_prev, v_prev = np.zeros_like(g[0]), np.zeros_like(g[0])
    for t in range(g.shape[0]):
        m[t] = m_prev = beta1 * m_prev + (1.0 - beta1) * g[t]
        v[t] = v_prev = beta2 * v_prev + (1.0 - beta2) * g[t] ** 2
    t = np.arange(1, g.shape[0] + 1).reshape((-1,) + (1,) * (g.ndim - 1))
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
    return Moments(m, v, m / c1, v / c2, np.broadcast_to(c1 / np.sqrt(c2), g.shape).copy())


def steps_to_reduce(optimizer, objective, theta0, steps, reduction=1e-6):
    """The first step k from which h(θ_j) − h* <= reduction · (h(θ₀) − h*) for every j in k..``steps``,
    or ``inf`` if the run ends above that level (or diverged).

    "Stays below", not "first reaches": a constant-rate method that jitters (RMSProp, Adam) may cross
    the level early by luck and rise above it again; that crossing is not counted."""
    reduction = check_scalar("reduction", reduction, low=0, high=1, low_open=True, high_open=True)
    run = optimizers.run(optimizer, objective, theta0, steps)
    gap = run.values - objective.min_value
    above = np.flatnonzero(~(gap <= reduction * gap[0]))  # nan counts as above
    if run.diverged or above[-1] == gap.size - 1:
        return np.inf
    return float(run.ks[above[-1] + 1])


class RotationResult(NamedTuple):
    """steps[method][problem]: (seeds,) best steps to the reduction over the rate grid;
    rates[method][problem]: (seeds,) the best rate; problems: ("aligned", "rotated");
    counts[method][problem]: (seeds, rates) the step count at every rate of the grid."""

    steps: dict
    rates: dict
    problems: tuple
    counts: dict


def rotation_experiment(methods, eigenvalues, rates, seeds, steps=2000, reduction=1e-6):
    """Each method's best step count (over ``rates``) on an axis-aligned quadratic and on the same one rotated.

    For each seed: the quadratic A = diag(``eigenvalues``) (axis-aligned, minimizer 0) and
    A' = QAQᵀ with a Haar-random rotation Q, started at θ₀ and Qθ₀ (θ₀ standard normal), so every
    rotation-invariant method (GD, momentum, Newton) follows the same path up to the rotation.
    ``methods`` maps a name to a function rate -> optimizer (e.g. ``functools.partial(optimizers.Adam,
    beta2=0.99)``); each method gets its best rate from the same grid on each problem.
    Returns a :class:`RotationResult`. Chapter 09.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    if eigenvalues.ndim != 1 or np.any(eigenvalues <= 0):
        raise ValueError("eigenvalues must be a 1-D array of positive numbers")
    rates = np.asarray(rates, dtype=np.float64)
    if rates.ndim != 1 or rates.size == 0 or np.any(rates <= 0):
        raise ValueError(f"rates must be a non-empty 1-D array of positive numbers, got {rates!r}")
    n, seeds = eigenvalues.size, list(seeds)
    out_steps = {name: {"aligned": [], "rotated": []} for name in methods}
    out_rates = {name: {"aligned": [], "rotated": []} for name in methods}
    out_counts = {name: {"aligned": [], "rotated": []} for name in methods}
    aligned = objectives.Quadratic(np.diag(eigenvalues))
    for seed in seeds:
        rng = np.random.default_rng(seed)
        rotated = objectives.Quadratic.with_eigenvalues(eigenvalues, rng)
        Q = np.linalg.eigh(rotated.A)[1]  # columns: eigenvectors for the ascending eigenvalues
        order = np.argsort(eigenvalues)
        theta0 = rng.standard_normal(n)
        starts = {"aligned": (aligned, theta0), "rotated": (rotated, Q @ theta0[order])}
        for name, make in methods.items():
            for problem, (f, start) in starts.items():
                counts = [steps_to_reduce(make(r), f, start, steps, reduction) for r in rates]
                best = int(np.argmin(counts))
                out_steps[name][problem].append(counts[best])
                out_rates[name][problem].append(rates[best])
                out_counts[name][problem].append(counts)
    as_arrays = lambda d: {k: {p: np.array(v) for p, v in d[k].items()} for k in d}  # noqa: E731
    return RotationResult(as_arrays(out_steps), as_arrays(out_rates), ("aligned", "rotated"), as_arrays(out_counts))


def box_minimizer(quadratic, radius, steps=20_000):
    """argmin h(θ) subject to ‖θ‖_∞ <= ``radius``, by projected gradient descent θ ← clip(θ − ∇h(θ)/L).

    Xie and Li (2024): full-batch AdamW with weight decay λ converges to such a point with radius 1/λ
    (the decay is not divided by √v̂, so at equilibrium g = −λ(√v̂ + ε)θ, and √v̂ → |g|). Chapter 09.
    """
    radius = check_positive("radius", radius)
    steps = check_scalar("steps", steps, low=1, integer=True)
    theta = np.zeros(quadratic.dim)
    for _ in range(steps):
        theta = np.clip(theta - quadratic.grad(theta) / quadratic.L, -radius, radius)
    return theta


def ns_singular_values(sigma, steps=5, coefficients=optimizers.NS_COEFFICIENTS):
    """φ(σ): the iterated polynomial p(σ) = aσ + bσ³ + cσ⁵ applied ``steps`` times to singular values σ.

    :func:`course_lib.optimizers.newton_schulz` maps G = UΣVᵀ to U φ(Σ/‖G‖_F) Vᵀ. Chapter 09.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    steps = check_scalar("steps", steps, low=0, integer=True)
    a, b, c = (float(x) for x in coefficients)
    for _ in range(steps):
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    return sigma


class Arm(NamedTuple):
    """One method of :func:`compare_optimizers`: a Keras optimizer name of :data:`networks.OPTIMIZERS`,
    its options (Keras's keyword names) and its learning-rate grid."""

    optimizer: str
    options: dict
    rates: tuple


class ComparisonArm(NamedTuple):
    """One method's result: the chosen ``rate`` (index ``rate_index`` of its grid); per seed at that
    rate, ``epochs_to_target`` (inf = not reached), ``final_test_accuracy``, the curves
    ``val_accuracy`` (seeds, epochs + 1); ``reached`` the fraction of seeds that reached the target;
    ``val_accuracy_by_rate`` (rates,) mean final validation accuracy of every rate of the grid."""

    rate: float
    rate_index: int
    epochs_to_target: np.ndarray
    final_test_accuracy: np.ndarray
    val_accuracy: np.ndarray
    reached: float
    val_accuracy_by_rate: np.ndarray


def compare_optimizers(
    data, sizes, arms, seeds, *, target, epochs=25, batch_size=32, validation=0.2, activation="relu"
):
    """Train every arm's grid of rates on the same seeds with :func:`networks.sweep` (one sweep per arm).

    Each arm's rate is the one with the lowest final validation loss averaged over the seeds
    (:func:`networks.best_rates`); at that rate, per seed, the first epoch whose validation accuracy is
    >= ``target`` (fixed in advance; inf if never within ``epochs``) and the final test accuracy. The
    same seed gives the same initial network and mini-batch order in every arm (a paired design).
    Returns {name: :class:`ComparisonArm`}. Chapter 09.
    """
    target = check_scalar("target", target, low=0, high=1, low_open=True)
    out = {}
    for name, arm in arms.items():
        result = networks.sweep(
            data,
            sizes,
            learning_rates=arm.rates,
            seeds=seeds,
            activations=(activation,),
            epochs=epochs,
            batch_size=batch_size,
            optimizer=arm.optimizer,
            optimizer_options=arm.options,
            validation=validation,
        )
        r = int(networks.best_rates(result, "val_loss")[0])
        val = result.val_accuracy[0, :, r, :]  # (S, T)
        reached = val >= target
        first = np.where(reached.any(axis=1), result.epochs[np.argmax(reached, axis=1)], np.inf)
        out[name] = ComparisonArm(
            rate=float(result.learning_rates[r]),
            rate_index=r,
            epochs_to_target=first.astype(np.float64),
            final_test_accuracy=result.test_accuracy[0, :, r, -1],
            val_accuracy=val,
            reached=float(reached.any(axis=1).mean()),
            val_accuracy_by_rate=np.nanmean(result.val_accuracy[0, :, :, -1], axis=0),
        )
    return out


def summary_lines(results, reference="Adam"):
    """One printable line per arm: rate, epochs to target and final test accuracy (mean ± sample std),
    and the paired difference of the final test accuracy from ``reference``."""
    lines = []
    for name, arm in results.items():
        acc = experiments.summarize(arm.final_test_accuracy)
        finite = np.isfinite(arm.epochs_to_target).all()
        epochs = experiments.pm(experiments.summarize(arm.epochs_to_target), 1) if finite else "not all"
        line = f"{name:15s} rate {arm.rate:.2g}  epochs to target {epochs:>11s}  test acc {experiments.pm(acc)}"
        if name != reference:
            d = experiments.paired(arm.final_test_accuracy, results[reference].final_test_accuracy)
            line += f"  vs {reference}: {d.mean:+.3f} ± {d.std:.3f}" + ("" if d.distinguishable else " (n.d.)")
        lines.append(line)
    return lines
