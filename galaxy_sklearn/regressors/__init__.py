"""Supervised CNN regressors: Galaxy Zoo vote fractions and other targets."""

from ._cnn import CNNGalaxyRegressor

__all__ = ["CNNGalaxyRegressor"]
