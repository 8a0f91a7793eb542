"""Interactive explorers, one module per notebook, on shared plumbing in ``common``.

Every explorer builds its figure once and, when a control moves, updates the artists' data
in place (with ipympl the canvas is itself a widget, so the redraw is cheap). Callbacks
are wrapped so that odd input shows a clear message in the widget, never a traceback.
"""
