"""The pure parts of the site tooling: per-chapter numbering (_ext/chapter_numbers.py) and the browser
test's static checks (tools/site_test.py: launch links, alt text, dead links, the pages of the toc).
The browser itself runs in ``make site-test``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tools import site_test

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))
import chapter_numbers  # noqa: E402


@pytest.mark.parametrize(
    ("docname", "number"),
    [
        ("chapters/05_gradient_descent", 5),
        ("chapters/11_batch_normalization", 11),
        ("intro", None),
        ("instructors", None),
        ("chapters/notes", None),
    ],
)
def test_chapter_number_comes_from_the_file_prefix(docname, number):
    assert chapter_number(docname) == number


def chapter_number(docname):
    return chapter_numbers.chapter_number(docname)


def test_numbers_restart_per_chapter_in_page_order():
    # Sphinx's book-wide numbers (chapter 05 after 01..03 starts at 13), not in dict order
    sphinx = {"eq-b": (14,), "eq-a": (13,), "eq-c": (15,)}
    assert chapter_numbers.per_chapter("chapters/05_gradient_descent", sphinx) == {
        "eq-a": (5, 1),
        "eq-b": (5, 2),
        "eq-c": (5, 3),
    }
    assert chapter_numbers.per_chapter("instructors", {"fig-map": (7,)}) == {"fig-map": (1,)}


def test_renumber_rewrites_every_kind_and_reports_the_changed_pages():
    class Env:
        toc_fignumbers = {
            "chapters/01_a": {"figure": {"f1": (1,), "f2": (2,)}},
            "chapters/05_b": {"figure": {"g": (3,)}, "exercise": {"e1": (4,), "e2": (5,)}},
            "intro": {"figure": {"m": (1,)}},
        }

    env = Env()
    changed = chapter_numbers.renumber(None, env)
    assert env.toc_fignumbers["chapters/05_b"] == {"figure": {"g": (5, 1)}, "exercise": {"e1": (5, 1), "e2": (5, 2)}}
    assert env.toc_fignumbers["chapters/01_a"]["figure"] == {"f1": (1, 1), "f2": (1, 2)}
    assert changed == ["chapters/01_a", "chapters/05_b"]  # intro's (1,) was already right


def test_toc_pages_list_every_chapter_of_the_toc():
    pages = site_test.toc_pages(ROOT)
    assert pages[0] == "intro"
    chapters = site_test.chapter_pages(pages)
    on_disk = sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    assert chapters == on_disk


def _links(doc):
    owner, name, branch = site_test.repository(ROOT)
    return [
        f"https://mybinder.org/v2/gh/{owner}/{name}/{branch}?urlpath=lab/tree/{doc}.ipynb",
        f"https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A//github.com/{owner}/{name}"
        f"&urlpath=lab/tree/{name}/{doc}.ipynb&branch={branch}",
        f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/{doc}.ipynb",
    ]


def test_launch_links_of_the_chapter_pass():
    assert site_test.launch_link_problems(_links("chapters/05_x"), "chapters/05_x", ROOT) == []


def test_launch_links_to_another_notebook_or_repository_fail():
    wrong = _links("chapters/01_y")
    assert len(site_test.launch_link_problems(wrong, "chapters/05_x", ROOT)) == 3
    fork = [link.replace("/opt4dl/", "/someone/") for link in _links("chapters/05_x")]
    assert len(site_test.launch_link_problems(fork, "chapters/05_x", ROOT)) == 3
    assert site_test.launch_link_problems(_links("chapters/05_x")[:2], "chapters/05_x", ROOT) == ["0 Colab links"]


@pytest.mark.parametrize(
    ("alt", "ok"),
    [
        ("Loss against step for three learning rates", True),
        ("", False),
        (None, False),
        ("../_images/ab12.png", False),
        ("figure.SVG", False),
    ],
)
def test_alt_text_is_a_description_not_a_file_name(alt, ok):
    assert site_test.has_alt_text(alt, "../_images/ab12.png") is ok


def test_dead_links_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1><a href="b.html#here">b</a><a href="#top">t</a>')
    (tmp_path / "b.html").write_text(
        '<p id="here"></p><a href="a.html#gone">x</a><a href="c.html">y</a>'
        '<a href="https://example.org/z">z</a><img src="x.png?v=1">'
    )
    (tmp_path / "x.png").write_bytes(b"")
    assert site_test.dead_links(tmp_path) == ["b.html -> a.html#gone (no such anchor)", "b.html -> c.html"]
