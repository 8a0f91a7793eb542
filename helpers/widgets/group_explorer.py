"""The group explorer of notebook 09 (``09_reinforce_for_language_models``).

One prompt of the toy language model (:mod:`helpers.toy_lm`), "say a", whose difficulty is
set by how strongly the model already leans towards the right answer "a.". A group of m
answers is sampled; the left panel shows the advantage each answer gets from the chosen
estimator (bars: green correct, orange wrong) and the weight each of its tokens gets once
the length factor is applied (black dots: A_i/|y_i| for GRPO, A_i/5 for Dr. GRPO), with the
answers written under their bars. The right panel shows where the *expected* update points,
next to the exact gradient ∇J: its cosine with the steepest way to raise the success rate p
(∇p) and with the steepest way to lengthen the wrong answers (∇E[|y| | wrong]). A cosine is
the rate of change per unit step divided by the fastest possible rate, so both panels keep
fixed axes. "Resample" draws a fresh group.

Every redraw only changes artists' data (bar heights and colours, the dots' positions, the
labels' text, the direction bars' widths); the axis limits change only when the advantages
outgrow them (three fixed heights), titles and legends live in HTML next to the figure.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from helpers import toy_lm as LM
from helpers.plotting import COLORS, ROLE
from helpers.validation import as_finite_scalar, check_count
from helpers.widgets.common import Explorer, figure_view, new_figure

#: the estimators the dropdown offers
CHOICES = ("reinforce", "group_mean", "rloo", "grpo", "dr_grpo")
MAX_M = 16
LEAN_RANGE = (-2.0, 5.0)
#: the left panel's y-axis runs from −top to top, the smallest of these that fits the bars
#: (GRPO's largest advantage is (m − 1)/√m = 3.75 at m = 16), with ticks at 0 and ±tick
HEIGHTS = (1.15, 2.3, 4.3)
TICKS = dict(zip(HEIGHTS, (1, 2, 4), strict=True))
#: the right panel's rows
DIRECTIONS = ("J", "wrong_length")

_KEY = (
    f'<span style="color:{COLORS["green"]}">■</span> advantage A of a correct answer · '
    f'<span style="color:{COLORS["orange"]}">■</span> of a wrong one · '
    '● its weight per token, A·κ(|y|) · right: '
    f'<span style="color:{ROLE["exact"]}">■</span> exact ∇J, '
    f'<span style="color:{ROLE["score_function"]}">■</span> expected update'
)


class GroupExplorer(Explorer):
    """Advantages of one sampled group and the direction of the expected update. Notebook 09.

    Controls: ``m`` (answers per prompt, 1 to 16), ``estimator`` (a dropdown), ``lean``
    (how strongly the model already prefers the right answer: the difficulty), ``resample``.
    ``readout`` names the recipe and the group and gives the expected update's angle to ∇J;
    ``note`` explains a group that teaches nothing (all rewards equal); ``message`` explains
    a setting that cannot be honoured (leave-one-out or a sample std with m = 1).
    """

    def __init__(self, *, m: int = 8, estimator: str = "grpo", lean: float = -0.5,
                 seed: int = 0):
        super().__init__()
        m = check_count("m", m)
        if m > MAX_M:
            raise ValueError(f"m must be at most {MAX_M}; got {m}.")
        if estimator not in CHOICES:
            raise ValueError(f"estimator must be one of {CHOICES}; got {estimator!r}.")
        lean = as_finite_scalar("lean", lean)
        if not LEAN_RANGE[0] <= lean <= LEAN_RANGE[1]:
            raise ValueError(f"lean must lie in {LEAN_RANGE}; got {lean}.")
        self.m = W.IntSlider(value=m, min=1, max=MAX_M, description="answers m",
                             continuous_update=False)
        self.estimator = W.Dropdown(options=[(LM.LABELS[e], e) for e in CHOICES],
                                    value=estimator, description="estimator")
        self.lean = W.FloatSlider(value=lean, min=LEAN_RANGE[0], max=LEAN_RANGE[1], step=0.25,
                                  description="lean (easier →)", continuous_update=False,
                                  style={"description_width": "initial"})
        self.resample = self._resample_button(seed, "resample")
        self.readout, self.note = W.HTML(), W.HTML()
        key = W.HTML(f'<span style="font-size:90%">{_KEY}</span>')

        # fixed margins, not constrained layout: the answers under the bars change with every
        # group, and the room they need must not depend on the first one drawn
        self.fig, (self.ax_adv, self.ax_dir) = new_figure(
            1, 2, figsize=(7.4, 2.7), layout="none", gridspec_kw={"width_ratios": [2.4, 1]})
        self.fig.subplots_adjust(left=0.085, right=0.975, bottom=0.21, top=0.97, wspace=0.5)
        ax = self.ax_adv
        x = np.arange(MAX_M)
        self.bars = ax.bar(x, np.zeros(MAX_M), 0.7, color=COLORS["grey"])
        (self.dots,) = ax.plot([], [], "o", ms=4, color=COLORS["black"], zorder=3)
        ax.axhline(0, color=COLORS["grey"], lw=0.8)
        ax.set_xlim(-0.6, MAX_M - 0.4)
        ax.set_xticks([])
        ax.set_ylabel("weight")
        self.top = None
        self._set_height(HEIGHTS[0])
        # the answers, written under their bars: one text each, changed with set_text
        self.labels = [ax.text(i, -0.03, "", transform=ax.get_xaxis_transform(), rotation=90,
                               ha="center", va="top", fontsize=7.5, family="monospace",
                               zorder=0.9)   # beneath the bars: a blitted redraw of changed
                                             # bars need not redraw unchanged labels
                       for i in x]

        y = np.arange(len(DIRECTIONS))[::-1]          # "raise p" on top
        self.dir_bars = {
            "exact": self.ax_dir.barh(y + 0.2, [0, 0], 0.38, color=ROLE["exact"]),
            "expected": self.ax_dir.barh(y - 0.2, [0, 0], 0.38,
                                         color=ROLE["score_function"]),
        }
        self.ax_dir.set_yticks(y, ["raise p", "lengthen\nwrong"])
        self.ax_dir.set_xlim(-1.05, 1.05)
        self.ax_dir.set_xticks([-1, 0, 1])
        self.ax_dir.axvline(0, color=COLORS["grey"], lw=0.8)
        self.ax_dir.set_xlabel("cosine (1 = steepest)")

        controls = [self.m, self.estimator, self.lean]
        layout = W.VBox([W.HBox([self.estimator, self.m]), W.HBox([self.lean, self.resample]),
                         self.readout, figure_view(self.fig), key, self.note, self.message])
        self._finish(controls, layout)

    def _set_height(self, top):
        """Limits ±top and three ticks; nothing changes (no redraw of the axis) if top is."""
        if top != self.top:
            self.top = top
            self.ax_adv.set_ylim(-top, top)
            self.ax_adv.set_yticks([-TICKS[top], 0, TICKS[top]])

    # -- the model -------------------------------------------------------------------------
    def task(self) -> LM.Task:
        return LM.Task(lean=(self.lean.value,))

    def sample_group(self):
        """The shown group: (row indices, rewards, lengths) of m answers to "say a"."""
        task = self.task()
        rows = task.sample(task.initial_theta(), 0, self.m.value, self.sample_rng())
        return rows, task.rewards[0, rows], task.answers.lengths[rows]

    def cosines(self, task, theta, vec) -> list[float]:
        """cos(vec, ∇f) for f = J (here p) and the wrong answers' mean length."""
        if not np.any(vec):
            return [0.0] * len(DIRECTIONS)
        out = []
        for quantity in DIRECTIONS:
            grad = LM.quantity_gradient(task, theta, quantity)
            out.append(LM.rate_of_change(task, theta, vec, quantity) / np.linalg.norm(grad))
        return out

    def update(self):
        est, m, task = self.estimator.value, self.m.value, self.task()
        theta = task.initial_theta()
        rows, r, lengths = self.sample_group()
        adv = LM.advantages(r, est)                       # raises for rloo/grpo with m = 1
        token_w = adv * LM.length_factors(lengths, est)
        mean = LM.expected_update(task, theta, est, m)
        grad = task.grad_J(theta)

        for i, bar in enumerate(self.bars):
            shown = i < m
            bar.set_visible(shown)
            if shown:
                bar.set_height(adv[i])
                bar.set_facecolor(COLORS["green"] if r[i] == 1 else COLORS["orange"])
            self.labels[i].set_text(task.answers.text[rows[i]] if shown else "")
        self.dots.set_data(np.arange(m), token_w)
        self._set_height(next(h for h in HEIGHTS if float(np.abs(adv).max()) <= h / 1.08))

        cosines = {"exact": self.cosines(task, theta, grad),
                   "expected": self.cosines(task, theta, mean)}
        for key, values in cosines.items():
            for bar, value in zip(self.dir_bars[key], values, strict=True):
                bar.set_width(value)

        p = task.success(theta)[0]
        parts = [f"<b>{html.escape(LM.LABELS[est])}</b>: a group of m = {m} answers to "
                 f"“say a”, {int(r.sum())} correct",
                 f"p = P(“a.” | say a) = {p:.3f}"]
        if np.any(mean):
            parts.append(f"expected update: {LM.angle_degrees(mean, grad):.1f}° from ∇J, "
                         f"length ‖E ĝ‖/‖∇J‖ = {np.linalg.norm(mean) / np.linalg.norm(grad):.2f}")
        self.readout.value = " · ".join(parts)
        self.expected, self.shown_advantages, self.shown_token_weights = mean, adv, token_w
        self.shown_cosines = cosines
        if m > 1 and np.all(r == r[0]) and est != "reinforce":
            self.note.value = (f"All {m} rewards are equal ({int(r[0])}), so their std is 0 and "
                               "every advantage r − mean is 0 (GRPO divides 0 by 0 + ε): this "
                               "group changes nothing. Resample, or change the lean.")
        elif m == 1 and est in ("group_mean", "dr_grpo"):
            self.note.value = ("With m = 1 the group mean is the answer's own reward, so its "
                               "advantage is always 0: nothing is learned.")
        else:
            self.note.value = ""
