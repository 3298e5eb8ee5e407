"""Metrics for galaxy morphology: a per-class report and the Galaxy Zoo 2 RMSE."""

from ._gz2 import gz2_rmse, neg_gz2_rmse_scorer
from ._report import classification_report_frame

__all__ = ["classification_report_frame", "gz2_rmse", "neg_gz2_rmse_scorer"]
