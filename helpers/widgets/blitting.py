"""How an explorer's pictures are made and sent: the internals behind
:class:`helpers.widgets.common.Explorer` (introduced with the first explorer, in notebook 00).
An explorer's author never calls them; read :mod:`helpers.widgets.common` first.

* :class:`Blitter` — redraws are fast without a subclass doing anything special: once the
  browser shows the figure, a control change re-renders only what ``update()`` changed (the
  artists whose data it set and whatever is drawn above them; after new limits, the data
  and the axis whose ticks moved), over a cached picture of everything else (matplotlib's
  blitting), and renders nothing when nothing in the figure changed. An added or removed
  artist, a moved or resized Axes or a changed figure falls back to a full redraw, so the
  picture is always the one a full redraw would give (tests/test_widgets_redraw.py compares
  them pixel by pixel). ``Explorer.fast_redraw = False`` switches this off, to time both
  ways side by side (benchmarks/widgets.py, tests/browser).
* :func:`whole_pictures_for_new_views` — ipympl sends differences between pictures; for a
  moment after a browser view asks for a fresh picture, whole ones (a blank-figure fix).

Redraws that a newer slider value supersedes are already skipped by the browser side:
ipywidgets keeps at most one update per widget in flight and merges later ones until the
kernel has answered, so a drag never queues a backlog of pictures.
"""

from __future__ import annotations

import time

import ipywidgets as W
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

__all__ = ["NEW_VIEW_SECONDS", "Blitter", "whole_pictures_for_new_views"]


#: seconds after a browser view asks for a fresh picture during which every picture is sent
#: whole (see :func:`whole_pictures_for_new_views`)
NEW_VIEW_SECONDS = 1.0


def whole_pictures_for_new_views(canvas, seconds: float = NEW_VIEW_SECONDS) -> None:
    """Make an ipympl ``canvas`` send whole pictures, not differences, for ``seconds`` after
    any browser view asks for a fresh one (a new view, a reload, a slideshow, a resize).

    ipympl sends a whole picture, then only the pixels that changed, and each page draws
    them through one ``<img>``: a new src replaces one still loading. When several pages
    show the figure, each answers a refresh with a draw request, so a whole picture is
    followed at once by an empty difference; if the difference replaces the whole picture
    before it has loaded, the new page composites the difference onto nothing and shows a
    blank figure (the likely cause of the blank figures the slideshow browser test met now
    and then). Sending only whole pictures for a moment makes the picture that wins always
    complete. Used by every explorer
    (notebook 00 onwards); does nothing for a canvas that is not an ipympl widget.
    """
    if not isinstance(canvas, W.DOMWidget) or getattr(canvas, "_pg_whole_until", None) is not None:
        return
    canvas._pg_whole_until = 0.0

    def on_msg(_widget, content, _buffers):
        if isinstance(content, dict) and content.get("type") in ("refresh", "initialized"):
            canvas._pg_whole_until = time.monotonic() + seconds

    send_diff = canvas.get_diff_image

    def get_diff_image():
        if time.monotonic() < canvas._pg_whole_until:
            canvas._force_full = True
        return send_diff()

    canvas.on_msg(on_msg)
    canvas.get_diff_image = get_diff_image



# -- blitting ------------------------------------------------------------------------------------
def _descendants(artist):
    """The artist and everything below it, except the inside of an Axis (its ticks are made
    afresh at each draw; :func:`_axis_signature` stands for them)."""
    yield artist
    if not isinstance(artist, Axis):
        for child in artist.get_children():
            yield from _descendants(child)


def _is_blank(artist) -> bool:
    """Draws nothing: hidden, or a text without characters."""
    return not artist.get_visible() or (isinstance(artist, Text) and not artist.get_text())


def _axis_signature(axis) -> tuple:
    """What an Axis draws, as data: limits, scale, tick positions and labels, tick style."""
    locs = [float(v) for v in axis.get_majorticklocs()]
    minor = [float(v) for v in axis.get_minorticklocs()]
    formatter = axis.get_major_formatter()
    labels = formatter.format_ticks(locs) if locs else []
    params = [sorted(axis.get_tick_params(which=w).items(), key=str) for w in ("major", "minor")]
    label = axis.label  # set_xlabel marks it stale even when nothing changes: compare it
    return (tuple(axis.get_view_interval()), axis.get_scale(), axis.get_visible(), tuple(locs),
            tuple(labels), formatter.get_offset(), tuple(minor), repr(params),
            label.get_text(), label.get_visible(), tuple(label.get_position()),
            str(label.get_color()), repr(label.get_fontproperties()), label.get_rotation(),
            label.get_horizontalalignment(), label.get_verticalalignment())


def _draw_order(ax: Axes) -> list:
    """The artists of ``ax`` in the order Axes.draw draws them (patch first, then by zorder)."""
    children = [c for c in ax.get_children() if c is not ax.patch]
    framed = ax.axison and ax.get_frame_on()
    if not framed:
        children = [c for c in children if c not in ax.spines.values()]
    if not ax.axison:
        children = [c for c in children if not isinstance(c, Axis)]
    ordered = sorted(children, key=lambda a: a.get_zorder())
    return [ax.patch, *ordered] if framed else ordered


class Blitter:
    """Redraw a figure by blitting what changed since the last picture: every explorer's
    redraw, from the first one in notebook 00 on (:class:`helpers.widgets.common.Explorer`).

    After each picture every artist is fresh (``stale`` is False). After ``update()``, the
    stale artists are the ones it changed; they and everything drawn after them in the same
    Axes are drawn over a cached background that holds the rest. When an Axes' limits change,
    everything in it drawn in data coordinates moves, so its artists count as changed, and so
    does each Axis whose ticks, tick labels or label changed (compared as data, since
    ``set_xlim`` marks an Axis stale even when nothing moves). An Axes that moved, or gained or
    lost an artist, is redrawn whole; a change to the figure itself redraws everything. A later
    Axes or figure-level artist (a figure legend) that overlaps what is redrawn is redrawn too,
    so the stacking order is exactly a full draw's. The background is rebuilt only when what
    must be redrawn is not already left out of it, or when it leaves out an Axis or an Axes
    that no longer needs redrawing; any draw of the figure by someone else (ipympl after a
    resize) discards it.
    """

    def __init__(self, fig):
        self.fig = fig
        self.background = None
        self.units: list = []          # what is drawn over the background, in draw order
        self.blank: set = set()        # drew nothing in the last picture (hidden, empty text)
        self.signature = None
        self.n_full = self.n_blit = self.n_skipped = 0
        self._drawing = False
        fig.canvas.mpl_connect("draw_event", self._on_draw)

    def _on_draw(self, _event):
        if not self._drawing:
            self.background = None

    def _signature(self):
        fig = self.fig
        axes = {}
        for ax in fig.axes:
            geometry = (tuple(ax.get_position().bounds), ax.get_visible(), ax.axison,
                        ax.get_frame_on(), tuple(id(c) for c in ax.get_children()))
            axes[ax] = (geometry, tuple(ax.viewLim.bounds),
                        {c: _axis_signature(c) for c in ax.get_children() if isinstance(c, Axis)})
        return (tuple(fig.bbox.bounds), fig.dpi, tuple(id(c) for c in fig.get_children())), axes

    def _changed(self, unit) -> bool:
        if unit in self.blank and _is_blank(unit):
            return False   # drew nothing then, draws nothing now (its stale flag stays set)
        return any(a.stale for a in _descendants(unit) if a not in self.blank or not _is_blank(a))

    def _axes_units(self, ax, now, old):
        """What to draw of ``ax`` over the background: [ax] (all of it), a tail of its draw
        order starting at the first changed artist, or [] (nothing changed)."""
        geometry, limits, axis_sigs = now
        if old is None or old[0] != geometry or ax.child_axes:
            return [ax]
        moved = old[1] != limits   # every artist in data coordinates is drawn elsewhere

        def changed(unit):
            if isinstance(unit, Axis):
                return axis_sigs[unit] != old[2].get(unit)
            if unit is ax.patch:
                return self._changed(unit)
            return moved or self._changed(unit)

        inner = _draw_order(ax)
        first = next((i for i, u in enumerate(inner) if changed(u)), None)
        return [] if first is None else inner[first:]

    def redraw(self):
        fig = self.fig
        canvas = fig.canvas
        (fig_sig, axes_sig) = self._signature()
        old_fig, old_axes = self.signature or (None, {})
        self.signature = (fig_sig, axes_sig)
        order = sorted((c for c in fig.get_children() if c is not fig.patch),
                       key=lambda a: a.get_zorder())
        if fig.subfigs:
            return self._rebuild([])
        # No background (the first picture, or someone else drew the figure) or a new figure
        # size: draw everything. Which artists to leave out of the new background is then only
        # a guess for the next change (the picture is exact either way): the ones changed now.
        fresh = self.background is None or fig_sig != old_fig or fig.patch.stale
        dynamic: list = []      # (figure-level item, [its units]) in figure draw order
        for item in order:
            if isinstance(item, Axes):
                old = old_axes.get(item, axes_sig[item] if fresh else None)
                units = self._axes_units(item, axes_sig[item], old)
            else:
                units = [item] if self._changed(item) else []
            if units:
                dynamic.append((item, units))
        if fresh:
            return self._rebuild(self._with_overlaps(order, dynamic))
        if not dynamic:
            self.n_skipped += 1
            self._mark_current()
            return
        wanted = {u for _, us in dynamic for u in us}
        spare = set(self.units) - wanted
        if wanted <= set(self.units) and not any(isinstance(u, (Axes, Axis)) for u in spare):
            # the background still holds everything else; an Axis or a whole Axes redrawn
            # for nothing would cost more than rebuilding the background once
            canvas.restore_region(self.background)
            self._draw_units()
            self.n_blit += 1
            return
        self._rebuild(self._with_overlaps(order, dynamic))

    def _with_overlaps(self, order, dynamic):
        """Add later figure-level items that overlap what is redrawn (exact stacking)."""
        renderer = self.fig.canvas.get_renderer()
        chosen = dict(dynamic)
        regions = []
        for item in order:
            if item in chosen:
                regions += [self._extent(u, renderer) for u in chosen[item]]
            elif regions:
                box = self._extent(item, renderer)
                if any(r is not None and box is not None and box.overlaps(r) for r in regions):
                    chosen[item] = [item]
                    regions.append(box)
        return [(item, chosen[item]) for item in order if item in chosen]

    def _extent(self, artist, renderer):
        if isinstance(artist, (Axes, Axis)):
            box = artist.get_tightbbox(renderer)
            return box if box is not None else self.fig.bbox
        if artist.get_clip_on() and artist.get_clip_box() is not None:
            return artist.get_clip_box()
        box = artist.get_window_extent(renderer)
        if box.width > 0 or box.height > 0:
            return box
        # an empty text draws nothing; an artist that cannot say where it draws may be anywhere
        return None if isinstance(artist, Text) else self.fig.bbox

    def _rebuild(self, dynamic):
        canvas = self.fig.canvas
        self.units = [u for _, us in dynamic for u in us]
        was = [(u, u.get_animated()) for u in self.units]
        for u in self.units:
            u.set_animated(True)   # left out of the background
        self._drawing = True
        try:
            FigureCanvasAgg.draw(canvas)   # render only; the picture is pushed below
        finally:
            self._drawing = False
            for u, animated in was:
                u.set_animated(animated)
        self.background = canvas.copy_from_bbox(self.fig.bbox)
        self._draw_units()
        self.n_full += 1

    def _draw_units(self):
        fig = self.fig
        for unit in self.units:
            fig.draw_artist(unit)
        self.blank = {a for a in _descendants(fig) if _is_blank(a)}
        self._mark_current()
        fig.canvas.blit(fig.bbox)

    def _mark_current(self):
        """The picture shows the figure as it is, as after a full draw. Left stale, pyplot's
        post-execute hook (which also runs after every widget message) would ask the browser
        for a full redraw."""
        for ax in self.fig.axes:
            ax.stale = False
        self.fig.stale = False
