"""Explorers as still pictures, for the website's build (``website/build_site.py``).

A static web page has no kernel, so the sliders of an explorer (``helpers.widgets.common.
Explorer``) cannot move there. The website runs each notebook with matplotlib's inline
backend and this module's :func:`install`: every explorer then shows its figure at its
starting settings as an image, followed by one line that names those settings and says that
moving them needs a live kernel, with the notebook's Binder link; any other widget a cell shows
becomes that line alone.

``website/build_site.py`` pastes this file's source into a hidden first cell of the copy it
executes (never into ``notebooks/``), so the execution cache sees any change to it.
"""

#: class of the one-line note under each explorer (the site's tests look for it)
NOTE_CLASS = "pg-explorer-note"


def _settings(widget) -> list[str]:
    """``description value`` of every control in an explorer's layout, depth first."""
    found = []
    description = getattr(widget, "description", "")
    value = getattr(widget, "value", None)
    if description and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        found.append(f"{description.rstrip(': ')} = {shown}")
    elif description and isinstance(value, bool):
        found.append(f"{description.rstrip(': ')}: {'on' if value else 'off'}")
    for child in getattr(widget, "children", ()):
        found += _settings(child)
    return found


def install(binder_url: str) -> None:
    """Show every explorer as its picture plus a one-line note linking to ``binder_url``.

    Call after ``%matplotlib inline``. Explorers keep working as objects (a later cell may
    still set ``explorer.slider.value``); only how they display changes.
    """
    import html

    import ipywidgets
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from helpers.widgets.common import Explorer

    def show_still(self):
        display(self.fig)
        plt.close(self.fig)  # shown once, here: the inline backend must not show it again
        settings = ", ".join(_settings(self.view))
        shown_at = f" The picture shows it at {html.escape(settings)}." if settings else ""
        display(HTML(
            f'<p class="{NOTE_CLASS}">This explorer needs a live kernel to move its '
            f"controls.{shown_at} "
            f'<a class="pg-binder-link" href="{html.escape(binder_url)}">Launch this '
            "notebook in Binder</a> to try it.</p>"))

    def still_control(self, **kwargs):
        """Any other widget a cell shows (not an explorer): the note alone."""
        return {"text/html": f'<p class="{NOTE_CLASS}">This control needs a live kernel. '
                             f'<a class="pg-binder-link" href="{html.escape(binder_url)}">'
                             "Launch this notebook in Binder</a> to use it.</p>",
                "text/plain": "(a control that needs a live kernel)"}

    Explorer._ipython_display_ = show_still
    ipywidgets.Widget._repr_mimebundle_ = still_control
