"""Closed-form scores against sympy and against central finite differences of log_prob."""

import numpy as np
import pytest
import sympy as sp

from helpers import Bernoulli, Categorical, Gaussian, log_softmax, sigmoid, softmax
from helpers.estimators import finite_difference_gradient

THETAS = [-30.0, -2.5, -0.3, 0.0, 0.7, 4.0, 30.0]


# ---------------------------------------------------------------- sympy derivations
def test_bernoulli_score_sympy():
    theta, x = sp.symbols("theta x", real=True)
    p = 1 / (1 + sp.exp(-theta))
    log_p = x * sp.log(p) + (1 - x) * sp.log(1 - p)
    assert sp.simplify(sp.diff(log_p, theta) - (x - p)) == 0


def test_categorical_score_sympy():
    th = sp.symbols("theta0:3", real=True)
    z = sum(sp.exp(t) for t in th)
    for a in range(3):
        log_pi = th[a] - sp.log(z)
        for k in range(3):
            expected = (1 if k == a else 0) - sp.exp(th[k]) / z
            assert sp.simplify(sp.diff(log_pi, th[k]) - expected) == 0


def test_gaussian_scores_sympy():
    x, mu = sp.symbols("x mu", real=True)
    sigma = sp.symbols("sigma", positive=True)
    log_p = -(x - mu) ** 2 / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2
    assert sp.simplify(sp.diff(log_p, mu) - (x - mu) / sigma**2) == 0
    assert sp.simplify(sp.diff(log_p, sigma) - ((x - mu) ** 2 - sigma**2) / sigma**3) == 0
    # and our log_prob is that density
    g = Gaussian(0.3, 1.7)
    val = float(log_p.subs({x: 1.1, mu: 0.3, sigma: 1.7}))
    assert g.log_prob(1.1) == pytest.approx(val, rel=1e-12)


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize("theta", THETAS[1:-1])
@pytest.mark.parametrize("x", [0, 1])
def test_bernoulli_score_matches_finite_differences(theta, x):
    fd = finite_difference_gradient(lambda t: Bernoulli(t).log_prob(x), theta, h=1e-5)
    assert Bernoulli(theta).score(x) == pytest.approx(fd, abs=1e-8)


def test_bernoulli_is_stable_at_extreme_theta():
    for theta in THETAS:
        b = Bernoulli(theta)
        lp = b.log_prob(np.array([0, 1]))
        assert np.all(np.isfinite(lp)) and np.all(lp <= 0)
        assert np.exp(lp).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("a", [0, 1, 2, 3])
def test_categorical_score_matches_finite_differences(a):
    logits = np.array([0.3, -1.2, 2.0, 0.0])
    fd = finite_difference_gradient(lambda z: Categorical(z).log_prob(a), logits, h=1e-5)
    np.testing.assert_allclose(Categorical(logits).score(a), fd, atol=1e-8)


def test_categorical_expected_score_is_zero():
    cat = Categorical([0.3, -1.2, 2.0, 0.0])
    expected = sum(p * cat.score(a) for a, p in enumerate(cat.probs))
    np.testing.assert_allclose(expected, 0.0, atol=1e-12)


@pytest.mark.parametrize("x", [-2.0, 0.1, 3.5])
def test_gaussian_scores_match_finite_differences(x):
    mu, sd = 0.4, 1.3
    fd_mu = finite_difference_gradient(lambda m: Gaussian(m, sd).log_prob(x), mu, h=1e-5)
    fd_sd = finite_difference_gradient(lambda s: Gaussian(mu, s).log_prob(x), sd, h=1e-5)
    g = Gaussian(mu, sd)
    assert g.score_mean(x) == pytest.approx(fd_mu, abs=1e-7)
    assert g.score_std(x) == pytest.approx(fd_sd, abs=1e-7)
    np.testing.assert_allclose(g.score(x), [fd_mu, fd_sd], atol=1e-7)


def test_softmax_stable_and_normalised():
    p = softmax([1000.0, 999.0, -1000.0])
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(log_softmax([1.0, 2.0]), np.log(softmax([1.0, 2.0])))
    assert sigmoid(800.0) == 1.0 and sigmoid(-800.0) == pytest.approx(0.0)


def test_sampling_frequencies():
    rng = np.random.default_rng(0)
    x = Bernoulli(0.8).sample(rng, 200_000)
    assert x.mean() == pytest.approx(sigmoid(0.8), abs=0.005)
    cat = Categorical([0.0, 1.0, -1.0])
    counts = np.bincount(cat.sample(rng, 200_000), minlength=3) / 200_000
    np.testing.assert_allclose(counts, cat.probs, atol=0.005)
    g = Gaussian(1.5, 0.5).sample(rng, 200_000)
    assert g.mean() == pytest.approx(1.5, abs=0.01) and g.std() == pytest.approx(0.5, abs=0.01)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Gaussian(0.0, -1.0), "must be positive"),
        (lambda: Gaussian(0.0, 0.0), "must be positive"),
        (lambda: Gaussian(0.0, [1.0, 2.0]), "single number"),
        (lambda: Gaussian(np.nan, 1.0), "NaN"),
        (lambda: Bernoulli(np.inf), "infinite"),
        (lambda: Bernoulli([0.1, 0.2]), "single number"),
        (lambda: Bernoulli(0.0).log_prob(0.5), "0s and 1s"),
        (lambda: Categorical([[0.0, 1.0]]), "must have 1 dimension"),
        (lambda: Categorical([]), "at least one entry"),
        (lambda: Categorical.from_probs([0.5, 0.6]), "must sum to 1"),
        (lambda: Categorical.from_probs([1.2, -0.2]), "negative"),
        (lambda: Categorical([0.0, 1.0]).log_prob(2), r"0\.\.1"),
        (lambda: Categorical([0.0, 1.0]).score(0.5), "whole numbers"),
        (lambda: Bernoulli(0.0).sample(np.random.default_rng(0), 0), "at least 1"),
        (lambda: Bernoulli(0.0).sample(42, 3), "numpy.random.Generator"),
        (lambda: softmax(3.0), "not a single number"),
    ],
)
def test_bad_input_raises_clear_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()
