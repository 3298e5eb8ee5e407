"""The documentation covers the public API: every public name is on the API page,
every public estimator has an Examples section (run by ``--doctest-modules``),
and every gallery example says what to raise on a GPU."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator

import galaxy_sklearn

ROOT = Path(__file__).parents[1]
API_PAGE = (ROOT / "docs" / "api.rst").read_text()


def _public_names():
    """(qualified name, object) for every name in a public ``__all__``."""
    names = [("", n) for n in galaxy_sklearn.__all__ if n != "__version__"]
    for module in pkgutil.iter_modules(galaxy_sklearn.__path__):
        if module.name.startswith("_") or module.name == "tests":
            continue
        sub = importlib.import_module(f"galaxy_sklearn.{module.name}")
        names += [(module.name, n) for n in getattr(sub, "__all__", [])]
    out = []
    for sub, name in names:
        owner = importlib.import_module("galaxy_sklearn" + (f".{sub}" if sub else ""))
        out.append((f"{sub}.{name}" if sub else name, getattr(owner, name)))
    return out


PUBLIC = _public_names()
ESTIMATORS = sorted(
    {
        obj
        for _, obj in PUBLIC
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    },
    key=lambda cls: cls.__name__,
)


def _documented(qualified, obj):
    """On the API page under this name or under another name of the object."""
    aliases = {qual for qual, other in PUBLIC if other is obj}
    pattern = r"(?<![\w.])(galaxy_sklearn\.)?{}(?![\w])"
    return any(re.search(pattern.format(re.escape(a)), API_PAGE) for a in aliases)


def test_public_names_found():
    assert len(PUBLIC) > 50 and len(ESTIMATORS) >= 9


@pytest.mark.parametrize("qualified, obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_name_on_api_page(qualified, obj):
    assert _documented(qualified, obj), f"{qualified} is not in docs/api.rst"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_has_runnable_examples(estimator):
    doc = inspect.getdoc(estimator) or ""
    section = re.search(
        r"^Examples\n-{8}\n(.*?)(?=^\S.*\n-{3,}\n|\Z)", doc, re.S | re.M
    )
    assert section, f"{estimator.__name__} has no Examples section"
    assert ">>> " in section.group(1), f"{estimator.__name__}: Examples has no >>>"
    # doctests are collected from the module that defines the class
    assert estimator.__module__.startswith("galaxy_sklearn.")


EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_says_what_to_raise_on_a_gpu(path):
    text = path.read_text()
    assert re.search(r"on\s+a\s+GPU", text, re.I), f"{path.name}: no note for a GPU"


def _inventory_names(path):
    """The object names in a Sphinx ``objects.inv`` (version 2)."""
    import zlib

    header, _, body = path.read_bytes().partition(b"zlib.\n")
    assert header.startswith(b"# Sphinx inventory version 2"), path
    lines = zlib.decompress(body).decode().splitlines()
    return {line.split(" ", 1)[0] for line in lines}


def test_offline_docs_build_links_from_snapshots(monkeypatch, capsys):
    import runpy

    monkeypatch.setenv("GALAXY_SKLEARN_DOCS_OFFLINE", "1")
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    mapping = conf["intersphinx_mapping"]
    assert {"python", "sklearn", "astropy"} <= set(mapping)
    for name, (url, sources) in mapping.items():
        assert url == conf["INTERSPHINX_SITES"][name]
        assert None not in sources, f"{name}: an offline build must not fetch"
    printed = capsys.readouterr().out
    left_out = set(conf["INTERSPHINX_SITES"]) - set(mapping)
    assert all(repr(name) in printed for name in left_out), printed
    expected = {
        "sklearn": "sklearn.pipeline.Pipeline",
        "python": "pathlib.Path",
        "astropy": "astropy.nddata.Cutout2D",
    }
    for name, example in expected.items():
        (snapshot,) = mapping[name][1]
        assert example in _inventory_names(Path(snapshot))
