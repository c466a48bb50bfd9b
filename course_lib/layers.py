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

import keras
import numpy as np

from course_lib.activations import MAAS_LEAKY_SLOPE
from course_lib.validation import check_scalar

__all__ = ["Maxout", "HIDDEN_ACTIVATIONS", "activation_mlp"]


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
