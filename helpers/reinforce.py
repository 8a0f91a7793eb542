"""REINFORCE on gymnasium's CartPole-v1, written out in numpy. Introduced in notebook 06.

Read it in this order — the algorithm first, then its pieces:

1. **The algorithm**: :class:`Config` (the settings), :func:`advantages` (the weight A_t of
   each ∇log π(a_t|s_t): reward-to-go, minus a baseline, normalised),
   :func:`policy_gradient` (ĝ = (1/m) Σ Σ A_t ∇log π(a_t|s_t)) and :func:`train` (play,
   weigh, step uphill, repeat), which leaves a :class:`History`.
2. **The pieces**: :func:`normalise` and the returns (:func:`reward_to_go`, from
   :mod:`helpers.returns`); two softmax policies, :class:`LinearSoftmaxPolicy` and a
   one-hidden-layer tanh network :class:`MLPPolicy`, each with its gradient of
   ``Σ_i w_i log π(a_i | s_i)`` coded by hand (the tests compare it with finite
   differences); :class:`Adam` in a dozen lines; :class:`EpisodeCollector`, which runs
   gymnasium's numpy-vectorised CartPole and returns complete episodes, masking out its
   autoreset steps.
3. **Notebook 06's tools**: the improvement ladder, probe states, replaying a policy.

The speed machinery (the fast sampler, the parameter views, the collector's step buffer,
the clocks) lives in :mod:`helpers.reinforce_fast`: skip it on a first reading.

A note on gymnasium 1.4's vectorised CartPole (``CartPoleVectorEnv``): its autoreset mode is
``NEXT_STEP``. When a sub-environment ends at step t, the *next* call to ``step`` ignores that
sub-environment's action, resets it, and returns reward 0 with ``terminated = truncated =
False``. That step is not an interaction: it is masked out of the training data and out of
the step count (:meth:`EpisodeCollector._skip_autoreset_steps`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from helpers.distributions import log_softmax
from helpers.reinforce_fast import ParameterViews, StepBuffer, Stopwatch, sample_actions
from helpers.returns import (
    BASELINE_KINDS,
    batch_baseline,
    minus_batch_baseline,
    pad,
    reward_to_go,
    unpad,
)
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_discount,
    check_positive,
    check_rng,
    positive_scalar,
)

#: CartPole-v1's observation: cart position, cart velocity, pole angle, pole angular velocity.
OBS_NAMES = ("x", "ẋ", "φ", "φ̇")
OBS_DIM = 4
N_ACTIONS = 2
#: "Solved": the mean return of the last 100 training episodes is at least this.
SOLVED_RETURN = 475.0
SOLVED_WINDOW = 100


# ----------------------------------------------------------------------------------------
# 1. The algorithm: settings, weights, the gradient estimate, the loop
# ----------------------------------------------------------------------------------------
BASELINES = ("none", "batch_mean", "leave_one_out")
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Config:
    """Settings of a REINFORCE run; the defaults are notebook 06's (and the benchmark's).

    * ``reward_to_go``: weight ∇log π(a_t|s_t) by G_t (True) or by the full return G_0.
    * ``baseline``: ``"none"``, ``"batch_mean"`` (:func:`per_timestep_baseline`, the mean of
      G_t over the batch's episodes alive at t, the episode itself included) or
      ``"leave_one_out"`` (:func:`leave_one_out_baseline`, the others only).
    * ``normalise``: centre the weights over the batch and divide by max(std, ``min_std``).
    * ``optimizer``: ``"adam"`` (:class:`Adam`) or ``"sgd"``, plain gradient ascent
      θ ← θ + η ĝ with η = ``lr``.

    ``Config(reward_to_go=False, baseline="none", normalise=False, optimizer="sgd")`` is
    textbook REINFORCE (Williams 1992): every step weighted by its episode's return.
    """

    policy: str = "mlp"
    hidden: int = 8
    lr: float = 0.08
    gamma: float = 1.0
    n_envs: int = 4
    batch_episodes: int = 2
    reward_to_go: bool = True
    baseline: str = "batch_mean"
    normalise: bool = True
    min_std: float = 10.0  # floor on the normalising std (advantages are in units of reward)
    optimizer: str = "adam"
    max_steps: int = 100_000
    stop: str = "budget"  # "budget", "solved", or "after_solved" (100 more episodes)

    def validate(self):
        if self.policy not in ("linear", "mlp"):
            raise ValueError(f"policy must be 'linear' or 'mlp'; got {self.policy!r}.")
        if self.stop not in ("budget", "solved", "after_solved"):
            raise ValueError("stop must be 'budget', 'solved' or 'after_solved'; "
                             f"got {self.stop!r}.")
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}; got {self.baseline!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {self.optimizer!r}.")
        check_count("hidden", self.hidden)
        check_positive("lr", self.lr)
        if not as_finite_scalar("min_std", self.min_std) >= 0:
            raise ValueError(f"min_std must be at least 0; got {self.min_std!r}.")
        check_discount(self.gamma)
        check_count("n_envs", self.n_envs)
        check_count("batch_episodes", self.batch_episodes)
        check_count("max_steps", self.max_steps)
        return self



def advantages(episodes, config: Config) -> list[np.ndarray]:
    """The weight A_t of every ∇ log π(a_t|s_t), per episode, as ``config`` asks. Notebook 06.

    Reward-to-go G_t (or the full return G_0), minus the chosen per-timestep baseline, then
    normalised over the batch if asked.
    """
    if not episodes:
        raise ValueError("need at least one episode.")
    # credit: G_t, the rewards from step t on (or the whole return G_0 at every step)
    ret = reward_to_go if config.reward_to_go else full_return
    G = [ret(ep.rewards, config.gamma) for ep in episodes]
    # baseline: subtract b_t, the batch's mean G_t at step t (episodes differ in length,
    # so they are padded into one (m, T_max) array with a mask, and back)
    if config.baseline in BASELINE_KINDS:
        values, mask = pad(G)
        G = unpad(minus_batch_baseline(values, mask, config.baseline), mask)
    elif config.baseline != "none":
        raise ValueError(f"baseline must be one of {BASELINES}; got {config.baseline!r}.")
    # normalise: centre over every step of the batch, divide by max(std, min_std)
    if config.normalise:
        flat = normalise(np.concatenate(G), config.min_std)
        G = np.split(flat, np.cumsum([g.size for g in G])[:-1])
    return G



def policy_gradient(policy, episodes, config: Config, weights=None) -> np.ndarray:
    """ĝ = (1/m) Σ_episodes Σ_t A_t ∇θ log π_θ(a_t | s_t), the REINFORCE estimate. Notebook 06.

    ``weights`` (one array per episode) replaces :func:`advantages` — e.g. a learned
    critic's advantages (notebook 07).
    """
    A = np.concatenate(advantages(episodes, config) if weights is None else weights)
    obs = np.concatenate([ep.obs for ep in episodes])
    acts = np.concatenate([ep.actions for ep in episodes])
    # REINFORCE: each score onehot(a_t) − π(·|s_t), weighted by A_t, summed over the steps
    # and chained back to θ (the policy's _grad_fast), then averaged over the m episodes
    return policy._grad_fast(obs, acts, A) / len(episodes)


def train(config: Config = Config(), seed: int = 0, progress=None, env=None,
          weigher=None, init=None) -> History:
    """Run REINFORCE with ``config`` on seed ``seed`` (environment *and* policy rng).

    ``progress`` is an optional callable ``progress(history)`` run after every update
    (notebook 06 passes a tqdm bar's updater). ``env`` lets a caller build the vectorised
    environment beforehand (the benchmark times from after it is built). ``weigher``, if
    given, is called as ``weigher(episodes, policy)`` on every batch and returns the weights
    A_t (one array per episode) in place of :func:`advantages`; it may learn as it goes (a
    critic, notebook 07). ``init`` replaces the seed's random initial parameters (the
    generator is still advanced as if they had been drawn, so everything else is the same
    run): notebook 06 starts a run from θ₀ nudged by one rounding step. Notebook 06.
    """
    config = replace(config).validate()
    seed = check_count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    policy = make_policy(config.policy, rng, config.hidden)
    if init is not None:
        policy.set_params(init)
    opt = make_optimizer(config.optimizer, policy.n_params, config.lr)
    collector = EpisodeCollector(config.n_envs, seed, env=env)
    hist = History(config=config, seed=seed, params=[policy.theta.copy()])
    hist.start_clock()
    start = time.perf_counter()
    while collector.steps < config.max_steps:
        # play: at least m = batch_episodes complete episodes with the current policy
        episodes = collector.collect(policy, rng, config.batch_episodes)
        for ep in episodes:   # bookkeeping: return, step count, the "solved" test
            hist.record(ep, collector.steps)
        # weigh and estimate: A_t for every step, then ĝ = (1/m) Σ Σ A_t ∇log π(a_t|s_t)
        weights = None if weigher is None else weigher(episodes, policy)
        grad = policy_gradient(policy, episodes, config, weights)
        # step uphill: θ ← θ + η ĝ (Adam rescales each parameter's step)
        policy.theta = opt.ascent_step(policy.theta, grad)
        hist.params.append(policy.theta.copy())
        hist.batch_steps.append(collector.steps)
        if progress is not None:
            progress(hist)
        if hist.done():
            break
    hist.wall_s = time.perf_counter() - start
    hist.dummy_steps = collector.dummy_steps
    if env is None:
        collector.close()
    return hist



@dataclass
class History:
    """What a run leaves behind, for plots, the scrubber widget and the benchmark. Notebook 06."""

    config: Config
    seed: int
    episode_returns: list = field(default_factory=list)
    episode_end_steps: list = field(default_factory=list)   # real steps when each ended
    episode_terminated: list = field(default_factory=list)
    batch_steps: list = field(default_factory=list)         # real steps after each batch
    params: list = field(default_factory=list)              # θ at start, then after each update
    solved_episode: int | None = None   # number of episodes when the last-100 mean hit 475
    solved_steps: int | None = None
    solved_wall_s: float | None = None
    solved_cpu_s: float | None = None   # CPU time of this process (less noisy on a busy machine)
    wall_s: float = 0.0
    dummy_steps: int = 0

    _window_sum: float = field(default=0.0, repr=False)  # last-100 sum, kept by record()
    _clock: Stopwatch = field(default_factory=Stopwatch, repr=False)  # wall and CPU time

    @property
    def solved(self) -> bool:
        return self.solved_episode is not None

    def start_clock(self):
        """Start the wall and CPU clocks that ``solved_wall_s`` and ``solved_cpu_s`` read."""
        self._clock.start()

    def record(self, episode: Episode, steps: int):
        """Book one finished episode: its return, its end step, and the "solved" test.

        ``steps`` is used when the episode does not carry its own ``end_step``.
        """
        ret = episode.total_reward
        self.episode_returns.append(ret)
        self.episode_end_steps.append(episode.end_step if episode.end_step is not None
                                      else steps)
        self.episode_terminated.append(episode.terminated)
        k = len(self.episode_returns)
        self._window_sum += ret
        if k > SOLVED_WINDOW:
            self._window_sum -= self.episode_returns[k - 1 - SOLVED_WINDOW]
        if (not self.solved and k >= SOLVED_WINDOW
                and self._window_sum / SOLVED_WINDOW >= SOLVED_RETURN):
            self.solved_episode, self.solved_steps = k, self.episode_end_steps[-1]
            self.solved_wall_s, self.solved_cpu_s = self._clock.read()

    def done(self) -> bool:
        """Whether ``config.stop`` says the run is over (the step budget is checked apart)."""
        stop = self.config.stop
        return self.solved and (stop == "solved" or (
            stop == "after_solved"
            and len(self.episode_returns) >= self.solved_episode + SOLVED_WINDOW))

    @property
    def steps(self) -> int:
        return self.episode_end_steps[-1] if self.episode_end_steps else 0

    def returns_after_solving(self, n: int = SOLVED_WINDOW) -> np.ndarray:
        """Returns of the (up to) ``n`` training episodes that followed the solve."""
        if not self.solved:
            return np.array([])
        return np.asarray(self.episode_returns[self.solved_episode: self.solved_episode + n])

    def returns_at(self, steps_grid, window: int = SOLVED_WINDOW) -> np.ndarray:
        """Mean return of the last (up to) ``window`` episodes that ended by each step count.

        ``window=100`` is the "solved" curve; notebook 06 compares variants with
        ``window=20``, which lags the policy less. NaN before the first episode ends.
        """
        grid = as_float_array("steps_grid", steps_grid, ndim=1)
        window = check_count("window", window)
        ends = np.asarray(self.episode_end_steps)
        rets = np.asarray(self.episode_returns, dtype=float)
        csum = np.concatenate([[0.0], np.cumsum(rets)])
        out = np.full(grid.size, np.nan)
        for j, s in enumerate(grid):
            k = int(np.searchsorted(ends, s, side="right"))  # episodes finished by s
            if k:
                lo = max(0, k - window)
                out[j] = (csum[k] - csum[lo]) / (k - lo)
        return out


# ----------------------------------------------------------------------------------------
# 2a. The weights' pieces (reward_to_go and the baselines: helpers.returns)
# ----------------------------------------------------------------------------------------
def full_return(rewards, gamma: float = 1.0) -> np.ndarray:
    """G_0 = Σ_k γ^k r_k repeated at every step: the weight of the plain REINFORCE estimator.

    Notebook 06 compares it with :func:`reward_to_go`.
    """
    r = as_float_array("rewards", rewards, ndim=1)
    return np.full(r.shape, reward_to_go(r, gamma)[0] if r.size else 0.0)


def per_timestep_baseline(returns) -> np.ndarray:
    """b_t = mean of G_t over the batch's episodes that are still running at step t.

    ``returns`` is a list of per-episode return arrays (different lengths). Returns b, of
    length T_max. An episode that ended before t has no G_t and does not count. With
    undiscounted reward-to-go, G_t − b_t = L − mean(L′ of episodes alive at t): an episode is
    credited for outlasting its peers, and steps that every running episode shared — such as
    the last steps before the 500-step cut — get weight zero, so truncation is not punished.

    The mean includes the episode itself, so G_t − b_t = (n_t − 1)/n_t · (G_t − mean of the
    *others*), with n_t the number of episodes alive at t: a factor that changes with t
    (it is 0 where an episode runs alone), so the expected update changes direction, not
    only size. :func:`leave_one_out_baseline` is the unbiased alternative
    (both: :func:`helpers.returns.batch_baseline` on the padded returns). Notebook 06.
    """
    return batch_baseline(*pad(returns), "batch_mean")[0]


def leave_one_out_baseline(returns) -> list[np.ndarray]:
    """For each episode i, b_t^(i) = mean of G_t over the *other* episodes running at step t.

    ``returns`` is a list of per-episode return arrays; the result is a list of the same
    shapes. Where no other episode is running at t the baseline is 0 (no comparison, so the
    weight keeps its full G_t). Because b^(i) never looks at episode i, it is independent of
    episode i's actions when the episodes are sampled independently from the current policy,
    and subtracting it then leaves the expected update unchanged — unlike
    :func:`per_timestep_baseline`, which includes the episode itself. (The collector's batches
    are the episodes that end first, partly sampled by earlier parameters: there it is as
    nearly unbiased as plain REINFORCE.) Notebook 06.
    """
    values, mask = pad(returns)
    return unpad(batch_baseline(values, mask, "leave_one_out"), mask)


def normalise(advantages, min_std: float = 0.0, eps: float = 1e-8) -> np.ndarray:
    """(A − mean A) / max(std A, ``min_std``) over all steps of the batch. Notebook 06.

    Keeps the size of the update the same whether episodes last 20 or 500 steps; the
    centring is itself a (constant) baseline. ``min_std`` is a floor on the divisor: a batch
    whose episodes barely differ (say one ends at 484 steps and one at 500) carries a small
    signal, and dividing by its tiny spread would blow that up into a full-sized update.
    With the floor its update stays small; a batch of identical episodes gives none.
    """
    a = as_float_array("advantages", advantages, ndim=1)
    if a.size == 0:
        raise ValueError("advantages is empty.")
    floor = as_finite_scalar("min_std", min_std)
    if floor < 0:
        raise ValueError(f"min_std must be at least 0; got {min_std!r}.")
    return (a - a.mean()) / (max(float(a.std()), floor) + eps)


# ----------------------------------------------------------------------------------------
# 2b. Policies, with their gradients by hand
# ----------------------------------------------------------------------------------------
class _SoftmaxPolicy(ParameterViews):
    """Shared machinery: parameters live in one flat vector ``self.theta`` (for Adam);
    ``_params()`` gives them as weight matrices (:class:`helpers.reinforce_fast.ParameterViews`)."""

    obs_dim: int
    n_actions: int
    theta: np.ndarray

    def _check_obs(self, obs):
        return as_float_array("obs (a batch of observations)", obs, shape=(None, self.obs_dim))

    def _check_actions(self, actions, n):
        a = np.asarray(actions)
        if a.shape != (n,) or a.dtype.kind not in "iu":
            raise ValueError(f"actions must be {n} whole numbers (one per observation); "
                             f"got {a.dtype} array of shape {a.shape}.")
        if np.any((a < 0) | (a >= self.n_actions)):
            raise ValueError(f"actions must lie in 0..{self.n_actions - 1}.")
        return a

    def set_params(self, theta):
        """Replace the parameters with a copy of the flat vector ``theta``."""
        self.theta = as_float_array("theta", theta, shape=(self.theta.size,)).copy()
        return self

    @property
    def n_params(self) -> int:
        return self.theta.size

    def log_probs(self, obs) -> np.ndarray:
        """log π(· | s) for each observation: shape (B, n_actions)."""
        return log_softmax(self._forward(self._check_obs(obs))[0], axis=1)

    def sample(self, obs, rng) -> np.ndarray:
        """One action per observation, drawn from π(· | s) with the generator ``rng``."""
        rng = check_rng(rng)
        return self._sample_fast(self._check_obs(obs), rng)

    def _sample_fast(self, obs, rng):
        """:meth:`sample` without the checks (reinforce_fast.sample_actions)."""
        return sample_actions(self._forward(obs)[0], rng)

    def objective(self, obs, actions, weights) -> float:
        """L(θ) = Σ_i w_i log π_θ(a_i | s_i), the surrogate whose gradient REINFORCE follows."""
        obs = self._check_obs(obs)
        a = self._check_actions(actions, obs.shape[0])
        w = as_float_array("weights", weights, shape=(obs.shape[0],))
        lp = log_softmax(self._forward(obs)[0], axis=1)
        return float(np.sum(w * lp[np.arange(a.size), a]))

    def grad(self, obs, actions, weights) -> np.ndarray:
        """∇θ Σ_i w_i log π_θ(a_i | s_i), by hand (flat, like ``theta``).

        For a softmax, ∂ log π(a|s) / ∂ logits = onehot(a) − π(·|s); the chain rule through
        the logits gives the rest (see each policy's ``_backward``).
        """
        obs = self._check_obs(obs)
        a = self._check_actions(actions, obs.shape[0])
        w = as_float_array("weights", weights, shape=(obs.shape[0],))
        return self._grad_fast(obs, a, w)

    def _grad_fast(self, obs, a, w):
        """:meth:`grad` without the checks: the training loop's data is known good."""
        logits, cache = self._forward(obs)
        score = -np.exp(log_softmax(logits, axis=1))    # −π(·|s_i)
        score[np.arange(a.size), a] += 1.0              # onehot(a_i) − π(·|s_i) = ∇_logits log π
        return self._backward(w[:, None] * score, cache)    # Σ_i w_i ∇θ log π(a_i|s_i)


class LinearSoftmaxPolicy(_SoftmaxPolicy):
    """π(a | s) = softmax(s W + b)_a, with W of shape (4, 2) and b of shape (2,).

    Gradient of Σ_i w_i log π(a_i|s_i): with G_i = w_i (onehot(a_i) − π(·|s_i)),
    ∂W = Sᵀ G and ∂b = Σ_i G_i. Starts at θ = 0, the uniform policy. Notebook 06.
    """

    def __init__(self, obs_dim: int = OBS_DIM, n_actions: int = N_ACTIONS, rng=None):
        self.obs_dim = check_count("obs_dim", obs_dim)
        self.n_actions = check_count("n_actions", n_actions, minimum=2)
        if rng is not None:
            check_rng(rng)  # accepted for a uniform interface; zeros need no randomness
        self.theta = np.zeros(obs_dim * n_actions + n_actions)

    def _unpack(self):
        k = self.obs_dim * self.n_actions
        return self.theta[:k].reshape(self.obs_dim, self.n_actions), self.theta[k:]

    def _forward(self, obs):
        W, b = self._params()
        return obs @ W + b, obs

    def _backward(self, g_logits, obs):
        return np.concatenate([(obs.T @ g_logits).ravel(), g_logits.sum(axis=0)])

    def __repr__(self):
        return f"LinearSoftmaxPolicy({self.n_params} parameters)"


class MLPPolicy(_SoftmaxPolicy):
    """π(a | s) = softmax(tanh(s W₁ + b₁) W₂ + b₂)_a: one hidden layer of tanh units.

    Backward pass for Σ_i w_i log π(a_i|s_i): G = w ⊙ (onehot(a) − π); ∂W₂ = Hᵀ G,
    ∂b₂ = Σ G; back through tanh, D = (G W₂ᵀ) ⊙ (1 − H²); ∂W₁ = Sᵀ D, ∂b₁ = Σ D.
    W₁ starts random (scale 1/√obs_dim, from ``rng``), W₂ and the biases at zero, so the
    first policy is uniform. Notebook 06.
    """

    def __init__(self, obs_dim: int = OBS_DIM, n_actions: int = N_ACTIONS, hidden: int = 16,
                 rng=None):
        self.obs_dim = check_count("obs_dim", obs_dim)
        self.n_actions = check_count("n_actions", n_actions, minimum=2)
        self.hidden = check_count("hidden (units in the hidden layer)", hidden)
        rng = check_rng(rng)
        W1 = rng.standard_normal((obs_dim, hidden)) / np.sqrt(obs_dim)
        self.theta = np.concatenate([W1.ravel(), np.zeros(hidden),
                                     np.zeros(hidden * n_actions), np.zeros(n_actions)])

    def _unpack(self):
        d, h, k = self.obs_dim, self.hidden, self.n_actions
        t = self.theta
        W1 = t[: d * h].reshape(d, h)
        b1 = t[d * h: d * h + h]
        W2 = t[d * h + h: d * h + h + h * k].reshape(h, k)
        b2 = t[d * h + h + h * k:]
        return W1, b1, W2, b2

    def _forward(self, obs):
        W1, b1, W2, b2 = self._params()
        H = np.tanh(obs @ W1 + b1)
        return H @ W2 + b2, (obs, H)

    def _backward(self, g_logits, cache):
        obs, H = cache
        W2 = self._params()[2]
        D = (g_logits @ W2.T) * (1.0 - H * H)
        return np.concatenate([(obs.T @ D).ravel(), D.sum(axis=0),
                               (H.T @ g_logits).ravel(), g_logits.sum(axis=0)])

    def __repr__(self):
        return f"MLPPolicy(hidden={self.hidden}, {self.n_params} parameters)"


def make_policy(kind: str, rng, hidden: int = 16):
    """``"linear"`` → :class:`LinearSoftmaxPolicy`, ``"mlp"`` → :class:`MLPPolicy`. Notebook 06."""
    rng = check_rng(rng)
    if kind == "linear":
        return LinearSoftmaxPolicy(rng=rng)
    if kind == "mlp":
        return MLPPolicy(hidden=hidden, rng=rng)
    raise ValueError(f"policy must be 'linear' or 'mlp'; got {kind!r}.")


# ----------------------------------------------------------------------------------------
# 2c. Optimisers
# ----------------------------------------------------------------------------------------
class Adam:
    """Adam (Kingma & Ba, 2015), for gradient *ascent* on a flat parameter vector.

    μ ← β₁ μ + (1 − β₁) ĝ,  ν ← β₂ ν + (1 − β₂) ĝ²,
    θ ← θ + η · μ̂ / (√ν̂ + ε) with μ̂ = μ / (1 − β₁ᵏ), ν̂ = ν / (1 − β₂ᵏ) after k updates
    (η is ``lr``; the attributes ``m`` and ``v`` hold μ and ν).

    Each parameter gets its own step size, about η while the gradient's sign is steady, so
    the step no longer depends on the scale of the returns (up to ε). Notebook 06.
    """

    def __init__(self, n_params: int, lr: float = 0.01, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        n = check_count("n_params", n_params)
        self.lr = positive_scalar("lr (the step size)", lr)
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= as_finite_scalar(name, b) < 1.0:
                raise ValueError(f"{name} must lie in [0, 1); got {b!r}.")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = positive_scalar("eps", eps)
        self.m = np.zeros(n)
        self.v = np.zeros(n)
        self.t = 0

    def ascent_step(self, theta, grad) -> np.ndarray:
        """Return θ moved uphill along ``grad`` (θ itself is not modified)."""
        theta = as_float_array("theta", theta, shape=(self.m.size,))
        g = as_float_array("grad", grad, shape=(self.m.size,))
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return theta + self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class GradientAscent:
    """Plain gradient ascent, θ ← θ + η ĝ: the update of textbook REINFORCE. Notebook 06.

    The same interface as :class:`Adam`, so :func:`train` can use either.
    """

    def __init__(self, n_params: int, lr: float = 0.01):
        self.n = check_count("n_params", n_params)
        self.lr = positive_scalar("lr (the step size)", lr)
        self.t = 0

    def ascent_step(self, theta, grad) -> np.ndarray:
        """Return θ + η ĝ (θ itself is not modified)."""
        theta = as_float_array("theta", theta, shape=(self.n,))
        g = as_float_array("grad", grad, shape=(self.n,))
        self.t += 1
        return theta + self.lr * g


def make_optimizer(kind: str, n_params: int, lr: float):
    """``"adam"`` → :class:`Adam`, ``"sgd"`` → :class:`GradientAscent`. Notebook 06."""
    if kind == "adam":
        return Adam(n_params, lr=lr)
    if kind == "sgd":
        return GradientAscent(n_params, lr=lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {kind!r}.")


# ----------------------------------------------------------------------------------------
# 2d. Episodes from the vectorised environment
# ----------------------------------------------------------------------------------------
@dataclass
class Episode:
    """One complete episode: observations, actions, rewards, and how it ended. Notebook 06.

    ``obs[t]`` is the state in which ``actions[t]`` was taken; ``final_obs`` is the state the
    last action led to (a critic bootstraps from it when the episode was *truncated*);
    ``end_step`` is the collector's count of real environment steps when the episode ended.
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: bool  # the pole fell or the cart left the track: a failure
    truncated: bool   # the 500-step time limit: not a failure
    final_obs: np.ndarray | None = None
    end_step: int | None = None

    @property
    def length(self) -> int:
        return int(self.actions.size)

    @property
    def total_reward(self) -> float:
        return float(self.rewards.sum())



def make_cartpole_env(n_envs: int):
    """gymnasium's numpy-vectorised CartPole-v1 with ``n_envs`` sub-environments. Notebook 06."""
    import gymnasium as gym

    n = check_count("n_envs", n_envs)
    return gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")



class EpisodeCollector:
    """Steps a vectorised CartPole with a policy and hands back complete episodes.

    * Gymnasium's autoreset steps are masked (:meth:`_skip_autoreset_steps`): not stored,
      not counted in :attr:`steps`.
    * Episodes carry over between calls of :meth:`collect`: an episode still running when a
      batch is complete is finished in the next batch (its first part was sampled with the
      previous parameters — a small, usual approximation that wastes no interaction).
    * :attr:`steps` counts real environment steps; :attr:`dummy_steps` the masked ones.
    * The steps of running episodes wait in a :class:`helpers.reinforce_fast.StepBuffer`.

    Introduced in notebook 06.
    """

    def __init__(self, n_envs: int, seed: int, env=None):
        self.env = make_cartpole_env(n_envs) if env is None else env
        self.n_envs = n = self.env.num_envs
        check_count("seed", seed, minimum=0)
        self.obs, _ = self.env.reset(seed=seed)
        self.prev_done = np.zeros(n, dtype=bool)    # which sub-environments ended last step
        self.buffer = StepBuffer(n, self.obs.shape[1])
        self.steps = 0
        self.dummy_steps = 0

    # Gymnasium's autoreset (``NEXT_STEP`` mode, gymnasium 1.x). When sub-environment i ends
    # (terminated or truncated) on one step, it is not reset there: the *next* call to
    # env.step ignores i's action, resets it, and returns reward 0 with terminated =
    # truncated = False. That step is not an interaction. Storing it would add a fake
    # (state, action, reward 0) to the next episode's start; counting it would inflate the
    # step budget. So every step, the sub-environments that ended on the previous step are
    # skipped: their new episode starts on the *next* row of the buffer.
    def _skip_autoreset_steps(self) -> int:
        """Mark this step of the sub-environments that ended last step as an autoreset dummy
        (their next episode starts after it); return how many there are."""
        dummy = self.prev_done
        n_dummy = np.count_nonzero(dummy)      # (a plain int; cheaper than dummy.sum())
        if n_dummy:
            self.buffer.start[dummy] = self.buffer.k + 1
        return n_dummy

    def step(self, policy, rng) -> list[Episode]:
        """One vector step; returns the episodes that ended on it (usually none)."""
        obs = self.buffer.observation_row(self.obs)
        actions = policy._sample_fast(obs, rng)
        next_obs, reward, terminated, truncated, _ = self.env.step(actions)
        self.buffer.record(actions, reward)
        n_dummy = self._skip_autoreset_steps()
        self.steps += self.n_envs - n_dummy
        self.dummy_steps += n_dummy
        done = terminated | truncated
        finished = []
        if np.count_nonzero(done):           # most steps end no episode
            # An episode that ends on this step ends at this step's count of real steps; two
            # ending together share it, and no episode is credited with later steps.
            for i in done.nonzero()[0]:
                finished.append(Episode(*self.buffer.episode(i),
                                        bool(terminated[i]), bool(truncated[i]),
                                        final_obs=np.array(next_obs[i], dtype=float),
                                        end_step=int(self.steps)))
        self.prev_done = done
        self.obs = next_obs
        self.buffer.advance()
        return finished

    def collect(self, policy, rng, n_episodes: int) -> list[Episode]:
        """Step until at least ``n_episodes`` episodes have ended; return them all."""
        n = check_count("n_episodes", n_episodes)
        rng = check_rng(rng)
        episodes: list[Episode] = []
        while len(episodes) < n:
            episodes.extend(self.step(policy, rng))
        return episodes

    def close(self):
        self.env.close()


def sample_episodes(policy, n_episodes: int, seed: int, n_envs: int = 4) -> list[Episode]:
    """At least ``n_episodes`` complete CartPole episodes played by a fixed ``policy``, in the
    order they end: the environments reset with ``seed``, the actions drawn with
    ``np.random.default_rng(seed)``; the environments are closed afterwards.
    Notebook 07 plays them for its advantage explorer."""
    collector = EpisodeCollector(n_envs, seed=seed)
    try:
        return collector.collect(policy, np.random.default_rng(seed), n_episodes)
    finally:
        collector.close()


# ----------------------------------------------------------------------------------------
# 3. Notebook 06's tools
# ----------------------------------------------------------------------------------------
def improvement_ladder() -> dict[str, Config]:
    """Textbook REINFORCE, then one named improvement at a time, ending at ``Config()``.

    1. ``"plain"``: every step weighted by its episode's return R(τ), no baseline, plain
       gradient ascent with η = 1e-4 (Williams 1992, in the form of the course's formula);
    2. ``"+ Adam"``: the same estimate, Adam with η = 0.08;
    3. ``"+ reward-to-go"``: weights G_t instead of R(τ);
    4. ``"+ baseline"``: G_t − b_t, b_t the batch mean of G_t over episodes alive at t;
    5. ``"+ normalisation"``: centred and divided by max(std, 10): the course's agent.

    All undiscounted (γ = 1), so no step changes the objective. Notebook 06.
    """
    agent = Config()
    adam = replace(agent, reward_to_go=False, baseline="none", normalise=False)
    return {"plain": replace(adam, optimizer="sgd", lr=1e-4),
            "+ Adam": adam,
            "+ reward-to-go": replace(adam, reward_to_go=True),
            "+ baseline": replace(agent, normalise=False),
            "+ normalisation": agent}



#: States at which notebook 06 reads what a trained policy does: (x, ẋ, φ, φ̇).
PROBE_STATES = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.08, 0.0], [0.0, 0.0, -0.08, 0.0],
                         [0.0, 0.0, 0.0, 0.5], [0.0, 0.0, 0.0, -0.5], [1.5, 0.5, 0.0, 0.0]])
PROBE_LABELS = ("upright, still", "tilted right", "tilted left", "falling right",
                "falling left", "cart right, moving right")



def first_different_episode(history_a: History, history_b: History) -> int:
    """Index of the first episode whose return differs between two runs.

    Equal to the number of episodes compared (the shorter run's) when none differs.
    Notebook 06 uses it on two runs whose start differs by one rounding step.
    """
    a = np.asarray(history_a.episode_returns)
    b = np.asarray(history_b.episode_returns)
    n = min(a.size, b.size)
    diff = np.flatnonzero(a[:n] != b[:n])
    return int(diff[0]) if diff.size else n


def parameter_gap(history_a: History, history_b: History) -> np.ndarray:
    """max_i |θ_a − θ_b|_i after each update (index 0 = the start), over the updates both
    runs made. Notebook 06 follows how a one-ulp difference at the start grows."""
    n = min(len(history_a.params), len(history_b.params))
    return np.array([np.max(np.abs(history_a.params[k] - history_b.params[k]))
                     for k in range(n)])


def policy_from(history: History, update: int = -1):
    """The policy as it was after update ``update`` (0 = before training). Notebook 06."""
    n = len(history.params)
    if not -n <= update < n:
        raise ValueError(f"update must lie in 0..{n - 1}; got {update}.")
    cfg = history.config
    policy = make_policy(cfg.policy, np.random.default_rng(0), cfg.hidden)
    return policy.set_params(history.params[update])


def run_episode(policy, seed: int, greedy: bool = False, max_steps: int = 500):
    """Play one CartPole-v1 episode (single env); return states (T+1, 4) and the return.

    ``greedy`` takes the most probable action instead of sampling. Used for the animation
    in notebook 06.
    """
    import gymnasium as gym

    seed = check_count("seed", seed, minimum=0)
    check_count("max_steps", max_steps)
    env = gym.make("CartPole-v1", max_episode_steps=max_steps)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    states, total = [obs], 0.0
    while True:
        o = np.asarray(obs, dtype=float)[None]
        if greedy:
            a = int(np.argmax(policy.log_probs(o)[0]))
        else:
            a = int(policy._sample_fast(o, rng)[0])
        obs, r, terminated, truncated, _ = env.step(a)
        states.append(obs)
        total += float(r)
        if terminated or truncated:
            break
    env.close()
    return np.array(states, dtype=float), total
