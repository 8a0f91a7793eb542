"""The gradient-cloud explorer of notebook 04 (``04_trajectories_and_the_policy_gradient``).

A contour plot of the exact U(θ) over two policy parameters, the exact gradient as an arrow
from θ, and a cloud of Monte Carlo estimates ĝ, each from m trajectories sampled at θ only.
Each estimate is drawn where one gradient step would land, θ + η ĝ, so the cloud shows the
steps a learner could take. Move m to watch the cloud shrink like 1/√m around the arrow's
tip; press "resample" for fresh trajectories.

The axis limits never change and the key and the title's facts are HTML beside the figure
(the key) and in the stats line, so a change redraws the cloud and the arrow over the cached
contour plot, not the text a legend and a title would add to every frame.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers import mdp as M
from helpers.plotting import ROLE
from helpers.validation import as_float_array, check_count, positive_scalar
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key

M_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


class GradientCloudExplorer(Explorer):
    """Contour of U(θ₁, θ₂), exact ∇U arrow, and a cloud of ĝ estimates. Notebook 04.

    Parameters: ``mdp`` and ``policy`` (a policy with exactly two parameters; default
    :func:`helpers.mdp.example_mdp`), the starting ``theta``, ``m``, the number of
    estimates in the cloud, the step size ``eta`` used to draw θ + η ĝ, the ``seed`` and
    ``reward_to_go``. Controls: ``m`` (a slider over 1…1000), ``theta1``, ``theta2``,
    ``resample`` (a button). ``stats`` shows the cloud's mean and spread against ∇U.
    """

    def __init__(self, mdp=None, policy=None, *, theta=(0.0, 0.0), m: int = 10,
                 n_estimates: int = 40, eta: float = 4.0, seed: int = 0,
                 reward_to_go: bool = False, extent: float = 4.0, grid: int = 41):
        super().__init__()
        if (mdp is None) != (policy is None):
            raise ValueError("give both mdp and policy, or neither (for the example MDP).")
        if mdp is None:
            mdp, policy = M.example_mdp()
        if not isinstance(policy, M.SoftmaxPolicy) or policy.n_params != 2:
            raise ValueError("the policy must be a SoftmaxPolicy with exactly two parameters, "
                             "so U(θ) can be drawn as a contour plot.")
        policy._check_mdp(mdp)
        theta = as_float_array("theta", theta, shape=(2,))
        if m not in M_OPTIONS:
            raise ValueError(f"m must be one of {M_OPTIONS}; got {m!r}.")
        self.n_estimates = check_count("n_estimates", n_estimates)
        self.eta = positive_scalar("eta (the drawing step size)", eta)
        self.resample = self._resample_button(seed, "resample")
        extent = positive_scalar("extent", extent)
        grid = check_count("grid", grid, minimum=5)
        self.mdp, self.policy, self.reward_to_go = mdp, policy, bool(reward_to_go)

        self.fig, ax = new_figure(figsize=(5.6, 4.6))
        self.ax = ax
        axis = np.linspace(-extent, extent, grid)
        U = np.array([[M.exact_performance(mdp, policy, [a, b]) for a in axis] for b in axis])
        cs = ax.contourf(axis, axis, U, levels=20, cmap="viridis", alpha=0.85)
        self.fig.colorbar(cs, ax=ax, label="exact U(θ)")
        # the estimates share the course's score-function colour (orange means finite
        # differences in notebooks 01 and 04); a white edge keeps them visible on viridis
        self.cloud = ax.scatter([], [], s=18, color=ROLE["score_function"], edgecolor="white",
                                linewidth=0.5, alpha=0.9)
        self.cloud_mean, = ax.plot([], [], "X", color=ROLE["reference"], ms=9, mec="white")
        self.arrow = ax.quiver([theta[0]], [theta[1]], [0.0], [0.0], angles="xy",
                               scale_units="xy", scale=1, color=ROLE["exact"], width=0.008,
                               zorder=3)
        self.dot, = ax.plot([theta[0]], [theta[1]], "o", color="white", mec="black", ms=6)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal",
               xlabel="θ₁ (prefer right at the first step)",
               ylabel="θ₂ (prefer right at the second step)")
        # the key beside the figure, not a legend over the contour plot (drawn again with
        # every change of the cloud beneath it)
        self.key = W.HTML(self._key_html())

        self.m = W.SelectionSlider(options=M_OPTIONS, value=m, description="m",
                                   continuous_update=False)
        self.theta1 = W.FloatSlider(value=float(theta[0]), min=-extent, max=extent, step=0.25,
                                    description="θ₁", continuous_update=False)
        self.theta2 = W.FloatSlider(value=float(theta[1]), min=-extent, max=extent, step=0.25,
                                    description="θ₂", continuous_update=False)
        self.stats = W.HTML()
        controls = [self.m, self.theta1, self.theta2]
        layout = W.VBox([W.HBox([self.m, self.resample]), W.HBox([self.theta1, self.theta2]),
                         W.HBox([figure_view(self.fig), self.key]), self.stats, self.message])
        self._finish(controls, layout)

    @staticmethod
    def _key_html() -> str:
        """The figure's key, a column of HTML beside it (subclasses give their own)."""
        return html_key([(ROLE["score_function"], "●", "θ + η ĝ (each ĝ from m trajectories)"),
                         (ROLE["reference"], "✕", "mean of the cloud"),
                         (ROLE["exact"], "→", "θ + η ∇U (exact)")], separator="<br>")

    @property
    def theta(self) -> np.ndarray:
        return np.array([self.theta1.value, self.theta2.value])

    def estimates(self) -> np.ndarray:
        """The cloud's n_estimates gradient estimates, shape (n_estimates, 2)."""
        m, n = self.m.value, self.n_estimates
        rng = self.sample_rng()
        batch = M.sample_trajectories(self.mdp, self.policy, self.theta, m * n, rng)
        g = M.per_trajectory_gradients(self.mdp, self.policy, self.theta, batch,
                                       reward_to_go=self.reward_to_go)
        return g.reshape(n, m, 2).mean(axis=1)

    def update(self):
        theta = self.theta
        exact = M.exact_gradient(self.mdp, self.policy, theta)
        ghat = self.estimates()
        tips = theta + self.eta * ghat
        self.cloud.set_offsets(tips)
        self.cloud_mean.set_data([tips[:, 0].mean()], [tips[:, 1].mean()])
        self.arrow.set_offsets([theta])
        self.arrow.set_UVC([self.eta * exact[0]], [self.eta * exact[1]])
        self.dot.set_data([theta[0]], [theta[1]])
        rms = float(np.sqrt(np.mean(np.sum((ghat - exact) ** 2, axis=1))))
        self.rms_error = rms
        mean = ghat.mean(axis=0)
        self.stats.value = (   # what the title said, then the numbers
            f"{self.n_estimates} estimates, each from m = {self.m.value} trajectories "
            f"(η = {self.eta:g}) · exact ∇U = ({exact[0]:.3f}, {exact[1]:.3f}) · mean of the "
            f"estimates = "
            f"({mean[0]:.3f}, {mean[1]:.3f}) · RMS error of one estimate = {rms:.3f}"
        )
