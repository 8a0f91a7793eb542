"""A learned baseline v̂(s, w), one-step actor-critic and GAE(λ). Introduced in notebook 07
(``07_learned_baseline_and_actor_critic``).

Two halves, one idea: replace the return that weights ∇log π(a_t|s_t) by something less
noisy that a learned state value v̂ makes possible.

**On a tiny MDP, exactly** (:mod:`helpers.mdp`'s ``example_mdp``, every trajectory
enumerated):

* the weights A_t of the GAE(λ) family, :func:`mdp_advantages`: the TD error
  δ_t = r_t + γ v̂(s_{t+1}) − v̂(s_t) with v̂(terminal) = 0, and A_t = Σ_l (γλ)^l δ_{t+l}
  (Schulman et al. 2016, §3). λ = 1 gives G_t − v̂(s_t), REINFORCE with v̂ as its
  baseline (Sutton & Barto §13.4); λ = 0 gives δ_t, one-step actor-critic (§13.5);
* the estimator ĝ = Σ_t γ^t A_t ∇log π(a_t|s_t) for one trajectory — **with** the factor
  γ^t, as in Sutton & Barto's boxes (their I ← γI), so that it is unbiased for ∇U when v̂
  is exact (notebook 05 explains the γ^t);
* its exact mean, bias against ∇U and variance, :func:`estimator_moments` (a
  :class:`helpers.exact.Moments`, from the course's one exact-expectation engine). "Variance"
  means **tr Cov[ĝ] = E‖ĝ − E ĝ‖²**, the sum of the K parameters' variances (notebook 04's
  E‖ĝ − ∇U‖² for an unbiased ĝ);
* the baseline that minimises that trace, :func:`optimal_baseline` (one number per state,
  or one per state and parameter); notebook 06's per-timestep batch baselines
  (``batch_mean`` and ``leave_one_out``, its §4), :func:`batch_baseline_moments`, exactly, by
  enumerating every batch of m trajectories;
* the actor-critic's bias as an exact linear function of the critic's error,
  :func:`critic_bias_matrix`; tabular Monte Carlo and TD(0) learning of v̂,
  :func:`learn_values`.

**On CartPole** (:mod:`helpers.reinforce`'s collector, policies, Adam and bookkeeping):

* :class:`ValueNetwork`, a one-hidden-layer tanh network v̂(s, w) with its gradient by hand;
* :func:`episode_advantages`: GAE(λ) along one episode, bootstrapping from v̂(final state)
  when the episode was *truncated* by the time limit and from 0 when it *terminated*;
* :class:`Critic`, a ``weigher`` for :func:`helpers.reinforce.train` that returns the
  advantages and then fits v̂ to the λ-returns; :func:`train` runs it. The critic has its
  own discount, ``CriticConfig.gamma = 0.99``, whatever REINFORCE's (notebook 06's
  ``reinforce.Config()`` is undiscounted, γ = 1): it keeps v̂'s targets bounded (at most
  1/(1 − γ) = 100 instead of up to 500) and their variance down. As in GAE's own
  definition, these CartPole weights carry **no** γ^t, so the expected update is not the
  gradient of the discounted objective (notebook 05, §3) — γ serves to reduce variance in
  a task whose score is the undiscounted episode length (Schulman et al. 2016, §2).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from helpers import exact, reinforce, returns
from helpers import mdp as M
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

#: CartPole-v1's time limit: an episode is truncated after this many steps.
EPISODE_LIMIT = 500

__all__ = [
    "Critic",
    "CriticConfig",
    "ValueNetwork",
    "batch_baseline_moments",
    "baseline_moments",
    "critic_bias_matrix",
    "episode_advantages",
    "estimator_moments",
    "gae",
    "learn_values",
    "moments_table",
    "mdp_advantages",
    "mdp_td_errors",
    "optimal_baseline",
    "td_errors",
    "train",
    "trajectory_gradients",
]


# ----------------------------------------------------------------------------------------
# GAE(λ) on arrays
# ----------------------------------------------------------------------------------------
def check_gamma(gamma) -> float:
    """γ as a float in (0, 1], else ``ValueError``. Notebook 07."""
    g = as_finite_scalar("gamma (the discount)", gamma)
    if not 0.0 < g <= 1.0:
        raise ValueError(f"gamma must lie in (0, 1]; got {gamma!r}.")
    return g


def check_lambda(lam) -> float:
    """GAE's λ as a float in [0, 1], else ``ValueError``. Notebook 07."""
    x = as_finite_scalar("lam (GAE's λ)", lam)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"λ (lam) must lie in [0, 1]: 0 is the one-step TD error, 1 the "
                         f"Monte Carlo return minus v̂; got {lam!r}.")
    return x


def td_errors(rewards, values, next_values, gamma: float) -> np.ndarray:
    """δ_t = r_t + γ v̂(s_{t+1}) − v̂(s_t), elementwise. Notebook 07.

    ``next_values[t]`` is v̂(s_{t+1}); the caller puts 0 there after a terminal step and
    v̂(final state) after a truncated one (see :func:`episode_advantages`).
    """
    r = as_float_array("rewards", rewards)
    v = as_float_array("values", values, shape=r.shape)
    v2 = as_float_array("next_values", next_values, shape=r.shape)
    return r + check_gamma(gamma) * v2 - v


def gae(deltas, gamma: float, lam: float) -> np.ndarray:
    """A_t = Σ_{l ≥ 0} (γλ)^l δ_{t+l} along the last axis (Schulman et al. 2016, §3).

    Computed backwards, A_t = δ_t + γλ A_{t+1}. ``deltas`` is one episode (T,) or a padded
    batch (m, T) whose entries past each episode's end are 0. λ = 0 returns δ itself; λ = 1
    the discounted sum of TD errors, which telescopes to G_t − v̂(s_t). Notebook 07.
    """
    d = as_float_array("deltas (TD errors)", deltas)
    if d.ndim not in (1, 2):
        raise ValueError(f"deltas must have shape (T,) or (m, T); got {d.shape}.")
    # the reward-to-go recursion, with TD errors for rewards and γλ for the discount
    return returns.reward_to_go(d, check_gamma(gamma) * check_lambda(lam))


# ----------------------------------------------------------------------------------------
# The tiny MDP: weights, estimators and their exact moments
# ----------------------------------------------------------------------------------------
def _check_problem(mdp, policy):
    if not isinstance(mdp, M.TabularMDP):
        raise ValueError(f"mdp must be a helpers.mdp.TabularMDP; got {type(mdp).__name__}.")
    if mdp.horizon is not None:
        raise ValueError("a state value v̂(s) needs an MDP without a horizon: with a time "
                         "limit the value depends on the steps left as well as on s.")
    if policy is not None and not isinstance(policy, M.SoftmaxPolicy):
        raise ValueError(f"policy must be a helpers.mdp.SoftmaxPolicy; "
                         f"got {type(policy).__name__}.")
    if policy is not None:
        policy._check_mdp(mdp)


def _state_values(mdp, values) -> np.ndarray:
    """v̂ as one number per state (zeros when None), with v̂(terminal) = 0."""
    if values is None:
        return np.zeros(mdp.n_states)
    v = as_float_array("values (v̂, one number per state)", values, shape=(mdp.n_states,))
    return np.where(mdp.terminal, 0.0, v)


def _check_batch(batch):
    if not isinstance(batch, M.Trajectories):
        raise ValueError(f"batch must be helpers.mdp.Trajectories; got {type(batch).__name__}.")
    return batch


def mdp_td_errors(mdp, batch, values=None) -> np.ndarray:
    """δ_t = r_t + γ v̂(s_{t+1}) − v̂(s_t) for every step of ``batch``, shape (m, T).

    v̂ is ``values[s]`` (one number per state); a terminal state's entry is taken as 0
    whatever it says, since nothing more is earned there. Zero past each episode's end.
    Notebook 07.
    """
    _check_problem(mdp, None)
    batch = _check_batch(batch)
    v = _state_values(mdp, values)
    d = batch.rewards + mdp.gamma * v[batch.next_states] - v[batch.states]
    return np.where(batch.mask, d, 0.0)


def mdp_advantages(mdp, batch, values=None, lam: float = 1.0) -> np.ndarray:
    """GAE(λ) weights A_t = Σ_l (γλ)^l δ_{t+l} for every step of ``batch``, shape (m, T).

    * ``lam=1``: G_t − v̂(s_t) — REINFORCE with baseline v̂ (``values=None``: plain G_t);
    * ``lam=0``: δ_t — the one-step actor-critic's weight.

    ``values`` is v̂ (one number per state, v̂(terminal) = 0). Notebook 07.
    """
    return gae(mdp_td_errors(mdp, batch, values), mdp.gamma, lam)


def trajectory_gradients(mdp, policy, theta, batch, weights) -> np.ndarray:
    """g(τ_i) = Σ_t γ^t A_t ∇log π(a_t|s_t) for each trajectory, shape (m, K).

    ``weights`` is A, shape (m, T) (from :func:`mdp_advantages`). The γ^t makes the sum
    unbiased for ∇U when A_t is G_t − b(s_t) or the TD error of the exact V; with γ = 1 it
    is 1. Notebook 07.
    """
    _check_problem(mdp, policy)
    batch = _check_batch(batch)
    A = as_float_array("weights (A_t)", weights, shape=batch.mask.shape)
    discount = mdp.gamma ** np.arange(batch.mask.shape[1])
    score = policy.scores(theta)[batch.states, batch.actions]          # (m, T, K)
    return np.einsum("mt,t,mtk->mk", np.where(batch.mask, A, 0.0), discount, score)


def moments_table(rows: dict, m: int = 1) -> str:
    """A text table of estimators, each brought to m trajectories per estimate. Notebook 07.

    ``rows`` maps a name to :class:`helpers.exact.Moments`; one built from one trajectory
    is averaged over m (:meth:`helpers.exact.Moments.averaged`), one built from a batch
    must already have m trajectories. Columns: ‖bias‖, tr Cov[ĝ], E‖ĝ − ∇U‖² and
    tr Cov[ĝ]/‖E ĝ‖².
    """
    m = check_count("m", m)
    lines = [f"{'estimator (m = ' + str(m) + ')':40s} {'‖bias‖':>8s} {'tr Cov':>8s} "
             f"{'MSE':>8s} {'noise/signal':>13s}"]
    for name, mo in rows.items():
        if not isinstance(mo, exact.Moments):
            raise ValueError(f"{name!r} is not a Moments (from helpers.exact or this module).")
        if mo.m not in (1, m):
            raise ValueError(f"{name!r} was built from {mo.m} trajectories, not 1 or {m}.")
        x = mo if mo.m == m else mo.averaged(m)
        pad = 40 + sum(unicodedata.combining(ch) > 0 for ch in name)   # v̂: two code points
        lines.append(f"{name:{pad}s} {x.bias_norm:8.4f} {x.trace_cov:8.4f} {x.mse:8.4f} "
                     f"{x.noise_to_signal:13.2f}")
    return "\n".join(lines)


def _enumerated(mdp, policy, theta):
    _check_problem(mdp, policy)
    theta = policy.check_theta(theta)
    batch, p = M.enumerate_trajectories(mdp, policy, theta)
    return theta, batch, p, M.exact_gradient(mdp, policy, theta)


def estimator_moments(mdp, policy, theta, *, values=None, lam: float = 1.0) -> exact.Moments:
    """Exact mean, bias and tr Cov of ĝ = Σ_t γ^t A_t ∇log π(a_t|s_t), A_t = GAE(λ) with v̂.

    One trajectory per estimate; every trajectory enumerated with its probability. With
    ``values=None`` and ``lam=1`` this is plain reward-to-go; with the exact V it is
    unbiased for every λ. Notebook 07.
    """
    theta, batch, p, grad = _enumerated(mdp, policy, theta)
    A = mdp_advantages(mdp, batch, values, lam)
    return exact.moments(trajectory_gradients(mdp, policy, theta, batch, A), p, grad)


def _baseline_parts(mdp, policy, theta, batch):
    """X(τ) = Σ_t γ^t G_t ψ_t (K,) and Φ(τ)[k, s] = Σ_t γ^t [s_t = s] ψ_t[k], so that the
    estimator with baseline b is X − Φ b (b per state) or X_k − Σ_s Φ[k, s] b[s, k]."""
    discount = mdp.gamma ** np.arange(batch.mask.shape[1])
    score = policy.scores(theta)[batch.states, batch.actions] * batch.mask[..., None]
    score = score * discount[None, :, None]                                  # γ^t ψ_t
    X = np.einsum("mt,mtk->mk", batch.reward_to_go(mdp.gamma), score)
    onehot = np.eye(mdp.n_states)[batch.states]                              # (m, T, S)
    Phi = np.einsum("mts,mtk->mks", onehot, score)
    return X, Phi


def baseline_moments(mdp, policy, theta, baseline) -> exact.Moments:
    """Exact moments of Σ_t γ^t (G_t − b(s_t)) ∇log π(a_t|s_t) for a state baseline b.

    ``baseline`` has shape (S,) — one number per state, shared by every parameter — or
    (S, K): parameter k's component uses b[s, k]. Either way the mean is ∇U. Notebook 07.
    """
    theta, batch, p, grad = _enumerated(mdp, policy, theta)
    X, Phi = _baseline_parts(mdp, policy, theta, batch)
    b = as_float_array("baseline", baseline)
    S, K = mdp.n_states, policy.n_params
    if b.shape == (S,):
        g = X - Phi @ b
    elif b.shape == (S, K):
        g = X - np.einsum("mks,sk->mk", Phi, b)
    else:
        raise ValueError(f"baseline must have shape ({S},) (one number per state) or "
                         f"({S}, {K}) (one per state and parameter); got {b.shape}.")
    return exact.moments(g, p, grad)


def optimal_baseline(mdp, policy, theta, *, per_parameter: bool = False) -> np.ndarray:
    """The state baseline b(s) that minimises tr Cov[ĝ] for one trajectory, exactly.

    ĝ_b = X − Φ b is affine in b and its mean does not depend on b, so minimising
    tr Cov[ĝ_b] = E‖X − Φ b‖² − ‖∇U‖² is a least-squares problem over the enumerated
    trajectories, weighted by P(τ): b* = E[ΦᵀΦ]⁻¹ E[ΦᵀX] (see :func:`baseline_moments` for
    X and Φ). With ``per_parameter=True`` each parameter's component gets its own b_k(s),
    shape (S, K): the minimum of every component's variance, hence of the trace. States
    that no trajectory visits (terminal ones) get 0. Notebook 07.
    """
    theta, batch, p, _ = _enumerated(mdp, policy, theta)
    X, Phi = _baseline_parts(mdp, policy, theta, batch)
    w = np.sqrt(p)
    if not per_parameter:
        A = (w[:, None, None] * Phi).reshape(-1, mdp.n_states)     # rows: (trajectory, k)
        y = (w[:, None] * X).reshape(-1)
        return np.linalg.lstsq(A, y, rcond=None)[0]
    cols = [np.linalg.lstsq(w[:, None] * Phi[:, k, :], w * X[:, k], rcond=None)[0]
            for k in range(policy.n_params)]
    return np.stack(cols, axis=1)


def critic_bias_matrix(mdp, policy, theta, lam: float = 0.0) -> np.ndarray:
    """The matrix B (K, S) with E[ĝ_λ(v̂)] − ∇U = B (v̂ − V), exactly. Notebook 07.

    The GAE(λ) weights are affine in v̂, so the bias of ĝ_λ is linear in the critic's
    error e = v̂ − V (it is zero at e = 0: with the exact V every λ is unbiased). Column s
    is the bias caused by an error of 1 at state s alone, by enumeration. For λ = 0,
    B[:, s'] = γ Σ_{s,a} d(s) π(a|s) P(s'|s,a) ∇log π(a|s): only states that follow an
    action matter; for λ = 1, B = 0.
    """
    check_lambda(lam)
    theta, batch, p, _ = _enumerated(mdp, policy, theta)
    V, _ = M.policy_evaluation(mdp, policy, theta)

    def mean(values):
        A = mdp_advantages(mdp, batch, values, lam)
        return p @ trajectory_gradients(mdp, policy, theta, batch, A)

    base = mean(V)
    eye = np.eye(mdp.n_states)
    cols = [np.zeros(policy.n_params) if mdp.terminal[s] else mean(V + eye[s]) - base
            for s in range(mdp.n_states)]
    return np.stack(cols, axis=1)


def batch_baseline_moments(mdp, policy, theta, m: int, *,
                           kind: str = "batch_mean") -> exact.Moments:
    """Exact moments of ĝ from m trajectories with notebook 06's batch baselines (its §4).

    ĝ = (1/m) Σ_i Σ_t γ^t (G^i_t − b^i_t) ∇log π(a^i_t|s^i_t), where b^i_t is the mean of
    G_t over the batch's trajectories still running at step t — ``"batch_mean"``, the
    trajectory itself included (biased), or ``"leave_one_out"``, the others only, 0 when
    none (unbiased), from :func:`helpers.returns.minus_batch_baseline`; the names are
    ``reinforce.Config``'s ``baseline`` options. Every
    ordered batch of m trajectories is enumerated (10^m of them for
    the example MDP, so keep m ≤ 5) by :func:`helpers.exact.expect`. Notebook 07.
    """
    m = check_count("m (trajectories per batch)", m)
    if kind not in returns.BASELINE_KINDS:
        raise ValueError(f"kind must be 'batch_mean' or 'leave_one_out'; got {kind!r}.")
    theta, batch, p, grad = _enumerated(mdp, policy, theta)
    G = batch.reward_to_go(mdp.gamma)                                  # (n, T), 0 when done
    discount = mdp.gamma ** np.arange(G.shape[1])
    score = policy.scores(theta)[batch.states, batch.actions] * batch.mask[..., None]

    def estimate(idx):                                                 # idx: (N, m)
        A = returns.minus_batch_baseline(G[idx], batch.mask[idx], kind) * discount
        return np.einsum("nit,nitk->nk", A, score[idx]) / m

    return exact.expect(estimate, p, m, ordered=True, reference=grad)


def learn_values(mdp, batch, *, method: str, step_size: float, values=None) -> np.ndarray:
    """Tabular v̂(s, w) = w_s learned from the episodes of ``batch``, one after another.

    * ``method="mc"``, gradient Monte Carlo: after each episode, w_{s_t} += η_w (G_t − w_{s_t})
      for t = 0, 1, ... (Sutton & Barto §9.3);
    * ``method="td"``, TD(0): at each step, w_{s_t} += η_w (r_t + γ w_{s_{t+1}} − w_{s_t}),
      with w(terminal) = 0 (§6.1).

    Returns the weights before any episode and after each one, shape (m + 1, S).
    Notebook 07.
    """
    _check_problem(mdp, None)
    batch = _check_batch(batch)
    if method not in ("mc", "td"):
        raise ValueError(f"method must be 'mc' (Monte Carlo) or 'td' (TD(0)); got {method!r}.")
    eta = positive_scalar("step_size (η_w)", step_size)
    if eta > 1:
        raise ValueError(f"step_size must be at most 1 (a step past the target); got {eta}.")
    w = _state_values(mdp, values).tolist()   # Python floats: a loop over single steps
    G = batch.reward_to_go(mdp.gamma).tolist()
    states, nexts, rewards = (x.tolist() for x in (batch.states, batch.next_states,
                                                    batch.rewards))
    terminal, gamma = mdp.terminal.tolist(), mdp.gamma
    history = [list(w)]
    for i, n in enumerate(batch.lengths.tolist()):
        for t in range(n):
            s, s2 = states[i][t], nexts[i][t]
            if method == "mc":
                target = G[i][t]
            else:
                target = rewards[i][t] + gamma * (0.0 if terminal[s2] else w[s2])
            w[s] += eta * (target - w[s])
        history.append(list(w))
    return np.array(history)


# ----------------------------------------------------------------------------------------
# CartPole: a value network, GAE along an episode, and a critic that plugs into train()
# ----------------------------------------------------------------------------------------
class ValueNetwork:
    """v̂(s, w) = c · (tanh(s W₁ + b₁) · w₂ + b₂): one hidden layer, a linear output.

    ``c`` (``scale``, default 100 = 1/(1 − 0.99)) puts the output in units of return, so
    the network itself works with numbers near 1. The weights live in one flat vector
    ``w`` (for Adam). W₁ starts random (scale 1/√obs_dim, from ``rng``), the rest at 0, so
    v̂ starts at 0 everywhere.

    The loss is L(w) = ½ · mean_i (v̂(s_i) − y_i)². Its gradient by hand, with
    e_i = (v̂(s_i) − y_i)/B: ∂w₂ = c Hᵀe, ∂b₂ = c Σ e_i, D = c e w₂ᵀ ⊙ (1 − H²),
    ∂W₁ = Sᵀ D, ∂b₁ = Σ D (tests compare it with finite differences). Notebook 07.
    """

    def __init__(self, obs_dim: int = reinforce.OBS_DIM, hidden: int = 16, *,
                 scale: float = 100.0, rng=None):
        self.obs_dim = check_count("obs_dim", obs_dim)
        self.hidden = check_count("hidden (units in the hidden layer)", hidden)
        self.scale = positive_scalar("scale (the output's unit)", scale)
        rng = check_rng(rng)
        W1 = rng.standard_normal((obs_dim, hidden)) / np.sqrt(obs_dim)
        self.w = np.concatenate([W1.ravel(), np.zeros(hidden), np.zeros(hidden), [0.0]])

    @property
    def n_params(self) -> int:
        return self.w.size

    def set_params(self, w):
        """Replace the weights with a copy of the flat vector ``w``."""
        self.w = as_float_array("w (the critic's weights)", w, shape=(self.w.size,)).copy()
        return self

    def _unpack(self):
        d, h = self.obs_dim, self.hidden
        w = self.w
        return (w[: d * h].reshape(d, h), w[d * h: d * h + h], w[d * h + h: d * h + 2 * h],
                w[-1])

    def _forward(self, obs):
        W1, b1, w2, b2 = self._unpack()
        H = np.tanh(obs @ W1 + b1)
        return self.scale * (H @ w2 + b2), H

    def _check_obs(self, obs):
        return as_float_array("obs (a batch of observations)", obs, shape=(None, self.obs_dim))

    def values(self, obs) -> np.ndarray:
        """v̂(s) for each observation, shape (B,)."""
        return self._forward(self._check_obs(obs))[0]

    def _check_targets(self, obs, targets):
        obs = self._check_obs(obs)
        y = as_float_array("targets", targets, shape=(obs.shape[0],))
        if y.size == 0:
            raise ValueError("need at least one observation to fit.")
        return obs, y

    def loss(self, obs, targets) -> float:
        """½ · mean (v̂(s_i) − y_i)²."""
        obs, y = self._check_targets(obs, targets)
        return float(0.5 * np.mean((self._forward(obs)[0] - y) ** 2))

    def loss_grad(self, obs, targets) -> np.ndarray:
        """∇_w of :meth:`loss`, by hand (flat, like ``w``)."""
        obs, y = self._check_targets(obs, targets)
        return self._grad_fast(obs, y)

    def _grad_fast(self, obs, y):
        v, H = self._forward(obs)
        e = (v - y) / y.size
        w2 = self._unpack()[2]
        D = self.scale * np.outer(e, w2) * (1.0 - H * H)
        return np.concatenate([(obs.T @ D).ravel(), D.sum(axis=0),
                               self.scale * (H.T @ e), [self.scale * e.sum()]])

    def __repr__(self):
        return f"ValueNetwork(hidden={self.hidden}, {self.n_params} weights)"


def episode_advantages(episode, values, gamma: float, lam: float, *,
                       bootstrap_truncated: bool = True):
    """GAE(λ) weights along one CartPole episode, and the v̂ it used: ``(A, v)``.

    ``values`` is a function obs (B, 4) → v̂ (B,). The value after the last action is
    v̂(``episode.final_obs``) if the episode was **truncated** by the time limit (the pole
    was still up; the return would have gone on) and 0 if it **terminated** (a fall: no
    more reward). ``bootstrap_truncated=False`` treats the time limit as a fall, the
    mistake Pardo et al. (2018) warn about. Notebook 07.
    """
    if not isinstance(episode, reinforce.Episode):
        raise ValueError(f"episode must be a helpers.reinforce.Episode; "
                         f"got {type(episode).__name__}.")
    if episode.length == 0:
        raise ValueError("the episode has no steps.")
    v = np.asarray(values(episode.obs), dtype=float)
    last = 0.0
    if episode.truncated and bootstrap_truncated:
        if episode.final_obs is None:
            raise ValueError("a truncated episode needs final_obs (the state its last action "
                             "led to) to bootstrap from.")
        last = float(np.asarray(values(np.asarray(episode.final_obs, float)[None]))[0])
    v_next = np.append(v[1:], last)
    return gae(td_errors(episode.rewards, v, v_next, gamma), gamma, lam), v


@dataclass(frozen=True)
class CriticConfig:
    """Settings of the critic; the actor's are :class:`helpers.reinforce.Config`'s.

    * ``gamma``: the critic's discount γ in (0, 1], used for the TD errors, GAE and the
      targets. Its own, not the actor's ``reinforce.Config().gamma`` (1 since notebook
      06's rewrite): 0.99 keeps v̂ below 1/(1 − γ) = 100 and its targets' variance down.
    * ``lam``: GAE's λ — 1 is REINFORCE with v̂ as its baseline, 0 the one-step
      actor-critic; the same λ makes the critic's regression targets, the λ-returns
      A_t + v̂(s_t) (at λ = 1 the discounted return G_t).
    * ``lr`` (η_w), ``steps``: Adam steps on the batch's squared error after each batch.
    * ``bootstrap_truncated``: bootstrap from v̂ at the time limit (True) or treat it as a
      fall (False, wrong).
    * ``hidden``: units of :class:`ValueNetwork`.
    * ``normalise``: centre the advantages over the batch and divide by max(std,
      ``min_std``), as notebook 06 does with its weights (the same floor of 10, in units of
      reward: once v̂ is good the advantages are small, and the floor keeps their noise
      from being blown up into full-sized steps).

    Introduced in notebook 07.
    """

    gamma: float = 0.99
    lam: float = 0.95
    lr: float = 0.01
    steps: int = 20
    bootstrap_truncated: bool = True
    hidden: int = 16
    normalise: bool = True
    min_std: float = 10.0

    def validate(self):
        check_gamma(self.gamma)
        check_lambda(self.lam)
        positive_scalar("lr (the critic's step size η_w)", self.lr)
        check_count("steps", self.steps)
        check_count("hidden", self.hidden)
        if not as_finite_scalar("min_std", self.min_std) >= 0:
            raise ValueError(f"min_std must be at least 0; got {self.min_std!r}.")
        return self


class Critic:
    """A learned v̂(s, w) that weighs each batch for :func:`helpers.reinforce.train`.

    Called as ``critic(episodes, policy)``, it (1) computes every episode's GAE(λ)
    advantages with the current v̂, (2) normalises them if asked, (3) then fits v̂ to the
    batch's λ-returns with ``config.steps`` Adam steps. The order matters: fitting first
    would let the baseline of a step depend on that step's own return. ``value_loss`` keeps
    the squared error before each fit. The discount is ``config.gamma``. Notebook 07.
    """

    def __init__(self, config: CriticConfig = CriticConfig(), rng=None):
        if not isinstance(config, CriticConfig):
            raise ValueError(f"config must be a CriticConfig; got {type(config).__name__}.")
        self.config = replace(config).validate()
        self.gamma = float(self.config.gamma)
        # v̂ in units of the largest possible return: 1/(1 − γ), or 500 steps if that is less
        scale = 1.0 / max(1.0 - self.gamma, 1.0 / EPISODE_LIMIT)
        self.net = ValueNetwork(hidden=self.config.hidden, scale=scale, rng=check_rng(rng))
        self.opt = reinforce.Adam(self.net.n_params, lr=self.config.lr)
        self.value_loss: list[float] = []

    def values(self, obs) -> np.ndarray:
        """v̂(s) for a batch of observations."""
        return self.net.values(obs)

    def __call__(self, episodes, policy=None) -> list[np.ndarray]:
        if not episodes:
            raise ValueError("need at least one episode.")
        cfg = self.config
        parts = [episode_advantages(ep, self.net.values, self.gamma, cfg.lam,
                                    bootstrap_truncated=cfg.bootstrap_truncated)
                 for ep in episodes]
        A = np.concatenate([a for a, _ in parts])
        obs = np.concatenate([ep.obs for ep in episodes])
        targets = A + np.concatenate([v for _, v in parts])
        self.value_loss.append(float(0.5 * np.mean(A ** 2)))   # targets − v̂ = A
        for _ in range(cfg.steps):
            self.net.w = self.opt.ascent_step(self.net.w, -self.net._grad_fast(obs, targets))
        if cfg.normalise:
            A = reinforce.normalise(A, cfg.min_std)
        return np.split(A, np.cumsum([ep.length for ep in episodes])[:-1])


def train(config: reinforce.Config | None = None, critic: CriticConfig | None = None,
          seed: int = 0, env=None, progress=None):
    """REINFORCE's loop (:func:`helpers.reinforce.train`) with a :class:`Critic` as weigher.

    The actor is exactly notebook 06's (``config``: policy, Adam, batches, the "solved"
    test); only the weights A_t change. ``config.gamma`` is not used (the weights do not
    come from :func:`helpers.reinforce.advantages`): the critic discounts with
    ``critic.gamma``. The critic's random start is drawn from a generator seeded by
    (``seed``, 1), so one seed fixes the whole run. Returns ``(history, critic)``. ``None``
    means the defaults, ``reinforce.Config()`` and ``CriticConfig()``. Notebook 07.
    """
    config = reinforce.Config() if config is None else config
    critic = CriticConfig() if critic is None else critic
    seed = check_count("seed", seed, minimum=0)
    weigher = Critic(critic, rng=np.random.default_rng([seed, 1]))
    history = reinforce.train(config, seed=seed, env=env, progress=progress, weigher=weigher)
    return history, weigher
