"""Metrics for galaxy morphology: the Galaxy Zoo 2 Kaggle RMSE."""

from ._gz2 import gz2_rmse, neg_gz2_rmse_scorer

__all__ = ["gz2_rmse", "neg_gz2_rmse_scorer"]
