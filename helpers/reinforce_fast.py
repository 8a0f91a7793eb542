"""Speed machinery for :mod:`helpers.reinforce` — skip it on a first reading.

Notebook 06 trains REINFORCE on CartPole for 10 seeds inside a notebook's time budget, and
the benchmarks train hundreds of runs, so the loop must not waste time. Nothing here
changes *what* is computed (the tests compare each piece with the plain version); it only
avoids work that numpy's generality would do on every one of ~100,000 vector steps:

* :class:`ParameterViews` — a policy's weight matrices as views into its flat θ, rebuilt
  once per update instead of on every forward pass;
* :func:`sample_actions` — inverse-CDF sampling from logits without normalising, with a
  two-action shortcut;
* :class:`StepBuffer` — the episode collector's storage: preallocated rows, one per vector
  step, slid back when full, so that no step allocates;
* :class:`Stopwatch` — wall and CPU clocks for the "time to solve" the benchmarks report.

Introduced in notebook 06.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["ParameterViews", "StepBuffer", "Stopwatch", "sample_actions"]


class ParameterViews:
    """Mixin for a policy whose parameters live in one flat vector ``self.theta`` (for Adam)
    and whose ``_unpack()`` cuts it into weight matrices.

    ``_params()`` returns those blocks as views into ``theta``, rebuilt only when ``theta``
    is replaced by a new array (once per update), not on every forward pass; the views share
    memory with ``theta``, so editing it in place shows through. Notebook 06.
    """

    theta: np.ndarray
    _params_of = None  # the ``theta`` array that ``_blocks`` views

    def _params(self):
        if self._params_of is not self.theta:
            self._blocks, self._params_of = self._unpack(), self.theta
        return self._blocks


def sample_actions(z, rng) -> np.ndarray:
    """One action per row of logits ``z`` (B, A), drawn from softmax(z), with ``rng``.

    Inverse-CDF sampling on the unnormalised weights e^(z − max z): the same draw as with π
    itself, without validating or normalising (this runs once per vector step, so it avoids
    numpy's generic reductions where it can). Notebook 06.
    """
    u = rng.random(z.shape[0])
    if z.shape[1] == 2:
        # two actions: the cumulative weights are e₀ and e₀ + e₁, and action 1 is drawn
        # exactly when u·(e₀ + e₁) > e₀ — the general branch below, without cumsum/sum
        z0, z1 = z[:, 0], z[:, 1]
        m = np.maximum(z0, z1)
        e0 = np.exp(z0 - m)
        return (e0 < u * (e0 + np.exp(z1 - m))).astype(np.int64)
    c = np.cumsum(np.exp(z - z.max(axis=1, keepdims=True)), axis=1)
    return (c[:, :-1] < (u * c[:, -1])[:, None]).sum(axis=1)


class StepBuffer:
    """Where :class:`helpers.reinforce.EpisodeCollector` keeps the steps of the episodes
    still running: step k of sub-environment i at row k, column i; sub-environment i's
    current episode began at row ``start[i]``.

    The rows are allocated once (``capacity`` vector steps; an episode lasts at most 500).
    When they run out, the rows of the episodes still running are slid to the top
    (:meth:`make_room`), so no step allocates memory. Notebook 06.
    """

    def __init__(self, n_envs: int, obs_dim: int, capacity: int = 2048):
        self.capacity = capacity
        self.obs = np.zeros((capacity, n_envs, obs_dim))
        self.actions = np.zeros((capacity, n_envs), dtype=np.int64)
        self.rewards = np.zeros((capacity, n_envs))
        self.k = 0                                      # the row the next step goes to
        self.start = np.zeros(n_envs, dtype=np.int64)

    def make_room(self):
        """Slide the rows of the episodes still running to the top of the buffer."""
        lo = int(self.start.min())
        keep = self.k - lo
        if keep == self.capacity:
            raise RuntimeError(f"an episode is longer than the step buffer ({self.capacity} "
                               "steps); give the buffer a larger capacity.")
        for buf in (self.obs, self.actions, self.rewards):
            buf[:keep] = buf[lo: self.k]
        self.start -= lo
        self.k = keep

    def observation_row(self, obs) -> np.ndarray:
        """Store this step's observations (float32 → float64, straight into the buffer row)
        and return that row, which the policy then reads."""
        if self.k == self.capacity:
            self.make_room()
        row = self.obs[self.k]
        row[...] = obs
        return row

    def record(self, actions, rewards):
        """Store this step's actions and rewards (in the row of :meth:`observation_row`)."""
        self.actions[self.k] = actions
        self.rewards[self.k] = rewards

    def episode(self, i: int):
        """Copies of sub-environment i's episode so far, this step included:
        (observations, actions, rewards)."""
        s, k = self.start[i], self.k
        return (self.obs[s: k + 1, i].copy(), self.actions[s: k + 1, i].copy(),
                self.rewards[s: k + 1, i].copy())

    def advance(self):
        """Move to the next row, after a step has been stored."""
        self.k += 1


class Stopwatch:
    """Wall time (``perf_counter``) and this process's CPU time (``process_time``) since
    :meth:`start`: on a shared machine CPU time is the less noisy of the two. Notebook 06.
    """

    def __init__(self):
        self.start()

    def start(self):
        self._t0 = (time.perf_counter(), time.process_time())

    def read(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds) since :meth:`start`."""
        return time.perf_counter() - self._t0[0], time.process_time() - self._t0[1]
