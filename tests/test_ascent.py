"""helpers.ascent (notebook 04, section 7): climbing U counted in episodes.

* the vectorised rollouts are unbiased for U and ∇U (against the exact values);
* exact-gradient ascent is the plain loop θ ← θ + η ∇U, and the batched Bellman solve is U;
* the evolution strategy's expected step is the gradient of the smoothed objective
  E_ε[U(θ + σε)] (Gauss–Hermite quadrature), and its noise, relative to the score-function
  estimator's, grows with the number of parameters K (the notebook's claim);
* episodes_to_reach, and bad arguments raising ValueError;
* the corridor: T independent decisions; its exact gradient costs equal the enumerated
  per-episode errors (score function) and simulated pair moments (evolution strategy), and
  say what the notebook says (who wins where).
"""

import numpy as np
import pytest

from helpers import ascent
from helpers import mdp as M

MDP, POLICY = M.example_mdp()


def test_rollouts_are_unbiased_for_U_and_grad_U():
    rng = np.random.default_rng(0)
    theta = np.array([0.5, -1.0])
    ret, score = ascent._rollouts(MDP, POLICY, np.tile(theta, (200_000, 1)), rng)
    g = ret[:, None] * score
    se_g, se_U = g.std(0) / np.sqrt(len(g)), ret.std() / np.sqrt(len(ret))
    assert np.all(np.abs(g.mean(0) - M.exact_gradient(MDP, POLICY, theta)) < 5 * se_g)
    assert abs(ret.mean() - M.exact_performance(MDP, POLICY, theta)) < 5 * se_U


def test_batched_performance_is_the_bellman_value():
    thetas = np.random.default_rng(1).normal(size=(7, 2)) * 2
    np.testing.assert_allclose(ascent._performance(MDP, POLICY, thetas),
                               [M.exact_performance(MDP, POLICY, t) for t in thetas], atol=1e-12)


def test_exact_ascent_is_the_plain_loop():
    run = ascent.gradient_ascent(MDP, POLICY, [0.0, 0.0], eta=1.0, n_steps=5)
    theta = np.zeros(2)
    for k in range(5):
        assert run["U"][0, k] == pytest.approx(M.exact_performance(MDP, POLICY, theta), abs=1e-12)
        theta = theta + M.exact_gradient(MDP, POLICY, theta)
    np.testing.assert_allclose(run["theta"][0, -1], theta, atol=1e-12)
    assert np.all(run["episodes"] == 0)


def test_sampled_ascent_counts_episodes_and_climbs_on_average():
    run = ascent.gradient_ascent(MDP, POLICY, [0.0, 0.0], eta=1.0, m=2, n_steps=30, n_runs=50,
                                 rng=np.random.default_rng(2))
    assert run["U"].shape == (50, 31) and run["theta"].shape == (50, 31, 2)
    np.testing.assert_array_equal(run["episodes"], 2 * np.arange(31))
    assert run["U"][:, -1].mean() > run["U"][:, 0].mean() + 0.8


def _smoothed_gradient(theta, sigma, n=40):
    """∇ E_ε[U(θ + σε)] = E_ε[U(θ + σε) ε] / σ, by Gauss–Hermite quadrature in two dimensions."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    e1, e2 = np.meshgrid(x, x, indexing="ij")
    eps = np.stack([e1.ravel(), e2.ravel()], axis=1)
    U = ascent._performance(MDP, POLICY, theta + sigma * eps)
    weights = np.outer(w, w).ravel()
    return (weights * U) @ eps / sigma


def test_evolution_strategy_follows_the_smoothed_gradient():
    theta, sigma, n = np.array([0.5, -1.0]), 1.0, 200_000
    rng = np.random.default_rng(3)
    eps = rng.standard_normal((n, 2))
    plus, _ = ascent._rollouts(MDP, POLICY, theta + sigma * eps, rng)
    minus, _ = ascent._rollouts(MDP, POLICY, theta - sigma * eps, rng)
    est = ((plus - minus) / (2 * sigma))[:, None] * eps
    se = est.std(0) / np.sqrt(n)
    smoothed = _smoothed_gradient(theta, sigma)
    assert np.all(np.abs(est.mean(0) - smoothed) < 5 * se)
    # and the smoothed gradient is not ∇U itself at σ = 1 (it is only as σ → 0)
    assert np.linalg.norm(smoothed - M.exact_gradient(MDP, POLICY, theta)) > 10 * se.max()
    np.testing.assert_allclose(_smoothed_gradient(theta, 1e-3),
                               M.exact_gradient(MDP, POLICY, theta), atol=1e-5)


def test_one_es_step_is_the_formula():
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    run = ascent.evolution_strategy(MDP, POLICY, [0.2, 0.1], eta=0.5, sigma=0.7, n_steps=1,
                                    n_directions=3, rng=rng_a)
    eps = rng_b.standard_normal((1, 3, 2))
    points = np.concatenate([[0.2, 0.1] + 0.7 * eps, [0.2, 0.1] - 0.7 * eps], axis=1)
    ret, _ = ascent._rollouts(MDP, POLICY, points.reshape(-1, 2), rng_b)
    ret = ret.reshape(2, 3)
    expected = np.array([0.2, 0.1]) + 0.5 / (2 * 0.7 * 3) * (ret[0] - ret[1]) @ eps[0]
    np.testing.assert_allclose(run["theta"][0, 1], expected, atol=1e-12)
    np.testing.assert_array_equal(run["episodes"], [0, 6])


def _relative_noise(K, rng, n=40_000, sigma=0.1):
    """tr Cov / ‖mean‖² of one antithetic pair's estimate, and of one trajectory's ĝ, at θ = 0."""
    policy = M.feature_softmax(rng.normal(size=(5, 2, K)) / np.sqrt(K))
    theta = np.zeros(K)
    eps = rng.standard_normal((n, K))
    plus, _ = ascent._rollouts(MDP, policy, theta + sigma * eps, rng)
    minus, _ = ascent._rollouts(MDP, policy, theta - sigma * eps, rng)
    es = ((plus - minus) / (2 * sigma))[:, None] * eps
    grad = M.exact_gradient(MDP, policy, theta)
    es_noise = np.mean(np.sum((es - grad) ** 2, axis=1)) / grad @ grad
    sf_noise = M.estimator_mean_squared_error(MDP, policy, theta) / grad @ grad
    return es_noise, sf_noise


def test_evolution_strategy_noise_grows_with_K_against_the_score_function():
    """Per episode, ES's noise relative to the score function's grows about like K (×4 from
    K = 2 to 8; section 6 of notebook 04 shows the score function's own count does not grow)."""
    rng = np.random.default_rng(5)
    ratio = {K: np.median([np.divide(*_relative_noise(K, rng)) for _ in range(15)]) for K in (2, 8)}
    assert ratio[8] > 2 * ratio[2]


def test_episodes_to_reach():
    run = {"U": np.array([[-1.0, -0.5, 0.1, 0.3], [-1.0, -0.9, -0.8, -0.7]]),
           "episodes": np.array([0, 2, 4, 6])}
    np.testing.assert_array_equal(ascent.episodes_to_reach(run, 0.0), [4, np.inf])
    with pytest.raises(ValueError, match="run must be a dict"):
        ascent.episodes_to_reach([1, 2], 0.0)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ascent.gradient_ascent(MDP, POLICY, [0, 0], eta=-1.0, n_steps=3), "eta"),
    (lambda: ascent.gradient_ascent(MDP, POLICY, [0, 0, 0], eta=1.0, n_steps=3), "theta"),
    (lambda: ascent.gradient_ascent(MDP, POLICY, [0, 0], eta=1.0, n_steps=3, m=0, rng=None), "m"),
    (lambda: ascent.gradient_ascent(MDP, POLICY, [0, 0], eta=1.0, n_steps=3, m=1, rng=7),
     "rng|Generator"),
    (lambda: ascent.evolution_strategy(MDP, POLICY, [0, 0], eta=1.0, sigma=0.0, n_steps=3,
                                       rng=np.random.default_rng()), "sigma"),
    (lambda: ascent.evolution_strategy(MDP, POLICY, [0, 0], eta=1.0, sigma=1.0, n_steps=3,
                                       n_runs=0, rng=np.random.default_rng()), "n_runs"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------
# The corridor of notebook 04, section 7: when does the black box win?
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shared", [True, False])
def test_corridor_is_T_independent_decisions(shared):
    tiny, policy = ascent.corridor_mdp(4, shared=shared)
    theta = np.full(policy.n_params, 0.7)
    p = 1 / (1 + np.exp(-0.7))
    assert M.exact_performance(tiny, policy, theta) == pytest.approx(4 * p, abs=1e-12)
    grad = M.exact_gradient(tiny, policy, theta)
    np.testing.assert_allclose(grad, [4 * p * (1 - p)] if shared else np.full(4, p * (1 - p)),
                               atol=1e-12)
    batch, probs = M.enumerate_trajectories(tiny, policy, theta)
    assert batch.m == 16 and np.all(batch.lengths == 4)


@pytest.mark.parametrize("shared", [True, False])
def test_corridor_score_function_costs_are_the_enumerated_errors(shared):
    """cost × target = E‖g − ∇U‖² per episode, against enumeration of all 2^T episodes."""
    T, theta = 5, 0.4
    tiny, policy = ascent.corridor_mdp(T, shared=shared)
    th = np.full(policy.n_params, theta)
    costs = ascent.corridor_gradient_costs(T, shared=shared, theta=theta)
    target = 0.01 * np.sum(M.exact_gradient(tiny, policy, th) ** 2)
    U = M.exact_performance(tiny, policy, th)
    for key, b in (("score_function", 0.0), ("score_function_baseline", U)):
        mse = M.estimator_mean_squared_error(tiny, policy, th, baseline=b)
        assert costs[key] * target == pytest.approx(mse, rel=1e-10)
    assert costs["K"] == (1 if shared else T)


@pytest.mark.parametrize("shared", [True, False])
def test_corridor_pair_moments_match_simulation(shared):
    T, theta, sigma, n = 4, 0.3, 0.5, 400_000
    tiny, policy = ascent.corridor_mdp(T, shared=shared)
    K = policy.n_params
    rng = np.random.default_rng(7)
    eps = rng.standard_normal((n, K))
    plus, _ = ascent._rollouts(tiny, policy, theta + sigma * eps, rng)
    minus, _ = ascent._rollouts(tiny, policy, theta - sigma * eps, rng)
    pairs = ((plus - minus) / (2 * sigma))[:, None] * eps
    mean, cov = ascent._corridor_pair_moments(T, shared, theta, sigma)
    se = pairs.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(pairs.mean(axis=0) - mean) < 5 * se)
    assert np.trace(np.cov(pairs.T).reshape(K, K)) == pytest.approx(cov, rel=0.02)


def test_corridor_costs_say_who_wins():
    """The notebook's claims: one parameter and long episodes favour the black box over the
    plain score function; short episodes with a parameter per step do not; a baseline puts
    the score function ahead everywhere in the table; the strategy's cost falls with T at
    K = 1 while the plain score function's grows about like T."""
    long_one = ascent.corridor_gradient_costs(30, shared=True)
    short_many = ascent.corridor_gradient_costs(3, shared=False)
    assert long_one["evolution_strategy"] < long_one["score_function"] / 5
    assert short_many["evolution_strategy"] > 5 * short_many["score_function"]
    for T in (1, 3, 10, 30, 100):
        for shared in (True, False):
            c = ascent.corridor_gradient_costs(T, shared=shared)
            assert c["score_function_baseline"] < c["evolution_strategy"]
    sf = [ascent.corridor_gradient_costs(T, shared=True)["score_function"] for T in (10, 100)]
    es = [ascent.corridor_gradient_costs(T, shared=True)["evolution_strategy"] for T in (10, 100)]
    assert 8 < sf[1] / sf[0] < 10 and es[1] < es[0]
    # one parameter per step: the strategy grows like T, the plain score function like T²,
    # so the strategy overtakes it too, later: between T = 10 and T = 30 (notebook 04)
    per = {T: ascent.corridor_gradient_costs(T, shared=False) for T in (10, 30, 100)}
    assert 8 < per[100]["evolution_strategy"] / per[10]["evolution_strategy"] < 12
    assert 80 < per[100]["score_function"] / per[10]["score_function"] < 120
    assert per[10]["evolution_strategy"] > per[10]["score_function"]
    assert per[30]["evolution_strategy"] < per[30]["score_function"]


def test_corridor_bias_can_exhaust_the_target():
    costs = ascent.corridor_gradient_costs(3, shared=True, sigmas=[5.0])
    assert costs["evolution_strategy"] == np.inf


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ascent.corridor_mdp(0), "T"),
    (lambda: ascent.corridor_gradient_costs(3, shared=True, sigmas=[0.3, -1.0]), "sigmas"),
    (lambda: ascent.corridor_gradient_costs(3, shared=True, theta=np.nan), "theta"),
    (lambda: ascent.corridor_gradient_costs(3, shared=True, rel_error=0.0), "rel_error"),
    (lambda: ascent.corridor_gradient_costs(2.5, shared=True), "T"),
])
def test_corridor_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_corridor_costs_draws_the_table():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = ascent.plot_corridor_costs([1, 3, 10])
    for ax, shared in zip(out["axes"], (True, False), strict=True):
        assert len(ax.get_lines()) == 3 and ax.get_xscale() == "log" and ax.get_title()
        for line, key in zip(ax.get_lines(), ascent._COST_STYLE, strict=True):
            np.testing.assert_allclose(line.get_ydata(), [c[key] for c in out["costs"][shared]])
            np.testing.assert_array_equal(line.get_xdata(), [1, 3, 10])
    assert out["axes"][0].get_ylabel() and out["axes"][0].get_legend() is not None
    plt.close("all")
    with pytest.raises(ValueError, match="Ts"):
        ascent.plot_corridor_costs([3])
    with pytest.raises(ValueError, match="T"):
        ascent.plot_corridor_costs([3, 0])
