"""The worked example of notebook 02 (``02_worked_example_exp_policy``).

Three small policies, each with its log-probability, its score (the gradient of the
log-probability with respect to the parameters) and the one-step policy-gradient update
θ′ = θ + η·G·∇θ log π(a):

* the **unnormalised** "policy" π(a; α, β) = exp(α + βa) from an AI Stack Exchange answer. Its
  scores are ∂α log π = 1 and ∂β log π = a. It is *not* a probability distribution: its
  values do not sum to one, the same update raises α forever when G > 0, and the expected
  score is not zero;
* the **softmax-normalised** version over a finite action set {a_1, …, a_K}:
  π(a_k) = exp(α + βa_k) / Σ_j exp(α + βa_j). Here α cancels, ∂α log π = 0 and
  ∂β log π(a) = a − E_π[a], so E_π[∇ log π] = 0 as for every normalised policy;
* the **linear-Gaussian** policy for a continuous action, π(a | s) = N(a; w·s + b, σ²),
  with ∇w log π = (a − μ)·s/σ² and ∂b log π = (a − μ)/σ².

Every function checks its input with :mod:`helpers.validation` and raises ``ValueError``
with a plain explanation.
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

#: exp(x) overflows a float64 for x > ~709.78; the unnormalised policy refuses beyond this.
_MAX_EXPONENT = 700.0


def _actions(actions) -> np.ndarray:
    a = as_float_array("actions (the finite action set)", actions, ndim=1)
    if a.size < 1:
        raise ValueError("actions must list at least one action value, e.g. [0, 1, 2].")
    return a


def _check_step(eta) -> float:
    return positive_scalar("eta (the step size)", eta)


# -- the unnormalised exp(α + βa) ---------------------------------------------------------
def exp_policy_log_value(alpha, beta, a):
    """log π(a; α, β) = α + βa for the unnormalised policy π = exp(α + βa). Notebook 02."""
    alpha = as_finite_scalar("alpha", alpha)
    beta = as_finite_scalar("beta", beta)
    a = as_float_array("a (the action)", a)
    out = alpha + beta * a
    return out if out.ndim else float(out)


def exp_policy_value(alpha, beta, a):
    """π(a; α, β) = exp(α + βa); raises ``ValueError`` instead of overflowing. Notebook 02."""
    z = np.asarray(exp_policy_log_value(alpha, beta, a))
    if np.any(z > _MAX_EXPONENT):
        raise ValueError(
            f"exp(α + βa) would overflow (α + βa reaches {z.max():.4g} > {_MAX_EXPONENT:g}): "
            "the unnormalised 'policy' has run away. Use smaller α, β, G or η."
        )
    out = np.exp(z)
    return out if out.ndim else float(out)


def exp_policy_total(alpha, beta, actions) -> float:
    """Z(α, β) = Σ_k exp(α + βa_k): what the values sum to (1 only by accident). Notebook 02."""
    return float(np.sum(exp_policy_value(alpha, beta, _actions(actions))))


def exp_policy_score(alpha, beta, a) -> np.ndarray:
    """(∂α log π, ∂β log π) = (1, a) for π = exp(α + βa); shape ``a.shape + (2,)``.

    Introduced in notebook 02. The score does not depend on α or β (they are checked only
    so that a typo is caught).
    """
    as_finite_scalar("alpha", alpha)
    as_finite_scalar("beta", beta)
    a = as_float_array("a (the action)", a)
    return np.stack([np.ones_like(a), a], axis=-1)


def exp_policy_update(alpha, beta, a, G, eta) -> tuple[float, float]:
    """One policy-gradient step for π = exp(α + βa): α′ = α + η·G·1, β′ = β + η·G·a.

    (Writing the β-update with ∇α instead of ∇β is an easy slip; the correct factor is
    ∂β log π = a.) Returns ``(alpha_new, beta_new)``. Introduced in notebook 02.
    """
    alpha = as_finite_scalar("alpha", alpha)
    beta = as_finite_scalar("beta", beta)
    a = as_finite_scalar("a (the action)", a)
    G = as_finite_scalar("G (the return)", G)
    eta = _check_step(eta)
    d_alpha, d_beta = exp_policy_score(alpha, beta, a)
    return alpha + eta * G * float(d_alpha), beta + eta * G * float(d_beta)


def exp_policy_expected_score(alpha, beta, actions) -> np.ndarray:
    """Σ_k π(a_k)·∇ log π(a_k) for the *unnormalised* π = exp(α + βa). Notebook 02.

    For a real distribution this is Σ ∇π = ∇ Σ π = ∇1 = 0. Here Σ_k π(a_k) = Z(α, β) is not
    constant, and the sum equals ∇Z = (Z, Σ_k a_k exp(α + βa_k)) ≠ 0.
    """
    a = _actions(actions)
    values = exp_policy_value(alpha, beta, a)
    return values @ exp_policy_score(alpha, beta, a)


def run_unnormalised_updates(alpha, beta, actions, returns, eta, n_steps, rng) -> dict:
    """Repeat the exp(α + βa) update ``n_steps`` times; returns the α, β and Z histories.

    Actions are drawn from exp(α + βa) divided by its total (the only way to sample from a
    non-distribution); ``returns[k]`` is the return of action ``actions[k]``. With every
    return positive, α rises by η·G at every step whatever action is drawn, so α and the
    total Z grow without bound. Introduced in notebook 02.
    """
    a = _actions(actions)
    r = as_float_array("returns", returns, shape=(a.size,))
    eta = _check_step(eta)
    n_steps = check_count("n_steps", n_steps)
    rng = check_rng(rng)
    alphas = [as_finite_scalar("alpha", alpha)]
    betas = [as_finite_scalar("beta", beta)]
    for _ in range(n_steps):
        k = rng.choice(a.size, p=softmax_policy_probs(alphas[-1], betas[-1], a))
        new = exp_policy_update(alphas[-1], betas[-1], a[k], r[k], eta)
        alphas.append(new[0])
        betas.append(new[1])
    alphas, betas = np.array(alphas), np.array(betas)
    totals = np.array([exp_policy_total(al, be, a) for al, be in zip(alphas, betas, strict=True)])
    return {"alpha": alphas, "beta": betas, "total": totals}


# -- the softmax-normalised version over a finite action set ------------------------------
def softmax_policy_log_probs(alpha, beta, actions) -> np.ndarray:
    """log π(a_k) = α + βa_k − log Σ_j exp(α + βa_j) for every action (α cancels). Notebook 02."""
    alpha = as_finite_scalar("alpha", alpha)
    beta = as_finite_scalar("beta", beta)
    return log_softmax(alpha + beta * _actions(actions))


def softmax_policy_probs(alpha, beta, actions) -> np.ndarray:
    """π(a_k) = exp(α + βa_k) / Σ_j exp(α + βa_j): sums to one. Introduced in notebook 02."""
    return np.exp(softmax_policy_log_probs(alpha, beta, actions))


def softmax_policy_score(alpha, beta, actions, k) -> np.ndarray:
    """(∂α log π(a_k), ∂β log π(a_k)) = (0, a_k − E_π[a]); shape ``(2,)`` or ``k.shape+(2,)``.

    ``k`` is the index (or indices) of the taken action in ``actions``. Notebook 02.
    """
    a = _actions(actions)
    k = np.asarray(k)
    if k.dtype.kind not in "iu" or np.any(k < 0) or np.any(k >= a.size):
        raise ValueError(f"k must be an action index in 0..{a.size - 1}; got {k!r}.")
    p = softmax_policy_probs(alpha, beta, a)
    centred = a[k] - p @ a
    return np.stack([np.zeros_like(centred), centred], axis=-1)


def softmax_policy_expected_score(alpha, beta, actions) -> np.ndarray:
    """E_π[∇ log π] = Σ_k π(a_k)·(0, a_k − E_π[a]) — zero up to rounding. Notebook 02."""
    a = _actions(actions)
    p = softmax_policy_probs(alpha, beta, a)
    return p @ softmax_policy_score(alpha, beta, a, np.arange(a.size))


def softmax_policy_update(alpha, beta, actions, k, G, eta) -> tuple[float, float]:
    """One step for the softmax policy: α′ = α (its score is 0), β′ = β + η·G·(a_k − E_π[a]).

    Introduced in notebook 02.
    """
    G = as_finite_scalar("G (the return)", G)
    eta = _check_step(eta)
    d_alpha, d_beta = softmax_policy_score(alpha, beta, actions, k)
    return float(alpha) + eta * G * float(d_alpha), float(beta) + eta * G * float(d_beta)


# -- the linear-Gaussian policy for a continuous action -----------------------------------
class LinearGaussianPolicy:
    """π(a | s) = N(a; μ(s), σ²) with a mean linear in the state: μ(s) = w·s + b.

    Scores: ∇w log π = (a − μ)·s/σ² and ∂b log π = (a − μ)/σ². ``w`` and ``s`` are vectors
    of the same length (a single number is a vector of length one). Introduced in
    notebook 02.
    """

    def __init__(self, w, b, sigma):
        w = as_float_array("w (the weights)", w)
        if w.ndim > 1:
            raise ValueError(f"w must be a number or a 1-D array; got shape {w.shape}.")
        self.w = np.atleast_1d(w)
        self.b = as_finite_scalar("b (the bias)", b)
        self.sigma = positive_scalar("sigma (the standard deviation)", sigma)

    def _state(self, s) -> np.ndarray:
        s = np.atleast_1d(as_float_array("s (the state)", s))
        if s.ndim != 1 or s.size != self.w.size:
            raise ValueError(
                f"s must have {self.w.size} entr{'y' if self.w.size == 1 else 'ies'} to match w; "
                f"got shape {s.shape}."
            )
        return s

    def mean(self, s) -> float:
        """μ(s) = w·s + b."""
        return float(self.w @ self._state(s) + self.b)

    def sample(self, s, rng, size=None):
        """Draw a = μ(s) + σ ε with ε ~ N(0, 1) using the generator ``rng``."""
        rng = check_rng(rng)
        if size is not None:
            size = check_count("size", size)
        return self.mean(s) + self.sigma * rng.standard_normal(size)

    def log_prob(self, s, a):
        """log π(a | s) = −(a − μ)²/(2σ²) − log σ − ½ log 2π."""
        a = as_float_array("a (the action)", a)
        z = (a - self.mean(s)) / self.sigma
        out = -0.5 * z**2 - np.log(self.sigma) - 0.5 * np.log(2.0 * np.pi)
        return out if out.ndim else float(out)

    def score_b(self, s, a):
        """∂b log π(a | s) = (a − μ(s))/σ²."""
        a = as_float_array("a (the action)", a)
        out = (a - self.mean(s)) / self.sigma**2
        return out if out.ndim else float(out)

    def score_w(self, s, a) -> np.ndarray:
        """∇w log π(a | s) = (a − μ(s))·s/σ²; shape ``a.shape + (len(w),)``."""
        s = self._state(s)
        return np.multiply.outer(np.asarray(self.score_b(s, a)), s)

    def update(self, s, a, G, eta) -> LinearGaussianPolicy:
        """One step w′ = w + η·G·∇w log π, b′ = b + η·G·∂b log π; returns a new policy."""
        G = as_finite_scalar("G (the return)", G)
        eta = _check_step(eta)
        a = as_finite_scalar("a (the action)", a)
        return LinearGaussianPolicy(self.w + eta * G * self.score_w(s, a),
                                    self.b + eta * G * self.score_b(s, a), self.sigma)

    def __repr__(self):
        w = self.w.tolist() if self.w.size > 1 else float(self.w[0])
        return f"LinearGaussianPolicy(w={w}, b={self.b:g}, sigma={self.sigma:g})"


def quadratic_return(a, target):
    """G(a) = −(a − target)²: the best action is ``target``. Introduced in notebook 02."""
    a = as_float_array("a (the action)", a)
    target = as_finite_scalar("target", target)
    out = -((a - target) ** 2)
    return out if out.ndim else float(out)


def quadratic_return_mean_gradient(mean, target) -> float:
    """∂μ E_{a∼N(μ,σ²)}[−(a − target)²] = −2(μ − target), for every σ. Notebook 02."""
    return -2.0 * (as_finite_scalar("mean", mean) - as_finite_scalar("target", target))


def quadratic_return_score_variance(mean, target, sigma) -> float:
    """Var of one score-function sample G(a)·(a − μ)/σ² for G = −(a − target)².

    Closed form d⁴/σ² + 14d² + 15σ² with d = μ − target (derived with sympy in
    tests/test_worked_example.py): it grows like 15σ² for large σ, and like d⁴/σ² for very
    small σ. Introduced in notebook 02.
    """
    d = as_finite_scalar("mean", mean) - as_finite_scalar("target", target)
    s = positive_scalar("sigma (the standard deviation)", sigma)
    return d**4 / s**2 + 14.0 * d**2 + 15.0 * s**2


def gaussian_mean_gradient_samples(policy, s, target, m, rng) -> np.ndarray:
    """m one-sample score-function estimates G(a)·∂b log π(a | s) of ∂b E[G], G = −(a−target)².

    Their mean estimates −2(μ(s) − target); their spread is the noise of one update.
    Introduced in notebook 02.
    """
    if not isinstance(policy, LinearGaussianPolicy):
        raise ValueError("policy must be a LinearGaussianPolicy.")
    m = check_count("m (the number of samples)", m)
    a = policy.sample(s, rng, size=m)
    return quadratic_return(a, target) * policy.score_b(s, a)
