"""Tools for the book as a whole (not for one chapter): execute, benchmark, and make handouts.

Run from the repository root (the Makefile does)::

    python -m course_lib.book execute chapters/01_activations.ipynb   # re-run in place, fresh kernel
    python -m course_lib.book bench      # every chapter in a fresh kernel: seconds and peak memory
    python -m course_lib.book handouts   # chapters without their solutions, in _build/handouts/

The benchmark measures each chapter the way a student meets it: a new kernel, every cell top to bottom.
Wall seconds include starting the kernel and importing TensorFlow. Peak memory is the kernel process's
maximum resident set size (``getrusage``), read in the kernel after the last cell. Budgets (2-core
machine): :data:`BUDGET_SECONDS` and :data:`BUDGET_MB` per chapter.

Handouts drop every cell tagged ``solution`` (the cells from ``{solution-start}`` to ``{solution-end}``
inclusive); :func:`strip_solutions` refuses a notebook whose solution directives are not all tagged, so
a handout cannot leak a solution.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

#: Per-chapter budgets on a 2-core machine (mybinder.org gives 1-2 GB).
BUDGET_SECONDS = 60.0
BUDGET_MB = 1500.0

SOLUTION_TAG = "solution"
_PEAK_MEMORY_CODE = (
    "import resource as _r, sys as _s\n"
    "_m = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss\n"
    "print(_m / 1024 if _s.platform != 'darwin' else _m / 1024 ** 2)"
)
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def chapters(root: Path | str = ".") -> list[Path]:
    """The chapter notebooks ``chapters/NN_slug.ipynb`` under ``root``, in chapter order."""
    paths = sorted(Path(root, "chapters").glob("[0-9][0-9]_*.ipynb"))
    return paths


def _client(nb, path: Path, timeout: int):
    from nbclient import NotebookClient

    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # no timestamps in cell metadata: diffs show only real changes
        resources={"metadata": {"path": str(path.parent)}},
    )


def execute(path: Path | str, timeout: int = 600) -> float:
    """Execute a notebook in place in a fresh kernel (execution counts 1..n); return wall seconds."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing notebook, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps an earlier nbconvert run may have left
    start = time.perf_counter()
    _client(nb, path, timeout).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


@dataclass(frozen=True)
class BenchResult:
    """One chapter's benchmark: wall seconds, kernel peak memory (MB), and whether it is in budget."""

    chapter: str
    seconds: float
    peak_mb: float

    @property
    def within_budget(self) -> bool:
        return self.seconds <= BUDGET_SECONDS and self.peak_mb <= BUDGET_MB


def bench_chapter(path: Path | str, timeout: int = 600) -> BenchResult:
    """Execute a copy of the notebook in a fresh kernel; measure wall time and the kernel's peak RSS."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK_MEMORY_CODE))
    start = time.perf_counter()
    client = _client(nb, path, timeout)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells[:-1]):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    return BenchResult(path.stem, round(seconds, 1), round(float(text.strip()), 0))


def format_table(results: list[BenchResult], optimizer_seconds: dict[str, float] | None = None) -> str:
    """A Markdown table of the chapter results (and, if given, optimizer speeds)."""
    lines = [
        f"| chapter | wall seconds (budget {BUDGET_SECONDS:.0f}) | peak kernel memory, MB (budget {BUDGET_MB:.0f}) | within budget |",
        "| --- | ---: | ---: | :---: |",
    ]
    for r in results:
        lines.append(f"| {r.chapter} | {r.seconds:.1f} | {r.peak_mb:.0f} | {'yes' if r.within_budget else '**no**'} |")
    if optimizer_seconds:
        lines += ["", "| optimizer (course_lib, 10 000 steps on a 2-D objective) | seconds |", "| --- | ---: |"]
        lines += [f"| {name} | {sec:.3f} |" for name, sec in optimizer_seconds.items()]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str, note: str) -> bool:
    """Replace the text between the bench markers in README.md; return whether the markers were found."""
    text = readme.read_text()
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    block = f"{README_START}\n{note}\n\n{table}{README_END}"
    readme.write_text(pattern.sub(lambda _: block, text))
    return True


def _optimizer_speeds() -> dict[str, float] | None:
    try:
        from course_lib import optimizers
    except ImportError:
        return None
    bench = getattr(optimizers, "benchmark", None)
    return bench() if bench else None


def bench(root: Path | str = ".", update: bool = True) -> list[BenchResult]:
    """Benchmark every chapter; write ``_build/bench.md`` and ``_build/bench.json``; update README."""
    import os
    import platform

    root = Path(root)
    results = []
    for path in chapters(root):
        result = bench_chapter(path)
        print(f"{result.chapter}: {result.seconds:.1f} s, {result.peak_mb:.0f} MB", flush=True)
        results.append(result)
    speeds = _optimizer_speeds()
    table = format_table(results, speeds)
    note = (
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, {platform.machine()}."
    )
    out = root / "_build"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(note + "\n\n" + table)
    payload = {"note": note, "chapters": [asdict(r) | {"within_budget": r.within_budget} for r in results],
               "optimizers_seconds": speeds}
    (out / "bench.json").write_text(json.dumps(payload, indent=2) + "\n")
    print("\n" + table)
    if update and update_readme(root / "README.md", table, note):
        print("README.md table updated.")
    return results


def strip_solutions(nb):
    """Return a copy of ``nb`` without its solution cells (those tagged ``solution``).

    Raises ValueError if a cell holding a ``{solution-start}`` or ``{solution-end}`` directive is not
    tagged, or if a tagged run of cells does not open and close a solution: the handout must not leak.
    """
    out = copy.deepcopy(nb)
    inside = False
    for index, cell in enumerate(nb.cells):
        tagged = SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])
        source = cell.get("source", "")
        opens, closes = "{solution-start}" in source, "{solution-end}" in source
        if (opens or closes or inside) and not tagged:
            raise ValueError(f"cell {index} is part of a solution but is not tagged {SOLUTION_TAG!r}")
        if opens:
            if inside:
                raise ValueError(f"cell {index} opens a solution inside another solution")
            inside = True
        if tagged and not inside:
            raise ValueError(f"cell {index} is tagged {SOLUTION_TAG!r} outside a solution-start/end pair")
        if closes:
            inside = False
    if inside:
        raise ValueError("the notebook ends inside a solution (missing {solution-end})")
    out.cells = [c for c in out.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    return out


def handouts(root: Path | str = ".", clear_outputs: bool = False) -> list[Path]:
    """Write each chapter without solutions to ``_build/handouts/``; return the paths written."""
    import nbformat

    root = Path(root)
    target = root / "_build" / "handouts"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters(root):
        nb = strip_solutions(nbformat.read(path, as_version=4))
        if clear_outputs:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, target / path.name)
        written.append(target / path.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.book", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_exec = sub.add_parser("execute", help="execute notebooks in place in a fresh kernel")
    p_exec.add_argument("notebooks", nargs="+")
    p_bench = sub.add_parser("bench", help="benchmark every chapter")
    p_bench.add_argument("--no-readme", action="store_true", help="do not update README.md's table")
    p_hand = sub.add_parser("handouts", help="chapters without solutions in _build/handouts")
    p_hand.add_argument("--clear-outputs", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for nb in args.notebooks:
            print(f"{nb}: executed in {execute(nb):.1f} s", flush=True)
    elif args.command == "bench":
        results = bench(update=not args.no_readme)
        return 0 if all(r.within_budget for r in results) else 1
    else:
        for path in handouts(clear_outputs=args.clear_outputs):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
