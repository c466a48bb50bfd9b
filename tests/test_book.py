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


def _tiny_chapter(root):
    """A two-cell chapter with one exercise and its tagged solution, under root/chapters/."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = _nb([
        md("# 99. Tiny"), code("x = 6 * 7\nprint(x)"),
        md("```{exercise-start}\n:label: ex99\n```"), md("```{exercise-end}\n```"),
        _sol("```{solution-start} ex99\n```"), _sol("print(x + 1)", code), _sol("```{solution-end}\n```"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "chapters").mkdir()
    path = root / "chapters" / "99_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_execute_runs_in_place_with_counts_from_one(tmp_path):
    path = _tiny_chapter(tmp_path)
    seconds = book.execute(path)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0]["text"] == "42\n" and code[1].outputs[0]["text"] == "43\n"
    assert all("execution" not in c.metadata for c in nb.cells)  # no timestamps stored
    assert 0 < seconds < 60


def test_bench_chapter_measures_time_and_kernel_memory_without_changing_the_file(tmp_path):
    path = _tiny_chapter(tmp_path)
    before = path.read_bytes()
    result = book.bench_chapter(path)
    assert result.chapter == "99_tiny"
    assert 0 < result.seconds < 60
    assert 10 < result.peak_mb < 2000  # a bare Python kernel: tens of MB
    assert path.read_bytes() == before


def test_handouts_writes_chapters_without_solutions(tmp_path):
    _tiny_chapter(tmp_path)
    (written,) = book.handouts(tmp_path, clear_outputs=True)
    assert written == tmp_path / "_build" / "handouts" / "99_tiny.ipynb"
    nb = nbformat.read(written, as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["x = 6 * 7\nprint(x)"]
    assert "solution" not in nbformat.writes(nb)
