"""The assignment kit (issue 8): otter assign, student checks, autograder, student book, format checks.

The slow, end-to-end tests (marked ``slow``; ``pytest -m "not slow"`` skips them) run on a tiny fixture
chapter built with ``tools.exercise_cells`` (NumPy only, a few seconds per run instead of a chapter's
half minute): generating the assignment with otter's solution-vs-test check on, the blank student
notebook failing its checks with the author's message, the same notebook with the solutions filled back
in passing them, the autograder giving it full marks (and the blank one nothing), otter refusing a
solution that fails its own hidden test, and the student book building without solution text. The real
chapters are checked by generating their student notebooks (without re-running them; ``make
assignments`` does that) and searching them for solution text. The format checks run without a kernel.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from _ext.solution_markers import strip_markers
from tools import assignments
from tools import exercise_cells as ex

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "98_fixture"

PROMPT_GRAD = "Write `sigmoid_grad(z)`, the derivative of the sigmoid, for a NumPy array `z`."
SOLUTION_GRAD = '''def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)), elementwise."""
    # BEGIN SOLUTION
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)
    # END SOLUTION


# BEGIN SOLUTION NO PROMPT
print(f"sigma'(0) = {sigmoid_grad(0.0):.2f}")
# END SOLUTION'''
MESSAGE_GRAD = "sigmoid_grad(0.0) should be 0.25, the maximum of s (1 - s)."
SOLUTION_RATE = 'L = 4.0\neta_max = 2 / L  # SOLUTION\nprint(f"eta_max = {eta_max:.2f}")  # SOLUTION NO PROMPT'
MESSAGE_RATE = "eta_max should be a float between 0 and 1."
WORKED_CONCEPT = "Because the largest slope of tanh is 1 and that of the sigmoid only 1/4."


def _fixture_notebook(hidden_rate="bool(np.isclose(eta_max, 0.5))"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 98. Fixture chapter\n\nA tiny chapter for the kit's tests."),
        nbformat.v4.new_code_cell("import numpy as np\n\nfrom course_lib import quiz"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        ex.quick_check_cell(
            "qc98-slope",
            [
                {
                    "question": "Where is the sigmoid's slope largest?",
                    "type": "multiple_choice",
                    "answers": [
                        {"answer": "at 0", "correct": True, "feedback": "Yes."},
                        {"answer": "far out", "correct": False, "feedback": "No."},
                    ],
                }
            ],
        ),
        ex.assignment_config_cell(CHAPTER),
    ]
    nb.cells += ex.autograded_question(
        "ex98-sigmoid-grad",
        "The sigmoid's derivative",
        1,
        PROMPT_GRAD,
        SOLUTION_GRAD,
        [(MESSAGE_GRAD, "bool(np.isclose(sigmoid_grad(0.0), 0.25))")],
        [
            "_z = np.linspace(-10, 10, 201)\n_s = 1 / (1 + np.exp(-_z))\n"
            "bool(np.allclose(sigmoid_grad(_z), _s * (1 - _s)))"
        ],
        worked="Differentiate the quotient: the derivative is the product s (1 - s).",
    )
    nb.cells += ex.autograded_question(
        "ex98-rate-bound",
        "The largest stable rate",
        2,
        "Set `eta_max` for $L = 4$.",
        SOLUTION_RATE,
        [(MESSAGE_RATE, "bool(isinstance(eta_max, float) and 0 < eta_max < 1)")],
        [hidden_rate],
    )
    nb.cells += ex.conceptual_question("ex98-why-tanh", "Why tanh", 2, "Why does tanh train faster?", WORKED_CONCEPT)
    nb.cells.append(nbformat.v4.new_markdown_cell("## Summary\n\nThe end."))
    return nb


def _execute(nb, cwd: Path, allow_errors=False):
    from nbclient import NotebookClient

    NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=allow_errors, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def _check_outputs(nb) -> dict[str, str]:
    """The text each ``grader.check("...")`` cell printed, by question name."""
    found = {}
    for cell in nb.cells:
        match = re.match(r'grader\.check\("([^"]+)"\)', cell.source) if cell.cell_type == "code" else None
        if match:
            found[match.group(1)] = "".join(
                o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
            )
    return found


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    """A tiny book: the fixture chapter (executed), the book's config and course_lib (a link)."""
    root = tmp_path_factory.mktemp("book")
    (root / "chapters").mkdir()
    for name in ("_config.yml", "references.bib", "requirements.txt", "runtime.txt"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "_ext", root / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "course_lib").symlink_to(ROOT / "course_lib")
    (root / "intro.md").write_text("# Fixture book\n\nFor the kit's tests.\n")
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: intro\nchapters:\n  - file: chapters/{CHAPTER}\n")
    nb = _execute(_fixture_notebook(), root / "chapters")
    nbformat.write(nb, root / "chapters" / f"{CHAPTER}.ipynb")
    return root


@pytest.fixture(scope="module")
def source(fixture_root):
    return nbformat.read(fixture_root / "chapters" / f"{CHAPTER}.ipynb", as_version=4)


@pytest.fixture
def static_source():
    """The fixture chapter without a kernel: each test cell stores ``True``, as an executed one does."""
    nb = _fixture_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code" and "remove-cell" in cell.metadata.get("tags", []):
            cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "True"}, execution_count=1)]
    return nb


@pytest.fixture(scope="module")
def assignment(fixture_root):
    """``otter assign`` with otter's solution-vs-test check switched on."""
    return assignments.assign(
        fixture_root / "chapters" / f"{CHAPTER}.ipynb",
        fixture_root / "_build" / "assignments" / CHAPTER,
        root=fixture_root,
    )


@pytest.fixture(scope="module")
def student(assignment):
    return nbformat.read(assignment.student, as_version=4)


@pytest.mark.slow
def test_fixture_chapter_is_in_the_course_format(source):
    assert assignments.check_format(source, CHAPTER) == []
    found = assignments.questions(source)
    assert [(q.label, q.auto, q.difficulty, q.public_tests, q.hidden_tests) for q in found] == [
        ("ex98-sigmoid-grad", True, 1, 1, 1),
        ("ex98-rate-bound", True, 2, 1, 1),
        ("ex98-why-tanh", False, 2, 0, 0),
    ]


@pytest.mark.slow
def test_generation_writes_student_notebook_and_autograder(assignment, student):
    assert assignment.student.is_file() and (assignment.student.parent / "course_lib").is_dir()
    checks = [c.source for c in student.cells if c.cell_type == "code" and "grader.check" in c.source]
    assert checks == ['grader.check("ex98-sigmoid-grad")', 'grader.check("ex98-rate-bound")', "grader.check_all()"]
    assert student.cells[0].source.startswith("# Initialize Otter")
    assert all(c.outputs == [] for c in student.cells if c.cell_type == "code")
    public = json.dumps(student.metadata["otter"]["tests"])
    assert "isclose(sigmoid_grad(0.0), 0.25)" in public and "np.allclose" not in public  # no hidden
    with zipfile.ZipFile(assignment.autograder_zip) as archive:
        names = set(archive.namelist())
        assert {
            "tests/ex98-sigmoid-grad.py",
            "tests/ex98-rate-bound.py",
            "environment.yml",
            "files/course_lib/__init__.py",
        } <= names
        environment = archive.read("environment.yml").decode()
        assert "otter-grader==7.0.0" in environment and " #" not in environment  # pins, no comments
        python = (ROOT / "runtime.txt").read_text().strip().removeprefix("python-")
        assert f"python={python}" in environment  # Binder's Python, not otter's default
        hidden = archive.read("tests/ex98-sigmoid-grad.py").decode()
        assert "np.allclose" in hidden and "'hidden': True" in hidden


@pytest.mark.slow
def test_student_notebook_holds_no_solution_text(source, student, assignment):
    secrets = assignments.solution_lines(source)
    assert "return s * (1 - s)" in secrets and WORKED_CONCEPT in secrets  # the search has teeth
    text = assignment.student.read_text()
    assert assignments.leaked_lines(source, text) == []
    assert "{solution-start}" not in text and "# HIDDEN" not in text
    answer = next(c for c in student.cells if "def sigmoid_grad" in c.source)
    assert answer.source.rstrip().endswith('"""sigma\'(z) = sigma(z) (1 - sigma(z)), elementwise."""\n    ...')
    assert any(c.source == "L = 4.0\neta_max = ..." for c in student.cells)


@pytest.mark.slow
def test_blank_student_notebook_fails_its_checks_with_a_readable_message(assignment, student):
    nb = _execute(copy.deepcopy(student), assignment.student.parent, allow_errors=True)
    outputs = _check_outputs(nb)
    assert set(outputs) == {"ex98-sigmoid-grad", "ex98-rate-bound"}
    assert "❌ Test case failed" in outputs["ex98-sigmoid-grad"]
    assert MESSAGE_GRAD in outputs["ex98-sigmoid-grad"]
    assert MESSAGE_RATE in outputs["ex98-rate-bound"]


@pytest.mark.slow
def test_filled_in_student_notebook_passes_every_check(assignment, student, source, tmp_path):
    filled = assignments.fill_in(student, source)
    nb = _execute(filled, assignment.student.parent)
    outputs = _check_outputs(nb)
    assert set(outputs) == {"ex98-sigmoid-grad", "ex98-rate-bound"}
    assert all("All test cases passed!" in text for text in outputs.values()), outputs
    nbformat.write(filled, tmp_path / f"{CHAPTER}.ipynb")


@pytest.mark.slow
def test_autograder_gives_full_marks_to_the_filled_notebook_and_none_to_the_blank(
    assignment, student, source, tmp_path
):
    from otter.api import grade_submission

    filled, blank = tmp_path / "filled" / f"{CHAPTER}.ipynb", tmp_path / "blank" / f"{CHAPTER}.ipynb"
    for path, nb in ((filled, assignments.fill_in(student, source)), (blank, student)):
        path.parent.mkdir()
        nbformat.write(nb, path)
    full = grade_submission(str(filled), str(assignment.autograder_zip), quiet=True)
    assert full.possible == 2 and full.total == full.possible
    zero = grade_submission(str(blank), str(assignment.autograder_zip), quiet=True)
    assert zero.total == 0


@pytest.mark.slow
def test_otter_refuses_a_solution_that_fails_its_hidden_test(fixture_root, tmp_path):
    """A stale stored output (True) with a solution the hidden test rejects: otter assign fails."""
    (tmp_path / "chapters").mkdir()
    nb = nbformat.read(fixture_root / "chapters" / f"{CHAPTER}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.source.startswith("# HIDDEN\nbool(np.isclose(eta_max, 0.5))"):
            cell.source = "# HIDDEN\nbool(np.isclose(eta_max, 0.4))"  # stored output stays True
    path = tmp_path / "chapters" / f"{CHAPTER}.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="ex98-rate-bound"):
        assignments.assign(path, tmp_path / "out", root=fixture_root)


@pytest.mark.slow
def test_student_book_has_no_solutions(fixture_root, source):
    html_dir = assignments.student_book(fixture_root, fixture_root / "_build" / "html-student")
    page = (html_dir / "chapters" / f"{CHAPTER}.html").read_text()
    assert re.search(r"Exercise (98\.)?1\b", page)  # numbered per chapter (98.1) or across the book
    assert "qc98-slope" not in page.split("<main")[0]
    assert "Where is the sigmoid" in page  # the quick check (stored outputs kept)
    assert "Solution to" not in page and "grader.check" not in page
    text = re.sub(r"<[^>]+>", "", page)
    assert assignments.leaked_lines(source, text) == []
    full = [p.read_text() for p in html_dir.rglob("*.html")]
    assert not any(assignments.leaked_lines(source, re.sub(r"<[^>]+>", "", t)) for t in full)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda nb: nb.cells.pop(_index(nb, "# HIDDEN")), "public and a hidden test"),
        (
            lambda nb: nb.cells[_index(nb, "eta_max = 2 / L")].update(source="L = 4.0\neta_max = 2 / L"),
            "without '# BEGIN SOLUTION'",
        ),
        (lambda nb: _output(nb, "# HIDDEN", "False"), "must store one result"),
        (
            lambda nb: nb.cells[_index(nb, "# BEGIN QUESTION")].metadata.update(format="text/x-python"),
            "raw cells carry no format",
        ),
        (
            lambda nb: nb.cells.insert(len(nb.cells), nb.cells.pop(_index(nb, "# ASSIGNMENT CONFIG"))),
            "before the first question",
        ),
        (lambda nb: _set(nb, "name: ex98-rate-bound", "name: ex05-rate-bound"), "exNN-slug"),
        (lambda nb: _set(nb, "rate, ★★☆", "rate"), "difficulty"),
        (lambda nb: nb.cells.pop(_index(nb, "# END QUESTION")), "question begins inside"),
        (lambda nb: _tag(nb, "# HIDDEN", []), "remove-cell"),
        (lambda nb: _set(nb, "# BEGIN QUESTION\nname: ex98-rate-bound\npoints: 1", "# BEGIN QUESTION"), "exNN-slug"),
        (lambda nb: _set(nb, "name: ex98-rate-bound", "name: [ex98"), "does not parse"),
    ],
)
def test_check_format_names_what_is_wrong(static_source, bad, message):
    nb = copy.deepcopy(static_source)
    assert assignments.check_format(nb, CHAPTER) == []
    bad(nb)
    problems = assignments.check_format(nb, CHAPTER)
    assert any(message in p for p in problems), problems


def _index(nb, start):
    return next(i for i, c in enumerate(nb.cells) if start in c.source)


def _set(nb, old, new):
    cell = nb.cells[_index(nb, old)]
    cell.source = cell.source.replace(old, new)


def _output(nb, start, value):
    nb.cells[_index(nb, start)].outputs[0]["data"]["text/plain"] = value


def _tag(nb, start, tags):
    nb.cells[_index(nb, start)].metadata["tags"] = tags


def test_strip_markers_leaves_clean_code():
    code = (
        "def f(x):\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n    # END SOLUTION\n"
        "a = 1  # SOLUTION\nprint(a)  # SOLUTION NO PROMPT\n# BEGIN SOLUTION NO PROMPT\nb = 2\n# END SOLUTION"
    )
    assert strip_markers(code) == "def f(x):\n    y = 2 * x\n    return y\na = 1\nprint(a)\nb = 2"
    assert strip_markers("x = 1  # a comment") == "x = 1  # a comment"


REAL = [
    p
    for p in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if assignments.questions(nbformat.read(p, as_version=4))
]


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_real_chapter_gives_a_student_notebook_without_solutions(path, tmp_path):
    source = nbformat.read(path, as_version=4)
    result = assignments.assign(path, tmp_path / path.stem, run_tests=False)
    student = nbformat.read(result.student, as_version=4)
    assert assignments.leaked_lines(source, result.student.read_text()) == []
    auto = [q.label for q in assignments.questions(source) if q.auto]
    checks = re.findall(r'grader\.check\("([^"]+)"\)', "\n".join(c.source for c in student.cells))
    assert checks == auto
    filled = assignments.fill_in(student, source)
    assert len(filled.cells) == len(student.cells)
