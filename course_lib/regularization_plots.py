r"""Figures of chapter 04 (generalization and regularization). Each function returns the Figure.

* :func:`plot_capacity` -- polynomial fits of degree 1, 2, 9 and training/test error against the degree.
* :func:`plot_width` -- training and test error of networks against their width (log axis).
* :func:`plot_penalty_paths` -- contours of a 2-D least-squares loss with the paths of the L2 (ridge)
  and L1 (lasso) solutions as the penalty grows.
* :func:`plot_filters` -- the spectral filters of k gradient-descent steps and of ridge with λ = 1/(kα).
* :func:`plot_ensemble` -- simulated error of an average of k members against the formula v/k + (k−1)c/k.
* :func:`plot_verdicts` -- paired differences of arms against a baseline: per-seed points and ±2 s.e. bars
  (over seeds, and over seeds and test images together).
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_capacity", "plot_width", "plot_penalty_paths", "plot_filters", "plot_ensemble", "plot_verdicts"]

STYLES = [("C0", "-", "o"), ("C1", "--", "s"), ("C2", "-.", "^"), ("C3", ":", "D"), ("C4", "-", "v")]


def _figure(ncols, width=9.0, height=3.6):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height))
    return fig, np.atleast_1d(axes)


def plot_capacity(x_train, y_train, grid, truth, fits, fit_degrees, degrees, train_mse, test_mse):
    """Left: the training points, the true curve and the fits ``fits`` (one row per ``fit_degrees``);
    right: training and test MSE against ``degrees`` (log scale)."""
    fig, (ax1, ax2) = _figure(2)
    ax1.plot(x_train, y_train, "ko", label="training points")
    ax1.plot(grid, truth, color="0.5", linewidth=3, alpha=0.5, label="true curve")
    for (color, style, _), d, curve in zip(STYLES, fit_degrees, fits):
        ax1.plot(grid, curve, color=color, linestyle=style, label=f"degree {d}")
    ax1.set(xlabel="x", ylabel="y", ylim=(-1.0, 2.5), title="Least-squares polynomials")
    ax1.legend(fontsize=8, loc="upper center", ncol=2)
    floor = 1e-4  # an interpolating fit's training error (0 to rounding) is drawn on the floor
    ax2.plot(degrees, np.maximum(train_mse, floor), "o-", color="C0", label="training error")
    ax2.plot(degrees, test_mse, "s--", color="C3", label="test error")
    ax2.axhline(floor, color="0.6", linestyle=":", linewidth=1)
    ax2.text(0, floor * 1.5, "0 (to rounding) drawn here", fontsize=8, color="0.4")
    ax2.set(xlabel="degree (capacity)", ylabel="mean squared error", yscale="log", title="Error against capacity")
    ax2.set_ylim(floor / 2, None)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_width(widths, train_error, test_error, test_loss):
    """Training and test error (left) and test loss (right) against the hidden width; columns are seeds
    (rows = widths), the mean drawn as a line and every seed as a faint marker."""
    fig, (ax1, ax2) = _figure(2)
    for ax, values, (color, style, marker), label in (
        (ax1, train_error, STYLES[0], "training error"),
        (ax1, test_error, STYLES[3], "test error"),
        (ax2, test_loss, STYLES[1], "test cross-entropy"),
    ):
        values = np.asarray(values)
        ax.plot(widths, values.mean(axis=1), color=color, linestyle=style, marker=marker, label=label)
        for column in values.T:
            ax.plot(widths, column, marker, color=color, alpha=0.3, markersize=4)
    ax1.set(xscale="log", xlabel="hidden units", ylabel="misclassified fraction", title="Error against width")
    ax2.set(xscale="log", xlabel="hidden units", ylabel="mean cross-entropy", title="Test loss against width")
    for ax in (ax1, ax2):
        ax.set_xticks(widths, [str(w) for w in widths], fontsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_penalty_paths(theta1, theta2, loss, l2_path, l1_path, minimizer, constraint=None, touch=(), lam=None):
    """Contours of ``loss`` (on the grid theta1 × theta2) with the ridge path ``l2_path`` (n, 2) and the
    lasso path ``l1_path`` (n, 2) from the least-squares ``minimizer`` (λ = 0) to 0 (λ large).

    The contour levels are spaced geometrically above the smallest grid value, so the ellipses close
    around the minimizer. With ``constraint = i``, also draw the L2 ball through ``l2_path[i]`` and the L1
    diamond through ``l1_path[i]`` (the constraint sets of that λ), each touching a loss contour there;
    ``touch`` lists loss values whose contours are drawn darker (the ones through those two solutions);
    ``lam``, if given, is that λ, named in the legend ("at λ = 100" instead of "at one λ")."""
    fig, (ax,) = _figure(1, 5.6, 4.6)
    lowest = float(np.min(loss))
    levels = lowest + (float(np.max(loss)) - lowest) * np.geomspace(1e-3, 1, 12)
    ax.contour(theta1, theta2, loss, levels=levels, colors="0.6", linewidths=0.8)
    if len(touch):
        ax.contour(theta1, theta2, loss, levels=sorted(touch), colors="0.2", linewidths=1.0)
    if constraint is not None:
        at = "one λ" if lam is None else f"λ = {lam:g}"
        angle = np.linspace(0, 2 * np.pi, 200)
        r2 = np.linalg.norm(l2_path[constraint])
        ax.plot(r2 * np.cos(angle), r2 * np.sin(angle), ":", color="C0", linewidth=1.2, label=f"L2 ball at {at}")
        r1 = np.abs(np.asarray(l1_path[constraint])).sum()
        ax.plot([r1, 0, -r1, 0, r1], [0, r1, 0, -r1, 0], "-.", color="C3", linewidth=1.2, label=f"L1 diamond at {at}")
    ax.plot(*np.asarray(l2_path).T, "o-", color="C0", markersize=3, label="L2 penalty (ridge) path")
    ax.plot(*np.asarray(l1_path).T, "s--", color="C3", markersize=3, label="L1 penalty (lasso) path")
    ax.plot(*minimizer, "k*", markersize=12, label="least squares (λ = 0)")
    ax.plot(0, 0, "kx", markersize=9, label="θ = 0 (λ → ∞)")
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    ax.set(xlabel="$\\theta_1$", ylabel="$\\theta_2$", title="Penalized solutions as λ grows", aspect="equal")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_filters(s, gd, ridge, ks, learning_rate):
    """The fraction of the least-squares solution kept along eigenvalue s: GD after k steps (solid) and
    ridge with λ = 1/(kα) (dashed), one colour per k in ``ks``; rows of ``gd``/``ridge`` are the k's."""
    fig, (ax,) = _figure(1, 6.4, 3.8)
    for (color, _, marker), k, g, r in zip(STYLES, ks, gd, ridge):
        ax.plot(s, g, color=color, linestyle="-", marker=marker, markevery=40, markersize=4, label=f"GD, k = {k} steps")
        ax.plot(s, r, color=color, linestyle="--", label=f"ridge, λ = 1/(kα) = {1 / (k * learning_rate):g}")
    ax.axvline(2 / learning_rate, color="0.5", linestyle=":", linewidth=1)
    ax.text(2 / learning_rate, 0.05, " αs = 2:\n GD\n diverges", fontsize=8)
    ax.set(xscale="log", xlabel="eigenvalue s of H", ylabel="fraction kept", ylim=(-0.05, 1.1),
           title=f"Early stopping and ridge filters (α = {learning_rate:g})")  # fmt: skip
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def plot_ensemble(ks, correlations, simulated, formula):
    """Error of the average of k members against k: simulated (markers) and v/k + (k−1)c/k (lines),
    one style per correlation c/v (rows of ``simulated``/``formula``)."""
    fig, (ax,) = _figure(1, 6.0, 3.8)
    for (color, style, marker), rho, sim, f in zip(STYLES, correlations, simulated, formula):
        ax.plot(ks, f, color=color, linestyle=style, label=f"formula, c/v = {rho:g}")
        ax.plot(ks, sim, marker, color=color, markerfacecolor="none", label=f"simulated, c/v = {rho:g}")
    ax.set(xscale="log", xlabel="members k", ylabel="error of the average / v", ylim=(0, 1.05),
           title="Ensemble error: v/k + (k−1)c/k")  # fmt: skip
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_verdicts(names, differences, se_seeds, se_total, unit="points"):
    """A forest plot: one row per arm in ``names``; its per-seed differences ``differences`` (A, S) as dots,
    the mean with a thin ±2 ``se_total`` bar (seeds and test images) and a thick ±2 ``se_seeds`` bar
    (seeds only), and a line at 0. A difference is "distinguishable" where the thin bar misses 0."""
    fig, (ax,) = _figure(1, 6.4, 0.6 + 0.55 * len(names))
    rows = np.arange(len(names))[::-1]
    d = np.asarray(differences, dtype=float)
    for row, per_seed in zip(rows, d):
        ax.plot(per_seed, np.full(per_seed.shape, row + 0.2), ".", color="0.55", markersize=5)
    mean = d.mean(axis=1)
    ax.errorbar(mean, rows, xerr=2 * np.asarray(se_total), fmt="none", ecolor="C3", elinewidth=1.2, capsize=4)
    ax.errorbar(mean, rows, xerr=2 * np.asarray(se_seeds), fmt="o", color="C0", elinewidth=4, markersize=6)
    ax.plot([], [], ".", color="0.55", label="one seed")
    ax.plot([], [], "-", color="C0", linewidth=4, label="±2 s.e. over seeds")
    ax.plot([], [], "-", color="C3", linewidth=1.2, label="±2 s.e. over seeds and test images")
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_yticks(rows, list(names))
    ax.set(xlabel=f"test error minus the baseline's ({unit})", ylim=(-0.7, len(names) - 0.3))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
