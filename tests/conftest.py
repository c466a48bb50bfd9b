"""Shared pytest set-up: the book's configuration, a non-interactive plot backend, no leaks between tests.

Every test starts in the configuration of a chapter: ``course_lib.setup()`` (seeds, TF op determinism,
Keras float64) runs before each test, so tests do not depend on their order. A test that needs
another float type calls ``course_lib.setup(floatx="float32")`` itself.
"""

import matplotlib

import course_lib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import objectives  # noqa: E402


@pytest.fixture(autouse=True)
def _book_configuration_and_no_figure_leaks():
    """Before each test: the chapters' set-up; after it: close every figure the test opened."""
    course_lib.setup()
    yield
    plt.close("all")


@pytest.fixture
def problems():
    """Two quadratics with nonzero minimizers and starting points, for optimizer tests: 2-D (κ ≈ 22) and 5-D (κ = 8).

    Near the minimum RMSProp with a constant rate keeps oscillating, and the oscillation can be chaotic
    (round-off differences between TF's matvec and NumPy's grow to 0.2 within 66 steps with ρ = 0.875 on
    the 2-D problem); ρ = 0.75 on these two problems keeps course_lib and Keras in step to round-off.
    """
    two = objectives.Quadratic([[3.0, 1.0], [1.0, 0.5]], [1.0, -2.0])
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    A = Q @ np.diag([0.5, 1.0, 1.5, 2.5, 4.0]) @ Q.T
    five = objectives.Quadratic(0.5 * (A + A.T), rng.normal(size=5))
    return [(two, np.array([2.0, -1.5])), (five, rng.normal(size=5))]
