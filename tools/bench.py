"""Benchmark the book (``make bench``): every chapter's wall time and peak memory, and optimizer speed.

Run from the repository root (the Makefile does)::

    python -m tools.bench              # measure, write _build/bench.{md,json}, refresh README.md's table
    python -m tools.bench --no-readme  # measure only

The benchmark measures each chapter the way a student meets it: a new kernel, every cell top to bottom.
Wall seconds include starting the kernel and importing TensorFlow. Peak memory is the kernel process's
maximum resident set size (``getrusage``), read in the kernel after the last cell. Budgets (2-core
machine): :data:`BUDGET_SECONDS` and :data:`BUDGET_MB` per chapter; the exit status is 1 if a chapter
is over budget. :func:`optimizer_speeds` times course_lib's optimizers (speed is measured here, never
asserted in the unit tests).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.book import chapters, client

#: Per-chapter budgets on a 2-core machine (mybinder.org gives 1-2 GB).
BUDGET_SECONDS = 60.0
BUDGET_MB = 1500.0

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

# The kernel's peak resident memory in MB. On Linux, VmHWM of /proc/self/status: ru_maxrss would keep the
# high-water mark of the process that started the kernel (Linux carries it across exec), so a kernel
# started by a large process (pytest with TensorFlow loaded) would report that process's peak.
_PEAK_MEMORY_CODE = (
    "import resource as _r, sys as _s, os as _o\n"
    "if _o.path.exists('/proc/self/status'):\n"
    "    _l = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
    "    print(int(_l[0].split()[1]) / 1024)\n"
    "else:\n"
    "    _m = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss\n"
    "    print(_m / 1024 if _s.platform != 'darwin' else _m / 1024 ** 2)"
)


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
    runner = client(nb, path, timeout)
    with runner.setup_kernel():
        for index, cell in enumerate(nb.cells[:-1]):
            runner.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        runner.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    return BenchResult(path.stem, round(seconds, 1), round(float(text.strip()), 0))


def optimizer_speeds(steps: int = 10_000, repeats: int = 3) -> dict[str, float]:
    """Seconds for a ``steps``-step ``optimizers.run`` of each optimizer on a 2-D quadratic (κ = 10).

    Returns a dict name -> seconds (best of ``repeats`` runs, ``time.perf_counter``).
    """
    import numpy as np

    from course_lib import objectives, optimizers

    if steps < 1 or repeats < 1:
        raise ValueError(f"steps and repeats must be >= 1, got {steps}, {repeats}")
    objective = objectives.narrow_valley(kappa=10.0, angle=0.5)
    theta0 = np.array([-2.0, 1.5])
    candidates = {
        "GradientDescent": optimizers.GradientDescent(0.5),
        "Momentum": optimizers.Momentum(0.5, 0.5),
        "Nesterov": optimizers.Momentum(0.5, 0.5, nesterov=True),
        "AdaGrad": optimizers.AdaGrad(0.5),
        "RMSProp": optimizers.RMSProp(0.01),
        "Adam": optimizers.Adam(0.01),
        "Newton": optimizers.Newton(0.5, damping=0.1),
    }
    timings = {}
    for name, optimizer in candidates.items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            optimizers.run(optimizer, objective, theta0, steps)
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    return timings


def sweep_speeds(epochs: int = 30) -> dict[str, float]:
    """Seconds to train 90 networks 64-32-10 on the digits (3 activations x 5 seeds x 6 rates, SGD, batch 32).

    Three ways (issue 12.7): ``networks.sweep``, the 90 arms as one batched computation (chapters 01, 02 and
    04 train their comparisons this way or on its passes); ``networks.train`` one network at a time (3 timed,
    scaled to 90); Keras ``fit`` (1 timed, scaled to 90).
    """
    import keras
    import numpy as np

    import course_lib
    from course_lib import datasets, networks

    course_lib.setup()
    data, sizes, activations = datasets.digits(), [64, 32, 10], ("relu", "tanh", "sigmoid")
    start = time.perf_counter()
    networks.sweep(
        data,
        sizes,
        learning_rates=np.geomspace(0.01, 1.0, 6),
        seeds=range(5),
        activations=activations,
        epochs=epochs,
        record_every=5,
    )
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for activation in activations:
        networks.train(networks.init(sizes, activation, 0), data, 0.1, 0, epochs=epochs, record_every=5)
    one_by_one = (time.perf_counter() - start) / len(activations) * 90
    model = networks.to_keras(networks.init(sizes, "relu", 0))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=loss)
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=32, verbose=0)
    keras_fit = (time.perf_counter() - start) * 90
    return {
        "networks.sweep (one batched computation)": batched,
        "networks.train, one by one": one_by_one,
        "Keras fit, one by one": keras_fit,
    }


def format_table(
    results: list[BenchResult],
    optimizer_seconds: dict[str, float] | None = None,
    sweep_seconds: dict[str, float] | None = None,
) -> str:
    """A Markdown table of the chapter results (and, if given, optimizer and sweep speeds)."""
    lines = [
        f"| chapter | wall seconds (budget {BUDGET_SECONDS:.0f}) "
        f"| peak kernel memory, MB (budget {BUDGET_MB:.0f}) | within budget |",
        "| --- | ---: | ---: | :---: |",
    ]
    for r in results:
        verdict = "yes" if r.within_budget else "**no**"
        lines.append(f"| {r.chapter} | {r.seconds:.1f} | {r.peak_mb:.0f} | {verdict} |")
    if optimizer_seconds:
        lines += ["", "| optimizer (course_lib, 10 000 steps on a 2-D objective) | seconds |", "| --- | ---: |"]
        lines += [f"| {name} | {sec:.3f} |" for name, sec in optimizer_seconds.items()]
    if sweep_seconds:
        lines += ["", "| 90 networks 64-32-10 on the digits, 30 epochs | seconds |", "| --- | ---: |"]
        lines += [f"| {name} | {sec:.1f} |" for name, sec in sweep_seconds.items()]
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


def bench(
    root: Path | str = ".", update: bool = True, steps: int = 10_000, sweep_epochs: int = 30
) -> list[BenchResult]:
    """Benchmark every chapter; write ``_build/bench.md`` and ``_build/bench.json``; update README.md."""
    root = Path(root)
    results = []
    for path in chapters(root):
        result = bench_chapter(path)
        print(f"{result.chapter}: {result.seconds:.1f} s, {result.peak_mb:.0f} MB", flush=True)
        results.append(result)
    speeds = optimizer_speeds(steps)
    sweeps = sweep_speeds(sweep_epochs)
    table = format_table(results, speeds, sweeps)
    note = (
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, {platform.machine()}."
    )
    out = root / "_build"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(note + "\n\n" + table)
    payload = {
        "note": note,
        "chapters": [asdict(r) | {"within_budget": r.within_budget} for r in results],
        "optimizers_seconds": speeds,
        "sweep_seconds": sweeps,
    }
    (out / "bench.json").write_text(json.dumps(payload, indent=2) + "\n")
    print("\n" + table)
    if update and update_readme(root / "README.md", table, note):
        print("README.md table updated.")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md's table")
    parser.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    parser.add_argument("--steps", type=int, default=10_000, help="steps per optimizer timing (10 000)")
    parser.add_argument("--sweep-epochs", type=int, default=30, help="epochs of the sweep timing (30)")
    args = parser.parse_args(argv)
    results = bench(args.root, update=not args.no_readme, steps=args.steps, sweep_epochs=args.sweep_epochs)
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
