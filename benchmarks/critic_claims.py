"""Are notebook 07's asserts true on every learner's machine? Their spread over seeds and kernels.

Notebook 07 asserts what must hold for *any* SEED on *any* machine. This script computes every
quantity those asserts (and the prose beside them) read, the way the notebook computes it, for
SEED = 0 … N−1, under several floating-point set-ups, and prints each quantity's range over
SEED next to the bound the notebook asserts:

* the exact tiny-MDP quantities at θ = (0.5, −1) (no seed: once per set-up);
* the ones that depend on the notebook's ``rng = np.random.default_rng(SEED)``: the tabular
  v̂ learned from 300 sampled episodes, the one-step bias, the GAE(λ) sweep, the critic's
  gradient against finite differences (drawn from the same generator, in the notebook's order);
* the CartPole runs: the ten-seed comparison (seeds SEED … SEED+9, 60,000 steps, notebook
  06's REINFORCE against the GAE(0.95) critic), the five-seed λ comparison at 30,000 steps,
  and the advantage explorer built from the GAE run of seed SEED.

    python benchmarks/critic_claims.py --seeds 30                  # this machine's default
    python benchmarks/critic_claims.py --seeds 30 --kernels all    # + Prescott, Sandybridge,
                                                                   #   numpy SIMD narrowed

Each set-up runs in a fresh Python process with its environment variables (OPENBLAS_CORETYPE
and NPY_DISABLE_CPU_FEATURES must be set before numpy loads), two seeds at a time; each
training seed is trained once and shared by every window that contains it. About 3 minutes of
CPU per set-up for 30 seeds.
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np

#: the notebook's settings (kept equal to notebooks/07_learned_baseline_and_actor_critic.ipynb
#: by tests/test_critic.py::test_claims_script_matches_the_notebook)
THETA = (0.5, -1.0)
N_LEARN, STEP_SIZE, N_SAMPLE = 300, 0.05, 1000
BUDGET, SHORT = 60_000, 30_000
WINDOW, FEW = 10, 5
EXPLORER_STEPS, EXPLORER_EPISODES = 3_000, 16



def _problem():
    from helpers import mdp as M

    mdp, policy = M.example_mdp()
    return mdp, policy, np.array(THETA)


def exact() -> dict:
    """Sections 1, 2 and 4's exact numbers: no seed enters them."""
    from helpers import critic as C
    from helpers import exact as exact_engine
    from helpers import mdp as M

    mdp, policy, theta = _problem()
    V, _ = M.policy_evaluation(mdp, policy, theta)
    plain = C.estimator_moments(mdp, policy, theta)
    with_V = C.estimator_moments(mdp, policy, theta, values=V)
    best = C.baseline_moments(mdp, policy, theta, C.optimal_baseline(mdp, policy, theta))
    per_param = C.baseline_moments(mdp, policy, theta,
                                   C.optimal_baseline(mdp, policy, theta, per_parameter=True))
    batch_mean = C.batch_baseline_moments(mdp, policy, theta, 2)
    loo = C.batch_baseline_moments(mdp, policy, theta, 2, kind="leave_one_out")
    ac_V = C.estimator_moments(mdp, policy, theta, values=V, lam=0.0)
    B = C.critic_bias_matrix(mdp, policy, theta, lam=0.0)
    d = M.discounted_visitation(mdp, policy, theta)
    formula = mdp.gamma * np.einsum("s,sa,sat,sak->kt", d, policy.probs(theta), mdp.P,
                                    policy.scores(theta))
    live = ~mdp.terminal
    return {
        "bias no baseline, V": max(plain.bias_norm, with_V.bias_norm),
        "trcov V / none": with_V.trace_cov / plain.trace_cov,
        "trcov b* / V": best.trace_cov / with_V.trace_cov,
        "per-parameter b* − b*": abs(per_param.trace_cov - best.trace_cov),
        "mse batch mean − V (m=2)": batch_mean.mse - with_V.averaged(2).mse,
        "n/s batch mean − none": batch_mean.noise_to_signal - plain.averaged(2).noise_to_signal,
        "bias leave-one-out": loo.bias_norm,
        "n/s leave-one-out − V": loo.noise_to_signal - with_V.averaged(2).noise_to_signal,
        "E[g] batch mean / ∇U": (batch_mean.mean / with_V.mean).tolist(),
        "bias δ with V": ac_V.bias_norm,
        "trcov δ with V / G − V": ac_V.trace_cov / with_V.trace_cov,
        "B − formula": float(np.abs(B[:, live] - formula[:, live]).max()),
        "tilt batch mean (deg)": exact_engine.angle_between(batch_mean.mean, with_V.mean),
    }


def mdp_per_seed(seed: int) -> dict:
    """Sections 3–6's rng-dependent numbers, drawing from the notebook's generator in order."""
    from helpers import critic as C
    from helpers import finite_difference_gradient
    from helpers import mdp as M

    mdp, policy, theta = _problem()
    rng = np.random.default_rng(seed)
    V, _ = M.policy_evaluation(mdp, policy, theta)
    with_V = C.estimator_moments(mdp, policy, theta, values=V)
    episodes = M.sample_trajectories(mdp, policy, theta, N_LEARN, rng)              # §3
    v_mc = C.learn_values(mdp, episodes, method="mc", step_size=STEP_SIZE)
    v_td = C.learn_values(mdp, episodes, method="td", step_size=STEP_SIZE)
    live = ~mdp.terminal
    learned = [C.estimator_moments(mdp, policy, theta, values=v[-1]) for v in (v_mc, v_td)]
    ac = C.estimator_moments(mdp, policy, theta, values=v_td[-1], lam=0.0)          # §4
    B = C.critic_bias_matrix(mdp, policy, theta, lam=0.0)
    sample = M.sample_trajectories(mdp, policy, theta, N_SAMPLE, rng)               # §5
    v = v_td[-1]
    G_minus_v = np.where(sample.mask, sample.reward_to_go() - v[sample.states], 0.0)
    lams = np.linspace(0, 1, 21)
    sweep = [C.estimator_moments(mdp, policy, theta, values=v, lam=lam) for lam in lams]
    bias = np.array([mo.bias_norm for mo in sweep])
    var = np.array([mo.trace_cov for mo in sweep])
    best_lam = {m: round(float(lams[np.argmin(bias**2 + var / m)]), 2) for m in (2, 100)}
    net = C.ValueNetwork(hidden=16, rng=rng).set_params(rng.normal(size=97) * 0.3)  # §6
    S, y = rng.normal(size=(8, 4)), rng.normal(size=8) * 50

    def loss(w):
        return C.ValueNetwork(hidden=16, rng=rng).set_params(w).loss(S, y)

    gap = np.max(np.abs(net.loss_grad(S, y) - finite_difference_gradient(loss, net.w, h=1e-6)))
    two = sample.mask[:, 1]                        # §5: A_0 at λ = 0.5, two-step episodes
    s, r = sample.states[two], sample.rewards[two]
    A0 = r[:, 0] + 0.5 * r[:, 1] + 0.5 * v[s[:, 1]] - v[s[:, 0]]
    A0_gap = np.abs(C.mdp_advantages(mdp, sample, v, lam=0.5)[two, 0] - A0).max()
    return {
        "seed": seed,
        "A, B: MC != TD": not np.allclose(v_mc[:, :2], v_td[:, :2]),
        "A0 formula gap": float(A0_gap),
        "err MC": float(np.abs(v_mc[-1, live] - V[live]).max()),
        "err TD": float(np.abs(v_td[-1, live] - V[live]).max()),
        "C, D: MC == TD": bool(np.array_equal(v_mc[:, 2:4], v_td[:, 2:4])),
        "bias learned": max(mo.bias_norm for mo in learned),
        "ratio MC": learned[0].trace_cov / with_V.trace_cov,
        "ratio TD": learned[1].trace_cov / with_V.trace_cov,
        "bias δ with v̂_TD": ac.bias_norm,
        "B e − bias": float(np.abs(ac.bias - B @ (v_td[-1] - V)).max()),
        "λ=1 − (G − v̂)": float(np.abs(C.mdp_advantages(mdp, sample, v, lam=1.0)
                                     - G_minus_v).max()),
        "λ=0 == δ": bool(np.array_equal(C.mdp_advantages(mdp, sample, v, lam=0.0),
                                        C.mdp_td_errors(mdp, sample, v))),
        "bias line": float(np.abs(bias - (1 - lams) * bias[0]).max()),
        "var0 / var1": float(var[0] / var[-1]),
        "best λ m=2": best_lam[2],
        "best λ m=100": best_lam[100],
        "fd gap": float(gap),
    }


def train_seed(job) -> dict:
    """The CartPole runs of one training seed: every window containing it reads them."""
    from helpers import critic as C
    from helpers import reinforce

    seed, short_too, explorer_too = job
    config = reinforce.Config(max_steps=BUDGET)
    runs = {"reinforce": reinforce.train(config, seed=seed),
            "gae": C.train(config, C.CriticConfig(lam=0.95), seed=seed)[0]}
    out = {"seed": seed}
    for name, h in runs.items():
        after = h.returns_after_solving(BUDGET)
        out[name] = {"solved_steps": h.solved_steps,
                     "after_mean": float(after.mean()) if after.size else None,
                     "at_budget": float(h.returns_at([BUDGET])[0]),
                     "at_short": float(h.returns_at([SHORT])[0])}
    if short_too:
        short = reinforce.Config(max_steps=SHORT)
        for lam in (1.0, 0.0):
            h = C.train(short, C.CriticConfig(lam=lam), seed=seed)[0]
            out[f"lam{lam:g}"] = float(h.returns_at([SHORT])[0])
    if explorer_too:
        out["explorer"] = explorer_numbers(runs["gae"], seed)
    return out


def explorer_numbers(gae_run, seed: int) -> dict:
    """Section 7's explorer as the notebook builds it, at every η_w its slider offers."""
    from helpers import reinforce
    from helpers.widgets.advantage_explorer import LR_OPTIONS, AdvantageExplorer

    player = reinforce.policy_from(gae_run, int(np.searchsorted(gae_run.batch_steps,
                                                                EXPLORER_STEPS)))
    played = reinforce.sample_episodes(player, EXPLORER_EPISODES, seed=seed)
    half = EXPLORER_EPISODES // 2
    ex = AdvantageExplorer(player, played[:half], played[half:EXPLORER_EPISODES], lam=0.95,
                           lr=0.01, seed=seed)
    out = {}
    for lr in (0.01, *(x for x in LR_OPTIONS if x != 0.01)):
        ex.lr.value = lr
        if ex.message.value:      # the explorer refused this step size (its message says why)
            out[f"{lr:g}"] = {"message": ex.message.value}
            continue
        v_max = float(np.abs(np.asarray(ex.line_v.get_ydata())).max())
        out[f"{lr:g}"] = {"message": "", "explained": ex.explained(),
                          "warned": "⚠" in ex.readout.value, "v_max": v_max,
                          "var": [ex.variance[x] for x in (0.95, 1.0, 0.0)]}
    ex.lr.value = 0.01
    ex.lam.value = 0.0
    out["λ=0 line == δ"] = bool(np.allclose(ex.line_lam.get_ydata(), ex.line_td.get_ydata()))
    ex.close()
    return out


def collect(n_seeds: int) -> dict:
    jobs = [(s, s < n_seeds + FEW - 1, s < n_seeds) for s in range(n_seeds + WINDOW - 1)]
    from helpers.environment import blas_kernel, numpy_simd

    with mp.Pool(2) as pool:
        training = pool.map(train_seed, jobs, chunksize=1)
        mdp_rows = pool.map(mdp_per_seed, range(n_seeds))
    return {"exact": exact(), "mdp": mdp_rows, "train": training,
            "kernel": f"OpenBLAS kernel {blas_kernel()}, numpy SIMD {numpy_simd()}"}


def claims(raw: dict, n_seeds: int) -> list[tuple]:
    """(quantity, min over SEED, max over SEED, the notebook's bound, missing) for SEED < N."""
    out = []

    def add(name, values, bound):
        v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
        out.append((name, float(np.nanmin(v)), float(np.nanmax(v)), bound,
                    int(np.isnan(v).sum())))

    ex = raw["exact"]
    add("§1 ‖bias‖ no baseline and V (exact)", [ex["bias no baseline, V"]], "< 1e-12")
    add("§1 tr Cov: V / no baseline (exact)", [ex["trcov V / none"]], "< 1")
    add("§1 tr Cov: b* / V (exact)", [ex["trcov b* / V"]], "< 0.7")
    add("§1 |tr Cov per-parameter b* − b*| (exact)", [ex["per-parameter b* − b*"]], "< 1e-12")
    add("§2 MSE: batch mean − V, m=2 (exact)", [ex["mse batch mean − V (m=2)"]], "< 0")
    add("§2 noise/signal: batch mean − none (exact)", [ex["n/s batch mean − none"]], "> 0")
    add("§2 ‖bias‖ leave-one-out (exact)", [ex["bias leave-one-out"]], "< 1e-12")
    add("§2 noise/signal: leave-one-out − V (exact)", [ex["n/s leave-one-out − V"]], "> 0")
    add("§4 ‖bias‖ δ_t with V (exact)", [ex["bias δ with V"]], "< 1e-12")
    add("§4 tr Cov: δ_t with V / G_t − V (exact)", [ex["trcov δ with V / G − V"]], "< 1")
    add("§4 |B − formula| (exact)", [ex["B − formula"]], "allclose 1e-12")
    add("§2 tilt of the batch mean, m=2 (°, exact)", [ex["tilt batch mean (deg)"]],
        "in (5, 15)")

    rows = raw["mdp"][:n_seeds]
    add("§3 largest |v̂_MC − V| after 300 episodes", [r["err MC"] for r in rows], "(printed)")
    add("§3 largest |v̂_TD − V| after 300 episodes", [r["err TD"] for r in rows], "(printed)")
    add("§3 C, D: MC updates == TD updates", [r["C, D: MC == TD"] for r in rows], "== 1")
    add("§3 A, B: MC and TD differ", [r["A, B: MC != TD"] for r in rows],
        "== 1 (not allclose)")
    add("§3 ‖bias‖ with v̂ as baseline", [r["bias learned"] for r in rows], "< 1e-12")
    add("§3 tr Cov: v̂_MC / V", [r["ratio MC"] for r in rows], "in (0.75, 1.35)")
    add("§3 tr Cov: v̂_TD / V", [r["ratio TD"] for r in rows], "in (0.75, 1.35)")
    add("§4 ‖bias‖ δ_t with v̂_TD", [r["bias δ with v̂_TD"] for r in rows], "in (1e-4, 0.1)")
    add("§4 |B e − bias|", [r["B e − bias"] for r in rows], "allclose 1e-12")
    add("§5 |GAE(1) − (G − v̂)|", [r["λ=1 − (G − v̂)"] for r in rows], "allclose 1e-12")
    add("§5 GAE(0) == δ", [r["λ=0 == δ"] for r in rows], "== 1")
    add("§5 |bias(λ) − (1 − λ) bias(0)|", [r["bias line"] for r in rows], "allclose 1e-12")
    add("§5 |A_0(λ=0.5) − formula|", [r["A0 formula gap"] for r in rows], "allclose 1e-12")
    add("§5 tr Cov λ=0 / λ=1", [r["var0 / var1"] for r in rows], "< 0.9")
    add("§5 best λ, m = 2", [r["best λ m=2"] for r in rows], "<= 0.2")
    add("§5 best λ, m = 100", [r["best λ m=100"] for r in rows], "(printed)")
    add("§5 best λ m=100 − best λ m=2", [r["best λ m=100"] - r["best λ m=2"] for r in rows],
        ">= 0")
    add("§6 critic gradient: |by hand − FD|", [r["fd gap"] for r in rows], "< 1e-5")

    by = {r["seed"]: r for r in raw["train"]}
    seeds = range(n_seeds)
    ten = [[by[s + k] for k in range(WINDOW)] for s in seeds]
    five = [[by[s + k] for k in range(FEW)] for s in seeds]
    solved = {}
    for key, label in (("reinforce", "REINFORCE"), ("gae", "GAE(0.95)")):
        solved[key] = [sum(r[key]["solved_steps"] is not None for r in g) for g in ten]
        add(f"§6 {label}: seeds solved of 10", solved[key], ">= 1")
        add(f"§6 {label}: median steps to solve", [
            np.median([r[key]["solved_steps"] for r in g if r[key]["solved_steps"]] or [np.nan])
            for g in ten], "(printed)")
        add(f"§6 {label}: worst mean after solving", [
            min((r[key]["after_mean"] for r in g if r[key]["after_mean"] is not None),
                default=np.nan) for g in ten], ">= 475")
        add(f"§6 {label}: median 100-ep mean at 60k", [
            np.median([r[key]["at_budget"] for r in g]) for g in ten], "> 400")
    add("§6 solved of 10: GAE − REINFORCE", np.subtract(solved["gae"], solved["reinforce"]),
        "(prose: both signs)")
    med = {"λ = 0": [np.median([r["lam0"] for r in g]) for g in five],
           "λ = 1": [np.median([r["lam1"] for r in g]) for g in five],
           "λ = 0.95": [np.median([r["gae"]["at_short"] for r in g]) for g in five],
           "REINFORCE": [np.median([r["reinforce"]["at_short"] for r in g]) for g in five]}
    for name, values in med.items():
        add(f"§6 median of 5 at 30k: {name}", values, "< 150" if name == "λ = 0" else "> 200")
    add("§6 at 30k: min of the others − λ = 0",
        np.subtract(np.min([med["λ = 1"], med["λ = 0.95"], med["REINFORCE"]], axis=0),
                    med["λ = 0"]), "(printed)")

    exp = [by[s]["explorer"] for s in seeds]
    add("§7 explorer: error message at η_w = 0.01", [bool(e["0.01"]["message"]) for e in exp],
        "== 0 (self-test)")
    add("§7 explorer: λ=0 line == δ line", [e["λ=0 line == δ"] for e in exp], "== 1")
    for lr in ("0.01", "0.0001"):       # the two step sizes the prose talks about
        add(f"§7 η_w={lr}: share of Var G explained", [e[lr]["explained"] for e in exp],
            "(prose: warns below 0.5)")
        add(f"§7 η_w={lr}: readout warns", [e[lr]["warned"] for e in exp], "(prose)")
        add(f"§7 η_w={lr}: max|v̂| / max|v̂| at 0.01",
            [e[lr]["v_max"] / e["0.01"]["v_max"] for e in exp], "(prose)")
        add(f"§7 η_w={lr}: tr Cov λ=0 / λ=1", [e[lr]["var"][2] / e[lr]["var"][1] for e in exp],
            "(prose)")
    return out, solved


def report(setup: str, raw: dict, n_seeds: int):
    print(f"\n== {setup}: SEED = 0 … {n_seeds - 1} (CartPole windows: seeds SEED … "
          f"SEED+{WINDOW - 1}, and SEED … SEED+{FEW - 1} for λ)")
    print(raw.get("kernel", ""))
    print(f"{'quantity':48s} {'min':>11s} {'max':>11s}  notebook asserts")
    rows, solved = claims(raw, n_seeds)
    for name, lo, hi, bound, missing in rows:
        extra = f"  ({missing} windows without a value)" if missing else ""
        print(f"{name:48s} {lo:11.4g} {hi:11.4g}  {bound}{extra}")
    diff = np.subtract(solved["gae"], solved["reinforce"])
    print(f"ten-seed windows where GAE solved more / fewer / as many as REINFORCE: "
          f"{int((diff > 0).sum())} / {int((diff < 0).sum())} / {int((diff == 0).sum())}")
    exp = [by_seed["explorer"] for by_seed in raw["train"][:n_seeds]]
    print("explorer, per η_w over SEED: refused / readout warns / λ = 0 has the smallest "
          "tr Cov of the three / max|v̂| relative to η_w = 0.01 (min–max)")
    for lr in exp[0]:
        if lr == "λ=0 line == δ":
            continue
        ok = [e for e in exp if not e[lr]["message"]]
        ratio = [e[lr]["v_max"] / e["0.01"]["v_max"] for e in ok]
        print(f"  η_w = {lr:>6s}: {len(exp) - len(ok):2d} / "
              f"{sum(e[lr]['warned'] for e in ok):2d} / "
              f"{sum(int(np.argmin(e[lr]['var'])) == 2 for e in ok):2d} of {len(exp)}"
              + (f";  {min(ratio):.2f}–{max(ratio):.2f}" if ratio else ""))
    print("E[ĝ] with the batch mean / ∇U (exact):",
          np.round(raw["exact"]["E[g] batch mean / ∇U"], 4))
    by = {r["seed"]: r for r in raw["train"]}
    for key in ("reinforce", "gae"):
        steps = [by[s][key]["solved_steps"] for s in by if by[s][key]["solved_steps"]]
        print(f"{key}: {len(steps)}/{len(by)} training seeds solved within {BUDGET:,}"
              + (", steps min {:.0f}, quartiles {:.0f} / {:.0f} / {:.0f}, max {:.0f}".format(
                  *np.percentile(steps, [0, 25, 50, 75, 100])) if steps else ""))


def main(argv=None) -> int:
    import _claims  # benchmarks/_claims.py, imported here so tests can load this file

    return _claims.main(__file__, __doc__, collect, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
