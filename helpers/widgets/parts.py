"""Two pieces that keep an explorer's redraw cheap (CONTRIBUTING.md, "Widgets").

* :func:`html_key`: the figure's key as HTML beside the figure instead of a matplotlib legend.
  The browser lays HTML out once; a legend is text that the kernel renders again whenever
  anything beneath it changes, and text is most of a frame's cost.
* :func:`stepped_range`: axis limits rounded outwards to a coarse grid (1, 1.5, 2, 3, 5 or 7
  times a power of ten), so that a small change of the data seldom moves them. An Axes whose
  limits stay put keeps its ticks and tick labels in the cached background; only the data
  are drawn again.

Introduced in notebook 01 (the score explorer's key and limits).
"""

from __future__ import annotations

import html
import math

#: the grid of :func:`stepped`: these times a power of ten
STEPS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


def html_key(items, *, separator: str = " &nbsp;·&nbsp; ") -> str:
    """A figure's key as HTML: ``items`` are (colour, symbol, text), e.g. ``("#000", "━━",
    "exact ∇J")``; the symbol is drawn in the colour, the text is escaped. Entries are joined
    by ``separator`` (``"<br>"`` for a column beside the figure). Introduced in notebook 01."""
    entries = [f'<span style="color:{colour};font-weight:bold">{html.escape(symbol)}</span> '
               f"{html.escape(text)}" for colour, symbol, text in items]
    return ('<div class="pg-key" style="font-size:12px;line-height:1.4">'
            + separator.join(entries) + "</div>")


def stepped(x: float) -> float:
    """The smallest s·10^k ≥ x with s in :data:`STEPS` (x > 0). Introduced in notebook 01."""
    if not x > 0 or not math.isfinite(x):
        raise ValueError(f"stepped needs a positive finite number; got {x!r}.")
    power = 10.0 ** math.floor(math.log10(x))
    for s in (*STEPS, 10.0):
        if s * power >= x * (1 - 1e-12):
            return float(f"{s * power:.12g}")   # 0.3, not 0.30000000000000004
    raise AssertionError("unreachable")   # pragma: no cover


def _stepped_down(x: float) -> float:
    """The largest s·10^k ≤ x with s in STEPS (x > 0)."""
    power = 10.0 ** math.floor(math.log10(x))
    below = [s * power for s in (*STEPS, 10.0) if s * power <= x * (1 + 1e-12)]
    return float(f"{below[-1]:.12g}")


def _round_up(e: float, resolution: float) -> float:
    """The smallest value ≥ e of {0, ±resolution} ∪ {±stepped values ≥ resolution}."""
    if e > 0:
        return max(resolution, stepped(e))
    if e > -resolution:
        return 0.0
    return -_stepped_down(-e)


def stepped_range(lo: float, hi: float) -> tuple[float, float]:
    """Limits (a, b) with a ≤ lo < hi ≤ b, each rounded outwards to ±s·10^k (s in
    :data:`STEPS`) or 0. Ends closer to 0 than a tenth of the range's own step go to 0 (or
    to that tenth), so data near 0 do not make the limits flicker between tiny values.
    Introduced in notebook 01."""
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"stepped_range needs finite lo < hi; got {lo!r}, {hi!r}.")
    resolution = stepped(hi - lo) / 10
    return -_round_up(-lo, resolution) + 0.0, _round_up(hi, resolution) + 0.0   # no -0.0
