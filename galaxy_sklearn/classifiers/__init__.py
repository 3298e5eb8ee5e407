"""Supervised estimators: CNN classifiers on any backbone."""

from ._cnn import CNNGalaxyClassifier

__all__ = ["CNNGalaxyClassifier"]
