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

import argparse
import os
import statistics
from dataclasses import replace

from _results import record, seeds_label

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
    if isinstance(setting, ppo.PPOConfig):
        cfg = replace(setting, stop="after_solved", max_steps=max_steps)
        env = reinforce.make_cartpole_env(cfg.n_envs)
        history = ppo.train(cfg, seed=seed, env=env)
    else:
        cfg = replace(reinforce.Config(), stop="after_solved", max_steps=max_steps)
        env = reinforce.make_cartpole_env(cfg.n_envs)
        if setting is None:
            history = reinforce.train(cfg, seed=seed, env=env)
        else:
            history, _ = critic.train(cfg, setting, seed=seed, env=env)
    env.close()
    return history


def summary(name, histories):
    solved = [h for h in histories if h.solved]

    def med(values):
        return statistics.median(values) if values else float("nan")

    after = [a for a in (h.returns_after_solving() for h in solved) if a.size]
    return (f"{name:19s} solved {len(solved)}/{len(histories)} "
            f"median_steps={med([h.solved_steps for h in solved]):g} "
            f"median_episodes={med([h.solved_episode for h in solved]):g} "
            f"median_wall_s={med([h.solved_wall_s for h in solved]):.3f} "
            f"median_cpu_s={med([h.solved_cpu_s for h in solved]):.3f} "
            f"after solving: median mean return {med([float(a.mean()) for a in after]):.1f}, "
            f"worst episode {min((float(a.min()) for a in after), default=float('nan')):g} "
            f"(seeds with 100 episodes after: {sum(a.size == 100 for a in after)})")


def publish(name, histories):
    """The summary line of variant ``name`` as rows of benchmarks/RESULTS.md."""
    solved = [h for h in histories if h.solved]
    seeds = f"{seeds_label(len(histories))} ({len(solved)} solved)"
    after = [a for a in (h.returns_after_solving() for h in solved) if a.size]
    for label, values in (("steps to solve", [h.solved_steps for h in solved]),
                          ("CPU s to solve", [h.solved_cpu_s for h in solved]),
                          ("wall s to solve", [h.solved_wall_s for h in solved]),
                          ("mean return of the 100 episodes after solving",
                           [float(a.mean()) for a in after]),
                          ("worst episode of the 100 after solving",
                           [float(a.min()) for a in after])):
        record("cartpole_ppo", f"{name}: {label}", values, seeds=seeds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="train on seeds 0 … N−1")
    parser.add_argument("--max-steps", type=int, default=300_000,
                        help="give up on a seed after this many environment steps")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, from {', '.join(VARIANTS)}")
    parser.add_argument("--record", action="store_true",
                        help="also write the summary lines to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if args.seeds < 1 or args.max_steps < 1:
        parser.error("--seeds and --max-steps must be at least 1")
    if unknown or not names:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    print(f"REINFORCE / actor config: {reinforce.Config()}")
    print(f"critic config: {critic.CriticConfig()}")
    print(f"PPO config: {ppo.PPOConfig()}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    lines = []
    for name in names:
        histories = []
        for seed in range(args.seeds):
            h = run(name, seed, args.max_steps)
            histories.append(h)
            state = (f"solved at steps={h.solved_steps} wall_s={h.solved_wall_s:.3f}"
                     if h.solved else f"NOT solved within {h.steps} steps")
            print(f"{name} seed {seed}: {state}", flush=True)
        lines.append(summary(name, histories))
        if args.record:
            publish(name, histories)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
