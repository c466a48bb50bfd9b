r"""Chapter 02's experiments: the data split of its loss comparison, and Keras's cross-entropy probed.

The networks of chapter 02 (every loss, every learning rate, every seed) are trained by the book's one
engine, :func:`course_lib.networks.sweep`, which covers the chapter's three losses (``"cross_entropy"``
with optional ``label_smoothing``, ``"softmax_mse"``, ``"mse"``) and its confidently wrong start
(``output_scale``). This module keeps only what is chapter 02's own: :func:`held_out_split` (the
held-out images cut into a validation and a test half, in the form ``networks.sweep`` takes), the Keras
probes (:func:`source_lines`, :func:`keras_clipping`, :func:`route_losses`) that read and measure how
the installed Keras computes a cross-entropy from probabilities, and :func:`tape_logit_derivatives`
(the logit gradient and Hessian of each matched output/loss pair by ``tf.GradientTape``). TensorFlow is
imported inside the functions that use it.
"""

from __future__ import annotations

import numpy as np

from course_lib import losses
from course_lib.datasets import Dataset

__all__ = [
    "held_out_split",
    "max_margin",
    "source_lines",
    "keras_clipping",
    "route_losses",
    "tape_logit_derivatives",
]


def held_out_split(data):
    r"""(Dataset, n_val): ``data``'s held-out images cut in two, for ``networks.sweep(..., validation=n_val)``.

    The first n_val = ⌊N_test / 2⌋ held-out images become the validation rows, appended after the
    training rows (``networks`` takes the *last* n_val training rows as validation); the other half is
    the test set. Training, validation and test images stay disjoint: the rate is chosen on the
    validation half, the result reported on the test half (chapter 02).
    """
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a course_lib.datasets.Dataset, got {type(data).__name__}")
    n_val = len(data.x_test) // 2
    if n_val < 1:
        raise ValueError(f"data must hold at least 2 test images to split, got {len(data.x_test)}")
    x = np.concatenate([data.x_train, data.x_test[:n_val]])
    y = np.concatenate([data.y_train, data.y_test[:n_val]])
    return Dataset(x, y, data.x_test[n_val:], data.y_test[n_val:], data.n_classes), n_val


def max_margin(x, y):
    r"""The hard-margin separator ŵ = argmin ‖w‖² subject to s_n wᵀx_n ≥ 1, s_n = 2 y_n − 1 ∈ {−1, 1}.

    ``x`` (N, d) (a bias, if any, is a column of ones and is penalized like the other weights), ``y``
    in {0, 1}. Soudry et al. (2018): gradient descent on the logistic loss of separable data has
    w(t) = ŵ log t + O(1), so ‖w‖ grows by ‖ŵ‖ ln 10 per decade of steps and w/‖w‖ → ŵ/‖ŵ‖ (chapter
    02). Solved by SLSQP; ``ValueError`` if the data are not linearly separable through the origin.
    """
    from scipy.optimize import minimize

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (len(x),) or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"x must be (N, d) and y (N,) in {{0, 1}}, got {x.shape} and {y.shape}")
    sx = (2.0 * y - 1.0)[:, None] * x  # s_n x_n: the constraints are sx @ w >= 1
    result = minimize(
        lambda w: w @ w,
        np.zeros(x.shape[1]),
        jac=lambda w: 2.0 * w,
        constraints={"type": "ineq", "fun": lambda w: sx @ w - 1.0, "jac": lambda w: sx},
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    if not result.success or np.min(sx @ result.x) < 1.0 - 1e-8:
        raise ValueError("x, y must be linearly separable (no separator with margin found)")
    return result.x


# --------------------------------------------------------------------------------------------------
# Keras's cross-entropy from probabilities, read from the source and measured
# --------------------------------------------------------------------------------------------------
def source_lines(function, needles):
    r"""The first source line of ``function`` containing each of ``needles``: (line number, text).

    Used to show, from the installed Keras, in which order a loss clips, takes the log and
    normalizes. A needle that does not occur raises ``ValueError``.
    """
    import inspect

    lines = inspect.getsource(function).splitlines()
    found = []
    for needle in needles:
        hits = [i for i, line in enumerate(lines) if needle in line]
        if not hits:
            raise ValueError(f"needles: {needle!r} does not occur in {function.__name__}")
        found.append((hits[0], lines[hits[0]].strip()))
    return found


def _margin_logits(margin, n_classes):
    z = np.zeros((1, n_classes))
    z[0, 1] = margin  # the true class is 0, class 1 leads by the margin
    return z


def keras_clipping(margins, n_classes=10, one_hot=False):
    r"""Keras's cross-entropy of one example whose wrong class 1 leads the true class 0 by s.

    For each margin s: the loss and |∂J/∂z_0| from the logits (``from_logits=True``) and from
    probabilities computed outside Keras (eager ``tf.nn.softmax``, ``from_logits=False``), with
    ``SparseCategoricalCrossentropy`` or, with ``one_hot=True``, ``CategoricalCrossentropy``.
    Returns an array (len(margins), 4): loss and gradient from logits, then from probabilities.
    """
    import keras
    import tensorflow as tf

    kind = keras.losses.CategoricalCrossentropy if one_hot else keras.losses.SparseCategoricalCrossentropy
    target = np.eye(n_classes)[[0]] if one_hot else np.array([0])
    out = []
    for s in margins:
        zt = tf.constant(_margin_logits(s, n_classes))
        row = []
        for from_logits in (True, False):
            with tf.GradientTape() as tape:
                tape.watch(zt)
                value = kind(from_logits=from_logits)(target, zt if from_logits else tf.nn.softmax(zt))
            row += [float(value), abs(float(tape.gradient(value, zt)[0, 0]))]
        out.append(row)
    return np.array(out)


def route_losses(margin=40.0, n_classes=10):
    r"""Keras's loss from probabilities (``from_logits=False``) at one margin, by the route that made them.

    Softmax routes into ``SparseCategoricalCrossentropy()`` (true class 0, class 1 ahead by
    ``margin``) and sigmoid routes into ``BinaryCrossentropy()`` (target 1, logit −``margin``), all in
    float64 (Keras's floatx here), plus one sigmoid computed in float32 and handed to the float64 loss:
    the loss casts it, and a ``Cast`` between the sigmoid and the loss hides both the sigmoid's
    ``_keras_logits`` and its operation type. The exact loss is about ``margin``; a clipped route gives
    about −log(ε) = 16.118. Returns a dict route name -> loss.
    """
    import keras
    import tensorflow as tf

    z = tf.constant(_margin_logits(margin, n_classes))
    cce, bce, label = keras.losses.SparseCategoricalCrossentropy(), keras.losses.BinaryCrossentropy(), np.array([0])
    layer = keras.layers.Dense(n_classes, activation="softmax", use_bias=False, kernel_initializer="identity")
    softmax_net = keras.Sequential([keras.Input(shape=(n_classes,)), layer])
    averaged = tf.function(lambda t: cce(label, (tf.nn.softmax(t) + tf.nn.softmax(t)) / 2))
    zb, one = tf.constant(np.array([[-margin]])), np.ones((1, 1))  # float64, as the loss
    return {
        "Dense(activation='softmax') layer": float(cce(label, softmax_net(z))),
        "keras.activations.softmax, eager": float(cce(label, keras.activations.softmax(z))),
        "keras.ops.softmax, eager": float(cce(label, keras.ops.softmax(z))),
        "tf.nn.softmax inside tf.function": float(tf.function(lambda t: cce(label, tf.nn.softmax(t)))(z)),
        "keras.activations.sigmoid -> BCE": float(bce(one, keras.activations.sigmoid(zb))),
        "tf.sigmoid inside tf.function -> BCE": float(tf.function(lambda t: bce(one, tf.sigmoid(t)))(zb)),
        "tf.nn.softmax, eager": float(cce(label, tf.nn.softmax(z))),
        "NumPy softmax": float(cce(label, losses.softmax(z.numpy()))),
        "mean of 2 softmaxes in tf.function": float(averaged(z)),
        "tf.sigmoid, eager -> BCE": float(bce(one, tf.sigmoid(zb))),
        "float32 keras sigmoid -> float64 BCE": float(bce(one, keras.activations.sigmoid(tf.cast(zb, "float32")))),
    }


def tape_logit_derivatives(output, z, y):
    r"""(∂J/∂z, ∂²J/∂z²) of one example's NLL J by ``tf.GradientTape``, for a matched pair.

    ``output``: "gaussian" (J = ½‖y − z‖², σ = 1, constant dropped), "bernoulli" (J = Σ_i BCE of
    σ(z_i), ``tf.nn.sigmoid_cross_entropy_with_logits``) or "categorical" (J = −log softmax(z)_y,
    ``tf.nn.softmax_cross_entropy_with_logits`` with y one-hot). ``z``, ``y`` of shape (d,).
    """
    import tensorflow as tf

    if output not in losses.OUTPUTS:
        raise ValueError(f"output must be one of {losses.OUTPUTS}, got {output!r}")
    zt, yt = tf.constant(np.asarray(z, dtype=np.float64)), tf.constant(np.asarray(y, dtype=np.float64))
    nll = {
        "gaussian": lambda t: 0.5 * tf.reduce_sum((yt - t) ** 2),
        "bernoulli": lambda t: tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=yt, logits=t)),
        "categorical": lambda t: tf.nn.softmax_cross_entropy_with_logits(labels=yt, logits=t),
    }[output]
    with tf.GradientTape() as outer:
        outer.watch(zt)
        with tf.GradientTape() as inner:
            inner.watch(zt)
            value = nll(zt)
        gradient = inner.gradient(value, zt)
    return gradient.numpy(), outer.jacobian(gradient, zt).numpy()
