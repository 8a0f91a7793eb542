"""Tiny tabular MDPs with exact policy gradients, introduced in notebook 04
(``04_trajectories_and_the_policy_gradient``); notebook 05 (``05_surrogate_loss_and_reward_to_go``)
adds the surrogate loss, reward-to-go and discounting.

Build an MDP from arrays, pick a softmax policy, and compare three gradients:

* the **exact** ∇U(θ), computed two independent ways that must agree — by enumerating every
  trajectory τ with its probability P(τ; θ) and return R(τ), and by solving the Bellman
  equations and applying the policy-gradient theorem;
* the **Monte Carlo** estimate ĝ from m sampled trajectories (full return or reward-to-go,
  optionally minus a baseline);
* the gradient of the **surrogate loss** L(θ) = −(1/m) Σ_i Σ_t log π(a_t|s_t) A_t, which is −ĝ
  (A_t is the advantage weight: R(τ), or the reward-to-go γ^t G_t, minus a baseline).

Conventions (all documented once here):

* ``P[s, a, s']`` is the probability of moving to s' after action a in state s.
* ``r[s, a]`` is the (expected) reward for taking action a in state s: reward depends on the
  state and the action, not on where the transition lands. (An ``r[s, a, s']`` table can be
  turned into this one with ``(P * r3).sum(-1)``; the expected return is the same.)
* ``terminal`` lists absorbing states: an episode ends on entering one, and nothing more is
  earned. Their rows of ``P`` and ``r`` are ignored (they may be zeros).
* ``horizon=H`` ends every episode after at most H actions (a time limit). ``horizon=None``
  means the episode runs until a terminal state; then either ``gamma < 1`` or every state
  must be able to reach a terminal state.
* The performance is U(θ) = E[Σ_t γ^t r_t] with s₀ ∼ ρ, a_t ∼ π_θ(·|s_t).
* Parameters θ are one flat vector; a policy maps it to logits z[s, a] and
  π(a|s) = softmax_a z[s, a].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import exact, returns
from helpers.distributions import log_softmax, softmax
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

__all__ = [
    "SoftmaxPolicy",
    "TabularMDP",
    "Trajectories",
    "discounted_visitation",
    "example_mdp",
    "enumerate_trajectories",
    "episodes_needed",
    "estimator_mean_squared_error",
    "exact_gradient",
    "exact_gradient_by_enumeration",
    "exact_performance",
    "exact_performance_by_enumeration",
    "feature_softmax",
    "gradient_estimate",
    "one_episode_update",
    "per_trajectory_gradients",
    "policy_evaluation",
    "return_moments",
    "sample_trajectories",
    "surrogate_loss",
    "surrogate_loss_gradient",
    "tabular_softmax",
    "trajectory_probabilities",
]


# --------------------------------------------------------------------------------------
# The MDP
# --------------------------------------------------------------------------------------
class TabularMDP:
    """A finite MDP built from arrays: ``P[s, a, s']``, ``r[s, a]``, ``rho[s]``, terminals.

    Parameters
    ----------
    P : array (S, A, S)
        Transition probabilities; every row ``P[s, a, :]`` of a non-terminal state sums to 1.
    r : array (S, A)
        Reward for taking action a in state s (finite numbers).
    rho : array (S,)
        Initial-state distribution; it may not put probability on a terminal state.
    terminal : sequence of int
        Absorbing terminal states (each must be reachable from a start state).
    gamma : float in (0, 1]
        Discount factor.
    horizon : int or None
        At most this many actions per episode; ``None`` runs until a terminal state.
    state_names, action_names : optional labels used when printing trajectories.

    Every problem raises ``ValueError`` saying what is wrong. Introduced in notebook 04.
    """

    def __init__(self, P, r, rho, terminal=(), *, gamma: float = 1.0, horizon=None,
                 state_names=None, action_names=None):
        P = as_float_array("P (transition probabilities P[s, a, s'])", P, ndim=3)
        S, A, S2 = P.shape
        if S < 1 or A < 1 or S2 != S:
            raise ValueError(
                f"P must have shape (S, A, S): the last axis lists next states, so it must "
                f"have the same length as the first; got {P.shape}."
            )
        r = as_float_array("r (rewards r[s, a])", r)
        if r.shape != (S, A):
            raise ValueError(
                f"r must have shape (S, A) = ({S}, {A}), one reward per state and action; "
                f"got {r.shape}. (For rewards r[s, a, s'] pass (P * r3).sum(-1).)"
            )
        rho = as_float_array("rho (initial-state distribution)", rho)
        if rho.shape != (S,):
            raise ValueError(f"rho must have shape ({S},), one probability per state; "
                             f"got {rho.shape}.")
        term = np.zeros(S, dtype=bool)
        for s in np.atleast_1d(np.asarray(terminal, dtype=object)).tolist():
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s < S:
                raise ValueError(f"terminal must list state indices in 0..{S - 1}; got {s!r}.")
            term[int(s)] = True
        gamma = as_finite_scalar("gamma (the discount)", gamma)
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must lie in (0, 1]; got {gamma}.")
        if horizon is not None:
            horizon = check_count("horizon (the most actions per episode)", horizon)

        if np.any(P < 0):
            s, a, s2 = np.argwhere(P < 0)[0]
            raise ValueError(f"P[{s}, {a}, {s2}] = {P[s, a, s2]:.3g} is negative; "
                             "transition probabilities must be >= 0.")
        sums = P.sum(axis=2)
        bad = np.argwhere(~term[:, None] & ~np.isclose(sums, 1.0, atol=1e-8, rtol=0))
        if bad.size:
            s, a = bad[0]
            raise ValueError(f"P[{s}, {a}, :] sums to {sums[s, a]:.6g}; every row P[s, a, :] "
                             "of a non-terminal state must sum to 1.")
        if np.any(rho < 0):
            raise ValueError(f"rho has a negative entry ({rho.min():.3g}); "
                             "probabilities must be >= 0.")
        if not np.isclose(rho.sum(), 1.0, atol=1e-8, rtol=0):
            raise ValueError(f"rho sums to {rho.sum():.6g}; it must sum to 1.")
        if np.any(rho[term] > 0):
            s = int(np.flatnonzero(term & (rho > 0))[0])
            raise ValueError(f"rho puts probability {rho[s]:.3g} on terminal state {s}; "
                             "episodes must start in a non-terminal state.")
        if term.all():
            raise ValueError("every state is terminal; at least one state must allow actions.")

        self.P, self.r, self.rho, self.terminal = P, r, rho, term
        self.gamma, self.horizon = gamma, horizon
        self.n_states, self.n_actions = S, A
        self.state_names = _names("state_names", state_names, S, "s")
        self.action_names = _names("action_names", action_names, A, "a")
        self._check_reachability()
        for arr in (self.P, self.r, self.rho, self.terminal):
            arr.setflags(write=False)

    # transitions that can happen under *some* action (a softmax policy tries them all)
    def _graph(self):
        g = (self.P > 0).any(axis=1)
        g[self.terminal] = False
        return g

    def _check_reachability(self):
        g = self._graph()
        reach = self.rho > 0
        frontier = reach.copy()
        steps = 0
        while frontier.any() and (self.horizon is None or steps < self.horizon):
            new = g[frontier].any(axis=0) & ~reach
            reach |= new
            frontier = new
            steps += 1
        for s in np.flatnonzero(self.terminal):
            if not reach[s]:
                within = "" if self.horizon is None else f" within the horizon of {self.horizon}"
                raise ValueError(f"terminal state {s} ({self.state_names[s]}) can never be "
                                 f"reached from a start state{within}; remove it or fix P.")
        if self.horizon is None and self.gamma == 1.0:
            # every reachable state must be able to reach a terminal state
            can_end = self.terminal.copy()
            for _ in range(self.n_states):
                can_end = can_end | (g & can_end[None, :]).any(axis=1)
            stuck = np.flatnonzero(reach & ~can_end)
            if stuck.size:
                s = int(stuck[0])
                raise ValueError(
                    f"state {s} ({self.state_names[s]}) can never reach a terminal state, so "
                    "with gamma = 1 and no horizon its return is unbounded; give a horizon, "
                    "a gamma < 1, or a way to a terminal state.")
        self._reachable = reach

    def max_episode_length(self) -> int:
        """The longest possible episode (the horizon, or the longest path to a terminal).

        Raises ``ValueError`` when episodes can be arbitrarily long (the transition graph
        has a cycle and there is no horizon): their trajectories cannot be enumerated.
        """
        if self.horizon is not None:
            return self.horizon
        g = self._graph() & self._reachable[:, None]
        longest = np.zeros(self.n_states, dtype=int)  # actions still possible from s
        for _ in range(self.n_states + 1):
            nxt = np.where(self.terminal | ~self._reachable, 0,
                           1 + np.max(np.where(g, longest[None, :], -1), axis=1).clip(0))
            if np.array_equal(nxt, longest):
                return int(longest[self.rho > 0].max())
            longest = nxt
        raise ValueError("episodes can be arbitrarily long (P has a cycle) and there is no "
                         "horizon, so the trajectories cannot be enumerated; give a horizon.")

    def __repr__(self):
        return (f"TabularMDP(S={self.n_states}, A={self.n_actions}, "
                f"terminal={np.flatnonzero(self.terminal).tolist()}, gamma={self.gamma:g}, "
                f"horizon={self.horizon})")


def _names(label, names, n, prefix):
    if names is None:
        return [f"{prefix}{i}" for i in range(n)]
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"{label} must have {n} entries; got {len(names)}.")
    return names


# --------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------
class SoftmaxPolicy:
    """π_θ(a|s) = softmax_a(φ(s, a)·θ) for state-action features ``features[s, a, k]``.

    ``scores(θ)[s, a]`` is ∇θ log π(a|s) = φ(s, a) − Σ_b π(b|s) φ(s, b). With one-hot
    features (:func:`tabular_softmax`) every (s, a) has its own logit; with fewer features
    states share parameters. Introduced in notebook 04.
    """

    def __init__(self, features):
        phi = as_float_array("features (phi[s, a, k])", features, ndim=3)
        if min(phi.shape) < 1:
            raise ValueError(f"features must have shape (S, A, K) with S, A, K >= 1; "
                             f"got {phi.shape}.")
        self.features = phi
        self.features.setflags(write=False)
        self.n_states, self.n_actions, self.n_params = phi.shape

    def check_theta(self, theta) -> np.ndarray:
        """θ as a float vector of length ``n_params`` (else ``ValueError``)."""
        return as_float_array("theta (the policy parameters)", theta, shape=(self.n_params,))

    def logits(self, theta):
        """z[s, a] = φ(s, a)·θ."""
        return self.features @ self.check_theta(theta)

    def probs(self, theta):
        """π(a|s) as an (S, A) table."""
        return softmax(self.logits(theta), axis=-1)

    def log_probs(self, theta):
        """log π(a|s) as an (S, A) table."""
        return log_softmax(self.logits(theta), axis=-1)

    def scores(self, theta):
        """∇θ log π(a|s) as an (S, A, K) array."""
        pi = self.probs(theta)
        mean_phi = np.einsum("sa,sak->sk", pi, self.features)
        return self.features - mean_phi[:, None, :]

    def _check_mdp(self, mdp):
        if not isinstance(mdp, TabularMDP):
            raise ValueError(f"mdp must be a TabularMDP; got {type(mdp).__name__}.")
        if (self.n_states, self.n_actions) != (mdp.n_states, mdp.n_actions):
            raise ValueError(
                f"the policy is for {self.n_states} states x {self.n_actions} actions but the "
                f"MDP has {mdp.n_states} x {mdp.n_actions}.")

    def __repr__(self):
        return (f"SoftmaxPolicy(S={self.n_states}, A={self.n_actions}, "
                f"n_params={self.n_params})")


def tabular_softmax(n_states: int, n_actions: int) -> SoftmaxPolicy:
    """One logit per (state, action): θ has S·A entries, θ[s·A + a] = z[s, a]. Notebook 04."""
    S = check_count("n_states", n_states)
    A = check_count("n_actions", n_actions)
    return SoftmaxPolicy(np.eye(S * A).reshape(S, A, S * A))


def feature_softmax(features) -> SoftmaxPolicy:
    """Softmax over state-action features ``features[s, a, k]`` (shared θ). Notebook 04."""
    return SoftmaxPolicy(features)


# --------------------------------------------------------------------------------------
# Trajectories
# --------------------------------------------------------------------------------------
@dataclass
class Trajectories:
    """A batch of m trajectories in padded arrays of width T (the longest one).

    ``states[i, t]``, ``actions[i, t]``, ``rewards[i, t]``, ``next_states[i, t]`` are valid
    where ``mask[i, t]`` is True, i.e. for t < ``lengths[i]``. Introduced in notebook 04.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    mask: np.ndarray

    @property
    def m(self) -> int:
        return self.states.shape[0]

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)

    def discounted_rewards(self, gamma: float) -> np.ndarray:
        """γ^t r_t, zero past the end of each episode."""
        t = np.arange(self.states.shape[1])
        return np.where(self.mask, self.rewards * gamma**t, 0.0)

    def returns(self, gamma: float = 1.0) -> np.ndarray:
        """R(τ_i) = Σ_t γ^t r_t, shape (m,)."""
        return self.discounted_rewards(gamma).sum(axis=1)

    def discounted_reward_to_go(self, gamma: float = 1.0) -> np.ndarray:
        """γ^t G_t = Σ_{t' >= t} γ^{t'} r_{t'} for every (i, t): the rewards that follow a_t,
        discounted from the *start* of the episode.

        This is the weight that keeps ĝ unbiased for ∇U when γ < 1; :meth:`reward_to_go`
        is G_t itself (discounted from t), and dropping the γ^t is a common slip.
        Notebook 05 (reward-to-go and discounting) compares the two.
        """
        t = np.arange(self.states.shape[1])
        return np.where(self.mask, gamma**t * self.reward_to_go(gamma), 0.0)

    def reward_to_go(self, gamma: float = 1.0) -> np.ndarray:
        """G_t = Σ_{t' >= t} γ^{t'−t} r_{t'} for every (i, t): the return from step t on,
        discounted from t (zero past the end of each episode; :func:`helpers.returns.
        reward_to_go`). Notebook 05 (reward-to-go and discounting): G_t needs a factor γ^t
        to weight ∇log π(a_t|s_t) without bias.
        """
        return returns.reward_to_go(self.rewards, gamma, self.mask)

    def describe(self, mdp: TabularMDP, i: int) -> str:
        """Trajectory i as text: ``s0 -a-> s1 -a-> s2``."""
        parts = [mdp.state_names[self.states[i, 0]]]
        for t in range(int(self.lengths[i])):
            parts.append(f"-{mdp.action_names[self.actions[i, t]]}-> "
                         f"{mdp.state_names[self.next_states[i, t]]}")
        return " ".join(parts)


def enumerate_trajectories(mdp: TabularMDP, policy: SoftmaxPolicy, theta):
    """Every trajectory with positive probability, and P(τ; θ) for each.

    Returns ``(batch, probs)``; ``probs`` sums to 1. Needs a horizon or an acyclic MDP
    (:meth:`TabularMDP.max_episode_length`). Introduced in notebook 04.
    """
    policy._check_mdp(mdp)
    pi = policy.probs(theta)
    T = mdp.max_episode_length()
    rows = []  # (states, actions, next_states, prob) for finished trajectories
    stack = [([s], [], [], float(mdp.rho[s])) for s in np.flatnonzero(mdp.rho > 0)]
    while stack:
        states, actions, nexts, p = stack.pop()
        s = states[-1] if not nexts else nexts[-1]
        if mdp.terminal[s] or len(actions) == T:
            rows.append((states, actions, nexts, p))
            continue
        for a in range(mdp.n_actions):
            for s2 in np.flatnonzero(mdp.P[s, a] > 0):
                q = p * pi[s, a] * mdp.P[s, a, s2]
                if q > 0:
                    # states where actions are taken: s0, then each state moved to
                    taken = states if not nexts else states + [s]
                    stack.append((taken, actions + [a], nexts + [int(s2)], q))
    rows.sort(key=lambda r: [r[0][0]] + [x for pair in zip(r[1], r[2], strict=True) for x in pair])
    return _pack(mdp, rows), np.array([r[3] for r in rows])


def _pack(mdp, rows):
    m = len(rows)
    T = max(1, max(len(r[1]) for r in rows))
    states = np.zeros((m, T), dtype=int)
    actions = np.zeros((m, T), dtype=int)
    nexts = np.zeros((m, T), dtype=int)
    mask = np.zeros((m, T), dtype=bool)
    for i, (st, ac, nx, _) in enumerate(rows):
        n = len(ac)
        states[i, 0] = st[0]
        states[i, 1:n] = nx[: n - 1]
        actions[i, :n], nexts[i, :n], mask[i, :n] = ac, nx, True
    rewards = np.where(mask, mdp.r[states, actions], 0.0)
    return Trajectories(states, actions, rewards, nexts, mask)


def trajectory_probabilities(mdp: TabularMDP, policy: SoftmaxPolicy, theta,
                             batch: Trajectories) -> np.ndarray:
    """P(τ; θ) = ρ(s₀) Π_t π(a_t|s_t) P(s_{t+1}|s_t, a_t) for each trajectory in ``batch``.

    The same trajectories at another θ: only the π factors change. Notebook 04.
    """
    policy._check_mdp(mdp)
    logp = np.log(mdp.rho[batch.states[:, 0]])
    with np.errstate(divide="ignore"):
        step = policy.log_probs(theta)[batch.states, batch.actions] + np.log(
            mdp.P[batch.states, batch.actions, batch.next_states])
    logp = logp + np.where(batch.mask, step, 0.0).sum(axis=1)
    return np.exp(logp)


def sample_trajectories(mdp: TabularMDP, policy: SoftmaxPolicy, theta, m: int, rng,
                        max_steps: int = 1000) -> Trajectories:
    """Run m episodes of π_θ in the MDP (all at once, vectorised). Notebook 04.

    Only θ, ``rng`` and the MDP's own randomness are used; U is never evaluated. Without a
    horizon, an episode still running after ``max_steps`` actions raises ``ValueError``.
    """
    policy._check_mdp(mdp)
    m = check_count("m (the number of trajectories)", m)
    rng = check_rng(rng)
    max_steps = check_count("max_steps", max_steps)
    pi = policy.probs(theta)
    cum_pi = np.cumsum(pi, axis=1)
    cum_P = np.cumsum(mdp.P, axis=2)
    T = mdp.horizon if mdp.horizon is not None else max_steps
    s = _draw(np.broadcast_to(np.cumsum(mdp.rho), (m, mdp.n_states)), rng)
    alive = np.ones(m, dtype=bool)
    cols = {k: [] for k in ("s", "a", "s2", "mask")}
    for _ in range(T):
        a = _draw(cum_pi[s], rng)
        s2 = _draw(cum_P[s, a], rng)
        for k, v in (("s", s), ("a", a), ("s2", s2), ("mask", alive.copy())):
            cols[k].append(v)
        alive = alive & ~mdp.terminal[s2]
        s = np.where(alive, s2, s)
        if not alive.any():
            break
    else:
        if mdp.horizon is None and alive.any():
            raise ValueError(f"an episode was still running after max_steps = {max_steps} "
                             "actions; give the MDP a horizon or raise max_steps.")
    states, actions, nexts, mask = (np.stack(cols[k], axis=1) for k in ("s", "a", "s2", "mask"))
    rewards = np.where(mask, mdp.r[states, actions], 0.0)
    return Trajectories(states, actions, rewards, nexts, mask)


def _draw(cumulative, rng):
    """One index per row from cumulative probabilities (inverse-CDF sampling)."""
    u = rng.random(cumulative.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), cumulative.shape[1] - 1)


# --------------------------------------------------------------------------------------
# Exact performance and gradient, two ways
# --------------------------------------------------------------------------------------
def exact_performance_by_enumeration(mdp, policy, theta) -> float:
    """U(θ) = Σ_τ P(τ; θ) R(τ) over every trajectory. Notebook 04."""
    batch, p = enumerate_trajectories(mdp, policy, theta)
    return float(p @ batch.returns(mdp.gamma))


def exact_gradient_by_enumeration(mdp, policy, theta) -> np.ndarray:
    """∇U(θ) = Σ_τ P(τ; θ) R(τ) Σ_t ∇log π(a_t|s_t) over every trajectory. Notebook 04."""
    batch, p = enumerate_trajectories(mdp, policy, theta)
    return p @ per_trajectory_gradients(mdp, policy, theta, batch)


def _policy_tables(mdp, policy, theta):
    policy._check_mdp(mdp)
    pi = policy.probs(theta)
    live = ~mdp.terminal
    r_pi = np.where(live, (pi * mdp.r).sum(axis=1), 0.0)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P) * live[:, None] * live[None, :]
    return pi, r_pi, P_pi


def policy_evaluation(mdp: TabularMDP, policy: SoftmaxPolicy, theta):
    """V^π(s) and Q^π(s, a) from the Bellman equations (zero at terminal states).

    Without a horizon: solve V = r_π + γ P_π V, a linear system over the non-terminal
    states. With a horizon H the values depend on the steps left, so this returns V and Q
    with H steps to go (the values at t = 0), by backward recursion. Notebook 04.
    """
    pi, r_pi, P_pi = _policy_tables(mdp, policy, theta)
    live = ~mdp.terminal
    if mdp.horizon is None:
        A = np.eye(mdp.n_states) - mdp.gamma * P_pi
        V = np.linalg.solve(A, r_pi)
        Q = mdp.r + mdp.gamma * mdp.P @ np.where(live, V, 0.0)
    else:
        V = np.zeros(mdp.n_states)
        for _ in range(mdp.horizon):
            Q = mdp.r + mdp.gamma * mdp.P @ np.where(live, V, 0.0)
            V = (pi * Q).sum(axis=1)
    V = np.where(live, V, 0.0)
    Q = np.where(live[:, None], Q, 0.0)
    return V, Q


def exact_performance(mdp, policy, theta) -> float:
    """U(θ) = E_{s₀∼ρ}[V^π(s₀)] = ρ·V, with V from the Bellman equations. Notebook 04."""
    V, _ = policy_evaluation(mdp, policy, theta)
    return float(mdp.rho @ V)


def discounted_visitation(mdp, policy, theta) -> np.ndarray:
    """d(s) = Σ_t γ^t Pr(s_t = s), unnormalised (its sum is the expected discounted length).

    Without a horizon, dᵀ = ρᵀ (I − γ P_π)⁻¹ over non-terminal states. Notebook 04.
    """
    _, _, P_pi = _policy_tables(mdp, policy, theta)
    rho = np.where(mdp.terminal, 0.0, mdp.rho)
    if mdp.horizon is None:
        return np.linalg.solve((np.eye(mdp.n_states) - mdp.gamma * P_pi).T, rho)
    d, x = np.zeros(mdp.n_states), rho
    for t in range(mdp.horizon):
        d = d + mdp.gamma**t * x
        x = x @ P_pi
    return d


def exact_gradient(mdp, policy, theta) -> np.ndarray:
    """∇U(θ) by the policy-gradient theorem, from the Bellman solution.

    ∇U = Σ_s d(s) Σ_a π(a|s) Q(s, a) ∇log π(a|s), with d the discounted visitation
    (:func:`discounted_visitation`). With a horizon, Q depends on the steps left, so the
    sum runs over t with the time-dependent Q_t. Introduced in notebook 04.
    """
    pi, _, P_pi = _policy_tables(mdp, policy, theta)
    score = policy.scores(theta)
    live = ~mdp.terminal
    if mdp.horizon is None:
        d = discounted_visitation(mdp, policy, theta)
        _, Q = policy_evaluation(mdp, policy, theta)
        return np.einsum("s,sa,sa,sak->k", d, pi, Q, score)
    # finite horizon: forward state distributions x_t, backward values Q_t
    H = mdp.horizon
    Qs, V = [None] * H, np.zeros(mdp.n_states)
    for t in reversed(range(H)):
        Qs[t] = mdp.r + mdp.gamma * mdp.P @ np.where(live, V, 0.0)
        V = (pi * Qs[t]).sum(axis=1)
    grad, x = np.zeros(policy.n_params), np.where(mdp.terminal, 0.0, mdp.rho)
    for t in range(H):
        grad += mdp.gamma**t * np.einsum("s,sa,sa,sak->k", x, pi, Qs[t], score)
        x = x @ P_pi
    return grad


# --------------------------------------------------------------------------------------
# Monte Carlo estimate and surrogate loss
# --------------------------------------------------------------------------------------
def _weights(mdp, batch, reward_to_go, baseline):
    if not isinstance(batch, Trajectories):
        raise ValueError(f"batch must be Trajectories (from sample_trajectories); "
                         f"got {type(batch).__name__}.")
    if reward_to_go:
        w = batch.discounted_reward_to_go(mdp.gamma)
    else:
        w = np.broadcast_to(batch.returns(mdp.gamma)[:, None], batch.mask.shape)
    b = as_float_array("baseline", baseline)
    if b.ndim == 0:
        w = w - float(b)
    elif b.shape == (mdp.n_states,):
        w = w - b[batch.states]
    else:
        raise ValueError(f"baseline must be a number or one number per state, shape "
                         f"({mdp.n_states},); got {b.shape}.")
    return np.where(batch.mask, w, 0.0)


def per_trajectory_gradients(mdp, policy, theta, batch, *, reward_to_go: bool = False,
                             baseline=0.0) -> np.ndarray:
    """g(τ_i) = Σ_t ∇log π(a_t|s_t) A_t for each trajectory: shape (m, K).

    The advantage weight A_t is R(τ) (full return), or with ``reward_to_go=True`` the
    reward-to-go discounted from the start, γ^t G_t = Σ_{t'≥t} γ^{t'} r_{t'} (notebook 05),
    minus the baseline (a number, or b[s_t] per state, subtracted as given: pass γ^t b(s_t)
    yourself to match γ^t G_t). Their mean is ĝ. Introduced in notebook 04.
    """
    policy._check_mdp(mdp)
    w = _weights(mdp, batch, reward_to_go, baseline)
    score = policy.scores(theta)[batch.states, batch.actions]  # (m, T, K)
    return np.einsum("mt,mtk->mk", w, score)


def gradient_estimate(mdp, policy, theta, batch, *, reward_to_go: bool = False,
                      baseline=0.0) -> np.ndarray:
    """ĝ = (1/m) Σ_i Σ_t ∇log π(a_t|s_t) A_t, the Monte Carlo policy gradient. Notebook 04."""
    return per_trajectory_gradients(mdp, policy, theta, batch, reward_to_go=reward_to_go,
                                    baseline=baseline).mean(axis=0)


def _denominator(batch, average):
    if average == "episodes":
        return batch.m
    if average == "timesteps":
        return int(batch.lengths.sum())
    raise ValueError(f"average must be 'episodes' or 'timesteps'; got {average!r}.")


def surrogate_loss(mdp, policy, theta, batch, *, reward_to_go: bool = False, baseline=0.0,
                   average: str = "episodes") -> float:
    """L(θ) = −(1/m) Σ_i Σ_t log π_θ(a_t|s_t) A_t, the advantage weights A_t held fixed.

    The batch was sampled at some θ_old; L is a function of θ through log π_θ only. At
    θ = θ_old its gradient is −ĝ. ``average="timesteps"`` divides by the number of steps
    Σ_i T_i instead of m (as OpenAI Spinning Up's simple policy gradient does). Its value
    is *not* the performance U. Introduced in notebook 05.
    """
    policy._check_mdp(mdp)
    w = _weights(mdp, batch, reward_to_go, baseline)
    logp = policy.log_probs(theta)[batch.states, batch.actions]
    return float(-(w * logp).sum() / _denominator(batch, average))


def surrogate_loss_gradient(mdp, policy, theta, batch, *, reward_to_go: bool = False,
                            baseline=0.0, average: str = "episodes") -> np.ndarray:
    """∇L(θ) = −(1/m) Σ_i Σ_t ∇log π_θ(a_t|s_t) A_t (or divided by Σ T_i). Notebook 05."""
    policy._check_mdp(mdp)
    w = _weights(mdp, batch, reward_to_go, baseline)
    score = policy.scores(theta)[batch.states, batch.actions]
    return -np.einsum("mt,mtk->k", w, score) / _denominator(batch, average)


def one_episode_update(mdp, policy, theta, batch, i: int, *, eta: float,
                       reward_to_go: bool = False) -> dict:
    """One step θ′ = θ + η Σ_t A_t ∇log π(a_t|s_t) from trajectory ``i`` of ``batch`` alone,
    and what it does to the log-probability of each action of that trajectory.

    The advantage weight is A_t = R(τ) at every step, or the reward-to-go γ^t G_t with
    ``reward_to_go=True``. Returns a dict: ``weights`` A_t and ``scores`` ∇log π(a_t|s_t) of
    the T actions, the ``step`` θ′ − θ, the ``exact`` change log π_θ′(a_t|s_t) − log π_θ(a_t|s_t)
    of each action, and its ``first_order`` prediction ∇log π(a_t|s_t) · (θ′ − θ), in which
    every other step's weight enters through the parameters the steps share.
    Introduced in notebook 05.
    """
    policy._check_mdp(mdp)
    eta = positive_scalar("eta (the step size)", eta)
    if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < batch.m:
        raise ValueError(f"i must be a trajectory index in 0..{batch.m - 1}; got {i!r}.")
    theta = policy.check_theta(theta)
    T = int(batch.lengths[i])
    s, a = batch.states[i, :T], batch.actions[i, :T]
    w = _weights(mdp, batch, reward_to_go, 0.0)[i, :T]
    scores = policy.scores(theta)[s, a]
    step = eta * w @ scores
    exact = policy.log_probs(theta + step)[s, a] - policy.log_probs(theta)[s, a]
    return {"weights": w, "scores": scores, "step": step, "exact": exact,
            "first_order": scores @ step}


# --------------------------------------------------------------------------------------
# Exact accuracy of estimators (by enumeration)
# --------------------------------------------------------------------------------------
def estimator_mean_squared_error(mdp, policy, theta, m: int = 1, *,
                                 reward_to_go: bool = False, baseline=0.0) -> float:
    """E‖ĝ − ∇U‖² for ĝ from m trajectories, exactly: tr Cov[g(τ)] / m (by enumeration;
    every weight this module offers is unbiased, so the error is all variance).

    Use it to see how many trajectories a target accuracy needs. The moments come from
    :func:`helpers.exact.moments`. Notebooks 04 and 05.
    """
    m = check_count("m (the number of trajectories)", m)
    batch, p = enumerate_trajectories(mdp, policy, theta)
    g = per_trajectory_gradients(mdp, policy, theta, batch, reward_to_go=reward_to_go,
                                 baseline=baseline)
    return exact.moments(g, p).averaged(m).trace_cov


def return_moments(mdp, policy, theta):
    """(E[R(τ)], Var[R(τ)]) by enumeration: what estimating U from rollouts costs. Notebook 04."""
    batch, p = enumerate_trajectories(mdp, policy, theta)
    mo = exact.moments(batch.returns(mdp.gamma), p)
    return float(mo.mean), mo.trace_cov



def episodes_needed(mdp, policy, theta, rel_error: float = 0.1, h=0.1) -> dict:
    """Episodes each estimator needs for E‖estimate − ∇U‖² = (rel_error·‖∇U‖)², exactly.

    * ``"score_function"``: m = tr Cov[g(τ)] / target, all parameters from the same m
      episodes sampled at θ.
    * ``"finite_differences"``: central differences of U estimated by n episodes at each
      of the 2K points θ ± h e_i: MSE = ‖bias‖² + Σ_i (Var_{+i} R + Var_{−i} R)/(4 h² n),
      so it needs 2K·n episodes (``inf`` when the bias alone exceeds the target).
    * ``"h"``: the step used. ``h`` may be one positive number or a sequence of candidate
      steps; with several, finite differences get the cheapest one (a fair comparison: a
      small h amplifies the noise by 1/(2h), a large h adds bias).

    Variances and the bias come from enumeration. Introduced in notebook 04.
    """
    rel_error = positive_scalar("rel_error", rel_error)
    steps = np.atleast_1d(as_float_array("h (the finite-difference step)", h))
    if steps.ndim != 1 or steps.size < 1 or np.any(steps <= 0):
        raise ValueError(f"h must be a positive number or a sequence of positive numbers; "
                         f"got {h!r}.")
    theta = policy.check_theta(theta)
    grad = exact_gradient(mdp, policy, theta)
    target = (rel_error * np.linalg.norm(grad)) ** 2
    if target == 0:
        raise ValueError("∇U is zero at this θ, so a relative accuracy is undefined.")
    m_sf = estimator_mean_squared_error(mdp, policy, theta) / target
    K = policy.n_params
    best_n, best_h = np.inf, float(steps[0])
    for step in steps:
        fd_exact, var_sum = np.zeros(K), 0.0
        for i, e in enumerate(np.eye(K)):
            (u_plus, v_plus), (u_minus, v_minus) = (
                return_moments(mdp, policy, theta + step * e),
                return_moments(mdp, policy, theta - step * e))
            fd_exact[i] = (u_plus - u_minus) / (2 * step)
            var_sum += (v_plus + v_minus) / (4 * step**2)
        room = target - np.sum((fd_exact - grad) ** 2)
        n = var_sum / room if room > 0 else np.inf
        if n < best_n:
            best_n, best_h = n, float(step)
    return {"score_function": float(m_sf), "finite_differences": float(2 * K * best_n),
            "h": best_h}


# --------------------------------------------------------------------------------------
# The running example of notebook 04
# --------------------------------------------------------------------------------------
def example_mdp():
    """The two-step MDP of notebook 04 and its two-parameter policy: ``(mdp, policy)``.

    Start in A (ρ = 0.7) or B (0.3); actions "left"/"right"; every action costs 1 on top
    of the rewards below; the episode ends in state "end" after one or two actions.

    * A: left → C (0.8) or D (0.2), reward 0; right → D (0.8) or end (0.2), reward +1
    * B: left → C, reward 0; right → end, reward +0.5
    * C: left → end, +1; right → end, 0.   D: left → end, −1; right → end, +2

    The policy has two shared parameters: θ₁ is the preference for "right" in the first
    step (A, B), θ₂ the preference for "right" in the second step (C, D).
    """
    S, A = 5, 2
    P = np.zeros((S, A, S))
    P[0, 0, [2, 3]] = [0.8, 0.2]
    P[0, 1, [3, 4]] = [0.8, 0.2]
    P[1, 0, 2] = 1.0
    P[1, 1, 4] = 1.0
    P[2:4, :, 4] = 1.0
    r = np.array([[0.0, 1.0], [0.0, 0.5], [1.0, 0.0], [-1.0, 2.0], [0.0, 0.0]]) - 1.0
    r[4] = 0.0
    mdp = TabularMDP(P, r, [0.7, 0.3, 0, 0, 0], terminal=[4],
                     state_names=["A", "B", "C", "D", "end"], action_names=["left", "right"])
    phi = np.zeros((S, A, 2))
    phi[[0, 1], 1, 0] = 1.0
    phi[[2, 3], 1, 1] = 1.0
    return mdp, SoftmaxPolicy(phi)
