"""REINFORCE on the LQR (notebook 10): vanilla against natural gradient, per seed and as a
spread over seeds, and the continuous-force CartPole's returns.

(a) The linearised cart-pole of notebook 10 (``lqr.cartpole_task()``), from the gain
K0 = (−1, −2, −30, −8) with σ = 0.3, m = 20 episodes per update and step η = 1, the
notebook's settings. Each seed trains alone (so its wall time is its own) for 4,000 episodes
(200 updates); the line gives the episodes it took until the exact C(K)/C(K*) first reached
1.05, ‖K − K*‖/‖K*‖ and the wall time at that point, and C(K)/C(K*) and ‖K − K*‖/‖K*‖ after
all 4,000 episodes.

(b) CartPole-v1 with a continuous force (``helpers.continuous_cartpole``): 8 natural-gradient
updates of 20 episodes each on gymnasium's physics, then the trained policy plays 10 episodes
with its σ = 0.3 and 10 with σ = 0; a return is the number of steps balanced (500 = the time
limit). The untrained K0's returns are printed first: it balances too, and what training
changes is the cost.

    .venv/bin/python benchmarks/lqr.py --seeds 10 [--record]

``--record`` writes each line's numbers to benchmarks/RESULTS.md (benchmarks/_results.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from helpers import continuous_cartpole, lqr

K0 = np.array([[-1.0, -2.0, -30.0, -8.0]])
SIGMA, EPISODES, STEP, TARGET = 0.3, 20, 1.0, 1.05


def train_one(task, method, seed, collector=None, max_updates=200, target=TARGET):
    """One seed's run; the wall time to each update (the clock of the whole run)."""
    t0 = time.perf_counter()
    run = lqr.train(task, K0, SIGMA, method=method, seeds=[seed], episodes=EPISODES,
                    step_size=STEP, max_updates=max_updates, target=target,
                    collector=collector, stop_at_target=False)[0]
    return run, time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 … N−1")
    parser.add_argument("--record", action="store_true",
                        help="write the numbers to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    task = lqr.cartpole_task()
    K_star, _ = lqr.optimal_gain(task)
    seeds = range(args.seeds)
    rows = {}

    print(f"(a) linearised cart-pole from K0 = {K0.ravel().tolist()}: C(K0)/C(K*) = "
          f"{lqr.cost(task, K0) / lqr.cost(task, K_star):.3f}; σ = {SIGMA}, m = {EPISODES}, "
          f"η = {STEP}, stop at C(K)/C(K*) ≤ {TARGET}")
    print(f"{'method':8} {'seed':>4} {'episodes':>8} {'‖K−K*‖/‖K*‖':>12} {'wall s':>7} │ "
          f"{'C/C* at 4000':>12} {'‖K−K*‖/‖K*‖':>12}")
    for method in ("vanilla", "natural"):
        per = {"episodes": [], "distance": [], "wall s": [], "C/C* at 4000": [],
               "distance at 4000": []}
        for s in seeds:
            run, wall = train_one(task, method, s)
            ep = run.episodes_to_target
            at = run.episodes.index(ep) if ep is not None else -1
            dist = np.linalg.norm(run.gains[at] - K_star) / np.linalg.norm(K_star)
            final = np.linalg.norm(run.gain - K_star) / np.linalg.norm(K_star)
            wall_at = wall * at / (len(run.episodes) - 1) if ep is not None else np.nan
            for key, v in (("episodes", np.nan if ep is None else ep), ("distance", dist),
                           ("wall s", wall_at), ("C/C* at 4000", run.ratios[-1]),
                           ("distance at 4000", final)):
                per[key].append(v)
            print(f"{method:8} {s:4d} {str(ep):>8} {dist:12.4f} {wall_at:7.2f} │ "
                  f"{run.ratios[-1]:12.4f} {final:12.4f}"
                  + ("  (diverged)" if run.diverged else ""))
        rows[method] = per
    print("spread over seeds (min · median · max):")
    for method, per in rows.items():
        for key, v in per.items():
            v = np.asarray(v, dtype=float)
            print(f"  {method:8} {key:16} {np.nanmin(v):9.4g} · {np.nanmedian(v):9.4g} · "
                  f"{np.nanmax(v):9.4g}" + (f"  ({np.isnan(v).sum()} not reached)"
                                            if np.isnan(v).any() else ""))

    print("\n(b) continuous-force CartPole-v1: 8 natural-gradient updates on gymnasium's "
          "physics, then 10 episodes with σ = 0.3 and 10 with σ = 0")
    # the untrained K0 for comparison: it balances too, so the returns alone say little
    untrained = [continuous_cartpole.balance(K0, SIGMA, seed=1000 * s + e)
                 for s in seeds for e in range(10)]
    print(f"K0 untrained, σ = {SIGMA}: mean return {np.mean(untrained):.1f} (min "
          f"{min(untrained)}) over {len(untrained)} episodes; C(K0)/C(K*) = "
          f"{lqr.cost(task, K0) / lqr.cost(task, K_star):.3f}")
    print(f"{'seed':>4} {'C/C*':>7} {'‖K−K*‖/‖K*‖':>12} {'falls':>5} {'return σ=0.3':>14} "
          f"{'return σ=0':>12} {'train s':>8}")
    real = {"C/C*": [], "distance": [], "return σ=0.3": [], "return σ=0": [], "train s": []}
    for s in seeds:
        run, wall = train_one(task, "natural", s, continuous_cartpole.collector(task),
                              max_updates=8)
        noisy = [continuous_cartpole.balance(run.gain, SIGMA, seed=1000 * s + e)
                 for e in range(10)]
        quiet = [continuous_cartpole.balance(run.gain, 0.0, seed=1000 * s + e)
                 for e in range(10)]
        dist = np.linalg.norm(run.gain - K_star) / np.linalg.norm(K_star)
        for key, v in (("C/C*", run.ratios[-1]), ("distance", dist),
                       ("return σ=0.3", np.mean(noisy)), ("return σ=0", np.mean(quiet)),
                       ("train s", wall)):
            real[key].append(v)
        print(f"{s:4d} {run.ratios[-1]:7.4f} {dist:12.4f} {run.falls:5d} "
              f"{np.mean(noisy):8.1f} (min {min(noisy)}) {np.mean(quiet):6.1f} "
              f"(min {min(quiet)}) {wall:6.2f}")
    for key, v in real.items():
        print(f"  {key:14} {np.min(v):9.4g} · {np.median(v):9.4g} · {np.max(v):9.4g}")

    if args.record:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "_results", Path(__file__).with_name("_results.py"))
        results = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(results)
        label = results.seeds_label(args.seeds)
        for method, per in rows.items():
            reached = [e for e in per["episodes"] if np.isfinite(e)]
            results.record("lqr", f"{method} gradient: episodes to C(K)/C(K*) ≤ 1.05",
                           reached, seeds=f"{label} ({len(reached)} reached)")
            results.record("lqr", f"{method} gradient: ‖K − K*‖/‖K*‖ there", per["distance"],
                           seeds=label)
            results.record("lqr", f"{method} gradient: wall s to C(K)/C(K*) ≤ 1.05",
                           per["wall s"], seeds=label)
            results.record("lqr", f"{method} gradient: C(K)/C(K*) after 4,000 episodes",
                           per["C/C* at 4000"], seeds=label)
        results.record("lqr", "continuous CartPole: mean return, σ = 0.3",
                       real["return σ=0.3"], seeds=label)
        results.record("lqr", "continuous CartPole: trained C(K)/C(K*)", real["C/C*"],
                       seeds=label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
