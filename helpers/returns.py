"""Reward-to-go and batch baselines, once for the whole course. Introduced in notebook 05;
used by notebooks 06, 07 and 08.

Every weight A_t of a policy gradient in the course is built from these few functions, so
the exact side (every trajectory of a tiny MDP enumerated, :mod:`helpers.mdp`,
:mod:`helpers.critic`, :mod:`helpers.pg_bugs`) and the sampled side (CartPole,
:mod:`helpers.reinforce`) compute the same weights with the same code:

* :func:`reward_to_go` — G_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'}, backwards: G_t = r_t + γ G_{t+1}.
  The same recursion with γλ in place of γ sums TD errors into GAE(λ) (notebook 07).
* :func:`batch_baseline` and :func:`minus_batch_baseline` — notebook 06's per-timestep
  baselines: b_t is the mean of G_t over the batch's episodes still running at step t,
  the episode itself included (``"batch_mean"``) or left out (``"leave_one_out"``).

**One layout.** A batch of m episodes is a padded array (m, T) — T the longest episode — with
a boolean ``mask`` (m, T), True for real steps: the layout of
:class:`helpers.mdp.Trajectories` and :class:`helpers.pg_bugs.Sample` (which stack batches
as (..., m, T)). CartPole's episodes have different lengths and arrive as a list
(:class:`helpers.reinforce.Episode`); :func:`pad` turns a list of per-episode arrays into
that layout and :func:`unpad` turns it back.
"""

from __future__ import annotations

import numpy as np

from helpers.validation import as_float_array, check_discount

__all__ = ["BASELINE_KINDS", "batch_baseline", "minus_batch_baseline", "pad", "reward_to_go",
           "unpad"]

#: the per-timestep baselines (``helpers.reinforce.Config.baseline`` adds "none")
BASELINE_KINDS = ("batch_mean", "leave_one_out")


def reward_to_go(rewards, gamma: float = 1.0, mask=None) -> np.ndarray:
    """G_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'} along the last axis: the rewards from step t on,
    discounted from t (not from the start of the episode: multiply by γ^t for that).

    ``rewards`` is one episode (T,) or a padded batch (..., T); ``mask`` (same shape), if
    given, marks the real steps: rewards past an episode's end are ignored and its G_t there
    is 0. Computed backwards, G_t = r_t + γ G_{t+1}, in the same order for one episode and
    for a batch, so both give the same floats. Introduced in notebook 05; used by 06, 07, 08.
    """
    r = as_float_array("rewards", rewards)
    g = check_discount(gamma)
    if r.ndim == 0:
        raise ValueError("rewards must be one episode (T,) or a padded batch (..., T).")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != r.shape:
            raise ValueError(f"mask must have the rewards' shape {r.shape}; got {mask.shape}.")
        r = np.where(mask, r, 0.0)
    if r.ndim == 1:
        out = r.tolist()   # Python floats: the same arithmetic, without numpy's per-item cost
        running = 0.0
        for t in range(len(out) - 1, -1, -1):
            running = out[t] + g * running
            out[t] = running
        G = np.array(out, dtype=float)
    else:
        G = np.empty_like(r)
        running = np.zeros(r.shape[:-1])
        for t in range(r.shape[-1] - 1, -1, -1):
            running = r[..., t] + g * running
            G[..., t] = running
    return G if mask is None else np.where(mask, G, 0.0)


def pad(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Stack m 1-D arrays of different lengths into (m, T_max) values and a boolean mask
    (zeros past each one's end). Introduced in notebook 06."""
    seqs = [as_float_array(f"sequence {i}", s, ndim=1) for i, s in enumerate(sequences)]
    if not seqs:
        raise ValueError("need at least one episode.")
    t_max = max(s.size for s in seqs)
    values = np.zeros((len(seqs), t_max))
    mask = np.zeros((len(seqs), t_max), dtype=bool)
    for i, s in enumerate(seqs):
        values[i, : s.size] = s
        mask[i, : s.size] = True
    return values, mask


def unpad(values, mask) -> list[np.ndarray]:
    """The inverse of :func:`pad`: one array per row, its masked entries (a copy).
    Introduced in notebook 06."""
    values, mask = np.asarray(values), np.asarray(mask, dtype=bool)
    if values.ndim != 2 or mask.shape != values.shape:
        raise ValueError(f"values and mask must be (m, T) arrays of one shape; got "
                         f"{values.shape} and {mask.shape}.")
    return np.split(values[mask], np.cumsum(mask.sum(axis=1))[:-1])


def _check_kind(kind):
    if kind not in BASELINE_KINDS:
        raise ValueError(f"kind must be one of {BASELINE_KINDS}; got {kind!r}.")


def batch_baseline(returns, mask, kind: str = "batch_mean") -> np.ndarray:
    """b_t for every episode and step of a batch of padded returns (..., m, T).

    * ``"batch_mean"``: the mean of G_t over the batch's episodes still running at t, the
      episode itself included; shape (..., 1, T), one b_t shared by the batch (1 where none
      is running, to avoid 0/0; those entries are masked anyway);
    * ``"leave_one_out"``: for episode i, the mean over the *other* episodes running at t,
      0 where none is; shape (..., m, T).

    Episodes that ended before t have no G_t and do not count. Introduced in notebook 06;
    used by notebooks 07 and 08.
    """
    _check_kind(kind)
    mask = np.asarray(mask, dtype=bool)
    G = np.where(mask, returns, 0.0)
    total, count = G.sum(axis=-2, keepdims=True), mask.sum(axis=-2, keepdims=True)
    if kind == "batch_mean":
        return total / np.maximum(count, 1)
    others = count - mask
    return np.divide(total - G, others, out=np.zeros_like(G), where=others > 0)


def minus_batch_baseline(returns, mask, kind: str = "batch_mean") -> np.ndarray:
    """G_t − b_t (:func:`batch_baseline`) at every real step, 0 past each episode's end.

    The batch mean includes the episode itself, so G_t − b_t = (n_t − 1)/n_t · (G_t − the
    others' mean), with n_t the episodes running at t: a factor that changes with t, so the
    expected update changes direction, not only size. Leave-one-out is independent of the
    episode's own actions, so subtracting it leaves the expectation unchanged (for episodes
    sampled independently). Introduced in notebook 06; used by notebooks 07 and 08.
    """
    mask = np.asarray(mask, dtype=bool)
    G = np.where(mask, returns, 0.0)
    return np.where(mask, G - batch_baseline(G, mask, kind), 0.0)
