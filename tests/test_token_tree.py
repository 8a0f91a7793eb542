"""helpers.token_tree (notebook 09, section 1: the toy model's answers as paths).

* every drawn edge is labelled with its token and π(token | prompt, previous token);
* a leaf's π(y|q) is the product along its path and equals the task's own π(y|q);
* leaves and "…" stubs partition the probability: they sum to 1;
* the correct answer's path is highlighted; nothing drawn leaves the axes;
* bad input raises ValueError naming the parameter.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import token_tree, toy_lm  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _thetas(task):
    yield task.initial_theta()
    yield np.random.default_rng(0).normal(size=task.n_params) * 2


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("q", [0, 1, 2])
def test_edges_leaves_and_stubs_carry_the_models_probabilities(q, depth):
    task = toy_lm.Task()
    for theta in _thetas(task):
        d = token_tree.draw_token_tree(task, theta, q=q, depth=depth)
        pi_tok = np.exp(task.token_log_probs(theta)[q])
        n_internal = sum(1 for p in d.positions if len(p) < depth and not (p and p[-1] == 3))
        assert len(d.edges) == len(d.edge_labels) == 4 * n_internal
        for (parent, v), label in d.edge_labels.items():
            context = parent[-1] if parent else toy_lm.START
            p = token_tree._label(pi_tok[context, v])
            assert label.get_text() == f"'{toy_lm.TOKENS[v]}' {p}"
        pi = task.probs(theta)[q]
        for prefix in d.leaves:
            row = task.answers.index(toy_lm.answer_text(prefix))
            assert np.isclose(d.probabilities[prefix], pi[row], rtol=1e-12)
            assert f"r = {task.rewards[q, row]:.0f}" in d.leaves[prefix].get_text()
        for prefix in d.stubs:       # P(starts with prefix) = Σ over the answers that do
            starts = [i for i, t in enumerate(task.answers.tokens) if t[:depth] == prefix]
            assert np.isclose(d.probabilities[prefix], pi[starts].sum(), rtol=1e-12)
        total = sum(d.probabilities[p] for p in (*d.leaves, *d.stubs))
        assert np.isclose(total, 1.0, atol=1e-12)
        assert len(d.leaves) == sum(3 ** k for k in range(depth))   # "." after 0..depth−1
        assert len(d.stubs) == 3 ** depth                           # letters only
        assert d.highlighted == (q, toy_lm.EOS) and ((q, toy_lm.EOS) in d.leaves) == (depth > 1)


def test_the_tree_has_one_leaf_per_short_answer_and_one_stub_per_open_prefix():
    task = toy_lm.Task()
    d = token_tree.draw_token_tree(task, task.initial_theta(), q=1, depth=2)
    assert sorted(toy_lm.answer_text(p) for p in d.leaves) == [".", "a.", "b.", "c."]
    assert len(d.stubs) == 9 and all(len(p) == 2 and 3 not in p for p in d.stubs)
    assert d.leaves[(1, 3)].get_color() == token_tree.COLORS["green"]


def test_everything_drawn_stays_inside_the_axes():
    task = toy_lm.Task()
    for depth in (1, 2, 3):
        d = token_tree.draw_token_tree(task, task.initial_theta(), q=2, depth=depth)
        fig = d.ax.figure
        fig.canvas.draw()
        box = d.ax.get_window_extent()
        renderer = fig.canvas.get_renderer()
        for text in (*d.edge_labels.values(), *d.leaves.values(), *d.stubs.values()):
            ext = text.get_window_extent(renderer)
            assert box.x0 - 1 <= ext.x0 and ext.x1 <= box.x1 + 1, text.get_text()
            assert box.y0 - 1 <= ext.y0 and ext.y1 <= box.y1 + 1, text.get_text()


def test_prefix_probability_is_the_product_of_token_probabilities():
    task = toy_lm.Task()
    theta = task.initial_theta()
    lp = task.token_log_probs(theta)[0]
    assert np.isclose(token_tree.prefix_probability(task, theta, 0, (0, 3)),
                      np.exp(lp[toy_lm.START, 0] + lp[0, 3]))
    assert token_tree.prefix_probability(task, theta, 0, ()) == 1.0


def test_bad_input_gives_clear_errors():
    task = toy_lm.Task()
    theta = task.initial_theta()
    with pytest.raises(ValueError, match="Task"):
        token_tree.draw_token_tree("task", theta)
    with pytest.raises(ValueError, match="depth"):
        token_tree.draw_token_tree(task, theta, depth=4)
    with pytest.raises(ValueError, match="depth"):
        token_tree.draw_token_tree(task, theta, depth=0)
    with pytest.raises(ValueError, match="q"):
        token_tree.draw_token_tree(task, theta, q=3)
    with pytest.raises(ValueError, match="theta"):
        token_tree.draw_token_tree(task, theta[:5])
    with pytest.raises(ValueError, match="nothing follows"):
        token_tree.prefix_probability(task, theta, 0, (3, 0))
    with pytest.raises(ValueError, match="token indices"):
        token_tree.prefix_probability(task, theta, 0, (7,))
    with pytest.raises(ValueError, match="at most"):
        token_tree.prefix_probability(task, theta, 0, (0,) * 6)
