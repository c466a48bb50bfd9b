"""Tests for course_lib.optim_plots: what each figure contains, deterministic animation HTML, validation."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import objectives as ob
from course_lib import optim_plots as op
from course_lib import optimizers as opt


def _runs():
    f = ob.narrow_valley(kappa=10.0, angle=0.4)
    theta0 = np.array([-2.0, 1.0])
    return f, [opt.run(opt.GradientDescent(1.5), f, theta0, 30), opt.run(opt.Momentum(0.5, 0.6), f, theta0, 30)]


def _legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_plot_contours_draws_paths_marks_and_labels():
    f, runs = _runs()
    ax = op.plot_contours(f, runs, labels=["GD", "momentum"], xlim=(-3, 1), ylim=(-2, 2))
    assert _legend_texts(ax) == ["GD", "momentum", "start", "end", "minimum"]
    assert ax.get_xlabel() == r"$\theta_1$" and ax.get_ylabel() == r"$\theta_2$"
    assert ax.get_title() == repr(f)
    assert ax.get_xlim() == (-3, 1) and ax.get_ylim() == (-2, 2)
    paths = [line for line in ax.get_lines() if line.get_label() in ("GD", "momentum")]
    np.testing.assert_array_equal(paths[0].get_xydata(), runs[0].thetas)
    np.testing.assert_array_equal(paths[1].get_xydata(), runs[1].thetas)
    assert len(ax.collections) == 1 and len(ax.collections[0].levels) > 5  # one ContourSet


def test_plot_contours_accepts_arrays_a_single_trajectory_and_no_paths():
    f, runs = _runs()
    ax = op.plot_contours(f, runs[0].thetas)
    xmin, xmax = ax.get_xlim()
    assert xmin < runs[0].thetas[:, 0].min() and xmax > runs[0].thetas[:, 0].max()  # automatic limits
    ax = op.plot_contours(f, runs[1], title="one run")
    assert ax.get_title() == "one run" and _legend_texts(ax) == ["start", "end", "minimum"]
    ax = op.plot_contours(ob.Saddle())
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_legend() is None


def test_log_levels_are_geometric_above_the_minimum():
    f = ob.Rosenbrock()
    ax = op.plot_contours(f, xlim=(-2, 2), ylim=(-1, 3), log_levels=True, levels=20)
    levels = ax.collections[0].levels
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300)), axis=-1)
    gaps = levels - f.value(grid).min()
    assert len(levels) == 20
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], gaps[1] / gaps[0], rtol=1e-9)


def test_plot_contours_on_himmelblau_marks_all_four_minima():
    f = ob.Himmelblau()
    ax = op.plot_contours(f, xlim=(-5, 5), ylim=(-5, 5), log_levels=True)
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    np.testing.assert_allclose(stars[0].get_xydata(), f.minima)


def test_plot_loss_subtracts_h_star_masks_nonpositive_and_draws_the_bound():
    f, runs = _runs()
    rate = ((f.kappa - 1) / (f.kappa + 1)) ** 2
    ax = op.plot_loss(
        runs,
        labels=["GD", "momentum"],
        min_value=f.min_value,
        bound=lambda k: (runs[0].values[0] - f.min_value) * rate**k,
    )
    assert ax.get_yscale() == "log"
    assert _legend_texts(ax) == ["GD", "momentum", "bound"]
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), runs[0].values - f.min_value)
    assert lines[2].get_linestyle() == "--" and len(lines[2].get_xdata()) == 31
    ax = op.plot_loss(np.array([2.0, 1.0, 0.0, -1.0, np.inf]), bound=np.ones(3))
    ydata = ax.get_lines()[0].get_ydata()
    np.testing.assert_array_equal(ydata[:2], [2.0, 1.0])
    assert np.all(np.isnan(ydata[2:]))
    assert ax.get_xlabel() == "iteration $k$" and ax.get_title() == "Suboptimality"


def test_plot_loss_draws_into_a_given_axes():
    _, ax = plt.subplots()
    assert op.plot_loss([1.0, 0.1, 0.01], ax=ax) is ax
    assert ax.get_legend() is None


def test_animation_html_is_deterministic_and_holds_the_frames():
    f, runs = _runs()
    figures_before = plt.get_fignums()
    first = op.animate_trajectories(f, runs, labels=["GD", "momentum"], frames=6)
    second = op.animate_trajectories(f, runs, labels=["GD", "momentum"], frames=6)
    assert plt.get_fignums() == figures_before  # the figure is closed: no static copy
    assert first.data == second.data  # byte-identical, so nbval can compare stored outputs
    assert first.data.count("data:image/png;base64,") == 6
    assert 'value="once"' in first.data and "checked" in first.data
    ids = set(re.findall(r"_anim_img([0-9a-f]+)", first.data))
    assert len(ids) == 1
    other = op.animate_trajectories(f, runs[:1], frames=2)
    assert set(re.findall(r"_anim_img([0-9a-f]+)", other.data)) != ids  # content-derived id


def test_deterministic_ids_replaces_every_occurrence():
    html = 'x <img id="_anim_img' + "a" * 32 + '"> anim' + "a" * 32 + " = 1"
    fixed = op._deterministic_ids(html)
    assert "a" * 32 not in fixed and fixed == op._deterministic_ids(html.replace("a" * 32, "b" * 32))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f, runs: op.plot_contours(f, runs, labels=["only one"]), "labels"),
        (lambda f, runs: op.plot_contours(f, np.zeros((5, 3))), "trajectories"),
        (lambda f, runs: op.plot_contours(f, runs, xlim=(1, -1)), "xlim"),
        (lambda f, runs: op.plot_contours(f, runs, ylim=(0, np.nan)), "ylim"),
        (lambda f, runs: op.plot_contours(ob.Quadratic(np.eye(3)), [], xlim=(0, 1), ylim=(0, 1)), "objective"),
        (lambda f, runs: op.animate_trajectories(ob.Quadratic(np.eye(3)), runs), "objective"),
        (lambda f, runs: op.plot_contours(f, runs, resolution=1), "resolution"),
        (lambda f, runs: op.plot_loss(np.zeros((3, 2))), "values_or_list"),
        (lambda f, runs: op.plot_loss(runs, labels=["a", "b", "c"]), "labels"),
        (lambda f, runs: op.plot_loss(runs, min_value=None), "min_value"),
        (lambda f, runs: op.animate_trajectories(f, runs, frames=61), "frames"),
        (lambda f, runs: op.animate_trajectories(f, runs, frames=1), "frames"),
        (lambda f, runs: op.animate_trajectories(f, [], frames=5), "trajectories"),
        (lambda f, runs: op.animate_trajectories(f, runs, dpi=1000), "dpi"),
        (lambda f, runs: op.animate_trajectories(f, runs, interval=0), "interval"),
    ],
)
def test_validation(call, match):
    f, runs = _runs()
    with pytest.raises(ValueError, match=match):
        call(f, runs)


def test_compared_loss_curves_differ_in_line_style_and_marker_not_only_colour():
    f, runs = _runs()
    ax = op.plot_loss(runs, labels=["GD", "momentum"], min_value=f.min_value)
    first, second = ax.get_lines()[:2]
    assert first.get_linestyle() != second.get_linestyle() and first.get_marker() != second.get_marker()
    ax = op.plot_contours(f, runs, labels=["GD", "momentum"], xlim=(-3, 1), ylim=(-2, 2))
    paths = [line for line in ax.get_lines() if line.get_label() in ("GD", "momentum")]
    assert paths[0].get_linestyle() != paths[1].get_linestyle()


def test_plot_rate_panels_one_panel_per_run_with_its_bound():
    from course_lib import convergence

    results = {f"κ = {k}": convergence.gd_rate_run(k, steps=30, seed=k) for k in (2, 10)}
    fig = op.plot_rate_panels(results)
    assert [ax.get_title() for ax in fig.axes] == ["κ = 2", "κ = 10"]
    for ax, (quad, traj, bound) in zip(fig.axes, results.values()):
        gd_line, bound_line = ax.get_lines()
        np.testing.assert_allclose(gd_line.get_ydata(), traj.values - quad.min_value)
        np.testing.assert_allclose(bound_line.get_ydata(), bound)
    assert fig.axes[1].get_ylabel() == ""
    plt.close(fig)


def test_plot_iterations_vs_kappa_reports_the_fitted_slope():
    kappas = np.array([10.0, 100.0, 1000.0])
    ax = op.plot_iterations_vs_kappa(kappas, 3 * kappas, 4 * kappas, reduction=1e6)
    assert "slope 1.000" in ax.get_title() and "10^{6}" in ax.get_ylabel()
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), kappas / 4 * np.log(1e6))
    ax = op.plot_iterations_vs_kappa(kappas, kappas**2, kappas, reduction=1e6)
    assert "slope 2.000" in ax.get_title()


def test_plot_quadratic_forms_draws_the_eigenvectors():
    H = np.array([[1.0, 2.0], [2.0, 1.0]])
    fig = op.plot_quadratic_forms({"H": H, "saddle": np.diag([2.0, -2.0])})
    ax = fig.axes[0]
    labels = sorted(text.get_text() for text in ax.texts if text.get_text())
    assert labels == ["λ = -1", "λ = 3"] and ax.get_title() == "H"
    arrows = [a.xy for a in ax.texts if hasattr(a, "xy") and a.get_text() == ""]
    vectors = np.linalg.eigh(H)[1].T
    for arrow, vector in zip(arrows, vectors):
        np.testing.assert_allclose(np.abs(arrow), np.abs(0.7 * 2.0 * vector))
    plt.close(fig)
    with pytest.raises(ValueError, match="hessians"):
        op.plot_quadratic_forms({"bad": np.array([[1.0, 2.0], [0.0, 1.0]])})


def test_plot_sharpness_in_units_of_the_edge_and_hessian_spectra():
    from course_lib import convergence

    result = convergence.SharpnessRun(np.ones(11), np.arange(0, 11, 5), np.array([1.0, 4.0, 5.0]), 0.5)
    ax = op.plot_sharpness({"run": result, "again": result})
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.25, 1.0, 1.25])
    assert ax.get_lines()[0].get_linestyle() != ax.get_lines()[1].get_linestyle()
    assert ax.get_lines()[2].get_ydata()[0] == 1.0  # the edge
    ax = op.plot_hessian_spectra({"a": np.array([0.0, 2.0, -1.0])})
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [2.0, 0.0, -1.0])
    assert ax.get_yscale() == "symlog"
    for call in (lambda: op.plot_sharpness({}), lambda: op.plot_hessian_spectra({}), lambda: op.plot_rate_panels({})):
        with pytest.raises(ValueError):
            call()


def test_plot_sharpness_pairs_and_window():
    from course_lib import convergence

    ks = np.array([0, 1, 10, 11])
    result = convergence.SharpnessRun(np.arange(12.0)[::-1], ks, np.array([2.0, 6.0, 8.0, 4.0]), 1.0)
    ax = op.plot_sharpness({"run": result}, pairs=True)
    lower, upper = ax.get_lines()[:2]
    np.testing.assert_array_equal(lower.get_xdata(), [0, 10])
    np.testing.assert_allclose(lower.get_ydata(), [1.0, 2.0])  # min of each pair, / (2/α)
    np.testing.assert_allclose(upper.get_ydata(), [3.0, 4.0])
    assert upper.get_linestyle() == "None" and upper.get_color() == lower.get_color()
    odd = convergence.SharpnessRun(np.ones(12), np.array([0, 2]), np.ones(2), 1.0)
    with pytest.raises(ValueError):
        op.plot_sharpness({"run": odd}, pairs=True)
    dense = convergence.SharpnessRun(np.arange(12.0), np.arange(11), np.arange(1.0, 12.0), 0.5)
    ax, twin = op.plot_sharpness_window(dense, 3, 8, title="w")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.arange(4.0, 9.0) / 4)
    np.testing.assert_allclose(twin.get_lines()[0].get_ydata(), np.arange(3.0, 8.0))
    assert ax.get_title() == "w" and ax.get_ylabel() and twin.get_ylabel()
    ax, twin = op.plot_sharpness_window(dense, 3, 8, labels=(False, False))
    assert ax.get_ylabel() == "" and twin.get_ylabel() == ""
    with pytest.raises(ValueError):
        op.plot_sharpness_window(result, 0, 5)
