r"""Chapter 11's experiments: multilayer perceptrons with batch or layer normalization, trained as stacks.

A *normalized MLP* (:class:`NormNet`) has L layers; every hidden layer k computes

    z_k = a_{k−1} W_k,   u_k = γ_k ⊙ N(z_k) + β_k,   a_k = φ(u_k)       (norm = "batch" or "layer")
    z_k = a_{k−1} W_k + b_k,   a_k = φ(z_k)                              (norm = "none")

and the output layer is a plain z_L = a_{L−1} W_L + b_L (logits, softmax cross-entropy). N is
:func:`course_lib.normalization.batch_norm` (statistics of each feature over the batch; at inference the
running averages, Keras's momentum 0.99 and ε = 10⁻³) or :func:`~course_lib.normalization.layer_norm`
(statistics of each example over its features). A normalized layer has no bias: N removes it (exactly
for batch norm), and β takes its place -- Keras's ``Dense(use_bias=False)`` followed by
``BatchNormalization()``. Everything is a *stack* of A networks (W of shape (A, n_in, n_out)), so the
arms of an experiment (seeds × learning rates) step together as one NumPy computation, the way
:func:`course_lib.networks.sweep` does for plain networks: the weights W come from
:func:`course_lib.networks.init` with the same seed, and the mini-batches are drawn as
:func:`course_lib.networks.sweep` draws them, so arm (s, r) with ``norm="none"`` *is* ``networks.train``'s
run (tested) and the arms with and without normalization are paired.

Runners (chapter 11): :func:`sweep` (arms × epochs, records in inference mode, optional probes of the
gradient change along the gradient, Santurkar et al. 2018), :func:`scale_invariance` and
:func:`effective_rate_run` (the weights feeding a BN layer: invariance, 1/c gradients, α/‖w‖²),
:func:`batch_stat_noise`, :func:`running_gap` and :func:`shift_accuracy` (where batch statistics fail).
:func:`sweep` with ``norm="batch"`` equals ``networks.sweep(..., batch_norm=True)`` to round-off (tested; that one
keeps the redundant bias); this module adds layer normalization, bias-free normalized layers, and the probes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib import activations, losses, networks, normalization
from course_lib.datasets import Dataset
from course_lib.validation import check_scalar, check_seed

__all__ = [
    "NORMS",
    "NormNet",
    "init",
    "forward",
    "backward",
    "loss_and_grads",
    "flat",
    "NormSweep",
    "sweep",
    "reestimate",
    "gradient_change",
    "scale_invariance",
    "effective_rate_run",
    "batch_stat_noise",
    "running_gap",
    "shift_accuracy",
]

NORMS = ("none", "batch", "layer")
EPS = normalization.KERAS_EPSILON


class NormNet(NamedTuple):
    """A stack of A normalized MLPs (module docstring): per layer W (A, n_in, n_out), b (A, n_out)
    (kept at 0 in a normalized hidden layer); per hidden layer γ, β (A, n) and running statistics."""

    W: list
    b: list
    gamma: list
    beta: list
    running: list
    norm: str
    activation: str


def _check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


def init(sizes, seeds, *, norm="batch", activation="relu", initializer="glorot_uniform", repeat=1):
    """A stack of ``len(seeds) * repeat`` networks, arm (s, r) = seed s (W of ``networks.init(sizes,
    "linear", seed, initializer)``), repeated ``repeat`` times (one per learning rate); γ = 1, β = 0,
    running mean 0 and variance 1 (Keras's initial values)."""
    _check_norm(norm)
    networks._check_activation(activation)
    seeds = [check_seed(s, "seeds") for s in np.atleast_1d(seeds).tolist()]
    repeat = check_scalar("repeat", repeat, low=1, integer=True)
    per_seed = [networks.init(sizes, "linear", s, initializer) for s in seeds]
    W = [np.repeat(np.stack([n[i].W for n in per_seed]), repeat, axis=0) for i in range(len(sizes) - 1)]
    b = [np.zeros(w.shape[::2]) for w in W]
    A, hidden = W[0].shape[0], [w.shape[-1] for w in W[:-1]]
    gamma = [np.ones((A, n)) for n in hidden]
    beta = [np.zeros((A, n)) for n in hidden]
    running = [normalization.RunningStats(np.zeros((A, n)), np.ones((A, n))) for n in hidden]
    return NormNet(W, b, gamma, beta, running, norm, activation)


def _normalize(net, i, z, training):
    if net.norm == "layer":
        return normalization.layer_norm(z, net.gamma[i], net.beta[i], EPS)
    if training:
        return normalization.batch_norm(z, net.gamma[i], net.beta[i], EPS)
    return normalization.batch_norm_inference(z, net.running[i], net.gamma[i], net.beta[i], EPS)


def forward(net, x, training=True):
    """(logits (A, m, K), cache) of the stack on x (A, m, n_0) (or (m, n_0), shared by the arms).

    ``training=True``: batch norm with the batch's statistics; ``False``: with the running averages.
    The cache holds each hidden layer's (a_{k−1}, z_k, u_k) for :func:`backward`.
    """
    phi = activations.get(net.activation).f
    a, cache = np.asarray(x, dtype=np.float64), []
    for i in range(len(net.W) - 1):
        z = a @ net.W[i]
        u = z + net.b[i][:, None, :] if net.norm == "none" else _normalize(net, i, z, training)
        cache.append((a, z, u))
        a = phi(u)
    return a @ net.W[-1] + net.b[-1][:, None, :], cache + [(a,)]


def backward(net, cache, dlogits):
    """The gradients (a :class:`NormNet` of dW, db, dγ, dβ) of J given dlogits = ∂J/∂logits (A, m, K).

    Back-propagation as in chapter 05 with the normalization's backward pass
    (:func:`course_lib.normalization.batch_norm_backward`, training mode) between z_k and u_k.
    """
    dphi = activations.get(net.activation).df
    a = cache[-1][0]
    dW, db = [np.swapaxes(a, -1, -2) @ dlogits], [dlogits.sum(axis=-2)]
    dgamma, dbeta = [], []
    g = dlogits @ np.swapaxes(net.W[-1], -1, -2)
    for i in range(len(net.W) - 2, -1, -1):
        a_in, z, u = cache[i]
        du = g * dphi(u)
        if net.norm == "none":
            dz, dg, dbt = du, np.zeros_like(net.gamma[i]), np.zeros_like(net.beta[i])
            db.append(du.sum(axis=-2))
        else:
            back = normalization.batch_norm_backward if net.norm == "batch" else normalization.layer_norm_backward
            dz, dg, dbt = back(du, z, net.gamma[i], EPS)
            db.append(np.zeros_like(net.b[i]))
        dW.append(np.swapaxes(a_in, -1, -2) @ dz)
        dgamma.append(dg)
        dbeta.append(dbt)
        g = dz @ np.swapaxes(net.W[i], -1, -2)
    return NormNet(dW[::-1], db[::-1], dgamma[::-1], dbeta[::-1], net.running, net.norm, net.activation)


def loss_and_grads(net, x, y):
    """(J (A,), grads) of the mean cross-entropy of integer labels y (m,) or (A, m), training mode."""
    J, grads, _ = _loss_grads_cache(net, x, y)
    return J, grads


def flat(net):
    """The trainable parameters of each arm as one vector (A, P): W, b, γ, β of every layer."""
    parts = [net.W, net.b, net.gamma, net.beta]
    A = net.W[0].shape[0]
    return np.concatenate([p.reshape(A, -1) for group in parts for p in group], axis=1)


def _step(net, grads, rates, train_b):
    """θ ← θ − α g for every arm (rates (A,)); returns the new stack (running statistics unchanged)."""
    r2, r3 = rates[:, None], rates[:, None, None]
    W = [w - r3 * g for w, g in zip(net.W, grads.W)]
    b = [v - r2 * g if (train_b or i == len(net.b) - 1) else v for i, (v, g) in enumerate(zip(net.b, grads.b))]
    gamma = [v - r2 * g for v, g in zip(net.gamma, grads.gamma)]
    beta = [v - r2 * g for v, g in zip(net.beta, grads.beta)]
    return net._replace(W=W, b=b, gamma=gamma, beta=beta)


def _update_running(net, cache, momentum):
    if net.norm != "batch":
        return net
    running = [normalization.update_running(r, c[1], momentum) for r, c in zip(net.running, cache[:-1])]
    return net._replace(running=running)


def _select(net, keep):
    """The arms ``keep`` (a boolean or index array) of a stack."""
    sel = lambda group: [v[keep] for v in group]  # noqa: E731
    running = [normalization.RunningStats(r.mean[keep], r.var[keep]) for r in net.running]
    return NormNet(sel(net.W), sel(net.b), sel(net.gamma), sel(net.beta), running, net.norm, net.activation)


def _scores(net, x, y, training=False):
    """(mean cross-entropy, accuracy) per arm on (x, y), in inference mode unless ``training``."""
    logits, _ = forward(net, x, training)
    ok = np.all(np.isfinite(logits), axis=(-2, -1))
    logp = losses.log_softmax(np.where(ok[:, None, None], logits, 0.0))
    J = -np.take_along_axis(logp, np.broadcast_to(y[:, None], logp.shape[:-1] + (1,)), -1).mean(axis=(-2, -1))
    acc = np.mean(logits.argmax(axis=-1) == y, axis=-1)
    return np.where(ok, J, np.nan), np.where(ok, acc, np.nan)


def gradient_change(net, x, y, etas):
    r"""Santurkar et al.'s probe: ‖∇J(θ − η g) − ∇J(θ)‖ / ‖η g‖ for g = ∇J(θ), each η of ``etas``.

    On the batch (x, y) in training mode (the running statistics are not touched). Returns
    (ratios (A, E), losses (A, E)): the gradient change per unit of distance moved along the gradient
    (its maximum over η is their "effective β-smoothness") and the loss J(θ − η g).
    """
    etas = np.asarray(etas, dtype=np.float64)
    _, g = loss_and_grads(net, x, y)
    g_flat = flat(g)
    ratios, values = [], []
    for eta in etas:
        moved = _step(net, g, np.full(len(g_flat), eta), train_b=net.norm == "none")
        J, g2 = loss_and_grads(moved, x, y)
        ratios.append(np.linalg.norm(flat(g2) - g_flat, axis=1) / (eta * np.linalg.norm(g_flat, axis=1)))
        values.append(J)
    return np.stack(ratios, axis=1), np.stack(values, axis=1)


class NormSweep(NamedTuple):
    """:func:`sweep`'s result. ``sweep``: a :class:`course_lib.networks.Sweep` (one "activation", so
    ``networks.best_rates`` applies; records in inference mode); ``net``: the final stack (arm a = (s, r)
    in row-major order); ``probes``: gradient-change ratios (S, R, P, E) at the probed steps ``probe_steps``
    (None without probes); ``probe_losses`` the matching J(θ − η g). ``epoch_loss`` (S, R, epochs): the
    mean over each epoch's steps of the mini-batch loss SGD minimized (training mode; NaN once diverged);
    ``reestimated`` (with ``reestimate=True``): the records with the BN statistics re-estimated on the
    training rows (:func:`reestimate`), else None."""

    sweep: networks.Sweep
    net: NormNet
    probe_steps: np.ndarray | None
    probes: np.ndarray | None
    probe_losses: np.ndarray | None
    epoch_loss: np.ndarray | None = None
    reestimated: networks.Sweep | None = None


def _split(data, validation):
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a course_lib.datasets.Dataset, got {type(data).__name__}")
    sets, _ = networks._split(data, validation, "cross_entropy")
    return sets


def sweep(
    data,
    sizes,
    *,
    norm="batch",
    activation="relu",
    learning_rates,
    seeds,
    epochs=20,
    batch_size=32,
    initializer="glorot_uniform",
    validation=0.0,
    record_every=1,
    momentum=normalization.KERAS_MOMENTUM,
    probe_every=0,
    probe_etas=(),
    reestimate=False,
):
    """Plain SGD on S seeds × R learning rates of one normalized MLP, as one stack.

    Arm (s, r): weights of seed s, mini-batches as ``networks.sweep`` draws them for seed s, rate r.
    Every step updates W, b (plain layers and the output), γ, β and the running statistics (``momentum``);
    records (at epoch 0, every ``record_every`` epochs and the last) are computed in inference mode.
    An arm whose loss is not finite is marked diverged and frozen. With ``probe_every`` > 0, every
    ``probe_every``-th step applies :func:`gradient_change` (``probe_etas``) on that step's batch first.
    ``reestimate=True`` records a second time with the statistics of :func:`reestimate` (result field
    ``reestimated``); ``epoch_loss`` is always returned.
    """
    from threadpoolctl import threadpool_limits

    _check_norm(norm)
    rates = np.atleast_1d(np.asarray(learning_rates, dtype=np.float64))
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"learning_rates must be a non-empty 1-D sequence of positive numbers, got {learning_rates!r}")
    seeds = tuple(check_seed(s, "seeds") for s in np.atleast_1d(seeds).tolist())
    epochs = check_scalar("epochs", epochs, low=1, integer=True)
    batch_size = check_scalar("batch_size", batch_size, low=1, integer=True)
    record_every = check_scalar("record_every", record_every, low=1, integer=True)
    probe_every = check_scalar("probe_every", probe_every, low=0, integer=True)
    sets = _split(data, validation)
    (x, y), S, R = sets[0], len(seeds), rates.size
    net = init(sizes, seeds, norm=norm, activation=activation, initializer=initializer, repeat=R)
    arm_seed, arm_rate = np.repeat(np.arange(S), R), np.tile(rates, S)
    alive, rngs = np.ones(S * R, dtype=bool), [np.random.default_rng(s) for s in seeds]
    history, recorded, probes, probe_losses, probe_steps, step = [], [], [], [], [], 0
    second, epoch_loss = [], []
    with threadpool_limits(1, user_api="blas"), np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            if epoch > 0:
                orders = np.stack([rng.permutation(len(x)) for rng in rngs])
                total = np.zeros(S * R)
                for first in range(0, len(x), batch_size):
                    batch = orders[arm_seed, first : first + batch_size]
                    if probe_every and step % probe_every == 0:
                        ratio, value = gradient_change(net, x[batch], y[batch], probe_etas)
                        probes.append(ratio)
                        probe_losses.append(value)
                        probe_steps.append(step)
                    J, grads = _loss_and_grads_cached(net, x[batch], y[batch])
                    net, alive = _advance(net, grads, J, arm_rate, alive, momentum)
                    total += np.where(alive, J, np.nan) * len(batch[0])
                    step += 1
                epoch_loss.append(total / len(x))
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                history.append(_record(net, sets, alive))
                if reestimate:
                    second.append(_record(_reestimate(net, x), sets, alive))
    record = lambda h: np.stack(h, axis=-1).reshape(6, 1, S, R, -1)  # noqa: E731
    history = record(history)
    diverged = ~alive.reshape(1, S, R) | ~np.isfinite(history[0, ..., -1])
    sweep_of = lambda h: networks.Sweep(  # noqa: E731
        (activation,), seeds, rates, np.array(recorded), *h, params=[net], diverged=diverged
    )
    extra = {
        "epoch_loss": np.stack(epoch_loss, axis=-1).reshape(S, R, -1),
        "reestimated": sweep_of(record(second)) if reestimate else None,
    }
    if not probe_every:
        return NormSweep(sweep_of(history), net, None, None, None, **extra)
    shape = (len(probe_steps), S, R, len(probe_etas))
    move = lambda p: np.moveaxis(np.stack(p).reshape(shape), 0, 2)  # noqa: E731
    return NormSweep(sweep_of(history), net, np.array(probe_steps), move(probes), move(probe_losses), **extra)


def _record(net, sets, alive):
    """(6, A): loss and accuracy on the training, validation and test rows, in inference mode."""
    nan = (np.full(len(alive), np.nan),) * 2
    h = [s for xs, ys in sets for s in (_scores(net, xs, ys) if len(ys) else nan)]
    return np.where(alive, np.stack(h), np.nan)


def reestimate(net, x):
    """The stack with each BN layer's running statistics replaced by the mean and biased variance of
    its input z over all of x (m, n_0) in training mode, layer by layer (the exact population
    statistics of the current weights; "precise BN"). Without batch norm the stack is returned as is."""
    return _reestimate(net, x)


def _reestimate(net, x):
    if net.norm != "batch":
        return net
    _, cache = forward(net, x, training=True)
    running = [normalization.RunningStats(c[1].mean(axis=-2), c[1].var(axis=-2)) for c in cache[:-1]]
    return net._replace(running=running)


def _loss_and_grads_cached(net, x, y):
    """:func:`loss_and_grads` that also returns the forward cache (in ``running``); NaN J where not finite."""
    J, grads, cache = _loss_grads_cache(net, x, y)
    return J, grads._replace(running=cache)


def _loss_grads_cache(net, x, y):
    logits, cache = forward(net, x)
    y = np.broadcast_to(np.asarray(y), logits.shape[:-1])
    ok = np.all(np.isfinite(logits), axis=(-2, -1))
    logp = losses.log_softmax(np.where(ok[:, None, None], logits, 0.0))
    J = np.where(ok, -np.take_along_axis(logp, y[..., None], -1)[..., 0].mean(axis=-1), np.nan)
    d = np.exp(logp)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], -1) - 1.0, -1)
    return J, backward(net, cache, d / y.shape[-1]), cache


def _advance(net, grads, J, rates, alive, momentum):
    """One SGD step of the live arms and the running statistics; arms with a non-finite loss freeze."""
    alive = alive & np.isfinite(J) & np.isfinite(flat(grads)).all(axis=1)
    new = _update_running(_step(net, grads, np.where(alive, rates, 0.0), net.norm == "none"), grads.running, momentum)
    if not alive.all():  # keep frozen arms finite so that they cost nothing but time
        new = _freeze(new, net, alive)
    return new, alive


def _freeze(new, old, alive):
    pick = lambda a, b: np.where(alive.reshape((-1,) + (1,) * (a.ndim - 1)), a, np.nan_to_num(b))  # noqa: E731
    group = lambda n, o: [pick(a, b) for a, b in zip(n, o)]  # noqa: E731
    running = [
        normalization.RunningStats(pick(r.mean, q.mean), pick(r.var, q.var)) for r, q in zip(new.running, old.running)
    ]
    return new._replace(
        W=group(new.W, old.W),
        b=group(new.b, old.b),
        gamma=group(new.gamma, old.gamma),
        beta=group(new.beta, old.beta),
        running=running,
    )


def scale_invariance(data, sizes, seed, scales, *, batch_size=64):
    r"""Scale the weights W₁ feeding the first BN layer by each c of ``scales``, on one batch of digits.

    Returns a dict of arrays over ``scales``: ``output`` max |f_c(x) − f_1(x)| of the logits (0 exactly
    only at ε = 0: with ε > 0 the layer computes c z/√(c²σ² + ε)), ``grad_ratio`` c‖∂J/∂W₁(cW₁)‖/‖∂J/∂W₁(W₁)‖
    (1 if the gradient scales as 1/c), ``cosine`` the largest |cos| between a column w_j of cW₁ and its
    gradient (0: the gradient is orthogonal to the weights).
    """
    net = init(sizes, [seed], norm="batch")
    x, y = np.asarray(data.x_train[:batch_size], dtype=np.float64), np.asarray(data.y_train[:batch_size])
    logits, _ = forward(net, x)
    _, g = loss_and_grads(net, x, y)
    out = {"output": [], "grad_ratio": [], "cosine": []}
    for c in np.asarray(scales, dtype=np.float64):
        scaled = net._replace(W=[c * net.W[0]] + net.W[1:])
        _, gc = loss_and_grads(scaled, x, y)
        w, dw = scaled.W[0][0], gc.W[0][0]
        out["output"].append(np.max(np.abs(forward(scaled, x)[0] - logits)))
        out["grad_ratio"].append(c * np.linalg.norm(dw) / np.linalg.norm(g.W[0][0]))
        cos = np.sum(w * dw, axis=0) / (np.linalg.norm(w, axis=0) * np.linalg.norm(dw, axis=0))
        out["cosine"].append(np.max(np.abs(cos)))
    return {k: np.array(v) for k, v in out.items()}


def effective_rate_run(data, sizes, seeds, learning_rate, *, epochs=3, batch_size=32):
    r"""SGD on BN networks, tracking the columns w_j of W₁ (the weights feeding the first BN layer).

    Per step t and seed: ``norm2`` ‖W₁‖² (the sum of ‖w_j‖²) before the step, ``growth`` the measured
    ‖W₁'‖² − ‖W₁‖² and ``predicted_growth`` α²‖g‖² (equal when every gradient column is orthogonal to its
    w_j), and ``ratio``: the median over j of ‖Δu_j‖ / ((α/‖w_j‖²) ‖∇_u J‖) with u_j = w_j/‖w_j‖ and
    ∇_u J = ‖w_j‖ g_j -- the measured step of the direction over the step that the effective learning
    rate α/‖w_j‖² predicts (1 to first order in α‖g_j‖/‖w_j‖). Arrays of shape (S, steps).
    """
    (x, y), _, _ = _split(data, 0.0)
    seeds = [check_seed(s, "seeds") for s in seeds]
    net, rngs = init(sizes, seeds, norm="batch"), [np.random.default_rng(s) for s in seeds]
    rates = np.full(len(seeds), float(learning_rate))
    rec = {k: [] for k in ("norm2", "growth", "predicted_growth", "ratio")}
    for _ in range(epochs):
        orders = np.stack([rng.permutation(len(x)) for rng in rngs])
        for first in range(0, len(x), batch_size):
            batch = orders[:, first : first + batch_size]
            _, grads = _loss_and_grads_cached(net, x[batch], y[batch])
            w, g = net.W[0], grads.W[0]
            new = _update_running(_step(net, grads, rates, False), grads.running, normalization.KERAS_MOMENTUM)
            col, col_new = np.linalg.norm(w, axis=1), np.linalg.norm(new.W[0], axis=1)
            du = np.linalg.norm(new.W[0] / col_new[:, None] - w / col[:, None], axis=1)
            predicted = learning_rate / col**2 * col * np.linalg.norm(g, axis=1)
            rec["norm2"].append((col**2).sum(axis=1))
            rec["growth"].append((col_new**2 - col**2).sum(axis=1))
            rec["predicted_growth"].append(learning_rate**2 * (g**2).sum(axis=(1, 2)))
            rec["ratio"].append(np.median(du / predicted, axis=1))
            net = new
    return {k: np.stack(v, axis=1) for k, v in rec.items()}


def batch_stat_noise(z, batch_sizes, draws, seed):
    r"""How much the batch statistics of the features z (N, n) vary with the batch size B.

    For each B, ``draws`` batches of B rows drawn without replacement; returns (mean_sd, std_sd), each
    (len(batch_sizes),): the standard deviation over draws of the batch mean μ_B, divided by the feature's
    standard deviation σ over all N rows, and of the batch standard deviation σ_B divided by σ, both
    averaged over the n features. Theory for the mean: √((N − B)/(B (N − 1))) (sampling without
    replacement), about 1/√B.
    """
    z = np.asarray(z, dtype=np.float64)
    rng = np.random.default_rng(check_seed(seed))
    sigma = z.std(axis=0)
    keep = sigma > 0
    mean_sd, std_sd = [], []
    for B in batch_sizes:
        B = check_scalar("batch_sizes", B, low=2, high=len(z), integer=True)
        idx = np.argsort(rng.random((draws, len(z))), axis=1)[:, :B]
        batches = z[idx][..., keep]
        mean_sd.append(np.mean(batches.mean(axis=1).std(axis=0, ddof=1) / sigma[keep]))
        std_sd.append(np.mean(batches.std(axis=1).std(axis=0, ddof=1) / sigma[keep]))
    return np.array(mean_sd), np.array(std_sd)


def running_gap(
    data, sizes, seeds, *, learning_rate, steps, momentum=normalization.KERAS_MOMENTUM, batch_size=32, eval_every=5
):
    """Test accuracy of BN networks during training, in inference mode (running averages) and with the
    test set's own batch statistics, every ``eval_every`` steps: (steps (T,), inference (S, T), batch (S, T))."""
    (x, y), _, (x_test, y_test) = _split(data, 0.0)
    seeds = [check_seed(s, "seeds") for s in seeds]
    net, rngs = init(sizes, seeds, norm="batch"), [np.random.default_rng(s) for s in seeds]
    rates, alive = np.full(len(seeds), float(learning_rate)), np.ones(len(seeds), dtype=bool)
    at, inference, batch_mode, step = [], [], [], 0
    while step <= steps:
        orders = np.stack([rng.permutation(len(x)) for rng in rngs])
        for first in range(0, len(x), batch_size):
            if step % eval_every == 0:
                at.append(step)
                inference.append(_scores(net, x_test, y_test)[1])
                batch_mode.append(_scores(net, x_test, y_test, training=True)[1])
            if step == steps:
                return np.array(at), np.stack(inference, axis=1), np.stack(batch_mode, axis=1)
            J, grads = _loss_and_grads_cached(
                net, x[orders[:, first : first + batch_size]], y[orders[:, first : first + batch_size]]
            )
            net, alive = _advance(net, grads, J, rates, alive, momentum)
            step += 1


def shift_accuracy(net, data, scales, training=False):
    """Test accuracy (A, len(scales)) of a stack on the test inputs multiplied by each c of ``scales``
    (a shift of the input distribution); ``training=True`` normalizes with the test set's own batch
    statistics instead of the running averages."""
    _, _, (x_test, y_test) = _split(data, 0.0)
    return np.stack([_scores(net, c * x_test, y_test, training)[1] for c in scales], axis=1)
