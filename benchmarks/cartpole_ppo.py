"""Benchmark for notebook 11: PPO against notebook 06's REINFORCE and notebook 07's
actor-critic, in the same run, and PPO's classic mistakes.

Every variant trains on seeds 0 … N−1 until solved — the mean return of the last 100
training episodes reaches 475 — and then 100 episodes more, still training, to see whether
it stays solved (or gives up after ``--max-steps`` real environment steps):

* ``reinforce``: notebook 06's agent, ``helpers.reinforce.Config()``;
* ``actor-critic``: notebook 07's GAE(0.95) critic on the same actor,
  ``helpers.critic.CriticConfig()``;
* ``ppo``: ``helpers.ppo.PPOConfig()`` (4 environments × 128 steps per batch, 4 epochs of 4
  minibatches, ε = 0.2, GAE(0.95) with γ = 0.99, advantages normalised over the batch);
* ``ppo-recomputed-old``: the "old" log-probabilities taken from the current policy, so
  every ratio is 1 and the clip never acts;
* ``ppo-minibatch-norm``: advantages normalised per minibatch;
* ``ppo-clipped-value``: CleanRL's clipped value loss, clip range 0.2 in units of return;
* ``ppo-target-kl``: Spinning Up's early stopping, epochs end once the batch's approximate
  KL exceeds 1.5 × 0.01.

Steps are real environment steps; wall and CPU time run from a built environment to the
solve. For each variant: solved k/N, the median steps, episodes, wall and CPU time to solve,
and, over the solved seeds, the median of the mean return of the 100 episodes after and the
worst single episode among them.

    python benchmarks/cartpole_ppo.py --seeds 10
    python benchmarks/cartpole_ppo.py --seeds 3 --variants ppo,reinforce
    python benchmarks/cartpole_ppo.py --seeds 10 --record    # + rows of benchmarks/RESULTS.md
"""

from __future__ import annotations

from dataclasses import replace

import _side_by_side

from helpers import critic, ppo, reinforce

VARIANTS = {
    "reinforce": None,
    "actor-critic": critic.CriticConfig(),
    "ppo": ppo.PPOConfig(),
    "ppo-recomputed-old": ppo.PPOConfig(recompute_old=True),
    "ppo-minibatch-norm": ppo.PPOConfig(normalise="minibatch"),
    "ppo-clipped-value": ppo.PPOConfig(clip_value=0.2),
    "ppo-target-kl": ppo.PPOConfig(target_kl=0.01),
}


def run(name, seed, max_steps):
    """One training run of variant ``name``; the environment is built before the clock."""
    setting = VARIANTS[name]
    if not isinstance(setting, ppo.PPOConfig):
        return _side_by_side.train_actor(setting, seed, max_steps)
    cfg = replace(setting, stop="after_solved", max_steps=max_steps)
    env = reinforce.make_cartpole_env(cfg.n_envs)
    history = ppo.train(cfg, seed=seed, env=env)
    env.close()
    return history


def main(argv=None) -> int:
    configs = [f"REINFORCE / actor config: {reinforce.Config()}",
               f"critic config: {critic.CriticConfig()}", f"PPO config: {ppo.PPOConfig()}"]
    return _side_by_side.main("cartpole_ppo", __doc__, VARIANTS, run, configs, argv)


if __name__ == "__main__":
    raise SystemExit(main())
