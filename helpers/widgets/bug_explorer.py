"""The bug explorer of notebook 08 (``08_policy_gradient_bugs``): notebook 04's gradient cloud,
with the estimator chosen from the gallery of :mod:`helpers.pg_bugs`.

On the contour of the exact U(θ₁, θ₂): the exact step θ + η∇U (black arrow, from notebook
04's explorer), the chosen estimator's *expected* step θ + η E[ĝ] (red arrow), a cloud of its
single-batch estimates θ + η ĝ (each from m trajectories), and the path of exact-expectation
ascent with that estimator from the current θ (red line). Built by subclassing
:class:`helpers.widgets.gradient_cloud.GradientCloudExplorer`: the cloud, the arrow, the θ and m
sliders and the resample button are its own.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator

from helpers import mdp as M
from helpers import pg_bugs as B
from helpers.plotting import ROLE
from helpers.validation import check_count, positive_scalar
from helpers.widgets.gradient_cloud import GradientCloudExplorer
from helpers.widgets.parts import html_key

#: batch sizes offered (the gradient cloud's slider, cut to what the batch estimators need)
BUG_M_OPTIONS = (1, 2, 3, 5, 10, 20, 50, 100)
#: exact expectations enumerate at most this many batches; beyond, seeded Monte Carlo
MAX_EXACT_BATCHES = 3_000
#: batch estimators' ascent paths use batches of at most this many trajectories (speed)
ASCENT_M = 3


class BugExplorer(GradientCloudExplorer):
    """Pick an estimator; see its expected step against ∇U, its cloud and its ascent path.

    Parameters as :class:`GradientCloudExplorer` (a two-parameter policy; default notebook
    04's MDP), plus ``estimator`` (a name of :data:`helpers.pg_bugs.ESTIMATORS`),
    ``ascent_steps`` and ``ascent_eta``. Controls: ``estimator`` (a dropdown) and the
    gradient cloud's ``m``, ``theta1``, ``theta2``, ``resample``. ``stats`` reports E[ĝ],
    its angle to ∇U and how it was computed. Reused-data estimators use a batch sampled
    at θ_old = θ − (0.5, 0.5). Introduced in notebook 08.
    """

    def __init__(self, mdp=None, policy=None, *, estimator: str = "reward_to_go",
                 theta=(-1.0, -1.0), m: int = 3, n_estimates: int = 40, eta: float = 4.0,
                 seed: int = 0, extent: float = 5.0, grid: int = 41, ascent_steps: int = 60,
                 ascent_eta: float = 2.0):
        B.get(estimator)
        if m not in BUG_M_OPTIONS:
            raise ValueError(f"m must be one of {BUG_M_OPTIONS}; got {m!r}.")
        self.ascent_steps = check_count("ascent_steps", ascent_steps)
        self.ascent_eta = positive_scalar("ascent_eta", ascent_eta)
        self.estimator = W.Dropdown(
            options=[(e.label, name) for name, e in B.ESTIMATORS.items()], value=estimator,
            description="estimator", layout=W.Layout(width="360px"),
            style={"description_width": "initial"})
        self._cache, self._m_start = {}, m
        # the base class accepts its own m options; ours are set in _finish, before any draw
        super().__init__(mdp, policy, theta=theta, m=1, n_estimates=n_estimates, eta=eta,
                         seed=seed, extent=extent, grid=grid)

    # -- the subclass API: add our control and artists, then let the base class finish ------
    def _finish(self, controls, layout):
        self.m.options = BUG_M_OPTIONS
        self.m.value = self._m_start
        self.n_trajectories = B.Enumeration(self.mdp, self.policy, 1).n_batches
        ax = self.ax
        self.expected_arrow = ax.quiver([0.0], [0.0], [0.0], [0.0], angles="xy",
                                        scale_units="xy", scale=1, color=ROLE["reference"],
                                        width=0.008, label="θ + η E[ĝ] (this estimator)",
                                        zorder=4)
        self.path, = ax.plot([], [], "-", color=ROLE["reference"], lw=1.5,
                             label="ascent with E[ĝ]")
        self.path_end, = ax.plot([], [], "s", color=ROLE["reference"], ms=5)
        # Every redraw renders every text artist again, and text is most of a frame's cost:
        # the key is HTML beside the figure (the gradient cloud places our _key_html), the
        # title's facts are in the stats line, and the axes keep few ticks.
        ax.set_xticks([-4, -2, 0, 2, 4])
        ax.set_yticks([-4, -2, 0, 2, 4])
        for cax in self.fig.axes:
            if cax is not ax:                                    # the colorbar
                cax.yaxis.set_major_locator(MaxNLocator(4))
        super()._finish([self.estimator, *controls], W.VBox([self.estimator, layout]))

    @staticmethod
    def _key_html() -> str:
        return html_key([(ROLE["exact"], "→", "θ + η∇U (exact)"),
                         (ROLE["reference"], "→", "θ + η E[ĝ] (this estimator)"),
                         (ROLE["score_function"], "●", "θ + η ĝ, each ĝ from m trajectories"),
                         (ROLE["reference"], "✕", "mean of those"),
                         (ROLE["reference"], "—■", "ascent with E[ĝ]")], separator="<br>")

    @property
    def spec(self) -> B.Estimator:
        return B.get(self.estimator.value)

    def _theta_old(self, theta):
        return theta - 0.5 if self.spec.reuses_data else None

    def estimates(self) -> np.ndarray:
        """The cloud: n_estimates single-batch estimates ĝ of the chosen estimator."""
        theta, m, n = self.theta, self.m.value, self.n_estimates
        old = self._theta_old(theta)
        batch = M.sample_trajectories(self.mdp, self.policy, theta if old is None else old,
                                      m * n, self.sample_rng())
        x = B.make_sample(self.mdp, self.policy, theta, batch, theta_old=old,
                          index=np.arange(m * n).reshape(n, m))
        return self.spec(x)

    def expected(self):
        """E[ĝ] at the current θ and m: exact when few enough batches, else Monte Carlo
        (seeded, so the same settings give the same answer: cached per estimator, θ, m)."""
        spec, theta, m = self.spec, self.theta, self.m.value
        m_eff = m if spec.batch else 1
        key = ("expected", spec.name, tuple(theta), m_eff)
        if key in self._cache:
            return self._cache[key]
        if math.comb(self.n_trajectories + m_eff - 1, m_eff) <= MAX_EXACT_BATCHES:
            if ("enumeration", m_eff) not in self._cache:    # built once per batch size
                self._cache["enumeration", m_eff] = B.Enumeration(self.mdp, self.policy, m_eff)
            e = self._cache["enumeration", m_eff].expect(spec.name, theta,
                                                         theta_old=self._theta_old(theta))
        else:
            rng = np.random.default_rng([self.seed, 10_007])
            e = B.monte_carlo_mean(spec.name, self.mdp, self.policy, theta, m,
                                   max(200, 20_000 // m), rng, theta_old=self._theta_old(theta))
        self._cache[key] = e
        return e

    def ascent_path(self) -> B.AscentPath:
        """Exact-expectation ascent from the current θ (cached per estimator, θ and m)."""
        spec = self.spec
        m = min(self.m.value, ASCENT_M) if spec.batch else 1
        m = max(m, spec.min_m)
        key = (spec.name, tuple(self.theta), m)      # m is 1 unless the estimator needs more
        if key not in self._cache:
            if "optimum" not in self._cache:
                self._cache["optimum"] = B.best_performance(self.mdp, self.policy)
            self._cache[key] = B.ascent(spec.name, self.mdp, self.policy, self.theta, m=m,
                                        eta=self.ascent_eta, n_steps=self.ascent_steps,
                                        optimum=self._cache["optimum"])
        return self._cache[key]

    def update(self):
        if self.spec.min_m > self.m.value:
            raise ValueError(f"{self.spec.label} needs at least m = {self.spec.min_m} "
                             "trajectories per batch: move m up.")
        super().update()                     # the cloud of ĝ and the exact ∇U arrow
        theta = self.theta
        e = self.expected()
        exact = M.exact_gradient(self.mdp, self.policy, theta)
        self.expected_arrow.set_offsets([theta])
        self.expected_arrow.set_UVC([self.eta * e.mean[0]], [self.eta * e.mean[1]])
        path = self.ascent_path()
        self.path.set_data(path.thetas[:, 0], path.thetas[:, 1])
        self.path_end.set_data([path.thetas[-1, 0]], [path.thetas[-1, 1]])
        self.expected_mean = e.mean
        norm_e, norm_g = np.linalg.norm(e.mean), np.linalg.norm(exact)
        angle = ("undefined (E[ĝ] = 0)" if norm_e < 1e-12 or norm_g < 1e-12 else
                 f"{B.angle_between(e.mean, exact):.1f}°")
        how = ("exact" if e.method == "exact" else
               f"Monte Carlo, ± {float(np.max(e.se)):.3f}")
        self.stats.value += (
            f"<br>{self.spec.label}: E[ĝ] = ({e.mean[0]:.3f}, {e.mean[1]:.3f}) ({how}) · "
            f"angle to ∇U {angle} · ‖E[ĝ]‖/‖∇U‖ = {norm_e / max(norm_g, 1e-300):.2f} · "
            f"{self.ascent_steps} ascent steps from θ: U {path.U[0]:.3f} → {path.U[-1]:.3f}")
