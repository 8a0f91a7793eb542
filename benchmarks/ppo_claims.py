"""Are notebook 11's asserts true on every learner's machine? Their spread over seeds and kernels.

Notebook 11 asserts what must hold for *any* SEED on *any* machine. This script runs the
notebook's own code cells, for SEED = 0 … N−1 and under several floating-point set-ups, and
reports

* every ``assert`` of the notebook's tiny-MDP and gradient cells: how many SEEDs it held for
  (the cells are executed exactly as written, with the ``SEED = 0`` line changed and each
  ``assert`` recorded instead of raised), and the spread of the numbers behind them;
* the CartPole claims, which need training: PPO on seeds SEED … SEED+4 (all solve within
  150,000 steps, few clipped terms) and PPO with the "old" log-probabilities recomputed on
  seeds SEED and SEED+1 (no term is ever clipped; the prose quotes how many of these runs
  solve within 100,000 steps and how many collapse). Each training seed is trained once and
  shared by every window containing it. PPO stops once solved, so its budget matters only
  to a run that has not solved by then.

    python benchmarks/ppo_claims.py --seeds 30                  # this machine's default
    python benchmarks/ppo_claims.py --seeds 30 --kernels all    # + Prescott, Sandybridge,
                                                                #   numpy SIMD narrowed

Each set-up runs in a fresh Python process with its environment variables (OPENBLAS_CORETYPE
and NPY_DISABLE_CPU_FEATURES must be set before numpy loads), two seeds at a time.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing as mp
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "11_ppo_and_trust_regions.ipynb"
#: the notebook's CartPole settings (tests/test_ppo.py checks them against the notebook)
FEW, BUG, BUDGET, BUG_BUDGET, CLIPPED_AT_MOST = 5, 2, 150_000, 100_000, 0.1
#: a run whose last 100 episodes average fewer steps than this has collapsed
COLLAPSED = 10
#: the numbers behind the asserts, read from the notebook's namespace after its cells ran
QUANTITIES = {
    "§1 performance-difference identity: largest error": "max(errors)",
    "§1 U drop after its peak while ℒ climbs": "climb.U.max() - climb.U[-1]",
    "§2 smallest U − bound over 400 random pairs": "min(slack)",
    "§2 pairs (of 400) where ℒ alone is above U": "overshoot",
    "§4 best step: ℒ^CLIP / bound": "best['clipped'] / best['bound']",
    "§4 best step: U / ℒ^CLIP": "best['U'] / best['clipped']",
    "§3 Σ d KL / ½ΔᵀFΔ − 1 at |Δ| = 0.001": "kl / (0.5 * step @ F @ step) - 1",
    "§3 vanilla updates of π: angle (degrees)": "exact.angle_between(*vanilla)",
    "§3 natural updates of π: largest gap": "np.abs(natural_change[0] - natural_change[1]).max()",
    "§4 |∇ℒ^CLIP by hand − finite differences|": "np.abs(clip_grad - fd).max()",
    "§4 clip path: largest max-KL": "clip.max_kl.max()",
    "§4 clip path: U gain": "clip.U[-1] - clip.U[0]",
    "§6 CartPole gradient: |by hand − FD|": "gap",
    "§7 minibatch normalisation, m = 8: angle": "norm.angle",
    "§7 clipped value loss: v̂ after 100 epochs": "v[0]",
    "§7 approximate KL k1: standard deviation / mean": "spread['k1']",
    "§7 approximate KL k3: standard deviation / mean": "spread['k3']",
}
#: cells that train on CartPole (validated by training each seed once, below)
TRAINING = ("ppo.train(", "returns_at(", "in runs", "for h in bug")


def _cells():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        src = re.sub(r"^\s*%.*$", "", src, flags=re.M)
        out.append((src, any(t in src for t in TRAINING)))
    return out


_ASSERT = re.compile(r"^(\s*)assert (.+?)(\s+#.*)?$", re.M)


def notebook_numbers(seed: int) -> dict:
    """Run the notebook's non-training cells with SEED = seed; record every assert."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records: list = []

    def record(cell, text, value):
        records.append((cell, text, bool(value)))

    ns = {"__record__": record}
    for i, (src, training) in enumerate(_cells()):
        if training:
            continue
        src = re.sub(r"^SEED = \d+", f"SEED = {seed}", src, flags=re.M)
        src = _ASSERT.sub(lambda m, i=i: f"{m.group(1)}__record__({i}, {m.group(2)!r}, "
                                         f"{m.group(2)})", src)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, f"<cell {i}>", "exec"), ns)  # noqa: S102
    plt.close("all")
    values = {}
    for name, expr in QUANTITIES.items():
        values[name] = float(eval(expr, ns))  # noqa: S307
    ns["explorer"].close()
    return {"seed": seed, "asserts": records, "values": values}


def train_seed(job) -> dict:
    """The notebook's CartPole runs of one training seed."""
    from helpers import ppo

    seed, with_bug = job
    h = ppo.train(ppo.PPOConfig(max_steps=BUDGET, stop="solved"), seed=seed)
    out = {"seed": seed, "solved_steps": h.solved_steps,
           "clip_fractions": [u.clip_fraction for u in h.updates]}
    if with_bug:
        b = ppo.train(ppo.PPOConfig(max_steps=BUG_BUDGET, recompute_old=True), seed=seed)
        out["bug"] = {"solved": b.solved,
                      "max_clip_fraction": max(u.clip_fraction for u in b.updates),
                      "last_100": float(np.mean(b.episode_returns[-100:]))}
    return out


def collect(n_seeds: int) -> dict:
    from helpers.environment import blas_kernel, numpy_simd

    jobs = [(s, s < n_seeds + BUG - 1) for s in range(n_seeds + FEW - 1)]
    with mp.Pool(2) as pool:
        training = pool.map(train_seed, jobs, chunksize=1)
        cells = pool.map(notebook_numbers, range(n_seeds))
    return {"cells": cells, "train": training,
            "kernel": f"OpenBLAS kernel {blas_kernel()}, numpy SIMD {numpy_simd()}"}


def report(setup: str, raw: dict, n_seeds: int):
    print(f"\n== {setup}: SEED = 0 … {n_seeds - 1}")
    print(raw.get("kernel", ""))
    cells = raw["cells"][:n_seeds]
    held: dict = {}
    for row in cells:
        for cell, text, ok in row["asserts"]:
            held.setdefault((cell, text), []).append(ok)
    print(f"{len(held)} asserts of the notebook's cells (each recorded per SEED, and per "
          "loop pass where it sits in a loop):")
    for (cell, text), oks in held.items():
        print(f"  cell {cell:2d}: held {sum(oks)}/{len(oks)}  assert {text}")
    print(f"{'quantity':58s} {'min':>11s} {'max':>11s}")
    for name in QUANTITIES:
        v = [row["values"][name] for row in cells]
        print(f"{name:58s} {min(v):11.4g} {max(v):11.4g}")

    by = {r["seed"]: r for r in raw["train"]}
    windows = [[by[s + k] for k in range(FEW)] for s in range(n_seeds)]
    solved = [sum(r["solved_steps"] is not None for r in g) for g in windows]
    worst = [max((r["solved_steps"] or np.inf) for r in g) for g in windows]
    clipped = [float(np.median([f for r in g for f in r["clip_fractions"]])) for g in windows]
    print(f"§6 PPO, seeds SEED … SEED+{FEW - 1}, budget {BUDGET:,}:")
    print(f"  solved of {FEW}: min {min(solved)}, max {max(solved)}   (asserts == {FEW})")
    print(f"  slowest solve of the five: min {min(worst):,.0f}, max {max(worst):,.0f}")
    print(f"  median clipped fraction: min {min(clipped):.3f}, max {max(clipped):.3f}   "
          f"(asserts < {CLIPPED_AT_MOST})")
    steps = sorted(r["solved_steps"] for r in by.values() if r["solved_steps"])
    print(f"  every training seed: {len(steps)}/{len(by)} solved; steps min {steps[0]:,}, "
          f"median {int(np.median(steps)):,}, max {steps[-1]:,}")
    bug = [[by[s + k]["bug"] for k in range(BUG)] for s in range(n_seeds)]
    print(f"§7 recomputed old log-probs, seeds SEED … SEED+{BUG - 1}:")
    runs = [r["bug"] for r in raw["train"] if "bug" in r]
    frac = [b["max_clip_fraction"] for b in runs]
    print(f"  largest clipped fraction of any update: {max(frac)}   (asserts 0)")
    print(f"  runs (seeds 0–{len(runs) - 1}): {len(runs)}; solved within {BUG_BUDGET:,}: "
          f"{sum(b['solved'] for b in runs)}; collapsed (last 100 episodes average < "
          f"{COLLAPSED} steps): {sum(b['last_100'] < COLLAPSED for b in runs)}   (prose)")
    print(f"  pairs SEED, SEED+1 both solved: {sum(all(b['solved'] for b in g) for g in bug)}"
          f" of {n_seeds}")


def main(argv=None) -> int:
    import _claims  # benchmarks/_claims.py, imported here so tests can load this file

    return _claims.main(__file__, __doc__, collect, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
