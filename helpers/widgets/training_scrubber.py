"""Scrub through a REINFORCE run and watch log π(a | s) move for a few states (notebook 06).

Left: the learning curve (mean return of the last 100 episodes against real environment
steps) with a cursor at the chosen moment. Right: log π(a | s) for each chosen state
against steps, with a dot at the cursor, so one sees which states the policy makes up its
mind about first. The controls are a slider over the updates and a box to jump to the
policy in use after a given number of environment steps.

A move of the slider changes the two cursors and the dots only: the curves are set when the
action changes, the axis limits are fixed per action and the key is HTML above the figure, so
the redraw leaves every legend and tick label in the cached background.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FuncFormatter

from helpers.plotting import COLORS
from helpers.reinforce import SOLVED_RETURN, History, policy_from
from helpers.validation import as_float_array
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key

_ACTIONS = ("push left", "push right")
_STATE_COLORS = [COLORS[k] for k in ("blue", "orange", "green", "purple", "sky", "red")]


class TrainingScrubber(Explorer):
    """Move through the updates of ``history``; see log π(a|s) for ``states``. Notebook 06.

    ``states`` has shape (n, 4), n ≤ 6 probe states; ``labels`` names them in the key.
    Controls: ``slider`` (the update, 0 = before training), ``action`` (which log π to plot),
    ``at_steps`` (type a number of environment steps; the slider jumps to the last update
    made by then).
    """

    def __init__(self, history: History, states, labels=None):
        super().__init__()
        if not isinstance(history, History) or len(history.params) < 2:
            raise ValueError("history must be a History from helpers.reinforce.train with at "
                             "least one update.")
        self.states = as_float_array("states", states, shape=(None, 4))
        k = self.states.shape[0]
        if not 1 <= k <= len(_STATE_COLORS):
            raise ValueError(f"choose between 1 and {len(_STATE_COLORS)} states; got {k}.")
        self.labels = list(labels) if labels is not None else [f"state {i}" for i in range(k)]
        if len(self.labels) != k:
            raise ValueError(f"labels must name each of the {k} states.")
        self.history = history
        # x position of update u: the real steps taken when its batch was complete
        self.update_steps = np.array([0] + list(history.batch_steps))
        # log π(a | s) for every update and state: shape (U+1, n, 2), n probe states
        self.logp = np.array([policy_from(history, u).log_probs(self.states)
                              for u in range(len(history.params))])

        self.fig, (self.ax_curve, self.ax_logp) = new_figure(1, 2, figsize=(9.5, 3.4))
        grid = np.linspace(0, history.steps, 300)
        self.ax_curve.plot(grid, history.returns_at(grid), color=COLORS["blue"])
        self.ax_curve.axhline(SOLVED_RETURN, color=COLORS["red"], ls="--", lw=1)
        self.ax_curve.set(xlabel="environment steps", ylabel="mean return, last 100 episodes",
                          ylim=(0, 520))
        self.cursor_curve = self.ax_curve.axvline(0, color=COLORS["grey"])
        self.cursor_logp = self.ax_logp.axvline(0, color=COLORS["grey"])
        self.lines = [self.ax_logp.plot([], [], color=c)[0] for c in _STATE_COLORS[:k]]
        self.dots = self.ax_logp.scatter(np.zeros(k), np.zeros(k), color=_STATE_COLORS[:k],
                                         zorder=3)
        self.ax_logp.set(xlabel="environment steps", xlim=(0, max(1, history.steps)))
        # the legends' entries, as HTML above the figure: legends over the cursors would be
        # drawn again at every move of the slider
        self.key = W.HTML(html_key(
            [(COLORS["red"], "╌╌", f"solved ({SOLVED_RETURN:g})")]
            + list(zip(_STATE_COLORS, ["━━"] * k, self.labels, strict=False))))
        self._shown_action = None   # the action whose curves are drawn
        thousands = FuncFormatter(lambda v, _: f"{v / 1000:g}k")   # 20k, not 20000 (ticks crowd)
        for ax in (self.ax_curve, self.ax_logp):
            ax.xaxis.set_major_formatter(thousands)

        n = len(history.params) - 1
        self.slider = W.IntSlider(value=n, min=0, max=n, description="update",
                                  continuous_update=True, layout=W.Layout(width="420px"))
        self.action = W.ToggleButtons(options=list(_ACTIONS), value=_ACTIONS[1],
                                      description="log π of")
        self.at_steps = W.IntText(value=int(self.update_steps[-1]), description="at step",
                                  layout=W.Layout(width="200px"))
        self.at_steps.observe(self._jump, names="value")
        self.readout = W.HTML()
        controls = [self.slider, self.action]
        layout = W.VBox([W.HBox([self.slider, self.at_steps]), self.action, self.key,
                         figure_view(self.fig), self.readout, self.message])
        self._finish(controls, layout)

    def _jump(self, change=None):
        steps = self.at_steps.value
        last = int(self.update_steps[-1])
        if not 0 <= steps <= last:
            self._warn(f"at step must lie between 0 and {last} (the run's length); got {steps}.")
            return
        self.slider.value = int(np.searchsorted(self.update_steps, steps, side="right") - 1)

    def update(self):
        u = self.slider.value
        a = _ACTIONS.index(self.action.value)
        x = self.update_steps[u]
        y_all = self.logp[:, :, a]
        if a != self._shown_action:   # the curves and their axis follow the action only
            self._shown_action = a
            for i, line in enumerate(self.lines):
                line.set_data(self.update_steps, y_all[:, i])
            lo = max(float(y_all.min()), -12.0)
            self.ax_logp.set_ylim(lo - 0.3, 0.15)
            self.ax_logp.set_ylabel(f"log π({self.action.value} | s)")
        self.dots.set_offsets(np.column_stack([np.full(len(self.lines), x), y_all[u]]))
        self.cursor_curve.set_xdata([x, x])
        self.cursor_logp.set_xdata([x, x])
        probs = ", ".join(f"{lab}: π = {np.exp(v):.3f}" for lab, v in zip(self.labels, y_all[u],
                                                                          strict=True))
        self.readout.value = (f"after update {u} ({x:,} steps) — {self.action.value}: {probs}")
