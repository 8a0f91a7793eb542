"""Notebook 09's seed-dependent asserts, over seeds 0-29 in the 5-seed blocks the notebook uses.

Run it on the default kernels and under OPENBLAS_CORETYPE=Prescott and
NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" too:

    .venv/bin/python benchmarks/toy_lm_seeds.py
"""

import numpy as np

from helpers import toy_lm as LM


def main():
    task = LM.Task()
    th0 = task.initial_theta()
    start = task.mean_length(th0, "wrong")
    names = ["reinforce", "rloo", "grpo", "dr_grpo"]
    runs = LM.compare_training(task, names, 8, 2400, 4.0, range(34))
    exact = LM.expected_update(task, th0, "grpo", 8)
    var = LM.update_variance(task, th0, "grpo", 8)
    grpo, rloo, final_j, same, z, var_err = [], [], [], True, [], []
    for s in range(30):
        block = {e: rs[s:s + 5] for e, rs in runs.items()}
        grpo.append(np.mean([r.wrong_length[-1] for r in block["grpo"]]))
        rloo.append(np.mean([r.wrong_length[-1] for r in block["rloo"]]))
        final_j.append(min(np.mean([r.J[-1] for r in rs]) for rs in block.values()))
        same &= all(np.allclose(a.J, b.J, atol=1e-9)
                    for a, b in zip(block["rloo"], block["dr_grpo"], strict=True))
        rng = np.random.default_rng(s)
        d = np.array([LM.estimate(task, th0, "grpo", 8, rng) for _ in range(2000)])
        se = d.std(0, ddof=1) / np.sqrt(len(d))
        z.append(np.max(np.abs(d.mean(0) - exact) / (se + 1e-15)))
        var_err.append(abs(d.var(0).sum() / var - 1))
    grpo, rloo = np.array(grpo), np.array(rloo)
    print(f"wrong-answer length at the start {start:.3f}; GRPO (5-seed means) min "
          f"{grpo.min():.3f} (asserted > {start + 0.25:.3f})")
    print(f"GRPO − RLOO min {np.min(grpo - rloo):.3f} (asserted > 0.25); |RLOO − start| max "
          f"{np.max(np.abs(rloo - start)):.3f} (asserted < 0.2)")
    print(f"smallest final J (5-seed mean) {min(final_j):.4f} (asserted > 0.97); "
          f"RLOO run = Dr. GRPO run: {same}")
    print(f"Monte Carlo check of GRPO's mean: max z {max(z):.2f} (asserted < 4.5), "
          f"max |variance ratio − 1| {max(var_err):.3f} (asserted < 0.15)")


if __name__ == "__main__":
    main()
