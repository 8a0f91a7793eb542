"""The softmax bandit of notebook 03 (``03_pushing_up_log_probabilities``).

A policy over K actions with logits θ, π = softmax(θ), and a fixed return R_k for each
action. The policy-gradient step after taking action a and seeing return R is

    θ′ = θ + η·(R − b)·∇θ log π(a),    ∇θ log π(a) = onehot(a) − π,

with an optional baseline b. To first order it changes every log-probability by
Δ log π(c) ≈ η·(R − b)·∇log π(c)·∇log π(a), so the taken action's log-probability moves by
η·(R − b)·‖∇log π(a)‖²: up when R − b > 0, down when R − b < 0, not at all when R = b.

The functions here compute the exact and first-order changes, the expected update
E_a[R_a ∇log π(a)] = ∇θ J (J = Σ π_k R_k), sampled updates, multi-step runs and the
variance of one sampled update with and without the baseline b = J(θ).
"""

from __future__ import annotations

import numpy as np

from helpers.distributions import log_softmax
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

#: what the baseline option may be
BASELINES = ("none", "mean")
#: how an update may be made
MODES = ("expected", "sampled")


def _theta(theta) -> np.ndarray:
    th = as_float_array("theta (the logits)", theta, ndim=1)
    if th.size < 1:
        raise ValueError("theta must have at least one entry (one logit per action).")
    return th


def _returns(returns, k: int) -> np.ndarray:
    return as_float_array("returns (one per action)", returns, shape=(k,))


def _action(a, k: int) -> int:
    if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
        raise ValueError(f"a must be an action index 0..{k - 1} (a whole number); got {a!r}.")
    if not 0 <= a < k:
        raise ValueError(f"a must be an action index in 0..{k - 1}; got {a}.")
    return int(a)


def _baseline(baseline) -> str:
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}; got {baseline!r}.")
    return baseline


def log_probs(theta) -> np.ndarray:
    """log π = log softmax(θ), stable for large logits. Introduced in notebook 03."""
    return log_softmax(_theta(theta))


def probs(theta) -> np.ndarray:
    """π = softmax(θ). Introduced in notebook 03."""
    return np.exp(log_probs(theta))


def score(theta, a) -> np.ndarray:
    """∇θ log π(a) = onehot(a) − π. Introduced in notebook 03 (with two actions it is
    notebook 01's coin score x − p)."""
    th = _theta(theta)
    a = _action(a, th.size)
    g = -probs(th)
    g[a] += 1.0
    return g


def expected_return(theta, returns) -> float:
    """J(θ) = Σ_k π_k R_k, the mean return under the current policy. Notebook 03."""
    th = _theta(theta)
    return float(probs(th) @ _returns(returns, th.size))


def step(theta, a, R, eta, baseline: float = 0.0) -> np.ndarray:
    """One sampled update θ′ = θ + η·(R − b)·∇θ log π(a). Introduced in notebook 03."""
    th = _theta(theta)
    R = as_finite_scalar("R (the return)", R)
    b = as_finite_scalar("baseline", baseline)
    eta = positive_scalar("eta (the step size)", eta)
    return th + eta * (R - b) * score(th, a)


def exact_log_prob_change(theta, a, R, eta, baseline: float = 0.0) -> np.ndarray:
    """Δ log π(c) for every action c after one step on action ``a``: exact. Notebook 03."""
    return log_probs(step(theta, a, R, eta, baseline)) - log_probs(theta)


def first_order_log_prob_change(theta, a, R, eta, baseline: float = 0.0) -> np.ndarray:
    """First-order (Taylor) Δ log π(c) ≈ η·(R − b)·∇log π(c)·∇log π(a) for every c.

    Entry ``a`` is η·(R − b)·‖∇log π(a)‖². Introduced in notebook 03.
    """
    th = _theta(theta)
    R = as_finite_scalar("R (the return)", R)
    b = as_finite_scalar("baseline", baseline)
    eta = positive_scalar("eta (the step size)", eta)
    g_a = score(th, a)
    jac = np.eye(th.size) - probs(th)  # row c is ∇θ log π(c)
    return eta * (R - b) * (jac @ g_a)


def expected_update_direction(theta, returns, baseline: str = "none") -> np.ndarray:
    """E_{a∼π}[(R_a − b)·∇θ log π(a)] = π ⊙ (R − J): the exact gradient ∇θ J.

    With ``baseline="mean"`` (b = J(θ)) the result is the same, because E[∇log π] = 0.
    Introduced in notebook 03.
    """
    th = _theta(theta)
    r = _returns(returns, th.size)
    b = expected_return(th, r) if _baseline(baseline) == "mean" else 0.0
    p = probs(th)
    # Σ_a π_a (R_a − b)(e_a − π) = π ⊙ (R − b) − π · Σ_a π_a (R_a − b)
    w = p * (r - b)
    return w - p * w.sum()


def sampled_update_directions(theta, returns, m, rng, baseline: str = "none") -> np.ndarray:
    """m independent one-sample estimates (R_a − b)·∇θ log π(a), a ∼ π; shape (m, K).

    Their mean estimates :func:`expected_update_direction`. Introduced in notebook 03.
    """
    th = _theta(theta)
    r = _returns(returns, th.size)
    m = check_count("m (the number of samples)", m)
    rng = check_rng(rng)
    b = expected_return(th, r) if _baseline(baseline) == "mean" else 0.0
    p = probs(th)
    acts = rng.choice(th.size, size=m, p=p / p.sum())
    return (r[acts] - b)[:, None] * (np.eye(th.size)[acts] - p)


def update_variance(theta, returns, baseline: str = "none") -> float:
    """Total variance E‖g − E g‖² of one sampled update g = (R_a − b)∇log π(a), exactly.

    Computed by enumerating the K actions (no sampling). Introduced in notebook 03.
    """
    th = _theta(theta)
    r = _returns(returns, th.size)
    b = expected_return(th, r) if _baseline(baseline) == "mean" else 0.0
    p = probs(th)
    g = (r - b)[:, None] * (np.eye(th.size) - p)  # row a: the update if a is drawn
    mean = p @ g
    return float(p @ np.sum((g - mean) ** 2, axis=1))


def run_updates(theta0, returns, eta, n_steps, *, mode: str = "expected",
                baseline: str = "none", rng=None) -> np.ndarray:
    """log π after each of ``n_steps`` updates; shape (n_steps + 1, K), row 0 is the start.

    ``mode="expected"`` follows θ ← θ + η·E[(R_a − b)∇log π(a)] (deterministic);
    ``mode="sampled"`` draws one action per step from π with the generator ``rng`` and
    uses θ ← θ + η·(R_a − b)∇log π(a). ``baseline="mean"`` subtracts b = J(θ) at each step.
    Introduced in notebook 03.
    """
    th = _theta(theta0).copy()
    r = _returns(returns, th.size)
    eta = positive_scalar("eta (the step size)", eta)
    n_steps = check_count("n_steps", n_steps, minimum=0)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
    _baseline(baseline)
    if mode == "sampled":
        rng = check_rng(rng)
    k = th.size
    out = np.empty((n_steps + 1, k))
    out[0] = log_softmax(th)
    eye = np.eye(k)
    for t in range(n_steps):
        p = np.exp(out[t])
        b = float(p @ r) if baseline == "mean" else 0.0
        if mode == "expected":
            w = p * (r - b)
            th += eta * (w - p * w.sum())
        else:
            a = rng.choice(k, p=p / p.sum())
            th += eta * (r[a] - b) * (eye[a] - p)
        th -= th.max()  # softmax is unchanged by a shift; keeps the logits bounded
        out[t + 1] = log_softmax(th)
    return out
