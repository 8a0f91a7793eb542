"""helpers.reinforce (notebook 06): hand-coded gradients against finite differences, returns
and baselines against hand-computed examples, Adam's update written out, the autoreset
masking on a real vectorised CartPole, and a short fixed-seed training run that must learn."""

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

from helpers import finite_difference_gradient, reinforce


def _batch(seed, n=7):
    rng = np.random.default_rng(seed)
    obs = rng.normal(size=(n, 4)) * np.array([1.0, 1.5, 0.1, 1.0])
    actions = rng.integers(0, 2, size=n)
    weights = rng.normal(size=n)
    return obs, actions, weights


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_gradient_matches_finite_differences(kind):
    policy = reinforce.make_policy(kind, np.random.default_rng(3))
    # move away from θ = 0 (and W₂ = 0) so every block of the gradient is non-trivial
    policy.set_params(np.random.default_rng(4).normal(size=policy.n_params) * 0.7)
    obs, actions, weights = _batch(5)

    def surrogate(theta):
        return reinforce.make_policy(kind, np.random.default_rng(3)).set_params(theta).objective(
            obs, actions, weights)

    exact = policy.grad(obs, actions, weights)
    numeric = finite_difference_gradient(surrogate, policy.theta, h=1e-5)
    assert exact.shape == (policy.n_params,)
    assert np.all(np.abs(exact) < 1e3) and np.max(np.abs(exact)) > 1e-2
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)


def test_mlp_has_the_expected_number_of_parameters_and_starts_uniform():
    p = reinforce.MLPPolicy(hidden=5, rng=np.random.default_rng(0))
    assert p.n_params == 4 * 5 + 5 + 5 * 2 + 2
    obs, _, _ = _batch(0)
    np.testing.assert_allclose(np.exp(p.log_probs(obs)), 0.5)
    np.testing.assert_allclose(np.exp(reinforce.LinearSoftmaxPolicy().log_probs(obs)), 0.5)


def test_linear_policy_by_hand():
    # W = [[1,0],[0,0],[0,0],[0,0]], b = [0, 1]: logits for s = (2,0,0,0) are (2, 1)
    p = reinforce.LinearSoftmaxPolicy().set_params([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    lp = p.log_probs([[2.0, 0, 0, 0]])[0]
    np.testing.assert_allclose(lp, [-np.log1p(np.exp(-1)), -np.log1p(np.exp(1))])
    # gradient of log π(0|s): (onehot(0) − π) ⊗ s for W, onehot − π for b
    pi = np.exp(lp)
    g = p.grad([[2.0, 0, 0, 0]], [0], [1.0])
    np.testing.assert_allclose(g[:2], 2 * (np.array([1, 0]) - pi))
    np.testing.assert_allclose(g[2:8], 0)
    np.testing.assert_allclose(g[8:], np.array([1, 0]) - pi)


def test_sampling_follows_the_probabilities():
    p = reinforce.LinearSoftmaxPolicy().set_params([0, 0, 0, 0, 0, 0, 0, 0, 0, np.log(3)])
    obs = np.zeros((20_000, 4))
    a = p.sample(obs, np.random.default_rng(1))
    assert abs(a.mean() - 0.75) < 0.01  # π(1) = 3/4; 4 standard errors ≈ 0.012


def test_reward_to_go_and_full_return_by_hand():
    r = [1.0, 1.0, 1.0]
    np.testing.assert_allclose(reinforce.reward_to_go(r, 0.5), [1.75, 1.5, 1.0])
    np.testing.assert_allclose(reinforce.reward_to_go(r), [3, 2, 1])
    np.testing.assert_allclose(reinforce.full_return(r, 0.5), [1.75, 1.75, 1.75])
    np.testing.assert_allclose(reinforce.reward_to_go([1.0, 0.0, 2.0], 0.9),
                               [1 + 0.81 * 2, 1.8, 2.0])


def test_per_timestep_baseline_by_hand():
    G = [np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0]), np.array([5.0])]
    b = reinforce.per_timestep_baseline(G)
    np.testing.assert_allclose(b, [(3 + 2 + 5) / 3, (2 + 1) / 2, 1.0])


def test_baseline_zeroes_steps_shared_by_truncated_episodes():
    # two undiscounted episodes both cut at 4 steps: no step is better than its peer
    cfg = reinforce.Config(gamma=1.0, baseline="batch_mean", normalise=False)
    eps = [reinforce.Episode(np.zeros((4, 4)), np.zeros(4, int), np.ones(4), False, True)] * 2
    for a in reinforce.advantages(eps, cfg):
        np.testing.assert_allclose(a, 0.0)
    # lengths 3 and 5: A_t = L − mean(lengths alive at t) = ∓1 while both run, then 0
    e3 = reinforce.Episode(np.zeros((3, 4)), np.zeros(3, int), np.ones(3), True, False)
    e5 = reinforce.Episode(np.zeros((5, 4)), np.zeros(5, int), np.ones(5), True, False)
    a3, a5 = reinforce.advantages([e3, e5], cfg)
    np.testing.assert_allclose(a3, [-1, -1, -1])
    np.testing.assert_allclose(a5, [1, 1, 1, 0, 0])
    # full return without baseline: G_0 at every step
    a3, a5 = reinforce.advantages([e3, e5], replace(cfg, baseline="none", reward_to_go=False))
    np.testing.assert_allclose(a3, [3, 3, 3])
    np.testing.assert_allclose(a5, [5] * 5)


def test_normalise():
    a = reinforce.normalise([1.0, 2.0, 3.0, 6.0])
    assert abs(a.mean()) < 1e-12 and abs(a.std() - 1) < 1e-6
    np.testing.assert_allclose(a * np.std([1, 2, 3, 6]) + 3, [1, 2, 3, 6], atol=1e-6)


def test_normalise_floor_keeps_a_faint_batch_faint():
    # spread 0.5 is below the floor 10: centred, then divided by 10, not by 0.5
    a = reinforce.normalise([1.0, 2.0], min_std=10.0)
    np.testing.assert_allclose(a, [-0.05, 0.05], rtol=1e-6)
    # above the floor the floor does nothing; identical values give exactly zero
    np.testing.assert_allclose(reinforce.normalise([0.0, 40.0], min_std=10.0), [-1, 1], rtol=1e-6)
    np.testing.assert_array_equal(reinforce.normalise([7.0, 7.0, 7.0], min_std=10.0), 0.0)
    # two episodes cut at 500 and one falling at 484: the update is a fraction of a full one
    eps = [reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), np.ones(n), n < 500, n == 500)
           for n in (484, 500)]
    for gamma, raw_max in ((0.99, 5.0), (1.0, 10.0)):
        cfg = reinforce.Config(gamma=gamma)
        raw = np.concatenate(reinforce.advantages(eps, replace(cfg, normalise=False)))
        floored = np.concatenate(reinforce.advantages(eps, cfg))
        assert 0 < raw.std() < raw_max and floored.std() < raw.std() / 10 + 1e-6
    with pytest.raises(ValueError, match="min_std"):
        reinforce.normalise([1.0, 2.0], min_std=-1)


def test_policy_gradient_is_the_gradient_of_the_surrogate():
    rng = np.random.default_rng(0)
    policy = reinforce.make_policy("mlp", rng, hidden=4)
    policy.set_params(rng.normal(size=policy.n_params))
    eps = [reinforce.Episode(rng.normal(size=(n, 4)), rng.integers(0, 2, n), np.ones(n),
                             True, False) for n in (3, 6, 4)]
    cfg = reinforce.Config(policy="mlp", hidden=4)
    A = np.concatenate(reinforce.advantages(eps, cfg)) / len(eps)
    obs = np.concatenate([e.obs for e in eps])
    acts = np.concatenate([e.actions for e in eps])
    np.testing.assert_allclose(reinforce.policy_gradient(policy, eps, cfg),
                               policy.grad(obs, acts, A), rtol=1e-12)


def test_adam_by_hand():
    opt = reinforce.Adam(2, lr=0.1)
    th = opt.ascent_step(np.zeros(2), np.array([3.0, -0.01]))
    np.testing.assert_allclose(th, [0.1, -0.1], rtol=1e-5)  # first step: lr · sign(g)
    g2 = np.array([1.0, 1.0])
    m = 0.9 * 0.1 * np.array([3.0, -0.01]) + 0.1 * g2
    v = 0.999 * 0.001 * np.array([9.0, 1e-4]) + 0.001 * g2**2
    expected = th + 0.1 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(opt.ascent_step(th, g2), expected, rtol=1e-12)


class _Recorder:
    """Wraps a vector env and records what step() returned."""

    def __init__(self, env):
        self.env, self.num_envs, self.log = env, env.num_envs, []

    def reset(self, **kw):
        return self.env.reset(**kw)

    def step(self, actions):
        out = self.env.step(actions)
        self.log.append((np.array(actions), *[np.array(x) for x in out[:4]]))
        return out

    def close(self):
        self.env.close()


class _AlwaysRight:
    def _sample_fast(self, obs, rng):
        return np.ones(obs.shape[0], dtype=np.int64)


def test_autoreset_steps_are_masked_on_a_real_vector_env():
    env = _Recorder(reinforce.make_cartpole_env(3))
    assert env.env.metadata["autoreset_mode"].name == "NEXT_STEP"
    col = reinforce.EpisodeCollector(3, seed=7, env=env)
    episodes = []
    for _ in range(60):
        episodes += col.step(_AlwaysRight(), np.random.default_rng(0))
    assert len(episodes) >= 6
    # gymnasium marks the step after an ending as a dummy: reward 0, not done
    dummies = sum(int(d.sum()) for d in
                  [np.logical_or(t, u) for (_, _, _, t, u) in env.log[:-1]])
    assert col.dummy_steps == dummies > 0
    rewards = np.array([r for (_, _, r, _, _) in env.log])
    assert (rewards == 0).sum() == dummies
    # every stored step is a real one (reward 1), every episode starts in a reset state
    for ep in episodes:
        assert ep.terminated and not ep.truncated
        np.testing.assert_array_equal(ep.rewards, 1.0)
        assert np.all(np.abs(ep.obs[0]) <= 0.05)
        assert 5 <= ep.length <= 15  # pushing right topples the pole within ~10 steps
    in_progress = sum(0 if done else col.buffer.k - s
                      for s, done in zip(col.buffer.start, col.prev_done, strict=True))
    assert col.steps == sum(ep.length for ep in episodes) + in_progress
    assert col.steps + col.dummy_steps == 3 * 60


def test_truncation_is_kept_apart_from_termination():
    env = gym.make_vec("CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point",
                       max_episode_steps=6)
    col = reinforce.EpisodeCollector(4, seed=0, env=env)
    eps = col.collect(reinforce.LinearSoftmaxPolicy(), np.random.default_rng(0), 12)
    trunc = [e for e in eps if e.truncated]
    assert trunc, "a random policy survives 6 steps most of the time"
    for e in eps:
        assert e.terminated != e.truncated
        assert e.length == 6 if e.truncated else e.length < 6 or e.terminated


def test_short_training_run_clearly_improves():
    # with 4 copies, seed 0 lingers near 100 steps per episode until ~15,000 steps, then
    # climbs: its last 10 episodes by 20,000 steps average about 8.7× the first 20
    cfg = replace(reinforce.Config(), max_steps=20_000)
    h = reinforce.train(cfg, seed=0)
    first, last = np.mean(h.episode_returns[:20]), np.mean(h.episode_returns[-10:])
    assert first < 40, first              # a near-uniform policy falls within ~20 steps
    assert last > 6 * first and last > 150, (first, last)
    assert h.steps >= 20_000 and h.dummy_steps > 0
    assert len(h.params) == len(h.batch_steps) + 1


def test_history_returns_at_by_hand():
    h = reinforce.History(config=reinforce.Config(), seed=0, episode_returns=[10, 20, 30],
                  episode_end_steps=[10, 30, 60])
    np.testing.assert_allclose(h.returns_at([5, 10, 45, 60]), [np.nan, 10, 15, 20])


def test_policy_from_history_and_run_episode():
    h = reinforce.train(replace(reinforce.Config(), max_steps=800), seed=0)
    p0, p1 = reinforce.policy_from(h, 0), reinforce.policy_from(h, -1)
    np.testing.assert_array_equal(p0.theta, h.params[0])
    np.testing.assert_allclose(np.exp(p0.log_probs(np.ones((3, 4)))), 0.5)  # starts uniform
    assert not np.allclose(p1.theta, p0.theta)
    states, ret = reinforce.run_episode(p1, seed=3, max_steps=50)
    assert states.shape == (ret + 1, 4) and 1 <= ret <= 50
    with pytest.raises(ValueError, match="update must lie"):
        reinforce.policy_from(h, len(h.params))


@pytest.mark.parametrize("call, match", [
    (lambda: reinforce.make_policy("cnn", np.random.default_rng(0)), "linear' or 'mlp"),
    (lambda: reinforce.MLPPolicy(rng=0), "numpy.random.Generator"),
    (lambda: reinforce.LinearSoftmaxPolicy().log_probs(np.zeros((2, 3))), "shape"),
    (lambda: reinforce.LinearSoftmaxPolicy().grad(np.zeros((2, 4)), [0, 2], [1, 1]), "0..1"),
    (lambda: reinforce.reward_to_go([1, 1], gamma=1.5), "gamma"),
    (lambda: reinforce.reward_to_go([1, np.nan]), "NaN"),
    (lambda: reinforce.per_timestep_baseline([]), "at least one"),
    (lambda: reinforce.Adam(2, lr=-1), "positive"),
    (lambda: reinforce.Config(n_envs=0).validate(), "n_envs"),
    (lambda: reinforce.Config(min_std=-1.0).validate(), "min_std"),
    (lambda: reinforce.train(reinforce.Config(stop="never")), "stop"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_full_return_with_baseline_is_gamma_t_times_reward_to_go_on_cartpole():
    # every reward is +1, so the rewards before t are the same for every episode alive at t
    # and the per-timestep baseline removes them: A_full_t = γ^t · A_rtg_t exactly
    rng = np.random.default_rng(2)
    eps = [reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), np.ones(n), True, False)
           for n in rng.integers(5, 40, size=6)]
    cfg = reinforce.Config(gamma=0.9, normalise=False)
    rtg = reinforce.advantages(eps, cfg)
    full = reinforce.advantages(eps, replace(cfg, reward_to_go=False))
    for a, b in zip(rtg, full, strict=True):
        np.testing.assert_allclose(b, 0.9 ** np.arange(a.size) * a, atol=1e-12)
    assert max(np.abs(a).max() for a in rtg) > 0.5


# ---------------------------------------------------------------------------------------
# Notebook 06's rewrite: baselines by name, plain gradient ascent, honest end steps, the
# one-ulp experiment, and what the heuristics do to the expected update (exactly, on the
# tiny MDP of notebook 04)
# ---------------------------------------------------------------------------------------
def test_leave_one_out_baseline_by_hand():
    G = [np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0]), np.array([5.0])]
    b = reinforce.leave_one_out_baseline(G)
    np.testing.assert_allclose(b[0], [(2 + 5) / 2, 1.0, 0.0])   # none other alive at t = 2
    np.testing.assert_allclose(b[1], [(3 + 5) / 2, 2.0])
    np.testing.assert_allclose(b[2], [(3 + 2) / 2])
    with pytest.raises(ValueError, match="at least one"):
        reinforce.leave_one_out_baseline([])


def test_batch_mean_weight_is_n_minus_one_over_n_of_leave_one_out():
    rng = np.random.default_rng(5)
    eps = [reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), rng.normal(size=n), True, False)
           for n in rng.integers(1, 30, size=5)]
    cfg = reinforce.Config(normalise=False, gamma=0.95)
    mean_b = reinforce.advantages(eps, cfg)
    loo = reinforce.advantages(eps, replace(cfg, baseline="leave_one_out"))
    alive = np.bincount(np.concatenate([np.arange(e.length) for e in eps]))
    for a, b in zip(mean_b, loo, strict=True):
        n_t = alive[: a.size]
        np.testing.assert_allclose(a, (n_t - 1) / n_t * b, atol=1e-12)
    # notebook 06's example: lengths 30 and 50, undiscounted
    e30, e50 = (reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), np.ones(n), True, False)
                for n in (30, 50))
    m = reinforce.advantages([e30, e50], reinforce.Config(normalise=False))[1]
    o = reinforce.advantages([e30, e50],
                             reinforce.Config(normalise=False, baseline="leave_one_out"))[1]
    np.testing.assert_allclose(m, np.r_[np.full(30, 10.0), np.zeros(20)])
    np.testing.assert_allclose(o, np.r_[np.full(30, 20.0), 20.0 - np.arange(20)])
    # at γ = 0.99 (the example) leave-one-out gives up to (1 − 0.99^20)/0.01 ≈ 18.2
    o99 = reinforce.advantages([e30, e50], reinforce.Config(normalise=False, gamma=0.99,
                                             baseline="leave_one_out"))[1]
    assert abs(o99[30] - (1 - 0.99**20) / 0.01) < 1e-9 and round(o99[30], 1) == 18.2


def _mdp_pair_expectation(config):
    """E[ĝ] over batches of two trajectories of notebook 04's MDP, exactly (every ordered
    pair), with the weights of ``config`` computed by helpers.reinforce."""
    from helpers import mdp as M

    model, pol = M.example_mdp()
    theta = np.array([0.4, -0.3])
    batch, p = M.enumerate_trajectories(model, pol, theta)
    score = pol.scores(theta)[batch.states, batch.actions]        # (n, T, K)
    eps = [reinforce.Episode(np.zeros((int(n), 4)), np.zeros(int(n), int),
                             batch.rewards[i, : int(n)], True, False)
           for i, n in enumerate(batch.lengths)]
    expected = np.zeros(pol.n_params)
    for i in range(len(eps)):
        for j in range(len(eps)):
            A = reinforce.advantages([eps[i], eps[j]], config)
            g = sum(a @ score[k, : a.size] for k, a in zip((i, j), A, strict=True)) / 2
            expected += p[i] * p[j] * g
    return expected, M.exact_gradient(model, pol, theta)


def _angle(u, v):
    return np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))


def test_leave_one_out_is_unbiased_and_batch_mean_tilts_the_expected_update():
    """Exact, on notebook 04's MDP, where episodes last one or two steps: leave-one-out gives
    E[ĝ] = ∇U; the batch mean's (n_t − 1)/n_t factor (1/2 at t = 0, 0 or 1/2 at t = 1) changes
    the direction, not only the size; normalising by the batch's std tilts it too."""
    base = reinforce.Config(normalise=False, gamma=1.0)
    loo, grad = _mdp_pair_expectation(replace(base, baseline="leave_one_out"))
    np.testing.assert_allclose(loo, grad, atol=1e-12)
    plain, _ = _mdp_pair_expectation(replace(base, baseline="none"))
    np.testing.assert_allclose(plain, grad, atol=1e-12)
    mean_b, _ = _mdp_pair_expectation(base)
    normed, _ = _mdp_pair_expectation(replace(base, normalise=True, min_std=0.0))
    assert _angle(mean_b, grad) > 1.0 and _angle(normed, grad) > 1.0


def test_gradient_ascent_and_optimizer_choice():
    opt = reinforce.make_optimizer("sgd", 3, lr=0.5)
    np.testing.assert_array_equal(opt.ascent_step(np.ones(3), np.array([2.0, 0.0, -4.0])),
                                  [2.0, 1.0, -1.0])
    assert isinstance(reinforce.make_optimizer("adam", 3, lr=0.5), reinforce.Adam)
    with pytest.raises(ValueError, match="optimizer"):
        reinforce.make_optimizer("rmsprop", 3, lr=0.5)
    with pytest.raises(ValueError, match="optimizer"):
        reinforce.Config(optimizer="rmsprop").validate()
    with pytest.raises(ValueError, match="baseline"):
        reinforce.Config(baseline=True).validate()


def test_improvement_ladder_adds_one_change_at_a_time():
    ladder = reinforce.improvement_ladder()
    names = list(ladder)
    assert names == ["plain", "+ Adam", "+ reward-to-go", "+ baseline", "+ normalisation"]
    plain = ladder["plain"]
    assert (plain.reward_to_go, plain.baseline, plain.normalise, plain.optimizer) == (
        False, "none", False, "sgd")
    assert ladder["+ normalisation"] == reinforce.Config()
    assert all(c.gamma == 1.0 for c in ladder.values())
    changed = {"+ Adam": {"optimizer", "lr"}, "+ reward-to-go": {"reward_to_go"},
               "+ baseline": {"baseline"}, "+ normalisation": {"normalise"}}
    for prev, name in zip(names[:-1], names[1:], strict=True):
        diff = {f for f in reinforce.Config.__dataclass_fields__
                if getattr(ladder[prev], f) != getattr(ladder[name], f)}
        assert diff == changed[name], (name, diff)


def test_episodes_carry_their_end_step_and_final_state():
    col = reinforce.EpisodeCollector(4, seed=3)
    eps = col.collect(reinforce.LinearSoftmaxPolicy(), np.random.default_rng(0), 12)
    ends = [e.end_step for e in eps]
    assert ends == sorted(ends) and ends[-1] == col.steps and ends[0] >= eps[0].length
    for e in eps:   # a fall: the state the last action led to is past a threshold
        x, phi = e.final_obs[0], e.final_obs[2]
        assert e.terminated and (abs(x) > 2.4 or abs(phi) > 12 * np.pi / 180)
    col.close()
    h = reinforce.train(replace(reinforce.Config(), max_steps=3_000), seed=1)
    assert h.episode_end_steps == sorted(h.episode_end_steps)
    # an episode ends no later than its batch
    batch_of = np.searchsorted(h.batch_steps, h.episode_end_steps)
    assert np.all(np.asarray(h.batch_steps)[batch_of] >= h.episode_end_steps)
    assert len(set(h.episode_end_steps)) > len(h.batch_steps)   # not one count per batch


def test_train_from_a_given_start_and_how_two_runs_part():
    cfg = replace(reinforce.Config(), max_steps=4_000)
    a = reinforce.train(cfg, seed=2)
    same = reinforce.train(cfg, seed=2, init=a.params[0])
    assert a.episode_returns == same.episode_returns
    assert reinforce.first_different_episode(a, same) == len(a.episode_returns)
    assert np.all(reinforce.parameter_gap(a, same) == 0)
    other = reinforce.train(cfg, seed=2, init=a.params[0] + 0.5)
    gap = reinforce.parameter_gap(a, other)
    assert gap[0] == 0.5 and reinforce.first_different_episode(a, other) < len(a.episode_returns)
    with pytest.raises(ValueError, match="theta"):
        reinforce.train(cfg, seed=2, init=np.zeros(3))


def test_returns_at_window():
    h = reinforce.History(config=reinforce.Config(), seed=0, episode_returns=[10, 20, 30, 40],
                  episode_end_steps=[10, 30, 60, 100])
    np.testing.assert_allclose(h.returns_at([60, 100], window=2), [25, 35])
    with pytest.raises(ValueError, match="window"):
        h.returns_at([60], window=0)


def test_claims_script_matches_the_notebook():
    """benchmarks/cartpole_claims.py validates notebook 06's asserts; it must use the
    notebook's own budgets and seed groups."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("claims", root / "benchmarks/cartpole_claims.py")
    claims = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(claims)
    nb = json.loads((root / "notebooks/06_reinforce_cartpole.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert f'ladder["plain"], {claims.LADDER_BUDGET:_}' in code
    assert f"max_steps={claims.RUN_BUDGET:_}" in code
    assert f"range(SEED, SEED + {claims.GROUP})" in code
    for bound in ("med[\"plain\"] < 150", "max(450, 3 * med[\"plain\"])",
                  "1.3 * med[\"+ Adam\"]", "max(growth) > 1e5", "1.3 * np.mean(lengths[:20])",
                  "p_right[:, 3].min() > 0.9", "p_right[:, 4].max() < 0.1",
                  "p_right[:, 5].min() > 0.8", "min(after) >= 475", "1.9 < per_update < 2.2",
                  '8 < tilt["+ baseline"].angle < 10', 'tilt["no floor"].angle > 20',
                  "flip.ratio[0] > 0 > flip.ratio[1]", "search.smallest is not None",
                  "np.argmax(growth)"):
        assert bound in code, bound
    assert f"max_steps={claims.SEARCH_BUDGET:_})" in code


def test_lqr_of_the_linearised_cartpole_pushes_right_when_the_cart_is_right():
    """Notebook 06, section 8: the optimal linear controller (discrete LQR, equal state costs)
    of CartPole-v1 linearised about upright has gains on x and ẋ with the same sign as those on
    φ and φ̇: it pushes right at 'cart right, moving right', as every trained policy does."""
    g, m_cart, m_pole, half_len, tau = 9.8, 1.0, 0.1, 0.5, 0.02   # gymnasium's constants
    total = m_cart + m_pole
    den = half_len * (4 / 3 - m_pole / total)
    a_phi, b_phi = g / den, -1 / (total * den)
    a_x, b_x = -m_pole * half_len * a_phi / total, 1 / total - m_pole * half_len * b_phi / total
    A = np.eye(4) + tau * np.array([[0, 1, 0, 0], [0, 0, a_x, 0], [0, 0, 0, 1], [0, 0, a_phi, 0]])
    B = tau * np.array([[0.0], [b_x], [0.0], [b_phi]])
    for r in (0.01, 0.1, 1.0):
        P, K = np.eye(4), None
        for _ in range(20_000):   # Riccati iteration to its fixed point
            K = np.linalg.solve(r + B.T @ P @ B, B.T @ P @ A)
            P = np.eye(4) + A.T @ P @ (A - B @ K)
        force = -K[0]                                  # u = force · s, u > 0 pushes right
        assert np.all(force > 0), force
        assert force @ reinforce.PROBE_STATES[5] > 0   # cart right, moving right


def test_sample_episodes_is_a_collector_run_and_closes_it():
    """reinforce.sample_episodes plays exactly what a collector with the same seed would."""
    policy = reinforce.make_policy("linear", np.random.default_rng(1))
    collector = reinforce.EpisodeCollector(4, seed=3)
    by_hand = collector.collect(policy, np.random.default_rng(3), 5)
    collector.close()
    episodes = reinforce.sample_episodes(policy, 5, seed=3)
    assert len(episodes) == len(by_hand) >= 5
    for a, b in zip(episodes, by_hand, strict=True):
        np.testing.assert_array_equal(a.actions, b.actions)
        np.testing.assert_array_equal(a.obs, b.obs)
    with pytest.raises(ValueError, match="seed"):
        reinforce.sample_episodes(policy, 5, seed=-1)
