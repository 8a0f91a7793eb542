"""The course's referee in one place: exact expectations of estimators. Introduced in
notebook 04; used by notebooks 05, 07, 08, 09, 11 and 12.

A small problem has finitely many outcomes x_1 … x_n with probabilities p_j: the
trajectories of a tabular MDP (:func:`helpers.mdp.enumerate_trajectories`), the answers of
the toy language model (:mod:`helpers.toy_lm`). An estimator ĝ is a plain function of a
batch of m outcomes sampled independently. Its exact mean and covariance are weighted sums
over every batch, and that is all this module computes:

* :func:`batches` lists every batch of m outcomes — as multisets (the order of a batch does
  not matter to an estimator that treats its m outcomes alike; each multiset is weighted by
  its multinomial probability) or as ordered m-tuples (weighted by Π_i p_{j_i});
* :func:`moments` turns the estimates of every batch and the batches' probabilities into a
  :class:`Moments`: E[ĝ], tr Cov[ĝ] = E‖ĝ − E ĝ‖², and, against a reference (the exact
  gradient), the bias, the mean squared error, the angle and the ratio of lengths;
* :func:`expect` does both for an estimator written as a function of the batches' indices;
* :func:`lumped` is the shortcut for estimators ĝ = Σ_i w_i h(x_i) whose weights depend on
  the batch only through each outcome's *class* (the toy LM's 0/1 reward): it enumerates
  multisets of classes instead of multisets of outcomes;
* :func:`sample_moments` is the Monte Carlo fallback, with standard errors, for when there
  are too many batches (more than :data:`MAX_BATCHES`);
* :func:`angle_between` and :func:`classify` hold an expectation against the exact gradient:
  *unbiased*, *scaled* (E[ĝ] = c ∇U with one c > 0) or *biased*, within the rounding error
  of an exact sum (:func:`rounding_tolerance`).

Example (every batch of m = 2 trajectories of notebook 04's MDP, exactly)::

    batch, p = mdp.enumerate_trajectories(problem, policy, theta)
    g = mdp.per_trajectory_gradients(problem, policy, theta, batch)      # (n, K)
    mo = exact.expect(lambda idx: g[idx].mean(axis=1), p, m=2,
                      reference=mdp.exact_gradient(problem, policy, theta))
    mo.bias_norm, mo.trace_cov, mo.mse, mo.angle
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from helpers.validation import as_float_array, check_count

__all__ = [
    "MAX_BATCHES",
    "Batches",
    "Classification",
    "Moments",
    "TooManyBatches",
    "angle_between",
    "average_of_independent",
    "batches",
    "classify",
    "expect",
    "lumped",
    "moments",
    "rounding_tolerance",
    "sample_moments",
]

#: the most batches :func:`batches` lists; beyond it, estimate by Monte Carlo
MAX_BATCHES = 200_000


class TooManyBatches(ValueError):
    """:func:`batches` refused: more than :data:`MAX_BATCHES` batches. A ``ValueError``, so a
    learner sees a plain error; a caller that can fall back to Monte Carlo catches this type
    (``helpers.pg_bugs.expectation``). Notebook 07."""


# --------------------------------------------------------------------------------------
# The result: exact (or sampled) moments of one estimator
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Moments:
    """The first two moments of an estimator ĝ, and how they compare with a reference.

    * ``mean``: E[ĝ]; ``trace_cov``: tr Cov[ĝ] = E‖ĝ − E ĝ‖², the sum of the K
      components' variances, for one estimate built from ``m`` outcomes;
    * ``reference``: what ĝ is meant to estimate (the exact gradient), or None;
    * ``method``: "exact" or "monte carlo"; ``n_terms``: batches summed or sampled;
    * ``se``: standard errors of ``mean`` (zeros when exact);
    * ``abs_sum``: Σ_j w_j ‖ĝ_j‖, the scale of an exact sum's rounding error
      (:func:`rounding_tolerance`).

    Introduced in notebook 04; used by notebooks 05, 07, 08, 09, 11 and 12.
    """

    mean: np.ndarray
    trace_cov: float
    reference: np.ndarray | None = None
    m: int = 1
    method: str = "exact"
    n_terms: int = 0
    se: np.ndarray | None = field(default=None)
    abs_sum: float = float("nan")

    def __post_init__(self):
        if self.se is None:
            object.__setattr__(self, "se", np.zeros_like(np.asarray(self.mean, dtype=float)))

    def _reference(self) -> np.ndarray:
        if self.reference is None:
            raise ValueError("these moments have no reference (pass reference=, the exact "
                             "gradient) to measure a bias, an error or an angle against.")
        return self.reference

    @property
    def bias(self) -> np.ndarray:
        """E[ĝ] − reference."""
        return self.mean - self._reference()

    @property
    def bias_norm(self) -> float:
        """‖E[ĝ] − reference‖."""
        return float(np.linalg.norm(self.bias))

    @property
    def mse(self) -> float:
        """E‖ĝ − reference‖² = ‖bias‖² + tr Cov[ĝ]."""
        return self.bias_norm ** 2 + self.trace_cov

    @property
    def per_trajectory(self) -> float:
        """m · tr Cov[ĝ]: for an average of m independent terms, tr Cov of one term."""
        return self.m * self.trace_cov

    @property
    def noise_to_signal(self) -> float:
        """tr Cov[ĝ] / ‖E ĝ‖²: unchanged when ĝ is rescaled (as normalised or Adam steps are)."""
        return self.trace_cov / float(self.mean @ self.mean)

    @property
    def angle(self) -> float:
        """The angle between E[ĝ] and the reference, in degrees (NaN when E[ĝ] = 0)."""
        ref = self._reference()
        if not np.any(self.mean):
            return float("nan")
        return angle_between(self.mean, ref)

    @property
    def norm_ratio(self) -> float:
        """‖E ĝ‖ / ‖reference‖."""
        return float(np.linalg.norm(self.mean) / np.linalg.norm(self._reference()))

    def averaged(self, m: int) -> Moments:
        """The same estimator averaged over m independent batches: tr Cov divided by m."""
        m = check_count("m", m)
        return replace(self, trace_cov=self.trace_cov / m, m=self.m * m, abs_sum=float("nan"))


def moments(values, weights, reference=None, m: int = 1, *, n_terms: int | None = None
            ) -> Moments:
    """The exact :class:`Moments` of an estimator that takes the value ``values[j]`` (a
    K-vector, or one number) with probability ``weights[j]``: the one place the course
    computes E[ĝ] = Σ_j w_j ĝ_j and tr Cov[ĝ] = Σ_j w_j ‖ĝ_j − E ĝ‖².

    ``m`` records how many outcomes one estimate is built from; ``n_terms`` (default the
    number of values) how many terms were summed. Introduced in notebook 04; used by
    notebooks 05, 07, 08, 09, 11 and 12.
    """
    g = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if g.ndim not in (1, 2) or w.ndim != 1 or g.shape[0] != w.shape[0]:
        raise ValueError(f"values must have shape (n,) or (n, K) and weights shape (n,), "
                         f"one probability per value; got {g.shape} and {w.shape}.")
    if w.size == 0:
        raise ValueError("need at least one value to take an expectation.")
    total = float(w.sum())
    if np.any(w < 0) or not abs(total - 1.0) < 1e-8:
        raise ValueError(f"weights must be probabilities (>= 0, summing to 1); they sum to "
                         f"{total:.12g}.")
    mean = w @ g
    if g.ndim == 1:
        trace_cov = float(w @ (g - mean) ** 2)
        abs_sum = float(w @ np.abs(g))
    else:
        trace_cov = float(w @ np.sum((g - mean) ** 2, axis=1))
        abs_sum = float(w @ np.linalg.norm(g, axis=1))
    if reference is not None:
        reference = as_float_array("reference", reference, shape=np.shape(mean))
    return Moments(mean, trace_cov, reference, check_count("m", m), "exact",
                   g.shape[0] if n_terms is None else int(n_terms), None, abs_sum)


def sample_moments(values, reference=None, m: int = 1) -> Moments:
    """:class:`Moments` estimated from n independent estimates ``values`` (n, K), one per
    sampled batch: their mean with its standard errors, and the sample variance (ddof = 1)
    as tr Cov. The Monte Carlo fallback when there are too many batches to enumerate.
    Introduced in notebook 08."""
    g = as_float_array("values (one estimate per row)", values, ndim=2)
    n = g.shape[0]
    if n < 2:
        raise ValueError("need at least two sampled estimates for a standard error.")
    mean = g.mean(axis=0)
    if reference is not None:
        reference = as_float_array("reference", reference, shape=mean.shape)
    return Moments(mean, float(np.sum(g.var(axis=0, ddof=1))), reference, check_count("m", m),
                   "monte carlo", n, g.std(axis=0, ddof=1) / np.sqrt(n),
                   float(np.linalg.norm(g, axis=1).mean()))


def average_of_independent(parts) -> Moments:
    """The moments of (1/Q) Σ_q ĝ_q for Q independent estimators (each prompt of a language
    model, say): mean Σ_q E ĝ_q / Q and tr Cov Σ_q tr Cov_q / Q². Introduced in notebook 09.
    """
    parts = list(parts)
    if not parts or not all(isinstance(p, Moments) for p in parts):
        raise ValueError("parts must be a non-empty list of Moments.")
    Q = len(parts)
    refs = [p.reference for p in parts]
    reference = None if any(r is None for r in refs) else sum(refs) / Q
    return Moments(sum(p.mean for p in parts) / Q, sum(p.trace_cov for p in parts) / Q**2,
                   reference, parts[0].m, parts[0].method, sum(p.n_terms for p in parts))


# --------------------------------------------------------------------------------------
# Every batch of m outcomes
# --------------------------------------------------------------------------------------
class Batches:
    """Every batch of ``m`` of ``n`` outcomes: ``index`` (n_batches, m) lists the outcomes of
    each batch — multisets in increasing order (``ordered=False``) or every ordered m-tuple.
    Build it with :func:`batches`; it does not depend on the outcomes' probabilities, so one
    object serves every θ. Introduced in notebook 07; used by notebooks 08, 09, 11 and 12.
    """

    def __init__(self, n: int, m: int, ordered: bool):
        self.n, self.m, self.ordered = n, m, bool(ordered)
        rows = (itertools.product(range(n), repeat=m) if ordered else
                itertools.combinations_with_replacement(range(n), m))
        self.index = np.array(list(rows), dtype=int).reshape(-1, m)
        self.index.setflags(write=False)

    @property
    def n_batches(self) -> int:
        return self.index.shape[0]

    @functools.cached_property
    def _multinomial(self):
        """How often each outcome occurs in each multiset, and log(m! / Π_j c_j!)."""
        counts = np.stack([(self.index == j).sum(axis=1) for j in range(self.n)], axis=1)
        log_fact = np.array([math.lgamma(c + 1) for c in range(self.m + 1)])
        return counts, math.lgamma(self.m + 1) - log_fact[counts].sum(axis=1)

    def _check(self, name, values):
        v = np.asarray(values, dtype=float)
        if v.shape != (self.n,):
            raise ValueError(f"{name} must have one entry per outcome, shape ({self.n},); "
                             f"got {v.shape}.")
        return v

    def weights(self, probs) -> np.ndarray:
        """The probability of each batch when outcome j has probability ``probs[j]``."""
        p = self._check("probs", probs)
        if self.ordered:
            return p[self.index].prod(axis=1)
        logp = np.full(p.shape, -np.inf)
        np.log(p, out=logp, where=p > 0)
        return self.weights_from_log(logp)

    def weights_from_log(self, log_probs) -> np.ndarray:
        """The same from log-probabilities (−inf for an impossible outcome), computed in logs
        so that long products neither underflow nor lose digits."""
        logp = self._check("log_probs", log_probs)
        if self.ordered:
            return np.exp(logp[self.index].sum(axis=1))
        counts, log_multinomial = self._multinomial
        terms = np.zeros(counts.shape)
        np.multiply(counts, logp, out=terms, where=counts > 0)   # 0 · log 0 counts as 0
        return np.exp(log_multinomial + terms.sum(axis=1))

    def __repr__(self):
        kind = "ordered tuples" if self.ordered else "multisets"
        return f"Batches({self.n_batches} {kind} of m = {self.m} from {self.n} outcomes)"


def batches(n, m: int, *, ordered: bool = False) -> Batches:
    """Every batch of m outcomes out of ``n`` (a number, or the outcomes' probabilities,
    whose length is used): C(n + m − 1, m) multisets, or n^m ordered tuples. More than
    :data:`MAX_BATCHES` raise :class:`TooManyBatches` (a ``ValueError``). Introduced in
    notebook 07; used by notebooks 08, 09, 11 and 12."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        n = np.asarray(n).shape[0] if np.ndim(n) == 1 else n
    n = check_count("n (the number of outcomes)", n)
    m = check_count("m (outcomes per batch)", m)
    count = n**m if ordered else math.comb(n + m - 1, m)
    if count > MAX_BATCHES:
        kind = "ordered batches" if ordered else "batches"
        raise TooManyBatches(f"{count:,} {kind} of m = {m} from {n} outcomes are too many to "
                         f"enumerate (limit {MAX_BATCHES:,}); use a smaller m, or Monte Carlo.")
    return _batches(n, m, bool(ordered))


@functools.lru_cache(maxsize=64)
def _batches(n, m, ordered):
    return Batches(n, m, ordered)


def expect(estimator, probs, m: int = 1, *, ordered: bool = False, reference=None,
           log: bool = False) -> Moments:
    """The exact :class:`Moments` of ``estimator`` over every batch of m outcomes.

    ``estimator`` is a plain function of an index array (n_batches, m) — row b lists the
    outcomes of batch b — returning the estimates, shape (n_batches, K). ``probs`` are the
    outcomes' probabilities (their logs with ``log=True``). Batches are multisets unless
    ``ordered``: an estimator that treats its m outcomes alike has the same moments either
    way, and there are far fewer multisets. Introduced in notebook 04; used by notebooks
    05, 07, 08, 09, 11 and 12.
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"probs must be one number per outcome, shape (n,); got {p.shape}.")
    b = batches(p.shape[0], m, ordered=ordered)
    g = np.asarray(estimator(b.index), dtype=float)
    if g.ndim not in (1, 2) or g.shape[0] != b.n_batches:
        raise ValueError(f"the estimator must return one estimate per batch, shape "
                         f"({b.n_batches}, K); got {g.shape}.")
    w = b.weights_from_log(p) if log else b.weights(p)
    return moments(g, w, reference, m, n_terms=b.n_batches)


def lumped(weights, class_probs, class_mean, class_sq=None, m: int = 1, *,
           reference=None) -> Moments:
    """Exact moments of ĝ = Σ_i w_i h(x_i), x_1 … x_m independent, when the weights depend
    on the batch only through each outcome's class c_i (the toy LM: its 0/1 reward).

    Given the classes, the h(x_i) are independent with the class's distribution, so with
    μ_c = E[h | c] and s_c = E[‖h‖² | c]:
    E[ĝ | c_1..c_m] = Σ_i w_i μ_{c_i} and tr Cov[ĝ | c] = Σ_i w_i² (s_{c_i} − ‖μ_{c_i}‖²).
    Summing over every multiset of classes (law of total variance) gives E[ĝ] and
    tr Cov[ĝ] exactly: C classes need C(C + m − 1, m) terms instead of one per batch.

    ``weights`` is a function of a class-index array (n_batches, m) returning the weights
    (n_batches, m); ``class_probs`` (C,) P(c); ``class_mean`` (C, K) μ_c; ``class_sq`` (C,)
    s_c, or None for the mean alone (``trace_cov`` is then NaN). Introduced in notebook 09;
    used by notebook 12.
    """
    P = as_float_array("class_probs", class_probs, ndim=1)
    mu = as_float_array("class_mean (E[h | c], one row per class)", class_mean, ndim=2)
    if mu.shape[0] != P.size:
        raise ValueError(f"class_mean needs one row per class ({P.size}); got {mu.shape}.")
    b = batches(P.size, m)
    W = np.asarray(weights(b.index), dtype=float)
    if W.shape != b.index.shape:
        raise ValueError(f"weights must return one weight per outcome of each batch, shape "
                         f"{b.index.shape}; got {W.shape}.")
    pb = b.weights(P)
    given = np.einsum("bi,bik->bk", W, mu[b.index])           # E[ĝ | classes]
    mean = pb @ given
    if class_sq is None:
        trace_cov = float("nan")
    else:
        s = as_float_array("class_sq (E[‖h‖² | c])", class_sq, shape=(P.size,))
        within = np.maximum(s - np.sum(mu * mu, axis=1), 0.0)   # E‖h − μ_c‖² | c
        trace_cov = float(pb @ np.sum(W * W * within[b.index], axis=1)     # E[tr Cov | c]
                          + pb @ np.sum((given - mean) ** 2, axis=1))     # tr Cov E[ĝ | c]
    if reference is not None:
        reference = as_float_array("reference", reference, shape=mean.shape)
    return Moments(mean, trace_cov, reference, m, "exact", b.n_batches)


# --------------------------------------------------------------------------------------
# Against the exact gradient: angle, rounding tolerance, classification
# --------------------------------------------------------------------------------------
def angle_between(a, b) -> float:
    """The angle between vectors a and b in degrees, accurate near 0° and 180° (arccos is
    not: it loses about 1e-6° to rounding there). ``ValueError`` for a zero vector.
    Introduced in notebook 08; used by notebooks 09, 11 and 12."""
    a = as_float_array("a", a, ndim=1)
    b = as_float_array("b", b, shape=a.shape)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("the angle to a zero vector is undefined.")
    ua, ub = a / na, b / nb
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(ua - ub), np.linalg.norm(ua + ub))))


def rounding_tolerance(mo: Moments, reference, flops_per_term: int = 0,
                       reference_flops: int = 0) -> float:
    """How far an exactly computed E[ĝ] may sit from an exact reference by rounding alone.

    A sum of n terms, each computed with a relative error of a few ulps per flop, is exact
    to about (n + flops)·eps·Σ|terms| (``mo.abs_sum``); the reference adds
    ``reference_flops``·eps·‖reference‖. We allow 64 times that. Introduced in notebook 08.
    """
    eps = np.finfo(float).eps
    return 64 * eps * ((mo.n_terms + flops_per_term) * mo.abs_sum
                       + reference_flops * float(np.linalg.norm(reference)))


@dataclass(frozen=True)
class Classification:
    """What :func:`classify` found, at the first θ: ``cls`` ("unbiased", "scaled",
    "biased"), ``scale`` (c, or NaN unless scaled), ``error`` (‖E ĝ − ∇U‖ if unbiased, else
    ‖E ĝ − c ∇U‖ with the least-squares c), ``zero`` (E ĝ vanishes), ``angle`` (degrees,
    NaN when zero), ``norm_ratio`` ‖E ĝ‖/‖∇U‖, ``tolerance``. Introduced in notebook 08."""

    cls: str
    scale: float
    error: float
    zero: bool
    angle: float
    norm_ratio: float
    tolerance: float


def classify(means, references, tolerances) -> Classification:
    """Classify an estimator by its exact expectations E[ĝ(θ)] at several θ.

    * *unbiased*: E[ĝ] = ∇U within the tolerance at every θ;
    * *scaled*: E[ĝ] = c ∇U with the same c > 0 at every θ (c > 0 by more than rounding: a
      zero expectation is not a scaled gradient);
    * *biased*: anything else.

    ``means``, ``references`` (the exact gradients) and ``tolerances`` (from
    :func:`rounding_tolerance`) have one entry per θ. Introduced in notebook 08.
    """
    rows = [(as_float_array("mean", e, ndim=1), as_float_array("reference", t, ndim=1),
             float(tol)) for e, t, tol in zip(means, references, tolerances, strict=True)]
    if not rows:
        raise ValueError("need at least one θ to classify an estimator.")
    mean0, target0, tol = rows[0]
    tn, en = float(np.linalg.norm(target0)), float(np.linalg.norm(mean0))
    if tn <= tol:
        raise ValueError("the exact gradient is zero at the first θ: choose another θ.")
    zero = en <= tol
    angle = np.nan if zero else angle_between(mean0, target0)
    scales = [float(e @ t / (t @ t)) for e, t, _ in rows]
    errors = [float(np.linalg.norm(e - c * t)) for (e, t, _), c in zip(rows, scales, strict=True)]
    unbiased = all(np.linalg.norm(e - t) <= r for e, t, r in rows)
    same_c = all(abs(c - scales[0]) * np.linalg.norm(t) <= 2 * r
                 for (_, t, r), c in zip(rows, scales, strict=True))
    scaled = (not unbiased and not zero
              and all(c * np.linalg.norm(t) > r for (_, t, r), c in zip(rows, scales, strict=True))
              and same_c and all(err <= r for err, (_, _, r) in zip(errors, rows, strict=True)))
    cls = "unbiased" if unbiased else "scaled" if scaled else "biased"
    error = float(np.linalg.norm(mean0 - target0)) if unbiased else errors[0]
    return Classification(cls, scales[0] if scaled else np.nan, error, bool(zero), angle,
                          en / tn, tol)
