"""Sphinx extension: keep otter-grader's solution markers off the rendered book.

Exercise solutions in the chapters carry otter-grader's markers (see ``tools/assignments.py``):
lines ``# BEGIN SOLUTION`` / ``# END SOLUTION`` (optionally ``NO PROMPT``) around the answer, or a
trailing ``# SOLUTION`` comment on a one-line answer. ``otter assign`` uses them to blank the answer in
the student notebook; on the book's page they are noise. This extension drops the marker lines and the
trailing comments from every code block after it is read, so the worked solution shows clean code.
The notebooks themselves are not changed (nbval and otter still see the markers).
"""

from __future__ import annotations

import re

from docutils import nodes

MARKER_LINE = re.compile(r"^\s*# ?(BEGIN|END) SOLUTION( NO PROMPT)?\s*$")
MARKER_SUFFIX = re.compile(r"\s*# ?SOLUTION( NO PROMPT)?\s*$")


def strip_markers(code: str) -> str:
    """``code`` without marker lines and with trailing ``# SOLUTION`` comments removed."""
    lines = [line for line in code.split("\n") if not MARKER_LINE.match(line)]
    return "\n".join(MARKER_SUFFIX.sub("", line) for line in lines)


def _strip_doctree(app, doctree) -> None:
    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        clean = strip_markers(text)
        if clean != text:
            block.children = [nodes.Text(clean)]
            block.rawsource = clean


def setup(app):
    app.connect("doctree-read", _strip_doctree)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
