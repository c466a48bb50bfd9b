"""Browser test of the built book (``make site-test``): every page of the table of contents in Chromium.

    python -m tools.site_test                      # test _build/html
    python -m tools.site_test --screens DIR        # also save phone/desktop, light/dark screenshots

The book in ``_build/html`` (``make book``) is served on 127.0.0.1 and opened with Playwright in
headless Chromium: Debian's ``chromium`` package, driven through its executable path (``CHROMIUM`` or
the first of chromium, chromium-browser, google-chrome on PATH), so no browser download is needed.
MathJax is served from the npm copy in ``tests/site/node_modules/mathjax`` (``npm ci`` there, from
``tests/site/package-lock.json``) in place of its CDN address,
and every other request that leaves the machine is refused and reported, so the test runs offline.
axe-core comes from the same ``node_modules``. (package.json is not at the repository's root: Binder
would install it into every student's image.)

Checks, for every page listed in ``_toc.yml`` (so a chapter added there is tested with no change here):

* the page loads with no console error and no uncaught exception, and loads nothing from outside;
* math is typeset: MathJax finished, no ``mjx-merror`` node, no raw ``$$``, ``\\frac``, ``\\(`` left in
  the text outside code;
* every image has loaded, with natural width and height > 0, and has alt text (not empty, and not its
  file name, which is what docutils writes when a figure has none);
* no traceback, stderr output or warning text on the page;
* axe-core (WCAG 2 A/AA rules), in light and in dark mode: 0 critical and 0 serious violations;
* page weight at most 3 MB: the page's own HTML and figures, uncompressed (what a reader downloads
  for this page; the theme's and MathJax's files, about 1 MB compressed, are shared by every page and
  cached, and are reported beside it: everything the page loads, text compressed as GitHub Pages
  sends it);
* at a 375-px phone width nothing overflows horizontally except inside scrollable code and math;

and for every chapter page (``chapters/NN_*``):

* exercise solutions fold and unfold (hidden at first, shown after a click on the title, hidden again);
* the launch buttons hold well-formed Binder, JupyterHub (nbgitpuller) and Colab links to the chapter's
  own notebook in the repository of ``_config.yml``'s ``repository.url``;
* the search page finds the chapter by a word of its title;

and over the whole site: every internal link and anchor resolves (0 dead).
The run ends with a table per page and the line ``N passed, N failed``; the exit status is 1 on any failure.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
MAX_PAGE_BYTES = 3_000_000
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
# Raw TeX left in the text: display delimiters, inline \( \) delimiters, or a macro MathJax should have eaten.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\frac\b|\\begin\{")
# A traceback, or a Python warning as the warnings module prints it ("UserWarning: ..."). A chapter may
# print a caught error's message on purpose (the course's ValueErrors), so "...Error:" alone is allowed.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*Warning: ")


# --- the book's structure ------------------------------------------------------------------------------


def toc_pages(root: Path = ROOT) -> list[str]:
    """Docnames of ``_toc.yml`` in reading order (root first): ``["intro", "chapters/01_activations", ...]``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return pages


def chapter_pages(pages: list[str]) -> list[str]:
    return [p for p in pages if re.fullmatch(r"chapters/\d\d_\w+", p)]


def repository(root: Path = ROOT) -> tuple[str, str, str]:
    """(owner, name, branch) of ``repository.url`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    url = urlparse(config["repository"]["url"])
    owner, name = url.path.strip("/").removesuffix(".git").split("/")[:2]
    return owner, name, config["repository"].get("branch", "main")


def launch_link_problems(hrefs: list[str], docname: str, root: Path = ROOT) -> list[str]:
    """What is wrong with a chapter page's launch links (Binder, JupyterHub/nbgitpuller, Colab)."""
    owner, name, branch = repository(root)
    notebook = f"{docname}.ipynb"
    problems = []
    binder = [h for h in hrefs if "/v2/gh/" in h]
    hub = [h for h in hrefs if "/hub/user-redirect/git-pull" in h]
    colab = [h for h in hrefs if "colab.research.google.com" in h]
    for kind, found in (("Binder", binder), ("JupyterHub", hub), ("Colab", colab)):
        if len(found) != 1:
            problems.append(f"{len(found)} {kind} links")
    if len(binder) == 1:
        url = urlparse(binder[0])
        query = parse_qs(url.query)
        if url.scheme != "https" or url.path != f"/v2/gh/{owner}/{name}/{branch}":
            problems.append(f"Binder link to another repository: {binder[0]}")
        if query.get("urlpath") != [f"lab/tree/{notebook}"]:
            problems.append(f"Binder link to another notebook: {binder[0]}")
    if len(hub) == 1:
        url = urlparse(hub[0])
        query = parse_qs(url.query)
        if url.scheme != "https" or query.get("repo") != [f"https://github.com/{owner}/{name}"]:
            problems.append(f"JupyterHub link to another repository: {hub[0]}")
        if query.get("urlpath") != [f"lab/tree/{name}/{notebook}"] or query.get("branch") != [branch]:
            problems.append(f"JupyterHub link to another notebook or branch: {hub[0]}")
    if len(colab) == 1:
        url = urlparse(colab[0])
        if url.scheme != "https" or url.path != f"/github/{owner}/{name}/blob/{branch}/{notebook}":
            problems.append(f"Colab link to another notebook: {colab[0]}")
    return problems


# --- internal links and anchors (static, over every HTML file) -----------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag in ("a", "link") and attrs.get("href") and (tag == "a" or attrs.get("rel") == "stylesheet"):
            self.hrefs.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="replace"))
    return parser


def dead_links(site: Path) -> list[str]:
    """Internal links (and #anchors) of every page under ``site`` that lead nowhere: ``page -> href``."""
    dead = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        for href in _parse(page).hrefs:
            url = urlparse(href)
            if url.scheme or href.startswith("//") or href.startswith(("mailto:", "javascript:")):
                continue
            target_path, fragment = url.path, url.fragment
            target = (page.parent / unquote(target_path)).resolve() if target_path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                dead.append(f"{page.relative_to(site)} -> {href}")
            elif fragment and target.suffix == ".html" and unquote(fragment) not in _parse(target).ids:
                dead.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    return dead


def has_alt_text(alt: str | None, src: str | None) -> bool:
    """Whether ``alt`` describes the image: not empty, and not its file name (docutils' default)."""
    alt = (alt or "").strip()
    return bool(alt) and alt != src and not re.search(r"\.(png|svg|jpe?g|gif|webp)$", alt, re.I)


# --- the browser ------------------------------------------------------------------------------------------


def chromium_path() -> str:
    """Chromium's executable: ``$CHROMIUM``, else the first of the usual names on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    raise SystemExit(
        "site-test: no Chromium found; install Debian's package once (apt-get install chromium) "
        "or set CHROMIUM=/path/to/chrome"
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@dataclass
class PageResult:
    page: str
    problems: list[str] = field(default_factory=list)
    bytes: int = 0  # everything the page loads, text compressed as served
    own_bytes: int = 0  # its HTML and figures, uncompressed
    axe: dict[str, int] = field(default_factory=dict)
    images: int = 0
    solutions: int = 0  # solutions folded and unfolded

    @property
    def ok(self) -> bool:
        return not self.problems


JS_MATH_DONE = """async () => {
  if (!document.querySelector('.math, .MathJax, mjx-container') && !window.MathJax) return 'no math';
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return 'MathJax did not start';
  await MathJax.startup.promise;
  return 'ok';
}"""

JS_TEXT_OUTSIDE_CODE = """() => {
  const clone = document.querySelector('main, article, body').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
       .forEach(e => e.remove());
  return clone.textContent;
}"""

JS_IMAGES = """() => Array.from(document.images).map(img => ({
  src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0,
  alt: img.getAttribute('alt'), hidden: img.closest('[hidden]') !== null}))"""

JS_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = e => { for (let p = e; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden)/.test(s.overflowX) && p !== document.body && p !== document.documentElement)
        return true; }
    return false; };
  const bad = [];
  for (const e of document.querySelectorAll('main *, article *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    if (r.right > width + 1 && !scrolls(e.parentElement))
      bad.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
               + ' ' + Math.round(r.right) + 'px');
  }
  return {page: document.documentElement.scrollWidth, width, bad: bad.slice(0, 5), count: bad.length};
}"""

JS_AXE = """async () => {
  const r = await axe.run(document, {preload: false, runOnly: {type: 'tag',
      values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                 target: v.nodes[0] && v.nodes[0].target.join(' ')}));
}"""

JS_SOLUTIONS = """async () => {
  const boxes = Array.from(document.querySelectorAll('div.solution.dropdown'));
  const shown = b => { const c = b.querySelector('section, .admonition-title ~ *');
                       return c && c.offsetParent !== null && c.getBoundingClientRect().height > 0; };
  const out = [];
  for (const b of boxes) {
    const before = shown(b);
    const title = b.querySelector('button.toggle-button') || b.querySelector('.admonition-title');
    title.click(); await new Promise(r => setTimeout(r, 400));
    const open = shown(b);
    title.click(); await new Promise(r => setTimeout(r, 400));
    out.push({id: b.id, before, open, after: shown(b)});
  }
  return out;
}"""


class Browser:
    """One headless Chromium, with MathJax routed to node_modules and the outside world refused."""

    def __init__(self, playwright, base: str, node_modules: Path):
        # no background connections (the machine may have no network beyond the package registries)
        args = [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-gpu",
        ]
        self.browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        self.base = base
        self.node_modules = node_modules
        self.axe = (node_modules / "axe-core" / "axe.min.js").read_text()

    def context(self, viewport: dict, dark: bool = False):
        context = self.browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
        context.route("**/*", self._route)
        return context

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:"):
            return route.continue_()
        if url.startswith(MATHJAX_CDN):
            local = self.node_modules / "mathjax" / url[len(MATHJAX_CDN) :].split("?")[0]
            if local.is_file():
                return route.fulfill(path=str(local))
        route.request.frame.page._site_test_external.append(url)
        return route.abort()

    def open(self, context, page_path: str):
        page = context.new_page()
        page._site_test_external = []
        page._site_test_console = []
        page._site_test_bytes = 0  # as a gzip-serving host (GitHub Pages) sends them
        page._site_test_raw = {}  # the page's own HTML and images, uncompressed
        page.on("console", lambda m: m.type == "error" and page._site_test_console.append(m.text))
        page.on("pageerror", lambda e: page._site_test_console.append(f"uncaught: {e}"))

        def count(response):
            if response.status >= 400:
                page._site_test_console.append(f"HTTP {response.status}: {response.url}")
            try:
                body = response.body()
            except Exception:  # redirects and aborted requests have no body
                return
            kind = response.request.resource_type
            text = kind in ("document", "script", "stylesheet", "xhr", "fetch")
            page._site_test_bytes += len(gzip.compress(body, 6)) if text else len(body)
            if kind == "document" or (kind == "image" and "/_images/" in response.url):
                page._site_test_raw[response.url] = len(body)

        page.on("response", count)
        page.goto(self.base + page_path, wait_until="load")
        math = page.evaluate(JS_MATH_DONE)
        page.wait_for_timeout(300)  # the theme's deferred scripts (toggle buttons, search) settle
        return page, math

    def run_axe(self, page) -> list[dict]:
        page.add_script_tag(content=self.axe)
        return page.evaluate(JS_AXE)


def check_page(browser: Browser, docname: str, chapters: set[str], screens: Path | None) -> PageResult:
    result = PageResult(docname)
    problems = result.problems
    context = browser.context(DESKTOP)
    page, math = browser.open(context, f"{docname}.html")
    if math not in ("ok", "no math"):
        problems.append(math)
    if page.query_selector("mjx-merror, .MathJax_Error, mjx-container [data-mjx-error]"):
        problems.append("MathJax error node")
    text = page.evaluate(JS_TEXT_OUTSIDE_CODE)
    if found := RAW_TEX.findall(text):
        problems.append(f"raw TeX in the text: {sorted(set(found))}")
    if page.query_selector(".output.stderr, .output.traceback, .output.error, div.stderr"):
        problems.append("stderr or traceback output on the page")
    outputs = " ".join(page.locator(".cell_output").all_inner_texts())
    if found := TRACEBACK.findall(outputs):
        problems.append(f"traceback or warning text in outputs: {found[:3]}")
    images = page.evaluate(JS_IMAGES)
    result.images = len(images)
    problems += [f"image not loaded: {i['src']}" for i in images if not i["ok"] and not i["hidden"]]
    problems += [f"image without alt text: {i['src']}" for i in images if not has_alt_text(i["alt"], i["src"])]
    result.axe = {}
    for mode, ctx_page in (("light", page), ("dark", None)):
        if ctx_page is None:
            dark_context = browser.context(DESKTOP, dark=True)
            ctx_page, _ = browser.open(dark_context, f"{docname}.html")
        for v in browser.run_axe(ctx_page):
            result.axe[v["impact"]] = result.axe.get(v["impact"], 0) + v["nodes"]
            if v["impact"] in ("critical", "serious"):
                problems.append(f"axe {v['impact']} ({mode}): {v['id']} x{v['nodes']} at {v['target']}")
        if screens is not None:
            name = docname.replace("/", "_")
            ctx_page.screenshot(path=str(screens / f"{name}_desktop_{mode}.png"))
            figure = ctx_page.locator(".cell_output img")
            if figure.count():  # the first figure, with what surrounds it
                figure.first.scroll_into_view_if_needed()
                ctx_page.screenshot(path=str(screens / f"{name}_desktop_{mode}_figure.png"))
    result.bytes = page._site_test_bytes
    result.own_bytes = sum(page._site_test_raw.values())
    if result.own_bytes > MAX_PAGE_BYTES:
        problems.append(f"HTML and figures weigh {result.own_bytes / 1e6:.2f} MB > {MAX_PAGE_BYTES / 1e6:.0f} MB")
    if docname in chapters:
        boxes = page.evaluate(JS_SOLUTIONS)
        result.solutions = len(boxes)
        for box in boxes:
            if box["before"] or not box["open"] or box["after"]:
                problems.append(f"solution {box['id']} does not fold/unfold: {box}")
        hrefs = [a.get_attribute("href") or "" for a in page.query_selector_all("a")]
        problems += launch_link_problems(hrefs, docname)
    problems += [f"console: {m}" for m in page._site_test_console]
    problems += [f"external request: {u}" for u in page._site_test_external]
    context.close()
    for mode in ("light", "dark") if screens is not None else ("light",):  # dark: only a screenshot
        phone = browser.context(PHONE, dark=mode == "dark")
        page, _ = browser.open(phone, f"{docname}.html")
        overflow = page.evaluate(JS_OVERFLOW)
        if mode == "light" and (overflow["page"] > overflow["width"] or overflow["count"]):
            problems.append(f"overflows a 375-px screen: {overflow}")
        if screens is not None:
            page.screenshot(path=str(screens / f"{docname.replace('/', '_')}_phone_{mode}.png"))
        phone.close()
    return result


def search_problems(browser: Browser, docname: str, site: Path) -> list[str]:
    """The search page must list ``docname`` for the longest word of its title."""
    title = re.search(r"<h1[^>]*>(.*?)</h1>", (site / f"{docname}.html").read_text(), re.S)
    words = re.findall(r"[A-Za-z]{5,}", re.sub(r"<[^>]+>", " ", title.group(1) if title else ""))
    if not words:
        return [f"no title word to search for in {docname}"]
    word = max(words, key=len).lower()
    context = browser.context(DESKTOP)
    page = context.new_page()
    page.goto(f"{browser.base}search.html?q={word}", wait_until="load")
    try:
        page.wait_for_selector("#search-results ul li a", timeout=15_000)
        page.wait_for_function(
            "() => !document.querySelector('#search-progress') || "
            "document.querySelector('#search-progress').textContent.length > 0 ||"
            "document.querySelectorAll('#search-results li').length > 0"
        )
        hrefs = [a.get_attribute("href") or "" for a in page.query_selector_all("#search-results li a")]
    except Exception as error:  # noqa: BLE001 (a timeout is the finding)
        hrefs = []
        return [f"search for {word!r} found nothing ({type(error).__name__})"]
    finally:
        context.close()
    if not any(urlparse(urljoin(browser.base, h)).path.endswith(f"{docname}.html") for h in hrefs):
        return [f"search for {word!r} does not list {docname}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.site_test", description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screens", type=Path, help="save phone/desktop light/dark screenshots here")
    parser.add_argument("--json", type=Path, help="write the per-page results here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"site-test: no built book in {site}; run make book first")
        return 1
    node_modules = ROOT / "tests" / "site" / "node_modules"
    if not (node_modules / "axe-core").is_dir() or not (node_modules / "mathjax").is_dir():
        print("site-test: node_modules lacks axe-core or mathjax; run npm ci --prefix tests/site")
        return 1
    if args.screens:
        args.screens.mkdir(parents=True, exist_ok=True)
    pages = toc_pages()
    chapters = set(chapter_pages(pages))
    server, base = serve(site)
    results = []
    try:
        with sync_playwright() as playwright:
            browser = Browser(playwright, base, node_modules)
            for docname in pages:
                result = check_page(browser, docname, chapters, args.screens)
                if docname in chapters:
                    result.problems += search_problems(browser, docname, site)
                results.append(result)
                print(
                    f"{'ok  ' if result.ok else 'FAIL'} {docname}: {result.own_bytes / 1e6:.2f} MB HTML and "
                    f"figures ({result.bytes / 1e6:.2f} MB loaded with the theme, compressed), "
                    f"{result.images} images, {result.solutions} solutions folded, axe {result.axe or 'clean'}",
                    flush=True,
                )
                for problem in result.problems:
                    print(f"       {problem}")
            browser.browser.close()
    finally:
        server.shutdown()
    dead = dead_links(site)
    print(f"{'ok  ' if not dead else 'FAIL'} internal links and anchors: {len(dead)} dead")
    for link in dead[:50]:
        print(f"       {link}")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results] + [{"dead_links": dead}], indent=1))
    passed = sum(r.ok for r in results) + (not dead)
    failed = len(results) + 1 - passed
    print(f"site-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
