"""Objective functions h(θ) for the optimization chapters (05-09), with exact gradients and Hessians.

Every objective has the same small interface, which is all :mod:`course_lib.optimizers` needs::

    f.value(θ)      h(θ); vectorized: θ of shape (n,) gives a float, (..., n) gives an array (...,)
    f.grad(θ)       ∇h(θ), same shape as θ
    f.hessian(θ)    ∇²h(θ), shape (..., n, n)
    f.dim           n
    f.minimizer     θ* (None when there is no unique minimizer)
    f.min_value     h* = h(θ*) (None when h is unbounded below)

A finite sum over m examples (:class:`LeastSquares`, :class:`LogisticRegression`) also has::

    f.m             the number of examples
    f.hvp(θ, v)     ∇²h(θ) v without forming the Hessian
    f.at(batch)     the same objective on the examples of an index array (the mean over them)

Vectorized ``value`` lets a 300 × 300 contour grid of shape (300, 300, 2) be evaluated in one call.

Objectives here:

* :class:`Quadratic` -- h(θ) = ½ θᵀAθ − bᵀθ with A symmetric positive definite (chapters 05-07);
  :meth:`Quadratic.with_eigenvalues` makes one with a chosen spectrum;
* :func:`narrow_valley` -- a 2-D quadratic with a chosen condition number κ and orientation;
* :class:`Rosenbrock` -- the curved banana valley (a − x)² + b(y − x²)²;
* :class:`Saddle` -- a x² − b y², a saddle point at the origin (chapters 05, 07);
* :class:`Himmelblau` -- a non-convex polynomial with four minima, four saddles and a maximum;
* :class:`WavyBowl` -- a rippled bowl, L-smooth and non-convex, with known L and h* (chapter 05);
* :func:`nesterov_worst_case` -- Nesterov's tridiagonal quadratic, on which no first-order method beats
  the lower bounds of :mod:`course_lib.rates` (chapter 06);
* :class:`LessardCounterexample` -- Lessard, Recht and Packard's 1-D strongly convex function on which
  the tuned heavy ball cycles (chapter 06);
* :class:`LeastSquares` and :class:`LogisticRegression` -- finite sums h(θ) = (1/m) Σᵢ hᵢ(θ) over m
  examples (chapters 07-09), with ``m``, ``hvp(θ, v)`` and ``at(batch)``: the same objective on the
  examples of an index array, which is what one mini-batch step of :func:`course_lib.optimizers.run`
  sees;
* :class:`NoisyGradient` -- a model of a stochastic gradient, ∇h(θ) + σξ, whose noise ξ is a pure
  function of the run's seed and the step k (``draw(seed, k)``; chapter 08).

Finite sums and pure randomness: no objective holds a random generator. A mini-batch is an index
array chosen by the caller (``objective.at(batch)``); :func:`course_lib.optimizers.run` draws batch k
from a generator seeded by (seed, k), so the same call gives the same run, and an optimizer can ask
the same mini-batch for a gradient and a curvature.

Argument checks come from :mod:`course_lib.validation`.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from course_lib import losses
from course_lib.activations import sigmoid_grad
from course_lib.validation import (
    check_indices,
    check_rng,
    check_scalar,
    check_seed,
    check_symmetric,
    check_theta,
)

__all__ = [
    "Objective",
    "Quadratic",
    "narrow_valley",
    "Rosenbrock",
    "Saddle",
    "Himmelblau",
    "WavyBowl",
    "nesterov_worst_case",
    "LessardCounterexample",
    "LeastSquares",
    "LogisticRegression",
    "NoisyGradient",
]


# --------------------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------------------
class Objective:
    """Base class: holds ``dim``, ``minimizer``, ``min_value`` and the shape check.

    Subclasses implement ``value``, ``grad`` and ``hessian`` for θ of shape (..., dim).
    """

    dim: int = 2
    minimizer = None
    min_value = None

    def _theta(self, theta):
        return check_theta(theta, self.dim)

    def __repr__(self):
        return f"{type(self).__name__}(dim={self.dim})"


class Quadratic(Objective):
    r"""h(θ) = ½ θᵀAθ − bᵀθ with A symmetric positive definite.

    ∇h(θ) = Aθ − b, ∇²h(θ) = A, minimizer θ* = A⁻¹b, minimum h* = −½ bᵀA⁻¹b.

    Args:
        A: array (n, n), symmetric positive definite (checked by
            :func:`course_lib.validation.check_symmetric`, then symmetrized exactly).
        b: array (n,), default zeros (so θ* = 0, h* = 0).

    Attributes: ``eigenvalues`` (ascending), ``L`` = largest (smoothness constant), ``mu`` = smallest
    (strong-convexity constant), ``kappa`` = L/μ (condition number), ``minimizer``, ``min_value``, ``dim``.
    :meth:`with_eigenvalues` builds one with a chosen spectrum and random eigenvectors.
    Chapters 05 (GD rates: α < 2/L, (κ − 1)/(κ + 1)), 06 (momentum), 07 (Newton: one step).
    """

    def __init__(self, A, b=None):
        A = check_symmetric(A, "A")
        eigenvalues = np.linalg.eigvalsh(A)
        if eigenvalues[0] <= 0:
            raise ValueError(f"A must be positive definite, smallest eigenvalue {eigenvalues[0]:.3g}")
        n = A.shape[0]
        b = np.zeros(n) if b is None else np.array(b, dtype=float)
        if b.shape != (n,) or not np.all(np.isfinite(b)):
            raise ValueError(f"b must be a finite vector of shape ({n},), got shape {b.shape}")
        A.setflags(write=False)
        b.setflags(write=False)
        self.A, self.b, self.dim = A, b, n
        self._half_A = 0.5 * A
        self.eigenvalues = eigenvalues
        self.L, self.mu = float(eigenvalues[-1]), float(eigenvalues[0])
        self.kappa = self.L / self.mu
        self.minimizer = np.linalg.solve(A, b)
        self.min_value = float(-0.5 * b @ self.minimizer)

    @classmethod
    def with_eigenvalues(cls, eigenvalues, rng, b=None):
        """The quadratic with A = Q diag(λ) Qᵀ: the given eigenvalues λ (all > 0), random eigenvectors.

        Q is a Haar-random orthogonal matrix (QR of a standard normal matrix, signs fixed so that R has
        a positive diagonal) drawn from ``rng`` (a ``numpy.random.Generator``); its columns are the
        eigenvectors. So L = max λ, μ = min λ and κ = L/μ are chosen, and the valley is not aligned
        with the axes. ``b`` as in the constructor (default zeros: θ* = 0, h* = 0). Chapters 05, 06.
        """
        eigenvalues = np.asarray(eigenvalues, dtype=float)
        if eigenvalues.ndim != 1 or eigenvalues.size == 0 or not np.all(np.isfinite(eigenvalues)):
            raise ValueError(f"eigenvalues must be a non-empty finite 1-D array, got {eigenvalues!r}")
        rng = check_rng(rng)
        n = eigenvalues.size
        Q, R = np.linalg.qr(rng.standard_normal((n, n)))
        Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
        A = (Q * eigenvalues) @ Q.T
        return cls(0.5 * (A + A.T), b)

    def value(self, theta):
        """½ θᵀAθ − bᵀθ for θ of shape (n,) (a float) or (..., n) (an array)."""
        theta = self._theta(theta)
        half_grad_minus_b = theta @ self._half_A - self.b  # ½Aθ − b, so h = θ·(½Aθ − b)
        if theta.ndim == 1:  # the fast path taken at every step of a run
            return theta @ half_grad_minus_b
        return np.einsum("...i,...i->...", theta, half_grad_minus_b)

    def grad(self, theta):
        """Aθ − b, same shape as θ."""
        return self._theta(theta) @ self.A - self.b

    def hessian(self, theta):
        """A (read-only) for θ of shape (n,); A broadcast to shape (..., n, n) otherwise."""
        theta = self._theta(theta)
        if theta.ndim == 1:
            return self.A
        return np.broadcast_to(self.A, theta.shape[:-1] + self.A.shape).copy()

    def __repr__(self):
        return f"Quadratic(dim={self.dim}, L={self.L:.4g}, mu={self.mu:.4g}, kappa={self.kappa:.4g})"


def narrow_valley(kappa=10.0, angle=0.0, L=1.0, center=(0.0, 0.0)):
    """A 2-D :class:`Quadratic` valley with condition number κ: h(θ) = ½ (θ − c)ᵀA(θ − c) + const.

    A = R diag(L/κ, L) Rᵀ with R the rotation by ``angle`` (radians), so the valley floor (the
    low-curvature eigenvector, curvature μ = L/κ) points along (cos angle, sin angle) and the steep
    direction (curvature L) across it. The contours are ellipses √κ times longer along the floor than
    across it (defaults κ = 10, angle = 0, L = 1, c = 0: √10 ≈ 3.2 times longer along x than along y).

    Returns a :class:`Quadratic` with b = A c, so ``minimizer`` = c and .L, .mu, .kappa = L, L/κ, κ.
    Chapters 05 (zig-zag of GD), 06 (momentum), 09 (adaptive methods on an ill-conditioned valley).
    """
    kappa = check_scalar("kappa", kappa, low=1)
    angle = check_scalar("angle", angle)
    L = check_scalar("L", L, low=0, low_open=True)
    center = np.asarray(center, dtype=float)
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be a finite 2-vector, got {center!r}")
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    A = R @ np.diag([L / kappa, L]) @ R.T
    A = 0.5 * (A + A.T)
    return Quadratic(A, A @ center)


class Rosenbrock(Objective):
    """h(x, y) = (a − x)² + b (y − x²)², the curved "banana" valley.

    ∇h = (−2(a − x) − 4bx(y − x²), 2b(y − x²));  ∇²h = [[2 − 4b(y − x²) + 8bx², −4bx], [−4bx, 2b]].
    Unique minimizer (a, a²) with h* = 0. Defaults a = 1, b = 100 (minimizer (1, 1)).
    Chapters 05-07 (GD crawls along the valley; Newton follows it), 09.
    """

    def __init__(self, a=1.0, b=100.0):
        self.a = check_scalar("a", a)
        self.b = check_scalar("b", b, low=0, low_open=True)
        self.dim = 2
        self.minimizer = np.array([self.a, self.a**2])
        self.min_value = 0.0

    def value(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def grad(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        r = y - x * x
        return np.stack([-2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r], axis=-1)

    def hessian(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        hxx = 2.0 - 4.0 * self.b * (y - x * x) + 8.0 * self.b * x * x
        hxy = -4.0 * self.b * x
        hyy = np.full_like(x, 2.0 * self.b)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Saddle(Objective):
    """h(x, y) = a x² − b y² (default a = b = 1: x² − y²), a saddle point at the origin.

    ∇h = (2ax, −2by); ∇²h = diag(2a, −2b): eigenvalues of mixed sign, so the critical point (0, 0)
    is neither a minimum nor a maximum. Unbounded below: ``minimizer`` and ``min_value`` are None;
    ``critical_point`` is (0, 0). Chapters 05 (GD escapes only along y), 07 (Newton jumps *to* the saddle).
    """

    def __init__(self, a=1.0, b=1.0):
        self.a = check_scalar("a", a, low=0, low_open=True)
        self.b = check_scalar("b", b, low=0, low_open=True)
        self.dim = 2
        self.critical_point = np.zeros(2)

    def value(self, theta):
        theta = self._theta(theta)
        return self.a * theta[..., 0] ** 2 - self.b * theta[..., 1] ** 2

    def grad(self, theta):
        return self._theta(theta) * np.array([2.0 * self.a, -2.0 * self.b])

    def hessian(self, theta):
        theta = self._theta(theta)
        return np.broadcast_to(np.diag([2.0 * self.a, -2.0 * self.b]), theta.shape[:-1] + (2, 2)).copy()

    def __repr__(self):
        return f"Saddle(a={self.a:g}, b={self.b:g})"


class Himmelblau(Objective):
    """h(x, y) = (x² + y − 11)² + (x + y² − 7)², Himmelblau's non-convex test function.

    With u = x² + y − 11, w = x + y² − 7: ∇h = (4xu + 2w, 2u + 4yw);
    ∇²h = [[12x² + 4y − 42, 4(x + y)], [4(x + y), 4x + 12y² − 26]].

    Critical points (computed once by Newton's method from published approximations, accurate to
    machine precision): ``minima`` (4, 2) -- (3, 2) exactly and three others, all with h = 0 (so
    ``min_value`` = 0 and ``minimizer`` is None: it is not unique); ``saddle_points`` (4, 2);
    ``maximum`` (2,) ≈ (−0.2708, −0.9230), h ≈ 181.6. Which minimum an optimizer reaches depends on
    the start: chapters 05 (local minima), 07 (Newton is attracted by saddles and the maximum), 09.
    """

    _MINIMA_APPROX = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    _SADDLES_APPROX = [(0.086678, 2.884255), (-3.073026, -0.081353), (3.385154, 0.073852), (-0.127961, -1.953715)]
    _MAXIMUM_APPROX = (-0.270845, -0.923039)

    def __init__(self):
        self.dim = 2
        self.min_value = 0.0
        self.minima = self._refine(self._MINIMA_APPROX)
        self.saddle_points = self._refine(self._SADDLES_APPROX)
        self.maximum = self._refine([self._MAXIMUM_APPROX])[0]

    def _refine(self, points):
        points = np.array(points, dtype=float)
        for _ in range(6):
            points = points - np.linalg.solve(self.hessian(points), self.grad(points)[..., None])[..., 0]
        return points

    def value(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def grad(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        u, w = x * x + y - 11.0, x + y * y - 7.0
        return np.stack([4.0 * x * u + 2.0 * w, 2.0 * u + 4.0 * y * w], axis=-1)

    def hessian(self, theta):
        theta = self._theta(theta)
        x, y = theta[..., 0], theta[..., 1]
        hxx = 12.0 * x * x + 4.0 * y - 42.0
        hxy = 4.0 * (x + y)
        hyy = 4.0 * x + 12.0 * y * y - 26.0
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    def __repr__(self):
        return "Himmelblau()"


class WavyBowl(Objective):
    r"""h(θ) = ½‖θ‖² + a Σᵢ (1 − cos(ω θᵢ)): a bowl with ripples, L-smooth and non-convex.

    ∇h = θ + aω sin(ωθ) (elementwise); ∇²h = diag(1 + aω² cos(ωθᵢ)), so every Hessian eigenvalue lies
    in [1 − aω², 1 + aω²]: h is L-smooth with L = 1 + aω², and not convex when aω² > 1. h >= 0 = h(0),
    so h* = 0 and θ* = 0. Defaults a = 1, ω = 3 (L = 10): each coordinate has local minima at 0 and
    ±1.870 (where θ + 3 sin 3θ = 0 and h'' > 0), so h has 3ⁿ local minima, one of them global.
    Chapter 05 (the non-convex guarantee of GD).
    """

    def __init__(self, dim=2, a=1.0, omega=3.0):
        self.dim = check_scalar("dim", dim, low=1, integer=True)
        self.a = check_scalar("a", a, low=0)
        self.omega = check_scalar("omega", omega, low=0, low_open=True)
        self.L = 1.0 + self.a * self.omega**2
        self.minimizer = np.zeros(self.dim)
        self.min_value = 0.0

    def value(self, theta):
        theta = self._theta(theta)
        ripples = 1.0 - np.cos(self.omega * theta)
        return 0.5 * np.sum(theta * theta, axis=-1) + self.a * np.sum(ripples, axis=-1)

    def grad(self, theta):
        theta = self._theta(theta)
        return theta + self.a * self.omega * np.sin(self.omega * theta)

    def hessian(self, theta):
        theta = self._theta(theta)
        diagonal = 1.0 + self.a * self.omega**2 * np.cos(self.omega * theta)
        return diagonal[..., None] * np.eye(self.dim)

    def __repr__(self):
        return f"WavyBowl(dim={self.dim}, a={self.a:g}, omega={self.omega:g})"


def nesterov_worst_case(n, L=1.0, mu=0.0):
    r"""Nesterov's worst-case quadratic in n dimensions, a :class:`Quadratic` with tridiagonal A.

    With T = tridiag(−1, 2, −1) (n × n: xᵀTx = x₁² + Σ_{i<n} (xᵢ − x_{i+1})² + x_n²) and c = (L − μ)/4:

    h(θ) = (c/2)(θᵀTθ − 2θ₁) + (μ/2)‖θ‖²,  i.e.  A = cT + μI,  b = c e₁.

    * μ = 0 (default): the function f_n of Nesterov (2004), Section 2.1.2, convex and L-smooth; θ*ᵢ = 1 − i/(n + 1).
      On ``nesterov_worst_case(2k + 1, L)`` every first-order method from θ₀ = 0 has
      h(θ_k) − h* >= 3L‖θ₀ − θ*‖²/(32(k + 1)²) (Theorem 2.1.7; :func:`course_lib.rates.convex_lower_bound`).
    * 0 < μ < L: the strongly convex function of Theorem 2.1.13 cut to n coordinates; θ*ᵢ ≈ qⁱ with
      q = (√κ − 1)/(√κ + 1) (exactly qⁱ in infinite dimension), and for k much smaller than n every
      first-order method from 0 has h(θ_k) − h* >= (μ/2) q^{2k} ‖θ*‖²
      (:func:`course_lib.rates.first_order_lower_bound`).

    Why: A is tridiagonal and b ∝ e₁, so from θ₀ = 0 the k-th Krylov space span{b, Ab, ..., A^{k−1}b}
    is span{e₁, ..., e_k}: after k gradient evaluations the coordinates k + 1, ..., n are still 0.
    The eigenvalues of A lie strictly inside (μ, L), so h is L-smooth and μ-strongly convex.
    Chapter 06.
    """
    n = check_scalar("n", n, low=1, integer=True)
    L = check_scalar("L", L, low=0, low_open=True)
    mu = check_scalar("mu", mu, low=0, high=L, high_open=True)
    c = (L - mu) / 4.0
    A = c * (2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) + mu * np.eye(n)
    b = np.zeros(n)
    b[0] = c
    return Quadratic(A, b)


class LessardCounterexample(Objective):
    r"""Lessard, Recht and Packard (2016): a 1-D function on which tuned heavy ball cycles.

    h(x) = 25x²/2 for x < 1;  x²/2 + 24x − 12 for 1 <= x < 2;  25x²/2 − 24x + 36 for x >= 2.

    h' = 25x, x + 24, 25x − 24 on the three pieces: continuous and increasing, with slopes 25, 1, 25, so
    h is L-smooth (L = 25) and μ-strongly convex (μ = 1), κ = 25, minimizer 0, h* = 0. Heavy ball with
    the quadratic-optimal constants (:func:`course_lib.rates.heavy_ball_constants`: α = 1/9, β = 4/9)
    started at x₀ = 3.3 (v₀ = 0) falls into a cycle of period 3 instead of converging; Nesterov's
    method converges. Attributes ``L``, ``mu``. Chapter 06.
    """

    def __init__(self):
        self.dim = 1
        self.L, self.mu = 25.0, 1.0
        self.minimizer = np.zeros(1)
        self.min_value = 0.0

    def value(self, theta):
        x = self._theta(theta)[..., 0]
        return np.where(
            x < 1.0, 12.5 * x * x, np.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, 12.5 * x * x - 24.0 * x + 36.0)
        )

    def grad(self, theta):
        theta = self._theta(theta)
        x = theta[..., 0]
        slope = np.where(x < 1.0, 25.0 * x, np.where(x < 2.0, x + 24.0, 25.0 * x - 24.0))
        return slope[..., None]

    def hessian(self, theta):
        x = self._theta(theta)[..., 0]
        return np.where((x >= 1.0) & (x < 2.0), 1.0, 25.0)[..., None, None]

    def __repr__(self):
        return "LessardCounterexample()"


# --------------------------------------------------------------------------------------------------
# Finite sums h(θ) = (1/m) Σᵢ hᵢ(θ): mini-batches by index arrays
# --------------------------------------------------------------------------------------------------
def _design(X, y):
    """X as a finite float (m, n) array and y as a finite float (m,) array (read-only copies)."""
    X = np.array(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0 or not np.all(np.isfinite(X)):
        raise ValueError(f"X must be a finite non-empty (m, n) array, got shape {X.shape}")
    y = np.array(y, dtype=float)
    if y.ndim != 1 or not np.all(np.isfinite(y)):
        raise ValueError(f"y must be a finite vector of shape (m,), got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, y has {y.shape[0]} entries")
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


class _FiniteSum(Objective):
    """Shared parts of a finite sum over the rows of (X, y): ``m``, ``dim``, ``at(batch)``, ``hvp``."""

    def _init(self, X, y, **params):
        self.X, self.y = X, y
        self.m, self.dim = X.shape
        self.__dict__.update(params)
        return self

    def at(self, batch):
        """The same objective on the examples ``batch`` (an integer index array into 0..m−1; repeats count
        twice): h_B(θ) = (1/|B|) Σ_{i∈B} hᵢ(θ). Cheap (no minimizer is computed until asked for)."""
        batch = check_indices(batch, self.m)
        return type(self).__new__(type(self))._init(self.X[batch], self.y[batch], **self._params())

    def hvp(self, theta, v):
        """∇²h(θ) v for θ, v of shape (n,), without forming the n × n Hessian."""
        raise NotImplementedError

    def _params(self):
        return {}


class LeastSquares(_FiniteSum):
    r"""h(θ) = 1/(2m) ‖Xθ − y‖² = (1/m) Σᵢ ½ (xᵢᵀθ − yᵢ)², linear least squares over m examples.

    h is half of Keras's mean squared error of the predictions Xθ (:func:`course_lib.losses.mean_squared_error`);
    ∇h(θ) = Xᵀ(Xθ − y)/m; ∇²h = XᵀX/m, the same at every θ (a quadratic).

    Args:
        X: the examples as rows, a finite (m, n) array; y: the targets, (m,).

    Attributes: ``m``, ``dim`` = n, ``X``, ``y`` (read-only); computed when first read: ``minimizer``
    (the least-squares solution of smallest norm, ``numpy.linalg.lstsq``; unique when X has rank n),
    ``min_value``, ``L`` and ``mu`` (the largest and smallest eigenvalues of XᵀX/m). ``at(batch)`` is
    the least-squares problem on the rows ``batch``. Chapters 07 (Newton, CG), 08 (SGD: the noise at
    θ* vanishes only when every residual does), 09.
    """

    def __init__(self, X, y):
        self._init(*_design(X, y))

    def value(self, theta):
        theta = self._theta(theta)
        residual = theta @ self.X.T - self.y
        return 0.5 * np.mean(residual * residual, axis=-1)

    def grad(self, theta):
        theta = self._theta(theta)
        return (theta @ self.X.T - self.y) @ self.X / self.m

    def hessian(self, theta):
        theta = self._theta(theta)
        return np.broadcast_to(self._gram, theta.shape[:-1] + self._gram.shape).copy()

    def hvp(self, theta, v):
        v = check_theta(v, self.dim, name="v")
        return (self.X @ v) @ self.X / self.m

    @cached_property
    def _gram(self):
        gram = self.X.T @ self.X / self.m
        gram.setflags(write=False)
        return gram

    @cached_property
    def _spectrum(self):
        return np.linalg.eigvalsh(self._gram)

    @cached_property
    def L(self):
        return float(self._spectrum[-1])

    @cached_property
    def mu(self):
        return float(self._spectrum[0])

    @cached_property
    def minimizer(self):
        return np.linalg.lstsq(self.X, self.y, rcond=None)[0]

    @cached_property
    def min_value(self):
        return float(self.value(self.minimizer))

    def __repr__(self):
        return f"LeastSquares(m={self.m}, dim={self.dim})"


class LogisticRegression(_FiniteSum):
    r"""h(θ) = (1/m) Σᵢ [softplus(xᵢᵀθ) − yᵢ xᵢᵀθ] + (λ/2)‖θ‖², logistic regression with labels yᵢ ∈ {0, 1}.

    The mean is the binary cross-entropy of the logits z = Xθ (:func:`course_lib.losses.binary_cross_entropy`,
    Keras's ``BinaryCrossentropy(from_logits=True)``), plus an L2 penalty λ/2 ‖θ‖² (the ½ so that its
    gradient is λθ). With s = σ(z) − y and D = diag(σ'(z)): ∇h = Xᵀs/m + λθ, ∇²h = XᵀDX/m + λI
    (positive semi-definite; definite when λ > 0 or X has rank n). No intercept: append a column of
    ones to X for one.

    Args:
        X: the examples as rows, a finite (m, n) array; y: labels, (m,), each 0 or 1;
        l2: λ = 0.0; >= 0.

    Attributes: ``m``, ``dim`` = n, ``X``, ``y``, ``l2``; computed when first read: ``minimizer`` by
    Newton's method with backtracking from θ = 0 until ‖∇h‖ <= 1e-12, or None when h has no minimizer
    (λ = 0 and the labels are separable, :attr:`separable`: h keeps decreasing along a separating
    direction), and ``min_value`` (None then too). ``at(batch)`` is the same regression (same λ) on the rows ``batch``.
    Chapters 07 (Newton, Gauss-Newton and Fisher coincide here), 08, 09.
    """

    #: Newton's stopping rule for :attr:`minimizer`: ‖∇h‖ <= NEWTON_TOL.
    NEWTON_TOL = 1e-12

    def __init__(self, X, y, l2=0.0):
        X, y = _design(X, y)
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"y must hold labels 0 or 1, got values {np.unique(y)[:5]}")
        self._init(X, y, l2=check_scalar("l2", l2, low=0))

    def _params(self):
        return {"l2": self.l2}

    def _rows(self, theta, one):
        """Apply ``one`` (a function of one θ (n,)) to θ of shape (n,) or, row by row, (..., n)."""
        theta = self._theta(theta)
        if theta.ndim == 1:
            return one(theta)
        rows = [one(row) for row in theta.reshape(-1, self.dim)]
        return np.array(rows).reshape(theta.shape[:-1] + np.shape(rows[0]))

    def _value(self, theta):
        return losses.binary_cross_entropy(self.X @ theta, self.y) + 0.5 * self.l2 * float(theta @ theta)

    def _grad(self, theta):
        # binary_cross_entropy_grad is ∂J/∂z = (σ(z) − y)/m; the chain rule through z = Xθ gives Xᵀ(...)
        return losses.binary_cross_entropy_grad(self.X @ theta, self.y) @ self.X + self.l2 * theta

    def value(self, theta):
        return self._rows(theta, self._value)

    def grad(self, theta):
        return self._rows(theta, self._grad)

    def hessian(self, theta):
        theta = self._theta(theta)
        weights = sigmoid_grad(theta @ self.X.T)  # σ'(z), shape (..., m)
        return np.einsum("...i,ij,ik->...jk", weights, self.X, self.X) / self.m + self.l2 * np.eye(self.dim)

    def hvp(self, theta, v):
        theta, v = check_theta(theta, self.dim), check_theta(v, self.dim, name="v")
        return (sigmoid_grad(self.X @ theta) * (self.X @ v)) @ self.X / self.m + self.l2 * v

    @cached_property
    def separable(self):
        """Whether some θ ≠ 0 has (2yᵢ − 1) xᵢᵀθ >= 0 for every i, with > for at least one: the labels are
        (quasi-)separated by a hyperplane through 0 (Albert and Anderson, 1984). Then, with λ = 0, h keeps
        decreasing along θ and has no minimizer. A linear program (``scipy.optimize.linprog``): maximize
        Σᵢ (2yᵢ − 1) xᵢᵀθ over those θ in the box [−1, 1]ⁿ; separable iff the maximum is > 0."""
        from scipy.optimize import linprog

        A = (2.0 * self.y - 1.0)[:, None] * self.X
        result = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(self.m), bounds=[(-1.0, 1.0)] * self.dim)
        return bool(-result.fun > 1e-9 * max(1.0, float(np.abs(A).sum())))

    @cached_property
    def minimizer(self):
        """θ* by Newton's method with Armijo backtracking from 0, until ‖∇h‖ <= NEWTON_TOL; None if h has
        no minimizer (λ = 0 and :attr:`separable`) or Newton has not converged in 100 steps."""
        if self.l2 == 0 and self.separable:
            return None
        theta = np.zeros(self.dim)
        for _ in range(100):
            g = self._grad(theta)
            if np.linalg.norm(g) <= self.NEWTON_TOL:
                theta.setflags(write=False)
                return theta
            direction = np.linalg.lstsq(self.hessian(theta), g, rcond=None)[0]
            value, step = self._value(theta), 1.0
            # Armijo's sufficient decrease, up to the round-off of h (near θ* the decrease is below it)
            allowed = value - 1e-4 * (g @ direction) + 8 * np.finfo(float).eps * abs(value)
            while step > 1e-10 and self._value(theta - step * direction) > allowed:
                step *= 0.5
                allowed = value - 1e-4 * step * (g @ direction) + 8 * np.finfo(float).eps * abs(value)
            theta = theta - step * direction
        return None

    @cached_property
    def min_value(self):
        return None if self.minimizer is None else float(self._value(self.minimizer))

    def __repr__(self):
        return f"LogisticRegression(m={self.m}, dim={self.dim}, l2={self.l2:g})"


# --------------------------------------------------------------------------------------------------
# A model of a stochastic gradient, pure
# --------------------------------------------------------------------------------------------------
class NoisyGradient(Objective):
    """A stochastic gradient g_k(θ) = ∇h(θ) + σ ξ_k, with ξ_k ~ N(0, I) a pure function of (seed, k).

    ``draw(seed, k)`` returns the objective that step k of a run with this seed sees: its ``grad`` adds
    σ ξ_k, where ξ_k comes from ``numpy.random.default_rng((seed, k))`` afresh at each call (so two
    calls at step k, e.g. Nesterov's look-ahead, see the same noise, and the same (seed, k) gives the same
    draw). :func:`course_lib.optimizers.run` calls ``draw(seed, k)`` at step k, so ``run(..., seed=s)``
    twice gives the same run. ``value``, ``hessian``, ``dim``, ``minimizer``, ``min_value`` are those
    of the wrapped objective (so ``run`` records the true h(θ_k)); ``grad`` of the undrawn object is
    the exact ∇h (the mean of every draw).

    This is the simplest model of a mini-batch gradient (unbiased, variance σ² per coordinate); the
    finite sums (:class:`LeastSquares`, :class:`LogisticRegression` with ``run(..., batch_size=B)``) give
    the real thing. Parameters: ``objective``; ``sigma`` >= 0, the noise standard deviation.
    Chapter 08 (SGD with constant vs decaying rates, Polyak averaging).
    """

    def __init__(self, objective, sigma):
        self.objective = objective
        self.sigma = check_scalar("sigma", sigma, low=0)
        self.dim = objective.dim
        self.minimizer = getattr(objective, "minimizer", None)
        self.min_value = getattr(objective, "min_value", None)

    def value(self, theta):
        return self.objective.value(theta)

    def grad(self, theta):
        return self.objective.grad(theta)

    def hessian(self, theta):
        return self.objective.hessian(theta)

    def draw(self, seed, k):
        """The objective of step ``k`` of a run seeded by ``seed``: grad = ∇h + σ ξ_k (see the class)."""
        return _NoisyDraw(self, check_seed(seed), check_scalar("k", k, low=0, integer=True))

    def __repr__(self):
        return f"NoisyGradient({self.objective!r}, sigma={self.sigma:g})"


class _NoisyDraw(NoisyGradient):
    """One step's draw of a :class:`NoisyGradient`: the noise ξ_k is fixed by (seed, k)."""

    def __init__(self, parent, seed, k):
        self.__dict__.update(parent.__dict__)
        self.seed, self.k = seed, k

    def grad(self, theta):
        g = self.objective.grad(theta)
        return g + self.sigma * np.random.default_rng((self.seed, self.k)).standard_normal(g.shape)

    def __repr__(self):
        return f"{super().__repr__()}.draw({self.seed}, {self.k})"
