"""The website's build (``website/build_site.py``) without building: pages in syllabus order for any
number of notebooks, the static copies of the notebooks, the front page, the set-up files.

Fast; runs with the unit tests. ``tests/browser/test_site.py`` checks the built site.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from test_repo_config import make_dry_run, pins

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "website"))
import build_site as build  # noqa: E402  (website/build_site.py)
import static_explorers  # noqa: E402

NOTEBOOKS = sorted(build.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: the reading route the course plans: 10 is an optional branch after 06, 11 before 09
ROUTE = ["00_a", "01_b", "02_c", "03_d", "04_e", "05_f", "06_g", "10_h", "07_i", "08_j", "11_k",
         "09_l", "12_m"]


def readme_with(names: list[str]) -> str:
    rows = "\n".join(f"| {n[:2]} | [T {n}](notebooks/{n}.ipynb) | q |" for n in names)
    return (f"# Course\n\nIntro.\n\n## Quick start\n\n[00](notebooks/{names[-1]}.ipynb) is "
            "linked before the table.\n\n## Syllabus\n\n| # | notebook | question |\n"
            f"|---|---|---|\n{rows}\n\n## Open in Binder\n\n"
            f"| 00 | [x](notebooks/{names[0]}.ipynb) |\n")


def test_syllabus_reads_the_table_rows_in_order():
    assert build.syllabus(readme_with(ROUTE)) == [f"{n}.ipynb" for n in ROUTE]


def test_the_readme_syllabus_links_only_notebooks_that_exist():
    listed = build.syllabus(build.README.read_text(encoding="utf-8"))
    assert listed, "the README's syllabus table links no notebook"
    assert set(listed) <= {p.name for p in NOTEBOOKS}


def test_page_order_follows_the_syllabus_then_the_route_then_numbers(tmp_path):
    paths = [tmp_path / f"{n}.ipynb" for n in sorted(ROUTE)]
    readme = readme_with(ROUTE[:7])  # the README lists 00-06 only
    route = "## 1. The route\n\n" + "\n".join(f"| [x]({n}.ipynb) |" for n in ROUTE[:10])
    order = [p.stem for p in build.page_order(paths, readme, route)]
    assert order == ROUTE[:10] + ["09_l", "11_k", "12_m"]
    assert [p.stem for p in build.page_order(paths, readme_with(ROUTE), "")] == ROUTE


def test_binder_url_is_the_readme_pattern():
    readme = build.README.read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        url = build.binder_url(build.PLACEHOLDER, path.name)
        if path.name in build.syllabus(readme):
            assert f"({url})" in readme, f"README's Binder link for {path.name} differs: {url}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_site_copy_makes_a_static_page(path):
    original = nbformat.read(path, as_version=4)
    copy = build.site_copy(path, "me/course", "0" * 64)
    first = copy.cells[0]
    assert first.cell_type == "code" and first.metadata["tags"] == ["remove-cell"]
    assert "%matplotlib inline" in first.source and "install(" in first.source
    assert "https://mybinder.org/v2/gh/me/course/main?urlpath=lab/tree/notebooks/" \
           f"{path.name}" in first.source
    assert len(copy.cells) == len(original.cells) + 1
    assert not any("%matplotlib widget" in c.source for c in copy.cells if c.cell_type == "code")
    title = copy.cells[1].source
    assert title.splitlines()[0] == original.cells[0].source.splitlines()[0]
    assert f'href="{path.name}" download' in title and 'class="pg-binder"' in title
    for before, after in zip(original.cells, copy.cells[1:], strict=True):
        tags = before.metadata.get("tags", [])
        if "solution" in tags and before.cell_type == "code":
            assert "hide-cell" in after.metadata["tags"]
            assert after.metadata["mystnb"]["code_prompt_show"] == "Show solution"
        if before.metadata.get("slideshow", {}).get("slide_type") == "skip":
            assert "remove-cell" in after.metadata["tags"]
        if before is not original.cells[0] and "solution" not in tags:
            expected = build.unlink_missing(before.source, {p.name for p in NOTEBOOKS}, [],
                                            "") if before.cell_type == "markdown" else \
                before.source.replace("%matplotlib widget", "%matplotlib inline")
            assert after.source == expected
    # a change to helpers/ must change what the execution cache keys on: the code cells
    other = build.site_copy(path, "me/course", "1" * 64)
    assert other.cells[0].source != first.source


def test_a_markdown_solution_sketch_is_folded(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 99 · Title\n\nOverview."),
        nbformat.v4.new_markdown_cell("### Explore — a question"),
        nbformat.v4.new_markdown_cell("The sketch: $x$ grows.",
                                      metadata={"tags": ["solution"],
                                                "jupyter": {"source_hidden": True}})])
    path = tmp_path / "99_title.ipynb"
    nbformat.write(nb, path)
    sketch = build.site_copy(path, "me/course", "0" * 64).cells[-1].source
    assert sketch.startswith('<details class="pg-solution">\n<summary>Show solution</summary>')
    assert "The sketch: $x$ grows." in sketch and sketch.endswith("</details>")


def test_front_page_is_the_readme_with_the_route_and_the_navigation():
    readme = build.README.read_text(encoding="utf-8")
    route = build.route_markdown(NOTEBOOKS[0])
    order = build.page_order(NOTEBOOKS, readme, route)
    page = build.front_page(readme, route, order, "me/course")
    assert page.startswith(readme.split("\n## ", 1)[0].replace(build.PLACEHOLDER, "me/course"))
    assert "## The route" in page or "## the route" in page.lower()
    assert page.index("route") < page.index("## Quick start")
    toc = page.split("```{toctree}", 1)[1]
    assert [ln for ln in toc.splitlines() if ln.startswith("notebooks/")] == \
           [f"notebooks/{p.stem}" for p in order]
    assert "OWNER/REPO" not in page and "badge_logo.svg" not in page
    assert "](https://github.com/me/course/blob/main/LICENSE)" in page
    # the route's links, relative to notebooks/ in notebook 00, now start from the front page;
    # a notebook not written yet is named without a link
    for name in build.NOTEBOOK_LINK.findall(route):
        linked = f"](notebooks/{name})" in page
        assert linked == (build.NOTEBOOK_DIR / name).exists(), name


def test_remote_stylesheets_leave_html_outputs_and_other_remote_resources_are_caught():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": (
            '<link rel="stylesheet" href="https://maxcdn.example/font-awesome.min.css">\n'
            '<div class="animation"><img id="_anim_img"></div>')})])],
        metadata={"widgets": {"state": {}}})
    clean = build.offline_outputs(nb)
    html = clean.cells[0].outputs[0].data["text/html"]
    assert "maxcdn" not in html and "_anim_img" in html and "widgets" not in clean.metadata
    assert build.REMOTE_RESOURCE.search('<script src="https://cdn.example/x.js">')
    assert build.REMOTE_RESOURCE.search("<style>@font-face{src:url(//cdn.example/f.woff)}")
    assert not build.REMOTE_RESOURCE.search('<a href="https://mybinder.org/v2/gh/x">Binder</a>')


def test_explorer_note_names_the_settings():
    import ipywidgets as W

    box = W.VBox([W.HBox([W.FloatSlider(value=0.25, description="θ"),
                          W.IntSlider(value=20, description="m")]),
                  W.Checkbox(value=True, description="baseline"), W.HTML("x")])
    assert static_explorers._settings(box) == ["θ = 0.25", "m = 20", "baseline: on"]


def test_make_site_installs_its_own_pins_after_the_learner_list():
    site = make_dry_run("site")
    assert site.index("-r requirements.txt") < site.index("-r requirements-site.txt")
    assert "pip check" in site and "website/build_site.py" in site
    assert "requirements-site.txt" not in make_dry_run("lab")
    assert "-r requirements-site.txt" in make_dry_run("test")
    learner, builder = pins("requirements.txt"), pins("requirements-site.txt")
    assert not set(learner) & set(builder), "a package pinned in both files"
    for tool in ("sphinx", "myst-nb", "jupyter-cache", "sphinx-book-theme",
                 "django-static-mathjax"):
        assert tool in builder


def test_the_publishing_workflow_deploys_what_make_site_builds():
    import yaml

    flow = yaml.safe_load((ROOT / ".github/workflows/site.yml").read_text())
    build_steps = flow["jobs"]["build"]["steps"]
    assert any(s.get("run") == "make site" for s in build_steps)
    upload = next(s for s in build_steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_site"
    deploy = flow["jobs"]["deploy"]
    assert any("actions/deploy-pages" in s.get("uses", "") for s in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_readme_gives_the_site_address_with_the_binder_placeholder():
    readme = build.README.read_text(encoding="utf-8")
    assert "https://OWNER.github.io/REPO/" in readme and "make site" in readme
    assert "make student" in readme


def test_every_input_pattern_names_files():
    """A renamed file must not drop out of the digests silently (a stale site or cache)."""
    for pattern in {*build.INPUT_GLOBS, *build.EXECUTION_GLOBS}:
        assert any(p.is_file() for p in ROOT.glob(pattern)), pattern


def test_widgets_display_as_a_note_with_the_binder_link():
    """In the build's kernel: an explorer shows its picture and the note, any other widget
    the note alone (a static page cannot show a widget)."""
    import ipywidgets as W
    from IPython.core.interactiveshell import InteractiveShell

    from helpers.widgets.common import Explorer

    saved = W.Widget._repr_mimebundle_, Explorer._ipython_display_
    try:
        static_explorers.install("https://mybinder.org/v2/gh/me/course/main?urlpath=x")
        bundle = W.IntSlider(description="m")._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" not in bundle
        assert 'class="pg-explorer-note"' in bundle["text/html"]
        assert 'href="https://mybinder.org/v2/gh/me/course/main?urlpath=x"' in bundle["text/html"]
        formatted, _ = InteractiveShell.instance().display_formatter.format(W.Button())
        assert "application/vnd.jupyter.widget-view+json" not in formatted
    finally:
        W.Widget._repr_mimebundle_, Explorer._ipython_display_ = saved


def test_a_notebook_that_raises_fails_the_build_with_its_traceback(tmp_path, monkeypatch):
    pytest.importorskip("jupyter_cache", reason="the site's builder is not installed: make site")
    monkeypatch.setattr(build, "BUILD", tmp_path)
    good, bad = tmp_path / "src" / "00_good.ipynb", tmp_path / "src" / "01_bad.ipynb"
    good.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), good)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "raise ValueError('the claim no longer holds')")]), bad)
    with pytest.raises(RuntimeError, match=r"01_bad\.ipynb failed(.|\n)*the claim no longer"):
        build.execute([good, bad], jobs=2, log=lambda *_: None)
    # the good one was cached: a second build does not run it again
    assert build.execute([good], jobs=1, log=lambda *_: None) == {"00_good.ipynb": None}


def test_links_to_notebooks_not_written_yet_become_plain_text(tmp_path):
    """The route may name a planned notebook; its link becomes text, not a broken link."""
    missing = []
    text = build.unlink_missing(
        "| 10 | [Continuous actions](10_later.ipynb) (optional) | ... |\n"
        "see [notebook 01](01_here.ipynb#2-the-derivation) and [it](notebooks/01_here.ipynb)",
        {"01_here.ipynb"}, missing, "00")
    assert "| 10 | Continuous actions (not yet published) (optional) |" in text
    assert "[notebook 01](01_here.ipynb#2-the-derivation)" in text
    assert "[it](notebooks/01_here.ipynb)" in text
    assert missing == ["00 → 10_later.ipynb"]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 98 · T\n\nNext: [PPO](11_ppo.ipynb).")])
    path = tmp_path / "98_t.ipynb"
    nbformat.write(nb, path)
    copy = build.site_copy(path, "me/course", "0" * 64, {"98_t.ipynb"}, missing)
    assert copy.cells[1].source.endswith("Next: PPO (not yet published).")
    assert missing[-1] == "98_t.ipynb → 11_ppo.ipynb"
