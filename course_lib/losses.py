r"""Output units and their losses, as negative log-likelihoods, in NumPy (chapter 02).

A loss is the negative log-likelihood of the targets under the distribution the output unit
defines; each comes with its gradient with respect to the network's last pre-activation (the
*logits* z) or, for the Gaussian output, its prediction::

    softmax(z)                        p_i = e^{z_i} / Σ_j e^{z_j}          (last axis)
    log_softmax(z)                    z_i − log Σ_j e^{z_j}                (log-sum-exp)
    cross_entropy(z, labels)          J = −mean_n log softmax(z_n)_{y_n}     ∂J/∂z_n = (p_n − e_{y_n}) / N
      (label_smoothing=a)             the target e_y becomes t = (1 − a) e_y + a/C:  ∂J/∂z_n = (p_n − t_n) / N
    softmax_mean_squared_error(z, y)  J = mean[(softmax(z) − e_y)²]          ∂J/∂z = (diag(p) − p pᵀ) g
    binary_cross_entropy(z, y)        J = mean[softplus(z) − y z]            ∂J/∂z = (σ(z) − y) / size
    mean_squared_error(ŷ, y)          J = mean[(ŷ − y)²]                     ∂J/∂ŷ = 2 (ŷ − y) / size

The gradient functions are ``cross_entropy_grad``, ``binary_cross_entropy_grad``,
``mean_squared_error_grad`` and ``softmax_mean_squared_error_grad``: each returns an array shaped like
its first argument (g = 2 (p − e_y) / (N C) above is ∂J/∂p; the softmax Jacobian makes it vanish when p
is nearly one-hot, right or wrong: chapter 02's saturation).

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

from course_lib.activations import sigmoid
from course_lib.validation import check_scalar

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
    "softmax_mean_squared_error",
    "softmax_mean_squared_error_grad",
    "OUTPUTS",
    "mean_output",
    "logit_hessian",
    "fisher_information",
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


def _smoothed_targets(labels, n_classes, label_smoothing):
    """t = (1 − a) e_y + a/C, one row per label (Keras's ``label_smoothing``)."""
    t = np.zeros(labels.shape + (n_classes,))
    np.put_along_axis(t, labels[..., None], 1.0, axis=-1)
    return t * (1.0 - label_smoothing) + label_smoothing / n_classes


def _smoothing(label_smoothing):
    return check_scalar("label_smoothing", label_smoothing, low=0.0, high=1.0, high_open=True)


def cross_entropy(logits, labels, label_smoothing=0.0):
    r"""Mean negative log-likelihood of integer ``labels`` under softmax(``logits``).

    J = −(1/N) Σ_n log softmax(z_n)_{y_n} = (1/N) Σ_n [log Σ_j e^{z_{n,j}} − z_{n,y_n}],

    the categorical cross-entropy of Keras's ``SparseCategoricalCrossentropy(from_logits=True)``.
    ``logits``: shape (..., C); ``labels``: integers in 0..C−1 of shape (...). With
    ``label_smoothing`` a ∈ [0, 1) the target is t = (1 − a) e_y + a/C and J = −(1/N) Σ_n t_nᵀ log
    softmax(z_n): Keras's ``CategoricalCrossentropy(from_logits=True, label_smoothing=a)`` of the
    one-hot labels (chapter 02). Returns a float.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    if _smoothing(label_smoothing):
        t = _smoothed_targets(labels, logits.shape[-1], label_smoothing)
        return float(-np.mean(np.sum(t * log_softmax(logits), axis=-1)))
    picked = np.take_along_axis(log_softmax(logits), labels[..., None], axis=-1)
    return float(-np.mean(picked))


def cross_entropy_grad(logits, labels, label_smoothing=0.0):
    r"""∂J/∂z of :func:`cross_entropy`: (softmax(z_n) − e_{y_n}) / N, shaped like ``logits``.

    e_y is the one-hot vector of class y and N the number of examples. Each example's gradient is
    bounded (its entries lie in [−1, 1]/N) and only vanishes when p_{y} → 1: a confidently wrong
    prediction gets the largest gradient, not the smallest. With ``label_smoothing`` a, e_y is
    replaced by t = (1 − a) e_y + a/C.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    if _smoothing(label_smoothing):
        return (softmax(logits) - _smoothed_targets(labels, logits.shape[-1], label_smoothing)) / labels.size
    grad = softmax(logits)
    np.put_along_axis(grad, labels[..., None], np.take_along_axis(grad, labels[..., None], axis=-1) - 1.0, axis=-1)
    return grad / labels.size


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
    return (sigmoid(logits) - y) / logits.size


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


def softmax_mean_squared_error(logits, labels):
    r"""Keras's mean squared error behind a softmax: J = mean over every entry of (softmax(z) − e_y)².

    The loss of ``MeanSquaredError()(one_hot(y), softmax(z))``: a squared error on probabilities, not
    a likelihood of the labels (chapter 02 compares it with the cross-entropy). ``logits`` (..., C),
    integer ``labels`` (...). Returns a float.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    return float(np.mean((softmax(logits) - _smoothed_targets(labels, logits.shape[-1], 0.0)) ** 2))


def softmax_mean_squared_error_grad(logits, labels):
    r"""∂J/∂z of :func:`softmax_mean_squared_error`, shaped like ``logits``.

    With p = softmax(z) and g = ∂J/∂p = 2 (p − e_y) / (N C), the chain rule through the softmax's
    symmetric Jacobian diag(p) − p pᵀ gives ∂J/∂z = p ⊙ g − p (pᵀ g) (never forming the C × C matrix).
    It is small whenever p is nearly one-hot, whether on the right class or a wrong one.
    """
    logits = _finite("logits", logits, min_ndim=1)
    labels = _labels(labels, logits)
    p = softmax(logits)
    g = 2.0 * (p - _smoothed_targets(labels, logits.shape[-1], 0.0)) / p.size
    return p * (g - np.sum(p * g, axis=-1, keepdims=True))


#: The matched output unit / likelihood pairs of chapter 02 (canonical links).
OUTPUTS = ("gaussian", "bernoulli", "categorical")


def mean_output(output, z):
    r"""The mean ŷ = E[y] of the model's distribution for logits z: z (Gaussian, identity link),
    σ(z) (Bernoulli), softmax(z) (categorical). The NLL's gradient in z is ŷ − y in all three."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    z = _finite("z", z, min_ndim=1)
    return {"gaussian": lambda: z, "bernoulli": lambda: sigmoid(z), "categorical": lambda: softmax(z)}[output]()


def logit_hessian(output, z):
    r"""∂²(−log p(y | z))/∂z² for one example (it does not depend on y): I (Gaussian, σ = 1),
    diag(σ(z)(1 − σ(z))) (Bernoulli, one unit per entry), diag(p) − p pᵀ (categorical).
    ``z`` has shape (d,); returns a (d, d) positive semi-definite matrix."""
    m = mean_output(output, z)
    if output == "gaussian":
        return np.eye(m.size)
    if output == "bernoulli":
        return np.diag(m * (1.0 - m))
    return np.diag(m) - np.outer(m, m)


def fisher_information(output, z, samples=None, rng=None):
    r"""F(z) = E_{y ~ p(·|z)}[g gᵀ] with g = ∂(−log p(y | z))/∂z = ŷ − y, one example, z of shape (d,).

    Bernoulli and categorical: the exact sum over all outcomes y. Gaussian (σ = 1): a Monte Carlo
    mean over ``samples`` draws y ~ N(z, I) from ``rng`` (its exact value is I).
    """
    m = mean_output(output, z)
    if output == "categorical":
        outcomes, weights = np.eye(m.size), m  # y = e_k with probability p_k
    elif output == "bernoulli":
        grid = np.array(np.meshgrid(*[[0.0, 1.0]] * m.size, indexing="ij")).reshape(m.size, -1).T
        outcomes = grid
        weights = np.prod(np.where(grid == 1.0, m, 1.0 - m), axis=1)
    else:
        if samples is None or rng is None:
            raise ValueError("samples and rng are needed for output='gaussian'")
        outcomes = m + rng.standard_normal((samples, m.size))
        weights = np.full(samples, 1.0 / samples)
    g = m - outcomes
    return (g * weights[:, None]).T @ g
