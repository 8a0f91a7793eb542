"""Sphinx configuration of the course's website (built by ``website/build_site.py``; see there).

Sphinx reads the sources that ``build_site.py`` prepares under ``build/site/src``: ``index.md``
(the README and notebook 00's route) and the notebooks, already executed into the jupyter-cache
at ``build/site/jupyter_cache``, which MyST-NB reads ("cache" mode). Everything a page loads
comes from the site itself: the theme's files and a copy of MathJax taken from an installed
package (``build_site.py`` copies it to ``build/site/mathjax_static``), never a CDN.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "site"
#: written by build_site.py: the repository, the pages in syllabus order, the Binder branch
SETTINGS = json.loads((BUILD / "settings.json").read_text(encoding="utf-8"))

project = "Policy Gradients, Hands-On"
author = "the course's authors"
copyright = "the course's authors; code MIT, text CC BY 4.0"

extensions = ["myst_nb"]
root_doc = "index"
suppress_warnings = [
    # a notebook may jump from # to ### (Jupyter shows it fine); not worth failing the build
    "myst.header",
]

# -- MyST and MyST-NB --------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# The notebooks were executed by build_site.py into this cache; MyST-NB only merges the outputs (a
# notebook missing from the cache would be executed here, one at a time).
nb_execution_mode = "cache"
nb_execution_cache_path = str(BUILD / "jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_merge_streams = True
# no widget is shown on a page (explorers are still pictures), so no widget manager either:
# MyST-NB would load it (and RequireJS) from a CDN
nb_ipywidgets_js = {}
# solution cells: build_site.py tags them hide-cell with their own "Show solution" prompt

# -- HTML --------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = [str(ROOT / "website" / "static"), str(BUILD / "mathjax_static")]
html_css_files = ["site.css"]
# the notebooks as stored (no outputs), for the download links: notebooks/NN_name.ipynb
html_extra_path = [str(BUILD / "extra")]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# the course's figures are drawn on white; without a default the theme logs a console error
# on a first visit ("Got invalid theme mode")
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": f"https://github.com/{SETTINGS['repo']}",
    "repository_branch": SETTINGS["branch"],
    "use_repository_button": True,
    # its download menu would offer the build's own copy of each notebook; every notebook
    # page links the stored notebook itself instead (build_site.py)
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "search_bar_text": "Search the course…",
}

# MathJax 3.2.2 from the site itself (build_site.py copies it from the django-static-mathjax
# package into _static/mathjax); Sphinx's default would load MathJax from a CDN.
mathjax_path = "mathjax/tex-chtml.js"
