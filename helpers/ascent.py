"""Climbing U(θ) on a tabular MDP, counted in episodes. Introduced in notebook 04
(``04_trajectories_and_the_policy_gradient``).

* :func:`gradient_ascent` — θ ← θ + η ĝ with ĝ from m fresh episodes per step, or with the
  exact ∇U (``m=None``: the reference no agent can afford);
* :func:`evolution_strategy` — a black-box method that never looks inside an episode: it
  perturbs θ itself, θ ± σε with ε ~ N(0, I), runs one episode at each, and steps along
  Σ_i (R⁺_i − R⁻_i) ε_i. This is the antithetic evolution strategy of Salimans et al. (2017,
  arXiv:1703.03864) and, up to the scale 1/(2σ), the "basic random search" of Mania et al.
  (2018, arXiv:1803.07055). It follows the gradient of the *smoothed* objective
  E_ε[U(θ + σε)], which is ∇U only as σ → 0;
* :func:`episodes_to_reach` — how many episodes each run had used when U first reached a
  target;
* :func:`corridor_mdp`, :func:`corridor_gradient_costs` and :func:`plot_corridor_costs` —
  when does the black box need fewer episodes? Exact counts, on a corridor of T steps, of
  the episodes one gradient estimate needs (section 7's last part).

Both methods run ``n_runs`` independent runs side by side (vectorised) and record the exact
U(θ_k) of every run after every step — computed for the comparison, never used by the
method — so methods are compared on one axis: episodes of experience.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from helpers import mdp as M
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

__all__ = ["corridor_mdp", "episodes_to_reach", "evolution_strategy", "gradient_ascent",
           "corridor_gradient_costs"]


def _check(mdp, policy, theta0, n_runs):
    policy._check_mdp(mdp)
    theta = policy.check_theta(theta0)
    n_runs = check_count("n_runs", n_runs)
    return np.tile(theta, (n_runs, 1)), n_runs


def _performance(mdp, policy, thetas):
    """Exact U(θ) for each row of ``thetas`` (a batched Bellman solve without a horizon)."""
    if mdp.horizon is not None:
        return np.array([M.exact_performance(mdp, policy, t) for t in thetas])
    logits = np.einsum("sak,rk->rsa", policy.features, thetas)
    pi = np.exp(logits - logits.max(axis=2, keepdims=True))
    pi /= pi.sum(axis=2, keepdims=True)
    live = ~mdp.terminal
    r_pi = np.where(live, (pi * mdp.r).sum(axis=2), 0.0)
    P_pi = np.einsum("rsa,sat->rst", pi, mdp.P) * (live[:, None] & live[None, :])
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, r_pi[..., None])[..., 0]
    return V @ mdp.rho


def _rollouts(mdp, policy, thetas, rng, max_steps=1000):
    """One episode at each row of ``thetas``: returns R (E,) and Σ_t ∇log π(a_t|s_t) (E, K)."""
    E = thetas.shape[0]
    logits = np.einsum("sak,ek->esa", policy.features, thetas)
    pi = np.exp(logits - logits.max(axis=2, keepdims=True))
    pi /= pi.sum(axis=2, keepdims=True)
    cum_pi = np.cumsum(pi, axis=2)
    mean_phi = np.einsum("esa,sak->esk", pi, policy.features)
    cum_P = np.cumsum(mdp.P, axis=2)
    rows = np.arange(E)
    s = M._draw(np.broadcast_to(np.cumsum(mdp.rho), (E, mdp.n_states)), rng)
    alive = np.ones(E, dtype=bool)
    ret, score = np.zeros(E), np.zeros_like(thetas)
    T = mdp.horizon if mdp.horizon is not None else max_steps
    for t in range(T):
        a = M._draw(cum_pi[rows, s], rng)
        s2 = M._draw(cum_P[s, a], rng)
        ret += np.where(alive, mdp.gamma**t * mdp.r[s, a], 0.0)
        score += np.where(alive[:, None], policy.features[s, a] - mean_phi[rows, s], 0.0)
        alive &= ~mdp.terminal[s2]
        s = np.where(alive, s2, s)
        if not alive.any():
            break
    else:
        if mdp.horizon is None and alive.any():
            raise ValueError(f"an episode was still running after {max_steps} actions; "
                             "give the MDP a horizon.")
    return ret, score


def gradient_ascent(mdp, policy, theta0, *, eta: float, n_steps: int, m: int | None = None,
                    n_runs: int = 1, rng=None) -> dict:
    """``n_runs`` runs of n_steps of θ ← θ + η ĝ, ĝ from m episodes sampled at the current θ.

    ĝ = (1/m) Σ_i R(τ_i) Σ_t ∇log π(a_t|s_t) (the full return; notebook 05 refines it).
    ``m=None`` steps along the exact ∇U instead (no episodes). Returns a dict with
    ``U`` (n_runs, n_steps + 1), the exact U of each run's θ_k, ``theta`` (n_runs,
    n_steps + 1, K) and ``episodes`` (n_steps + 1,), the episodes each run had used before
    θ_k. Introduced in notebook 04.
    """
    eta = positive_scalar("eta (the step size)", eta)
    n_steps = check_count("n_steps", n_steps)
    theta, n_runs = _check(mdp, policy, theta0, n_runs)
    if m is not None:
        m = check_count("m (episodes per step)", m)
        rng = check_rng(rng)
    thetas = [theta]
    for _ in range(n_steps):
        if m is None:
            g = np.array([M.exact_gradient(mdp, policy, t) for t in theta])
        else:
            ret, score = _rollouts(mdp, policy, np.repeat(theta, m, axis=0), rng)
            g = (ret[:, None] * score).reshape(n_runs, m, -1).mean(axis=1)
        theta = theta + eta * g
        thetas.append(theta)
    thetas = np.stack(thetas, axis=1)
    U = _performance(mdp, policy, thetas.reshape(-1, thetas.shape[2])).reshape(n_runs, -1)
    return {"U": U, "theta": thetas, "episodes": np.arange(n_steps + 1) * float(m or 0)}


def evolution_strategy(mdp, policy, theta0, *, eta: float, sigma: float, n_steps: int,
                       n_directions: int = 1, n_runs: int = 1, rng) -> dict:
    """Antithetic evolution strategy (black-box random search) on θ, one episode per point.

    Each step draws ε_1..ε_n ~ N(0, I), runs one episode at θ + σε_i and one at θ − σε_i
    (returns R⁺_i, R⁻_i), and moves θ ← θ + η/(2σn) Σ_i (R⁺_i − R⁻_i) ε_i: 2n episodes a
    step. Nothing inside an episode (actions, log π) is used. Returns the same dict as
    :func:`gradient_ascent`. Introduced in notebook 04.
    """
    eta = positive_scalar("eta (the step size)", eta)
    sigma = positive_scalar("sigma (the perturbation size)", sigma)
    n = check_count("n_directions", n_directions)
    n_steps = check_count("n_steps", n_steps)
    theta, n_runs = _check(mdp, policy, theta0, n_runs)
    rng = check_rng(rng)
    K = theta.shape[1]
    thetas = [theta]
    for _ in range(n_steps):
        eps = rng.standard_normal((n_runs, n, K))
        points = np.concatenate([theta[:, None] + sigma * eps, theta[:, None] - sigma * eps],
                                axis=1).reshape(-1, K)
        ret, _ = _rollouts(mdp, policy, points, rng)
        ret = ret.reshape(n_runs, 2, n)
        theta = theta + eta / (2 * sigma * n) * np.einsum("ri,rik->rk", ret[:, 0] - ret[:, 1],
                                                          eps)
        thetas.append(theta)
    thetas = np.stack(thetas, axis=1)
    U = _performance(mdp, policy, thetas.reshape(-1, K)).reshape(n_runs, -1)
    return {"U": U, "theta": thetas, "episodes": np.arange(n_steps + 1) * 2.0 * n}


def episodes_to_reach(run: dict, target: float) -> np.ndarray:
    """Episodes each run had used when its exact U first reached ``target`` (inf if never).

    ``run`` is a dict from :func:`gradient_ascent` or :func:`evolution_strategy`; the result
    has one entry per run. Introduced in notebook 04.
    """
    target = as_finite_scalar("target", target)
    if not isinstance(run, dict) or not {"U", "episodes"} <= set(run):
        raise ValueError("run must be a dict from gradient_ascent or evolution_strategy.")
    U, episodes = np.atleast_2d(run["U"]), np.asarray(run["episodes"], dtype=float)
    hit = U >= target
    first = np.argmax(hit, axis=1)
    return np.where(hit.any(axis=1), episodes[first], np.inf)


# --------------------------------------------------------------------------------------
# When does the black box win? (notebook 04, end of section 7)
# --------------------------------------------------------------------------------------
def corridor_mdp(T: int = 30, *, shared: bool = True):
    """T decisions in a row, each paying +1 for *right* and 0 for *left*: ``(mdp, policy)``.

    Every episode lasts exactly T actions (state t is "step t", whatever the action), so
    R(τ) counts the *right* actions, like CartPole's +1 per step survived. With
    ``shared=True`` the policy has one parameter (K = 1), the preference for *right* at
    every step; with ``shared=False`` every step has its own (K = T). U(θ) = Σ_t π_t(right).
    Introduced in notebook 04.
    """
    T = check_count("T (the number of steps)", T)
    S = T + 1
    P = np.zeros((S, 2, S))
    P[np.arange(T), :, np.arange(1, S)] = 1.0
    r = np.zeros((S, 2))
    r[:T, 1] = 1.0
    mdp = M.TabularMDP(P, r, np.eye(S)[0], terminal=[T],
                       state_names=[f"t{t}" for t in range(T)] + ["end"],
                       action_names=["left", "right"])
    K = 1 if shared else T
    phi = np.zeros((S, 2, K))
    phi[np.arange(T), 1, 0 if shared else np.arange(T)] = 1.0
    return mdp, M.SoftmaxPolicy(phi)


def corridor_gradient_costs(T: int, *, shared: bool, theta: float = 0.0,
                            sigmas=(0.1, 0.2, 0.3, 0.5, 1.0), rel_error: float = 0.1,
                            n_nodes: int = 120) -> dict:
    """Episodes each estimator needs, on :func:`corridor_mdp` with every preference equal to
    ``theta``, for one gradient estimate with E‖ĝ − ∇U‖² = (rel_error · ‖∇U‖)², exactly:

    * ``"score_function"``: ĝ from m episodes, g(τ) = R(τ) Σ_t ∇log π(a_t|s_t) (notebook 04's
      estimator), so m = E‖g − ∇U‖² / target;
    * ``"score_function_baseline"``: the same with the constant baseline b = U(θ),
      g(τ) = (R(τ) − b) Σ_t ∇log π (notebook 03);
    * ``"evolution_strategy"``: antithetic pairs (R⁺ − R⁻) ε / (2σ) at θ ± σε, two episodes a
      pair. Their mean is the gradient of the smoothed objective, so the squared bias uses
      part of the target: episodes = 2 tr Cov / (target − ‖bias‖²), ``inf`` when the bias
      alone exceeds it; ``"sigma"`` is the cheapest σ of ``sigmas`` (as finite differences
      get their best h in :func:`helpers.mdp.episodes_needed`).

    The corridor's T steps are independent coin flips with π = σ(θ), so R(τ), the number of
    *right* actions, is binomial: the score-function moments are sums over its values, and
    the strategy's over ε are Gauss–Hermite quadratures (one dimension even for K = T: the
    steps' perturbations are independent). ``tests/test_ascent.py`` checks every number
    against enumeration and simulation. Introduced in notebook 04.
    """
    T = check_count("T (the number of steps)", T)
    theta = as_finite_scalar("theta (every step's preference for right)", theta)
    rel_error = positive_scalar("rel_error", rel_error)
    n_nodes = check_count("n_nodes", n_nodes)
    grid = np.atleast_1d(as_float_array("sigmas (perturbation sizes)", sigmas))
    if grid.ndim != 1 or grid.size < 1 or np.any(grid <= 0):
        raise ValueError(f"sigmas must be a sequence of positive numbers; got {sigmas!r}.")
    p = 1 / (1 + np.exp(-theta))
    K = 1 if shared else T
    dU = p * (1 - p)                        # ∂U/∂θ_t for one step's preference
    grad_sq = (T * dU) ** 2 if shared else T * dU**2
    target = (rel_error**2) * grad_sq
    costs = {}
    for key, b in (("score_function", 0.0), ("score_function_baseline", T * p)):
        if shared:                          # g = (N − b)(N − Tπ), N ~ Binomial(T, π)
            N, w = _binomial(T, p)
            second = w @ ((N - b) * (N - T * p)) ** 2
            error = second - (T * dU) ** 2
        else:                               # g_t = (N − b)(a_t − π); condition on a_t
            N, w = _binomial(T - 1, p)
            second = (p * (1 - p) ** 2 * (w @ (1 + N - b) ** 2)
                      + (1 - p) * p**2 * (w @ (N - b) ** 2))
            error = T * (second - dU**2)
        costs[key] = float(error / target)
    exact_component, n_components = (T * dU, 1) if shared else (dU, T)
    best, best_sigma = np.inf, float(grid[0])
    for sigma in grid:
        mean, cov = _corridor_pair_moments(T, shared, theta, float(sigma), n_nodes)
        room = target - n_components * (mean - exact_component) ** 2
        cost = 2 * cov / room if room > 0 else np.inf
        if cost < best:
            best, best_sigma = float(cost), float(sigma)
    costs["evolution_strategy"] = best
    costs["sigma"] = best_sigma
    costs["K"] = K
    return costs


def _corridor_pair_moments(T, shared, theta, sigma, n_nodes=120):
    """One antithetic pair's estimate on the corridor: (the mean of one component, tr Cov).

    R⁺ − R⁻ given the perturbation has mean Σ_t d_t and variance Σ_t v_t, with
    d = π(θ + σε_t) − π(θ − σε_t) and v the two Bernoulli variances. Shared (K = 1): one ε
    for every step. Per step (K = T): ε_t independent, and the cross terms E[ε_j² d_t d_s]
    vanish unless t = s, because d is odd in ε.
    """
    x, wq = _gauss_hermite(n_nodes)
    up, down = 1 / (1 + np.exp(-(theta + sigma * x))), 1 / (1 + np.exp(-(theta - sigma * x)))
    d, v = up - down, up * (1 - up) + down * (1 - down)
    if shared:                              # R± ~ Binomial(T, π(θ ± σε)), one ε
        mean = T * (wq @ (x * d)) / (2 * sigma)
        second = wq @ (x**2 * (T * v + T**2 * d**2)) / (4 * sigma**2)
        return mean, second - mean**2
    mean = (wq @ (x * d)) / (2 * sigma)
    per = (wq @ (x**2 * v) + (T - 1) * (wq @ v) + wq @ (x**2 * d**2)
           + (T - 1) * (wq @ d**2)) / (4 * sigma**2)
    return mean, T * (per - mean**2)


@functools.lru_cache(maxsize=8)
def _gauss_hermite(n_nodes):
    """Nodes and weights (summing to 1) for expectations over ε ~ N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    x.setflags(write=False)
    w = w / w.sum()
    w.setflags(write=False)
    return x, w


def _binomial(n, p):
    """Values 0..n and their Binomial(n, p) probabilities."""
    k = np.arange(n + 1)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                           for i in k])
    with np.errstate(divide="ignore"):
        logw = log_choose + k * np.log(p) + (n - k) * np.log1p(-p)
    return k.astype(float), np.exp(logw)


#: How each estimator is drawn in :func:`plot_corridor_costs`.
_COST_STYLE = {
    "score_function": ("score function, R(τ)", "o-", "score_function"),
    "score_function_baseline": ("score function, R(τ) − U", "o--", "baseline"),
    "evolution_strategy": ("evolution strategy (best σ)", "s-", "finite_difference"),
}


def plot_corridor_costs(Ts, theta: float = 0.0, axes=None) -> dict:
    """Two log-log panels of :func:`corridor_gradient_costs` against the corridor's length T:
    one shared parameter (K = 1) on the left, one per step (K = T) on the right, a line per
    estimator. Returns ``{"costs": {True: [...], False: [...]}, "axes": axes}`` (the dicts
    of :func:`corridor_gradient_costs`, keyed by ``shared``). Introduced in notebook 04.
    """
    import matplotlib.pyplot as plt

    from helpers.plotting import ROLE

    Ts = [check_count("T (the number of steps)", T) for T in np.atleast_1d(Ts).tolist()]
    if len(Ts) < 2:
        raise ValueError(f"Ts must list at least two corridor lengths; got {Ts!r}.")
    costs = {shared: [corridor_gradient_costs(T, shared=shared, theta=theta) for T in Ts]
             for shared in (True, False)}
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, shared in zip(axes, (True, False), strict=True):
        for key, (label, style, role) in _COST_STYLE.items():
            ax.loglog(Ts, [c[key] for c in costs[shared]], style, color=ROLE[role], label=label)
        ax.set(xlabel="T (actions per episode)",
               title="one shared parameter (K = 1)" if shared else "one parameter per step (K = T)")
    axes[0].set_ylabel("episodes for 10 % RMS error")
    axes[0].legend()
    return {"costs": costs, "axes": axes}
