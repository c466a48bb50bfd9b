"""Quick checks: short multiple-choice and numeric questions that work on the static book page.

A quick check is rendered by `jupyterquiz <https://pypi.org/project/jupyterquiz/>`_ as HTML and
JavaScript in the cell's output, so it gives feedback in the published HTML book with no kernel, and
in JupyterLab once the cell has run. :func:`quick_check` validates the questions and makes the output
deterministic: jupyterquiz names the quiz's HTML element with 12 random letters drawn from Python's
global ``random`` module; here they are drawn from a generator seeded with the check's label, and the
global generator's state is left untouched, so re-running a chapter stores identical outputs (strict
nbval) and the chapter's own seeds are not disturbed.

Question format (jupyterquiz's)::

    {"question": "Which ...?", "type": "multiple_choice",
     "answers": [{"answer": "...", "correct": True, "feedback": "Yes: ..."},
                 {"answer": "...", "correct": False, "feedback": "No: ..."}]}
    {"question": "What is ...?", "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": 0.25, "correct": True, "feedback": "Right."},
                 {"type": "range", "range": [-1e9, 1e9], "correct": False,
                  "feedback": "Not quite: ..."}]}

``many_choice`` (several correct answers) works like ``multiple_choice``. Used by the quick checks
of every chapter. :func:`choice` and :func:`numeric` build these dicts from short tuples, so that a
quick-check cell stays short::

    quick_check("qc02-x", [choice("Which ...?", ("right answer", "Yes: ..."), ("wrong", "No: ..."))])
"""

from __future__ import annotations

import random
import re

QUESTION_TYPES = ("multiple_choice", "many_choice", "numeric")
LABEL = re.compile(r"^qc\d\d-[a-z0-9-]+$")


def _check_question(index: int, question: dict) -> None:
    where = f"questions[{index}]"
    if not isinstance(question, dict):
        raise ValueError(f"{where} must be a dict, got {type(question).__name__}")
    if question.get("type") not in QUESTION_TYPES:
        raise ValueError(f"{where}['type'] must be one of {QUESTION_TYPES}, got {question.get('type')!r}")
    if not isinstance(question.get("question"), str) or not question["question"].strip():
        raise ValueError(f"{where}['question'] must be a non-empty string")
    answers = question.get("answers")
    if not isinstance(answers, list) or len(answers) < 2:
        raise ValueError(f"{where}['answers'] must be a list of at least 2 answers")
    if not any(isinstance(a, dict) and a.get("correct") is True for a in answers):
        raise ValueError(f"{where}['answers'] has no answer with 'correct': True")
    for j, answer in enumerate(answers):
        if not isinstance(answer, dict) or not isinstance(answer.get("feedback"), str):
            raise ValueError(f"{where}['answers'][{j}] needs a 'feedback' string")
        if question["type"] == "numeric":
            if answer.get("type") not in ("value", "range"):
                raise ValueError(f"{where}['answers'][{j}]['type'] must be 'value' or 'range'")
            if answer["type"] not in answer:
                raise ValueError(f"{where}['answers'][{j}] lacks its {answer['type']!r} entry")
        elif not isinstance(answer.get("answer"), str):
            raise ValueError(f"{where}['answers'][{j}]['answer'] must be a string")


def quick_check(label: str, questions: list[dict], shuffle_answers: bool = True) -> None:
    """Display a quick check: questions with instant feedback, on the static page and in Jupyter.

    ``label`` names the check (``qcNN-slug``, NN the chapter) and seeds the HTML element's id, so
    the stored output is the same on every run. Raises ValueError naming the first bad entry.
    Shuffling the answers happens in the reader's browser and does not change the output.
    """
    if not isinstance(label, str) or not LABEL.match(label):
        raise ValueError(f"label must look like 'qc01-saturation', got {label!r}")
    if not isinstance(questions, list) or not questions:
        raise ValueError("questions must be a non-empty list of question dicts")
    for index, question in enumerate(questions):
        _check_question(index, question)
    from jupyterquiz import display_quiz

    state = random.getstate()
    random.seed(label)
    try:
        display_quiz(questions, shuffle_answers=shuffle_answers)
    finally:
        random.setstate(state)


def choice(question: str, right: tuple, *wrong: tuple) -> dict:
    """A multiple-choice question: ``right`` = (answer, feedback), each of ``wrong`` the same."""
    if not wrong:
        raise ValueError("wrong must hold at least one (answer, feedback) pair")
    answers = [(right, True)] + [(w, False) for w in wrong]
    for pair, _ in answers:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"answers must be (answer, feedback) pairs, got {pair!r}")
    return {
        "question": question,
        "type": "multiple_choice",
        "answers": [{"answer": a, "correct": c, "feedback": f} for (a, f), c in answers],
    }


def numeric(question: str, value: float, precision: int, feedback: str, hint: str) -> dict:
    """A numeric question answered by ``value`` to ``precision`` digits; any other number gets ``hint``."""
    return {
        "question": question,
        "type": "numeric",
        "precision": precision,
        "answers": [
            {"type": "value", "value": value, "correct": True, "feedback": feedback},
            {"type": "range", "range": [-1e9, 1e9], "correct": False, "feedback": hint},
        ],
    }
