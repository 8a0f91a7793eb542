"""Every exercise's check rejects the classic wrong answers, with a hint (issue 10).

How it works, so that the test exercises the notebooks' own check cells and nothing re-typed:

* each notebook runs once, in this process, cell by cell, without its solution cells
  (magics such as ``%matplotlib widget`` dropped, matplotlib on Agg), so its check cells see
  the same names (``theta``, ``batch``, ``V1`` ...) as a learner's would;
* a row of ``WRONG`` names a notebook, the ``name=`` of one ``check(...)`` call, a wrong
  answer as a Python expression evaluated in that notebook's namespace, and a phrase the
  message must contain; the test puts the expression where the check cell's placeholder
  (``answer = ...``) stands, runs the cell exactly as written otherwise, and asserts that this
  ``check`` call said "keep working", showed the exercise's hint and the phrase — and that no
  line outside ``check`` raised;
* ``test_every_exercise_has_a_wrong_answer`` fails when an exercise in a covered notebook has no
  row, and ``test_the_solution_passes_the_same_harness`` runs each solution's answer through the
  same substitution, so a broken harness cannot pass silently.

To cover a new notebook: add its two-digit prefix to ``COVERED`` and its rows to ``WRONG``.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from functools import cache
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import helpers
from helpers import checks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}

#: notebooks whose every exercise must have at least one row below
COVERED = ("00", "01", "02", "03", "04", "05", "06", "10", "11", "12")

#: (notebook, check name, wrong answer as an expression, phrase the message must contain)
WRONG = [
    # 00 · Start here
    ("00", "Exercise 1", "1", "put it in quotes"),
    ("00", "Exercise 1", '"1"', "is not it"),
    ("00", "Exercise 1", '"02"', "is not it"),
    ("00", "Exercise 2", "np.exp(-0.0)", "off by"),                 # forgot 1/(1 + ·)
    ("00", "Exercise 2", "True", "True/False"),
    ("00", "Exercise 2", '"0.5"', "remove the quotes"),
    # 01 · The log-derivative trick
    ("01", "Exercise 1", "Bernoulli(-1.0).p", "opposite sign"),     # p, not x − p = −p
    ("01", "Exercise 1", "1 - Bernoulli(-1.0).p", "off by"),        # the score of heads
    ("01", "Exercise 2", "np.mean(-(throws - 2) ** 2 * throws / 2.0)", "off by"),     # /σ
    ("01", "Exercise 2", "np.mean(-(throws - 2) ** 2 * throws)", "off by"),           # σ = 1
    ("01", "Exercise 2", "np.mean(-(throws - 2) ** 2)", "off by"),  # no score at all
    ("01", "Exercise 2", "4.0", "off by"),                          # the exact gradient
    ("01", "Exercise 3", "1.0", "off by"),                          # f(1) − f(0) only
    ("01", "Exercise 3", "0.5", "off by"),                          # the ±1 payoffs' answer
    ("01", "Exercise 4a", "100", "off by"),                         # one point per parameter
    ("01", "Exercise 4a", "101", "off by"),                         # forward differences
    ("01", "Exercise 4a", "True", "True/False"),
    ("01", "Exercise 4b", "2", "off by"),
    ("01", "Exercise 4b", "200", "off by"),
    # 02 · A worked example
    ("02", "Exercise 1", "1.0 + 0.5 * 2.0 * 1", "off by"),          # the ∇α factor slip
    ("02", "Exercise 1", "1.0 + 2.0 * (-1.0)", "off by"),           # no step size
    ("02", "Exercise 1", "0.0 + 0.5 * 2.0 * 1", "off by"),          # α′, not β′
    ("02", "Exercise 2", "2", "off by"),                            # unnormalised score a
    ("02", "Exercise 2", "-1.0", "opposite sign"),
    ("02", "Exercise 3", "(3.0 - 1.0) / 2.0", "off by"),            # /σ instead of /σ²
    ("02", "Exercise 3", "3.0 / 2.0**2", "off by"),                 # forgot the mean
    ("02", "Exercise 3", "-(3.0 - 1.0) / 2.0**2", "opposite sign"),
    ("02", "Exercise 3b", "True", "is not it"),                     # G·score > 0 misread
    ("02", "Exercise 3b", '"down"', "True or False"),               # words, not a bool
    ("02", "Exercise 3b", "0", "True or False"),
    ("02", "Exercise 3b", "-0.5", "True or False"),                 # the step, not its sign
    # 03 · Pushing up log-probabilities
    ("03", "Exercise 1", "0.1 * 1.0 * np.sqrt(0.5)", "off by"),     # norm, not squared
    ("03", "Exercise 1", "0.1 * 1.0 * 0.5**2", "off by"),           # own component only
    ("03", "Exercise 2", "np.array([1, 2, 3]) - 2.0", "off by"),    # R − J without π
    ("03", "Exercise 2", "np.full(3, 1 / 3) * np.array([1, 2, 3])", "off by"),   # no J
    ("03", "Exercise 2", "[1, 2, 3]", "off by"),
    ("03", "Exercise 3", "np.array([returns[a] * bandit.score(theta, a) for a in range(3)])",
     "off by"),                                                     # without the baseline
    ("03", "Exercise 3", "np.array([(10 - returns[a]) * bandit.score(theta, a) for a in range(3)])",
     "opposite sign"),
    ("03", "Exercise 3", "bandit.expected_update_direction(theta, returns)", "shape"),
    # 04 · Trajectories and the policy gradient
    ("04", "Exercise 1", "V1.sum()", "off by"),                     # unweighted
    ("04", "Exercise 1", "V1[0]", "off by"),                        # only A
    ("04", "Exercise 1", "V1", "shape"),                            # not averaged at all
    ("04", "Exercise 2", "0.7 * 0.8 * 1.0", "off by"),              # dynamics only
    ("04", "Exercise 2", "0.5 * 0.8 * 0.5", "off by"),              # forgot ρ(A)
    ("04", "Exercise 2", "0.7 + 0.5 + 0.8 + 0.5 + 1.0", "off by"),  # a sum, not a product
    ("04", "Exercise 3", "0.8 * V2[2] + 0.2 * V2[3]", "off by"),    # forgot the reward
    ("04", "Exercise 3", "-1 + 0.2 * V2[2] + 0.8 * V2[3]", "off by"),  # swapped C and D
    ("04", "Exercise 3", "V2[0]", "off by"),                        # V(A), not Q(A, left)
    ("04", "Exercise 4", "mdp.exact_gradient(chain, chain_policy, np.zeros(8))", "off by"),
    #   ^ the gradient at the wrong θ
    ("04", "Exercise 4", "mdp.exact_performance(chain, chain_policy, theta_c)", "shape"),  # U
    ("04", "Exercise 4", "finite_difference_gradient(lambda t: mdp.exact_performance("
                         "chain, chain_policy, t), theta_c, h=1.0)", "off by"),  # h too large
    # 05 · The surrogate loss and reward-to-go
    ("05", "Exercise 1", "[-2, -2]", "off by"),                     # the full return
    ("05", "Exercise 1", "[-1, -2]", "off by"),                     # summed the wrong way
    ("05", "Exercise 1", "[-1, -1]", "off by"),                     # the rewards themselves
    ("05", "Exercise 1", "-2", "shape"),
    ("05", "Exercise 2", "-1", "off by"),                           # G_1: dropped the γ^t
    ("05", "Exercise 2", "-1.5", "off by"),                         # γ-discounted G_0
    ("05", "Exercise 2", "0.5", "opposite sign"),
    ("05", "Exercise 3", "sample.m / sample.lengths.sum()", "off by"),   # upside down
    ("05", "Exercise 3", "sample.m", "off by"),
    ("05", "Exercise 3", '"N / m"', "remove the quotes"),           # a string must not raise
    ("05", "Exercise 3", "g_episodes / g_steps", "shape"),
    ("05", "Exercise 4", "-(2 * np.log(0.5) * (-2) + np.log(0.5) * (-0.5)) / 3", "off by"),  # /N
    ("05", "Exercise 4", "(2 * np.log(0.5) * (-2) + np.log(0.5) * (-0.5)) / 2", "opposite sign"),
    ("05", "Exercise 4", "-(np.log(0.5) * (-2) + np.log(0.5) * (-0.5)) / 2", "off by"),  # one term
    # 06 · REINFORCE balances CartPole
    ("06", "Exercise 1", "[4, 3, 2, 1]", "off by"),                 # undiscounted
    ("06", "Exercise 1", "[1.875] * 4", "off by"),                  # the full return R(τ)
    ("06", "Exercise 1", "[1.875, 0.875, 0.375, 0.125]", "off by"),  # γ^t G_t, from step 0
    ("06", "Exercise 2", "[5 - 11 / 3, 4 - 8 / 3, 3 - 5 / 3, 2 - 1, 1 - 1 / 3]", "off by"),
    #   ^ the mean over all three episodes, ended ones counted as 0
    ("06", "Exercise 2", "[2, 2, 1, 1, 1]", "off by"),              # leave-one-out
    ("06", "Exercise 2", "[5, 4, 3, 2, 1]", "off by"),              # no baseline
    ("06", "Exercise 3", "1", "True or False"),
    ("06", "Exercise 3", "not linear_run.solved", "is not it"),
    # 11 · PPO and trust regions
    ("11", "Exercise 1", "[1.6, 0.0]", "off by"),                   # clipped as if A < 0
    ("11", "Exercise 1", "[1.4, 0.0]", "off by"),                   # "the clip stops it"
    ("11", "Exercise 1", "1.4", "shape"),
    ("11", "Exercise 2", "4 * 0.9 * np.abs(A_09).max() / (1 - 0.9)", "off by"),  # not squared
    ("11", "Exercise 2", "4 * np.abs(A_09).max() / (1 - 0.9) ** 2", "off by"),      # forgot γ
    ("11", "Exercise 2", "4 * 0.5 * np.abs(A_09).max() / (1 - 0.5) ** 2", "off by"),  # γ = 0.5
    ("11", "Exercise 3", "np.sqrt(kl_budget / (grad_U @ F_inv @ grad_U)) * F_inv @ grad_U",
     "off by"),                                                     # no factor 2
    ("11", "Exercise 3", "np.sqrt(2 * kl_budget / (grad_U @ grad_U)) * grad_U",
     "off by"),                                                     # vanilla
    ("11", "Exercise 3", "F @ grad_U", "off by"),
    # 12 · KL penalties
    # 10 · Continuous actions, exactly
    ("10", "Exercise 1", "(1.6 - 1.0) / 0.5**2", "off by"),                # the mean's score
    ("10", "Exercise 1", "(1.6 - 1.0)**2 / 0.5**2", "off by"),             # forgot the − 1
    ("10", "Exercise 1", "(1.6 - 1.0)**2 / 0.5 - 1", "off by"),            # divided by σ
    ("10", "Exercise 2", "1 / (1 - 0.5 * (1 - 0.5)**2)", "off by"),        # Σ alone
    ("10", "Exercise 2", "(1 + 0.25) / (1 - (1 - 0.5)**2)", "off by"),     # no γ
    ("10", "Exercise 2", '"1.43"', "remove the quotes"),
    ("10", "Exercise 3", "False", "is not it"),                           # ρ < 1 needed?
    ("10", "Exercise 3", "1", "True or False"),
    ("12", "Exercise 1", "(0.5 / 0.2 - 1) - np.log(0.5 / 0.2)", "off by"),   # ratio inverted
    ("12", "Exercise 1", "np.log(0.5 / 0.2)", "off by"),                    # k1
    ("12", "Exercise 1", "0.5 * np.log(0.5 / 0.2) ** 2", "off by"),         # k2
    ("12", "Exercise 1", "-((0.2 / 0.5 - 1) - np.log(0.2 / 0.5))", "opposite sign"),
    ("12", "Exercise 2", "0.1 * np.exp(2)", "off by"),                      # not normalised
    ("12", "Exercise 2", "0.1 * np.exp(0.5) / (0.1 * np.exp(0.5) + 0.9)", "off by"),  # e^β
    ("12", "Exercise 2", "0.1", "off by"),                                  # π_ref itself
    ("12", "Exercise 3", '"KL(pi||ref)"', "is not it"),                     # k2's answer
    ("12", "Exercise 3", '"zero"', "is not it"),                            # k1's answer
    ("12", "Exercise 3", "0", "put it in quotes"),
]

_PLACEHOLDER = re.compile(r"^(\w+) = \.\.\.", re.M)
_MAGIC = re.compile(r"^\s*[%!].*$", re.M)


def _cells(prefix):
    nb = json.loads(NOTEBOOKS[prefix].read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        out.append((src, "solution" in c.get("metadata", {}).get("tags", [])))
    return out


def _check_cells(prefix):
    """{check name: (index of its check cell, variable checked, solution cell source)}."""
    cells, found = _cells(prefix), {}
    for i, (src, is_solution) in enumerate(cells):
        if is_solution:
            continue
        for var, name in re.findall(r'check\(\s*(\w+)\s*,.*?name="([^"]+)"', src, re.S):
            if _PLACEHOLDER.search(src):
                solution = next(s for s, sol in cells[i + 1:] if sol)
                found[name] = (i, var, solution)
    return found


@cache
def _namespace(prefix):
    """The notebook's names after running every non-solution cell (its checks print 'missing')."""
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for src, is_solution in _cells(prefix):
            if not is_solution:
                exec(compile(_MAGIC.sub("", src), f"<{prefix}>", "exec"), ns)  # noqa: S102
    plt.close("all")
    return ns


def _run_check_cell(prefix, name, expression, monkeypatch, prelude=""):
    """Run ``name``'s check cell with ``expression`` in place of its placeholder (after
    ``prelude``, e.g. a solution's own import)."""
    index, var, _ = _check_cells(prefix)[name]
    src = _cells(prefix)[index][0]
    ns = dict(_namespace(prefix))
    src = prelude + "\n" + re.sub(rf"^{var} = \.\.\.", lambda _: f"{var} = ({expression})", src,
                                   count=1, flags=re.M)
    results = {}

    def recording_check(answer, expected, **kwargs):
        result = checks.check(answer, expected, **kwargs)
        results[kwargs.get("name", "answer")] = (result, kwargs.get("hint"))
        return result

    monkeypatch.setattr(helpers, "check", recording_check)
    ns["check"] = recording_check
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(_MAGIC.sub("", src), f"<{prefix} {name}>", "exec"), ns)  # noqa: S102
    return results[name]


@pytest.mark.parametrize(("prefix", "name", "expression", "phrase"), WRONG,
                         ids=[f"{p}-{n}-{e[:30]}" for p, n, e, _ in WRONG])
def test_wrong_answer_is_rejected_with_a_hint(prefix, name, expression, phrase, monkeypatch):
    result, hint = _run_check_cell(prefix, name, expression, monkeypatch)
    assert result.status == "keep working", f"{expression!r} was accepted: {result.message}"
    assert hint and result.message.endswith(f"Hint: {hint}"), "the hint is not shown"
    assert phrase in result.message, f"{phrase!r} not in {result.message!r}"


@pytest.mark.parametrize("prefix", COVERED)
def test_every_exercise_has_a_wrong_answer(prefix):
    exercises = set(_check_cells(prefix))
    assert exercises, f"notebook {prefix} has no exercise checks"
    covered = {n for p, n, _, _ in WRONG if p == prefix}
    assert exercises <= covered, f"no wrong answer tested for {sorted(exercises - covered)}"
    assert covered <= exercises, f"rows name checks that do not exist: {covered - exercises}"


@pytest.mark.parametrize(("prefix", "name"),
                         [(p, n) for p in COVERED for n in sorted(_check_cells(p))])
def test_the_solution_passes_the_same_harness(prefix, name, monkeypatch):
    _, var, solution = _check_cells(prefix)[name]
    assignment = re.search(rf"^{var} = (.+)$", solution, re.M)
    if assignment is None:  # e.g. "answer_4a, answer_4b = 2 * 100, 1"
        pair = re.search(rf"^([\w, ]*\b{var}\b[\w, ]*) = (.+)$", solution, re.M)
        names = [n.strip() for n in pair.group(1).split(",")]
        values = eval(f"[{pair.group(2)}]", dict(_namespace(prefix)))  # noqa: S307
        expression = repr(values[names.index(var)])
    else:
        expression = assignment.group(1)
    prelude = "\n".join(line for line in solution.splitlines()
                        if line.startswith(("from ", "import ")))
    result, _ = _run_check_cell(prefix, name, expression, monkeypatch, prelude)
    assert result.correct, result.message
