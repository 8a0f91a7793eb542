"""KL penalties on the toy language model (notebook 12): every identity the notebook states,
checked exactly (enumeration), against finite differences, closed forms and sympy.

Notation: ℓ = log π_θ/π_ref (per answer, or ℓ_t per token), samples from π_θ; Schulman's
r = π_ref/π_θ = e^{−ℓ}; k1 = ℓ, k2 = ℓ²/2, k3 = e^{−ℓ} − 1 + ℓ, k3 inverted = e^{ℓ} − 1 − ℓ.
"""

import numpy as np
import pytest
import sympy as sp

from helpers import finite_difference_gradient, kl, toy_lm

BETA = 0.25


@pytest.fixture(scope="module")
def task():
    return toy_lm.Task()


@pytest.fixture(scope="module")
def family(task):
    return kl.Family(task)


@pytest.fixture(scope="module")
def prefix(task):
    return kl.Family(task, "prefix")


@pytest.fixture(scope="module")
def ref(family):
    return kl.reference(family, family.initial_theta())


@pytest.fixture(scope="module")
def theta(family):
    """A θ well away from the reference, in notebook 09's family."""
    return family.initial_theta() + 0.8 * np.random.default_rng(3).normal(size=family.n_params)


@pytest.fixture(scope="module")
def trained(family, ref):
    return kl.train(family, ref, 0.0, "none", 100, 4.0).theta


def directional_check(f, grad, theta, rng, n=4, h=1e-5, rtol=1e-6):
    """u·∇f against central differences along random unit directions u."""
    for _ in range(n):
        u = rng.normal(size=theta.size)
        u /= np.linalg.norm(u)
        fd = (f(theta + h * u) - f(theta - h * u)) / (2 * h)
        assert fd == pytest.approx(u @ grad, rel=rtol, abs=1e-8)


# -- the families ------------------------------------------------------------------------
def test_previous_token_family_is_notebook_09s_policy(task, family, theta):
    np.testing.assert_allclose(family.log_probs(theta), task.log_probs(theta), atol=1e-13)
    np.testing.assert_allclose(kl.grad_J(family, theta), task.grad_J(theta), atol=1e-14)
    ref09 = task.initial_theta()
    ref = kl.reference(family, ref09)
    assert kl.kl(family, theta, ref) == pytest.approx(task.kl(theta, ref09), rel=1e-12)
    np.testing.assert_allclose(kl.grad_kl(family, theta, ref), task.grad_kl(theta, ref09),
                               atol=1e-13)


def test_prefix_family_contains_notebook_09s_and_every_distribution(task, family, prefix,
                                                                    theta):
    assert prefix.n_params == 3 * 121 * 4 == 1452 and family.n_params == 48
    np.testing.assert_allclose(prefix.log_probs(prefix.from_previous_token(theta)),
                               family.log_probs(theta), atol=1e-13)
    logits = np.random.default_rng(0).normal(size=(3, task.answers.n)) * 2
    target = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(prefix.log_probs(kl.prefix_theta(prefix, target)), target,
                               atol=1e-12)
    assert kl.representation_gap(prefix, target)["gap"] == 0.0
    assert kl.representation_gap(family, family.log_probs(theta))["gap"] < 1e-12


def test_direction_matches_per_answer_gradients(family, prefix, theta, ref):
    rng = np.random.default_rng(1)
    for fam, th in ((family, theta), (prefix, prefix.from_previous_token(theta))):
        coef = rng.normal(size=(3, fam.task.answers.n, fam.task.max_len))
        total = sum(fam.answer_gradients(th, coef, q).sum(0) for q in range(3))
        np.testing.assert_allclose(fam.direction(th, coef), total, atol=1e-12)


# -- exact divergences and their gradients ------------------------------------------------
def test_gradients_against_finite_differences(family, prefix, theta, ref):
    fns = [(kl.kl, kl.grad_kl), (kl.kl_reversed, kl.grad_kl_reversed), (kl.chi2, kl.grad_chi2)]
    for f, g in fns:
        fd = finite_difference_gradient(lambda t, f=f: f(family, t, ref), theta, h=1e-5)
        np.testing.assert_allclose(g(family, theta, ref), fd, atol=1e-7)
    th, ref_p = prefix.from_previous_token(theta), kl.reference(prefix, prefix.initial_theta())
    rng = np.random.default_rng(2)
    for f, g in fns:
        directional_check(lambda t, f=f: f(prefix, t, ref_p), g(prefix, th, ref_p), th, rng)
    directional_check(lambda t: kl.J(prefix, t), kl.grad_J(prefix, th), th, rng)


def test_chain_rule_per_token_kls_sum_to_the_sequence_kl(task, family, theta, ref):
    """KL(π_θ‖π_ref) = E[Σ_t KL(π_θ(·|c_t) ‖ π_ref(·|c_t))], contexts c_t visited by π_θ."""
    lp, lr = family.token_log_probs(theta), family.token_log_probs(family.initial_theta())
    per_context = (np.exp(lp) * (lp - lr)).sum(-1)                  # (Q, rows)
    visits = per_context[:, family.rows] * family.mask              # (Q, n, T)
    total = (family.probs(theta) * visits.sum(-1)).sum(1).mean()
    assert total == pytest.approx(kl.kl(family, theta, ref), rel=1e-12)


# -- what the estimators estimate ---------------------------------------------------------
@pytest.mark.parametrize("level", kl.LEVELS)
def test_k1_and_k3_are_unbiased_k2_is_not(family, theta, ref, level):
    exact = kl.kl(family, theta, ref)
    for name in ("k1", "k3"):
        mo = kl.estimate_moments(family, theta, ref, name, level)
        assert mo.mean == pytest.approx(exact, rel=1e-12) and mo.reference == pytest.approx(exact)
    assert abs(kl.estimate_moments(family, theta, ref, "k2", level).mean - exact) > 1e-3


def test_inverted_k3_estimates_chi2_minus_kl(family, theta, ref, trained):
    for th in (theta, trained):
        div, x2 = kl.kl(family, th, ref), kl.chi2(family, th, ref)
        mo = kl.estimate_moments(family, th, ref, "k3_inverted", "sequence")
        assert mo.mean == pytest.approx(x2 - div, rel=1e-11)
    # per token: Σ_t E[χ²_t(c_t)] − KL (χ² of each next-token distribution)
    lp, lr = family.token_log_probs(theta), family.token_log_probs(family.initial_theta())
    chi2_context = (np.exp(2 * lp - lr)).sum(-1) - 1
    visits = (chi2_context[:, family.rows] * family.mask).sum(-1)
    want = (family.probs(theta) * visits).sum(1).mean() - kl.kl(family, theta, ref)
    got = kl.estimate_moments(family, theta, ref, "k3_inverted", "token").mean
    assert got == pytest.approx(want, rel=1e-11)


def test_near_the_reference_every_divergence_is_the_same_quadratic(family):
    """χ² ≈ 2 KL, KL(π_ref‖π) ≈ KL(π‖π_ref), E[k2] ≈ KL, E[inverted k3] ≈ KL, as θ → θ_ref."""
    th0 = family.initial_theta()
    ref = kl.reference(family, th0)
    u = np.random.default_rng(5).normal(size=th0.size)
    errors = []
    for eps in (1e-1, 1e-2):
        th = th0 + eps * u
        d = kl.kl(family, th, ref)
        errors.append(max(abs(kl.chi2(family, th, ref) / (2 * d) - 1),
                          abs(kl.kl_reversed(family, th, ref) / d - 1),
                          abs(kl.estimate_moments(family, th, ref, "k2", "sequence").mean / d - 1),
                          abs(kl.estimate_moments(family, th, ref, "k3_inverted", "sequence")
                              .mean / d - 1)))
    assert errors[1] < errors[0] / 5 and errors[1] < 0.03


def test_variance_against_direct_sums(family, theta, ref):
    """exact.moments' variance equals Σ_q Var_q / Q² computed by hand."""
    p = family.probs(theta)
    for name in kl.ESTIMATORS:
        for level in kl.LEVELS:
            v = kl.estimates(family, theta, ref, name, level)
            mean = (p * v).sum(1)
            var = (p * (v - mean[:, None]) ** 2).sum(1).sum() / 9
            mo = kl.estimate_moments(family, theta, ref, name, level)
            assert mo.mean == pytest.approx(mean.mean()) and mo.trace_cov == pytest.approx(var)


def test_sampling_agrees_with_the_enumeration(task, family, ref):
    th = kl.train(family, ref, 0.0, "none", 3, 4.0).theta
    rng = np.random.default_rng(11)
    values = kl.estimates(family, th, ref, "k3", "token")
    rows = np.array([task.sample(th, q, 4000, rng) for q in range(3)])
    draws = values[np.arange(3)[:, None], rows].mean(0)
    mo = kl.estimate_moments(family, th, ref, "k3", "token")
    assert abs(draws.mean() - mo.mean) < 4.5 * draws.std(ddof=1) / np.sqrt(draws.size)
    assert abs(draws.var(ddof=1) / mo.trace_cov - 1) < 0.2


# -- gradients ---------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["theta", "trained"])
def test_sequence_level_gradient_identities(family, ref, theta, trained, which):
    th = theta if which == "theta" else trained
    E = lambda n, where: kl.expected_gradient(family, th, ref, n, where, "sequence")  # noqa: E731
    fwd, rev = kl.grad_kl(family, th, ref), kl.grad_kl_reversed(family, th, ref)
    scale = max(np.abs(fwd).max(), np.abs(rev).max())
    close = lambda a, b: np.testing.assert_allclose(a, b, atol=1e-12 * max(1, scale))  # noqa
    close(E("k1", "loss"), 0)                          # E[∇log π] = 0
    close(E("k2", "loss"), fwd)                        # E[ℓ ∇log π] = ∇KL(π‖π_ref)
    close(E("k3", "loss"), rev)                        # E[(1 − r)∇log π] = ∇KL(π_ref‖π)
    close(E("k3_inverted", "loss"), kl.grad_chi2(family, th, ref) / 2)
    close(E("k1", "reward"), fwd)
    close(E("k3", "reward"), fwd - rev)                # E[k3 ∇log π] = ∇KL − ∇KL(π_ref‖π)
    # in the reward, per token, k1 is per sequence k1 (Σ_t ℓ_t = ℓ)
    close(kl.expected_gradient(family, th, ref, "k1", "reward", "token"), fwd)


def test_loss_and_reward_are_two_halves_of_the_product_rule(family, trained, ref):
    """E[∇k] + E[k ∇log π] = ∇E_θ[k] for every estimator, per sequence and per token (per
    token with the penalties from t on as rewards): finite differences of the exact mean."""
    for name in kl.ESTIMATORS:
        for level in kl.LEVELS:
            fd = finite_difference_gradient(
                lambda t, n=name, lv=level: kl.estimate_moments(family, t, ref, n, lv).mean,
                trained, h=1e-5)
            both = sum(kl.expected_gradient(family, trained, ref, name, where, level)
                       for where in kl.PLACEMENTS)
            np.testing.assert_allclose(both, fd, atol=5e-9)


#: the estimators written out again here, so the next test does not lean on kl's own
K_OF_ELL = {"k1": lambda e: e, "k2": lambda e: e**2 / 2,
            "k3": lambda e: np.exp(-e) - 1 + e, "k3_inverted": lambda e: np.exp(e) - 1 - e}


@pytest.mark.parametrize("which", ["theta", "trained"])
def test_expected_gradients_are_the_surrogates_derivatives(family, ref, theta, trained, which):
    """Each of the 16 entries of the notebook's table from its definition, by finite
    differences of a surrogate built from the policy's log-probabilities alone: *in the loss*
    the answers' probabilities stay at θ and only the estimate moves (autodiff through
    log π_θ of the sampled tokens); *in the reward* the estimate stays at θ and the
    probabilities move (the score function). Per token in the reward, the whole sum of
    penalties is the weight: rewards-to-go have the same expectation. Also TRL's
    use_bias_correction_kl, Σ_t (π_θ/π_old)·k3(ℓ_t) with π_old = π_θ held fixed: k2's
    per-token gradient."""
    th = theta if which == "theta" else trained
    mask = family.mask

    def estimate(t, name, level):
        ell = np.where(mask, family.position_log_probs(t) - ref, 0.0)
        if level == "sequence":
            return K_OF_ELL[name](ell.sum(-1))
        return np.where(mask, K_OF_ELL[name](ell), 0.0).sum(-1)

    def mean(p, values):
        return float((p * values).sum(1).mean())

    p0 = family.probs(th)
    for name in kl.ESTIMATORS:
        for level in kl.LEVELS:
            fixed = estimate(th, name, level)
            want = {
                "loss": finite_difference_gradient(
                    lambda t, n=name, lv=level: mean(p0, estimate(t, n, lv)), th, h=1e-5),
                "reward": finite_difference_gradient(
                    lambda t, v=fixed: mean(family.probs(t), v), th, h=1e-5)}
            for placement, fd in want.items():
                got = kl.expected_gradient(family, th, ref, name, placement, level)
                np.testing.assert_allclose(got, fd, atol=1e-7 * max(1.0, np.abs(fd).max()),
                                           err_msg=f"{name} in the {placement}, {level}")
    lp0 = family.position_log_probs(th)

    def trl(t):
        lp = family.position_log_probs(t)
        k3 = K_OF_ELL["k3"](np.where(mask, lp - ref, 0.0))
        return mean(p0, np.where(mask, np.exp(lp - lp0) * k3, 0.0).sum(-1))

    np.testing.assert_allclose(finite_difference_gradient(trl, th, h=1e-5),
                               kl.expected_gradient(family, th, ref, "k2", "loss", "token"),
                               atol=1e-8)


def test_per_token_errors_are_second_order_near_the_reference(family):
    """Why every loss row is within a few degrees near π_ref: per token, the gap to
    ∇KL(π_θ‖π_ref) (k2: the future terms, whose conditional mean is the KL of what follows;
    k3: besides, the other direction) shrinks relative to ∇KL as θ → θ_ref."""
    th0 = family.initial_theta()
    ref = kl.reference(family, th0)
    u = np.random.default_rng(8).normal(size=th0.size)
    rel = {}
    for eps in (1e-1, 1e-2):
        th = th0 + eps * u
        g = kl.grad_kl(family, th, ref)
        rel[eps] = [np.linalg.norm(kl.expected_gradient(family, th, ref, n, "loss", lv) - g)
                    / np.linalg.norm(g) for n in ("k2", "k3", "k3_inverted")
                    for lv in kl.LEVELS if (n, lv) != ("k2", "sequence")]
    for far, near in zip(rel[1e-1], rel[1e-2], strict=True):
        assert near < far / 5 and near < 0.05


def test_per_token_loss_gradients_hold_the_contexts_fixed(family, trained, ref):
    """Per token in the loss: k2 gives Σ_c P(c) ∇_c KL(π(·|c)‖π_ref(·|c)) and k3 gives
    Σ_c P(c) ∇_c KL(π_ref(·|c)‖π(·|c)), each context's own divergence with the probability
    P(c) of reaching it held fixed; neither is the sequence KL's gradient."""
    Q, R = 3, family.n_rows
    lp = family.token_log_probs(trained)
    lr = family.token_log_probs(family.initial_theta())
    pi, pr = np.exp(lp), np.exp(lr)
    reach = np.zeros((Q, R))
    p = family.probs(trained)
    for t in range(family.task.max_len):
        valid = family.mask[:, t]
        np.add.at(reach, (slice(None), family.rows[valid, t]), p[:, valid])
    kl_c = (pi * (lp - lr)).sum(-1, keepdims=True)
    grad_fwd = reach[..., None] * pi * (lp - lr - kl_c) / Q      # ∇_z KL(softmax z ‖ π_ref)
    grad_rev = reach[..., None] * (pi - pr) / Q                  # ∇_z KL(π_ref ‖ softmax z)
    k2 = kl.expected_gradient(family, trained, ref, "k2", "loss", "token")
    k3 = kl.expected_gradient(family, trained, ref, "k3", "loss", "token")
    np.testing.assert_allclose(k2, grad_fwd.ravel(), atol=1e-13)
    np.testing.assert_allclose(k3, grad_rev.ravel(), atol=1e-13)
    assert kl.compare(k2, kl.grad_kl(family, trained, ref))["angle"] > 5
    assert kl.compare(k3, kl.grad_kl_reversed(family, trained, ref))["angle"] > 5


def test_per_token_loss_misses_exactly_the_future_terms(family, trained, ref):
    ell = kl.log_ratios(family, trained, ref)
    future = np.cumsum(ell[..., ::-1], axis=-1)[..., ::-1] - ell
    p = family.probs(trained)[..., None] / 3
    np.testing.assert_allclose(
        kl.expected_gradient(family, trained, ref, "k2", "loss", "token")
        + family.direction(trained, p * future), kl.grad_kl(family, trained, ref), atol=1e-13)


def test_rewards_to_go_and_whole_sums_have_the_same_expectation(family, theta, ref):
    """Per-token penalties as rewards: weighting each token by the penalties from t on, or
    by all of them, gives the same expected gradient (earlier rewards × later scores = 0)."""
    for name in kl.ESTIMATORS:
        k = np.where(family.mask, kl.estimator_value(name, kl.log_ratios(family, theta, ref)), 0)
        whole = np.broadcast_to(k.sum(-1, keepdims=True), k.shape)
        p = family.probs(theta)[..., None] / 3
        np.testing.assert_allclose(
            kl.expected_gradient(family, theta, ref, name, "reward", "token"),
            family.direction(theta, p * whole), atol=1e-12)


def test_library_corrections_give_k2s_gradient_token_by_token():
    """verl's "k3+" back-propagates k2 by construction; TRL's use_bias_correction_kl
    multiplies k3 by w = π_θ/π_old, whose gradient on-policy (w = 1, ∇w = ∇log π) gives each
    token the coefficient k3(ℓ) + k3'(ℓ) = ℓ, k2's slope, for every ℓ."""
    ell = np.linspace(-12, 12, 601)
    np.testing.assert_allclose(kl.estimator_value("k3", ell) + kl.estimator_slope("k3", ell),
                               kl.estimator_slope("k2", ell), atol=1e-9, rtol=1e-9)


def test_slopes_are_the_derivatives_of_the_values():
    ell, h = np.linspace(-3, 3, 25), 1e-6
    for name in kl.ESTIMATORS:
        fd = (kl.estimator_value(name, ell + h) - kl.estimator_value(name, ell - h)) / (2 * h)
        np.testing.assert_allclose(kl.estimator_slope(name, ell), fd, atol=1e-8)
        assert np.all(kl.estimator_value(name, ell)[ell != 0] != 0)
    assert np.all(kl.estimator_value("k3", ell) >= 0) and np.all(kl.estimator_value("k2", ell) >= 0)


def test_everything_vanishes_at_the_reference(family, ref):
    """At π_θ = π_ref every ℓ_t is 0: every estimator's expected gradient is 0, in the loss
    and in the reward (why a KL anchored to π_old does nothing where it is evaluated)."""
    th0 = family.initial_theta()
    for name in kl.ESTIMATORS:
        for placement in kl.PLACEMENTS:
            for level in kl.LEVELS:
                g = kl.expected_gradient(family, th0, ref, name, placement, level)
                assert np.abs(g).max() < 1e-15
    assert kl.kl(family, th0, ref) == 0 and np.abs(kl.grad_kl(family, th0, ref)).max() < 1e-15


def test_notebooks_table_numbers(family, ref, trained):
    rows = {(r["estimator"], r["placement"], r["level"]): r
            for r in kl.gradient_table(family, trained, ref)}
    assert rows["k3", "loss", "sequence"]["ratio"] == pytest.approx(13.5946, rel=1e-4)
    assert rows["k3", "loss", "sequence"]["angle_rev"] == pytest.approx(0, abs=1e-5)
    assert rows["k2", "loss", "token"]["angle"] == pytest.approx(8.6033, rel=1e-4)
    assert rows["k1", "loss", "sequence"]["ratio"] < 1e-12
    text = kl.format_gradient_tables({"trained": list(rows.values())})
    assert "0 (exactly)" in text and "13.595×" in text


# -- sympy: the closed forms on a three-outcome softmax ----------------------------------
def test_closed_forms_with_sympy():
    """q = softmax(z1, z2, 0) samples, p a fixed reference: E_q[k3] = KL(q‖p),
    E_q[inverted k3] = χ²(q‖p) − KL(q‖p), and the expected gradients in the loss."""
    z1, z2 = sp.symbols("z1 z2", real=True)
    ez = [sp.exp(z1), sp.exp(z2), sp.Integer(1)]
    q = [e / sum(ez) for e in ez]
    p = [sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(1, 6)]
    ell = [sp.log(qi) - sp.log(pi) for qi, pi in zip(q, p, strict=True)]
    E = lambda f: sum(qi * f(i) for i, qi in enumerate(q))  # noqa: E731
    klqp = E(lambda i: ell[i])
    klpq = sum(pi * (sp.log(pi) - sp.log(qi)) for qi, pi in zip(q, p, strict=True))
    chi2 = E(lambda i: q[i] / p[i]) - 1
    k3 = lambda i: sp.exp(-ell[i]) - 1 + ell[i]  # noqa: E731
    k3inv = lambda i: sp.exp(ell[i]) - 1 - ell[i]  # noqa: E731
    point = {z1: sp.Rational(3, 10), z2: sp.Rational(-7, 10)}
    num = lambda e: float(sp.N(e.subs(point), 30))  # noqa: E731
    assert sp.simplify(sp.expand_log(E(k3) - klqp, force=True)) == 0
    assert abs(num(E(k3inv) - (chi2 - klqp))) < 1e-25
    for z in (z1, z2):
        score = [sp.diff(sp.log(qi), z) for qi in q]
        loss = lambda slope, s=score: E(lambda i: slope(i) * s[i])  # noqa: E731
        assert abs(num(loss(lambda i: 1))) < 1e-25                                     # k1
        assert abs(num(loss(lambda i: ell[i]) - sp.diff(klqp, z))) < 1e-25             # k2
        assert abs(num(loss(lambda i: 1 - sp.exp(-ell[i])) - sp.diff(klpq, z))) < 1e-25  # k3
        assert abs(num(loss(lambda i: sp.exp(ell[i]) - 1) - sp.diff(chi2, z) / 2)) < 1e-25
        assert abs(num(E(lambda i, s=score: k3(i) * s[i])
                       - (sp.diff(klqp, z) - sp.diff(klpq, z)))) < 1e-25


# -- the optimum ---------------------------------------------------------------------------
def test_objective_identity_and_the_optimum(task, family, theta, ref):
    """E_π[r] − β KL(π‖π_ref) = β log Z − β KL(π‖π*) for any π; π* is the maximiser."""
    ra = ref.sum(-1)
    star = kl.optimal_log_probs(ra, task.rewards, BETA)
    np.testing.assert_allclose(np.exp(star).sum(1), 1, atol=1e-13)
    log_z = np.log((np.exp(ra) * np.exp(task.rewards / BETA)).sum(1))
    best = kl.objective(star, ra, task.rewards, BETA)
    assert best == pytest.approx(BETA * log_z.mean(), rel=1e-12)
    lp = family.log_probs(theta)
    gap = kl.answer_kl(lp, star).mean()
    assert kl.objective(lp, ra, task.rewards, BETA) == pytest.approx(best - BETA * gap, rel=1e-12)
    # KL(π*‖π_ref) = E_π*[r]/β − log Z, per prompt
    reward = (np.exp(star) * task.rewards).sum(1)
    np.testing.assert_allclose(kl.answer_kl(star, ra), reward / BETA - log_z, atol=1e-12)
    # only the correct answer's probability changes relative to the others
    ratio = np.exp(star - ra)
    for q in range(3):
        wrong = ratio[q][task.rewards[q] == 0]
        np.testing.assert_allclose(wrong, wrong[0], rtol=1e-12)
        assert ratio[q][task.rewards[q] == 1][0] == pytest.approx(wrong[0] * np.exp(1 / BETA))


def test_the_tradeoff_curve_has_slope_beta(task, ref):
    ra = ref.sum(-1)
    for beta in (0.1, 0.25, 1.0, 4.0):
        c = kl.tradeoff(ra, task.rewards, [beta * (1 - 1e-4), beta * (1 + 1e-4)])
        slope = np.diff(c["reward"])[0] / np.diff(c["kl"])[0]
        assert slope == pytest.approx(beta, rel=1e-6)
    curve = kl.tradeoff(ra, task.rewards, np.logspace(-2, 2, 50))
    assert np.all(np.diff(curve["kl"]) <= 0) and np.all(np.diff(curve["reward"]) <= 0)
    assert np.all(np.diff(curve["kl"][25:]) < 0)     # β ≥ 1: strictly
    value = curve["kl"][20]
    assert kl.frontier_reward(ra, task.rewards, value) == pytest.approx(curve["reward"][20],
                                                                          rel=1e-9)


def test_beta_extremes_and_bad_beta(task, ref):
    ra = ref.sum(-1)
    zero = kl.optimal_log_probs(ra, task.rewards, 0)
    np.testing.assert_allclose((np.exp(zero) * task.rewards).sum(1), 1, atol=1e-12)
    tiny = kl.optimal_log_probs(ra, task.rewards, 1e-9)
    np.testing.assert_allclose(np.exp(tiny), np.exp(zero), atol=1e-12)
    assert np.allclose(kl.optimal_log_probs(ra, task.rewards, np.inf), ra)
    huge = kl.optimal_log_probs(ra, task.rewards, 1e12)
    assert np.all(np.isfinite(huge)) and np.allclose(huge, ra, atol=1e-11)
    assert kl.tradeoff(ra, task.rewards, 0.0)["kl"][0] == pytest.approx(
        -np.log(task.success(task.initial_theta())).mean())
    for bad in (-0.1, float("nan"), "big", None):
        with pytest.raises(ValueError, match="beta"):
            kl.optimal_log_probs(ra, task.rewards, bad)
    with pytest.raises(ValueError, match="beta"):
        kl.train(kl.Family(task), ref, -1.0, "exact", 1, 1.0)


def test_notebook_09s_table_cannot_represent_the_optimum(task, family, prefix, ref):
    star = kl.optimal_log_probs(ref.sum(-1), task.rewards, BETA)
    gap = kl.representation_gap(family, star)
    assert gap["prefixes"] == ("c", "ac") and gap["prompt"] == "say c" and gap["gap"] > 0.7
    cond = kl.conditionals(prefix, star)
    index = {p: i for i, p in enumerate(prefix.prefixes)}
    assert cond[2, index[(2,)], toy_lm.EOS] > 0.9                     # after "c": stop
    assert cond[2, index[(0, 2)], toy_lm.EOS] == pytest.approx(       # after "ac": as π_ref
        np.exp(family.token_log_probs(family.initial_theta()))[2, 2, toy_lm.EOS])


# -- training ----------------------------------------------------------------------------
def test_training_ends_where_the_notebook_says(task, prefix, family, ref):
    ref_p = kl.reference(prefix, prefix.initial_theta())
    runs = {r: kl.train(prefix, ref_p, BETA, r, 300, 8.0)
            for r in ("exact", "k1_loss", "k3_loss", "none", "k1_reward")}
    star = kl.optimal_log_probs(ref.sum(-1), task.rewards, BETA)
    star_reward = (np.exp(star) * task.rewards).sum(1).mean()
    assert runs["exact"].kl_to_optimum[-1] < 1e-3
    np.testing.assert_allclose(runs["k1_reward"].kl, runs["exact"].kl, atol=1e-9)
    np.testing.assert_allclose(runs["k1_loss"].reward, runs["none"].reward, atol=1e-9)
    assert runs["k1_loss"].reward[-1] > star_reward + 0.1
    k3 = runs["k3_loss"]
    assert k3.reward[-1] < star_reward - 0.05 and k3.kl_to_optimum[-1] > 0.05
    assert kl.frontier_reward(ref.sum(-1), task.rewards, k3.kl[-1]) > k3.reward[-1] + 0.01
    assert np.all(np.diff(runs["exact"].objective[50:]) > -1e-12)   # ascent on the objective
    in_table = kl.train(family, ref, BETA, "exact", 300, 8.0)
    assert 0.02 < in_table.kl_to_optimum[-1] < 0.06


def test_format_runs_lines_up_and_reports_the_runs(prefix):
    ref_p = kl.reference(prefix, prefix.initial_theta())
    runs = {r: kl.train(prefix, ref_p, BETA, r, steps=4, eta=8.0) for r in ("exact", "k3_loss")}
    lines = kl.format_runs(runs, prefix, ref_p, BETA).splitlines()
    assert len({len(line) for line in lines}) == 1            # every column lines up
    assert lines[2].startswith(kl.RECIPE_LABELS["exact"])     # the longest label, whole
    assert f"{runs['k3_loss'].kl_to_optimum[-1]:9.4f}" in lines[3]


def test_the_explore_tasks_sketch(task, prefix):
    """Notebook 12's Explore: k3 per token in the loss ends below π*'s reward for β = 0.1,
    0.25 and 1, and further from π* the smaller β."""
    ref_p = kl.reference(prefix, prefix.initial_theta())
    gaps = []
    for beta in (0.1, 0.25, 1.0):
        star = kl.optimal_log_probs(ref_p.sum(-1), task.rewards, beta)
        run = kl.train(prefix, ref_p, beta, "k3_loss", 300, 8.0)
        assert run.reward[-1] < (np.exp(star) * task.rewards).sum(1).mean()
        gaps.append(run.kl_to_optimum[-1])
    assert gaps[0] > gaps[1] > gaps[2] > 0


def test_a_kl_anchored_to_pi_old_is_no_penalty(prefix):
    ref_p = kl.reference(prefix, prefix.initial_theta())
    none = kl.train(prefix, ref_p, BETA, "none", 60, 8.0)
    for recipe in ("exact", "k3_loss", "k2_loss", "k1_reward"):
        old = kl.train(prefix, ref_p, BETA, recipe, 60, 8.0, anchor="old")
        assert np.array_equal(old.kl, none.kl)
    slowed = kl.train(prefix, ref_p, BETA, "exact", 60, 8.0, anchor="old", refresh=4)
    assert not np.array_equal(slowed.kl, none.kl)
    assert slowed.kl[-1] > kl.train(prefix, ref_p, BETA, "exact", 60, 8.0).kl[-1] + 0.5


# -- bad input -----------------------------------------------------------------------------
def test_infinite_kl_is_reported_not_nan(task, family, trained):
    ref = kl.min_p_reference(family, family.initial_theta(), 0.5)
    message = kl.infinite_kl(family, trained, ref)
    assert message.startswith("KL(π_θ‖π_ref) is infinite") and "say" in message
    assert kl.kl(family, trained, ref) == np.inf and kl.chi2(family, trained, ref) == np.inf
    for call in (lambda: kl.grad_kl(family, trained, ref),
                 lambda: kl.estimate_moments(family, trained, ref, "k3", "token"),
                 lambda: kl.expected_gradient(family, trained, ref, "k2", "loss", "token")):
        with pytest.raises(ValueError, match="infinite"):
            call()
    # the optimum stays within the reference's support, with a finite KL
    ra = ref.sum(-1)
    star = kl.optimal_log_probs(ra, task.rewards, BETA)
    assert np.all(np.exp(star)[np.isneginf(ra)] == 0)
    assert np.all(np.isfinite(kl.answer_kl(star, ra)))
    assert np.isinf(kl.answer_kl(family.log_probs(trained), ra)).any()
    assert kl.infinite_kl(family, family.initial_theta(),
                          kl.reference(family, family.initial_theta())) is None


def test_bad_names_and_shapes(task, family, ref, theta):
    with pytest.raises(ValueError, match="estimator"):
        kl.estimator_value("k4", 0.0)
    with pytest.raises(ValueError, match="placement"):
        kl.expected_gradient(family, theta, ref, "k1", "critic", "token")
    with pytest.raises(ValueError, match="level"):
        kl.estimates(family, theta, ref, "k1", "word")
    with pytest.raises(ValueError, match="shape"):
        kl.kl(family, theta, ref[:, :10])
    with pytest.raises(ValueError, match="<= 0"):
        kl.kl(family, theta, np.abs(ref) + 1)
    with pytest.raises(ValueError, match="theta must have 48"):
        kl.kl(family, np.zeros(5), ref)
    with pytest.raises(ValueError, match="kind"):
        kl.Family(task, "suffix")
    with pytest.raises(ValueError, match="min_p"):
        kl.min_p_reference(family, theta, 1.5)
    with pytest.raises(ValueError, match="recipe"):
        kl.train(family, ref, 0.1, "k5_loss", 1, 1.0)
    with pytest.raises(ValueError, match="prefix"):
        kl.prefix_theta(family, family.log_probs(theta))
    with pytest.raises(ValueError, match="kl_value"):
        kl.frontier_reward(ref.sum(-1), task.rewards, 50.0)
