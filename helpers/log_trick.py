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


def throw_estimate_std(kind: str, theta, std: float = 1.0, target: float = 2.0) -> float:
    """The standard deviation of one per-sample estimate of ∇J for the throw, exactly.

    ``"score_function"``: f(x)(x − θ)/σ², variance d⁴/σ² + 14d² + 15σ² with d = θ − target
    (derived in notebook 02); ``"pathwise"``: f′(x) = −2(x − target), variance 4σ². An
    average of m samples has standard deviation (and RMS error) this / √m: the exact line
    of notebook 01's section 8. Notebook 01.
    """
    d = as_finite_scalar("theta", theta) - as_finite_scalar("target", target)
    s = positive_scalar("std", std)
    if kind == "score_function":
        return float(np.sqrt(d**4 / s**2 + 14 * d**2 + 15 * s**2))
    if kind == "pathwise":
        return 2.0 * s
    raise ValueError(f"kind must be 'score_function' or 'pathwise'; got {kind!r}.")


# ------------------------------------------------------------------------------ pictures
def why_log_table(theta, heads: float = 1.0, tails: float = -1.0) -> dict:
    """The coin's p(x), ∇p(x), score ∇log p(x) and p(x)·score(x) for x = 0, 1 (arrays in
    that order), and the payoffs f(x). p sums to 1; ∇p sums to 0; p·score equals ∇p.
    Notebook 01, section 3."""
    p1 = sigmoid(as_finite_scalar("theta", theta))
    p = np.array([1 - p1, p1])
    score = np.array([0.0, 1.0]) - p1                     # x − p
    dp = np.array([-p1 * (1 - p1), p1 * (1 - p1)])
    return {"x": np.array([0, 1]), "p": p, "dp": dp, "score": score, "p_score": p * score,
            "f": coin_payoff([0, 1], heads, tails)}


def plot_why_log(theta, axes=None) -> dict:
    """Section 3 of notebook 01 in three bar charts for the coin at θ: p(x), a distribution
    we can sample (sums to 1); ∇p(x), the weights of the exact sum Σ ∇p(x) f(x) (one
    negative, they sum to 0: not a distribution); and ∇p(x) = p(x)·∇log p(x), a probability
    times the score (the score drawn hatched behind). Returns :func:`why_log_table`'s dict
    with ``"axes"``. Notebook 01."""
    import matplotlib.pyplot as plt

    from helpers.plotting import COLORS, ROLE

    table = why_log_table(theta)
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(9.6, 3.2), sharey=True)
    names = ["tails (x = 0)", "heads (x = 1)"]
    a, b, c = axes
    a.bar_label(a.bar(names, table["p"], color=COLORS["grey"]), fmt="%.4f", fontsize=9)
    a.set_title(f"p(x): sums to {table['p'].sum():.0f}\na distribution we can sample")
    b.bar_label(b.bar(names, table["dp"], color=ROLE["reference"]), fmt="%+.4f", fontsize=9)
    b.set_title(f"∇p(x): sums to {abs(table['dp'].sum()):.0f}\nnot a distribution")
    c.bar(names, table["score"], color="none", edgecolor=ROLE["score_function"], hatch="//",
          label="score ∇log p(x) = x − p")
    c.bar_label(c.bar(names, table["p_score"], color=ROLE["score_function"], width=0.5,
                      label="p(x) · ∇log p(x)"), fmt="%+.4f", fontsize=9)
    c.set_title("∇p(x) = p(x) · ∇log p(x)\na probability times the score")
    c.legend(fontsize=8, loc="upper left")
    for ax in axes:
        ax.axhline(0, color=COLORS["black"], lw=0.8)
        ax.set_xlabel("outcome")
    a.set_ylabel(f"value at θ = {float(theta):g}")
    table["axes"] = axes
    return table


def plot_running_mean(per_sample, exact: float, ax=None, label: str = "running mean") -> dict:
    """The mean of the first n per-sample estimates against n (log axis), with a band of
    ±2 standard errors (from the running standard deviation) and the exact value. Returns
    ``{"n", "mean", "se", "ax"}``. Notebook 01."""
    import matplotlib.pyplot as plt

    from helpers.plotting import ROLE
    from helpers.validation import as_float_array

    values = as_float_array("per_sample (the per-sample estimates)", per_sample, ndim=1)
    if values.size < 2:
        raise ValueError(f"per_sample needs at least 2 estimates; got {values.size}.")
    exact = as_finite_scalar("exact", exact)
    n = np.arange(1, values.size + 1)
    mean = np.cumsum(values) / n
    second = np.cumsum(values**2) / n
    se = np.sqrt(np.maximum(second - mean**2, 0.0) * n / np.maximum(n - 1, 1) / n)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    ax.fill_between(n[1:], (mean - 2 * se)[1:], (mean + 2 * se)[1:],
                    color=ROLE["score_function"], alpha=0.2, label="± 2 standard errors")
    ax.plot(n, mean, color=ROLE["score_function"], label=label)
    ax.axhline(exact, color=ROLE["exact"], ls="--", label=f"exact {exact:+g}")
    ax.set_xscale("log")
    ax.set(xlabel="number of samples n", ylabel="mean of the first n estimates")
    ax.legend(fontsize=9)
    return {"n": n, "mean": mean, "se": se, "ax": ax}


def reweighted_throw_objective(xs, theta, hs, std: float = 1.0, target: float = 2.0) -> dict:
    """Ĵ(θ + h) for each h from ONE batch ``xs`` drawn at θ: the average of
    [p_θ+h(x)/p_θ(x)]·f(x) (importance re-weighting), with the exact J(θ + h), and the
    batch's score-function estimate (the slope of Ĵ at h = 0). Notebook 01, section 7."""
    from helpers.validation import as_float_array

    xs = as_float_array("xs (the batch, drawn at θ)", xs, ndim=1)
    theta = as_finite_scalar("theta", theta)
    hs = as_float_array("hs (the offsets h)", hs, ndim=1)
    here = Gaussian(theta, std)
    fx = throw_payoff(xs, target)
    log_here = here.log_prob(xs)
    reweighted = np.array([np.mean(np.exp(Gaussian(theta + h, std).log_prob(xs) - log_here)
                                   * fx) for h in hs])
    return {"h": hs, "reweighted": reweighted,
            "exact": np.array([throw_objective(theta + h, std, target) for h in hs]),
            "J_hat": float(fx.mean()),
            "slope": float(score_function_estimates(fx, here.score_mean(xs)).mean())}


def plot_reweighted_objective(xs, theta, hs, std: float = 1.0, target: float = 2.0,
                              ax=None) -> dict:
    """The curve h ↦ Ĵ(θ + h) re-weighted from ONE batch drawn at θ, its tangent at h = 0
    (slope: the score-function estimate from the same batch) and the exact J(θ + h).
    Returns :func:`reweighted_throw_objective`'s dict with ``"ax"``. Notebook 01."""
    import matplotlib.pyplot as plt

    from helpers.plotting import ROLE

    out = reweighted_throw_objective(xs, theta, hs, std, target)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    h = out["h"]
    ax.plot(h, out["exact"], color=ROLE["exact"], ls="--", label="exact J(θ + h)")
    ax.plot(h, out["reweighted"], color=ROLE["score_function"],
            label=f"Ĵ(θ + h) from one batch at θ (m = {len(xs):,})")
    ax.plot(h, out["J_hat"] + out["slope"] * h, color=ROLE["reference"], lw=1.2,
            label=f"its tangent at h = 0: slope {out['slope']:+.2f}")
    ax.plot([0], [out["J_hat"]], "o", color=ROLE["score_function"])
    ax.set(xlabel="h", ylabel="J", title=f"Samples at θ = {theta:g} see J around θ")
    ax.legend(fontsize=9)
    out["ax"] = ax
    return out
