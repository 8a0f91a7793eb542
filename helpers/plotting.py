"""One-call plotting style for every notebook (introduced in notebook 01).

``set_style()`` is the only place the course changes matplotlib's settings, and a notebook
calls it visibly in its setup cell: importing ``helpers`` changes nothing.
Colours are the Okabe–Ito palette, which stays distinguishable under colour blindness.
"""

from __future__ import annotations

#: Okabe–Ito colours by role, so "exact", "estimate", ... look the same in every notebook.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}
#: Roles used across notebooks.
ROLE = {
    "exact": COLORS["black"],
    "score_function": COLORS["blue"],
    "finite_difference": COLORS["orange"],
    "pathwise": COLORS["green"],
    "before": COLORS["grey"],
    "after": COLORS["blue"],
    "baseline": COLORS["purple"],
    "reference": COLORS["red"],
}
_CYCLE = [COLORS[k] for k in ("blue", "orange", "green", "red", "purple", "sky", "yellow", "black")]


def set_style(figsize=(6.4, 3.6), dpi: int = 100) -> None:
    """Apply the course's matplotlib style (sizes, grid, colour-blind-safe cycle). Notebook 01."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": figsize,
            "figure.dpi": dpi,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=_CYCLE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "image.cmap": "viridis",
            # ipympl: no toolbar/header clutter on projected slides
            "toolbar": "None",
        }
    )
