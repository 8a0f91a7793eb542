"""Plumbing shared by every explorer widget (introduced in notebook 01): the
:class:`Explorer` contract, which is all a new explorer's author needs.

A subclass builds ``self.fig`` (with :func:`new_figure`) and its controls, implements
``update()`` — set the artists' data from the controls' values — and calls
:meth:`Explorer._finish` with the controls to watch and the layout (put
:func:`figure_view` ``(self.fig)`` and ``self.message`` in it). In return it gets three
guarantees the course promises:

* the figure is built once and redrawn in place (``update`` changes artists' data);
* a control change that cannot be honoured shows a plain message in the widget,
  never a traceback, and never leaves NaN or overflow on screen (numpy errors are raised
  inside the callback and turned into that message; raise ``ValueError`` with a sentence
  for settings you refuse);
* in pytest (a non-interactive backend) the same object works headless, so a test can set
  ``control.value`` and read the artists' data.

Redraws are fast without the subclass doing anything special: only what ``update()``
changed is re-rendered, over a cached picture of the rest, and the picture is always the
one a full redraw would give. How that works (blitting, and whole pictures for new browser
views) is in :mod:`helpers.widgets.blitting`; ``Explorer.fast_redraw = False`` switches it
off. Helpers for seeded samples: :meth:`Explorer._resample_button` and
:meth:`Explorer.sample_rng`; :meth:`Explorer.hold` changes several controls with one redraw.
"""

from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from helpers.validation import check_count
from helpers.widgets.blitting import Blitter, whole_pictures_for_new_views


def new_figure(nrows: int = 1, ncols: int = 1, figsize=None, **kwargs):
    """Create a figure without displaying it yet (the explorer places it in its layout).

    Introduced with the first explorer, in notebook 00.
    """
    kwargs.setdefault("layout", "constrained")
    with plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    # Grid and ticks beneath the data, also beneath bars and scatter points (matplotlib's
    # default puts them above patches and collections): then a redraw that changes only the
    # data can leave the axes' grid, ticks and tick labels in the cached background.
    for ax in np.atleast_1d(axes).flat:
        ax.set_axisbelow(True)
    canvas = fig.canvas
    for attr, value in (("header_visible", False), ("footer_visible", False),
                        ("toolbar_visible", False), ("resizable", False)):
        if hasattr(canvas, attr):  # ipympl canvases only
            setattr(canvas, attr, value)
    return fig, axes


def is_interactive_canvas(fig) -> bool:
    """True when the canvas is itself a widget (``%matplotlib widget``, i.e. ipympl).

    Introduced with the first explorer, in notebook 00.
    """
    return isinstance(fig.canvas, W.DOMWidget)


def figure_view(fig) -> W.Widget:
    """The widget that shows ``fig``: the ipympl canvas, or an Output holding a static image.

    Introduced with the first explorer, in notebook 00.
    """
    if is_interactive_canvas(fig):
        return fig.canvas
    out = W.Output()
    with out:
        from IPython.display import display

        display(fig)
    return out


class Explorer:
    """Base class: subclasses build ``self.fig`` and controls, then implement ``update()``.

    Call :meth:`_finish` at the end of ``__init__`` with the controls to watch and the layout.

    Introduced with the first explorer, in notebook 00.
    """

    #: how the message box looks
    _MESSAGE_STYLE = "color:#b2182b;font-weight:bold"
    #: redraw only what changed (see the module docstring); False: a full redraw every time
    fast_redraw = True

    def __init__(self):
        self.message = W.HTML(value="")
        self.n_updates = 0
        self.last_error: str | None = None
        self._holding = False

    # -- wiring ----------------------------------------------------------------------------
    def _finish(self, controls, layout: W.Widget):
        for control in controls:
            control.observe(self._on_change, names="value")
        # names the explorer in the page, so the browser tests can report it by class
        layout.add_class(f"pg-explorer-{type(self).__name__}")
        self.view = layout
        whole_pictures_for_new_views(self.fig.canvas)
        self.refresh()
        # Lay the figure out once, with real data, then freeze it: re-running constrained
        # layout on every redraw doubles the cost of a slider change (benchmarks/widgets.py).
        # draw_without_rendering, not canvas.draw(): an ipympl canvas drawn before it is on
        # screen stays blank in the browser (tests/browser caught this).
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")

    def _on_change(self, change=None):
        if not self._holding:
            self.refresh()

    def hold(self):
        """Context manager: change several controls, redraw once at the end."""
        explorer = self

        class _Hold:
            def __enter__(self):
                explorer._holding = True

            def __exit__(self, *exc):
                explorer._holding = False
                explorer.refresh()

        return _Hold()

    # -- reproducible samples --------------------------------------------------------------
    def _resample_button(self, seed, description: str = "Resample") -> W.Button:
        """A button that draws a fresh batch of samples.

        Samples come from :meth:`sample_rng`, seeded by (``seed``, number of presses), so the
        same settings always show the same batch until the button is pressed.
        """
        self.seed = check_count("seed", seed, minimum=0)
        self.n_draws = 0
        button = W.Button(description=description, icon="refresh")
        button.on_click(self._on_resample)
        return button

    def _on_resample(self, _button=None):
        self.n_draws += 1
        self.refresh()

    def sample_rng(self) -> np.random.Generator:
        """The generator for the current batch: seeded by (seed, number of resamples)."""
        return np.random.default_rng([self.seed, self.n_draws])

    # -- the safe redraw -------------------------------------------------------------------
    def refresh(self) -> bool:
        """Run ``update()``; show any problem as a message. Returns True on success."""
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                self.update()
        except FloatingPointError as err:
            self._warn(f"These settings overflow or produce NaN ({err}); the picture shows the "
                       "last valid state. Try a smaller step size or fewer steps.")
            return False
        except ValueError as err:
            self._warn(str(err))
            return False
        except Exception as err:  # last resort: a widget must never print a traceback
            self._warn(f"Could not redraw ({type(err).__name__}: {err}).")
            return False
        self.last_error = None
        self.message.value = ""
        self.n_updates += 1
        if self._browser_ready():
            # Render now and push the picture: with ipympl this saves the browser's round trip
            # that draw_idle() asks for (tests/browser measure slider-to-picture time).
            self._push_picture()
        else:
            # Before a browser view exists, a pushed picture is lost and the figure stays
            # blank; draw_idle lets the view ask for the picture when it is ready.
            self.fig.canvas.draw_idle()
        return True

    def _push_picture(self):
        blitter = getattr(self, "_blitter", None)
        if self.fast_redraw and isinstance(self.fig.canvas, FigureCanvasAgg):
            if blitter is None or blitter.fig is not self.fig:
                blitter = self._blitter = Blitter(self.fig)
            blitter.redraw()
        else:
            self.fig.canvas.draw()

    def _browser_ready(self) -> bool:
        """True once an ipympl view in the browser has said it is ready for pictures."""
        return is_interactive_canvas(self.fig) and not self.fig.canvas.syncing_data_url

    def _warn(self, text: str):
        self.last_error = text
        self.message.value = f'<span style="{self._MESSAGE_STYLE}">⚠ {html.escape(text)}</span>'

    def update(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)

    def close(self):
        """Close the figure and widgets (tests create many explorers)."""
        plt.close(self.fig)
        self.view.close()
