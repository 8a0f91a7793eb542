"""helpers.diagrams (notebook 04's picture of its MDP, reused by 05, 07, 08 and 11).

* every transition with positive probability is drawn as an arrow and labelled with its
  probability, and no arrow is drawn for a zero-probability transition — on notebook 04's
  MDP, its discounted version, the three MDPs of helpers.pg_bugs and random MDPs (with
  self-loops, cycles and a horizon);
* every state, action, reward and start probability is labelled;
* the policy's probabilities appear on the state → action arrows and set their width;
* nothing drawn leaves the axes, and the state circles do not overlap;
* bad input raises ValueError naming the parameter.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import diagrams, mdp, pg_bugs  # noqa: E402


def _random_mdp(seed, S=5, A=2, horizon=None, gamma=1.0):
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S)) ** 3 * (rng.random((S, A, S)) < 0.5)
    P[:, :, S - 1] += 0.05                          # every state can end the episode
    P[S - 1] = 0.0
    P[: S - 1] /= P[: S - 1].sum(axis=2, keepdims=True)
    rho = np.r_[rng.random(S - 1) * (rng.random(S - 1) < 0.6), 0.0]
    rho[0] += 0.1
    return mdp.TabularMDP(P, rng.normal(size=(S, A)).round(1), rho / rho.sum(),
                          terminal=[S - 1], horizon=horizon, gamma=gamma)


def _mdps():
    tiny, _ = mdp.example_mdp()
    yield "example", tiny
    yield "discounted", pg_bugs.discounted_example_mdp(0.5)[0]
    yield "padded", pg_bugs.padded_example_mdp()[0]
    yield "quit or continue", pg_bugs.quit_or_continue_mdp()[0]
    yield "aliased", pg_bugs.aliased_mdp()[0]
    yield "random, horizon 4", _random_mdp(0, horizon=4)
    yield "random, discounted", _random_mdp(1, S=6, A=3, gamma=0.9)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name, problem", list(_mdps()), ids=[n for n, _ in _mdps()])
def test_every_positive_transition_is_drawn_and_labelled(name, problem):
    drawing = diagrams.draw_mdp(problem, title=name)
    live = np.flatnonzero(~problem.terminal)
    expected = {(int(s), a, int(s2)) for s in live for a in range(problem.n_actions)
                for s2 in np.flatnonzero(problem.P[s, a] > 0)}
    assert set(drawing.transitions) == expected
    assert set(drawing.transition_labels) == expected
    for key, label in drawing.transition_labels.items():
        assert float(label.get_text()) == pytest.approx(problem.P[key], abs=5e-4)
        assert drawing.transitions[key] in drawing.ax.patches
    for (s, a, s2), box in drawing.terminals.items():
        assert problem.terminal[s2] and (s, a, s2) in expected and box in drawing.ax.patches


@pytest.mark.parametrize("name, problem", list(_mdps()), ids=[n for n, _ in _mdps()])
def test_states_actions_rewards_and_starts_are_labelled(name, problem):
    drawing = diagrams.draw_mdp(problem)
    live = [int(s) for s in np.flatnonzero(~problem.terminal)]
    assert sorted(drawing.states) == live
    assert [drawing.state_labels[s].get_text() for s in live] == [
        problem.state_names[s] for s in live]
    for s in live:
        for a in range(problem.n_actions):
            text = drawing.action_labels[(s, a)].get_text()
            assert problem.action_names[a] in text
            reward = text.split("r = ")[1].split()[0].replace("−", "-")
            assert float(reward) == pytest.approx(problem.r[s, a], abs=5e-3)
    starts = {int(s) for s in np.flatnonzero(problem.rho > 0)}
    assert set(drawing.start_labels) == starts
    for s in starts:
        assert float(drawing.start_labels[s].get_text().split("= ")[1]) == pytest.approx(
            problem.rho[s], abs=5e-4)
    assert f"γ = {problem.gamma:g}" in drawing.caption.get_text()


def test_layout_fits_the_axes_and_states_do_not_overlap():
    for _, problem in _mdps():
        drawing = diagrams.draw_mdp(problem, title="t")
        ax = drawing.ax
        ax.figure.canvas.draw()
        box = ax.get_window_extent().expanded(1.001, 1.001)
        texts = (list(drawing.action_labels.values()) + list(drawing.transition_labels.values())
                 + [drawing.caption, drawing.title])
        for text in texts:
            extent = text.get_window_extent()
            assert box.contains(extent.x0, extent.y0) and box.contains(extent.x1, extent.y1), (
                text.get_text())
        centres = np.array(list(drawing.positions.values()))
        gaps = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
        assert np.all(gaps[np.triu_indices(len(centres), 1)] > 2 * diagrams._RADIUS + 0.5)
        plt.close(ax.figure)


def test_the_example_is_drawn_without_crossings_between_its_states():
    tiny, _ = mdp.example_mdp()
    pos, _ = diagrams._layout(tiny)
    assert diagrams._crossings(tiny, pos) == 0


def test_policy_probabilities_label_and_widen_the_action_arrows():
    tiny, policy = mdp.example_mdp()
    pi = policy.probs(np.array([1.0, -1.0]))
    drawing = diagrams.draw_mdp(tiny, policy_probs=pi)
    for (s, a), label in drawing.action_labels.items():
        assert f"π = {pi[s, a]:.2f}" in label.get_text()
    widths = {key: arrow.get_linewidth() for key, arrow in drawing.action_arrows.items()}
    assert widths[(0, 1)] > widths[(0, 0)] and widths[(2, 0)] > widths[(2, 1)]


def test_draws_into_a_given_axes():
    tiny, _ = mdp.example_mdp()
    fig, axes = plt.subplots(1, 2)
    drawing = diagrams.draw_mdp(tiny, axes[1], fontsize=9)
    assert drawing.ax is axes[1] and not axes[0].patches and axes[1].patches


def test_probability_labels_are_short():
    assert [diagrams.format_probability(p) for p in (1.0, 0.8, 0.25, 1 / 3, 0.0004)] == [
        "1", "0.8", "0.25", "0.333", "0.0004"]


def test_bad_input_is_rejected_with_a_clear_message():
    tiny, policy = mdp.example_mdp()
    with pytest.raises(ValueError, match="mdp must be a helpers.mdp.TabularMDP"):
        diagrams.draw_mdp(tiny.P)
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes"):
        diagrams.draw_mdp(tiny, ax="left")
    with pytest.raises(ValueError, match="policy_probs"):
        diagrams.draw_mdp(tiny, policy_probs=np.ones((5, 3)) / 3)
    with pytest.raises(ValueError, match="policy_probs must hold probabilities"):
        diagrams.draw_mdp(tiny, policy_probs=np.full((5, 2), 0.7))
    with pytest.raises(ValueError, match="policy_probs"):
        diagrams.draw_mdp(tiny, policy_probs=np.full((5, 2), np.nan))
    P = np.zeros((20, 2, 20))
    P[:19, :, 19] = 1.0
    big = mdp.TabularMDP(P, np.zeros((20, 2)), np.r_[1.0, np.zeros(19)], terminal=[19])
    with pytest.raises(ValueError, match="small MDPs"):
        diagrams.draw_mdp(big)
