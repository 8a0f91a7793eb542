"""Distributions used as policies, each with ``sample``, ``log_prob`` and the *score*.

The score is the gradient of the log-probability with respect to the parameters,
``∇θ log pθ(x)``, written out in closed form. Seeing it explicitly is the point of the
course, so nothing here uses automatic differentiation. Introduced in notebook 01
(``01_log_derivative_trick``); the categorical policy returns in notebooks 02 and 03.
"""

from __future__ import annotations

import numpy as np

from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_probabilities,
    check_rng,
    positive_scalar,
)

_LOG_2PI = float(np.log(2.0 * np.pi))


def sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}), computed without overflow. Introduced in notebook 01."""
    x = as_float_array("x", x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out if out.ndim else float(out)


def log_softmax(logits, axis: int = -1):
    """log softmax(z)_k = z_k − log Σ_j exp z_j, stable for large logits. Notebook 01."""
    z = as_float_array("logits", logits)
    if z.ndim == 0:
        raise ValueError("logits must be an array with one entry per action, not a single number.")
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def softmax(logits, axis: int = -1):
    """softmax(z)_k = exp z_k / Σ_j exp z_j. Introduced in notebook 01."""
    return np.exp(log_softmax(logits, axis=axis))


def _sample_size(size):
    if size is None:
        return None
    if isinstance(size, tuple):
        for s in size:
            check_count("size", s)
        return size
    return check_count("size", size)


class Bernoulli:
    """A coin that shows 1 with probability p = σ(θ): the simplest policy with a parameter.

    ``score(x) = ∂θ log p(x) = x − σ(θ)``. Introduced in notebook 01.
    """

    def __init__(self, theta):
        self.theta = as_finite_scalar("theta", theta)

    @property
    def p(self) -> float:
        """Probability of x = 1."""
        return sigmoid(self.theta)

    def _check_x(self, x):
        x = as_float_array("x", x)
        if np.any((x != 0) & (x != 1)):
            raise ValueError("x must contain only 0s and 1s (the two faces of the coin).")
        return x

    def sample(self, rng, size=None):
        """Draw outcomes in {0, 1} using the generator ``rng``."""
        rng = check_rng(rng)
        return (rng.random(_sample_size(size)) < self.p).astype(int)

    def log_prob(self, x):
        """log p(x) = x log σ(θ) + (1 − x) log σ(−θ), stable for large |θ|."""
        x = self._check_x(x)
        # log σ(θ) = −log(1 + e^{−θ}) = −logaddexp(0, −θ)
        out = -(x * np.logaddexp(0.0, -self.theta) + (1 - x) * np.logaddexp(0.0, self.theta))
        return out if out.ndim else float(out)

    def score(self, x):
        """∂θ log p(x) = x − σ(θ)."""
        out = self._check_x(x) - self.p
        return out if out.ndim else float(out)

    def __repr__(self):
        return f"Bernoulli(theta={self.theta:g}, p={self.p:.4f})"


class Categorical:
    """A softmax policy over K actions: π(a) = exp θ_a / Σ_j exp θ_j.

    ``score(a) = ∇θ log π(a) = onehot(a) − π``: raise the taken action's logit, lower every
    logit in proportion to its probability. Introduced in notebook 01; the bandit of
    notebook 03 is built on it.
    """

    def __init__(self, logits):
        z = as_float_array("logits", logits, ndim=1)
        if z.size < 1:
            raise ValueError("logits must have at least one entry (one per action).")
        self.logits = z

    @classmethod
    def from_probs(cls, probs):
        """Build from probabilities (checked to be >= 0 and to sum to 1); zeros not allowed."""
        p = check_probabilities("probs", probs)
        if p.ndim != 1:
            raise ValueError(f"probs must be one-dimensional; got shape {p.shape}.")
        if np.any(p == 0):
            raise ValueError("probs must be strictly positive to be written as softmax logits.")
        return cls(np.log(p))

    @property
    def n_actions(self) -> int:
        return self.logits.size

    @property
    def probs(self) -> np.ndarray:
        return softmax(self.logits)

    def _check_a(self, a):
        arr = np.asarray(a)
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(int)
            else:
                raise ValueError(
                    f"actions must be whole numbers 0..{self.n_actions - 1}; got {a!r}."
                )
        if np.any(arr < 0) or np.any(arr >= self.n_actions):
            raise ValueError(f"actions must lie in 0..{self.n_actions - 1}; got {a!r}.")
        return arr

    def sample(self, rng, size=None):
        """Draw action indices using the generator ``rng``."""
        rng = check_rng(rng)
        return rng.choice(self.n_actions, size=_sample_size(size), p=self.probs)

    def log_prob(self, a):
        """log π(a) = θ_a − log Σ_j exp θ_j."""
        a = self._check_a(a)
        out = log_softmax(self.logits)[a]
        return out if np.ndim(out) else float(out)

    def score(self, a):
        """∇θ log π(a) = onehot(a) − π; shape ``a.shape + (K,)``."""
        a = self._check_a(a)
        return np.eye(self.n_actions)[a] - self.probs

    def __repr__(self):
        return f"Categorical(probs={np.round(self.probs, 4).tolist()})"


class Gaussian:
    """A normal distribution N(μ, σ²), the policy for a continuous action.

    Scores: ``∂μ log p(x) = (x − μ)/σ²`` and ``∂σ log p(x) = ((x − μ)² − σ²)/σ³``.
    Introduced in notebook 01 (mean θ); notebook 02 makes μ a linear function of a state.
    """

    def __init__(self, mean, std):
        self.mean = as_finite_scalar("mean", mean)
        self.std = positive_scalar("std (the standard deviation)", std)

    def sample(self, rng, size=None):
        """Draw x = μ + σ ε with ε ~ N(0, 1), using the generator ``rng``."""
        rng = check_rng(rng)
        return self.mean + self.std * rng.standard_normal(_sample_size(size))

    def log_prob(self, x):
        """log p(x) = −(x − μ)²/(2σ²) − log σ − ½ log 2π."""
        x = as_float_array("x", x)
        z = (x - self.mean) / self.std
        out = -0.5 * z**2 - np.log(self.std) - 0.5 * _LOG_2PI
        return out if out.ndim else float(out)

    def score_mean(self, x):
        """∂μ log p(x) = (x − μ)/σ²."""
        x = as_float_array("x", x)
        out = (x - self.mean) / self.std**2
        return out if out.ndim else float(out)

    def score_std(self, x):
        """∂σ log p(x) = ((x − μ)² − σ²)/σ³."""
        x = as_float_array("x", x)
        out = ((x - self.mean) ** 2 - self.std**2) / self.std**3
        return out if out.ndim else float(out)

    def score(self, x):
        """Both scores stacked: shape ``x.shape + (2,)``, order (∂μ, ∂σ)."""
        return np.stack([np.asarray(self.score_mean(x)), np.asarray(self.score_std(x))], axis=-1)

    def __repr__(self):
        return f"Gaussian(mean={self.mean:g}, std={self.std:g})"
