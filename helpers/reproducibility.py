"""When do two training runs part? Notebook 06, section 6 (``06_reinforce_cartpole``).

Two runs of the same code and seed on two machines round some sums differently. Notebook 06
imitates that with a nudge: the same run, started from θ₀ with every parameter moved by k
units in the last place (ulps). Training amplifies the difference, but the *episodes* stay
identical until it moves one action probability across the uniform number drawn for it; a
one-ulp nudge often never gets there within a short run. :func:`parting_search` therefore
tries nudges from large to small and reports the smallest that made the run part:

* :func:`nudge` — θ with every entry moved up by k ulps;
* :func:`steps_until_parted` — train a nudged run only until its first episode differs from
  a reference run's (a parted run stops early, so the search costs little);
* :func:`parting_search` — nudges of 2^48, 2^44, … ulps in turn, until one leaves the run
  unchanged within the step budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from helpers import reinforce
from helpers.validation import as_float_array, check_count

__all__ = ["Nudge", "PartingSearch", "nudge", "parting_search", "steps_until_parted"]

#: the nudges :func:`parting_search` tries by default: 2^48, 2^44, … 2^0 = 1 ulp
EXPONENTS = tuple(range(48, -1, -4))


def nudge(theta, ulps: float) -> np.ndarray:
    """θ with every entry moved up by ``ulps`` units in the last place (ulps ≥ 0).

    One ulp is :func:`numpy.nextafter` towards +∞ (notebook 06's one-ulp nudge); k ulps add
    k times the spacing of the floats at each entry, a relative change of about k·2⁻⁵² (an
    entry that is exactly 0 moves by k·5e-324, still practically 0). Introduced in notebook 06.
    """
    theta = as_float_array("theta", theta)
    k = float(ulps)
    if not (np.isfinite(k) and k >= 0):
        raise ValueError(f"ulps must be a finite number >= 0; got {ulps!r}.")
    if k == 1:
        return np.nextafter(theta, np.inf)
    return theta + k * np.abs(np.spacing(theta))


class _Parted(Exception):
    """Raised from the progress callback to stop a run at its first different episode."""


def steps_until_parted(config, seed: int, reference, init, max_steps: int):
    """Train ``config`` on ``seed`` from ``init`` until an episode's return differs from
    the same episode of ``reference`` (a :class:`helpers.reinforce.History` of the same
    config and seed), or ``max_steps`` real steps pass.

    Returns ``(episode index, real steps when it ended)`` of the first different episode,
    or ``(None, None)`` if the runs agreed on every episode both played. Notebook 06.
    """
    if not isinstance(reference, reinforce.History):
        raise ValueError("reference must be a helpers.reinforce.History (reinforce.train's "
                         f"result); got {type(reference).__name__}.")
    max_steps = check_count("max_steps", max_steps)
    ref = np.asarray(reference.episode_returns, dtype=float)
    parted, seen = {}, [0]

    def watch(hist):
        for k in range(seen[0], min(len(hist.episode_returns), ref.size)):
            if hist.episode_returns[k] != ref[k]:
                parted["at"] = (k, int(hist.episode_end_steps[k]))
                raise _Parted
        seen[0] = len(hist.episode_returns)
        if seen[0] >= ref.size:          # nothing left to compare with
            raise _Parted

    env = reinforce.make_cartpole_env(config.n_envs)
    try:
        reinforce.train(replace(config, stop="budget", max_steps=max_steps), seed=seed,
                        progress=watch, env=env, init=init)
    except _Parted:
        pass
    finally:
        env.close()
    return parted.get("at", (None, None))


@dataclass
class Nudge:
    """One nudge of a :class:`PartingSearch`: its size in ulps, and the first episode (and
    the real steps by then) at which the nudged run differed, or None. Notebook 06."""

    ulps: float
    episode: int | None
    step: int | None

    @property
    def parted(self) -> bool:
        return self.episode is not None


@dataclass
class PartingSearch:
    """What :func:`parting_search` tried, largest nudge first. Notebook 06."""

    seed: int
    max_steps: int
    tried: list = field(default_factory=list)

    @property
    def smallest(self) -> Nudge | None:
        """The smallest nudge tried that made the run part (None if none did); the search
        stops at the first nudge that does not, so a still smaller one is not ruled out."""
        parted = [n for n in self.tried if n.parted]
        return min(parted, key=lambda n: n.ulps) if parted else None

    def __str__(self) -> str:
        lines = [f"seed {self.seed}, nudged runs of up to {self.max_steps:,} steps:"]
        for n in self.tried:
            what = (f"parted at episode {n.episode} (step {n.step:,})" if n.parted
                    else "the same episodes throughout")
            lines.append(f"  {_size(n.ulps):>10} (relative {n.ulps * 2.0**-52:.0e}): {what}")
        best = self.smallest
        lines.append("smallest nudge tried that parted the runs: "
                     + ("none" if best is None else _size(best.ulps)))
        return "\n".join(lines)


def _size(ulps: float) -> str:
    return "1 ulp" if ulps == 1 else f"2^{round(float(np.log2(ulps)))} ulps"


def parting_search(config, seed: int, reference, exponents=EXPONENTS,
                   max_steps: int = 20_000) -> PartingSearch:
    """Nudge ``reference``'s θ₀ by 2^k ulps for each k of ``exponents`` (decreasing), train
    each nudged run until it parts from ``reference`` (same ``config`` and ``seed``), and
    stop at the first nudge that leaves the episodes unchanged within ``max_steps``.

    Only that last run costs the whole budget; the others stop at their first different
    episode. Introduced in notebook 06, section 6.
    """
    if not isinstance(reference, reinforce.History):
        raise ValueError("reference must be a helpers.reinforce.History; got "
                         f"{type(reference).__name__}.")
    ks = [int(k) for k in exponents]
    if not ks or min(ks) < 0 or any(a <= b for a, b in zip(ks, ks[1:], strict=False)):
        raise ValueError(f"exponents must be a non-empty, strictly decreasing list of "
                         f"integers >= 0 (nudges of 2^k ulps); got {list(exponents)!r}.")
    search = PartingSearch(check_count("seed", seed, minimum=0),
                           check_count("max_steps", max_steps))
    theta0 = reference.params[0]
    for k in ks:
        episode, step = steps_until_parted(config, seed, reference, nudge(theta0, 2.0**k),
                                           max_steps)
        search.tried.append(Nudge(2.0**k, episode, step))
        if episode is None:
            break
    return search
