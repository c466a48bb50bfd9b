r"""Keras 3 helpers written once for every chapter: build an MLP, train it, look inside it (chapter 01 on).

* :func:`mlp` -- the feedforward network h_l = g(W_l h_{l−1} + b_l), l = 1..L−1, output layer
  ŷ = softmax(W_L h_{L−1} + b_L), as a ``keras.Sequential`` with reproducible weights.
* :func:`layer_gradient_norms` -- ‖∂J/∂W_l‖_F for every Dense layer, on one batch.
* :func:`train` -- the mini-batch training loop of ``model.fit``, written out, quiet and deterministic.
* :func:`flat_weights`, :class:`NetworkLoss` -- a model's parameters as one vector θ ∈ ℝᴾ, and the
  exact value, gradient, Hessian-vector product and Hessian of its mean training loss as a function of
  θ, on all examples or a mini-batch (the objective interface of :mod:`course_lib.objectives`; chapter 05).

The NumPy twin of a Dense-only model is :mod:`course_lib.networks` (``networks.from_keras(model)``).

Conventions: a model's Dense layers are named ``dense_1``, ..., ``dense_L`` (``dense_L`` is the output
layer), so "layer l" means the same thing in every table and plot; inputs are float arrays (n, d)
(Keras casts them to the model's dtype, ``keras.config.floatx()`` when the model was built: float64
after :func:`course_lib.setup`); weights and training order are fixed by explicit ``seed`` arguments,
never by what ran before. Flattening order of θ: ``model.trainable_variables``, each variable in
row-major (C) order, i.e. layer by layer, kernel then bias (:func:`flat_weights`;
:func:`course_lib.networks.flatten` uses the same order).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.config import SEED
from course_lib.datasets import Dataset
from course_lib.validation import check_indices, check_scalar, check_seed

__all__ = [
    "layer_seeds",
    "seeded_initializer",
    "mlp",
    "dense_layers",
    "layer_gradient_norms",
    "History",
    "train",
    "flat_weights",
    "NetworkLoss",
]


def _keras():
    import keras  # imported on first use, so `import course_lib.models` does not load TensorFlow

    return keras


def layer_seeds(seed, n):
    """n different 31-bit seeds derived from ``seed`` (one per layer, so equal-shaped layers differ)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n) % (2**31 - 1)]


def seeded_initializer(kernel_initializer, seed):
    """``keras.initializers.get(kernel_initializer)`` with its ``seed`` set (random initializers only).

    Used by :func:`mlp` and :func:`course_lib.layers.activation_mlp`, so that a layer's weights depend
    on its own seed, never on what Keras drew before.
    """
    keras = _keras()
    init = keras.initializers.get(kernel_initializer)
    config = init.get_config()
    if "seed" in config:  # a random initializer: give it this layer's seed
        config["seed"] = seed
        init = type(init).from_config(config)
    return init


def mlp(
    input_dim,
    hidden=(64, 64),
    n_outputs=10,
    activation="relu",
    output_activation="softmax",
    seed=SEED,
    kernel_initializer="glorot_uniform",
    name="mlp",
):
    r"""A multilayer perceptron: ``keras.Sequential([keras.Input((input_dim,)), Dense, ..., Dense])``.

    Hidden layers h_l = g(W_l h_{l−1} + b_l) of widths ``hidden`` with activation g = ``activation``
    (any name ``keras.activations.get`` knows, e.g. "sigmoid", "tanh", "relu", "elu", "gelu", or a
    callable), then an output layer of ``n_outputs`` units with ``output_activation`` ("softmax" for
    class probabilities, ``None`` for a linear output). The L = len(hidden) + 1 Dense layers are named
    ``dense_1``, ..., ``dense_L``. Kernels come from ``kernel_initializer`` (default Keras's
    ``glorot_uniform``: U(±√(6/(fan_in + fan_out)))) with a per-layer seed derived from ``seed``; biases
    start at zero. The same arguments always give the same weights, whatever ran before.
    """
    keras = _keras()
    input_dim = check_scalar("input_dim", input_dim, low=1, integer=True)
    n_outputs = check_scalar("n_outputs", n_outputs, low=1, integer=True)
    seed = check_seed(seed)
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = tuple(check_scalar("hidden", h, low=1, integer=True) for h in hidden)
    seeds = layer_seeds(seed, len(hidden) + 1)
    layers = [keras.Input(shape=(input_dim,))]
    widths = hidden + (n_outputs,)
    for l, width in enumerate(widths, start=1):
        layers.append(
            keras.layers.Dense(
                width,
                activation=activation if l <= len(hidden) else output_activation,
                kernel_initializer=seeded_initializer(kernel_initializer, seeds[l - 1]),
                name=f"dense_{l}",
            )
        )
    return keras.Sequential(layers, name=name)


def dense_layers(model):
    """The model's Dense layers in order (layer l = ``dense_layers(model)[l - 1]``)."""
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not layers:
        raise ValueError("model must contain at least one Dense layer")
    return layers


def _check_batch(x, name="x"):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n, d), got shape {x.shape}")
    return x


def layer_gradient_norms(model, x, y, loss="sparse_categorical_crossentropy"):
    r"""‖∂J/∂W_l‖_F for every Dense layer l = 1..L (kernels only), as a float64 array of length L.

    J is ``loss`` (a Keras loss name or instance) averaged over the batch (x, y), evaluated with
    ``training=False``; the gradients come from one ``tf.GradientTape`` pass. NaN if the model diverged.
    """
    import tensorflow as tf

    keras = _keras()
    layers = dense_layers(model)
    x = _check_batch(x)
    y = np.asarray(y)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one row per row of x ({x.shape[0]}), got shape {y.shape}")
    loss_fn = keras.losses.get(loss)
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss_fn(y, model(x, training=False)))
    grads = tape.gradient(value, kernels)
    return np.array([float(tf.norm(g)) for g in grads], dtype=np.float64)


class History(NamedTuple):
    """What :func:`train` returns (one entry per completed epoch; ``epochs_run`` of them).

    ``loss``: the training loss averaged over the epoch's mini-batches (as Keras's ``fit`` reports it);
    ``test_loss``/``test_accuracy``: on the test set after each epoch (accuracy is NaN for a model
    with a single output, which is not a classifier);
    ``grad_norms``: array (epochs_run + 1, L) of :func:`layer_gradient_norms` on a fixed training batch,
    row 0 at initialization, row e after epoch e (``None`` unless requested);
    ``diverged``: True if the loss became NaN or infinite (training then stops at that epoch's end).
    """

    loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    grad_norms: np.ndarray | None
    diverged: bool
    epochs_run: int


def _accuracy(y, probs):
    """Fraction of rows whose largest output is the label (``y`` integer classes or one-hot rows)."""
    if probs.shape[-1] == 1:
        return np.nan
    labels = y.argmax(axis=-1) if y.ndim == 2 else y
    return float(np.mean(probs.argmax(axis=-1) == labels))


def train(
    model,
    data,
    epochs=5,
    batch_size=32,
    optimizer=None,
    loss="sparse_categorical_crossentropy",
    seed=SEED,
    record_gradient_norms=False,
    gradient_batch_size=256,
):
    r"""Train ``model`` on ``data`` (a :class:`~course_lib.datasets.Dataset`): steps θ ← update(θ, ∇J_B(θ)).

    Each epoch visits the training set once in a random order (a fresh permutation from
    ``numpy.random.default_rng(seed)``), in mini-batches B of ``batch_size``; each step computes the
    batch loss J_B = mean ``loss`` over B, its gradient with ``tf.GradientTape``, and lets ``optimizer``
    (a Keras optimizer instance built with ``learning_rate=``; default
    ``keras.optimizers.SGD(learning_rate=0.01)``) apply the update. This is the loop ``model.fit``
    runs, written out: 2-4 times faster than ``fit`` on these tiny models, and its shuffling depends
    on ``seed`` only, so the same call always gives the same weights and history. ``loss`` is a Keras
    loss name or instance (the default suits integer labels and a softmax output).

    With ``record_gradient_norms=True`` the per-layer ‖∂J/∂W_l‖ are measured on the first
    ``gradient_batch_size`` training examples at initialization and after each epoch. A run whose loss
    becomes NaN/inf stops at the end of that epoch with ``diverged=True``; nothing is printed.
    Returns a :class:`History`.
    """
    import tensorflow as tf

    keras = _keras()
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a course_lib.datasets.Dataset, got {type(data).__name__}")
    dense_layers(model)
    epochs = check_scalar("epochs", epochs, low=1, integer=True)
    batch_size = check_scalar("batch_size", batch_size, low=1, integer=True)
    seed = check_seed(seed)
    gradient_batch_size = check_scalar("gradient_batch_size", gradient_batch_size, low=1, integer=True)
    if optimizer is None:
        optimizer = keras.optimizers.SGD(learning_rate=0.01)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras.optimizers.Optimizer instance, got {optimizer!r}")
    loss_fn = keras.losses.get(loss)
    x_all, y_all = tf.constant(data.x_train), tf.constant(data.y_train)
    weights = model.trainable_variables

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
    def step(batch):  # one mini-batch step; returns the batch's mean loss
        x, y = tf.gather(x_all, batch), tf.gather(y_all, batch)
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(loss_fn(y, model(x, training=True)))
        optimizer.apply(tape.gradient(value, weights), weights)
        return value

    def gradient_norms():
        n = gradient_batch_size
        return layer_gradient_norms(model, data.x_train[:n], data.y_train[:n], loss)

    rng = np.random.default_rng(seed)
    n = len(data.x_train)
    history = {"loss": [], "test_loss": [], "test_accuracy": []}
    norms = [gradient_norms()] if record_gradient_norms else None
    for _ in range(epochs):
        order = rng.permutation(n)
        starts = range(0, n, batch_size)
        batch_losses = [step(order[i : i + batch_size]) for i in starts]
        sizes = [min(batch_size, n - i) for i in starts]
        history["loss"].append(sum(float(v) * size for v, size in zip(batch_losses, sizes)) / n)
        probs = model(data.x_test, training=False)
        history["test_loss"].append(float(tf.reduce_mean(loss_fn(data.y_test, probs))))
        history["test_accuracy"].append(_accuracy(data.y_test, np.asarray(probs)))
        if record_gradient_norms:
            norms.append(gradient_norms())
        if not np.isfinite(history["loss"][-1]):
            break
    h = {key: np.array(values, dtype=np.float64) for key, values in history.items()}
    return History(
        loss=h["loss"],
        test_loss=h["test_loss"],
        test_accuracy=h["test_accuracy"],
        grad_norms=np.array(norms) if record_gradient_norms else None,
        diverged=bool(not np.isfinite(h["loss"][-1])),
        epochs_run=len(h["loss"]),
    )


# --------------------------------------------------------------------------------------------------
# Flat parameters and the loss as a function of θ (chapter 05)
# --------------------------------------------------------------------------------------------------
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

    The same small interface as :mod:`course_lib.objectives` (``value``, ``grad``, ``hessian``, ``dim``,
    ``m``, ``at``) but for one θ of shape (P,) at a time (no batching of θ). Each method takes ``theta``
    (default: the model's current :func:`flat_weights`, read when the method is called) and evaluates the
    model with those parameters through ``model.stateless_call(..., training=False)``: the model's
    variables are never changed, and dropout is off.

    * ``value(θ)`` -- h(θ), a float;
    * ``grad(θ)`` -- ∇h(θ), shape (P,), by ``tf.GradientTape``;
    * ``hvp(θ, v)`` -- ∇²h(θ) v, shape (P,), exact: the gradient of θ ↦ ∇h(θ)·v (reverse over reverse,
      two nested tapes), about the cost of two gradients and no P × P matrix (chapters 05, 07);
    * ``hessian(θ, symmetrize=True)`` -- ∇²h(θ), shape (P, P): the Jacobian of the gradient (nested
      tapes; the outer one's ``jacobian`` runs row by row in a graph loop, ``experimental_use_pfor=False``:
      for the small networks of the book it is as fast as the vectorized form and needs about P² numbers
      of memory instead of P copies of every activation), about P gradient evaluations, so keep P to a
      few hundred. ``symmetrize=False`` returns the raw Jacobian, symmetric up
      to rounding only (~1e-16 relative in float64: the mixed partials agree);
    * ``at(batch)`` -- the same loss on the examples of the index array ``batch`` (the mean over them),
      sharing the compiled functions (no new tracing): the mini-batch objective of
      :func:`course_lib.optimizers.run`.

    Having ``value``, ``grad`` and ``dim``, it can be handed to :func:`course_lib.optimizers.run`
    (full-batch gradient descent on a network, float64, deterministic).

    With ``compile=True`` (default) the functions are compiled with ``tf.function`` once per object (the
    first call traces, ~1 s for the Hessian; later calls at other θ, or on other batches, take
    milliseconds), so build one ``NetworkLoss`` and reuse it; ``compile=False`` runs them eagerly (no
    tracing: cheaper for one call).

    Parameters: ``model`` a built Keras model; ``x`` inputs (m, ...); ``y`` targets (m, ...); ``loss``
    a Keras loss (object, function or name), whose per-example values are averaged in the model's
    dtype (a ``keras.losses.Loss`` object's reduction, sample weights and dtype are bypassed; penalties
    in ``model.losses`` are not included). Computations run in the model's dtype (float64 after
    :func:`course_lib.setup`). Chapter 05.
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
        self.x, self.y, self.m = x, y, x.shape[0]
        shapes = [tuple(v.shape) for v in model.trainable_variables]
        sizes = [int(np.prod(shape)) for shape in shapes]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def h(theta, x, y):
            pieces = [tf.reshape(p, shape) for p, shape in zip(tf.split(theta, sizes), shapes)]
            outputs, _ = model.stateless_call(pieces, non_trainable, x, training=False)
            return tf.reduce_mean(loss(y, outputs))

        def gradient(theta, x, y):
            with tf.GradientTape() as tape:
                tape.watch(theta)
                value = h(theta, x, y)
            return tape.gradient(value, theta)

        def hvp(theta, v, x, y):
            with tf.GradientTape() as outer:
                outer.watch(theta)
                g = gradient(theta, x, y)
            return outer.gradient(g, theta, output_gradients=v)

        def hessian(theta, x, y):
            with tf.GradientTape(persistent=True) as outer:  # persistent: row-by-row jacobian when eager
                outer.watch(theta)
                g = gradient(theta, x, y)
            return outer.jacobian(g, theta, experimental_use_pfor=False)

        if compile:
            t = tf.TensorSpec(shape=(self.dim,), dtype=self.dtype)
            data = [tf.TensorSpec((None,) + x.shape[1:], self.dtype), tf.TensorSpec((None,) + y.shape[1:], y.dtype)]
            h, gradient, hessian = (tf.function(fn, input_signature=[t] + data) for fn in (h, gradient, hessian))
            hvp = tf.function(hvp, input_signature=[t, t] + data)
        self._value, self._grad, self._hvp, self._hessian = h, gradient, hvp, hessian

    def _theta(self, theta, name="theta"):
        """θ (default: the model's current weights) checked, as a constant tensor in the model's dtype."""
        import tensorflow as tf

        theta = flat_weights(self.model) if theta is None else np.asarray(theta, dtype=self.dtype)
        if theta.shape != (self.dim,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"{name} must be a finite vector of shape ({self.dim},), got shape {theta.shape}")
        return tf.constant(theta, dtype=self.dtype)

    def _data(self):
        import tensorflow as tf

        return tf.constant(self.x), tf.constant(self.y)

    def value(self, theta=None):
        """h(θ) = (1/m) Σᵢ ℓ(yᵢ, f(xᵢ, θ)), a float."""
        return float(self._value(self._theta(theta), *self._data()))

    def grad(self, theta=None):
        """∇h(θ), a numpy vector of shape (P,)."""
        return self._grad(self._theta(theta), *self._data()).numpy()

    def hvp(self, theta, v):
        """∇²h(θ) v, exact, a numpy vector of shape (P,) (``theta=None``: the model's weights)."""
        return self._hvp(self._theta(theta), self._theta(v, "v"), *self._data()).numpy()

    def hessian(self, theta=None, symmetrize=True):
        """∇²h(θ), a numpy (P, P) matrix; ½(H + Hᵀ) unless ``symmetrize=False``."""
        H = self._hessian(self._theta(theta), *self._data()).numpy()
        return 0.5 * (H + H.T) if symmetrize else H

    def at(self, batch):
        """The same loss on the examples ``batch`` (a non-empty 1-D array of indices in 0..m−1)."""
        batch = check_indices(batch, self.m)
        view = object.__new__(NetworkLoss)
        view.__dict__.update(self.__dict__)
        view.x, view.y, view.m = self.x[batch], self.y[batch], batch.size
        return view

    def __repr__(self):
        return f"NetworkLoss(dim={self.dim}, m={self.m}, dtype={np.dtype(self.dtype).name})"
