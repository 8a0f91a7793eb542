"""Are notebook 10's asserts true on every learner's machine? Their spread over SEED and kernels.

Notebook 10 (``10_continuous_actions_lqr``) asserts what must hold for *any* SEED on *any*
machine. This script runs the notebook's own code cells (not a copy: it reads the .ipynb,
drops the ``%matplotlib`` magic, the explorer and the exercises, and replaces the
``SEED = 0`` line) for SEED = 0 … N−1 under each floating-point set-up of
``helpers.environment.floating_point_setups()``, and prints, for every quantity an assert
reads, its range over the seeds next to the bound the notebook asserts, and any assert that
failed.

    python benchmarks/lqr_claims.py --seeds 30                 # this machine's default
    python benchmarks/lqr_claims.py --seeds 30 --kernels all   # + Prescott, Sandybridge,
                                                               #   numpy SIMD narrowed

Each set-up runs in a fresh Python process (the set-ups' variables must be set before numpy
loads). About 10 s of CPU per SEED.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "10_continuous_actions_lqr.ipynb"


def notebook_cells() -> list[str]:
    """The code cells a learner's run executes, minus magics, the explorer and exercises."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
            continue
        src = cell.source
        if ("explorer" in src and "import" not in src) or "check(" in src:
            continue
        out.append("\n".join(line for line in src.splitlines() if not line.startswith("%")))
    return out


def run_seed(seed: int) -> dict:
    """Run the notebook's cells with SEED = ``seed``; return what its asserts read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns: dict = {}
    failures = []
    for i, src in enumerate(notebook_cells()):
        src = re.sub(r"^SEED = \d+", f"SEED = {seed}", src, flags=re.M)
        try:
            exec(compile(src, f"<cell {i}>", "exec"), ns)
        except AssertionError:
            failures.append(f"cell {i}: {traceback.format_exc().splitlines()[-2].strip()}")
        except Exception as err:   # a cell that crashes is a failure too, never a lost run
            failures.append(f"cell {i} raised {type(err).__name__}: {err}")
        plt.close("all")
    ep = ns.get("episodes")
    if ep is None or failures and any("raised" in f for f in failures):
        return {"seed": seed, "failures": failures}
    return {
        "seed": seed, "failures": failures,
        "|z| cost (< 4)": float(abs((ns["costs"].mean() - ns["C_T"]) / ns["se"])),
        "max |z| gradient (< 4)": float(np.abs(ns["z"]).max()),
        "full return / reward-to-go (> 2)": float(ns["full"] / ns["to_go"]),
        "reward-to-go / fitted baseline (> 2)": float(ns["to_go"] / ns["with_fit"]),
        "fitted / exact baseline (< 1.1)": float(ns["with_fit"] / ns["with_V"]),
        "argmin of the no-baseline curve (interior)": int(np.argmin(ns["rtg"])),
        "no baseline: min(ends)/min (> 3)": float(min(ns["rtg"][0], ns["rtg"][-1])
                                                  / ns["rtg"].min()),
        "baseline: tr Cov σ=0.05 / σ=0.1 (< 2.5)": float(ns["base"][0] / ns["base"][1]),
        "no baseline / baseline, smallest (> 4)": float((ns["rtg"] / ns["base"]).min()),
        "score with V / pathwise, smallest (> 1.5)": float(ns["ratio"].min()),
        "σ fixed: diverged (== 0)": ns["div_f"],
        "σ fixed: median end ratio (printed)": float(ns["end_f"]),
        "σ learned: diverged (>= 1)": ns["div_l"],
        "σ learned: median end ratio (> σ fixed's)": float(ns["end_l"]),
        "σ learned: median − σ fixed's (> 0)": float(ns["end_l"] - ns["end_f"]),
        "σ learned: largest σ (< 0.25)": float(ns["sig_l"]),
        "σ learned + baseline: diverged (== 0)": ns["div_b"],
        "σ learned + baseline: largest σ (< 0.25)": float(ns["sig_b"]),
        "σ learned + baseline: median end ratio (< 1.01)": float(ns["end_b"]),
        "vanilla: episodes to 1.05, max (reached)": max(ep["vanilla"]),
        "vanilla: episodes to 1.05, min": min(ep["vanilla"]),
        "natural: episodes to 1.05, max": max(ep["natural"]),
        "min vanilla / max natural episodes (> 5)": min(ep["vanilla"]) / max(ep["natural"]),
        "continuous cart-pole: fewest steps balanced (== 500)": min(ns["steps"]),
        "continuous cart-pole: fewest steps balanced by K0 (== 500)": min(ns["steps_0"]),
        "continuous cart-pole: largest C(K)/C(K*) (< 1.05)": float(max(ns["ratios"])),
        "continuous cart-pole: largest ‖K−K*‖/‖K*‖ (printed)": float(max(ns["gap"])),
        "continuous cart-pole: falls in training (printed)": int(sum(r.falls for r in ns["runs"])),
    }


def collect(n_seeds: int) -> list[dict]:
    return [run_seed(s) for s in range(n_seeds)]


def report(setup: str, rows: list[dict], n_seeds: int):
    print(f"\n== {setup}: SEED = 0 … {len(rows) - 1}")
    keys = [k for k in max(rows, key=len) if k not in ("seed", "failures")]
    rows = [r for r in rows if len(r) > 2] or rows
    print(f"{'quantity (the notebook asserts)':58s} {'min':>9s} {'max':>9s}")
    for k in keys:
        v = np.array([r[k] for r in rows], dtype=float)
        print(f"{k:58s} {np.min(v):9.4g} {np.max(v):9.4g}")
    failed = [(r["seed"], f) for r in rows for f in r["failures"]]
    print(f"asserts failed: {len(failed)}" + "".join(f"\n  SEED {s}: {f}" for s, f in failed))


def main(argv=None) -> int:
    import _claims  # benchmarks/_claims.py, imported here so tests can load this file

    return _claims.main(__file__, __doc__, collect, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
