"""Run the chapters: list them and execute them in place (``make execute``, ``make execute-all``).

Run from the repository root (the Makefile does)::

    python -m tools.book execute chapters/01_activations.ipynb   # re-run in place, fresh kernel
    python -m tools.book execute chapters/*.ipynb

A chapter is executed the way a student meets it: a new kernel, every cell top to bottom, execution
counts 1..n, and no timestamps in the stored notebook (so a diff shows only real changes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def chapters(root: Path | str = ".") -> list[Path]:
    """The chapter notebooks ``chapters/NN_slug.ipynb`` under ``root``, in chapter order."""
    return sorted(Path(root, "chapters").glob("[0-9][0-9]_*.ipynb"))


def client(nb, path: Path, timeout: int):
    """An ``nbclient.NotebookClient`` for ``nb`` running in ``path``'s folder, recording no timings."""
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
    client(nb, path, timeout).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.book", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_exec = sub.add_parser("execute", help="execute notebooks in place in a fresh kernel")
    p_exec.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        print(f"{nb}: executed in {execute(nb):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
