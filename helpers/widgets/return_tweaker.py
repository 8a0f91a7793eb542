"""The "return tweaker" of notebook 03: set each action's return, watch log π move.

A softmax bandit starts from the uniform policy. One slider per action sets its return
(negative values allowed); further controls set the step size η, the number of updates,
a baseline (subtract the mean return J(θ)) and whether each update is the expected one or
uses one sampled action. The left panel draws log π(a) for every action over the updates
up to the current step; the right panel shows π at that step. Play animates the steps,
Step advances one. Introduced in notebook 03.

Every artist exists from the start (a line and a bar per possible action, the unused ones
hidden) and the key is HTML above the figure, so no change, not even of the number of
actions, adds or removes an artist; the log π axis moves in steps
(:func:`helpers.widgets.parts.stepped`). A change then redraws the curves and bars over a
cached background instead of the whole figure.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator

from helpers import bandit
from helpers.plotting import COLORS
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key, stepped

MIN_ACTIONS, MAX_ACTIONS = 2, 6
#: log π below this is drawn at the edge of the chart (it is printed in the readout instead)
LOG_FLOOR = -30.0
_COLORS = [COLORS[c] for c in ("blue", "orange", "green", "red", "purple", "sky")]


class ReturnTweaker(Explorer):
    """Live curves of log π(a) under repeated policy-gradient updates. Notebook 03.

    ``seed`` fixes the sampled actions, so the same settings always show the same run;
    the "new samples" button draws another run.
    """

    def __init__(self, returns=(1.0, 0.0, -1.0), *, eta=0.5, n_steps=50, seed=0):
        super().__init__()
        returns = list(returns)
        if not MIN_ACTIONS <= len(returns) <= MAX_ACTIONS:
            raise ValueError(f"returns needs {MIN_ACTIONS} to {MAX_ACTIONS} entries (one per "
                             f"action); got {len(returns)}.")
        self._cache_key = None
        self.trajectory = None
        self.n_actions = W.IntSlider(value=len(returns), min=MIN_ACTIONS, max=MAX_ACTIONS,
                                     description="actions K")
        padded = returns + [0.0] * (MAX_ACTIONS - len(returns))
        self.returns = [W.FloatSlider(value=r, min=-5.0, max=5.0, step=0.1,
                                      description=f"R(a={k})") for k, r in enumerate(padded)]
        self.eta = W.FloatSlider(value=eta, min=0.01, max=2.0, step=0.01, description="step η")
        self.n_steps = W.IntSlider(value=n_steps, min=1, max=200, description="updates")
        self.baseline = W.Checkbox(value=False, description="baseline: subtract J(θ)")
        self.mode = W.ToggleButtons(options=[("expected update", "expected"),
                                             ("one sampled action", "sampled")],
                                    value="expected", description="update")
        self.play = W.Play(value=n_steps, min=0, max=n_steps, step=1, interval=80,
                           description="play")
        self.step_button = W.Button(description="Step", icon="step-forward")
        self.step_button.on_click(self.step)
        self.resample = self._resample_button(seed, "new samples")
        self.readout = W.HTML()

        # fixed margins with room for the widest tick labels (−30 at the floor): a layout
        # fitted to the first picture and then frozen would cut the axis label off later
        self.fig, (self.ax_log, self.ax_p) = new_figure(
            1, 2, figsize=(8.4, 3.4), layout="none", gridspec_kw={"width_ratios": [2.2, 1]})
        self.fig.subplots_adjust(left=0.075, right=0.985, bottom=0.14, top=0.97, wspace=0.2)
        self.lines = [self.ax_log.plot([], [], color=_COLORS[k])[0] for k in range(MAX_ACTIONS)]
        self.now = self.ax_log.axvline(0, color=COLORS["grey"], lw=1, ls=":")
        self.bars = self.ax_p.bar(np.arange(MAX_ACTIONS), np.zeros(MAX_ACTIONS), color=_COLORS)
        self.ax_log.set_xlabel("update t")
        self.ax_log.set_ylabel("log π(a)")
        self.ax_log.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        self.ax_p.set_xlabel("action a")
        self.ax_p.set_ylabel("π(a) at step t")
        self.ax_p.set_ylim(0, 1)
        # A change of K moves the bar panel's x-axis (limits and ticks follow K, as before).
        # A redraw draws a changed artist and everything after it in its Axes: with the
        # (unchanging) y-axis drawn first, K redraws the x-axis and the bars only. The two
        # grids are the same grey, so the order does not change a pixel.
        self.ax_p.yaxis.set_zorder(self.ax_p.xaxis.get_zorder() - 0.1)
        self.key = W.HTML()   # the curves' colours, one entry per action (set by update)

        # n_steps is not in this list: its own handler redraws once, after moving Play's end
        controls = [self.n_actions, *self.returns, self.eta, self.baseline, self.mode, self.play]
        self.n_steps.observe(self._on_n_steps, names="value")
        self.n_actions.observe(self._on_n_actions, names="value")
        self._on_n_actions()
        layout = W.VBox([
            W.HBox([self.n_actions, self.eta, self.n_steps]),
            W.GridBox(self.returns, layout=W.Layout(grid_template_columns="repeat(3, 33%)")),
            W.HBox([self.mode, self.baseline]),
            W.HBox([self.play, self.step_button, self.resample]),
            self.key, figure_view(self.fig), self.readout, self.message])
        self._finish(controls, layout)

    # -- controls --------------------------------------------------------------------------
    def _on_n_steps(self, change=None):
        with self.hold():
            at_end = self.play.value >= self.play.max
            self.play.max = self.n_steps.value
            if at_end or self.play.value > self.n_steps.value:
                self.play.value = self.n_steps.value

    def _on_n_actions(self, change=None):
        for k, slider in enumerate(self.returns):
            slider.layout.display = None if k < self.n_actions.value else "none"

    def step(self, _button=None):
        """Advance the current step by one (the Step button)."""
        if self.play.value < self.play.max:
            self.play.value += 1  # triggers refresh
        else:
            self.refresh()

    # -- the model -------------------------------------------------------------------------
    def current_returns(self) -> np.ndarray:
        return np.array([s.value for s in self.returns[: self.n_actions.value]])

    def compute(self) -> np.ndarray:
        """log π after each update, shape (n_steps + 1, K); cached between Play ticks."""
        key = (self.n_actions.value, tuple(self.current_returns()), self.eta.value,
               self.n_steps.value, self.mode.value, self.baseline.value, self.n_draws)
        if key != self._cache_key:
            rng = self.sample_rng()
            self.trajectory = bandit.run_updates(
                np.zeros(self.n_actions.value), self.current_returns(), self.eta.value,
                self.n_steps.value, mode=self.mode.value,
                baseline="mean" if self.baseline.value else "none", rng=rng)
            self._cache_key = key
        return self.trajectory

    def update(self):
        traj = self.compute()
        K, n = traj.shape[1], traj.shape[0] - 1
        t = min(self.play.value, n)
        steps = np.arange(t + 1)
        for k, line in enumerate(self.lines):
            line.set_visible(k < K)
            if k < K:
                line.set_data(steps, np.maximum(traj[: t + 1, k], LOG_FLOOR))
            else:
                line.set_data([], [])
        self.now.set_xdata([t, t])
        probs = np.exp(traj[t])
        for k, bar in enumerate(self.bars):
            bar.set_height(probs[k] if k < K else 0.0)
            bar.set_visible(k < K)
        self.ax_p.set_xlim(-0.6, K - 0.4)
        self.ax_p.set_xticks(np.arange(K))
        self.ax_log.set_xlim(0, max(n, 1))
        # the bottom moves in steps (log π < 0 always), no further than the floor's margin
        low = max(float(traj.min()), LOG_FLOOR)
        floor = 1.05 * LOG_FLOOR - 0.1
        self.ax_log.set_ylim(max(-stepped(1.05 * abs(low) + 0.1), floor), 0.1)
        self.key.value = html_key([(_COLORS[k], "━━", f"a = {k}") for k in range(K)])
        self.readout.value = self._readout(traj, t)

    def _readout(self, traj, t) -> str:
        r = self.current_returns()
        logp = traj[t]
        parts = [f"step t = {t} of {traj.shape[0] - 1}",
                 "log π = [" + ", ".join(f"{v:.3g}" for v in logp) + "]",
                 f"J = Σ π R = {np.exp(logp) @ r:.3f}"]
        if np.all(r == 0):
            parts.append("every return is 0: R·∇log π = 0, so nothing moves")
        elif np.all(r == r[0]) and self.baseline.value:
            parts.append("all returns equal: with the baseline every R − J is 0, nothing moves")
        elif np.all(r < 0) and self.mode.value == "sampled":
            parts.append("all returns negative: every sampled action is pushed down, yet the "
                         "least bad one still gains on average")
        elif np.all(r > 0) and self.mode.value == "sampled":
            parts.append("all returns positive: every sampled action is pushed up, yet on average "
                         "the better ones gain")
        if traj.min() < LOG_FLOOR:
            parts.append(f"log π below {LOG_FLOOR:g} is drawn at the chart's edge")
        return " · ".join(parts)
