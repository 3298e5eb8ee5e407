"""Featurizers: scikit-learn transformers that learn from unlabelled galaxies."""

from ._cae import CAEFeaturizer
from ._moco import MoCoFeaturizer

__all__ = ["CAEFeaturizer", "MoCoFeaturizer"]
