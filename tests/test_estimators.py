"""The three estimators against exact gradients: unbiased within a statistical tolerance at
fixed seeds (tolerance = 5 standard errors of the mean, so a wrong estimator fails)."""

import numpy as np
import pytest

from helpers import (
    Bernoulli,
    Categorical,
    Gaussian,
    finite_difference_gradient,
    pathwise_gaussian_mean_estimates,
    score_function_estimates,
    sigmoid,
)
from helpers.estimators import finite_difference_points

M = 200_000


def within_5_se(samples, exact):
    samples = np.asarray(samples)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return np.all(np.abs(samples.mean(axis=0) - exact) <= 5 * se + 1e-12)


@pytest.mark.parametrize("theta", [-1.5, 0.0, 0.4, 2.0])
def test_score_function_unbiased_bernoulli(theta):
    # f(1) = 3, f(0) = -1: E f = 3p - (1 - p) = 4p - 1, d/dθ = 4 p (1 - p)
    rng = np.random.default_rng(1)
    coin = Bernoulli(theta)
    x = coin.sample(rng, M)
    est = score_function_estimates(np.where(x == 1, 3.0, -1.0), coin.score(x))
    p = sigmoid(theta)
    assert within_5_se(est, 4 * p * (1 - p))


@pytest.mark.parametrize("theta", [-1.0, 0.5, 2.0])
def test_score_function_and_pathwise_unbiased_gaussian(theta):
    # f(x) = x^2 with x ~ N(θ, σ^2): E f = θ^2 + σ^2, d/dθ = 2θ
    rng = np.random.default_rng(2)
    g = Gaussian(theta, 0.8)
    x = g.sample(rng, M)
    assert within_5_se(score_function_estimates(x**2, g.score_mean(x)), 2 * theta)
    path = pathwise_gaussian_mean_estimates(lambda x: 2 * x, theta, 0.8, M, rng)
    assert within_5_se(path, 2 * theta)
    # the pathwise estimator has the smaller variance here, as notebook 01 shows
    assert path.var() < score_function_estimates(x**2, g.score_mean(x)).var()


def test_score_function_unbiased_categorical_vector():
    rng = np.random.default_rng(3)
    logits = np.array([0.2, -0.5, 1.0])
    f = np.array([1.0, 4.0, -2.0])
    cat = Categorical(logits)
    a = cat.sample(rng, M)
    est = score_function_estimates(f[a], cat.score(a))
    assert est.shape == (M, 3)
    exact = finite_difference_gradient(lambda z: Categorical(z).probs @ f, logits, h=1e-6)
    assert within_5_se(est, exact)


def test_a_wrong_estimator_would_fail_the_check():
    # the check is not vacuous: dropping the score's -p term gives a biased estimate
    rng = np.random.default_rng(1)
    coin = Bernoulli(0.4)
    x = coin.sample(rng, M)
    wrong = score_function_estimates(np.where(x == 1, 3.0, -1.0), x.astype(float))
    p = sigmoid(0.4)
    assert not within_5_se(wrong, 4 * p * (1 - p))


def test_finite_differences_exact_on_quadratics():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    theta = np.array([0.3, -1.2])
    grad = finite_difference_gradient(lambda t: 0.5 * t @ A @ t, theta, h=1e-3)
    np.testing.assert_allclose(grad, A @ theta, atol=1e-9)
    assert finite_difference_gradient(lambda t: t**3, 2.0, h=1e-4) == pytest.approx(12.0, abs=1e-6)


def test_finite_differences_evaluate_away_from_theta():
    pts = finite_difference_points([0.0, 1.0], h=0.1)
    assert pts.shape == (4, 2)
    assert not any(np.allclose(p, [0.0, 1.0]) for p in pts)
    calls = []
    finite_difference_gradient(lambda t: calls.append(t.copy()) or 0.0, np.zeros(3))
    assert len(calls) == 6


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: score_function_estimates([1.0, np.nan], [0.1, 0.2]), "NaN"),
        (lambda: score_function_estimates([1.0, 2.0], [0.1, 0.2, 0.3]), "shape"),
        (lambda: score_function_estimates([], []), "at least one sample"),
        (lambda: score_function_estimates([[1.0]], [0.1]), "1 dimension"),
        (lambda: finite_difference_gradient(lambda t: t, 0.0, h=-1.0), "positive"),
        (lambda: finite_difference_gradient(lambda t: np.nan, 0.0), "NaN"),
        (lambda: finite_difference_gradient(lambda t: 0.0, np.zeros((2, 2))), "1-D"),
        (lambda: pathwise_gaussian_mean_estimates(np.sin, 0.0, 0.0, 5,
                                                  np.random.default_rng(0)), "positive"),
        (lambda: pathwise_gaussian_mean_estimates(np.sin, 0.0, 1.0, 0,
                                                  np.random.default_rng(0)), "at least 1"),
        (lambda: pathwise_gaussian_mean_estimates(np.sin, 0.0, 1.0, 2.5,
                                                  np.random.default_rng(0)), "whole number"),
        (lambda: pathwise_gaussian_mean_estimates(np.sin, 0.0, [1.0, 2.0], 5,
                                                  np.random.default_rng(0)), "single number"),
        (lambda: finite_difference_gradient(lambda t: t, 0.0, h=[0.1, 0.2]), "single number"),
    ],
)
def test_bad_input_raises_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- notebook 01's statements about the coin and the re-weighted finite difference ----------
def test_naive_average_of_grad_p_times_f_is_exactly_half_when_payoffs_are_opposite():
    """§3: E_p[∇p(x) f(x)] = ½ Σ_x ∇p(x) f(x) at every θ when f(0) = −f(1) (sympy)."""
    import sympy as sp

    theta, c = sp.symbols("theta c", real=True)
    p = 1 / (1 + sp.exp(-theta))
    P, f = {1: p, 0: 1 - p}, {1: c, 0: -c}
    exact = sum(sp.diff(P[x], theta) * f[x] for x in (0, 1))
    naive = sum(P[x] * sp.diff(P[x], theta) * f[x] for x in (0, 1))
    assert sp.simplify(naive - exact / 2) == 0
    # with other payoffs the factor is not ½: e.g. f(1) = 1, f(0) = 0 at θ = 0.5
    f2 = {1: 1, 0: 0}
    ratio = (sum(P[x] * sp.diff(P[x], theta) * f2[x] for x in (0, 1))
             / sum(sp.diff(P[x], theta) * f2[x] for x in (0, 1))).subs(theta, 0.5)
    assert abs(float(ratio) - 0.5) > 0.1


def test_reweighted_estimate_is_unbiased_at_any_h_and_central_differences_are_exact():
    """§7: E_θ[p_{θ+h}(x)/p_θ(x) · f(x)] = J(θ + h) for every h, and for the parabola
    J(θ) = −(θ − c)² − σ² the central difference (J(θ+h) − J(θ−h))/2h is ∇J at any h: so every
    row of the re-weighted table has expectation ∇J, and the h = 1 row differs by noise only."""
    import sympy as sp

    x, theta, h, c = sp.symbols("x theta h c", real=True)
    sigma = sp.symbols("sigma", positive=True)

    def density(mean):
        return sp.exp(-(x - mean) ** 2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)

    payoff = -(x - c) ** 2
    reweighted = sp.integrate(sp.simplify(density(theta) * density(theta + h) / density(theta))
                              * payoff, (x, -sp.oo, sp.oo))
    J = sp.integrate(density(theta) * payoff, (x, -sp.oo, sp.oo))
    assert sp.simplify(reweighted - J.subs(theta, theta + h)) == 0
    central = (J.subs(theta, theta + h) - J.subs(theta, theta - h)) / (2 * h)
    assert sp.simplify(central - sp.diff(J, theta)) == 0
    # ... but the weights' spread grows with h: Var[p_{θ+h}/p_θ] = e^{h²/σ²} − 1
    rng = np.random.default_rng(0)
    xs = rng.normal(0.5, 1.0, 400_000)
    for step in (0.1, 1.0):
        w = np.exp(Gaussian(0.5 + step, 1.0).log_prob(xs) - Gaussian(0.5, 1.0).log_prob(xs))
        assert w.var() == pytest.approx(np.expm1(step**2), rel=0.05)
