"""Tests for course_lib.convergence: gradient descent's linear rate on random quadratics (chapter 05)."""

import numpy as np
import pytest

from course_lib import convergence as cg
from course_lib import objectives as ob
from course_lib import optimizers as opt


@pytest.mark.parametrize("kappa", [2, 10, 100])
def test_gd_rate_run_stays_under_its_bound_and_the_bound_is_tight_somewhere(kappa):
    quad, traj, bound = cg.gd_rate_run(kappa, steps=150, seed=kappa)
    assert quad.dim == 10 and quad.kappa == pytest.approx(kappa, rel=1e-10) and quad.L == pytest.approx(1.0)
    gap = traj.values - quad.min_value
    assert not traj.diverged and traj.thetas.shape == (151, 10)
    assert np.all(gap <= bound * (1 + 1e-9))
    assert bound[0] == pytest.approx(0.5 * quad.L * traj.thetas[0] @ traj.thetas[0], rel=1e-14)
    # the bound decays at exactly q² per step
    np.testing.assert_allclose(bound[1:] / bound[:-1], ((quad.kappa - 1) / (quad.kappa + 1)) ** 2, rtol=1e-12)


def test_gd_rate_run_is_the_experiment_written_out():
    """Same seed, same numbers: one generator draws the eigenvectors, then θ₀."""
    run = cg.gd_rate_run(10, steps=20, seed=3, dim=4)
    rng = np.random.default_rng(3)
    quad = ob.Quadratic.with_eigenvalues(np.geomspace(0.1, 1.0, 4), rng)
    theta0 = rng.standard_normal(4)
    traj = opt.run(opt.GradientDescent(2 / (quad.L + quad.mu)), quad, theta0, 20)
    np.testing.assert_array_equal(run.objective.A, quad.A)
    np.testing.assert_array_equal(run.trajectory.thetas, traj.thetas)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kappa": 0.5}, "kappa"),
        ({"steps": -1}, "steps"),
        ({"seed": -1}, "seed"),
        ({"dim": 0}, "dim"),
    ],
)
def test_gd_rate_run_validates(kwargs, match):
    args = {"kappa": 10, "steps": 5, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        cg.gd_rate_run(**args)
