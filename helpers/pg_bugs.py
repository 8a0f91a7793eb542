"""Policy-gradient bugs, caught by the exact gradient: notebook 08 (``08_policy_gradient_bugs``).

A gallery of gradient estimators — the correct ones and the mistakes that learners and
well-known tutorials make — each a short function of a batch of sampled trajectories, and the
tools to judge them on a tiny MDP of :mod:`helpers.mdp`:

* :func:`expectation` — E[ĝ] and E‖ĝ − E[ĝ]‖² for batches of m trajectories, **exactly** by
  enumerating every batch (every multiset of m trajectories, weighted by its probability; the
  estimators treat the m episodes of a batch alike, so the order does not matter), or by
  seeded Monte Carlo with standard errors when there are too many batches — a
  :class:`helpers.exact.Moments`, from the course's one exact-expectation engine;
* :func:`compare` — the angle to ∇U, the ratio of norms, and a class
  (:func:`helpers.exact.classify`): *unbiased* (E[ĝ] = ∇U), *scaled* (E[ĝ] = c∇U with one
  c > 0 at every θ tested) or *biased*;
* :func:`ascent` — gradient ascent θ ← θ + η E[ĝ(θ)] with the exact expectation, and what it
  reaches.

Every estimator returns ĝ, an *ascent* direction (the negative gradient of the surrogate
loss its code would minimise). Conventions: ``G_t`` is the reward-to-go discounted from t
(:meth:`helpers.mdp.Trajectories.reward_to_go`), ``γ^t G_t`` the one discounted from the start
of the episode, the weight that is unbiased for ∇U.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from helpers import exact, returns
from helpers import mdp as M
from helpers.distributions import log_softmax
from helpers.validation import as_finite_scalar, check_count, check_rng, positive_scalar

__all__ = [
    "ESTIMATORS",
    "AscentPath",
    "Comparison",
    "Enumeration",
    "Estimator",
    "Sample",
    "ascent",
    "compare",
    "entropy_regularised_gradient",
    "expectation",
    "get",
    "make_sample",
    "monte_carlo_mean",
    "padded_example_mdp",
    "quit_or_continue_mdp",
    "aliased_mdp",
    "check_classification",
    "check_fix",
    "mystery_class",
    "angle_between",
    "ascents",
    "format_table",
    "table",
    "best_performance",
    "entropy_regularised_performance",
    "discounted_example_mdp",
    "gradient_from",
    "ppo_surrogate",
]

#: the entropy coefficient β of the two entropy-bonus estimators (their weight on ∇H)
ENTROPY_BETA = 0.5
#: the largest number of batches :func:`expectation` enumerates before it samples instead
MAX_ENUMERATED_BATCHES = exact.MAX_BATCHES


# --------------------------------------------------------------------------------------
# The batch every estimator reads
# --------------------------------------------------------------------------------------
@dataclass
class Sample:
    """m trajectories (or a stack of such batches) in arrays shaped ``(..., m, T)``.

    Everything an estimator may read, evaluated at the policy's current θ:
    ``rewards``, ``mask`` (True for real steps), ``states``, ``actions``; ``score`` =
    ∇θ log π_θ(a_t|s_t), ``prob`` = π_θ(a_t|s_t), ``logit_grad`` = ∇θ z(s_t, a_t) (the gradient
    of the taken action's logit), ``entropy_grad`` = ∇θ H(π_θ(·|s_t)), all zero past the end
    of an episode (arrays ``(..., m, T, K)`` or ``(..., m, T)``); ``ratio`` =
    π_θ(a_t|s_t)/π_old(a_t|s_t) for data sampled at θ_old (1 when θ_old = θ); ``V`` = V^π(s_t)
    and ``Q`` = Q^π(s_t, a_t), exact; ``gamma`` and the entropy coefficient ``beta``.
    Introduced in notebook 08.
    """

    rewards: np.ndarray
    mask: np.ndarray
    states: np.ndarray
    actions: np.ndarray
    score: np.ndarray
    prob: np.ndarray
    logit_grad: np.ndarray
    entropy_grad: np.ndarray
    ratio: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    gamma: float
    beta: float = ENTROPY_BETA

    @property
    def m(self) -> int:
        """Episodes per batch."""
        return self.mask.shape[-2]

    @property
    def discount(self) -> np.ndarray:
        """γ^t for every step, zero past the end."""
        t = np.arange(self.mask.shape[-1])
        return np.where(self.mask, self.gamma**t, 0.0)

    @property
    def lengths(self) -> np.ndarray:
        """T(τ_i), the number of actions of each episode, shape ``(..., m)``."""
        return self.mask.sum(axis=-1)

    def returns(self) -> np.ndarray:
        """R(τ_i) = Σ_t γ^t r_t, shape ``(..., m)``."""
        return (self.discount * self.rewards).sum(axis=-1)

    def reward_to_go(self) -> np.ndarray:
        """G_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'}, discounted from t (zero past the end;
        :func:`helpers.returns.reward_to_go`)."""
        return returns.reward_to_go(self.rewards, self.gamma, self.mask)

    def rewards_before(self) -> np.ndarray:
        """Σ_{t' < t} γ^{t'} r_{t'}: what the episode had earned before step t."""
        d = self.discount * np.where(self.mask, self.rewards, 0.0)
        return np.where(self.mask, np.cumsum(d, axis=-1) - d, 0.0)

    def per_episode(self, weights, grads=None) -> np.ndarray:
        """(1/m) Σ_i Σ_t weights_it · grads_it (grads default to the scores), shape ``(..., K)``."""
        grads = self.score if grads is None else grads
        w = np.where(self.mask, np.broadcast_to(weights, self.mask.shape), 0.0)
        return np.einsum("...mt,...mtk->...k", w, grads) / self.m


def _check_pair(mdp, policy):
    if not isinstance(mdp, M.TabularMDP):
        raise ValueError(f"mdp must be a helpers.mdp.TabularMDP; got {type(mdp).__name__}.")
    if not isinstance(policy, M.SoftmaxPolicy):
        raise ValueError(f"policy must be a helpers.mdp.SoftmaxPolicy; got "
                         f"{type(policy).__name__}.")
    if (policy.n_states, policy.n_actions) != (mdp.n_states, mdp.n_actions):
        raise ValueError(
            f"the policy has the wrong shape: it is for {policy.n_states} states x "
            f"{policy.n_actions} actions, but the MDP has {mdp.n_states} x {mdp.n_actions}.")
    if mdp.horizon is not None:
        raise ValueError("the gallery needs an MDP that ends in terminal states (horizon=None): "
                         "its Q and V baselines are the values of the state, not of the step.")


class _Tables:
    """Per-(state, action) tables at one θ, shared by every trajectory."""

    def __init__(self, mdp, policy, theta, theta_old):
        theta = policy.check_theta(theta)
        logpi = log_softmax(policy.features @ theta, axis=-1)
        self.pi = np.exp(logpi)
        # log π at the parameters the data was sampled with (θ_old, or θ itself)
        self.logpi_sampled = (logpi if theta_old is None else
                              log_softmax(policy.features @ policy.check_theta(theta_old),
                                          axis=-1))
        self.log_ratio = logpi - self.logpi_sampled
        self.score = policy.features - np.einsum("sa,sak->sk", self.pi,
                                                 policy.features)[:, None, :]
        # ∇H(s) = −Σ_a π(a|s) log π(a|s) ∇log π(a|s)   (Σ_a ∇π = 0 removes the "+1")
        self.entropy_grad = -np.einsum("sa,sa,sak->sk", self.pi, logpi, self.score)
        self.V, self.Q = M.policy_evaluation(mdp, policy, theta)
        self.features = policy.features


def make_sample(mdp, policy, theta, batch, *, theta_old=None, index=None,
                beta: float = ENTROPY_BETA) -> Sample:
    """A :class:`Sample` of ``batch`` (from :func:`helpers.mdp.sample_trajectories`) at θ.

    ``theta_old``: the parameters the batch was sampled with, when it is reused after an
    update (default: θ itself). ``index`` (shape ``(..., m)``) picks trajectories of ``batch``
    to form stacked batches; by default the whole batch is one batch of ``batch.m``.
    Introduced in notebook 08.
    """
    _check_pair(mdp, policy)
    if not isinstance(batch, M.Trajectories):
        raise ValueError(f"batch must be helpers.mdp.Trajectories; got {type(batch).__name__}.")
    tables = _Tables(mdp, policy, theta, theta_old)
    return _sample_from_tables(mdp, tables, batch, index,
                               as_finite_scalar("beta (the entropy coefficient)", beta))


def _sample_from_tables(mdp, tab, batch, index, beta):
    s, a, mask = batch.states, batch.actions, batch.mask
    on = mask[..., None]
    per_traj = {
        "rewards": np.where(mask, batch.rewards, 0.0),
        "mask": mask,
        "states": s,
        "actions": a,
        "score": np.where(on, tab.score[s, a], 0.0),
        "prob": np.where(mask, tab.pi[s, a], 0.0),
        "logit_grad": np.where(on, tab.features[s, a], 0.0),
        "entropy_grad": np.where(on, tab.entropy_grad[s], 0.0),
        "ratio": np.where(mask, np.exp(tab.log_ratio[s, a]), 1.0),
        "V": np.where(mask, tab.V[s], 0.0),
        "Q": np.where(mask, tab.Q[s, a], 0.0),
    }
    if index is None:
        index = np.arange(batch.m)
    return Sample(**{k: v[index] for k, v in per_traj.items()}, gamma=mdp.gamma, beta=beta)


# --------------------------------------------------------------------------------------
# The gallery: each estimator is a short function of one Sample
# --------------------------------------------------------------------------------------
def full_return(x):
    """Σ_t ∇log π(a_t|s_t) · R(τ): the textbook estimator (unbiased). Notebook 08."""
    return x.per_episode(x.returns()[..., None])


def reward_to_go(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t G_t: only the rewards that follow a_t (unbiased).
    Notebook 08."""
    return x.per_episode(x.discount * x.reward_to_go())


def reward_to_go_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t (G_t − V(s_t)): a baseline that depends on the state only.
    Notebook 08."""
    return x.per_episode(x.discount * (x.reward_to_go() - x.V))


def timestep_average(x):
    """Σ_i Σ_t ∇log π(a_t|s_t) R(τ_i) / N, N = Σ_i T_i: the mean over every timestep of the
    batch (OpenAI Spinning Up's ``1_simple_pg.py``: ``-(logp * weights).mean()``).
    Notebook 08."""
    N = x.lengths.sum(axis=-1)[..., None]
    return x.per_episode(x.returns()[..., None]) * x.m / N


def no_discount_power(x):
    """Σ_t ∇log π(a_t|s_t) · G_t: discounted from t, the γ^t dropped (most tutorials).
    Notebook 08."""
    return x.per_episode(x.reward_to_go())


def discount_twice(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t (γ^t G_t): γ^t applied to a reward-to-go that already has it.
    Notebook 08."""
    return x.per_episode(x.discount**2 * x.reward_to_go())


def past_rewards(x):
    """Σ_t ∇log π(a_t|s_t) · Σ_{t'<t} γ^t' r_t': weighted by the rewards *before* the action.
    Notebook 08."""
    return x.per_episode(x.rewards_before())


def own_reward_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t (G_t − r_t): the baseline is the action's own reward.
    Notebook 08."""
    return x.per_episode(x.discount * (x.reward_to_go() - x.rewards))


def q_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t (G_t − Q(s_t, a_t)): the baseline sees the action taken.
    Notebook 08."""
    return x.per_episode(x.discount * (x.reward_to_go() - x.Q))


def batch_mean_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · (R(τ_i) − mean_j R(τ_j)): the batch mean includes τ_i itself.
    Notebook 08."""
    R = x.returns()
    return x.per_episode((R - R.mean(axis=-1, keepdims=True))[..., None])


def per_timestep_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · γ^t (G_t − b_t), b_t the mean of G_t over the batch's episodes
    still running at step t, the episode itself included (notebook 06's baseline,
    ``helpers.reinforce.per_timestep_baseline``). With n_t episodes running, the weight is
    (n_t − 1)/n_t times the leave-one-out weight: a factor that changes with t
    (:func:`helpers.returns.minus_batch_baseline`). Notebook 08."""
    return x.per_episode(x.discount * returns.minus_batch_baseline(x.reward_to_go(), x.mask))


def leave_one_out_baseline(x):
    """Σ_t ∇log π(a_t|s_t) · (R(τ_i) − mean_{j≠i} R(τ_j)): the others' mean (needs m ≥ 2).
    Notebook 08."""
    if x.m < 2:
        raise ValueError("the leave-one-out baseline needs at least m = 2 episodes per batch.")
    R = x.returns()
    others = (R.sum(axis=-1, keepdims=True) - R) / (x.m - 1)
    return x.per_episode((R - others)[..., None])


def episode_standardised(x):
    """G_t standardised within each episode, (G_t − mean_t G)/(std_t G + ε), one episode at
    a time (the Hugging Face course's REINFORCE; std with ddof=1 as in torch; an episode of
    one step, whose std torch would call NaN, gets weight 0).
    Notebook 08."""
    G, n = x.reward_to_go(), x.lengths[..., None]
    mean = G.sum(axis=-1, keepdims=True) / n
    dev = np.where(x.mask, G - mean, 0.0)
    std = np.sqrt((dev**2).sum(axis=-1, keepdims=True) / np.maximum(n - 1, 1))
    return x.per_episode(np.where(n > 1, dev / (std + 1e-8), 0.0))


def batch_standardised(x):
    """γ^t G_t standardised over every timestep of the batch, (w − mean)/(std + ε), as
    Spinning Up's VPG does to its advantages (there GAE-λ estimates; std with ddof=0).
    Notebook 08."""
    w, n = x.discount * x.reward_to_go(), x.lengths.sum(axis=-1)[..., None, None]
    mean = w.sum(axis=(-2, -1), keepdims=True) / n
    dev = np.where(x.mask, w - mean, 0.0)
    std = np.sqrt((dev**2).sum(axis=(-2, -1), keepdims=True) / n)
    return x.per_episode(dev / (std + 1e-8))


def probability_not_log(x):
    """Σ_t ∇π(a_t|s_t) · R(τ): the gradient of the probability, not of its log. Notebook 08."""
    return x.per_episode(x.returns()[..., None] * x.prob)


def logit_not_log_prob(x):
    """Σ_t ∇z(s_t, a_t) · R(τ): the taken action's logit treated as its log-probability.
    Notebook 08."""
    return x.per_episode(x.returns()[..., None], x.logit_grad)


def entropy_bonus(x):
    """reward-to-go + β Σ_t ∇H(π(·|s_t)): the usual entropy bonus (loss − β·entropy), ∇H at
    each visited step, summed over the episode like the policy term. Against ∇U_β
    (:func:`entropy_regularised_gradient`) it lacks the entropy earned after each action and,
    when γ < 1, the γ^t on ∇H. Notebook 08."""
    return reward_to_go(x) + x.beta * x.per_episode(1.0, x.entropy_grad)


def entropy_wrong_sign(x):
    """reward-to-go − β Σ_t ∇H(π(·|s_t)): the bonus with its sign flipped (loss + β·entropy).
    Notebook 08."""
    return reward_to_go(x) - x.beta * x.per_episode(1.0, x.entropy_grad)


def reuse_no_ratio(x):
    """γ^t G_t-weighted scores at the new θ on trajectories sampled at θ_old, no correction.
    Notebook 08."""
    return reward_to_go(x)


def reuse_trajectory_ratio(x):
    """The same, times the trajectory's importance weight Π_t π_θ(a_t|s_t)/π_old(a_t|s_t).
    Notebook 08."""
    weight = np.prod(np.where(x.mask, x.ratio, 1.0), axis=-1)   # P(τ; θ) / P(τ; θ_old)
    return x.per_episode(weight[..., None] * x.discount * x.reward_to_go())


def reuse_step_ratio(x):
    """The same with each step's own ratio π_θ(a_t|s_t)/π_old(a_t|s_t): the gradient of PPO's
    unclipped surrogate Σ_t ratio_t · γ^t G_t (:func:`ppo_surrogate`). Notebook 08."""
    return x.per_episode(x.ratio * x.discount * x.reward_to_go())


@dataclass(frozen=True)
class Estimator:
    """One entry of the gallery: its function, a label, what it is measured against, and
    whether it reuses old data. Introduced in notebook 08."""

    name: str
    fn: Callable = field(repr=False)
    label: str
    group: str
    objective: str = "U"            # "U", or "U_beta" for the entropy-regularised objective
    reuses_data: bool = False
    min_m: int = 1
    batch: bool = False             # True: each episode's weight depends on the others

    def __call__(self, sample: Sample) -> np.ndarray:
        if not isinstance(sample, Sample):
            raise ValueError(f"an estimator reads a pg_bugs.Sample (from make_sample); got "
                             f"{type(sample).__name__}.")
        if sample.m < self.min_m:
            raise ValueError(f"{self.name} needs at least m = {self.min_m} episodes per batch; "
                             f"got m = {sample.m}.")
        return self.fn(sample)


_GALLERY = [
    (full_return, "full return R(τ)", "correct"),
    (reward_to_go, "reward-to-go γ^t G_t", "correct"),
    (reward_to_go_baseline, "γ^t (G_t − V(s_t))", "correct"),
    (timestep_average, "mean over all timesteps", "averaging"),
    (no_discount_power, "G_t without γ^t", "discounting"),
    (discount_twice, "γ^t applied twice", "discounting"),
    (past_rewards, "rewards before t only", "credit"),
    (own_reward_baseline, "baseline b_t = r_t", "baselines"),
    (q_baseline, "baseline b_t = Q(s_t, a_t)", "baselines"),
    (batch_mean_baseline, "batch mean baseline (self included)", "baselines"),
    (per_timestep_baseline, "per-timestep batch mean (notebook 06)", "baselines"),
    (leave_one_out_baseline, "leave-one-out baseline", "baselines"),
    (episode_standardised, "standardised within each episode", "normalisation"),
    (batch_standardised, "standardised over the batch", "normalisation"),
    (probability_not_log, "∇π instead of ∇log π", "log"),
    (logit_not_log_prob, "logit instead of log π", "log"),
    (entropy_bonus, "entropy bonus, +β∇H", "entropy"),
    (entropy_wrong_sign, "entropy bonus, wrong sign", "entropy"),
    (reuse_no_ratio, "reused data, no ratio", "reuse"),
    (reuse_trajectory_ratio, "reused data, trajectory ratio", "reuse"),
    (reuse_step_ratio, "reused data, per-step ratio", "reuse"),
]

#: every estimator of the gallery by name, in the order notebook 08 discusses them
ESTIMATORS = {
    fn.__name__: Estimator(
        fn.__name__, fn, label, group,
        objective="U_beta" if group == "entropy" else "U",
        reuses_data=group == "reuse",
        min_m=2 if fn is leave_one_out_baseline else 1,
        batch=fn in (timestep_average, batch_mean_baseline, per_timestep_baseline,
                     leave_one_out_baseline, batch_standardised))
    for fn, label, group in _GALLERY
}

def get(name) -> Estimator:
    """The gallery's estimator called ``name`` (else a ``ValueError`` listing the names).

    A function of a :class:`Sample` (your own estimator) is wrapped as a per-episode
    estimator; pass ``Estimator(name, fn, label, group, batch=True)`` for one whose weights
    depend on the whole batch. Introduced in notebook 08.
    """
    if isinstance(name, Estimator):
        return name
    if callable(name) and not isinstance(name, str):
        fn = name
        return Estimator(getattr(fn, "__name__", "your estimator"), fn,
                         getattr(fn, "__name__", "your estimator"), "yours", batch=True)
    if not isinstance(name, str) or name not in ESTIMATORS:
        raise ValueError(f"{name!r} is not an estimator of the gallery; choose one of: "
                         + ", ".join(ESTIMATORS) + ".")
    return ESTIMATORS[name]


# --------------------------------------------------------------------------------------
# Exact expectations over batches of m trajectories
# --------------------------------------------------------------------------------------
class Enumeration:
    """Every batch of m trajectories of a small MDP, for exact expectations at any θ.

    Built once (the set of trajectories does not depend on θ: a softmax tries every action):
    the batches are :func:`helpers.exact.batches`' multisets, and :meth:`expect` weights each
    by its multinomial probability under the sampling parameters. Introduced in notebook 08.
    """

    def __init__(self, mdp, policy, m: int = 1):
        _check_pair(mdp, policy)
        self.mdp, self.policy = mdp, policy
        self.m = check_count("m (trajectories per batch)", m)
        self.trajectories, _ = M.enumerate_trajectories(mdp, policy, np.zeros(policy.n_params))
        self.batches = exact.batches(self.trajectories.m, self.m)   # ValueError if too many
        self.index = self.batches.index
        # log P(τ; θ) = log ρ(s₀) + Σ_t log P(s_{t+1}|s_t, a_t) + Σ_t log π_θ(a_t|s_t): the
        # first two terms do not depend on θ, so they are summed once here
        tr = self.trajectories
        dyn = np.log(mdp.P[tr.states, tr.actions, tr.next_states], where=tr.mask,
                     out=np.zeros(tr.mask.shape))
        self._log_dynamics = np.log(mdp.rho[tr.states[:, 0]]) + dyn.sum(axis=1)

    @property
    def n_batches(self) -> int:
        return len(self.index)

    def weights(self, theta_sampled) -> np.ndarray:
        """The probability of each batch when trajectories are sampled at ``theta_sampled``."""
        theta_sampled = self.policy.check_theta(theta_sampled)
        return self._weights(log_softmax(self.policy.features @ theta_sampled, axis=-1))

    def _weights(self, logpi) -> np.ndarray:
        tr = self.trajectories
        logp = self._log_dynamics + np.where(tr.mask, logpi[tr.states, tr.actions], 0.0).sum(1)
        return self.batches.weights_from_log(logp)

    def expect(self, estimator, theta, *, theta_old=None, beta: float = ENTROPY_BETA):
        """The exact :class:`helpers.exact.Moments` of ``estimator`` at θ (data sampled at
        θ_old)."""
        return self._expect(get(estimator), theta, theta_old, beta)[0]

    def _expect(self, est, theta, theta_old, beta):
        theta = self.policy.check_theta(theta)
        tab = _Tables(self.mdp, self.policy, theta, theta_old)
        x = _sample_from_tables(self.mdp, tab, self.trajectories, self.index,
                                as_finite_scalar("beta", beta))
        e = exact.moments(est(x), self._weights(tab.logpi_sampled), m=self.m)
        return e, tab


def monte_carlo_mean(estimator, mdp, policy, theta, m: int, n_batches: int, rng, *,
                     theta_old=None, beta: float = ENTROPY_BETA) -> exact.Moments:
    """E[ĝ] estimated from ``n_batches`` independent batches of m trajectories (seeded ``rng``),
    with standard errors; tr Cov is the batches' sample variance
    (:func:`helpers.exact.sample_moments`). Notebook 08."""
    est = get(estimator)
    m = check_count("m (trajectories per batch)", m)
    n = check_count("n_batches", n_batches, minimum=2)
    rng = check_rng(rng)
    theta = policy.check_theta(theta) if isinstance(policy, M.SoftmaxPolicy) else theta
    _check_pair(mdp, policy)
    sampled_at = theta if theta_old is None else theta_old
    batch = M.sample_trajectories(mdp, policy, sampled_at, m * n, rng)
    x = make_sample(mdp, policy, theta, batch, theta_old=theta_old,
                    index=np.arange(m * n).reshape(n, m), beta=beta)
    return exact.sample_moments(est(x), m=m)


def expectation(estimator, mdp, policy, theta, m: int = 1, *, theta_old=None,
                beta: float = ENTROPY_BETA, method: str = "auto", n_batches: int = 20_000,
                rng=None) -> exact.Moments:
    """E[ĝ] for batches of m trajectories at θ: ``method="exact"`` (enumeration),
    ``"monte carlo"`` (``n_batches`` seeded batches, needs ``rng``), or ``"auto"`` (exact
    when at most :data:`MAX_ENUMERATED_BATCHES` batches exist). Notebook 08."""
    get(estimator)
    if method not in ("auto", "exact", "monte carlo"):
        raise ValueError(f"method must be 'auto', 'exact' or 'monte carlo'; got {method!r}.")
    if method != "monte carlo":
        try:
            return Enumeration(mdp, policy, m).expect(estimator, theta, theta_old=theta_old,
                                                      beta=beta)
        except exact.TooManyBatches:
            if method == "exact":
                raise
    if rng is None:
        raise ValueError("Monte Carlo needs rng = np.random.default_rng(seed).")
    return monte_carlo_mean(estimator, mdp, policy, theta, m, n_batches, rng,
                            theta_old=theta_old, beta=beta)


# --------------------------------------------------------------------------------------
# Classification against the exact gradient
# --------------------------------------------------------------------------------------
def entropy_regularised_gradient(mdp, policy, theta, beta: float = ENTROPY_BETA) -> np.ndarray:
    """∇U_β for U_β(θ) = E[Σ_t γ^t (r_t + β H(π_θ(·|s_t)))], exactly (by enumeration).

    The objective an entropy bonus is meant to climb. Its gradient has two parts: the entropy
    earned later, carried by the scores like a reward, and ∇H at the states visited.
    Implementations keep only the second (:func:`entropy_bonus`). Notebook 08.
    """
    _check_pair(mdp, policy)
    beta = as_finite_scalar("beta", beta)
    batch, p = M.enumerate_trajectories(mdp, policy, theta)
    tab = _Tables(mdp, policy, theta, None)
    x = _sample_from_tables(mdp, tab, batch, np.arange(batch.m)[:, None], beta)
    pi = tab.pi
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.sum(np.where(pi > 0, pi * np.log(pi), 0.0), axis=1)
    bonus = np.where(x.mask, beta * H[x.states], 0.0)
    aug = Sample(**{**x.__dict__, "rewards": x.rewards + bonus})
    per_traj = reward_to_go(aug) + beta * aug.per_episode(aug.discount, aug.entropy_grad)
    return p @ per_traj


def entropy_regularised_performance(mdp, policy, theta, beta: float = ENTROPY_BETA) -> float:
    """U_β(θ) = E[Σ_t γ^t (r_t + β H(π_θ(·|s_t)))] by enumeration. Notebook 08."""
    _check_pair(mdp, policy)
    beta = as_finite_scalar("beta", beta)
    batch, p = M.enumerate_trajectories(mdp, policy, theta)
    pi = policy.probs(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.sum(np.where(pi > 0, pi * np.log(pi), 0.0), axis=1)
    t = np.arange(batch.mask.shape[1])
    bonus = np.where(batch.mask, beta * H[batch.states] * mdp.gamma**t, 0.0).sum(axis=1)
    return float(p @ (batch.returns(mdp.gamma) + bonus))


def ppo_surrogate(mdp, policy, theta, theta_old) -> float:
    """PPO's unclipped surrogate E_{τ~θ_old}[Σ_t ratio_t(θ) γ^t G_t], ratio_t(θ) =
    π_θ(a_t|s_t)/π_old(a_t|s_t), by enumeration (no baseline, no clipping).

    Its gradient is the expectation of :func:`reuse_step_ratio`; at θ = θ_old every ratio is
    1 and the gradient is ∇U. Introduced in notebook 08.
    """
    _check_pair(mdp, policy)
    batch, p_old = M.enumerate_trajectories(mdp, policy, theta_old)
    log_ratio = policy.log_probs(theta) - policy.log_probs(theta_old)
    ratio = np.where(batch.mask, np.exp(log_ratio[batch.states, batch.actions]), 0.0)
    t = np.arange(batch.mask.shape[1])
    weight = mdp.gamma**t * batch.reward_to_go(mdp.gamma)
    return float(p_old @ np.sum(ratio * weight, axis=1))


def gradient_from(mdp, policy, theta, *, states_at=None, returns_at=None) -> np.ndarray:
    """Σ_s d(s) Σ_a ∇π_θ(a|s) Q(s, a), with the discounted visitation d of the policy at
    ``states_at`` and the action values Q of the policy at ``returns_at`` (both default θ).

    With both at θ this is the policy gradient theorem, ∇U(θ). With both at θ_old it is the
    expectation of :func:`reuse_step_ratio` on data from θ_old: the per-step ratio corrects
    the action at each step, not the states visited nor the returns that follow.
    Introduced in notebook 08.
    """
    _check_pair(mdp, policy)
    theta = policy.check_theta(theta)
    at_s = theta if states_at is None else policy.check_theta(states_at)
    at_r = theta if returns_at is None else policy.check_theta(returns_at)
    d = M.discounted_visitation(mdp, policy, at_s)
    _, Q = M.policy_evaluation(mdp, policy, at_r)
    d = np.where(mdp.terminal, 0.0, d)
    return np.einsum("s,sa,sa,sak->k", d, policy.probs(theta), Q, policy.scores(theta))


@dataclass
class Comparison:
    """An estimator against the exact gradient at one or more θ. Notebook 08.

    ``cls``: "unbiased", "scaled" (E[ĝ] = c∇U, the same c > 0 at every θ tested) or "biased";
    ``angle`` (degrees, NaN where E[ĝ] = 0), ``norm_ratio`` ‖E[ĝ]‖/‖∇U‖, ``scale`` (c, or NaN),
    ``variance`` (E‖ĝ − E[ĝ]‖² of one batch), ``error`` ‖E[ĝ] − c∇U‖ and ``tolerance``, all
    at the first θ; ``zero`` when E[ĝ] vanishes there.
    """

    name: str
    cls: str
    angle: float
    norm_ratio: float
    scale: float
    variance: float
    error: float
    tolerance: float
    zero: bool
    target: np.ndarray
    mean: np.ndarray


#: the angle between two vectors in degrees, accurate near 0° and 180° (from helpers.exact)
angle_between = exact.angle_between


def compare(estimator, mdp, policy, thetas, m: int = 1, *, theta_old=None,
            beta: float = ENTROPY_BETA, against: str | None = None) -> Comparison:
    """Classify ``estimator`` by its exact expectation at every θ in ``thetas``.

    ``against``: "U" (∇U) or "U_beta" (∇U_β, :func:`entropy_regularised_gradient`); by
    default what the estimator is meant for. Reused-data estimators are compared with ∇U at
    the θ they update, on data from ``theta_old`` (one θ_old, or one per θ). Introduced in
    notebook 08.
    """
    est = get(estimator)
    _check_pair(mdp, policy)
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    against = est.objective if against is None else against
    if against not in ("U", "U_beta"):
        raise ValueError(f"against must be 'U' or 'U_beta'; got {against!r}.")
    enum = Enumeration(mdp, policy, m)
    old = theta_old if est.reuses_data else None
    if est.reuses_data and theta_old is None:
        raise ValueError(f"{est.name} reuses data: give theta_old, where it was sampled.")
    olds = [None] * len(thetas) if old is None else np.broadcast_to(
        np.asarray(old, dtype=float), thetas.shape)
    rows = []
    for theta, theta_o in zip(thetas, olds, strict=True):
        e = enum.expect(est, theta, theta_old=theta_o, beta=beta)
        target = (M.exact_gradient(mdp, policy, theta) if against == "U"
                  else entropy_regularised_gradient(mdp, policy, theta, beta))
        # an exact sum of n_terms batches, each O(m·T) flops; the exact ∇U is a linear
        # solve on S states (see helpers.exact.rounding_tolerance)
        tol = exact.rounding_tolerance(e, target, 10 * m * mdp.max_episode_length(),
                                       10 * mdp.n_states)
        rows.append((e, target, tol))
    c = exact.classify([r[0].mean for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    e, target, _ = rows[0]
    return Comparison(est.name, c.cls, c.angle, c.norm_ratio, c.scale, e.trace_cov, c.error,
                      c.tolerance, c.zero, target, e.mean)


# --------------------------------------------------------------------------------------
# What each estimator does to learning
# --------------------------------------------------------------------------------------
@dataclass
class AscentPath:
    """θ_k and U(θ_k) along θ ← θ + η E[ĝ(θ)] (exact expectations). Notebook 08.

    ``outcome`` compares the last U with the best value U* of the policy class and with the
    start: "optimum" (within ``margin`` of U*), "wrong place" (below U* − margin, not below
    U(θ₀), and settled: U changed by less than ``margin`` over the last fifth of the steps),
    "worse than start" (U ends below U(θ₀): θ runs off towards a worse policy) or
    "still moving" (none of these yet).
    """

    name: str
    thetas: np.ndarray
    U: np.ndarray
    steps: np.ndarray
    outcome: str
    optimum: float


def _outcome(U, best, margin):
    settled = abs(U[-1] - U[int(0.8 * (len(U) - 1))]) < margin / 10
    if U[-1] >= best - margin:
        return "optimum"
    if U[-1] < U[0] - margin:
        return "worse than start"
    return "wrong place" if settled else "still moving"


def ascent(estimator, mdp, policy, theta0, *, m: int = 1, eta: float = 2.0,
           n_steps: int = 200, epochs: int = 4, beta: float = ENTROPY_BETA,
           optimum: float | None = None, margin: float = 0.02,
           performance: Callable | None = None) -> AscentPath:
    """Gradient ascent θ ← θ + η E[ĝ(θ)] with the exact expectation of ``estimator`` from θ₀.

    ``m`` matters only to estimators whose weights depend on the whole batch (for the others
    E[ĝ] is the same for every m). Reused-data estimators sample a batch at θ_old and take
    ``epochs`` updates on it before sampling again. ``performance`` (default the exact U)
    measures progress; ``optimum`` (default :func:`best_performance`) and ``margin`` decide the
    outcome (:class:`AscentPath`). Introduced in notebook 08.
    """
    est = get(estimator)
    eta = positive_scalar("eta (the step size)", eta)
    n_steps = check_count("n_steps", n_steps)
    epochs = check_count("epochs", epochs)
    m = check_count("m (trajectories per batch)", m, minimum=est.min_m)
    enum = Enumeration(mdp, policy, m if est.batch else 1)
    perf = performance or (lambda t: M.exact_performance(mdp, policy, t))
    theta = policy.check_theta(theta0).copy()
    thetas, Us, steps = [theta.copy()], [], []
    theta_old = theta.copy()
    for k in range(n_steps):
        if k % epochs == 0:
            theta_old = theta.copy()
        e, tab = enum._expect(est, theta, theta_old if est.reuses_data else None, beta)
        # U(θ) = ρ·V^π(θ), from the value table the expectation already needed
        Us.append(float(mdp.rho @ tab.V) if performance is None else perf(theta))
        step = eta * e.mean
        theta = theta + step
        thetas.append(theta.copy())
        steps.append(float(np.linalg.norm(step)))
    Us.append(perf(theta))
    U = np.array(Us)
    best = best_performance(mdp, policy) if optimum is None else float(optimum)
    return AscentPath(est.name, np.array(thetas), U, np.array(steps),
                      _outcome(U, best, margin), best)


def best_performance(mdp, policy, n_steps: int = 400, eta: float = 4.0) -> float:
    """The best U of the policy class from the origin, approached by exact ascent on ∇U
    (with θ growing towards a deterministic corner). Notebook 08."""
    theta = np.zeros(policy.n_params)
    for _ in range(n_steps):
        theta = theta + eta * M.exact_gradient(mdp, policy, theta)
    return M.exact_performance(mdp, policy, theta)


# --------------------------------------------------------------------------------------
# The MDPs of notebook 08
# --------------------------------------------------------------------------------------
def discounted_example_mdp(gamma: float = 0.5):
    """Notebook 04's example MDP with discount γ (default 0.5, as in notebook 05):
    ``(mdp, policy)``. Introduced in notebook 08."""
    mdp, policy = M.example_mdp()
    gamma = positive_scalar("gamma", gamma)
    return M.TabularMDP(mdp.P, mdp.r, mdp.rho, terminal=[4], gamma=gamma,
                        state_names=mdp.state_names, action_names=mdp.action_names), policy


def padded_example_mdp():
    """Notebook 04's MDP where every episode lasts exactly two actions: ``(mdp, policy)``.

    The two one-step episodes (A → right → end, B → right → end) now pass through a state
    "pass" that pays nothing and whose two actions share one logit (its score is zero), so
    U(θ) and ∇U(θ) are exactly those of :func:`helpers.mdp.example_mdp`; only the episode
    lengths changed. Introduced in notebook 08.
    """
    mdp, policy = M.example_mdp()
    S = 6                                   # A, B, C, D, end, pass
    P = np.zeros((S, 2, S))
    P[:5, :, :5] = mdp.P
    P[0, 1, [3, 4, 5]] = [0.8, 0.0, 0.2]    # A -right-> D (0.8) or pass (0.2)
    P[1, 1, 5] = 1.0                        # B -right-> pass
    P[1, 1, 4] = 0.0
    P[5, :, 4] = 1.0                        # pass -> end
    r = np.zeros((S, 2))
    r[:5] = mdp.r
    phi = np.zeros((S, 2, 2))
    phi[:5] = policy.features
    padded = M.TabularMDP(P, r, [0.7, 0.3, 0, 0, 0, 0], terminal=[4],
                          state_names=mdp.state_names + ["pass"],
                          action_names=mdp.action_names)
    return padded, M.SoftmaxPolicy(phi)


def quit_or_continue_mdp():
    """Take +2 now, or work three steps for +1 each: ``(mdp, policy)``. Notebook 08.

    Start: *quit* ends the episode with +2; *go* pays +1 and moves on to C1. C1: *quit* ends
    with 0; *go* pays +1 and moves to C2, whose one move pays +1 and ends. θ₁ is the
    preference for *go* at the start, θ₂ at C1. Going all the way earns the most (3 against 2)
    but per step the least (1 against 2): the expected return and the expected reward per
    step have different best policies.
    """
    S = 4                                   # start, C1, C2, end
    P = np.zeros((S, 2, S))
    P[0, 0, 3] = 1.0
    P[0, 1, 1] = 1.0
    P[1, 0, 3] = 1.0
    P[1, 1, 2] = 1.0
    P[2, :, 3] = 1.0
    r = np.array([[2.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    phi = np.zeros((S, 2, 2))
    phi[0, 1, 0] = 1.0
    phi[1, 1, 1] = 1.0
    mdp = M.TabularMDP(P, r, [1.0, 0, 0, 0], terminal=[3],
                       state_names=["start", "C1", "C2", "end"], action_names=["quit", "go"])
    return mdp, M.SoftmaxPolicy(phi)


def aliased_mdp(gamma: float = 0.5, c: float = 1.5):
    """Two decisions the policy cannot tell apart, one step after the other: ``(mdp, policy)``.

    In A (t = 0) *right* pays +1 and *left* 0; both lead to B (t = 1), where *left* pays ``c``
    and *right* 0, then the episode ends. A and B have the same features, so one preference
    (θ₁ for right, θ₂ for left; only θ₁ − θ₂ matters) decides both. With discount γ,
    U = π(right)·1 + γ(1 − π(right))·c: for c < 1/γ always-right is best; weighting the second
    decision like the first (γ^t dropped) prefers left once c > 1. Notebook 08.
    """
    gamma = positive_scalar("gamma", gamma)
    c = as_finite_scalar("c", c)
    S = 3                                   # A, B, end
    P = np.zeros((S, 2, S))
    P[0, :, 1] = 1.0
    P[1, :, 2] = 1.0
    r = np.array([[0.0, 1.0], [c, 0.0], [0.0, 0.0]])
    phi = np.zeros((S, 2, 2))
    phi[:2, 1, 0] = 1.0                     # right
    phi[:2, 0, 1] = 1.0                     # left
    mdp = M.TabularMDP(P, r, [1.0, 0, 0], terminal=[2], gamma=gamma,
                       state_names=["A", "B", "end"], action_names=["left", "right"])
    return mdp, M.SoftmaxPolicy(phi)


def ascents(names, mdp, policy, theta0, **kwargs) -> dict:
    """:func:`ascent` for several estimators from the same θ₀, sharing one U*. Notebook 08."""
    if "optimum" not in kwargs:
        kwargs["optimum"] = best_performance(mdp, policy)
    return {get(n).name: ascent(n, mdp, policy, theta0, **kwargs) for n in names}


def table(names, mdp, policy, thetas, m: int = 3, **kwargs) -> list:
    """:func:`compare` for several estimators: one :class:`Comparison` each. Notebook 08."""
    return [compare(n, mdp, policy, thetas, m, **kwargs) for n in names]


def format_table(rows) -> str:
    """The comparisons as text: estimator, angle to the target, norm ratio, variance, class.

    Introduced in notebook 08.
    """
    lines = [f"{'estimator':38} {'angle':>8} {'‖E ĝ‖/‖∇‖':>10} {'variance':>9}  class"]
    for c in rows:
        angle = "    —   " if np.isnan(c.angle) else f"{c.angle:7.2f}°"
        cls = c.cls + (f" (c = {c.scale:.3f})" if c.cls == "scaled" else "")
        cls += " (E ĝ = 0)" if c.zero else ""
        lines.append(f"{get(c.name).label:38} {angle:>8} {c.norm_ratio:10.3f} "
                     f"{c.variance:9.4f}  {cls}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Exercises of notebook 08: three mystery estimators to classify, one estimator to fix
# --------------------------------------------------------------------------------------
def mystery_a(x):
    """Mystery A (notebook 08, exercise 1)."""
    R = x.returns()
    others = (R.sum(axis=-1, keepdims=True) - R) / (x.m - 1)
    return x.per_episode(x.discount * x.reward_to_go() - others[..., None])


def mystery_b(x):
    """Mystery B (notebook 08, exercise 2)."""
    return x.per_episode((x.returns() / x.lengths)[..., None])


def mystery_c(x):
    """Mystery C (notebook 08, exercise 3)."""
    return x.per_episode(0.1 * (x.returns()[..., None] - 5.0))


#: the mysteries, and the hint a wrong classification gets
MYSTERIES = {
    "mystery_a": (mystery_a, {
        "biased": "the subtracted mean uses only the *other* episodes of the batch, which were "
                  "sampled independently of τ_i's actions: a baseline that cannot see them.",
        "scaled": "compare the norms: nothing multiplies the weights, and the baseline adds zero "
                  "in expectation."}),
    "mystery_b": (mystery_b, {
        "unbiased": "each episode's weight is divided by its own length T_i, and T_i depends on "
                    "the actions in this MDP (A → right → end has one step).",
        "scaled": "a positive scale must be one constant for every trajectory; 1/T_i is 1 for "
                  "some episodes and ½ for others, so long episodes are tilted down."}),
    "mystery_c": (mystery_c, {
        "unbiased": "a constant baseline (5) adds zero in expectation, but the factor 0.1 stays: "
                    "compare ‖E[ĝ]‖ with ‖∇U‖.",
        "biased": "(R − 5)·0.1: a constant baseline changes nothing in expectation, and 0.1 only "
                  "shortens the step."}),
}


def mystery_class(name: str, mdp=None, policy=None, m: int = 3) -> str:
    """The class of a mystery estimator, by exact enumeration on notebook 04's MDP (at three
    θ) with batches of m. Introduced in notebook 08."""
    if name not in MYSTERIES:
        raise ValueError(f"{name!r} is not a mystery; choose one of {', '.join(MYSTERIES)}.")
    if mdp is None:
        mdp, policy = M.example_mdp()
    fn = MYSTERIES[name][0]
    return compare(Estimator(name, fn, name, "mystery", batch=True), mdp, policy,
                   [[-1.0, -1.0], [0.5, -1.0], [1.0, 0.5]], m).cls


def check_classification(answer, name: str, *, quiet: bool = False):
    """Check a learner's class ("unbiased", "scaled" or "biased", in any capitalisation, with
    stray quotes or a full stop) for mystery ``name``, with a hint that fits the wrong answer
    given. Introduced in notebook 08."""
    from helpers.checks import check

    expected = mystery_class(name)
    hints = MYSTERIES[name][1]
    valid = ("unbiased", "scaled", "biased")
    if isinstance(answer, str):          # "Unbiased", " biased ", "scaled." all read
        answer = answer.strip().strip("\"'.!").strip().lower()
    if isinstance(answer, str) and answer not in valid:
        hint = f"answer one of {valid}."
    else:
        hint = hints.get(answer) if isinstance(answer, str) else None
    return check(answer, expected, name=f"Exercise ({name})", hint=hint, quiet=quiet)


#: what Exercise 4 asks for, and the unbiased answers it is not (each with its hint)
_FIX_IMPOSTORS = {
    "plain REINFORCE": (full_return,
                        "that is plain REINFORCE, R(τ_i) with no baseline: unbiased, but the "
                        "exercise asks you to subtract the mean return of the *other* m − 1 "
                        "episodes."),
    "reward-to-go": (reward_to_go,
                     "that is reward-to-go, γ^t G_t with no baseline: unbiased, but the exercise "
                     "compares each episode's whole return R(τ_i) with the others' mean."),
}


def _constant_baseline(g, x):
    """c if g = per_episode(R − c) on every batch (a constant baseline), else None."""
    plain = x.per_episode(x.returns()[..., None])
    ones = x.per_episode(np.ones(x.mask.shape[:-1])[..., None])
    d, o = (plain - g).ravel(), ones.ravel()
    if not o @ o > 0:
        return None
    c = float(d @ o / (o @ o))
    return c if np.allclose(plain - c * ones, g, rtol=1e-9, atol=1e-12) else None


def check_fix(fn, *, m: int = 3, quiet: bool = False):
    """Exercise 4 of notebook 08: is ``fn`` the fixed batch baseline, R(τ_i) minus the mean
    return of the *other* m − 1 episodes? Compares ``fn``'s ĝ with that estimator's on every
    batch of m trajectories of notebook 04's MDP at θ = (0.5, −1) — so only the fix passes,
    not any unbiased estimator — and names what a wrong answer computes instead: E[ĝ] as a
    multiple of ∇U, plain REINFORCE, reward-to-go or a constant baseline R − c.
    Introduced in notebook 08."""
    from helpers.checks import CheckResult, check

    def wrong(problem, hint):    # report what went wrong in the learner's own function
        problem += "" if problem.endswith((".", "…", "?")) else "."
        result = CheckResult("keep working", f"✗ Exercise 4: keep working — {problem} "
                                             f"Hint: {hint}")
        if not quiet:
            print(result.message)
        return result

    mdp, policy = M.example_mdp()
    theta = np.array([0.5, -1.0])
    enum = Enumeration(mdp, policy, m)
    x = make_sample(mdp, policy, theta, enum.trajectories, index=enum.index)
    expected = leave_one_out_baseline(x)
    if fn is None or fn is Ellipsis:
        return check(fn, expected, name="Exercise 4", quiet=quiet)
    if not callable(fn):
        return wrong(f"fixed is a {type(fn).__name__}, not a function.",
                     "define it with def fixed(x): ... and pass fixed itself.")
    try:
        g = fn(x)
    except Exception as err:  # a check never raises on an unfinished answer
        text = " ".join(str(err).split()).rstrip(".")
        text = text if len(text) <= 70 else text[:69] + "…"
        return wrong(f"your function raised {type(err).__name__}: {text}",
                     "it gets a Sample x; use x.returns() (shape (..., m)), x.m and "
                     "x.per_episode(weights) with weights of shape (..., m, 1).")
    if g is Ellipsis:
        return check(None, expected, name="Exercise 4", quiet=quiet)
    if g is None:
        return wrong("your function returned None.", "did you forget the return?")
    try:
        g = np.asarray(g, dtype=float)
        if g.shape != expected.shape:
            raise ValueError(f"it returned shape {g.shape}, not one ĝ per batch "
                             f"{expected.shape}")
        mean = enum.expect(get(fn), theta).mean
    except Exception as err:
        return wrong(f"{err}", "return x.per_episode(weights), with weights of shape "
                                "(..., m, 1): one ĝ per batch, not the weights themselves.")
    exact = M.exact_gradient(mdp, policy, theta)
    ratio = float(mean @ exact / (exact @ exact))
    same = np.allclose(g, expected, rtol=1e-9, atol=1e-12)
    hint = None
    if not same:
        hint = next((h for f, h in _FIX_IMPOSTORS.values()
                     if np.allclose(g, f(x), rtol=1e-9, atol=1e-12)), None)
    if not same and hint is None and (c := _constant_baseline(g, x)) is not None:
        hint = (f"that is a constant baseline, R(τ_i) − {c:.3g}: unbiased, but the exercise "
                "asks for the mean return of the *other* m − 1 episodes of the batch.")
    if not same and hint is None and np.allclose(mean, ratio * exact, rtol=1e-9, atol=1e-12):
        if abs(ratio) < 1e-9:
            hint = ("E[ĝ] = 0: the weights cancel. Compare R(τ_i) with the mean return of the "
                    "*other* m − 1 episodes, not with itself.")
        elif ratio < 0:
            hint = (f"E[ĝ] is {ratio:.3f} × ∇U, downhill: subtract the others' mean from "
                    "R(τ_i), not R(τ_i) from the others' mean.")
        elif abs(ratio - 1) > 1e-6:
            hint = (f"E[ĝ] is {ratio:.3f} × ∇U, not ∇U: does your mean still include τ_i "
                    "itself? Sum the other m − 1 returns and divide by m − 1.")
        else:
            hint = ("E[ĝ] = ∇U, but your ĝ is not the leave-one-out estimator on every "
                    "batch: subtract the mean return of the *other* m − 1 episodes from R(τ_i).")
    if not same and hint is None:
        hint = "subtract the mean return of the *other* m − 1 episodes from R(τ_i)."
    return check(g, expected, name="Exercise 4", rtol=1e-9, atol=1e-12, hint=hint,
                 quiet=quiet)


# --------------------------------------------------------------------------------------
# Notebook 08, section 7's figure: where exact-expectation ascent ends, by outcome
# --------------------------------------------------------------------------------------
#: the three panels of :func:`plot_ascent_outcomes`, in order
OUTCOME_PANELS = ("optimum", "wrong place", "worse than start")


@dataclass
class OutcomeFigure:
    """What :func:`plot_ascent_outcomes` drew: ``axes[outcome]``, ``lines[name]`` (one per
    estimator) and ``labels`` (the direct labels of the two right panels, one per group of
    estimators whose paths end together: ``labels[tuple of names]``). Notebook 08."""

    fig: object
    axes: dict
    lines: dict
    labels: dict


def plot_ascent_outcomes(paths: dict, classes: dict, start: float | None = None,
                         figsize=(10.0, 3.4)) -> OutcomeFigure:
    """One panel per outcome of :func:`ascent` (:data:`OUTCOME_PANELS`), U(θ) against the
    update. Left, the paths that reach U*, coloured by the estimator's class (``classes``:
    name → "unbiased", "scaled" or "biased") with one legend entry per class; middle and
    right, each path labelled at its end, paths that end within 0.002 of each other sharing
    one label (their lines dashed in turn so both show). Each panel has its own y-range, so
    paths that end close together stay apart. Introduced in notebook 08."""
    import matplotlib.pyplot as plt

    from helpers.plotting import COLORS, ROLE

    if not paths or not all(isinstance(p, AscentPath) for p in paths.values()):
        raise ValueError("paths must be a non-empty dict of name -> AscentPath "
                         "(pg_bugs.ascents' result).")
    unknown = {p.outcome for p in paths.values()} - set(OUTCOME_PANELS)
    if unknown:
        raise ValueError(f"outcomes {sorted(unknown)} have no panel; run the ascents longer.")
    fig, row = plt.subplots(1, 3, figsize=figsize)
    axes = dict(zip(OUTCOME_PANELS, row, strict=True))
    first = next(iter(paths.values()))
    start = float(first.U[0]) if start is None else float(start)
    colour = {"unbiased": COLORS["blue"], "scaled": COLORS["green"], "biased": COLORS["orange"]}
    lines, labels = {}, {}
    best = axes["optimum"]
    for cls, c in colour.items():
        names = [n for n, p in paths.items() if p.outcome == "optimum" and classes.get(n) == cls]
        for k, n in enumerate(names):
            (lines[n],) = best.plot(paths[n].U, color=c, lw=1.2, alpha=0.85,
                                    label=f"{cls} ({len(names)})" if k == 0 else None)
    palette = [COLORS[k] for k in ("red", "purple", "sky", "black", "blue", "green")]
    for outcome in OUTCOME_PANELS[1:]:
        ax = axes[outcome]
        names = sorted((n for n, p in paths.items() if p.outcome == outcome),
                       key=lambda n: -paths[n].U[-1])
        groups = []
        for n in names:
            if groups and abs(paths[groups[-1][0]].U[-1] - paths[n].U[-1]) < 2e-3:
                groups[-1].append(n)
            else:
                groups.append([n])
        for g, group in enumerate(groups):
            c = palette[g % len(palette)]
            for k, n in enumerate(group):
                (lines[n],) = ax.plot(paths[n].U, color=c, lw=1.4, ls=("-", "--", ":")[k % 3])
            end = paths[group[0]].U
            # 3 points above the line's end, so the subscripts' underscores (b_t, s_t) are
            # not drawn on top of the line of the same colour
            labels[tuple(group)] = ax.annotate(
                "\n".join(get(n).label for n in group), (len(end) - 1, end[-1]),
                xytext=(0, 3), textcoords="offset points", color=c, fontsize=9,
                ha="right", va="bottom", linespacing=1.1)
    for outcome, ax in axes.items():
        shown = [paths[n].U for n in paths if paths[n].outcome == outcome]
        ax.axhline(start, color=COLORS["grey"], lw=0.8, ls=":", label="U(θ₀)")
        if outcome == "optimum":
            ax.axhline(first.optimum, color=ROLE["exact"], ls="--", lw=1, label="best U*")
            ax.legend(fontsize=9, loc="lower right")
        elif shown:
            lo = min(min(u) for u in shown + [[start]])
            hi = max(max(u) for u in shown + [[start]])
            pad = 0.1 * (hi - lo) + 1e-3
            ax.set_ylim(lo - pad, hi + 2.5 * pad)
        ax.set(xlabel="update", title=f"{outcome} ({len(shown)})")
    axes["optimum"].set_ylabel("U(θ)")
    return OutcomeFigure(fig, axes, lines, labels)
