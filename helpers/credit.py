"""Pictures of credit assignment inside an episode. Introduced in notebook 05
(``05_surrogate_loss_and_reward_to_go``).

* :func:`reward_weights` and :func:`plot_reward_to_go_mask` — which rewards weight which
  step's score: every reward weights every step under the full return R(τ); only the
  rewards from step t on under the reward-to-go G_t (discounted from t) and γ^t G_t
  (discounted from the start);
* :func:`trajectory_pushes` and :func:`plot_trajectory_pushes` — one update from a single
  trajectory, θ′ = θ + η R(τ) Σ_t ∇log π(a_t|s_t), pushes that trajectory's own
  log-probability by Δlog P(τ) ≈ η R(τ) ‖Σ_t ∇log π(a_t|s_t)‖² (the dynamics cancel, so
  Δlog P(τ) = Σ_t Δlog π(a_t|s_t)); drawn as one arrow per sampled trajectory in the plane of
  two parameters, and as the exact change against that first-order prediction;
* :func:`plot_action_moves` — the bars of notebook 05's section 2 (what one update does to
  each action of an episode), with exact zeros marked so they do not look like missing bars.
"""

from __future__ import annotations

import numpy as np

from helpers.plotting import COLORS, ROLE
from helpers.validation import as_finite_scalar, check_count, positive_scalar

__all__ = [
    "plot_action_moves",
    "plot_reward_to_go_mask",
    "plot_trajectory_pushes",
    "reward_weights",
    "trajectory_pushes",
]

#: The three weightings, in the order they are drawn.
WEIGHTINGS = ("return", "reward_to_go", "discounted_reward_to_go")
_TITLES = {
    "return": r"full return $R(\tau)$ (unbiased)",
    "reward_to_go": r"reward-to-go $G_t$ (biased if $\gamma<1$)",
    "discounted_reward_to_go": r"$\gamma^t G_t$ (unbiased)",
}


def reward_weights(T: int, gamma: float, kind: str) -> np.ndarray:
    """The (T, T) matrix W with A_t = Σ_t' W[t, t'] r_t' for one episode of T actions.

    ``kind`` is ``"return"`` (W[t, t'] = γ^t', every reward weights every step),
    ``"reward_to_go"`` (γ^(t'−t) for t' ≥ t, else 0: G_t) or ``"discounted_reward_to_go"``
    (γ^t' for t' ≥ t: γ^t G_t). Introduced in notebook 05.
    """
    T = check_count("T (the number of actions)", T)
    gamma = as_finite_scalar("gamma (the discount)", gamma)
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must lie in (0, 1]; got {gamma}.")
    t, t2 = np.meshgrid(np.arange(T), np.arange(T), indexing="ij")
    later = t2 >= t
    if kind == "return":
        return gamma ** t2.astype(float)
    if kind == "reward_to_go":
        return np.where(later, gamma ** np.maximum(t2 - t, 0).astype(float), 0.0)
    if kind == "discounted_reward_to_go":
        return np.where(later, gamma ** t2.astype(float), 0.0)
    raise ValueError(f"kind must be one of {WEIGHTINGS}; got {kind!r}.")


def plot_reward_to_go_mask(T: int = 4, gamma: float = 0.5, axes=None) -> dict:
    """Three panels, one per weighting: row t is the score of a_t, column t' the reward r_t',
    and the cell shows the factor with which r_t' enters a_t's weight (blank: 0, the
    reward came before the action). Returns ``{"weights": {kind: W}, "axes": axes}``.
    Introduced in notebook 05.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    weights = {kind: reward_weights(T, gamma, kind) for kind in WEIGHTINGS}
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(9.6, 4.0))
    cmap = LinearSegmentedColormap.from_list("weight", ["#FFFFFF", COLORS["blue"]])
    for ax, kind in zip(axes, WEIGHTINGS, strict=True):
        W = weights[kind]
        ax.imshow(W, cmap=cmap, vmin=0, vmax=1.6)
        for (row, col), w in np.ndenumerate(W):
            if w > 0:
                ax.text(col, row, f"{w:.3g}", ha="center", va="center", fontsize=11,
                        color="white" if w > 0.7 else COLORS["black"])
        ax.set_xticks(range(T), [f"$r_{t}$" for t in range(T)])
        ax.set_yticks(range(T), [rf"$\nabla\log\pi(a_{t})$" for t in range(T)])
        ax.tick_params(length=0)
        ax.grid(False)
        ax.set_title(_TITLES[kind])
        ax.set_xlabel("reward")
    for ax in axes[1:]:
        ax.set_yticklabels([])
    return {"weights": weights, "axes": axes}


def trajectory_pushes(mdp, policy, theta, batch, eta: float) -> dict:
    """One update from each trajectory of ``batch`` alone, and what it does to that
    trajectory's own log-probability.

    For trajectory i: its return R_i, its score sum S_i = Σ_t ∇log π(a_t|s_t), the step
    Δθ_i = η R_i S_i, the exact change Δlog P(τ_i) = Σ_t [log π_θ+Δθ_i − log π_θ](a_t|s_t)
    (the dynamics cancel) and the first-order prediction η R_i ‖S_i‖². Uses
    :func:`helpers.mdp.one_episode_update` with the full return. Introduced in notebook 05.
    """
    from helpers import mdp as mdp_module

    eta = positive_scalar("eta (the step size)", eta)
    rows = [mdp_module.one_episode_update(mdp, policy, theta, batch, i, eta=eta)
            for i in range(batch.m)]
    return {
        "returns": batch.returns(mdp.gamma),
        "score_sums": np.array([r["scores"].sum(axis=0) for r in rows]),
        "steps": np.array([r["step"] for r in rows]),
        "exact": np.array([r["exact"].sum() for r in rows]),
        "first_order": np.array([r["first_order"].sum() for r in rows]),
    }


def plot_trajectory_pushes(mdp, policy, theta, batch, eta: float, axes=None) -> dict:
    """Left: one arrow per sampled trajectory from θ to θ + η R(τ) Σ_t ∇log π (two
    parameters), coloured by the sign of R(τ), with their mean — the batch's step η ĝ — and
    the exact step η ∇U. Right: the exact Δlog P(τ) of each trajectory after its own update
    against the first-order prediction η R(τ) ‖Σ_t ∇log π‖², with the diagonal. Identical
    trajectories give identical arrows and points: their returns and counts are written
    beside them. Returns the
    dict of :func:`trajectory_pushes` with ``"axes"`` added. Introduced in notebook 05.
    """
    import matplotlib.pyplot as plt

    from helpers import mdp as mdp_module

    theta = policy.check_theta(theta)
    if theta.size != 2:
        raise ValueError(f"plot_trajectory_pushes draws two parameters; theta has {theta.size}.")
    out = trajectory_pushes(mdp, policy, theta, batch, eta)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.6, 3.8))
    left, right = axes
    colour = np.where(out["returns"] > 0, COLORS["green"],
                      np.where(out["returns"] < 0, COLORS["red"], COLORS["grey"]))
    for step, c in zip(out["steps"], colour, strict=True):
        left.annotate("", xy=theta + step, xytext=theta,
                      arrowprops=dict(arrowstyle="-|>", color=c, alpha=0.55, lw=1.4))
    rounded = np.round(out["steps"], 9)
    reach = np.abs(rounded).max() + 1e-9
    for tip in np.unique(rounded, axis=0):                # identical arrows overlap: say so
        same = np.all(rounded == tip, axis=1)
        values, counts = np.unique(out["returns"][same], return_counts=True)
        if np.any(tip != 0):
            text = ", ".join(f"R = {R:g}" + (f" (×{k})" if k > 1 else "")
                             for R, k in zip(values, counts, strict=True))
            if np.abs(tip).max() < 0.4 * reach:           # a short arrow: write beside it
                where = dict(xytext=(5 if tip[0] >= 0 else -5, 0),
                             ha="left" if tip[0] >= 0 else "right", va="center")
            else:                                         # a long one: above or below its tip
                where = dict(xytext=(0, 5 if tip[1] >= 0 else -5), ha="center",
                             va="bottom" if tip[1] >= 0 else "top")
            left.annotate(text, theta + tip, textcoords="offset points", fontsize=10,
                          color=COLORS["black"], zorder=3.5, **where,
                          bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none",
                                    alpha=0.7))
    mean_step = out["steps"].mean(axis=0)
    exact_step = eta * mdp_module.exact_gradient(mdp, policy, theta)
    # the two steps can nearly coincide: the exact one is drawn thinner, dashed, on top
    for step, style, c, lw, label in (
            (mean_step, "-", ROLE["score_function"], 3.0, "mean of the arrows: η ĝ"),
            (exact_step, "--", ROLE["exact"], 1.8, "exact step η ∇U")):
        left.annotate("", xy=theta + step, xytext=theta, zorder=4,
                      arrowprops=dict(arrowstyle="-|>", color=c, lw=lw, linestyle=style))
        left.plot([], [], style, color=c, lw=lw, label=label)
    signs = [(COLORS["green"], "one trajectory, R(τ) > 0"),
             (COLORS["red"], "one trajectory, R(τ) < 0")]
    if np.any(out["returns"] == 0):
        signs.append((COLORS["grey"], "R(τ) = 0: no step"))
    for c, label in signs:
        left.plot([], [], color=c, lw=1.4, label=label)
    ends = np.vstack([theta + out["steps"], theta + mean_step, theta + exact_step, theta])
    centre = (ends.max(axis=0) + ends.min(axis=0)) / 2
    half = 0.8 * (ends.max(axis=0) - ends.min(axis=0)).max() + 1e-9   # room for labels
    left.set(xlim=(centre[0] - half, centre[0] + half),
             ylim=(centre[1] - half, centre[1] + half),
             xlabel="θ1", ylabel="θ2", title=f"one update per trajectory (m = {batch.m})")
    left.set_aspect("equal", adjustable="box")
    left.figure.legend(*left.get_legend_handles_labels(), loc="outside lower center",
                       ncol=3, fontsize=10)
    first, exact = out["first_order"], out["exact"]
    lim = np.abs(np.concatenate([first, exact])).max() * 1.1 + 1e-9
    right.plot([-lim, lim], [-lim, lim], "--", color=ROLE["reference"],
               label="Δlog P(τ) = η R(τ) ‖Σ∇log π‖²")
    right.scatter(first, exact, c=colour, s=40, zorder=3)
    points = np.round(np.c_[first, exact], 9)
    for point in np.unique(points, axis=0):               # identical trajectories: count them
        k = int(np.all(points == point, axis=1).sum())
        if k > 1:
            right.annotate(f"×{k}", point, xytext=(-6, 4), textcoords="offset points",
                           ha="right", va="bottom", fontsize=10, color=COLORS["black"])
    right.axhline(0, color=COLORS["grey"], lw=0.8)
    right.axvline(0, color=COLORS["grey"], lw=0.8)
    right.set(xlabel="first order  η R(τ) ‖Σ_t ∇log π‖²", ylabel="exact Δlog P(τ)",
              title="each trajectory's own change", xlim=(-lim, lim), ylim=(-lim, lim))
    right.legend(fontsize=10, loc="upper left")
    out["axes"] = axes
    return out


def plot_action_moves(moves: dict, cases, episodes, labels, axes=None, groups=None):
    """Bars of Δlog π(a_t|s_t) after one update from one episode (notebook 05, section 2):
    one panel per case (e.g. separate or shared parameters), a pair of bars per action (full
    return, reward-to-go). ``moves[(case, i, reward_to_go)]`` are dicts from
    :func:`helpers.mdp.one_episode_update`; ``labels`` name the actions, episode by episode;
    ``groups`` (optional, one string per episode) names each episode under its bars.
    An exact zero is marked with a "0" on the axis, so it does not look like a missing bar.
    Returns the axes. Introduced in notebook 05.
    """
    import matplotlib.pyplot as plt

    cases, episodes = list(cases), list(episodes)
    if groups is not None:
        groups = [str(g) for g in groups]
        if len(groups) != len(episodes):
            raise ValueError(f"groups must name each of the {len(episodes)} episodes; "
                             f"got {len(groups)} names.")
    if axes is None:
        _, axes = plt.subplots(1, len(cases), figsize=(9, 3.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, case in zip(axes, cases, strict=True):
        x0, centres = 0, []
        for e, i in enumerate(episodes):
            n = len(moves[case, i, False]["exact"])
            centres.extend(x0 + np.arange(n))
            for rtg in (False, True):
                values = moves[case, i, rtg]["exact"]
                xs = x0 + np.arange(n) + (0.2 if rtg else -0.2)
                colour = ROLE["score_function" if rtg else "exact"]
                ax.bar(xs, values, width=0.4, color=colour,
                       label=(("A_t = reward-to-go" if rtg else "A_t = R(τ)")
                              if e == 0 else None))
                for x, v in zip(xs, values, strict=True):
                    if v == 0:
                        ax.annotate("0", (x, 0), xytext=(0, 3), textcoords="offset points",
                                    ha="center", va="bottom", fontsize=9, color=colour)
            if groups is not None:
                ax.annotate(groups[e], (x0 + (n - 1) / 2, 0), xycoords=("data", "axes fraction"),
                            xytext=(0, -24), textcoords="offset points", ha="center",
                            va="top", fontsize=10, color=COLORS["grey"])
            x0 += n + 1
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(centres, labels)
        ax.set_title(f"{case} parameters")
    axes[0].set_ylabel("Δ log π(a_t|s_t)")
    axes[0].legend(fontsize=9)
    return axes
