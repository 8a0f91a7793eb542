"""Record what the exact helpers compute, so a refactoring can prove it changed no number.

Every value notebooks 04, 05, 07, 08 and 09 obtain from ``helpers.mdp``, ``critic``,
``pg_bugs`` and ``toy_lm`` (the same functions with the same arguments as the notebooks'
cells), a wider battery of extra calls (other θ, m, estimators, discounts, baselines), and
fingerprints of short CartPole training runs (``reinforce.train``, ``critic.train``), whose
arithmetic must stay bit for bit the same: notebooks 06 and 07 assert claims validated on
30 seeds with it.

Written for issue 22 and run once at the commit before the refactoring (49b183f):

    git archive 49b183f helpers | tar -x -C /tmp/golden_base
    PYTHONPATH=/tmp/golden_base python tests/golden/make_golden.py

which writes ``tests/golden/exact_values.json`` and ``tests/golden/training.json``;
``tests/test_golden_values.py`` recomputes everything with the current helpers and compares.
Only public names that exist before and after the refactoring are used.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
THETAS = [[0.0, 0.0], [0.5, -1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, 0.5], [2.0, -3.0]]


def _trace_cov(mo):
    """tr Cov of a moments object, whatever the class called it before the refactoring."""
    return float(mo.trace_cov if hasattr(mo, "trace_cov") else mo.variance)


def _arr(x):
    return np.asarray(x, dtype=float).tolist()


# ----------------------------------------------------------------------------------------
# notebooks 04 and 05: helpers.mdp
# ----------------------------------------------------------------------------------------
def mdp_values(out):
    from helpers import mdp

    problem, policy = mdp.example_mdp()
    disc = mdp.TabularMDP(problem.P, problem.r, problem.rho, terminal=[4], gamma=0.5)
    disc9 = mdp.TabularMDP(problem.P, problem.r, problem.rho, terminal=[4], gamma=0.9)
    for name, prob in (("example", problem), ("gamma0.5", disc), ("gamma0.9", disc9)):
        for i, th in enumerate(THETAS):
            key = f"mdp/{name}/theta{i}"
            out[f"{key}/exact_gradient"] = _arr(mdp.exact_gradient(prob, policy, th))
            out[f"{key}/exact_gradient_by_enumeration"] = _arr(
                mdp.exact_gradient_by_enumeration(prob, policy, th))
            out[f"{key}/exact_performance"] = mdp.exact_performance(prob, policy, th)
            out[f"{key}/return_moments"] = list(mdp.return_moments(prob, policy, th))
            for m in (1, 2, 7):
                for rtg in (False, True):
                    for b_name, b in (("0", 0.0), ("0.5", 0.5),
                                      ("per_state", [-0.9, -1.0, -0.4, -0.6, 0.0])):
                        out[f"{key}/mse/m{m}/rtg{rtg}/b{b_name}"] = \
                            mdp.estimator_mean_squared_error(prob, policy, th, m,
                                                             reward_to_go=rtg, baseline=b)
            batch, p = mdp.enumerate_trajectories(prob, policy, th)
            out[f"{key}/probs"] = _arr(p)
            out[f"{key}/reward_to_go"] = _arr(batch.reward_to_go(prob.gamma))
            out[f"{key}/discounted_reward_to_go"] = _arr(batch.discounted_reward_to_go(prob.gamma))
            out[f"{key}/returns"] = _arr(batch.returns(prob.gamma))
            for rtg in (False, True):
                out[f"{key}/per_trajectory_gradients/rtg{rtg}"] = _arr(
                    mdp.per_trajectory_gradients(prob, policy, th, batch, reward_to_go=rtg))
    # notebook 04, cell 28 and cell 34 (the cost of finite differences)
    theta0 = np.zeros(2)
    out["nb04/mse_one"] = mdp.estimator_mean_squared_error(problem, policy, theta0, m=1)
    Ks, steps = [2, 4, 8, 16, 32], 2.0 ** np.arange(-1.5, 1.5, 0.5)
    for K in Ks:
        for k in range(5):
            feats = np.random.default_rng(0 + k).normal(size=(5, 2, K)) / np.sqrt(K)
            r = mdp.episodes_needed(problem, mdp.feature_softmax(feats), np.zeros(K),
                                    rel_error=0.1, h=steps)
            out[f"nb04/episodes_needed/K{K}/run{k}"] = [r["score_function"],
                                                        r["finite_differences"], r["h"]]
    # notebook 04, exercise 4: the chain with a horizon
    P = np.zeros((4, 2, 4))
    P[[0, 1, 2], 0, [0, 1, 2]] = 1.0
    P[[0, 1, 2], 1, [1, 2, 3]], P[[0, 1, 2], 1, [0, 1, 2]] = 0.9, 0.1
    chain = mdp.TabularMDP(P, -np.ones((4, 2)), [1, 0, 0, 0], terminal=[3], horizon=4)
    tab, theta_c = mdp.tabular_softmax(4, 2), np.random.default_rng(0).normal(size=8)
    out["nb04/chain/exact_gradient"] = _arr(mdp.exact_gradient(chain, tab, theta_c))
    out["nb04/chain/by_enumeration"] = _arr(mdp.exact_gradient_by_enumeration(chain, tab, theta_c))
    for m in (1, 3):
        out[f"nb04/chain/mse/m{m}"] = mdp.estimator_mean_squared_error(chain, tab, theta_c, m)
    # notebook 05, cells 21, 26, 28
    out["nb05/mse_full"] = mdp.estimator_mean_squared_error(problem, policy, theta0)
    out["nb05/mse_rtg"] = mdp.estimator_mean_squared_error(problem, policy, theta0,
                                                          reward_to_go=True)
    traj, p_disc = mdp.enumerate_trajectories(disc, policy, theta0)
    out["nb05/discounted_reward_to_go"] = _arr(traj.discounted_reward_to_go(0.5))
    out["nb05/reward_to_go"] = _arr(traj.reward_to_go(0.5))
    # sampled batches: the Monte Carlo side (seeded)
    for seed in (0, 1):
        sample = mdp.sample_trajectories(problem, policy, [0.5, -1.0], 40,
                                         np.random.default_rng(seed))
        for prob, name in ((problem, "example"), (disc9, "gamma0.9")):
            key = f"mdp/sample{seed}/{name}"
            for rtg in (False, True):
                out[f"{key}/estimate/rtg{rtg}"] = _arr(mdp.gradient_estimate(
                    prob, policy, [0.5, -1.0], sample, reward_to_go=rtg, baseline=-0.5))
                out[f"{key}/surrogate_loss/rtg{rtg}"] = mdp.surrogate_loss(
                    prob, policy, [0.2, 0.1], sample, reward_to_go=rtg, average="timesteps")
                out[f"{key}/surrogate_loss_gradient/rtg{rtg}"] = _arr(
                    mdp.surrogate_loss_gradient(prob, policy, [0.2, 0.1], sample,
                                                reward_to_go=rtg))
            out[f"{key}/reward_to_go"] = _arr(sample.reward_to_go(prob.gamma))
            out[f"{key}/discounted_reward_to_go"] = _arr(
                sample.discounted_reward_to_go(prob.gamma))
            mv = mdp.one_episode_update(prob, policy, [0.5, -1.0], sample, 3, eta=0.5,
                                        reward_to_go=True)
            out[f"{key}/one_episode_update"] = [_arr(mv[k]) for k in
                                                ("weights", "step", "exact", "first_order")]


# ----------------------------------------------------------------------------------------
# notebook 07: helpers.critic
# ----------------------------------------------------------------------------------------
def _moments_fields(mo):
    signal = float(np.asarray(mo.mean) @ np.asarray(mo.mean))
    return {"mean": _arr(mo.mean), "trace_cov": _trace_cov(mo), "bias_norm": mo.bias_norm,
            "mse": mo.mse, "noise_to_signal": mo.noise_to_signal if signal > 0 else None,
            "m": int(mo.m), "per_trajectory": mo.per_trajectory}


def critic_values(out):
    from helpers import critic, mdp, pg_bugs

    problem, policy = mdp.example_mdp()
    disc9, _ = pg_bugs.discounted_example_mdp(0.9)
    for name, prob in (("example", problem), ("gamma0.9", disc9)):
        for i, th in enumerate(THETAS[:4]):
            key = f"critic/{name}/theta{i}"
            V, _ = mdp.policy_evaluation(prob, policy, th)
            wrong = np.where(prob.terminal, 0.0, V + 1.0)
            for v_name, values in (("none", None), ("V", V), ("wrong", wrong)):
                for lam in (0.0, 0.5, 0.95, 1.0):
                    out[f"{key}/estimator_moments/{v_name}/lam{lam}"] = _moments_fields(
                        critic.estimator_moments(prob, policy, th, values=values, lam=lam))
            b_star = critic.optimal_baseline(prob, policy, th)
            b_per = critic.optimal_baseline(prob, policy, th, per_parameter=True)
            out[f"{key}/optimal_baseline"] = _arr(b_star)
            out[f"{key}/optimal_baseline_per_parameter"] = _arr(b_per)
            out[f"{key}/baseline_moments/b_star"] = _moments_fields(
                critic.baseline_moments(prob, policy, th, b_star))
            out[f"{key}/baseline_moments/per_parameter"] = _moments_fields(
                critic.baseline_moments(prob, policy, th, b_per))
            for m in (1, 2, 3, 4):
                for kind in ("batch_mean", "leave_one_out"):
                    out[f"{key}/batch_baseline_moments/m{m}/{kind}"] = _moments_fields(
                        critic.batch_baseline_moments(prob, policy, th, m, kind=kind))
            for lam in (0.0, 0.5):
                out[f"{key}/critic_bias_matrix/lam{lam}"] = _arr(
                    critic.critic_bias_matrix(prob, policy, th, lam=lam))
    # notebook 07, cells 4 to 26, in the notebook's order and with its rng
    rng = np.random.default_rng(0)
    theta = np.array([0.5, -1.0])
    V, _ = mdp.policy_evaluation(problem, policy, theta)
    plain = critic.estimator_moments(problem, policy, theta)
    with_V = critic.estimator_moments(problem, policy, theta, values=V)
    b_star = critic.optimal_baseline(problem, policy, theta)
    best = critic.baseline_moments(problem, policy, theta, b_star)
    rows = {"G_t (no baseline)": plain,
            "G_t − batch mean (itself included)": critic.batch_baseline_moments(
                problem, policy, theta, 2),
            "G_t − leave-one-out": critic.batch_baseline_moments(problem, policy, theta, 2,
                                                                 kind="leave_one_out"),
            "G_t − V(s_t)": with_V, "G_t − b*(s_t)": best}
    out["nb07/moments_table"] = critic.moments_table(rows, m=2)
    out["nb07/with_V.averaged2"] = _moments_fields(with_V.averaged(2))
    episodes = mdp.sample_trajectories(problem, policy, theta, 300, rng)
    v_mc = critic.learn_values(problem, episodes, method="mc", step_size=0.05)
    v_td = critic.learn_values(problem, episodes, method="td", step_size=0.05)
    out["nb07/v_mc"], out["nb07/v_td"] = _arr(v_mc), _arr(v_td)
    learned = {"G_t − v̂_MC(s_t)": critic.estimator_moments(problem, policy, theta,
                                                            values=v_mc[-1]),
               "G_t − v̂_TD(s_t)": critic.estimator_moments(problem, policy, theta,
                                                            values=v_td[-1])}
    out["nb07/learned_table"] = critic.moments_table({"G_t − V(s_t)": with_V, **learned})
    lams = np.linspace(0, 1, 21)
    sweep = [critic.estimator_moments(problem, policy, theta, values=v_td[-1], lam=lam)
             for lam in lams]
    out["nb07/sweep/bias"] = [mo.bias_norm for mo in sweep]
    out["nb07/sweep/var"] = [_trace_cov(mo) for mo in sweep]
    sample = mdp.sample_trajectories(problem, policy, theta, 1000, rng)
    out["nb07/mdp_advantages/lam1"] = _arr(critic.mdp_advantages(problem, sample, v_td[-1], 1.0))
    out["nb07/mdp_advantages/lam0.3"] = _arr(critic.mdp_advantages(problem, sample, v_td[-1], 0.3))
    out["nb07/mdp_td_errors"] = _arr(critic.mdp_td_errors(problem, sample, v_td[-1]))
    # GAE on arrays, one episode and a padded batch
    r = np.random.default_rng(5)
    d1, d2 = r.normal(size=37), r.normal(size=(4, 11))
    d2[1, 6:] = 0.0
    for gamma, lam in ((0.99, 0.95), (1.0, 1.0), (0.9, 0.0), (0.5, 0.7)):
        out[f"critic/gae/1d/{gamma}/{lam}"] = _arr(critic.gae(d1, gamma, lam))
        out[f"critic/gae/2d/{gamma}/{lam}"] = _arr(critic.gae(d2, gamma, lam))


# ----------------------------------------------------------------------------------------
# notebook 08: helpers.pg_bugs
# ----------------------------------------------------------------------------------------
def _comparison_fields(c):
    return {"cls": c.cls, "angle": c.angle, "norm_ratio": c.norm_ratio, "scale": c.scale,
            "variance": c.variance, "error": c.error, "tolerance": c.tolerance,
            "zero": bool(c.zero), "mean": _arr(c.mean), "target": _arr(c.target)}


def pg_bugs_values(out):
    from helpers import mdp
    from helpers import pg_bugs as B

    problem, policy = mdp.example_mdp()
    theta0 = np.array([-1.0, -1.0])
    thetas = np.array([theta0, [0.5, -1.0], [1.0, 0.5]])
    for name in B.ESTIMATORS:
        est = B.get(name)
        for m in (1, 2, 3) if est.batch else (1, 3):
            if m < est.min_m:
                continue
            for i, th in enumerate(thetas):
                old = th - 0.5 if est.reuses_data else None
                e = B.expectation(name, problem, policy, th, m, theta_old=old)
                out[f"pg_bugs/expectation/{name}/m{m}/theta{i}"] = {
                    "mean": _arr(e.mean), "variance": _trace_cov(e), "n_terms": int(e.n_terms),
                    "abs_sum": e.abs_sum, "method": e.method}
    # notebook 08, cell 6: exact and Monte Carlo
    mc = B.expectation("batch_mean_baseline", problem, policy, theta0, m=3,
                       method="monte carlo", n_batches=20_000, rng=np.random.default_rng(0))
    out["nb08/mc"] = {"mean": _arr(mc.mean), "se": _arr(mc.se), "variance": _trace_cov(mc),
                      "n_terms": int(mc.n_terms), "abs_sum": mc.abs_sum}
    # cell 9: the table
    rows = B.table(B.ESTIMATORS, problem, policy, thetas, m=3, theta_old=thetas - 0.5)
    out["nb08/table"] = B.format_table(rows)
    for c in rows:
        out[f"nb08/table/{c.name}"] = _comparison_fields(c)
    # cell 13
    padded, padded_policy = B.padded_example_mdp()
    out["nb08/padded"] = _comparison_fields(B.compare("timestep_average", padded,
                                                      padded_policy, thetas, m=3))
    for m in (1, 3, 5):
        out[f"nb08/tilted/m{m}"] = _comparison_fields(
            B.compare("timestep_average", problem, policy, thetas, m=m))
    # cells 15, 16
    quit_mdp, quit_policy = B.quit_or_continue_mdp()
    out["nb08/quit/e1"] = _arr(B.expectation("timestep_average", quit_mdp, quit_policy,
                                             [0.3, -0.2], m=1).mean)
    quit_best = B.best_performance(quit_mdp, quit_policy)
    out["nb08/quit/best"] = quit_best
    for m in (1, 2, 3, 4, 8):
        path = B.ascent("timestep_average", quit_mdp, quit_policy, [0.0, 0.0], m=m,
                        n_steps=300, optimum=quit_best)
        out[f"nb08/quit/ascent/m{m}"] = {"U": _arr(path.U), "outcome": path.outcome,
                                         "thetas": _arr(path.thetas[-1])}
        out[f"nb08/quit/angle/m{m}"] = B.compare("timestep_average", quit_mdp, quit_policy,
                                                 [[0.0, 0.0], [0.5, 0.5]], m=m).angle
    # cell 20: discounting
    disc, disc_policy = B.discounted_example_mdp(0.5)
    for name in ("full_return", "reward_to_go", "no_discount_power", "discount_twice"):
        out[f"nb08/disc/{name}"] = _comparison_fields(B.compare(name, disc, disc_policy, thetas))
    for n, p in B.ascents(["no_discount_power", "discount_twice"], disc, disc_policy, theta0,
                          n_steps=300).items():
        out[f"nb08/disc/ascent/{n}"] = {"U": _arr(p.U), "outcome": p.outcome,
                                        "optimum": p.optimum}
    # cell 22: aliasing
    alias, alias_policy = B.aliased_mdp()
    alias_best = B.best_performance(alias, alias_policy)
    for name in ("reward_to_go", "no_discount_power"):
        out[f"nb08/alias/{name}"] = _comparison_fields(
            B.compare(name, alias, alias_policy, [[0.0, 0.0], [0.5, -0.5]]))
        path = B.ascent(name, alias, alias_policy, [0.0, 0.0], n_steps=300, optimum=alias_best)
        out[f"nb08/alias/ascent/{name}"] = {"U": _arr(path.U), "outcome": path.outcome}
    # cell 25: baselines
    for m in (2, 3, 4, 5):
        out[f"nb08/batch_mean_scale/m{m}"] = _comparison_fields(
            B.compare("batch_mean_baseline", problem, policy, thetas, m=m))
    out["nb08/per_t"] = _comparison_fields(B.compare("per_timestep_baseline", problem, policy,
                                                     thetas, m=3))
    # cell 28: entropy
    for name in ("entropy_bonus", "entropy_wrong_sign"):
        for against in ("U", "U_beta"):
            out[f"nb08/entropy/{name}/{against}"] = _comparison_fields(
                B.compare(name, problem, policy, thetas, against=against))
    for i, th in enumerate(thetas):
        out[f"pg_bugs/entropy_regularised_gradient/theta{i}"] = _arr(
            B.entropy_regularised_gradient(problem, policy, th))
        out[f"pg_bugs/entropy_regularised_performance/theta{i}"] = \
            B.entropy_regularised_performance(problem, policy, th)
        out[f"pg_bugs/ppo_surrogate/theta{i}"] = B.ppo_surrogate(problem, policy, th, th - 0.3)
    # cells 30, 32: reuse
    for lag in (0.25, 0.5, 1.0):
        for n in ("reuse_no_ratio", "reuse_step_ratio", "reuse_trajectory_ratio"):
            out[f"nb08/reuse/{lag}/{n}"] = B.compare(n, problem, policy, thetas,
                                                     theta_old=thetas - lag).angle
    old, exact = theta0 - 0.5, mdp.exact_gradient(problem, policy, theta0)
    out["nb08/reuse_at_old"] = B.compare("reuse_step_ratio", problem, policy, [theta0],
                                         theta_old=theta0).cls
    for label, s, r in (("both", old, old), ("states", old, None), ("returns", None, old)):
        g = B.gradient_from(problem, policy, theta0, states_at=s, returns_at=r)
        out[f"nb08/gradient_from/{label}"] = _arr(g)
        out[f"nb08/gradient_from/{label}/angle"] = B.angle_between(g, exact)
    # cell 35: every estimator's ascent
    paths = B.ascents(B.ESTIMATORS, problem, policy, theta0, m=3, eta=2.0, n_steps=300)
    for name, path in paths.items():
        out[f"nb08/ascents/{name}"] = {"U": _arr(path.U), "outcome": path.outcome,
                                       "steps": _arr(path.steps), "optimum": path.optimum}
    # exercises
    for name in ("mystery_a", "mystery_b", "mystery_c"):
        out[f"nb08/mystery/{name}"] = B.mystery_class(name)
        for m in (2, 3):
            fn = B.MYSTERIES[name][0]
            out[f"nb08/mystery/{name}/m{m}"] = _comparison_fields(B.compare(
                B.Estimator(name, fn, name, "mystery", batch=True), problem, policy,
                [[-1.0, -1.0], [0.5, -1.0], [1.0, 0.5]], m))


# ----------------------------------------------------------------------------------------
# notebook 09: helpers.toy_lm
# ----------------------------------------------------------------------------------------
def toy_lm_values(out):
    from helpers import toy_lm as LM

    task = LM.Task()
    theta0 = task.initial_theta()
    names = ["reinforce", "group_mean", "rloo", "grpo", "dr_grpo"]
    table = LM.comparison_table(task, theta0, names, [2, 4, 8, 16])
    out["nb09/table"] = [[r["estimator"], r["m"], r["angle"], r["norm_ratio"], r["variance"],
                          r["relative_variance"]] for r in table]
    def thetas_of(t):
        start = t.initial_theta()
        return {"theta0": start,
                "theta_rand": start + 0.5 * np.random.default_rng(7).normal(size=t.n_params)}

    thetas = thetas_of(task)
    tasks = {"default": task, "lean0": LM.Task(lean=(0.0,)), "lean-2": LM.Task(lean=(-2.0, 2.5))}
    for t_name, t in tasks.items():
        for th_name, th in thetas_of(t).items():
            for est in LM.ESTIMATORS:
                for m in (1, 2, 3, 5, 8, 16):
                    if m == 1 and est in ("rloo", "grpo", "grpo_std_only"):
                        continue
                    key = f"toy_lm/{t_name}/{th_name}/{est}/m{m}"
                    out[f"{key}/expected_update"] = _arr(LM.expected_update(t, th, est, m))
                    out[f"{key}/update_variance"] = LM.update_variance(t, th, est, m)
    for est in LM.ESTIMATORS:
        for m in (2, 3, 8, 64):
            for p in (0.0, 0.005, 0.3, 0.5, 0.97, 1.0):
                out[f"toy_lm/difficulty_weight/{est}/m{m}/p{p}"] = LM.difficulty_weight(est, m, p)
                for reward in (0, 1):
                    out[f"toy_lm/mean_advantage/{est}/m{m}/p{p}/r{reward}"] = \
                        LM.mean_advantage(est, m, p, reward)
            if LM._SPEC[est][2] == "none":
                for th_name, th in thetas.items():
                    out[f"toy_lm/reweighted_objective/{est}/m{m}/{th_name}"] = \
                        LM.reweighted_objective(task, th, est, m)
    # notebook 09 cells 24 to 34
    out["nb09/difficulty_grpo_std_only"] = [LM.difficulty_weight("grpo_std_only", m, p)
                                            for m in (4, 8, 64)
                                            for p in np.linspace(0.005, 0.995, 100)]
    grad0 = task.grad_J(theta0)
    E_std = LM.expected_update(task, theta0, "grpo_std_only", 8)
    out["nb09/angle_std_only"] = LM.angle_degrees(E_std, grad0)
    out["nb09/rates"] = [LM.rate_of_change(task, theta0, LM.expected_update(task, theta0, e, 8))
                         for e in ("grpo", "dr_grpo")]
    out["nb09/asym"] = [LM.jacobian_asymmetry(task, theta0, e, 8)
                        for e in ("grpo", "grpo_std_only", "dr_grpo")]
    out["nb09/matched"] = LM.matched_step_sizes(task, ["reinforce", "rloo", "grpo", "dr_grpo"],
                                                8, 4.0)
    # sampled: one estimate per estimator (seeded), and the notebook's training (cell 36)
    for est in names:
        out[f"toy_lm/estimate/{est}"] = _arr(LM.estimate(task, theta0, est, 8,
                                                         np.random.default_rng(3)))
    runs = LM.compare_training(task, ["reinforce", "rloo", "grpo", "dr_grpo"], 8, 2400, 4.0,
                               range(0, 5))
    for e, rs in runs.items():
        out[f"nb09/training/{e}"] = {"J": [_arr(r.J) for r in rs],
                                     "wrong_length": [_arr(r.wrong_length) for r in rs],
                                     "theta": [_arr(r.theta) for r in rs]}


# ----------------------------------------------------------------------------------------
# CartPole: bit-for-bit fingerprints of short training runs
# ----------------------------------------------------------------------------------------
def _digest(arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(np.asarray(a, dtype=float)).tobytes())
    return h.hexdigest()


def training_values():
    from dataclasses import replace

    from helpers import critic, reinforce

    out = {}
    base = reinforce.Config(max_steps=5000)
    configs = {"default": base,
               "leave_one_out": replace(base, baseline="leave_one_out"),
               "plain_sgd": replace(base, reward_to_go=False, baseline="none", normalise=False,
                                    optimizer="sgd", lr=1e-4),
               "linear_gamma0.99": replace(base, policy="linear", gamma=0.99),
               "default_40k": replace(base, max_steps=40_000),
               "leave_one_out_40k": replace(base, baseline="leave_one_out", max_steps=40_000)}
    for name, cfg in configs.items():
        for seed in (0, 3):
            h = reinforce.train(cfg, seed=seed)
            out[f"reinforce/{name}/seed{seed}"] = {
                "params": _digest(h.params), "returns": [float(x) for x in h.episode_returns],
                "ends": [int(x) for x in h.episode_end_steps],
                "dummy_steps": int(h.dummy_steps), "updates": len(h.params)}
    for lam, steps in ((0.95, 5000), (0.0, 5000), (0.95, 40_000)):
        h, c = critic.train(replace(base, max_steps=steps), critic.CriticConfig(lam=lam), seed=1)
        out[f"critic/lam{lam}/{steps}"] = {
            "params": _digest(h.params), "critic": _digest([c.net.w]),
            "returns": [float(x) for x in h.episode_returns],
            "value_loss": _digest([c.value_loss])}
    # the weights themselves, on fixed episodes
    rng = np.random.default_rng(11)
    eps = [reinforce.Episode(rng.normal(size=(n, 4)), rng.integers(0, 2, n),
                             np.ones(n) * rng.choice([1.0, 0.5]), n < 30, n >= 30)
           for n in (12, 30, 7, 25)]
    for name, cfg in configs.items():
        out[f"reinforce/advantages/{name}"] = _digest(reinforce.advantages(eps, cfg))
    return out


def floating_point_setup() -> dict:
    """What decides a training run's floating-point arithmetic on this machine: another
    BLAS kernel or SIMD set computes another (equally valid) run, so the fingerprints hold
    only where this matches."""
    import platform

    import gymnasium

    from helpers import environment

    return {"blas_kernel": environment.blas_kernel(), "numpy_simd": environment.numpy_simd(),
            "numpy": np.__version__, "gymnasium": gymnasium.__version__,
            "machine": platform.machine()}


def compute_exact():
    out = {}
    for part in (mdp_values, critic_values, pg_bugs_values, toy_lm_values):
        part(out)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parts = argv or ["exact", "training"]
    if "exact" in parts:
        (HERE / "exact_values.json").write_text(json.dumps(compute_exact(), indent=0,
                                                           ensure_ascii=False) + "\n")
    if "training" in parts:
        record = {"setup": floating_point_setup(), "runs": training_values()}
        (HERE / "training.json").write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
