"""Three ways to estimate ∇θ E_{x∼pθ}[f(x)], introduced in notebook 01.

* **score function** (likelihood ratio, REINFORCE): average f(x)·∇θ log pθ(x) over samples
  drawn at the current θ only;
* **central finite differences**: evaluate the objective at θ ± h in every coordinate;
* **pathwise** (reparameterisation) for a Gaussian: write x = μ + σε and differentiate f.

The score-function estimator returns the *per-sample* estimates, so a notebook can show
both their mean (the gradient estimate) and their spread (its variance).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)


def score_function_estimates(f_values, scores) -> np.ndarray:
    """Per-sample score-function estimates f(x_i)·∇θ log pθ(x_i).

    ``f_values`` has shape (m,): the payoff (return) of each sample. ``scores`` has shape
    (m,) for one parameter or (m, K) for K parameters. The mean over axis 0 is the
    estimate of ∇θ E[f(x)]; the spread shows its variance. Introduced in notebook 01.
    """
    f = as_float_array("f_values (the returns)", f_values, ndim=1)
    s = as_float_array("scores", scores)
    if f.size == 0:
        raise ValueError("f_values is empty; at least one sample (m >= 1) is needed.")
    if s.ndim not in (1, 2) or s.shape[0] != f.shape[0]:
        raise ValueError(
            f"scores must have shape (m,) or (m, P) with m = {f.shape[0]} to match f_values; "
            f"got {s.shape}."
        )
    return f * s if s.ndim == 1 else f[:, None] * s


def finite_difference_points(theta, h: float = 1e-4) -> np.ndarray:
    """The 2·K parameter vectors θ ± h·e_i where central differences evaluate U. Notebook 01."""
    th = np.atleast_1d(as_float_array("theta", theta))
    if th.ndim != 1:
        raise ValueError(f"theta must be a number or a 1-D array; got shape {th.shape}.")
    h = positive_scalar("h (the step)", h)
    eye = np.eye(th.size)
    return np.concatenate([th + h * eye, th - h * eye])


def finite_difference_gradient(fun: Callable, theta, h: float = 1e-4):
    """Central finite differences: ∂_i U ≈ (U(θ + h e_i) − U(θ − h e_i)) / 2h.

    Calls ``fun`` 2·K times, at the points :func:`finite_difference_points` lists: it must
    *evaluate the objective at other parameters*, unlike the score-function estimator.
    Returns a float for scalar ``theta``, else an array of ``theta``'s shape. Notebook 01.
    """
    scalar = np.ndim(theta) == 0
    points = finite_difference_points(theta, h)
    p = points.shape[1]
    values = np.array(
        [as_finite_scalar("fun(theta)", fun(pt[0] if scalar else pt)) for pt in points]
    )
    grad = (values[:p] - values[p:]) / (2.0 * float(h))
    return float(grad[0]) if scalar else grad


def pathwise_gaussian_mean_estimates(df: Callable, mean, std, m: int, rng) -> np.ndarray:
    """Per-sample pathwise estimates of ∂μ E_{x∼N(μ,σ²)}[f(x)].

    With x = μ + σε, ∂μ f(μ + σε) = f′(x): this needs the derivative ``df`` of f, which the
    score-function estimator does not (and which a reward from an environment does not
    have). Introduced in notebook 01.
    """
    mean = as_finite_scalar("mean", mean)
    std = positive_scalar("std (the standard deviation)", std)
    m = check_count("m (the number of samples)", m)
    rng = check_rng(rng)
    x = mean + std * rng.standard_normal(m)
    return as_float_array("df(x)", df(x), shape=(m,))
