"""Gaussian policies on the linear-quadratic regulator (LQR), exactly. Introduced in notebook 10
(``10_continuous_actions_lqr``).

**The task.** States s ∈ ℝⁿ, actions a ∈ ℝᵏ (the control literature writes x and u), bold
matrices in the notebook's prose:

    s_{t+1} = 𝐀 s_t + 𝐁 a_t,        s_0 ~ ρ with E[s_0] = 0 and E[s_0 s_0ᵀ] = 𝐒₀,
    cost c_t = s_tᵀ 𝐐 s_t + a_tᵀ 𝐑 a_t   (the course's reward is r_t = −c_t),
    policy π(a | s) = N(a; −𝐊 s, σ² I),  i.e.  a_t = −𝐊 s_t + σ ε_t with ε_t ~ N(0, I),
    objective C(𝐊, σ) = E[Σ_{t≥0} γ^t c_t]   (the course's U = −C).

**Why a discount and an infinite horizon.** With γ < 1 and no end, C is finite exactly when
every mode of the closed loop 𝐀 − 𝐁𝐊 decays faster than 1/√γ grows (spectral radius
< 1/√γ), its gradient and Fisher information are solutions of Lyapunov equations, and the
gain 𝐊* of the discounted Riccati equation (:func:`optimal_gain`) minimises C(𝐊, σ) for
**every** σ and every start distribution: it minimises the value matrix 𝐏_𝐊 in the
positive-semidefinite order, and C depends on 𝐊 only through tr(𝐏_𝐊 ·) of fixed
positive-semidefinite matrices (below). A finite horizon would make the optimal controller
time-varying, so no single gain would be its optimum; an undiscounted infinite horizon
would make the exploration noise's cost infinite.

**What rollouts estimate.** :func:`rollouts` plays T = ``task.horizon`` steps and the
estimators weight step t by γ^t. Their expectation is therefore the *truncated* objective
C_T = E[Σ_{t<T} γ^t c_t], not C. Every exact function takes ``horizon``: ``None`` for C
itself, ``task.horizon`` for the quantity a Monte Carlo average must match (the tests
referee sampled estimates against that one). The two differ by terms of order γ^T
(:func:`truncation_gap` prints how much). Random termination with probability 1 − γ per
step would be unbiased for C itself, but on notebook 10's cart-pole it makes REINFORCE's
estimate of the gradient over a hundred times noisier than the discounted weights on
fixed-length rollouts (tests/test_lqr.py measures it).

**The formulas** (L = 𝐀 − 𝐁𝐊; Fazel, Ge, Kakade & Mesbahi, ICML 2018, Lemma 1, treat
γ = 1 without exploration noise; γ and σ enter as below, and the tests check every line by
finite differences, Monte Carlo and sympy):

* state covariance 𝚺_𝐊 = E[Σ_t γ^t s_t s_tᵀ]: 𝚺 = 𝐒₀ + γσ²/(1−γ) 𝐁𝐁ᵀ + γ L 𝚺 Lᵀ;
* value matrix 𝐏_𝐊: 𝐏 = 𝐐 + 𝐊ᵀ𝐑𝐊 + γ Lᵀ 𝐏 L;
* C(𝐊, σ) = tr((𝐐 + 𝐊ᵀ𝐑𝐊) 𝚺_𝐊) + σ² tr 𝐑 /(1−γ)
           = tr(𝐏_𝐊 𝐒₀) + σ² (tr 𝐑 + γ tr(𝐁ᵀ𝐏_𝐊𝐁)) /(1−γ);
* ∇_𝐊 C = 2 [(𝐑 + γ𝐁ᵀ𝐏_𝐊𝐁) 𝐊 − γ 𝐁ᵀ𝐏_𝐊𝐀] 𝚺_𝐊;
* ∂C/∂log σ = 2σ² (tr 𝐑 + γ tr(𝐁ᵀ𝐏_𝐊𝐁)) /(1−γ)  (always > 0: in the LQR noise only costs);
* Fisher information of θ = (vec 𝐊, log σ), F(θ) = E[Σ_t γ^t ∇log π ∇log πᵀ]:
  block-diagonal, I_k ⊗ 𝚺_𝐊 / σ² for 𝐊 and 2k/(1−γ) for log σ. So the natural gradient
  F⁻¹∇C has 𝐊-part σ² ∇_𝐊C 𝚺_𝐊⁻¹ = 2σ² [(𝐑 + γ𝐁ᵀ𝐏𝐁)𝐊 − γ𝐁ᵀ𝐏𝐀]: the state
  distribution drops out. (Fazel et al., §2, give the blocks as 𝚺_𝐊, the factor 1/σ²
  left out: their natural gradient ∇C 𝚺_𝐊⁻¹ is F⁻¹∇C up to that scale.)

With ``horizon=T`` the same formulas hold with the time-varying 𝐏_t of the T-step backward
recursion (𝐏_T = 0) and 𝚺^T = Σ_{t<T} γ^t E[s_t s_tᵀ].

Everything is numpy: Lyapunov equations are solved through their Kronecker form, the Riccati
equation by iteration (scipy is not a course dependency).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from helpers import returns
from helpers.validation import (
    as_finite_scalar,
    as_float_array,
    check_count,
    check_rng,
    positive_scalar,
)

__all__ = [
    "LQRTask",
    "Rollouts",
    "TrainingRun",
    "bounded_action_gradients",
    "cartpole_task",
    "check_gain",
    "cost",
    "cost_grid",
    "exact_descent",
    "exact_baseline",
    "fisher",
    "fitted_baseline",
    "gradient",
    "log_sigma_derivative",
    "natural_gradient",
    "optimal_gain",
    "pathwise_estimates",
    "rollouts",
    "score_function_estimates",
    "spectral_radius",
    "state_covariance",
    "toy_task",
    "train",
    "truncation_gap",
    "value",
]


# ---------------------------------------------------------------------------------------------
# The task and its validation
# ---------------------------------------------------------------------------------------------
def _square(name, value, n=None):
    arr = as_float_array(name, value, ndim=2)
    if arr.shape[0] != arr.shape[1] or (n is not None and arr.shape[0] != n):
        want = f"({n}, {n})" if n is not None else "square"
        raise ValueError(f"{name} must be {want}; got shape {arr.shape}.")
    return arr


def _check_symmetric(name, M, *, definite: bool):
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric.")
    smallest = float(np.linalg.eigvalsh((M + M.T) / 2).min())
    scale = max(1.0, float(np.abs(M).max()))
    if definite and smallest <= 1e-12 * scale:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is "
                         f"{smallest:.3g}.")
    if not definite and smallest < -1e-12 * scale:
        raise ValueError(f"{name} must be positive semidefinite; its smallest eigenvalue is "
                         f"{smallest:.3g}.")


@dataclass(frozen=True)
class LQRTask:
    """A discounted LQR: dynamics ``A`` (n×n), ``B`` (n×k), cost weights ``Q`` (n×n, positive
    semidefinite) and ``R`` (k×k, positive definite), discount ``gamma`` in (0, 1), the start
    states' second moment ``start_cov`` (𝐒₀, mean zero), and ``horizon``, the number of steps
    :func:`rollouts` plays. ``start`` says how rollouts draw s₀: ``"gaussian"`` (N(0, 𝐒₀)) or
    ``"uniform"`` (each coordinate uniform on ±``start_halfwidth``, as CartPole resets; then
    𝐒₀ = halfwidth²/3 · I). Only 𝐒₀ enters the exact formulas. Introduced in notebook 10.
    """

    A: np.ndarray
    B: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    gamma: float
    start_cov: np.ndarray | None = None
    horizon: int = 100
    start: str = "gaussian"
    start_halfwidth: float | None = None
    name: str = "LQR"
    state_names: tuple = field(default=())

    def __post_init__(self):
        A = _square("A", self.A)
        n = A.shape[0]
        B = as_float_array("B", self.B, ndim=2)
        if B.shape[0] != n:
            raise ValueError(f"B must have {n} rows, one per state (A is {n}×{n}); "
                             f"got shape {B.shape}.")
        k = B.shape[1]
        Q = _square("Q", self.Q, n)
        R = _square("R", self.R, k)
        _check_symmetric("Q", Q, definite=False)
        _check_symmetric("R", R, definite=True)
        gamma = as_finite_scalar("gamma", self.gamma)
        if not 0 < gamma < 1:
            raise ValueError(f"gamma must be in (0, 1) for a discounted infinite horizon; "
                             f"got {gamma}.")
        if self.start not in ("gaussian", "uniform"):
            raise ValueError(f"start must be 'gaussian' or 'uniform'; got {self.start!r}.")
        if self.start == "uniform":
            w = positive_scalar("start_halfwidth", self.start_halfwidth)
            S0 = np.eye(n) * w**2 / 3
            if self.start_cov is not None and not np.allclose(self.start_cov, S0):
                raise ValueError("with start='uniform', start_cov must be halfwidth²/3 · I "
                                 "(or left out).")
        else:
            S0 = np.eye(n) if self.start_cov is None else _square("start_cov", self.start_cov, n)
            _check_symmetric("start_cov", S0, definite=False)
        horizon = check_count("horizon", self.horizon)
        for attr, v in (("A", A), ("B", B), ("Q", Q), ("R", R), ("gamma", gamma),
                        ("start_cov", S0), ("horizon", horizon)):
            object.__setattr__(self, attr, v)
        for arr in (A, B, Q, R, S0):
            arr.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of state coordinates."""
        return self.A.shape[0]

    @property
    def k(self) -> int:
        """Number of action coordinates."""
        return self.B.shape[1]

    def sample_starts(self, m: int, rng) -> np.ndarray:
        """m start states, shape (m, n), drawn as ``start`` says. Notebook 10."""
        m = check_count("m", m)
        rng = check_rng(rng)
        if self.start == "uniform":
            return rng.uniform(-self.start_halfwidth, self.start_halfwidth, size=(m, self.n))
        # a square root of 𝐒₀ that also exists when 𝐒₀ is only semidefinite
        w, V = np.linalg.eigh(self.start_cov)
        return rng.standard_normal((m, self.n)) @ (V * np.sqrt(np.clip(w, 0, None))).T

    def __repr__(self):
        return (f"LQRTask({self.name}: n={self.n}, k={self.k}, γ={self.gamma:g}, "
                f"horizon={self.horizon})")


def toy_task(gamma: float = 0.9, horizon: int = 100) -> LQRTask:
    """Notebook 10's small LQR: a cart on a frictionless track, looked at once a second.

    s = (position, velocity), a = the push (one number): s_{t+1} = [[1, 1], [0, 1]] s +
    [[0.5], [1]] a, cost |s|² + a², γ = 0.9, s₀ ~ N(0, I). The gain 𝐊 = (k₁, k₂) has two
    entries, so the whole of gain space is a plane (the explorer draws it).
    """
    return LQRTask(A=[[1.0, 1.0], [0.0, 1.0]], B=[[0.5], [1.0]], Q=np.eye(2), R=[[1.0]],
                   gamma=gamma, start_cov=np.eye(2), horizon=horizon, name="toy cart",
                   state_names=("position", "velocity"))


#: the cost weights of notebook 10's cart-pole: cart position, its velocity, pole angle,
#: its angular velocity (SI units: m, m/s, rad, rad/s), and the force (N)
CARTPOLE_Q = (10.0, 1.0, 10.0, 1.0)
CARTPOLE_R = 0.1


def cartpole_linearisation(env=None) -> tuple[np.ndarray, np.ndarray]:
    """(𝐀, 𝐁) of gymnasium's CartPole-v1 step, linearised at the upright rest state, with the
    force F (newtons) as the action. Notebook 10.

    From ``CartPoleEnv.step`` (gymnasium 1.4), with total mass M = m_c + m_p, half-length l:
    temp = (F + m_p l φ̇² sin φ)/M, φ̈ = (g sin φ − cos φ · temp)/(l (4/3 − m_p cos²φ / M)),
    ẍ = temp − m_p l φ̈ cos φ / M, then one Euler step of length τ. At φ = φ̇ = 0 the
    derivatives are ∂φ̈/∂φ = g/d, ∂φ̈/∂F = −1/(M d) with d = l (4/3 − m_p/M), and
    ∂ẍ/∂φ = −m_p l (g/d)/M, ∂ẍ/∂F = 1/M + m_p l/(M² d); the φ̇² term has zero derivative
    there. Euler gives 𝐀 = I + τ 𝐀_c and 𝐁 = τ 𝐁_c exactly (the state update uses the old
    velocities). The constants are read from gymnasium's own environment, never re-typed.
    """
    if env is None:
        from gymnasium.envs.classic_control.cartpole import CartPoleEnv

        env = CartPoleEnv()
    g, mc, mp, l, tau = env.gravity, env.masscart, env.masspole, env.length, env.tau
    if env.kinematics_integrator != "euler":
        raise ValueError("the linearisation assumes gymnasium's Euler integrator.")
    M = mc + mp
    d = l * (4.0 / 3.0 - mp / M)
    phidd_phi, phidd_F = g / d, -1.0 / (M * d)
    xdd_phi, xdd_F = -mp * l * phidd_phi / M, 1.0 / M - mp * l * phidd_F / M
    Ac = np.array([[0, 1, 0, 0], [0, 0, xdd_phi, 0], [0, 0, 0, 1], [0, 0, phidd_phi, 0]],
                  dtype=float)
    Bc = np.array([[0.0], [xdd_F], [0.0], [phidd_F]])
    return np.eye(4) + tau * Ac, tau * Bc


def cartpole_task(gamma: float = 0.98, horizon: int = 300, Q=CARTPOLE_Q,
                  R=CARTPOLE_R) -> LQRTask:
    """The linearised CartPole-v1 (:func:`cartpole_linearisation`) as an LQR: state
    (x, ẋ, φ, φ̇), force in newtons, cost weights ``Q`` (a diagonal) and ``R``, start states
    uniform on ±0.05 like gymnasium's reset. γ = 0.98 (a horizon of about 1/(1−γ) = 50
    steps, one second) and rollouts of 300 steps, so γ^T ≈ 0.002. Notebook 10.
    """
    A, B = cartpole_linearisation()
    return LQRTask(A=A, B=B, Q=np.diag(as_float_array("Q", Q, shape=(4,))),
                   R=np.atleast_2d(as_float_array("R", R)), gamma=gamma, horizon=horizon,
                   start="uniform", start_halfwidth=0.05, name="linearised cart-pole",
                   state_names=("x", "ẋ", "φ", "φ̇"))


def _check_task(task):
    if not isinstance(task, LQRTask):
        raise ValueError(f"task must be an LQRTask (e.g. lqr.toy_task()); got "
                         f"{type(task).__name__}.")
    return task


def _horizon(task, horizon):
    return None if horizon is None else check_count("horizon", horizon)


def _sigma(sigma, *, allow_zero: bool):
    s = as_finite_scalar("sigma", sigma)
    if s < 0 or (s == 0 and not allow_zero):
        what = "non-negative" if allow_zero else "positive (the policy's standard deviation)"
        raise ValueError(f"sigma must be {what}; got {sigma!r}.")
    return s


def spectral_radius(task: LQRTask, K) -> float:
    """ρ(𝐀 − 𝐁𝐊), the largest |eigenvalue| of the closed loop. Notebook 10."""
    task = _check_task(task)
    K = as_float_array("K", K, shape=(task.k, task.n))
    return float(np.max(np.abs(np.linalg.eigvals(task.A - task.B @ K))))


def check_gain(task: LQRTask, K) -> np.ndarray:
    """``K`` as a (k, n) array, after checking its shape and that its expected cost is
    finite: ρ(𝐀 − 𝐁𝐊) < 1/√γ. Otherwise ``ValueError`` ("unstable ... infinite").
    Notebook 10."""
    task = _check_task(task)
    K = as_float_array("K", K)
    if K.shape != (task.k, task.n):
        raise ValueError(f"K must have shape ({task.k}, {task.n}): one row per action, one "
                         f"column per state; got {K.shape}.")
    rho = spectral_radius(task, K)
    limit = 1 / np.sqrt(task.gamma)
    if not rho < limit:
        raise ValueError(f"K is unstable: the spectral radius of A − BK is {rho:.4g} ≥ "
                         f"1/√γ = {limit:.4g}, so the expected cost is infinite.")
    return K


# ---------------------------------------------------------------------------------------------
# Lyapunov and Riccati
# ---------------------------------------------------------------------------------------------
def _lyapunov(L, M, gamma):
    """X = M + γ L X Lᵀ, through its Kronecker form (I − γ L⊗L) vec X = vec M."""
    n = L.shape[0]
    X = np.linalg.solve(np.eye(n * n) - gamma * np.kron(L, L), M.reshape(-1)).reshape(n, n)
    return (X + X.T) / 2


def _parts(task, K, sigma, horizon):
    """The ingredients of every formula: (𝚺, [𝐏_0 … 𝐏_T] or 𝐏, Σ_t γ^t, Σ_t γ^{t+1} 𝐏_{t+1})."""
    A, B, Q, R, g = task.A, task.B, task.Q, task.R, task.gamma
    L = A - B @ K
    QK = Q + K.T @ R @ K
    BB = B @ B.T
    if horizon is None:
        # 𝚺 = 𝐒₀ + γσ²/(1−γ) 𝐁𝐁ᵀ + γ L 𝚺 Lᵀ   and   𝐏 = 𝐐 + 𝐊ᵀ𝐑𝐊 + γ Lᵀ 𝐏 L
        Sigma = _lyapunov(L, task.start_cov + g * sigma**2 / (1 - g) * BB, g)
        P = _lyapunov(L.T, QK, g)
        return Sigma, P, 1 / (1 - g), g * P / (1 - g)
    # finite horizon: forward second moments S_t, backward value matrices P_t (P_H = 0)
    S = task.start_cov.copy()
    Sigma = np.zeros_like(S)
    for t in range(horizon):
        Sigma += g**t * S
        S = L @ S @ L.T + sigma**2 * BB
    Ps = [np.zeros_like(QK)]
    for _ in range(horizon):
        Ps.append(QK + g * L.T @ Ps[-1] @ L)
    Ps = Ps[::-1]                                  # Ps[t] = 𝐏_t, t = 0 … H
    weights = g ** np.arange(horizon)
    noise_P = sum(w * g * Ps[t + 1] for t, w in enumerate(weights))
    return Sigma, Ps, weights.sum(), noise_P


def state_covariance(task: LQRTask, K, sigma=0.0, horizon=None) -> np.ndarray:
    """𝚺_𝐊 = E[Σ_t γ^t s_t s_tᵀ] (over t < ``horizon``, or all t when None), including the
    states the exploration noise σ pushes the system to. Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    return _parts(task, K, _sigma(sigma, allow_zero=True), _horizon(task, horizon))[0]


def value_matrix(task: LQRTask, K) -> np.ndarray:
    """𝐏_𝐊 with 𝐏 = 𝐐 + 𝐊ᵀ𝐑𝐊 + γ (𝐀−𝐁𝐊)ᵀ 𝐏 (𝐀−𝐁𝐊): the noise-free cost from s is sᵀ𝐏s.
    Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    return _parts(task, K, 0.0, None)[1]


def cost(task: LQRTask, K, sigma=0.0, horizon=None) -> float:
    """C(𝐊, σ) = E[Σ_t γ^t (s_tᵀ𝐐s_t + a_tᵀ𝐑a_t)], the exploration noise's cost included
    (σ = 0: the deterministic gain's cost, C(𝐊) in notebook 10). ``horizon=T`` gives the
    truncated sum that T-step rollouts estimate. Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=True)
    Sigma, _, n_weights, _ = _parts(task, K, sigma, _horizon(task, horizon))
    # C = tr((𝐐 + 𝐊ᵀ𝐑𝐊) 𝚺) + σ² tr 𝐑 Σ_t γ^t : E[aᵀ𝐑a | s] = sᵀ𝐊ᵀ𝐑𝐊s + σ² tr 𝐑
    return float(np.trace((task.Q + K.T @ task.R @ K) @ Sigma)
                 + sigma**2 * np.trace(task.R) * n_weights)


def gradient(task: LQRTask, K, sigma=0.0, horizon=None) -> np.ndarray:
    """∇_𝐊 C(𝐊, σ), shape (k, n): 2 Σ_t γ^t [(𝐑 + γ𝐁ᵀ𝐏_{t+1}𝐁)𝐊 − γ𝐁ᵀ𝐏_{t+1}𝐀] E[s_t s_tᵀ]
    (with a constant 𝐏 and 𝚺_𝐊 for the infinite horizon). Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=True)
    horizon = _horizon(task, horizon)
    A, B, R, g = task.A, task.B, task.R, task.gamma
    Sigma, P, _, _ = _parts(task, K, sigma, horizon)
    if horizon is None:
        # Fazel et al.'s Lemma 1 with γ: ∇C = 2 E_𝐊 𝚺_𝐊, E_𝐊 = (𝐑 + γ𝐁ᵀ𝐏𝐁)𝐊 − γ𝐁ᵀ𝐏𝐀
        return 2 * ((R + g * B.T @ P @ B) @ K - g * B.T @ P @ A) @ Sigma
    L = A - B @ K
    S, grad = task.start_cov.copy(), np.zeros_like(K)
    for t in range(horizon):   # each step's use of 𝐊, later steps' gains held fixed
        grad += 2 * g**t * ((R + g * B.T @ P[t + 1] @ B) @ K - g * B.T @ P[t + 1] @ A) @ S
        S = L @ S @ L.T + sigma**2 * B @ B.T
    return grad


def log_sigma_derivative(task: LQRTask, K, sigma, horizon=None) -> float:
    """∂C/∂log σ = 2σ² Σ_t γ^t (tr 𝐑 + γ tr(𝐁ᵀ𝐏_{t+1}𝐁)): what one more unit of log σ
    costs. Always positive: in the LQR exploration only costs. Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=False)
    _, _, n_weights, noise_P = _parts(task, K, sigma, _horizon(task, horizon))
    return float(2 * sigma**2 * (np.trace(task.R) * n_weights
                                 + np.trace(task.B.T @ noise_P @ task.B)))


def fisher(task: LQRTask, K, sigma, horizon=None) -> np.ndarray:
    """F(θ) = E[Σ_t γ^t ∇log π(a_t|s_t) ∇log π(a_t|s_t)ᵀ] for θ = (vec 𝐊 row by row, log σ),
    a (kn+1)×(kn+1) matrix: I_k ⊗ 𝚺_𝐊 / σ² for 𝐊 (the score is −ε_t s_tᵀ/σ), 2k Σ_t γ^t for
    log σ (its score is |ε_t|² − k), zero between them (odd moments of ε). Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=False)
    Sigma, _, n_weights, _ = _parts(task, K, sigma, _horizon(task, horizon))
    k, n = task.k, task.n
    F = np.zeros((k * n + 1, k * n + 1))
    F[:-1, :-1] = np.kron(np.eye(k), Sigma) / sigma**2
    F[-1, -1] = 2 * k * n_weights
    return F


def natural_gradient(task: LQRTask, K, sigma, horizon=None):
    """F(θ)⁻¹ ∇_θ C, returned as (its 𝐊 part, shape (k, n); its log σ part). The 𝐊 part is
    σ² ∇_𝐊C 𝚺_𝐊⁻¹ (for the infinite horizon 2σ²[(𝐑 + γ𝐁ᵀ𝐏𝐁)𝐊 − γ𝐁ᵀ𝐏𝐀]). Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=False)
    Sigma = state_covariance(task, K, sigma, horizon)
    g_K = gradient(task, K, sigma, horizon)
    g_s = log_sigma_derivative(task, K, sigma, horizon)
    n_weights = 1 / (1 - task.gamma) if horizon is None else float(
        np.sum(task.gamma ** np.arange(horizon)))
    return sigma**2 * np.linalg.solve(Sigma, g_K.T).T, g_s / (2 * task.k * n_weights)


def optimal_gain(task: LQRTask, tol: float = 1e-13, max_iter: int = 100_000):
    """(𝐊*, 𝐏*) of the discounted Riccati equation, by iterating
    𝐏 ← 𝐐 + γ𝐀ᵀ𝐏𝐀 − γ²𝐀ᵀ𝐏𝐁(𝐑 + γ𝐁ᵀ𝐏𝐁)⁻¹𝐁ᵀ𝐏𝐀 from 𝐏 = 𝐐 (Fazel et al. 2018, §1, for γ = 1)
    until it stops moving; 𝐊* = γ(𝐑 + γ𝐁ᵀ𝐏𝐁)⁻¹𝐁ᵀ𝐏𝐀. 𝐊* minimises C(𝐊, σ) for every σ.
    Notebook 10."""
    task = _check_task(task)
    tol = positive_scalar("tol", tol)
    A, B, Q, R, g = task.A, task.B, task.Q, task.R, task.gamma
    P = Q.copy()
    for _ in range(check_count("max_iter", max_iter)):
        K = np.linalg.solve(R + g * B.T @ P @ B, g * B.T @ P @ A)
        L = A - B @ K
        new = Q + K.T @ R @ K + g * L.T @ P @ L
        if not np.all(np.isfinite(new)):
            break
        done = np.max(np.abs(new - P)) <= tol * max(1.0, np.max(np.abs(new)))
        P = (new + new.T) / 2
        if done:
            K = np.linalg.solve(R + g * B.T @ P @ B, g * B.T @ P @ A)
            return K, P
    raise ValueError("the Riccati iteration did not converge: is (A, √γ B) stabilisable?")


def value(task: LQRTask, K, sigma, states, horizon=None) -> np.ndarray:
    """V(s) = E[Σ_{t'≥t} γ^{t'−t} c_{t'} | s_t = s], the expected discounted cost-to-go, for
    states of shape (..., n). With ``horizon=T``, ``states`` has shape (m, T, n) and step t's
    value counts only the T − t steps left. Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=True)
    horizon = _horizon(task, horizon)
    s = as_float_array("states", states)
    if s.shape[-1] != task.n:
        raise ValueError(f"states must end in a dimension of {task.n}; got {s.shape}.")
    g, trR, B = task.gamma, np.trace(task.R), task.B
    if horizon is None:
        P = _parts(task, K, sigma, None)[1]
        const = sigma**2 * (trR + g * np.trace(B.T @ P @ B)) / (1 - g)
        return np.einsum("...i,ij,...j->...", s, P, s) + const
    if s.ndim != 3 or s.shape[1] != horizon:
        raise ValueError(f"with horizon={horizon}, states must have shape (m, {horizon}, "
                         f"{task.n}); got {s.shape}.")
    Ps = _parts(task, K, sigma, horizon)[1]
    per_step = np.array([sigma**2 * (trR + g * np.trace(B.T @ Ps[t + 1] @ B))
                         for t in range(horizon)])
    const = returns.reward_to_go(per_step, g)       # the noise's cost still to come from t
    quad = np.einsum("mti,tij,mtj->mt", s, np.array(Ps[:horizon]), s)
    return quad + const


def truncation_gap(task: LQRTask, K, sigma=0.0) -> dict:
    """How far the T-step objective is from the infinite one: relative gaps of C and of
    ∇_𝐊C. Notebook 10."""
    c, c_H = cost(task, K, sigma), cost(task, K, sigma, task.horizon)
    g, g_H = gradient(task, K, sigma), gradient(task, K, sigma, task.horizon)
    return {"cost": abs(c - c_H) / c,
            "gradient": float(np.linalg.norm(g - g_H) / np.linalg.norm(g))}


def cost_grid(task: LQRTask, gains, sigma=0.0) -> np.ndarray:
    """C(𝐊, σ) for many gains at once, shape (N, k, n) → (N,), with ``inf`` where the gain is
    unstable (a picture of gain space needs that, not an error). One batched solve of the
    Lyapunov equations. Notebook 10's explorer."""
    task = _check_task(task)
    gains = as_float_array("gains", gains)
    if gains.ndim != 3 or gains.shape[1:] != (task.k, task.n):
        raise ValueError(f"gains must have shape (N, {task.k}, {task.n}); got {gains.shape}.")
    sigma = _sigma(sigma, allow_zero=True)
    A, B, Q, R, g = task.A, task.B, task.Q, task.R, task.gamma
    n, N = task.n, len(gains)
    L = A[None] - B[None] @ gains
    stable = np.max(np.abs(np.linalg.eigvals(L)), axis=-1) < 1 / np.sqrt(g)
    out = np.full(N, np.inf)
    if not stable.any():
        return out
    Ls = L[stable]
    kron = np.einsum("bij,bkl->bikjl", Ls, Ls).reshape(-1, n * n, n * n)
    M = task.start_cov + g * sigma**2 / (1 - g) * B @ B.T
    vecS = np.linalg.solve(np.eye(n * n)[None] - g * kron,
                           np.broadcast_to(M.reshape(-1), (len(Ls), n * n))[..., None])
    Sigma = vecS[..., 0].reshape(-1, n, n)
    QK = Q[None] + np.transpose(gains[stable], (0, 2, 1)) @ R @ gains[stable]
    out[stable] = (np.einsum("bij,bji->b", QK, Sigma)
                   + sigma**2 * np.trace(R) / (1 - g))
    return out


# ---------------------------------------------------------------------------------------------
# Rollouts and estimators
# ---------------------------------------------------------------------------------------------
@dataclass
class Rollouts:
    """m episodes of T steps as arrays: ``states`` (m, T, n), the Gaussian draws ``noise``
    ε (m, T, k), ``actions`` (m, T, k) = −𝐊s + σε as sent to the dynamics, ``costs``
    (m, T), ``alive`` (m, T) (False after an episode ended early; always True on the linear
    model), and the discount. ``rewards`` are −costs. Inside :func:`train` the arrays carry
    one more leading axis, one entry per seed. Notebook 10."""

    states: np.ndarray
    noise: np.ndarray
    actions: np.ndarray
    costs: np.ndarray
    gamma: float
    alive: np.ndarray | None = None

    def __post_init__(self):
        if self.alive is None:
            self.alive = np.ones(self.costs.shape, dtype=bool)

    @property
    def m(self) -> int:
        """Number of episodes."""
        return self.costs.shape[-2]

    @property
    def rewards(self) -> np.ndarray:
        """r_t = −c_t, zero after an episode ended."""
        return -self.costs * self.alive

    def discounts(self) -> np.ndarray:
        """γ^t for t = 0 … T−1."""
        return self.gamma ** np.arange(self.costs.shape[-1])

    def reward_to_go(self) -> np.ndarray:
        """G_t = Σ_{t'≥t} γ^{t'−t} r_{t'}, discounted from t (the course's G_t, computed by
        :func:`helpers.returns.reward_to_go`), (m, T)."""
        return returns.reward_to_go(self.rewards, self.gamma, self.alive)

    def returns(self) -> np.ndarray:
        """R(τ) = Σ_t γ^t r_t per episode, (m,)."""
        return (self.rewards * self.discounts()).sum(axis=-1)

    def weighted_states(self) -> np.ndarray:
        """Σ_t γ^t s_t s_tᵀ per episode, (m, n, n); their mean estimates 𝚺_𝐊 (of the
        horizon T)."""
        w = self.discounts() * self.alive
        return np.einsum("...t,...ti,...tj->...ij", w, self.states, self.states)


def _simulate(A, B, Q, R, gains, s0, noise, sigmas):
    """Play groups of episodes, one gain and σ per group: gains (G, k, n), s0 (G, m, n),
    noise (G, m, T, k), sigmas (G,). Time-major inside, so each step reads and writes
    contiguous memory. Returns states (G, m, T, n), actions (G, m, T, k), costs (G, m, T)."""
    G, m, H, k = noise.shape
    S = np.empty((H, G, m, A.shape[0]))
    # a_t = −𝐊 s_t + σ ε_t: start from σε_t, add −𝐊s_t as the states arrive
    act = np.ascontiguousarray(np.moveaxis(noise, 2, 0)) * np.reshape(sigmas, (1, G, 1, 1))
    minus_Kt = -np.transpose(gains, (0, 2, 1))      # (G, n, k)
    s, At, Bt = s0, A.T, B.T
    for t in range(H):
        S[t] = s
        a = act[t]
        a += s @ minus_Kt
        s = s @ At + a @ Bt                         # s' = 𝐀s + 𝐁a
    costs = ((S @ Q) * S).sum(-1) + ((act @ R) * act).sum(-1)
    return (np.ascontiguousarray(np.moveaxis(S, 0, 2)),
            np.ascontiguousarray(np.moveaxis(act, 0, 2)), np.ascontiguousarray(
                np.moveaxis(costs, 0, 2)))


def rollouts(task: LQRTask, K, sigma, m: int, rng, starts=None) -> Rollouts:
    """m episodes of ``task.horizon`` steps with a_t = −𝐊 s_t + σ ε_t, all at once (one
    numpy array per quantity). Start states from ``task.sample_starts`` unless ``starts``
    (m, n) are given. The generator draws the starts first, then the noise (m, T, k).
    Notebook 10."""
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=False)
    m = check_count("m", m)
    rng = check_rng(rng)
    if starts is None:
        starts = task.sample_starts(m, rng)
    else:
        starts = as_float_array("starts", starts, shape=(m, task.n))
    noise = rng.standard_normal((m, task.horizon, task.k))
    S, act, c = _simulate(task.A, task.B, task.Q, task.R, K[None], starts[None], noise[None],
                          np.array([sigma]))
    return Rollouts(S[0], noise, act[0], c[0], task.gamma)


def _check_rollouts(ro):
    if not isinstance(ro, Rollouts):
        raise ValueError(f"expected Rollouts (from lqr.rollouts); got {type(ro).__name__}.")
    if ro.costs.ndim != 2:
        raise ValueError(f"expected one batch of episodes, costs of shape (m, T); got "
                         f"{ro.costs.shape}.")
    return ro


def _weights(ro, baseline, weight):
    """γ^t A_t, (…, m, T): A_t = G_t − b_t (reward-to-go) or R(τ) with no γ^t."""
    w = ro.discounts()
    if weight == "reward_to_go":
        A = w * ro.reward_to_go()                  # γ^t G_t
        if baseline is not None:
            A = A - w * baseline
    elif weight == "full_return":
        if baseline is not None:
            raise ValueError("a state baseline goes with weight='reward_to_go'.")
        A = np.broadcast_to(ro.returns()[..., None], ro.costs.shape)
    else:
        raise ValueError(f"weight must be 'reward_to_go' or 'full_return'; got {weight!r}.")
    return A * ro.alive


def _scores_times(A, ro, sigma):
    """Σ_t A_t ∇log π per episode: ∇_𝐊 log π = −ε_t s_tᵀ/σ, ∂log π/∂log σ = |ε_t|² − k."""
    sig = np.asarray(sigma, dtype=float)[..., None, None, None]
    g_K = -np.einsum("...mtk,...mtn->...mkn", A[..., None] * ro.noise, ro.states) / sig
    k = ro.noise.shape[-1]
    g_s = np.einsum("...mt,...mt->...m", A, np.sum(ro.noise**2, axis=-1) - k)
    return g_K, g_s


def score_function_estimates(ro: Rollouts, sigma, *, weight: str = "reward_to_go",
                             baseline=None):
    """Per-episode REINFORCE estimates of ∇U = −∇C: (ĝ for 𝐊, shape (m, k, n); ĝ for
    log σ, shape (m,)). Notebook 10.

    ĝ = Σ_t γ^t A_t ∇log π(a_t|s_t), with the Gaussian's scores ∇_𝐊 log π = −ε_t s_tᵀ/σ
    (the mean is −𝐊s, and (a − μ)/σ² = ε/σ) and ∂log π/∂log σ = |ε_t|² − k.
    ``weight``: ``"reward_to_go"`` (A_t = G_t) or ``"full_return"`` (every step weighted by
    R(τ) = Σ_t γ^t r_t, so no γ^t in front). ``baseline``: None or an (m, T) array b_t of
    state values in reward units (e.g. :func:`exact_baseline`), subtracted from G_t.
    """
    ro = _check_rollouts(ro)
    sigma = _sigma(sigma, allow_zero=False)
    if baseline is not None:
        baseline = as_float_array("baseline", baseline, shape=ro.costs.shape)
    return _scores_times(_weights(ro, baseline, weight), ro, sigma)


def exact_baseline(task: LQRTask, K, sigma, ro: Rollouts) -> np.ndarray:
    """b_t = −V_t(s_t), the exact state value of the T-step rollouts in reward units (m, T):
    the best baseline a learned critic could hope for. Notebook 10."""
    return -value(task, K, sigma, _check_rollouts(ro).states, horizon=ro.costs.shape[1])


def _features(S):
    """(s_i s_j for i ≤ j, 1): the quadratic functions of s."""
    n = S.shape[-1]
    cols = [S[..., i] * S[..., j] for i in range(n) for j in range(i, n)]
    return np.stack([*cols, np.ones(S.shape[:-1])], axis=-1)


def _fitted_baseline(ro, stride: int = 4):
    """The cross-fitted quadratic baseline for arrays with any leading axes (…, m, T). The
    least squares sees every ``stride``-th step (plenty of rows for n(n+1)/2 + 1 numbers,
    and a quarter of the work); the fitted sᵀ𝐏̂s + ĉ is then evaluated at every step."""
    S, G = ro.states, ro.reward_to_go()
    w = ro.discounts() * ro.alive                          # weights γ^t, 0 after an end
    n, half = S.shape[-1], ro.m // 2
    iu = np.triu_indices(n)
    out = np.empty_like(G)
    for fit, use in ((slice(0, half), slice(half, None)), (slice(half, None), slice(0, half))):
        Sf = S[..., fit, ::stride, :]
        X = _features(Sf).reshape(*S.shape[:-3], -1, len(iu[0]) + 1)        # (…, rows, F)
        wf = w[..., fit, ::stride].reshape(*S.shape[:-3], -1, 1)
        Gf = G[..., fit, ::stride].reshape(*S.shape[:-3], -1, 1)
        XtX = np.swapaxes(X * wf, -1, -2) @ X
        Xty = np.swapaxes(X * wf, -1, -2) @ Gf
        eye = np.eye(XtX.shape[-1])
        ridge = 1e-10 * np.trace(XtX, axis1=-2, axis2=-1)[..., None, None] / len(eye) * eye
        coef = np.linalg.solve(XtX + ridge, Xty)[..., 0]                     # (…, F)
        P = np.zeros(coef.shape[:-1] + (n, n))
        P[..., iu[0], iu[1]] = coef[..., :-1]                                # sᵀ𝐏̂s: upper
        Su = S[..., use, :, :]
        out[..., use, :] = (np.einsum("...mti,...ij,...mtj->...mt", Su, P, Su)
                            + coef[..., -1, None, None])
    return out


def fitted_baseline(ro: Rollouts) -> np.ndarray:
    """A learned baseline without a model: G_t regressed on the quadratic features
    (s_i s_j, 1) by least squares weighted by γ^t, fitted on one half of the episodes and
    used on the other half (and vice versa), so no episode's baseline depends on its own
    return and ĝ stays unbiased. The LQR's true values are quadratic, so this family
    contains them (up to the T-step horizon's dependence on t). Needs an even m ≥ 4.
    Notebook 10."""
    ro = _check_rollouts(ro)
    if ro.m < 4 or ro.m % 2:
        raise ValueError(f"fitted_baseline needs an even number of episodes, at least 4; got "
                         f"{ro.m}.")
    return _fitted_baseline(ro)


def pathwise_estimates(task: LQRTask, ro: Rollouts, K, sigma):
    """Per-episode *pathwise* (reparameterised) estimates of ∇U = −∇C: the derivative of
    each rollout's discounted cost with its draws ε held fixed, through the known dynamics
    (backpropagation through time by hand). Returns (m, k, n) and (m,) for log σ.
    Needs 𝐀 and 𝐁 — what a model-free learner does not have. Notebook 10.

    With λ_t = ∂(Σ_{t'≥t} γ^{t'} c_{t'})/∂s_t: ∂/∂a_t = 2γ^t 𝐑 a_t + 𝐁ᵀλ_{t+1},
    λ_t = 2γ^t 𝐐 s_t + 𝐀ᵀλ_{t+1} − 𝐊ᵀ ∂/∂a_t, λ_T = 0; then ∇_𝐊 = −Σ_t (∂/∂a_t) s_tᵀ
    and ∂/∂log σ = σ Σ_t (∂/∂a_t)·ε_t.
    """
    task = _check_task(task)
    K = check_gain(task, K)
    sigma = _sigma(sigma, allow_zero=False)
    ro = _check_rollouts(ro)
    m, H = ro.costs.shape
    w = ro.discounts()
    lam = np.zeros((m, task.n))
    d_a = np.empty((m, H, task.k))
    for t in range(H - 1, -1, -1):
        s, a = ro.states[:, t], ro.actions[:, t]
        d_a[:, t] = 2 * w[t] * a @ task.R + lam @ task.B            # ∂cost/∂a_t (total)
        lam = 2 * w[t] * s @ task.Q + lam @ task.A - d_a[:, t] @ K  # ∂cost/∂s_t (total)
    g_K = -np.einsum("mtk,mtn->mkn", d_a, ro.states)                 # a_t = −𝐊s_t + σε_t
    g_s = sigma * np.einsum("mtk,mtk->m", d_a, ro.noise)
    return -g_K, -g_s                                                # ∇U = −∇C


# ---------------------------------------------------------------------------------------------
# Training: REINFORCE, vanilla or natural, many seeds at once
# ---------------------------------------------------------------------------------------------
@dataclass
class TrainingRun:
    """One seed's training: ``gains`` after each update (first = start), ``sigmas``,
    the referee's exact ``ratios`` C(𝐊)/C(𝐊*) (σ = 0), ``episodes`` used so far, the
    number of episodes when the ratio first reached the target (None if never), the wall
    time, whether a step left the stable set, and how many episodes ended early (``falls``,
    only on the nonlinear cart-pole). Notebook 10."""

    method: str
    seed: int
    gains: list
    sigmas: list
    ratios: list
    episodes: list
    episodes_to_target: int | None = None
    seconds: float = 0.0
    diverged: bool = False
    falls: int = 0

    @property
    def gain(self) -> np.ndarray:
        """The last gain."""
        return self.gains[-1]

    @property
    def reached(self) -> bool:
        return self.episodes_to_target is not None


def linear_collector(task: LQRTask):
    """The episodes :func:`train` asks for, played on the linear model itself:
    ``collect(gains (G, k, n), sigmas (G,), m, rngs)`` → Rollouts with a leading seed axis.
    Each seed's generator draws its starts, then its noise. Notebook 10."""
    task = _check_task(task)

    def collect(gains, sigmas, m, rngs):
        starts = np.stack([task.sample_starts(m, r) for r in rngs])
        noise = np.stack([r.standard_normal((m, task.horizon, task.k)) for r in rngs])
        S, act, c = _simulate(task.A, task.B, task.Q, task.R, np.asarray(gains), starts, noise,
                              np.asarray(sigmas, dtype=float))
        return Rollouts(S, noise, act, c, task.gamma)

    return collect


def train(task: LQRTask, K0, sigma, *, method: str = "vanilla", seeds=range(10),
          episodes: int = 20, step_size: float = 1.0, max_updates: int = 500,
          target: float | None = 1.05, learn_sigma: bool = False, sigma_step=None,
          baseline: str = "fitted", collector=None,
          stop_at_target: bool = True) -> list[TrainingRun]:
    """REINFORCE from gain ``K0`` with exploration ``sigma``, one run per seed, all seeds'
    episodes played as one array. Notebook 10.

    Each update plays ``episodes`` rollouts per seed, estimates
    ĝ = mean over episodes of Σ_t γ^t (G_t − b_t) ∇_𝐊 log π with the cross-fitted quadratic
    baseline of :func:`fitted_baseline` (``baseline="none"``: b_t = 0), and steps uphill on
    U = −C:

    * ``"vanilla"``: 𝐊 ← 𝐊 + η ĝ;
    * ``"natural"``: 𝐊 ← 𝐊 + η ĝ 𝚺̂⁻¹ with 𝚺̂ the same episodes' mean Σ_t γ^t s_t s_tᵀ
      (Fazel et al.'s direction ∇C 𝚺_𝐊⁻¹: the natural gradient F⁻¹∇ up to the factor σ²).

    With ``learn_sigma``, log σ climbs its own estimate with step ``sigma_step`` (vanilla:
    log σ ← log σ + η_σ ĝ_σ; natural: ĝ_σ divided by its Fisher information 2k Σ_t γ^t).
    The referee, never seen by the learner, is the exact C(𝐊)/C(𝐊*) at σ = 0; a seed stops
    when it reaches ``target`` (if ``stop_at_target``) or after ``max_updates``. A step that
    makes 𝐊 unstable stops that seed with ``diverged``. ``collector(gains, sigmas, m,
    rngs)`` plays the episodes (default: the linear model, :func:`linear_collector`;
    notebook 10 also passes the continuous cart-pole's).
    """
    task = _check_task(task)
    K0 = check_gain(task, K0)
    sigma = _sigma(sigma, allow_zero=False)
    if method not in ("vanilla", "natural"):
        raise ValueError(f"method must be 'vanilla' or 'natural'; got {method!r}.")
    if baseline not in ("fitted", "none"):
        raise ValueError(f"baseline must be 'fitted' or 'none'; got {baseline!r}.")
    m = check_count("episodes", episodes, minimum=4)
    if m % 2:
        raise ValueError(f"episodes must be even (the baseline is cross-fitted on halves); "
                         f"got {m}.")
    eta = positive_scalar("step_size", step_size)
    eta_s = eta if sigma_step is None else positive_scalar("sigma_step", sigma_step)
    max_updates = check_count("max_updates", max_updates, minimum=0)
    if target is not None:
        target = positive_scalar("target", target)
    seeds = [check_count("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty.")
    collect = collector or linear_collector(task)
    c_star = cost(task, optimal_gain(task)[0])
    limit = 1 / np.sqrt(task.gamma)

    runs = [TrainingRun(method, s, [K0.copy()], [sigma], [cost(task, K0) / c_star], [0])
            for s in seeds]
    rngs = [np.random.default_rng(s) for s in seeds]
    for run in runs:
        if target is not None and run.ratios[0] <= target:
            run.episodes_to_target = 0
    for _ in range(max_updates):
        active = [i for i, r in enumerate(runs)
                  if not r.diverged and not (stop_at_target and r.reached)]
        if not active:
            break
        t0 = time.perf_counter()
        gains = np.stack([runs[i].gains[-1] for i in active])
        sigmas = np.array([runs[i].sigmas[-1] for i in active])
        ro = collect(gains, sigmas, m, [rngs[i] for i in active])
        # ĝ for every seed at once: (G, k, n) and (G,)
        b = _fitted_baseline(ro) if baseline == "fitted" else None
        g_K, g_s = _scores_times(_weights(ro, b, "reward_to_go"), ro, sigmas)
        g_K, g_s = g_K.mean(axis=1), g_s.mean(axis=1)
        if method == "natural":
            Sigma_hat = ro.weighted_states().mean(axis=1)              # (G, n, n)
            step = np.swapaxes(np.linalg.solve(Sigma_hat, np.swapaxes(g_K, 1, 2)), 1, 2)
            step_s = g_s / (2 * task.k * np.sum(ro.discounts()))
        else:
            step, step_s = g_K, g_s
        new_gains = gains + eta * step
        new_sigmas = sigmas * np.exp(eta_s * step_s) if learn_sigma else sigmas
        radii = np.max(np.abs(np.linalg.eigvals(task.A - task.B @ new_gains)), axis=-1)
        falls = np.sum(~ro.alive[..., -1], axis=-1)
        seconds = (time.perf_counter() - t0) / len(active)
        for j, i in enumerate(active):
            run = runs[i]
            run.falls += int(falls[j])
            run.episodes.append(run.episodes[-1] + m)
            run.seconds += seconds
            if not radii[j] < limit:
                run.diverged = True
                continue
            run.gains.append(new_gains[j])
            run.sigmas.append(float(new_sigmas[j]))
            run.ratios.append(cost(task, new_gains[j]) / c_star)    # the referee
            if target is not None and not run.reached and run.ratios[-1] <= target:
                run.episodes_to_target = run.episodes[-1]
    return runs


@dataclass
class DescentPath:
    """Exact gradient descent from one gain: the ``method``, its ``step_size``, the gains and
    the exact ratios C(𝐊)/C(𝐊*) after each update (first = start). Notebook 10."""

    method: str
    step_size: float
    gains: list
    ratios: list
    diverged: bool = False

    def updates_to(self, target: float) -> int | None:
        """The number of updates after which C(𝐊)/C(𝐊*) ≤ ``target`` first (None if never)."""
        return next((i for i, r in enumerate(self.ratios) if r <= target), None)


def _descend(task, K0, sigma, method, eta, target, max_updates, c_star):
    K, path = K0.copy(), DescentPath(method, eta, [K0.copy()], [cost(task, K0) / c_star])
    limit = 1 / np.sqrt(task.gamma)
    for _ in range(max_updates):
        if path.ratios[-1] <= target:
            break
        g = gradient(task, K, sigma)
        if method == "natural":                    # ∇C 𝚺⁻¹ (F⁻¹∇C without the factor σ²)
            g = np.linalg.solve(state_covariance(task, K, sigma), g.T).T
        K = K - eta * g
        if not spectral_radius(task, K) < limit:
            path.diverged = True
            break
        path.gains.append(K.copy())
        path.ratios.append(cost(task, K) / c_star)
    return path


def exact_descent(task: LQRTask, K0, sigma, *, method: str = "vanilla", step_size=None,
                  target: float = 1.05, max_updates: int = 2000) -> DescentPath:
    """Gradient descent on the exact C(𝐊, σ) from ``K0``: ``"vanilla"`` steps −η∇_𝐊C,
    ``"natural"`` steps −η∇_𝐊C 𝚺_𝐊⁻¹, until C(𝐊)/C(𝐊*) ≤ ``target``. Without a
    ``step_size``, every η = 2^j (j = −8 … 4) is tried and the path that reaches the target in
    the fewest updates, without leaving the stable set, is returned. Notebook 10."""
    task = _check_task(task)
    K0 = check_gain(task, K0)
    sigma = _sigma(sigma, allow_zero=True)
    if method not in ("vanilla", "natural"):
        raise ValueError(f"method must be 'vanilla' or 'natural'; got {method!r}.")
    target = positive_scalar("target", target)
    max_updates = check_count("max_updates", max_updates)
    c_star = cost(task, optimal_gain(task)[0])
    if step_size is not None:
        return _descend(task, K0, sigma, method, positive_scalar("step_size", step_size),
                        target, max_updates, c_star)
    best, best_n = None, max_updates
    for j in range(4, -9, -1):
        # a smaller step wins only by reaching the target in fewer updates than the best so far,
        # so its descent stops there (a capped path is the uncapped one, cut short)
        path = _descend(task, K0, sigma, method, 2.0**j, target, best_n, c_star)
        n = path.updates_to(target)
        if not path.diverged and n is not None and (best is None or n < best_n):
            best, best_n = path, n
    if best is None:
        raise ValueError("no step size 2^j (j = −8 … 4) reached the target.")
    return best


# ---------------------------------------------------------------------------------------------
# Bounded actions, exactly: one decision with the exact quadratic continuation
# ---------------------------------------------------------------------------------------------
@functools.cache
def _legendre(n):
    return np.polynomial.legendre.leggauss(n)


def _gauss_legendre(lo, hi, n=200):
    """Gauss-Legendre nodes and weights on [lo, hi]: exact for polynomials of degree < 2n."""
    x, w = _legendre(n)
    return (hi - lo) / 2 * x + (hi + lo) / 2, (hi - lo) / 2 * w


def bounded_action_gradients(task: LQRTask, state, mean, sigma, bound) -> dict:
    """Exact expectations for one bounded decision of a one-action task, by quadrature.
    Notebook 10.

    From ``state`` s the agent draws a ~ N(mean, σ²); the environment applies the action
    u = clip(a, ±bound) (or the policy squashes, u = bound · tanh(a)); the decision costs
    q(u) = sᵀ𝐐s + 𝐑u² + γ V*(𝐀s + 𝐁u), with V* the optimal controller's exact value
    afterwards (𝐏* of :func:`optimal_gain`, noise-free), so q is an exact quadratic in u.
    Returns, for the derivatives with respect to the mean μ and to log σ of the expected
    cost: ``"exact clip"`` (differentiating E[q(clip a)] itself), ``"score, unclipped
    sample"`` (E[q(clip a) · score of a]), ``"score, clipped action"`` (E[q(clip a) · score
    of clip(a) as if it had been drawn]), ``"exact tanh"`` and ``"score, tanh"`` (the
    squashed policy's objective and E[q(bound·tanh a) · score of a] — the Jacobian of the
    squashing does not depend on θ, so this is also the score of log π(u) with the
    correction), ``"score, tanh action"`` (u scored as if drawn from the Gaussian), and
    ``"tanh density mass"``: ∫π(u) du over (−bound, bound) with and without the Jacobian.
    Each entry is an array (∂/∂μ, ∂/∂log σ).
    """
    task = _check_task(task)
    if task.k != 1:
        raise ValueError("bounded_action_gradients handles one-action tasks (k = 1).")
    s = as_float_array("state", state, shape=(task.n,))
    mu = as_finite_scalar("mean", mean)
    sigma = _sigma(sigma, allow_zero=False)
    bound = positive_scalar("bound", bound)
    K_star, P = optimal_gain(task)
    A, B, Q, R, g = task.A, task.B[:, 0], task.Q, task.R[0, 0], task.gamma
    As = A @ s
    c0, c1, c2 = s @ Q @ s + g * As @ P @ As, 2 * g * B @ P @ As, R + g * B @ P @ B

    def q(u):
        return c0 + c1 * u + c2 * u**2

    def gauss(a, m_=mu, s_=sigma):
        return np.exp(-((a - m_) ** 2) / (2 * s_**2)) / (np.sqrt(2 * np.pi) * s_)

    # integrate over a on μ ± 12σ, split at ±bound, where the integrands have kinks
    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    cuts = sorted({lo, hi, *[c for c in (-bound, bound) if lo < c < hi]})
    nodes = [_gauss_legendre(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    a = np.concatenate([x for x, _ in nodes])
    w = np.concatenate([wt for _, wt in nodes]) * gauss(a)

    def expect(f):
        return float(np.sum(w * f))

    def scores(x):          # (∂/∂μ, ∂/∂log σ) of log N(x; μ, σ²)
        z = (x - mu) / sigma
        return z / sigma, z**2 - 1

    clip = np.clip(a, -bound, bound)
    inside = np.abs(a) < bound
    z = (a - mu) / sigma
    out = {}
    # exact: d/dμ E[q(clip a)] = E[q'(a) 1{|a|<b}]; d/dlog σ = σ E[q'(a) 1{|a|<b} z]
    dq = c1 + 2 * c2 * a
    out["exact clip"] = np.array([expect(dq * inside), sigma * expect(dq * inside * z)])
    out["score, unclipped sample"] = np.array([expect(q(clip) * sc) for sc in scores(a)])
    out["score, clipped action"] = np.array([expect(q(clip) * sc) for sc in scores(clip)])
    th = bound * np.tanh(a)
    dth = bound * (1 - np.tanh(a) ** 2) * (c1 + 2 * c2 * th)
    out["exact tanh"] = np.array([expect(dth), sigma * expect(dth * z)])
    out["score, tanh"] = np.array([expect(q(th) * sc) for sc in scores(a)])
    out["score, tanh action"] = np.array([expect(q(th) * sc) for sc in scores(th)])
    # the squashed policy's density of u: N(atanh(u/b)) / |du/da|; without the Jacobian
    # the "density" does not integrate to 1
    u, wu = _gauss_legendre(-bound, bound, 400)
    pre = np.arctanh(np.clip(u / bound, -1 + 1e-16, 1 - 1e-16))
    jac = bound * (1 - np.tanh(pre) ** 2)
    out["tanh density mass"] = np.array([np.sum(wu * gauss(pre) / jac), np.sum(wu * gauss(pre))])
    out["costs"] = np.array([expect(q(clip)), expect(q(th))])
    return out
