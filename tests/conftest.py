"""Shared pytest set-up: course_lib's environment first, a non-interactive plot backend, no figure leaks."""

import course_lib  # noqa: F401  (TensorFlow's environment and the seed, before anything loads TF)
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so figures do not pile up across the suite."""
    yield
    plt.close("all")
