"""The explorers of notebooks 02 and 03, driven through their controls' ``.value``."""

import numpy as np
import pytest

from helpers import bandit
from helpers import worked_example as we
from helpers.widgets.return_tweaker import MAX_ACTIONS, MIN_ACTIONS, ReturnTweaker
from helpers.widgets.update_explorer import UpdateExplorer


@pytest.fixture
def explorer():
    ex = UpdateExplorer()
    yield ex
    ex.close()


@pytest.fixture
def tweaker():
    tw = ReturnTweaker()
    yield tw
    tw.close()


def heights(bars, k=None):
    return np.array([b.get_height() for b in bars][:k])


def visible_lines(tw):
    return [ln for ln in tw.lines if ln.get_visible()]


# -- notebook 02: the update explorer -------------------------------------------------------
def test_update_explorer_draws_one_unnormalised_update(explorer):
    with explorer.hold():
        explorer.alpha.value, explorer.beta.value = 0.5, -0.2
        explorer.a.value, explorer.G.value, explorer.eta.value = 2.0, 3.0, 0.1
    acts = explorer.actions
    alpha2, beta2 = we.exp_policy_update(0.5, -0.2, 2.0, 3.0, 0.1)
    assert np.allclose(heights(explorer.bars_before), np.exp(0.5 - 0.2 * acts))
    assert np.allclose(heights(explorer.bars_after), np.exp(alpha2 + beta2 * acts))
    assert np.allclose(explorer.log_after.get_ydata(), alpha2 + beta2 * acts)
    assert "not a probability distribution" in explorer.readout.value
    assert explorer.message.value == ""


def test_update_explorer_softmax_sums_to_one_and_keeps_alpha(explorer):
    explorer.policy.value = "softmax"
    explorer.G.value = 2.0
    after = heights(explorer.bars_after)
    assert after.sum() == pytest.approx(1.0)
    r = explorer.compute()
    assert r["alpha"] == explorer.alpha.value
    k = r["k"]
    assert r["log_after"][k] > r["log_before"][k]
    explorer.alpha.value = 2.5  # α cancels: the picture does not change
    assert np.allclose(heights(explorer.bars_after), after)


def test_update_explorer_negative_and_zero_returns(explorer):
    explorer.G.value = -5.0
    r = explorer.compute()
    assert r["alpha"] < explorer.alpha.value
    explorer.G.value = 0.0
    assert np.allclose(heights(explorer.bars_after), heights(explorer.bars_before))
    assert "changes nothing" in explorer.readout.value


@pytest.mark.parametrize("policy", ["unnormalised", "softmax"])
def test_update_explorer_extremes_stay_finite(explorer, policy):
    explorer.policy.value = policy
    for G in (-5.0, 5.0):
        for a in (explorer.actions[0], explorer.actions[-1]):
            with explorer.hold():
                explorer.G.value, explorer.a.value = G, float(a)
                explorer.eta.value = explorer.eta.max
                explorer.alpha.value = explorer.alpha.max
                explorer.beta.value = explorer.beta.max if a > 0 else explorer.beta.min
            assert explorer.message.value == "", explorer.message.value
            for data in (heights(explorer.bars_after), explorer.log_after.get_ydata()):
                assert np.all(np.isfinite(data))


def test_update_explorer_rejects_bad_action_sets():
    with pytest.raises(ValueError, match="distinct"):
        UpdateExplorer(actions=(1,))
    with pytest.raises(ValueError, match="distinct"):
        UpdateExplorer(actions=(0, 0, 1))


def test_update_explorer_shows_a_message_instead_of_a_traceback(explorer):
    explorer.actions = np.array([-2.0, -1.0, 0.0, 1.0, 400.0])  # force an overflowing setting
    explorer.beta.value = 2.0
    assert "overflow" in explorer.message.value
    assert explorer.last_error


# -- notebook 03: the return tweaker --------------------------------------------------------
def test_tweaker_curves_match_run_updates(tweaker):
    with tweaker.hold():
        tweaker.returns[0].value, tweaker.returns[1].value, tweaker.returns[2].value = 2, 1, -1
        tweaker.eta.value = 0.3
    traj = bandit.run_updates(np.zeros(3), [2, 1, -1], 0.3, tweaker.n_steps.value)
    lines = visible_lines(tweaker)
    assert len(lines) == 3
    for k, line in enumerate(lines):
        assert np.allclose(line.get_ydata(), traj[:, k])
    assert np.allclose(heights(tweaker.bars, 3), np.exp(traj[-1]))
    assert tweaker.message.value == ""


def test_tweaker_play_and_step_move_the_current_step(tweaker):
    tweaker.play.value = 0
    assert len(tweaker.lines[0].get_xdata()) == 1
    assert np.allclose(heights(tweaker.bars, 3), 1 / 3)
    tweaker.step()
    tweaker.step()
    assert tweaker.play.value == 2
    assert len(tweaker.lines[0].get_xdata()) == 3
    traj = tweaker.trajectory
    assert np.allclose(heights(tweaker.bars, 3), np.exp(traj[2]))
    tweaker.play.value = tweaker.play.max
    tweaker.step()  # at the end: stays, no error
    assert tweaker.play.value == tweaker.n_steps.value and tweaker.message.value == ""


def test_tweaker_n_steps_moves_play_range(tweaker):
    tweaker.n_steps.value = 120
    assert tweaker.play.max == 120 and tweaker.play.value == 120
    assert len(tweaker.lines[0].get_xdata()) == 121
    tweaker.n_steps.value = 5
    assert tweaker.play.value == 5 and len(tweaker.lines[0].get_xdata()) == 6


def test_tweaker_baseline_changes_nothing_for_expected_updates(tweaker):
    before = [ln.get_ydata().copy() for ln in visible_lines(tweaker)]
    tweaker.baseline.value = True
    after = [ln.get_ydata() for ln in visible_lines(tweaker)]
    for b, a in zip(before, after, strict=True):
        assert np.allclose(a, b)


def test_tweaker_sampled_is_reproducible_and_resample_changes_it(tweaker):
    tweaker.mode.value = "sampled"
    first = tweaker.lines[0].get_ydata().copy()
    tweaker.eta.value = 0.4
    tweaker.eta.value = 0.5
    assert np.allclose(tweaker.lines[0].get_ydata(), first)
    tweaker._on_resample()
    assert not np.allclose(tweaker.lines[0].get_ydata(), first)


def test_tweaker_zero_and_equal_returns(tweaker):
    with tweaker.hold():
        for s in tweaker.returns:
            s.value = 0.0
    assert np.allclose(tweaker.trajectory, np.log(1 / 3))
    assert "nothing moves" in tweaker.readout.value
    with tweaker.hold():
        for s in tweaker.returns:
            s.value = 2.0
        tweaker.baseline.value = True
        tweaker.mode.value = "sampled"
    assert np.allclose(tweaker.trajectory, np.log(1 / 3))
    assert "nothing moves" in tweaker.readout.value


@pytest.mark.parametrize("mode", ["expected", "sampled"])
@pytest.mark.parametrize("K", [MIN_ACTIONS, MAX_ACTIONS])
@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_tweaker_extremes_stay_finite(tweaker, mode, K, sign):
    with tweaker.hold():
        tweaker.n_actions.value = K
        for k, s in enumerate(tweaker.returns):
            s.value = sign * (5.0 - k * 0.7)
        tweaker.eta.value = tweaker.eta.max
        tweaker.n_steps.value = tweaker.n_steps.max
        tweaker.mode.value = mode
    assert tweaker.message.value == "", tweaker.message.value
    assert len(visible_lines(tweaker)) == K
    assert all(s.layout.display == ("none" if k >= K else None)
               for k, s in enumerate(tweaker.returns))
    for line in visible_lines(tweaker):
        assert np.all(np.isfinite(line.get_ydata()))
    p = heights(tweaker.bars, K)
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    if sign < 0 and mode == "sampled":
        assert "all returns negative" in tweaker.readout.value


def test_tweaker_all_negative_expected_favours_least_bad(tweaker):
    with tweaker.hold():
        for k, v in enumerate((-1.0, -2.0, -3.0)):
            tweaker.returns[k].value = v
    assert np.argmax(tweaker.trajectory[-1]) == 0


def test_tweaker_rejects_bad_construction():
    with pytest.raises(ValueError, match="2 to 6"):
        ReturnTweaker(returns=(1.0,))


def test_update_explorer_unnormalised_change_and_axis_label(explorer):
    with explorer.hold():
        explorer.G.value, explorer.a.value, explorer.eta.value = 1.0, 1.0, 0.2
    r = explorer.compute()
    acts = explorer.actions
    assert np.allclose(r["log_after"] - r["log_before"], 0.2 * (1 + acts))  # a = -2 shrinks
    assert "not normalised" in explorer.ax_p.get_ylabel()
    explorer.policy.value = "softmax"
    assert explorer.ax_p.get_ylabel() == "π(a)"


def test_tweaker_positive_returns_readout_does_not_overclaim(tweaker):
    with tweaker.hold():
        for k, r in enumerate((1.0, 2.0, 3.0)):
            tweaker.returns[k].value = r
        tweaker.mode.value = "sampled"
    assert "every sampled action is pushed up" in tweaker.readout.value
    assert "better ones more" not in tweaker.readout.value


def test_update_explorer_key_is_html_and_the_axes_have_no_legend(explorer):
    assert "before" in explorer.key.value and "after one update" in explorer.key.value
    assert explorer.key in explorer.view.children
    assert explorer.ax_p.get_legend() is None and explorer.ax_log.get_legend() is None
    assert explorer.ax_p.get_ylabel() and explorer.ax_log.get_ylabel() == "log π(a)"


@pytest.mark.parametrize("policy", ["unnormalised", "softmax"])
def test_update_explorer_limits_hold_the_data_and_move_in_steps(policy):
    # as in notebook 02: a_t = 1, η = 0.2; G moved key press by key press (0.1)
    ex = UpdateExplorer(G=1.0, a=1, eta=0.2, policy=policy)
    try:
        moves = 0
        for G in np.round(np.arange(1.0, 5.01, 0.1), 1):
            before = (ex.ax_p.get_ylim(), ex.ax_log.get_ylim())
            ex.G.value = float(G)
            r = ex.compute()
            assert max(r["before"].max(), r["after"].max()) <= ex.ax_p.get_ylim()[1]
            lo, hi = ex.ax_log.get_ylim()
            assert lo < min(r["log_before"].min(), r["log_after"].min())
            assert hi > max(r["log_before"].max(), r["log_after"].max())
            moves += before != (ex.ax_p.get_ylim(), ex.ax_log.get_ylim())
        # every step moved both panels' limits before; here 14 of 40 steps (softmax: 4)
        assert moves <= (20 if policy == "unnormalised" else 6), moves
    finally:
        ex.close()


def test_update_explorer_large_values_keep_their_scale_on_screen(explorer):
    # exp(α + βa) reaches 3.6e9 here: the "1e9" above the axis must not be cut off
    with explorer.hold():
        explorer.G.value, explorer.alpha.value, explorer.beta.value = 5.0, 3.0, 2.0
        explorer.eta.value = 1.0
    explorer.fig.canvas.draw()
    offset = explorer.ax_p.yaxis.get_offset_text()
    assert offset.get_text() == "1e9"
    assert offset.get_window_extent().y1 <= explorer.fig.bbox.y1


def test_tweaker_key_names_each_action_and_k_adds_or_removes_no_artist(tweaker):
    children = [list(ax.get_children()) for ax in tweaker.fig.axes]
    assert tweaker.ax_log.get_legend() is None and tweaker.key in tweaker.view.children
    for K in (6, 2, 4, 3):
        tweaker.n_actions.value = K
        for k in range(MAX_ACTIONS):
            assert (f"a = {k}" in tweaker.key.value) == (k < K)
        assert len(visible_lines(tweaker)) == K
        assert sum(b.get_visible() for b in tweaker.bars) == K
        assert list(tweaker.ax_p.get_xticks()) == list(range(K))   # the same axis as before
        assert tweaker.ax_p.get_xlim() == (-0.6, K - 0.4)
        # the same artists throughout: a change of K redraws what changed, not the figure
        assert [list(ax.get_children()) for ax in tweaker.fig.axes] == children


def test_tweaker_log_axis_holds_the_curves_and_moves_in_steps(tweaker):
    moves = 0
    for r in np.round(np.arange(-5, 5.01, 0.1), 1):
        before = tweaker.ax_log.get_ylim()
        tweaker.returns[0].value = float(r)
        low = max(tweaker.trajectory.min(), -30.0)
        bottom, top = tweaker.ax_log.get_ylim()
        assert bottom < low and top == 0.1
        moves += tweaker.ax_log.get_ylim() != before
    assert moves <= 15, moves        # it moved on every step before (100 here)
    # below the floor of −30 (the readout says so) the axis stops just under it
    traj = np.log(np.array([[1 / 3] * 3, [1.0, 1e-20, 1e-20]]))
    tweaker.compute = lambda: traj
    tweaker.refresh()
    assert tweaker.ax_log.get_ylim()[0] == pytest.approx(1.05 * -30 - 0.1)
    assert np.min(tweaker.lines[1].get_ydata()) == -30 and "below -30" in tweaker.readout.value
