"""Exercise checks, introduced in notebook 00 and used at the end of every notebook.

``check(answer, expected, ...)`` prints one of three answers and never raises, whatever the
learner passes (a string, ``None``, a function, a ragged list, NaN, ``True`` ...):

* "… still missing" when the answer is ``None`` or ``...`` (the exercise's placeholder);
* "✗ keep working" with what differs (type, shape, value) and the exercise's hint;
* "✓ correct".

It returns a :class:`CheckResult` whose ``.correct`` a solution cell can ``assert``.

What counts as the same answer depends on ``expected``:

* a number or an array (list, tuple) of numbers: the answer must be a real number or an
  array of real numbers of the same shape, within ``rtol``/``atol``. ``True``/``False`` are
  not numbers here (``True == 1`` in Python, but an answer of ``True`` to "how many?" is a
  mistake), and neither are strings such as ``"0.5"``;
* ``True``/``False``: the answer must be ``True`` or ``False`` (not 1 or 0, not "yes");
* a string: the answer must be that string (spaces around it are ignored);
* anything else: ``answer == expected``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "check"]


@dataclass
class CheckResult:
    """The outcome of :func:`check`: "correct", "keep working" or "missing". Notebook 00."""

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


def _short(value, limit: int = 60) -> str:
    """A repr that cannot fail and stays on one short line."""
    try:
        text = repr(value)
    except Exception:  # a learner's object with a broken __repr__
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_bool(x) -> bool:
    return isinstance(x, (bool, np.bool_))


def _kind(expected) -> str:
    """'bool', 'string', 'numeric' or 'other' for the expected value."""
    if _is_bool(expected):
        return "bool"
    if isinstance(expected, str):
        return "string"
    try:
        e = np.asarray(expected)
    except Exception:
        return "other"
    if e.dtype.kind in "iuf" and not isinstance(expected, (dict, set)):
        return "numeric"
    return "other"


def _numeric_problem(answer, expected, rtol, atol) -> str | None:
    """What is wrong with a numeric ``answer`` (None when it matches ``expected``)."""
    if callable(answer) and not isinstance(answer, np.ndarray):
        return (f"your answer is a function ({_short(answer)}), not a number: "
                "did you forget to call it, e.g. f(x) instead of f?")
    if isinstance(answer, (str, bytes)):
        return (f"your answer is the text {_short(answer)}, but a number is expected: "
                "remove the quotes")
    if isinstance(answer, (dict, set)):
        return (f"your answer is of type {type(answer).__name__}, but a number or an array "
                "is expected")
    try:
        a = np.asarray(answer)
    except Exception:  # ragged nested lists and other objects numpy cannot hold
        return ("your answer could not be read as a number or a rectangular array "
                f"({_short(answer)}): are all rows the same length?")
    e = np.asarray(expected, dtype=float)
    if a.dtype.kind == "b" or (a.dtype == object and any(_is_bool(x) for x in a.flat)):
        return ("your answer is True/False, but a number is expected "
                "(in Python True == 1, so a comparison slipped in where a value belongs)")
    if a.dtype.kind in "USO" and any(isinstance(x, (str, bytes)) for x in a.flat):
        return "your answer contains text (quoted numbers?), but numbers are expected"
    if a.dtype.kind == "c":
        return "your answer is a complex number, but a real number is expected"
    if a.dtype.kind not in "iuf":
        try:
            a = a.astype(float)
        except Exception:
            return (f"your answer is of type {type(answer).__name__} ({_short(answer)}), "
                    "but a number or an array of numbers is expected")
    a = a.astype(float)
    if a.shape != e.shape:
        what = "a single number" if e.shape == () else f"an array of shape {e.shape}"
        got = "a single number" if a.shape == () else f"shape {a.shape}"
        return f"your answer has {got}, but {what} is expected"
    if not np.all(np.isfinite(a)):
        return "your answer contains NaN or infinite values"
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        tol = atol + rtol * float(np.max(np.abs(e))) if e.size else atol
        text = f"your answer is off by up to {err:.3g} (tolerance {tol:.2g})"
        if e.size and np.allclose(-a, e, rtol=rtol, atol=atol) and np.any(e != 0):
            text += "; it has the right size but the opposite sign"
        return text
    return None


def _problem(answer, expected, rtol, atol) -> str | None:
    kind = _kind(expected)
    if kind == "numeric":
        return _numeric_problem(answer, expected, rtol, atol)
    if kind == "bool":
        if not _is_bool(answer):
            return (f"your answer is {_short(answer)}, but this question wants True or False "
                    "(without quotes)")
        return None if bool(answer) == bool(expected) else f"{bool(answer)} is not it"
    if kind == "string":
        if not isinstance(answer, str):
            return (f"your answer is of type {type(answer).__name__} ({_short(answer)}), but "
                    "text is expected: put it in quotes, like 'my answer'")
        return None if answer.strip() == expected else f"{_short(answer)} is not it"
    same = answer == expected
    if isinstance(same, np.ndarray):
        same = bool(same.size) and bool(same.all())
    return None if bool(same) else f"{_short(answer)} is not it"


def check(answer, expected, *, name: str = "answer", rtol: float = 1e-6, atol: float = 1e-8,
          hint: str | None = None, quiet: bool = False) -> CheckResult:
    """Compare a learner's ``answer`` with ``expected``; report, never raise.

    See the module docstring for what counts as the same answer. ``hint`` is shown with a
    wrong answer. Introduced in notebook 00; used by every notebook's exercises.
    """
    if answer is None or answer is Ellipsis:
        result = CheckResult("missing", f"… {name}: still missing — replace the placeholder.")
    else:
        try:
            problem = _problem(answer, expected, rtol, atol)
        except Exception as err:  # a check must never raise on an unfinished answer
            problem = f"could not compare your answer ({type(err).__name__}: {_short(err)})"
        if problem is None:
            result = CheckResult("correct", f"✓ {name}: correct!")
        else:
            text = f"✗ {name}: keep working — {problem}"
            text += "" if text.endswith(("?", ".", "!")) else "."
            if hint:
                text += f" Hint: {hint}"
            result = CheckResult("keep working", text)
    if not quiet:
        print(result.message)
    return result

