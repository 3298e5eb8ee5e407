"""Comparing models on one split: the model zoo and :func:`compare`."""

from ._data import ComparisonData, load_comparison_data
from ._runner import compare, labelled_subset
from ._zoo import FAST_MODELS, MODELS, SUPERVISED_BACKBONES, supervised_epochs

__all__ = [
    "FAST_MODELS",
    "MODELS",
    "SUPERVISED_BACKBONES",
    "ComparisonData",
    "compare",
    "labelled_subset",
    "load_comparison_data",
    "supervised_epochs",
]
