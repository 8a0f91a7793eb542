"""Where does notebook 06's agent point, exactly? Notebook 06, section 4.

Notebook 06 builds its weights A_t with :func:`helpers.reinforce.advantages` (reward-to-go, a
per-timestep batch-mean baseline, normalisation with a floor). On CartPole nobody can say
where their *expected* update points. On notebook 04's tiny MDP every batch of m
trajectories can be listed (notebook 08's method, :func:`helpers.pg_bugs.expectation`), so
the same function, applied to every batch, gives E[ĝ] exactly: :func:`tilt` returns its
angle to the exact ∇U and its ratio to ∇U per parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import mdp as M
from helpers import pg_bugs, reinforce

__all__ = ["Tilt", "agent_estimator", "tilt"]


def agent_estimator(config) -> pg_bugs.Estimator:
    """Notebook 06's REINFORCE estimate with ``config``'s weights, as an estimator of
    :mod:`helpers.pg_bugs`: for each batch, ĝ = (1/m) Σ_i Σ_t A_it ∇log π(a_t|s_t) with the
    A_it of :func:`helpers.reinforce.advantages` on that batch's rewards. Notebook 06."""
    if not isinstance(config, reinforce.Config):
        raise ValueError(f"config must be a helpers.reinforce.Config; got "
                         f"{type(config).__name__}.")
    config = config.validate()

    def weights(x):
        shape = x.mask.shape                              # (..., m, T)
        rewards = x.rewards.reshape(-1, *shape[-2:])
        mask = x.mask.reshape(-1, *shape[-2:])
        w = np.zeros(rewards.shape)
        for b in range(rewards.shape[0]):
            episodes = [reinforce.Episode(np.zeros((n, reinforce.OBS_DIM)), np.zeros(n, int),
                                          rewards[b, i, :n], True, False)
                        for i, n in enumerate(mask[b].sum(axis=1))]
            for i, a in enumerate(reinforce.advantages(episodes, config)):
                w[b, i, : a.size] = a
        return x.per_episode(w.reshape(shape))

    return pg_bugs.Estimator("agent", weights, "notebook 06's weights", "notebook 06",
                             min_m=2 if config.baseline == "leave_one_out" else 1, batch=True)


@dataclass
class Tilt:
    """E[ĝ] of a configuration at θ, the exact ∇U, the angle between them (degrees) and their
    ratio per parameter. Notebook 06."""

    mean: np.ndarray
    exact: np.ndarray
    angle: float
    ratio: np.ndarray


def tilt(config, mdp=None, policy=None, theta=(0.5, -1.0), m: int = 2) -> Tilt:
    """The exact expected update of notebook 06's agent with ``config``, for batches of m
    episodes of a small MDP (default: notebook 04's, at its θ = (0.5, −1)), against ∇U.

    The MDP's discount must be ``config.gamma`` (both are 1 for notebook 04's MDP and the
    agent). Introduced in notebook 06.
    """
    if mdp is None:
        mdp, policy = M.example_mdp()
    est = agent_estimator(config)
    if not np.isclose(mdp.gamma, config.gamma):
        raise ValueError(f"the MDP's γ = {mdp.gamma:g} differs from config.gamma = "
                         f"{config.gamma:g}: the weights would be for another objective.")
    mean = pg_bugs.expectation(est, mdp, policy, theta, m, method="exact").mean
    exact = M.exact_gradient(mdp, policy, policy.check_theta(theta))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exact != 0, mean / np.where(exact != 0, exact, 1.0), np.nan)
    return Tilt(mean, exact, pg_bugs.angle_between(mean, exact), ratio)
