"""Sphinx configuration (the full docs build, gallery included, is issue #7)."""

import galaxy_sklearn

project = "galaxy-sklearn"
author = "galaxy-sklearn developers"
release = galaxy_sklearn.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
]
autosummary_generate = True
napoleon_numpy_docstring = True
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://pytorch.org/docs/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "astropy": ("https://docs.astropy.org/en/stable", None),
}
exclude_patterns = ["_build"]
html_theme = "alabaster"
