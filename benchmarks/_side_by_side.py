"""Train CartPole agents side by side in one run: what ``cartpole_critic.py`` and
``cartpole_ppo.py`` share.

A script supplies its variants (name → setting) and ``run(name, seed, max_steps)``, which
builds its environment *before* the clock starts and returns the training history
(``helpers.reinforce.History`` or one with the same fields) — :func:`train_actor` is that run
for notebook 06's REINFORCE and notebook 07's actor-critic; :func:`main` trains every
variant asked for on seeds 0 … N−1, one after the other in this one process, so that the
machine's load falls on every variant alike, prints each seed as it ends and then one
summary line per variant, and with ``--record`` writes the summaries as rows of
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable
from dataclasses import replace

from _results import record, seeds_label

from helpers import critic, reinforce


def train_actor(critic_config, seed: int, max_steps: int):
    """Notebook 06's REINFORCE (``critic_config=None``) or notebook 07's actor-critic with
    ``critic_config``, on ``reinforce.Config()``, until solved and 100 episodes more (or
    ``max_steps``); the environment is built before the clock starts."""
    config = replace(reinforce.Config(), stop="after_solved", max_steps=max_steps)
    env = reinforce.make_cartpole_env(config.n_envs)
    if critic_config is None:
        history = reinforce.train(config, seed=seed, env=env)
    else:
        history, _ = critic.train(config, critic_config, seed=seed, env=env)
    env.close()
    return history


def _median(values) -> float:
    return statistics.median(values) if values else float("nan")


def _after(solved) -> list:
    """Returns of the episodes after each solve (up to 100), for the seeds that have any."""
    return [a for a in (h.returns_after_solving() for h in solved) if a.size]


def summary(name: str, histories, width: int = 19) -> str:
    """One line: solved k/N, the medians to solve and how the runs fared after solving."""
    solved = [h for h in histories if h.solved]
    after = _after(solved)
    return (f"{name:{width}s} solved {len(solved)}/{len(histories)} "
            f"median_steps={_median([h.solved_steps for h in solved]):g} "
            f"median_episodes={_median([h.solved_episode for h in solved]):g} "
            f"median_wall_s={_median([h.solved_wall_s for h in solved]):.3f} "
            f"median_cpu_s={_median([h.solved_cpu_s for h in solved]):.3f} "
            f"after solving: median mean return "
            f"{_median([float(a.mean()) for a in after]):.1f}, "
            f"worst episode {min((float(a.min()) for a in after), default=float('nan')):g} "
            f"(seeds with 100 episodes after: {sum(a.size == 100 for a in after)})")


def publish(benchmark: str, name: str, histories) -> None:
    """The summary of variant ``name`` as rows of benchmarks/RESULTS.md."""
    solved = [h for h in histories if h.solved]
    seeds = f"{seeds_label(len(histories))} ({len(solved)} solved)"
    after = _after(solved)
    for label, values in (("steps to solve", [h.solved_steps for h in solved]),
                          ("CPU s to solve", [h.solved_cpu_s for h in solved]),
                          ("wall s to solve", [h.solved_wall_s for h in solved]),
                          ("mean return of the 100 episodes after solving",
                           [float(a.mean()) for a in after]),
                          ("worst episode of the 100 after solving",
                           [float(a.min()) for a in after])):
        record(benchmark, f"{name}: {label}", values, seeds=seeds)


def _load() -> str:
    return "load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(benchmark: str, description: str, variants: dict,
         run: Callable[[str, int, int], object], configs: list[str], argv=None) -> int:
    """Parse ``--seeds --max-steps --variants --record``, train, print (and record)."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="train on seeds 0 … N−1")
    parser.add_argument("--max-steps", type=int, default=300_000,
                        help="give up on a seed after this many environment steps")
    parser.add_argument("--variants", default=",".join(variants),
                        help=f"comma-separated, from {', '.join(variants)}")
    parser.add_argument("--record", action="store_true",
                        help="also write the summary lines to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in variants]
    if args.seeds < 1 or args.max_steps < 1:
        parser.error("--seeds and --max-steps must be at least 1")
    if unknown or not names:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(variants)}")
    print("\n".join(configs))
    print(f"every run: until solved and 100 episodes more, or {args.max_steps:,} environment "
          "steps (--max-steps)")
    print(_load())
    width = max(map(len, variants)) + 2
    lines = []
    for name in names:
        histories = []
        for seed in range(args.seeds):
            h = run(name, seed, args.max_steps)
            histories.append(h)
            state = (f"solved at steps={h.solved_steps} wall_s={h.solved_wall_s:.3f}"
                     if h.solved else f"NOT solved within {h.steps} steps")
            print(f"{name} seed {seed}: {state}", flush=True)
        lines.append(summary(name, histories, width))
        if args.record:
            publish(benchmark, name, histories)
    print(_load())
    print("\n".join(lines))
    return 0
