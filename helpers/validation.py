"""Input validation shared by every helper.

Each function raises :class:`ValueError` with a message that says what was wrong and what
is expected, so a learner who passes a bad argument reads an explanation, not a numpy
traceback from deep inside a computation. Introduced with the first helpers in notebook 01
and used throughout the course.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(name: str, value, *, ndim: int | None = None, shape=None) -> np.ndarray:
    """Return ``value`` as a float array after checking it is finite (and its shape).

    ``shape`` may contain ``None`` for "any length" in that axis.

    Used from notebook 01 on."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric (got {value!r}).") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimension(s); got an array of shape {arr.shape}."
        )
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, arr.shape, strict=False)
        )
        if not ok:
            pretty = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {pretty}; got {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "infinite"
        raise ValueError(f"{name} contains {bad} values; every entry must be a finite number.")
    return arr


def as_finite_scalar(name: str, value) -> float:
    """Return ``value`` as a finite Python float, or raise ``ValueError``.

    Used from notebook 01 on.
    """
    arr = as_float_array(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number; got an array of shape {arr.shape}.")
    return float(arr)


def check_positive(name: str, value) -> np.ndarray:
    """Finite and strictly positive (a standard deviation, a step size, ...).

    Used from notebook 01 on.
    """
    arr = as_float_array(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive; got {value!r}.")
    return arr


def positive_scalar(name: str, value) -> float:
    """A single finite number > 0 (a standard deviation, a step size, ...), as a float.

    Used from notebook 01 on.
    """
    number = as_finite_scalar(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}.")
    return number


def check_count(name: str, value, *, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (samples, episodes, steps).

    Used from notebook 01 on.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}.")
    return int(value)


def check_probabilities(name: str, probs, *, axis: int = -1, atol: float = 1e-8) -> np.ndarray:
    """Non-negative, finite, and summing to one along ``axis``. Used from notebook 01 on."""
    arr = as_float_array(name, probs)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array of probabilities, not a single number.")
    if np.any(arr < 0):
        raise ValueError(
            f"{name} has negative entries ({arr.min():.3g}); probabilities must be >= 0."
        )
    sums = arr.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=atol, rtol=0):
        worst = np.max(np.abs(sums - 1.0))
        raise ValueError(
            f"{name} must sum to 1 along axis {axis}; sums are off by up to {worst:.3g}."
        )
    return arr


def check_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator``: the course passes its seeded ``rng`` explicitly.

    Used from notebook 01 on."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng must be a numpy.random.Generator, e.g. rng = np.random.default_rng(0); "
            f"got {type(rng).__name__}."
        )
    return rng


def check_discount(gamma) -> float:
    """A discount γ in [0, 1], as a float (notebook 05 introduces γ; ``helpers.returns`` and
    ``helpers.reinforce`` check theirs here)."""
    g = as_finite_scalar("gamma (the discount)", gamma)
    if not 0.0 <= g <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1]; got {gamma!r}.")
    return g
