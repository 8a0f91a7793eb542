"""The KL-optimum explorer of notebook 12 (``12_kl_penalties``).

A β slider moves along the family of KL-regularised optima π*_β(y) ∝ π_ref(y)·e^{r(y)/β} of
notebook 09's toy language model (:mod:`helpers.kl`). Left: for one prompt, π_ref and π* on
the correct answer (first bar), the seven answers π_ref finds likeliest, and all the others
together: every wrong answer shrinks by the same factor 1/Z. Right: the reward–KL trade-off
curve of the optima (mean over the three prompts), the current π*_β on it, the tangent of
slope β there (the curve's slope is β), and a trained policy π_θ, which lies on or below
every tangent: E[r] − β·KL(π_θ‖π_ref) ≤ β log Z.

The reference can be notebook 09's starting model, or the same model sampled with min-p
truncation (as an inference server may sample): then π_ref gives probability 0 to answers a
trained policy still gives some mass, KL(π_θ‖π_ref) is infinite, and the explorer says so
instead of plotting a point.

A β change moves only the π* bars, the marker, the tangent and the HTML readout; the prompt
and the reference change the bars' labels, and the reference the curve and the limits.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from helpers import kl, toy_lm
from helpers.plotting import COLORS, ROLE
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key

#: the β slider's range (a log slider): 10^-3 … 10^2
BETA_EXPONENTS = (-3, 2)
#: how many wrong answers get a bar of their own (the rest share one)
N_WRONG = 7
#: the references offered: label, and min-p (0: no truncation)
REFERENCES = {"start": ("notebook 09's starting model θ₀", 0.0),
              "min_p": ("θ₀ sampled with min-p = 0.5", 0.5)}
#: β values tracing the trade-off curve
CURVE_BETAS = np.logspace(-3, 2.5, 160)

_KEY = html_key([(ROLE["before"], "■", "π_ref"), (COLORS["blue"], "■", "π*_β"),
                 (COLORS["green"], "■", "correct answer (first pair)"),
                 (COLORS["black"], "━", "trade-off of the optima"),
                 (COLORS["red"], "●", "π*_β, with its tangent of slope β"),
                 (COLORS["orange"], "✕", "trained π_θ")])


def _beta(beta) -> float:
    beta = kl.check_beta(beta)
    lo, hi = (10.0**e for e in BETA_EXPONENTS)
    if not lo <= beta <= hi:
        raise ValueError(f"the explorer's β runs from {lo:g} to {hi:g}; got {beta!r}. "
                         "β = 0 is the limit π*₀ (π_ref restricted to its best answers) and "
                         "β → ∞ gives π_ref: kl.optimal_log_probs(…, beta=0 or np.inf).")
    return beta


class OptimumExplorer(Explorer):
    """π_ref, π*_β and the reward–KL trade-off, with a β slider. Notebook 12.

    Controls: ``beta`` (a log slider, 0.001 to 100), ``prompt`` (0, 1, 2: "say a/b/c"),
    ``reference`` ("start" or "min_p"). ``policy_theta`` is a trained policy in notebook 09's
    family (default: 100 steps of exact gradient ascent on J, η = 4, from θ₀). ``readout``
    reports π*'s reward, KL and objective; ``note`` reports an infinite KL.
    """

    def __init__(self, *, beta: float = 0.25, prompt: int = 2, reference: str = "start",
                 policy_theta=None):
        super().__init__()
        beta = _beta(beta)
        task = toy_lm.Task()
        self.family = kl.Family(task)
        task._prompt(prompt)
        kl._choice("reference", reference, tuple(REFERENCES))
        if policy_theta is None:
            start = kl.reference(self.family, self.family.initial_theta())
            policy_theta = kl.train(self.family, start, 0.0, "none", 100, 4.0).theta
        self.policy_theta = self.family._theta(policy_theta).ravel()
        self._policy_log_probs = self.family.log_probs(self.policy_theta)

        self.beta = W.FloatLogSlider(value=beta, base=10, min=BETA_EXPONENTS[0],
                                     max=BETA_EXPONENTS[1], step=0.05, description="β",
                                     readout_format=".3g", continuous_update=False)
        self.prompt = W.Dropdown(options=[(p, q) for q, p in enumerate(task.prompts)],
                                 value=prompt, description="prompt")
        self.reference = W.Dropdown(options=[(v[0], k) for k, v in REFERENCES.items()],
                                    value=reference, description="π_ref",
                                    layout=W.Layout(width="330px"))
        self.readout, self.note = W.HTML(), W.HTML()

        self.fig, (self.ax_bars, self.ax_curve) = new_figure(
            1, 2, figsize=(7.4, 2.8), gridspec_kw={"width_ratios": [1.35, 1]})
        x = np.arange(N_WRONG + 2)
        self.ref_bars = self.ax_bars.bar(x - 0.2, np.zeros(x.size), 0.4, color=ROLE["before"])
        self.star_bars = self.ax_bars.bar(x + 0.2, np.zeros(x.size), 0.4, color=COLORS["blue"])
        self.ref_bars[0].set_color(COLORS["green"])
        self.ref_bars[0].set_alpha(0.5)
        self.star_bars[0].set_color(COLORS["green"])
        self.ax_bars.set(ylim=(0, 1.02), ylabel="probability")
        self.ax_bars.set_xticks(x, [""] * x.size, rotation=90, family="monospace", fontsize=8)
        (self.curve,) = self.ax_curve.plot([], [], color=COLORS["black"], lw=1.5)
        (self.tangent,) = self.ax_curve.plot([], [], color=COLORS["red"], lw=1, ls="--")
        (self.dot,) = self.ax_curve.plot([], [], "o", color=COLORS["red"], ms=6)
        (self.policy_dot,) = self.ax_curve.plot([], [], "x", color=COLORS["orange"], ms=8,
                                                mew=2)
        self.ax_curve.set(xlabel="KL(π‖π_ref), mean over prompts",
                          ylabel="E[r], mean over prompts")
        self._shown = (None, None)      # (prompt, reference) the labels were drawn for
        self._refs, self._curves = {}, {}   # per reference: log π_ref and the curve

        layout = W.VBox([W.HBox([self.beta, self.prompt]), self.reference, self.readout,
                         figure_view(self.fig), W.HTML(_KEY), self.note, self.message])
        self._finish([self.beta, self.prompt, self.reference], layout)

    # -- the model -------------------------------------------------------------------------
    def reference_log_probs(self) -> np.ndarray:
        """log π_ref(y | q) of every answer, shape (3, 364) (−inf: probability 0)."""
        which = self.reference.value
        if which not in self._refs:
            min_p = REFERENCES[which][1]
            theta0 = self.family.initial_theta()
            per_token = (kl.reference(self.family, theta0) if min_p == 0 else
                         kl.min_p_reference(self.family, theta0, min_p))
            self._refs[which] = per_token.sum(-1)
        return self._refs[which]

    def _set_reference(self, ref):
        """The curve, its limits and the policy's point: only when the reference changes."""
        which = self.reference.value
        if which not in self._curves:
            self._curves[which] = kl.tradeoff(ref, self.family.task.rewards, CURVE_BETAS)
        curve = self._curves[which]
        self.curve.set_data(curve["kl"], curve["reward"])
        pol_kl = float(kl.answer_kl(self._policy_log_probs, ref).mean())
        pol_reward = kl.J(self.family, self.policy_theta)
        self.policy_point = (pol_kl, pol_reward)
        right = max(curve["kl"].max(), pol_kl if np.isfinite(pol_kl) else 0.0)
        low = min(curve["reward"].min(), pol_reward)
        self.ax_curve.set_xlim(-0.05 * right - 0.01, 1.1 * right + 0.01)
        self.ax_curve.set_ylim(max(0.0, low - 0.08), 1.04)
        if np.isfinite(pol_kl):
            self.policy_dot.set_data([pol_kl], [pol_reward])
        else:
            self.policy_dot.set_data([], [])

    def update(self):
        beta, q, which = _beta(self.beta.value), self.prompt.value, self.reference.value
        task = self.family.task
        ref = self.reference_log_probs()
        if self._shown[1] != which:
            self._set_reference(ref)
        star = kl.optimal_log_probs(ref, task.rewards, beta)
        p_ref, p_star = np.exp(ref[q]), np.exp(star[q])
        correct = int(np.argmax(task.rewards[q]))
        if self._shown != (q, which):
            others = [y for y in np.argsort(-p_ref, kind="stable") if y != correct]
            self.rows = [correct, *others[:N_WRONG]]
            labels = [task.answers.text[y] for y in self.rows] + ["others"]
            self.ax_bars.set_xticks(np.arange(len(labels)), labels, rotation=90,
                                    family="monospace", fontsize=8)
            self._shown = (q, which)
        rest = np.ones(task.answers.n, dtype=bool)
        rest[self.rows] = False
        for bars, p in ((self.ref_bars, p_ref), (self.star_bars, p_star)):
            for bar, h in zip(bars, [*p[self.rows], p[rest].sum()], strict=True):
                bar.set_height(h)

        reward = float((np.exp(star) * task.rewards).sum(1).mean())
        divergence = float(kl.answer_kl(star, ref).mean())
        self.dot.set_data([divergence], [reward])
        left, right = self.ax_curve.get_xlim()
        xs = np.array([left, right])
        self.tangent.set_data(xs, reward + beta * (xs - divergence))
        best = reward - beta * divergence
        self.shown = {"beta": beta, "reward": reward, "kl": divergence, "objective": best,
                      "p_ref": p_ref, "p_star": p_star}
        wrong = np.flatnonzero((task.rewards[q] == 0) & (p_ref > 0))
        if wrong.size:   # π* = π_ref·e^{r/β}/Z: every wrong answer is multiplied by 1/Z
            shrink = float(np.exp(star[q, wrong[0]] - ref[q, wrong[0]]))
            wrongs = f"every wrong answer's probability × {shrink:.3g}"
        else:
            wrongs = "π_ref gives no wrong answer here"
        self.readout.value = (
            f"β = {beta:.3g}: π*_β answers “{html.escape(task.prompts[q])}” correctly with "
            f"probability {p_star[correct]:.3f} (π_ref: {p_ref[correct]:.3f}); {wrongs}. "
            f"Mean over prompts: E[r] = {reward:.3f}, "
            f"KL(π*‖π_ref) = {divergence:.3f}, E[r] − β·KL = {best:.3f}, the most any "
            "policy reaches.")
        self._report_policy(beta, best)

    def _report_policy(self, beta, best):
        kl_pol, reward_pol = self.policy_point
        if np.isfinite(kl_pol):
            self.note.value = (f"Trained π_θ: E[r] = {reward_pol:.3f}, KL(π_θ‖π_ref) = "
                               f"{kl_pol:.3f}, E[r] − β·KL = {reward_pol - beta * kl_pol:.3f}"
                               f" ≤ {best:.3f}.")
            return
        ref = kl.min_p_reference(self.family, self.family.initial_theta(),
                                 REFERENCES[self.reference.value][1])
        problem = kl.infinite_kl(self.family, self.policy_theta, ref)
        self.note.value = (f"<b>Trained π_θ: infinite KL.</b> {html.escape(problem)} Its "
                           "point cannot be drawn; a penalised objective would be −∞, and "
                           "a per-token estimator meets log π_ref = −∞.")
