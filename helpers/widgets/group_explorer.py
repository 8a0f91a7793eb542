"""The group explorer of notebook 09 (``09_reinforce_for_language_models``).

One prompt of the toy language model (:mod:`helpers.toy_lm`), "say a", whose difficulty is
set by how strongly the model already leans towards the right answer "a.". A group of m
answers is sampled; the left panel shows the advantage each answer gets from the chosen
estimator (bars: green correct, orange wrong) and the weight each of its tokens gets once
the length factor is applied (black dots: A_i/|y_i| for GRPO, A_i/5 for Dr. GRPO). The
right panel shows where the *expected* update points: how fast one unit step along it
raises the success rate p and the mean length of wrong answers, next to the same two
rates for the exact gradient ∇J. "Resample" draws a fresh group.
"""

from __future__ import annotations

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


class GroupExplorer(Explorer):
    """Advantages of one sampled group and the direction of the expected update. Notebook 09.

    Controls: ``m`` (answers per prompt, 1 to 16), ``estimator`` (a dropdown), ``lean``
    (how strongly the model already prefers the right answer: the difficulty), ``resample``.
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

        self.fig, (self.ax_adv, self.ax_dir) = new_figure(
            1, 2, figsize=(9.0, 3.4), gridspec_kw={"width_ratios": [2.3, 1]})
        x = np.arange(MAX_M)
        self.bars = self.ax_adv.bar(x, np.zeros(MAX_M), color=COLORS["grey"])
        self.dots = self.ax_adv.scatter(x, np.zeros(MAX_M), s=22, color=COLORS["black"],
                                        zorder=3, label="per-token weight A·λ(|y|)")
        self.ax_adv.axhline(0, color=COLORS["grey"], lw=0.8)
        self.ax_adv.bar([0], [0], color=COLORS["green"], label="advantage A (correct)")
        self.ax_adv.bar([0], [0], color=COLORS["orange"], label="advantage A (wrong)")
        self.ax_adv.legend(loc="upper right", fontsize=8)
        self.ax_adv.set_ylabel("weight")
        self.ax_adv.set_xlim(-0.6, MAX_M - 0.4)
        self.title = self.ax_adv.set_title("")

        self.dir_bars = {}
        labels = ["raise p", "lengthen wrong"]
        y = np.arange(2)
        self.dir_bars["exact"] = self.ax_dir.barh(y + 0.2, [0, 0], 0.38, color=ROLE["exact"],
                                                  label="exact ∇J")
        self.dir_bars["expected"] = self.ax_dir.barh(y - 0.2, [0, 0], 0.38,
                                                     color=ROLE["score_function"],
                                                     label="expected update")
        self.ax_dir.set_yticks(y, labels)
        self.ax_dir.axvline(0, color=COLORS["grey"], lw=0.8)
        self.ax_dir.set_xlabel("change per unit step")
        self.ax_dir.legend(loc="lower right", fontsize=8)
        self.ax_dir.set_title("direction of the step", fontsize=10)

        controls = [self.m, self.estimator, self.lean]
        layout = W.VBox([W.HBox([self.estimator, self.m]), W.HBox([self.lean, self.resample]),
                         figure_view(self.fig), self.readout, self.note, self.message])
        self._finish(controls, layout)

    # -- the model -------------------------------------------------------------------------
    def task(self) -> LM.Task:
        return LM.Task(lean=(self.lean.value,))

    def sample_group(self):
        """The shown group: (row indices, rewards, lengths) of m answers to "say a"."""
        task = self.task()
        rows = task.sample(task.initial_theta(), 0, self.m.value, self.sample_rng())
        return rows, task.rewards[0, rows], task.answers.lengths[rows]

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
            bar.set_height(adv[i] if shown else 0.0)
            bar.set_color(COLORS["green"] if shown and r[i] == 1 else COLORS["orange"])
            bar.set_visible(shown)
        self.dots.set_offsets(np.c_[np.arange(m), token_w])
        self.ax_adv.set_xticks(np.arange(m), [task.answers.text[j] for j in rows],
                               rotation=60, fontsize=8)
        self.ax_adv.set_xlim(-0.6, max(m, 4) - 0.4)
        top = max(1.0, float(np.abs(adv).max()) * 1.15)
        self.ax_adv.set_ylim(-top, top)
        self.title.set_text(f"{LM.LABELS[est]}: one group of m = {m} answers to “say a”")

        rates = {}
        for key, vec in (("exact", grad), ("expected", mean)):
            if np.any(vec):
                rates[key] = [LM.rate_of_change(task, theta, vec, "J"),
                              LM.rate_of_change(task, theta, vec, "wrong_length")]
            else:
                rates[key] = [0.0, 0.0]
            for bar, value in zip(self.dir_bars[key], rates[key], strict=True):
                bar.set_width(value)
        span = max(0.05, max(abs(v) for vals in rates.values() for v in vals) * 1.2)
        self.ax_dir.set_xlim(-span, span)

        p = task.success(theta)[0]
        parts = [f"p = P(“a.” | say a) = {p:.3f}", f"{int(r.sum())} of {m} answers correct"]
        if np.any(mean):
            parts.append(f"expected update: {LM.angle_degrees(mean, grad):.1f}° from ∇J, "
                         f"length ‖E ĝ‖/‖∇J‖ = {np.linalg.norm(mean) / np.linalg.norm(grad):.2f}")
        self.readout.value = " · ".join(parts)
        self.expected, self.shown_advantages, self.shown_token_weights = mean, adv, token_w
        if m > 1 and np.all(r == r[0]) and est != "reinforce":
            self.note.value = (f"All {m} rewards are equal ({int(r[0])}), so their std is 0 and "
                               "every advantage r − mean is 0 (GRPO divides 0 by 0 + ε): this "
                               "group changes nothing. Resample, or change the lean.")
        elif m == 1 and est in ("group_mean", "dr_grpo"):
            self.note.value = ("With m = 1 the group mean is the answer's own reward, so its "
                               "advantage is always 0: nothing is learned.")
        else:
            self.note.value = ""
