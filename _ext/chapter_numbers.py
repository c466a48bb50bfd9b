"""Sphinx extension: number figures, equations and exercises per chapter, as in a textbook.

Sphinx numbers every enumerable node (figures, tables, labelled display equations, sphinx-exercise's
exercises) in ``env.toc_fignumbers``; without a numbered toctree the counters run across the whole
book, so chapter 05 would show "(13)" for its first equation and adding a chapter would renumber the
chapters after it. This extension rewrites those numbers once Sphinx has assigned them: in a document
whose file name starts with a number, ``chapters/05_gradient_descent``, the k-th node of each kind
becomes (5, k), read as "Figure 5.2", "(5.3)", "Exercise 5.1". The chapter number is the file's own
prefix, not its place in the table of contents, so chapter 05 is 5 while chapter 04 does not exist
yet, and adding a chapter renumbers nothing in the others. Pages without a prefix (the intro, the
instructor guide) number their nodes 1, 2, ... on their own. Cross-references ({numref}, {eq}) and
the captions read the same table, so they follow.

In the PDF (``make pdf``) LaTeX numbers chapters, figures and equations itself: a chapter page starts
with ``\\setcounter{chapter}{N-1}`` (a raw LaTeX node, which HTML ignores), so that its ``\\chapter`` is
N and its figures and equations N.k there too (``numfig_secnum_depth: 1`` resets them per chapter).
"""

from __future__ import annotations

import re

from docutils import nodes

CHAPTER = re.compile(r"(?:^|/)(\d+)_[^/]+$")


def chapter_number(docname: str) -> int | None:
    """The chapter number of ``docname`` from its file name's prefix (``chapters/05_x`` -> 5)."""
    match = CHAPTER.search(docname)
    return int(match.group(1)) if match else None


def per_chapter(docname: str, numbers: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Renumber one document's nodes of one kind 1, 2, ... in page order, prefixed by its chapter.

    ``numbers`` maps node ids to Sphinx's numbers, which grow in page order; their order is kept.
    """
    prefix = () if (n := chapter_number(docname)) is None else (n,)
    in_order = sorted(numbers, key=numbers.__getitem__)
    return {node_id: (*prefix, k) for k, node_id in enumerate(in_order, start=1)}


def renumber(app, env) -> list[str]:
    """``env-get-updated`` handler (after Sphinx's own numbering): the documents whose numbers changed."""
    changed = []
    for docname, kinds in env.toc_fignumbers.items():
        new = {kind: per_chapter(docname, numbers) for kind, numbers in kinds.items()}
        if new != kinds:
            env.toc_fignumbers[docname] = new
            changed.append(docname)
    return changed


def set_latex_chapter(app, doctree) -> None:
    """``doctree-read`` handler: a chapter page tells LaTeX its number before its title."""
    number = chapter_number(app.env.docname)
    if number is not None:
        doctree.insert(0, nodes.raw("", f"\\setcounter{{chapter}}{{{number - 1}}}\n", format="latex"))


def setup(app):
    app.connect("doctree-read", set_latex_chapter)
    # Sphinx's TocTreeCollector assigns the book-wide numbers at the default priority (500).
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
