"""Exercise checks, introduced in notebook 01 and used at the end of every notebook.

``check(answer, expected, ...)`` prints one of three answers and never raises:

* "… still missing" when the answer is ``None`` or ``...`` (the exercise's placeholder);
* "✗ keep working" with what differs (shape, value) and an optional hint;
* "✓ correct".

It returns a :class:`CheckResult` whose ``.correct`` a solution cell can ``assert``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CheckResult:
    """The outcome of :func:`check`: "correct", "keep working" or "missing". Notebook 01."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """Show nothing: :func:`check` has already printed the message once."""


def _compare(answer, expected, rtol, atol):
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return f"your answer is a {type(answer).__name__}, but a number or array is expected"
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return f"your answer has shape {a.shape}, expected shape {e.shape}"
    if not np.all(np.isfinite(a)):
        return "your answer contains NaN or infinite values"
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        tol = atol + rtol * np.max(np.abs(e))
        return f"your answer is off by up to {err:.3g} (tolerance {tol:.2g})"
    return None


def check(answer, expected, *, name: str = "answer", rtol: float = 1e-6, atol: float = 1e-8,
          hint: str | None = None, quiet: bool = False) -> CheckResult:
    """Compare a learner's ``answer`` with ``expected``; report, never raise.

    Numbers and arrays are compared with ``np.allclose(rtol, atol)``; anything else with
    ``==``. ``hint`` is shown with a wrong answer. Introduced in notebook 01.
    """
    if answer is None or answer is Ellipsis:
        result = CheckResult("missing", f"… {name}: still missing — replace the placeholder.")
    else:
        try:
            numeric = isinstance(expected, (int, float, np.ndarray, list, tuple, np.number))
            problem = (_compare(answer, expected, rtol, atol) if numeric
                       else (None if answer == expected else f"{answer!r} is not it"))
        except Exception as err:  # a check must never raise on an unfinished answer
            problem = f"could not compare your answer ({type(err).__name__}: {err})"
        if problem is None:
            result = CheckResult("correct", f"✓ {name}: correct!")
        else:
            text = f"✗ {name}: keep working — {problem}."
            if hint:
                text += f" Hint: {hint}"
            result = CheckResult("keep working", text)
    if not quiet:
        print(result.message)
    return result
