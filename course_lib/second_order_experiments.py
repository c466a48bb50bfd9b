r"""The experiments of chapter 07 (second-order methods): runners that return arrays for the chapter to assert.

* :class:`Reparametrized` -- h̃(φ) = h(Bφ + c), an objective seen through an affine change of variables
  (gradient Bᵀ∇h, Hessian BᵀHB): Newton's iterates map exactly, φ_k = B⁻¹(θ_k − c); gradient descent's do not.
* :func:`damped_newton_paths` -- damped Newton θ ← θ − (H + λI)⁻¹∇h from one start for several λ.
* :func:`compare_optimizers` -- a small MLP on the digits trained by several optimizers (each with its
  grid of learning rates) on the same seeds and mini-batches: training loss against steps and the
  measured seconds per step, test loss and accuracy (the seed's K-FAC vs Adam vs momentum experiment).

The optimizers are :mod:`course_lib.optimizers`'s (``Newton``, ``TrustRegion``, ``NewtonCG``, ``KFAC``,
``Adam``, ``Momentum``); the curvature matrices are in :mod:`course_lib.curvature`. Chapter 07.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from course_lib import losses, networks
from course_lib.optimizers import batches
from course_lib.validation import check_scalar, check_seed

__all__ = ["Reparametrized", "damped_newton_paths", "least_squares_steps", "Comparison", "compare_optimizers"]


class Reparametrized:
    """h̃(φ) = h(Bφ + c) for an objective h with ``value``, ``grad``, ``hessian`` (θ = Bφ + c).

    ∇h̃(φ) = Bᵀ∇h(θ), ∇²h̃(φ) = Bᵀ∇²h(θ)B. For invertible B, Newton's step on h̃ is B⁻¹ times Newton's
    step on h (affine invariance), while the gradient step Bᵀ∇h is not B⁻¹ times −∇h unless BBᵀ = I.
    ``B`` an invertible (n, n) matrix, ``c`` (n,) (default 0). ``minimizer`` is B⁻¹(θ* − c). Chapter 07.
    """

    def __init__(self, objective, B, c=None):
        B = np.asarray(B, dtype=float)
        n = getattr(objective, "dim", None)
        if B.ndim != 2 or B.shape[0] != B.shape[1] or (n is not None and B.shape[0] != n):
            raise ValueError(f"B must be a square matrix of the objective's dimension {n}, got shape {B.shape}")
        if not np.all(np.isfinite(B)) or abs(np.linalg.det(B)) < 1e-300:
            raise ValueError("B must be finite and invertible")
        self.objective, self.B, self.dim = objective, B, B.shape[0]
        self.c = np.zeros(self.dim) if c is None else np.asarray(c, dtype=float).reshape(self.dim)
        theta_star = getattr(objective, "minimizer", None)
        self.minimizer = None if theta_star is None else self.to_phi(theta_star)
        self.min_value = getattr(objective, "min_value", None)

    def to_theta(self, phi):
        """θ = Bφ + c (any leading axes)."""
        return np.asarray(phi, dtype=float) @ self.B.T + self.c

    def to_phi(self, theta):
        """φ = B⁻¹(θ − c) (any leading axes)."""
        return np.linalg.solve(self.B, (np.asarray(theta, dtype=float) - self.c).T).T

    def value(self, phi):
        return self.objective.value(self.to_theta(phi))

    def grad(self, phi):
        return self.objective.grad(self.to_theta(phi)) @ self.B

    def hessian(self, phi):
        return self.B.T @ self.objective.hessian(self.to_theta(phi)) @ self.B


def damped_newton_paths(objective, theta0, dampings, steps=20):
    """Iterates of θ ← θ − (H + λI)⁻¹∇h for each λ in ``dampings``: an array (len(dampings), steps + 1, n).

    A singular H + λI, or a blow-up beyond 1e6, ends that path (the rest is NaN). Chapter 07.
    """
    steps = check_scalar("steps", steps, low=1, integer=True)
    theta0 = np.asarray(theta0, dtype=float)
    dampings = [check_scalar("damping", lam, low=0) for lam in dampings]
    out = np.full((len(dampings), steps + 1, theta0.size), np.nan)
    for i, lam in enumerate(dampings):
        theta = out[i, 0] = theta0
        for k in range(steps):
            H = objective.hessian(theta) + lam * np.eye(theta.size)
            try:
                theta = theta - np.linalg.solve(H, objective.grad(theta))
            except np.linalg.LinAlgError:
                break
            if not np.all(np.abs(theta) < 1e6):
                break
            out[i, k + 1] = theta
    return out


def least_squares_steps(objective, points, damping=0.0):
    """Preconditioned steps of linear least squares h(θ) = (1/2m)‖Xθ − y‖² at each point: (GGN, EF) arrays (N, n).

    GGN (= Fisher of the Gaussian model = the Hessian here): d = −(XᵀX/m)⁻¹∇h(θ), which lands on θ* from
    anywhere. Empirical Fisher: F̃(θ) = (1/m) Σᵢ rᵢ² xᵢxᵢᵀ with residuals rᵢ = xᵢᵀθ − yᵢ (the outer products
    of the per-example gradients xᵢrᵢ), d = −(F̃ + λI)⁻¹∇h(θ) (Kunstner, Balles and Hennig 2019, Figure 1).
    ``objective`` a :class:`course_lib.objectives.LeastSquares`; ``points`` (N, n); ``damping`` λ >= 0.
    Chapter 07.
    """
    damping = check_scalar("damping", damping, low=0)
    X, y = np.asarray(objective.X), np.asarray(objective.y)
    points = np.atleast_2d(np.asarray(points, dtype=float))
    if points.shape[1] != X.shape[1]:
        raise ValueError(f"points must have shape (N, {X.shape[1]}), got {points.shape}")
    G = X.T @ X / X.shape[0]
    residuals = points @ X.T - y  # (N, m)
    grads = residuals @ X / X.shape[0]  # (N, n)
    ggn = -np.linalg.solve(G, grads.T).T
    ef = np.einsum("Nm,mi,mj->Nij", residuals**2, X, X) / X.shape[0] + damping * np.eye(X.shape[1])
    return ggn, -np.linalg.solve(ef, grads[..., None])[..., 0]


class Comparison(NamedTuple):
    """:func:`compare_optimizers`'s result, arrays indexed [method, rate, seed, ...].

    ``names`` the methods; ``rates`` (M, R) each method's learning rates; ``steps`` (T,) the recorded
    steps; ``loss`` (M, R, S, T) the full training loss at those steps (NaN after a divergence);
    ``seconds_per_step`` (M, R, S) the measured time of one update (machine-dependent: plot it, do not
    print it); ``test_loss``, ``test_accuracy`` (M, R, S) at the end; ``diverged`` (M, R, S).
    """

    names: tuple
    rates: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    seconds_per_step: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged: np.ndarray

    def best(self):
        """Each method's best rate index: the lowest mean final training loss over seeds (no divergence)."""
        final = np.where(self.diverged, np.inf, self.loss[..., -1]).mean(axis=2)
        return np.argmin(final, axis=1)


def compare_optimizers(data, sizes, methods, seeds, steps, batch_size=64, record_every=10, activation="tanh"):
    """Train the MLP ``sizes`` on ``data`` (a :class:`course_lib.datasets.Dataset`) with every optimizer.

    ``methods``: {name: [optimizer, ...]}, one optimizer per learning rate (the same number R for every
    method). For each seed s the network starts at ``networks.init(sizes, activation, seed=s)`` and
    step k sees the mini-batch ``optimizers.batches(m, batch_size, steps, seed=s, sampling="reshuffle")[k]``
    (as ``objective.at(batch)``), so every method and rate meets the same initial weights and the same
    batches (a paired design). The training loss on all m examples is recorded every ``record_every``
    steps (not timed). Returns :class:`Comparison`. Chapter 07.
    """
    steps = check_scalar("steps", steps, low=1, integer=True)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    seeds = [check_seed(s) for s in seeds]
    names = tuple(methods)
    R = {len(v) for v in methods.values()}
    if len(R) != 1 or 0 in R:
        raise ValueError("methods must give every method the same (non-zero) number of optimizers")
    R = R.pop()
    ks = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    shape = (len(names), R, len(seeds))
    loss, seconds = np.full(shape + (ks.size,), np.nan), np.zeros(shape)
    test_loss, test_acc, diverged = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, bool)
    for j, seed in enumerate(seeds):
        like = networks.init(sizes, activation, seed=seed)
        objective = networks.Objective(like, data.x_train, data.y_train)
        index = batches(objective.m, batch_size, steps, seed=seed, sampling="reshuffle")
        for i, name in enumerate(names):
            for r, optimizer in enumerate(methods[name]):
                run = _train(optimizer, objective, networks.flatten(like), index, ks)
                loss[i, r, j], seconds[i, r, j], diverged[i, r, j] = run[0], run[1], run[2]
                if not run[2]:
                    logits = networks.forward(networks.unflatten(run[3], like), data.x_test).output
                    test_loss[i, r, j] = losses.cross_entropy(logits, data.y_test)
                    test_acc[i, r, j] = np.mean(np.argmax(logits, axis=1) == data.y_test)
    rates = np.array([[float(getattr(o, "learning_rate", np.nan)) for o in methods[n]] for n in names])
    return Comparison(names, rates, ks, loss, seconds, test_loss, test_acc, diverged)


def _train(optimizer, objective, theta, index, ks):
    """One run: (recorded losses, seconds per update, diverged, final θ)."""
    values, row, elapsed = np.full(ks.size, np.nan), 0, 0.0
    state = optimizer.init(theta)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(ks[-1] + 1):
            if k:
                start = time.perf_counter()
                theta, state = optimizer.update(theta, state, objective.at(index[k - 1]))
                elapsed += time.perf_counter() - start
            if k == ks[row]:
                values[row] = objective.value(theta) if np.all(np.isfinite(theta)) else np.nan
                if not np.isfinite(values[row]) or values[row] > 1e6:
                    values[row] = np.nan
                    return values, elapsed / max(k, 1), True, theta
                row += 1
    return values, elapsed / ks[-1], False, theta
