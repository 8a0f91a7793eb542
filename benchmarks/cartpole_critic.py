"""Benchmark for notebook 07: a learned critic against notebook 06's REINFORCE, same run.

Every variant trains the same actor (``helpers.reinforce.Config()``, whatever its defaults
are today) on seeds 0 … N−1 until solved — the mean return of the last 100 training
episodes reaches 475 — and then 100 episodes more, still training, to see whether it stays
solved. Only the weights A_t of ∇log π differ:

* ``reinforce``: notebook 06's weights, undiscounted (``Config().gamma`` = 1): reward-to-go
  minus the batch mean (``baseline="batch_mean"``), normalised;
* ``vhat``: G_t − v̂(s_t), REINFORCE with a learned baseline (GAE with λ = 1);
* ``gae``: GAE(λ = 0.95), ``helpers.critic.CriticConfig()``;
* ``td``: the one-step actor-critic's TD error (λ = 0);
* ``gae-no-bootstrap``: GAE(0.95) with the 500-step time limit treated as a fall.

The critic variants discount with their own ``CriticConfig().gamma`` (0.99), whatever the
actor's γ, and carry no γ^t; every variant is scored by the undiscounted return, the
episode length.

Steps are real environment steps; wall and CPU time run from a built environment to the
solve. For each variant: solved k/N, the median steps, episodes, wall and CPU time to solve,
and, over the solved seeds, the mean and the worst return of the 100 episodes after.

    python benchmarks/cartpole_critic.py --seeds 10
    python benchmarks/cartpole_critic.py --seeds 3 --variants reinforce,gae
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import replace

from _results import record, seeds_label

from helpers import critic as C
from helpers.reinforce import Config, make_cartpole_env, train

VARIANTS = {
    "reinforce": None,
    "vhat": C.CriticConfig(lam=1.0),
    "gae": C.CriticConfig(),
    "td": C.CriticConfig(lam=0.0),
    "gae-no-bootstrap": C.CriticConfig(bootstrap_truncated=False),
}


def run(name, config, seed):
    """One training run of variant ``name``; the environment is built before the clock."""
    env = make_cartpole_env(config.n_envs)
    critic = VARIANTS[name]
    if critic is None:
        history = train(config, seed=seed, env=env)
    else:
        history, _ = C.train(config, critic, seed=seed, env=env)
    env.close()
    return history


def summary(name, histories):
    solved = [h for h in histories if h.solved]

    def med(values):
        return statistics.median(values) if values else float("nan")

    after = [h.returns_after_solving() for h in solved]
    after = [a for a in after if a.size]
    mean_after = med([float(a.mean()) for a in after])
    worst_after = min((float(a.min()) for a in after), default=float("nan"))
    return (f"{name:17s} solved {len(solved)}/{len(histories)} "
            f"median_steps={med([h.solved_steps for h in solved]):g} "
            f"median_episodes={med([h.solved_episode for h in solved]):g} "
            f"median_wall_s={med([h.solved_wall_s for h in solved]):.3f} "
            f"median_cpu_s={med([h.solved_cpu_s for h in solved]):.3f} "
            f"after solving: median mean return {mean_after:.1f}, worst episode {worst_after:g}")


def publish(name, histories):
    """The summary line of variant ``name`` as rows of benchmarks/RESULTS.md."""
    solved = [h for h in histories if h.solved]
    seeds = f"{seeds_label(len(histories))} ({len(solved)} solved)"
    after = [h.returns_after_solving() for h in solved]
    for label, values in (("steps to solve", [h.solved_steps for h in solved]),
                          ("CPU s to solve", [h.solved_cpu_s for h in solved]),
                          ("mean return of the 100 episodes after solving",
                           [float(a.mean()) for a in after if a.size])):
        record("cartpole_critic", f"{name}: {label}", values, seeds=seeds)


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
    config = replace(Config(), stop="after_solved", max_steps=args.max_steps)
    print(f"actor config: {config}")
    print(f"critic config (gae): {C.CriticConfig()}  (the critic's γ, not the actor's)")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    lines = []
    for name in names:
        histories = []
        for seed in range(args.seeds):
            h = run(name, config, seed)
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
