"""Set-up for the real-browser tests: Debian's Chromium, a throw-away JupyterLab, and a report
of the measured slider-to-picture times at the end of the pytest run.

The lab serves a temporary copy of ``notebooks/`` (so running cells never writes outputs into
the repository) on 127.0.0.1 with a fresh random token, and clean settings and workspace dirs.
Set ``PG_BROWSER_NOTEBOOKS=/some/dir`` to run the tests against another folder of notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path

import pytest
from _lab import (
    NOTEBOOK_DIR,
    SLIDER_GOAL_MS,
    ChromiumUnavailable,
    Lab,
    ensure_chromium,
    launch_browser,
    open_notebook,
    run_all,
    wait_for_widgets,
)

_REPORT = pytest.StashKey[list]()
_STARTED = pytest.StashKey[float]()


@pytest.fixture(scope="session")
def report(pytestconfig):
    """Append lines (or slider-timing dicts) here to have them printed in pytest's terminal
    summary, whether or not pytest captures output."""
    return pytestconfig.stash.setdefault(_REPORT, [])


@pytest.fixture(scope="session", autouse=True)
def chromium_path() -> str:
    """Every browser test needs Chromium: skip them all, first and with the reason, where it
    is missing and cannot be installed (Windows, macOS, a Linux without apt-get or root)."""
    try:
        return ensure_chromium()
    except ChromiumUnavailable as err:
        pytest.skip(str(err))
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="session")
def lab(tmp_path_factory, pytestconfig):
    """JupyterLab on 127.0.0.1:<free port> with token auth, serving a copy of the notebooks."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    shutil.copytree(NOTEBOOK_DIR, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    pytestconfig.stash[_STARTED] = time.monotonic()
    server = Lab(root, home).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright, chromium_path)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def executed(lab):
    """``executed(page, 'notebooks/NN_x.ipynb')`` opens the notebook in JupyterLab; the first
    time, it also runs all cells and saves (so the slideshow sees the outputs); later calls
    reconnect to the same live kernel. Returns the notebook's state after Run All."""
    runs: dict[str, dict] = {}

    def run(page, relpath: str) -> dict:
        open_notebook(page, lab, relpath)
        if relpath not in runs:
            started = time.monotonic()
            state = run_all(page)
            state = wait_for_widgets(page)
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            state["seconds"] = time.monotonic() - started
            runs[relpath] = state
        else:
            wait_for_widgets(page)
        return runs[relpath]

    return run


#: the kernel-side goal per slider change (benchmarks/widgets.py has the same)
KERNEL_GOAL_MS = 40
HELLO = "WidgetCheck"  # notebook 00's widget: the machine-independent unit of the ratios


def _median(xs):
    return statistics.median(xs) if xs else float("nan")


def slider_table(rows) -> list[str]:
    """One line per explorer: browser and kernel medians before/after and × the hello widget's
    median before (run 00 in the same session to get the ratios)."""
    hello = next((r for r in rows if r["explorer"] == HELLO and r["browser"]["before"]), None)
    unit_b = _median(hello["browser"]["before"]) if hello else float("nan")
    unit_k = _median(hello["kernel"]["before"]) if hello else float("nan")
    out = [f"{'explorer':<34} {'browser ms: before':>18} {'after':>6} {'×hello':>6}   "
           f"{'kernel ms: before':>17} {'after':>6} {'×hello':>6}  presses  verdict"]
    for r in rows:
        b0, b1 = _median(r["browser"]["before"]), _median(r["browser"]["after"])
        k0, k1 = _median(r["kernel"]["before"]), _median(r["kernel"]["after"])
        ok = b1 <= SLIDER_GOAL_MS and not k1 > KERNEL_GOAL_MS
        verdict = "ok" if ok else (f"OVER GOAL (browser <= {SLIDER_GOAL_MS} ms, "
                                   f"kernel <= {KERNEL_GOAL_MS} ms)")
        name = f"{r['notebook'][:2]} {r['explorer']} (figure {r['figure']})"
        out.append(f"{name:<34} {b0:18.0f} {b1:6.0f} {b1 / unit_b:6.2f}   {k0:17.1f} {k1:6.1f} "
                   f"{k1 / unit_k:6.2f}  {len(r['browser']['after']):>7}  {verdict}")
    if hello:
        out.append(f"×hello: the median after / {HELLO}'s median before ({unit_b:.0f} ms in the "
                   f"browser, {unit_k:.1f} ms in the kernel), the machine-independent figure")
    return out


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(_REPORT, [])
    if not lines:
        return
    tr = terminalreporter
    tr.section("browser tests: measured in Chromium")
    rows = [x for x in lines if isinstance(x, dict)]
    for line in lines:
        if not isinstance(line, dict):
            tr.write_line(str(line))
    if rows:
        tr.write_line("slider-to-picture, median per explorer; before = Explorer.fast_redraw off "
                      "(a full redraw per change), after = on")
        for line in slider_table(rows):
            tr.write_line(line)
    if _STARTED in config.stash:
        tr.write_line(f"browser tests took {time.monotonic() - config.stash[_STARTED]:.0f} s "
                      "from JupyterLab start")
    if os.environ.get("PG_BROWSER_RESULTS"):  # e.g. for a CI artefact
        out = Path(os.environ["PG_BROWSER_RESULTS"])
        out.write_text(json.dumps(rows, indent=1))
        tr.write_line(f"slider timings written to {out}")
