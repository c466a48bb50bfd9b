"""The plan of the course, in one place: the eleven chapters' numbers, slugs, titles, prerequisites and topics.

Everything that needs the list of chapters imports it from here: the instructor guide's course map
(``tools.course_map``), the chapter tests (``tests/test_chapters.py``: a notebook's name and title
follow the plan), the tooling that runs the book (``tools.book``, ``tools.bench``,
``tools.assignments``). A chapter file is ``chapters/<number>_<slug>.ipynb`` and its first cell starts
``# <number>. <title>``. Change a title or add a chapter here, then run ``python -m tools.course_map``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Planned:
    """One chapter of the course plan."""

    number: str
    slug: str
    title: str
    builds_on: tuple[str, ...]
    topics: str


CHAPTERS = [
    Planned(
        "01",
        "activations",
        "Activation functions",
        (),
        "the feedforward network; sigmoid, tanh, ReLU family, maxout; vanishing gradients",
    ),
    Planned(
        "02",
        "losses",
        "Output units and losses",
        ("01",),
        "maximum likelihood; MSE, binary and categorical cross-entropy; saturation; calibration",
    ),
    Planned(
        "03",
        "universal_approximation",
        "Universal approximation",
        ("01",),
        "the theorem and its limits; ReLU networks as piecewise-linear maps; depth versus width",
    ),
    Planned(
        "04",
        "regularization",
        "Regularization",
        ("02", "03"),
        "generalization; L1/L2 penalties, early stopping, augmentation, multitask, bagging, dropout",
    ),
    Planned(
        "05",
        "gradient_descent",
        "Gradient descent: theory",
        ("01", "02"),
        "steepest descent; smoothness, strong convexity and rates; saddle points; backpropagation",
    ),
    Planned(
        "06",
        "momentum",
        "Momentum and Nesterov",
        ("05",),
        "heavy ball, Nesterov's accelerated gradient, the first-order lower bound",
    ),
    Planned(
        "07",
        "second_order",
        "Second-order methods",
        ("02", "05"),
        "Newton, trust regions and damping, Gauss-Newton and Fisher, K-FAC",
    ),
    Planned(
        "08",
        "stochastic",
        "Stochastic gradient descent",
        ("05",),
        "mini-batches, decaying rates, Polyak averaging, growing batches, noise and tuning",
    ),
    Planned(
        "09",
        "adam",
        "Adaptive methods: AdaGrad, RMSProp, Adam",
        ("06", "08"),
        "per-coordinate rates, bias correction, Keras's optimizers, learning-rate decay",
    ),
    Planned(
        "10",
        "initialization",
        "Initialization",
        ("01", "05"),
        "Xavier/Glorot and He initialization, signal propagation, Keras defaults",
    ),
    Planned(
        "11",
        "batch_normalization",
        "Batch normalization",
        ("08", "10"),
        "normalizing activations, learned scale and shift, running averages at inference",
    ),
]


#: The plan by chapter number ("01" ... "11").
BY_NUMBER = {chapter.number: chapter for chapter in CHAPTERS}


def stem(number: str) -> str:
    """The file stem of a planned chapter, ``NN_slug`` (KeyError for a number not in the plan)."""
    return f"{number}_{BY_NUMBER[number].slug}"


def existing(root: Path = ROOT) -> dict[str, Path]:
    """The chapter notebooks present under ``root/chapters``, by number."""
    return {p.name[:2]: p for p in sorted(Path(root, "chapters").glob("[0-9][0-9]_*.ipynb"))}
