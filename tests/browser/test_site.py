"""The course's website (``make site``, ``website/build_site.py``) in Chromium, served from
127.0.0.1.

Marked ``site`` (``pytest -m site``; ``make test`` runs it after the other browser tests,
beside the student copies).
The site is built first when ``_site/`` is missing or older than its inputs (the notebooks,
README, helpers, website/, the pins). Every request a page makes to anything but the local
server is blocked and fails the test, so the site is shown to work without a network.

Nothing here names a notebook: the pages are whatever ``notebooks/`` holds, in the order of
the README's syllabus table, as the build found them.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import re
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest
from _lab import markdown_has_math

try:
    import fcntl
except ImportError:  # Windows: no flock; the site is then built by whichever worker asks first
    fcntl = None

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "website"))
import build_site as build  # noqa: E402  (website/build_site.py)

pytestmark = pytest.mark.site

SITE = build.OUT
NOTEBOOKS = sorted(build.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def _fresh() -> bool:
    info = SITE / "site-build.json"
    return info.exists() and json.loads(info.read_text())["inputs_digest"] == build.inputs_digest()


@pytest.fixture(scope="session")
def site() -> dict:
    """The built site's record (``site-build.json``), building it first if it is stale.

    A lock lets one pytest worker build while another waits for it.
    """
    build.BUILD.mkdir(parents=True, exist_ok=True)
    with open(build.BUILD / ".lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not _fresh():
            done = subprocess.run([sys.executable, str(ROOT / "website" / "build_site.py")],
                                  cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"the site build failed:\n{done.stdout[-3000:]}\n"
                            f"{done.stderr[-6000:]}", pytrace=False)
    return json.loads((SITE / "site-build.json").read_text())


@pytest.fixture(scope="session")
def server(site):
    """``_site/`` over HTTP on 127.0.0.1 (as GitHub Pages serves it); yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Visit:
    """One page in a fresh browser context, with everything that went wrong on it."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.context.set_default_timeout(90_000)  # the machine may be busy
        self.remote: list[str] = []
        self.errors: list[str] = []
        self.pending: set = set()
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.pending.add(r))
        self.page.on("requestfinished", lambda r: self.pending.discard(r))
        self.page.on("requestfailed", lambda r: self.pending.discard(r))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: r.url.startswith(base) and self.errors.append(
            f"request failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(
            f"HTTP {r.status}: {r.url}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        self.settle()
        return self.page

    def settle(self, quiet_s: float = 0.5, timeout_s: float = 90):
        """Wait until no request of the page has been in flight for ``quiet_s``."""
        deadline, quiet_since = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            if self.pending:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return
            self.page.wait_for_timeout(100)
        self.errors.append(f"requests still in flight after {timeout_s} s: "
                           f"{[r.url[:100] for r in self.pending]}")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    visits = []

    def make() -> Visit:
        visits.append(Visit(browser, server))
        return visits[-1]

    yield make
    for v in visits:
        v.close()


def page_of(notebook: str) -> str:
    return f"notebooks/{Path(notebook).stem}.html"


def all_pages(site) -> list[str]:
    return ["index.html", "search.html", "genindex.html"] + [page_of(n) for n in site["pages"]]


#: every <img> on the page: loaded eagerly, decoded; returns [src, ok] pairs
IMAGES_JS = """
async () => Promise.all(Array.from(document.querySelectorAll('img')).map(async img => {
  img.loading = 'eager';
  try { await img.decode(); } catch (e) { }
  return [img.currentSrc || img.src, img.complete && img.naturalWidth > 0];
}))
"""

#: MathJax has finished: typeset maths, errors, TeX left raw in the article
MATH_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const main = document.querySelector('main') || document.body;
  return {typeset: main.querySelectorAll('mjx-container').length,
          errors: main.querySelectorAll('mjx-merror').length,
          source: main.querySelectorAll('.math').length,
          raw: (main.innerText.match(/\\\\\\(|\\\\\\[/g) || []).length};
}
"""


def figure_outputs(notebook: str) -> int:
    """Figure outputs (images) of the executed site copy of ``notebook``, from the cache."""
    nb = build.cached_outputs(build.BUILD / "src" / "notebooks" / notebook)
    return sum(any(m in out.get("data", {}) for m in IMAGE_MIMES)
               for cell in nb.cells for out in cell.get("outputs", []))


# -- every page --------------------------------------------------------------------------------

def test_the_site_has_a_page_per_notebook(site):
    assert sorted(site["pages"]) == [p.name for p in NOTEBOOKS]
    for name in site["pages"]:
        assert (SITE / page_of(name)).exists(), name


def check_page(v: Visit, path: str) -> tuple[list[str], dict]:
    """Open ``path``; return what is wrong on it (console errors, failed or remote requests,
    images not shown, maths not typeset) and the maths counts."""
    page = v.open(path)
    images = page.evaluate(IMAGES_JS)
    math = page.evaluate(MATH_JS)
    v.settle()  # fonts MathJax asked for, images now eager
    problems = [*v.errors, *(f"asked the network for {url}" for url in v.remote)]
    problems += [f"image not shown: {src[:120]}" for src, ok in images if not ok]
    if math["source"] and not (math["typeset"] >= math["source"] and not math["errors"]
                               and not math["raw"]):
        problems.append(f"maths not typeset: {math}")
    return problems, math


@pytest.mark.parametrize("path", ["index.html", "search.html", "genindex.html"])
def test_page_loads_cleanly(path, site, visit):
    """No console error, no failed or remote request, every image shown, maths typeset."""
    problems, math = check_page(visit(), path)
    assert not problems, "\n".join(problems)
    if path == "index.html":
        assert math["typeset"] > 0, "the front page's route shows maths: is MathJax loaded?"


# -- notebook pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_notebook_page(path, site, visit):
    """One notebook's page: loads cleanly (as above), shows at least as many images as the
    executed notebook has figure outputs, each explorer's picture with its one-line note and
    Binder link, the Binder and download links for this notebook, and every solution
    collapsed behind "Show solution"."""
    v = visit()
    problems, math = check_page(v, page_of(path.name))
    page = v.page
    nb = nbformat.read(path, as_version=4)
    if markdown_has_math(path):
        assert math["typeset"] > 0, "the notebook has maths but the page typeset none"

    # figures
    shown, expected = page.locator("article img").count(), figure_outputs(path.name)
    if shown < expected:
        problems.append(f"{shown} images on the page, {expected} figure outputs")
    url = build.binder_url(site["repo"], path.name)
    notes = page.locator("p.pg-explorer-note")
    for i in range(notes.count()):
        note = notes.nth(i)
        if note.locator("a.pg-binder-link").get_attribute("href") != url:
            problems.append(f"explorer note {i}: Binder link is not {url}")
        if not note.evaluate("n => !!n.closest('.cell_output').querySelector('img')"):
            problems.append(f"explorer note {i}: no picture above it")

    # Binder and download
    binder = page.locator("p.pg-launch a.pg-binder")
    assert binder.count() == 1 and binder.get_attribute("href") == (
        f"https://mybinder.org/v2/gh/{site['repo']}/{site['branch']}"
        f"?urlpath=lab/tree/notebooks/{path.name}")
    download = urljoin(page.url, page.locator("p.pg-launch a.pg-download").get_attribute("href"))
    response = page.request.get(download)
    assert response.ok, download
    assert response.body() == path.read_bytes(), "the download is not the stored notebook"

    # solutions: closed on arrival, open on a click; their code only inside the toggles
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    toggles = page.locator("details:has(> summary:has-text('Show solution'))")
    assert toggles.count() == len(solutions)
    for i in range(toggles.count()):
        details = toggles.nth(i)
        body = details.locator(":scope > :not(summary)").first
        if details.get_attribute("open") is not None or body.is_visible():
            problems.append(f"solution {i} is open on arrival")
        details.locator("summary").click()
        if not body.is_visible():
            problems.append(f"solution {i} does not open on a click")
    inside = toggles.evaluate_all("els => els.map(e => e.innerText).join('\\n')")
    for cell in solutions:
        if cell.cell_type == "code":
            first = cell.source.strip().splitlines()[0].strip()
            if first not in inside:
                problems.append(f"solution line {first!r} is not inside a toggle")
    assert not problems, "\n".join(problems)


# -- navigation, links, search -----------------------------------------------------------------

def test_navigation_follows_the_readme_syllabus(site, visit):
    readme_order = build.syllabus(build.README.read_text(encoding="utf-8"))
    present = [n for n in readme_order if (build.NOTEBOOK_DIR / n).exists()]
    assert site["pages"][: len(present)] == present
    page = visit().open("index.html")
    nav = page.locator("nav.bd-docs-nav a.reference.internal").evaluate_all(
        "els => els.map(a => a.getAttribute('href'))")
    order = [Path(urlparse(h).path).stem for h in nav if "notebooks/" in h]
    assert order == [Path(n).stem for n in site["pages"]]
    # next/previous buttons walk the same order
    for here, there in itertools.pairwise(site["pages"]):
        text = (SITE / page_of(here)).read_text(encoding="utf-8")
        nxt = re.search(r'<a[^>]*class="right-next"[^>]*href="([^"]+)"|'
                        r'<a[^>]*href="([^"]+)"[^>]*class="right-next"', text)
        assert nxt, f"{here}: no next link"
        assert Path(urlparse(nxt.group(1) or nxt.group(2)).path).stem == Path(there).stem


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") == "canonical"):
                self.links.append((tag, a[key]))


def test_every_in_site_link_resolves(site):
    """Every relative href/src of every page names a file of the site (and an anchor there)."""
    parsed = {}
    for html_file in SITE.rglob("*.html"):
        if "_static" in html_file.relative_to(SITE).parts:
            continue  # the themes' template sources, copied along; no page links them
        p = _Links()
        p.feed(html_file.read_text(encoding="utf-8"))
        parsed[html_file] = p
    broken = []
    for html_file, p in parsed.items():
        for tag, link in p.links:
            url = urlparse(link)
            if url.scheme or link.startswith("//") or link.startswith(("mailto:", "javascript:")):
                continue
            target = (html_file.parent / unquote(url.path)).resolve() if url.path else html_file
            if target.is_dir():
                target = target / "index.html"
            where = f"{html_file.relative_to(SITE)}: <{tag}> {link}"
            if not target.exists():
                broken.append(where)
            elif url.fragment and target.suffix == ".html" and target in parsed \
                    and unquote(url.fragment) not in parsed[target].ids:
                broken.append(f"{where} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_no_page_loads_anything_from_another_site(site):
    """Scripts, styles, images, frames and fonts come from the site itself (offline)."""
    remote = re.compile(r"<(?:script|img|iframe|source|link)\b[^>]*\b(?:src|href)=[\"']?"
                        r"(?:https?:)?//[^>]*>|url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?"
                        r"(?:https?:)?//", re.I)
    found = []
    for f in [*SITE.rglob("*.html"), *SITE.rglob("*.css")]:
        for m in remote.finditer(f.read_text(encoding="utf-8", errors="replace")):
            if re.match(r"<link\b", m.group(0), re.I) and not re.search(
                    r"rel=[\"']?(stylesheet|preload|icon|modulepreload)", m.group(0), re.I):
                continue  # <link rel="canonical"> and the like are not loaded
            found.append(f"{f.relative_to(SITE)}: {m.group(0)[:160]}")
    assert not found, "\n".join(found)


def test_search_finds_reinforce(site, visit):
    v = visit()
    page = v.open("index.html")
    page.keyboard.press("Control+k")
    box = page.locator("form.bd-search input[name=q]:visible").first
    box.fill("REINFORCE")
    box.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=REINFORCE"))
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hits = {Path(urlparse(h).path).stem for h in
            results.evaluate_all("els => els.map(a => a.getAttribute('href'))")}
    # every notebook with REINFORCE in its title is found
    titled = {p.stem for p in NOTEBOOKS
              if "REINFORCE" in nbformat.read(p, as_version=4).cells[0].source.splitlines()[0]}
    assert hits and titled <= hits, (sorted(hits), sorted(titled))
    assert not v.errors and not v.remote
