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

__all__ = [
    "Convention",
    "CONVENTIONS",
    "FLOAT32_NOTES",
    "MATRIX_SHAPES",
    "recipe_pair",
    "keras_trajectory",
    "check_problem",
    "execute_table",
    "table_markdown",
]


class Convention(NamedTuple):
    """One difference between a lecture rule and Keras's.

    topic, lecture, keras, convert : the rule in each form and how to convert (text for the book);
    keras_recipe, course_lib_recipe : Python expressions building the two optimizers;
    tolerance : the largest |θ_k(Keras) − θ_k(course_lib)| the tests accept over 200 float64 steps
        (round-off, or a float32 rounding listed in :data:`FLOAT32_NOTES`);
    steps : how many steps the tests compare (200; fewer where a constant-size normalized step keeps
        circling the minimum and round-off differences grow chaotically, as Muon's do after ~80 steps);
    torch : ``torch.optim``'s convention for the same optimizer, from its documentation (stated, not
        executed: PyTorch is not a dependency of the book); "" where the row is not about one optimizer.
    """

    topic: str
    lecture: str
    keras: str
    convert: str
    keras_recipe: str
    course_lib_recipe: str
    tolerance: float
    torch: str = ""
    steps: int = 200


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
        1e-8,  # Keras's r₀ is float32(0.1): FLOAT32_NOTES (measured 6.6e-10)
        torch="Adagrad(lr=0.01, eps=1e-10, initial_accumulator_value=0): the lecture form, ε outside",
    ),
    Convention(
        "RMSProp",
        "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/(ε + √r)",
        "r ← ρr + (1 − ρ)g²;  θ ← θ − αg/√(r + ε),  ε = 1e-7",
        "ε moves inside the root (Keras's momentum=0, centered=False are the lecture's RMSProp)",
        "keras.optimizers.RMSprop(learning_rate=0.0625, rho=0.75)",
        "optimizers.RMSProp(0.0625, rho=0.75, eps=1e-7, eps_inside_sqrt=True)",
        1e-9,  # a constant rate keeps RMSProp oscillating near θ*: round-off grows (measured 1.1e-10)
        torch="RMSprop(lr=0.01, alpha=0.99, eps=1e-8): the lecture form (ρ is called alpha), ε outside",
    ),
    Convention(
        "Adam",
        "θ ← θ − α m̂/(ε + √v̂),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)",
        "θ ← θ − α_t m/(ε + √v),  α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ),  ε = 1e-7",
        "Keras's ε equals a lecture ε_t = ε/√(1 − β₂ᵗ); same m, v, and t = 1 at the first step",
        "keras.optimizers.Adam(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.Adam(0.0625, 0.875, 1 - 2**-10, eps=1e-7, keras_bias_correction=True)",
        1e-12,
        torch="Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8): the lecture form, ε outside √v̂",
    ),
    Convention(
        "AMSGrad",
        "v_max ← max(v_max, v);  θ ← θ − α m̂/(ε + √(v_max/(1 − β₂ᵗ)))",
        "v̂ ← max(v̂, v);  θ ← θ − α_t m/(ε + √v̂)   (amsgrad=True)",
        "the maximum of the raw v, bias-corrected by 1 − β₂ᵗ; Keras folds the correction into α_t",
        "keras.optimizers.Adam(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10, amsgrad=True)",
        "optimizers.Adam(0.0625, 0.875, 1 - 2**-10, eps=1e-7, keras_bias_correction=True, amsgrad=True)",
        1e-12,
        torch="Adam(amsgrad=True): max of the raw v, then ÷(1 − β₂ᵗ): the lecture form, ε = 1e-8",
    ),
    Convention(
        "AdamW",
        "θ ← θ − αλθ, then Adam's step with g = ∇h(θ_old)",
        "θ ← θ − αλθ (before the step), then Adam's step; weight_decay=0.004 by default",
        "identical order; pass λ explicitly (course_lib's default is PyTorch's 0.01)",
        "keras.optimizers.AdamW(learning_rate=0.0625, weight_decay=0.25, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.AdamW(0.0625, 0.875, 1 - 2**-10, 1e-7, 0.25, keras_bias_correction=True)",
        1e-12,
        torch="AdamW(lr=1e-3, weight_decay=0.01): θ ← θ(1 − γλ), then Adam: the lecture form",
    ),
    Convention(
        "Adadelta",
        "Δ = −√(d + ε)/√(r + ε) g;  θ ← θ + αΔ;  α = 1, ρ = 0.95, ε = 1e-6 (Zeiler)",
        "the same rule;  learning_rate=0.001, rho=0.95, epsilon=1e-7",
        "identical rule; Keras's default α = 0.001 makes steps 1000 times shorter than Zeiler's",
        "keras.optimizers.Adadelta(learning_rate=1.0, rho=0.875)",
        "optimizers.Adadelta(1.0, rho=0.875, eps=1e-7)",
        1e-12,
        torch="Adadelta(lr=1.0, rho=0.9, eps=1e-6): the same rule",
    ),
    Convention(
        "Adamax",
        "u ← max(β₂u, |g|);  θ ← θ − α/(1 − β₁ᵗ) · m/(u + ε)",
        "the same rule, ε = 1e-7, learning_rate=0.001",
        "identical rule (Kingma and Ba's has no ε; α = 0.002 there)",
        "keras.optimizers.Adamax(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.Adamax(0.0625, 0.875, 1 - 2**-10, eps=1e-7)",
        1e-12,
        torch="Adamax(lr=2e-3, eps=1e-8): ε inside the maximum, u ← max(β₂u, |g| + ε)",
    ),
    Convention(
        "Nadam",
        "μ_t = β₁(1 − ½·0.96^(tψ)), ψ = 0.004 (Dozat);  m̂ = μ_{t+1}m/(1 − Π_{t+1}) + (1 − μ_t)g/(1 − Π_t)",
        "μ_t = β₁(1 − ½·0.96^t)  (ψ = 1), ε = 1e-7, learning_rate=0.001",
        "Keras's momentum schedule reaches β₁ within ~50 steps, Dozat's within ~50 000: momentum_decay=1",
        "keras.optimizers.Nadam(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.Nadam(0.0625, 0.875, 1 - 2**-10, eps=1e-7, momentum_decay=1.0)",
        1e-6,  # μ_t uses float32(0.96): FLOAT32_NOTES
        torch="NAdam(lr=2e-3, momentum_decay=4e-3): Dozat's ψ = 0.004, ε outside √v̂ = 1e-8",
    ),
    Convention(
        "Lion",
        "θ ← θ − α(sign(β₁m + (1 − β₁)g) + λθ);  m ← β₂m + (1 − β₂)g",
        "θ ← θ − αλθ, then θ ← θ − α sign(β₁m + (1 − β₁)g);  β₂ = 0.99, learning_rate=0.001",
        "identical (the decay uses the old θ in both)",
        "keras.optimizers.Lion(learning_rate=0.0625, beta_1=0.875, beta_2=0.96875, weight_decay=0.25)",
        "optimizers.Lion(0.0625, 0.875, 0.96875, weight_decay=0.25)",
        1e-12,
        torch="no Lion in torch.optim",
    ),
    Convention(
        "Muon",
        "B ← μB + G;  O = NS₅(G + μB);  W ← W − αλW − α·0.2√max(p, q)·O",
        "the same for a 2-D variable (rms_rate=0.2, weight_decay=0.004); other variables: AdamW",
        "identical for one matrix (course_lib's Muon takes the matrix shape; weight_decay explicit)",
        "keras.optimizers.Muon(learning_rate=0.0625, momentum=0.875, weight_decay=0.25)",
        "optimizers.Muon(0.0625, 0.875, shape=(2, 3), weight_decay=0.25)",
        1e-12,
        torch="Muon(lr=1e-3, weight_decay=0.1): scale √max(1, p/q) unless adjust_lr_fn='match_rms_adamw'",
        steps=60,  # then it circles the minimum with steps of fixed size: chaotic round-off growth
    ),
    Convention(
        "schedule-free AdamW",
        "z ← z − γg/(ε + √v̂);  x ← (1 − 1/t)x + z/t;  y ← (1 − β₁)z + β₁x,  g = ∇h(y)",
        "the same, but x is recovered from y with the *new* z: x ← (y − (1 − β₁)z_new)/β₁",
        "keras_form=True; the paper's x uses the old z, and the two runs differ by O(γ)",
        "keras.optimizers.ScheduleFreeAdamW(learning_rate=0.0625, beta_1=0.875, beta_2=1 - 2**-10)",
        "optimizers.ScheduleFreeAdamW(0.0625, 0.875, 1 - 2**-10, keras_form=True)",
        1e-12,
        torch="no schedule-free optimizer in torch.optim (the authors' schedulefree package)",
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
    "Nadam's μ_t and μ_{t+1} use ops.cast(0.96, float64), which rounds 0.96 through float32, while its "
    "running product Π_t uses the exact 0.96: float64 runs agree to ~1e-7 only.",
    "Keras's default float type is float32, whose sums depend on the CPU, the thread count and oneDNN "
    "(TF_ENABLE_ONEDNN_OPTS=1); the book's networks use float64 (course_lib.setup(floatx='float64')), "
    "which gives the same numbers everywhere.",
]


def recipe_pair(convention):
    """Evaluate a :class:`Convention`'s two recipes: returns (keras optimizer, course_lib optimizer)."""
    import keras

    names = {"keras": keras, "optimizers": optimizers, "schedules": schedules, "__builtins__": {}}
    return eval(convention.keras_recipe, names), eval(convention.course_lib_recipe, names)


#: The matrix shape of the variable for rows whose optimizer needs a matrix (Muon); others are vectors.
MATRIX_SHAPES = {"Muon": (2, 3)}


def keras_trajectory(optimizer, quadratic, theta0, steps=200, shape=None):
    """θ_0 ... θ_steps of a ``keras.optimizers`` optimizer on a quadratic, with a float64 variable.

    Args:
        optimizer: a fresh Keras optimizer (it is built for one float64 variable).
        quadratic: a :class:`course_lib.objectives.Quadratic`; the gradient Aθ − b is computed by
            TensorFlow from A and b, independently of course_lib.
        theta0: the start, shape (n,).
        steps: 200; an integer >= 1.
        shape: None; a matrix shape (p, q) with p·q = n to give Keras one (p, q) variable (Muon's
            rule applies to 2-D variables only): θ is its row-major flattening, the gradient
            reshape(A vec(W) − b).

    Returns an array (steps + 1, n), comparable with ``optimizers.run(...).thetas``. The loop runs in
    one ``tf.function`` (``apply_gradients`` inside ``tf.range``: 100 times faster than eager steps).
    Chapter 09.
    """
    import keras
    import tensorflow as tf

    steps = check_scalar("steps", steps, low=1, integer=True)
    theta0 = np.asarray(theta0, dtype=np.float64)
    shape = theta0.shape if shape is None else tuple(shape)
    if int(np.prod(shape)) != theta0.size:
        raise ValueError(f"shape must have {theta0.size} entries, got {shape}")
    var = keras.Variable(theta0.reshape(shape), dtype="float64")
    optimizer.build([var])
    A, b = tf.constant(quadratic.A), tf.constant(quadratic.b)

    @tf.function
    def loop():
        out = tf.TensorArray(tf.float64, size=steps)
        for i in tf.range(steps):
            grad = tf.linalg.matvec(A, tf.reshape(var.value, [-1])) - b
            optimizer.apply_gradients([(tf.reshape(grad, shape), var)])
            out = out.write(i, tf.reshape(var.value, [-1]))
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


def check_problem(dim, seed=0):
    """A float64 test problem for the table: a Quadratic with eigenvalues spread over [0.5, 4], random
    eigenvectors and minimizer, and a start θ₀, all from ``numpy.random.default_rng(seed)``."""
    from course_lib import objectives

    dim = check_scalar("dim", dim, low=1, integer=True)
    rng = np.random.default_rng(check_scalar("seed", seed, low=0, integer=True))
    quadratic = objectives.Quadratic.with_eigenvalues(np.linspace(0.5, 4.0, dim), rng, b=rng.normal(size=dim))
    return quadratic, rng.normal(size=dim)


def execute_table(conventions=None, seed=2):
    """Run every row's two recipes side by side: {topic: max_k ‖θ_k(Keras) − θ_k(course_lib)‖_∞}.

    Each row runs its ``steps`` float64 steps on :func:`check_problem` (5-D; a (2, 3) matrix for the rows
    in :data:`MATRIX_SHAPES`). The chapter asserts each difference is below the row's tolerance.
    """
    conventions = CONVENTIONS if conventions is None else list(conventions)
    out = {}
    for convention in conventions:
        shape = MATRIX_SHAPES.get(convention.topic)
        quadratic, theta0 = check_problem(5 if shape is None else int(np.prod(shape)), seed)
        keras_optimizer, ours = recipe_pair(convention)
        theirs = keras_trajectory(keras_optimizer, quadratic, theta0, convention.steps, shape=shape)
        mine = optimizers.run(ours, quadratic, theta0, convention.steps).thetas
        out[convention.topic] = float(np.max(np.abs(theirs - mine)))
    return out


def table_markdown(conventions=None, columns=("topic", "lecture", "keras", "torch")):
    """The table as Markdown (one row per :class:`Convention`, the chosen fields as columns)."""
    conventions = CONVENTIONS if conventions is None else list(conventions)
    for column in columns:
        if column not in Convention._fields:
            raise ValueError(f"columns must be fields of Convention, got {column!r}")
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for convention in conventions:
        cells = [str(getattr(convention, c)).replace("|", "\\|") or "—" for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
