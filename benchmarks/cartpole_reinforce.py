"""Benchmark for notebook 06: REINFORCE (numpy) on gymnasium's CartPole-v1, several seeds.

Trains with the notebook's agent (``helpers.reinforce.Config()``: reward-to-go, the batch-mean
per-timestep baseline, normalisation with a floor, Adam) on seeds 0 … N−1 until solved — the
mean return of the last 100 training episodes reaches 475 — and then 100 episodes more, still
training, to show that a solved policy stays solved.

Steps are real environment steps (gymnasium's autoreset dummy steps are excluded), counted to
the end of the episode that completed the solving window; wall time starts once the
vectorised environment is built and stops at the solve; the process's CPU time over the same
span is printed too, since wall time is noisy on a shared machine (the load average is
printed before and after). Every seed's figures are printed, then the spread over seeds: the
same seed trains a different run on another CPU or BLAS kernel (notebook 06, section 6), so
the spread is the result, not any one run.

    python benchmarks/cartpole_reinforce.py --seeds 10
    python benchmarks/cartpole_reinforce.py --seeds 30 --baseline leave_one_out
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import replace

import numpy as np
from _results import record, seeds_label

from helpers.environment import blas_kernel
from helpers.reinforce import BASELINES, Config, make_cartpole_env, train


def spread(values) -> str:
    """min, quartiles and max of ``values``, as text."""
    q = np.percentile(values, [0, 25, 50, 75, 100])
    return "min {:.0f}, quartiles {:.0f} / {:.0f} / {:.0f}, max {:.0f}".format(*q)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="train on seeds 0 … N−1")
    parser.add_argument("--max-steps", type=int, default=300_000,
                        help="give up on a seed after this many environment steps")
    parser.add_argument("--baseline", choices=BASELINES, default=Config().baseline,
                        help="the per-timestep baseline (default: the notebook's)")
    parser.add_argument("--min-std", type=float, default=Config().min_std,
                        help="the floor on the normalising std (0: no floor)")
    parser.add_argument("--record", action="store_true",
                        help="also write the summary lines to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.max_steps < 1:
        parser.error("--seeds and --max-steps must be at least 1")
    config = replace(Config(), stop="after_solved", max_steps=args.max_steps,
                     baseline=args.baseline, min_std=args.min_std)
    print(f"config: {config}")
    print(f"OpenBLAS kernel: {blas_kernel()}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    solved, stayed = [], []
    for seed in range(args.seeds):
        env = make_cartpole_env(config.n_envs)          # built before the clock starts
        h = train(config, seed=seed, env=env)
        env.close()
        after = h.returns_after_solving()
        if h.solved:
            solved.append(h)
            stayed.append(after.mean())
            print(f"seed {seed}: solved at steps={h.solved_steps} episodes={h.solved_episode} "
                  f"wall_s={h.solved_wall_s:.3f} cpu_s={h.solved_cpu_s:.3f}  mean return of the "
                  f"{after.size} episodes after solving={after.mean():.1f} (worst "
                  f"{after.min():.0f})  (autoreset steps masked: {h.dummy_steps})", flush=True)
        else:
            last = h.episode_returns[-100:]
            print(f"seed {seed}: NOT solved within {h.steps} steps "
                  f"(last-100 mean {sum(last) / len(last):.1f}) wall_s={h.wall_s:.3f}", flush=True)

    def med(values):
        return statistics.median(values) if values else float("nan")

    steps = [h.solved_steps for h in solved]
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f"; median CPU time to solve: {med([h.solved_cpu_s for h in solved]):.3f} s")
    if solved:
        print(f"steps to solve over the {len(solved)} solved seeds: {spread(steps)}")
        print(f"mean return of the 100 episodes after solving: {spread(stayed)}; "
              f"{sum(s >= 475 for s in stayed)}/{len(stayed)} seeds stayed at or above 475")
    print(f"solved {len(solved)}/{args.seeds} median_steps={med(steps):g} "
          f"median_episodes={med([h.solved_episode for h in solved]):g} "
          f"median_wall_s={med([h.solved_wall_s for h in solved]):.3f}")
    if args.record:
        what = f"REINFORCE (baseline={args.baseline}, min_std={args.min_std:g})"
        seeds = f"{seeds_label(args.seeds)} ({len(solved)} solved)"
        for label, values in (("steps to solve", steps),
                              ("CPU s to solve", [h.solved_cpu_s for h in solved]),
                              ("wall s to solve", [h.solved_wall_s for h in solved]),
                              ("mean return of the 100 episodes after solving", stayed)):
            record("cartpole_reinforce", f"{what}: {label}", values, seeds=seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
