"""The advantage explorer of notebook 07 (``07_learned_baseline_and_actor_critic``).

A critic v̂(s, w) is fitted to a set of CartPole episodes (Monte Carlo targets, as in
REINFORCE with baseline) with the chosen step size η_w. Left: along one held-out episode,
the return G_t and the critic's v̂(s_t). Right: the advantage weights along the same
episode — G_t − v̂(s_t) (λ = 1), the TD errors δ_t (λ = 0) and GAE(λ) for the chosen λ.
The readout gives the variance of the per-episode gradient Σ_t A_t ∇log π(a_t|s_t) over the
held-out episodes, tr Cov, for the chosen λ and both ends.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers import critic as C
from helpers import reinforce
from helpers.plotting import COLORS
from helpers.validation import check_count
from helpers.widgets.common import Explorer, figure_view, new_figure

#: the critic step sizes η_w offered by the slider
LR_OPTIONS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: the readout warns when v̂ explains less than this share of the returns' variance
POOR_FIT = 0.5


def _check_episodes(name, episodes):
    episodes = list(episodes)
    if not episodes or not all(isinstance(e, reinforce.Episode) for e in episodes):
        raise ValueError(f"{name} must be a non-empty list of helpers.reinforce.Episode.")
    return episodes


class AdvantageExplorer(Explorer):
    """Fit v̂ with step size η_w; see GAE(λ) weights along one episode. Notebook 07.

    ``policy`` (a :mod:`helpers.reinforce` policy) produced ``fit_episodes`` (the critic
    learns from them) and ``episodes`` (shown, and used for the variance readout). The
    critic makes ``rounds`` passes; each computes λ = 1 targets with the current v̂ (the
    return, bootstrapped at truncation) and takes 20 Adam steps on them. Controls:
    ``lam`` (λ), ``lr`` (η_w), ``episode`` (which held-out episode is drawn).
    """

    def __init__(self, policy, fit_episodes, episodes, *, gamma: float = 0.99,
                 lam: float = 0.95, lr: float = 0.01, rounds: int = 15, seed: int = 0):
        super().__init__()
        if not hasattr(policy, "_grad_fast"):
            raise ValueError("policy must be a helpers.reinforce policy (e.g. from "
                             "reinforce.policy_from(history)).")
        self.policy = policy
        self.fit_episodes = _check_episodes("fit_episodes", fit_episodes)
        self.episodes = _check_episodes("episodes", episodes)
        self.gamma = C.check_gamma(gamma)
        C.check_lambda(lam)
        if lr not in LR_OPTIONS:
            raise ValueError(f"lr must be one of {LR_OPTIONS}; got {lr!r}.")
        self.rounds = check_count("rounds", rounds)
        self.seed = check_count("seed", seed, minimum=0)
        self._fits = {}       # η_w -> ((δ, v̂, G) per held-out episode, RMS error of v̂)
        self._variances = {}  # (η_w, λ) -> tr Cov of the per-episode gradient

        self.fig, (self.ax_v, self.ax_a) = new_figure(1, 2, figsize=(9.6, 3.5))
        self.line_G, = self.ax_v.plot([], [], color=COLORS["black"], label="return G_t")
        self.line_v, = self.ax_v.plot([], [], color=COLORS["purple"], label="critic v̂(s_t)")
        self.ax_v.set(xlabel="step t of the episode", ylabel=f"value (γ = {self.gamma:g})")
        self.line_mc, = self.ax_a.plot([], [], color=COLORS["blue"], lw=1,
                                       label="G_t − v̂(s_t)  (λ = 1)")
        self.line_td, = self.ax_a.plot([], [], color=COLORS["orange"], lw=1,
                                       label="δ_t  (λ = 0)")
        self.line_lam, = self.ax_a.plot([], [], color=COLORS["green"], lw=2.2, label="GAE(λ)")
        self.ax_a.axhline(0, color=COLORS["grey"], lw=0.8)
        self.ax_a.set(xlabel="step t of the episode", ylabel="advantage weight A_t")
        # The key and the episode's description are HTML beside the figure, not text artists:
        # text is most of a frame's cost, and a λ change then redraws one line only.
        self.key = W.HTML()
        self._shown = None    # (η_w, episode) whose axis limits are set

        self.lam = W.FloatSlider(value=float(lam), min=0.0, max=1.0, step=0.05,
                                 description="λ", continuous_update=False)
        self.lr = W.SelectionSlider(options=LR_OPTIONS, value=lr, description="critic η_w",
                                    continuous_update=False)
        self.episode = W.IntSlider(value=0, min=0, max=len(self.episodes) - 1,
                                   description="episode", continuous_update=False)
        self.readout = W.HTML()
        controls = [self.lam, self.lr, self.episode]
        layout = W.VBox([W.HBox([self.lam, self.lr]), self.episode, self.key,
                         figure_view(self.fig), self.readout, self.message])
        self._finish(controls, layout)

    # -- the critic, fitted once per step size ---------------------------------------------
    def fit(self, lr):
        """Fit a fresh critic with step size ``lr``; cache what the pictures need."""
        if lr in self._fits:
            return self._fits[lr]
        critic = C.Critic(C.CriticConfig(gamma=self.gamma, lam=1.0, lr=lr, normalise=False),
                          rng=np.random.default_rng(self.seed))
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(self.rounds):
                critic(self.fit_episodes)
            start, end = critic.value_loss[0], critic.value_loss[-1]
        if not np.isfinite(end) or end > start:
            raise ValueError(f"with η_w = {lr:g} the critic does not learn: its squared error "
                             f"went from {start:.3g} to {end:.3g} over the fit. This step size "
                             "is too large; choose a smaller one.")
        parts = [self._episode_parts(critic, ep) for ep in self.episodes]
        rms = float(np.sqrt(np.mean(np.concatenate([(G - v) ** 2 for _, v, G in parts]))))
        self._fits[lr] = (parts, rms)
        return self._fits[lr]

    def _episode_parts(self, critic, ep):
        """(δ, v̂, G) along one episode: G is the return bootstrapped at truncation."""
        A1, v = C.episode_advantages(ep, critic.values, self.gamma, 1.0)
        A0, _ = C.episode_advantages(ep, critic.values, self.gamma, 0.0)
        return A0, v, A1 + v

    def advantages(self, lam):
        """GAE(λ) weights of every held-out episode, with the current critic."""
        parts, _ = self.fit(self.lr.value)
        return [C.gae(delta, self.gamma, lam) for delta, _, _ in parts]

    def gradient_variance(self, lam) -> float:
        """tr Cov of Σ_t A_t ∇log π(a_t|s_t) across the held-out episodes (sample estimate,
        no γ^t, as on CartPole throughout). 0 with a single held-out episode."""
        key = (self.lr.value, float(lam))
        if key not in self._variances:
            g = np.array([self.policy._grad_fast(ep.obs, ep.actions, A)
                          for ep, A in zip(self.episodes, self.advantages(lam), strict=True)])
            self._variances[key] = float(np.sum(np.var(g, axis=0, ddof=1))) if len(g) > 1 else 0.0
        return self._variances[key]

    def explained(self) -> float:
        """Share of the held-out returns' variance that v̂ explains, 1 − Var(G − v̂)/Var(G)."""
        parts, _ = self.fit(self.lr.value)
        G = np.concatenate([g for _, _, g in parts])
        resid = np.concatenate([g - v for _, v, g in parts])
        return float(1.0 - resid.var() / G.var()) if G.var() > 0 else 0.0

    # -- drawing ---------------------------------------------------------------------------
    def update(self):
        lam, i = self.lam.value, self.episode.value
        parts, rms = self.fit(self.lr.value)
        delta, v, G = parts[i]
        t = np.arange(delta.size)
        self.line_G.set_data(t, G)
        self.line_v.set_data(t, v)
        self.line_mc.set_data(t, G - v)
        self.line_td.set_data(t, delta)
        self.line_lam.set_data(t, C.gae(delta, self.gamma, lam))
        if self._shown != (self.lr.value, i):   # limits that hold for every λ of this episode
            self._shown = (self.lr.value, i)
            every_lam = [C.gae(delta, self.gamma, x) for x in np.linspace(0, 1, 21)]
            _set_limits(self.ax_v, t, [G, v])
            _set_limits(self.ax_a, t, every_lam)
        ep = self.episodes[i]
        end = "truncated at the time limit" if ep.truncated else "the pole fell"
        self.key.value = _key(i, ep.length, end, lam)
        var = {x: self.gradient_variance(x) for x in (lam, 1.0, 0.0)}
        self.variance = var
        share = self.explained()
        note = ("" if share >= POOR_FIT else
                f"<br><span style='color:{COLORS['red']}'>⚠ with η_w = {self.lr.value:g} v̂ "
                f"explains only {max(share, 0):.0%} of the returns' variance: its TD errors "
                "carry its mistakes (bias), and G_t − v̂ is barely better than G_t.</span>")
        self.readout.value = (
            f"critic η_w = {self.lr.value:g}: v̂ explains {max(share, 0):.0%} of the variance "
            f"of G_t on the shown episodes (RMS error {rms:.2f}) · tr Cov of Σ_t A_t ∇log π over "
            f"{len(self.episodes)} episodes: <b>λ = {lam:.2f}: {var[lam]:.3g}</b>, "
            f"λ = 1: {var[1.0]:.3g}, λ = 0: {var[0.0]:.3g}{note}")


def _set_limits(ax, t, curves):
    """Fixed limits around ``curves`` over steps ``t`` (5% margin), so a λ change moves no axis."""
    lo = min(float(np.min(c)) for c in curves)
    hi = max(float(np.max(c)) for c in curves)
    pad = 0.05 * (hi - lo) or 0.5
    ax.set_xlim(-0.5, max(float(t[-1]), 1.0) + 0.5)
    ax.set_ylim(lo - pad, hi + pad)


def _key(i, length, end, lam) -> str:
    """The figure's key and the episode's description, as HTML."""
    swatch = ("<span style='color:{}; font-weight:bold'>━━</span> {}").format
    left = " &nbsp; ".join([swatch(COLORS["black"], "return G_t"),
                            swatch(COLORS["purple"], "critic v̂(s_t)")])
    right = " &nbsp; ".join([swatch(COLORS["blue"], "G_t − v̂(s_t) (λ = 1)"),
                             swatch(COLORS["orange"], "δ_t (λ = 0)"),
                             swatch(COLORS["green"], f"GAE(λ = {lam:.2f})")])
    return (f"<b>episode {i}</b>: {length} steps, {end} &nbsp;·&nbsp; left: {left} "
            f"&nbsp;·&nbsp; right: {right}")
