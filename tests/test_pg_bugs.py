"""The bug gallery of notebook 08, judged by exact enumeration and checked independently.

Exact expectations are checked against closed forms and against expectations written out
again with plain loops over trajectories; the multiset enumeration against ordered batches;
Monte Carlo means against exact ones within a statistical tolerance at fixed seeds.
"""

import itertools
import math

import numpy as np
import pytest

from helpers import mdp as M
from helpers import pg_bugs as B
from helpers.estimators import finite_difference_gradient

THETAS = np.array([[-1.0, -1.0], [0.5, -1.0], [1.0, 0.5]])

EXPECTED_CLASS = {
    "full_return": "unbiased", "reward_to_go": "unbiased", "reward_to_go_baseline": "unbiased",
    "timestep_average": "biased", "no_discount_power": "unbiased", "discount_twice": "unbiased",
    "past_rewards": "biased", "own_reward_baseline": "biased", "q_baseline": "biased",
    "batch_mean_baseline": "scaled", "per_timestep_baseline": "biased",
    "leave_one_out_baseline": "unbiased",
    "episode_standardised": "biased", "batch_standardised": "biased",
    "probability_not_log": "biased", "logit_not_log_prob": "biased", "entropy_bonus": "biased",
    "entropy_wrong_sign": "biased", "reuse_no_ratio": "biased",
    "reuse_trajectory_ratio": "unbiased", "reuse_step_ratio": "biased",
}


@pytest.fixture(scope="module")
def example():
    return M.example_mdp()


@pytest.fixture(scope="module")
def table(example):
    mdp, pol = example
    return {c.name: c for c in B.table(B.ESTIMATORS, mdp, pol, THETAS, m=3,
                                       theta_old=THETAS - 0.5)}


# -- classification --------------------------------------------------------------------------
def test_every_estimator_is_classified_as_expected(table):
    assert {n: c.cls for n, c in table.items()} == EXPECTED_CLASS


def test_the_tolerance_separates_the_classes_by_many_orders_of_magnitude(table):
    for c in table.values():
        miss = np.linalg.norm(c.mean - c.target)
        if c.cls == "unbiased":
            assert miss <= c.tolerance and c.angle < 1e-6 and abs(c.norm_ratio - 1) < 1e-12
        elif c.cls == "scaled":
            assert c.error <= c.tolerance
        else:
            # a biased estimator misses ∇U (or c∇U) by more than 1e8 tolerances (notebook 08
            # says "more than eight orders of magnitude"; the smallest margin is ~6e8)
            assert min(miss, c.error if not c.zero else miss) > 1e8 * c.tolerance, c.name
        assert 1e-15 < c.tolerance < 1e-9


def test_zero_expectations_have_no_angle(table):
    zero = {n for n, c in table.items() if c.zero}
    assert zero == {"past_rewards", "q_baseline"}
    assert all(np.isnan(table[n].angle) and table[n].norm_ratio < 1e-15 for n in zero)


def test_angles_are_in_range_and_nonzero_for_the_biased(table):
    for c in table.values():
        if c.cls == "biased" and not c.zero:
            assert 0.1 < c.angle <= 180.0, c.name


def test_batch_mean_baseline_scale_is_m_minus_one_over_m(example):
    mdp, pol = example
    for m in (2, 3, 4, 5):
        c = B.compare("batch_mean_baseline", mdp, pol, THETAS, m=m)
        assert c.cls == "scaled" and abs(c.scale - (m - 1) / m) < 1e-12


def test_per_timestep_baseline_scales_each_step_by_its_own_factor(example):
    # θ₁ acts only at t = 0 (all m episodes running: factor (m − 1)/m), θ₂ only at t = 1,
    # where K ~ Binomial(m − 1, q) other episodes are still running: factor E[K/(K + 1)]
    mdp, pol = example
    for m in (1, 2, 3, 5):
        for theta in THETAS:
            q = 1 - pol.probs(theta)[0, 1] * (0.7 * 0.2 + 0.3)     # P(a second step)
            c1 = 1 - (1 - (1 - q) ** m) / (m * q)
            g = M.exact_gradient(mdp, pol, theta)
            e = B.expectation("per_timestep_baseline", mdp, pol, theta, m).mean
            np.testing.assert_allclose(e, [(m - 1) / m * g[0], c1 * g[1]], atol=1e-14)
    assert B.compare("per_timestep_baseline", mdp, pol, THETAS, m=3).cls == "biased"


def test_per_timestep_baseline_is_notebook_06s(example):
    from helpers import reinforce
    mdp, pol = example
    batch = M.sample_trajectories(mdp, pol, [0.3, -0.4], 7, np.random.default_rng(5))
    x = B.make_sample(mdp, pol, [0.3, -0.4], batch)
    G = [batch.reward_to_go()[i, :batch.lengths[i]] for i in range(batch.m)]
    b = reinforce.per_timestep_baseline(G)
    expected = sum(((g - b[:g.size])[:, None] * x.score[i, :g.size]).sum(axis=0)
                   for i, g in enumerate(G)) / batch.m
    np.testing.assert_allclose(B.per_timestep_baseline(x), expected, atol=1e-14)


def test_leave_one_out_is_unbiased_for_every_m(example):
    mdp, pol = example
    for m in (2, 3, 4):
        assert B.compare("leave_one_out_baseline", mdp, pol, THETAS, m=m).cls == "unbiased"


def test_scaled_needs_the_same_constant_at_every_theta():
    # timestep averaging in a varying-length MDP has a θ-dependent scale and a tilt
    mdp, pol = M.example_mdp()
    c = B.compare("timestep_average", mdp, pol, THETAS, m=1)
    assert c.cls == "biased" and 3 < c.angle < 5           # notebook 05 section 8 says ~4°
    ratios = [np.linalg.norm(B.expectation("timestep_average", mdp, pol, t, 1).mean)
              / np.linalg.norm(M.exact_gradient(mdp, pol, t)) for t in THETAS]
    assert np.ptp(ratios) > 1e-3


def test_timestep_average_is_half_the_gradient_when_every_episode_has_two_steps():
    padded, ppol = B.padded_example_mdp()
    batch, _ = M.enumerate_trajectories(padded, ppol, [0.0, 0.0])
    assert set(batch.lengths) == {2}
    for m in (1, 2, 3):
        c = B.compare("timestep_average", padded, ppol, THETAS, m=m)
        assert c.cls == "scaled" and abs(c.scale - 0.5) < 1e-12


def test_padded_mdp_has_the_same_performance_and_gradient():
    mdp, pol = M.example_mdp()
    padded, ppol = B.padded_example_mdp()
    for theta in np.random.default_rng(0).normal(size=(5, 2)) * 2:
        assert np.isclose(M.exact_performance(mdp, pol, theta),
                          M.exact_performance(padded, ppol, theta), atol=1e-13)
        assert np.allclose(M.exact_gradient(mdp, pol, theta),
                           M.exact_gradient(padded, ppol, theta), atol=1e-13)


def test_timestep_average_with_one_episode_is_the_gradient_of_reward_per_step():
    q, qp = B.quit_or_continue_mdp()
    batch, _ = M.enumerate_trajectories(q, qp, [0.0, 0.0])

    def per_step(t):
        return M.trajectory_probabilities(q, qp, t, batch) @ (batch.returns() / batch.lengths)

    for theta in ([0.3, -0.2], [1.0, 1.0], [-0.5, 2.0]):
        fd = finite_difference_gradient(per_step, np.array(theta), h=1e-6)
        assert np.allclose(B.expectation("timestep_average", q, qp, theta, 1).mean, fd,
                           atol=1e-8)


def test_gamma_slips_rescale_one_component_in_the_time_separated_mdp():
    disc, pol = B.discounted_example_mdp(0.5)
    for theta in THETAS:
        g = M.exact_gradient(disc, pol, theta)
        assert np.allclose(B.expectation("no_discount_power", disc, pol, theta).mean,
                           [g[0], g[1] / 0.5], atol=1e-14)
        assert np.allclose(B.expectation("discount_twice", disc, pol, theta).mean,
                           [g[0], g[1] * 0.5], atol=1e-14)
        assert np.allclose(B.expectation("full_return", disc, pol, theta).mean, g, atol=1e-14)


def test_aliased_mdp_closed_form_and_the_opposite_direction():
    for gamma, c in ((0.5, 1.5), (0.8, 1.1)):
        alias, pol = B.aliased_mdp(gamma, c)
        for theta in ([0.0, 0.0], [0.7, -0.4]):
            p_right = pol.probs(theta)[0, 1]
            assert np.isclose(M.exact_performance(alias, pol, theta),
                              p_right + gamma * (1 - p_right) * c, atol=1e-14)
        comp = B.compare("no_discount_power", alias, pol, [[0.0, 0.0], [0.5, -0.5]])
        assert comp.cls == "biased" and comp.angle > 179.99


def test_own_reward_weight_is_gamma_times_the_next_reward_to_go():
    disc, pol = B.discounted_example_mdp(0.5)
    batch, _ = M.enumerate_trajectories(disc, pol, [0.0, 0.0])
    x = B.make_sample(disc, pol, [0.0, 0.0], batch)
    G = x.reward_to_go()
    G_next = np.concatenate([G[:, 1:], np.zeros((batch.m, 1))], axis=1)
    np.testing.assert_allclose(np.where(x.mask, G - x.rewards, 0), 0.5 * G_next, atol=1e-15)


def test_episode_standardisation_weights_are_plus_minus_one_over_root_two(example):
    mdp, pol = example
    batch, _ = M.enumerate_trajectories(mdp, pol, [0.0, 0.0])
    for i in range(batch.m):
        x = B.make_sample(mdp, pol, [0.0, 0.0], batch, index=np.array([i]))
        w = B.episode_standardised(B.Sample(**{**x.__dict__, "score": np.eye(2)[None, :, :]
                                              * np.ones((1, x.mask.shape[1], 1))}))
        # with unit "scores" at t = 0 and t = 1 the estimator returns the two weights
        r0 = batch.rewards[i, 0]
        if batch.lengths[i] == 1 or r0 == 0:
            np.testing.assert_allclose(w, 0, atol=1e-7)
        else:
            np.testing.assert_allclose(w, np.sign(r0) * np.array([1, -1]) / np.sqrt(2),
                                       atol=1e-7)


def test_logit_gradient_is_the_score_plus_the_normalisers_part(example):
    mdp, pol = example
    for theta in THETAS:
        pi, phi = pol.probs(theta), pol.features
        np.testing.assert_allclose(phi, pol.scores(theta)
                                   + np.einsum("sb,sbk->sk", pi, phi)[:, None, :], atol=1e-15)


def test_gradient_from_is_the_policy_gradient_theorem_and_the_per_step_ratio(example):
    mdp, pol = example
    disc, dpol = B.discounted_example_mdp(0.5)
    for theta in THETAS:
        for env, p in ((mdp, pol), (disc, dpol)):
            np.testing.assert_allclose(B.gradient_from(env, p, theta),
                                       M.exact_gradient(env, p, theta), atol=1e-14)
        old = theta - 0.5
        step = B.expectation("reuse_step_ratio", mdp, pol, theta, theta_old=old).mean
        np.testing.assert_allclose(B.gradient_from(mdp, pol, theta, states_at=old,
                                                   returns_at=old), step, atol=1e-14)


def test_per_step_ratio_is_the_gradient_of_ppos_surrogate(example):
    mdp, pol = example
    for theta in THETAS:
        old = theta - np.array([0.5, 0.25])
        fd = finite_difference_gradient(lambda t, old=old: B.ppo_surrogate(mdp, pol, t, old), theta,
                                        h=1e-6)
        e = B.expectation("reuse_step_ratio", mdp, pol, theta, theta_old=old).mean
        np.testing.assert_allclose(e, fd, atol=1e-8)
        # at θ = θ_old every ratio is 1: the surrogate's gradient is the on-policy ∇U
        at_old = B.expectation("reuse_step_ratio", mdp, pol, theta, theta_old=theta).mean
        np.testing.assert_allclose(at_old, M.exact_gradient(mdp, pol, theta), atol=1e-14)
        assert B.compare("reuse_step_ratio", mdp, pol, [theta], theta_old=theta).cls == \
            "unbiased"


def test_baselines_that_see_the_action_and_episode_standardisation_lose_theta2(example):
    mdp, pol = example
    for theta in THETAS:
        for name in ("own_reward_baseline", "episode_standardised"):
            assert abs(B.expectation(name, mdp, pol, theta).mean[1]) < 1e-15
        for name in ("past_rewards", "q_baseline"):
            assert np.all(np.abs(B.expectation(name, mdp, pol, theta).mean) < 1e-15)


# -- the expectations, checked by writing them out again -------------------------------------
def loop_expectation(mdp, pol, theta, weight, theta_old=None, grad="score"):
    """E[Σ_t weight(traj, t) ∇(...)] with plain Python loops over trajectories."""
    sampled = theta if theta_old is None else theta_old
    batch, p = M.enumerate_trajectories(mdp, pol, sampled)
    score, pi = pol.scores(theta), pol.probs(theta)
    total = np.zeros(pol.n_params)
    for i in range(batch.m):
        for t in range(batch.lengths[i]):
            s, a = batch.states[i, t], batch.actions[i, t]
            g = pol.features[s, a] if grad == "logit" else score[s, a]
            total += p[i] * weight(batch, i, t, s, a, pi) * g
    return total


def test_estimators_against_loop_implementations(example):
    mdp, pol = example
    old = np.array([-2.0, -1.5])
    lp_new = lambda th: pol.log_probs(th)  # noqa: E731

    def R(b, i):
        return b.returns()[i]

    def G(b, i, t):
        return b.rewards[i, t:b.lengths[i]].sum()

    cases = {
        "full_return": lambda b, i, t, s, a, pi: R(b, i),
        "past_rewards": lambda b, i, t, s, a, pi: b.rewards[i, :t].sum(),
        "own_reward_baseline": lambda b, i, t, s, a, pi: G(b, i, t) - b.rewards[i, t],
        "probability_not_log": lambda b, i, t, s, a, pi: R(b, i) * pi[s, a],
    }
    for theta in THETAS:
        for name, w in cases.items():
            assert np.allclose(B.expectation(name, mdp, pol, theta).mean,
                               loop_expectation(mdp, pol, theta, w), atol=1e-14), name
        assert np.allclose(B.expectation("logit_not_log_prob", mdp, pol, theta).mean,
                           loop_expectation(mdp, pol, theta, cases["full_return"], grad="logit"),
                           atol=1e-14)

        def step_ratio(b, i, t, s, a, pi, theta=theta):
            return np.exp(lp_new(theta)[s, a] - lp_new(old)[s, a]) * G(b, i, t)

        assert np.allclose(B.expectation("reuse_step_ratio", mdp, pol, theta, 1,
                                         theta_old=old).mean,
                           loop_expectation(mdp, pol, theta, step_ratio, theta_old=old),
                           atol=1e-14)
        assert np.allclose(B.expectation("reuse_no_ratio", mdp, pol, theta, 1,
                                         theta_old=old).mean,
                           loop_expectation(mdp, pol, theta, lambda b, i, t, s, a, pi: G(b, i, t),
                                            theta_old=old), atol=1e-14)


def test_episode_standardisation_written_out(example):
    mdp, pol = example

    def w(b, i, t, s, a, pi):
        n = b.lengths[i]
        Gs = np.array([b.rewards[i, k:n].sum() for k in range(n)])
        if n < 2:
            return 0.0
        return (Gs[t] - Gs.mean()) / (Gs.std(ddof=1) + 1e-8)

    for theta in THETAS:
        assert np.allclose(B.expectation("episode_standardised", mdp, pol, theta).mean,
                           loop_expectation(mdp, pol, theta, w), atol=1e-14)


def test_trajectory_ratio_is_importance_sampling(example):
    mdp, pol = example
    for theta, old in itertools.product(THETAS, [[0.0, 0.0], [-2.0, 1.0]]):
        e = B.expectation("reuse_trajectory_ratio", mdp, pol, theta, 1, theta_old=old).mean
        assert np.allclose(e, M.exact_gradient(mdp, pol, theta), atol=1e-13)


def test_entropy_gradients(example):
    mdp, pol = example
    beta = B.ENTROPY_BETA
    for theta in THETAS:
        ub = B.entropy_regularised_gradient(mdp, pol, theta, beta)
        fd = finite_difference_gradient(
            lambda t: B.entropy_regularised_performance(mdp, pol, t, beta), theta, h=1e-5)
        assert np.allclose(ub, fd, atol=1e-8)
        # the implemented bonus: ∇U + β Σ_s d(s) ∇H(s), with ∇H by finite differences
        d = M.discounted_visitation(mdp, pol, theta)

        def H(t, s):
            p = pol.probs(t)[s]
            return -np.sum(p * np.log(p))

        dH = np.array([finite_difference_gradient(lambda t, s=s: H(t, s), theta, h=1e-6)
                       for s in range(mdp.n_states)])
        dH[mdp.terminal] = 0.0
        expected = M.exact_gradient(mdp, pol, theta) + beta * d @ dH
        assert np.allclose(B.expectation("entropy_bonus", mdp, pol, theta).mean, expected,
                           atol=1e-8)
        wrong = M.exact_gradient(mdp, pol, theta) - beta * d @ dH
        assert np.allclose(B.expectation("entropy_wrong_sign", mdp, pol, theta).mean, wrong,
                           atol=1e-8)


@pytest.mark.parametrize("name", ["timestep_average", "batch_mean_baseline",
                                  "per_timestep_baseline", "leave_one_out_baseline",
                                  "batch_standardised"])
@pytest.mark.parametrize("m", [2, 3])
def test_multisets_equal_ordered_batches(example, name, m):
    mdp, pol = example
    theta = np.array([0.5, -1.0])
    batch, p = M.enumerate_trajectories(mdp, pol, np.zeros(2))
    p = M.trajectory_probabilities(mdp, pol, theta, batch)
    index = np.array(list(itertools.product(range(batch.m), repeat=m)))
    x = B.make_sample(mdp, pol, theta, batch, index=index)
    ordered = np.prod(p[index], axis=1) @ B.get(name)(x)
    assert np.allclose(B.expectation(name, mdp, pol, theta, m).mean, ordered, atol=1e-15)


# -- Monte Carlo against exact ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(B.ESTIMATORS))
@pytest.mark.parametrize("seed", [0, 1])
def test_monte_carlo_mean_matches_the_exact_expectation(example, name, seed):
    mdp, pol = example
    theta, m = np.array([0.5, -1.0]), 3
    old = theta - 0.5 if B.get(name).reuses_data else None
    exact = B.expectation(name, mdp, pol, theta, m, theta_old=old)
    mc = B.expectation(name, mdp, pol, theta, m, theta_old=old, method="monte carlo",
                       n_batches=4000, rng=np.random.default_rng(seed))
    assert mc.method == "monte carlo" and exact.method == "exact"
    # 5 standard errors per component (two-sided p ≈ 6e-7); components with no variance match
    assert np.all(np.abs(mc.mean - exact.mean) <= 5 * mc.se + 1e-12), (mc.mean, exact.mean)
    assert abs(mc.trace_cov / max(exact.trace_cov, 1e-300) - 1) < 0.25 or exact.trace_cov < 1e-12


def test_auto_falls_back_to_monte_carlo_when_there_are_too_many_batches(example):
    mdp, pol = example
    e = B.expectation("batch_mean_baseline", mdp, pol, [0.0, 0.0], 12, n_batches=500,
                      rng=np.random.default_rng(0))
    assert e.method == "monte carlo" and np.all(e.se > 0)
    with pytest.raises(ValueError, match="too many to enumerate"):
        B.expectation("batch_mean_baseline", mdp, pol, [0.0, 0.0], 12, method="exact")


# -- ascent ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outcomes(example):
    mdp, pol = example
    paths = B.ascents(B.ESTIMATORS, mdp, pol, [-1.0, -1.0], m=3, eta=2.0, n_steps=300)
    return {n: p.outcome for n, p in paths.items()}, paths


def test_ascent_outcomes(outcomes):
    out, paths = outcomes
    assert {n for n, o in out.items() if o == "wrong place"} == {
        "past_rewards", "q_baseline", "episode_standardised", "entropy_bonus"}
    assert {n for n, o in out.items() if o == "worse than start"} == {
        "own_reward_baseline", "logit_not_log_prob", "entropy_wrong_sign"}
    assert sum(o == "optimum" for o in out.values()) == 14
    assert all(np.all(np.isfinite(p.thetas)) for p in paths.values())


def test_wrong_places_are_limits_not_slowness(example):
    mdp, pol = example
    best = B.best_performance(mdp, pol)
    for name in ("episode_standardised", "entropy_bonus", "own_reward_baseline",
                 "logit_not_log_prob", "entropy_wrong_sign"):
        long = B.ascent(name, mdp, pol, [-1.0, -1.0], m=3, n_steps=1200, optimum=best)
        assert long.U[-1] < best - 0.03, name
    # the entropy bonus settles where U_β is highest, not where U is
    path = B.ascent("entropy_bonus", mdp, pol, [-1.0, -1.0], n_steps=1200, optimum=best)
    g = B.entropy_regularised_gradient(mdp, pol, path.thetas[-1])
    assert np.linalg.norm(g) < 0.05 * np.linalg.norm(
        B.entropy_regularised_gradient(mdp, pol, [-1.0, -1.0]))


def test_quit_or_continue_timestep_average_quits_with_small_batches():
    q, qp = B.quit_or_continue_mdp()
    best = B.best_performance(q, qp)
    assert abs(best - 3.0) < 0.01
    ms = (1, 2, 3, 4, 5, 8, 16)
    out = {m: B.ascent("timestep_average", q, qp, [0.0, 0.0], m=m, n_steps=300,
                       optimum=best) for m in ms}
    assert [out[m].outcome for m in ms] == ["wrong place"] * 3 + ["optimum"] * 4
    assert all(abs(out[m].U[-1] - 2.0) < 0.01 for m in (1, 2, 3))


def test_ascent_with_reuse_collects_every_epochs_steps(example):
    mdp, pol = example
    one = B.ascent("reuse_no_ratio", mdp, pol, [-1.0, -1.0], n_steps=8, epochs=1, optimum=0.4)
    fresh = B.ascent("reward_to_go", mdp, pol, [-1.0, -1.0], n_steps=8, optimum=0.4)
    np.testing.assert_allclose(one.thetas, fresh.thetas, atol=1e-14)
    four = B.ascent("reuse_no_ratio", mdp, pol, [-1.0, -1.0], n_steps=8, epochs=4, optimum=0.4)
    assert not np.allclose(four.thetas, fresh.thetas)


# -- exercises ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, right", [("mystery_a", "unbiased"), ("mystery_b", "biased"),
                                         ("mystery_c", "scaled")])
def test_mystery_checks_reject_each_wrong_class_with_a_hint(name, right):
    assert B.mystery_class(name) == right
    assert B.check_classification(right, name, quiet=True).correct
    for wrong in {"unbiased", "scaled", "biased"} - {right}:
        result = B.check_classification(wrong, name, quiet=True)
        assert not result.correct and "Hint:" in result.message
    assert not B.check_classification("unbaised", name, quiet=True).correct
    assert B.check_classification(..., name, quiet=True).status == "missing"


def test_fix_check_rejects_the_classic_wrong_answers():
    def batch_mean(x):
        R = x.returns()
        return x.per_episode((R - R.mean(axis=-1, keepdims=True))[..., None])

    def own_return(x):                     # "compare with itself": every weight is 0
        R = x.returns()
        return x.per_episode((R - R)[..., None])

    def fixed(x):
        R = x.returns()
        return x.per_episode((R - (R.sum(axis=-1, keepdims=True) - R) / (x.m - 1))[..., None])

    def unfinished(x):
        return ...

    r = B.check_fix(batch_mean, quiet=True)
    assert not r.correct and "0.667" in r.message
    r = B.check_fix(own_return, quiet=True)
    assert not r.correct and "Hint" in r.message
    assert B.check_fix(unfinished, quiet=True).status == "missing"
    assert not B.check_fix(lambda x: 1 / 0, quiet=True).correct
    assert B.check_fix(fixed, quiet=True).correct


def test_fix_check_accepts_only_the_fix_asked_for_not_any_unbiased_estimator():
    """Issue 17: plain REINFORCE, R − 5 and reward-to-go are unbiased, but not the
    leave-one-out baseline the exercise asks for; each is rejected with a hint naming it."""
    def plain(x):
        return x.per_episode(x.returns()[..., None])

    def minus_five(x):
        return x.per_episode(x.returns()[..., None] - 5.0)

    def state_baseline(x):                 # unbiased too, and no named impostor
        return x.per_episode(x.reward_to_go() - x.V)

    def fixed_other_way(x):                # R_i − mean of others, written differently
        R = x.returns()
        return x.per_episode((x.m * R - R.sum(axis=-1, keepdims=True))[..., None] / (x.m - 1))

    for fn, words in ((plain, "plain REINFORCE"), (minus_five, "constant baseline, R(τ_i) − 5"),
                      (B.reward_to_go, "reward-to-go"), (state_baseline, "E[ĝ] = ∇U, but"),
                      (B.mystery_c, "0.100 × ∇U")):
        assert B.compare(fn, *M.example_mdp(), THETAS, m=3).cls in ("unbiased", "scaled")
        r = B.check_fix(fn, quiet=True)
        assert r.status == "keep working" and words in r.message, (fn, r.message)
    assert B.check_fix(fixed_other_way, quiet=True).correct
    wrong_shape = B.check_fix(lambda x: x.returns(), quiet=True)
    assert not wrong_shape.correct and "shape" in wrong_shape.message


def test_fix_check_says_what_went_wrong_in_the_learners_own_function():
    """A forgotten return, an exception, the weights returned instead of ĝ, the subtraction
    turned round and a mean that still includes τ_i each get a message about *that* —
    never the generic 'remove the quotes' of a text answer."""
    def no_return(x):
        R = x.returns()
        x.per_episode((R - (R.sum(axis=-1, keepdims=True) - R) / (x.m - 1))[..., None])

    def flat_weights(x):                   # weights of shape (..., m): numpy cannot broadcast
        R = x.returns()
        return x.per_episode(R - (R.sum(axis=-1, keepdims=True) - R) / (x.m - 1))

    def turned_round(x):
        R = x.returns()
        return x.per_episode(((R.sum(axis=-1, keepdims=True) - R) / (x.m - 1) - R)[..., None])

    def self_over_m_minus_one(x):          # the sum still includes R(τ_i)
        R = x.returns()
        return x.per_episode((R - R.sum(axis=-1, keepdims=True) / (x.m - 1))[..., None])

    cases = ((no_return, "returned None", "forget the return"),
             (flat_weights, "raised ValueError", "(..., m, 1)"),
             (lambda x: x.returns(), "returned shape (220, 3)", "not the weights"),
             (turned_round, "-1.000 × ∇U", "downhill"),
             (self_over_m_minus_one, "0.500 × ∇U", "include τ_i"),
             (42, "not a function", "def fixed"))
    for fn, problem, hint in cases:
        r = B.check_fix(fn, quiet=True)
        assert r.status == "keep working" and problem in r.message, r.message
        assert hint in r.message.split("Hint:")[1] and "quotes" not in r.message, r.message


@pytest.mark.parametrize("answer", ["Unbiased", "UNBIASED", " unbiased ", "UnBiased",
                                    "unbiased.", "'unbiased'"])
def test_mystery_classes_accept_any_capitalisation(answer):
    assert B.check_classification(answer, "mystery_a", quiet=True).correct
    misspelt = answer.lower().replace("unbiased", "unbiase")
    assert not B.check_classification(misspelt, "mystery_a", quiet=True).correct


# -- bad input -----------------------------------------------------------------------------------
def test_bad_input_gives_clear_value_errors(example):
    mdp, pol = example
    with pytest.raises(ValueError, match="not an estimator of the gallery"):
        B.get("reinforce_but_better")
    with pytest.raises(ValueError, match="not an estimator"):
        B.expectation("nope", mdp, pol, [0.0, 0.0])
    with pytest.raises(ValueError, match="wrong shape"):
        B.expectation("full_return", mdp, M.tabular_softmax(3, 2), np.zeros(6))
    with pytest.raises(ValueError, match="wrong shape"):
        B.compare("full_return", mdp, M.tabular_softmax(5, 3), THETAS)
    with pytest.raises(ValueError, match="theta"):
        B.expectation("full_return", mdp, pol, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="TabularMDP"):
        B.Enumeration("mdp", pol)
    with pytest.raises(ValueError, match="at least m = 2"):
        B.expectation("leave_one_out_baseline", mdp, pol, [0.0, 0.0], 1)
    with pytest.raises(ValueError, match="rng"):
        B.expectation("full_return", mdp, pol, [0.0, 0.0], method="monte carlo")
    with pytest.raises(ValueError, match="method"):
        B.expectation("full_return", mdp, pol, [0.0, 0.0], method="guess")
    with pytest.raises(ValueError, match="theta_old"):
        B.compare("reuse_no_ratio", mdp, pol, THETAS)
    with pytest.raises(ValueError, match="against"):
        B.compare("full_return", mdp, pol, THETAS, against="V")
    with pytest.raises(ValueError, match="Sample"):
        B.get("full_return")(np.zeros(3))
    with pytest.raises(ValueError, match="horizon"):
        B.expectation("full_return", M.TabularMDP(mdp.P, mdp.r, mdp.rho, terminal=[4],
                                                  horizon=2), pol, [0.0, 0.0])
    with pytest.raises(ValueError, match="not a mystery"):
        B.mystery_class("mystery_z")


def test_a_zero_expectation_is_never_scaled(example):
    # rounding leaves E[ĝ] ≈ 1e-17 ∇U for the Q baseline; that is zero, not a tiny positive scale
    mdp, pol = example
    for m in (1, 3):
        c = B.compare("q_baseline", mdp, pol, THETAS, m=m)
        assert c.cls == "biased" and c.zero and np.isnan(c.scale)


def test_batch_weights_are_multinomial_in_the_trajectory_probabilities():
    for make in (M.example_mdp, B.quit_or_continue_mdp, B.padded_example_mdp, B.aliased_mdp):
        mdp, pol = make()
        for m in (1, 3):
            enum = B.Enumeration(mdp, pol, m)
            counts = np.stack([(enum.index == j).sum(axis=1)
                               for j in range(enum.trajectories.m)], axis=1)
            for theta in ([0.0, 0.0], [2.0, -3.0], [-7.0, 5.0]):
                p = M.trajectory_probabilities(mdp, pol, theta, enum.trajectories)
                expected = np.array([
                    math.factorial(m) / np.prod([math.factorial(c) for c in row])
                    * np.prod(p ** row) for row in counts])
                np.testing.assert_allclose(enum.weights(theta), expected, rtol=1e-12)
                assert abs(enum.weights(theta).sum() - 1) < 1e-12
