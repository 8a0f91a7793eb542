"""PPO on gymnasium's CartPole-v1, written out in numpy: notebook 11
(``11_ppo_and_trust_regions``).

Built from the pieces of notebooks 06 and 07: the actor is notebook 06's
:class:`helpers.reinforce.MLPPolicy` with its hand-coded ∇ Σ_i w_i log π(a_i|s_i), the critic
notebook 07's :class:`helpers.critic.ValueNetwork`, both trained with
:class:`helpers.reinforce.Adam`, and the "solved" bookkeeping is notebook 06's
:class:`helpers.reinforce.History`. What PPO adds (Schulman et al. 2017, Algorithm 1):

* **rollouts of fixed length**: each of the ``n_envs`` environments runs ``n_steps`` steps
  with the current policy π_old, and log π_old(a_t|s_t) is stored *at sampling time*
  (:class:`RolloutCollector`); episodes that do not end inside a rollout are cut, and GAE
  bootstraps from v̂ at the cut (:func:`rollout_advantages`), as it does at the time limit;
* **several epochs of minibatch steps** on that one batch, each on the clipped objective
  (:func:`clipped_objective`, gradient by hand in :func:`clipped_objective_grad`)

      ℒ^CLIP(θ) = mean_t min(ratio_t A_t, clip(ratio_t, 1 − ε_clip, 1 + ε_clip) A_t),
      ratio_t = π_θ(a_t|s_t) / π_old(a_t|s_t),

  where A_t is the GAE(λ) advantage weight (normalised over the batch by default), and a
  squared-error value loss for the critic, fitted to the λ-returns A_t + v̂(s_t).

The classic mistakes are switches of :class:`PPOConfig`: ``recompute_old`` (the "old"
log-probabilities taken from the current policy, so every ratio is 1), ``normalise=
"minibatch"``, ``clip_value`` (CleanRL's clipped value loss) and ``target_kl`` (Spinning
Up's early stopping on an approximate KL).

As in notebook 07, the weights carry no γ^t and the epochs average over timesteps: the
expected step is not the gradient of the discounted objective (notebooks 05 and 08); γ and λ
serve to reduce variance in a task scored by the undiscounted episode length.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from helpers import critic as C
from helpers import reinforce
from helpers.trust_region import KL_KINDS, approximate_kl_terms, check_clip
from helpers.validation import (
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

__all__ = [
    "EpisodeEnd",
    "PPOConfig",
    "Rollout",
    "RolloutCollector",
    "approximate_kl",
    "clipped_objective",
    "clipped_objective_grad",
    "clipped_value_loss",
    "clipped_value_loss_grad",
    "rollout_advantages",
    "train",
    "update",
]


# ----------------------------------------------------------------------------------------
# The clipped objective and its gradient, by hand
# ----------------------------------------------------------------------------------------
def _ratio_terms(policy, obs, actions, logp_old, advantages, eps):
    obs = as_float_array("obs", obs, shape=(None, policy.obs_dim))
    n = obs.shape[0]
    a = np.asarray(actions)
    if a.shape != (n,) or a.dtype.kind not in "iu":
        raise ValueError(f"actions must be {n} whole numbers, one per observation.")
    lp_old = as_float_array("logp_old (log π_old(a_t|s_t))", logp_old, shape=(n,))
    adv = as_float_array("advantages (A_t)", advantages, shape=(n,))
    eps = check_clip(eps)
    if n == 0:
        raise ValueError("need at least one observation.")
    lp = policy.log_probs(obs)[np.arange(n), a]
    ratio = np.exp(lp - lp_old)
    return obs, a, ratio, adv, eps


def clipped_objective(policy, obs, actions, logp_old, advantages, eps: float = 0.2) -> float:
    """ℒ^CLIP(θ) = mean_t min(ratio_t A_t, clip(ratio_t, 1 − ε_clip, 1 + ε_clip) A_t) at the
    policy's current θ (Schulman et al. 2017, eq. 7). Notebook 11."""
    _, _, ratio, adv, eps = _ratio_terms(policy, obs, actions, logp_old, advantages, eps)
    return float(np.mean(np.minimum(ratio * adv, np.clip(ratio, 1 - eps, 1 + eps) * adv)))


def clipped_objective_grad(policy, obs, actions, logp_old, advantages,
                           eps: float = 0.2) -> np.ndarray:
    """∇θ ℒ^CLIP, by hand: ∇(ratio_t A_t) = A_t ratio_t ∇log π_θ(a_t|s_t), and a term whose
    ratio is beyond 1 ± ε_clip on the side that would gain (A_t > 0 and ratio_t > 1 + ε_clip, or
    A_t < 0 and ratio_t < 1 − ε_clip) is the constant (1 ± ε_clip) A_t, gradient 0. So the gradient
    is notebook 06's ∇ Σ_t w_t log π(a_t|s_t) with w_t = [not frozen] A_t ratio_t / n.
    Notebook 11."""
    obs, a, ratio, adv, eps = _ratio_terms(policy, obs, actions, logp_old, advantages, eps)
    frozen = ((adv > 0) & (ratio > 1 + eps)) | ((adv < 0) & (ratio < 1 - eps))
    weights = np.where(frozen, 0.0, adv * ratio) / a.size
    return policy.grad(obs, a, weights)


def clipped_value_loss(values, old_values, targets, clip: float) -> float:
    """CleanRL's clipped value loss ½ mean max((v − y)², (v_old + clip(v − v_old, ±c) − y)²),
    with c = ``clip`` in units of return. Notebook 11."""
    v, v_old, y = _value_arrays(values, old_values, targets)
    c = positive_scalar("clip (the value clip range)", clip)
    v_clipped = v_old + np.clip(v - v_old, -c, c)
    return float(0.5 * np.mean(np.maximum((v - y) ** 2, (v_clipped - y) ** 2)))


def clipped_value_loss_grad(values, old_values, targets, clip: float) -> np.ndarray:
    """d/dv_i of :func:`clipped_value_loss`: (v_i − y_i)/n where the unclipped square is the
    larger (or v_i is inside v_old ± c), 0 where the clipped one wins: once v_i has moved
    by c towards its target, it stops. Notebook 11."""
    v, v_old, y = _value_arrays(values, old_values, targets)
    c = positive_scalar("clip (the value clip range)", clip)
    v_clipped = v_old + np.clip(v - v_old, -c, c)
    unclipped_wins = (v - y) ** 2 >= (v_clipped - y) ** 2
    inside = np.abs(v - v_old) <= c
    return np.where(unclipped_wins | inside, v - y, 0.0) / v.size


def _value_arrays(values, old_values, targets):
    v = as_float_array("values (v̂)", values, ndim=1)
    v_old = as_float_array("old_values (v̂ before the update)", old_values, shape=v.shape)
    y = as_float_array("targets", targets, shape=v.shape)
    if v.size == 0:
        raise ValueError("need at least one value.")
    return v, v_old, y


def approximate_kl(logp_old, logp_new, kind: str = "k1") -> float:
    """An estimate of KL(π_old ‖ π_θ) from actions sampled by π_old, averaged over them:
    ``"k1"`` mean(log π_old − log π_θ) (Spinning Up's ``approx_kl``; unbiased, can be
    negative) or ``"k3"`` mean((ratio − 1) − log ratio) (CleanRL's; unbiased and ≥ 0).
    Notebook 11."""
    lp_old = as_float_array("logp_old", logp_old, ndim=1)
    lp_new = as_float_array("logp_new", logp_new, shape=lp_old.shape)
    if lp_old.size == 0:
        raise ValueError("need at least one action.")
    return float(np.mean(approximate_kl_terms(lp_new - lp_old, kind)))


# ----------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------
NORMALISE = ("batch", "minibatch", "none")


@dataclass(frozen=True)
class PPOConfig:
    """Settings of a PPO run on CartPole. Notebook 11.

    * rollouts: ``n_envs`` environments × ``n_steps`` steps per batch;
    * the update: ``epochs`` passes over the batch, each in ``minibatches`` minibatches;
      clip range ``clip`` (ε_clip); Adam step sizes ``lr`` (the actor's η_θ) and ``critic_lr``
      (η_w); ``hidden`` and ``critic_hidden`` tanh units;
    * advantages: GAE with ``gamma`` and ``lam``, bootstrapping from v̂ where an episode
      is cut (the time limit, or the end of a rollout) when ``bootstrap_truncated``;
      ``normalise``: centre and scale them over the whole ``"batch"``, per ``"minibatch"``
      (a classic mistake) or ``"none"``;
    * the mistakes: ``recompute_old`` (log π_old taken from the current policy at each
      minibatch: every ratio is 1), ``clip_value`` (None, or CleanRL's value clip range in
      units of return), ``target_kl`` (None, or stop the epochs once the approximate KL
      ``kl_kind`` of the whole batch exceeds 1.5 × target, as Spinning Up does);
    * ``max_steps`` (real environment steps) and ``stop`` ("budget", "solved",
      "after_solved") as in :class:`helpers.reinforce.Config`.
    """

    n_envs: int = 4
    n_steps: int = 128
    epochs: int = 4
    minibatches: int = 4
    clip: float = 0.2
    lr: float = 0.005
    critic_lr: float = 0.01
    hidden: int = 16
    critic_hidden: int = 16
    gamma: float = 0.99
    lam: float = 0.95
    bootstrap_truncated: bool = True
    normalise: str = "batch"
    recompute_old: bool = False
    clip_value: float | None = None
    target_kl: float | None = None
    kl_kind: str = "k1"
    max_steps: int = 100_000
    stop: str = "budget"

    def validate(self):
        for name in ("n_envs", "n_steps", "epochs", "minibatches", "hidden", "critic_hidden",
                     "max_steps"):
            check_count(name, getattr(self, name))
        check_clip(self.clip)
        positive_scalar("lr (the actor's step size η_θ)", self.lr)
        positive_scalar("critic_lr (the critic's step size η_w)", self.critic_lr)
        C.check_gamma(self.gamma)
        C.check_lambda(self.lam)
        if self.normalise not in NORMALISE:
            raise ValueError(f"normalise must be one of {NORMALISE}; got {self.normalise!r}.")
        if self.clip_value is not None:
            positive_scalar("clip_value (the value clip range)", self.clip_value)
        if self.target_kl is not None:
            positive_scalar("target_kl", self.target_kl)
        if self.kl_kind not in KL_KINDS:
            raise ValueError(f"kl_kind must be one of {KL_KINDS}; got {self.kl_kind!r}.")
        if self.stop not in ("budget", "solved", "after_solved"):
            raise ValueError(f"stop must be 'budget', 'solved' or 'after_solved'; "
                             f"got {self.stop!r}.")
        if self.minibatches > self.n_envs * self.n_steps:
            raise ValueError("minibatches must be at most n_envs × n_steps (one sample each).")
        return self


# ----------------------------------------------------------------------------------------
# Rollouts
# ----------------------------------------------------------------------------------------
@dataclass
class EpisodeEnd:
    """What :class:`helpers.reinforce.History` books for a finished episode. Notebook 11."""

    total_reward: float
    end_step: int
    terminated: bool


@dataclass
class Rollout:
    """``n_steps`` vector steps of ``n_envs`` environments, arrays shaped (n_steps, n_envs).

    ``obs[t]`` is what the policy saw at step t, ``logp_old`` log π_old of the action taken
    (stored when it was sampled), ``valid`` False for gymnasium's autoreset steps (notebook
    06: the action is ignored; they are no interaction and are left out), ``terminated`` /
    ``truncated`` how an episode ended *on* step t, and ``last_obs`` the observations after
    the last step (v̂ there bootstraps episodes the rollout cuts). Because gymnasium's
    autoreset comes one step late, ``obs[t + 1]`` after an episode's end is the state its
    last action led to — the state a truncated episode bootstraps from. Notebook 11.
    """

    obs: np.ndarray
    actions: np.ndarray
    logp_old: np.ndarray
    rewards: np.ndarray
    valid: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    last_obs: np.ndarray

    @property
    def n_real(self) -> int:
        return int(self.valid.sum())


class RolloutCollector:
    """Runs ``n_envs`` CartPoles for ``n_steps`` steps per :meth:`collect`, carrying the
    environments' state from one rollout to the next. Counts real steps (:attr:`steps`) and
    hands each finished episode to ``on_episode`` (an :class:`EpisodeEnd`). Notebook 11."""

    def __init__(self, n_envs: int, n_steps: int, seed: int, env=None):
        self.env = reinforce.make_cartpole_env(n_envs) if env is None else env
        self.n_envs = self.env.num_envs
        self.n_steps = check_count("n_steps", n_steps)
        check_count("seed", seed, minimum=0)
        obs, _ = self.env.reset(seed=seed)
        self.obs = np.asarray(obs, dtype=float)
        self.prev_done = np.zeros(self.n_envs, dtype=bool)
        self.running = np.zeros(self.n_envs)     # return so far of each env's episode
        self.steps = 0
        self.dummy_steps = 0

    def collect(self, policy, rng, on_episode=None) -> Rollout:
        """``n_steps`` vector steps with ``policy`` (actions drawn with ``rng``), as a
        :class:`Rollout`; ``on_episode(EpisodeEnd)`` is called for each episode that ends."""
        rng = check_rng(rng)
        T, n = self.n_steps, self.n_envs
        obs = np.zeros((T, n, self.obs.shape[1]))
        actions = np.zeros((T, n), dtype=np.int64)
        rewards, valid = np.zeros((T, n)), np.zeros((T, n), dtype=bool)
        terminated, truncated = np.zeros((T, n), dtype=bool), np.zeros((T, n), dtype=bool)
        for t in range(T):
            obs[t] = self.obs
            actions[t] = policy._sample_fast(self.obs, rng)   # rng checked above
            next_obs, r, term, trunc, _ = self.env.step(actions[t])
            real = ~self.prev_done            # an autoreset step is not an interaction
            valid[t], rewards[t] = real, np.where(real, r, 0.0)
            terminated[t], truncated[t] = term & real, trunc & real
            n_real = int(np.count_nonzero(real))
            self.steps += n_real
            self.dummy_steps += n - n_real
            self.running += rewards[t]
            done = terminated[t] | truncated[t]
            for i in np.flatnonzero(done):
                if on_episode is not None:
                    on_episode(EpisodeEnd(float(self.running[i]), self.steps,
                                          bool(terminated[t, i])))
                self.running[i] = 0.0
            self.prev_done = done
            self.obs = np.asarray(next_obs, dtype=float)
        flat_obs = obs.reshape(T * n, -1)
        logp = policy.log_probs(flat_obs)[np.arange(T * n), actions.ravel()].reshape(T, n)
        return Rollout(obs, actions, logp, rewards, valid, terminated, truncated,
                       self.obs.copy())

    def close(self):
        self.env.close()


def rollout_advantages(rollout: Rollout, values, gamma: float, lam: float, *,
                       bootstrap_truncated: bool = True):
    """GAE(λ) along each environment's steps: A_t = δ_t + γλ A_{t+1} within an episode,
    δ_t = r_t + γ v̂(s_{t+1}) − v̂(s_t), with v̂(s_{t+1}) = 0 after a fall (terminated),
    v̂ of the state the last action led to after the time limit (truncated; 0 with
    ``bootstrap_truncated=False``, Pardo et al.'s mistake), and v̂(``last_obs``) where the
    rollout cuts a running episode. ``values`` maps observations (B, 4) to v̂ (B,).
    Returns ``(A, v)`` of shape (n_steps, n_envs), zero on autoreset steps. Notebook 11."""
    if not isinstance(rollout, Rollout):
        raise ValueError(f"rollout must be a ppo.Rollout; got {type(rollout).__name__}.")
    gamma, lam = C.check_gamma(gamma), C.check_lambda(lam)
    T, n = rollout.valid.shape
    v_all = np.asarray(values(np.concatenate([rollout.obs.reshape(T * n, -1),
                                              rollout.last_obs])), dtype=float)
    v, v_last = v_all[: T * n].reshape(T, n), v_all[T * n:]
    v_next = np.concatenate([v[1:], v_last[None]])      # v̂ of what each step led to
    cut = rollout.terminated | (rollout.truncated & (not bootstrap_truncated))
    delta = rollout.rewards + gamma * np.where(cut, 0.0, v_next) - v
    done = rollout.terminated | rollout.truncated
    A = np.zeros((T, n))
    running = np.zeros(n)
    for t in range(T - 1, -1, -1):
        running = delta[t] + gamma * lam * np.where(done[t], 0.0, running)
        A[t] = running
    valid = rollout.valid
    return np.where(valid, A, 0.0), np.where(valid, v, 0.0)


# ----------------------------------------------------------------------------------------
# The update and the training loop
# ----------------------------------------------------------------------------------------
@dataclass
class UpdateInfo:
    """What one PPO update did: epochs run, the fraction of clipped terms, the approximate
    KL of the batch after the update and the critic's loss before it. Notebook 11."""

    epochs: int
    clip_fraction: float
    approx_kl: float
    value_loss: float


def update(policy, net, opt, critic_opt, rollout: Rollout, config: PPOConfig, rng):
    """One PPO update on ``rollout``: GAE advantages and λ-return targets from the critic
    ``net`` as it was when the batch was collected, then ``config.epochs`` passes of
    ``config.minibatches`` minibatch steps on the clipped objective (actor, Adam ``opt``)
    and on the value loss (critic, Adam ``critic_opt``). Returns an :class:`UpdateInfo`.
    Notebook 11."""
    A, v = rollout_advantages(rollout, net.values, config.gamma, config.lam,
                              bootstrap_truncated=config.bootstrap_truncated)
    keep = rollout.valid.ravel()
    obs = rollout.obs.reshape(-1, rollout.obs.shape[-1])[keep]
    acts = rollout.actions.ravel()[keep]
    logp_old = rollout.logp_old.ravel()[keep]
    adv, v_old = A.ravel()[keep], v.ravel()[keep]
    targets = adv + v_old                                   # λ-returns
    value_loss = float(0.5 * np.mean(adv ** 2))
    if config.normalise == "batch":
        adv = reinforce.normalise(adv)
    eps, n = config.clip, adv.size
    clipped, seen, epochs_run = 0, 0, 0
    for _ in range(config.epochs):
        epochs_run += 1
        for mb in np.array_split(rng.permutation(n), config.minibatches):
            a_mb = reinforce.normalise(adv[mb]) if config.normalise == "minibatch" else adv[mb]
            lp_old = logp_old[mb]
            if config.recompute_old:     # the mistake: "old" log-probs from the current θ
                lp_old = policy.log_probs(obs[mb])[np.arange(mb.size), acts[mb]]
            g = clipped_objective_grad(policy, obs[mb], acts[mb], lp_old, a_mb, eps)
            ratio = np.exp(policy.log_probs(obs[mb])[np.arange(mb.size), acts[mb]] - lp_old)
            clipped += int(np.sum(np.abs(ratio - 1) > eps))
            seen += mb.size
            policy.theta = opt.ascent_step(policy.theta, g)
            # the critic: squared error to the λ-returns (optionally CleanRL's clipped loss)
            if config.clip_value is None:
                gw = net.loss_grad(obs[mb], targets[mb])
            else:
                vals = net.values(obs[mb])
                dv = clipped_value_loss_grad(vals, v_old[mb], targets[mb], config.clip_value)
                gw = net.loss_grad(obs[mb], vals - dv * mb.size)   # same per-sample slopes
            net.w = critic_opt.ascent_step(net.w, -gw)
        if config.target_kl is not None:
            lp_new = policy.log_probs(obs)[np.arange(n), acts]
            if approximate_kl(logp_old, lp_new, config.kl_kind) > 1.5 * config.target_kl:
                break
    lp_new = policy.log_probs(obs)[np.arange(n), acts]
    return UpdateInfo(epochs_run, clipped / max(seen, 1),
                      approximate_kl(logp_old, lp_new, config.kl_kind), value_loss)


@dataclass
class PPOHistory(reinforce.History):
    """:class:`helpers.reinforce.History` plus what each PPO update did. Notebook 11."""

    updates: list = field(default_factory=list)


def train(config: PPOConfig | None = None, seed: int = 0, env=None, progress=None):
    """Train PPO with ``config`` on seed ``seed``: the environments reset with ``seed``, the
    actor's start and the actions drawn from ``np.random.default_rng(seed)``, the critic's
    start from (seed, 1), the minibatch shuffles from (seed, 2). Returns a
    :class:`PPOHistory` (notebook 06's bookkeeping: returns, "solved", steps, times).
    ``None`` means ``PPOConfig()``. Notebook 11."""
    config = replace(PPOConfig() if config is None else config).validate()
    seed = check_count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    policy = reinforce.MLPPolicy(hidden=config.hidden, rng=rng)
    critic = C.Critic(C.CriticConfig(gamma=config.gamma, lr=config.critic_lr,
                                     hidden=config.critic_hidden),
                      rng=np.random.default_rng([seed, 1]))   # notebook 07's v̂ and its Adam
    net, critic_opt = critic.net, critic.opt
    opt = reinforce.Adam(policy.n_params, lr=config.lr)
    shuffle = np.random.default_rng([seed, 2])
    collector = RolloutCollector(config.n_envs, config.n_steps, seed, env=env)
    hist = PPOHistory(config=config, seed=seed, params=[policy.theta.copy()])
    hist.start_clock()
    start = time.perf_counter()
    try:
        while collector.steps < config.max_steps and not hist.done():
            batch = collector.collect(policy, rng, lambda ep: hist.record(ep, ep.end_step))
            hist.updates.append(update(policy, net, opt, critic_opt, batch, config, shuffle))
            hist.params.append(policy.theta.copy())
            hist.batch_steps.append(collector.steps)
            if progress is not None:
                progress(hist)
    finally:
        hist.wall_s = time.perf_counter() - start
        hist.dummy_steps = collector.dummy_steps
        if env is None:
            collector.close()
    return hist
