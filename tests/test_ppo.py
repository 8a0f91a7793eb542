"""helpers.ppo (notebook 11): PPO on CartPole in numpy, piece by piece.

* the clipped objective's gradient by hand against finite differences, and exactly zero for
  frozen terms; the clipped value loss's slope against finite differences;
* the approximate KLs: k1 and k3 unbiased for KL(π_old ‖ π_θ), k3 never negative;
* rollouts: the same episodes as notebook 06's EpisodeCollector with the same seed and
  policy; GAE along a rollout equal to notebook 07's ``episode_advantages`` on complete
  episodes, bootstrapping from v̂ where a rollout cuts an episode; every end case (fall,
  time limit, cut, autoreset step) written out by hand on an eight-step rollout;
* the update: recomputed "old" log-probabilities make every ratio 1 (the clip never acts);
* training is reproducible from its seed; bad settings are clear errors.
"""

from dataclasses import replace

import numpy as np
import pytest

from helpers import critic as C
from helpers import finite_difference_gradient, ppo, reinforce


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    policy = reinforce.MLPPolicy(hidden=6, rng=rng)
    policy.set_params(rng.normal(size=policy.n_params) * 0.7)
    obs = rng.normal(size=(40, 4))
    actions = rng.integers(0, 2, size=40)
    lp_now = policy.log_probs(obs)[np.arange(40), actions]
    # old log-probs spread so that ratios fall on both sides of [0.8, 1.2], away from the kinks
    logp_old = lp_now - rng.choice([-0.5, -0.1, 0.1, 0.5], size=40)
    adv = rng.normal(size=40)
    return policy, obs, actions, logp_old, adv


def test_clipped_objective_gradient_by_hand_matches_finite_differences(batch):
    policy, obs, actions, logp_old, adv = batch
    theta = policy.theta.copy()

    def objective(t):
        return ppo.clipped_objective(policy.set_params(t), obs, actions, logp_old, adv, 0.2)

    fd = finite_difference_gradient(objective, theta, h=1e-6)
    policy.set_params(theta)
    g = ppo.clipped_objective_grad(policy, obs, actions, logp_old, adv, 0.2)
    assert np.max(np.abs(g - fd)) < 1e-8
    ratio = np.exp(policy.log_probs(obs)[np.arange(40), actions] - logp_old)
    frozen = ((adv > 0) & (ratio > 1.2)) | ((adv < 0) & (ratio < 0.8))
    assert 5 < frozen.sum() < 35      # both kinds of term are in the test


def test_frozen_terms_have_zero_gradient(batch):
    policy, obs, actions, logp_old, adv = batch
    lp = policy.log_probs(obs)[np.arange(40), actions]
    # every ratio 1.5 with A > 0, or 0.5 with A < 0: all frozen
    g = ppo.clipped_objective_grad(policy, obs, actions, lp - np.log(1.5), np.abs(adv), 0.2)
    np.testing.assert_array_equal(g, 0.0)
    g = ppo.clipped_objective_grad(policy, obs, actions, lp - np.log(0.5), -np.abs(adv), 0.2)
    np.testing.assert_array_equal(g, 0.0)
    # ratio 1: the plain policy gradient mean_t A_t ∇log π(a_t|s_t)
    g = ppo.clipped_objective_grad(policy, obs, actions, lp, adv, 0.2)
    np.testing.assert_allclose(g, policy.grad(obs, actions, adv) / 40, atol=1e-15)


def test_clipped_value_loss_slope():
    rng = np.random.default_rng(1)
    v_old, y = rng.normal(size=30) * 3, rng.normal(size=30) * 3
    v = v_old + rng.choice([-0.5, -0.1, 0.1, 0.5], size=30)
    fd = finite_difference_gradient(lambda x: ppo.clipped_value_loss(x, v_old, y, 0.2), v,
                                    h=1e-7)
    np.testing.assert_allclose(ppo.clipped_value_loss_grad(v, v_old, y, 0.2), fd, atol=1e-7)
    # a value that has moved the clip range towards its target stops there
    assert ppo.clipped_value_loss_grad([1.3], [1.0], [5.0], 0.2)[0] == 0.0
    assert ppo.clipped_value_loss_grad([1.1], [1.0], [5.0], 0.2)[0] == pytest.approx(-3.9)


def test_approximate_kls_are_unbiased_and_k3_is_never_negative():
    rng = np.random.default_rng(2)
    p_old, p_new = np.array([0.2, 0.5, 0.3]), np.array([0.3, 0.3, 0.4])
    exact = float(p_old @ np.log(p_old / p_new))
    a = rng.choice(3, size=400_000, p=p_old)
    lo, ln = np.log(p_old[a]), np.log(p_new[a])
    for kind in ("k1", "k3"):
        assert abs(ppo.approximate_kl(lo, ln, kind) - exact) < 3e-3
    few = [rng.choice(3, size=4, p=p_old) for _ in range(200)]
    k1 = [ppo.approximate_kl(np.log(p_old[x]), np.log(p_new[x]), "k1") for x in few]
    k3 = [ppo.approximate_kl(np.log(p_old[x]), np.log(p_new[x]), "k3") for x in few]
    assert min(k1) < 0 <= min(k3)
    with pytest.raises(ValueError, match="kind"):
        ppo.approximate_kl(lo, ln, "k2")


def test_rollouts_play_the_same_episodes_as_notebook_06s_collector():
    policy = reinforce.MLPPolicy(hidden=8, rng=np.random.default_rng(3))
    ours, ends, rng = ppo.RolloutCollector(4, 50, seed=7), [], np.random.default_rng(11)
    for _ in range(6):
        ours.collect(policy, rng, ends.append)
    ours.close()
    theirs = reinforce.EpisodeCollector(4, seed=7)
    episodes = theirs.collect(policy, np.random.default_rng(11), len(ends))
    theirs.close()
    assert len(ends) >= 8
    assert [e.total_reward for e in ends] == [e.total_reward for e in episodes[: len(ends)]]
    assert [e.end_step for e in ends] == [e.end_step for e in episodes[: len(ends)]]
    assert ours.steps + ours.dummy_steps == 6 * 50 * 4


def test_gae_along_a_rollout_is_notebook_07s_on_complete_episodes():
    rng = np.random.default_rng(4)
    policy = reinforce.MLPPolicy(hidden=8, rng=rng)
    net = C.ValueNetwork(hidden=8, rng=rng).set_params(rng.normal(size=4 * 8 + 8 + 8 + 1) * 0.3)
    collector = ppo.RolloutCollector(3, 120, seed=5)
    rollout = collector.collect(policy, rng)
    collector.close()
    A, v = ppo.rollout_advantages(rollout, net.values, 0.99, 0.9)
    done = rollout.terminated | rollout.truncated
    checked = 0
    for i in range(3):
        starts = [0] + [t + 2 for t in np.flatnonzero(done[:, i])]   # +1 dummy step
        for start, end in zip(starts, np.flatnonzero(done[:, i]), strict=False):
            if start == 0 and not rollout.valid[0, i]:
                continue
            sl = slice(start, end + 1)
            ep = reinforce.Episode(rollout.obs[sl, i], rollout.actions[sl, i],
                                   rollout.rewards[sl, i], bool(rollout.terminated[end, i]),
                                   bool(rollout.truncated[end, i]),
                                   final_obs=rollout.obs[end + 1, i] if end + 1 < 120 else
                                   rollout.last_obs[i])
            expected, _ = C.episode_advantages(ep, net.values, 0.99, 0.9)
            np.testing.assert_allclose(A[sl, i], expected, atol=1e-9)
            checked += 1
        # the episode the rollout cuts: bootstrapped from v̂(last_obs), like a truncation
        last = starts[-1] if len(starts) > len(np.flatnonzero(done[:, i])) else None
        if last is not None and last < 120:
            sl = slice(last, 120)
            ep = reinforce.Episode(rollout.obs[sl, i], rollout.actions[sl, i],
                                   rollout.rewards[sl, i], False, True,
                                   final_obs=rollout.last_obs[i])
            expected, _ = C.episode_advantages(ep, net.values, 0.99, 0.9)
            np.testing.assert_allclose(A[sl, i], expected, atol=1e-9)
            checked += 1
    assert checked >= 6
    assert np.all(A[~rollout.valid] == 0) and (~rollout.valid).sum() >= 3


def test_gae_bootstraps_at_the_time_limit_and_the_rollout_cut_not_after_a_fall():
    """A hand-made rollout of one environment, every case in eight steps: a fall at t = 2,
    gymnasium's autoreset step t = 3, the time limit at t = 5 (then autoreset, t = 6) and
    an episode the rollout cuts at t = 7. v̂(obs) is the observation's first entry, so
    each A_t is written out by hand: GAE restarts after each end, adds γ·0 after the fall,
    γ·v̂(obs[6]) (the state the last action led to) after the time limit and
    γ·v̂(last_obs) at the cut."""
    x = np.array([1.0, 2, 3, 9, 4, 5, 7, 6])
    obs = np.zeros((8, 1, 4))
    obs[:, 0, 0] = x
    rewards = np.array([1.0, 1, 1, 0, 1, 1, 0, 1])[:, None]
    valid = np.array([1, 1, 1, 0, 1, 1, 0, 1], dtype=bool)[:, None]
    terminated, truncated = np.zeros((8, 1), bool), np.zeros((8, 1), bool)
    terminated[2], truncated[5] = True, True
    rollout = ppo.Rollout(obs, np.zeros((8, 1), dtype=int), np.zeros((8, 1)), rewards, valid,
                          terminated, truncated, last_obs=np.array([[8.0, 0, 0, 0]]))
    g, lam = 0.9, 0.8

    def by_hand(v, v_next):                       # one episode, every reward 1
        delta = 1 + g * np.asarray(v_next) - np.asarray(v)
        return [sum((g * lam) ** (k - t) * delta[k] for k in range(t, len(delta)))
                for t in range(len(delta))]

    expected = [*by_hand([1, 2, 3], [2, 3, 0]), 0, *by_hand([4, 5], [5, 7]), 0,
                *by_hand([6], [8])]
    A, v = ppo.rollout_advantages(rollout, lambda o: o[:, 0], g, lam)
    np.testing.assert_allclose(A[:, 0], expected, atol=1e-14)
    np.testing.assert_array_equal(v[:, 0], np.where(valid[:, 0], x, 0.0))
    # Pardo et al.'s mistake: the time limit treated as a fall, v̂ after it taken as 0
    A, _ = ppo.rollout_advantages(rollout, lambda o: o[:, 0], g, lam,
                                  bootstrap_truncated=False)
    np.testing.assert_allclose(A[:, 0], [*expected[:4], *by_hand([4, 5], [5, 0]),
                                         *expected[6:]], atol=1e-14)


def test_recomputed_old_log_probs_make_every_ratio_one():
    cfg = ppo.PPOConfig(max_steps=3_000)
    base = ppo.train(cfg, seed=1)
    bug = ppo.train(replace(cfg, recompute_old=True), seed=1)
    assert all(u.clip_fraction == 0 for u in bug.updates)
    assert any(u.clip_fraction > 0 for u in base.updates)
    # the same first batch; without a working ratio the policy moves much further per batch
    assert bug.batch_steps[0] == base.batch_steps[0]
    assert bug.updates[0].approx_kl > 2 * base.updates[0].approx_kl


def test_training_is_reproducible_and_books_episodes():
    cfg = ppo.PPOConfig(max_steps=4_000)
    a, b = ppo.train(cfg, seed=3), ppo.train(cfg, seed=3)
    assert a.episode_returns == b.episode_returns and len(a.episode_returns) > 20
    np.testing.assert_array_equal(a.params[-1], b.params[-1])
    assert a.steps <= a.batch_steps[-1] and a.batch_steps[-1] >= 4_000
    assert len(a.updates) == len(a.batch_steps) == len(a.params) - 1


def test_bad_settings_are_clear_errors():
    for eps in (0.0, 1.0, -0.2, 2.0):
        with pytest.raises(ValueError, match="ε"):
            ppo.PPOConfig(clip=eps).validate()
        with pytest.raises(ValueError, match="ε"):
            ppo.clipped_objective_grad(reinforce.MLPPolicy(rng=np.random.default_rng(0)),
                                       np.zeros((1, 4)), np.array([0]), [0.0], [1.0], eps)
    with pytest.raises(ValueError, match="normalise"):
        ppo.PPOConfig(normalise="episode").validate()
    with pytest.raises(ValueError, match="lam"):
        ppo.PPOConfig(lam=1.5).validate()
    with pytest.raises(ValueError, match="minibatches"):
        ppo.PPOConfig(n_envs=1, n_steps=2, minibatches=4).validate()


def test_claims_script_matches_the_notebook():
    """benchmarks/ppo_claims.py validates notebook 11's CartPole asserts; it must use the
    notebook's own settings and bounds (the other asserts it runs from the notebook itself)."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("ppo_claims", root / "benchmarks/ppo_claims.py")
    claims = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(claims)
    nb = json.loads((root / "notebooks/11_ppo_and_trust_regions.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"])
    for setting in (f"range(SEED, SEED + {claims.FEW}), {claims.BUDGET:_}",
                    'stop="solved"', f"SEEDS[:{claims.BUG}]",
                    f"max_steps={claims.BUG_BUDGET:_}, recompute_old=True",
                    f"len(solved) == {claims.FEW}", f"clipped < {claims.CLIPPED_AT_MOST}",
                    "clip_fraction == 0 for h in bug", f"within {claims.BUG_BUDGET:,} steps",
                    f"fewer than {claims.COLLAPSED} steps"):
        assert setting in code, setting
    # every cell that trains or reads a training run is one the script trains itself
    import re

    for src, training in claims._cells():
        assert training == bool(re.search(r"ppo\.train\(|\bruns\b|\bbug\b", src)), src
