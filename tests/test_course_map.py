"""The course plan (tools.plan) and the instructor guide's generated parts (tools.course_map) match the repository."""

import re
from pathlib import Path

import yaml

from tools import course_map, plan

ROOT = Path(__file__).resolve().parents[1]


def test_the_plan_has_eleven_chapters_that_build_on_earlier_ones():
    numbers = [c.number for c in plan.CHAPTERS]
    assert numbers == [f"{n:02d}" for n in range(1, 12)]
    assert set(course_map.POSITIONS) == set(numbers)
    for chapter in plan.CHAPTERS:
        assert all(dep < chapter.number for dep in chapter.builds_on), chapter
        col = course_map.POSITIONS[chapter.number][0]
        assert all(course_map.POSITIONS[d][0] < col for d in chapter.builds_on), chapter


def test_every_chapter_in_the_book_is_in_the_plan():
    planned = {f"{c.number}_{c.slug}" for c in plan.CHAPTERS}
    present = {p.stem for p in plan.existing(ROOT).values()}
    assert present and present <= planned
    assert {plan.stem(n) for n in plan.existing(ROOT)} == present
    assert len({c.slug for c in plan.CHAPTERS}) == len({c.title for c in plan.CHAPTERS}) == 11


def test_the_plan_is_the_one_table_of_chapters():
    """No second copy: the course map and the chapter tests use the plan's objects, not their own."""
    import test_chapters

    assert course_map.CHAPTERS is plan.CHAPTERS and course_map.existing is plan.existing
    assert not hasattr(test_chapters, "CHAPTER_SLUGS") and test_chapters.plan is plan


def test_the_guide_is_up_to_date():
    text = (ROOT / course_map.GUIDE).read_text()
    block = re.search(re.escape(course_map.START) + r"\n(.*)\n" + re.escape(course_map.END), text, re.S)
    assert block, "instructors.md lost its chapters:start/end markers"
    assert block.group(1) == course_map.chapters_markdown(ROOT), "run: python -m tools.course_map"


def test_the_course_map_figure_is_up_to_date(tmp_path):
    fresh = tmp_path / "map.svg"
    course_map.draw(fresh, set(plan.existing(ROOT)))
    stored = (ROOT / course_map.FIGURE).read_bytes()
    assert fresh.read_bytes() == stored, "the chapters changed: run python -m tools.course_map"
    for chapter in plan.CHAPTERS:
        assert f"{chapter.number}" in course_map.chapters_markdown(ROOT)


def test_the_guide_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    assert "instructors" in files


def test_run_times_come_from_the_bench_table(tmp_path):
    from _ext.bench_times import run_time

    readme = tmp_path / "README.md"
    readme.write_text(
        "x\n<!-- bench:start -->\n| chapter | s |\n| --- | ---: |\n| 01_activations | 20.7 | 707 | yes |\n"
        "<!-- bench:end -->\n| 02_losses | 9.0 | outside the markers |\n"
    )
    assert run_time(readme, "01_activations") == "21 s"
    assert run_time(readme, "02_losses") == "not yet measured"
    assert run_time(tmp_path / "missing.md", "01_activations") == "not yet measured"
    block = course_map.chapters_markdown(ROOT)
    for path in plan.existing(ROOT).values():
        assert f"{{bench-seconds}}`{path.stem}`" in block
