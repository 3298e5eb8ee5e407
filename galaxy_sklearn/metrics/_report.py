"""Per-class classification report as a DataFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.utils.multiclass import unique_labels


def classification_report_frame(
    y_true, y_pred, *, labels=None, target_names=None, sample_weight=None
) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, as a DataFrame.

    The numbers of :func:`sklearn.metrics.classification_report`, in a table
    that can be sorted, joined across models and written to CSV: one row per
    class, then ``macro avg`` and ``weighted avg`` rows. Accuracy is in the
    frame's ``attrs["accuracy"]``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.
    labels : array-like, default=None
        Classes to report, in this order; default all that occur.
    target_names : list of str, default=None
        Row names for ``labels`` (e.g. ``GALAXY_CLASSES`` for integer labels).
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    report : pandas.DataFrame
        Columns ``precision``, ``recall``, ``f1``, ``support`` (an int count,
        or the summed weights with ``sample_weight``); a class that is never
        predicted gets precision 0, as in scikit-learn, without a warning.

    Examples
    --------
    >>> from galaxy_sklearn.metrics import classification_report_frame
    >>> report = classification_report_frame(
    ...     [0, 0, 1, 1], [0, 1, 1, 1], target_names=["smooth", "spiral"])
    >>> float(report.loc["spiral", "recall"]), float(report.loc["smooth", "recall"])
    (1.0, 0.5)
    >>> report.attrs["accuracy"]
    0.75
    """
    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ValueError(
            f"target_names has {len(target_names)} names for {len(labels)} labels."
        )
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=labels,
        sample_weight=sample_weight,
        zero_division=0.0,
    )
    report = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support},
        index=pd.Index(list(target_names), name="class"),
    )
    weights = support / support.sum() if support.sum() else np.zeros(len(support))
    averages = report[["precision", "recall", "f1"]]
    report.loc["macro avg"] = [*averages.mean(), support.sum()]
    report.loc["weighted avg"] = [*(averages.T @ weights), support.sum()]
    if sample_weight is None:
        report["support"] = report["support"].astype(int)
    report.attrs["accuracy"] = float(
        accuracy_score(y_true, y_pred, sample_weight=sample_weight)
    )
    return report
