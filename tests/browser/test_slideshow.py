"""Every notebook presented as a jupyterlab-rise slideshow, the way an instructor does it:
Run All in JupyterLab, then open the RISE view (the page behind "Open as Reveal Slideshow").

The RISE page connects to the notebook's running kernel; its widgets must come back as live
controls, not as their text repr. That is exactly what breaks with jupyterlab_widgets >= 3.0.11
(jupyterlab-contrib/rise issues #119 and #126), which is why requirements.txt holds 3.0.10.
Math must render in the slides too (MathJax output, no TeX errors).
"""

from __future__ import annotations

import re
import time

import pytest
from _lab import (
    NOTEBOOKS,
    PROBE_JS,
    WIDGET_TEXT_RE,
    has_widgets,
    markdown_has_math,
    notebook_ids,
    wait_figure_drawn,
    wait_picture_change,
)

pytestmark = pytest.mark.browser

RISE_STATE_JS = r"""
() => ({
  sections: document.querySelectorAll('.reveal .slides section').length,
  math: document.querySelectorAll('.reveal mjx-container').length,
  mathErrors: document.querySelectorAll('.reveal mjx-merror').length,
  outputs: Array.from(document.querySelectorAll('.reveal .jp-OutputArea-output')).map(el => ({
    widget: el.querySelector('.jupyter-widgets') !== null,
    text: el.innerText.slice(0, 300),
  })),
})
"""

def n_widget_outputs(state) -> int:
    return sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for c in state["cells"] for o in c["outputs"])


def open_slideshow(context, lab, relpath, n_widgets, timeout_s=60):
    rise = context.new_page()
    rise.goto(lab.rise_url(relpath))
    rise.wait_for_selector(".reveal .slides section", state="attached")
    deadline = time.monotonic() + timeout_s
    while True:  # widgets arrive from the kernel after the slides are built
        state = rise.evaluate(RISE_STATE_JS)
        live = sum(o["widget"] and "Loading widget" not in o["text"] for o in state["outputs"])
        if live >= n_widgets or time.monotonic() > deadline:
            return rise, state
        time.sleep(0.5)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids)
def test_slideshow_has_live_widgets_and_math(path, context, executed, lab):
    relpath = f"notebooks/{path.name}"
    notebook = context.new_page()
    ran = executed(notebook, relpath)  # Run All + save, as the instructor would before class
    n_widgets = n_widget_outputs(ran)

    rise, state = open_slideshow(context, lab, relpath, n_widgets)
    as_text = [o["text"][:100] for o in state["outputs"]
               if not o["widget"] and re.search(WIDGET_TEXT_RE, o["text"])]
    assert not as_text, f"widgets shown as plain text in the slideshow: {as_text}"
    broken = [o["text"][:300] for o in state["outputs"] if "Error displaying widget" in o["text"]]
    assert not broken, f"widgets failed in the slideshow: {broken}"
    live = sum(o["widget"] for o in state["outputs"])
    assert live >= n_widgets, f"{n_widgets} widget outputs, {live} live in the slideshow"
    if markdown_has_math(path):
        assert state["math"] > 0, "the notebook has TeX but the slides show no MathJax output"
    assert state["mathErrors"] == 0, f"{state['mathErrors']} TeX error(s) in the slides"

    if has_widgets(path) and n_widgets:
        assert_slider_moves_picture_in_slides(rise)


def assert_slider_moves_picture_in_slides(rise):
    """Go to the slide of the first figure with a slider and drag it with the mouse (in a
    slideshow the arrow keys belong to reveal.js and change slides)."""
    explorer = (rise.locator(".reveal .jp-OutputArea-output")
                .filter(has=rise.locator(".widget-slider .noUi-target"))
                .filter(has=rise.locator(".jupyter-matplotlib-canvas-div canvas")).first)
    section = explorer.evaluate("el => el.closest('section[id]') && el.closest('section[id]').id")
    assert section, "the figure is not inside a slide"
    rise.evaluate(f"location.hash = '#/{section}'")
    rise.wait_for_function(
        f"() => document.getElementById({section!r}).classList.contains('present')")
    track = explorer.locator(".widget-slider .noUi-target").first
    canvas = explorer.locator(".jupyter-matplotlib-canvas-div canvas").first
    track.scroll_into_view_if_needed()  # long slides scroll (RISE setting "scroll": true)
    box = track.bounding_box()
    assert box and box["width"] > 0, "the slider is not visible on its slide"
    assert wait_figure_drawn(rise, canvas), "the figure is blank in the slideshow"
    for fraction in (0.8, 0.2):  # one of the two is away from the current value
        canvas.evaluate(PROBE_JS)
        # a locator click waits until the slide's transition has stopped moving the slider
        track.click(position={"x": fraction * box["width"], "y": box["height"] / 2})
        if wait_picture_change(rise) is not None:
            return
    pytest.fail("clicking the slider in the slideshow did not change the picture")
