"""Tests for chapter 07's pieces: curvature's trust-region step, GGN / Fisher / empirical Fisher / K-FAC,
the optimizers TrustRegion, NewtonCG and KFAC, second_order_experiments and second_order_plots.

Every result is checked against an independent computation: scipy's constrained solver, finite
differences of the network's gradient, tf.GradientTape jacobians, dense solves, np.kron."""

import numpy as np
import pytest

import course_lib  # noqa: F401  (environment and seeds)
from course_lib import curvature as cv
from course_lib import datasets, networks, objectives
from course_lib import optimizers as opt
from course_lib import second_order_experiments as so_exp


@pytest.fixture(scope="module")
def small_net():
    """A 6-5-4 tanh network, 30 random inputs and labels (P = 35 + 24 = 59)."""
    rng = np.random.default_rng(0)
    net = networks.init([6, 5, 4], "tanh", seed=1)
    return net, rng.standard_normal((30, 6)), rng.integers(0, 4, 30)


# --------------------------------------------------------------------------------------------------
# Trust region, damping, convergence order
# --------------------------------------------------------------------------------------------------
def _slsqp(H, g, r):
    from scipy.optimize import minimize

    constraint = {"type": "ineq", "fun": lambda d: r**2 - d @ d}
    best = None
    for start in np.random.default_rng(0).standard_normal((8, len(g))) * r / 4:
        res = minimize(
            lambda d: g @ d + 0.5 * d @ H @ d,
            start,
            method="SLSQP",
            constraints=[constraint],
            options={"ftol": 1e-15, "maxiter": 500},
        )
        if best is None or res.fun < best.fun:
            best = res
    return best.x


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("radius", [0.1, 1.0])
def test_trust_region_step_matches_a_constrained_solver(seed, radius):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((4, 4))
    H, g = M + M.T, rng.standard_normal(4)  # indefinite
    step = cv.trust_region_step(H, g, radius)
    np.testing.assert_allclose(step.d, _slsqp(H, g, radius), atol=1e-5)
    assert step.boundary and abs(np.linalg.norm(step.d) - radius) < 1e-10
    assert step.damping >= -np.linalg.eigvalsh(H)[0]
    np.testing.assert_allclose(step.d, cv.damped_step(H, g, step.damping), atol=1e-12)


def test_trust_region_step_is_newton_inside_the_ball_and_handles_the_hard_case():
    H, g = np.diag([2.0, 5.0]), np.array([1.0, 1.0])
    step = cv.trust_region_step(H, g, 10.0)
    assert step.damping == 0.0 and not step.boundary
    np.testing.assert_allclose(step.d, -np.linalg.solve(H, g), rtol=1e-14)
    # hard case: g orthogonal to the eigenvector of the negative eigenvalue
    H, g = np.diag([-1.0, 2.0]), np.array([0.0, 1.0])
    step = cv.trust_region_step(H, g, 1.0)
    assert abs(np.linalg.norm(step.d) - 1.0) < 1e-12 and step.damping == pytest.approx(1.0)
    model = lambda d: g @ d + 0.5 * d @ H @ d  # noqa: E731
    assert model(step.d) <= model(_slsqp(H, g, 1.0)) + 1e-8


def test_step_norms_decrease_and_match_solves():
    H, g = np.diag([-1.0, 3.0]), np.array([1.0, 2.0])
    lams = np.array([1.5, 2.0, 5.0, 50.0])
    norms = cv.step_norms(H, g, lams)
    expected = [np.linalg.norm(np.linalg.solve(H + lam * np.eye(2), g)) for lam in lams]
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    assert np.all(np.diff(norms) < 0)


def test_convergence_order_of_model_sequences():
    linear = 0.5 ** np.arange(1, 10)
    quadratic = 0.1 ** (2.0 ** np.arange(5))
    np.testing.assert_allclose(cv.convergence_order(linear), 1.0, rtol=1e-12)
    np.testing.assert_allclose(cv.convergence_order(quadratic), 2.0, rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cv.trust_region_step(np.eye(2), [1.0, 1.0], 0.0),
        lambda: cv.trust_region_step(np.eye(2), [1.0], 1.0),
        lambda: cv.damped_step(np.eye(2), [1.0, 1.0], -1.0),
        lambda: cv.convergence_order([1.0, 0.1]),
        lambda: cv.convergence_order([1.0, 0.0, 0.1]),
        lambda: cv.kfac_solve([cv.KFACFactors(np.eye(2), np.eye(2))], np.ones(4), 0.0),
        lambda: cv.kfac_solve([cv.KFACFactors(np.eye(2), np.eye(2))], np.ones(3), 1.0),
        lambda: cv.ggn_matrix(networks.init([2, 2], seed=0), np.ones((3, 2)), loss="hinge"),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------------------------------
# Curvature matrices of a network
# --------------------------------------------------------------------------------------------------
def _finite_difference_jacobians(net, x, eps=1e-6):
    theta = networks.flatten(net)
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = eps
        plus = networks.forward(networks.unflatten(theta + e, net), x).output
        minus = networks.forward(networks.unflatten(theta - e, net), x).output
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=-1)


def test_output_jacobians_match_finite_differences(small_net):
    net, x, _ = small_net
    J = cv.output_jacobians(net, x[:5])
    assert J.shape == (5, 4, networks.n_params(net))
    np.testing.assert_allclose(J, _finite_difference_jacobians(net, x[:5]), atol=1e-8)


@pytest.mark.slow
def test_output_jacobians_match_gradient_tape(small_net):
    import tensorflow as tf

    net, x, _ = small_net
    model = networks.to_keras(net)
    with tf.GradientTape() as tape:
        logits = model(x[:4])
    jac = tape.jacobian(logits, model.trainable_variables)
    jac = np.concatenate([np.reshape(j, (4, 4, -1)) for j in jac], axis=2)
    np.testing.assert_allclose(cv.output_jacobians(net, x[:4]), jac, rtol=1e-12, atol=1e-14)


def test_ggn_equals_fisher_for_softmax_and_is_psd(small_net):
    net, x, _ = small_net
    G, F = cv.ggn_matrix(net, x), cv.fisher_matrix(net, x)
    np.testing.assert_allclose(G, F, atol=1e-14)
    assert np.linalg.eigvalsh(G)[0] > -1e-14


def test_ggn_of_a_linear_network_is_its_hessian():
    """Linear output, no hidden layer: the network's own curvature vanishes, so GGN = Hessian."""
    rng = np.random.default_rng(3)
    net = networks.init([5, 3], "linear", seed=2)
    x, y = rng.standard_normal((20, 5)), rng.integers(0, 3, 20)
    H = networks.Objective(net, x, y).hessian(networks.flatten(net))
    np.testing.assert_allclose(cv.ggn_matrix(net, x), H, atol=1e-13)
    y_mse = rng.standard_normal((20, 3))
    H_mse = networks.Objective(net, x, y_mse, loss="mse").hessian(networks.flatten(net))
    np.testing.assert_allclose(cv.ggn_matrix(net, x, loss="mse"), H_mse, atol=1e-13)


def test_ggn_vector_product_matches_the_matrix(small_net):
    net, x, _ = small_net
    v = np.random.default_rng(4).standard_normal(networks.n_params(net))
    for loss in ("cross_entropy", "mse"):
        np.testing.assert_allclose(
            cv.ggn_vector_product(net, x, v, loss), cv.ggn_matrix(net, x, loss) @ v, rtol=1e-10, atol=1e-14
        )


def test_empirical_fisher_is_the_mean_outer_product_of_example_gradients(small_net):
    net, x, y = small_net
    grads = []
    for i in range(len(y)):
        _, g = networks.loss_and_gradients(net, x[i : i + 1], y[i : i + 1])
        grads.append(networks.flatten(g))
    grads = np.array(grads)
    np.testing.assert_allclose(cv.empirical_fisher_matrix(net, x, y), grads.T @ grads / len(y), atol=1e-14)
    with pytest.raises(ValueError):
        cv.empirical_fisher_matrix(net, x, y + 10)


def test_kfac_factors_exact_match_kronecker_of_expectations(small_net):
    """With one example, E over labels of (ā ⊗ δ)(ā ⊗ δ)ᵀ = āāᵀ ⊗ E[δδᵀ]: K-FAC is exact per layer."""
    net, x, _ = small_net
    _, factors = cv.kfac_statistics(net, x[:1], exact=True)
    F = cv.fisher_matrix(net, x[:1])
    np.testing.assert_allclose(cv.kfac_matrix(factors), _block_diagonal(F, net), atol=1e-14)


def _block_diagonal(F, net):
    out, start = np.zeros_like(F), 0
    for layer in net:
        size = (layer.W.shape[0] + 1) * layer.W.shape[1]
        out[start : start + size, start : start + size] = F[start : start + size, start : start + size]
        start += size
    return out


def test_kfac_sampled_factors_converge_to_exact(small_net):
    net, x, y = small_net
    many = np.repeat(x, 400, axis=0)
    grad, sampled = cv.kfac_statistics(net, many, np.repeat(y, 400), rng=np.random.default_rng(5))
    _, exact = cv.kfac_statistics(net, x, exact=True)
    for s, e in zip(sampled, exact):
        np.testing.assert_allclose(s.A, e.A, atol=1e-12)
        assert np.linalg.norm(s.G - e.G) < 0.05 * np.linalg.norm(e.G)
    np.testing.assert_allclose(grad, networks.Objective(net, x, y).grad(networks.flatten(net)), atol=1e-12)


def test_kfac_solve_matches_dense_damped_kronecker_solve(small_net):
    from scipy.linalg import block_diag

    net, x, _ = small_net
    _, factors = cv.kfac_statistics(net, x, exact=True)
    v = np.random.default_rng(6).standard_normal(networks.n_params(net))
    lam = 1e-2
    blocks = []
    for f in factors:
        pi = np.sqrt((np.trace(f.A) / len(f.A)) / (np.trace(f.G) / len(f.G)))
        blocks.append(np.kron(f.A + pi * np.sqrt(lam) * np.eye(len(f.A)), f.G + np.sqrt(lam) / pi * np.eye(len(f.G))))
    np.testing.assert_allclose(cv.kfac_solve(factors, v, lam), np.linalg.solve(block_diag(*blocks), v), rtol=1e-9)


# --------------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------------
def test_trust_region_optimizer_descends_to_a_minimum_from_near_a_maximum():
    h = objectives.Himmelblau()
    run = opt.run(opt.TrustRegion(radius=0.5), h, h.maximum + np.array([0.4, -0.3]), 40)
    assert np.all(np.diff(run.values) <= 1e-12)
    assert cv.classify_critical_point(h.hessian(run.thetas[-1])) == "minimum"
    assert np.linalg.norm(h.grad(run.thetas[-1])) < 1e-8


def test_newton_cg_equals_dense_damped_newton(small_net):
    net, x, y = small_net
    objective = networks.Objective(net, x, y)
    theta = networks.flatten(net)
    g = objective.grad(theta)
    for curvature, C in [("ggn", cv.ggn_matrix(net, x)), ("hessian", objective.hessian(theta))]:
        lam = 1.0 if curvature == "hessian" else 1e-3  # λ > −λ_min(H)
        optimizer = opt.NewtonCG(learning_rate=0.5, damping=lam, curvature=curvature)
        new, state = optimizer.update(theta, optimizer.init(theta), objective)
        expected = theta - 0.5 * np.linalg.solve(C + lam * np.eye(len(theta)), g)
        assert np.linalg.norm(new - expected) < 1e-6 * np.linalg.norm(expected - theta)
        assert state.count == 1


def test_newton_cg_on_a_quadratic_is_newton():
    q = objectives.Quadratic.with_eigenvalues([1.0, 10.0, 100.0], np.random.default_rng(0), b=np.ones(3))

    class WithHvp:
        dim, value, grad = q.dim, q.value, q.grad

        @staticmethod
        def hvp(theta, v):
            return q.A @ v

    run = opt.run(opt.NewtonCG(damping=0.0), WithHvp(), np.zeros(3), 1)
    np.testing.assert_allclose(run.thetas[-1], q.minimizer, rtol=1e-9)


def test_kfac_optimizer_step_is_preconditioned_gradient_and_pure(small_net):
    net, x, y = small_net
    objective = networks.Objective(net, x, y)
    theta = networks.flatten(net)
    kfac = opt.KFAC(learning_rate=0.1, damping=0.01, momentum=0.9, seed=3)
    state = kfac.init(theta)
    new, state1 = kfac.update(theta, state, objective)
    g, factors = cv.kfac_statistics(net, x, y, rng=np.random.default_rng((3, 0)))
    np.testing.assert_allclose(new, theta - 0.1 * cv.kfac_solve(factors, g, 0.01), rtol=1e-12)
    again, _ = kfac.update(theta, state, objective)
    np.testing.assert_array_equal(new, again)  # pure: same inputs, same output
    newer, state2 = kfac.update(new, state1, objective)
    _, batch = cv.kfac_statistics(networks.unflatten(new, net), x, y, rng=np.random.default_rng((3, 1)))
    np.testing.assert_allclose(state2.factors[0].A, 0.95 * factors[0].A + 0.05 * batch[0].A, rtol=1e-12)
    assert state2.count == 2


def test_kfac_trains_a_small_network_with_minibatches():
    data = datasets.digits()
    like = networks.init([64, 16, 10], "tanh", seed=0)
    objective = networks.Objective(like, data.x_train, data.y_train)
    run = opt.run(
        opt.KFAC(0.1, damping=0.1), objective, networks.flatten(like), 60, batch_size=64, seed=0, record_every=20
    )
    assert not run.diverged and run.values[-1] < 0.25 * run.values[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: opt.TrustRegion(radius=0.0),
        lambda: opt.TrustRegion(eta=0.3),
        lambda: opt.NewtonCG(damping=-1.0),
        lambda: opt.NewtonCG(curvature="fisher"),
        lambda: opt.NewtonCG(cg_max_iter=0),
        lambda: opt.KFAC(damping=0.0),
        lambda: opt.KFAC(momentum=1.0),
        lambda: opt.KFAC(factor_decay=-0.1),
        lambda: opt.KFAC(seed=-1),
    ],
)
def test_hyperparameters_are_validated(make):
    with pytest.raises(ValueError):
        make()


def test_kfac_rejects_a_non_network_objective():
    q = objectives.Quadratic(np.eye(2))
    kfac = opt.KFAC()
    with pytest.raises(ValueError):
        kfac.update(np.zeros(2), kfac.init(np.zeros(2)), q)


# --------------------------------------------------------------------------------------------------
# Experiments and plots
# --------------------------------------------------------------------------------------------------
def test_reparametrized_gradient_and_hessian_by_finite_differences():
    r = so_exp.Reparametrized(objectives.Rosenbrock(), np.array([[2.0, 0.5], [0.3, 0.2]]), np.array([0.5, -0.2]))
    phi, eps = np.array([0.3, -0.4]), 1e-6
    fd = np.array([(r.value(phi + e) - r.value(phi - e)) / (2 * eps) for e in np.eye(2) * eps])
    np.testing.assert_allclose(r.grad(phi), fd, rtol=1e-6)
    fd_h = np.array([(r.grad(phi + e) - r.grad(phi - e)) / (2 * eps) for e in np.eye(2) * eps])
    np.testing.assert_allclose(r.hessian(phi), fd_h, rtol=1e-6)
    np.testing.assert_allclose(r.to_phi(r.to_theta(phi)), phi, rtol=1e-14)
    with pytest.raises(ValueError):
        so_exp.Reparametrized(objectives.Rosenbrock(), np.zeros((2, 2)))


def test_damped_newton_paths_equal_the_newton_optimizer():
    h = objectives.Himmelblau()
    paths = so_exp.damped_newton_paths(h, [0.5, -1.0], [0.0, 30.0], steps=5)
    for lam, path in zip([0.0, 30.0], paths):
        np.testing.assert_allclose(path, opt.run(opt.Newton(damping=lam), h, [0.5, -1.0], 5).thetas, rtol=1e-12)


def test_least_squares_steps():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 2)), rng.standard_normal(40)
    ls = objectives.LeastSquares(X, y)
    points = rng.standard_normal((3, 2))
    ggn, ef = so_exp.least_squares_steps(ls, points)
    np.testing.assert_allclose(points + ggn, np.broadcast_to(ls.minimizer, (3, 2)), atol=1e-12)
    for p, d in zip(points, ef):
        r = X @ p - y
        F = (X * r[:, None] ** 2).T @ X / 40
        np.testing.assert_allclose(d, -np.linalg.solve(F, ls.grad(p)), rtol=1e-10)


def test_compare_optimizers_is_paired_and_matches_a_direct_run():
    data = datasets.digits()
    methods = {"gd": [opt.GradientDescent(0.1)], "momentum": [opt.Momentum(0.05)]}
    result = so_exp.compare_optimizers(
        data, [64, 8, 10], methods, seeds=[0, 1], steps=12, batch_size=32, record_every=5
    )
    assert result.loss.shape == (2, 1, 2, 4) and list(result.steps) == [0, 5, 10, 12]
    np.testing.assert_array_equal(result.loss[0, 0, :, 0], result.loss[1, 0, :, 0])  # same initial nets
    like = networks.init([64, 8, 10], "tanh", seed=1)
    objective = networks.Objective(like, data.x_train, data.y_train)
    direct = opt.run(
        opt.Momentum(0.05),
        objective,
        networks.flatten(like),
        12,
        batch_size=32,
        seed=1,
        sampling="reshuffle",
        record_every=5,
    )
    np.testing.assert_allclose(result.loss[1, 0, 1], direct.values, rtol=1e-12)
    assert np.all(result.seconds_per_step > 0) and list(result.best()) == [0, 0]


def test_plots_draw():
    import matplotlib.pyplot as plt

    from course_lib import second_order_plots as sp

    h = objectives.Himmelblau()
    ax = sp.plot_paths(h, {"a": np.array([[0.0, 0.0], [1.0, 1.0]])}, (-2, 2), (-2, 2), title="t")
    assert len(ax.lines) == 2 and ax.get_title() == "t"
    ax = sp.plot_errors({"x": [1.0, 0.1, 0.01]}, title="e")
    assert len(ax.lines) == 1
    ax = sp.plot_spectra({"s": [1.0, -1.0, 0.0]})
    assert ax.get_yscale() == "symlog"
    fig = sp.plot_blocks({"a": np.eye(3), "b": -np.eye(3)})
    assert len(fig.axes) == 3  # two panels and a colour bar
    ls = objectives.LeastSquares(np.eye(2), np.ones(2))
    fig = sp.plot_step_fields(ls, np.zeros((1, 2)), [np.ones((1, 2))], np.ones(2), (-1, 2), (-1, 2), ["t"])
    assert len(fig.axes) == 1
    plt.close("all")


def test_plot_comparison_per_backpropagation():
    import matplotlib.pyplot as plt

    from course_lib import second_order_plots as sp

    steps = np.array([0, 10, 20])
    loss = np.ones((2, 1, 3, 3)) * np.array([1.0, 0.5, 0.25])
    comparison = so_exp.Comparison(
        ("K-FAC", "Adam"),
        np.array([[0.1], [0.01]]),
        steps,
        loss,
        np.ones((2, 1, 3)),
        *[None] * 2,
        np.zeros((2, 1, 3), bool),
    )
    fig = sp.plot_comparison(comparison, [0, 0], backprops=(2, 1))
    right = fig.axes[1]
    np.testing.assert_array_equal(right.lines[0].get_xdata(), 2 * steps)  # K-FAC: two per step
    np.testing.assert_array_equal(right.lines[1].get_xdata(), steps)
    assert right.lines[-1].get_xdata()[0] == 20  # the dotted line: the cheapest run's end
    assert right.get_xlabel() == "back-propagations"
    plt.close("all")
