"""Sphinx configuration of the lossapi documentation site.

The per-loss pages, the gallery and the porting guide are generated at build time from the
catalog, the docstrings and the porting table (``_ext/lossapi_docs.py``), so they cannot drift
from the code. ``nox -s docs`` builds with ``-W``: any warning fails the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

import lossapi  # noqa: E402

project = "lossapi"
author = "the lossapi developers"
copyright = "2026, the lossapi developers"
release = lossapi.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax bundled into _static: formulas render without a network
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "lossapi_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# report_body.md is only included by report.md, never a page of its own.
exclude_patterns = ["_build", "_ext", "_report", "generated/report_body.md", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_typehints = "none"  # numpydoc renders the documented types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "pydata_sphinx_theme"
html_title = f"lossapi {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = ["_static"]
# Formulas and signatures wrap or scale to the content column instead of scrolling sideways.
html_css_files = ["lossapi.css"]
