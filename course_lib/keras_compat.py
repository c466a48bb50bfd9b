"""The lectures' optimizer rules against ``keras.optimizers`` (Keras 3): every difference, one place.

:data:`CONVENTIONS` lists each difference between a lecture form (course_lib's default) and Keras's,
with its conversion and two *recipes*: a Python expression that builds the Keras optimizer and one
that builds the course_lib optimizer reproducing it. The recipes are code, not prose: the tests
evaluate every pair (names ``keras``, ``optimizers``, ``schedules`` in scope), run both for 200 steps
on float64 quadratics with :func:`keras_trajectory`, and check the iterates agree to the row's
``tolerance``. :data:`FLOAT32_NOTES` lists where Keras rounds through float32 even for float64
variables (each note is demonstrated by a test). Chapter 09 prints the table.

Layer: algorithms (imports :mod:`course_lib.optimizers` and :mod:`course_lib.schedules`; Keras only
inside :func:`keras_trajectory`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import optimizers, schedules
from course_lib.validation import check_scalar

__all__ = ["Convention", "CONVENTIONS", "FLOAT32_NOTES", "recipe_pair", "keras_trajectory"]


class Convention(NamedTuple):
    """One difference between a lecture rule and Keras's.

    topic, lecture, keras, convert : the rule in each form and how to convert (text for the book);
    keras_recipe, course_lib_recipe : Python expressions building the two optimizers;
    tolerance : the largest |θ_k(Keras) − θ_k(course_lib)| the tests accept over 200 float64 steps
        (round-off, or a float32 rounding listed in :data:`FLOAT32_NOTES`).
    """

    topic: str
    lecture: str
    keras: str
    convert: str
    keras_recipe: str
    course_lib_recipe: str
    tolerance: float


CONVENTIONS = [
    Convention(
        "gradient descent",
        "θ ← θ − α g",
        "θ ← θ − α g   (SGD, momentum=0)",
        "identical",
        "keras.optimizers.SGD(learning_rate=0.125)",
        "optimizers.GradientDescent(0.125)",
        1e-12,
    ),
    Convention(
        "SGD with momentum",
        "v ← μv − g;  θ ← θ + αv",
        "m ← μm − αg;  θ ← θ + m",
        "m = αv: identical iterates for a constant α; they differ when α varies (see 'schedules')",
        "keras.optimizers.SGD(learning_rate=0.125, momentum=0.75)",
        "optimizers.Momentum(0.125, 0.75)",
        1e-12,
    ),
    Convention(
        "Nesterov",
        "v ← μv − ∇h(θ + αμv);  θ ← θ + αv",
        "m ← μm − α∇h(φ);  φ ← φ + μm − α∇h(φ)   (nesterov=True)",
        "Keras stores the look-ahead point φ_k = θ_k + αμv_k (φ₀ = θ₀); θ_k = φ_k − μm_k",
        "keras.optimizers.SGD(learning_rate=0.125, momentum=0.75, nesterov=True)",
        "optimizers.Momentum(0.125, 0.75, nesterov=True, keras_form=True)",
        1e-12,
    ),
    Convention(
        "AdaGrad",
        "r ← r + g²;  θ ← θ − αg/(ε + √r),  r₀ = 0",
        "r ← r + g²;  θ ← θ − αg/√(r + ε),  r₀ = 0.1, ε = 1e-7",
        "ε moves inside the root; Keras starts the sum at 0.1 (initial_accumulator_value)",
        "keras.optimizers.Adagrad(learning_rate=0.25)",
        "optimizers.AdaGrad(0.25, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True)",
        1e-6,  # Keras's r₀ is float32(0.1): FLOAT32_NOTES
    ),
    Convention(
        "RMSProp",
        "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/(ε + √r)",
        "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/√(r + ε),  ε = 1e-7",
        "ε moves inside the root (Keras's momentum=0, centered=False are the lecture's RMSProp)",
        "keras.optimizers.RMSprop(learning_rate=0.0625, rho=0.75)",
        "optimizers.RMSProp(0.0625, rho=0.75, eps=1e-7, eps_inside_sqrt=True)",
        1e-12,
    ),
    Convention(
        "Adam",
        "θ ← θ − α m̂/(ε + √v̂),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)",
        "θ ← θ − α_t m/(ε + √v),  α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ),  ε = 1e-7",
        "Keras's ε equals a lecture ε_t = ε/√(1 − β₂ᵗ); same m, v, and t = 1 at the first step",
        "keras.optimizers.Adam(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.Adam(0.0625, 0.875, 1 - 2**-10, eps=1e-7, keras_bias_correction=True)",
        1e-12,
    ),
    Convention(
        "defaults",
        "course_lib: Momentum μ = 0.9; ε = 1e-8; Adam α = 1e-3, β = (0.9, 0.999)",
        "SGD learning_rate=0.01, momentum=0.0; ε = 1e-7; Adam 1e-3, (0.9, 0.999); RMSprop ρ = 0.9",
        "pass Keras's values explicitly; names beta1/beta2/eps here, beta_1/beta_2/epsilon in Keras",
        "keras.optimizers.Adam()",
        "optimizers.Adam(eps=1e-7, keras_bias_correction=True)",
        1e-5,  # β's and α = 0.001 are not exact in float32: FLOAT32_NOTES
    ),
    Convention(
        "schedules",
        "step k = 0, 1, ... uses α_k; the velocity v does not carry α",
        "step uses schedule(optimizer.iterations), iterations = 0 at the first step; m carries α_k",
        "same index k; with a varying α only Momentum(keras_form=True) reproduces Keras's velocity",
        "keras.optimizers.SGD(learning_rate=schedules.InverseTime(0.125, k0=20).to_keras(), momentum=0.75)",
        "optimizers.Momentum(schedules.InverseTime(0.125, k0=20), 0.75, keras_form=True)",
        1e-6,  # Keras's schedules compute in float32: FLOAT32_NOTES
    ),
]

#: Where Keras rounds through float32 even when the variables are float64 (each shown by a test).
FLOAT32_NOTES = [
    "Keras keeps a float learning_rate in a variable of its default float type: with Keras's float32 "
    "default, α = 0.1 acts as float32(0.1) = 0.100000001490116... on float64 weights, so runs agree only "
    "to ~1e-8 (rates exact in float32, 0.125 or 0.0625, agree to round-off); after course_lib.setup() "
    "(float64) the rate is exact.",
    "Adam computes β₁ᵗ and β₂ᵗ from float32-rounded β's but updates m and v with the exact floats: with "
    "β₂ = 0.999 float64 runs agree to ~1e-5 only; β's exact in float32 (0.875, 1 − 2⁻¹⁰) agree to "
    "round-off.",
    "Adagrad starts its accumulator at float32(0.1): initial_accumulator=float(np.float32(0.1)) "
    "reproduces Keras to round-off, 0.1 to ~1e-9.",
    "Keras's learning-rate schedules compute in float32, so a scheduled run agrees to ~1e-8.",
    "Keras's default float type is float32, whose sums depend on the CPU, the thread count and oneDNN "
    "(TF_ENABLE_ONEDNN_OPTS=1); the book's networks use float64 (course_lib.setup(floatx='float64')), "
    "which gives the same numbers everywhere.",
]


def recipe_pair(convention):
    """Evaluate a :class:`Convention`'s two recipes: returns (keras optimizer, course_lib optimizer)."""
    import keras

    names = {"keras": keras, "optimizers": optimizers, "schedules": schedules, "__builtins__": {}}
    return eval(convention.keras_recipe, names), eval(convention.course_lib_recipe, names)


def keras_trajectory(optimizer, quadratic, theta0, steps=200):
    """θ_0 ... θ_steps of a ``keras.optimizers`` optimizer on a quadratic, with a float64 variable.

    Args:
        optimizer: a fresh Keras optimizer (it is built for one float64 variable).
        quadratic: a :class:`course_lib.objectives.Quadratic`; the gradient Aθ − b is computed by
            TensorFlow from A and b, independently of course_lib.
        theta0: the start, shape (n,).
        steps: 200; an integer >= 1.

    Returns an array (steps + 1, n), comparable with ``optimizers.run(...).thetas``. The loop runs in
    one ``tf.function`` (``apply_gradients`` inside ``tf.range``: 100 times faster than eager steps).
    Chapter 09.
    """
    import keras
    import tensorflow as tf

    steps = check_scalar("steps", steps, low=1, integer=True)
    theta0 = np.asarray(theta0, dtype=np.float64)
    var = keras.Variable(theta0, dtype="float64")
    optimizer.build([var])
    A, b = tf.constant(quadratic.A), tf.constant(quadratic.b)

    @tf.function
    def loop():
        out = tf.TensorArray(tf.float64, size=steps)
        for i in tf.range(steps):
            optimizer.apply_gradients([(tf.linalg.matvec(A, var.value) - b, var)])
            out = out.write(i, var.value)
        return out.stack()

    # Each call traces its own loop (a new variable and optimizer), which TensorFlow's logger would
    # report as "retracing" from the sixth call on: silence it for this call only.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        thetas = loop().numpy()
    finally:
        logger.setLevel(level)
    return np.vstack([theta0, thetas])
