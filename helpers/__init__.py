"""Shared code for the course *Policy Gradients, Hands-On*.

Every notebook imports from here, e.g. ``from helpers import Bernoulli, set_style``.
Importing the package has no side effects: no seeds are set and no plotting style is
changed until a notebook calls :func:`set_style` or makes its own ``rng``.

Modules, and the notebook that introduces each:

=========================  ==========================================================
``distributions``          01 -- Bernoulli, categorical (softmax) and Gaussian policies
``estimators``             01 -- score-function, finite-difference, pathwise estimators
``checks``                 00 -- exercise checks ("correct", "keep working", hints)
``plotting``               01 -- one-call plotting style (set_style)
``log_trick``              01 -- the coin and the Gaussian throw, with exact answers
``environment``            00 -- installed versions against the pins (06: BLAS kernel, numpy SIMD)
``worked_example``         02 -- exp(α+βa), its softmax-normalised version, linear-Gaussian policy
``bandit``                 03 -- one softmax update, first-order change, baselines
``mdp``                    04 -- tabular MDPs: exact U and ∇U, Monte Carlo ĝ (05: surrogate loss)
``diagrams``               04 -- a tabular MDP drawn: states, actions, rewards, probabilities
``exact``                  04 -- exact mean, covariance, bias, angle of estimators (05-09, 11, 12)
``returns``                05 -- reward-to-go and batch baselines, one of each (06, 07, 08)
``ascent``                 04 -- climbing U in episodes: gradient ascent, an evolution strategy
``credit``                 05 -- pictures of credit: reward-to-go masks, one update per trajectory
``reinforce``              06 -- numpy REINFORCE on gymnasium's vectorised CartPole, algorithm first
``reinforce_fast``         06 -- its speed machinery: sampler, parameter views, step buffer, clocks
``cartpole_render``        06 -- CartPole drawn and animated with matplotlib
``pipeline_tilt``          06 -- notebook 06's weights on every batch of the tiny MDP: exact tilt
``reproducibility``        06 -- nudges of k ulps; the smallest nudge that makes a CartPole run part
``critic``                 07 -- GAE(λ), learned baselines, actor-critic: exact and on CartPole
``pg_bugs``                08 -- the estimator gallery, exact expectations over batches, classes
``toy_lm``                 09 -- a toy language model: exact J, ∇J, RLOO, GRPO, Dr. GRPO
``token_tree``             09 -- the toy LM's answers drawn as paths of a token tree
``lqr``                    10 -- Gaussian policies on the LQR: exact C, ∇C, Fisher, Riccati K*
``continuous_cartpole``    10 -- CartPole-v1 with a force action, on gymnasium's own physics
``trust_region``           11 -- surrogate, TRPO bound, Fisher, natural gradient, PPO clip: exact
``ppo``                    11 -- PPO on CartPole in numpy: rollouts, GAE, the clip by hand
``kl``                     12 -- KL penalties exactly: k1, k2, k3 in loss or reward; the optimum π*
``validation``             all -- the input checks behind every public function's ValueError
``widgets``                00 onward -- interactive explorers (one module per notebook)
=========================  ==========================================================

Only the core names above are imported with the package; every other module is loaded on
first use (``from helpers import mdp`` loads only that module, and CartPole's gymnasium is
imported only by notebook 06).
"""

import importlib

from helpers.checks import CheckResult, check
from helpers.distributions import Bernoulli, Categorical, Gaussian, log_softmax, sigmoid, softmax
from helpers.estimators import (
    finite_difference_gradient,
    pathwise_gaussian_mean_estimates,
    score_function_estimates,
)
from helpers.plotting import COLORS, set_style

__all__ = [
    "Bernoulli",
    "COLORS",
    "Categorical",
    "CheckResult",
    "Gaussian",
    "check",
    "finite_difference_gradient",
    "log_softmax",
    "pathwise_gaussian_mean_estimates",
    "score_function_estimates",
    "set_style",
    "sigmoid",
    "softmax",
]


def __getattr__(name):
    """Load a submodule on first use, so ``import helpers`` stays light (PEP 562)."""
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        module = importlib.import_module(f"helpers.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"helpers.{name}":
            raise AttributeError(f"module 'helpers' has no attribute {name!r}") from None
        raise
    globals()[name] = module
    return module
