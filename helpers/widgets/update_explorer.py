"""The update explorer of notebook 02: one policy-gradient step on π(a; α, β) ∝ exp(α + βa).

Sliders choose the return G_t, the taken action a_t, the step size η and the parameters
α and β; a toggle switches between the unnormalised exp(α + βa) of the Stack Exchange answer
and the softmax-normalised policy over the same finite action set. The left panel shows
π(a) before and after one update, the right panel log π(a), and a readout gives α′, β′ and
what the values of π add up to. Introduced in notebook 02.

A slider change redraws the bars and lines only: the key is HTML above the figure and the
y-limits move in steps (:func:`helpers.widgets.parts.stepped_range`), so the axes' ticks seldom
need drawing.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator

from helpers import worked_example as we
from helpers.plotting import ROLE
from helpers.validation import as_float_array
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key, stepped, stepped_range

#: the two policies the toggle offers
POLICIES = (("exp(α + βa), unnormalised", "unnormalised"), ("softmax, normalised", "softmax"))


class UpdateExplorer(Explorer):
    """Bars of π and log π over a small action set, before and after one update. Notebook 02.

    ``actions`` is the finite action set (2 to 9 distinct values); the sliders' ranges are
    chosen so that even the most extreme setting stays far from overflow.
    """

    def __init__(self, actions=(-2, -1, 0, 1, 2), *, G=1.0, a=1, eta=0.1, alpha=0.0,
                 beta=0.0, policy="unnormalised"):
        super().__init__()
        acts = as_float_array("actions", actions, ndim=1)
        if not 2 <= acts.size <= 9 or np.unique(acts).size != acts.size:
            raise ValueError("actions must be 2 to 9 distinct numbers, e.g. (-2, -1, 0, 1, 2).")
        if np.max(np.abs(acts)) > 5:
            raise ValueError("actions must lie in [-5, 5] so that exp(α + βa) stays readable.")
        self.actions = acts
        self.G = W.FloatSlider(value=G, min=-5.0, max=5.0, step=0.1, description="return G_t")
        self.a = W.SelectionSlider(options=[(f"{x:g}", float(x)) for x in acts],
                                   value=float(a), description="action a_t")
        self.eta = W.FloatSlider(value=eta, min=0.01, max=1.0, step=0.01, description="step η")
        self.alpha = W.FloatSlider(value=alpha, min=-3.0, max=3.0, step=0.1, description="α")
        self.beta = W.FloatSlider(value=beta, min=-2.0, max=2.0, step=0.1, description="β")
        self.policy = W.ToggleButtons(options=POLICIES, value=policy, description="policy")
        self.readout = W.HTML()

        # fixed margins, not a layout fitted to the first picture and then frozen: they leave
        # room for the "1e9" a large unnormalised value puts above the axis, which was cut off
        self.fig, (self.ax_p, self.ax_log) = new_figure(1, 2, figsize=(8.0, 3.2), layout="none")
        self.fig.subplots_adjust(left=0.085, right=0.985, bottom=0.15, top=0.92, wspace=0.28)
        x = np.arange(acts.size)
        width = 0.38
        self.bars_before = self.ax_p.bar(x - width / 2, np.zeros(acts.size), width,
                                         color=ROLE["before"])
        self.bars_after = self.ax_p.bar(x + width / 2, np.zeros(acts.size), width,
                                        color=ROLE["after"])
        (self.log_before,) = self.ax_log.plot(x, np.zeros(acts.size), "o-", color=ROLE["before"])
        (self.log_after,) = self.ax_log.plot(x, np.zeros(acts.size), "s-", color=ROLE["after"])
        self.taken = self.ax_p.axvspan(-0.5, 0.5, color=ROLE["reference"], alpha=0.08, lw=0)
        for ax in (self.ax_p, self.ax_log):
            ax.set_xticks(x, [f"{v:g}" for v in acts])
            ax.set_xlabel("action a")
            ax.set_xlim(-0.6, acts.size - 0.4)
            ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        self.ax_p.set_ylabel("π(a)")
        self.ax_log.set_ylabel("log π(a)")
        # the legends' entries, as HTML above the figure (both panels use the same colours)
        self.key = W.HTML(html_key([(ROLE["before"], "■  ─●─", "before"),
                                    (ROLE["after"], "■  ─■─", "after one update")]))

        controls = [self.G, self.a, self.eta, self.alpha, self.beta, self.policy]
        layout = W.VBox([self.policy, W.HBox([self.G, self.a, self.eta]),
                         W.HBox([self.alpha, self.beta]), self.key, figure_view(self.fig),
                         self.readout, self.message])
        self._finish(controls, layout)

    # ---------------------------------------------------------------------------------------
    def compute(self) -> dict:
        """Everything the picture shows, for the current controls (also used by tests)."""
        acts, alpha, beta = self.actions, self.alpha.value, self.beta.value
        a, G, eta = self.a.value, self.G.value, self.eta.value
        k = int(np.flatnonzero(acts == a)[0])
        if self.policy.value == "unnormalised":
            alpha2, beta2 = we.exp_policy_update(alpha, beta, a, G, eta)
            log_before = we.exp_policy_log_value(alpha, beta, acts)
            log_after = we.exp_policy_log_value(alpha2, beta2, acts)
            before = we.exp_policy_value(alpha, beta, acts)
            after = we.exp_policy_value(alpha2, beta2, acts)
        else:
            alpha2, beta2 = we.softmax_policy_update(alpha, beta, acts, k, G, eta)
            log_before = we.softmax_policy_log_probs(alpha, beta, acts)
            log_after = we.softmax_policy_log_probs(alpha2, beta2, acts)
            before, after = np.exp(log_before), np.exp(log_after)
        return {"k": k, "alpha": alpha2, "beta": beta2, "before": before, "after": after,
                "log_before": log_before, "log_after": log_after}

    def update(self):
        r = self.compute()
        for bar, h in zip(self.bars_before, r["before"], strict=True):
            bar.set_height(h)
        for bar, h in zip(self.bars_after, r["after"], strict=True):
            bar.set_height(h)
        self.log_before.set_ydata(r["log_before"])
        self.log_after.set_ydata(r["log_after"])
        k = r["k"]
        self.taken.set_x(k - 0.5)
        top = max(r["before"].max(), r["after"].max())
        unnormalised = self.policy.value == "unnormalised"
        # limits in steps: most slider moves leave them, and the ticks, as they were
        self.ax_p.set_ylim(0, stepped(1.05 * top) if unnormalised else 1.0)
        self.ax_p.set_ylabel("exp(α + βa), not normalised" if unnormalised else "π(a)")
        lo = min(r["log_before"].min(), r["log_after"].min())
        hi = max(r["log_before"].max(), r["log_after"].max())
        pad = 0.05 * (hi - lo) + 0.05
        self.ax_log.set_ylim(*stepped_range(lo - pad, hi + pad))
        self.readout.value = self._readout(r)

    def _readout(self, r) -> str:
        beta, G, eta, a = self.beta.value, self.G.value, self.eta.value, self.a.value
        if self.policy.value == "unnormalised":
            text = (f"α′ = α + η·G·1 = <b>{r['alpha']:.4g}</b> · β′ = β + η·G·a_t = {beta:g} + "
                    f"{eta:g}·({G:g})·({a:g}) = <b>{r['beta']:.4g}</b> · ")
            text += (f"Σ π(a) = {r['before'].sum():.4g} before, {r['after'].sum():.4g} after: "
                     "<b>not a probability distribution</b>")
        else:
            mean_a = round(float(np.exp(r["log_before"]) @ self.actions), 3) + 0.0
            text = (f"α′ = α = <b>{r['alpha']:.4g}</b> (∂α log π = 0) · β′ = β + η·G·(a_t − E[a]) "
                    f"= {beta:g} + {eta:g}·({G:g})·({a:g} − {mean_a:.3f}) = <b>{r['beta']:.4g}</b>"
                    f" · Σ π(a) = {r['after'].sum():.4f}")
        if G == 0:
            text += " · G = 0: the update changes nothing."
        return text
