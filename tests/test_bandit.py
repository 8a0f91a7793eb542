"""The maths of notebook 03: the softmax bandit's updates, checked exactly and numerically."""

import numpy as np
import pytest
import sympy as sp

from helpers import bandit, finite_difference_gradient

THETA = np.array([0.3, -0.4, 1.1])
RETURNS = np.array([1.0, 2.0, 3.0])


def test_sympy_softmax_score_and_first_order_change():
    th = sp.symbols("theta0:3", real=True)
    eta, R = sp.symbols("eta R", real=True)
    Z = sum(sp.exp(t) for t in th)
    logp = [t - sp.log(Z) for t in th]
    p = [sp.exp(t) / Z for t in th]
    a = 1
    grad_a = [sp.diff(logp[a], t) for t in th]
    for j in range(3):
        assert sp.simplify(grad_a[j] - ((1 if j == a else 0) - p[j])) == 0
    # d/dη log π(a)(θ + η R ∇log π(a)) at η = 0 equals R ‖∇log π(a)‖²
    moved = logp[a].subs({t: t + eta * R * g for t, g in zip(th, grad_a, strict=True)},
                         simultaneous=True)
    slope = sp.diff(moved, eta).subs(eta, 0)
    assert sp.simplify(slope - R * sum(g**2 for g in grad_a)) == 0
    # E[∇log π] = 0 for the normalised policy
    for j in range(3):
        assert sp.simplify(sum(p[c] * sp.diff(logp[c], th[j]) for c in range(3))) == 0


def test_score_matches_finite_differences():
    for a in range(3):
        fd = finite_difference_gradient(lambda t, a=a: bandit.log_probs(t)[a], THETA)
        assert np.allclose(bandit.score(THETA, a), fd, atol=1e-8)


@pytest.mark.parametrize("R", [-2.0, -0.5, 0.5, 2.0])
def test_first_order_change_is_close_for_small_steps_and_error_is_second_order(R):
    errs = []
    for eta in (1e-2, 1e-3):
        exact = bandit.exact_log_prob_change(THETA, 0, R, eta)
        approx = bandit.first_order_log_prob_change(THETA, 0, R, eta)
        errs.append(np.max(np.abs(exact - approx)))
        assert np.sign(exact[0]) == np.sign(R)
    # error is O(η²): ten times smaller η → about a hundred times smaller error
    assert 50 < errs[0] / errs[1] < 200


def test_first_order_taken_action_is_eta_R_norm_squared():
    g = bandit.score(THETA, 2)
    approx = bandit.first_order_log_prob_change(THETA, 2, 1.5, 0.01)
    assert approx[2] == pytest.approx(0.01 * 1.5 * g @ g)


def test_signs_push_up_down_or_leave():
    p = bandit.probs(THETA)
    for R, sign in ((2.0, 1), (-2.0, -1)):
        new = bandit.probs(bandit.step(THETA, 1, R, 0.5))
        assert sign * (new[1] - p[1]) > 0
        # the others' total probability moves the opposite way (they sum to 1 − π(a))
        assert sign * ((1 - new[1]) - (1 - p[1])) < 0
    assert np.allclose(bandit.exact_log_prob_change(THETA, 1, 0.0, 0.5), 0.0)


def test_two_actions_always_move_opposite_but_three_need_not():
    for th in ([0.0, 0.0], [2.0, -1.0], [-3.0, 1.0]):
        for a in (0, 1):
            d = bandit.first_order_log_prob_change(th, a, 1.0, 0.01)
            assert d[a] > 0 and d[1 - a] < 0
    # π = (0.1, 0.1, 0.8): rewarding action 1 also raises rare action 0 (first order and exact):
    # ∇log π(0)·∇log π(1) = ‖π‖² − π0 − π1 = 0.66 − 0.2 > 0
    th = np.log([0.1, 0.1, 0.8])
    first = bandit.first_order_log_prob_change(th, 1, 1.0, 0.01)
    exact = bandit.exact_log_prob_change(th, 1, 1.0, 0.01)
    assert first[0] == pytest.approx(0.01 * 0.46)
    assert exact[0] > 0 and exact[2] < 0
    # the probabilities still sum to one after the step
    assert np.exp(bandit.log_probs(bandit.step(THETA, 1, 2.0, 0.5))).sum() == pytest.approx(1)


def test_first_order_change_of_every_action_is_eta_R_times_the_score_overlap():
    """Notebook 03 §2: Δlog π(c) ≈ η R (1[c = a] − π_a − π_c + ‖π‖²), written out by hand and
    checked as the derivative of the exact change at η = 0 (central differences in η)."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        theta = rng.normal(size=int(rng.integers(2, 6))) * 1.5
        pi = np.exp(theta - theta.max())
        pi /= pi.sum()
        for a in range(theta.size):
            R, eta, h = rng.normal() * 2, 0.05, 1e-5
            formula = eta * R * ((np.arange(theta.size) == a) - pi[a] - pi + pi @ pi)
            np.testing.assert_allclose(bandit.first_order_log_prob_change(theta, a, R, eta),
                                       formula, atol=1e-12)
            slope = (bandit.exact_log_prob_change(theta, a, R, h)       # a step of −h is
                     - bandit.exact_log_prob_change(theta, a, -R, h)) / (2 * h)  # one of −R
            np.testing.assert_allclose(eta * slope, formula, atol=1e-8)


def test_change_is_linear_in_R_for_small_eta_and_bends_for_large():
    Rs = np.linspace(-5, 5, 11)
    small = np.array([bandit.exact_log_prob_change(THETA, 0, R, 1e-3)[0] for R in Rs])
    large = np.array([bandit.exact_log_prob_change(THETA, 0, R, 1.0)[0] for R in Rs])
    slope = 1e-3 * bandit.score(THETA, 0) @ bandit.score(THETA, 0)
    assert np.max(np.abs(small - slope * Rs)) < 2e-3 * np.max(np.abs(small))
    assert np.max(np.abs(large - large[6] / Rs[6] * Rs)) > 0.5  # far from a line


def test_expected_update_is_exact_gradient_of_J():
    fd = finite_difference_gradient(lambda t: bandit.expected_return(t, RETURNS), THETA)
    assert np.allclose(bandit.expected_update_direction(THETA, RETURNS), fd, atol=1e-8)
    by_enumeration = sum(bandit.probs(THETA)[a] * RETURNS[a] * bandit.score(THETA, a)
                         for a in range(3))
    assert np.allclose(bandit.expected_update_direction(THETA, RETURNS), by_enumeration)


def test_baseline_leaves_expectation_and_lowers_variance():
    with_b = bandit.expected_update_direction(THETA, RETURNS, baseline="mean")
    assert np.allclose(with_b, bandit.expected_update_direction(THETA, RETURNS), atol=1e-14)
    v0 = bandit.update_variance(THETA, RETURNS)
    v1 = bandit.update_variance(THETA, RETURNS, baseline="mean")
    assert v1 < v0 / 5
    rng = np.random.default_rng(3)
    for base, v in (("none", v0), ("mean", v1)):
        g = bandit.sampled_update_directions(THETA, RETURNS, 200_000, rng, baseline=base)
        assert np.allclose(g.mean(0), with_b, atol=0.02)
        assert g.var(0).sum() == pytest.approx(v, rel=0.03)


def test_all_positive_returns_push_every_sampled_action_up():
    for a in range(3):
        assert bandit.exact_log_prob_change(THETA, a, RETURNS[a], 0.1)[a] > 0
    d = bandit.expected_update_direction(THETA, RETURNS)
    J = bandit.expected_return(THETA, RETURNS)
    assert np.all(np.sign(d) == np.sign(RETURNS - J))


def test_run_updates_expected_and_sampled():
    traj = bandit.run_updates(np.zeros(3), RETURNS, 0.5, 100)
    assert traj.shape == (101, 3)
    assert np.allclose(np.exp(traj).sum(1), 1.0)
    assert np.argmax(traj[-1]) == 2 and np.all(np.diff(traj[:, 2]) > 0)
    traj_b = bandit.run_updates(np.zeros(3), RETURNS, 0.5, 100, baseline="mean")
    assert np.allclose(traj, traj_b)
    s1 = bandit.run_updates(np.zeros(3), RETURNS, 0.5, 50, mode="sampled",
                            rng=np.random.default_rng(0))
    s2 = bandit.run_updates(np.zeros(3), RETURNS, 0.5, 50, mode="sampled",
                            rng=np.random.default_rng(0))
    assert np.array_equal(s1, s2) and not np.allclose(s1, traj[:51])


def test_run_updates_survives_huge_steps():
    traj = bandit.run_updates(np.zeros(8), np.linspace(-5, 5, 8), 5.0, 500)
    assert np.all(np.isfinite(traj))
    assert np.argmax(traj[-1]) == 7 and traj[-1, -1] > -1e-3


@pytest.mark.parametrize("call", [
    lambda: bandit.score(THETA, 3),
    lambda: bandit.score(THETA, 1.0),
    lambda: bandit.step(THETA, 0, 1.0, -0.1),
    lambda: bandit.expected_update_direction(THETA, [1, 2]),
    lambda: bandit.expected_update_direction(THETA, RETURNS, baseline="median"),
    lambda: bandit.run_updates(THETA, RETURNS, 0.1, 5, mode="sampled"),
    lambda: bandit.run_updates(THETA, RETURNS, 0.1, 5, mode="exact"),
    lambda: bandit.log_probs([]),
])
def test_bad_input_raises_clear_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("seed", range(5))
def test_sign_of_the_change_is_the_sign_of_R_exactly_even_for_big_steps(seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=4) * 2
    for a in range(4):
        for R in (-7.0, -0.3, 0.3, 7.0):
            change = bandit.exact_log_prob_change(theta, a, R, eta=1.5)[a]
            assert np.sign(change) == np.sign(R)


def test_variance_minimising_constant_baseline_beats_the_mean_return():
    p = bandit.probs(THETA)
    norms = np.array([bandit.score(THETA, a) @ bandit.score(THETA, a) for a in range(3)])
    b_star = (p * RETURNS * norms).sum() / (p * norms).sum()
    grid = np.linspace(-2, 6, 801)
    variances = [bandit.update_variance(THETA, RETURNS - b) for b in grid]
    assert abs(grid[int(np.argmin(variances))] - b_star) <= 0.006
    assert bandit.update_variance(THETA, RETURNS - b_star) <= bandit.update_variance(
        THETA, RETURNS, baseline="mean")
