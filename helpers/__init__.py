"""Shared code for the course *Policy Gradients, Hands-On*.

Every notebook imports from here, e.g. ``from helpers import Bernoulli, set_style``.
Importing the package has no side effects: no seeds are set and no plotting style is
changed until a notebook calls :func:`set_style` or makes its own ``rng``.

Modules, and the notebook that introduces each:

=====================  ==========================================================
``distributions``      01 -- Bernoulli, categorical (softmax) and Gaussian policies
``estimators``         01 -- score-function, finite-difference, pathwise estimators
``checks``             01 -- exercise checks ("correct", "keep working", hints)
``plotting``           00 -- one-call plotting style
``widgets``            01 onward -- interactive explorers (one module per notebook)
=====================  ==========================================================

Heavier modules added by later notebooks (MDPs, REINFORCE on CartPole) are imported
lazily: ``from helpers import mdp`` loads only that module.
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
