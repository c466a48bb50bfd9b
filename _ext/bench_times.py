"""Sphinx extension: the role ``{bench-seconds}`NN_slug``` shows a chapter's run time from ``make bench``.

The instructor guide lists each chapter's run time. Copying the numbers into the page would leave it
stale after every ``make bench``; instead the page names the chapter, and this role reads the wall
seconds from the benchmark table ``make bench`` keeps in README.md (between the ``bench:start`` and
``bench:end`` markers) when the book is built: "21 s", or "not yet measured".
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

ROW = re.compile(r"^\|\s*(\d\d_\w+)\s*\|\s*([\d.]+)\s*\|", re.M)


def bench_seconds(readme: Path) -> dict[str, float]:
    """Wall seconds per chapter from the ``make bench`` table in ``readme`` (empty if none)."""
    if not readme.is_file():
        return {}
    text = readme.read_text()
    block = re.search(r"<!-- bench:start -->(.*?)<!-- bench:end -->", text, re.S)
    return {name: float(seconds) for name, seconds in ROW.findall(block.group(1) if block else "")}


def run_time(readme: Path, chapter: str) -> str:
    seconds = bench_seconds(readme).get(chapter)
    return f"{seconds:.0f} s" if seconds is not None else "not yet measured"


def setup(app):
    def role(name, rawtext, text, lineno, inliner, options=None, content=None):
        readme = Path(app.srcdir) / "README.md"
        inliner.document.settings.env.note_dependency(str(readme))  # rebuild the page when it changes
        return [nodes.Text(run_time(readme, text.strip()))], []

    app.add_role("bench-seconds", role)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
