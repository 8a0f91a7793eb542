"""Every notebook, the way a learner meets it: opened in JupyterLab in a real Chromium, Run All,
and looked at. Widget notebooks are also driven with the keyboard and timed.

What fails a notebook: an error output or a traceback, "Error displaying widget", a widget that
did not render, or one shown as plain text (``IntSlider(value=...)``), a figure left blank, TeX
that does not typeset - and, for notebooks with live figures, a slider whose key press never
changes the picture.
"""

from __future__ import annotations

import statistics

import pytest
from _lab import (
    NOTEBOOKS,
    blank_figures,
    has_widgets,
    markdown_has_math,
    notebook_ids,
    press_and_time,
    problems,
    wait_figure_drawn,
    wait_kernel_idle,
)

pytestmark = pytest.mark.browser

#: key presses timed per figure; the report gives the median over all of a notebook's presses
PRESSES = 5
#: at most this many figures are timed per notebook (keeps CI time bounded)
MAX_FIGURES = 6

#: an output holding an ipympl figure and at least one slider: an explorer
EXPLORER = ".jp-OutputArea-output"
SLIDER_HANDLE = ".widget-slider .noUi-handle"
FIGURE_CANVAS = ".jupyter-matplotlib-canvas-div canvas >> nth=0"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids)
def test_run_all_shows_no_errors_and_live_widgets(path, context, executed, report):
    page = context.new_page()
    state = executed(page, f"notebooks/{path.name}")
    report.append(f"{path.stem}: Run All took {state['seconds']:.1f} s in the browser")
    assert not problems(state), "\n".join(problems(state))
    # every figure shows a picture in the page where Run All ran (not only after a reload)
    blank = blank_figures(page)
    assert not blank, f"figures {blank} (0 = first figure in the notebook) stay blank after Run All"
    assert all(c["count"] is not None for c in state["cells"]), "some cells did not run"
    # JupyterLab 4 typesets with its own MathJax 3; jupyterlab-rise also pulls in the JupyterLab 3
    # @jupyterlab/mathjax3-extension, which `jupyter labextension list` flags as incompatible.
    if markdown_has_math(path):
        assert state["math"] > 0, "the notebook has TeX but JupyterLab shows no MathJax output"
    assert state["mathErrors"] == 0, f"{state['mathErrors']} TeX error(s) in the notebook"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if has_widgets(p)], ids=notebook_ids)
def test_slider_changes_picture_quickly(path, context, executed, report):
    page = context.new_page()
    executed(page, f"notebooks/{path.name}")
    explorers = (page.locator(EXPLORER)
                 .filter(has=page.locator(SLIDER_HANDLE))
                 .filter(has=page.locator(".jupyter-matplotlib-canvas-div canvas")))
    n = explorers.count()
    assert n > 0, "a widget notebook should show at least one figure driven by a slider"

    times, stuck = [], []
    for i in range(min(n, MAX_FIGURES)):
        explorer = explorers.nth(i)
        canvas = explorer.locator(FIGURE_CANVAS)
        assert wait_figure_drawn(page, canvas), f"figure {i} stays blank: nothing to time"
        handles = explorer.locator(SLIDER_HANDLE)
        for j in range(handles.count()):  # the first slider that moves this picture
            handle = handles.nth(j)
            first = press_and_time(page, handle, canvas)
            wait_kernel_idle(page)
            if first is not None:
                times.append(first)
                for _ in range(PRESSES - 1):
                    ms = press_and_time(page, handle, canvas)
                    wait_kernel_idle(page)
                    assert ms is not None, f"figure {i}: a key press stopped changing the picture"
                    times.append(ms)
                break
        else:
            stuck.append(i)
    assert not stuck, f"figure(s) {stuck}: no slider's arrow key changed the picture"
    report.append({"notebook": path.stem, "explorers": min(n, MAX_FIGURES), "ms": times})
    # the goal (<= 100 ms) is reported, not asserted: CI machines are shared and noisy
    median = statistics.median(times)
    assert median < 2000, f"slider-to-picture median {median:.0f} ms: the figure barely responds"
