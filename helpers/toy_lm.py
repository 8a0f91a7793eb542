"""A tiny "language model" whose every answer can be listed: notebook 09.

Notebook 09 (``09_reinforce_for_language_models``) asks what the LLM literature argues about
— does dividing by the group's standard deviation, or by each answer's length, bias the
policy gradient? — and answers it exactly, by enumeration.

The model
    Four tokens, ``a b c .``; ``.`` ends an answer (the end-of-sequence token, EOS). An answer
    has at most ``MAX_LEN = 5`` tokens, counting the ``.``; one that has not ended after five
    tokens is cut off (*truncated*), as a real LLM is at its maximum completion length.
    There are 364 possible answers per prompt. The policy is autoregressive and *tabular*:
    for each prompt q and each previous token (or the start of the answer) it has four
    logits, so π_θ(y_t | q, y_<t) = softmax(θ[q, y_{t−1}])[y_t]. θ has Q·4·4 = 48 numbers.

The task
    Three prompts, "say a", "say b", "say c". An answer is correct (reward 1) exactly when
    it is the prompt's letter followed by ``.``; every other answer, including a truncated
    one, earns 0 — a verifiable 0/1 reward. The starting ("pretrained") model leans towards
    the right answer by a different amount for each prompt, so one prompt is easy, one
    medium, one hard.

The estimators (m answers per prompt; the LLM papers call m "G"), each a weight w_i on the
answer's score, ĝ_q = Σ_i w_i ∇θ log π(y_i | q) with ∇ log π(y) = Σ_t ∇ log π(y_t | q, y_<t):

    ``reinforce``   w_i = r_i / m                                 (Williams 1992)
    ``group_mean``  w_i = (r_i − mean r) / m                      (baseline includes y_i)
    ``rloo``        w_i = (r_i − mean of the other m − 1) / m     (Kool et al. 2019; Ahmadian
                                                                   et al. 2024, §2.3)
    ``grpo``        w_i = (r_i − mean r) / (std r + ε) / (m |y_i|)  (Shao et al. 2024, §4.1:
                    the 1/|o_i| of their objective; std is the *sample* std, ddof = 1, and
                    ε = 1e-4, as TRL's GRPOTrainer computes it)
    ``dr_grpo``     w_i = (r_i − mean r) / (m · MAX_LEN)          (Liu et al. 2025: no std, no
                    1/|y_i|; the sum over tokens is divided by the constant maximum length,
                    as in their code, sail-sg/oat)

plus two halves of GRPO for ablations: ``grpo_std_only`` (no 1/|y_i|) and
``grpo_length_only`` (no std). The batch estimate averages ĝ_q over the prompts.

Exact quantities (no sampling): J(θ) and ∇J(θ) by enumerating all answers; every
estimator's expectation and covariance trace for any m, by conditioning on how many of the
*other* answers are correct (a binomial count), which is exact because the advantage
depends on the answers only through their rewards.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from helpers import exact
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

#: the vocabulary; index 3, ".", is the end-of-sequence token
TOKENS = ("a", "b", "c", ".")
EOS = 3
#: context index of "the start of the answer" (no previous token)
START = 3
N_TOKENS = len(TOKENS)
N_CONTEXTS = 4  # previous token a, b, c, or the start
#: an answer has at most this many tokens (counting the "."); longer ones are truncated
MAX_LEN = 5
#: TRL's GRPOTrainer adds this to the group's std (trl/trainer/grpo_trainer.py)
GRPO_EPS = 1e-4

ESTIMATORS = ("reinforce", "group_mean", "rloo", "grpo", "dr_grpo", "grpo_std_only",
              "grpo_length_only")
#: how each estimator is built: (baseline, divide by the group's std, length factor κ_i)
_SPEC = {
    "reinforce": ("none", False, "none"),
    "group_mean": ("mean", False, "none"),
    "rloo": ("leave_one_out", False, "none"),
    "grpo": ("mean", True, "per_answer"),
    "dr_grpo": ("mean", False, "constant"),
    "grpo_std_only": ("mean", True, "none"),
    "grpo_length_only": ("mean", False, "per_answer"),
}
LABELS = {
    "reinforce": "REINFORCE (no baseline)",
    "group_mean": "group-mean baseline",
    "rloo": "RLOO (leave-one-out)",
    "grpo": "GRPO",
    "dr_grpo": "Dr. GRPO",
    "grpo_std_only": "GRPO without 1/|y|",
    "grpo_length_only": "GRPO without std",
}


def _estimator(name) -> str:
    if name not in _SPEC:
        raise ValueError(f"estimator must be one of {ESTIMATORS}; got {name!r}.")
    return name


# ----------------------------------------------------------------------------------------
# All answers, listed once
# ----------------------------------------------------------------------------------------
def _enumerate_answers(max_len: int):
    """Every answer: (tokens, length). EOS-terminated ones first, shortest first."""
    answers = []
    for n_content in range(max_len):
        for body in itertools.product(range(EOS), repeat=n_content):
            answers.append((*body, EOS))
    answers += list(itertools.product(range(EOS), repeat=max_len))  # truncated
    return answers


def answer_text(tokens) -> str:
    """An answer as text: 'ab.' ends with the EOS token; 'abcab…' was truncated.

    Introduced in notebook 09."""
    text = "".join(TOKENS[t] for t in tokens)
    return text if (len(tokens) and tokens[-1] == EOS) else text + "…"


@dataclass(frozen=True)
class Answers:
    """Every possible answer of the toy model, with the counts a score needs. Notebook 09.

    ``counts[y, c, v]`` is how often answer y emits token v after context c (the previous
    token, or ``START``); ``lengths[y]`` is |y|, its number of tokens counting the ".".
    """

    tokens: tuple
    lengths: np.ndarray
    counts: np.ndarray
    text: tuple

    @property
    def n(self) -> int:
        return len(self.tokens)

    def index(self, text: str) -> int:
        """The row of the answer written as ``text`` (e.g. 'a.' or 'abcab…')."""
        try:
            return self.text.index(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an answer of the toy model; answers look like "
                             "'a.', 'cb.' or (truncated, five letters) 'abcab…'.") from None


def all_answers(max_len: int = MAX_LEN) -> Answers:
    """List every answer of up to ``max_len`` tokens. Introduced in notebook 09."""
    return _all_answers(check_count("max_len", max_len))


@functools.lru_cache(maxsize=8)
def _all_answers(max_len: int) -> Answers:
    seqs = _enumerate_answers(max_len)
    counts = np.zeros((len(seqs), N_CONTEXTS, N_TOKENS))
    for i, seq in enumerate(seqs):
        prev = START
        for tok in seq:
            counts[i, prev, tok] += 1
            prev = tok
    lengths = np.array([len(s) for s in seqs], dtype=float)
    return Answers(tuple(seqs), lengths, counts, tuple(answer_text(s) for s in seqs))


# ----------------------------------------------------------------------------------------
# The task: prompts, rewards, the starting model
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """Prompts "say a/b/c", the 0/1 reward, and the tabular softmax policy. Notebook 09.

    ``lean[q]`` is how strongly the starting model already leans towards prompt q's right
    answer: it is added to the logit of the right letter at the start and to the logit of
    "." after that letter. The defaults make "say a" easy, "say b" medium, "say c" hard.
    """

    lean: tuple = (3.0, 1.0, -0.5)
    max_len: int = MAX_LEN
    answers: Answers = field(init=False, repr=False)
    rewards: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        lean = as_float_array("lean (one number per prompt)", self.lean, ndim=1)
        if not 1 <= lean.size <= 3:
            raise ValueError(f"lean needs 1 to 3 entries (one per prompt); got {lean.size}.")
        answers = all_answers(self.max_len)
        rewards = np.zeros((lean.size, answers.n))
        for q in range(lean.size):
            rewards[q, answers.index(TOKENS[q] + ".")] = 1.0
        object.__setattr__(self, "lean", tuple(float(x) for x in lean))
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "rewards", rewards)

    # -- shapes ---------------------------------------------------------------------------
    @property
    def n_prompts(self) -> int:
        return len(self.lean)

    @property
    def prompts(self) -> tuple:
        return tuple(f"say {TOKENS[q]}" for q in range(self.n_prompts))

    @property
    def n_params(self) -> int:
        return self.n_prompts * N_CONTEXTS * N_TOKENS

    def _theta(self, theta) -> np.ndarray:
        th = as_float_array("theta", theta, ndim=1)
        if th.size != self.n_params:
            raise ValueError(f"theta must have {self.n_params} entries (prompts × contexts × "
                             f"tokens = {self.n_prompts}×{N_CONTEXTS}×{N_TOKENS}); "
                             f"got {th.size}.")
        return th.reshape(self.n_prompts, N_CONTEXTS, N_TOKENS)

    def _prompt(self, q) -> int:
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not (
                0 <= q < self.n_prompts):
            raise ValueError(f"q must be a prompt index 0..{self.n_prompts - 1}; got {q!r}.")
        return int(q)

    def initial_theta(self) -> np.ndarray:
        """The starting ("pretrained") model: uniform logits plus each prompt's lean."""
        th = np.zeros((self.n_prompts, N_CONTEXTS, N_TOKENS))
        for q, b in enumerate(self.lean):
            th[q, START, q] += b
            th[q, q, EOS] += b
        return th.ravel()

    # -- the policy -----------------------------------------------------------------------
    def token_log_probs(self, theta) -> np.ndarray:
        """log π(v | q, previous token c), shape (Q, 4, 4)."""
        z = self._theta(theta)
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    def log_probs(self, theta) -> np.ndarray:
        """log π(y | q) = Σ_t log π(y_t | q, y_<t) for every answer, shape (Q, 364)."""
        return np.einsum("ycv,qcv->qy", self.answers.counts, self.token_log_probs(theta))

    def probs(self, theta) -> np.ndarray:
        """π(y | q) for every answer, shape (Q, 364); each row sums to 1."""
        return np.exp(self.log_probs(theta))

    def scores(self, theta, q=None, rows=None) -> np.ndarray:
        """∇θ log π(y | q), one flat K-vector per answer: Σ_t (onehot(y_t) − π(·|q, c_t)).

        Shape (Q, n, K) for all prompts, or (n, K) for one prompt ``q``; ``rows`` picks
        answers (default all 364). Only prompt q's block of θ is non-zero.
        """
        pi = np.exp(self.token_log_probs(theta))
        counts = self.answers.counts if rows is None else self.answers.counts[rows]
        visits = counts.sum(axis=-1, keepdims=True)
        prompts = range(self.n_prompts) if q is None else [self._prompt(q)]
        out = np.zeros((len(prompts), counts.shape[0], self.n_prompts, N_CONTEXTS, N_TOKENS))
        for j, p in enumerate(prompts):
            out[j, :, p] = counts - visits * pi[p]
        out = out.reshape(len(prompts), counts.shape[0], self.n_params)
        return out if q is None else out[0]

    # -- exact objective and gradient -----------------------------------------------------
    def success(self, theta) -> np.ndarray:
        """p_q = P(correct answer | q) for each prompt."""
        return (self.probs(theta) * self.rewards).sum(axis=1)

    def J(self, theta) -> float:
        """J(θ) = mean over prompts of E_{y∼π(·|q)}[r(q, y)], by enumeration."""
        return float(self.success(theta).mean())

    def grad_J(self, theta) -> np.ndarray:
        """∇J = mean_q Σ_y π(y|q) r(q,y) ∇log π(y|q), by enumeration (K-vector)."""
        w = self.probs(theta) * self.rewards / self.n_prompts
        return np.einsum("qy,qyk->k", w, self.scores(theta))

    def _length_weights(self, theta, which: str) -> np.ndarray:
        """π(y|q) restricted to the answers ``which`` names (all, wrong or correct)."""
        if which not in ("all", "wrong", "correct"):
            raise ValueError(f"which must be 'all', 'wrong' or 'correct'; got {which!r}.")
        p = self.probs(theta)
        if which == "wrong":
            return p * (1 - self.rewards)
        if which == "correct":
            return p * self.rewards
        return p

    def mean_length(self, theta, which: str = "all") -> float:
        """E[|y|] over prompts and answers; ``which`` = 'all', 'wrong' or 'correct'
        (conditional on the answer being wrong/correct, pooled over the prompts)."""
        p = self._length_weights(theta, which)
        return float((p * self.answers.lengths).sum() / p.sum())

    def grad_mean_length(self, theta, which: str = "all") -> np.ndarray:
        """∇ of :meth:`mean_length`, exactly: with weights w = π(y|q)·[y counts] and
        L = Σ w|y| / Σ w, it is Σ w (|y| − L) ∇log π(y|q) / Σ w (the log-derivative trick
        on a ratio of two sums). K-vector."""
        p = self._length_weights(theta, which)
        centred = p * (self.answers.lengths - (p * self.answers.lengths).sum() / p.sum())
        return np.einsum("qy,qyk->k", centred, self.scores(theta)) / p.sum()

    def best_constant_baseline(self, theta) -> np.ndarray:
        """b*_q = E[r ‖∇log π‖²]/E[‖∇log π‖²] per prompt: the constant baseline with the
        smallest variance for one sampled answer (notebook 03's formula)."""
        pi, sq = self.probs(theta), (self.scores(theta) ** 2).sum(-1)
        return (pi * self.rewards * sq).sum(1) / (pi * sq).sum(1)

    def answer_variance(self, theta, baseline=0.0) -> np.ndarray:
        """Per prompt, E‖(r − b)∇log π(y|q) − E[...]‖² for ONE sampled answer and a constant
        baseline b (a number, or one per prompt): notebook 03's variance, exactly.

        b = 0 is REINFORCE; a reward shifted by +c for every answer is b = −c. REINFORCE
        with m answers per prompt has update variance Σ_q V_q(0) / (m · Q²). It is
        quadratic in b, V(b) = V(b*) + (b − b*)² E‖∇log π‖² (tests/test_toy_lm.py)."""
        b = as_float_array("baseline", baseline, ndim=None)
        if b.ndim > 1 or b.size not in (1, self.n_prompts):
            raise ValueError(f"baseline must be one number or one per prompt "
                             f"({self.n_prompts}); got shape {b.shape}.")
        b = np.broadcast_to(b.reshape(-1, 1), (self.n_prompts, 1))
        pi, S = self.probs(theta), self.scores(theta)
        w = pi * (self.rewards - b)
        mean = np.einsum("qy,qyk->qk", w, S)
        return (w * (self.rewards - b) * (S**2).sum(-1)).sum(1) - (mean**2).sum(1)

    def kl(self, theta, reference) -> float:
        """mean_q KL(π_θ(·|q) ‖ π_ref(·|q)) over whole answers, by enumeration."""
        lp, lr = self.log_probs(theta), self.log_probs(reference)
        return float((np.exp(lp) * (lp - lr)).sum(1).mean())

    def grad_kl(self, theta, reference) -> np.ndarray:
        """Its score-function gradient, mean_q E_y[log(π_θ(y|q)/π_ref(y|q)) ∇log π_θ(y|q)]
        (the "+1" of d/dθ[π log π] drops out because E[∇log π] = 0)."""
        lp, lr = self.log_probs(theta), self.log_probs(reference)
        w = np.exp(lp) * (lp - lr) / self.n_prompts
        return np.einsum("qy,qyk->k", w, self.scores(theta))

    # -- sampling -------------------------------------------------------------------------
    def sample(self, theta, q, m: int, rng) -> np.ndarray:
        """Row indices of m answers to prompt q drawn from π(·|q) — the same distribution
        as drawing token by token (tests/test_toy_lm.py checks it)."""
        q, m, rng = self._prompt(q), check_count("m", m), check_rng(rng)
        p = self.probs(theta)[q]
        return rng.choice(self.answers.n, size=m, p=p / p.sum())

    def sample_token_by_token(self, theta, q, rng) -> tuple:
        """One answer drawn the way an LLM generates: a token at a time until '.'."""
        q, rng = self._prompt(q), check_rng(rng)
        pi = np.exp(self.token_log_probs(theta))[q]
        prev, out = START, []
        while len(out) < self.max_len:
            tok = int(rng.choice(N_TOKENS, p=pi[prev]))
            out.append(tok)
            if tok == EOS:
                break
            prev = tok
        return tuple(out)


# ----------------------------------------------------------------------------------------
# The estimators: advantages and per-answer weights for one group
# ----------------------------------------------------------------------------------------
def _rewards(rewards) -> np.ndarray:
    r = as_float_array("rewards (one per answer in the group)", rewards, ndim=1)
    if r.size < 1:
        raise ValueError("a group needs at least one answer (m >= 1).")
    return r


def _check_ddof(ddof, m):
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 (population std) or 1 (sample std); got {ddof!r}.")
    if m - ddof < 1:
        raise ValueError("the sample std (ddof = 1) of a single reward is undefined: GRPO "
                         "needs at least two answers per prompt (m >= 2).")


def _std(R, ddof):
    """The std of each group (the last axis of R), kept as an axis."""
    centred = R - R.mean(axis=-1, keepdims=True)
    return np.sqrt((centred ** 2).sum(axis=-1, keepdims=True) / (R.shape[-1] - ddof))


def _group_advantages(R, estimator: str, ddof: int = 1, eps: float = GRPO_EPS) -> np.ndarray:
    """A_i for every group at once: R has shape (..., m), one group of rewards per row.

    The one implementation of the estimators' advantages: :func:`advantages` applies it to
    one group, the exact expectations (:func:`update_moments`) to every group of classes."""
    baseline, use_std, _ = _SPEC[estimator]
    m = R.shape[-1]
    if use_std:
        _check_ddof(ddof, m)
        centred = R - R.mean(axis=-1, keepdims=True)
        scale = _std(R, ddof) + eps                 # all equal: 0/(0 + ε) = 0
        return np.divide(centred, scale, out=np.zeros_like(centred), where=scale != 0)
    if baseline == "none":
        return R.copy()
    if baseline == "leave_one_out":
        if m < 2:
            raise ValueError("leave-one-out needs at least two answers per prompt (m >= 2): "
                             "with m = 1 there is no other answer to average.")
        return R - (R.sum(axis=-1, keepdims=True) - R) / (m - 1)
    return R - R.mean(axis=-1, keepdims=True)


def group_std(rewards, ddof: int = 1) -> float:
    """The group's standard deviation: sample std (ddof = 1, TRL and sail-sg/oat) by
    default; ddof = 0 is the population std (numpy's default, ``reinforce.normalise``).

    Introduced in notebook 09."""
    r = _rewards(rewards)
    _check_ddof(ddof, r.size)
    return float(_std(r, ddof)[0])


def rloo_advantages(rewards) -> np.ndarray:
    """r_i − (mean of the other m − 1 rewards): RLOO's advantage. Introduced in notebook 09.

    Ahmadian et al. (2024, §2.3) after Kool et al. (2019). Needs m >= 2."""
    return _group_advantages(_rewards(rewards), "rloo")


def grpo_advantages(rewards, ddof: int = 1, eps: float = GRPO_EPS) -> np.ndarray:
    """(r_i − mean r) / (std r + ε): GRPO's advantage (Shao et al. 2024, §4.1.2).

    A group whose rewards are all equal has std 0 and every advantage 0/(0 + ε) = 0.
    Introduced in notebook 09."""
    r = _rewards(rewards)
    eps = as_finite_scalar("eps", eps)
    if eps < 0:
        raise ValueError(f"eps must be at least 0; got {eps!r}.")
    return _group_advantages(r, "grpo", ddof, eps)


def advantages(rewards, estimator: str) -> np.ndarray:
    """The advantage A_i each estimator gives answer i of one group (before any length
    factor and the 1/m). Introduced in notebook 09."""
    return _group_advantages(_rewards(rewards), _estimator(estimator))


def length_factors(lengths, estimator: str, max_len: int = MAX_LEN) -> np.ndarray:
    """κ_i, what multiplies each answer's advantage for its length: 1, 1/|y_i| (GRPO's
    per-answer token average) or 1/max_len (Dr. GRPO's constant). (Notebook 09 calls it κ_i,
    not λ_i: λ is GAE's, notebook 07.) Introduced in notebook 09."""
    _, _, kind = _SPEC[_estimator(estimator)]
    lengths = as_float_array("lengths", lengths, ndim=1)
    if np.any(lengths < 1):
        raise ValueError("every answer has at least one token (the '.' or a letter).")
    if kind == "per_answer":
        return 1.0 / lengths
    if kind == "constant":
        return np.full(lengths.shape, 1.0 / check_count("max_len", max_len))
    return np.ones(lengths.shape)


def answer_weights(rewards, lengths, estimator: str, max_len: int = MAX_LEN) -> np.ndarray:
    """w_i such that the estimate for this prompt is ĝ_q = Σ_i w_i ∇log π(y_i | q):
    A_i κ_i / m, with κ_i the length factor. Introduced in notebook 09."""
    r = _rewards(rewards)
    lengths = as_float_array("lengths", lengths, shape=(r.size,))
    return advantages(r, estimator) * length_factors(lengths, estimator, max_len) / r.size


def estimate(task: Task, theta, estimator: str, m: int, rng) -> np.ndarray:
    """One sampled update direction ĝ: m answers per prompt, averaged over the prompts.

    Introduced in notebook 09."""
    estimator, m, rng = _estimator(estimator), check_count("m", m), check_rng(rng)
    logpi = task.token_log_probs(theta)
    pi = np.exp(logpi)
    seq = np.exp(np.einsum("ycv,qcv->qy", task.answers.counts, logpi))
    grad = np.zeros((task.n_prompts, N_CONTEXTS, N_TOKENS))
    for q in range(task.n_prompts):
        rows = rng.choice(task.answers.n, size=m, p=seq[q] / seq[q].sum())
        w = answer_weights(task.rewards[q, rows], task.answers.lengths[rows], estimator,
                           task.max_len)
        counts = task.answers.counts[rows]                    # (m, 4, 4)
        grad[q] = np.einsum("i,icv->cv", w, counts) - (w @ counts.sum(-1))[:, None] * pi[q]
    return grad.ravel() / task.n_prompts


# ----------------------------------------------------------------------------------------
# Exact expectation and variance of every estimator (helpers.exact)
# ----------------------------------------------------------------------------------------
def _class_log_probs(p: float) -> np.ndarray:
    """log P(reward 0), log P(reward 1) for an answer correct with probability p."""
    out = np.full(2, -np.inf)
    if p < 1:
        out[0] = math.log1p(-p)
    if p > 0:
        out[1] = math.log(p)
    return out


def _others(m: int, p: float | None = None):
    """Every multiset of the rewards of m ≥ 0 other answers (row k has k correct) and, given
    p, its probability when each is correct with probability p (m = 0: one empty row)."""
    if m == 0:
        return np.zeros((1, 0)), np.ones(1)
    b = exact.batches(2, m)
    return b.index.astype(float), None if p is None else b.weights_from_log(_class_log_probs(p))


def _first_advantages(estimator: str, reward, others) -> np.ndarray:
    """A_1 of the groups [reward, *row] for every row of ``others``."""
    first = np.full((others.shape[0], 1), float(reward))
    return _group_advantages(np.concatenate([first, others], axis=1), estimator)[:, 0]


def mean_advantage(estimator: str, m: int, p: float, reward: int) -> float:
    """E[A_1 | r_1 = reward], the other m − 1 answers correct with probability p each.

    Introduced in notebook 09."""
    estimator, m = _estimator(estimator), check_count("m", m)
    others, w = _others(m - 1, p)
    return float(w @ _first_advantages(estimator, reward, others))


def difficulty_weight(estimator: str, m: int, p: float) -> float:
    """c_m(p) = E[A_1 | r_1 = 1] − E[A_1 | r_1 = 0]: with 0/1 rewards and no length factor,
    the expected update for a prompt is exactly c_m(p)·∇p (1 for REINFORCE and RLOO,
    1 − 1/m for the group mean). Introduced in notebook 09."""
    p = as_finite_scalar("p", p)
    if not 0 <= p <= 1:
        raise ValueError(f"p is a probability, between 0 and 1; got {p!r}.")
    return mean_advantage(estimator, m, p, 1) - mean_advantage(estimator, m, p, 0)


def reweighted_objective(task: Task, theta, estimator: str, m: int) -> float:
    """J̃(θ) = mean_q F_m(p_q) with F_m(p) = ∫_0^p c_m(u) du: the objective whose exact
    gradient is the expected update of an estimator *without* a length factor (for GRPO
    without 1/|y|, F_m → 2 arcsin √p as m grows). Introduced in notebook 09.

    c_m(u) = Σ_k d_k C(m−1, k) u^k (1−u)^(m−1−k), d_k the difference of A_1 with k of the
    others correct; each Bernstein polynomial integrates to (1/m) P(more than k of m
    answers correct)."""
    estimator, m = _estimator(estimator), check_count("m", m)
    if _SPEC[estimator][2] != "none":
        raise ValueError(f"{estimator} divides by the answer's length: its expected update is "
                         "not the gradient of a function of the success rates.")
    others, _ = _others(m - 1)
    d = _first_advantages(estimator, 1, others) - _first_advantages(estimator, 0, others)

    def integral(p):
        _, w = _others(m, p)                       # row j: j of m answers correct
        tail = np.cumsum(w[::-1])[::-1]            # P(at least j correct)
        return float(d @ tail[1:]) / m

    return float(np.mean([integral(p) for p in task.success(theta)]))


def _prompt_moments(task: Task, theta, q: int, estimator: str, m: int,
                    mean_only: bool = False) -> exact.Moments:
    """Exact moments of ĝ_q = Σ_i w_i h(y_i), h(y) = (length factor) ∇log π(y|q), for one
    prompt: the weights depend on the group only through the rewards, so
    :func:`helpers.exact.lumped` sums over the groups' numbers of correct answers."""
    pi, r = task.probs(theta)[q], task.rewards[q]
    h = task.scores(theta, q) * length_factors(task.answers.lengths, estimator,
                                               task.max_len)[:, None]
    P = np.array([pi @ (r == c) for c in (0, 1)])                  # P(reward = c)
    safe = np.where(P > 0, P, 1.0)
    mu = np.array([(pi * (r == c)) @ h for c in (0, 1)]) / safe[:, None]   # E[h | c]
    sq = None if mean_only else np.array([(pi * (r == c)) @ (h * h).sum(1)
                                          for c in (0, 1)]) / safe        # E[‖h‖² | c]
    return exact.lumped(lambda c: _group_advantages(c.astype(float), estimator) / m,
                        P, mu, sq, m)


def update_moments(task: Task, theta, estimator: str, m: int, *,
                   mean_only: bool = False) -> exact.Moments:
    """The exact :class:`helpers.exact.Moments` of the update ĝ (m answers per prompt,
    averaged over the prompts) against ∇J: E[ĝ], E‖ĝ − Eĝ‖², bias, angle, length ratio.
    ``mean_only`` skips the variance (NaN). Introduced in notebook 09; used by notebook 12.
    """
    estimator, m = _estimator(estimator), check_count("m", m)
    parts = [_prompt_moments(task, theta, q, estimator, m, mean_only)
             for q in range(task.n_prompts)]
    both = exact.average_of_independent(parts)
    return replace(both, reference=task.grad_J(theta))


def expected_update(task: Task, theta, estimator: str, m: int) -> np.ndarray:
    """E[ĝ] exactly, for m answers per prompt. Introduced in notebook 09."""
    estimator, m = _estimator(estimator), check_count("m", m)
    parts = [_prompt_moments(task, theta, q, estimator, m, mean_only=True)
             for q in range(task.n_prompts)]
    return exact.average_of_independent(parts).mean


def update_variance(task: Task, theta, estimator: str, m: int) -> float:
    """E‖ĝ − E ĝ‖² (trace of the covariance) exactly, for m answers per prompt.

    Introduced in notebook 09."""
    estimator, m = _estimator(estimator), check_count("m", m)
    parts = [_prompt_moments(task, theta, q, estimator, m) for q in range(task.n_prompts)]
    return exact.average_of_independent(parts).trace_cov


#: the angle between two vectors, in degrees (:func:`helpers.exact.angle_between`)
angle_degrees = exact.angle_between


def comparison_table(task: Task, theta, estimators, ms) -> list[dict]:
    """For each estimator and m: angle of E[ĝ] to ∇J, ‖E ĝ‖/‖∇J‖, the variance
    E‖ĝ − Eĝ‖² and the relative variance E‖ĝ − Eĝ‖²/‖Eĝ‖². Introduced in notebook 09."""
    rows = []
    for est in estimators:
        for m in ms:
            mo = update_moments(task, theta, est, m)
            rows.append(dict(estimator=est, m=m, angle=mo.angle, norm_ratio=mo.norm_ratio,
                             variance=mo.trace_cov, relative_variance=mo.noise_to_signal))
    return rows


def jacobian_asymmetry(task: Task, theta, estimator: str, m: int, h: float = 1e-5) -> float:
    """‖D − Dᵀ‖/‖D‖ for the Jacobian D of the field θ ↦ E[ĝ(θ)] (central differences).

    A field is the gradient of some function exactly when its Jacobian is symmetric, so
    ≈ 1e-9 means "a gradient" and a number far from 0 means "the gradient of nothing".
    Introduced in notebook 09."""
    th = task._theta(theta).ravel()
    h = positive_scalar("h", h)
    cols = []
    for k in range(th.size):
        e = np.zeros(th.size)
        e[k] = h
        cols.append((expected_update(task, th + e, estimator, m)
                     - expected_update(task, th - e, estimator, m)) / (2 * h))
    D = np.array(cols).T
    return float(np.linalg.norm(D - D.T) / np.linalg.norm(D))


def rate_of_change(task: Task, theta, direction, quantity: str = "wrong_length") -> float:
    """d/dη of a quantity at θ + η·u, u = direction/‖direction‖: how fast one unit step
    along ``direction`` changes J ('J') or the mean length of wrong answers
    ('wrong_length'). Exact: u·∇J or u·∇E[|y| | wrong] (tests compare it with finite
    differences). The fastest possible rate is the gradient's length, so the rate divided by
    it is the cosine between ``direction`` and that gradient. Introduced in notebook 09."""
    th = task._theta(theta).ravel()
    u = as_float_array("direction", direction, shape=(th.size,))
    if not np.any(u):
        raise ValueError("direction is the zero vector: no step, nothing changes.")
    return float(u @ quantity_gradient(task, th, quantity) / np.linalg.norm(u))


def quantity_gradient(task: Task, theta, quantity: str = "wrong_length") -> np.ndarray:
    """∇J ('J') or ∇E[|y| | wrong] ('wrong_length') at θ, exactly. Introduced in notebook 09."""
    if quantity == "J":
        return task.grad_J(theta)
    if quantity == "wrong_length":
        return task.grad_mean_length(theta, "wrong")
    raise ValueError(f"quantity must be 'J' or 'wrong_length'; got {quantity!r}.")


# ----------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------
@dataclass
class TrainingRun:
    """Exact J, E|y| and E[|y| | wrong] after every update of one run. Notebook 09."""

    estimator: str
    m: int
    eta: float
    answers_per_update: int
    J: list = field(default_factory=list)
    length: list = field(default_factory=list)
    wrong_length: list = field(default_factory=list)
    success: list = field(default_factory=list)
    theta: np.ndarray | None = None

    @property
    def samples_used(self) -> np.ndarray:
        return np.arange(len(self.J)) * self.answers_per_update

    def _record(self, task: Task, theta):
        self.J.append(task.J(theta))
        self.length.append(task.mean_length(theta))
        self.wrong_length.append(task.mean_length(theta, "wrong"))
        self.success.append(task.success(theta))


def train(task: Task, estimator: str, m: int, budget: int, eta: float, seed: int,
          theta=None) -> TrainingRun:
    """Plain gradient ascent θ ← θ + η ĝ until ``budget`` answers have been sampled (m per
    prompt per update). Introduced in notebook 09."""
    estimator, m = _estimator(estimator), check_count("m", m)
    eta = positive_scalar("eta (the step size)", eta)
    per_update = m * task.n_prompts
    n_updates = check_count("budget", budget, minimum=per_update) // per_update
    rng = np.random.default_rng(check_count("seed", seed, minimum=0))
    th = task.initial_theta() if theta is None else task._theta(theta).ravel().copy()
    run = TrainingRun(estimator, m, eta, per_update)
    run._record(task, th)
    for _ in range(n_updates):
        th = th + eta * estimate(task, th, estimator, m, rng)
        run._record(task, th)
    run.theta = th
    return run


def matched_step_sizes(task: Task, estimators, m: int, eta: float) -> dict:
    """η_e = η·‖∇J(θ₀)‖/‖E ĝ_e(θ₀)‖: each estimator's expected first step is as long as
    the exact gradient step η∇J, so a comparison is not decided by the estimators'
    arbitrary scales (1/m, 1/|y|, 1/max_len, 1/std). Introduced in notebook 09."""
    eta = positive_scalar("eta (the step size)", eta)
    th0 = task.initial_theta()
    size = np.linalg.norm(task.grad_J(th0))
    return {e: eta * size / float(np.linalg.norm(expected_update(task, th0, e, m)))
            for e in estimators}


def compare_training(task: Task, estimators, m: int, budget: int, eta: float,
                     seeds) -> dict:
    """Train every estimator on every seed with the same budget of sampled answers and
    matched step sizes; returns {estimator: [TrainingRun, ...]}. Introduced in notebook 09."""
    steps = matched_step_sizes(task, estimators, m, eta)
    seeds = [check_count("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed.")
    return {e: [train(task, e, m, budget, steps[e], s) for s in seeds] for e in estimators}
