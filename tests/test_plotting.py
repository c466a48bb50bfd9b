"""Tests for course_lib.plotting (Agg backend): what is drawn, labels, titles, legends, argument checks."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import activations as A
from course_lib import plotting as P


def test_plot_activations_one_panel_per_activation_with_its_derivative():
    fig = P.plot_activations(["sigmoid", "tanh", "relu", "gelu", "elu"], ncols=3, title="Activations")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 6 and len(visible) == 5
    assert [ax.get_title() for ax in visible] == [A.get(n).label for n in ["sigmoid", "tanh", "relu", "gelu", "elu"]]
    for ax in visible:
        g, dg = ax.get_lines()[:2]
        assert ax.get_xlabel() == "z" and ax.get_legend() is not None
        assert [g.get_label(), dg.get_label()] == ["g(z)", "g′(z)"]
    sig = visible[0].get_lines()
    np.testing.assert_allclose(sig[0].get_ydata(), A.sigmoid(sig[0].get_xdata()))
    np.testing.assert_allclose(sig[1].get_ydata(), A.sigmoid_grad(sig[1].get_xdata()))
    assert fig._suptitle.get_text() == "Activations"


def test_plot_activations_accepts_activation_objects_and_a_grid():
    custom = A.Activation("leaky", lambda z: A.leaky_relu(z, 0.2), lambda z: A.leaky_relu_grad(z, 0.2), "leaky 0.2")
    fig = P.plot_activations([custom], z=np.linspace(-1, 1, 5))
    (ax,) = fig.axes
    assert ax.get_title() == "leaky 0.2"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [-0.2, -0.1, 0, 0.5, 1])


def test_plot_curves():
    ax = P.plot_curves(
        {"relu": [2.0, 1.0, 0.5], "sigmoid": [2.3, 2.3]},
        xlabel="epoch",
        ylabel="loss",
        title="Training loss",
        logy=True,
        marker="o",
        styles={"sigmoid": {"linestyle": "--"}},
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["relu", "sigmoid"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2])  # a run that stopped early
    assert lines[1].get_linestyle() == "--"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(), ax.get_yscale()) == (
        "epoch",
        "loss",
        "Training loss",
        "log",
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["relu", "sigmoid"]


def test_plot_curves_into_existing_axes_with_x_values():
    fig, (a1, a2) = plt.subplots(1, 2)
    ax = P.plot_curves({"dead": [0.0, 0.1, 0.4]}, x=[0.01, 0.1, 1.0], xlabel="learning rate", logx=True, ax=a2)
    assert ax is a2 and len(a1.get_lines()) == 0 and ax.get_xscale() == "log"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0.01, 0.1, 1.0])


def test_plot_layer_norms_with_reference():
    norms = {"sigmoid": 0.25 ** np.arange(5, 0, -1), "relu": np.ones(5)}
    ax = P.plot_layer_norms(norms, reference={"0.25^(L−l)": 0.25 ** np.arange(4, -1, -1)}, title="Norms")
    assert [line.get_label() for line in ax.get_lines()] == ["sigmoid", "relu", "0.25^(L−l)"]
    assert ax.get_yscale() == "log" and ax.get_title() == "Norms"
    assert list(ax.get_xticks()) == [1, 2, 3, 4, 5]
    assert ax.get_xlabel().startswith("layer l") and ax.get_ylabel() == r"$\Vert \partial J / \partial W_l \Vert$"
    assert ax.get_lines()[2].get_linestyle() == ":" and ax.get_legend() is not None


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: P.plot_activations("relu"), "names"),
        (lambda: P.plot_activations([]), "names"),
        (lambda: P.plot_activations(["swish"]), "name"),
        (lambda: P.plot_activations(["relu"], z=[1.0]), "z"),
        (lambda: P.plot_activations(["relu"], ncols=0), "ncols"),
        (lambda: P.plot_curves({}), "series"),
        (lambda: P.plot_curves({"a": [[[1, 2]]]}), "series"),
        (lambda: P.plot_curves({"a": [1, 2, 3]}, x=[1, 2]), "x"),
        (lambda: P.plot_layer_norms({"a": [1, 2]}, reference={"r": [1, 2, 3]}), "reference"),
        (lambda: P.plot_layer_norms([1, 2]), "norms"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_curves_style_overrides_the_marker():
    ax = P.plot_curves(
        {"measured": np.arange(3.0), "bound": np.ones(3), "plain": np.zeros(3)},
        marker="o",
        styles={"bound": {"marker": "s", "linestyle": "--"}, "plain": {"marker": None}},
    )
    markers = {line.get_label(): line.get_marker() for line in ax.lines}
    assert markers == {"measured": "o", "bound": "s", "plain": "None"}


def test_runs_over_seeds_are_drawn_as_mean_and_min_max_band():
    runs = np.array([[1.0, 4.0, 2.0], [3.0, 2.0, 8.0]])  # 2 seeds x 3 points
    ax = P.plot_curves({"runs": runs, "single": [1.0, 1.0, 1.0]}, x=[1, 2, 3], title="t")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 3.0, 5.0])
    assert len(ax.collections) == 1  # one band, for the 2-D series only
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 1.0 and band.max() == 8.0
    log_ax = P.plot_layer_norms({"runs": runs})
    np.testing.assert_allclose(log_ax.lines[0].get_ydata(), [np.sqrt(3.0), np.sqrt(8.0), 4.0])
    assert ax.collections[0].get_facecolor()[0][:3] == pytest.approx(matplotlib.colors.to_rgb(ax.lines[0].get_color()))


def test_plot_rate_sweep_draws_one_curve_per_arm_and_marks_divergence():
    import matplotlib.pyplot as plt

    rates = (0.1, 0.2, 0.4)
    runs = {"a": np.array([[1.0, 0.5, np.nan], [2.0, 0.4, 0.3]]), "b": np.array([[1.0, 0.9, 0.8], [1.1, 0.7, 0.6]])}
    ax = P.plot_rate_sweep(runs, rates, title="t")
    lines = [line for line in ax.get_lines() if line.get_label() in runs]
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_allclose(lines[0].get_xdata(), [0.1, 0.2])  # 0.4 diverged for one seed of "a"
    np.testing.assert_allclose(lines[1].get_ydata(), np.exp(np.log(runs["b"]).mean(axis=0)))
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == pytest.approx(0.4, rel=0.05)
    # the cross sits on the top edge (axes coordinates), not at a loss value
    assert crosses[0].get_transform() == ax.get_xaxis_transform() and 0.9 < crosses[0].get_ydata()[0] <= 1
    assert P.plot_rate_sweep(runs, rates, ylim=(0.2, 3.0)).get_ylim() == (0.2, 3.0)
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    with pytest.raises(ValueError, match="column"):
        P.plot_rate_sweep(runs, (0.1, 0.2))
    plt.close("all")


def test_plot_paired_joins_seeds_and_shows_mean_and_sample_std():
    import matplotlib.pyplot as plt

    values = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([2.0, 2.5, 5.0])}
    ax = P.plot_paired(values, ylabel="v")
    pair_lines = [line for line in ax.get_lines() if line.get_color() == "0.75"]
    assert len(pair_lines) == 3  # one per seed
    np.testing.assert_allclose(pair_lines[2].get_ydata(), [3.0, 5.0])
    bars = ax.containers
    assert len(bars) == 2
    (segment,) = bars[1].lines[2][0].get_segments()
    np.testing.assert_allclose(segment[:, 1], values["y"].mean() + np.array([-1, 1]) * values["y"].std(ddof=1))
    with pytest.raises(ValueError, match="same number"):
        P.plot_paired({"x": [1.0, 2.0], "y": [1.0]})
    plt.close("all")
