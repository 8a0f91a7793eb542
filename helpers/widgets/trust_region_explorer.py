"""The trust-region explorer of notebook 11 (``11_ppo_and_trust_regions``).

From θ_old on the discounted version of notebook 04's MDP, a step of size η along the
vanilla gradient ∇U or the natural gradient F⁻¹∇U, in one of two parameterisations of the
same policy (the logits θ, or the probabilities θ̃ = σ(θ)). The direction u is scaled so that
uᵀFu = 1: then ½η² is the second-order d-weighted KL Σ_s d(s) KL, the same scale for every
choice. The left panel shows, as curves over η, the exact U, the surrogate ℒ, PPO's
ℒ^CLIP and TRPO's lower bound ℒ − C_TRPO max_s KL (Schulman et al. 2015, eq. 9); the right
panel the maximum and the mean KL(π_old ‖ π) over states. Markers show the current step.

Sliders: the step η (moves only the markers) and the clip range ε_clip (redraws ℒ^CLIP
only); toggles choose the direction and the parameterisation (new curves). A step that gives an
action probability 0 shows an infinite KL and a bound of −∞ in the readout; a step that
leaves the set of policies (a probability parameter outside [0, 1]) leaves the curves
blank there and says so. Key and readout are HTML beside the figure.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers import pg_bugs
from helpers import trust_region as tr
from helpers.plotting import COLORS, ROLE
from helpers.validation import as_float_array, check_count, positive_scalar
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key, stepped_range

#: what each curve is drawn in
STYLE = {
    "U": (ROLE["exact"], "-", "U (exact)"),
    "surrogate": (COLORS["blue"], "-", "surrogate ℒ"),
    "clipped": (COLORS["green"], "-", "PPO's ℒ^CLIP"),
    "bound": (COLORS["red"], "--", "TRPO bound ℒ − C_TRPO·max KL"),
    "max_kl": (COLORS["red"], "-", "max over states of KL"),
    "mean_kl": (COLORS["purple"], "-", "d-weighted mean KL"),
}
DIRECTIONS = (("vanilla ∇U", "vanilla"), ("natural F⁻¹∇U", "natural"))
PARAMETERS = (("logits θ", "logits"), ("probabilities θ̃ = σ(θ)", "probabilities"))
#: the KL panel's top (the readout gives larger values)
KL_TOP = 3.0


class TrustRegionExplorer(Explorer):
    """U, ℒ, ℒ^CLIP, the TRPO bound and the KLs along a line from θ_old. Notebook 11.

    ``mdp``/``policy`` default to ``pg_bugs.discounted_example_mdp(0.5)``; ``theta_old`` are
    the old policy's logits; ``max_step`` the largest η (Fisher units), ``n_points`` the
    curves' resolution. Controls: ``step``, ``eps``, ``direction``, ``parameters``.
    ``readout`` gives the numbers at the current step; ``line`` is the current
    :class:`helpers.trust_region.Line`.
    """

    def __init__(self, mdp=None, policy=None, *, theta_old=(-3.0, 1.0), eps: float = 0.2,
                 step: float = 0.5, direction: str = "natural", parameters: str = "logits",
                 max_step: float = 5.0, n_points: int = 251):
        super().__init__()
        if mdp is None:
            mdp, policy = pg_bugs.discounted_example_mdp(0.5)
        self.mdp = mdp
        self.pars = {"logits": tr.Logits(policy), "probabilities": tr.Probabilities(policy)}
        self.theta_old = self.pars["logits"].check(as_float_array("theta_old", theta_old))
        eps = tr.check_clip(eps)
        tr.penalty_constant(mdp, self.pars["logits"].probs(self.theta_old))   # needs γ < 1
        self.max_step = positive_scalar("max_step", max_step)
        self.grid = np.linspace(0.0, self.max_step, check_count("n_points", n_points,
                                                                minimum=2))
        if direction not in dict(map(reversed, DIRECTIONS)):
            raise ValueError(f"direction must be 'vanilla' or 'natural'; got {direction!r}.")
        if parameters not in self.pars:
            raise ValueError(f"parameters must be 'logits' or 'probabilities'; "
                             f"got {parameters!r}.")
        if not 0 <= step <= self.max_step:
            raise ValueError(f"step must lie in [0, {self.max_step}]; got {step!r}.")
        self.step = W.FloatSlider(value=step, min=0.0, max=self.max_step, step=0.02,
                                  description="step η", readout_format=".2f")
        self.eps = W.FloatSlider(value=eps, min=0.05, max=0.5, step=0.05,
                                 description="clip ε_clip", readout_format=".2f")
        self.direction = W.ToggleButtons(options=DIRECTIONS, value=direction,
                                         description="direction")
        self.parameters = W.ToggleButtons(options=PARAMETERS, value=parameters,
                                          description="parameters")
        self.readout = W.HTML()
        self._cache: dict = {}
        self._shown: tuple | None = None

        self.fig, (self.ax, self.ax_kl) = new_figure(1, 2, figsize=(8.4, 3.1), layout="none")
        self.fig.subplots_adjust(left=0.08, right=0.985, bottom=0.16, top=0.96, wspace=0.28)
        self.curves, self.marks = {}, {}
        for key, (colour, ls, _) in STYLE.items():
            ax = self.ax_kl if key.endswith("kl") else self.ax
            (self.curves[key],) = ax.plot([], [], ls, color=colour, lw=1.6)
            (self.marks[key],) = ax.plot([], [], "o", color=colour, ms=5, zorder=4)
        self.now = [ax.axvline(step, color=COLORS["grey"], lw=1, zorder=1)
                    for ax in (self.ax, self.ax_kl)]
        for ax in (self.ax, self.ax_kl):
            ax.set_xlim(0, self.max_step)
            ax.set_xlabel("step η (½η² ≈ Σ_s d(s) KL)")
        self.ax.set_ylabel("performance")
        self.ax_kl.set_ylabel("KL(π_old ‖ π)")
        key = W.HTML(html_key([(c, "━━" if ls == "-" else "╍╍", text)
                               for c, ls, text in STYLE.values()], separator="<br>"))
        controls = [self.step, self.eps, self.direction, self.parameters]
        layout = W.VBox([W.HBox([self.direction]), W.HBox([self.parameters]),
                         W.HBox([self.step, self.eps]),
                         W.HBox([figure_view(self.fig), key]), self.readout, self.message])
        self._finish(controls, layout)

    # -- the model -------------------------------------------------------------------------
    @property
    def par(self):
        return self.pars[self.parameters.value]

    def x_old(self, parameters: str | None = None) -> np.ndarray:
        """θ_old in the chosen parameterisation (default: the toggle's)."""
        if (parameters or self.parameters.value) == "logits":
            return self.theta_old
        return tr.Probabilities.from_logits(self.theta_old)

    def unit_direction(self, direction: str | None = None,
                       parameters: str | None = None) -> np.ndarray:
        """∇U or F⁻¹∇U at θ_old, scaled to uᵀFu = 1 (F in the chosen parameterisation)."""
        direction = direction or self.direction.value
        parameters = parameters or self.parameters.value
        key = ("u", direction, parameters)
        if key not in self._cache:
            par, x = self.pars[parameters], self.x_old(parameters)
            F, g = tr.fisher(self.mdp, par, x), tr.gradient(self.mdp, par, x)
            u = g if direction == "vanilla" else np.linalg.solve(F, g)
            self._cache[key] = u / np.sqrt(u @ F @ u)
        return self._cache[key]

    def curves_for(self, eps: float, direction: str | None = None,
                   parameters: str | None = None) -> tr.Line:
        """The curves over the whole grid of steps (cached)."""
        direction = direction or self.direction.value
        parameters = parameters or self.parameters.value
        key = ("line", direction, parameters, eps)
        if key not in self._cache:
            self._cache[key] = tr.along_line(self.mdp, self.pars[parameters],
                                             self.x_old(parameters),
                                             self.unit_direction(direction, parameters),
                                             self.grid, eps)
        return self._cache[key]

    def at_step(self) -> tr.Line:
        """The exact quantities at the current step (not interpolated from the grid)."""
        return tr.along_line(self.mdp, self.par, self.x_old(), self.unit_direction(),
                             [self.step.value], self.eps.value)

    # -- drawing ---------------------------------------------------------------------------
    def update(self):
        eps = tr.check_clip(round(self.eps.value, 10))
        line = self.curves_for(eps)
        shown = (self.direction.value, self.parameters.value)
        changed = {"clipped"} if shown == self._shown else set(STYLE)
        for key in changed:
            self.curves[key].set_data(self.grid, getattr(line, key))
        if self._shown is None:
            self._set_limits()
        self._shown = shown
        now = self.at_step()
        eta = self.step.value
        for key, mark in self.marks.items():
            value = float(getattr(now, key)[0])
            mark.set_data([eta], [value] if np.isfinite(value) else [np.nan])
        for v in self.now:
            v.set_xdata([eta, eta])
        self.line = line
        self.readout.value = self._readout(now, line)

    def _set_limits(self):
        """One set of limits for every direction, parameterisation and ε_clip the controls offer,
        so that no control change moves an axis (only the data are redrawn)."""
        lines = [self.curves_for(round(e, 10), d, p) for d in dict(map(reversed, DIRECTIONS))
                 for p in self.pars for e in (self.eps.min, self.eps.max)]
        perf = np.concatenate([np.r_[ln.U, ln.surrogate, ln.clipped] for ln in lines])
        perf = perf[np.isfinite(perf)]
        lo, hi = float(perf.min()), float(perf.max())
        pad = 0.08 * (hi - lo) + 1e-3
        self.ax.set_ylim(*stepped_range(lo - pad, hi + pad))
        # the KL panel shows the steps a trust region would allow; larger ones leave the top
        self.ax_kl.set_ylim(0, KL_TOP)

    def _readout(self, now, line) -> str:
        eta = self.step.value
        head = (f"{self.direction.label} in {self.parameters.label}, η = {eta:.2f}, "
                f"C_TRPO = {line.C:.1f}: ")
        if not now.valid[0]:
            return head + ("<b>this step leaves the set of policies</b> (a probability "
                           "parameter outside [0, 1]): U, ℒ and the KL are undefined here.")
        parts = [f"U = {now.U[0]:.3f}", f"ℒ = {now.surrogate[0]:.3f}",
                 f"ℒ^CLIP = {now.clipped[0]:.3f}"]
        if np.isinf(now.max_kl[0]):
            parts.append("<b>max KL = ∞</b>: the step gives probability 0 to an action "
                         "π_old takes, so the bound is −∞")
        else:
            parts += [f"bound = {now.bound[0]:.3f}", f"max KL = {now.max_kl[0]:.3f}",
                      f"mean KL = {now.mean_kl[0]:.3f}"]
        gain = now.U[0] - line.U[0]
        parts.append(f"U − U(θ_old) = {gain:+.3f}")
        return head + " · ".join(parts)
