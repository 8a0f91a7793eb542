"""Notebook 07's advantage explorer, driven headless through its controls' ``.value``."""

import numpy as np
import pytest

from helpers import critic as C
from helpers import reinforce
from helpers.widgets.advantage_explorer import LR_OPTIONS, AdvantageExplorer


@pytest.fixture(scope="module")
def data():
    history, _ = C.train(reinforce.Config(max_steps=6000), seed=0)
    policy = reinforce.policy_from(history, int(np.searchsorted(history.batch_steps, 3000)))
    episodes = reinforce.sample_episodes(policy, 12, seed=5)
    return policy, episodes[:6], episodes[6:12]


@pytest.fixture
def explorer(data):
    ex = AdvantageExplorer(*data, rounds=6)
    yield ex
    ex.close()


def test_lines_are_the_critic_quantities(explorer):
    assert explorer.message.value == ""
    for i in (0, len(explorer.episodes) - 1):
        explorer.episode.value = i
        ep = explorer.episodes[i]
        delta = np.asarray(explorer.line_td.get_ydata())
        v = np.asarray(explorer.line_v.get_ydata())
        G = np.asarray(explorer.line_G.get_ydata())
        assert delta.size == ep.length
        # G is the return (bootstrapped at truncation): G − v̂ = GAE(λ = 1), δ = GAE(λ = 0)
        np.testing.assert_allclose(explorer.line_mc.get_ydata(), G - v)
        np.testing.assert_allclose(C.gae(delta, 0.99, 1.0), G - v, atol=1e-9)
        if ep.terminated:   # after a fall the return is the plain discounted reward-to-go
            np.testing.assert_allclose(reinforce.reward_to_go(ep.rewards, 0.99), G, atol=1e-9)
        explorer.lam.value = 0.0
        np.testing.assert_allclose(explorer.line_lam.get_ydata(), delta)
        explorer.lam.value = 1.0
        np.testing.assert_allclose(explorer.line_lam.get_ydata(), G - v, atol=1e-9)
        explorer.lam.value = 0.5
        np.testing.assert_allclose(explorer.line_lam.get_ydata(), C.gae(delta, 0.99, 0.5))


def test_variance_readout_and_the_critic_step_size(explorer):
    explorer.lr.value = 0.01
    good = dict(explorer.variance)
    assert set(good) == {0.95, 1.0, 0.0} and "tr Cov" in explorer.readout.value
    # a critic that has learned: bootstrapping (λ = 0) is far less noisy than G_t − v̂
    assert good[0.0] < good[1.0] / 3
    assert explorer.explained() > 0.5 and "⚠" not in explorer.readout.value
    v_good = np.array(explorer.line_v.get_ydata())
    explorer.lr.value = LR_OPTIONS[0]          # a critic that has barely moved from 0
    assert explorer.message.value == ""
    assert np.abs(np.array(explorer.line_v.get_ydata())).max() < np.abs(v_good).max() / 2
    assert "⚠" in explorer.readout.value and explorer.explained() < 0.5
    assert explorer.variance[1.0] > good[1.0]  # G_t − v̂ ≈ G_t: the baseline helps little


@pytest.mark.parametrize("lr", [LR_OPTIONS[0], LR_OPTIONS[-1]])
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_extreme_settings_give_a_picture_or_a_message_never_a_traceback(explorer, lr, lam):
    with explorer.hold():
        explorer.lr.value = lr
        explorer.lam.value = lam
        explorer.episode.value = len(explorer.episodes) - 1
    assert explorer.last_error is None or explorer.message.value
    ydata = np.asarray(explorer.line_lam.get_ydata(), dtype=float)
    assert np.all(np.isfinite(ydata))


def test_a_step_size_that_makes_the_fit_worse_is_reported(data, monkeypatch):
    ex = AdvantageExplorer(*data, rounds=2)
    try:
        # a critic whose error grows: the explorer must say so, not draw nonsense
        def worse(self, episodes, policy=None):
            self.value_loss.append(1.0 + len(self.value_loss))
            return [np.zeros(e.length) for e in episodes]

        monkeypatch.setattr(C.Critic, "__call__", worse)
        ex.lr.value = 0.3
        assert "does not learn" in ex.message.value and "0.3" in ex.message.value
    finally:
        ex.close()


def test_bad_construction(data):
    policy, fit, shown = data
    with pytest.raises(ValueError, match="non-empty list"):
        AdvantageExplorer(policy, [], shown)
    with pytest.raises(ValueError, match="non-empty list"):
        AdvantageExplorer(policy, fit, ["not an episode"])
    with pytest.raises(ValueError, match="reinforce policy"):
        AdvantageExplorer("policy", fit, shown)
    with pytest.raises(ValueError, match="lr must be one of"):
        AdvantageExplorer(policy, fit, shown, lr=0.02)
    with pytest.raises(ValueError, match="λ"):
        AdvantageExplorer(policy, fit, shown, lam=1.5)
    with pytest.raises(ValueError, match="gamma"):
        AdvantageExplorer(policy, fit, shown, gamma=0.0)


def test_lambda_moves_one_line_and_the_key_says_which(explorer):
    # limits are fixed per episode for every λ, so a λ change redraws the GAE line only
    limits = explorer.ax_a.get_ylim(), explorer.ax_v.get_ylim()
    for lam in (0.0, 0.35, 1.0):
        explorer.lam.value = lam
        assert (explorer.ax_a.get_ylim(), explorer.ax_v.get_ylim()) == limits
        assert f"GAE(λ = {lam:.2f})" in explorer.key.value
        lo, hi = explorer.ax_a.get_ylim()
        y = np.asarray(explorer.line_lam.get_ydata())
        assert lo <= y.min() and y.max() <= hi
    explorer.episode.value = 1
    assert "episode 1" in explorer.key.value
