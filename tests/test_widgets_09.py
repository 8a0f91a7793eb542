"""The group explorer of notebook 09, driven through its controls' ``.value``."""

import numpy as np
import pytest

from helpers import toy_lm as LM
from helpers.widgets.group_explorer import CHOICES, HEIGHTS, MAX_M, GroupExplorer


@pytest.fixture
def explorer():
    e = GroupExplorer(m=8, estimator="grpo", lean=1.0, seed=0)
    yield e
    e.close()


def heights(e):
    return np.array([b.get_height() for b in e.bars[: e.m.value]])


def test_bars_are_the_estimators_advantages_of_the_shown_group(explorer):
    for est in CHOICES:
        explorer.estimator.value = est
        rows, r, lengths = explorer.sample_group()
        np.testing.assert_allclose(heights(explorer), LM.advantages(r, est))
        np.testing.assert_allclose(explorer.dots.get_ydata(),
                                   LM.advantages(r, est) * LM.length_factors(lengths, est))
        labels = [t.get_text() for t in explorer.labels]
        m = explorer.m.value
        assert labels[:m] == [LM.Task().answers.text[j] for j in rows] and not any(labels[m:])
        assert [b.get_visible() for b in explorer.bars] == [i < m for i in range(MAX_M)]
        low, high = explorer.ax_adv.get_ylim()
        assert high == -low in HEIGHTS and np.all(np.abs(heights(explorer)) < high)
        assert explorer.message.value == ""


def test_expected_update_matches_the_helper_and_grpo_tilts_it(explorer):
    task = LM.Task(lean=(1.0,))
    theta = task.initial_theta()
    np.testing.assert_allclose(explorer.expected, LM.expected_update(task, theta, "grpo", 8))
    grpo_wrong = explorer.dir_bars["expected"][1].get_width()
    exact_wrong = explorer.dir_bars["exact"][1].get_width()
    assert grpo_wrong > exact_wrong
    assert "° from ∇J" in explorer.readout.value
    explorer.estimator.value = "rloo"
    np.testing.assert_allclose([b.get_width() for b in explorer.dir_bars["expected"]],
                               [b.get_width() for b in explorer.dir_bars["exact"]], atol=1e-9)
    assert "0.0° from ∇J" in explorer.readout.value


def test_the_direction_bars_are_cosines_with_the_steepest_steps(explorer):
    task = LM.Task(lean=(1.0,))
    theta = task.initial_theta()
    grad_p, grad_len = (LM.quantity_gradient(task, theta, q) for q in ("J", "wrong_length"))
    for est in ("grpo", "dr_grpo"):
        explorer.estimator.value = est
        mean = LM.expected_update(task, theta, est, 8)
        want = [mean @ g / np.linalg.norm(mean) / np.linalg.norm(g) for g in (grad_p, grad_len)]
        np.testing.assert_allclose([b.get_width() for b in explorer.dir_bars["expected"]], want)
        np.testing.assert_allclose(explorer.dir_bars["exact"][0].get_width(), 1.0)  # ∇J = ∇p
    assert explorer.ax_dir.get_xlim() == (-1.05, 1.05)
    # GRPO's expected step leans towards longer wrong answers far more than ∇J's
    explorer.estimator.value = "grpo"
    assert explorer.shown_cosines["expected"][1] > 0.2 > 0.1 > explorer.shown_cosines["exact"][1]


def test_m_one_leave_one_out_gives_a_message_not_a_traceback(explorer):
    explorer.estimator.value = "rloo"
    explorer.m.value = 1
    assert "leave-one-out needs at least two answers" in explorer.message.value
    explorer.estimator.value = "grpo"
    assert "sample std" in explorer.message.value
    explorer.estimator.value = "reinforce"
    assert explorer.message.value == "" and heights(explorer).shape == (1,)
    explorer.estimator.value = "group_mean"
    assert explorer.message.value == "" and "always 0" in explorer.note.value
    explorer.m.value = 4
    assert explorer.message.value == ""


def test_all_equal_rewards_give_a_note_and_zero_advantages():
    e = GroupExplorer(m=4, estimator="grpo", lean=-2.0, seed=0)   # p ≈ 0.002: all wrong
    try:
        _, r, _ = e.sample_group()
        assert np.all(r == 0)
        assert e.message.value == "" and "std is 0" in e.note.value
        np.testing.assert_array_equal(heights(e), 0.0)
        e.estimator.value = "reinforce"
        assert e.note.value == ""
    finally:
        e.close()


def test_every_setting_redraws_and_resample_changes_the_group(explorer):
    before = explorer.sample_group()[0].copy()
    explorer.resample.click()
    assert not np.array_equal(before, explorer.sample_group()[0])
    for est in CHOICES:
        explorer.estimator.value = est
        for m in (2, MAX_M):
            explorer.m.value = m
            for lean in (explorer.lean.min, explorer.lean.max):
                explorer.lean.value = lean
                assert explorer.message.value == "", (est, m, lean)
                assert np.all(np.isfinite(heights(explorer)))
                assert np.all(np.abs(heights(explorer)) < explorer.ax_adv.get_ylim()[1])
                widths = [b.get_width() for bars in explorer.dir_bars.values() for b in bars]
                assert np.all(np.abs(widths) <= 1 + 1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(m=0), "at least 1"), (dict(m=17), "at most 16"), (dict(estimator="ppo"), "one of"),
    (dict(lean=9.0), "lean must lie"),
])
def test_bad_construction_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GroupExplorer(**kwargs)
