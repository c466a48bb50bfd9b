"""Curvature: classifying critical points, random Hessians, and the full Hessian of a small network.

Chapter 05 ("Gradient descent: theory") uses this module for three things:

* :func:`classify_critical_point` -- the second-order test on the **eigenvalues** of the Hessian H
  at a point where ∇h = 0: minimum ⇔ all λᵢ > 0, maximum ⇔ all λᵢ < 0, saddle ⇔ both signs occur,
  and a zero eigenvalue (with no opposite signs) leaves the test undecided. The diagonal of H decides
  nothing: [[1, 2], [2, 1]] has a positive diagonal and eigenvalues 3 and −1 (a saddle).
* :func:`sample_goe` and :func:`fraction_positive_definite` -- the "random Hessian" model of saddle
  points in high dimension: for an n × n Gaussian Orthogonal Ensemble matrix the probability that all
  eigenvalues are positive decays like exp(−c n²), far faster than 2⁻ⁿ (Dean & Majumdar 2006).
* :func:`network_hessian` and :func:`flat_gradient` -- the exact gradient and Hessian of a Keras
  model's mean training loss h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)) with respect to all trainable
  parameters flattened into one vector θ ∈ ℝᴾ (P up to a few hundred: the Hessian is P × P).

Conventions: θ is flattened in the order of ``model.trainable_variables``, each variable in row-major
(C) order (:func:`flat_weights`). Computations run in the model's own dtype: build the model in
float64 (or convert it with :func:`to_float64`) when the Hessian must be accurate beyond ~1e-6.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "classify_critical_point",
    "negative_fraction",
    "sample_goe",
    "fraction_positive_definite",
    "to_float64",
    "flat_weights",
    "flat_gradient",
    "network_hessian",
]


# --------------------------------------------------------------------------------------------------
# The second-order test
# --------------------------------------------------------------------------------------------------
def _check_tol(tol):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    return float(tol)


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
    tol = _check_tol(tol)
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
    tol = _check_tol(tol)
    return float(np.mean(np.linalg.eigvalsh(H) < -tol))


# --------------------------------------------------------------------------------------------------
# Random symmetric matrices (Gaussian Orthogonal Ensemble)
# --------------------------------------------------------------------------------------------------
def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def sample_goe(n, size, rng):
    """Draw ``size`` random symmetric matrices M = (X + Xᵀ)/2, X with i.i.d. N(0, 1) entries.

    Returns an array of shape (size, n, n). Entries: Mᵢᵢ ~ N(0, 1), Mᵢⱼ = Mⱼᵢ ~ N(0, ½) for i ≠ j, all
    independent otherwise -- the Gaussian Orthogonal Ensemble (GOE), the simplest model of "a random
    Hessian". ``rng`` is a ``numpy.random.Generator``. Chapter 05.
    """
    n = _check_positive_int("n", n)
    size = _check_positive_int("size", size)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    X = rng.standard_normal((size, n, n))
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def fraction_positive_definite(n, samples, seed=0, batch=50_000):
    """Monte-Carlo estimate of P(all eigenvalues of an n × n GOE matrix are > 0).

    Draws ``samples`` matrices with :func:`sample_goe` (``batch`` at a time, to bound memory) from
    ``numpy.random.default_rng(seed)`` and returns the fraction whose smallest eigenvalue (batched
    ``np.linalg.eigvalsh``) is positive. Its standard error is √(p(1 − p)/samples).
    Known values: ½ for n = 1, (2 − √2)/4 ≈ 0.146 for n = 2; for large n it decays like
    exp(−(ln 3 / 4) n²) (Dean & Majumdar 2006). By symmetry (M ↦ −M) the same holds for "all negative".
    Chapter 05 (corrects the seed's "probability 1/n").
    """
    n = _check_positive_int("n", n)
    samples = _check_positive_int("samples", samples)
    batch = _check_positive_int("batch", batch)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    positive, done = 0, 0
    while done < samples:
        size = min(batch, samples - done)
        smallest = np.linalg.eigvalsh(sample_goe(n, size, rng))[:, 0]
        positive += int(np.count_nonzero(smallest > 0))
        done += size
    return positive / samples


# --------------------------------------------------------------------------------------------------
# Gradient and Hessian of a Keras model's loss
# --------------------------------------------------------------------------------------------------
def to_float64(model):
    """Return a float64 copy of a Keras model (same architecture and weights, cast to float64).

    Built with ``keras.models.clone_model``, each layer re-created from its config with
    ``dtype="float64"``; the original model is left untouched. Chapter 05 (an accurate Hessian).
    """
    import keras

    def clone_layer(layer):
        config = layer.get_config()
        config["dtype"] = "float64"
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone_layer)
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


def _mean_loss_of_theta(model, x, y, loss):
    """Return (h, θ₀): h(θ) = mean ℓ(y, f(x, θ)) as a TensorFlow function of a flat θ, θ₀ the current θ."""
    import keras
    import tensorflow as tf

    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        # Loss.__call__ casts to the loss's own dtype (float32 by default): call the per-example part,
        # which computes in the dtype of the predictions.
        loss = loss.call
    if not callable(loss):
        raise ValueError(f"loss must be a Keras loss, its name, or a callable, got {loss!r}")
    theta0 = flat_weights(model)
    dtype = theta0.dtype
    x = np.asarray(x, dtype=dtype)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty batch of inputs, got shape {x.shape}")
    y = np.asarray(y)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have as many rows as x ({x.shape[0]}), got shape {y.shape}")
    shapes = [tuple(v.shape) for v in model.trainable_variables]
    sizes = [int(np.prod(s)) for s in shapes]
    non_trainable = [v.value for v in model.non_trainable_variables]
    x_tensor, y_tensor = tf.constant(x), tf.constant(y)

    def h(theta):
        pieces = [tf.reshape(p, s) for p, s in zip(tf.split(theta, sizes), shapes)]
        outputs, _ = model.stateless_call(pieces, non_trainable, x_tensor, training=False)
        return tf.reduce_mean(loss(y_tensor, outputs))

    return h, theta0


def _check_flat(theta, theta0):
    if theta is None:
        return theta0
    theta = np.asarray(theta, dtype=theta0.dtype)
    if theta.shape != theta0.shape or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta must be a finite vector of shape {theta0.shape}, got shape {theta.shape}")
    return theta


def flat_gradient(model, x, y, loss, theta=None):
    """∇h(θ) for h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)), as a numpy vector of shape (P,).

    ``model``: a built Keras model, evaluated with ``training=False`` (no dropout) and the given flat
    parameters θ via ``model.stateless_call`` (the model's variables are not changed); ``theta``
    defaults to :func:`flat_weights`. ``x``: inputs (m, ...); ``y``: targets (m, ...); ``loss``: a
    Keras loss (object, function or name) -- its per-example values are averaged in the model's
    dtype (a ``keras.losses.Loss`` object's reduction, sample weights and dtype are bypassed). Regularization
    penalties in ``model.losses`` are not included. Gradient by ``tf.GradientTape``. Chapter 05.
    """
    import tensorflow as tf

    h, theta0 = _mean_loss_of_theta(model, x, y, loss)
    theta = tf.constant(_check_flat(theta, theta0))
    with tf.GradientTape() as tape:
        tape.watch(theta)
        value = h(theta)
    return tape.gradient(value, theta).numpy()


def network_hessian(model, x, y, loss, theta=None, symmetrize=True):
    """The full Hessian ∇²h(θ) ∈ ℝᴾˣᴾ of the mean loss h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)).

    Arguments as in :func:`flat_gradient`. Computed exactly (up to rounding) as the Jacobian of the
    gradient: a nested ``tf.GradientTape``, the outer one's vectorized ``jacobian`` of the inner one's
    gradient. Costs about P gradient evaluations and P² numbers of memory, so keep P to a few hundred.
    With ``symmetrize=True`` (default) the result is ½(H + Hᵀ); ``symmetrize=False`` returns the raw
    Jacobian, whose asymmetry is rounding only (~1e-16 relative in float64): the mixed partials agree.
    Chapter 05 (eigenvalue spectrum and index of a small network on the digits).
    """
    import tensorflow as tf

    h, theta0 = _mean_loss_of_theta(model, x, y, loss)
    theta = tf.constant(_check_flat(theta, theta0))
    with tf.GradientTape() as outer:
        outer.watch(theta)
        with tf.GradientTape() as inner:
            inner.watch(theta)
            value = h(theta)
        gradient = inner.gradient(value, theta)
    H = outer.jacobian(gradient, theta).numpy()
    return 0.5 * (H + H.T) if symmetrize else H
