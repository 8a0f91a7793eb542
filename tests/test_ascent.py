"""helpers.ascent (notebook 04, section 7): climbing U counted in episodes.

* the vectorised rollouts are unbiased for U and ∇U (against the exact values);
* exact-gradient ascent is the plain loop θ ← θ + η ∇U, and the batched Bellman solve is U;
* the evolution strategy's expected step is the gradient of the smoothed objective
  E_ε[U(θ + σε)] (Gauss–Hermite quadrature), and its noise, relative to the score-function
  estimator's, grows with the number of parameters K (the notebook's claim);
* episodes_to_reach, and bad arguments raising ValueError.
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
