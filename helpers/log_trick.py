"""The worked examples of notebook 01 (``01_log_derivative_trick``), with their exact answers.

* A coin with p = σ(θ) and payoff f(1) = ``heads``, f(0) = ``tails``:
  J(θ) = p·heads + (1 − p)·tails and ∇J = p(1 − p)(heads − tails).
* A throw at a target: x ~ N(θ, σ²), payoff f(x) = −(x − target)²:
  J(θ) = −(θ − target)² − σ² and ∇J = −2(θ − target).

Each has a closed form, so every estimate in the notebook is compared with the truth.
"""

from __future__ import annotations

import numpy as np

from helpers.distributions import Bernoulli, Gaussian, sigmoid
from helpers.estimators import pathwise_gaussian_mean_estimates, score_function_estimates
from helpers.validation import (
    as_finite_scalar,
    check_count,
    check_rng,
    positive_scalar,
)


# ------------------------------------------------------------------------------- the coin
def coin_payoff(x, heads: float = 1.0, tails: float = -1.0):
    """f(x): ``heads`` for x = 1, ``tails`` for x = 0. Notebook 01."""
    x = np.asarray(x)
    return np.where(x == 1, float(heads), float(tails))


def coin_objective(theta, heads: float = 1.0, tails: float = -1.0) -> float:
    """J(θ) = σ(θ)·heads + (1 − σ(θ))·tails, the exact expected payoff. Notebook 01."""
    p = sigmoid(as_finite_scalar("theta", theta))
    return p * heads + (1 - p) * tails


def coin_gradient(theta, heads: float = 1.0, tails: float = -1.0) -> float:
    """∇J(θ) = σ(θ)(1 − σ(θ))(heads − tails), in closed form. Notebook 01."""
    p = sigmoid(as_finite_scalar("theta", theta))
    return p * (1 - p) * (heads - tails)


def coin_sample_table(theta, m: int, rng, heads: float = 1.0, tails: float = -1.0) -> dict:
    """Every quantity of the score-function estimate for m coin flips, column by column.

    Returns a dict of arrays: ``x``, ``f`` (payoff), ``score`` (x − p) and ``product``
    (f·score, one per-sample estimate). Their mean is the estimate of ∇J. Notebook 01.
    """
    coin = Bernoulli(theta)
    x = coin.sample(check_rng(rng), check_count("m (the number of samples)", m))
    f = coin_payoff(x, heads, tails)
    score = coin.score(x)
    return {"x": x, "f": f, "score": score, "product": score_function_estimates(f, score)}


# ------------------------------------------------------------------------ the target throw
def throw_payoff(x, target: float = 2.0):
    """f(x) = −(x − target)²: the closer to the target, the better. Notebook 01."""
    return -(np.asarray(x, dtype=float) - target) ** 2


def throw_objective(theta, std: float = 1.0, target: float = 2.0) -> float:
    """J(θ) = E[−(x − target)²] = −(θ − target)² − σ² for x ~ N(θ, σ²). Notebook 01."""
    theta = as_finite_scalar("theta", theta)
    std = positive_scalar("std", std)
    return -((theta - target) ** 2) - std**2


def throw_gradient(theta, target: float = 2.0) -> float:
    """∇J(θ) = −2(θ − target); σ does not enter. Notebook 01."""
    return -2.0 * (as_finite_scalar("theta", theta) - target)


def throw_score_function_estimates(theta, std, m: int, rng, target: float = 2.0) -> np.ndarray:
    """m per-sample score-function estimates f(x)(x − θ)/σ² for the throw. Notebook 01."""
    g = Gaussian(theta, std)
    x = g.sample(check_rng(rng), check_count("m (the number of samples)", m))
    return score_function_estimates(throw_payoff(x, target), g.score_mean(x))


def throw_pathwise_estimates(theta, std, m: int, rng, target: float = 2.0) -> np.ndarray:
    """m per-sample pathwise estimates f′(x) = −2(x − target), x = θ + σε. Notebook 01."""
    return pathwise_gaussian_mean_estimates(lambda x: -2.0 * (x - target), theta, std, m, rng)


def throw_finite_difference_estimate(theta, std, m: int, rng, h: float = 0.1,
                                     target: float = 2.0) -> float:
    """Central differences of *sampled* J: m fresh throws at θ + h and m more at θ − h.

    This is what finite differences cost when J itself can only be sampled: two new batches
    of experience, at parameters other than θ. Notebook 01.
    """
    rng = check_rng(rng)
    m = check_count("m (the number of samples)", m)
    h = positive_scalar("h", h)
    up = throw_payoff(Gaussian(theta + h, std).sample(rng, m), target).mean()
    down = throw_payoff(Gaussian(theta - h, std).sample(rng, m), target).mean()
    return (up - down) / (2 * h)


def rmse_against_m(estimator, exact: float, ms, repeats: int, rng) -> np.ndarray:
    """Root-mean-square error of ``estimator(m, rng)`` (a scalar estimate) for each m.

    Used for the log-log plot of error against the number of samples. Notebook 01.
    """
    rng = check_rng(rng)
    repeats = check_count("repeats", repeats)
    out = []
    for m in ms:
        m = check_count("m", int(m))
        errors = np.array([estimator(m, rng) - exact for _ in range(repeats)])
        out.append(np.sqrt(np.mean(errors**2)))
    return np.array(out)
