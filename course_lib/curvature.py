"""Curvature: classifying critical points, random Hessians, and the full Hessian of a small network.

Chapter 05 ("Gradient descent: theory") uses this module for three things:

* :func:`classify_critical_point` -- the second-order test on the **eigenvalues** of the Hessian H
  at a point where ∇h = 0: minimum ⇔ all λᵢ > 0, maximum ⇔ all λᵢ < 0, saddle ⇔ both signs occur,
  and a zero eigenvalue (with no opposite signs) leaves the test undecided. The diagonal of H decides
  nothing: [[1, 2], [2, 1]] has a positive diagonal and eigenvalues 3 and −1 (a saddle).
  :func:`negative_fraction` gives the index (fraction of negative eigenvalues) of Dauphin et al.
* :func:`sample_goe` and :func:`fraction_positive_definite` -- the "random Hessian" model of saddle
  points in high dimension: for an n × n Gaussian Orthogonal Ensemble matrix the probability that all
  eigenvalues are positive decays like exp(−c n²), far faster than 2⁻ⁿ (Dean & Majumdar 2006).
  :func:`matrix_with_eigenvalues` builds test Hessians (quadratics) with a chosen spectrum.
* :class:`NetworkLoss` -- the
  exact gradient and Hessian of a Keras model's mean training loss h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ))
  with respect to all trainable parameters flattened into one vector θ ∈ ℝᴾ (P up to a few hundred:
  the Hessian is P × P).

Conventions: θ is flattened in the order of ``model.trainable_variables``, each variable in row-major
(C) order (:func:`flat_weights`). Computations run in the model's own dtype: build the model in
float64 (or convert it with :func:`to_float64`) when the Hessian must be accurate beyond ~1e-6.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_scalar

__all__ = [
    "classify_critical_point",
    "negative_fraction",
    "sample_goe",
    "matrix_with_eigenvalues",
    "fraction_positive_definite",
    "to_float64",
    "flat_weights",
    "NetworkLoss",
]


# --------------------------------------------------------------------------------------------------
# The second-order test
# --------------------------------------------------------------------------------------------------
def _check_symmetric(H, name="H"):
    """Return H as a float (n, n) array after checking it is square, non-empty, finite and symmetric."""
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} must be finite")
    scale = max(float(np.max(np.abs(H))), 1.0)
    if np.max(np.abs(H - H.T)) > 1e-8 * scale:
        raise ValueError(f"{name} must be symmetric, max |H - H.T| = {np.max(np.abs(H - H.T)):.3g}")
    return 0.5 * (H + H.T)


def classify_critical_point(H, tol=1e-8):
    """Classify a critical point (∇h(θ) = 0) by the eigenvalues λ₁ ≤ … ≤ λₙ of its Hessian H.

    With h(θ + d) = h(θ) + ½ dᵀHd + o(‖d‖²) and H = Σᵢ λᵢ uᵢuᵢᵀ:

    * ``"minimum"``    if every λᵢ > tol (h rises along every direction);
    * ``"maximum"``    if every λᵢ < −tol;
    * ``"saddle"``     if some λᵢ > tol and some λⱼ < −tol (h rises along uᵢ, falls along uⱼ);
    * ``"degenerate"`` otherwise: some |λᵢ| ≤ tol and no opposite signs, so the second-order test is
      undecided (x⁴ and −x⁴ and x³ all have H = 0 at 0).

    Parameters: ``H`` symmetric (n, n) array (checked square, finite, symmetric to 1e-8 relative);
    ``tol`` >= 0, the threshold below which an eigenvalue counts as zero (default 1e-8).
    Chapter 05 (the seed's "diagonal Hessian" test corrected).
    """
    H = _check_symmetric(H)
    tol = check_scalar("tol", tol, low=0)
    eigenvalues = np.linalg.eigvalsh(H)
    has_positive = bool(np.any(eigenvalues > tol))
    has_negative = bool(np.any(eigenvalues < -tol))
    has_zero = bool(np.any(np.abs(eigenvalues) <= tol))
    if has_positive and has_negative:
        return "saddle"
    if has_zero:
        return "degenerate"
    return "minimum" if has_positive else "maximum"


def negative_fraction(H, tol=0.0):
    """The index α = (number of eigenvalues λᵢ < −tol) / n of a symmetric (n, n) matrix H.

    Dauphin et al. (2014) plot the training error of critical points against α: points with high
    error have a large α (many directions of negative curvature, i.e. saddles), minima have α = 0.
    Chapter 05 (Hessian of a small network on the digits).
    """
    H = _check_symmetric(H)
    tol = check_scalar("tol", tol, low=0)
    return float(np.mean(np.linalg.eigvalsh(H) < -tol))


# --------------------------------------------------------------------------------------------------
# Random symmetric matrices (Gaussian Orthogonal Ensemble)
# --------------------------------------------------------------------------------------------------
def sample_goe(n, size, rng):
    """Draw ``size`` random symmetric matrices M = (X + Xᵀ)/2, X with i.i.d. N(0, 1) entries.

    Returns an array of shape (size, n, n). Entries: Mᵢᵢ ~ N(0, 1), Mᵢⱼ = Mⱼᵢ ~ N(0, ½) for i ≠ j, all
    independent otherwise -- the Gaussian Orthogonal Ensemble (GOE), the simplest model of "a random
    Hessian". ``rng`` is a ``numpy.random.Generator``. Chapter 05.
    """
    n = check_scalar("n", n, low=1, integer=True)
    size = check_scalar("size", size, low=1, integer=True)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    X = rng.standard_normal((size, n, n))
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def matrix_with_eigenvalues(eigenvalues, rng):
    """A random symmetric matrix A = Q diag(λ) Qᵀ with the given eigenvalues λ and random eigenvectors.

    Q is a Haar-random orthogonal matrix (QR of a standard normal matrix, signs fixed so that R has a
    positive diagonal), drawn from ``rng`` (a ``numpy.random.Generator``); the columns of Q are the
    eigenvectors. Returns A of shape (n, n), exactly symmetric. Use it to build test quadratics with a
    chosen L = max λ, μ = min λ and κ = L/μ, not aligned with the axes. Chapter 05.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    if eigenvalues.ndim != 1 or eigenvalues.size == 0 or not np.all(np.isfinite(eigenvalues)):
        raise ValueError(f"eigenvalues must be a non-empty finite 1-D array, got {eigenvalues!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = eigenvalues.size
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    A = (Q * eigenvalues) @ Q.T
    return 0.5 * (A + A.T)


def fraction_positive_definite(n, samples, seed=0, batch=50_000):
    """Monte-Carlo estimate of P(all eigenvalues of an n × n GOE matrix are > 0).

    Draws ``samples`` matrices with :func:`sample_goe` (``batch`` at a time, to bound memory) from
    ``numpy.random.default_rng(seed)`` and returns the fraction whose smallest eigenvalue (batched
    ``np.linalg.eigvalsh``) is positive; matrices with a non-positive diagonal entry are rejected
    before the eigenvalue solver (they cannot be positive definite). Its standard error is
    √(p(1 − p)/samples).
    Known values: ½ for n = 1, (2 − √2)/4 ≈ 0.146 for n = 2; for large n it decays like
    exp(−(ln 3 / 4) n²) (Dean & Majumdar 2006). By symmetry (M ↦ −M) the same holds for "all negative".
    Chapter 05 (corrects the seed's "probability 1/n").
    """
    n = check_scalar("n", n, low=1, integer=True)
    samples = check_scalar("samples", samples, low=1, integer=True)
    batch = check_scalar("batch", batch, low=1, integer=True)
    seed = check_scalar("seed", seed, low=0, integer=True)
    rng = np.random.default_rng(seed)
    positive, done = 0, 0
    while done < samples:
        size = min(batch, samples - done)
        M = sample_goe(n, size, rng)
        # A positive-definite M has Mᵢᵢ = eᵢᵀMeᵢ > 0: only matrices with a positive diagonal (a
        # fraction 2⁻ⁿ) can qualify, so only those go through the eigenvalue solver.
        candidates = M[np.all(np.diagonal(M, axis1=1, axis2=2) > 0, axis=1)]
        if len(candidates):
            positive += int(np.count_nonzero(np.linalg.eigvalsh(candidates)[:, 0] > 0))
        done += size
    return positive / samples


# --------------------------------------------------------------------------------------------------
# Gradient and Hessian of a Keras model's loss
# --------------------------------------------------------------------------------------------------
def to_float64(model):
    """Return a float64 copy of a Keras model (same architecture and weights, cast to float64).

    Built with ``keras.models.clone_model``: float64 ``keras.Input`` tensors, and each layer re-created
    from its config with ``dtype="float64"``; the original model is left untouched. The model must be
    built (have inputs), as every ``keras.Sequential([keras.Input(...), ...])`` is. Chapter 05 (an accurate Hessian).
    """
    import keras

    def clone_layer(layer):
        config = layer.get_config()
        config["dtype"] = "float64"
        return layer.__class__.from_config(config)

    def float64_input(tensor):  # the Input layers too, or x would be rounded to float32 on the way in
        floating = "float" in str(tensor.dtype)
        return keras.Input(shape=tensor.shape[1:], dtype="float64" if floating else tensor.dtype)

    try:
        has_inputs = bool(model.inputs)
    except AttributeError:  # a Sequential model without keras.Input
        has_inputs = False
    if not has_inputs:
        raise ValueError("model must be built with keras.Input (it has no inputs yet)")
    if isinstance(model, keras.Sequential):
        inputs = float64_input(model.inputs[0])
    else:
        inputs = keras.tree.map_structure(float64_input, model.input)
    copy = keras.models.clone_model(model, input_tensors=inputs, clone_function=clone_layer)
    copy.set_weights([np.asarray(w, dtype="float64") for w in model.get_weights()])
    return copy


def flat_weights(model):
    """All trainable parameters of ``model`` as one vector θ of shape (P,), in the model's dtype.

    Order: ``model.trainable_variables``, each flattened in row-major order (e.g. a Dense layer gives
    its kernel (n_in × n_out) then its bias). Chapter 05.
    """
    variables = model.trainable_variables
    if not variables:
        raise ValueError("model must have trainable variables (build it first, e.g. with keras.Input)")
    return np.concatenate([np.asarray(v.numpy()).ravel() for v in variables])


class NetworkLoss:
    """h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)) of a Keras model, as a function of its flat parameters θ ∈ ℝᴾ.

    The same small interface as :mod:`course_lib.objectives` (``value``, ``grad``, ``hessian``, ``dim``)
    but for one θ of shape (P,) at a time (no batching of θ). Each method takes ``theta`` (default: the
    model's current :func:`flat_weights`, read when the method is called) and evaluates the model with
    those parameters through ``model.stateless_call(..., training=False)``: the model's variables are
    never changed, and dropout is off.

    * ``value(θ)`` -- h(θ), a float;
    * ``grad(θ)`` -- ∇h(θ), shape (P,), by ``tf.GradientTape``;
    * ``hessian(θ, symmetrize=True)`` -- ∇²h(θ), shape (P, P): the Jacobian of the gradient (nested
      tapes; the outer one's ``jacobian`` runs row by row in a graph loop, ``experimental_use_pfor=False``:
      for the small networks of the book it is as fast as the vectorized form and needs about P² numbers
      of memory instead of P copies of every activation), about P gradient evaluations, so keep P to a
      few hundred. ``symmetrize=False`` returns the raw Jacobian, symmetric up
      to rounding only (~1e-16 relative in float64: the mixed partials agree).

    Having ``value``, ``grad`` and ``dim``, it can be handed to :func:`course_lib.optimizers.run`
    (full-batch gradient descent on a network, float64, deterministic).

    With ``compile=True`` (default) the three are compiled with ``tf.function`` once per object (the
    first call traces, ~1 s for the Hessian; later calls at other θ take milliseconds), so build one
    ``NetworkLoss`` and reuse it; ``compile=False`` runs them eagerly (no tracing: cheaper for one call).

    Parameters: ``model`` a built Keras model; ``x`` inputs (m, ...); ``y`` targets (m, ...); ``loss``
    a Keras loss (object, function or name), whose per-example values are averaged in the model's
    dtype (a ``keras.losses.Loss`` object's reduction, sample weights and dtype are bypassed; penalties
    in ``model.losses`` are not included). Computations run in the model's dtype: use a float64 model
    (:func:`to_float64`) for accurate Hessians. Chapter 05.
    """

    def __init__(self, model, x, y, loss, compile=True):
        import keras
        import tensorflow as tf

        if isinstance(loss, str):
            loss = keras.losses.get(loss)
        if isinstance(loss, keras.losses.Loss):
            # Loss.__call__ casts to the loss's own dtype (float32 by default): call the per-example
            # part, which computes in the dtype of the predictions.
            loss = loss.call
        if not callable(loss):
            raise ValueError(f"loss must be a Keras loss, its name, or a callable, got {loss!r}")
        theta0 = flat_weights(model)
        self.model, self.dtype, self.dim = model, theta0.dtype, theta0.size
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(f"x must be a non-empty batch of inputs, got shape {x.shape}")
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != x.shape[0]:
            raise ValueError(f"y must have as many rows as x ({x.shape[0]}), got shape {y.shape}")
        shapes = [tuple(v.shape) for v in model.trainable_variables]
        sizes = [int(np.prod(shape)) for shape in shapes]
        non_trainable = [v.value for v in model.non_trainable_variables]
        x_tensor, y_tensor = tf.constant(x), tf.constant(y)

        def h(theta):
            pieces = [tf.reshape(p, shape) for p, shape in zip(tf.split(theta, sizes), shapes)]
            outputs, _ = model.stateless_call(pieces, non_trainable, x_tensor, training=False)
            return tf.reduce_mean(loss(y_tensor, outputs))

        def gradient(theta):
            with tf.GradientTape() as tape:
                tape.watch(theta)
                value = h(theta)
            return tape.gradient(value, theta)

        def hessian(theta):
            with tf.GradientTape(persistent=True) as outer:  # persistent: row-by-row jacobian when eager
                outer.watch(theta)
                g = gradient(theta)
            return outer.jacobian(g, theta, experimental_use_pfor=False)

        if compile:
            signature = [tf.TensorSpec(shape=(self.dim,), dtype=self.dtype)]
            h, gradient, hessian = (tf.function(fn, input_signature=signature) for fn in (h, gradient, hessian))
        self._value, self._grad, self._hessian = h, gradient, hessian

    def _theta(self, theta):
        """θ (default: the model's current weights) checked, as a constant tensor in the model's dtype."""
        import tensorflow as tf

        theta = flat_weights(self.model) if theta is None else np.asarray(theta, dtype=self.dtype)
        if theta.shape != (self.dim,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta must be a finite vector of shape ({self.dim},), got shape {theta.shape}")
        return tf.constant(theta, dtype=self.dtype)

    def value(self, theta=None):
        """h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)), a float."""
        return float(self._value(self._theta(theta)))

    def grad(self, theta=None):
        """∇h(θ), a numpy vector of shape (P,)."""
        return self._grad(self._theta(theta)).numpy()

    def hessian(self, theta=None, symmetrize=True):
        """∇²h(θ), a numpy (P, P) matrix; ½(H + Hᵀ) unless ``symmetrize=False``."""
        H = self._hessian(self._theta(theta)).numpy()
        return 0.5 * (H + H.T) if symmetrize else H

    def __repr__(self):
        return f"NetworkLoss(dim={self.dim}, dtype={np.dtype(self.dtype).name})"
