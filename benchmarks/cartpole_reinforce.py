"""Benchmark for notebook 06: REINFORCE (numpy) on gymnasium's CartPole-v1, several seeds.

Trains with the notebook's default settings (``helpers.reinforce.Config()``) on seeds
0 … N−1 until solved — the mean return of the last 100 training episodes reaches 475 — and
then 100 episodes more, still training, to show that a solved policy stays solved.

Steps are real environment steps (gymnasium's autoreset dummy steps are excluded); wall
time starts once the vectorised environment is built and stops when the run is solved; the
process's CPU time over the same span is printed too, since wall time is noisy on a shared
machine (the load average is printed before and after).

    python benchmarks/cartpole_reinforce.py --seeds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import replace

from helpers.reinforce import Config, make_cartpole_env, train


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="train on seeds 0 … N−1")
    parser.add_argument("--max-steps", type=int, default=300_000,
                        help="give up on a seed after this many environment steps")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.max_steps < 1:
        parser.error("--seeds and --max-steps must be at least 1")
    config = replace(Config(), stop="after_solved", max_steps=args.max_steps)
    print(f"config: {config}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    solved = []
    for seed in range(args.seeds):
        env = make_cartpole_env(config.n_envs)          # built before the clock starts
        h = train(config, seed=seed, env=env)
        env.close()
        after = h.returns_after_solving()
        if h.solved:
            solved.append(h)
            print(f"seed {seed}: solved at steps={h.solved_steps} episodes={h.solved_episode} "
                  f"wall_s={h.solved_wall_s:.3f} cpu_s={h.solved_cpu_s:.3f}  mean return of the "
                  f"{after.size} episodes after solving={after.mean():.1f}  "
                  f"(autoreset steps masked: {h.dummy_steps})")
        else:
            last = h.episode_returns[-100:]
            print(f"seed {seed}: NOT solved within {h.steps} steps "
                  f"(last-100 mean {sum(last) / len(last):.1f}) wall_s={h.wall_s:.3f}")

    def med(values):
        return statistics.median(values) if values else float("nan")

    steps = med([h.solved_steps for h in solved])
    episodes = med([h.solved_episode for h in solved])
    wall = med([h.solved_wall_s for h in solved])
    cpu = med([h.solved_cpu_s for h in solved])
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f"; median CPU time to solve: {cpu:.3f} s")
    print(f"solved {len(solved)}/{args.seeds} median_steps={steps:g} "
          f"median_episodes={episodes:g} median_wall_s={wall:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
