"""Tests for the tooling in tools/: executing chapters (tools.book) and benchmarking them (tools.bench),
including the command-line entry points the Makefile calls. The tests that start a kernel are marked ``slow``."""

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tools import bench, book

ROOT = Path(__file__).resolve().parent.parent


#: The tiny chapter's first cell sleeps this long, so a measured time has a floor to check.
SLEEP = 0.3


def _tiny_chapter(root, number="99"):
    """A two-code-cell chapter under root/chapters/ that takes at least SLEEP seconds."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    first = f"import time\ntime.sleep({SLEEP})\nx = 6 * 7\nprint(x)"
    nb.cells = [md(f"# {number}. Tiny"), code(first), code("print(x + 1)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "chapters").mkdir(exist_ok=True)
    path = root / "chapters" / f"{number}_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_chapters_are_listed_in_order_and_only_numbered_notebooks(tmp_path):
    for name in ["10_b", "02_a", "notes", "1_bad"]:
        _tiny_chapter(tmp_path, "00")
        (tmp_path / "chapters" / "00_tiny.ipynb").rename(tmp_path / "chapters" / f"{name}.ipynb")
    assert [p.stem for p in book.chapters(tmp_path)] == ["02_a", "10_b"]
    assert [p.name for p in book.chapters(ROOT)][:1] == ["01_activations.ipynb"]


def test_execute_rejects_a_missing_notebook(tmp_path):
    with pytest.raises(ValueError, match="path"):
        book.execute(tmp_path / "missing.ipynb")


@pytest.mark.slow
def test_execute_runs_in_place_with_counts_from_one(tmp_path):
    path = _tiny_chapter(tmp_path)
    start = time.perf_counter()
    seconds = book.execute(path)
    outside = time.perf_counter() - start
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0]["text"] == "42\n" and code[1].outputs[0]["text"] == "43\n"
    assert all("execution" not in c.metadata for c in nb.cells)  # no timestamps stored
    assert SLEEP <= seconds <= outside  # the cells' time at least, the call's at most


@pytest.mark.slow
def test_execute_command_line(tmp_path):
    path = _tiny_chapter(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tools.book", "execute", str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith(f"{path}: executed in ")
    assert nbformat.read(path, as_version=4).cells[1].outputs[0]["text"] == "42\n"
    failed = subprocess.run([sys.executable, "-m", "tools.book", "execute"], cwd=ROOT, capture_output=True, text=True)
    assert failed.returncode == 2 and "notebooks" in failed.stderr


@pytest.mark.slow
def test_bench_chapter_measures_time_and_kernel_memory_without_changing_the_file(tmp_path):
    path = _tiny_chapter(tmp_path)
    before = path.read_bytes()
    start = time.perf_counter()
    result = bench.bench_chapter(path)
    outside = time.perf_counter() - start
    assert result.chapter == "99_tiny"
    assert SLEEP <= result.seconds <= outside + 0.05  # rounded to 0.1 s
    assert 10 < result.peak_mb < 1000  # a bare Python kernel: tens of MB
    assert path.read_bytes() == before


def test_format_table_marks_chapters_over_budget():
    fast = bench.BenchResult("01_a", 12.3, 400.0)
    slow = bench.BenchResult("02_b", bench.BUDGET_SECONDS + 1, 400.0)
    heavy = bench.BenchResult("03_c", 10.0, bench.BUDGET_MB + 1)
    table = bench.format_table([fast, slow, heavy], {"GradientDescent": 0.1234}, {"networks.sweep": 4.56})
    lines = table.splitlines()
    assert lines[2] == "| 01_a | 12.3 | 400 | yes |"
    assert lines[3].endswith("| **no** |") and lines[4].endswith("| **no** |")
    assert "| GradientDescent | 0.123 |" in table
    assert "| networks.sweep | 4.6 |" in table


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{bench.README_START}\nold\n{bench.README_END}\nafter\n")
    assert bench.update_readme(readme, "| new |\n", "note")
    text = readme.read_text()
    assert "old" not in text and "| new |" in text and text.startswith("before") and text.endswith("after\n")
    (tmp_path / "OTHER.md").write_text("no markers")
    assert not bench.update_readme(tmp_path / "OTHER.md", "x", "y")


def test_optimizer_speeds_times_every_optimizer():
    start = time.perf_counter()
    timings = bench.optimizer_speeds(steps=50, repeats=2)
    outside = time.perf_counter() - start
    assert set(timings) == {"GradientDescent", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "Newton"}
    # the best of two runs each: together at most half the call's time (a sum or a total would exceed it)
    assert all(isinstance(s, float) and s > 0 for s in timings.values())
    assert sum(timings.values()) <= outside / 2
    with pytest.raises(ValueError, match="steps"):
        bench.optimizer_speeds(steps=0)


@pytest.mark.slow
def test_bench_command_line_writes_the_results_and_the_readme_table(tmp_path):
    _tiny_chapter(tmp_path)
    (tmp_path / "README.md").write_text(f"# x\n{bench.README_START}\nold\n{bench.README_END}\n")
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--root", str(tmp_path), "--steps", "100", "--sweep-epochs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "99_tiny:" in done.stdout and "README.md table updated." in done.stdout
    payload = json.loads((tmp_path / "_build" / "bench.json").read_text())
    assert [c["chapter"] for c in payload["chapters"]] == ["99_tiny"] and payload["chapters"][0]["within_budget"]
    assert set(payload["optimizers_seconds"]) >= {"Adam", "Newton"}
    assert [name.split(",")[0] for name in payload["sweep_seconds"]] == [
        "networks.sweep (one batched computation)",
        "networks.train",
        "Keras fit",
    ]
    readme = (tmp_path / "README.md").read_text()
    assert "old" not in readme and "| 99_tiny |" in readme and "| Adam |" in readme
    assert (tmp_path / "_build" / "bench.md").read_text().startswith("Measured by `make bench`")
