"""Structural checks of every chapter notebook: what nbval does not see.

nbval proves that stored outputs are what the code produces. These tests check the rest of the
chapter standard: the notebook is in the table of contents, was executed top to bottom, stores no
errors or stderr, uses today's Keras API, has the header, asserted claims, exercises in the course's
format (otter-grader question blocks around sphinx-exercise directives, checked by
``tools.assignments.check_format``) with at least 3 auto-graded questions, quick checks, equation
labels that cannot collide across chapters, and references.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from tools import assignments

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_SLUGS = {
    "01": "activations",
    "02": "losses",
    "03": "universal_approximation",
    "04": "regularization",
    "05": "gradient_descent",
    "06": "momentum",
    "07": "second_order",
    "08": "stochastic",
    "09": "adam",
    "10": "initialization",
    "11": "batch_normalization",
}
DEPRECATED_KERAS = re.compile(
    r"\b(SGD|Adam|RMSprop|Adagrad|Adadelta|Nadam|Adamax)\([^)]*\b(lr|decay)\s*=|np_utils|epsilon\s*=\s*None"
    r"|optimizers\.legacy|\binput_dim\s*=|\binput_shape\s*="
)
LOCAL_PATH = re.compile(r"(/root/|/home/\w|/Users/\w|/tmp/|/work/)")
PATHS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MIN_AUTOGRADED = 3


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
    number, slug = path.stem.split("_", 1)
    assert CHAPTER_SLUGS.get(number) == slug
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
