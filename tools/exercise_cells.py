"""Build the cells of the course's exercise format (nbformat), for chapter authors and the kit's tests.

One source notebook is the chapter, its test and its assignment: otter-grader's raw delimiter cells
mark questions, solutions and tests; sphinx-exercise's gated directives render the prompt and a
collapsed worked solution in the book; test cells are tagged ``remove-cell`` (hidden on the page, run by
nbval, turned into otter tests). The format is specified in the instructor guide (``instructors.md``,
section "The exercise format") and checked by :func:`tools.assignments.check_format`.

Typical use, in a scratch script that inserts exercises into a chapter::

    import nbformat
    from tools.exercise_cells import assignment_config_cell, autograded_question

    nb = nbformat.read("chapters/01_activations.ipynb", as_version=4)
    cells = [assignment_config_cell("01_activations")]
    cells += autograded_question("ex01-sigmoid-grad", "The sigmoid's derivative", 1, prompt,
                                 solution_code, public_tests=[(message, test)],
                                 hidden_tests=[test], worked=prose)
    nb.cells[i:i] = cells
    nbformat.write(nb, path)   # then: make execute NB=...
"""

from __future__ import annotations

import pprint
import textwrap

from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

#: Difficulty 1, 2, 3 as shown in an exercise's title.
STARS = {1: "★☆☆", 2: "★★☆", 3: "★★★"}


def _md(source: str):
    return new_markdown_cell(source)


def _code(source: str, tags: tuple[str, ...] = ()):
    cell = new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def assignment_config_cell(chapter: str):
    """The chapter's one otter config cell (raw); it goes directly before the first question."""
    return new_raw_cell(
        "# ASSIGNMENT CONFIG\n"
        f"name: {chapter}\n"
        "init_cell: true\n"
        "check_all_cell: true\n"
        "export_cell: false\n"
        "run_tests: true\n"
        "generate: true"
    )


def exercise_cells(label: str, title: str, difficulty: int, prompt: str) -> list:
    """The prompt: ``{exercise-start}`` (title and difficulty), the prompt text, ``{exercise-end}``."""
    if difficulty not in STARS:
        raise ValueError(f"difficulty must be 1, 2 or 3, got {difficulty!r}")
    return [
        _md(f"```{{exercise-start}} {title}, {STARS[difficulty]}\n:label: {label}\n```"),
        _md(prompt),
        _md("```{exercise-end}\n```"),
    ]


def public_test(message: str, test: str):
    """A public test cell: a config block with the failure message, then ``test``."""
    wrapped = textwrap.fill(message, 84, initial_indent="  ", subsequent_indent="  ")
    config = f'""" # BEGIN TEST CONFIG\nfailure_message: >-\n{wrapped}\n""" # END TEST CONFIG\n'
    return _code(config + test, tags=("remove-cell",))


def hidden_test(test: str):
    """A hidden test cell: first line ``# HIDDEN``, then ``test``."""
    return _code("# HIDDEN\n" + test, tags=("remove-cell",))


def autograded_question(
    label: str,
    title: str,
    difficulty: int,
    prompt: str,
    solution_code: str,
    public_tests: list[tuple[str, str]],
    hidden_tests: list[str],
    worked: str | None = None,
    points: int = 1,
) -> list:
    """The cells of an auto-graded question.

    ``solution_code`` carries otter's markers (``# BEGIN SOLUTION`` ... ``# END SOLUTION`` lines, or a
    trailing ``# SOLUTION``); ``public_tests`` is a list of ``(failure_message, test_code)``,
    ``hidden_tests`` a list of ``test_code``; each ``test_code`` ends in one expression, ``bool(...)``,
    that is ``True`` for a right answer. ``worked`` is the prose of the worked solution (Markdown).
    """
    cells = [new_raw_cell(f"# BEGIN QUESTION\nname: {label}\npoints: {points}")]
    cells += exercise_cells(label, title, difficulty, prompt)
    cells += [new_raw_cell("# BEGIN SOLUTION"), _md(f"```{{solution-start}} {label}\n:class: dropdown\n```")]
    if worked:
        cells.append(_md(worked))
    cells += [_code(solution_code), _md("```{solution-end}\n```"), new_raw_cell("# END SOLUTION")]
    cells.append(new_raw_cell("# BEGIN TESTS"))
    cells += [public_test(message, test) for message, test in public_tests]
    cells += [hidden_test(test) for test in hidden_tests]
    cells += [new_raw_cell("# END TESTS"), new_raw_cell("# END QUESTION")]
    return cells


def conceptual_question(label: str, title: str, difficulty: int, prompt: str, worked: str) -> list:
    """The cells of a question answered in prose: the prompt and a worked solution, no tests."""
    cells = [new_raw_cell(f"# BEGIN QUESTION\nname: {label}\nmanual: true")]
    cells += exercise_cells(label, title, difficulty, prompt)
    cells += [
        new_raw_cell("# BEGIN SOLUTION"),
        _md(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
        _md(worked),
        _md("```{solution-end}\n```"),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
    ]
    return cells


def quick_check_cell(label: str, questions: list[dict]):
    """A quick check on the static page: ``quiz.quick_check(label, questions)``, input hidden."""
    body = textwrap.indent(pprint.pformat(questions, indent=1, width=80, sort_dicts=False), "    ")
    return _code(f"quiz.quick_check(\n    {label!r},\n{body},\n)", tags=("remove-input",))
