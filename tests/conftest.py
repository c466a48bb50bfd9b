"""Shared pytest set-up: the book's configuration, a non-interactive plot backend, no leaks between tests.

Every test starts in the configuration of a chapter: ``course_lib.setup()`` (seeds, TF op determinism,
Keras float64) runs before each test, so tests do not depend on their order. A test that needs
another float type calls ``course_lib.setup(floatx="float32")`` itself.
"""

import course_lib
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _book_configuration_and_no_figure_leaks():
    """Before each test: the chapters' set-up; after it: close every figure the test opened."""
    course_lib.setup()
    yield
    plt.close("all")
