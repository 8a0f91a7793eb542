"""helpers.reinforce_fast, the speed machinery of helpers.reinforce: each piece against the
plain computation it replaces."""

import numpy as np
import pytest

from helpers import reinforce, reinforce_fast
from helpers.distributions import softmax


@pytest.mark.parametrize("n_actions", [2, 3, 5])
def test_sample_actions_draws_the_plain_inverse_cdf_draw(n_actions):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, n_actions)) * 3
    fast = reinforce_fast.sample_actions(z, np.random.default_rng(1))
    u = np.random.default_rng(1).random(z.shape[0])          # the same uniforms
    plain = (np.cumsum(softmax(z, axis=1), axis=1) < u[:, None]).sum(axis=1)
    # the same draw, except where u lies within rounding of a cumulative probability
    assert fast.dtype.kind == "i" and np.mean(fast == plain) > 0.999
    assert np.all((fast >= 0) & (fast < n_actions))


def test_step_buffer_keeps_running_episodes_when_it_makes_room():
    buf = reinforce_fast.StepBuffer(n_envs=1, obs_dim=1, capacity=3)
    for k in range(3):                                       # a new episode from row 2 on
        row = buf.observation_row([[k]])
        assert row[0, 0] == k
        buf.record([k % 2], [float(k)])
        if k == 1:
            buf.start[0] = 2
        buf.advance()
    buf.observation_row([[3]])                               # full: row 2 slides to row 0
    buf.record([1], [3.0])
    obs, acts, rews = buf.episode(0)
    assert buf.k == 1 and buf.start[0] == 0
    assert obs.ravel().tolist() == [2.0, 3.0] and rews.tolist() == [2.0, 3.0]
    assert acts.tolist() == [0, 1]
    buf.advance()
    buf.observation_row([[4]])
    with pytest.raises(RuntimeError, match="longer than"):   # one episode fills it
        for _ in range(3):
            buf.record([0], [0.0])
            buf.advance()
            buf.observation_row([[5]])


def test_a_small_buffer_collects_the_same_episodes():
    """Making room often changes nothing: the same episodes as with the default buffer."""
    policy = reinforce.LinearSoftmaxPolicy()
    runs = []
    for capacity in (2048, 150):
        col = reinforce.EpisodeCollector(2, seed=3)
        col.buffer = reinforce_fast.StepBuffer(2, 4, capacity=capacity)
        runs.append(col.collect(policy, np.random.default_rng(0), 40))
        col.close()
    assert len(runs[0]) == len(runs[1]) >= 40 and sum(e.length for e in runs[0]) > 3 * 150
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a.obs, b.obs) and np.array_equal(a.rewards, b.rewards)
        assert np.array_equal(a.actions, b.actions) and a.end_step == b.end_step


def test_parameter_views_follow_theta():
    pol = reinforce.MLPPolicy(hidden=3, rng=np.random.default_rng(0))
    W1 = pol._params()[0]
    assert pol._params()[0] is W1                             # cached while θ is the same
    pol.theta[0] = 42.0                                       # in place: the view sees it
    assert W1[0, 0] == 42.0
    pol.theta = pol.theta * 2                                 # a new θ: new views
    assert pol._params()[0] is not W1 and pol._params()[0][0, 0] == 84.0


def test_stopwatch_reads_elapsed_wall_and_cpu_time():
    watch = reinforce_fast.Stopwatch()
    sum(range(200_000))
    wall, cpu = watch.read()
    assert wall > 0 and cpu > 0
    watch.start()
    assert watch.read()[0] < wall + 1.0
