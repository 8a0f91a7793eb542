"""KL penalties, exactly: notebook 12 (``12_kl_penalties``).

Fine-tuning keeps a policy π_θ near a reference model π_ref with the Kullback–Leibler
divergence KL(π_θ‖π_ref) = E_{y∼π_θ}[log π_θ(y)/π_ref(y)]. Code never sums over answers: it
*estimates* the KL from the sampled answers' log-probabilities, with one of Schulman's three
estimators, and puts the estimate either in the reward or in the loss. On notebook 09's toy
language model (:mod:`helpers.toy_lm`) every answer can be listed, so this module computes
exactly what each choice estimates and which gradient it follows.

The estimators, written with the log-ratio ℓ = log π_θ(y)/π_ref(y) of a sampled y ∼ π_θ
(Schulman's r = p(x)/q(x) with q = π_θ, p = π_ref is e^{−ℓ}):

    ``k1``           ℓ                      unbiased for KL(π_θ‖π_ref), negative where π_θ < π_ref
    ``k2``           ℓ²/2                   biased, always ≥ 0
    ``k3``           e^{−ℓ} − 1 + ℓ         unbiased, always ≥ 0 (r − 1 − log r)
    ``k3_inverted``  e^{ℓ} − 1 − ℓ          k3 with the ratio inverted: its mean is
                                            χ²(π_θ‖π_ref) − KL(π_θ‖π_ref)

Each is used per *sequence* (ℓ of the whole answer) or per *token* (the sum over the answer's
tokens of the estimator of the token's ℓ_t = log π_θ(y_t|q,y_<t)/π_ref(y_t|q,y_<t)); and
in the *loss* (differentiated through log π_θ of the sampled tokens, as autodiff does: the
coefficient of each token's ∇log π_θ is the estimator's slope) or in the *reward* (r − β·k,
the estimate held fixed and multiplied by the score ∇log π_θ(y); per token, each token is
weighted by the estimates from that token on). :func:`expected_gradient` gives each one's
expected gradient exactly, :func:`gradient_table` compares them with ∇KL(π_θ‖π_ref) and
∇KL(π_ref‖π_θ).

Policy families (:class:`Family`): the policy is autoregressive with a row of four logits
per *context*. ``"previous_token"`` is notebook 09's table (the context is the previous token,
or the start: 48 parameters, the same layout as ``toy_lm``'s θ); ``"prefix"`` gives every
prefix of an answer its own row (121 prefixes per prompt, 1,452 parameters), which can
represent every distribution over the 364 answers.

The regularised optimum: over all answer distributions, E[r] − β·KL(π‖π_ref) is largest at
π*(y) ∝ π_ref(y)·e^{r(y)/β} (:func:`optimal_log_probs`), and for every π
E[r] − β·KL(π‖π_ref) = β·log Z − β·KL(π‖π*), Z = E_{π_ref}[e^{r/β}].

Exact expectations and variances go through :mod:`helpers.exact`, the course's one engine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from helpers import exact, returns, toy_lm
from helpers.validation import as_finite_scalar, as_float_array, check_count, positive_scalar

#: the estimators: Schulman's three, and k3 with its ratio inverted
ESTIMATORS = ("k1", "k2", "k3", "k3_inverted")
LABELS = {
    "k1": "k1 = ℓ",
    "k2": "k2 = ℓ²/2",
    "k3": "k3 = e^(−ℓ) − 1 + ℓ",
    "k3_inverted": "k3 inverted = e^ℓ − 1 − ℓ",
}
PLACEMENTS = ("loss", "reward")
LEVELS = ("sequence", "token")
FAMILIES = ("previous_token", "prefix")
T_MAX = toy_lm.MAX_LEN
N_TOKENS = toy_lm.N_TOKENS


def _choice(name: str, value, options) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


# ----------------------------------------------------------------------------------------
# The estimators, as functions of the log-ratio ℓ = log π_θ − log π_ref
# ----------------------------------------------------------------------------------------
def estimator_value(name: str, log_ratio) -> np.ndarray:
    """k(ℓ) for the estimator ``name`` at log-ratios ℓ = log π_θ/π_ref. Notebook 12."""
    name = _choice("estimator", name, ESTIMATORS)
    ell = np.asarray(log_ratio, dtype=float)
    if name == "k1":
        return ell.copy()
    if name == "k2":
        return 0.5 * ell**2
    if name == "k3":
        return np.expm1(-ell) + ell
    return np.expm1(ell) - ell


def estimator_slope(name: str, log_ratio) -> np.ndarray:
    """dk/dℓ: what multiplies ∇log π_θ of a token when k is differentiated in the loss
    (π_ref is fixed, so ∇ℓ = ∇log π_θ). Notebook 12."""
    name = _choice("estimator", name, ESTIMATORS)
    ell = np.asarray(log_ratio, dtype=float)
    if name == "k1":
        return np.ones_like(ell)
    if name == "k2":
        return ell.copy()
    if name == "k3":
        return -np.expm1(-ell)
    return np.expm1(ell)


# ----------------------------------------------------------------------------------------
# Policy families over the toy LM's answers
# ----------------------------------------------------------------------------------------
def _prefixes(max_len: int) -> list:
    """Every prefix an answer can continue from: letters only, length 0..max_len − 1."""
    return [p for n in range(max_len) for p in itertools.product(range(toy_lm.EOS), repeat=n)]


@dataclass(frozen=True, eq=False)
class Family:
    """An autoregressive policy over the toy LM's answers, one row of four logits per
    context; ``kind`` says which prefixes share a row. Introduced in notebook 12.

    * ``"previous_token"``: notebook 09's table, π(y_t | q, y_<t) = softmax(θ[q, y_{t−1}]);
      θ has the layout of ``toy_lm.Task`` (prompts × 4 contexts × 4 tokens);
    * ``"prefix"``: softmax(θ[q, y_<t]), a row for each of the 121 prefixes per prompt.

    Per answer y (row of ``task.answers``) and position t: ``rows[y, t]`` is the row of its
    context, ``prefix_ids[y, t]`` the index of the prefix y_<t in ``prefixes``, ``tokens[y, t]``
    the token, ``mask[y, t]`` whether the answer has a token there.
    """

    task: toy_lm.Task
    kind: str = "previous_token"
    prefixes: tuple = field(init=False, repr=False)
    rows: np.ndarray = field(init=False, repr=False)
    prefix_ids: np.ndarray = field(init=False, repr=False)
    tokens: np.ndarray = field(init=False, repr=False)
    mask: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        _choice("kind", self.kind, FAMILIES)
        if not isinstance(self.task, toy_lm.Task):
            raise ValueError(f"task must be a toy_lm.Task; got {type(self.task).__name__}.")
        prefixes = _prefixes(self.task.max_len)
        index = {p: i for i, p in enumerate(prefixes)}
        n, t_max = self.task.answers.n, self.task.max_len
        tokens = np.zeros((n, t_max), dtype=int)
        ids = np.zeros((n, t_max), dtype=int)
        rows = np.zeros((n, t_max), dtype=int)
        mask = np.zeros((n, t_max), dtype=bool)
        for y, seq in enumerate(self.task.answers.tokens):
            for t, tok in enumerate(seq):
                tokens[y, t], ids[y, t], mask[y, t] = tok, index[tuple(seq[:t])], True
                if self.kind == "prefix":
                    rows[y, t] = ids[y, t]
                else:
                    rows[y, t] = toy_lm.START if t == 0 else seq[t - 1]
        for name, value in (("prefixes", tuple(prefixes)), ("rows", rows),
                            ("prefix_ids", ids), ("tokens", tokens), ("mask", mask)):
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    # -- shapes ---------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.prefixes) if self.kind == "prefix" else toy_lm.N_CONTEXTS

    @property
    def n_params(self) -> int:
        return self.task.n_prompts * self.n_rows * N_TOKENS

    def _theta(self, theta) -> np.ndarray:
        th = as_float_array("theta", theta, ndim=1)
        if th.size != self.n_params:
            raise ValueError(f"theta must have {self.n_params} entries for the {self.kind!r} "
                             f"family (prompts × rows × tokens = {self.task.n_prompts}×"
                             f"{self.n_rows}×{N_TOKENS}); got {th.size}.")
        return th.reshape(self.task.n_prompts, self.n_rows, N_TOKENS)

    def from_previous_token(self, theta) -> np.ndarray:
        """Notebook 09's θ (previous-token table) as a θ of this family: the same policy."""
        th = as_float_array("theta (notebook 09's layout)", theta, ndim=1)
        if th.size != self.task.n_params:
            raise ValueError(f"theta must have notebook 09's {self.task.n_params} entries "
                             f"(prompts × 4 contexts × 4 tokens); got {th.size}.")
        th = th.reshape(self.task.n_prompts, toy_lm.N_CONTEXTS, N_TOKENS)
        if self.kind == "previous_token":
            return th.ravel().copy()
        last = [toy_lm.START if not p else p[-1] for p in self.prefixes]
        return th[:, last, :].ravel()

    def initial_theta(self) -> np.ndarray:
        """Notebook 09's starting model in this family."""
        return self.from_previous_token(self.task.initial_theta())

    # -- the policy -----------------------------------------------------------------------
    def token_log_probs(self, theta) -> np.ndarray:
        """log π(v | q, context row), shape (Q, rows, 4)."""
        z = self._theta(theta)
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    def position_log_probs(self, theta) -> np.ndarray:
        """log π(y_t | q, y_<t) of every answer's every token, shape (Q, 364, T); 0 after
        the answer's end."""
        lp = self.token_log_probs(theta)
        out = lp[:, self.rows, self.tokens]
        return np.where(self.mask, out, 0.0)

    def log_probs(self, theta) -> np.ndarray:
        """log π(y | q) of every answer, shape (Q, 364)."""
        return self.position_log_probs(theta).sum(axis=-1)

    def probs(self, theta) -> np.ndarray:
        """π(y | q), shape (Q, 364)."""
        return np.exp(self.log_probs(theta))

    # -- directions: Σ coefficients × ∇log π of tokens ---------------------------------
    def _coefficients(self, coef) -> np.ndarray:
        shape = (self.task.n_prompts, self.task.answers.n, self.task.max_len)
        c = as_float_array("coef", coef, shape=shape)
        return np.where(self.mask, c, 0.0)

    def direction(self, theta, coef) -> np.ndarray:
        """Σ_q Σ_y Σ_t coef[q, y, t] ∇θ log π(y_t | q, y_<t), a K-vector: every expected
        gradient in this module is one of these, with coef = probability × the coefficient
        the estimator puts on the token. Each token's score is onehot(y_t) − π(·|context)
        in its context's row."""
        c = self._coefficients(coef)
        pi = np.exp(self.token_log_probs(theta))
        Q, R = self.task.n_prompts, self.n_rows
        offset = (np.arange(Q) * R)[:, None, None]
        rows = np.broadcast_to(self.rows + offset, c.shape)
        hits = np.bincount((rows * N_TOKENS + self.tokens).ravel(), c.ravel(),
                           minlength=Q * R * N_TOKENS).reshape(Q, R, N_TOKENS)
        visits = np.bincount(rows.ravel(), c.ravel(), minlength=Q * R).reshape(Q, R, 1)
        return (hits - visits * pi).ravel()

    def answer_gradients(self, theta, coef, q: int) -> np.ndarray:
        """For prompt q, one K-vector per answer: Σ_t coef[q, y, t] ∇log π(y_t | q, y_<t),
        shape (364, K) — the values a sampled answer gives, for exact moments."""
        c = self._coefficients(coef)[q]
        pi = np.exp(self.token_log_probs(theta))[q]
        n, R = self.task.answers.n, self.n_rows
        block = np.zeros((n, R, N_TOKENS))
        ys = np.arange(n)
        for t in range(self.task.max_len):
            valid = self.mask[:, t]
            y, row, tok, w = ys[valid], self.rows[valid, t], self.tokens[valid, t], c[valid, t]
            block[y, row, tok] += w
            block[y, row, :] -= w[:, None] * pi[row]
        out = np.zeros((n, self.task.n_prompts, R * N_TOKENS))
        out[:, q] = block.reshape(n, -1)
        return out.reshape(n, -1)


# ----------------------------------------------------------------------------------------
# References: per-token log-probabilities of every answer
# ----------------------------------------------------------------------------------------
def reference(family: Family, theta) -> np.ndarray:
    """π_ref given as a θ of ``family``: log π_ref(y_t | q, y_<t) of every answer's tokens,
    shape (Q, 364, T). Introduced in notebook 12."""
    return family.position_log_probs(theta)


def min_p_reference(family: Family, theta, min_p: float) -> np.ndarray:
    """π_ref sampled with *min-p* truncation: at each context, tokens whose probability is
    below ``min_p`` times the most likely token's get probability 0, the rest are
    renormalised (as an inference server's sampler does). Answers through a removed token
    have π_ref = 0: log-probability −inf. Introduced in notebook 12."""
    min_p = as_finite_scalar("min_p", min_p)
    if not 0 <= min_p <= 1:
        raise ValueError(f"min_p must lie between 0 and 1; got {min_p}.")
    lp = family.token_log_probs(theta)
    keep = lp >= np.log(min_p) + lp.max(axis=-1, keepdims=True) if min_p > 0 else \
        np.ones(lp.shape, dtype=bool)
    kept = np.where(keep, lp, -np.inf)
    kept = kept - np.log(np.exp(kept).sum(axis=-1, keepdims=True))
    out = kept[:, family.rows, family.tokens]
    return np.where(family.mask, out, 0.0)


def _reference(family: Family, ref) -> np.ndarray:
    shape = (family.task.n_prompts, family.task.answers.n, family.task.max_len)
    r = np.asarray(ref, dtype=float)
    if r.shape != shape:
        raise ValueError(f"the reference must be per-token log-probabilities of every answer, "
                         f"shape {shape} (kl.reference(family, theta_ref)); got {r.shape}.")
    if np.any(np.isnan(r)) or np.any(r > 1e-12) or np.any(np.isposinf(r)):
        raise ValueError("the reference's log-probabilities must be <= 0 (−inf for "
                         "probability 0), without NaN.")
    return np.where(family.mask, r, 0.0)


def log_ratios(family: Family, theta, ref) -> np.ndarray:
    """ℓ_t = log π_θ(y_t|q,y_<t) − log π_ref(y_t|q,y_<t) for every answer's tokens, shape
    (Q, 364, T), 0 after the end; +inf where π_ref gives the token probability 0. The
    sequence log-ratio ℓ(y) is the sum over t. Introduced in notebook 12."""
    ref = _reference(family, ref)
    with np.errstate(invalid="ignore"):
        ell = family.position_log_probs(theta) - ref
    return np.where(family.mask, ell, 0.0)


def infinite_kl(family: Family, theta, ref) -> str | None:
    """None when KL(π_θ‖π_ref) is finite; otherwise a sentence naming the answer π_θ gives
    most probability among those π_ref gives probability 0 (the KL is then +∞: no
    estimate, penalty or gradient is finite). Introduced in notebook 12."""
    seq_ref = _reference(family, ref).sum(-1)
    p = family.probs(theta)
    bad = np.isneginf(seq_ref) & (p > 0)
    if not bad.any():
        return None
    q, y = np.unravel_index(np.argmax(np.where(bad, p, -1.0)), p.shape)
    total = float(np.where(bad, p, 0.0).sum() / family.task.n_prompts)
    return (f"KL(π_θ‖π_ref) is infinite: π_ref gives probability 0 to answers π_θ can "
            f"give (mean over prompts {total:.3g} of π_θ's mass), e.g. "
            f"'{family.task.answers.text[y]}' to “{family.task.prompts[q]}”, which π_θ "
            f"gives {p[q, y]:.3g}.")


def _finite(family, theta, ref) -> np.ndarray:
    problem = infinite_kl(family, theta, ref)
    if problem:
        raise ValueError(problem)
    return log_ratios(family, theta, ref)


# ----------------------------------------------------------------------------------------
# Exact divergences and their gradients
# ----------------------------------------------------------------------------------------
def kl(family: Family, theta, ref) -> float:
    """mean_q KL(π_θ(·|q) ‖ π_ref(·|q)) over whole answers, exactly; +inf when π_ref gives
    probability 0 to an answer π_θ can give (see :func:`infinite_kl`). Notebook 12."""
    if infinite_kl(family, theta, ref):
        return float("inf")
    L = log_ratios(family, theta, ref).sum(-1)
    return float((family.probs(theta) * L).sum(1).mean())


def kl_reversed(family: Family, theta, ref) -> float:
    """mean_q KL(π_ref(·|q) ‖ π_θ(·|q)) = E_{y∼π_ref}[log π_ref(y)/π_θ(y)]. Notebook 12."""
    ref_seq = _reference(family, ref).sum(-1)
    p_ref = np.exp(ref_seq)
    L = np.where(p_ref > 0, family.log_probs(theta) - np.where(p_ref > 0, ref_seq, 0.0), 0.0)
    return float(-(p_ref * L).sum(1).mean())


def chi2(family: Family, theta, ref) -> float:
    """mean_q χ²(π_θ‖π_ref) = E_{π_θ}[π_θ/π_ref] − 1 (+inf like the KL). Notebook 12."""
    if infinite_kl(family, theta, ref):
        return float("inf")
    L = log_ratios(family, theta, ref).sum(-1)
    return float((family.probs(theta) * np.exp(L)).sum(1).mean() - 1.0)


def _seq_coef(family, weights) -> np.ndarray:
    """Coefficients that weight every token of answer y by ``weights[q, y]``."""
    return np.where(family.mask, np.asarray(weights)[..., None], 0.0)


def grad_kl(family: Family, theta, ref) -> np.ndarray:
    """∇θ KL(π_θ‖π_ref) = mean_q E_{π_θ}[ℓ(y) ∇log π_θ(y)] (the +1 of ∇(π log π) has
    expectation 0). Notebook 12."""
    L = _finite(family, theta, ref).sum(-1)
    p = family.probs(theta) / family.task.n_prompts
    return family.direction(theta, _seq_coef(family, p * L))


def grad_kl_reversed(family: Family, theta, ref) -> np.ndarray:
    """∇θ KL(π_ref‖π_θ) = −mean_q E_{π_ref}[∇log π_θ(y)]. Notebook 12."""
    p_ref = np.exp(_reference(family, ref).sum(-1)) / family.task.n_prompts
    return family.direction(theta, _seq_coef(family, -p_ref))


def grad_chi2(family: Family, theta, ref) -> np.ndarray:
    """∇θ χ²(π_θ‖π_ref) = 2 mean_q E_{π_θ}[(π_θ/π_ref)(y) ∇log π_θ(y)]. Notebook 12."""
    L = _finite(family, theta, ref).sum(-1)
    p = family.probs(theta) / family.task.n_prompts
    return family.direction(theta, _seq_coef(family, 2 * p * np.exp(L)))


def J(family: Family, theta) -> float:
    """The expected reward, mean over prompts (notebook 09's J). Notebook 12."""
    return float((family.probs(theta) * family.task.rewards).sum(1).mean())


def grad_J(family: Family, theta) -> np.ndarray:
    """∇J = mean_q E[r ∇log π_θ(y)]. Notebook 12."""
    w = family.probs(theta) * family.task.rewards / family.task.n_prompts
    return family.direction(theta, _seq_coef(family, w))


# ----------------------------------------------------------------------------------------
# What each estimator estimates, and which gradient it gives
# ----------------------------------------------------------------------------------------
def estimates(family: Family, theta, ref, name: str, level: str) -> np.ndarray:
    """The estimate each answer gives, shape (Q, 364): k(ℓ(y)) per sequence, or
    Σ_t k(ℓ_t) per token. Notebook 12."""
    _choice("level", level, LEVELS)
    ell = _finite(family, theta, ref)
    if level == "sequence":
        return estimator_value(name, ell.sum(-1))
    return np.where(family.mask, estimator_value(name, ell), 0.0).sum(-1)


def estimate_moments(family: Family, theta, ref, name: str, level: str) -> exact.Moments:
    """Exact mean and variance of the estimate from one answer per prompt, averaged over
    the prompts (as notebook 09's batches), with KL(π_θ‖π_ref) as the reference: ``bias``
    is E[estimate] − KL. Computed by :mod:`helpers.exact`. Notebook 12."""
    values = estimates(family, theta, ref, name, level)
    p = family.probs(theta)
    L = log_ratios(family, theta, ref).sum(-1)
    parts = [exact.moments(values[q], p[q], reference=float(p[q] @ L[q]))
             for q in range(family.task.n_prompts)]
    return exact.average_of_independent(parts)


def _coefficients(family, theta, ref, name, placement, level) -> np.ndarray:
    """The coefficient a_t(y) each token's ∇log π_θ gets from the KL term (before × β)."""
    name = _choice("estimator", name, ESTIMATORS)
    placement = _choice("placement", placement, PLACEMENTS)
    level = _choice("level", level, LEVELS)
    ell = _finite(family, theta, ref)
    seq = ell.sum(-1, keepdims=True)
    mask = family.mask
    if placement == "loss":
        a = estimator_slope(name, ell if level == "token" else np.broadcast_to(seq, ell.shape))
    elif level == "sequence":
        a = np.broadcast_to(estimator_value(name, seq), ell.shape)
    else:  # the per-token estimates as rewards: each token weighted by those from t on
        a = returns.reward_to_go(estimator_value(name, ell), 1.0, np.broadcast_to(mask, ell.shape))
    return np.where(mask, a, 0.0)


def expected_gradient(family: Family, theta, ref, name: str, placement: str,
                      level: str) -> np.ndarray:
    """E[what the KL term adds to −(update)/β], exactly, mean over prompts:

    * ``placement="loss"``: E[∇θ k] with the gradient taken through log π_θ of the sampled
      tokens only (k(ℓ(y)) per sequence, Σ_t k(ℓ_t) per token);
    * ``placement="reward"``: E[k · ∇log π_θ(y)] (per sequence), or
      E[Σ_t ∇log π_θ(y_t|·) Σ_{s≥t} k(ℓ_s)] (per token: each token weighted by the
      penalties from it on, as per-token rewards with γ = 1).

    A correct KL penalty gives ∇KL(π_θ‖π_ref) (:func:`grad_kl`). Notebook 12."""
    a = _coefficients(family, theta, ref, name, placement, level)
    p = family.probs(theta) / family.task.n_prompts
    return family.direction(theta, p[..., None] * a)


def gradient_moments(family: Family, theta, ref, name: str, placement: str, level: str,
                     against: str = "kl") -> exact.Moments:
    """Exact moments of the KL term's gradient from one sampled answer per prompt (averaged
    over prompts), against ∇KL(π_θ‖π_ref) (``against="kl"``) or ∇KL(π_ref‖π_θ)
    (``"kl_reversed"``). Computed by :mod:`helpers.exact`. Notebook 12."""
    _choice("against", against, ("kl", "kl_reversed"))
    a = _coefficients(family, theta, ref, name, placement, level)
    p = family.probs(theta)
    grad = (grad_kl if against == "kl" else grad_kl_reversed)(family, theta, ref)
    Q = family.task.n_prompts
    parts = []
    for q in range(Q):
        g = family.answer_gradients(theta, a, q)
        parts.append(exact.moments(g, p[q], reference=Q * _prompt_part(family, grad, q)))
    return exact.average_of_independent(parts)


def _prompt_part(family, vec, q) -> np.ndarray:
    """The part of a K-vector in prompt q's block (zeros elsewhere)."""
    out = np.zeros((family.task.n_prompts, family.n_rows * N_TOKENS))
    out[q] = np.asarray(vec).reshape(family.task.n_prompts, -1)[q]
    return out.ravel()


def compare(vec, reference) -> dict:
    """Angle (degrees) and length ratio of ``vec`` against ``reference``; angle NaN when
    ``vec`` is 0. Notebook 12."""
    vec, reference = np.asarray(vec, dtype=float), np.asarray(reference, dtype=float)
    ratio = float(np.linalg.norm(vec) / np.linalg.norm(reference))
    angle = exact.angle_between(vec, reference) if np.any(vec) else float("nan")
    return {"angle": angle, "norm_ratio": ratio}


def gradient_table(family: Family, theta, ref, names=ESTIMATORS) -> list[dict]:
    """One row per estimator × placement × level: its expected gradient's angle to and
    length relative to ∇KL(π_θ‖π_ref) (``angle``, ``ratio``) and ∇KL(π_ref‖π_θ)
    (``angle_rev``, ``ratio_rev``). Notebook 12."""
    forward = grad_kl(family, theta, ref)
    backward = grad_kl_reversed(family, theta, ref)
    rows = []
    for name in names:
        for placement in PLACEMENTS:
            for level in LEVELS:
                g = expected_gradient(family, theta, ref, name, placement, level)
                a, b = compare(g, forward), compare(g, backward)
                rows.append(dict(estimator=name, placement=placement, level=level,
                                 angle=a["angle"], ratio=a["norm_ratio"],
                                 angle_rev=b["angle"], ratio_rev=b["norm_ratio"], grad=g))
    return rows


# ----------------------------------------------------------------------------------------
# The regularised optimum π* ∝ π_ref e^{r/β}
# ----------------------------------------------------------------------------------------
def check_beta(beta) -> float:
    """β >= 0 (may be +inf: no reward, π* = π_ref). Notebook 12."""
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"beta (the KL coefficient) must be a number >= 0; got "
                         f"{beta!r}.") from None
    if np.isnan(b) or b < 0:
        raise ValueError(f"beta (the KL coefficient) must be >= 0: a negative β rewards "
                         f"moving away from π_ref, and the optimum is a point mass on the "
                         f"most unlikely answer; got {beta!r}.")
    return b


def optimal_log_probs(ref_log_probs, rewards, beta) -> np.ndarray:
    """log π*(y|q) for π*(y|q) ∝ π_ref(y|q)·e^{r(q,y)/β}, every row over the answers:
    the maximiser of E_π[r] − β·KL(π‖π_ref) over all distributions. ``ref_log_probs`` and
    ``rewards`` have shape (Q, n) (−inf for π_ref = 0). β = 0 is the limit: π_ref restricted
    to the best answers it can give; β = +inf gives π_ref. Computed in logs, so no β
    overflows. Introduced in notebook 12."""
    beta = check_beta(beta)
    lr = as_float_array("ref_log_probs", ref_log_probs, ndim=2) if np.all(
        np.isfinite(ref_log_probs)) else np.asarray(ref_log_probs, dtype=float)
    r = as_float_array("rewards", rewards, shape=lr.shape)
    possible = np.isfinite(lr)
    if np.any(np.isnan(lr)) or not possible.any(axis=1).all():
        raise ValueError("ref_log_probs must be log-probabilities, with at least one answer "
                         "possible per prompt.")
    if beta == 0:
        best = np.where(possible, r, -np.inf).max(axis=1, keepdims=True)
        z = np.where(possible & (r == best), lr, -np.inf)
    elif np.isinf(beta):
        z = lr
    else:
        z = np.where(possible, lr + r / beta, -np.inf)
    top = z.max(axis=1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def _expectation(p, values) -> np.ndarray:
    """Σ_y p·values per row, with 0·(anything) = 0."""
    return np.where(p > 0, p * np.where(p > 0, values, 0.0), 0.0).sum(axis=1)


def answer_kl(log_p, log_ref) -> np.ndarray:
    """KL(p‖ref) per row from answer log-probabilities (Q, n): +inf where p puts mass on an
    answer ref cannot give. Notebook 12."""
    log_p, log_ref = np.asarray(log_p, float), np.asarray(log_ref, float)
    p = np.exp(log_p)
    out = np.full(p.shape[0], np.inf)
    ok = ~np.any((p > 0) & np.isneginf(log_ref), axis=1)
    with np.errstate(invalid="ignore"):
        diff = np.where(p > 0, log_p - log_ref, 0.0)
    out[ok] = _expectation(p[ok], diff[ok])
    return out


def tradeoff(ref_log_probs, rewards, betas) -> dict:
    """The reward–KL trade-off of π*_β for each β: mean over prompts of E_{π*}[r] and of
    KL(π*‖π_ref). Along the curve d reward / d KL = β. Introduced in notebook 12."""
    betas = [check_beta(b) for b in np.atleast_1d(betas)]
    reward, kls = [], []
    for b in betas:
        lp = optimal_log_probs(ref_log_probs, rewards, b)
        reward.append(float(_expectation(np.exp(lp), np.asarray(rewards, float)).mean()))
        kls.append(float(answer_kl(lp, ref_log_probs).mean()))
    return {"beta": np.array(betas), "reward": np.array(reward), "kl": np.array(kls)}


def frontier_reward(ref_log_probs, rewards, kl_value: float) -> float:
    """The most reward any policy earns with mean KL(π‖π_ref) = ``kl_value``: that of the
    optimum π*_β whose KL is ``kl_value`` (β found by bisection; the optima's KL falls as β
    grows). Introduced in notebook 12."""
    target = as_finite_scalar("kl_value", kl_value)
    top = tradeoff(ref_log_probs, rewards, 0.0)
    if not 0 <= target <= top["kl"][0]:
        raise ValueError(f"kl_value must lie between 0 and {top['kl'][0]:.4g} (the KL of the "
                         f"β = 0 optimum); got {target!r}.")
    lo, hi = -8.0, 8.0                       # log10 β
    for _ in range(80):
        mid = (lo + hi) / 2
        if tradeoff(ref_log_probs, rewards, 10.0**mid)["kl"][0] > target:
            lo = mid
        else:
            hi = mid
    return float(tradeoff(ref_log_probs, rewards, 10.0**lo)["reward"][0])


def objective(log_p, ref_log_probs, rewards, beta) -> float:
    """mean_q E_p[r] − β·KL(p‖π_ref) from answer log-probabilities (Q, n). Notebook 12."""
    beta = check_beta(beta)
    p = np.exp(np.asarray(log_p, float))
    k = answer_kl(log_p, ref_log_probs)
    penalty = 0.0 if beta == 0 else beta * k
    return float((_expectation(p, np.asarray(rewards, float)) - penalty).mean())


def conditionals(family: Family, answer_log_probs) -> np.ndarray:
    """The next-token distributions that produce the answer distribution ``answer_log_probs``
    (Q, 364): π(v | q, prefix) = P(answers through prefix·v) / P(answers through prefix),
    shape (Q, 121 prefixes, 4); rows of prefixes with probability 0 are NaN.
    Introduced in notebook 12."""
    p = np.exp(as_float_array("answer_log_probs", answer_log_probs, ndim=2))
    Q, P = p.shape[0], len(family.prefixes)
    mass = np.zeros((Q, P, N_TOKENS))
    for t in range(family.task.max_len):
        valid = family.mask[:, t]
        ids, tok = family.prefix_ids[valid, t], family.tokens[valid, t]
        np.add.at(mass, (slice(None), ids, tok), p[:, valid])
    total = mass.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, mass / total, np.nan)


def representation_gap(family: Family, answer_log_probs) -> dict:
    """Can ``family`` represent the answer distribution? Prefixes that share a row of
    logits must have the same next-token distribution. Returns the largest difference
    ``gap`` (max over shared rows of |π(·|p₁) − π(·|p₂)|, 0 for the prefix family) and the
    pair of prefixes (as text) and prompt where it occurs. Introduced in notebook 12."""
    cond = conditionals(family, answer_log_probs)
    if family.kind == "prefix":
        return {"gap": 0.0, "prefixes": None, "prompt": None}
    letters = toy_lm.TOKENS
    best = {"gap": 0.0, "prefixes": None, "prompt": None}
    last = [toy_lm.START if not p else p[-1] for p in family.prefixes]
    for q in range(cond.shape[0]):
        for row in range(family.n_rows):
            members = [i for i, r in enumerate(last) if r == row and
                       not np.isnan(cond[q, i]).any()]
            for i, j in itertools.combinations(members, 2):
                gap = float(np.abs(cond[q, i] - cond[q, j]).max())
                if gap > best["gap"] + 1e-9:   # ties: keep the shortest prefixes
                    text = tuple("".join(letters[t] for t in family.prefixes[k]) or "(start)"
                                 for k in (i, j))
                    best = {"gap": gap, "prefixes": text, "prompt": family.task.prompts[q]}
    return best


def prefix_theta(family: Family, answer_log_probs) -> np.ndarray:
    """For the prefix family: logits whose policy is exactly the answer distribution
    (log of :func:`conditionals`; prefixes the distribution never reaches get uniform
    logits). Introduced in notebook 12."""
    if family.kind != "prefix":
        raise ValueError("only the 'prefix' family can represent every answer distribution.")
    cond = conditionals(family, answer_log_probs)
    with np.errstate(divide="ignore"):
        logits = np.where(np.isnan(cond), 0.0, np.log(cond))
    if np.isneginf(logits).any():
        raise ValueError("the distribution gives some tokens probability 0: finite logits "
                         "cannot represent it.")
    return logits.ravel()


# ----------------------------------------------------------------------------------------
# Training with a KL penalty: exact expected updates
# ----------------------------------------------------------------------------------------
#: how the KL penalty enters the update: (estimator, placement, level); "exact" is the
#: exact gradient ∇J − β∇KL(π_θ‖π_ref); "none" is no penalty
RECIPES = {
    "exact": None,
    "k1_reward": ("k1", "reward", "token"),
    "k1_loss": ("k1", "loss", "token"),
    "k2_loss": ("k2", "loss", "token"),
    "k3_loss": ("k3", "loss", "token"),
    "k3_inverted_loss": ("k3_inverted", "loss", "token"),
    "none": None,
}
RECIPE_LABELS = {
    "exact": "correct: ∇KL(π_θ‖π_ref) (k1 in the reward)",
    "k1_reward": "k1 in the reward",
    "k1_loss": "k1 in the loss",
    "k2_loss": "k2 in the loss, per token",
    "k3_loss": "k3 in the loss, per token (GRPO)",
    "k3_inverted_loss": "inverted k3 in the loss, per token",
    "none": "no KL penalty",
}


def update_direction(family: Family, theta, ref, beta, recipe: str) -> np.ndarray:
    """The expected update ∇J − β·(the KL term's expected gradient) of ``recipe``, exactly.
    Notebook 12."""
    recipe = _choice("recipe", recipe, tuple(RECIPES))
    beta = check_beta(beta)
    g = grad_J(family, theta)
    if recipe == "none" or beta == 0:
        return g
    if recipe == "exact":
        return g - beta * grad_kl(family, theta, ref)
    return g - beta * expected_gradient(family, theta, ref, *RECIPES[recipe])


@dataclass
class Run:
    """Exact reward, KL(π_θ‖π_ref), KL(π_θ‖π*) and objective after every update. Notebook 12."""

    recipe: str
    beta: float
    eta: float
    anchor: str
    reward: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    kl_to_optimum: list = field(default_factory=list)
    objective: list = field(default_factory=list)
    theta: np.ndarray | None = None


def train(family: Family, ref, beta, recipe: str, steps: int, eta: float, theta=None,
          anchor: str = "ref", refresh: int = 1) -> Run:
    """Gradient ascent θ ← θ + η·(expected update of ``recipe``), exactly (no sampling: each
    step is the update sampled training follows on average).

    ``anchor="ref"`` penalises KL(π_θ‖π_ref); ``anchor="old"`` penalises the KL to the
    previous iterate π_old instead, which is reset to the current policy every ``refresh``
    steps (as code that computes the "reference" log-probabilities from the policy that
    sampled the batch does). Progress is always measured against π_ref and π*.
    Introduced in notebook 12."""
    _choice("recipe", recipe, tuple(RECIPES))
    _choice("anchor", anchor, ("ref", "old"))
    beta, steps = check_beta(beta), check_count("steps", steps, minimum=0)
    eta, refresh = positive_scalar("eta (the step size)", eta), check_count("refresh", refresh)
    ref = _reference(family, ref)
    th = family.initial_theta() if theta is None else family._theta(theta).ravel().copy()
    ref_seq = ref.sum(-1)
    star = optimal_log_probs(ref_seq, family.task.rewards, beta)
    run = Run(recipe, beta, eta, anchor)

    def record(theta):
        lp = family.log_probs(theta)
        run.reward.append(J(family, theta))
        run.kl.append(float(answer_kl(lp, ref_seq).mean()))
        run.kl_to_optimum.append(float(answer_kl(lp, star).mean()))
        run.objective.append(objective(lp, ref_seq, family.task.rewards, beta))

    record(th)
    anchor_lp = ref
    for step in range(steps):
        if anchor == "old" and step % refresh == 0:
            anchor_lp = family.position_log_probs(th)
        th = th + eta * update_direction(family, th, anchor_lp, beta, recipe)
        record(th)
    run.theta = th
    return run


# ----------------------------------------------------------------------------------------
# Tables for the notebook
# ----------------------------------------------------------------------------------------
def _angle_text(angle, ratio) -> str:
    if ratio < 1e-9:
        return f"{'0 (exactly)':>18}"
    return f"{angle:7.1f}° {ratio:9.3f}×"


def format_gradient_tables(tables: dict) -> str:
    """The rows of :func:`gradient_table` at several θ side by side (``tables`` maps a
    name to the rows): angle to ∇KL(π_θ‖π_ref) and length relative to it. Notebook 12."""
    names = list(tables)
    head = f"{'estimator':12} {'in the':7} {'level':9}" + "".join(
        f" {n + ': angle, length':>18}" for n in names)
    lines = [head]
    for rows in zip(*tables.values(), strict=True):
        r = rows[0]
        lines.append(f"{r['estimator']:12} {r['placement']:7} {r['level']:9}" + "".join(
            " " + _angle_text(x["angle"], x["ratio"]) for x in rows))
    return "\n".join(lines)


def format_runs(runs: dict, family: Family, ref, beta) -> str:
    """Where each training run ends, against π*: reward, KL(π_θ‖π_ref), KL(π_θ‖π*) and the
    objective E[r] − β·KL (π*'s first). Notebook 12."""
    ref_seq = _reference(family, ref).sum(-1)
    star = optimal_log_probs(ref_seq, family.task.rewards, beta)
    best = objective(star, ref_seq, family.task.rewards, beta)
    reward = float((np.exp(star) * family.task.rewards).sum(1).mean())
    labels = [RECIPE_LABELS.get(name, name) for name in runs]
    w = max(len(label) for label in ["π* (the optimum)", *labels])
    lines = [f"{'':{w}} {'E[r]':>6} {'KL(π‖π_ref)':>12} {'KL(π‖π*)':>9} {'E[r]−β·KL':>10}",
             f"{'π* (the optimum)':{w}} {reward:6.3f} "
             f"{float(answer_kl(star, ref_seq).mean()):12.3f} {0:9.4f} {best:10.4f}"]
    for label, run in zip(labels, runs.values(), strict=True):
        lines.append(f"{label:{w}} {run.reward[-1]:6.3f} {run.kl[-1]:12.3f} "
                     f"{run.kl_to_optimum[-1]:9.4f} {run.objective[-1]:10.4f}")
    return "\n".join(lines)
