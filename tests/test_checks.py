"""Exercise checks answer "correct", "keep working" or "missing" and never raise."""

import numpy as np
import pytest

from helpers import check


@pytest.mark.parametrize(
    ("answer", "expected", "status"),
    [
        (None, 1.0, "missing"),
        (..., [1.0, 2.0], "missing"),
        (1.0, 1.0, "correct"),
        (np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], "correct"),
        (1.1, 1.0, "keep working"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], "keep working"),
        ("a string", 1.0, "keep working"),
        (float("nan"), 1.0, "keep working"),
        ({"a": 1}, [1.0], "keep working"),
        (object(), 2.0, "keep working"),
        ("left", "left", "correct"),
        ("right", "left", "keep working"),
    ],
)
def test_statuses(answer, expected, status, capsys):
    result = check(answer, expected, name="ex", hint="think about p")
    assert result.status == status
    assert bool(result) == (status == "correct")
    out = capsys.readouterr().out
    assert out.strip() == result.message
    if status == "keep working":
        assert "Hint: think about p" in out


def test_message_says_what_differs():
    assert "shape (3,)" in check([1, 2, 3], [1, 2], quiet=True).message
    assert "off by up to 0.5" in check(1.5, 1.0, quiet=True).message
