"""Tests for course_lib.book: handout stripping, benchmark table, README update."""

import nbformat
import pytest

from course_lib import book


def _nb(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nb


def _sol(source, cell=nbformat.v4.new_markdown_cell):
    return cell(source, metadata={"tags": ["solution"]})


def test_strip_solutions_removes_exactly_the_tagged_cells():
    md = nbformat.v4.new_markdown_cell
    nb = _nb([
        md("intro"),
        md("```{exercise-start}\n:label: ex-a\n```"), md("question"), md("```{exercise-end}\n```"),
        _sol("```{solution-start} ex-a\n```"), _sol("answer"),
        _sol("print(2)", nbformat.v4.new_code_cell), _sol("```{solution-end}\n```"),
        md("after"),
    ])
    out = book.strip_solutions(nb)
    assert [c.source for c in out.cells] == ["intro", nb.cells[1].source, "question", nb.cells[3].source, "after"]
    assert len(nb.cells) == 9  # the input is not modified


@pytest.mark.parametrize("cells, message", [
    ([nbformat.v4.new_markdown_cell("```{solution-start} ex\n```")], "not tagged"),
    ([_sol("```{solution-start} ex\n```"), nbformat.v4.new_markdown_cell("leak"), _sol("```{solution-end}\n```")],
     "not tagged"),
    ([_sol("```{solution-start} ex\n```"), _sol("answer")], "missing"),
    ([_sol("stray answer")], "outside"),
])
def test_strip_solutions_refuses_a_leaking_notebook(cells, message):
    with pytest.raises(ValueError, match=message):
        book.strip_solutions(_nb(cells))


def test_format_table_marks_chapters_over_budget():
    fast = book.BenchResult("01_a", 12.3, 400.0)
    slow = book.BenchResult("02_b", book.BUDGET_SECONDS + 1, 400.0)
    heavy = book.BenchResult("03_c", 10.0, book.BUDGET_MB + 1)
    table = book.format_table([fast, slow, heavy], {"GradientDescent": 0.1234})
    lines = table.splitlines()
    assert lines[2] == "| 01_a | 12.3 | 400 | yes |"
    assert lines[3].endswith("| **no** |") and lines[4].endswith("| **no** |")
    assert "| GradientDescent | 0.123 |" in table


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{book.README_START}\nold\n{book.README_END}\nafter\n")
    assert book.update_readme(readme, "| new |\n", "note")
    text = readme.read_text()
    assert "old" not in text and "| new |" in text and text.startswith("before") and text.endswith("after\n")
    (tmp_path / "OTHER.md").write_text("no markers")
    assert not book.update_readme(tmp_path / "OTHER.md", "x", "y")


def test_execute_rejects_a_missing_notebook(tmp_path):
    with pytest.raises(ValueError, match="path"):
        book.execute(tmp_path / "missing.ipynb")
