"""Pictures of small tabular MDPs. Introduced in notebook 04 (its example MDP); notebooks 05,
07, 08 and 11 draw the same picture for the MDPs they reuse.

:func:`draw_mdp` draws any small :class:`helpers.mdp.TabularMDP` the way textbooks draw
MDPs: a large circle per state, a small dot per (state, action) pair, and arrows

* state → action dot, labelled with the action's name and its reward r(s, a) (and, given a
  policy's probabilities, π(a|s), also shown by the arrow's width);
* action dot → next state, labelled with the transition probability P(s'|s, a), for every
  transition with positive probability;
* an arrow from nowhere into each start state, labelled with ρ(s).

States are placed in columns by the fewest actions needed to reach them from a start state;
terminal states get a column of their own on the right. Everything drawn is returned in an
:class:`MDPDrawing`, so tests (and curious learners) can find each arrow and label.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from helpers.plotting import COLORS
from helpers.validation import as_float_array

__all__ = ["MDPDrawing", "draw_mdp", "format_probability"]

#: The most states :func:`draw_mdp` accepts: beyond it the picture stops being readable.
MAX_STATES = 12
MAX_ACTIONS = 4

# Layout in data units (the axes keep an equal aspect, so circles stay round).
_COLUMN = 3.4          # distance between state columns
_ROW = 2.3             # distance between states in one column
_RADIUS = 0.42         # state circles
_DOT = 0.09            # action dots
_ACTION_DX = 1.15      # how far right of its state an action dot sits
_ACTION_DY = 0.62      # vertical distance between the action dots of one state
_END_DX = 1.25         # how far right of an action dot its copy of a terminal state sits
_END_W, _END_H = 0.62, 0.36   # the terminal copies' boxes


@dataclass
class MDPDrawing:
    """Everything :func:`draw_mdp` drew, keyed by state index, (s, a) or (s, a, s').

    ``transitions[(s, a, s2)]`` is the arrow for P(s2|s, a) > 0 and
    ``transition_labels[(s, a, s2)]`` its text; ``action_arrows[(s, a)]`` and
    ``action_labels[(s, a)]`` the arrow from state s to its action dot and its label;
    ``start_labels[s]`` the ρ(s) of each start state. Introduced in notebook 04.
    """

    ax: object
    positions: dict = field(default_factory=dict)
    states: dict = field(default_factory=dict)
    state_labels: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)
    action_arrows: dict = field(default_factory=dict)
    action_labels: dict = field(default_factory=dict)
    terminals: dict = field(default_factory=dict)
    transitions: dict = field(default_factory=dict)
    transition_labels: dict = field(default_factory=dict)
    start_labels: dict = field(default_factory=dict)
    caption: object = None
    title: object = None


def format_probability(p: float) -> str:
    """A probability as a short label: ``0.8``, ``1``, ``0.25``, ``0.333``. Notebook 04."""
    text = f"{float(p):.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "0") else f"{float(p):.1g}"


def _format_reward(r: float) -> str:
    text = f"{abs(r):.2f}".rstrip("0").rstrip(".")
    if text == "0":
        return "0"
    return ("+" if r > 0 else "−") + text


def _check_inputs(mdp, ax, policy_probs):
    from helpers.mdp import TabularMDP

    if not isinstance(mdp, TabularMDP):
        raise ValueError(f"mdp must be a helpers.mdp.TabularMDP; got {type(mdp).__name__}.")
    if mdp.n_states > MAX_STATES or mdp.n_actions > MAX_ACTIONS:
        raise ValueError(
            f"draw_mdp draws small MDPs (at most {MAX_STATES} states and {MAX_ACTIONS} "
            f"actions, so the picture stays readable); this one has {mdp.n_states} states and "
            f"{mdp.n_actions} actions.")
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise ValueError(f"ax must be a matplotlib Axes (or None for a new figure); "
                             f"got {type(ax).__name__}.")
    if policy_probs is None:
        return None
    pi = as_float_array("policy_probs (π(a|s), one row per state)", policy_probs,
                        shape=(mdp.n_states, mdp.n_actions))
    live = ~mdp.terminal
    if np.any(pi[live] < 0) or not np.allclose(pi[live].sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("policy_probs must hold probabilities: each row π(·|s) of a "
                         "non-terminal state must be >= 0 and sum to 1 (e.g. policy.probs(θ)).")
    return pi


def _columns(mdp) -> np.ndarray:
    """Column of each non-terminal state: the fewest actions from a start state."""
    graph = (mdp.P > 0).any(axis=1)
    graph[mdp.terminal] = False
    live = ~mdp.terminal
    column = np.full(mdp.n_states, -1)
    frontier = (mdp.rho > 0) & live
    column[frontier] = 0
    depth = 0
    while frontier.any():
        depth += 1
        new = graph[frontier].any(axis=0) & (column < 0) & live
        column[new] = depth
        frontier = new
    column[live & (column < 0)] = 0                     # unreachable: drawn with the starts
    return column


def _positions(mdp, column, orders):
    pos = {}
    for c, members in zip(np.unique(column[~mdp.terminal]), orders, strict=True):
        for i, s in enumerate(members):
            pos[int(s)] = (c * _COLUMN, ((len(members) - 1) / 2 - i) * _ROW)
    return pos


def _crossings(mdp, pos) -> int:
    """How many pairs of straight action → next-state arrows cross (terminals excluded)."""
    segments = []
    for s in pos:
        for a in range(mdp.n_actions):
            start = _action_position(mdp, pos, s, a)
            segments.append((pos[s], start))
            for s2 in np.flatnonzero((mdp.P[s, a] > 0) & ~mdp.terminal):
                if int(s2) != s:
                    segments.append((start, pos[int(s2)]))

    def side(p, q, r):
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    count = 0
    for i, (p1, p2) in enumerate(segments):
        for q1, q2 in segments[i + 1:]:
            if len({p1, p2, q1, q2}) < 4:
                continue                                 # arrows that share an end
            if (side(p1, p2, q1) * side(p1, p2, q2) < 0
                    and side(q1, q2, p1) * side(q1, q2, p2) < 0):
                count += 1
    return count


def _layout(mdp):
    """Positions of the non-terminal states: columns by depth, each column ordered (among
    at most a few thousand orderings) to make the fewest crossing arrows."""
    column = _columns(mdp)
    groups = [np.flatnonzero((column == c) & ~mdp.terminal).tolist()
              for c in np.unique(column[~mdp.terminal])]
    n_layouts = np.prod([math.factorial(len(g)) for g in groups])
    if n_layouts > 5000:
        return _positions(mdp, column, groups), column
    best, best_count = None, None
    for orders in itertools.product(*(itertools.permutations(g) for g in groups)):
        pos = _positions(mdp, column, orders)
        count = _crossings(mdp, pos)
        if best_count is None or count < best_count:
            best, best_count = pos, count
    return best, column


def _action_position(mdp, pos, s, a):
    x, y = pos[s]
    return x + _ACTION_DX, y + ((mdp.n_actions - 1) / 2 - a) * _ACTION_DY


def _terminal_positions(mdp, pos, s, a):
    """Where the copies of the terminal states that action a of s may reach are drawn:
    right of the action dot, moved away from the arrows to non-terminal states."""
    xa, ya = _action_position(mdp, pos, s, a)
    ends = np.flatnonzero((mdp.P[s, a] > 0) & mdp.terminal)
    others = [pos[int(s2)][1] for s2 in np.flatnonzero((mdp.P[s, a] > 0) & ~mdp.terminal)]
    if others:
        away = 1.0 if np.mean(others) <= ya else -1.0
        return {int(e): (xa + _END_DX, ya + away * (0.5 + 0.55 * i)) for i, e in enumerate(ends)}
    spread = (len(ends) - 1) / 2
    return {int(e): (xa + _END_DX, ya + 0.55 * (spread - i)) for i, e in enumerate(ends)}


def _bezier_point(p0, p2, rad, t):
    """A point of matplotlib's arc3 curve from p0 to p2 (equal aspect), at parameter t."""
    p0, p2 = np.asarray(p0, float), np.asarray(p2, float)
    mid = (p0 + p2) / 2
    d = p2 - p0
    control = mid + rad * np.array([d[1], -d[0]])
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t**2 * p2


def _free_spot(candidates, placed, room: float = 0.55):
    """The first candidate point at least ``room`` from every placed label (else the one
    farthest from them)."""
    if not placed:
        return candidates[0]
    gaps = [min(np.hypot(*(c - p)) for p in placed) for c in candidates]
    for c, gap in zip(candidates, gaps, strict=True):
        if gap >= room:
            return c
    return candidates[int(np.argmax(gaps))]


def _curvature(mdp, pos, s, a, s2, column):
    """Straight arrows forward by one column; bent ones for self-loops, going back or
    skipping a column."""
    xa, ya = _action_position(mdp, pos, s, a)
    x2, y2 = pos[s2]
    if s2 == s:
        return 1.4 if ya >= y2 else -1.4
    if x2 <= pos[s][0]:                                  # back to an earlier column
        return 0.5 if y2 <= ya else -0.5
    if column[s2] - column[s] > 1:                       # skips a column: bend away from it
        return -0.18 if ya >= y2 else 0.18
    return 0.0


def draw_mdp(mdp, ax=None, *, policy_probs=None, title=None, fontsize: float = 12.0,
             caption: bool = True) -> MDPDrawing:
    """Draw a small tabular MDP: states, actions, rewards r(s, a), probabilities P(s'|s, a).

    Parameters
    ----------
    mdp : helpers.mdp.TabularMDP
        At most 12 states and 4 actions.
    ax : matplotlib Axes or None
        Where to draw; ``None`` makes a new figure sized to the MDP.
    policy_probs : (S, A) array or None
        π(a|s), e.g. ``policy.probs(theta)``: shown on each state → action arrow and by its
        width.
    title : str or None
        A title above the picture.
    fontsize : float
        Size of the labels in points (state names are larger); 12 reads on a projector.
    caption : bool
        Add a one-line key under the picture (what the numbers mean, γ and the horizon).

    A terminal state is drawn as a small box beside each action that can reach it (one
    copy per arrow), so no arrow has to cross the picture. Returns an :class:`MDPDrawing`
    with every artist. Raises ``ValueError`` for anything that is not a small
    ``TabularMDP``, a bad ``ax``, or ``policy_probs`` that are not probabilities.
    Introduced in notebook 04.
    """
    pi = _check_inputs(mdp, ax, policy_probs)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    pos, column = _layout(mdp)
    ends = {(s, a): _terminal_positions(mdp, pos, s, a) for s in pos
            for a in range(mdp.n_actions)}
    points = list(pos.values()) + [p for e in ends.values() for p in e.values()]
    x_lo = min(p[0] for p in points) - 1.9
    x_hi = max(p[0] for p in points) + 0.6
    y_lo = min(p[1] for p in points) - 1.5
    y_hi = max(p[1] for p in points) + (1.0 if title is None else 1.5)
    inches = min(1.0, 11.0 / (x_hi - x_lo), 7.0 / (y_hi - y_lo))   # per unit of layout
    widen = max(0.0, 4.8 / inches - (x_hi - x_lo)) / 2               # room for the key
    x_lo, x_hi = x_lo - widen, x_hi + widen
    if ax is None:
        _, ax = plt.subplots(figsize=(inches * (x_hi - x_lo) + 0.3,
                                      inches * (y_hi - y_lo) + 0.3))
    drawing = MDPDrawing(ax=ax, positions=pos)
    label_box = dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none",
                     alpha=0.9)

    placed = []                                          # where labels already are

    def transition_label(key, xy):
        placed.append(np.asarray(xy))
        drawing.transition_labels[key] = ax.text(
            *xy, format_probability(mdp.P[key]), ha="center", va="center",
            fontsize=fontsize, color=COLORS["blue"], bbox=label_box, zorder=6)

    for s, (x, y) in pos.items():
        circle = Circle((x, y), _RADIUS, facecolor="#D6ECF8", edgecolor=COLORS["black"],
                        linewidth=1.4, zorder=3)
        ax.add_patch(circle)
        drawing.states[s] = circle
        drawing.state_labels[s] = ax.text(x, y, mdp.state_names[s], ha="center", va="center",
                                          fontsize=fontsize + 2, fontweight="bold", zorder=4)
        if mdp.rho[s] > 0:
            ax.add_patch(FancyArrowPatch((x - 1.6, y), (x, y), patchB=circle,
                                         arrowstyle="-|>", mutation_scale=16,
                                         color=COLORS["grey"], linewidth=1.6, zorder=2))
            drawing.start_labels[s] = ax.text(
                x - 1.0, y + 0.1, f"ρ = {format_probability(mdp.rho[s])}", ha="center",
                va="bottom", fontsize=fontsize, color=COLORS["grey"], zorder=4)

    for s in pos:
        for a in range(mdp.n_actions):
            xa, ya = _action_position(mdp, pos, s, a)
            dot = Circle((xa, ya), _DOT, facecolor=COLORS["black"], edgecolor="none", zorder=5)
            ax.add_patch(dot)
            drawing.actions[(s, a)] = dot
            width = 1.4 if pi is None else 0.5 + 4.5 * pi[s, a]
            arrow = FancyArrowPatch(pos[s], (xa, ya), patchA=drawing.states[s], patchB=dot,
                                    arrowstyle="-", color=COLORS["black"], linewidth=width,
                                    zorder=2)
            ax.add_patch(arrow)
            drawing.action_arrows[(s, a)] = arrow
            reward = mdp.r[s, a]
            text = f"{mdp.action_names[a]}  r = {_format_reward(reward)}"
            if pi is not None:
                text += f"\nπ = {pi[s, a]:.2f}"
            above = ya >= pos[s][1]
            color = (COLORS["green"] if reward > 0 else
                     COLORS["red"] if reward < 0 else COLORS["black"])
            drawing.action_labels[(s, a)] = ax.text(
                xa - 0.05, ya + (0.13 if above else -0.13), text, ha="right",
                va="bottom" if above else "top", fontsize=fontsize, color=color,
                bbox=label_box, zorder=6)
            for s2 in np.flatnonzero((mdp.P[s, a] > 0) & ~mdp.terminal):
                s2 = int(s2)
                rad = _curvature(mdp, pos, s, a, s2, column)
                arrow = FancyArrowPatch((xa, ya), pos[s2], patchA=dot,
                                        patchB=drawing.states[s2],
                                        connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                        mutation_scale=15, color=COLORS["blue"],
                                        linewidth=1.5, zorder=1)
                ax.add_patch(arrow)
                drawing.transitions[(s, a, s2)] = arrow
                candidates = [_bezier_point((xa, ya), pos[s2], rad, t)
                              for t in ((0.5,) if s2 == s else (0.3, 0.45, 0.2, 0.6))]
                transition_label((s, a, s2), _free_spot(candidates, placed))
            for s2, (xe, ye) in ends[(s, a)].items():
                box = FancyBboxPatch((xe - _END_W / 2, ye - _END_H / 2), _END_W, _END_H,
                                     boxstyle="round,pad=0.02", facecolor="#E0E0E0",
                                     edgecolor=COLORS["black"], linewidth=1.2, zorder=3)
                ax.add_patch(box)
                ax.text(xe, ye, mdp.state_names[s2], ha="center", va="center",
                        fontsize=fontsize - 1, zorder=4)
                arrow = FancyArrowPatch((xa, ya), (xe, ye), patchA=dot, patchB=box,
                                        arrowstyle="-|>", mutation_scale=13,
                                        color=COLORS["blue"], linewidth=1.3, zorder=1)
                ax.add_patch(arrow)
                drawing.terminals[(s, a, s2)] = box
                drawing.transitions[(s, a, s2)] = arrow
                transition_label((s, a, s2), _bezier_point((xa, ya), (xe, ye), 0.0, 0.45))

    if caption:
        horizon = "no horizon" if mdp.horizon is None else f"horizon {mdp.horizon}"
        key = (f"●  action, with its reward r(s, a)     blue: P(s′ | s, a)\n"
               f"grey box: the episode ends     γ = {mdp.gamma:g}, {horizon}")
        drawing.caption = ax.text((x_lo + x_hi) / 2, y_lo + 0.05, key, ha="center",
                                  va="bottom", fontsize=fontsize - 1, color=COLORS["grey"])
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:      # inside the axes: layout engines ignore an axis-less title
        drawing.title = ax.text((x_lo + x_hi) / 2, y_hi - 0.1, title, ha="center", va="top",
                                fontsize=fontsize + 1)
    return drawing
