"""Sphinx configuration: user guide, API reference and an executed gallery.

Build with ``pip install -e ".[docs]"`` then
``sphinx-build -W -b html docs docs/_build/html`` (``make -C docs html``).
"""

import os
import socket
import warnings

import galaxy_sklearn

project = "galaxy-sklearn"
author = "galaxy-sklearn developers"
copyright = "2026, galaxy-sklearn developers"
release = version = galaxy_sklearn.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
templates_path = ["_templates"]
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "pydata_sphinx_theme"
html_title = f"galaxy-sklearn {release}"
html_theme_options = {"navigation_with_keys": False}
html_show_sourcelink = False


def _online(host="docs.python.org", timeout=3.0) -> bool:
    """Inventories of other projects are fetched only when the network is there."""
    if os.environ.get("GALAXY_SKLEARN_DOCS_OFFLINE"):
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


intersphinx_mapping = {}
if _online():
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
        "astropy": ("https://docs.astropy.org/en/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }
else:
    print("intersphinx: offline, links to other projects' docs are left out")

# every example runs during the build; its figures become the gallery
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    # "Examples using ..." at the foot of each API page
    "doc_module": ("galaxy_sklearn",),
    "backreferences_dir": "generated/backreferences",
}

# torch and skorch deprecations are not ours to fix in the docs build
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
