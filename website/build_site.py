"""Build the course's website: every notebook executed and rendered, offline, into ``_site/``.

    .venv/bin/python website/build_site.py            # what `make site` runs
    .venv/bin/python website/build_site.py --repo me/pg-course --jobs 2

Steps (each reuses what an earlier build left where it can):

1. **Pages.** The navigation follows the README's syllabus table (its rows' notebook links,
   in order); a notebook the table does not list yet follows, in the order of notebook 00's
   route, then by number. No list of notebooks is written down here.
2. **Sources** under ``build/site/src`` (``notebooks/`` itself is never touched):
   ``index.md`` is the README, with notebook 00's route after its opening section; each
   notebook is a copy prepared for a static page (:func:`site_copy`): matplotlib's inline
   backend instead of ipympl, explorers as still pictures with a one-line note
   (``website/static_explorers.py``), a Binder and a download link under the title, exercise
   solutions collapsed behind "Show solution", the widget self-tests (slide type ``skip``)
   left out of the page. A link to a notebook not written yet (the route may name a planned
   one) shows as plain text, "not yet published"; the build lists such links.
3. **Execution**, two notebooks at a time, into a jupyter-cache (``build/site/jupyter_cache``).
   A notebook whose code is unchanged is not run again. The copy's hidden first cell carries a
   digest of ``helpers/``, the pinned requirements, ``static_explorers.py`` and the functions
   here that shape what runs (:func:`execution_code`), so a change there runs the notebooks
   again too (jupyter-cache alone would only see the notebooks' code). A notebook
   that raises fails the build.
4. **Sphinx** (MyST-NB reading the cache, the Sphinx Book Theme) writes ``_site/``, with
   warnings as errors (a broken link fails the build). MathJax 3.2.2 comes from the pinned
   ``django-static-mathjax`` package and is served by the site itself.
5. ``_site/site-build.json`` records the repository, the pages and the inputs' digest; the
   site's tests rebuild when that digest no longer matches (:func:`inputs_digest`).

``--repo`` (default ``$GITHUB_REPOSITORY``, else the README's ``OWNER/REPO`` placeholder) fills
the Binder and GitHub links, so the workflow that publishes the site gets working links.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
README = ROOT / "README.md"
WEBSITE = ROOT / "website"
BUILD = ROOT / "build" / "site"
OUT = ROOT / "_site"
PLACEHOLDER = "OWNER/REPO"
BRANCH = "main"
#: what the build reads: a change to any of these makes a built site stale
INPUT_GLOBS = ("README.md", "notebooks/*.ipynb", "helpers/**/*", "website/**/*",
               "requirements.txt", "requirements-site.txt", "pyproject.toml")
#: what the notebooks' outputs depend on besides their own code (goes into the cache key,
#: with the source of the functions below that shape what runs and what is kept)
EXECUTION_GLOBS = ("helpers/**/*", "requirements.txt", "requirements-site.txt",
                   "website/static_explorers.py")
SOLUTION_TAG = "solution"
CELL_TIMEOUT_S = 300
NOTEBOOK_LINK = re.compile(r"\]\((?:notebooks/)?(\d\d_[A-Za-z0-9_]+\.ipynb)\)")
#: a whole markdown link to a notebook: its text, the file name, an optional #anchor
MARKDOWN_NOTEBOOK_LINK = re.compile(
    r"\[([^\]]*)\]\((?:notebooks/)?(\d\d_[A-Za-z0-9_]+\.ipynb)(#[^)\s]*)?\)")


# -- 1. pages ------------------------------------------------------------------------------------

def _section(text: str, heading: re.Pattern) -> str:
    """The markdown of the first ``## `` section whose heading matches, up to the next one."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("## ") and heading.search(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("## ")),
                       len(lines))
            return "\n".join(lines[i:end])
    return ""


def syllabus(readme: str) -> list[str]:
    """The notebook file names of the README's syllabus table, row by row."""
    found = []
    for line in _section(readme, re.compile(r"syllabus", re.I)).splitlines():
        hit = NOTEBOOK_LINK.search(line) if line.startswith("|") else None
        if hit and hit.group(1) not in found:
            found.append(hit.group(1))
    return found


def route_markdown(notebook_00: Path) -> str:
    """Notebook 00's route section (the ``## … route`` cell or cells), as stored."""
    import nbformat

    nb = nbformat.read(notebook_00, as_version=4)
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return _section(text, re.compile(r"\broute\b", re.I))


def page_order(notebooks: list[Path], readme: str, route: str) -> list[Path]:
    """The notebooks in syllabus order; unlisted ones after, in route order, then by name."""
    by_name = {p.name: p for p in notebooks}
    listed = [n for n in syllabus(readme) if n in by_name]
    rest = [n for n in NOTEBOOK_LINK.findall(route) if n in by_name and n not in listed]
    rest = list(dict.fromkeys(rest))
    order = listed + rest + sorted(n for n in by_name if n not in listed + rest)
    return [by_name[n] for n in order]


# -- 2. sources ----------------------------------------------------------------------------------

def binder_url(repo: str, notebook: str, branch: str = BRANCH) -> str:
    """The README's Binder link for ``notebook``: full JupyterLab opened on that file."""
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/notebooks/{notebook}"


def _digest(globs, root: Path = ROOT, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for pattern in globs:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def execution_code() -> str:
    """The source of this module's functions that decide what a kernel runs and what the
    cache keeps (so editing the rest of this file does not run every notebook again)."""
    import inspect

    return "".join(inspect.getsource(f) for f in (
        preamble, site_code, _execute, offline_outputs)) + REMOTE_STYLESHEET.pattern


def inputs_digest(root: Path = ROOT) -> str:
    """Digest of everything the site is built from (the site's tests compare it)."""
    return _digest(INPUT_GLOBS, root)


def preamble(notebook: str, repo: str, execution_digest: str) -> str:
    """The hidden first cell of a site copy: inline figures and still explorers."""
    module = (WEBSITE / "static_explorers.py").read_text(encoding="utf-8")
    return (f"# website build: helpers, pins and website code digest {execution_digest[:16]}\n"
            "%matplotlib inline\n"
            f"{module}\n"
            f"install({binder_url(repo, notebook)!r})\n"
            "del install\n")


def unlink_missing(markdown: str, existing: set[str], missing: list[str], where: str) -> str:
    """Links to notebooks that ``notebooks/`` does not hold (yet: the route may name a planned
    one) become their plain text, noted "not yet published"; each is added to ``missing``.
    Any other broken link still fails the build."""
    def keep_or_unlink(match: re.Match) -> str:
        if match.group(2) in existing:
            return match.group(0)
        missing.append(f"{where} → {match.group(2)}")
        return f"{match.group(1)} (not yet published)"

    return MARKDOWN_NOTEBOOK_LINK.sub(keep_or_unlink, markdown)


def launch_bar(repo: str, notebook: str) -> str:
    """The Binder and download links shown under each notebook's title."""
    url = html.escape(binder_url(repo, notebook))
    return (f'<p class="pg-launch"><a class="pg-binder" href="{url}">▶ Launch this notebook '
            f'in Binder</a> <a class="pg-download" href="{notebook}" download>⬇ Download '
            f"{notebook}</a> <span class=\"pg-launch-hint\">(figures and sliders are live "
            "there; a page here shows each explorer as a still picture)</span></p>")


def site_code(source: str) -> str:
    """A code cell as the site runs it: figures inline (still pictures), not ipympl widgets."""
    return re.sub(r"^%matplotlib widget[ \t]*$", "%matplotlib inline", source, flags=re.M)


def site_copy(path: Path, repo: str, execution_digest: str,
              existing: set[str] | None = None, missing: list[str] | None = None):
    """The notebook at ``path`` prepared for a static page (an nbformat notebook).

    * ``%matplotlib widget`` lines become ``%matplotlib inline``; a hidden first cell
      (:func:`preamble`) makes every explorer a still picture with its note;
    * the Binder and download links follow the title line;
    * code cells tagged ``solution`` collapse behind "Show solution" (source and output);
      markdown ones (solution sketches) into a ``<details>`` element;
    * cells with slide type ``skip`` (widget self-tests) run but stay off the page;
    * links to notebooks not in ``existing`` (default: all of ``notebooks/``) become plain
      text (:func:`unlink_missing`).
    """
    import nbformat

    if existing is None:
        existing = {p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")}
    missing = [] if missing is None else missing
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            cell.source = unlink_missing(cell.source, existing, missing, path.name)
        if cell.cell_type == "code":
            cell.source = site_code(cell.source)
        if SOLUTION_TAG in tags and cell.cell_type == "code":
            tags.append("hide-cell")
            cell.metadata["mystnb"] = {"code_prompt_show": "Show solution",
                                       "code_prompt_hide": "Hide solution"}
        elif SOLUTION_TAG in tags and cell.cell_type == "markdown":
            cell.source = ('<details class="pg-solution">\n<summary>Show solution</summary>\n\n'
                           f"{cell.source}\n\n</details>")
        if cell.metadata.get("slideshow", {}).get("slide_type") == "skip":
            tags.append("remove-cell")
        if tags:
            cell.metadata["tags"] = tags
    title = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if title is None or not title.source.startswith("# "):
        raise ValueError(f"{path.name}: the first cell must start with the title '# NN · …'")
    head, _, rest = title.source.partition("\n")
    title.source = f"{head}\n\n{launch_bar(repo, path.name)}\n\n{rest}"
    first = nbformat.v4.new_code_cell(preamble(path.name, repo, execution_digest),
                                      metadata={"tags": ["remove-cell"]})
    nb.cells.insert(0, first)
    for cell in nb.cells:  # ids are not needed, and nbformat would warn on duplicates
        cell.pop("id", None)
    nb.nbformat_minor = 4
    return nb


def front_page(readme: str, route: str, order: list[Path], repo: str,
               missing: list[str] | None = None) -> str:
    """``index.md``: the README, notebook 00's route after its opening section, and the
    navigation (a hidden table of contents in syllabus order). Links to notebooks that are
    not among the pages become plain text (:func:`unlink_missing`)."""
    existing = {p.name for p in order}
    missing = [] if missing is None else missing
    readme = unlink_missing(readme, existing, missing, "README.md")
    route = unlink_missing(route, existing, missing, "the route")
    text = readme.replace(PLACEHOLDER, repo)
    # pictures from other sites (the Binder badge) would load from the network: keep the words
    text = re.sub(r"!\[([^\]]*)\]\(https?://[^)]*\)", r"\1", text)

    def relink(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"[a-z]+:|#", target) or NOTEBOOK_LINK.match(f"]({target})"):
            return match.group(0)
        return f"{match.group(1)}(https://github.com/{repo}/blob/{BRANCH}/{target})"

    # other files of the repository (LICENSE, ...) are on GitHub, not on the site
    text = re.sub(r"(\[[^\]]*\])\(([^)\s]+)\)", relink, text)
    route = NOTEBOOK_LINK.sub(lambda m: f"](notebooks/{m.group(1)})", route)
    route = re.sub(r"^## (\d+\.\s*)?", "## ", route, count=1)
    first, sep, after = text.partition("\n## ")
    toc = "\n".join(f"notebooks/{p.stem}" for p in order)
    return (f"{first.rstrip()}\n\n{route.strip()}\n\n{sep.strip()} {after}".rstrip()
            + f"\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\n```\n")


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it (Sphinx rebuilds pages by mtime)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def mathjax_dir() -> Path:
    """MathJax 3's browser build (es5) inside the installed django-static-mathjax package."""
    import mathjax  # the django-static-mathjax distribution's package

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def copy_mathjax(dest: Path) -> str:
    """Copy the parts of MathJax a page loads (tex-chtml and what it loads on demand)."""
    src = mathjax_dir()
    version = json.loads((src.parent / "package.json").read_text())["version"]
    stamp = BUILD / "mathjax.version"  # outside the folders copied into the site
    if stamp.exists() and stamp.read_text() == version and (dest / "tex-chtml.js").exists():
        return version
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(src / "tex-chtml.js", dest / "tex-chtml.js")
    for sub in ("input", "output", "ui", "a11y", "adaptors", "sre"):
        shutil.copytree(src / sub, dest / sub)
    shutil.copy2(src.parent / "LICENSE", dest / "LICENSE")
    stamp.write_text(version)
    return version


def prepare(repo: str, order: list[Path], readme: str, route: str, log=print) -> list[Path]:
    """Write the sources, the downloads and MathJax under ``build/site``; return the copies."""
    import nbformat

    src = BUILD / "src"
    execution_digest = _digest(EXECUTION_GLOBS, extra=execution_code())
    existing, missing = {p.name for p in order}, []
    copies = []
    for path in order:
        copy = src / "notebooks" / path.name
        nb = site_copy(path, repo, execution_digest, existing, missing)
        _write_if_changed(copy, nbformat.writes(nb) + "\n")
        copies.append(copy)
    for stale in (src / "notebooks").glob("*.ipynb"):
        if stale not in copies:
            stale.unlink()
    _write_if_changed(src / "index.md", front_page(readme, route, order, repo, missing))
    if missing:
        log("links to notebooks not in notebooks/ yet, shown as plain text: "
            + "; ".join(dict.fromkeys(missing)))
    extra = BUILD / "extra" / "notebooks"
    shutil.rmtree(extra, ignore_errors=True)
    extra.mkdir(parents=True)
    for path in order:
        shutil.copy2(path, extra / path.name)
    mathjax = copy_mathjax(BUILD / "mathjax_static" / "mathjax")
    settings = {"repo": repo, "branch": BRANCH, "pages": [p.name for p in order],
                "mathjax": mathjax}
    _write_if_changed(BUILD / "settings.json", json.dumps(settings, indent=1))
    return copies


# -- 3. execution --------------------------------------------------------------------------------

def _quiet_worker(log_path: str) -> None:
    """Send a worker's stderr (the kernels' start-up chatter) to ``log_path``."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _execute(path_str: str) -> tuple[str, str | None, float, float, str | None]:
    """Run one site copy in a fresh kernel (in a worker process).

    Returns (path, executed notebook as JSON or None, wall seconds, CPU seconds of the kernel
    and this worker, error or None).
    """
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    def cpu() -> float:
        try:
            import resource
        except ImportError:  # Windows: no rusage of children
            return float("nan")
        return sum(getattr(resource.getrusage(who), f) for who in
                   (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for f in ("ru_utime", "ru_stime"))

    path = Path(path_str)
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("MPLBACKEND", None)  # the kernel takes %matplotlib inline, not Agg
    cpu0 = cpu()
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=CELL_TIMEOUT_S,
                                 allow_errors=False)
    cpu_s = cpu() - cpu0
    if result.err is not None:
        return path_str, None, result.time, cpu_s, result.exc_string or str(result.err)
    return path_str, nbformat.writes(offline_outputs(result.nb)), result.time, cpu_s, None


#: a stylesheet from another site in an HTML output: matplotlib's animation HTML (notebook 06)
#: links Font Awesome 4 from a CDN for its buttons; the theme bundles Font Awesome already
REMOTE_STYLESHEET = re.compile(r"<link\b[^>]*\bhref=[\"']?https?://[^>]*>\s*", re.I)
#: anything else in an output that a browser would fetch from another site
REMOTE_RESOURCE = re.compile(r"<(?:script|img|iframe|link|source)\b[^>]*\b(?:src|href)=[\"']?"
                             r"(?:https?:)?//|url\(\s*[\"']?(?:https?:)?//", re.I)


def offline_outputs(nb):
    """``nb`` without what would make its page reach the network: the widget state (MyST-NB
    would load the widget manager from a CDN for it, and no widget is shown) and remote
    stylesheets in HTML outputs."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                data["text/html"] = REMOTE_STYLESHEET.sub("", data["text/html"])
    return nb


def execute(copies: list[Path], jobs: int, log=print) -> dict[str, float | None]:
    """Execute the copies the cache does not hold yet, ``jobs`` at a time, into the cache.

    Returns seconds per notebook (None: taken from the cache). Raises RuntimeError naming
    every notebook that failed, with its traceback.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(BUILD / "jupyter_cache"))
    todo, seconds = [], {}
    for copy in copies:
        try:
            cache.match_cache_notebook(nbformat.read(copy, as_version=4))
            seconds[copy.name] = None
        except KeyError:
            todo.append(copy)
    if todo:
        log(f"executing {len(todo)} notebook(s), {jobs} at a time: "
            + ", ".join(p.name[:2] for p in todo))
    failures = []
    log_path = BUILD / "kernels.log"
    log_path.write_text("")
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs),
                                                initializer=_quiet_worker,
                                                initargs=(str(log_path),)) as pool:
        for path_str, text, secs, cpu_s, error in pool.map(_execute, [str(p) for p in todo]):
            name = Path(path_str).name
            if error:
                failures.append(f"{name} failed after {secs:.0f} s:\n{error}")
                log(f"  {name}: FAILED")
                continue
            seconds[name] = secs
            os.utime(path_str)  # new outputs: Sphinx must read this page again
            nb = nbformat.reads(text, as_version=4)
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, path_str, data={"execution_seconds": secs,
                                                  "cpu_seconds": cpu_s}),
                check_validity=True, overwrite=True)
            log(f"  {name}: {secs:.1f} s ({cpu_s:.1f} s CPU)")
    if failures:
        raise RuntimeError("\n\n".join(failures))
    return seconds


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def cached_outputs(copy: Path):
    """The executed site copy of a notebook, outputs merged from the cache."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(BUILD / "jupyter_cache"))
    return cache.merge_match_into_notebook(nbformat.read(copy, as_version=4))[1]


def check_outputs(copies: list[Path]) -> None:
    """Fail when a page would show a widget (a static page cannot) or a traceback."""
    problems = []
    for copy in copies:
        nb = cached_outputs(copy)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if WIDGET_MIME in out.get("data", {}):
                    problems.append(f"{copy.name} cell {i}: a widget output, which a static "
                                    "page cannot show (is it an Explorer?)")
                if out.get("output_type") == "error":
                    problems.append(f"{copy.name} cell {i}: {out.get('ename')}")
                remote = REMOTE_RESOURCE.search(out.get("data", {}).get("text/html", ""))
                if remote:
                    problems.append(f"{copy.name} cell {i}: an HTML output loads "
                                    f"{remote.group(0)!r}… from another site")
        if "widgets" in nb.metadata:
            problems.append(f"{copy.name}: widget state in the metadata")
    if problems:
        raise RuntimeError("\n".join(problems))


# -- 4. Sphinx -----------------------------------------------------------------------------------

def sphinx(out: Path, jobs: int) -> None:
    """Render the sources into ``build/site/html`` (kept, so the next build only rewrites
    what changed; MyST-NB writes its files beside it), then copy that to ``out``."""
    from sphinx.cmd.build import build_main

    html_dir = BUILD / "html"
    args = ["-b", "html", "-c", str(WEBSITE), "-d", str(BUILD / "doctrees"), "-W",
            "--keep-going", "-q", "-j", str(max(1, jobs)), str(BUILD / "src"), str(html_dir)]
    if build_main(args) != 0:
        raise RuntimeError("sphinx-build failed (warnings count as errors): see above")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(html_dir, out)


# -- main ----------------------------------------------------------------------------------------

def build(repo: str, out: Path = OUT, jobs: int = 2, log=print) -> dict:
    """Build the whole site into ``out``; return what ``site-build.json`` records."""
    import nbformat

    started, cpu0 = time.perf_counter(), _cpu_seconds()
    readme = README.read_text(encoding="utf-8")
    notebooks = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise RuntimeError(f"no notebooks in {NOTEBOOK_DIR}")
    route = route_markdown(notebooks[0]) if notebooks[0].name.startswith("00_") else ""
    if not route:
        raise RuntimeError("notebook 00 has no '## … route' section for the front page")
    order = page_order(notebooks, readme, route)
    unlisted = [p.name for p in order if p.name not in syllabus(readme)]
    if unlisted:
        log(f"not in the README's syllabus table (placed after it): {', '.join(unlisted)}")
    digest = inputs_digest()
    copies = prepare(repo, order, readme, route, log)
    t_exec = time.perf_counter()
    seconds = execute(copies, jobs, log)
    t_exec = time.perf_counter() - t_exec
    check_outputs(copies)
    for copy in copies:  # reuse nbformat's validation before Sphinx reads the copies
        nbformat.validate(nbformat.read(copy, as_version=4))
    t_sphinx = time.perf_counter()
    sphinx(out, jobs)
    t_sphinx = time.perf_counter() - t_sphinx
    settings = json.loads((BUILD / "settings.json").read_text(encoding="utf-8"))
    info = {**settings, "inputs_digest": digest,
            "execution_seconds": seconds,
            "wall_seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(_cpu_seconds() - cpu0, 1)}
    (out / "site-build.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    ran = [s for s in seconds.values() if s is not None]
    log(f"site built in {out}: {len(order)} notebook pages, {len(ran)} executed, "
        f"{len(order) - len(ran)} from the cache; {info['wall_seconds']:.0f} s wall "
        f"(executing {t_exec:.0f} s, Sphinx {t_sphinx:.0f} s), {info['cpu_seconds']:.0f} s CPU")
    return info


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (kernels, workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY") or PLACEHOLDER,
                        help="OWNER/REPO for the Binder and GitHub links "
                             "(default: $GITHUB_REPOSITORY, else the placeholder OWNER/REPO)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default _site)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="notebooks executed at once, and Sphinx's processes (default 2)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
        parser.error(f"--repo must look like OWNER/REPO; got {args.repo!r}")
    try:
        build(args.repo, args.out, args.jobs)
    except RuntimeError as err:
        print(f"website build failed:\n{err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
