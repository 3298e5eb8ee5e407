"""The Galaxy Zoo 2 Kaggle metric."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils.validation import check_array, check_consistent_length


def gz2_rmse(y_true, y_pred, *, sample_weight=None) -> float:
    """Root mean squared error over every output of every galaxy.

    The metric of the Kaggle "Galaxy Zoo - The Galaxy Challenge": the square
    root of the mean of all ``n * 37`` squared differences between true and
    predicted vote fractions. (scikit-learn's ``root_mean_squared_error``
    averages per-output RMSEs instead, a different number.)

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_outputs)
    y_pred : array-like of the same shape
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    rmse : float

    Examples
    --------
    >>> from galaxy_sklearn.metrics import gz2_rmse
    >>> gz2_rmse([[0.5, 0.5], [1.0, 0.0]], [[0.5, 0.5], [0.0, 0.0]])
    0.5
    """
    y_true = check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}."
        )
    squared = np.square(y_true - y_pred).reshape(len(y_true), -1).mean(axis=1)
    return float(np.sqrt(np.average(squared, weights=sample_weight)))


#: Scorer for ``GridSearchCV(scoring=...)``: minus :func:`gz2_rmse`.
neg_gz2_rmse_scorer = make_scorer(gz2_rmse, greater_is_better=False)
