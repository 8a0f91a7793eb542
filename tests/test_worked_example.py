"""The maths of notebook 02, checked symbolically (sympy) and numerically."""

import numpy as np
import pytest
import sympy as sp

from helpers import finite_difference_gradient
from helpers import worked_example as we

ACTIONS = np.array([-1.0, 0.0, 1.0, 2.0])


# -- sympy derivations the notebook states ------------------------------------------------
def test_sympy_unnormalised_scores():
    alpha, beta, a = sp.symbols("alpha beta a", real=True)
    log_pi = sp.expand_log(sp.log(sp.exp(alpha + beta * a)), force=True)
    assert sp.simplify(log_pi - (alpha + beta * a)) == 0
    assert sp.diff(log_pi, alpha) == 1
    assert sp.diff(log_pi, beta) == a


def test_sympy_unnormalised_total_is_not_one_and_expected_score_is_grad_total():
    alpha, beta = sp.symbols("alpha beta", real=True)
    acts = [-1, 0, 1, 2]
    pis = [sp.exp(alpha + beta * x) for x in acts]
    Z = sum(pis)
    assert sp.simplify(Z.subs({alpha: 0, beta: 0})) == 4  # not 1
    for theta in (alpha, beta):
        expected = sum(p * sp.diff(sp.log(p), theta) for p in pis)
        assert sp.simplify(expected - sp.diff(Z, theta)) == 0
    assert sp.simplify(sum(p * sp.diff(sp.log(p), alpha) for p in pis) - Z) == 0


def test_sympy_softmax_alpha_cancels_and_scores():
    alpha, beta = sp.symbols("alpha beta", real=True)
    xs = sp.symbols("a1:4", real=True)
    Z = sum(sp.exp(alpha + beta * x) for x in xs)
    probs = [sp.exp(alpha + beta * x) / Z for x in xs]
    mean_a = sum(p * x for p, x in zip(probs, xs, strict=True))
    for p, x in zip(probs, xs, strict=True):
        log_p = sp.log(p)
        assert sp.simplify(sp.diff(log_p, alpha)) == 0
        assert sp.simplify(sp.diff(log_p, beta) - (x - mean_a)) == 0
        # α cancels: π does not depend on α at all
        assert sp.simplify(p - p.subs(alpha, 0)) == 0
    expected_score_beta = sum(p * sp.diff(sp.log(p), beta) for p in probs)
    assert sp.simplify(expected_score_beta) == 0


def test_sympy_linear_gaussian_scores():
    a, w, s, b = sp.symbols("a w s b", real=True)
    sigma = sp.symbols("sigma", positive=True)
    mu = w * s + b
    log_pi = -(a - mu) ** 2 / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2
    assert sp.simplify(sp.diff(log_pi, w) - (a - mu) * s / sigma**2) == 0
    assert sp.simplify(sp.diff(log_pi, b) - (a - mu) / sigma**2) == 0


def test_sympy_quadratic_return_gradient_and_variance():
    eps = sp.symbols("epsilon", real=True)
    mu, t = sp.symbols("mu t", real=True)
    sigma = sp.symbols("sigma", positive=True)
    d = sp.symbols("d", real=True)
    density = sp.exp(-(eps**2) / 2) / sp.sqrt(2 * sp.pi)

    def E(expr):
        return sp.simplify(sp.integrate(sp.expand(expr) * density, (eps, -sp.oo, sp.oo)))

    a = mu + sigma * eps
    G = -((a - t) ** 2)
    # ∂μ E[G] = −2(μ − t) for every σ, and the score estimator's mean equals it
    assert sp.simplify(sp.diff(E(G), mu) + 2 * (mu - t)) == 0
    x = (G * (a - mu) / sigma**2).subs(mu, t + d)
    assert sp.simplify(E(x) + 2 * d) == 0
    var = sp.simplify(E(x**2) - E(x) ** 2)
    assert sp.simplify(var - (d**4 / sigma**2 + 14 * d**2 + 15 * sigma**2)) == 0
    assert we.quadratic_return_score_variance(1.5, 0.5, 2.0) == pytest.approx(1 / 4 + 14 + 60)


# -- the unnormalised policy ---------------------------------------------------------------
def test_unnormalised_score_matches_finite_differences():
    for a in ACTIONS:
        fd = finite_difference_gradient(lambda th, a=a: we.exp_policy_log_value(th[0], th[1], a),
                                        np.array([0.3, -0.7]))
        assert np.allclose(we.exp_policy_score(0.3, -0.7, a), fd, atol=1e-8)


def test_unnormalised_update_worked_numbers():
    # α = 0.5, β = −0.2, a = 2, G = 3, η = 0.1  →  α′ = 0.8, β′ = 0.4
    alpha_new, beta_new = we.exp_policy_update(0.5, -0.2, 2.0, 3.0, 0.1)
    assert alpha_new == pytest.approx(0.8)
    assert beta_new == pytest.approx(-0.2 + 0.1 * 3 * 2)
    # the mistaken β-update (using ∂α log π = 1 instead of a) gives a different β′
    assert beta_new != pytest.approx(-0.2 + 0.1 * 3 * 1)


def test_unnormalised_values_do_not_sum_to_one_and_expected_score_is_not_zero():
    assert we.exp_policy_total(0.0, 0.0, ACTIONS) == pytest.approx(4.0)
    es = we.exp_policy_expected_score(0.2, 0.3, ACTIONS)
    values = np.exp(0.2 + 0.3 * ACTIONS)
    assert np.allclose(es, [values.sum(), values @ ACTIONS])
    assert es[0] > 0


def test_unnormalised_updates_push_alpha_without_bound():
    rng = np.random.default_rng(0)
    run = we.run_unnormalised_updates(0.0, 0.0, ACTIONS, [1.0, 1.0, 1.0, 1.0], 0.1, 200, rng)
    # constant G = 1: α rises by exactly η·G per step, whatever the action
    assert np.allclose(np.diff(run["alpha"]), 0.1)
    assert run["alpha"][-1] == pytest.approx(20.0)
    assert run["total"][-1] > 1e8 * run["total"][0]
    assert run["alpha"][-1] > run["alpha"][100] > run["alpha"][0]


def test_unnormalised_refuses_to_overflow():
    with pytest.raises(ValueError, match="overflow"):
        we.exp_policy_value(800.0, 0.0, 1.0)


# -- the softmax-normalised policy ---------------------------------------------------------
def test_softmax_probs_sum_to_one_and_ignore_alpha():
    p = we.softmax_policy_probs(0.0, 0.7, ACTIONS)
    assert p.sum() == pytest.approx(1.0)
    assert np.allclose(we.softmax_policy_probs(123.0, 0.7, ACTIONS), p)


def test_softmax_score_matches_finite_differences_and_formula():
    alpha, beta = 0.4, 0.9
    p = we.softmax_policy_probs(alpha, beta, ACTIONS)
    for k in range(ACTIONS.size):
        fd = finite_difference_gradient(
            lambda th, k=k: we.softmax_policy_log_probs(th[0], th[1], ACTIONS)[k],
            np.array([alpha, beta]))
        sc = we.softmax_policy_score(alpha, beta, ACTIONS, k)
        assert np.allclose(sc, fd, atol=1e-8)
        assert sc[0] == 0.0
        assert sc[1] == pytest.approx(ACTIONS[k] - p @ ACTIONS)


@pytest.mark.parametrize("beta", [-3.0, 0.0, 0.5, 4.0])
def test_softmax_expected_score_is_zero(beta):
    assert np.allclose(we.softmax_policy_expected_score(1.0, beta, ACTIONS), 0.0, atol=1e-12)


def test_softmax_update_leaves_alpha_and_moves_beta_towards_taken_action():
    a0, b0 = 0.3, 0.0
    alpha, beta = we.softmax_policy_update(a0, b0, ACTIONS, 3, G=2.0, eta=0.1)
    assert alpha == a0
    assert beta == pytest.approx(0.1 * 2.0 * (2.0 - ACTIONS.mean()))
    p_old = we.softmax_policy_probs(a0, b0, ACTIONS)
    p_new = we.softmax_policy_probs(alpha, beta, ACTIONS)
    assert p_new[3] > p_old[3]


# -- the linear-Gaussian policy ------------------------------------------------------------
def test_linear_gaussian_scores_match_finite_differences():
    s, a, sigma = np.array([1.5, -0.5]), 0.8, 0.7

    def logp(params):
        return we.LinearGaussianPolicy(params[:2], params[2], sigma).log_prob(s, a)

    params = np.array([0.2, 0.4, -0.1])
    fd = finite_difference_gradient(logp, params)
    pol = we.LinearGaussianPolicy(params[:2], params[2], sigma)
    assert np.allclose(pol.score_w(s, a), fd[:2], atol=1e-7)
    assert pol.score_b(s, a) == pytest.approx(fd[2], abs=1e-7)
    mu = 0.2 * 1.5 + 0.4 * -0.5 - 0.1
    assert pol.mean(s) == pytest.approx(mu)
    assert np.allclose(pol.score_w(s, a), (a - mu) * s / sigma**2)


def test_linear_gaussian_log_prob_matches_density():
    pol = we.LinearGaussianPolicy(0.5, 0.2, 1.3)
    mu = 0.5 * 2.0 + 0.2
    a = np.array([-1.0, 0.0, 3.0])
    dens = np.exp(-((a - mu) ** 2) / (2 * 1.3**2)) / np.sqrt(2 * np.pi * 1.3**2)
    assert np.allclose(pol.log_prob(2.0, a), np.log(dens))


def test_linear_gaussian_update_moves_mean_towards_rewarded_action():
    pol = we.LinearGaussianPolicy(0.5, 0.0, 1.0)
    s = 2.0
    for a in (0.2, 1.7):  # below and above μ = 1
        for G, sign in ((1.0, 1), (-1.0, -1)):
            new = pol.update(s, a, G, 0.05)
            assert sign * np.sign(new.mean(s) - pol.mean(s)) == np.sign(a - pol.mean(s))
    # the exact numbers of the notebook's worked example
    new = pol.update(s, 1.6, 2.0, 0.1)
    assert new.w[0] == pytest.approx(0.5 + 0.1 * 2.0 * 0.6 * 2.0)
    assert new.b == pytest.approx(0.1 * 2.0 * 0.6)


def test_gaussian_samples_average_to_gradient_and_variance_matches_formula():
    rng = np.random.default_rng(1)
    target, s = 0.0, 1.0
    for sigma in (0.5, 1.0, 2.0):
        pol = we.LinearGaussianPolicy(1.0, 0.0, sigma)
        g = we.gaussian_mean_gradient_samples(pol, s, target, 400_000, rng)
        se = np.sqrt(we.quadratic_return_score_variance(1.0, target, sigma) / g.size)
        assert abs(g.mean() - we.quadratic_return_mean_gradient(1.0, target)) < 5 * se
        assert g.var() == pytest.approx(we.quadratic_return_score_variance(1.0, target, sigma),
                                        rel=0.05)


# -- input validation ----------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: we.exp_policy_update(0, 0, 1, 1, 0.0),
    lambda: we.exp_policy_update(0, 0, 1, np.nan, 0.1),
    lambda: we.softmax_policy_probs(0, 0, []),
    lambda: we.softmax_policy_score(0, 0, ACTIONS, 7),
    lambda: we.softmax_policy_score(0, 0, ACTIONS, 1.5),
    lambda: we.LinearGaussianPolicy(1.0, 0.0, 0.0),
    lambda: we.LinearGaussianPolicy([1.0, 2.0], 0.0, 1.0).mean(1.0),
    lambda: we.run_unnormalised_updates(0, 0, ACTIONS, [1, 1], 0.1, 5, np.random.default_rng()),
    lambda: we.run_unnormalised_updates(0, 0, ACTIONS, [1] * 4, 0.1, 5, 0),
])
def test_bad_input_raises_clear_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_unnormalised_average_update_under_sampling_is_grad_log_Z():
    # drawing actions from π/Z, the mean score is ∇Z/Z = (1, E_{π/Z}[a])
    alpha, beta = 0.4, -0.7
    Z = we.exp_policy_total(alpha, beta, ACTIONS)
    p = we.softmax_policy_probs(alpha, beta, ACTIONS)
    mean_score = p @ we.exp_policy_score(alpha, beta, ACTIONS)
    assert np.allclose(mean_score, we.exp_policy_expected_score(alpha, beta, ACTIONS) / Z)
    assert np.allclose(mean_score, [1.0, p @ ACTIONS])


def test_gaussian_update_moves_the_mean_by_the_predicted_amount():
    pol = we.LinearGaussianPolicy(w=[0.5, -1.0], b=0.2, sigma=0.7)
    s, a, G, eta = np.array([1.5, 0.3]), 0.4, -1.3, 0.05
    mu = pol.mean(s)
    moved = pol.update(s, a, G, eta).mean(s) - mu
    assert np.isclose(moved, eta * G * (a - mu) * (s @ s + 1) / 0.7**2)


def test_the_quietest_sigma_is_d_over_15_to_the_quarter():
    """Notebook 02's summary: d⁴/σ² + 14d² + 15σ² is smallest at σ = |d|/15^¼ ≈ 0.51|d| (sympy)."""
    d = sp.symbols("d", positive=True)   # the variance depends on d² only: d stands for |d|
    s = sp.symbols("sigma", positive=True)
    var = d**4 / s**2 + 14 * d**2 + 15 * s**2
    crit = sp.solve(sp.diff(var, s), s)
    assert len(crit) == 1 and sp.simplify(crit[0] - d / sp.Integer(15) ** sp.Rational(1, 4)) == 0
    assert sp.simplify(sp.diff(var, s, 2).subs(s, crit[0])).is_positive
    assert float(15 ** -0.25) == pytest.approx(0.508, abs=1e-3)
