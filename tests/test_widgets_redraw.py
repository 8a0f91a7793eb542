"""The Explorer's fast redraw (issue 11) shows exactly the picture a full redraw shows.

Each explorer is built twice, one with ``fast_redraw`` off (a full draw per change, as before)
and one with it on (blitting what changed over a cached background). Both get the same control
changes, including ones that move limits and ticks, add or remove artists, hide lines and press
buttons; after each change their pixel buffers must be equal, byte for byte. Headless, the
canvas is plain Agg, so the tests mark the explorers as if a browser showed them: then
``refresh()`` renders the picture itself, as it does with ipympl in a notebook.
"""

from dataclasses import replace

import ipywidgets as W
import numpy as np
import pytest

from helpers import reinforce
from helpers.widgets.advantage_explorer import AdvantageExplorer
from helpers.widgets.bug_explorer import BugExplorer
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.gradient_cloud import GradientCloudExplorer
from helpers.widgets.group_explorer import GroupExplorer
from helpers.widgets.hello import WidgetCheck
from helpers.widgets.kl_explorer import OptimumExplorer
from helpers.widgets.lqr_explorer import LQRExplorer
from helpers.widgets.return_tweaker import ReturnTweaker
from helpers.widgets.score_explorer import ScoreExplorer
from helpers.widgets.training_scrubber import TrainingScrubber
from helpers.widgets.trust_region_explorer import TrustRegionExplorer
from helpers.widgets.update_explorer import UpdateExplorer

STATES = [[0, 0, 0, 0], [0, 0, 0.1, 0], [0, 0, -0.1, 0]]


@pytest.fixture(scope="module")
def history():
    return reinforce.train(replace(reinforce.Config(), max_steps=6_000), seed=0)


def pixels(explorer) -> np.ndarray:
    return np.asarray(explorer.fig.canvas.buffer_rgba()).copy()


def shown(explorer, fast: bool):
    """``explorer`` as if its figure were on screen, with the speed-ups on or off."""
    explorer.fast_redraw = fast
    explorer._browser_ready = lambda: True
    explorer.refresh()
    return explorer


def control(explorer, name):
    obj, _, index = name.partition(".")
    c = getattr(explorer, obj)
    return c[int(index)] if index else c


#: explorer factory, then a sequence of (control, value) changes; "click:<button>" presses it
CASES = {
    "hello": (WidgetCheck, [("k", v) for v in (1.5, 2.0, 2.5, 0.0, 10.0, 9.5)]),
    "score": (ScoreExplorer, [("theta", 0.6), ("theta", 0.7), ("m", 1), ("theta", -6.0),
                              ("example", "throw"), ("theta", 6.0), ("m", 5000),
                              ("click:resample", None), ("theta", 0.1)]),
    "update": (UpdateExplorer, [("G", 1.1), ("G", 1.2), ("eta", 1.0), ("a", -2.0),
                                ("policy", "softmax"), ("G", -5.0), ("G", -4.9), ("alpha", 3.0),
                                ("beta", -2.0), ("G", 0.0), ("policy", "unnormalised")]),
    "tweaker": (ReturnTweaker, [("play", 10), ("play", 11), ("play", 12), ("returns.0", 5.0),
                                ("n_actions", 6), ("play", 3), ("n_actions", 2),
                                ("mode", "sampled"), ("baseline", True), ("click:step_button",
                                                                          None),
                                ("n_steps", 200), ("returns.1", -5.0), ("eta", 2.0)]),
    "cloud": (GradientCloudExplorer, [("theta1", 0.25), ("theta1", 0.5), ("theta2", -4.0),
                                      ("m", 1000), ("m", 1), ("click:resample", None),
                                      ("theta1", 4.0)]),
    "advantage": (lambda h: _advantage(h), [("lam", 0.5), ("lam", 0.55), ("lam", 0.0),
                                            ("episode", 1), ("lr", 0.1), ("lam", 1.0)]),
    "bugs": (BugExplorer, [("theta1", -0.75), ("theta1", -0.5), ("estimator", "logit_not_log_prob"),
                           ("m", 10), ("theta2", 2.0), ("estimator", "reward_to_go")]),
    "group": (GroupExplorer, [("lean", -0.25), ("lean", 0.0), ("lean", 0.25), ("m", 4),
                              ("estimator", "rloo"), ("m", 1), ("lean", 4.0), ("m", 16),
                              ("lean", 3.75), ("lean", 3.5)]),
    "lqr": (lambda: LQRExplorer(grid=31), [("gain1", 1.05), ("gain1", 1.1), ("sigma", 2.0),
                                          ("m", 50), ("baseline", True), ("gain1", 4.4),
                                          ("gain1", 1.0), ("click:resample", None),
                                          ("gain2", 0.8), ("sigma", 0.05)]),
    "trust region": (TrustRegionExplorer, [("step", 0.52), ("step", 0.54), ("eps", 0.3),
                                           ("direction", "vanilla"), ("step", 2.0),
                                           ("parameters", "probabilities"), ("step", 4.6),
                                           ("step", 1.0), ("eps", 0.05)]),
    "kl_optimum": (OptimumExplorer, [("beta", 0.3), ("beta", 0.35), ("beta", 0.001),
                                     ("prompt", 0), ("reference", "min_p"), ("beta", 100.0),
                                     ("prompt", 1), ("reference", "start"), ("beta", 0.25)]),
    "scrubber": (lambda h: TrainingScrubber(h, STATES, ["upright", "right", "left"]),
                 [("slider", 0), ("slider", 1), ("slider", 2), ("action", "push left"),
                  ("slider", 3), ("at_steps", 0), ("slider", 1)]),
}


def _advantage(history):
    """Notebook 07's explorer on a few episodes of the short run's policy."""
    policy = reinforce.policy_from(history)
    episodes = reinforce.sample_episodes(policy, 8, seed=0)
    return AdvantageExplorer(policy, episodes[:4], episodes[4:8], rounds=4)


#: cases that are built from the short REINFORCE run
NEEDS_HISTORY = {"scrubber", "advantage"}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_redraw_gives_the_full_redraws_picture(case, history):
    make, changes = CASES[case]
    build = (lambda: make(history)) if case in NEEDS_HISTORY else make
    plain, fast = shown(build(), False), shown(build(), True)
    try:
        assert np.array_equal(pixels(plain), pixels(fast))
        for name, value in changes:
            for e in (plain, fast):
                if name.startswith("click:"):
                    getattr(e, name.removeprefix("click:")).click()
                else:
                    control(e, name).value = value
            assert fast.message.value == plain.message.value
            assert np.array_equal(pixels(plain), pixels(fast)), f"pictures differ after {name}"
        blitter = fast._blitter
        # the fast path really ran: changes were blitted over the cached background
        assert blitter.n_blit >= 2, (blitter.n_full, blitter.n_blit)
        assert not hasattr(plain, "_blitter")
    finally:
        plain.close()
        fast.close()


class _Readout(Explorer):
    """A minimal subclass, written only against the documented API: one line, a readout
    that changes alone, and a second line that appears on request."""

    def __init__(self):
        super().__init__()
        self.a = W.FloatSlider(value=1.0, min=0, max=5)
        self.note = W.Text(value="")
        self.extra = W.Checkbox(value=False)
        self.fig, self.ax = new_figure(figsize=(3, 2))
        (self.line,) = self.ax.plot([0, 1], [0, 1])
        self.ax.set(xlim=(0, 1), ylim=(0, 5))
        self.label = W.HTML()
        self._finish([self.a, self.note, self.extra],
                     W.VBox([self.a, self.note, figure_view(self.fig), self.label]))

    def update(self):
        if self.a.value != getattr(self, "_a", None):   # redraw the line only when a moves
            self.line.set_ydata([0, self.a.value])
            self._a = self.a.value
        self.label.value = self.note.value
        if self.extra.value and len(self.ax.lines) == 1:
            self.ax.plot([0, 1], [1, 0])


def test_no_redraw_when_nothing_in_the_figure_changed():
    e = shown(_Readout(), True)
    try:
        e.a.value = 2.0
        e.a.value = 3.0
        before = pixels(e)
        skipped = e._blitter.n_skipped
        e.note.value = "only the readout"
        assert e._blitter.n_skipped == skipped + 1 and e.label.value == "only the readout"
        assert np.array_equal(before, pixels(e))
        assert not e.fig.stale  # else pyplot's post-execute hook would redraw in the browser
    finally:
        e.close()


def test_an_added_artist_or_an_outside_draw_gives_a_full_redraw():
    plain, fast = shown(_Readout(), False), shown(_Readout(), True)
    try:
        for e in (plain, fast):
            e.a.value = 2.0
            e.a.value = 3.0
        full = fast._blitter.n_full
        for e in (plain, fast):
            e.extra.value = True   # update() adds a line
        assert fast._blitter.n_full == full + 1
        assert np.array_equal(pixels(plain), pixels(fast))
        # someone else draws the figure (ipympl does after a resize): the cache is dropped
        fast.fig.canvas.draw()
        assert fast._blitter.background is None
        for e in (plain, fast):
            e.a.value = 4.0
        assert np.array_equal(pixels(plain), pixels(fast))
    finally:
        plain.close()
        fast.close()


@pytest.fixture
def ipympl_backend():
    """pyplot on ipympl's canvas for one test, as in a notebook with %matplotlib widget."""
    import matplotlib.pyplot as plt

    before = plt.get_backend()
    plt.switch_backend("module://ipympl.backend_nbagg")
    yield
    plt.switch_backend(before)


def test_a_new_browser_view_gets_whole_pictures_for_a_moment(ipympl_backend, monkeypatch):
    """After a view asks for a fresh picture (a new page, a slideshow, a resize), pictures go
    whole for NEW_VIEW_SECONDS, so a page whose whole picture is replaced while loading never
    composites a difference onto nothing; afterwards, differences again (cheap)."""
    import helpers.widgets.blitting as blitting

    clock = [1000.0]
    monkeypatch.setattr(blitting.time, "monotonic", lambda: clock[0])
    e = WidgetCheck()
    canvas = e.fig.canvas
    modes = []
    canvas.syncing_data_url = False       # as once a browser view has said it is ready
    canvas.send = lambda msg, buffers=None: modes.append(canvas._current_image_mode) \
        if "binary" in str(msg) else None
    try:
        canvas.draw()
        e.k.value = 2.0
        assert modes[-1] == "diff"        # the usual case: only what changed
        canvas._handle_custom_msg({"type": "refresh"}, [])
        for value in (3.0, 4.0):
            clock[0] += 0.4 * blitting.NEW_VIEW_SECONDS
            e.k.value = value
            assert modes[-1] == "full"    # within the window: whole pictures
        clock[0] += blitting.NEW_VIEW_SECONDS
        e.k.value = 5.0
        assert modes[-1] == "diff"
        blitting.whole_pictures_for_new_views(canvas)   # installing twice changes nothing
        e.k.value = 6.0
        assert modes[-1] == "diff"
    finally:
        e.close()
