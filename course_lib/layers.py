r"""Keras layers and a network builder for the activation comparison of chapter 01.

* :class:`Maxout` -- the maxout activation (Goodfellow et al. 2013) as a Keras layer:
  g(z)_i = max_{j ∈ G_i} z_j over consecutive groups G_i of k pieces, the same grouping as
  :func:`course_lib.activations.maxout`.
* :func:`activation_mlp` -- an MLP whose every hidden layer is a linear ``Dense`` followed by a
  separate activation layer ("relu", "leaky_relu", "prelu", "elu", "gelu", "tanh", "sigmoid" or
  "maxout"), so that one builder makes all the networks the chapter compares.

Conventions as in :mod:`course_lib.models`: the Dense layers are named ``dense_1``, ..., ``dense_L``
(``dense_L`` the softmax output layer), weights come from a per-layer seed derived from ``seed``.
Importing this module loads Keras (``import course_lib`` alone does not).
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np

from course_lib.activations import MAAS_LEAKY_SLOPE
from course_lib.validation import check_scalar

__all__ = ["Maxout", "HIDDEN_ACTIVATIONS", "activation_mlp", "Sweep", "activation_sweep"]


@keras.saving.register_keras_serializable(package="course_lib")
class Maxout(keras.layers.Layer):
    r"""Maxout over groups of ``pieces`` consecutive inputs: (..., m·k) -> (..., m).

    g(z)_i = max(z_{ik}, ..., z_{ik+k−1}) for i = 0..m−1 (k = ``pieces``): put it after a
    ``Dense(m * k)`` to get m maxout units whose pieces are the Dense layer's affine maps
    z_j = hᵀW_{:,j} + b_j. The gradient goes to the winning piece of each group. No weights.
    Raises ``ValueError`` if ``pieces`` is not an integer >= 1 or the last axis of the input is
    not a multiple of it.
    """

    def __init__(self, pieces=2, **kwargs):
        super().__init__(**kwargs)
        self.pieces = check_scalar("pieces", pieces, low=1, integer=True)

    def build(self, input_shape):
        width = input_shape[-1]
        if width is None or width % self.pieces != 0:
            raise ValueError(
                f"the input's last axis must be a multiple of pieces={self.pieces}, got shape {tuple(input_shape)}"
            )
        self.units = width // self.pieces

    def call(self, inputs):
        inner = tuple(inputs.shape[1:-1])  # static; only the batch axis may be unknown
        groups = keras.ops.reshape(inputs, (-1,) + inner + (self.units, self.pieces))
        return keras.ops.max(groups, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // self.pieces,)

    def get_config(self):
        return super().get_config() | {"pieces": self.pieces}


#: The hidden activations :func:`activation_mlp` knows.
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "gelu", "maxout", "tanh", "sigmoid")


def _activation_layer(name, l, pieces):
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=MAAS_LEAKY_SLOPE, name=f"leaky_relu_{l}")
    if name == "prelu":  # one learned slope per unit, starting at Keras's default 0 (a ReLU)
        return keras.layers.PReLU(name=f"prelu_{l}")
    if name == "maxout":
        return Maxout(pieces, name=f"maxout_{l}")
    if name == "gelu":  # the exact z Φ(z), as course_lib.activations.gelu
        return keras.layers.Activation(lambda z: keras.activations.gelu(z, approximate=False), name=f"gelu_{l}")
    return keras.layers.Activation(name, name=f"{name}_{l}")


def activation_mlp(
    input_dim,
    hidden=(32, 32),
    n_outputs=10,
    activation="relu",
    seed=0,
    kernel_initializer="he_normal",
    pieces=2,
    name=None,
):
    r"""An MLP: (Dense_l, activation layer) for each hidden width, then a softmax Dense layer.

    ``activation`` is one of :data:`HIDDEN_ACTIVATIONS`: leaky ReLU uses Maas et al.'s slope 0.01;
    PReLU learns one slope per unit (Keras's ``PReLU``, starting at 0); GELU is the exact z Φ(z);
    maxout makes hidden layer l a ``Dense(pieces * width)`` followed by :class:`Maxout`, so it has
    ``width`` units of ``pieces`` affine pieces each (``pieces`` times the weights of the others).
    Kernels come from ``kernel_initializer`` (default ``he_normal``, variance 2/fan_in, the scale a
    ReLU needs) with a per-layer seed; biases start at 0. Returns a ``keras.Sequential``.
    """
    from course_lib.models import layer_seeds, seeded_initializer

    input_dim = check_scalar("input_dim", input_dim, low=1, integer=True)
    n_outputs = check_scalar("n_outputs", n_outputs, low=1, integer=True)
    seed = check_scalar("seed", seed, low=0, integer=True)
    pieces = check_scalar("pieces", pieces, low=1, integer=True)
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation must be one of {HIDDEN_ACTIVATIONS}, got {activation!r}")
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = tuple(check_scalar("hidden", h, low=1, integer=True) for h in hidden)
    seeds = layer_seeds(seed, len(hidden) + 1)
    layers = [keras.Input(shape=(input_dim,))]
    for l, width in enumerate(hidden, start=1):
        units = pieces * width if activation == "maxout" else width
        init = seeded_initializer(kernel_initializer, seeds[l - 1])
        layers.append(keras.layers.Dense(units, kernel_initializer=init, name=f"dense_{l}"))
        layers.append(_activation_layer(activation, l, pieces))
    init = seeded_initializer(kernel_initializer, seeds[-1])
    layers.append(
        keras.layers.Dense(n_outputs, activation="softmax", kernel_initializer=init, name=f"dense_{len(hidden) + 1}")
    )
    return keras.Sequential(layers, name=name or f"{activation}_mlp")


# --------------------------------------------------------------------------------------------------
# Many activation_mlp networks trained at once: seeds x learning rates, one computation (chapter 01)
# --------------------------------------------------------------------------------------------------
class Sweep(NamedTuple):
    r"""What :func:`activation_sweep` returns for one activation: S seeds × R learning rates.

    ``loss``/``train_accuracy``: mean cross-entropy and accuracy on the whole training set, and
    ``test_loss``/``test_accuracy`` on the test set, each of shape (S, R, epochs + 1), column 0 at
    initialization and column e after epoch e; ``weights``: the final weights in ``get_weights()``
    order of :func:`activation_mlp`, each with two leading axes (S, R); ``diverged`` (S, R): the final
    training loss is not finite.
    """

    activation: str
    hidden: tuple
    pieces: int
    seeds: tuple
    learning_rates: np.ndarray
    loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    weights: list
    diverged: np.ndarray

    def best_rate(self):
        r"""Index of the grid rate with the lowest mean final training loss over the seeds.

        Rates at which some seed diverged are excluded; ``ValueError`` if every rate diverged.
        """
        final = np.where(self.diverged.any(axis=0), np.inf, self.loss[:, :, -1].mean(axis=0))
        if not np.isfinite(final).any():
            raise ValueError(f"{self.activation}: every learning rate diverged for some seed")
        return int(np.argmin(final))

    def model(self, seed_index, rate_index):
        """The Keras :func:`activation_mlp` of arm (``seeds[seed_index]``, ``learning_rates[rate_index]``)
        with its final weights (``ValueError`` for a diverged arm)."""
        if self.diverged[seed_index, rate_index]:
            raise ValueError(f"arm ({seed_index}, {rate_index}) diverged: it has no weights")
        d, n_outputs = self.weights[0].shape[2], self.weights[-1].shape[-1]
        net = activation_mlp(d, self.hidden, n_outputs, self.activation, self.seeds[seed_index], pieces=self.pieces)
        net.set_weights([w[seed_index, rate_index] for w in self.weights])
        return net


def _arm_forward(weights, x, name, pieces, n_hidden, slopes=False):
    """Forward pass of stacked PReLU or maxout networks (arms first); elementwise units use networks.forward.

    Returns the layer inputs h_0..h_{L−1}, the pre-activations z_1..z_L and, with ``slopes``, each
    hidden layer's ∂h/∂z: for maxout the one-hot of the winning piece, for PReLU the pair
    (∂g/∂z, ∂g/∂α) of :func:`course_lib.activations.prelu_grad`.
    """
    from course_lib import activations as act

    inputs, pre, slope, i = [x], [], [], 0
    for l in range(n_hidden + 1):
        z = np.matmul(inputs[-1], weights[i]) + weights[i + 1][:, None, :]
        pre.append(z)
        i += 2
        if l == n_hidden:
            return inputs, pre, slope
        if name == "prelu":  # act.prelu without its argument checks (a diverged arm holds NaN)
            alpha = weights[i][:, None, :]
            inputs.append(np.maximum(z, 0.0) + alpha * np.minimum(z, 0.0))
            if slopes:
                slope.append((np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0)), np.minimum(z, 0.0)))
            i += 1
        else:
            h = act.maxout(z, pieces)
            inputs.append(h)
            if slopes:  # act.maxout_grad (a tie, which has probability 0, would pass to both pieces)
                slope.append(z == np.repeat(h, pieces, axis=-1))


def _output_gradient(logits, y):
    """∂J/∂logits for J the mean softmax cross-entropy over the batch, per arm: (softmax − onehot(y)) / B."""
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    p -= np.eye(p.shape[-1])[y]
    return p / y.shape[-1]


def _network(weights, name, n_hidden):
    """The elementwise-activation arms as one :mod:`course_lib.networks` stack (linear output: the logits)."""
    from course_lib import networks

    return [
        networks.Dense(weights[2 * k], weights[2 * k + 1], name if k < n_hidden else "linear")
        for k in range(n_hidden + 1)
    ]


def _logits_and_gradients(weights, x, y, name, pieces, n_hidden):
    """The arms' logits on a batch x (arms, B, d) and the gradients of their mean cross-entropy."""
    from course_lib import networks

    if name in ("prelu", "maxout"):
        inputs, pre, slope = _arm_forward(weights, x, name, pieces, n_hidden, slopes=True)
        return pre[-1], _arm_gradients(weights, inputs, pre, slope, _output_gradient(pre[-1], y), name, pieces)
    net = _network(weights, name, n_hidden)
    fwd = networks.forward(net, x)
    grads = networks.backward(net, fwd, _output_gradient(fwd.output, y)).grads
    return fwd.output, [g for pair in grads for g in pair]


def _arm_gradients(weights, inputs, pre, slope, delta, name, pieces):
    """Gradients (get_weights order, arms first) of stacked PReLU or maxout networks, by backprop from
    ``delta`` = ∂J/∂z_L."""
    grads, i = [None] * len(weights), len(weights)
    for l in range(len(pre) - 1, -1, -1):
        i -= 3 if name == "prelu" and l < len(pre) - 1 else 2
        grads[i] = np.matmul(inputs[l].transpose(0, 2, 1), delta)
        grads[i + 1] = delta.sum(axis=1)
        if l == 0:
            return grads
        dh = np.matmul(delta, weights[i].transpose(0, 2, 1))  # ∂J/∂h_l
        if name == "prelu":
            dz, dalpha = slope[l - 1]
            grads[i - 1] = np.sum(dh * dalpha, axis=1)
            delta = dh * dz
        else:
            delta = np.repeat(dh, pieces, axis=-1) * slope[l - 1]


def activation_sweep(
    data,
    activation="relu",
    hidden=(32, 32),
    learning_rates=(0.1,),
    seeds=(0,),
    epochs=5,
    batch_size=50,
    kernel_initializer="he_normal",
    pieces=2,
    initial_weights=None,
    record_every=1,
    record_epochs=None,
):
    r"""Train S × R :func:`activation_mlp` networks (seeds × learning rates) with plain SGD, as one computation.

    Arm (s, r) is the network ``activation_mlp(d, hidden, activation=..., seed=seeds[s])`` trained by
    mini-batch SGD θ ← θ − η_r ∇J_B(θ) (J_B the mean cross-entropy over a batch B) on ``data`` for
    ``epochs`` epochs, each a fresh permutation from ``numpy.random.default_rng(seeds[s])`` cut into
    batches of ``batch_size``: exactly what :func:`course_lib.models.train` does to that network with
    ``keras.optimizers.SGD(learning_rate=η_r)`` and ``seed=seeds[s]`` (the tests check it to
    1e-12; to 1e-8 for leaky ReLU, whose Keras layer keeps its slope in float32, and GELU).
    All arms are stacked on a leading axis and stepped together in NumPy: elementwise activations by
    :func:`course_lib.networks.forward` and ``backward`` on the stack, PReLU and maxout (which
    :mod:`course_lib.networks` does not have) by their own stacked pass here (the arms
    of one seed share their initial weights and batches: a paired design). ``initial_weights``
    (optional) replaces the seeded start: a list in ``get_weights()`` order with leading axes (S, R).
    The losses are recorded at initialization, after every ``record_every``-th epoch and after the last;
    ``record_epochs`` (a sequence of epochs, optional) replaces ``record_every``: recorded then, and after
    the last epoch (each record is a pass over both sets, so fewer records are faster).

    Returns a :class:`Sweep` with the whole-set losses and accuracies after every epoch. A diverged
    arm (non-finite loss) is marked in ``Sweep.diverged`` and does not affect the other arms.
    Raises ``ValueError`` for an unknown activation or an empty/non-positive grid.
    """
    from threadpoolctl import threadpool_limits

    from course_lib import networks
    from course_lib.datasets import Dataset

    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a course_lib.datasets.Dataset, got {type(data).__name__}")
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation must be one of {HIDDEN_ACTIVATIONS}, got {activation!r}")
    rates = np.atleast_1d(np.asarray(learning_rates, dtype=np.float64))
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"learning_rates must be a non-empty 1-D sequence of positive numbers, got {learning_rates!r}")
    seeds = tuple(check_scalar("seeds", s, low=0, integer=True) for s in np.atleast_1d(seeds))
    if not seeds:
        raise ValueError("seeds must not be empty")
    epochs = check_scalar("epochs", epochs, low=1, integer=True)
    batch_size = check_scalar("batch_size", batch_size, low=1, integer=True)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    if record_epochs is None:
        recorded = set(range(record_every, epochs + 1, record_every)) | {epochs}
    else:
        recorded = {check_scalar("record_epochs", e, low=1, high=epochs, integer=True) for e in record_epochs}
        recorded.add(epochs)
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = tuple(check_scalar("hidden", h, low=1, integer=True) for h in hidden)
    n_seeds, n_rates = len(seeds), rates.size
    arms = n_seeds * n_rates
    d = data.x_train.shape[1]
    if initial_weights is None:
        per_seed = [
            activation_mlp(
                d, hidden, data.n_classes, activation, s, kernel_initializer=kernel_initializer, pieces=pieces
            ).get_weights()
            for s in seeds
        ]
        start = [np.repeat(np.stack([w[i] for w in per_seed]), n_rates, axis=0) for i in range(len(per_seed[0]))]
    else:
        start = [np.asarray(w, dtype=np.float64).reshape((arms,) + np.shape(w)[2:]) for w in initial_weights]
    weights = [w.astype(np.float64) for w in start]  # the arms still training
    alive = np.arange(arms)  # their indices; a diverged arm is dropped at once (NaN arithmetic is slow)
    step_size = np.tile(rates, n_seeds)  # arm a = (seed a // R, rate a % R)
    x_train, y_train = np.asarray(data.x_train, dtype=np.float64), np.asarray(data.y_train)
    sets = [(x_train, y_train), (np.asarray(data.x_test, dtype=np.float64), np.asarray(data.y_test))]
    n_hidden = len(hidden)

    def record():
        values = [np.full(arms, np.nan) for _ in range(4)]
        for k, (x, y) in enumerate(sets):
            if activation in ("prelu", "maxout"):  # x (n, d): shared by all arms
                logits = _arm_forward(weights, x, activation, pieces, n_hidden)[1][-1]
            else:
                logits = networks.forward(_network(weights, activation, n_hidden), x).output
            shifted = logits - logits.max(axis=-1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            values[2 * k][alive] = -log_p[:, np.arange(len(y)), y].mean(axis=1)
            values[2 * k + 1][alive] = np.mean(logits.argmax(axis=-1) == y, axis=1)
        return values

    rngs = [np.random.default_rng(s) for s in seeds]
    n = len(x_train)
    final = [np.full((arms,) + w.shape[1:], np.nan) for w in weights]
    # small matrices: one BLAS thread is faster than many (and immune to a busy machine)
    with threadpool_limits(1, user_api="blas"), np.errstate(over="ignore", invalid="ignore", under="ignore"):
        history = [record()]
        for epoch in range(1, epochs + 1):
            order = np.repeat(np.stack([rng.permutation(n) for rng in rngs]), n_rates, axis=0)
            for first in range(0, n, batch_size):
                batch = order[alive, first : first + batch_size]  # (arms alive, B)
                logits, grads = _logits_and_gradients(
                    weights, x_train[batch], y_train[batch], activation, pieces, n_hidden
                )
                for w, g in zip(weights, grads):
                    w -= step_size[alive].reshape((-1,) + (1,) * (w.ndim - 1)) * g
                finite = np.all(np.isfinite(logits), axis=(1, 2))
                if not finite.all():
                    alive, weights = alive[finite], [w[finite] for w in weights]
            if epoch in recorded:
                history.append(record())
    for f, w in zip(final, weights):
        f[alive] = w
    loss, train_accuracy, test_loss, test_accuracy = (
        np.stack([h[k] for h in history], axis=-1).reshape(n_seeds, n_rates, -1) for k in range(4)
    )
    diverged = ~np.isfinite(loss[:, :, -1])
    for f in final:  # a diverged arm has no weights
        f[diverged.ravel()] = np.nan
    return Sweep(
        activation=activation,
        hidden=hidden,
        pieces=pieces,
        seeds=seeds,
        learning_rates=rates,
        loss=loss,
        train_accuracy=train_accuracy,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        weights=[f.reshape((n_seeds, n_rates) + f.shape[1:]) for f in final],
        diverged=diverged,
    )
