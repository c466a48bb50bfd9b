r"""Chapter 04's experiments: capacity, augmentation, dropout, multitask and ensembles (NumPy, batched).

* :func:`polynomial_data`, :func:`polynomial_errors` -- least-squares polynomial fits of growing degree
  (Legendre basis on [−1, 1]) and their training and test mean squared errors (the capacity U).
* :func:`digit_images`, :func:`augment` -- a small digits split with pixels in [0, 1] (so that an image
  can be shifted: zero is the blank background), and random shifts by up to ``shift`` pixels plus
  Gaussian pixel noise (dataset augmentation).
* :func:`train_mlp` -- one-hidden-layer ReLU networks with softmax heads, S seeds × R learning rates
  trained by mini-batch SGD as one stacked computation; options: inverted dropout on the hidden units,
  an L2 penalty (Keras's λ‖W‖² on the kernels), augmentation, and a second head (multitask: the digit
  and its parity from one shared hidden layer). With none of them it is :func:`course_lib.networks.train`
  arm by arm (tested to 1e-10); with them, one arm equals the Keras model of :func:`keras_arm` trained on
  the same :func:`batch_stream` (batches, augmentation, dropout masks, bootstrap sample; tested to 1e-12).
  Option ``bootstrap``: each seed trains on its own bootstrap resample (bagging). :func:`choose` picks
  one rate and epoch on the validation split (early stopping) and returns the test errors there, seed
  by seed and image by image; :func:`compare` the paired difference of two arms with a standard error
  over seeds and over test images; :func:`ensemble_check` the ensemble formula on trained members.
* :func:`mask_probabilities` -- a trained network's class probabilities under given hidden-unit masks
  (dropout's implicit ensemble), and :func:`noisy_inputs_fit` -- least squares on noise-injected copies
  of the inputs (Bishop 1995: ≈ ridge with λ = σ²).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import losses, networks, regularization
from course_lib.validation import check_scalar, check_seed

__all__ = [
    "true_curve",
    "polynomial_data",
    "polynomial_errors",
    "Split",
    "digit_images",
    "augment",
    "Result",
    "train_mlp",
    "Choice",
    "choose",
    "batch_stream",
    "keras_arm",
    "Comparison",
    "compare",
    "member_probabilities",
    "EnsembleCheck",
    "ensemble_check",
    "mask_probabilities",
    "noisy_inputs_fit",
]

TASKS = {"digit": 10, "parity": 2}


def true_curve(x):
    """The target of the capacity experiment, a quadratic: f(x) = x² − x/2 (the seed's figure 5.2)."""
    return np.asarray(x, dtype=np.float64) ** 2 - 0.5 * np.asarray(x, dtype=np.float64)


def polynomial_data(n_train=10, n_test=500, noise=0.1, seed=0):
    """(x_train, y_train, x_test, y_test): x uniform on [−1, 1], y = :func:`true_curve` + N(0, noise²)."""
    n_train = check_scalar("n_train", n_train, low=2, integer=True)
    n_test = check_scalar("n_test", n_test, low=1, integer=True)
    noise = check_scalar("noise", noise, low=0)
    rng = np.random.default_rng(check_seed(seed))
    x_train, x_test = rng.uniform(-1, 1, n_train), rng.uniform(-1, 1, n_test)
    y_train = true_curve(x_train) + noise * rng.normal(size=n_train)
    y_test = true_curve(x_test) + noise * rng.normal(size=n_test)
    return x_train, y_train, x_test, y_test


def polynomial_errors(degrees, x_train, y_train, x_test, y_test, grid=None):
    """Training and test MSE of the least-squares polynomial of each degree (and its values on ``grid``).

    Returns ``(train_mse, test_mse, curves)``, curves of shape (len(degrees), len(grid)) (empty if no grid).
    A degree >= n_train − 1 interpolates the training points.
    """
    degrees = [check_scalar("degrees", d, low=0, integer=True) for d in np.atleast_1d(degrees)]
    grid = np.empty(0) if grid is None else np.asarray(grid, dtype=np.float64)
    train, test, curves = [], [], []
    for d in degrees:
        coef = np.polynomial.legendre.legfit(x_train, y_train, d)
        value = lambda x, c=coef: np.polynomial.legendre.legval(x, c)  # noqa: E731
        train.append(np.mean((value(x_train) - y_train) ** 2))
        test.append(np.mean((value(x_test) - y_test) ** 2))
        curves.append(value(grid))
    return np.array(train), np.array(test), np.array(curves)


class Split(NamedTuple):
    """A train/validation/test split of digit images, pixels in [0, 1] (8 × 8 = 64 columns), int labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digit_images(n_train=300, n_val=200, extra_test=False):
    """The first ``n_train`` and next ``n_val`` images of ``datasets.digits``'s training set, and its test set.

    Pixels are divided by 16 (not standardized) so that 0 is the blank background an image shifts into.
    ``extra_test=True`` adds the training-set images after the first ``n_train + n_val`` (never used
    for training or selection) to the front of the test set: a larger test set, a smaller sampling error.
    """
    from course_lib import datasets

    n_train = check_scalar("n_train", n_train, low=1, integer=True)
    n_val = check_scalar("n_val", n_val, low=1, integer=True)
    d = datasets.digits(standardize=False)
    if n_train + n_val > len(d.x_train):
        raise ValueError(f"n_train + n_val must be at most {len(d.x_train)}, got {n_train + n_val}")
    x = np.asarray(d.x_train, dtype=np.float64) / 16.0
    cut = n_train + n_val
    x_test, y_test = np.asarray(d.x_test, dtype=np.float64) / 16.0, np.asarray(d.y_test)
    if extra_test:
        x_test, y_test = np.concatenate([x[cut:], x_test]), np.concatenate([d.y_train[cut:], y_test])
    return Split(x[:n_train], d.y_train[:n_train], x[n_train:cut], d.y_train[n_train:cut], x_test, y_test)


def augment(x, rng, shift=1, noise=0.0):
    """Each 8 × 8 image (a row of ``x``) moved by a random (dy, dx) in {−shift..shift}², zeros shifted in,
    then N(0, noise²) added to every pixel. ``shift=0, noise=0`` returns a copy of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 64:
        raise ValueError(f"x must be (n, 64) images, got shape {x.shape}")
    s = check_scalar("shift", shift, low=0, high=3, integer=True)
    noise = check_scalar("noise", noise, low=0)
    m = len(x)
    padded = np.pad(x.reshape(m, 8, 8), ((0, 0), (s, s), (s, s)))
    dy, dx = rng.integers(-s, s + 1, size=(2, m))
    ar = np.arange(8)
    rows = (s - dy)[:, None, None] + ar[None, :, None]
    cols = (s - dx)[:, None, None] + ar[None, None, :]
    out = padded[np.arange(m)[:, None, None], rows, cols].reshape(m, 64)
    return out + noise * rng.normal(size=out.shape) if noise else out


class Result(NamedTuple):
    """:func:`train_mlp`'s records: ``val_loss``, ``val_error``, ``test_loss``, ``test_error`` of shape
    (n_tasks, S, R, T) at the epochs ``epochs`` (0 = initialization), NaN after divergence; ``test_wrong``
    (n_tasks, S, R, T, n_test) whether each test image is misclassified there; ``params`` the final
    stacked weights (W1 (S, R, 64, H), b1, and per head (W, b))."""

    tasks: tuple
    seeds: tuple
    learning_rates: np.ndarray
    epochs: np.ndarray
    val_loss: np.ndarray
    val_error: np.ndarray
    test_loss: np.ndarray
    test_error: np.ndarray
    params: dict
    test_wrong: np.ndarray


def _labels(y, task):
    return np.asarray(y) % 2 if task == "parity" else np.asarray(y)


def _init(hidden, tasks, seed):
    trunk = networks.init([64, hidden, TASKS[tasks[0]]], "relu", seed)
    heads = [(trunk[1].W, trunk[1].b)]
    for j, task in enumerate(tasks[1:], start=1):
        extra = networks.init([hidden, TASKS[task]], "linear", seed + 1000 * j)[0]
        heads.append((extra.W, extra.b))
    return trunk[0].W, trunk[0].b, heads


def _forward(W1, b1, heads, x):
    """Logits of every head for stacked arms: x (A, m, 64) or (m, 64)."""
    h = np.maximum(x @ W1 + b1[:, None], 0.0)
    return [h @ W + b[:, None] for W, b in heads]


def _scores(W1, b1, heads, x, ys):
    out = []
    for logits, y in zip(_forward(W1, b1, heads, x), ys):
        logp = losses.log_softmax(logits)
        nll = -np.take_along_axis(logp, np.broadcast_to(y[None, :, None], logp.shape[:-1] + (1,)), -1)
        wrong = logits.argmax(-1) != y
        out.append((nll.mean(axis=(-2, -1)), np.mean(wrong, axis=-1), wrong))
    return out


def _step(P, x, ys, rates, dropout, weight_decay, masks):
    W1, b1, heads = P
    z = x @ W1 + b1[:, None]
    h = np.maximum(z, 0.0)
    hd = h * masks / (1.0 - dropout) if dropout else h
    dh, new_heads = 0.0, []
    for (W, b), y in zip(heads, ys):
        g = np.exp(losses.log_softmax(hd @ W + b[:, None]))
        np.put_along_axis(g, y[..., None], np.take_along_axis(g, y[..., None], -1) - 1.0, -1)
        g /= x.shape[1]  # the gradient of the batch's mean cross-entropy with respect to the logits
        dh = dh + g @ np.swapaxes(W, -1, -2)
        dW = np.swapaxes(hd, -1, -2) @ g + 2.0 * weight_decay * W
        new_heads.append((W - rates[:, None, None] * dW, b - rates[:, None] * g.sum(axis=1)))
    if dropout:
        dh = dh * masks / (1.0 - dropout)
    dz = dh * (z > 0)
    dW1 = np.swapaxes(x, -1, -2) @ dz + 2.0 * weight_decay * W1
    return W1 - rates[:, None, None] * dW1, b1 - rates[:, None] * dz.sum(axis=1), new_heads


def batch_stream(x, seed, *, epochs, batch_size=32, hidden=64, dropout=0.0, shift=0, noise=0.0, bootstrap=False):
    """The training data one seed of :func:`train_mlp` sees: for each epoch, a list of batches
    ``(images (b, 64), indices (b,), mask (b, hidden) or None)``; ``indices`` are rows of ``x`` (labels).

    ``default_rng(seed)`` draws one permutation per epoch (as :func:`course_lib.networks.train`);
    ``default_rng((seed, 1))`` each epoch's augmentation (:func:`augment`) and then each batch's dropout
    mask (:func:`course_lib.regularization.dropout_mask`); with ``bootstrap``, ``default_rng((seed, 2))``
    draws once the m indices (with replacement) of the bootstrap sample that replaces the training set.
    A generator: the same stream for the NumPy trainer and for a Keras model (:func:`keras_arm`).
    """
    x = np.asarray(x, dtype=np.float64)
    m = len(x)
    orders, extras = np.random.default_rng(seed), np.random.default_rng((seed, 1))
    sample = np.random.default_rng((seed, 2)).integers(0, m, size=m) if bootstrap else np.arange(m)
    for _ in range(epochs):
        order = sample[orders.permutation(m)]
        images = augment(x, extras, shift, noise) if (shift or noise) else x
        batches = []
        for first in range(0, m, batch_size):
            index = order[first : first + batch_size]
            mask = regularization.dropout_mask((len(index), hidden), dropout, extras) if dropout else None
            batches.append((images[index], index, mask))
        yield batches


def train_mlp(
    split,
    hidden=64,
    *,
    learning_rates,
    seeds,
    epochs=60,
    batch_size=32,
    dropout=0.0,
    weight_decay=0.0,
    shift=0,
    noise=0.0,
    tasks=("digit",),
    bootstrap=False,
    record_every=5,
):
    r"""Train 64-``hidden``-heads ReLU networks, every seed × rate, by mini-batch SGD on the mean cross-entropy
    (summed over the heads), as one stacked computation.

    Seed s draws the initial weights (``networks.init``) and its data (:func:`batch_stream`: batch order,
    augmentation, dropout masks, bootstrap sample): the rates of one seed see the same data, order and
    masks (paired). ``dropout``: inverted dropout of the hidden units during training (evaluation uses
    the full network: the weight-scaling rule); ``weight_decay`` λ adds λ‖W‖² per kernel (Keras's
    ``L2(λ)``); ``shift``/``noise``: :func:`augment` redrawn every epoch; ``bootstrap``: each seed trains
    on its own bootstrap resample of the training set (bagging). One arm equals a Keras model trained on
    the same stream (:func:`keras_arm`, tested to 1e-10). Returns a :class:`Result`.
    """
    tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
    if not tasks or any(t not in TASKS for t in tasks):
        raise ValueError(f"tasks must be names from {tuple(TASKS)}, got {tasks!r}")
    hidden = check_scalar("hidden", hidden, low=1, integer=True)
    rates = np.asarray(np.atleast_1d(learning_rates), dtype=np.float64)
    if rates.ndim != 1 or not np.all(rates > 0):
        raise ValueError(f"learning_rates must be positive numbers, got {learning_rates!r}")
    seeds = tuple(check_seed(s, "seeds") for s in np.atleast_1d(seeds).tolist())
    epochs = check_scalar("epochs", epochs, low=1, integer=True)
    batch_size = check_scalar("batch_size", batch_size, low=1, integer=True)
    dropout = check_scalar("dropout", dropout, low=0, high=1, high_open=True)
    weight_decay = check_scalar("weight_decay", weight_decay, low=0)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    S, R = len(seeds), rates.size
    arm_seed, arm_rate = np.repeat(np.arange(S), R), np.tile(rates, S)
    inits = [_init(hidden, tasks, s) for s in seeds]
    stack = lambda arrays: np.repeat(np.stack(arrays), R, axis=0)  # noqa: E731
    W1, b1 = stack([i[0] for i in inits]), stack([i[1] for i in inits])
    heads = [(stack([i[2][j][0] for i in inits]), stack([i[2][j][1] for i in inits])) for j in range(len(tasks))]
    ys = [_labels(split.y_train, t) for t in tasks]
    evals = [
        (split.x_val, [_labels(split.y_val, t) for t in tasks]),
        (split.x_test, [_labels(split.y_test, t) for t in tasks]),
    ]
    options = dict(epochs=epochs, batch_size=batch_size, hidden=hidden, dropout=dropout, shift=shift,
                   noise=noise, bootstrap=bootstrap)  # fmt: skip
    streams = [batch_stream(split.x_train, s, **options) for s in seeds]
    recorded, history, wrong = [], [], []
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"), np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            if epoch > 0:
                for batch in zip(*(next(stream) for stream in streams)):
                    xb = np.stack([b[0] for b in batch])[arm_seed]
                    index = np.stack([b[1] for b in batch])[arm_seed]
                    masks = np.stack([b[2] for b in batch])[arm_seed] if dropout else None
                    W1, b1, heads = _step(
                        (W1, b1, heads), xb, [y[index] for y in ys], arm_rate, dropout, weight_decay, masks
                    )
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                scores = [_scores(W1, b1, heads, xe, ye) for xe, ye in evals]
                history.append([[score[:2] for score in per_set] for per_set in scores])
                wrong.append([score[2] for score in scores[1]])
    h = np.array(history, dtype=np.float64)  # (T, 2 sets, tasks, 2 scores, A)
    h = np.moveaxis(h, 0, -1).reshape(2, len(tasks), 2, S, R, -1)
    h = np.where(np.isfinite(h), h, np.nan)
    wrong = np.moveaxis(np.array(wrong), 0, 2).reshape(len(tasks), S, R, len(recorded), -1)  # (tasks, S, R, T, n)
    shape = lambda a: a.reshape((S, R) + a.shape[1:])  # noqa: E731
    params = {"W1": shape(W1), "b1": shape(b1), "heads": [(shape(W), shape(b)) for W, b in heads], "hidden": hidden}
    return Result(
        tasks, seeds, rates, np.array(recorded), h[0, :, 0], h[0, :, 1], h[1, :, 0], h[1, :, 1], params, wrong
    )


def keras_arm(split, hidden=64, *, learning_rate, seed, epochs, batch_size=32, dropout=0.0, weight_decay=0.0,
              shift=0, noise=0.0, tasks=("digit",), bootstrap=False):  # fmt: skip
    """One arm of :func:`train_mlp` as a Keras model: the same initial weights and :func:`batch_stream`,
    trained with ``keras.optimizers.SGD`` by ``train_on_batch``.

    The model: Dense(hidden, relu, ``kernel_regularizer=L2(weight_decay)``), multiplied by a second input
    (the dropout mask / (1 − dropout): inverted dropout with the stream's masks, ones if ``dropout=0``),
    then one Dense head per task (logits; ``SparseCategoricalCrossentropy(from_logits=True)``, the heads'
    losses summed). Returns ``(model, params)`` with ``params`` laid out as one arm of ``Result.params``.
    """
    import keras

    tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
    W1, b1, heads = _init(hidden, tasks, seed)
    penalty = keras.regularizers.L2(weight_decay) if weight_decay else None
    images, mask_in = keras.Input((64,)), keras.Input((hidden,))
    h = keras.layers.Dense(hidden, activation="relu", kernel_regularizer=penalty)(images)
    h = keras.layers.Multiply()([h, mask_in])
    outputs = [keras.layers.Dense(TASKS[t], kernel_regularizer=penalty, name=t)(h) for t in tasks]
    model = keras.Model([images, mask_in], outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True) for _ in tasks],
    )
    model.set_weights([W1, b1] + [w for head in heads for w in head])
    ys = [_labels(split.y_train, t) for t in tasks]
    stream = batch_stream(split.x_train, seed, epochs=epochs, batch_size=batch_size, hidden=hidden,
                          dropout=dropout, shift=shift, noise=noise, bootstrap=bootstrap)  # fmt: skip
    for batches in stream:
        for xb, index, mask in batches:
            scaled = mask / (1.0 - dropout) if dropout else np.ones((len(index), hidden))
            model.train_on_batch([xb, scaled], [y[index] for y in ys])
    w = [np.asarray(v) for v in model.get_weights()]
    return model, {"W1": w[0], "b1": w[1], "heads": [(w[2 + 2 * j], w[3 + 2 * j]) for j in range(len(tasks))]}


class Choice(NamedTuple):
    """:func:`choose`'s pick: the rate and epoch with the lowest mean validation loss, and there, per seed,
    the validation and test errors (S,) and which test images are misclassified (S, n_test)."""

    rate: float
    epoch: int
    val_error: np.ndarray
    test_error: np.ndarray
    test_wrong: np.ndarray


def choose(result, task=0):
    """One learning rate and one epoch for all seeds (the lowest validation loss averaged over the seeds;
    rates where a seed diverged are excluded): the same rule for every arm of a comparison."""
    val = result.val_loss[task]  # (S, R, T)
    mean = np.where(np.all(np.isfinite(val), axis=0), val.mean(axis=0), np.inf)
    if not np.isfinite(mean).any():
        raise ValueError("every learning rate diverged")
    r, t = np.unravel_index(np.argmin(mean), mean.shape)
    return Choice(float(result.learning_rates[r]), int(result.epochs[t]), result.val_error[task][:, r, t],
                  result.test_error[task][:, r, t], result.test_wrong[task][:, r, t])  # fmt: skip


class Comparison(NamedTuple):
    r"""Two arms' test errors on the same S seeds and the same n test images (a − b).

    ``mean`` the mean difference d̄; ``differences`` (S,) per seed; ``se_seeds`` their sample std / √S
    (the variation over seeds); ``se_images`` the sample std over images of the seed-averaged per-image
    difference / √n (the sampling error of the test set, McNemar-style); ``stderr`` =
    √(se_seeds² + se_images²) (a slightly conservative s.e. with both seeds and test images random);
    ``distinguishable`` |d̄| > 2 ``stderr``.
    """

    mean: float
    differences: np.ndarray
    se_seeds: float
    se_images: float
    stderr: float
    distinguishable: bool


def compare(a, b):
    """:class:`Comparison` of two :class:`Choice` s (paired: the same seeds and test images)."""
    wa, wb = np.asarray(a.test_wrong, dtype=np.float64), np.asarray(b.test_wrong, dtype=np.float64)
    if wa.shape != wb.shape or wa.ndim != 2 or wa.shape[0] < 2:
        raise ValueError(f"a and b must hold the same >= 2 seeds and test images, got {wa.shape} and {wb.shape}")
    per_seed, per_image = (wa - wb).mean(axis=1), (wa - wb).mean(axis=0)
    se_seeds = float(per_seed.std(ddof=1) / np.sqrt(len(per_seed)))
    se_images = float(per_image.std(ddof=1) / np.sqrt(len(per_image)))
    stderr = float(np.hypot(se_seeds, se_images))
    mean = float(per_seed.mean())
    return Comparison(mean, per_seed, se_seeds, se_images, stderr, bool(abs(mean) > 2 * stderr))


def member_probabilities(result, x, rate_index=0, task=0):
    """Class probabilities (S, m, K) of the final network of every seed at one rate (ensemble members)."""
    p = result.params
    W1, b1 = p["W1"][:, rate_index], p["b1"][:, rate_index]
    heads = [(W[:, rate_index], b[:, rate_index]) for W, b in p["heads"]]
    return np.exp(losses.log_softmax(_forward(W1, b1, heads, np.asarray(x, dtype=np.float64))[task]))


class EnsembleCheck(NamedTuple):
    """:func:`ensemble_check`'s measurements for S members (errors p − e_y on the test / validation images).

    ``v``, ``c`` on the test images and ``v_val``, ``c_val`` on the validation images (as in
    :func:`course_lib.regularization.ensemble_terms`); ``measured`` (S,) the test error of the average
    of k = 1..S members over ``v`` (each averaged over all subsets of k members); ``predicted`` (S,)
    the formula v/k + (k − 1)c/k over v with c/v fitted on the validation images; ``member_accuracy``
    (S,) and ``ensemble_accuracy`` on the test images."""

    v: float
    c: float
    v_val: float
    c_val: float
    measured: np.ndarray
    predicted: np.ndarray
    member_accuracy: np.ndarray
    ensemble_accuracy: float


def ensemble_check(result, split, rate_index=0):
    r"""The ensemble formula E(ε̄²) = v/k + (k − 1)c/k (chapter 04, eq-04-ensemble) on the final networks of
    ``result``'s seeds at one rate: fitted on ``split``'s validation images, tested on its test images."""
    from itertools import combinations

    probs = member_probabilities(result, split.x_test, rate_index)
    errors = probs - np.eye(probs.shape[-1])[split.y_test]
    val_errors = member_probabilities(result, split.x_val, rate_index) - np.eye(probs.shape[-1])[split.y_val]
    v, c, _ = regularization.ensemble_terms(errors)
    v_val, c_val, _ = regularization.ensemble_terms(val_errors)
    S = len(errors)
    sizes = range(1, S + 1)
    measured = [np.mean([np.mean(errors[list(s)].mean(0) ** 2) for s in combinations(range(S), k)]) for k in sizes]
    predicted = [regularization.ensemble_error(1.0, c_val / v_val, k) for k in sizes]
    return EnsembleCheck(
        float(v), float(c), float(v_val), float(c_val), np.array(measured) / v, np.array(predicted),
        np.mean(probs.argmax(-1) == split.y_test, axis=1), float(np.mean(probs.mean(0).argmax(-1) == split.y_test)),
    )  # fmt: skip


def mask_probabilities(W1, b1, W2, b2, x, masks, rate):
    r"""Probabilities softmax((h ⊙ μ / (1 − rate)) W2 + b2), h = ReLU(x W1 + b1), for every mask μ: (M, m, K).

    The members of dropout's implicit ensemble (inverted scaling, as in training). The all-ones mask with
    ``rate=0`` is the full network, the weight-scaling rule's prediction.
    """
    rate = check_scalar("rate", rate, low=0, high=1, high_open=True)
    h = np.maximum(np.asarray(x, dtype=np.float64) @ W1 + b1, 0.0)
    masks = np.asarray(masks, dtype=np.float64)
    logits = (h[None] * masks[:, None, :] / (1.0 - rate)) @ W2 + b2
    return np.exp(losses.log_softmax(logits))


def noisy_inputs_fit(X, y, sigma, copies, seed=0):
    r"""The least-squares fit to ``copies`` noisy copies (X + σ E, y) of the data stacked (E standard normal).

    Its expected loss is 1/(2m)‖Xθ − y‖² + (σ²/2)‖θ‖² (Bishop 1995), so it tends to ``ridge(X, y, σ²)``.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    sigma = check_scalar("sigma", sigma, low=0)
    copies = check_scalar("copies", copies, low=1, integer=True)
    rng = np.random.default_rng(check_seed(seed))
    noisy = np.concatenate([X + sigma * rng.normal(size=X.shape) for _ in range(copies)])
    return np.linalg.lstsq(noisy, np.tile(y, copies), rcond=None)[0]
