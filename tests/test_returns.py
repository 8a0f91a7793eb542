"""helpers.returns: the one reward-to-go and the one set of batch baselines, by hand and
against direct sums; one episode and a padded batch give the same floats."""

import numpy as np
import pytest

from helpers import returns


def test_reward_to_go_by_hand_and_against_direct_sums():
    np.testing.assert_allclose(returns.reward_to_go([1.0, 1.0, 1.0], 0.5), [1.75, 1.5, 1.0])
    np.testing.assert_array_equal(returns.reward_to_go([1.0, 2.0, 3.0]), [6.0, 5.0, 3.0])
    rng = np.random.default_rng(0)
    r = rng.normal(size=(3, 4, 9))
    gamma = 0.9
    direct = np.array([[[sum(gamma ** (k - t) * r[a, b, k] for k in range(t, 9))
                         for t in range(9)] for b in range(4)] for a in range(3)])
    np.testing.assert_allclose(returns.reward_to_go(r, gamma), direct, rtol=1e-12)


def test_one_episode_and_a_padded_batch_give_the_same_floats():
    rng = np.random.default_rng(1)
    lengths = [5, 9, 1, 7]
    eps = [rng.normal(size=n) for n in lengths]
    values, mask = returns.pad(eps)
    values[~mask] = 123.0                      # whatever lies past the end is ignored
    for gamma in (1.0, 0.99, 0.3):
        batch = returns.reward_to_go(values, gamma, mask)
        assert np.all(batch[~mask] == 0)
        for i, e in enumerate(eps):
            np.testing.assert_array_equal(batch[i, : e.size], returns.reward_to_go(e, gamma))


def test_pad_and_unpad_are_inverse():
    eps = [np.arange(3.0), np.arange(5.0), np.array([7.0])]
    values, mask = returns.pad(eps)
    assert values.shape == mask.shape == (3, 5) and mask.sum() == 9
    back = returns.unpad(values, mask)
    assert all(np.array_equal(a, b) for a, b in zip(back, eps, strict=True))


def test_batch_baselines_by_hand():
    # episodes of lengths 3, 1, 2 with returns G (padded): at t = 0 all three run,
    # at t = 1 episodes 0 and 2, at t = 2 episode 0 alone
    G = np.array([[3.0, 2.0, 1.0], [5.0, 0.0, 0.0], [4.0, 1.0, 0.0]])
    mask = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], dtype=bool)
    b = returns.batch_baseline(G, mask, "batch_mean")
    np.testing.assert_allclose(b[0], [4.0, 1.5, 1.0])
    loo = returns.batch_baseline(G, mask, "leave_one_out")
    # (past its own end an episode still gets the others' mean: masked wherever it is used)
    np.testing.assert_allclose(loo, [[4.5, 1.0, 0.0], [3.5, 1.5, 1.0], [4.0, 2.0, 1.0]])
    A = returns.minus_batch_baseline(G, mask, "batch_mean")
    np.testing.assert_allclose(A, [[-1.0, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, -0.5, 0.0]])
    # the batch mean shrinks the leave-one-out weight by (n_t − 1)/n_t
    n = mask.sum(axis=0)
    A_loo = returns.minus_batch_baseline(G, mask, "leave_one_out")
    np.testing.assert_allclose(A, np.where(mask, (n - 1) / n * A_loo, 0.0))


def test_stacked_batches_are_independent():
    rng = np.random.default_rng(2)
    G = rng.normal(size=(6, 3, 4))
    mask = rng.random((6, 3, 4)) < 0.7
    for kind in returns.BASELINE_KINDS:
        stacked = returns.minus_batch_baseline(G, mask, kind)
        for k in range(6):
            np.testing.assert_array_equal(stacked[k],
                                          returns.minus_batch_baseline(G[k], mask[k], kind))


def test_clear_errors():
    for call, match in [
        (lambda: returns.reward_to_go([1.0, 1.0], gamma=1.5), "gamma"),
        (lambda: returns.reward_to_go([1.0, np.nan]), "NaN"),
        (lambda: returns.reward_to_go(3.0), "one episode"),
        (lambda: returns.reward_to_go([1.0, 2.0], 1.0, [True]), "mask"),
        (lambda: returns.pad([]), "at least one"),
        (lambda: returns.unpad(np.zeros(3), np.ones(3)), "shape"),
        (lambda: returns.batch_baseline(np.zeros((2, 2)), np.ones((2, 2)), "median"), "kind"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
