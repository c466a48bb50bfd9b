"""The instructor guide's generated parts: the course map figure and the per-chapter tables.

Run from the repository root after a chapter is added or changed::

    python -m tools.course_map      # writes figures/course_map.svg, refreshes instructors.md

The plan of the whole course (the eleven chapters, what each builds on, and its topics) is
:data:`tools.plan.CHAPTERS`. Everything else is read from the repository: which chapters exist, their
learning objectives, prerequisites and reading time (the header of each notebook) and their exercises with difficulty
(:func:`tools.assignments.questions`). Run times are not copied: the page uses the role
``{bench-seconds}`NN_slug``` (``_ext/bench_times.py``), which reads README.md's ``make bench`` table
when the book is built, so a new benchmark never makes the guide stale. The text
between the ``chapters:start``/``chapters:end`` markers of ``instructors.md`` is generated;
``tests/test_course_map.py`` fails when it, or the figure, is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tools.plan import CHAPTERS, ROOT, existing

FIGURE = Path("figures") / "course_map.svg"
GUIDE = Path("instructors.md")
START, END = "<!-- chapters:start -->", "<!-- chapters:end -->"


#: Where each chapter sits on the map: (column, height). Columns follow the longest chain of
#: prerequisites; heights are chosen so that no arrow crosses a box.
POSITIONS = {
    "01": (0, 0.0),
    "02": (1, 1.0),
    "03": (1, -1.0),
    "04": (2, -1.9),
    "05": (2, 0.6),
    "07": (3, 2.2),
    "06": (3, 1.0),
    "08": (3, -0.2),
    "10": (3, -1.4),
    "09": (4, 0.4),
    "11": (4, -0.8),
}


def draw(path: Path, present: set[str]) -> None:
    """Draw the course map (chapters as boxes, arrows from prerequisite to chapter) as an SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    # Matplotlib's default style whatever the caller set, and stable SVG ids: same input, same file.
    with plt.style.context("default"), plt.rc_context({"svg.hashsalt": "course-map"}):
        _draw(path, present, plt, FancyArrowPatch, FancyBboxPatch)


def _draw(path, present, plt, FancyArrowPatch, FancyBboxPatch) -> None:
    where = {n: (col * 3.3, y * 1.1) for n, (col, y) in POSITIONS.items()}
    fig, ax = plt.subplots(figsize=(10, 5.6))
    width, height = 2.6, 0.85
    for chapter in CHAPTERS:
        x, y = where[chapter.number]
        for dep in chapter.builds_on:
            dx, dy = where[dep]
            ax.add_patch(
                FancyArrowPatch(
                    (dx + width / 2, dy),
                    (x - width / 2, y),
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color="0.45",
                    lw=1.0,
                    shrinkA=1,
                    shrinkB=1,
                )
            )
    for chapter in CHAPTERS:
        x, y = where[chapter.number]
        done = chapter.number in present
        ax.add_patch(
            FancyBboxPatch(
                (x - width / 2, y - height / 2),
                width,
                height,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor="#cfe2f3" if done else "white",
                edgecolor="#1f4e79" if done else "0.55",
                linestyle="-" if done else "--",
                lw=1.4,
                zorder=2,
            )
        )
        lines = [""]
        for word in chapter.title.split():
            if lines[-1] and len(lines[-1]) + len(word) > 16:
                lines.append("")
            lines[-1] = (lines[-1] + " " + word).strip()
        ax.text(
            x,
            y,
            f"{chapter.number}\n" + "\n".join(lines),
            ha="center",
            va="center",
            fontsize=8.5,
            linespacing=1.15,
            color="black" if done else "0.35",
            zorder=3,
        )
    ax.set_xlim(-1.5, max(p[0] for p in where.values()) + 1.5)
    ax.set_ylim(min(p[1] for p in where.values()) - 0.7, max(p[1] for p in where.values()) + 0.7)
    ax.set_axis_off()
    handles = [
        FancyBboxPatch((0, 0), 1, 1, facecolor="#cfe2f3", edgecolor="#1f4e79", lw=1.4),
        FancyBboxPatch((0, 0), 1, 1, facecolor="white", edgecolor="0.55", linestyle="--", lw=1.4),
    ]
    ax.legend(handles, ["in the book", "planned"], loc="upper left", frameon=False, fontsize=9)
    ax.set_title("Course map: an arrow runs from a chapter to the chapters that build on it", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


# --- the generated text -------------------------------------------------------------------------


def header(nb) -> dict[str, object]:
    """Title, objectives, prerequisites and reading time from a chapter's header cell."""
    text = nb.cells[0].source
    title = text.split("\n", 1)[0].lstrip("# ").strip()
    objectives = re.search(r"\*\*Learning objectives\.\*\*.*?\n\n(.*?)(\n\n|$)", text, re.S)
    bullets = re.split(r"\n\* ", "\n" + objectives.group(1).strip()) if objectives else []
    prerequisites = re.search(r"\*\*Prerequisites\.\*\*\s*(.*?)(\n\n|$)", text, re.S)
    minutes = re.search(r"\*\*Time\.\*\*\s*About (\d+) minutes", text)
    return {
        "title": title,
        "objectives": [" ".join(b.split()) for b in bullets if b.strip()],
        "prerequisites": " ".join(prerequisites.group(1).split()) if prerequisites else "",
        "minutes": int(minutes.group(1)) if minutes else None,
    }


def chapters_markdown(root: Path = ROOT) -> str:
    """The generated part of the instructor guide: the chapter table and the per-chapter sections."""
    import nbformat

    from tools import assignments

    present = existing(root)
    table = [
        "| chapter | builds on | status | reading | run time (`make bench`) | exercises |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    sections = []
    for chapter in CHAPTERS:
        deps = ", ".join(chapter.builds_on) or "–"
        if chapter.number not in present:
            table.append(f"| {chapter.number} {chapter.title} | {deps} | planned | | | |")
            continue
        path = present[chapter.number]
        nb = nbformat.read(path, as_version=4)
        info, found = header(nb), assignments.questions(nb)
        auto = sum(q.auto for q in found)
        run = f"{{bench-seconds}}`{path.stem}`"  # filled in from README's bench table at build time
        reading = f"{info['minutes']} min" if info["minutes"] else "–"
        exercises = f"{len(found)} ({auto} auto-graded)" if found else "old format (not assignable yet)"
        table.append(
            f"| [{chapter.number} {chapter.title}](chapters/{path.stem}) | {deps} | in the book | "
            f"{reading} | {run} | {exercises} |"
        )
        lines = [f"### {info['title']}", "", "**Learning objectives.**", ""]
        lines += [f"* {o}" for o in info["objectives"]]
        lines += [
            "",
            f"**Prerequisites.** {info['prerequisites']}",
            "",
            f"**Reading time:** {reading}. **Run time** (`make bench`, two CPU cores): {run}.",
            "",
        ]
        if found:
            lines += ["| exercise | difficulty | kind | tests (public + hidden) |", "| --- | :---: | --- | --- |"]
            for q in found:
                stars = "★" * q.difficulty + "☆" * (3 - q.difficulty)
                kind = "auto-graded" if q.auto else "conceptual (worked solution)"
                tests = f"{q.public_tests} + {q.hidden_tests}" if q.auto else "–"
                lines.append(f"| {q.title} (`{q.label}`) | {stars} | {kind} | {tests} |")
        else:
            lines.append("Exercises: in the pre-assignment format, not yet converted (no autograder).")
        sections.append("\n".join(lines))
    planned = [
        f"* **{c.number} {c.title}** (builds on {', '.join(c.builds_on) or 'nothing'}): {c.topics}."
        for c in CHAPTERS
        if c.number not in present
    ]
    parts = ["\n".join(table), *sections]
    if planned:
        parts.append("### Planned chapters\n\n" + "\n".join(planned))
    return "\n\n".join(parts)


def refresh(root: Path = ROOT) -> bool:
    """Write the figure and the generated text of the guide; return whether the guide changed."""
    root = Path(root)
    draw(root / FIGURE, set(existing(root)))
    guide = root / GUIDE
    text = guide.read_text()
    block = f"{START}\n{chapters_markdown(root)}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    guide.write_text(new)
    return new != text


def main() -> int:
    changed = refresh()
    print(f"wrote {FIGURE}; {GUIDE} {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
