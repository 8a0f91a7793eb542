"""Trust regions, computed exactly on a tiny MDP: notebook 11 (``11_ppo_and_trust_regions``).

Everything here is a sum over the states and actions of a tabular MDP
(:class:`helpers.mdp.TabularMDP`, no horizon: episodes end in terminal states), with the
policy given as a table π(a|s) of shape (S, A), or a stack of tables (..., S, A). The
setting is Schulman et al.'s ("Trust Region Policy Optimization", 2015, §2–3):

* U(π) = E[Σ_t γ^t r_t], V, Q and the standard advantage A^π(s, a) = Q^π(s, a) − V^π(s)
  (not the course's advantage *weight* A_t);
* d_π(s) = Σ_t γ^t Pr(s_t = s), the **unnormalised** discounted visitation (the paper's
  ρ_π; :func:`helpers.mdp.discounted_visitation`);
* the performance-difference identity (the paper's eq. 2, from Kakade & Langford 2002)
  U(π_new) − U(π_old) = Σ_s d_new(s) Σ_a π_new(a|s) A^{π_old}(s, a);
* the surrogate objective ℒ_old(π_new) = U(π_old) + Σ_s d_old(s) Σ_a π_new(a|s) A^{π_old}(s, a)
  (eq. 3): the identity with the *old* visitation;
* KL(π_old(·|s) ‖ π_new(·|s)) per state, its maximum over states and its d_old-weighted
  mean; the bound U(π_new) ≥ ℒ_old(π_new) − C_TRPO · max_s KL, with
  C_TRPO = 4γ max_{s,a}|A^{π_old}| / (1 − γ)²
  (Theorem 1 and eq. 9; needs γ < 1);
* PPO's clipped objective with exact advantages, ℒ^CLIP = U(π_old) + Σ_s d_old(s) Σ_a
  π_old(a|s) min(ratio · A, clip(ratio, 1 − ε_clip, 1 + ε_clip) · A), with
  ratio = π_new(a|s)/π_old(a|s) (Schulman et al. 2017, eq. 7, the exact A^{π_old} for Â_t).

Gradients need a parameterisation of the policy (:class:`Logits`, notebook 04's softmax, or
:class:`Probabilities`, the same policy written with the probabilities themselves as
parameters); on top of them: the Fisher matrix F = Σ_s d(s) Σ_a π ∇log π ∇log πᵀ, the
natural gradient F⁻¹∇U, exact PPO epochs (:func:`ppo_epochs`) and the curves of the
trust-region explorer (:func:`along_line`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import exact
from helpers import mdp as M
from helpers.distributions import sigmoid, softmax
from helpers.validation import as_finite_scalar, as_float_array, check_count, positive_scalar

__all__ = [
    "Evaluation",
    "Line",
    "Logits",
    "Path",
    "Probabilities",
    "along_line",
    "approximate_kl_moments",
    "approximate_kl_terms",
    "KL_KINDS",
    "check_clip",
    "clipped_gradient",
    "clipped_surrogate",
    "evaluate",
    "fisher",
    "gradient",
    "kl_per_state",
    "lower_bound",
    "max_kl",
    "mean_kl",
    "minibatch_normalisation",
    "natural_gradient",
    "penalty_constant",
    "performance_difference",
    "ppo_epochs",
    "steepest_step",
    "surrogate",
    "surrogate_gradient",
    "visits",
]


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------
def _check_mdp(mdp):
    if not isinstance(mdp, M.TabularMDP):
        raise ValueError(f"mdp must be a helpers.mdp.TabularMDP; got {type(mdp).__name__}.")
    if mdp.horizon is not None:
        raise ValueError("the trust-region quantities need an MDP without a horizon (episodes "
                         "end in terminal states): with a time limit V and the visitation "
                         "depend on the steps left as well as on the state.")
    return mdp


def _check_table(mdp, name, pi):
    """A policy table (..., S, A): finite, non-negative, rows of live states summing to 1."""
    arr = as_float_array(name, pi)
    if arr.ndim < 2 or arr.shape[-2:] != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"{name} must be a table π(a|s) of shape ({mdp.n_states}, "
                         f"{mdp.n_actions}) (or a stack of them); got {arr.shape}.")
    live = ~mdp.terminal
    if np.any(arr[..., live, :] < 0):
        raise ValueError(f"{name} has a negative probability ({arr.min():.3g}): a step left "
                         "the set of policies (probabilities must be >= 0).")
    sums = arr[..., live, :].sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-9, rtol=0):
        raise ValueError(f"{name}: the probabilities of each state must sum to 1; off by up "
                         f"to {np.max(np.abs(sums - 1)):.3g}.")
    return arr


def check_clip(eps) -> float:
    """PPO's clip range ε_clip as a float in (0, 1), else a ``ValueError``. Notebook 11."""
    e = as_finite_scalar("eps (the clip range ε_clip)", eps)
    if not 0.0 < e < 1.0:
        raise ValueError(f"the clip range ε_clip must lie strictly between 0 and 1 (the ratio "
                         f"is kept in [1 − ε_clip, 1 + ε_clip], and 1 − ε_clip must stay "
                         f"positive); got {eps!r}.")
    return e


# --------------------------------------------------------------------------------------
# Values, visitation and advantages of a policy table
# --------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """V^π(s), Q^π(s, a), A^π(s, a) = Q − V, the unnormalised discounted visitation d_π(s)
    and U(π) = ρ·V, for a policy table (or a stack: leading axes as the table's). Zero at
    terminal states. Introduced in notebook 11."""

    V: np.ndarray
    Q: np.ndarray
    A: np.ndarray
    d: np.ndarray
    U: np.ndarray | float


def evaluate(mdp, pi) -> Evaluation:
    """Solve the Bellman equations V = r_π + γ P_π V and dᵀ = ρᵀ + γ dᵀ P_π for the
    policy table ``pi`` (shape (S, A) or (..., S, A)). Notebook 11."""
    _check_mdp(mdp)
    pi = _check_table(mdp, "pi (the policy table)", pi)
    live = ~mdp.terminal
    r_pi = np.where(live, (pi * mdp.r).sum(axis=-1), 0.0)                     # (..., S)
    P_pi = np.einsum("...sa,sat->...st", pi, mdp.P) * live[:, None] * live[None, :]
    eye = np.eye(mdp.n_states)
    system = eye - mdp.gamma * P_pi
    V = np.linalg.solve(system, r_pi[..., None])[..., 0]
    rho = np.where(mdp.terminal, 0.0, mdp.rho)
    d = np.linalg.solve(np.swapaxes(system, -1, -2),
                        np.broadcast_to(rho, r_pi.shape)[..., None])[..., 0]
    V = np.where(live, V, 0.0)
    Q = mdp.r + mdp.gamma * np.einsum("sat,...t->...sa", mdp.P, V)
    Q = np.where(live[:, None], Q, 0.0)
    A = np.where(live[:, None], Q - V[..., None], 0.0)
    U = V @ mdp.rho
    return Evaluation(V, Q, A, np.where(live, d, 0.0), U if np.ndim(U) else float(U))


def performance_difference(mdp, pi_old, pi_new) -> np.ndarray | float:
    """Σ_s d_new(s) Σ_a π_new(a|s) A^{π_old}(s, a): equal to U(π_new) − U(π_old) exactly
    (Kakade & Langford's identity, eq. 2 of Schulman et al. 2015). Notebook 11."""
    old, new = evaluate(mdp, pi_old), evaluate(mdp, pi_new)
    out = np.einsum("...s,...sa,...sa->...", new.d, _check_table(mdp, "pi_new", pi_new), old.A)
    return out if np.ndim(out) else float(out)


def surrogate(mdp, pi_old, pi_new, *, old: Evaluation | None = None):
    """ℒ_old(π_new) = U(π_old) + Σ_s d_old(s) Σ_a π_new(a|s) A^{π_old}(s, a): the identity
    with the old visitation (eq. 3 of Schulman et al. 2015). Equals U at π_new = π_old.
    ``old`` may pass ``evaluate(mdp, pi_old)`` computed already. Notebook 11."""
    old = evaluate(mdp, pi_old) if old is None else old
    pi_new = _check_table(mdp, "pi_new", pi_new)
    out = old.U + np.einsum("s,...sa,sa->...", old.d, pi_new, old.A)
    return out if np.ndim(out) else float(out)


def _ratio(mdp, pi_old, pi_new):
    """π_new/π_old where π_old > 0 (a softmax policy), 1 elsewhere (weight π_old = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pi_old > 0, pi_new / np.where(pi_old > 0, pi_old, 1.0), 1.0)


def clipped_surrogate(mdp, pi_old, pi_new, eps, *, old: Evaluation | None = None):
    """ℒ^CLIP_old(π_new) = U(π_old) + Σ_s d_old(s) Σ_a π_old(a|s) min(ratio·A, clip(ratio,
    1 − ε_clip, 1 + ε_clip)·A), A = A^{π_old}(s, a): PPO's clipped objective (Schulman et al. 2017,
    eq. 7) with exact advantages and exact per-state sums. Notebook 11."""
    eps = check_clip(eps)
    old = evaluate(mdp, pi_old) if old is None else old
    pi_old = _check_table(mdp, "pi_old", pi_old)
    ratio = _ratio(mdp, pi_old, _check_table(mdp, "pi_new", pi_new))
    term = np.minimum(ratio * old.A, np.clip(ratio, 1 - eps, 1 + eps) * old.A)
    out = old.U + np.einsum("s,sa,...sa->...", old.d, pi_old, term)
    return out if np.ndim(out) else float(out)


# --------------------------------------------------------------------------------------
# KL and the TRPO bound
# --------------------------------------------------------------------------------------
def kl_per_state(mdp, pi_old, pi_new) -> np.ndarray:
    """KL(π_old(·|s) ‖ π_new(·|s)) = Σ_a π_old log(π_old/π_new) for every state (0 at
    terminal states). ``inf`` where π_new gives probability 0 to an action π_old takes:
    reported, not an error. Notebook 11."""
    _check_mdp(mdp)
    pi_old = _check_table(mdp, "pi_old", pi_old)
    pi_new = _check_table(mdp, "pi_new", pi_new)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi_old > 0, pi_old * (np.log(np.where(pi_old > 0, pi_old, 1.0))
                                               - np.log(pi_new)), 0.0)
    kl = terms.sum(axis=-1)
    return np.where(mdp.terminal, 0.0, np.maximum(kl, 0.0))


def max_kl(mdp, pi_old, pi_new):
    """max_s KL(π_old(·|s) ‖ π_new(·|s)) over the non-terminal states: the paper's
    D_KL^max(π_old, π_new). Notebook 11."""
    out = kl_per_state(mdp, pi_old, pi_new)[..., ~mdp.terminal].max(axis=-1)
    return out if np.ndim(out) else float(out)


def mean_kl(mdp, pi_old, pi_new, *, weights=None):
    """Σ_s w(s) KL(π_old(·|s) ‖ π_new(·|s)) / Σ_s w(s), by default w = d_old, the old
    policy's discounted visitation (TRPO's practical "average KL", its eq. 12). Notebook 11."""
    w = evaluate(mdp, pi_old).d if weights is None else as_float_array(
        "weights", weights, shape=(mdp.n_states,))
    out = kl_per_state(mdp, pi_old, pi_new) @ w / w.sum()
    return out if np.ndim(out) else float(out)


def penalty_constant(mdp, pi_old) -> float:
    """C_TRPO = 4 γ max_{s,a}|A^{π_old}(s, a)| / (1 − γ)², the constant of Theorem 1 and eq. 9
    of Schulman et al. (2015); the maximum runs over non-terminal states. Needs γ < 1.
    Notebook 11."""
    _check_mdp(mdp)
    if not mdp.gamma < 1:
        raise ValueError(f"the TRPO bound needs a discount γ < 1 (its constant has (1 − γ)² "
                         f"below); this MDP has γ = {mdp.gamma}. Use "
                         "pg_bugs.discounted_example_mdp(gamma).")
    A = evaluate(mdp, pi_old).A
    worst = float(np.abs(A[~mdp.terminal]).max())
    return 4 * mdp.gamma * worst / (1 - mdp.gamma) ** 2


def lower_bound(mdp, pi_old, pi_new):
    """ℒ_old(π_new) − C_TRPO · max_s KL(π_old(·|s) ‖ π_new(·|s)) (eq. 9 of Schulman et al.
    2015): Theorem 1 says U(π_new) is at least this. ``-inf`` when a KL is infinite.
    Notebook 11."""
    C = penalty_constant(mdp, pi_old)
    return surrogate(mdp, pi_old, pi_new) - C * max_kl(mdp, pi_old, pi_new)


#: probability parameters this close to 0 or 1 are rounding errors of a step meant to land there
SNAP = 1e-12


# --------------------------------------------------------------------------------------
# Parameterisations: how θ makes the table, and its Jacobian
# --------------------------------------------------------------------------------------
class Logits:
    """A :class:`helpers.mdp.SoftmaxPolicy` (notebook 04's two-parameter policy by default):
    π_θ = softmax(φ·θ). ``probs(θ)`` is the table, ``jacobian(θ)[s, a, k]`` = ∂π(a|s)/∂θ_k =
    π(a|s) ∇_k log π(a|s). Notebook 11."""

    name = "logits"

    def __init__(self, policy: M.SoftmaxPolicy | None = None):
        if policy is None:
            _, policy = M.example_mdp()
        if not isinstance(policy, M.SoftmaxPolicy):
            raise ValueError(f"policy must be a helpers.mdp.SoftmaxPolicy; got "
                             f"{type(policy).__name__}.")
        self.policy = policy
        self.n_params = policy.n_params

    def check(self, theta) -> np.ndarray:
        return self.policy.check_theta(theta)

    def probs(self, theta) -> np.ndarray:
        return self.policy.probs(theta)

    def jacobian(self, theta) -> np.ndarray:
        return self.probs(theta)[..., None] * self.policy.scores(theta)

    def tables(self, xs) -> np.ndarray:
        """The tables of a stack of parameter vectors xs (n, K): shape (n, S, A)."""
        xs = as_float_array("xs (parameter vectors)", xs, shape=(None, self.n_params))
        return softmax(np.einsum("sak,nk->nsa", self.policy.features, xs), axis=-1)

    def __repr__(self):
        return f"Logits({self.policy!r})"


class Probabilities:
    """The same two-action policy with the probabilities as parameters θ̃ (called p in the
    code): π(action 1|s) = p_k for the parameter k that the softmax policy's action-1
    feature names in state s (notebook 04's policy: θ̃₁ = π(right) at the first step, θ̃₂ at
    the second), 1/2 in states without one. ``from_logits(θ)`` = σ(θ) gives the same table
    as :class:`Logits` at θ. A p outside [0, 1] is a ``ValueError``; p = 0 or 1 is allowed
    (then a KL can be infinite; values within :data:`SNAP` of 0 or 1 are taken as 0 or 1).
    Notebook 11."""

    name = "probabilities"

    def __init__(self, policy: M.SoftmaxPolicy | None = None):
        if policy is None:
            _, policy = M.example_mdp()
        phi = policy.features
        if phi.shape[1] != 2 or np.any(phi[:, 0]) or np.any((phi[:, 1] != 0)
                                                            & (phi[:, 1] != 1)):
            raise ValueError("Probabilities needs a two-action softmax policy whose action-1 "
                             "logit is one parameter per state (one-hot features), as in "
                             "notebook 04's example.")
        if np.any(phi[:, 1].sum(axis=1) > 1):
            raise ValueError("each state's action-1 logit must use at most one parameter.")
        self.group = np.where(phi[:, 1].any(axis=1), phi[:, 1].argmax(axis=1), -1)
        self.n_params = policy.n_params
        self.n_states = phi.shape[0]

    def check(self, p) -> np.ndarray:
        p = as_float_array("p (the probabilities)", p, shape=(self.n_params,))
        # a step meant to land on 0 or 1 may miss it by a rounding error: snap those
        p = np.where(np.abs(p) < SNAP, 0.0, np.where(np.abs(p - 1) < SNAP, 1.0, p))
        if np.any((p < 0) | (p > 1)):
            raise ValueError(f"a probability parameter left [0, 1] (p = {np.round(p, 4)}): "
                             "this step leaves the set of policies.")
        return p

    def probs(self, p) -> np.ndarray:
        p = self.check(p)
        right = np.where(self.group >= 0, p[np.maximum(self.group, 0)], 0.5)
        return np.stack([1 - right, right], axis=-1)

    def tables(self, xs) -> np.ndarray:
        """The tables of a stack of parameter vectors xs (n, K): shape (n, S, A); every
        row must be a valid p (see :meth:`check`)."""
        xs = as_float_array("xs (parameter vectors)", xs, shape=(None, self.n_params))
        return np.stack([self.probs(x) for x in xs]) if len(xs) else np.zeros(
            (0, self.n_states, 2))

    def jacobian(self, p) -> np.ndarray:
        self.check(p)
        J = np.zeros((self.n_states, 2, self.n_params))
        has = self.group >= 0
        J[has, 1, self.group[has]] = 1.0
        J[has, 0, self.group[has]] = -1.0
        return J

    @staticmethod
    def from_logits(theta) -> np.ndarray:
        """p = σ(θ): the probabilities that give the same policy as the logits θ."""
        return np.atleast_1d(sigmoid(as_float_array("theta", theta, ndim=1)))

    def __repr__(self):
        return f"Probabilities({self.n_params} parameters)"


def _check_par(par):
    if not isinstance(par, (Logits, Probabilities)):
        raise ValueError(f"par must be a trust_region.Logits or Probabilities; got "
                         f"{type(par).__name__}.")
    return par


# --------------------------------------------------------------------------------------
# Gradients, the Fisher matrix and the natural gradient
# --------------------------------------------------------------------------------------
def gradient(mdp, par, x) -> np.ndarray:
    """∇U = Σ_s d(s) Σ_a ∂π(a|s)/∂x · Q(s, a), the policy-gradient theorem. Notebook 11."""
    ev = evaluate(mdp, _check_par(par).probs(x))
    return np.einsum("s,sak,sa->k", ev.d, par.jacobian(x), ev.Q)


def surrogate_gradient(mdp, par, x_old, x, *, old: Evaluation | None = None) -> np.ndarray:
    """∇ℒ_old(x) = Σ_s d_old(s) Σ_a ∂π_x(a|s)/∂x · A^{π_old}(s, a). Notebook 11."""
    old = evaluate(mdp, _check_par(par).probs(x_old)) if old is None else old
    return np.einsum("s,sak,sa->k", old.d, par.jacobian(x), old.A)


def clipped_gradient(mdp, par, x_old, x, eps, *, old: Evaluation | None = None) -> np.ndarray:
    """∇ℒ^CLIP_old(x): the surrogate's gradient with the terms switched off where the
    ratio is beyond 1 ± ε_clip on the side that would gain (A > 0 and ratio > 1 + ε_clip, or A < 0
    and ratio < 1 − ε_clip). Notebook 11."""
    eps = check_clip(eps)
    pi_old = _check_par(par).probs(x_old)
    old = evaluate(mdp, pi_old) if old is None else old
    ratio = _ratio(mdp, pi_old, par.probs(x))
    frozen = ((old.A > 0) & (ratio > 1 + eps)) | ((old.A < 0) & (ratio < 1 - eps))
    return np.einsum("s,sak,sa->k", old.d, par.jacobian(x), np.where(frozen, 0.0, old.A))


def fisher(mdp, par, x) -> np.ndarray:
    """F(x) = Σ_s d(s) Σ_a π(a|s) ∇log π(a|s) ∇log π(a|s)ᵀ = Σ_s d(s) Σ_a J Jᵀ / π, with the
    unnormalised discounted visitation d of the policy at x. It is the Hessian of
    Σ_s d(s) KL(π_x(·|s) ‖ π_{x′}(·|s)) at x′ = x. Notebook 11."""
    pi = _check_par(par).probs(x)
    d = evaluate(mdp, pi).d
    J = par.jacobian(x)
    if np.any((pi == 0) & np.any(J != 0, axis=-1) & (d > 0)[:, None]):
        raise ValueError("a parameter moves a probability that is 0 here: the Fisher "
                         "information is infinite (a probability parameter at 0 or 1), and "
                         "there is no natural gradient.")
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(pi > 0, d[:, None] / np.where(pi > 0, pi, 1.0), 0.0)
    return np.einsum("sa,sak,saj->kj", w, J, J)


def natural_gradient(mdp, par, x) -> np.ndarray:
    """F⁻¹∇U (a ``ValueError`` when F is singular, a parameter no visited state uses, or
    infinite, a probability parameter at 0 or 1). Notebook 11."""
    F = fisher(mdp, par, x)
    if np.linalg.cond(F) > 1e12:
        raise ValueError("the Fisher matrix is singular here (a parameter that changes no "
                         "visited state): no natural gradient.")
    return np.linalg.solve(F, gradient(mdp, par, x))


def steepest_step(g, F, kl_budget) -> np.ndarray:
    """The step Δ that maximises gᵀΔ among those with ½ ΔᵀFΔ = δ_KL (the second-order KL):
    Δ = √(2 δ_KL / gᵀF⁻¹g) F⁻¹g. Notebook 11."""
    g = as_float_array("g (the gradient)", g, ndim=1)
    F = as_float_array("F (the Fisher matrix)", F, shape=(g.size, g.size))
    kl_budget = positive_scalar("kl_budget (δ_KL, the KL budget)", kl_budget)
    nat = np.linalg.solve(F, g)
    return np.sqrt(2 * kl_budget / (g @ nat)) * nat


# --------------------------------------------------------------------------------------
# Curves along a line, and exact PPO epochs
# --------------------------------------------------------------------------------------
@dataclass
class Line:
    """Exact quantities at x_old + η·u for each η of ``steps`` (the explorer's curves).

    ``U``, ``surrogate`` (ℒ), ``clipped`` (ℒ^CLIP), ``bound`` (ℒ − C_TRPO max KL), ``max_kl``,
    ``mean_kl``; ``valid`` is False where the step leaves the set of policies (a
    probability below 0 or above 1): the values there are NaN. ``C`` is the bound's
    constant. Notebook 11."""

    steps: np.ndarray
    U: np.ndarray
    surrogate: np.ndarray
    clipped: np.ndarray
    bound: np.ndarray
    max_kl: np.ndarray
    mean_kl: np.ndarray
    valid: np.ndarray
    C: float


def along_line(mdp, par, x_old, direction, steps, eps) -> Line:
    """U, ℒ, ℒ^CLIP, the TRPO bound and the KLs at x_old + η·``direction`` for every η in
    ``steps``, exactly (one linear solve per step, all at once). Notebook 11."""
    eps = check_clip(eps)
    par = _check_par(par)
    x_old = par.check(x_old)
    u = as_float_array("direction", direction, shape=(par.n_params,))
    steps = as_float_array("steps (the step sizes η)", steps, ndim=1)
    pi_old = par.probs(x_old)
    old = evaluate(mdp, pi_old)
    C = penalty_constant(mdp, pi_old)
    xs = x_old + steps[:, None] * u
    valid = (np.ones(steps.size, dtype=bool) if isinstance(par, Logits)
             else np.array([_valid(par, x) for x in xs], dtype=bool))
    nan = np.full(steps.size, np.nan)
    out = {k: nan.copy() for k in ("U", "surrogate", "clipped", "bound", "max_kl", "mean_kl")}
    if valid.any():
        for k, v in _curves(mdp, pi_old, old, par.tables(xs[valid]), eps).items():
            out[k][valid] = v
        with np.errstate(invalid="ignore"):
            out["bound"][valid] = out["surrogate"][valid] - C * out["max_kl"][valid]
    return Line(steps, valid=valid, C=C, **out)


def _curves(mdp, pi_old, old: Evaluation, tables, eps) -> dict:
    """U, ℒ, ℒ^CLIP, max_s KL and the d_old-weighted mean KL of each policy in ``tables``."""
    kl = kl_per_state(mdp, pi_old, tables)
    with np.errstate(invalid="ignore"):    # ∞·0 where a policy left a state's support
        mean_kl = kl @ old.d / old.d.sum()
    return {"U": evaluate(mdp, tables).U, "surrogate": surrogate(mdp, pi_old, tables, old=old),
            "clipped": clipped_surrogate(mdp, pi_old, tables, eps, old=old),
            "max_kl": kl[:, ~mdp.terminal].max(axis=1), "mean_kl": mean_kl}


def _valid(par, x) -> bool:
    try:
        par.check(x)
    except ValueError:
        return False
    return True


@dataclass
class Path:
    """Exact PPO epochs on one batch: the parameters x_k (k = 0 … n) and, at each, U, ℒ,
    ℒ^CLIP, the max and mean KL to the old policy. Notebook 11."""

    kind: str
    x: np.ndarray
    U: np.ndarray
    surrogate: np.ndarray
    clipped: np.ndarray
    max_kl: np.ndarray
    mean_kl: np.ndarray


#: what each kind of epoch climbs
EPOCH_KINDS = ("clip", "surrogate", "recomputed")


def ppo_epochs(mdp, par, x_old, *, eta: float, n_epochs: int, eps: float = 0.2,
               kind: str = "clip") -> Path:
    """``n_epochs`` gradient steps x ← x + η g(x) on data from x_old, with exact
    expectations (per-state sums, exact advantages A^{π_old}):

    * ``"clip"``: g = ∇ℒ^CLIP, PPO;
    * ``"surrogate"``: g = ∇ℒ, the unclipped surrogate (no trust region at all);
    * ``"recomputed"``: the "old" log-probabilities recomputed from the current policy, so
      every ratio is 1 and the clip never acts: g = Σ_s d_old Σ_a π_old A^{π_old} ∇log π_x,
      old data weighted as if it came from x (notebook 08's reuse without a ratio).

    Notebook 11."""
    if kind not in EPOCH_KINDS:
        raise ValueError(f"kind must be one of {EPOCH_KINDS}; got {kind!r}.")
    eps = check_clip(eps)
    eta = positive_scalar("eta (the step size)", eta)
    n = check_count("n_epochs", n_epochs)
    par = _check_par(par)
    x_old = par.check(x_old)
    pi_old = par.probs(x_old)
    old = evaluate(mdp, pi_old)
    xs = [x_old.copy()]
    x = x_old.copy()
    for _ in range(n):
        if kind == "clip":
            g = clipped_gradient(mdp, par, x_old, x, eps, old=old)
        elif kind == "surrogate":
            g = surrogate_gradient(mdp, par, x_old, x, old=old)
        else:
            pi = par.probs(x)
            with np.errstate(divide="ignore", invalid="ignore"):
                score_w = np.where(pi > 0, pi_old / np.where(pi > 0, pi, 1.0), 0.0)
            g = np.einsum("s,sak,sa,sa->k", old.d, par.jacobian(x), score_w, old.A)
        x = par.check(x + eta * g)
        xs.append(x.copy())
    xs = np.array(xs)
    return Path(kind, xs, **_curves(mdp, pi_old, old, par.tables(xs), eps))


# --------------------------------------------------------------------------------------
# Two of PPO's classic mistakes, exactly over every batch (helpers.exact)
# --------------------------------------------------------------------------------------
def visits(mdp, pi) -> np.ndarray:
    """n(s) = Σ_t Pr(s_t = s), the expected number of visits (no discount): how often a
    state shows up among a batch's timesteps. Notebook 11."""
    _check_mdp(mdp)
    undiscounted = M.TabularMDP(mdp.P, mdp.r, mdp.rho, np.flatnonzero(mdp.terminal), gamma=1.0)
    return evaluate(undiscounted, pi).d


def _enumerated(mdp, policy, theta):
    _check_mdp(mdp)
    if not isinstance(policy, M.SoftmaxPolicy):
        raise ValueError(f"policy must be a helpers.mdp.SoftmaxPolicy; got "
                         f"{type(policy).__name__}.")
    theta = policy.check_theta(theta)
    batch, p = M.enumerate_trajectories(mdp, policy, theta)
    return theta, batch, p


def minibatch_normalisation(mdp, policy, theta, m: int, *, normalise: bool = True):
    """The exact :class:`helpers.exact.Moments` of PPO's first step on a minibatch of m
    trajectories sampled at θ (every ratio is 1 there), ĝ = (1/m) Σ_i Σ_t w_t ∇log π(a_t|s_t),
    with w_t = γ^t A^π(s_t, a_t) from the exact advantages — standardised over the
    minibatch's timesteps, (w − mean)/(std + 10⁻⁸), when ``normalise`` (else unbiased for
    ∇U). Every multiset of m trajectories is enumerated; the reference is ∇U. Notebook 11."""
    theta, batch, p = _enumerated(mdp, policy, theta)
    m = check_count("m (trajectories per minibatch)", m)
    A = evaluate(mdp, policy.probs(theta)).A
    t = np.arange(batch.mask.shape[1])
    w = np.where(batch.mask, mdp.gamma**t * A[batch.states, batch.actions], 0.0)
    score = np.where(batch.mask[..., None], policy.scores(theta)[batch.states, batch.actions],
                     0.0)

    def estimate(idx):
        W, mask = w[idx], batch.mask[idx]                        # (n_batches, m, T)
        if normalise:
            n = mask.sum(axis=(1, 2), keepdims=True)
            dev = np.where(mask, W - W.sum(axis=(1, 2), keepdims=True) / n, 0.0)
            W = dev / (np.sqrt((dev**2).sum(axis=(1, 2), keepdims=True) / n) + 1e-8)
        return np.einsum("bit,bitk->bk", W, score[idx]) / m

    return exact.expect(estimate, p, m, reference=M.exact_gradient(mdp, policy, theta))


#: the per-action approximations of KL(π_old ‖ π_θ) that PPO codes average
KL_KINDS = ("k1", "k3")


def approximate_kl_terms(log_ratio, kind: str = "k1") -> np.ndarray:
    """Per sampled action, with ``log_ratio`` = log π_θ − log π_old at actions drawn from
    π_old: ``"k1"`` −log ratio (Spinning Up's ``approx_kl``; unbiased for KL(π_old ‖ π_θ),
    can be negative) or ``"k3"`` (ratio − 1) − log ratio (CleanRL's; unbiased and ≥ 0).
    Notebook 11 (:func:`helpers.ppo.approximate_kl` averages them over a batch)."""
    if kind == "k1":
        return -log_ratio
    if kind == "k3":
        return np.expm1(log_ratio) - log_ratio
    raise ValueError(f"kind must be one of {KL_KINDS}; got {kind!r}.")


def approximate_kl_moments(mdp, policy, theta_old, theta, m: int, kind: str = "k1"):
    """The exact mean and variance (``trace_cov``), over every batch of m trajectories sampled
    at θ_old, of the approximate KL that PPO codes compute on a batch: the mean over its
    timesteps of log π_old − log π_θ (``"k1"``, Spinning Up) or (ratio − 1) − log ratio
    (``"k3"``, CleanRL), ratio = π_θ/π_old at the action taken. Notebook 11."""
    theta_old, batch, p = _enumerated(mdp, policy, theta_old)
    theta = policy.check_theta(theta)
    m = check_count("m (trajectories per batch)", m)
    log_ratio = (policy.log_probs(theta) - policy.log_probs(theta_old))[batch.states,
                                                                         batch.actions]
    per_step = np.where(batch.mask, approximate_kl_terms(log_ratio, kind), 0.0)

    def estimate(idx):
        return per_step[idx].sum(axis=(1, 2)) / batch.mask[idx].sum(axis=(1, 2))

    return exact.expect(estimate, p, m)
