"""Sphinx configuration: user guide, API reference and an executed gallery.

Build with ``pip install -e ".[docs]"`` then
``sphinx-build -W -b html docs docs/_build/html`` (``make -C docs html``).
"""

import os
import socket
import warnings
from pathlib import Path

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
# fitted attributes as a field list under their own heading, like Parameters
napoleon_custom_sections = [("Attributes", "params_style")]
exclude_patterns = [
    "_build",
    "_intersphinx",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
]
html_theme = "pydata_sphinx_theme"
html_title = f"galaxy-sklearn {release}"
html_theme_options = {"navigation_with_keys": False}
html_show_sourcelink = False
# pages with no sub-pages get no empty "Section Navigation" sidebar
html_sidebars = {"install": [], "api": []}
html_static_path = ["_static"]
html_css_files = ["custom.css"]


def _online(host="docs.python.org", timeout=3.0) -> bool:
    """Whether the other projects' docs can be reached for their inventories."""
    if os.environ.get("GALAXY_SKLEARN_DOCS_OFFLINE"):
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


# Online, each inventory is fetched fresh and the snapshot in _intersphinx/
# (see its README) is the fallback; offline (CI), the snapshot alone links, and
# a project without one is left out rather than failing the -W build.
INTERSPHINX_SITES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "astropy": "https://docs.astropy.org/en/stable",
    "matplotlib": "https://matplotlib.org/stable",
}
_snapshots = Path(__file__).parent / "_intersphinx"
_is_online = _online()
intersphinx_mapping = {}
for _name, _url in INTERSPHINX_SITES.items():
    _snapshot = _snapshots / f"{_name}.inv"
    _sources = ((None,) if _is_online else ()) + (
        (str(_snapshot),) if _snapshot.is_file() else ()
    )
    if _sources:
        intersphinx_mapping[_name] = (_url, _sources)
if not _is_online:
    _missing = sorted(set(INTERSPHINX_SITES) - set(intersphinx_mapping))
    print(f"intersphinx: offline, linking from snapshots; no links to {_missing}")
intersphinx_timeout = 10

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
