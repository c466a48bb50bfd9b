"""Structural checks of every chapter notebook: what nbval does not see.

nbval proves that stored outputs are what the code produces. These tests check the rest of the
chapter standard: the notebook is in the table of contents, was executed top to bottom, stores no
errors or stderr, uses today's Keras API, has the header, asserted claims, exercises in the course's
format (otter-grader question blocks around sphinx-exercise directives, checked by
``tools.assignments.check_format``) with at least 3 auto-graded questions, quick checks, equation
labels that cannot collide across chapters, and references; and that the notebook is thin and
accessible: no code cell over :data:`MAX_CELL_LINES` non-blank lines, a median cell of at most
:data:`MAX_MEDIAN_LINES`, no ``def`` outside exercise cells (the code cells of an otter-grader question
block, ``# BEGIN QUESTION`` ... ``# END QUESTION``, found by :func:`tools.assignments.questions`), code
lines of at most :data:`MAX_COLUMNS` columns, and every image output with alt text, caption and name
in its cell's metadata (``mystnb.image.alt``, ``mystnb.figure.caption``, ``mystnb.figure.name`` =
``fig-NN-...``), which myst-nb reads. Chapter names, numbers and slugs come from ``tools.plan``.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from tools import assignments, plan

ROOT = Path(__file__).resolve().parents[1]
DEPRECATED_KERAS = re.compile(
    r"\b(SGD|Adam|RMSprop|Adagrad|Adadelta|Nadam|Adamax)\([^)]*\b(lr|decay)\s*=|np_utils|epsilon\s*=\s*None"
    r"|optimizers\.legacy|\binput_dim\s*=|\binput_shape\s*="
)
LOCAL_PATH = re.compile(r"(/root/|/home/\w|/Users/\w|/tmp/|/work/)")
PATHS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MIN_AUTOGRADED = 3
MAX_CELL_LINES, MAX_MEDIAN_LINES, MAX_COLUMNS = 25, 12, 88
DEF = re.compile(r"^[ \t]*(async[ \t]+)?def[ \t]+(\w+)", re.M)
FIGURE_NAME = re.compile(r"^fig-(\d\d)-[a-z0-9]+(-[a-z0-9]+)*$")
MIN_ALT_WORDS = 5


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _markdown(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_there_are_chapters():
    assert PATHS, "no chapters/NN_slug.ipynb found"


def test_toc_lists_exactly_the_existing_chapters():
    listed = [f for f in _toc_files() if f.startswith("chapters/")]
    assert sorted(listed) == [f"chapters/{p.stem}" for p in PATHS]
    for f in _toc_files():
        assert any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb")), f


@pytest.fixture(params=PATHS, ids=[p.stem for p in PATHS])
def chapter(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_name_follows_the_design_card(chapter):
    path, nb = chapter
    number = path.stem[:2]
    assert number in plan.BY_NUMBER and path.stem == plan.stem(number), "name it as in tools/plan.py"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {number}. ")


def test_executed_top_to_bottom_with_clean_outputs(chapter):
    path, nb = chapter
    counts = [c.execution_count for c in _code(nb)]
    assert counts == list(range(1, len(counts) + 1)), "re-run the chapter top to bottom in a fresh kernel"
    for i, cell in enumerate(_code(nb)):
        for out in cell.outputs:
            assert out.output_type != "error", f"code cell {i} stores an error"
            assert out.get("name") != "stderr", f"code cell {i} stores stderr: {out.get('text', '')[:80]!r}"
            text = out.get("text", "") + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not LOCAL_PATH.search(text), f"code cell {i} shows a local path"
    assert path.stat().st_size < 2_000_000, "keep figures lean"


def test_first_code_cell_imports_course_lib_before_tensorflow(chapter):
    _, nb = chapter
    first = _code(nb)[0].source
    assert re.search(r"^(import course_lib|from course_lib import)", first, re.M)
    tf_import = re.search(r"^(import|from) (tensorflow|keras)", first, re.M)
    lib_import = re.search(r"^(import course_lib|from course_lib import)", first, re.M)
    assert tf_import is None or lib_import.start() < tf_import.start()


def test_uses_todays_keras_api(chapter):
    _, nb = chapter
    for i, cell in enumerate(_code(nb)):
        match = DEPRECATED_KERAS.search(cell.source)
        assert match is None, f"code cell {i}: deprecated Keras API {match.group(0)!r}"


def test_has_header_claims_figures_and_references(chapter):
    _, nb = chapter
    header = nb.cells[0].source + (nb.cells[1].source if len(nb.cells) > 1 else "")
    for word in ("Learning objectives", "Prerequisites", "Time"):
        assert word.lower() in header.lower(), f"header lacks {word!r}"
    assert sum("assert " in c.source for c in _code(nb)) >= 3, "claims must be asserted in code"
    pngs = sum("image/png" in o.get("data", {}) for c in _code(nb) for o in c.outputs)
    assert pngs >= 3, "a chapter shows its claims in figures"
    text = _markdown(nb)
    assert "{footbibliography}" in text and "{footcite" in text


def test_equation_labels_carry_the_chapter_number(chapter):
    path, nb = chapter
    number = path.stem[:2]
    labels = re.findall(r"\$\$\s*\((eq-[\w-]+)\)", _markdown(nb))
    assert labels, "number the chapter's equations"
    assert all(label.startswith(f"eq-{number}-") for label in labels), labels


def test_exercises_follow_the_course_format(chapter):
    path, nb = chapter
    problems = assignments.check_format(nb, path.stem)
    assert not problems, "\n".join(problems)
    questions = assignments.questions(nb)
    auto = [q for q in questions if q.auto]
    assert len(auto) >= MIN_AUTOGRADED, f"{len(auto)} auto-graded questions, need {MIN_AUTOGRADED}"
    assert all(q.hidden_tests >= 1 and q.public_tests >= 1 for q in auto)
    assert all(q.difficulty in (1, 2, 3) for q in questions)


def test_has_quick_checks_on_the_static_page(chapter):
    _, nb = chapter
    checks = [c for c in _code(nb) if "quiz.quick_check(" in c.source]
    assert checks, "add at least one quiz.quick_check cell (see instructors.md, the exercise format)"
    for cell in checks:
        assert "remove-input" in cell.metadata.get("tags", []), "tag quick-check cells remove-input"
        kinds = [set(o.get("data", {})) for o in cell.outputs]
        assert any("application/javascript" in k for k in kinds) and any("text/html" in k for k in kinds)


# --- thin notebooks (issue 12.6) and figures a screen reader can describe (issue 14.3) ---------------


def lines_of(cell) -> int:
    """Non-blank lines of a cell's source (as the chapter standard counts them)."""
    return sum(1 for line in cell.source.splitlines() if line.strip())


def median_lines(nb) -> int:
    """The median of the code cells' non-blank line counts (the upper one for an even count)."""
    sizes = sorted(lines_of(c) for c in _code(nb))
    return sizes[len(sizes) // 2] if sizes else 0


def exercise_cells(nb) -> set[int]:
    """Indices (in ``nb.cells``) of the cells inside an otter-grader question block."""
    return {i for q in assignments.questions(nb) for i in q.cells}


def defs_outside_exercises(nb) -> list[str]:
    """``cell i: name`` for every function defined in a code cell outside the exercise blocks."""
    inside = exercise_cells(nb)
    return [
        f"cell {i}: def {m.group(2)}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i not in inside
        for m in DEF.finditer(c.source)
    ]


def image_outputs(cell) -> int:
    return sum(any(k.startswith("image/") for k in o.get("data", {})) for o in cell.get("outputs", []))


def figure_problems(nb, number: str) -> list[str]:
    """What a figure cell lacks: alt text, caption, a ``fig-NN-...`` name (unique), one image per cell."""
    problems, names = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not image_outputs(cell):
            continue
        mystnb = cell.metadata.get("mystnb", {})
        alt = mystnb.get("image", {}).get("alt", "")
        figure = mystnb.get("figure", {})
        caption, name = figure.get("caption", ""), figure.get("name", "")
        if not isinstance(alt, str) or len(alt.split()) < MIN_ALT_WORDS:
            problems.append(f"cell {i}: mystnb.image.alt must say what the figure shows, got {alt!r}")
        if not isinstance(caption, str) or not caption.strip():
            problems.append(f"cell {i}: no mystnb.figure.caption")
        match = FIGURE_NAME.match(name) if isinstance(name, str) else None
        if not match or match.group(1) != number:
            problems.append(f"cell {i}: mystnb.figure.name must be 'fig-{number}-short-name', got {name!r}")
        names.append(name)
        if image_outputs(cell) > 1:
            problems.append(f"cell {i}: {image_outputs(cell)} images in one figure cell (one per cell)")
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        problems.append(f"figure names repeat: {repeated}")
    return problems


def test_no_code_cell_is_long(chapter):
    _, nb = chapter
    long = {i: lines_of(c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and lines_of(c) > MAX_CELL_LINES}
    assert not long, f"code cells over {MAX_CELL_LINES} lines (cell: lines), move the code to course_lib: {long}"


def test_median_code_cell_is_short(chapter):
    _, nb = chapter
    assert median_lines(nb) <= MAX_MEDIAN_LINES, f"median code cell {median_lines(nb)} lines"


def test_no_def_outside_exercises(chapter):
    _, nb = chapter
    found = defs_outside_exercises(nb)
    assert not found, f"functions defined in the chapter (course_lib is their home): {found}"


def test_code_lines_fit_the_page(chapter):
    _, nb = chapter
    wide = [
        f"cell {i}: {len(line)} columns"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if len(line) > MAX_COLUMNS
    ]
    assert not wide, wide


def test_every_figure_has_alt_text_caption_and_name(chapter):
    path, nb = chapter
    problems = figure_problems(nb, path.stem[:2])
    assert not problems, "\n".join(problems)


def _cells(*sources, exercise_def=False):
    """A notebook of code cells (and, with ``exercise_def``, a question block holding a def)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if exercise_def:
        from tools import exercise_cells as ex

        nb.cells += [ex.assignment_config_cell("99_x")]
        nb.cells += ex.autograded_question(
            "ex99-f", "F", 1, "Write f.", "def f():\n    return 1  # SOLUTION", [("m", "f() == 1")], ["f() == 1"]
        )
    return nb


def test_the_thin_notebook_checks_can_fail():
    """Each check above finds what it is meant to find on a small notebook, and passes a clean one."""
    nb = _cells("x = 1\n\n\ny = 2", "\n".join(f"a{i} = {i}" for i in range(30)), "z = 3", exercise_def=True)
    assert [lines_of(c) for c in _code(nb)][:3] == [2, 30, 1]
    assert median_lines(_cells("a", "a\nb", "a\nb\nc", "a\nb\nc\nd")) == 3
    assert defs_outside_exercises(nb) == []  # the def in the question block is an exercise
    nb.cells.insert(1, nbformat.v4.new_code_cell("def helper(x):\n    return x\n\n    def inner(): pass"))
    assert defs_outside_exercises(nb) == ["cell 1: def helper", "cell 1: def inner"]


def test_the_figure_check_can_fail():
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
    nb = _cells("plot()", "plot()", "print(1)")
    for cell in nb.cells[:2]:
        cell.outputs = [nbformat.from_dict(png)]
    problems = figure_problems(nb, "07")
    assert len(problems) == 6 and all(p.startswith(("cell 0:", "cell 1:")) for p in problems)
    good = {"image": {"alt": "Loss against step for three rates; the largest diverges."}}
    nb.cells[0].metadata["mystnb"] = good | {"figure": {"caption": "Rates.", "name": "fig-07-rates"}}
    nb.cells[1].metadata["mystnb"] = good | {"figure": {"caption": "Rates.", "name": "fig-07-rates"}}
    assert figure_problems(nb, "07") == ["figure names repeat: ['fig-07-rates']"]
    assert any("fig-05-short-name" in p for p in figure_problems(nb, "05"))
    nb.cells[1].metadata["mystnb"]["figure"]["name"] = "fig-07-other"
    assert figure_problems(nb, "07") == []
    nb.cells[1].metadata["mystnb"]["image"] = {"alt": "A plot."}
    assert figure_problems(nb, "07") == ["cell 1: mystnb.image.alt must say what the figure shows, got 'A plot.'"]
