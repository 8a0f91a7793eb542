"""helpers.trust_region (notebook 11): every identity and bound the notebook states, checked
against independent code (helpers.mdp, helpers.pg_bugs), finite differences and random
policies.

* the values, visitation and gradient against notebook 04's code;
* Kakade & Langford's performance-difference identity, exactly;
* the surrogate ℒ: value and gradient equal to U's at θ_old, the gap second order; its
  gradient is the expectation of notebook 08's per-step-ratio estimator;
* TRPO's bound (Schulman et al. 2015, eq. 9) at random pairs and along lines, for several γ;
* the Fisher matrix as the Hessian of the d-weighted KL; the natural gradient as the
  steepest step at a fixed KL; the same update in distribution space under a
  reparameterisation (to first order), while the vanilla gradient's update turns;
* PPO's clipped objective: a pessimistic version of ℒ, its gradient by finite differences,
  zero exactly where the ratio is beyond 1 ± ε on the side that would gain;
* bad input: ε outside (0, 1), γ = 1 for the bound, a probability that becomes 0.
"""

import numpy as np
import pytest
from test_mdp import random_mdp

from helpers import finite_difference_gradient, pg_bugs, softmax
from helpers import mdp as M
from helpers import trust_region as tr

THETA_OLD = np.array([-3.0, 1.0])


@pytest.fixture(params=[0.5, 0.9], ids=["gamma=0.5", "gamma=0.9"])
def problem(request):
    mdp, policy = pg_bugs.discounted_example_mdp(request.param)
    return mdp, policy, tr.Logits(policy)


# ---------------------------------------------------------------- values and gradients --
def test_evaluation_matches_notebook_04s_code(problem):
    mdp, policy, par = problem
    for theta in ([-1.0, -1.0], THETA_OLD, [0.5, 2.0]):
        ev = tr.evaluate(mdp, par.probs(theta))
        V, Q = M.policy_evaluation(mdp, policy, theta)
        np.testing.assert_allclose(ev.V, V, atol=1e-13)
        np.testing.assert_allclose(ev.Q, Q, atol=1e-13)
        np.testing.assert_allclose(ev.A, Q - V[:, None] * (~mdp.terminal)[:, None], atol=1e-13)
        np.testing.assert_allclose(ev.d, M.discounted_visitation(mdp, policy, theta), atol=1e-13)
        assert abs(ev.U - M.exact_performance_by_enumeration(mdp, policy, theta)) < 1e-13
        np.testing.assert_allclose(tr.gradient(mdp, par, theta),
                                   M.exact_gradient_by_enumeration(mdp, policy, theta),
                                   atol=1e-13)


def test_stacked_tables_give_the_same_numbers(problem):
    mdp, _, par = problem
    thetas = np.array([[-1.0, -1.0], [0.0, 2.0], [1.5, -0.5]])
    tables = np.stack([par.probs(t) for t in thetas])
    ev = tr.evaluate(mdp, tables)
    for k, t in enumerate(thetas):
        one = tr.evaluate(mdp, par.probs(t))
        assert abs(ev.U[k] - one.U) < 1e-14
        np.testing.assert_allclose(ev.d[k], one.d, atol=1e-14)


def test_performance_difference_identity_is_exact():
    rng = np.random.default_rng(0)
    for gamma in (1.0, 0.5, 0.9):
        mdp, policy = pg_bugs.discounted_example_mdp(gamma)
        par = tr.Logits(policy)
        for _ in range(20):
            a, b = par.probs(rng.normal(size=2) * 2), par.probs(rng.normal(size=2) * 2)
            gap = tr.evaluate(mdp, b).U - tr.evaluate(mdp, a).U
            assert abs(tr.performance_difference(mdp, a, b) - gap) < 1e-13
    # and on a random MDP with three actions and shared features
    mdp = random_mdp(rng, S=6, gamma=0.8)
    policy = M.feature_softmax(rng.normal(size=(mdp.n_states, mdp.n_actions, 3)))
    for _ in range(10):
        a, b = policy.probs(rng.normal(size=3)), policy.probs(rng.normal(size=3))
        gap = tr.evaluate(mdp, b).U - tr.evaluate(mdp, a).U
        assert abs(tr.performance_difference(mdp, a, b) - gap) < 1e-13


# ---------------------------------------------------------------- the surrogate ---------
def test_surrogate_touches_U_to_first_order(problem):
    mdp, _, par = problem
    pi_old = par.probs(THETA_OLD)
    assert abs(tr.surrogate(mdp, pi_old, pi_old) - tr.evaluate(mdp, pi_old).U) < 1e-15
    np.testing.assert_allclose(tr.surrogate_gradient(mdp, par, THETA_OLD, THETA_OLD),
                               tr.gradient(mdp, par, THETA_OLD), atol=1e-14)
    # the gap U − ℒ is second order: gap/η² settles as η shrinks, and it grows with η
    u = tr.gradient(mdp, par, THETA_OLD)
    u = u / np.linalg.norm(u)
    gaps = [abs(tr.evaluate(mdp, par.probs(THETA_OLD + h * u)).U
                - tr.surrogate(mdp, pi_old, par.probs(THETA_OLD + h * u)))
            for h in (1e-3, 1e-2, 0.5, 2.0)]
    assert abs(gaps[0] / 1e-6 - gaps[1] / 1e-4) < 0.02 * gaps[1] / 1e-4
    assert gaps[0] < gaps[1] < gaps[2] < gaps[3]


def test_surrogate_gradient_by_finite_differences(problem):
    mdp, _, par = problem
    pi_old = par.probs(THETA_OLD)
    for theta in ([-2.0, 0.0], [1.0, 1.0]):
        theta = np.array(theta)
        fd = finite_difference_gradient(lambda t: tr.surrogate(mdp, pi_old, par.probs(t)),
                                        theta, h=1e-6)
        np.testing.assert_allclose(tr.surrogate_gradient(mdp, par, THETA_OLD, theta), fd,
                                   atol=1e-8)


def test_surrogate_is_notebook_08s_per_step_ratio(problem):
    """∇ℒ_old(θ) = E[per-step-ratio estimator on data from θ_old] (notebook 08, §6), and
    ℒ differs from pg_bugs.ppo_surrogate by a constant."""
    mdp, policy, par = problem
    pi_old = par.probs(THETA_OLD)
    offsets = []
    for theta in ([-2.0, 0.0], [1.0, 1.0], [0.0, -2.0]):
        theta = np.array(theta)
        np.testing.assert_allclose(
            tr.surrogate_gradient(mdp, par, THETA_OLD, theta),
            pg_bugs.gradient_from(mdp, policy, theta, states_at=THETA_OLD, returns_at=THETA_OLD),
            atol=1e-13)
        e = pg_bugs.expectation("reuse_step_ratio", mdp, policy, theta, theta_old=THETA_OLD)
        np.testing.assert_allclose(e.mean, tr.surrogate_gradient(mdp, par, THETA_OLD, theta),
                                   atol=1e-13)
        offsets.append(tr.surrogate(mdp, pi_old, par.probs(theta))
                       - pg_bugs.ppo_surrogate(mdp, policy, theta, THETA_OLD))
    assert np.ptp(offsets) < 1e-13


# ---------------------------------------------------------------- the TRPO bound --------
@pytest.mark.parametrize("gamma", [0.3, 0.5, 0.9])
def test_trpo_bound_holds_at_random_pairs_and_along_lines(gamma):
    mdp, policy = pg_bugs.discounted_example_mdp(gamma)
    par = tr.Logits(policy)
    rng = np.random.default_rng(int(gamma * 10))
    surrogate_above_U = 0
    for _ in range(300):
        a = rng.normal(size=2) * 2
        b = a + rng.normal(size=2) * rng.choice([0.03, 0.3, 1.0, 3.0])
        pa, pb = par.probs(a), par.probs(b)
        U_b = tr.evaluate(mdp, pb).U
        assert U_b >= tr.lower_bound(mdp, pa, pb) - 1e-12
        surrogate_above_U += U_b < tr.surrogate(mdp, pa, pb) - 1e-9
    # the penalty does work: without it (C = 0) the "bound" fails at many of these pairs
    assert surrogate_above_U > 30
    for direction in (tr.gradient(mdp, par, THETA_OLD), tr.natural_gradient(mdp, par, THETA_OLD),
                      [1.0, -1.0]):
        line = tr.along_line(mdp, par, THETA_OLD, direction, np.linspace(0, 5, 201), 0.2)
        assert np.all(line.U >= line.bound - 1e-12)
        assert abs(line.bound[0] - line.U[0]) < 1e-14      # equality at θ_old


def test_penalty_constant_is_the_papers():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    pi = tr.Logits(policy).probs(THETA_OLD)
    A = tr.evaluate(mdp, pi).A
    assert abs(tr.penalty_constant(mdp, pi) - 4 * 0.5 * np.abs(A).max() / 0.25) < 1e-12
    with pytest.raises(ValueError, match="γ < 1"):
        tr.penalty_constant(*pg_bugs.discounted_example_mdp(1.0)[:1], pi)


def test_kl_per_state_and_infinite_kl():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    par = tr.Logits(policy)
    a, b = par.probs([0.3, -1.0]), par.probs([1.0, 0.5])
    kl = tr.kl_per_state(mdp, a, b)
    live = ~mdp.terminal
    np.testing.assert_allclose(kl[live], (a * np.log(a / b)).sum(axis=1)[live], atol=1e-15)
    assert kl[mdp.terminal].sum() == 0 and tr.max_kl(mdp, a, b) == kl.max()
    d = tr.evaluate(mdp, a).d
    assert abs(tr.mean_kl(mdp, a, b) - kl @ d / d.sum()) < 1e-15
    # a probability that becomes 0: KL infinite, bound −∞, no error
    probs = tr.Probabilities(policy)
    zero = probs.probs([1.0, 0.4])
    assert np.isinf(tr.max_kl(mdp, a, zero)) and tr.lower_bound(mdp, a, zero) == -np.inf
    # and the other way round: KL(π_old ‖ π_new) is finite where only π_old has a zero
    assert np.isfinite(tr.max_kl(mdp, zero, a))


# ---------------------------------------------------------------- Fisher, natural ------
def test_fisher_is_the_hessian_of_the_weighted_kl(problem):
    mdp, policy, par = problem
    pi_old = par.probs(THETA_OLD)
    d = tr.evaluate(mdp, pi_old).d
    F = tr.fisher(mdp, par, THETA_OLD)

    def weighted_kl(t):
        return tr.kl_per_state(mdp, pi_old, par.probs(t)) @ d

    h, K = 1e-4, 2
    H = np.zeros((K, K))
    for i in range(K):
        for j in range(K):
            ei, ej = np.eye(K)[i] * h, np.eye(K)[j] * h
            H[i, j] = (weighted_kl(THETA_OLD + ei + ej) - weighted_kl(THETA_OLD + ei - ej)
                       - weighted_kl(THETA_OLD - ei + ej)
                       + weighted_kl(THETA_OLD - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(H, F, atol=1e-7)
    # the same matrix from the scores: Σ_s d Σ_a π ψ ψᵀ
    psi = policy.scores(THETA_OLD)
    np.testing.assert_allclose(F, np.einsum("s,sa,sak,saj->kj", d, pi_old, psi, psi),
                               atol=1e-15)
    # second order: Σ d KL = ½ ΔᵀFΔ + O(Δ³)
    for size in (1e-2, 1e-3):
        delta = size * np.array([0.6, -0.8])
        err = abs(weighted_kl(THETA_OLD + delta) - 0.5 * delta @ F @ delta)
        assert err < 10 * size**3


def test_natural_step_is_steepest_at_fixed_kl(problem):
    mdp, policy, par = problem
    g, F = tr.gradient(mdp, par, THETA_OLD), tr.fisher(mdp, par, THETA_OLD)
    step = tr.steepest_step(g, F, 0.01)
    assert abs(0.5 * step @ F @ step - 0.01) < 1e-15
    np.testing.assert_allclose(step / np.linalg.norm(step),
                               np.linalg.solve(F, g) / np.linalg.norm(np.linalg.solve(F, g)))
    # every other direction on the same (second-order) KL ellipse gains less, to first order
    for angle in np.linspace(0, 2 * np.pi, 360, endpoint=False):
        u = np.array([np.cos(angle), np.sin(angle)])
        other = u * np.sqrt(0.02 / (u @ F @ u))
        assert g @ other <= g @ step + 1e-15
    # exactly: among steps with exact weighted KL δ_KL, the best direction for U turns into
    # the natural one as δ_KL shrinks (all directions at once, bisection on each step length)
    pi_old = par.probs(THETA_OLD)
    d = tr.evaluate(mdp, pi_old).d
    nat = np.linalg.solve(F, g)
    angles = np.linspace(0, 2 * np.pi, 7200, endpoint=False)
    u = np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def tables(x):
        return softmax(np.einsum("sak,nk->nsa", policy.features, x), axis=-1)

    errors = []
    for kl_budget in (1e-2, 1e-4, 1e-6):
        lo, hi = np.zeros(len(u)), np.full(len(u), 10.0)
        for _ in range(60):
            mid = (lo + hi) / 2
            kl = tr.kl_per_state(mdp, pi_old, tables(THETA_OLD + mid[:, None] * u)) @ d
            lo, hi = np.where(kl < kl_budget, mid, lo), np.where(kl < kl_budget, hi, mid)
        best = u[np.argmax(tr.evaluate(mdp, tables(THETA_OLD + lo[:, None] * u)).U)]
        errors.append(pg_bugs.angle_between(best, nat))
    assert errors[-1] < 0.2 and errors[-1] <= errors[0]


def test_reparameterisation_turns_the_vanilla_update_not_the_natural_one():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    logits, probs = tr.Logits(policy), tr.Probabilities(policy)
    p_old = probs.from_logits(THETA_OLD)
    np.testing.assert_allclose(probs.probs(p_old), logits.probs(THETA_OLD), atol=1e-15)
    # first-order change of the policy table for a step along each direction
    def dpi(par, x, direction):
        return np.einsum("sak,k->sa", par.jacobian(x), direction)

    vanilla = [dpi(logits, THETA_OLD, tr.gradient(mdp, logits, THETA_OLD)),
               dpi(probs, p_old, tr.gradient(mdp, probs, p_old))]
    natural = [dpi(logits, THETA_OLD, tr.natural_gradient(mdp, logits, THETA_OLD)),
               dpi(probs, p_old, tr.natural_gradient(mdp, probs, p_old))]
    assert pg_bugs.angle_between(vanilla[0].ravel(), vanilla[1].ravel()) > 30
    np.testing.assert_allclose(natural[0], natural[1], atol=1e-14)
    # the actual tables after a step of size η differ only at second order
    nat_l = tr.natural_gradient(mdp, logits, THETA_OLD)
    nat_p = tr.natural_gradient(mdp, probs, p_old)
    gaps = [np.abs(logits.probs(THETA_OLD + h * nat_l) - probs.probs(p_old + h * nat_p)).max()
            for h in (1e-2, 1e-3)]
    assert gaps[1] < gaps[0] / 50


# ---------------------------------------------------------------- PPO's clip, exactly ---
def test_clipped_objective_is_a_pessimistic_surrogate(problem):
    mdp, _, par = problem
    pi_old = par.probs(THETA_OLD)
    rng = np.random.default_rng(3)
    for _ in range(50):
        pi = par.probs(THETA_OLD + rng.normal(size=2))
        assert tr.clipped_surrogate(mdp, pi_old, pi, 0.2) <= tr.surrogate(mdp, pi_old, pi) + 1e-14
    near = par.probs(THETA_OLD + np.array([0.01, -0.01]))
    assert abs(tr.clipped_surrogate(mdp, pi_old, near, 0.2)
               - tr.surrogate(mdp, pi_old, near)) < 1e-15
    assert abs(tr.clipped_surrogate(mdp, pi_old, pi_old, 0.2) - tr.evaluate(mdp, pi_old).U) < 1e-15


def test_clipped_gradient_by_finite_differences_and_where_it_is_zero(problem):
    mdp, _, par = problem
    pi_old = par.probs(THETA_OLD)
    for theta in ([-2.0, 0.0], [-3.3, 1.4], [0.0, 2.0]):
        theta = np.array(theta)
        fd = finite_difference_gradient(
            lambda t: tr.clipped_surrogate(mdp, pi_old, par.probs(t), 0.2), theta, h=1e-7)
        np.testing.assert_allclose(tr.clipped_gradient(mdp, par, THETA_OLD, theta, 0.2), fd,
                                   atol=1e-7)
    # far from θ_old, the frozen terms (ratio beyond 1 ± ε on the side that would gain)
    # contribute nothing: the gradient is the surrogate's with those terms removed
    far = np.array([-1.0, -1.0])
    ev = tr.evaluate(mdp, pi_old)
    ratio = par.probs(far) / pi_old
    frozen = ((ev.A > 0) & (ratio > 1.2)) | ((ev.A < 0) & (ratio < 0.8))
    assert frozen.any() and not frozen[~mdp.terminal].all()
    kept = np.einsum("s,sak,sa->k", ev.d, par.jacobian(far), np.where(frozen, 0, ev.A))
    np.testing.assert_allclose(tr.clipped_gradient(mdp, par, THETA_OLD, far, 0.2), kept,
                               atol=1e-15)
    assert np.linalg.norm(kept - tr.surrogate_gradient(mdp, par, THETA_OLD, far)) > 1e-3


def test_clipped_gradient_vanishes_once_every_term_is_frozen():
    """With one logit per (state, action) the policy can move every state its own way:
    far along the surrogate's gradient every term is frozen and the gradient is exactly 0."""
    mdp, _ = pg_bugs.discounted_example_mdp(0.5)
    par = tr.Logits(M.tabular_softmax(mdp.n_states, mdp.n_actions))
    old = np.zeros(10)
    g = tr.surrogate_gradient(mdp, par, old, old)
    far = old + 4 * g / np.linalg.norm(g)
    assert tr.clipped_surrogate(mdp, par.probs(old), par.probs(far), 0.2) > tr.evaluate(
        mdp, par.probs(old)).U
    np.testing.assert_array_equal(tr.clipped_gradient(mdp, par, old, far, 0.2), 0.0)
    assert np.linalg.norm(tr.surrogate_gradient(mdp, par, old, far)) > 1e-3


def test_ppo_epochs_kinds():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    par = tr.Logits(policy)
    runs = {k: tr.ppo_epochs(mdp, par, THETA_OLD, eta=2.0, n_epochs=40, kind=k)
            for k in tr.EPOCH_KINDS}
    for path in runs.values():    # the first step of every kind is a policy-gradient step
        np.testing.assert_allclose(path.x[1], THETA_OLD + 2.0 * tr.gradient(mdp, par, THETA_OLD),
                                   atol=1e-13)
        assert abs(path.U[0] - path.surrogate[0]) < 1e-15
    sur, clip = runs["surrogate"], runs["clip"]
    # the unclipped surrogate keeps rising while U turns down
    assert np.all(np.diff(sur.surrogate) > 0) and sur.U[-1] < sur.U.max() - 0.1
    # the clip stops the policy near the old one; recomputed old log-probs do not
    assert clip.max_kl[-1] < 0.05 < runs["recomputed"].max_kl[-1]
    # "recomputed": old data weighted as if sampled now = notebook 08's reuse without ratio
    th = runs["recomputed"].x[5]
    step = (runs["recomputed"].x[6] - th) / 2.0
    pi_old = par.probs(THETA_OLD)
    ev = tr.evaluate(mdp, pi_old)
    scores = policy.scores(th)
    np.testing.assert_allclose(
        step, np.einsum("s,sa,sa,sak->k", ev.d, pi_old, ev.A, scores), atol=1e-13)
    # 08's estimator weights the same scores by γ^t G_t, whose mean is Q = A + V: its
    # expectation is our step plus Σ_s d_old V_old Σ_a π_old ∇log π_θ (not 0 away from θ_old)
    e = pg_bugs.expectation("reuse_no_ratio", mdp, policy, th, theta_old=THETA_OLD)
    from_V = np.einsum("s,s,sa,sak->k", ev.d, ev.V, pi_old, scores)
    assert np.linalg.norm(from_V) > 1e-3
    np.testing.assert_allclose(e.mean, step + from_V, atol=1e-12)


# ---------------------------------------------------------------- lines and bad input ---
def test_along_line_matches_pointwise_and_reports_leaving_the_simplex():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    probs = tr.Probabilities(policy)
    p_old = probs.from_logits(THETA_OLD)
    u = tr.gradient(mdp, probs, p_old)
    to_one = (1 - p_old[0]) / u[0]                     # where p₁ reaches 1
    steps = np.array([0.0, 0.5 * to_one, to_one, 1.5 * to_one])
    line = tr.along_line(mdp, probs, p_old, u, steps, 0.2)
    np.testing.assert_array_equal(line.valid, [True, True, True, False])
    mid = probs.probs(p_old + steps[1] * u)
    pi_old = probs.probs(p_old)
    assert abs(line.U[1] - tr.evaluate(mdp, mid).U) < 1e-14
    assert abs(line.surrogate[1] - tr.surrogate(mdp, pi_old, mid)) < 1e-14
    assert abs(line.clipped[1] - tr.clipped_surrogate(mdp, pi_old, mid, 0.2)) < 1e-14
    assert np.isinf(line.max_kl[2]) and line.bound[2] == -np.inf and np.isfinite(line.U[2])
    assert np.isnan(line.U[3])


def test_bad_input_is_a_clear_error():
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    par = tr.Logits(policy)
    pi = par.probs(THETA_OLD)
    for eps in (0.0, -0.1, 1.0, 1.5, np.nan):
        with pytest.raises(ValueError, match="ε"):
            tr.clipped_surrogate(mdp, pi, pi, eps)
        with pytest.raises(ValueError, match="ε"):
            tr.along_line(mdp, par, THETA_OLD, [1.0, 0.0], [0.0, 1.0], eps)
    with pytest.raises(ValueError, match="left \\[0, 1\\]"):
        tr.Probabilities(policy).probs([1.2, 0.5])
    with pytest.raises(ValueError, match="shape"):
        tr.evaluate(mdp, np.ones((3, 2)) / 2)
    with pytest.raises(ValueError, match="sum to 1"):
        tr.evaluate(mdp, np.ones((5, 2)))
    with pytest.raises(ValueError, match="horizon"):
        tr.evaluate(M.TabularMDP(mdp.P, mdp.r, mdp.rho, [4], horizon=2), pi)
    with pytest.raises(ValueError, match="infinite"):
        tr.natural_gradient(mdp, tr.Probabilities(policy), [1.0, 0.5])
    unused = M.SoftmaxPolicy(np.concatenate([policy.features, np.zeros((5, 2, 1))], axis=2))
    with pytest.raises(ValueError, match="singular"):
        tr.natural_gradient(mdp, tr.Logits(unused), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="kind"):
        tr.ppo_epochs(mdp, par, THETA_OLD, eta=1.0, n_epochs=2, kind="nope")
