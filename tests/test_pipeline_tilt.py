"""helpers.pipeline_tilt: notebook 06's own weights (reinforce.advantages), applied to every
batch of notebook 04's MDP, give the exact expected update (notebook 06, section 4)."""

from dataclasses import replace

import numpy as np
import pytest

from helpers import critic, pg_bugs, pipeline_tilt, reinforce
from helpers import mdp as M

LADDER = reinforce.improvement_ladder()
THETA = np.array([0.5, -1.0])


@pytest.mark.parametrize("name", ["plain", "+ Adam", "+ reward-to-go"])
def test_weights_without_a_batch_baseline_are_unbiased(name):
    t = pipeline_tilt.tilt(LADDER[name])
    assert t.angle < 1e-6 and np.allclose(t.ratio, 1, atol=1e-12)


def test_leave_one_out_is_unbiased_and_the_batch_mean_matches_two_other_implementations():
    assert pipeline_tilt.tilt(replace(LADDER["+ baseline"], baseline="leave_one_out")).angle < 1e-6
    tiny, policy = M.example_mdp()
    for m in (2, 3):
        t = pipeline_tilt.tilt(LADDER["+ baseline"], m=m)
        bugs = pg_bugs.expectation("per_timestep_baseline", tiny, policy, THETA, m).mean
        np.testing.assert_allclose(t.mean, bugs, atol=1e-13)
    seven = critic.batch_baseline_moments(tiny, policy, THETA, 2)     # notebook 07, section 2
    np.testing.assert_allclose(pipeline_tilt.tilt(LADDER["+ baseline"]).mean, seven.mean,
                               atol=1e-13)
    np.testing.assert_allclose(pipeline_tilt.tilt(LADDER["+ baseline"]).exact,
                               M.exact_gradient(tiny, policy, THETA), atol=1e-13)


def test_the_floor_only_rescales_on_the_tiny_mdp_and_without_it_the_std_division_tilts():
    base, floored = (pipeline_tilt.tilt(LADDER[n]) for n in ("+ baseline", "+ normalisation"))
    # after the per-timestep batch mean the weights already average 0, and their spread is
    # below the floor of 10: normalisation divides them by 10 and nothing else
    np.testing.assert_allclose(floored.mean, base.mean / 10, atol=1e-13)
    no_floor = pipeline_tilt.tilt(replace(LADDER["+ normalisation"], min_std=0.0))
    assert no_floor.angle > 2 * base.angle > 0
    flipped = pipeline_tilt.tilt(replace(LADDER["+ normalisation"], min_std=0.0),
                                 theta=(-1.0, -1.0), m=3)
    assert flipped.ratio[0] > 0 > flipped.ratio[1]


def test_the_estimator_agrees_with_reinforce_advantages_on_a_sampled_batch():
    tiny, policy = M.example_mdp()
    rng = np.random.default_rng(0)
    batch = M.sample_trajectories(tiny, policy, THETA, 3, rng)
    x = pg_bugs.make_sample(tiny, policy, THETA, batch)
    g = pipeline_tilt.agent_estimator(LADDER["+ normalisation"])(x)
    eps = [reinforce.Episode(np.zeros((n, 4)), np.zeros(n, int), batch.rewards[i, :n],
                             True, False) for i, n in enumerate(batch.mask.sum(axis=1))]
    A = reinforce.advantages(eps, LADDER["+ normalisation"])
    by_hand = sum(a @ x.score[i, : a.size] for i, a in enumerate(A)) / 3
    np.testing.assert_allclose(g, by_hand, atol=1e-14)


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="Config"):
        pipeline_tilt.tilt({"baseline": "batch_mean"})
    with pytest.raises(ValueError, match="γ"):
        pipeline_tilt.tilt(replace(LADDER["+ baseline"], gamma=0.9))
    with pytest.raises(ValueError, match="baseline"):
        pipeline_tilt.tilt(replace(LADDER["+ baseline"], baseline="median"))
