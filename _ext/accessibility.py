"""Sphinx extension: the HTML fixes behind ``make site-test``'s accessibility and console checks.

* ``static/course.css``: link colours with 4.5:1 contrast on the exercise boxes, long inline code that
  wraps on a phone, jupyterquiz colours with enough contrast, a white frame for figures in dark mode;
* ``static/quiz-a11y.js``: a label (the question) on each of jupyterquiz's answer boxes;
* drops the duplicate inline script sphinx-thebe adds twice to every page (``const THEBE_JS_URL``
  declared twice is a console error), and gives the entries of docutils' citation list (``role="list"``)
  the role ``listitem`` instead of the deprecated ``doc-biblioentry`` (axe-core's
  "aria-required-children", critical, on the bibliography);
* guards jupyterquiz's MathJax call against MathJax not being loaded yet (an uncaught TypeError when
  the page is slow to load MathJax).

The static files live under ``_ext/`` so that every build that copies ``_ext`` (the student book)
gets them too.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"

# jupyterquiz's script (in the stored quiz outputs) reads MathJax.version[0] 500 ms after the quiz is
# drawn; if MathJax (loaded deferred, about 1 MB) is not there yet, that is an uncaught TypeError. Then
# there is nothing to do: MathJax's first typeset of the page covers the quiz.
QUIZ_RACE = "console.log('After sleep, MathJax version', version);"
QUIZ_RACE_FIXED = "if (typeof version == 'undefined') return;  // MathJax still loading"


def _add_static(app, config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _fix_page(app, pagename, templatename, context, doctree) -> None:
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body")
        if body and body in seen:
            continue
        seen.add(body)
        scripts.append(script)
    if "script_files" in context:
        context["script_files"][:] = scripts
    if "body" in context:
        # a list's children must be list items: docutils gives them the deprecated doc-biblioentry
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
        context["body"] = context["body"].replace(QUIZ_RACE, QUIZ_RACE_FIXED)


def setup(app):
    app.connect("config-inited", _add_static)
    app.add_css_file("course.css")
    app.add_js_file("quiz-a11y.js", defer="defer")
    app.connect("html-page-context", _fix_page)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
