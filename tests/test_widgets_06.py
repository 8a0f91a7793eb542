"""Notebook 06's widget (TrainingScrubber) and CartPole drawing, driven headless."""

from dataclasses import replace

import numpy as np
import pytest

from helpers import reinforce
from helpers.cartpole_render import CartPoleDrawing, animate_states, snapshot
from helpers.widgets.training_scrubber import TrainingScrubber

STATES = np.array([[0, 0, 0, 0], [0, 0, 0.1, 0], [0, 0, -0.1, 0.0]])


@pytest.fixture(scope="module")
def history():
    return reinforce.train(replace(reinforce.Config(), max_steps=12_000), seed=0)


def test_scrubber_shows_log_pi_of_the_chosen_update(history):
    ex = TrainingScrubber(history, STATES, ["upright", "tilt right", "tilt left"])
    try:
        assert ex.message.value == "" and ex.slider.max == len(history.params) - 1
        for u in (0, 3, ex.slider.max):
            ex.slider.value = u
            expected = reinforce.policy_from(history, u).log_probs(STATES)[:, 1]
            np.testing.assert_allclose(ex.dots.get_offsets()[:, 1], expected)
            assert ex.cursor_curve.get_xdata()[0] == ex.update_steps[u]
        # before training the policy is uniform: log π = log ½ for every state
        ex.slider.value = 0
        np.testing.assert_allclose(ex.dots.get_offsets()[:, 1], np.log(0.5))
        ex.action.value = "push left"
        np.testing.assert_allclose(ex.lines[1].get_ydata(),
                                   [reinforce.policy_from(history, u).log_probs(STATES)[1, 0]
                                    for u in range(len(history.params))])
        assert "push left" in ex.readout.value
    finally:
        ex.close()


def test_scrubber_learns_the_obvious_states(history):
    # a pole *falling* right is caught by pushing right, and vice versa: learned within the
    # first 12,000 steps on every seed we tried (0-11: π(right) ≥ 0.78 and ≤ 0.14), unlike the
    # still-but-tilted states, which vary from seed to seed (notebook 06, section 8)
    falling = np.array([[0, 0, 0, 0.5], [0, 0, 0, -0.5]])
    ex = TrainingScrubber(history, falling)
    try:
        ex.slider.value = ex.slider.max
        p_right = np.exp(ex.dots.get_offsets()[:, 1])
        assert p_right[0] > 0.6 and p_right[1] < 0.4, p_right
    finally:
        ex.close()


def test_scrubber_jump_and_odd_input(history):
    ex = TrainingScrubber(history, STATES)
    try:
        ex.at_steps.value = 0
        assert ex.slider.value == 0 and ex.message.value == ""
        target = history.batch_steps[4]
        ex.at_steps.value = target
        assert ex.slider.value == 5  # update 5 was made when `target` steps were taken
        ex.at_steps.value = -3
        assert "must lie between 0 and" in ex.message.value and ex.slider.value == 5
        ex.at_steps.value = 10**9
        assert "must lie between 0 and" in ex.message.value
    finally:
        ex.close()


def test_scrubber_rejects_bad_construction(history):
    with pytest.raises(ValueError, match="History"):
        TrainingScrubber("not a history", STATES)
    with pytest.raises(ValueError, match="between 1 and 6"):
        TrainingScrubber(history, np.zeros((7, 4)))
    with pytest.raises(ValueError, match="shape"):
        TrainingScrubber(history, np.zeros((2, 3)))


def test_scrubber_key_is_html_and_a_slider_move_leaves_curves_and_axes(history):
    ex = TrainingScrubber(history, STATES, ["upright", "tilt right", "tilt left"])
    try:
        assert ex.ax_curve.get_legend() is None and ex.ax_logp.get_legend() is None
        assert ex.key in ex.view.children
        for words in ("solved (475)", "upright", "tilt right", "tilt left"):
            assert words in ex.key.value
        curves = [line.get_ydata() for line in ex.lines]
        limits = [(ax.get_xlim(), ax.get_ylim()) for ax in (ex.ax_curve, ex.ax_logp)]
        for u in (0, 2, 5):
            ex.slider.value = u
            # only the cursors and the dots move: the curves keep their data, the axes theirs
            assert all(line.get_ydata() is y for line, y in zip(ex.lines, curves, strict=True))
            assert [(ax.get_xlim(), ax.get_ylim()) for ax in (ex.ax_curve, ex.ax_logp)] == limits
        ex.action.value = "push left"      # the curves (and their label) follow the action
        np.testing.assert_allclose(ex.lines[0].get_ydata(), ex.logp[:, 0, 0])
        assert ex.ax_logp.get_ylabel() == "log π(push left | s)"
        assert ex.ax_curve.get_xlabel() and ex.ax_curve.get_ylabel()
    finally:
        ex.close()


def test_cartpole_drawing_geometry():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    d = CartPoleDrawing(ax)
    d.set_state([1.0, 0.0, np.pi / 6, 0.0], "hello")
    xs, ys = d.pole.get_data()
    assert xs[0] == 1.0 and np.isclose(xs[1] - xs[0], 0.5)           # sin 30° · 1 m
    assert np.isclose(ys[1] - ys[0], np.cos(np.pi / 6))
    assert np.isclose(d.cart.get_x() + d.cart.get_width() / 2, 1.0)
    assert d.text.get_text() == "hello"
    with pytest.raises(ValueError, match="shape"):
        d.set_state([1.0, 2.0])


def test_animation_frames_and_html():
    states = np.zeros((11, 4))
    states[:, 2] = np.linspace(0, 0.2, 11)
    anim = animate_states(states, every=4)
    assert anim._cartpole_frames == [0, 4, 8, 10]
    html = anim.to_jshtml()
    assert "<img" in html or "frames" in html
    with pytest.raises(ValueError, match="every"):
        animate_states(states, every=0)
    with pytest.raises(ValueError, match="steps must lie"):
        snapshot(states, [0, 11])
