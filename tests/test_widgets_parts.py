"""helpers.widgets.parts: the HTML key and the stepped axis limits the explorers share."""

import math

import numpy as np
import pytest

from helpers.widgets.parts import STEPS, html_key, stepped, stepped_range


def on_grid(x: float) -> bool:
    if x == 0:
        return True
    power = 10.0 ** math.floor(math.log10(abs(x)))
    return any(math.isclose(abs(x), s * power, rel_tol=1e-9) for s in (*STEPS, 10.0))


def test_html_key_colours_symbols_and_escapes_text():
    key = html_key([("#000000", "━━", "exact ∇J"), ("#0072B2", "■", "a < b & c")],
                   separator="<br>")
    assert 'color:#000000' in key and "━━" in key and "exact ∇J" in key
    assert "a &lt; b &amp; c" in key and "<br>" in key


@pytest.mark.parametrize("x", [1e-6, 0.0031, 0.7, 1.0, 1.01, 6.9, 7.0, 7.1, 12.0, 999.0, 3e7])
def test_stepped_is_the_next_grid_value(x):
    s = stepped(x)
    assert s >= x and on_grid(s)
    smaller = [v * 10.0 ** k for v in STEPS for k in range(-8, 9) if v * 10.0 ** k < s * 0.999]
    assert max(smaller) < x          # no grid value between x and stepped(x)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_stepped_rejects_what_has_no_step(bad):
    with pytest.raises(ValueError, match="positive finite"):
        stepped(bad)


def test_stepped_range_covers_rounds_outwards_and_moves_seldom():
    rng = np.random.default_rng(0)
    for _ in range(500):
        lo = rng.normal() * 10.0 ** rng.integers(-3, 4)
        hi = lo + abs(rng.normal()) * 10.0 ** rng.integers(-3, 4) + 1e-9
        a, b = stepped_range(lo, hi)
        assert a <= lo < hi <= b and on_grid(a) and on_grid(b)
        # never more than about three times wider than the data (and the zero it may reach)
        assert b - a <= 3.5 * (max(hi, 0) - min(lo, 0)) + 1e-12
    # data that drift by 1 % per step move the limits on only a few steps
    moves, previous = 0, None
    for k in range(200):
        limits = stepped_range(-1.0 * 1.01**k, 3.0 * 1.01**k)
        moves += previous is not None and limits != previous
        previous = limits
    assert moves <= 25, moves
    assert stepped_range(0.01, 1) == (0.0, 1.0) and stepped_range(-0.38, 0.78) == (-0.5, 1.0)


def test_stepped_range_rejects_empty_ranges():
    with pytest.raises(ValueError, match="lo < hi"):
        stepped_range(1.0, 1.0)
    with pytest.raises(ValueError, match="lo < hi"):
        stepped_range(0.0, np.nan)
