"""The score-function explorer of notebook 01: pick θ and m, see every per-sample estimate.

The learner chooses the example (a coin with p = σ(θ), or a throw x ~ N(θ, σ²) at a
target), the parameter θ and the number of samples m. The histogram shows the m per-sample
estimates f(x)·∇θ log p(x); the blue line is their mean (the estimate), the black line the
exact gradient. Introduced in notebook 01.

A change of θ redraws only the histogram and the two lines: the key is HTML above the figure,
and the axis limits move in steps (:func:`helpers.widgets.parts.stepped_range`), so the
ticks seldom need drawing.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.colors import to_hex, to_rgb
from matplotlib.ticker import MaxNLocator

from helpers import log_trick
from helpers.plotting import ROLE
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key, stepped, stepped_range

#: bins across the estimates' range (the coin's: across the x-axis)
N_BINS = 40
#: the histogram's fill
HIST_ALPHA = 0.45


class ScoreExplorer(Explorer):
    """Histogram of per-sample score-function estimates at one θ. Notebook 01.

    ``seed`` makes the samples reproducible: the same (example, θ, m) always shows the same
    histogram, and the Resample button draws a fresh batch.
    """

    def __init__(self, seed: int = 0, theta: float = 0.5, m: int = 100, std: float = 1.0):
        super().__init__()
        self.std = std
        self.example = W.ToggleButtons(options=[("coin: f(1) = +1, f(0) = −1", "coin"),
                                                (f"throw x ~ N(θ, {std:g}²) at target 2", "throw")],
                                       value="coin", description="example")
        self.theta = W.FloatSlider(value=theta, min=-6.0, max=6.0, step=0.1,
                                   description="θ", continuous_update=True)
        self.m = W.IntSlider(value=m, min=1, max=5000, step=1, description="m samples",
                             continuous_update=False)
        self.resample = self._resample_button(seed)
        self.readout = W.HTML()

        # fixed margins with room for four-digit counts (m goes to 5000): a layout fitted to
        # the first picture's labels, then frozen, would cut the axis label off later
        self.fig, self.ax = new_figure(figsize=(6.4, 3.2), layout="none")
        self.fig.subplots_adjust(left=0.115, right=0.955, bottom=0.155, top=0.97)
        edges = np.linspace(0, 1, N_BINS + 1)
        self.hist = self.ax.stairs(np.zeros(N_BINS), edges, fill=True, alpha=HIST_ALPHA,
                                   color=ROLE["score_function"])
        self.mean_line = self.ax.axvline(0, color=ROLE["score_function"], lw=2.5)
        self.exact_line = self.ax.axvline(0, color=ROLE["exact"], lw=2, ls="--")
        self.ax.set_xlabel("per-sample gradient estimate")
        self.ax.set_ylabel("number of samples")
        self.ax.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        self.ax.yaxis.set_major_locator(MaxNLocator(5, integer=True, steps=[1, 2, 5, 10]))
        fill = to_hex((*to_rgb(ROLE["score_function"]), HIST_ALPHA), keep_alpha=True)
        self.key = W.HTML(html_key([
            (fill, "■", "per-sample estimates f(x)·∇log p(x)"),
            (ROLE["score_function"], "━━", "their mean (the estimate)"),
            (ROLE["exact"], "╌╌", "exact ∇J(θ)")]))

        controls = [self.example, self.theta, self.m]
        layout = W.VBox([W.HBox([self.example, self.resample]), W.HBox([self.theta, self.m]),
                         self.key, figure_view(self.fig), self.readout, self.message])
        self._finish(controls, layout)

    # ---------------------------------------------------------------------------------------
    def estimates(self) -> tuple[np.ndarray, float]:
        """The current per-sample estimates and the exact gradient."""
        rng = self.sample_rng()
        theta, m = self.theta.value, self.m.value
        if self.example.value == "coin":
            table = log_trick.coin_sample_table(theta, m, rng)
            return table["product"], log_trick.coin_gradient(theta)
        est = log_trick.throw_score_function_estimates(theta, self.std, m, rng)
        return est, log_trick.throw_gradient(theta)

    def update(self):
        est, exact = self.estimates()
        lo, hi = min(est.min(), exact), max(est.max(), exact)
        if self.example.value == "coin":
            # every estimate is 1 − p (heads: f = +1, score 1 − p) or p (tails: f = −1, score
            # −p), the exact gradient 2p(1 − p) is in (0, ½]: the x-axis starts at 0 and ends
            # a step above the largest (at most 1); the y-axis holds all m in one bar. Bins
            # span the axis, so two close values still get visible bars.
            view = (0.0, min(1.0, stepped(1.05 * hi + 1e-4)))
            edges = np.linspace(*view, N_BINS + 1)
            top = 1.05 * self.m.value
        else:
            pad = 0.05 * (hi - lo) + 1e-3
            edges = np.linspace(lo - pad, hi + pad, N_BINS + 1)   # bins across the estimates
            view = stepped_range(edges[0], edges[-1])   # an axis that moves in steps
            top = None
        counts, _ = np.histogram(est, bins=edges)
        self.hist.set_data(counts, edges)
        self.mean_line.set_xdata([est.mean()] * 2)
        self.exact_line.set_xdata([exact] * 2)
        self.ax.set_xlim(*view)
        self.ax.set_ylim(0, top or stepped(1.1 * max(1, counts.max())))
        if est.size == 1:
            se_text = "undefined with m = 1"
        elif np.unique(est).size == 1:
            se_text = "undefined: only one outcome seen — the rare one is missing from this batch"
        else:
            se_text = f"{est.std(ddof=1) / np.sqrt(est.size):.4f}"
        self.readout.value = (
            f"estimate <b>{est.mean():+.4f}</b> · exact <b>{exact:+.4f}</b> · "
            f"standard error {se_text} · per-sample spread (std) "
            f"{est.std():.4f}"
        )
