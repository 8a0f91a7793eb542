"""Draw CartPole-v1 states with matplotlib (no pygame, no window). Introduced in notebook 06.

:class:`CartPoleDrawing` draws the track, the cart and the pole on an axis and moves them
in place with :meth:`CartPoleDrawing.set_state`; :func:`animate_states` turns an episode's
states into a ``matplotlib.animation.FuncAnimation`` that a notebook shows with
``HTML(anim.to_jshtml())`` — plain HTML and JavaScript, so it works in a browser and when
the notebook runs headless in CI.

Geometry follows gymnasium's CartPole: the track ends at x = ±2.4 m (leaving it ends the
episode), the pole is 1 m long, hinged on the cart, and θ > 0 tilts it to the right; the
episode ends when |θ| > 12°.
"""

from __future__ import annotations

import numpy as np

from helpers.plotting import COLORS
from helpers.validation import as_float_array, check_count

X_LIMIT = 2.4
THETA_LIMIT = 12 * 2 * np.pi / 360
POLE_LENGTH = 1.0          # gymnasium's `length` is half of it (0.5)
CART_W, CART_H = 0.4, 0.24  # gymnasium draws 50 × 30 pixels on a 600-pixel, 4.8 m track


def _check_state(state):
    return as_float_array("state (x, ẋ, θ, θ̇)", state, shape=(4,))


def _check_states(states):
    s = as_float_array("states (one row of x, ẋ, θ, θ̇ per step)", states, shape=(None, 4))
    if s.shape[0] == 0:
        raise ValueError("states is empty: an episode has at least its first state.")
    return s


class CartPoleDrawing:
    """The cart, pole and track on ``ax``; :meth:`set_state` moves them. Notebook 06."""

    def __init__(self, ax, state=(0.0, 0.0, 0.0, 0.0)):
        import matplotlib.patches as mpatches

        self.ax = ax
        ax.set_xlim(-X_LIMIT - 0.4, X_LIMIT + 0.4)
        ax.set_ylim(-0.35, POLE_LENGTH + 0.35)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_yticks([])
        ax.set_xlabel("cart position x (m)")
        ax.axhline(0, color=COLORS["black"], lw=1)
        for side in (-1, 1):
            ax.axvline(side * X_LIMIT, color=COLORS["red"], lw=1, ls="--")
        self.cart = mpatches.Rectangle((0, 0), CART_W, CART_H, color=COLORS["black"], zorder=2)
        ax.add_patch(self.cart)
        (self.pole,) = ax.plot([], [], color=COLORS["orange"], lw=6, solid_capstyle="round",
                               zorder=3)
        (self.axle,) = ax.plot([], [], "o", color=COLORS["sky"], ms=6, zorder=4)
        self.text = ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=9)
        self.set_state(state)

    def set_state(self, state, label: str = ""):
        """Move the artists to ``state`` = (x, ẋ, θ, θ̇); ``label`` is shown top left."""
        x, _, theta, _ = _check_state(state)
        self.cart.set_xy((x - CART_W / 2, -CART_H / 2))
        pivot_y = CART_H / 4
        tip = (x + POLE_LENGTH * np.sin(theta), pivot_y + POLE_LENGTH * np.cos(theta))
        self.pole.set_data([x, tip[0]], [pivot_y, tip[1]])
        self.axle.set_data([x], [pivot_y])
        self.text.set_text(label)
        return self.cart, self.pole, self.axle, self.text


def animate_states(states, *, every: int = 4, title: str = "", interval_ms: int | None = None,
                   figsize=(6.0, 2.4), dpi: int = 72):
    """An animation of an episode's states, one frame per ``every`` steps (20 ms per step).

    Each frame shows the step number and the return so far (+1 per step survived).
    Returns the ``FuncAnimation``; show it with ``HTML(anim.to_jshtml())``. Notebook 06.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    states = _check_states(states)
    every = check_count("every (steps per frame)", every)
    frames = list(range(0, states.shape[0], every))
    if frames[-1] != states.shape[0] - 1:
        frames.append(states.shape[0] - 1)
    with plt.ioff():
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    drawing = CartPoleDrawing(ax, states[0])
    if title:
        ax.set_title(title)

    def frame(t):
        return drawing.set_state(states[t], f"step {t}   return so far {t:.0f}")

    interval = 20 * every if interval_ms is None else check_count("interval_ms", interval_ms)
    anim = FuncAnimation(fig, frame, frames=frames, interval=interval, blit=False)
    anim._cartpole_frames = frames  # kept for tests and for the notebook's frame count
    return anim


def snapshot(states, steps, *, ncols: int | None = None, figsize=None):
    """A static strip of frames at the given step indices (for slides and tests). Notebook 06."""
    import matplotlib.pyplot as plt

    states = _check_states(states)
    steps = [int(s) for s in np.atleast_1d(steps)]
    if not steps or min(steps) < 0 or max(steps) >= states.shape[0]:
        raise ValueError(f"steps must lie in 0..{states.shape[0] - 1}; got {steps}.")
    ncols = len(steps) if ncols is None else check_count("ncols", ncols)
    nrows = -(-len(steps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (3.0 * ncols, 1.6 * nrows),
                             squeeze=False)
    for ax in axes.flat[len(steps):]:
        ax.set_visible(False)
    for ax, t in zip(axes.flat, steps, strict=False):
        CartPoleDrawing(ax, states[t]).text.set_text(f"step {t}")
        ax.set_xlabel("")
    return fig
