"""The gain explorer of notebook 10 (``10_continuous_actions_lqr``).

The plane of gains 𝐊 = (𝐊₁, 𝐊₂) of notebook 10's toy cart (:func:`helpers.lqr.toy_task`):
the exact expected cost C(𝐊, σ) as an image with contour lines at fixed multiples of the
optimum C(𝐊*, σ), grey where the gain is unstable (infinite cost), the optimum 𝐊* as a star;
from the current gain, the direction of steepest descent −∇C (black arrow) and the natural
gradient's −σ²∇C 𝚺_𝐊⁻¹ (red arrow), each drawn with the same length, and a cloud of
REINFORCE estimates 𝐊 + c ĝ, each ĝ from m episodes, on the black arrow's scale c (so the
arrow's tip is where the cloud is centred). Sliders: the gain's two entries, σ, m; a
checkbox subtracts the exact value baseline; "resample" draws new episodes.

An unstable gain is not an error a learner made: it shows a red "unstable: expected cost is
infinite" and the picture keeps the last stable gain. The image and contour lines of every σ
are computed when the explorer is built (one batched Lyapunov solve each) and then only
swapped in, and the axes never change, so moving the gain redraws the cloud and arrows over a
cached background.
"""

from __future__ import annotations

import contourpy
import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection

from helpers import lqr
from helpers.plotting import ROLE
from helpers.validation import check_count, positive_scalar
from helpers.widgets.common import Explorer, figure_view, new_figure
from helpers.widgets.parts import html_key

#: σ offered by the slider, and m (episodes per estimate)
SIGMA_OPTIONS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
M_OPTIONS = (1, 2, 5, 10, 20, 50, 100)
#: contour lines at these multiples of the optimum C(𝐊*, σ)
LEVELS = (1.05, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
#: the picture's window in gain space (the toy's stable set lies inside it)
K1_RANGE, K2_RANGE = (-0.5, 4.5), (-0.5, 2.5)


class LQRExplorer(Explorer):
    """Gain space of the toy LQR: exact C contours, −∇C and natural-gradient arrows, a cloud
    of REINFORCE estimates. Notebook 10.

    Parameters: ``gain`` (𝐊₁, 𝐊₂), ``sigma`` and ``m`` (from :data:`SIGMA_OPTIONS` and
    :data:`M_OPTIONS`), ``n_estimates`` (points in the cloud), ``baseline`` (subtract the
    exact V(s_t)), ``seed``, ``arrow`` (the arrows' length in gain units), ``grid`` (image
    resolution). Controls: ``gain1``, ``gain2``, ``sigma``, ``m``, ``baseline``, ``resample``;
    ``stats`` gives the numbers behind the picture.
    """

    def __init__(self, *, gain=(0.3, 0.5), sigma: float = 0.5, m: int = 10,
                 n_estimates: int = 30, baseline: bool = False, seed: int = 0,
                 arrow: float = 0.6, grid: int = 81, horizon: int = 60):
        super().__init__()
        gain = np.asarray(gain, dtype=float).reshape(-1)
        if gain.shape != (2,) or not np.all(np.isfinite(gain)):
            raise ValueError(f"gain must be two finite numbers (𝐊₁, 𝐊₂); got {gain!r}.")
        if sigma not in SIGMA_OPTIONS:
            raise ValueError(f"sigma must be one of {SIGMA_OPTIONS}; got {sigma!r}.")
        if m not in M_OPTIONS:
            raise ValueError(f"m must be one of {M_OPTIONS}; got {m!r}.")
        self.n_estimates = check_count("n_estimates", n_estimates, minimum=2)
        self.arrow_length = positive_scalar("arrow", arrow)
        self.grid = check_count("grid", grid, minimum=5)
        # γ = 0.9 and 60 steps: γ^60 ≈ 0.002; the arrows are the H-step gradients the
        # cloud estimates, so arrow and cloud agree exactly
        self.task = lqr.toy_task(horizon=check_count("horizon", horizon))
        self.k_star, _ = lqr.optimal_gain(self.task)
        self.resample = self._resample_button(seed, "resample")
        self._pictures = {}
        for s in SIGMA_OPTIONS:          # every σ's picture now, so a σ change only swaps it
            self.picture(s)

        self.fig, ax = new_figure(figsize=(5.8, 3.9))
        self.ax = ax
        extent = (*K1_RANGE, *K2_RANGE)
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#d9d9d9")
        self.image = ax.imshow(np.zeros((2, 2)), origin="lower", extent=extent, cmap=cmap,
                               aspect="auto", vmin=0, vmax=1.2, interpolation="nearest")
        self.lines = LineCollection([], colors="white", linewidths=0.8, alpha=0.8)
        ax.add_collection(self.lines)
        ax.plot(*self.k_star[0], "*", color="white", mec="black", ms=12)
        self.cloud = ax.scatter([], [], s=14, color=ROLE["score_function"], edgecolor="white",
                                linewidth=0.4, alpha=0.9, zorder=3)
        self.cloud_mean, = ax.plot([], [], "X", color=ROLE["reference"], ms=8, mec="white",
                                   zorder=4)
        quiver = {"angles": "xy", "scale_units": "xy", "scale": 1, "width": 0.007,
                  "zorder": 5}
        self.arrow = ax.quiver([0.0], [0.0], [0.0], [0.0], color=ROLE["exact"], **quiver)
        self.natural_arrow = ax.quiver([0.0], [0.0], [0.0], [0.0], color=ROLE["reference"],
                                       **quiver)
        self.dot, = ax.plot([], [], "o", color="white", mec="black", ms=6, zorder=6)
        ax.set(xlim=K1_RANGE, ylim=K2_RANGE, xlabel=r"$\mathbf{K}_1$ (push per metre)",
               ylabel=r"$\mathbf{K}_2$ (push per m/s)")
        self.key = W.HTML(html_key([
            ("#7f7f7f", "■", "grey: unstable, C = ∞"),
            ("#000000", "★", "𝐊* (Riccati)"),
            (ROLE["exact"], "→", "−∇C (steepest descent)"),
            (ROLE["reference"], "→", "natural gradient −σ²∇C 𝚺⁻¹"),
            (ROLE["score_function"], "●", "𝐊 + c ĝ, each ĝ from m episodes"),
            (ROLE["reference"], "✕", "mean of the cloud"),
            ("#ffffff", "—", f"contours: C/C* = {', '.join(f'{x:g}' for x in LEVELS)}"),
        ], separator="<br>"))

        slider = {"continuous_update": False, "readout_format": ".2f"}
        self.gain1 = W.FloatSlider(value=float(gain[0]), min=K1_RANGE[0], max=K1_RANGE[1],
                                step=0.05, description="𝐊₁", **slider)
        self.gain2 = W.FloatSlider(value=float(gain[1]), min=K2_RANGE[0], max=K2_RANGE[1],
                                step=0.05, description="𝐊₂", **slider)
        self.sigma = W.SelectionSlider(options=SIGMA_OPTIONS, value=sigma, description="σ",
                                       continuous_update=False)
        self.m = W.SelectionSlider(options=M_OPTIONS, value=m, description="m",
                                   continuous_update=False)
        self.baseline = W.Checkbox(value=bool(baseline), description="baseline V(s_t)",
                                   indent=False)
        self.stats = W.HTML()
        controls = [self.gain1, self.gain2, self.sigma, self.m, self.baseline]
        layout = W.VBox([W.HBox([self.gain1, self.gain2]), W.HBox([self.sigma, self.m]),
                         W.HBox([self.baseline, self.resample]),
                         W.HBox([figure_view(self.fig), self.key]), self.stats, self.message])
        self._finish(controls, layout)

    @property
    def gain(self) -> np.ndarray:
        """The current gain, shape (1, 2)."""
        return np.array([[self.gain1.value, self.gain2.value]])

    def picture(self, sigma):
        """(image of log₁₀ C/C*, contour segments, C*) for one σ, computed once."""
        if sigma not in self._pictures:
            k1 = np.linspace(*K1_RANGE, self.grid)
            k2 = np.linspace(*K2_RANGE, self.grid)
            gains = np.stack(np.meshgrid(k1, k2), axis=-1).reshape(-1, 1, 2)
            c_star = lqr.cost(self.task, self.k_star, sigma)
            ratio = lqr.cost_grid(self.task, gains, sigma).reshape(self.grid, self.grid) / c_star
            finite = np.isfinite(ratio)
            log_ratio = np.where(finite, np.log10(np.where(finite, ratio, 1.0)), np.nan)
            gen = contourpy.contour_generator(k1, k2, np.where(finite, ratio, 1e6))
            segments = [seg for level in LEVELS for seg in gen.lines(level)]
            self._pictures[sigma] = (np.ma.masked_invalid(log_ratio), segments, c_star)
        return self._pictures[sigma]

    def estimates(self) -> np.ndarray:
        """The cloud's n_estimates REINFORCE estimates ĝ of ∇U = −∇C, shape (n, 2)."""
        K, sigma, m = self.gain, self.sigma.value, self.m.value
        ro = lqr.rollouts(self.task, K, sigma, m * self.n_estimates, self.sample_rng())
        b = lqr.exact_baseline(self.task, K, sigma, ro) if self.baseline.value else None
        g, _ = lqr.score_function_estimates(ro, sigma, baseline=b)
        return g.reshape(self.n_estimates, m, 2).mean(axis=1)

    def update(self):
        K, sigma = self.gain, self.sigma.value
        image, segments, c_star = self.picture(sigma)
        if sigma != getattr(self, "_shown_sigma", None):    # only then: the background moves
            self.image.set_data(image)
            self.lines.set_segments(segments)
            self._shown_sigma = sigma
        radius = lqr.spectral_radius(self.task, K)
        if not radius < 1 / np.sqrt(self.task.gamma):
            limit = 1 / np.sqrt(self.task.gamma)
            raise ValueError(f"unstable: expected cost is infinite (the spectral radius of "
                             f"A − BK is {radius:.3f} ≥ 1/√γ = {limit:.3f}). Move the gain "
                             "back into the coloured region; the picture and the numbers "
                             "below still show the last stable gain.")
        H = self.task.horizon
        grad = lqr.gradient(self.task, K, sigma, H)[0]          # ∇C over the H steps
        nat, _ = lqr.natural_gradient(self.task, K, sigma, H)
        nat = nat[0]
        scale = self.arrow_length / np.linalg.norm(grad)        # c: ‖c ∇C‖ = arrow length
        ghat = self.estimates()
        tips = K[0] + scale * ghat                              # ĝ estimates −∇C
        self.cloud.set_offsets(tips)
        self.cloud_mean.set_data([tips[:, 0].mean()], [tips[:, 1].mean()])
        for arrow, d in ((self.arrow, -grad * scale),
                         (self.natural_arrow, -nat * self.arrow_length / np.linalg.norm(nat))):
            arrow.set_offsets([K[0]])
            arrow.set_UVC([d[0]], [d[1]])
        self.dot.set_data([K[0, 0]], [K[0, 1]])
        c = lqr.cost(self.task, K, sigma)
        spread = float(np.sqrt(np.mean(np.sum((ghat + grad) ** 2, axis=1))))
        self.rms_error = spread
        cos = float(-grad @ -nat / (np.linalg.norm(grad) * np.linalg.norm(nat)))
        self.stats.value = (
            f"C(𝐊, σ) = {c:.3f} = {c / c_star:.3f} × C(𝐊*, σ) · ∇C = ({grad[0]:.3f}, "
            f"{grad[1]:.3f}) · angle between the arrows "
            f"{np.degrees(np.arccos(min(1.0, cos))):.0f}°"
            f" · {self.n_estimates} estimates from m = {self.m.value} episodes each: RMS error "
            f"‖ĝ + ∇C‖ = {spread:.3g} ({spread / np.linalg.norm(grad):.2f} × ‖∇C‖)")
