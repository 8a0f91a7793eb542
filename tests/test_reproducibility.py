"""helpers.reproducibility: nudges by k ulps, and the search for the smallest nudge that makes
a CartPole run part from its reference (notebook 06, section 6)."""

from dataclasses import replace

import numpy as np
import pytest

from helpers import reinforce, reproducibility

CONFIG = replace(reinforce.Config(), stop="budget", max_steps=6_000)


@pytest.fixture(scope="module")
def reference():
    return reinforce.train(CONFIG, seed=1)


def test_a_nudge_moves_every_entry_by_k_ulps():
    theta = np.array([1.5, -0.3, 1e-8, -2e5])
    assert np.array_equal(reproducibility.nudge(theta, 1), np.nextafter(theta, np.inf))
    for k in (3.0, 1024.0, 2.0**36):
        moved = reproducibility.nudge(theta, k)
        assert np.all(moved > theta)
        np.testing.assert_allclose((moved - theta) / np.abs(np.spacing(theta)), k, rtol=1e-6)
    assert np.array_equal(reproducibility.nudge(theta, 0), theta)
    assert np.all(reproducibility.nudge(np.zeros(3), 2.0**48) < 1e-300)   # zeros stay ~0


def test_an_unnudged_run_never_parts_and_a_nudged_one_parts_where_a_full_run_does(reference):
    theta0 = reference.params[0]
    assert reproducibility.steps_until_parted(CONFIG, 1, reference, theta0, 6_000) == (None,
                                                                                        None)
    init = reproducibility.nudge(theta0, 2.0**48)
    episode, step = reproducibility.steps_until_parted(CONFIG, 1, reference, init, 6_000)
    full = reinforce.train(CONFIG, seed=1, init=init)
    assert episode == reinforce.first_different_episode(reference, full) < len(
        full.episode_returns)
    assert step == full.episode_end_steps[episode]


def test_the_search_goes_down_until_a_nudge_leaves_the_run_unchanged(reference):
    search = reproducibility.parting_search(CONFIG, 1, reference, exponents=(48, 36, 24, 12, 0),
                                            max_steps=6_000)
    sizes = [n.ulps for n in search.tried]
    assert sizes == sorted(sizes, reverse=True) and search.tried[0].ulps == 2.0**48
    assert all(n.parted for n in search.tried[:-1])
    assert not search.tried[-1].parted or search.tried[-1].ulps == 1   # stopped, or ran out
    best = search.smallest
    assert best is not None and best.ulps == min(n.ulps for n in search.tried if n.parted)
    text = str(search)
    assert "smallest nudge tried that parted the runs: 2^" in text and "relative" in text
    nothing = reproducibility.parting_search(CONFIG, 1, reference, exponents=(0,),
                                             max_steps=200)
    assert nothing.smallest is None and "none" in str(nothing)


def test_bad_input_gives_clear_errors(reference):
    with pytest.raises(ValueError, match="ulps"):
        reproducibility.nudge([1.0], -1)
    with pytest.raises(ValueError, match="ulps"):
        reproducibility.nudge([1.0], np.inf)
    with pytest.raises(ValueError, match="decreasing"):
        reproducibility.parting_search(CONFIG, 1, reference, exponents=(12, 24))
    with pytest.raises(ValueError, match="decreasing"):
        reproducibility.parting_search(CONFIG, 1, reference, exponents=())
    with pytest.raises(ValueError, match="History"):
        reproducibility.parting_search(CONFIG, 1, [1, 2, 3])
    with pytest.raises(ValueError, match="History"):
        reproducibility.steps_until_parted(CONFIG, 1, None, np.zeros(58), 100)
    with pytest.raises(ValueError, match="max_steps"):
        reproducibility.parting_search(CONFIG, 1, reference, max_steps=0)
