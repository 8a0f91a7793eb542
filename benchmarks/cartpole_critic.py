"""Benchmark for notebook 07: a learned critic against notebook 06's REINFORCE, same run.

Every variant trains the same actor (``helpers.reinforce.Config()``, whatever its defaults
are today) on seeds 0 … N−1 until solved — the mean return of the last 100 training
episodes reaches 475 — and then 100 episodes more, still training, to see whether it stays
solved. Only the weights A_t of ∇log π differ:

* ``reinforce``: notebook 06's weights, undiscounted (``Config().gamma`` = 1): reward-to-go
  minus the batch mean (``baseline="batch_mean"``), normalised;
* ``vhat``: G_t − v̂(s_t), REINFORCE with a learned baseline (GAE with λ = 1);
* ``gae``: GAE(λ = 0.95), ``helpers.critic.CriticConfig()``;
* ``td``: the one-step actor-critic's TD error (λ = 0);
* ``gae-no-bootstrap``: GAE(0.95) with the 500-step time limit treated as a fall.

The critic variants discount with their own ``CriticConfig().gamma`` (0.99), whatever the
actor's γ, and carry no γ^t; every variant is scored by the undiscounted return, the
episode length.

Steps are real environment steps; wall and CPU time run from a built environment to the
solve. For each variant: solved k/N, the median steps, episodes, wall and CPU time to solve,
and, over the solved seeds, the median of the mean return of the 100 episodes after and the
worst single episode among them.

    python benchmarks/cartpole_critic.py --seeds 10
    python benchmarks/cartpole_critic.py --seeds 3 --variants reinforce,gae
"""

from __future__ import annotations

import _side_by_side

from helpers import critic as C
from helpers.reinforce import Config

VARIANTS = {
    "reinforce": None,
    "vhat": C.CriticConfig(lam=1.0),
    "gae": C.CriticConfig(),
    "td": C.CriticConfig(lam=0.0),
    "gae-no-bootstrap": C.CriticConfig(bootstrap_truncated=False),
}


def run(name, seed, max_steps):
    """One training run of variant ``name``."""
    return _side_by_side.train_actor(VARIANTS[name], seed, max_steps)


def main(argv=None) -> int:
    configs = [f"actor config: {Config()}",
               f"critic config (gae): {C.CriticConfig()}  (the critic's γ, not the actor's)"]
    return _side_by_side.main("cartpole_critic", __doc__, VARIANTS, run, configs, argv)


if __name__ == "__main__":
    raise SystemExit(main())
