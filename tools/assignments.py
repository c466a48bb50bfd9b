"""Assignments from the chapters: student notebooks and autograders (otter-grader), and the student book.

Run from the repository root (the Makefile does)::

    python -m tools.assignments                       # every chapter -> _build/assignments/<chapter>/
    python -m tools.assignments chapters/01_activations.ipynb
    python -m tools.assignments --book-student        # the book without solutions -> _build/html-student

Each chapter notebook is the source of its assignment. Its exercises use otter-grader's notebook format
(raw delimiter cells ``# BEGIN QUESTION`` ... ``# END QUESTION`` around sphinx-exercise's gated
directives; see the instructor guide, ``instructors.md``), and :func:`assign` runs ``otter assign`` on
it with otter's own check that the stored solutions pass every test switched on. The result, per
chapter, in ``_build/assignments/<chapter>/``:

* ``student/<chapter>.ipynb``: the chapter without outputs, answers replaced by ``...``, worked
  solutions and hidden tests removed, a ``grader.check("exNN-...")`` cell after each auto-graded
  question (public tests, stored in the notebook's metadata), and ``course_lib/`` beside it;
* ``autograder/<chapter>-autograder.zip``: the Gradescope / ``otter run`` autograder (public and
  hidden tests, the course's pinned requirements and ``course_lib``), and the solved notebook.

Questions, solutions, tests and the config cell are recognised by otter's own parser
(``otter.assign.blocks``: the same boundary test and YAML reading ``otter assign`` applies), so the
course's checks see exactly the blocks otter will see; the solution markers are those of
``_ext/solution_markers.py`` (one definition for the book and the kit).

:func:`check_format` lists what breaks the format in a chapter (``tests/test_chapters.py`` calls it);
:func:`solution_lines` gives the lines that must never reach a student (the kit's tests search the
student notebook and the student book for them); :func:`fill_in` puts the solutions back into a student
notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from otter.assign.blocks import BlockType, get_cell_config, is_assignment_config_cell, is_block_boundary_cell

from _ext.solution_markers import MARKER_LINE as _MARKER_LINE
from _ext.solution_markers import MARKER_SUFFIX as _MARKER_SUFFIX
from tools.book import chapters

ROOT = Path(__file__).resolve().parents[1]
#: Where ``make assignments`` writes.
BUILD = Path("_build") / "assignments"

_EXERCISE = re.compile(r"```\{exercise-start\}\s*(?P<title>[^\n]*)\n:label:\s*(?P<label>\S+)")
_SOLUTION_START = re.compile(r"```\{solution-start\}\s*(\S+)")
_DIFFICULTY = re.compile(r",\s*(★{1,3})☆*\s*$")
_LABEL = re.compile(r"^ex(\d\d)-[a-z0-9-]+$")
_STABLE_VALUE = re.compile(r"^(True|-?\d+(\.\d+)?(e-?\d+)?)$")
#: Cells otter adds to the student notebook (kept off the student book's pages).
_OTTER_CELL = re.compile(r"^(# Initialize Otter|grader\.check(_all)?\(|To double-check your work)", re.M)


@dataclass
class Question:
    """One exercise of a chapter, as the source notebook states it."""

    label: str
    title: str
    difficulty: int
    auto: bool  # auto-graded (has tests) or conceptual (prose)
    points: float | None
    public_tests: int = 0
    hidden_tests: int = 0
    cells: range = field(default=range(0))


def _boundary(cell, kind: str, end: bool = False) -> bool:
    """Whether ``cell`` begins (or ends) a ``kind`` block (QUESTION, SOLUTION, TESTS, PROMPT): otter's test."""
    return is_block_boundary_cell(cell, BlockType[kind], end=end)


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _exercise_title(title: str) -> tuple[str, int]:
    match = _DIFFICULTY.search(title)
    if not match:
        return title.strip(), 0
    return title[: match.start()].strip(), len(match.group(1))


def _blocks(nb) -> list[tuple[int, int]]:
    """(begin, end) cell indices of each ``# BEGIN QUESTION`` ... ``# END QUESTION`` block."""
    blocks, start = [], None
    for index, cell in enumerate(nb.cells):
        if _boundary(cell, "QUESTION"):
            if start is not None:
                raise ValueError(f"cell {index}: a question begins inside the question of cell {start}")
            start = index
        elif _boundary(cell, "QUESTION", end=True):
            if start is None:
                raise ValueError(f"cell {index}: # END QUESTION without # BEGIN QUESTION")
            blocks.append((start, index))
            start = None
    if start is not None:
        raise ValueError(f"cell {start}: # BEGIN QUESTION is never ended")
    return blocks


def _inner(nb, begin: int, end: int, kind: str) -> list[int]:
    """Indices of the cells inside the ``kind`` block (SOLUTION or TESTS) of one question."""
    inside, cells = False, []
    for index in range(begin + 1, end):
        cell = nb.cells[index]
        if _boundary(cell, kind):
            inside = True
        elif _boundary(cell, kind, end=True):
            inside = False
        elif inside:
            cells.append(index)
    return cells


def _cell_config(nb, index: int) -> dict:
    """The YAML under the first line of a raw config cell (``# BEGIN QUESTION``, ``# ASSIGNMENT CONFIG``)."""
    try:
        config = get_cell_config(nb.cells[index])  # otter's parser: the YAML of the whole cell
    except yaml.YAMLError as error:
        raise ValueError(f"cell {index}: its YAML does not parse: {error}") from None
    if not isinstance(config, dict):
        raise ValueError(f"cell {index}: its YAML must be a mapping (name: ..., points: ...)")
    return config


def questions(nb) -> list[Question]:
    """The exercises of a notebook in the course's format, in order (ValueError if blocks are broken)."""
    found = []
    for begin, end in _blocks(nb):
        config = _cell_config(nb, begin)
        text = "\n".join(nb.cells[i].source for i in range(begin, end) if nb.cells[i].cell_type == "markdown")
        match = _EXERCISE.search(text)
        title, difficulty = _exercise_title(match.group("title")) if match else ("", 0)
        tests = [nb.cells[i] for i in _inner(nb, begin, end, "TESTS")]
        hidden = sum(_is_hidden(cell) for cell in tests)
        found.append(
            Question(
                label=str(config.get("name", "")),
                title=title,
                difficulty=difficulty,
                auto=bool(tests),
                points=config.get("points"),
                public_tests=len(tests) - hidden,
                hidden_tests=hidden,
                cells=range(begin, end + 1),
            )
        )
    return found


def _is_hidden(cell) -> bool:
    """otter's rule (``TestsManager.read_test``, not public): a first-line comment saying hidden, or
    ``hidden: true`` in the test's config block."""
    first = cell.source.lstrip().split("\n", 1)[0]
    if first.startswith("#") and re.search(r"\bhidden\b", first, re.I):
        return True
    return bool(re.search(r"^hidden:\s*true\b", cell.source, re.M | re.I))


def _test_output(cell) -> str | None:
    """The stored value of a test cell, or None if it stores anything else than one result."""
    outputs = cell.get("outputs", [])
    if len(outputs) != 1 or outputs[0].get("output_type") != "execute_result":
        return None
    return outputs[0].get("data", {}).get("text/plain", "").strip()


def check_format(nb, chapter: str | None = None) -> list[str]:
    """Everything in ``nb`` that breaks the course's exercise format (an empty list if none).

    ``chapter`` (``NN_slug``) also checks the config cell's name and the labels' chapter number.
    """
    try:
        return _check_format(nb, chapter)
    except ValueError as error:
        return [str(error)]


def _check_format(nb, chapter: str | None) -> list[str]:
    problems = []
    try:
        found = questions(nb)
    except ValueError as error:
        return [str(error)]
    configs = [i for i, c in enumerate(nb.cells) if is_assignment_config_cell(c)]
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "raw" and cell.metadata.get("format", cell.metadata.get("raw_mimetype")):
            problems.append(f"cell {index}: raw cells carry no format (Jupyter Book would render it)")
    if not found:
        return problems + (["an assignment config cell but no question"] if configs else [])
    if len(configs) != 1:
        problems.append(f"one '# ASSIGNMENT CONFIG' cell expected, found {len(configs)}")
    else:
        config = _cell_config(nb, configs[0])
        if configs[0] > found[0].cells.start:
            problems.append("the assignment config cell must come before the first question")
        if chapter and config.get("name") != chapter:
            problems.append(f"assignment config: name must be {chapter!r}, got {config.get('name')!r}")
        for key, value in {"run_tests": True, "generate": True, "init_cell": True}.items():
            if config.get(key) != value:
                problems.append(f"assignment config: {key} must be {value}")
    inside = {i for q in found for i in q.cells}
    for index, cell in enumerate(nb.cells):
        if (
            cell.cell_type == "markdown"
            and index not in inside
            and ("{exercise-start}" in cell.source or "{solution-start}" in cell.source)
        ):
            problems.append(f"cell {index}: an exercise or solution outside a '# BEGIN QUESTION' block")
    labels = [q.label for q in found]
    if len(set(labels)) != len(labels):
        problems.append(f"question names repeat: {labels}")
    for q in found:
        problems += _check_question(nb, q, chapter)
    return problems


def _check_question(nb, q: Question, chapter: str | None) -> list[str]:
    where = f"question {q.label or q.cells.start}"
    problems = []
    match = _LABEL.match(q.label)
    if not match or (chapter and match.group(1) != chapter[:2]):
        problems.append(f"{where}: name must be 'exNN-slug' with NN the chapter number")
    text = "\n".join(nb.cells[i].source for i in q.cells if nb.cells[i].cell_type == "markdown")
    exercise = _EXERCISE.search(text)
    if not exercise or exercise.group("label") != q.label:
        problems.append(f"{where}: needs '{{exercise-start}}' with ':label: {q.label}'")
    if not q.difficulty:
        problems.append(f"{where}: the exercise title must end in a difficulty ', ★☆☆' / ', ★★☆' / ', ★★★'")
    if "{exercise-end}" not in text:
        problems.append(f"{where}: needs '{{exercise-end}}'")
    solution = _inner(nb, q.cells.start, q.cells.stop - 1, "SOLUTION")
    sol_text = "\n".join(nb.cells[i].source for i in solution)
    starts = _SOLUTION_START.findall(sol_text)
    if starts != [q.label] or "{solution-end}" not in sol_text:
        problems.append(f"{where}: the solution block needs '{{solution-start}} {q.label}' and '{{solution-end}}'")
    if not any(
        nb.cells[i].cell_type == "markdown" and "{solution-" not in nb.cells[i].source for i in solution
    ) and not any(nb.cells[i].cell_type == "code" for i in solution):
        problems.append(f"{where}: the solution block holds no worked solution")
    for i in solution:
        cell = nb.cells[i]
        if cell.cell_type == "code" and not any(
            _MARKER_LINE.match(line) or _MARKER_SUFFIX.search(line) for line in cell.source.split("\n")
        ):
            problems.append(
                f"cell {i}: a solution code cell without '# BEGIN SOLUTION' or '# SOLUTION' "
                "markers would reach the student unchanged"
            )
    if q.auto:
        if q.hidden_tests < 1 or q.public_tests < 1:
            problems.append(f"{where}: an auto-graded question needs a public and a hidden test")
        for i in _inner(nb, q.cells.start, q.cells.stop - 1, "TESTS"):
            cell = nb.cells[i]
            if "remove-cell" not in _tags(cell):
                problems.append(f"cell {i}: a test cell must be tagged 'remove-cell'")
            if not _is_hidden(cell) and not re.search(r"^failure_message:", cell.source, re.M):
                problems.append(f"cell {i}: a public test needs a failure_message")
            value = _test_output(cell)
            if value is None or not _STABLE_VALUE.match(value):
                problems.append(
                    f"cell {i}: a test cell must store one result, True or a rounded number, "
                    f"got {value!r} (execute the chapter)"
                )
    else:
        config = _cell_config(nb, q.cells.start)
        if config.get("manual") is not True:
            problems.append(f"{where}: a question without tests is conceptual: 'manual: true'")
    return problems


def solution_lines(nb, min_length: int = 12) -> list[str]:
    """Lines that must not reach a student, stripped of markers and surrounding whitespace.

    From every solution block: the code between ``# BEGIN SOLUTION`` and ``# END SOLUTION``, the code
    of lines ending in ``# SOLUTION``, and the lines of the worked-solution prose; and the code of the
    hidden tests. Lines shorter than ``min_length``, and lines that also occur (as a line or inside
    one) in what the student may see (the chapter outside the solutions, the public tests), are left
    out: they prove nothing.
    """
    secret, public = [], []
    found = questions(nb)
    solution_cells = {i for q in found for i in _inner(nb, q.cells.start, q.cells.stop - 1, "SOLUTION")}
    test_cells = {i for q in found for i in _inner(nb, q.cells.start, q.cells.stop - 1, "TESTS")}
    for index, cell in enumerate(nb.cells):
        lines = cell.source.split("\n")
        if index in test_cells:
            (secret if _is_hidden(cell) else public).extend(lines)
        elif index not in solution_cells:
            public += lines
        elif cell.cell_type == "markdown":
            if "{solution-" not in cell.source:
                secret += lines
        elif cell.cell_type == "code":
            inside = False
            for line in lines:
                if _MARKER_LINE.match(line):
                    inside = not re.search(r"END SOLUTION", line)
                elif inside or _MARKER_SUFFIX.search(line):
                    secret.append(_MARKER_SUFFIX.sub("", line))
                else:
                    public.append(line)
    visible = "\n".join(public)
    out = []
    for line in (s.strip() for s in secret):
        if len(line) >= min_length and line not in visible and line not in out and line != "# HIDDEN":
            out.append(line)
    return out


def leaked_lines(source_nb, text: str) -> list[str]:
    """The solution lines of ``source_nb`` that occur in ``text`` (a student notebook or page)."""
    text = html.unescape(text)
    return [line for line in solution_lines(source_nb) if line in text]


# --- otter assign -------------------------------------------------------------------------------


@dataclass
class Assignment:
    """What :func:`assign` produced for one chapter."""

    chapter: str
    student: Path
    autograder_zip: Path
    solved: Path
    seconds: float


def _stage(path: Path, stage: Path, root: Path) -> Path:
    """Copy the chapter, a clean ``course_lib`` and the pinned requirements into ``stage``."""
    import nbformat

    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(
        root / "course_lib", stage / "course_lib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    )
    pins = [line.split(" #")[0].strip() for line in (root / "requirements.txt").read_text().splitlines()]
    (stage / "requirements.txt").write_text("\n".join(p for p in pins if p and not p.startswith("#")) + "\n")
    runtime = root / "runtime.txt"  # Binder's Python, e.g. python-3.11: the autograder image uses it too
    python = runtime.read_text().strip().removeprefix("python-") if runtime.is_file() else None
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if is_assignment_config_cell(cell):
            config = get_cell_config(cell)
            config.setdefault("files", ["course_lib"])
            config.setdefault("requirements", "requirements.txt")
            if python:
                config.setdefault("python_version", python)
            cell.source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)
    staged = stage / path.name
    nbformat.write(nb, staged)
    return staged


def assign(
    path: Path | str, out: Path | str | None = None, run_tests: bool = True, root: Path | str = ROOT
) -> Assignment:
    """Run ``otter assign`` on one chapter into ``out`` (default ``_build/assignments/<chapter>``).

    With ``run_tests`` (the default), otter runs the solved notebook against all tests and fails
    unless it scores full marks. Raises ValueError if the chapter breaks the exercise format and
    RuntimeError (with otter's output) if ``otter assign`` fails.
    """
    import nbformat

    path, root = Path(path).resolve(), Path(root)
    out = Path(out) if out is not None else root / BUILD / path.stem
    problems = check_format(nbformat.read(path, as_version=4), path.stem)
    if problems:
        raise ValueError(f"{path.name} breaks the exercise format:\n  " + "\n  ".join(problems))
    if not questions(nbformat.read(path, as_version=4)):
        raise ValueError(f"{path.name} has no exercises in the course's format")
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = _stage(path, Path(tempfile.mkdtemp(prefix=f".stage-{path.stem}-", dir=out.parent)), root)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    if run_tests:  # otter executes the solutions: in a process of its own, as `otter assign` does
        command = [sys.executable, "-m", "otter", "assign", staged.name, str(out.resolve())]
        run = subprocess.run(command, cwd=staged.parent, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"otter assign failed for {path.name}:\n{run.stdout}\n{run.stderr}")
    else:  # nothing is executed: otter's own entry point in this process saves otter's start-up (seconds)
        from otter.assign import main as otter_assign

        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                otter_assign(str(staged), str(out.resolve()), no_run_tests=True)
        except Exception as error:
            raise RuntimeError(f"otter assign failed for {path.name}:\n{log.getvalue()}\n{error!r}") from error
    seconds = time.perf_counter() - start
    shutil.rmtree(staged.parent)
    zips = sorted((out / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips for {path.name}")
    stable = out / "autograder" / f"{path.stem}-autograder.zip"
    zips[0].rename(stable)
    return Assignment(path.stem, out / "student" / path.name, stable, out / "autograder" / path.name, round(seconds, 1))


def fill_in(student, source):
    """A copy of the student notebook with each answer cell replaced by the source's solution code.

    Answer cells (tag ``otter_answer_cell``) are matched in order with the code cells of the source's
    solution blocks, markers and all (otter ignores them when grading).
    """
    solutions = [
        source.cells[i]
        for q in questions(source)
        for i in _inner(source, q.cells.start, q.cells.stop - 1, "SOLUTION")
        if source.cells[i].cell_type == "code"
    ]
    filled = copy.deepcopy(student)
    answers = [c for c in filled.cells if c.cell_type == "code" and "otter_answer_cell" in _tags(c)]
    if len(answers) != len(solutions):
        raise ValueError(f"{len(answers)} answer cells in the student notebook, {len(solutions)} solutions")
    for answer, solution in zip(answers, solutions):
        answer.source = solution.source
    return filled


# --- the student book ---------------------------------------------------------------------------


def _with_outputs(student, source):
    """The student notebook with the source's outputs on every cell whose code is unchanged.

    Cells otter added (the grader set-up and checks) are tagged ``remove-cell``; answer cells keep no
    output (their code is the blank skeleton).
    """
    nb = copy.deepcopy(student)
    nb.metadata.pop("otter", None)
    source_cells, position = source.cells, 0
    for cell in nb.cells:
        if (
            cell.cell_type == "code"
            and _OTTER_CELL.search(cell.source)
            or (cell.cell_type == "markdown" and cell.source.startswith("---\n\nTo double-check your work"))
        ):
            cell.metadata["tags"] = sorted(set(_tags(cell)) | {"remove-cell"})
            continue
        for j in range(position, len(source_cells)):
            match = source_cells[j]
            if match.cell_type == cell.cell_type and match.source == cell.source:
                if cell.cell_type == "code":
                    cell.outputs = copy.deepcopy(match.outputs)
                    cell.execution_count = match.execution_count
                position = j + 1
                break
    return nb


def student_book(root: Path | str = ROOT, html_out: Path | str | None = None, builder: str = "html") -> Path:
    """Build the book from the student notebooks into ``_build/html-student`` (no solutions).

    ``builder="pdflatex"`` builds the student PDF instead (``make pdf STUDENT=1``): the same sources through
    Jupyter Book's LaTeX builder, the LaTeX source searched for solution lines, and the PDF copied to
    ``_build/pdf-student/book.pdf`` (the returned path).

    The sources (``_config.yml``, ``_toc.yml``, pages, ``_ext``) are copied to
    ``_build/book-student/``, each chapter replaced by its student notebook (with the stored outputs
    of every unchanged cell), and Jupyter Book builds them with warnings as errors. Before the pages
    are copied to ``html_out``, every chapter page is searched for the chapter's solution lines
    (:func:`leaked_lines`): RuntimeError if one is found.
    """
    import nbformat

    if builder not in ("html", "pdflatex"):
        raise ValueError(f"builder must be 'html' or 'pdflatex', got {builder!r}")
    root = Path(root)
    html_out = Path(html_out) if html_out is not None else root / "_build" / "html-student"
    src = root / "_build" / "book-student"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for item in root.iterdir():
        if item.name.startswith((".", "_build")) or item.name in ("chapters", "tests", "tools", "course_lib"):
            continue
        if item.is_dir() and item.name == "_ext":
            shutil.copytree(item, src / item.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif item.is_file() and item.suffix in (".md", ".yml", ".bib", ".png", ".svg"):
            shutil.copy(item, src / item.name)
    for folder in ("figures", "images"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, src / folder)
    (src / "chapters").mkdir()
    for path in chapters(root):
        source = nbformat.read(path, as_version=4)
        if questions(source):
            result = assign(path, src / ".assign" / path.stem, run_tests=False, root=root)
            student = nbformat.read(result.student, as_version=4)
            nbformat.write(_with_outputs(student, source), src / "chapters" / path.name)
        elif "{solution-start}" in "".join(c.source for c in source.cells):
            raise ValueError(
                f"{path.name}: its solutions are not in the exercise format, so the student "
                "book cannot leave them out; convert its exercises first"
            )
        else:
            nbformat.write(source, src / "chapters" / path.name)
    shutil.rmtree(src / ".assign", ignore_errors=True)
    config = src / "_config.yml"
    text = config.read_text()
    text = re.sub(r"^title: (.*)$", r"title: \1 (student edition)", text, count=1, flags=re.M)
    config.write_text(text)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--keep-going"]
    command += ["--builder", "pdflatex"] if builder == "pdflatex" else ["--warningiserror", "--nitpick"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"the student book failed to build:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    if builder == "pdflatex":
        return _student_pdf(root, src)
    leaks = {}
    for path in chapters(root):
        page = src / "_build" / "html" / "chapters" / f"{path.stem}.html"
        text = re.sub(r"<[^>]+>", "", page.read_text()) if page.is_file() else ""
        found = leaked_lines(nbformat.read(path, as_version=4), text)
        if found:
            leaks[path.stem] = found
    if leaks:
        raise RuntimeError(f"solution text reached the student book: {leaks}")
    shutil.rmtree(html_out, ignore_errors=True)
    shutil.copytree(src / "_build" / "html", html_out)
    return html_out


def _student_pdf(root: Path, src: Path) -> Path:
    """Check the student book's LaTeX source for solution lines, then copy its PDF to _build/pdf-student."""
    import nbformat

    latex = src / "_build" / "latex"
    tex = "\n".join(p.read_text(errors="replace") for p in latex.glob("*.tex"))
    text = re.sub(r"\\([_{}%$&#])", r"\1", tex)  # LaTeX escapes of the characters code uses
    leaks = {}
    for path in chapters(root):
        found = leaked_lines(nbformat.read(path, as_version=4), text)
        if found:
            leaks[path.stem] = found
    if leaks:
        raise RuntimeError(f"solution text reached the student PDF: {leaks}")
    pdfs = sorted(latex.glob("*.pdf"))
    if not pdfs:
        raise RuntimeError(f"the student PDF was not made; see {latex}")
    out = root / "_build" / "pdf-student" / "book.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdfs[0], out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.assignments", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="chapters (default: every chapter)")
    parser.add_argument("--no-run-tests", action="store_true", help="skip otter's solution-vs-test check")
    parser.add_argument("--book-student", action="store_true", help="build _build/html-student instead")
    parser.add_argument(
        "--builder", choices=("html", "pdflatex"), default="html", help="with --book-student: HTML or the PDF"
    )
    args = parser.parse_args(argv)
    if args.book_student:
        out = student_book(builder=args.builder)
        print(f"student book: {out}/index.html" if args.builder == "html" else f"student PDF: {out}")
        return 0
    paths = [Path(p) for p in args.notebooks] or chapters(ROOT)
    total = time.perf_counter()
    for path in paths:
        result = assign(path, run_tests=not args.no_run_tests)
        print(
            f"{path.stem}: {result.student.relative_to(ROOT)}, {result.autograder_zip.relative_to(ROOT)} "
            f"({result.seconds:.1f} s)",
            flush=True,
        )
    print(f"total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
