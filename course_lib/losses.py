r"""Output units and their losses, as negative log-likelihoods, in NumPy (chapter 02).

A loss is the negative log-likelihood of the targets under the distribution the output unit
defines; each comes with its gradient with respect to the network's last pre-activation (the
*logits* z) or, for the Gaussian output, its prediction::

    softmax(z)                        p_i = e^{z_i} / Σ_j e^{z_j}          (last axis)
    log_softmax(z)                    z_i − log Σ_j e^{z_j}                (log-sum-exp)
    cross_entropy(z, labels)          J = −mean_n log softmax(z_n)_{y_n}     ∂J/∂z_n = (p_n − e_{y_n}) / N
    binary_cross_entropy(z, y)        J = mean[softplus(z) − y z]            ∂J/∂z = (σ(z) − y) / size
    mean_squared_error(ŷ, y)          J = mean[(ŷ − y)²]                     ∂J/∂ŷ = 2 (ŷ − y) / size

The gradient functions are ``cross_entropy_grad``, ``binary_cross_entropy_grad`` and
``mean_squared_error_grad``: each returns an array shaped like its first argument.

Conventions (the same as ``keras.losses`` with ``from_logits=True``):

* Logits z have shape (..., C) with any batch shape "..."; integer labels have the batch shape and
  take values 0..C−1. ``cross_entropy`` averages over all N = prod(batch shape) examples.
* ``binary_cross_entropy`` and ``mean_squared_error`` take two arrays of equal shape and average
  over every entry (Keras averages over the last axis and then over the batch: the same number).
  Binary targets y may be any probabilities in [0, 1] (soft labels).
* Everything is computed in float64 with the log-sum-exp shift, so any finite input, logits of
  ±1e4 included, gives finite values and gradients and no NumPy warning; a naive
  ``log(softmax(z))`` gives inf or NaN there (chapter 02 shows it).
* A label outside 0..C−1, shapes that do not match, or a NaN/inf input raise ``ValueError`` naming
  the argument.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "cross_entropy_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "mean_squared_error",
    "mean_squared_error_grad",
]


def _finite(name, x, min_ndim=0):
    """``x`` as a float64 array, after checking it is finite and has at least ``min_ndim`` axes."""
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers, got {x!r}") from error
    if x.ndim < min_ndim or x.size == 0:
        raise ValueError(f"{name} must be a non-empty array with at least {min_ndim} axes, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {np.sum(~np.isfinite(x))} non-finite entries")
    return x


def _labels(labels, logits):
    """Integer class labels with the batch shape of ``logits`` and values in 0..C−1."""
    labels = np.asarray(labels)
    n_classes = logits.shape[-1]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"labels must be integers in 0..{n_classes - 1}, got non-integer values")
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers in 0..{n_classes - 1}, got dtype {labels.dtype}")
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels must have the batch shape of logits {logits.shape[:-1]}, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)].ravel()[0]
        raise ValueError(f"labels must be integers in 0..{n_classes - 1}, got {bad}")
    return labels.astype(np.int64)


def _same_shape(name, y, reference, reference_name):
    if y.shape != reference.shape:
        raise ValueError(f"{name} must have the shape of {reference_name} {reference.shape}, got shape {y.shape}")


def _shifted(z):
    """(z − m, log Σ_j e^{z_j − m}) with m = max_j z_j over the last axis.

    The largest term of the sum is exactly 1; the others are summed apart and added with
    ``log1p``, so a sum like 1 + 1e-20 keeps its tiny part (a confident, correct prediction has a
    loss of about 1e-20, not 0).
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    terms = np.exp(shifted)
    top = np.argmax(shifted, axis=-1)[..., None]
    np.put_along_axis(terms, top, 0.0, axis=-1)
    return shifted, np.log1p(np.sum(terms, axis=-1))


def logsumexp(z):
    r"""log Σ_j e^{z_j} over the last axis, computed as m + log Σ_j e^{z_j − m} with m = max_j z_j.

    Every e^{z_j − m} is at most 1 and the largest is exactly 1, so nothing overflows and the log's
    argument is at least 1. Returns an array with the batch shape of ``z``.
    """
    z = _finite("z", z, min_ndim=1)
    _, log_sum = _shifted(z)
    return z.max(axis=-1) + log_sum


def log_softmax(z):
    r"""log softmax(z)_i = z_i − log Σ_j e^{z_j} over the last axis (any batch shape), stably.

    Computed as (z_i − m) − log Σ_j e^{z_j − m}, m = max_j z_j. Finite for every finite input:
    log_softmax([0, −1e4]) = [0, −1e4], where the naive log(softmax(z)) gives log(0) = −inf.
    """
    z = _finite("z", z, min_ndim=1)
    shifted, log_sum = _shifted(z)
    return shifted - log_sum[..., None]


def softmax(z):
    r"""softmax(z)_i = e^{z_i} / Σ_j e^{z_j} over the last axis (any batch shape), as exp(log_softmax(z)).

    The entries are in [0, 1] and sum to 1; adding a constant to every z_i changes nothing.
    """
    return np.exp(log_softmax(z))


def cross_entropy(logits, labels):
    r"""Mean negative log-likelihood of integer ``labels`` under softmax(``logits``).

    J = −(1/N) Σ_n log softmax(z_n)_{y_n} = (1/N) Σ_n [log Σ_j e^{z_{n,j}} − z_{n,y_n}],

    the categorical cross-entropy of Keras's ``SparseCategoricalCrossentropy(from_logits=True)``.
    ``logits``: shape (..., C); ``labels``: integers in 0..C−1 of shape (...). Returns a float.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    picked = np.take_along_axis(log_softmax(logits), labels[..., None], axis=-1)
    return float(-np.mean(picked))


def cross_entropy_grad(logits, labels):
    r"""∂J/∂z of :func:`cross_entropy`: (softmax(z_n) − e_{y_n}) / N, shaped like ``logits``.

    e_y is the one-hot vector of class y and N the number of examples. Each example's gradient is
    bounded (its entries lie in [−1, 1]/N) and only vanishes when p_{y} → 1: a confidently wrong
    prediction gets the largest gradient, not the smallest.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    grad = softmax(logits)
    np.put_along_axis(grad, labels[..., None], np.take_along_axis(grad, labels[..., None], axis=-1) - 1.0, axis=-1)
    return grad / labels.size


def _sigmoid(z):
    """1 / (1 + e^{−z}) without overflow (e^{−|z|} only)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _binary_targets(y, logits):
    y = _finite("y", y)
    _same_shape("y", y, logits, "logits")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"y must hold probabilities in [0, 1], got values in [{y.min():g}, {y.max():g}]")
    return y


def binary_cross_entropy(logits, y):
    r"""Mean negative log-likelihood of targets y ∈ [0, 1] under a Bernoulli(σ(z)) output.

    −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, averaged over every entry, where
    softplus(z) = log(1 + e^z); the same as Keras's ``BinaryCrossentropy(from_logits=True)``.
    ``logits`` and ``y`` have the same shape. Returns a float.
    """
    logits = _finite("logits", logits)
    y = _binary_targets(y, logits)
    # (max(z, 0) − y z) + log1p(e^{−|z|}): the first difference is exact for y ∈ {0, 1}, so a
    # tiny loss (z ≫ 0, y = 1) keeps its relative precision (softplus(z) − z would cancel)
    return float(np.mean((np.maximum(logits, 0.0) - y * logits) + np.log1p(np.exp(-np.abs(logits)))))


def binary_cross_entropy_grad(logits, y):
    r"""∂J/∂z of :func:`binary_cross_entropy`: (σ(z) − y) / size, shaped like ``logits``.

    The log of the Bernoulli likelihood undoes the exponential in σ: the gradient is the prediction
    error itself, with no factor σ'(z) that could make it vanish.
    """
    logits = _finite("logits", logits)
    y = _binary_targets(y, logits)
    return (_sigmoid(logits) - y) / logits.size


def mean_squared_error(prediction, y):
    r"""Mean of (ŷ − y)² over every entry: Keras's ``MeanSquaredError``.

    With a linear output ŷ = f(x; θ) and the Gaussian model y ~ N(ŷ, σ² I), the negative
    log-likelihood of one example with d outputs is ‖y − ŷ‖² / (2σ²) + (d/2) log(2πσ²): this loss up
    to a positive factor and a constant, so both have the same minimizers. Returns a float.
    """
    prediction = _finite("prediction", prediction)
    y = _finite("y", y)
    _same_shape("y", y, prediction, "prediction")
    return float(np.mean((prediction - y) ** 2))


def mean_squared_error_grad(prediction, y):
    r"""∂J/∂ŷ of :func:`mean_squared_error`: 2 (ŷ − y) / size, shaped like ``prediction``.

    Behind a sigmoid or softmax output, the chain rule multiplies this by the output's derivative
    (σ'(z) = σ(1 − σ) for a sigmoid), which vanishes when the unit saturates: chapter 02's
    saturation experiment.
    """
    prediction = _finite("prediction", prediction)
    y = _finite("y", y)
    _same_shape("y", y, prediction, "prediction")
    return 2.0 * (prediction - y) / prediction.size
