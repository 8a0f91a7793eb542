"""CartPole-v1 with a continuous force: gymnasium's own physics and termination, a ``Box``
action. Introduced in notebook 10 (``10_continuous_actions_lqr``).

gymnasium's ``CartPoleEnv.step`` pushes the cart with ``+force_mag`` for action 1 and
``-force_mag`` for action 0 (its vectorised ``CartPoleVectorEnv`` computes
``sign(action - 0.5) * force_mag``). The classes here subclass both and, for each step, set
``force_mag`` to the requested force (clipped to ±``max_force``) and pass action 1 to
gymnasium's own ``step``: the physics, the Euler integration, the termination test (pole
beyond ±12°, cart beyond ±2.4 m), the +1 reward and the autoreset are gymnasium's code, not a
copy. With forces ±10 N they reproduce CartPole-v1 step for step (tests/test_lqr_cartpole.py).

:func:`collector` plays episodes of a linear-Gaussian policy a = −𝐊s + σε on the vectorised
class for :func:`helpers.lqr.train`, scoring them with the LQR's quadratic cost of the
observed states and applied forces.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control.cartpole import CartPoleEnv, CartPoleVectorEnv
from gymnasium.vector.utils import batch_space
from gymnasium.wrappers import TimeLimit

from helpers import lqr
from helpers.validation import check_count, positive_scalar

__all__ = ["ContinuousCartPoleEnv", "ContinuousCartPoleVectorEnv", "balance", "collector",
           "make", "step_jacobian"]

#: CartPole-v1's force magnitude (N): the default bound of the continuous action
MAX_FORCE = 10.0
#: CartPole-v1's time limit
EPISODE_LIMIT = 500


def _force_space(max_force, shape):
    return spaces.Box(-max_force, max_force, shape=shape, dtype=np.float32)


class ContinuousCartPoleEnv(CartPoleEnv):
    """gymnasium's CartPole with a force action: ``Box(-max_force, max_force, (1,))``
    newtons (a force outside is clipped to the bound). Reward +1 per step, termination as
    CartPole-v1; :func:`make` adds the 500-step time limit. Notebook 10."""

    def __init__(self, max_force: float = MAX_FORCE, render_mode: str | None = None):
        super().__init__(render_mode=render_mode)
        self.max_force = positive_scalar("max_force", max_force)
        self.action_space = _force_space(self.max_force, (1,))
        self._discrete = spaces.Discrete(2)      # what gymnasium's step checks its action in

    def step(self, action):
        force = np.asarray(action, dtype=float).reshape(-1)
        if force.shape != (1,) or not np.isfinite(force[0]):
            raise ValueError(f"action must be one finite force in newtons; got {action!r}.")
        box, self.action_space = self.action_space, self._discrete
        # gymnasium pushes with +force_mag for action 1: make that our (signed) force
        self.force_mag = float(np.clip(force[0], -self.max_force, self.max_force))
        try:
            return super().step(1)
        finally:
            self.action_space, self.force_mag = box, self.max_force


class ContinuousCartPoleVectorEnv(CartPoleVectorEnv):
    """gymnasium's numpy-vectorised CartPole (autoreset on the step after an episode ends)
    with one force per sub-environment, ``Box(-max_force, max_force, (num_envs, 1))``.
    Notebook 10."""

    def __init__(self, num_envs: int = 1, max_force: float = MAX_FORCE,
                 max_episode_steps: int = EPISODE_LIMIT):
        super().__init__(num_envs=check_count("num_envs", num_envs),
                         max_episode_steps=check_count("max_episode_steps", max_episode_steps))
        self.max_force = positive_scalar("max_force", max_force)
        self.single_action_space = _force_space(self.max_force, (1,))
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        # what gymnasium's step checks its actions in, and the action "push with force_mag",
        # built once: a new batched space per step was a third of a step's time
        self._discrete = batch_space(spaces.Discrete(2), self.num_envs)
        self._push = np.ones(self.num_envs, dtype=np.int64)

    def step(self, actions):
        forces = np.asarray(actions, dtype=float).reshape(-1)
        if forces.shape != (self.num_envs,) or not np.all(np.isfinite(forces)):
            raise ValueError(f"actions must be {self.num_envs} finite forces; got shape "
                             f"{np.shape(actions)}.")
        box, self.action_space = self.action_space, self._discrete
        # gymnasium computes sign(action − 0.5) · force_mag: with action 1, the force itself
        self.force_mag = np.clip(forces, -self.max_force, self.max_force)
        try:
            return super().step(self._push)
        finally:
            self.action_space, self.force_mag = box, self.max_force


def make(max_force: float = MAX_FORCE, render_mode: str | None = None):
    """A continuous-force CartPole-v1 with its 500-step time limit. Notebook 10."""
    return TimeLimit(ContinuousCartPoleEnv(max_force, render_mode), EPISODE_LIMIT)


def collector(task: lqr.LQRTask, max_force: float = MAX_FORCE, fall_cost: float = 100.0):
    """Episodes for :func:`helpers.lqr.train` played on the continuous cart-pole: per seed,
    m sub-environments reset with a seed from that seed's generator, ``task.horizon``
    steps of a = −𝐊s + σε (observations as gymnasium returns them; the force sent is the
    clipped one), the task's cost sᵀ𝐐s + aᵀ𝐑a of each step, and after a fall the episode is
    over (``alive`` False) with ``fall_cost`` added to its last step — so falling never
    looks cheap. Notebook 10."""
    fall_cost = positive_scalar("fall_cost", fall_cost)
    H = task.horizon
    if H > EPISODE_LIMIT:
        raise ValueError(f"the task's horizon ({H}) exceeds CartPole's {EPISODE_LIMIT} steps.")

    def collect(gains, sigmas, m, rngs):
        G = len(rngs)
        S = np.zeros((G, m, H, 4))
        act = np.zeros((G, m, H, 1))
        alive = np.zeros((G, m, H), dtype=bool)
        noise = np.stack([r.standard_normal((m, H, 1)) for r in rngs])
        env = ContinuousCartPoleVectorEnv(G * m, max_force=max_force)
        env.reset(seed=0)
        # each seed's start states from its own generator, drawn as gymnasium's reset draws
        # them (uniform on ±0.05), so one seed's run never depends on the others
        env.state = np.concatenate([r.uniform(-0.05, 0.05, size=(m, 4)) for r in rngs]).T
        obs = env.state.T.astype(np.float32)
        running = np.ones(G * m, dtype=bool)
        rows_K = np.repeat(np.asarray(gains), m, axis=0)              # (G m, 1, 4)
        rows_sigma = np.repeat(np.asarray(sigmas, dtype=float), m)
        flat_noise = noise.reshape(G * m, H)
        falls = np.zeros(G * m, dtype=bool)
        for t in range(H):
            s = obs.astype(float)
            a = -np.einsum("rkn,rn->r", rows_K, s) + rows_sigma * flat_noise[:, t]
            S.reshape(G * m, H, 4)[:, t] = s
            act.reshape(G * m, H)[:, t] = np.clip(a, -max_force, max_force)
            alive.reshape(G * m, H)[:, t] = running
            obs, _, terminated, _, _ = env.step(a)
            falls |= running & terminated
            running &= ~terminated
        env.close()
        costs = (np.einsum("gmti,ij,gmtj->gmt", S, task.Q, S)
                 + np.einsum("gmtk,kl,gmtl->gmt", act, task.R, act)) * alive
        last = alive.sum(axis=-1) - 1                                  # index of last step
        fell = falls.reshape(G, m)
        g_idx, m_idx = np.nonzero(fell)
        costs[g_idx, m_idx, last[g_idx, m_idx]] += fall_cost
        return lqr.Rollouts(S, noise, act, costs, task.gamma, alive)

    return collect


def balance(K, sigma: float, seed: int, max_force: float = MAX_FORCE,
            steps: int = EPISODE_LIMIT) -> int:
    """Play one continuous CartPole-v1 episode (reset with ``seed``) with a = −𝐊s + σε (σ = 0:
    the deterministic gain) and return how many steps it lasted: ``steps`` (500) means it
    balanced until the time limit. Notebook 10."""
    K = np.asarray(K, dtype=float).reshape(1, 4)
    seed = check_count("seed", seed, minimum=0)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0; got {sigma!r}.")
    rng = np.random.default_rng(seed)
    env = TimeLimit(ContinuousCartPoleEnv(max_force), check_count("steps", steps))
    obs, _ = env.reset(seed=seed)
    for t in range(steps):
        a = -K @ obs.astype(float) + sigma * rng.standard_normal(1)
        obs, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.close()
            return t + 1
    env.close()
    return steps


def step_jacobian(h: float = 1e-6):
    """(∂s'/∂s, ∂s'/∂F) of gymnasium's own CartPole step at the upright rest state (s = 0,
    F = 0), by central finite differences of ``CartPoleEnv.step`` on its float64 state: the
    check of :func:`helpers.lqr.cartpole_linearisation`. Notebook 10."""
    h = positive_scalar("h", h)
    env = ContinuousCartPoleEnv()
    env.reset(seed=0)

    def step(state, force):
        env.state, env.steps_beyond_terminated = np.array(state, dtype=float), None
        env.step([force])
        return np.array(env.state, dtype=float)

    eye = np.eye(4)
    A = np.column_stack([(step(h * e, 0.0) - step(-h * e, 0.0)) / (2 * h) for e in eye])
    B = ((step(np.zeros(4), h) - step(np.zeros(4), -h)) / (2 * h))[:, None]
    env.close()
    return A, B
