"""The score-function explorer of notebook 01: pick θ and m, see every per-sample estimate.

The learner chooses the example (a coin with p = σ(θ), or a throw x ~ N(θ, σ²) at a
target), the parameter θ and the number of samples m. The histogram shows the m per-sample
estimates f(x)·∇θ log p(x); the blue line is their mean (the estimate), the black line the
exact gradient. Introduced in notebook 01.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers import log_trick
from helpers.plotting import ROLE
from helpers.widgets.common import Explorer, figure_view, new_figure

N_BINS = 40


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

        self.fig, self.ax = new_figure(figsize=(6.4, 3.2))
        edges = np.linspace(-1, 1, N_BINS + 1)
        self.hist = self.ax.stairs(np.zeros(N_BINS), edges, fill=True, alpha=0.45,
                                   color=ROLE["score_function"],
                                   label="per-sample estimates f(x)·∇log p(x)")
        self.mean_line = self.ax.axvline(0, color=ROLE["score_function"], lw=2.5,
                                         label="their mean (the estimate)")
        self.exact_line = self.ax.axvline(0, color=ROLE["exact"], lw=2, ls="--",
                                          label="exact ∇J(θ)")
        self.ax.set_xlabel("per-sample gradient estimate")
        self.ax.set_ylabel("number of samples")
        self.fig.legend(loc="outside upper center", ncols=3, fontsize=8)

        controls = [self.example, self.theta, self.m]
        layout = W.VBox([W.HBox([self.example, self.resample]), W.HBox([self.theta, self.m]),
                         figure_view(self.fig), self.readout, self.message])
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
        pad = 0.05 * (hi - lo) + 1e-3
        edges = np.linspace(lo - pad, hi + pad, N_BINS + 1)
        counts, _ = np.histogram(est, bins=edges)
        self.hist.set_data(counts, edges)
        self.mean_line.set_xdata([est.mean()] * 2)
        self.exact_line.set_xdata([exact] * 2)
        self.ax.set_xlim(edges[0], edges[-1])
        self.ax.set_ylim(0, max(1, counts.max()) * 1.15)
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
