"""course_lib.quiz: quick checks render deterministically and reject malformed questions."""

import random

import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib import quiz

MC = {
    "question": "Where is sigma' largest?",
    "type": "multiple_choice",
    "answers": [
        {"answer": "z = 0", "correct": True, "feedback": "Yes."},
        {"answer": "z = 5", "correct": False, "feedback": "No: saturated."},
    ],
}
NUMERIC = {
    "question": "max sigma'?",
    "type": "numeric",
    "precision": 2,
    "answers": [
        {"type": "value", "value": 0.25, "correct": True, "feedback": "Right."},
        {"type": "range", "range": [-1e9, 1e9], "correct": False, "feedback": "No."},
    ],
}


def _render(label, questions):
    shell = InteractiveShell.instance()
    captured = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: captured.append(data)
    quiz.quick_check(label, questions)
    return captured


def test_output_is_deterministic_and_leaves_global_random_alone():
    random.seed(123)
    expected_next = random.random()
    random.seed(123)
    first = _render("qc01-saturation", [MC, NUMERIC])
    assert random.random() == expected_next  # the chapter's own random stream is untouched
    second = _render("qc01-saturation", [MC, NUMERIC])
    assert first == second
    html, script = first[0]["text/html"], first[1]["application/javascript"]
    assert "Where is sigma' largest?" in script and "<style>" in html
    assert _render("qc01-other", [MC])[0]["text/html"] != html  # the label names the element


@pytest.mark.parametrize(
    "label, questions, message",
    [
        ("quiz1", [MC], "label"),
        ("qc01-x", [], "questions"),
        ("qc01-x", [dict(MC, type="essay")], r"questions\[0\]\['type'\]"),
        ("qc01-x", [dict(MC, answers=[dict(MC["answers"][0], correct=False), MC["answers"][1]])], "correct"),
        ("qc01-x", [dict(MC, answers=[{"answer": "a", "correct": True}, MC["answers"][1]])], "feedback"),
        (
            "qc01-x",
            [dict(NUMERIC, answers=[{"type": "value", "correct": True, "feedback": "x"}, NUMERIC["answers"][1]])],
            "'value'",
        ),
    ],
)
def test_bad_questions_name_the_bad_entry(label, questions, message):
    with pytest.raises(ValueError, match=message):
        quiz.quick_check(label, questions)


def test_choice_and_numeric_build_valid_questions():
    from course_lib import quiz as Q

    q = Q.choice("Which?", ("yes", "Right."), ("no", "Wrong."), ("maybe", "Wrong."))
    assert q["type"] == "multiple_choice" and [a["correct"] for a in q["answers"]] == [True, False, False]
    assert [a["answer"] for a in q["answers"]] == ["yes", "no", "maybe"]
    Q._check_question(0, q)
    n = Q.numeric("How much?", 0.24, 3, "Right.", "Hint.")
    Q._check_question(1, n)
    assert n["answers"][0]["value"] == 0.24 and n["precision"] == 3
    with pytest.raises(ValueError, match="wrong"):
        Q.choice("Which?", ("yes", "Right."))
    with pytest.raises(ValueError, match="pairs"):
        Q.choice("Which?", ("yes", "Right."), "no")
