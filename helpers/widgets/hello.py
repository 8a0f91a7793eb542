"""The smallest possible live widget, used by notebook 00 to prove widgets render.

A slider sets the frequency k of sin(kx); the curve redraws in place. If the slider and
the figure appear (not a line of text such as ``FloatSlider(value=1.0)``), ipywidgets and
ipympl are working in this browser. Introduced in notebook 00.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers.widgets.common import Explorer, figure_view, new_figure


class WidgetCheck(Explorer):
    """A slider and a sine curve that follows it. Introduced in notebook 00."""

    def __init__(self, k: float = 1.0):
        super().__init__()
        self.x = np.linspace(0, 2 * np.pi, 400)
        self.k = W.FloatSlider(value=k, min=0.0, max=10.0, step=0.5, description="k")
        self.fig, self.ax = new_figure(figsize=(5.0, 2.2))
        (self.line,) = self.ax.plot(self.x, np.sin(k * self.x))
        self.ax.set(xlabel="x", ylabel="sin(k·x)", ylim=(-1.1, 1.1))
        self.status = W.HTML()
        self._finish([self.k], W.VBox([self.k, figure_view(self.fig), self.status, self.message]))

    def update(self):
        self.line.set_ydata(np.sin(self.k.value * self.x))
        self.ax.set_title(f"k = {self.k.value:g}")
        self.status.value = f"redrawn {self.n_updates + 1} time(s): widgets work ✓"
