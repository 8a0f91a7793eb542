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
  target.

Both methods run ``n_runs`` independent runs side by side (vectorised) and record the exact
U(θ_k) of every run after every step — computed for the comparison, never used by the
method — so methods are compared on one axis: episodes of experience.
"""

from __future__ import annotations

import numpy as np

from helpers import mdp as M
from helpers.validation import as_finite_scalar, check_count, check_rng, positive_scalar

__all__ = ["episodes_to_reach", "evolution_strategy", "gradient_ascent"]


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
