"""helpers.credit (notebook 05's pictures of credit assignment).

* the reward-to-go masks reproduce Trajectories.returns, reward_to_go and
  discounted_reward_to_go on sampled episodes of the discounted example MDP;
* one update from a trajectory changes its log-probability by exactly
  log P(τ; θ′) − log P(τ; θ) (the dynamics cancel), and by η R(τ) ‖Σ_t ∇log π‖² to first
  order, with an error that shrinks like η²;
* the pictures draw what they say: one cell label per positive weight, one arrow per
  sampled trajectory plus the mean and exact steps, one point per trajectory, a "0" for
  every bar of exactly zero height;
* bad input raises ValueError.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import credit, mdp, pg_bugs  # noqa: E402

TINY, POLICY = mdp.example_mdp()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_masks_reproduce_the_weights_of_sampled_episodes():
    gamma = 0.5
    discounted, policy = pg_bugs.discounted_example_mdp(gamma)
    batch = mdp.sample_trajectories(discounted, policy, np.array([0.3, -0.4]), 200,
                                    np.random.default_rng(0))
    got = {"return": np.broadcast_to(batch.returns(gamma)[:, None], batch.mask.shape),
           "reward_to_go": batch.reward_to_go(gamma),
           "discounted_reward_to_go": batch.discounted_reward_to_go(gamma)}
    for i in range(batch.m):
        T = int(batch.lengths[i])
        for kind in credit.WEIGHTINGS:
            W = credit.reward_weights(T, gamma, kind)
            np.testing.assert_allclose(W @ batch.rewards[i, :T], got[kind][i, :T], atol=1e-12)


def test_masks_by_hand():
    np.testing.assert_allclose(credit.reward_weights(3, 0.5, "reward_to_go"),
                               [[1, 0.5, 0.25], [0, 1, 0.5], [0, 0, 1]])
    np.testing.assert_allclose(credit.reward_weights(3, 0.5, "discounted_reward_to_go"),
                               [[1, 0.5, 0.25], [0, 0.5, 0.25], [0, 0, 0.25]])
    np.testing.assert_allclose(credit.reward_weights(2, 1.0, "return"), np.ones((2, 2)))


def test_mask_picture_labels_every_positive_weight():
    out = credit.plot_reward_to_go_mask(4, 0.5)
    for ax, kind in zip(out["axes"], credit.WEIGHTINGS, strict=True):
        W = out["weights"][kind]
        np.testing.assert_allclose(ax.get_images()[0].get_array(), W)
        labels = [float(t.get_text()) for t in ax.texts]
        assert len(labels) == np.count_nonzero(W)
        np.testing.assert_allclose(sorted(labels), sorted(W[W > 0]), rtol=1e-2)
        assert ax.get_title()
    # the full return and γ^t G_t are unbiased; G_t alone is not when γ < 1
    titles = [ax.get_title() for ax in out["axes"]]
    assert "(unbiased)" in titles[0] and "biased if" in titles[1] and "(unbiased)" in titles[2]


def test_trajectory_pushes_exact_and_first_order():
    theta = np.array([0.4, -0.2])
    batch, _ = mdp.enumerate_trajectories(TINY, POLICY, theta)
    out = credit.trajectory_pushes(TINY, POLICY, theta, batch, eta=0.3)
    for i in range(batch.m):
        one = mdp.Trajectories(*(x[[i]] for x in (batch.states, batch.actions, batch.rewards,
                                                 batch.next_states, batch.mask)))
        before = mdp.trajectory_probabilities(TINY, POLICY, theta, one)[0]
        after = mdp.trajectory_probabilities(TINY, POLICY, theta + out["steps"][i], one)[0]
        assert out["exact"][i] == pytest.approx(np.log(after / before), abs=1e-12)
        S = out["score_sums"][i]
        assert out["first_order"][i] == pytest.approx(0.3 * out["returns"][i] * S @ S)
        np.testing.assert_allclose(out["steps"][i], 0.3 * out["returns"][i] * S, atol=1e-12)
    np.testing.assert_array_equal(np.sign(out["exact"]), np.sign(out["returns"]))
    errors = [np.abs(o["exact"] - o["first_order"]).max()
              for o in (credit.trajectory_pushes(TINY, POLICY, theta, batch, eta=e)
                        for e in (0.1, 0.01))]
    assert 50 < errors[0] / errors[1] < 200            # second order: ×100 for η / 10


def test_push_picture_has_one_arrow_per_trajectory():
    batch = mdp.sample_trajectories(TINY, POLICY, np.zeros(2), 12, np.random.default_rng(1))
    out = credit.plot_trajectory_pushes(TINY, POLICY, np.zeros(2), batch, eta=0.5)
    left, right = out["axes"]
    arrows = [t for t in left.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == batch.m + 2                  # every trajectory, mean and exact
    np.testing.assert_allclose(right.collections[0].get_offsets(),
                               np.c_[out["first_order"], out["exact"]])
    assert left.get_xlabel() == "θ1" and right.get_ylabel()
    # identical trajectories overlap: the right panel writes how many share each point
    points = np.round(np.c_[out["first_order"], out["exact"]], 9)
    _, counts = np.unique(points, axis=0, return_counts=True)
    assert sorted(int(t.get_text()[1:]) for t in right.texts) == sorted(counts[counts > 1])
    # every drawn arrow of a trajectory is labelled with its return(s), and those labels
    # lie above the trajectories' arrows but below the mean and exact steps
    labels = [t for t in left.texts if t.get_text().startswith("R = ")]
    named = sum(int(part.split("×")[1].rstrip(")")) if "×" in part else 1
                for t in labels for part in t.get_text().split(", "))
    assert named == np.count_nonzero(out["returns"])
    assert all(3 < t.get_zorder() < 4 for t in labels)
    with pytest.raises(ValueError, match="two parameters"):
        credit.plot_trajectory_pushes(TINY, mdp.tabular_softmax(5, 2), np.zeros(10), batch, 0.5)


def test_action_moves_mark_zero_bars():
    theta = np.zeros(2)
    batch, _ = mdp.enumerate_trajectories(TINY, POLICY, theta)
    moves = {("separate", i, rtg): mdp.one_episode_update(TINY, POLICY, theta, batch, i,
                                                          eta=0.5, reward_to_go=rtg)
             for i in (0, 3) for rtg in (False, True)}
    axes = credit.plot_action_moves(moves, ["separate"], [0, 3], ["a", "b", "c", "d"])
    values = np.concatenate([moves["separate", i, rtg]["exact"]
                             for i in (0, 3) for rtg in (False, True)])
    heights = [p.get_height() for p in axes[0].patches]
    np.testing.assert_allclose(sorted(heights), sorted(values))
    zeros = [t for t in axes[0].texts if t.get_text() == "0"]
    assert len(zeros) == np.sum(values == 0) > 0
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["a", "b", "c", "d"]
    axes = credit.plot_action_moves(moves, ["separate"], [0, 3], ["a", "b", "c", "d"],
                                    groups=["first", "second"])
    named = {t.get_text(): t.xy[0] for t in axes[0].texts if t.get_text() != "0"}
    assert named == {"first": 0.5, "second": 3.5}             # under each episode's bars
    with pytest.raises(ValueError, match="groups"):
        credit.plot_action_moves(moves, ["separate"], [0, 3], ["a", "b", "c", "d"],
                                 groups=["only one"])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: credit.reward_weights(0, 0.5, "return"), "T"),
    (lambda: credit.reward_weights(3, 1.5, "return"), "gamma"),
    (lambda: credit.reward_weights(3, 0.5, "rtg"), "kind"),
    (lambda: credit.trajectory_pushes(TINY, POLICY, np.zeros(2),
                                      mdp.enumerate_trajectories(TINY, POLICY, np.zeros(2))[0],
                                      eta=0.0), "eta"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
