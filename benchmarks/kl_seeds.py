"""Notebook 12's seed-dependent asserts, over SEED = 0-29 and the floating-point set-ups.

Notebook 12 (``12_kl_penalties``) samples once: 4,000 answers per prompt from the model 3
steps into training, drawn with ``default_rng(SEED)``, to check k3's exact mean and
variance per token by Monte Carlo. Everything else it asserts is exact (enumeration,
deterministic ascent on exact expected updates) and does not depend on the seed. This
script repeats the sampled check for SEED = 0..29 and prints the worst values next to the
notebook's thresholds, under each floating-point set-up of
``helpers.environment.floating_point_setups()`` (a fresh process each), with the exact
quantities the prose quotes, which must agree across set-ups to rounding.

    .venv/bin/python benchmarks/kl_seeds.py            # every set-up
    .venv/bin/python benchmarks/kl_seeds.py --here     # this process only
"""

import sys

import numpy as np

from helpers import kl, toy_lm
from helpers.environment import blas_kernel, floating_point_setups, numpy_simd, run_under_setup

N_SEEDS, N_DRAWS = 30, 4000


def sampled_check(family, task, theta, ref, seed, name="k3"):
    """The notebook's Monte Carlo cell for one SEED: (z, variance ratio)."""
    rng = np.random.default_rng(seed)
    values = kl.estimates(family, theta, ref, name, "token")
    rows = np.array([task.sample(theta, q, N_DRAWS, rng) for q in range(3)])
    draws = values[np.arange(3)[:, None], rows].mean(0)
    exact = kl.estimate_moments(family, theta, ref, name, "token")
    z = (draws.mean() - exact.mean) / (draws.std(ddof=1) / np.sqrt(draws.size))
    return float(z), float(draws.var(ddof=1) / exact.trace_cov)


def here():
    task = toy_lm.Task()
    family = kl.Family(task)
    ref = kl.reference(family, family.initial_theta())
    trained = kl.train(family, ref, 0.0, "none", 100, 4.0).theta
    early = kl.train(family, ref, 0.0, "none", 3, 4.0).theta
    name = sys.argv[-1] if sys.argv[-1] in kl.ESTIMATORS else "k3"
    zs, ratios = zip(*(sampled_check(family, task, early, ref, s, name)
                       for s in range(N_SEEDS)), strict=True)
    zs, ratios = np.abs(zs), np.abs(np.array(ratios) - 1)
    print(f"BLAS kernel {blas_kernel()}; numpy SIMD {' '.join(numpy_simd()) or 'baseline'}")
    print(f"  |z| of {name}'s sampled mean, SEED 0..{N_SEEDS - 1}: max {zs.max():.2f} "
          f"(asserted < 4.5), median {np.median(zs):.2f}")
    print(f"  |variance ratio − 1|: max {ratios.max():.3f} (asserted < 0.2), "
          f"median {np.median(ratios):.3f}")
    table = {r["estimator"] + " " + r["placement"] + " " + r["level"]: r
             for r in kl.gradient_table(family, trained, ref)}
    print(f"  exact: KL {kl.kl(family, trained, ref):.12f}, k3 loss/sequence length "
          f"{table['k3 loss sequence']['ratio']:.12f}, k2 loss/token angle "
          f"{table['k2 loss token']['angle']:.12f}")


def main():
    if "--here" in sys.argv:
        here()
        return
    for name in floating_point_setups():
        print(f"== {name}")
        print(run_under_setup(name, [__file__, "--here"]), end="")


if __name__ == "__main__":
    main()
