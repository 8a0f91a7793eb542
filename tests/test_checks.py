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


class _Hostile:
    """An object whose every comparison, conversion and repr raises."""

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __repr__(self):
        raise RuntimeError("repr")

    def __array__(self, *args, **kwargs):
        raise RuntimeError("array")

    def __float__(self):
        raise RuntimeError("float")


ODD_ANSWERS = [
    True, False, np.True_, np.bool_(False), [True, False], np.array([True, False]),
    "0.5", "", "01", b"1", ["1", "2"], [[1.0, 2.0], [3.0]], [[1.0], 2.0], [None, 1.0],
    float("nan"), [float("nan"), 1.0], float("inf"), 1 + 2j, np.array([1 + 0j]),
    {"a": 1}, {1, 2}, (x for x in range(3)), lambda x: x, print, np.zeros((2, 2)),
    np.zeros(0), np.array(0.5), [0.5], object(), _Hostile(), [_Hostile()], int, np.float64,
]
EXPECTED = [0.5, 1, 0, [1.0, 2.0], np.array([[0.0, 0.0], [0.0, 0.0]]), True, False, "01",
            np.float64(2.0), np.int64(3), np.bool_(True)]


@pytest.mark.parametrize("expected", EXPECTED, ids=repr)
def test_never_raises_and_never_accepts_the_wrong_kind(expected, capsys):
    for answer in ODD_ANSWERS:
        result = check(answer, expected, name="ex", hint="a hint")
        assert result.status in ("correct", "keep working")
        out = capsys.readouterr().out
        assert out.strip() == result.message and result.message.count("\n") == 0
        if result.status == "keep working":
            assert result.message.endswith("Hint: a hint")


@pytest.mark.parametrize(("answer", "expected"), [
    (True, 1), (False, 0), (np.True_, 1.0), ([True, False], [1, 0]), (1, True), (0, False),
    ("True", True), ("1", 1), ("0.5", 0.5), (["1", "2"], [1, 2]), (1, "01"), ("1", "01"),
    (np.array([0.5]), 0.5), (0.5, [0.5]), ([[1, 2], [3]], [1, 2]), (float("nan"), 1.0),
])
def test_the_classic_slips_are_rejected(answer, expected):
    assert check(answer, expected, quiet=True).status == "keep working"


def test_what_counts_as_the_same_answer():
    assert check(1.0, 1, quiet=True) and check(np.float32(0.25), 0.25, quiet=True)
    assert check((1, 2), np.array([1.0, 2.0]), quiet=True)
    assert check(np.True_, True, quiet=True) and check(" 01 ", "01", quiet=True)
    assert check(np.array(0.5), 0.5, quiet=True)


@pytest.mark.parametrize(("answer", "expected", "words"), [
    (True, 1, "True/False, but a number"),
    ("0.5", 0.5, "remove the quotes"),
    (1, "01", "put it in quotes"),
    (1, True, "True or False"),
    ([[1, 2], [3]], [1, 2], "same length"),
    (lambda x: x, 1.0, "forget to call"),
    (-2.0, 2.0, "opposite sign"),
    (np.array([0.5]), 0.5, "a single number is expected"),
])
def test_the_message_names_the_slip(answer, expected, words):
    assert words in check(answer, expected, quiet=True).message


@pytest.mark.parametrize("answer", [0, 1.5, None, ["biased"], True])
def test_a_wrong_kind_of_answer_is_not_told_the_text_answer(answer):
    # a text question answered with a number (or nothing) is told to use quotes, not what
    # to put between them (notebooks 09 and 12 ask for a class or a divergence by name)
    result = check(answer, "KL(ref || pi)", quiet=True)
    assert not result.correct
    assert "KL(ref" not in result.message
