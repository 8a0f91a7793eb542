"""helpers.critic (notebook 07): every formula the notebook states, checked independently.

* GAE(λ) against its definition Σ_l (γλ)^l δ_{t+l}; λ = 1 is G_t − v̂(s_t) and λ = 0 the TD
  error, exactly, on random episodes and on padded MDP batches;
* exact moments by enumeration against notebook 04's independent code (helpers.mdp) and
  against simulation; the γ^t factor that keeps ĝ unbiased when γ < 1;
* the optimal baseline: the trace's gradient vanishes there, and no perturbation beats it;
* notebook 06's batch-mean baseline (``baseline="batch_mean"``), exactly (enumeration)
  against simulation with the very function notebook 06 uses;
* the actor-critic's bias: linear in the critic's error, with the closed form at λ = 0;
* tabular MC and TD(0) learning; the value network's gradient against finite differences;
  truncation against termination on hand-made episodes; the critic as a weigher, with its
  own γ (0.99) whatever the actor's (notebook 06's REINFORCE has γ = 1);
* bad input raises ValueError; the exercises' checks reject the classic wrong answers.
"""

import numpy as np
import pytest

from helpers import check, exact, finite_difference_gradient, reinforce
from helpers import critic as C
from helpers import mdp as M

THETA = np.array([0.5, -1.0])


def random_mdp(rng, S=6, A=3, gamma=0.8):
    """An acyclic random MDP (states move forward; the last is terminal)."""
    P = rng.random((S, A, S)) ** 3 * np.triu(np.ones((S, S)), k=1)[:, None, :]
    P[S - 1] = 0.0
    P[: S - 1] /= P[: S - 1].sum(axis=2, keepdims=True)
    rho = np.r_[rng.random(S - 1) + 0.1, 0.0]
    return M.TabularMDP(P, rng.normal(size=(S, A)), rho / rho.sum(), terminal=[S - 1],
                        gamma=gamma)


@pytest.fixture(params=[1.0, 0.7], ids=["gamma=1", "gamma=0.7"])
def problem(request):
    rng = np.random.default_rng(7)
    mdp = random_mdp(rng, gamma=request.param)
    policy = M.feature_softmax(rng.normal(size=(mdp.n_states, mdp.n_actions, 3)))
    return mdp, policy, rng.normal(size=3), rng


# ---------------------------------------------------------------- GAE on arrays ---------
def test_gae_matches_its_definition_and_both_ends():
    rng = np.random.default_rng(0)
    for T, gamma, lam in [(1, 0.9, 0.5), (7, 0.99, 0.95), (12, 1.0, 0.3), (5, 0.5, 1.0)]:
        r, v, v_last = rng.normal(size=T), rng.normal(size=T), rng.normal()
        v_next = np.append(v[1:], v_last)
        delta = C.td_errors(r, v, v_next, gamma)
        np.testing.assert_allclose(delta, r + gamma * v_next - v, atol=1e-14)
        brute = [sum((gamma * lam) ** k * delta[t + k] for k in range(T - t)) for t in range(T)]
        np.testing.assert_allclose(C.gae(delta, gamma, lam), brute, atol=1e-12)
        # λ = 0: the TD error itself, exactly
        np.testing.assert_array_equal(C.gae(delta, gamma, 0.0), delta)
        # λ = 1: the (bootstrapped) return minus v̂ — G_t = Σ γ^k r_{t+k} + γ^{T−t} v(s_T)
        G = reinforce.reward_to_go(np.append(r[:-1], r[-1] + gamma * v_last), gamma)
        np.testing.assert_allclose(C.gae(delta, gamma, 1.0), G - v, atol=1e-12)


def test_gae_on_a_padded_batch_equals_each_row():
    rng = np.random.default_rng(1)
    d = rng.normal(size=(3, 6))
    lengths = [6, 2, 4]
    for i, n in enumerate(lengths):
        d[i, n:] = 0.0
    A = C.gae(d, 0.9, 0.7)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(A[i, :n], C.gae(d[i, :n], 0.9, 0.7), atol=1e-14)
        assert np.all(A[i, n:] == 0)


@pytest.mark.parametrize("lam", [-0.1, 1.01, np.nan, "a"])
def test_lambda_outside_0_1_is_refused(lam):
    with pytest.raises(ValueError, match="lam|λ"):
        C.gae([1.0, 2.0], 0.9, lam)


@pytest.mark.parametrize("gamma", [0.0, -0.5, 1.2, np.inf])
def test_gamma_outside_0_1_is_refused(gamma):
    with pytest.raises(ValueError, match=r"gamma must lie in \(0, 1\]|gamma"):
        C.gae([1.0, 2.0], gamma, 0.5)
    with pytest.raises(ValueError, match="gamma"):
        C.td_errors([1.0], [0.0], [0.0], gamma)
    with pytest.raises(ValueError, match="gamma"):
        C.Critic(C.CriticConfig(gamma=gamma), rng=np.random.default_rng(0))


def test_gae_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        C.gae(np.zeros((2, 2, 2)), 0.9, 0.5)
    with pytest.raises(ValueError, match="shape"):
        C.td_errors([1.0, 1.0], [0.0], [0.0, 0.0], 0.9)


# ---------------------------------------------------------------- the tiny MDP ----------
def test_mdp_advantages_at_both_ends(problem):
    mdp, policy, theta, rng = problem
    batch = M.sample_trajectories(mdp, policy, theta, 50, rng)
    v = rng.normal(size=mdp.n_states)
    v0 = np.where(mdp.terminal, 0.0, v)
    mc = np.where(batch.mask, batch.reward_to_go(mdp.gamma) - v0[batch.states], 0.0)
    np.testing.assert_allclose(C.mdp_advantages(mdp, batch, v, lam=1.0), mc, atol=1e-12)
    td = np.where(batch.mask, batch.rewards + mdp.gamma * v0[batch.next_states]
                  - v0[batch.states], 0.0)
    np.testing.assert_array_equal(C.mdp_advantages(mdp, batch, v, lam=0.0), td)
    np.testing.assert_array_equal(C.mdp_td_errors(mdp, batch, v), td)
    # no critic and λ = 1: plain reward-to-go
    np.testing.assert_allclose(C.mdp_advantages(mdp, batch), batch.reward_to_go(mdp.gamma),
                               atol=1e-12)


def test_every_state_baseline_and_the_exact_critic_are_unbiased(problem):
    mdp, policy, theta, rng = problem
    exact = M.exact_gradient(mdp, policy, theta)
    V, _ = M.policy_evaluation(mdp, policy, theta)
    for values in (None, rng.normal(size=mdp.n_states), V):
        assert C.estimator_moments(mdp, policy, theta, values=values).bias_norm < 1e-12
    for lam in (0.0, 0.4, 1.0):   # with the exact V every λ is unbiased
        np.testing.assert_allclose(
            C.estimator_moments(mdp, policy, theta, values=V, lam=lam).mean, exact, atol=1e-12)
    # an inexact critic with λ < 1 is biased
    wrong = V + rng.normal(size=mdp.n_states)
    assert C.estimator_moments(mdp, policy, theta, values=wrong, lam=0.0).bias_norm > 1e-3


def test_the_gamma_t_factor_is_what_keeps_the_estimate_unbiased():
    mdp = random_mdp(np.random.default_rng(3), gamma=0.6)
    policy = M.tabular_softmax(mdp.n_states, mdp.n_actions)
    theta = np.random.default_rng(4).normal(size=policy.n_params)
    batch, p = M.enumerate_trajectories(mdp, policy, theta)
    A = C.mdp_advantages(mdp, batch)                                # G_t
    with_gamma_t = p @ C.trajectory_gradients(mdp, policy, theta, batch, A)
    score = policy.scores(theta)[batch.states, batch.actions]
    without = p @ np.einsum("mt,mtk->mk", np.where(batch.mask, A, 0), score)
    exact = M.exact_gradient(mdp, policy, theta)
    np.testing.assert_allclose(with_gamma_t, exact, atol=1e-12)
    assert np.linalg.norm(without - exact) > 1e-2


def test_trace_cov_agrees_with_notebook_04s_code_and_with_simulation():
    mdp, policy = M.example_mdp()                      # γ = 1: both conventions coincide
    b = np.array([-1.0, -0.5, 0.3, -0.2, 0.0])
    ours = C.estimator_moments(mdp, policy, THETA, values=b)
    theirs = M.estimator_mean_squared_error(mdp, policy, THETA, reward_to_go=True, baseline=b)
    assert ours.trace_cov == pytest.approx(theirs, rel=1e-12)
    assert C.baseline_moments(mdp, policy, THETA, b).trace_cov == pytest.approx(theirs, rel=1e-12)
    # the TD-error estimator (no code shared with helpers.mdp) against simulation
    V, _ = M.policy_evaluation(mdp, policy, THETA)
    mo = C.estimator_moments(mdp, policy, THETA, values=V, lam=0.0)
    batch = M.sample_trajectories(mdp, policy, THETA, 200_000, np.random.default_rng(5))
    g = C.trajectory_gradients(mdp, policy, THETA, batch, C.mdp_advantages(mdp, batch, V, 0.0))
    se = g.std(axis=0) / np.sqrt(len(g))
    assert np.all(np.abs(g.mean(axis=0) - mo.mean) < 4 * se)
    assert np.sum(g.var(axis=0)) == pytest.approx(mo.trace_cov, rel=0.02)


def test_estimator_moments_bookkeeping():
    mo = exact.Moments(np.array([1.0, 2.0]), 3.0, reference=np.array([1.0, 0.0]), m=4)
    assert mo.bias_norm == 2.0 and mo.mse == 7.0 and mo.per_trajectory == 12.0
    got = C.estimator_moments(*M.example_mdp(), THETA)
    assert isinstance(got, exact.Moments) and got.method == "exact" and got.n_terms == 10


def test_optimal_baseline_minimises_the_trace(problem):
    mdp, policy, theta, rng = problem
    b = C.optimal_baseline(mdp, policy, theta)
    live = ~mdp.terminal

    def trace(x):
        return C.baseline_moments(mdp, policy, theta, x).trace_cov

    best = trace(b)
    grad = finite_difference_gradient(trace, b, h=1e-4)
    assert np.max(np.abs(grad[live])) < 1e-7
    for _ in range(20):
        assert trace(b + 0.1 * rng.normal(size=b.size) * live) > best
    V, _ = M.policy_evaluation(mdp, policy, theta)
    assert best < trace(V) < trace(np.zeros(mdp.n_states))
    # one baseline per parameter: each component's own minimum, so the trace can only fall
    bk = C.optimal_baseline(mdp, policy, theta, per_parameter=True)
    assert bk.shape == (mdp.n_states, policy.n_params)
    per = C.baseline_moments(mdp, policy, theta, bk).trace_cov
    assert per < best - 1e-6     # random shared features: strictly better here
    for k in range(policy.n_params):
        bumped = bk.copy()
        bumped[live, k] += 0.05 * rng.normal(size=live.sum())
        assert C.baseline_moments(mdp, policy, theta, bumped).trace_cov > per


def test_optimal_baseline_in_the_example_mdp():
    """Each state's score touches one parameter, so the shared and per-parameter optima
    coincide; at θ = 0 the optimum is V itself (every score has the same length)."""
    mdp, policy = M.example_mdp()
    b = C.optimal_baseline(mdp, policy, THETA)
    bk = C.optimal_baseline(mdp, policy, THETA, per_parameter=True)
    np.testing.assert_allclose(bk.sum(axis=1), b, atol=1e-12)
    V0, _ = M.policy_evaluation(mdp, policy, np.zeros(2))
    np.testing.assert_allclose(C.optimal_baseline(mdp, policy, np.zeros(2)), V0, atol=1e-12)
    V, _ = M.policy_evaluation(mdp, policy, THETA)
    assert not np.allclose(b, V, atol=0.05)
    # b*(s) = E[‖ψ‖² G | s] / E[‖ψ‖² | s] in this MDP: no cross terms between the steps
    # survive, since every score of a step touches its own parameter
    pi, score = policy.probs(THETA), policy.scores(THETA)
    _, Q = M.policy_evaluation(mdp, policy, THETA)
    pi, score, Q = pi[:4], score[:4], Q[:4]                # the four non-terminal states
    sq = np.sum(score ** 2, axis=2)
    np.testing.assert_allclose(b[:4], (pi * sq * Q).sum(1) / (pi * sq).sum(1), atol=1e-12)


def test_baseline_moments_rejects_a_bad_shape():
    mdp, policy = M.example_mdp()
    with pytest.raises(ValueError, match="one number per state"):
        C.baseline_moments(mdp, policy, THETA, np.zeros(3))


# ------------------------------------------------- notebook 06's baselines, exactly -----
def test_batch_baselines_at_the_extremes():
    mdp, policy = M.example_mdp()
    exact = M.exact_gradient(mdp, policy, THETA)
    one = C.batch_baseline_moments(mdp, policy, THETA, 1)
    np.testing.assert_allclose(one.mean, 0, atol=1e-15)    # b = G: every weight is 0
    assert one.trace_cov == pytest.approx(0, abs=1e-20)
    loo1 = C.batch_baseline_moments(mdp, policy, THETA, 1, kind="leave_one_out")
    plain = C.estimator_moments(mdp, policy, THETA)
    assert loo1.trace_cov == pytest.approx(plain.trace_cov, rel=1e-12)
    for m in (2, 3):
        loo = C.batch_baseline_moments(mdp, policy, THETA, m, kind="leave_one_out")
        np.testing.assert_allclose(loo.mean, exact, atol=1e-12)            # unbiased
        mean = C.batch_baseline_moments(mdp, policy, THETA, m)
        # at t = 0 every trajectory is alive: the weight is shrunk by exactly (m − 1)/m
        assert mean.bias_norm > 0.05 and np.all(np.abs(mean.mean) < np.abs(exact))


def test_batch_mean_baseline_against_notebook_06s_function():
    mdp, policy = M.example_mdp()
    mo = C.batch_baseline_moments(mdp, policy, THETA, 2)
    batch = M.sample_trajectories(mdp, policy, THETA, 2 * 4000, np.random.default_rng(9))
    score = policy.scores(THETA)[batch.states, batch.actions]
    G = batch.reward_to_go()
    ests = []
    for i in range(0, batch.m, 2):
        rows = [G[j, : batch.lengths[j]] for j in (i, i + 1)]
        b = reinforce.per_timestep_baseline(rows)
        ests.append(sum(((g - b[: g.size])[:, None] * score[j, : g.size]).sum(0)
                        for j, g in zip((i, i + 1), rows, strict=True)) / 2)
    ests = np.array(ests)
    se = ests.std(axis=0) / np.sqrt(len(ests))
    assert np.all(np.abs(ests.mean(axis=0) - mo.mean) < 4 * se + 1e-12)
    assert np.sum(ests.var(axis=0)) == pytest.approx(mo.trace_cov, rel=0.15)


def test_batch_baseline_bad_input():
    mdp, policy = M.example_mdp()
    with pytest.raises(ValueError, match="kind"):
        C.batch_baseline_moments(mdp, policy, THETA, 2, kind="median")
    with pytest.raises(ValueError, match="too many"):
        C.batch_baseline_moments(mdp, policy, THETA, 6)
    with pytest.raises(ValueError, match="at least 1"):
        C.batch_baseline_moments(mdp, policy, THETA, 0)


# ------------------------------------------------------- the actor-critic's bias --------
def test_bias_is_linear_in_the_critic_error(problem):
    mdp, policy, theta, rng = problem
    V, _ = M.policy_evaluation(mdp, policy, theta)
    for lam in (0.0, 0.6, 1.0):
        B = C.critic_bias_matrix(mdp, policy, theta, lam)
        for _ in range(3):
            e = rng.normal(size=mdp.n_states)
            mo = C.estimator_moments(mdp, policy, theta, values=V + e, lam=lam)
            np.testing.assert_allclose(mo.bias, B @ e, atol=1e-10)
        if lam == 1.0:
            np.testing.assert_allclose(B, 0, atol=1e-12)


def test_bias_closed_form_at_lambda_0(problem):
    mdp, policy, theta, _ = problem
    B = C.critic_bias_matrix(mdp, policy, theta, 0.0)
    d = M.discounted_visitation(mdp, policy, theta)
    closed = mdp.gamma * np.einsum("s,sa,sat,sak->kt", d, policy.probs(theta), mdp.P,
                                   policy.scores(theta))
    live = ~mdp.terminal
    np.testing.assert_allclose(B[:, live], closed[:, live], atol=1e-12)
    np.testing.assert_array_equal(B[:, ~live], 0)
    start_only = (mdp.rho > 0) & ~(mdp.P.sum(axis=(0, 1)) > 0)   # never a next state
    np.testing.assert_allclose(B[:, start_only], 0, atol=1e-14)


def test_two_step_mdp_bias_falls_like_one_minus_lambda():
    mdp, policy = M.example_mdp()
    B0 = C.critic_bias_matrix(mdp, policy, THETA, 0.0)
    for lam in (0.25, 0.5, 0.9):
        np.testing.assert_allclose(C.critic_bias_matrix(mdp, policy, THETA, lam),
                                   (1 - lam) * B0, atol=1e-12)


# --------------------------------------------------------------- learning v̂ -------------
@pytest.mark.parametrize("method", ["mc", "td"])
def test_learned_values_approach_V(method):
    mdp, policy = M.example_mdp()
    V, _ = M.policy_evaluation(mdp, policy, THETA)
    batch = M.sample_trajectories(mdp, policy, THETA, 10_000, np.random.default_rng(2))
    hist = C.learn_values(mdp, batch, method=method, step_size=0.003)
    assert hist.shape == (10_001, mdp.n_states) and np.all(hist[0] == 0)
    # with a constant step size the weights keep jittering around V: average the last half
    # (D, the noisiest state, is seen ~2000 times there: the average's std is about 0.03)
    assert np.max(np.abs(hist[-5000:].mean(axis=0) - V)) < 0.1
    assert np.abs(hist[-1] - V).max() < np.abs(hist[100] - V).max()


def test_learn_values_one_step_by_hand():
    mdp, policy = M.example_mdp()
    batch = M.enumerate_trajectories(mdp, policy, THETA)[0]
    i = next(i for i in range(batch.m) if batch.describe(mdp, i) == "A -right-> D -right-> end")
    one = M.Trajectories(*(x[i: i + 1] for x in (batch.states, batch.actions, batch.rewards,
                                                 batch.next_states, batch.mask)))
    w0 = np.array([1.0, 0.0, 0.0, 2.0, 0.0])
    # TD(0), α = 0.5: A ← 1 + 0.5 (0 + w_D − 1) = 1.5, then D ← 2 + 0.5 (1 + 0 − 2) = 1.5
    np.testing.assert_allclose(C.learn_values(mdp, one, method="td", step_size=0.5,
                                              values=w0)[-1], [1.5, 0, 0, 1.5, 0])
    # MC: G_0 = 0 + 1 = 1, G_1 = 1: A ← 1 + 0.5 (1 − 1) = 1, D ← 2 + 0.5 (1 − 2) = 1.5
    np.testing.assert_allclose(C.learn_values(mdp, one, method="mc", step_size=0.5,
                                              values=w0)[-1], [1, 0, 0, 1.5, 0])


def test_learn_values_bad_input():
    mdp, policy = M.example_mdp()
    batch = M.sample_trajectories(mdp, policy, THETA, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="'mc'"):
        C.learn_values(mdp, batch, method="q", step_size=0.1)
    with pytest.raises(ValueError, match="at most 1"):
        C.learn_values(mdp, batch, method="td", step_size=2.0)
    with pytest.raises(ValueError, match="positive"):
        C.learn_values(mdp, batch, method="td", step_size=0.0)
    with pytest.raises(ValueError, match="Trajectories"):
        C.learn_values(mdp, "episodes", method="td", step_size=0.1)
    timed = M.TabularMDP(mdp.P, mdp.r, mdp.rho, terminal=[4], horizon=2)
    with pytest.raises(ValueError, match="horizon"):
        C.mdp_advantages(timed, batch)
    with pytest.raises(ValueError, match="one number per state"):
        C.mdp_advantages(mdp, batch, values=[1.0, 2.0])


# ---------------------------------------------------------------- CartPole ---------------
def test_value_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = C.ValueNetwork(hidden=5, scale=10.0, rng=rng)
    np.testing.assert_array_equal(net.values(rng.normal(size=(3, 4))), 0)   # starts at 0
    net.set_params(rng.normal(size=net.n_params) * 0.5)
    obs, y = rng.normal(size=(9, 4)), rng.normal(size=9) * 5

    def loss(w):
        return C.ValueNetwork(hidden=5, scale=10.0, rng=rng).set_params(w).loss(obs, y)

    g = net.loss_grad(obs, y)
    assert net.n_params == 4 * 5 + 5 + 5 + 1 and np.max(np.abs(g)) > 1e-2
    np.testing.assert_allclose(g, finite_difference_gradient(loss, net.w, h=1e-6),
                               rtol=1e-6, atol=1e-7)


def test_value_network_bad_input():
    net = C.ValueNetwork(rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape"):
        net.values(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        net.loss(np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="Generator"):
        C.ValueNetwork(rng=0)


def _episode(n, *, truncated, final=None):
    return reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), np.ones(n),
                             terminated=not truncated, truncated=truncated, final_obs=final)


def test_truncation_bootstraps_and_termination_does_not():
    """A hand-made episode: v̂ = 100 everywhere except 40 at the final state."""
    def values(obs):
        return np.where(obs[:, 0] == 9.0, 40.0, 100.0)

    gamma = 0.99
    final = np.array([9.0, 0, 0, 0])
    trunc, term = _episode(3, truncated=True, final=final), _episode(3, truncated=False)
    A_tr, v = C.episode_advantages(trunc, values, gamma, 0.0)
    np.testing.assert_allclose(v, 100)
    np.testing.assert_allclose(A_tr, [1 + gamma * 100 - 100] * 2 + [1 + gamma * 40 - 100])
    A_te, _ = C.episode_advantages(term, values, gamma, 0.0)
    np.testing.assert_allclose(A_te[-1], 1 - 100)       # a fall: nothing after it
    # the mistake: the time limit treated as a fall
    A_wrong, _ = C.episode_advantages(trunc, values, gamma, 0.0, bootstrap_truncated=False)
    np.testing.assert_allclose(A_wrong, A_te)
    # λ = 1: the return bootstrapped at the cut, minus v̂
    A1, _ = C.episode_advantages(trunc, values, gamma, 1.0)
    G = np.array([1 + gamma + gamma**2 * (1 + gamma * 40), 1 + gamma * (1 + gamma * 40),
                  1 + gamma * 40])
    np.testing.assert_allclose(A1, G - 100, atol=1e-12)
    with pytest.raises(ValueError, match="final_obs"):
        C.episode_advantages(_episode(3, truncated=True), values, gamma, 0.5)
    with pytest.raises(ValueError, match="Episode"):
        C.episode_advantages("episode", values, gamma, 0.5)


def test_critic_weighs_with_the_old_values_then_fits():
    rng = np.random.default_rng(0)

    def obs(n):   # the first coordinate says how many steps are left: v̂ can learn from it
        o = rng.normal(size=(n, 4)) * 0.01
        o[:, 0] = np.arange(n, 0, -1) / 30
        return o

    episodes = [reinforce.Episode(obs(n), np.zeros(n, int), np.ones(n), terminated=True,
                          truncated=False) for n in (15, 30)]
    critic = C.Critic(C.CriticConfig(gamma=0.99, lam=0.9, normalise=False, steps=3),
                      rng=np.random.default_rng(1))
    w_before = critic.net.w.copy()
    A = critic(episodes)
    expected = [C.episode_advantages(ep, C.ValueNetwork(hidden=16, scale=100, rng=rng)
                                     .set_params(w_before).values, 0.99, 0.9)[0]
                for ep in episodes]
    for a, b in zip(A, expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert not np.array_equal(critic.net.w, w_before)            # and then it learned
    for _ in range(200):
        critic(episodes)
    assert critic.value_loss[-1] < 0.1 * critic.value_loss[0]
    normed = C.Critic(C.CriticConfig(min_std=0.0), rng=np.random.default_rng(1))(episodes)
    flat = np.concatenate(normed)
    assert abs(flat.mean()) < 1e-9 and flat.std() == pytest.approx(1, rel=1e-6)


def test_critic_config_validation():
    for bad, match in [(dict(lam=2.0), "λ"), (dict(lr=0.0), "positive"),
                       (dict(steps=0), "at least 1"), (dict(min_std=-1.0), "min_std")]:
        with pytest.raises(ValueError, match=match):
            C.Critic(C.CriticConfig(**bad), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one episode"):
        C.Critic(rng=np.random.default_rng(0))([])


def test_train_with_a_critic_learns_and_repeats_under_a_seed():
    cfg = reinforce.Config(max_steps=15_000)
    h1, c1 = C.train(cfg, C.CriticConfig(lam=0.95), seed=3)
    h2, _ = C.train(cfg, C.CriticConfig(lam=0.95), seed=3)
    assert h1.episode_returns == h2.episode_returns
    assert len(c1.value_loss) == len(h1.params) - 1
    assert np.mean(h1.episode_returns[-20:]) > 2 * np.mean(h1.episode_returns[:20])


def test_the_critic_discounts_with_its_own_gamma_not_the_actors():
    """Notebook 06's REINFORCE is undiscounted (Config().gamma = 1); the critic keeps
    γ = 0.99 from CriticConfig, and the actor's γ does not change a critic run at all."""
    assert reinforce.Config().gamma == 1.0 and C.CriticConfig().gamma == 0.99
    runs = [C.train(reinforce.Config(max_steps=4_000, gamma=g), seed=2) for g in (1.0, 0.9)]
    (h1, c1), (h2, c2) = runs
    assert c1.gamma == c2.gamma == 0.99
    assert h1.episode_returns == h2.episode_returns
    np.testing.assert_array_equal(h1.params[-1], h2.params[-1])
    h3, c3 = C.train(reinforce.Config(max_steps=4_000), C.CriticConfig(gamma=0.9), seed=2)
    assert c3.gamma == 0.9 and not np.array_equal(h3.params[-1], h1.params[-1])
    with pytest.raises(ValueError, match="CriticConfig"):
        C.Critic(0.99, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- exercises -------------
def test_exercise_gae_by_hand_rejects_the_classic_slips():
    r, v = np.array([1.0, 1.0, 1.0]), np.array([2.0, 1.5, 1.0])
    gamma, lam = 0.9, 0.5
    delta = C.td_errors(r, v, np.append(v[1:], 0.0), gamma)
    expected = C.gae(delta, gamma, lam)[0]
    assert check(delta[0] + gamma * lam * delta[1] + (gamma * lam) ** 2 * delta[2], expected,
                 quiet=True).correct
    no_gamma = delta[0] + lam * delta[1] + lam**2 * delta[2]            # λ^l without γ
    return_minus_v = reinforce.reward_to_go(r, gamma)[0] - v[0]                  # λ = 1 instead
    for wrong in (no_gamma, return_minus_v, delta[0]):
        res = check(wrong, expected, rtol=2e-3, quiet=True, hint="(γλ)^l")
        assert not res.correct and "(γλ)^l" in res.message


def test_exercise_which_lambda_is_unbiased():
    assert check(1.0, 1.0, quiet=True).correct
    res = check(0.0, 1.0, quiet=True, hint="which λ never uses v̂(s_{t+1})?")
    assert not res.correct and "never uses" in res.message


def test_moments_table_and_averaging():
    mdp, policy = M.example_mdp()
    one = C.estimator_moments(mdp, policy, THETA)
    two = one.averaged(2)
    assert two.trace_cov == one.trace_cov / 2 and two.m == 2
    np.testing.assert_array_equal(two.mean, one.mean)
    assert one.noise_to_signal == pytest.approx(one.trace_cov / np.sum(one.reference ** 2))
    table = C.moments_table({"plain": one, "batch": C.batch_baseline_moments(mdp, policy,
                                                                            THETA, 2)}, m=2)
    lines = table.splitlines()
    assert len(lines) == 3 and f"{two.trace_cov:8.4f}" in lines[1] and "noise/signal" in lines[0]
    with pytest.raises(ValueError, match="not 1 or 3"):
        C.moments_table({"batch": C.batch_baseline_moments(mdp, policy, THETA, 2)}, m=3)
    with pytest.raises(ValueError, match="not a Moments"):
        C.moments_table({"x": 1.0})


def test_claims_script_matches_the_notebook():
    """benchmarks/critic_claims.py validates notebook 07's asserts; it must read the
    notebook's own settings and print the bounds the notebook asserts."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("critic_claims",
                                                  root / "benchmarks/critic_claims.py")
    claims = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(claims)
    nb = json.loads((root / "notebooks/07_learned_baseline_and_actor_critic.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    a, b = claims.THETA
    half = claims.EXPLORER_EPISODES // 2
    for setting in (f"np.array([{a}, {b}])", f"theta, {claims.N_LEARN}, rng",
                    f"step_size={claims.STEP_SIZE}", f"theta, {claims.N_SAMPLE}, rng",
                    f"range(SEED, SEED + {claims.WINDOW}), {claims.BUDGET:_}",
                    f"SEEDS[:{claims.FEW}], {claims.SHORT:_}",
                    f"batch_steps, {claims.EXPLORER_STEPS:_}",
                    f"sample_episodes(player, {claims.EXPLORER_EPISODES}, seed=SEED)",
                    f"played[:{half}], played[{half}:{claims.EXPLORER_EPISODES}]"):
        assert setting in code, setting
    script = Path(spec.origin).read_text()
    for bound, printed in (("0.75 < r < 1.35", "in (0.75, 1.35)"),
                           ("1e-4 < ac[\"δ_t with v̂_TD\"].bias_norm < 0.1", "in (1e-4, 0.1)"),
                           ("var[0] < 0.9 * var[-1]", "\"< 0.9\""),
                           ("best_lam[2] <= 0.2", "\"<= 0.2\""),
                           ("best_lam[100] >= best_lam[2]", "\">= 0\""),
                           ("gap < 1e-5", "\"< 1e-5\""),
                           ("len(solved) >= 1", "\">= 1\""),
                           ("a.mean() >= 475", "\">= 475\""),
                           ("[0] for h in hs]) > 400", "\"> 400\""),
                           ("median_30k[\"λ = 0\"] < 150", "\"< 150\""),
                           ("if k != \"λ = 0\") > 200", "\"> 200\""),
                           ("5 < tilt < 15", "\"in (5, 15)\""),
                           ("assert not np.allclose(v_mc[:, :2], v_td[:, :2])",
                            "\"== 1 (not allclose)\"")):
        assert bound in code, bound
        assert printed in script, printed
