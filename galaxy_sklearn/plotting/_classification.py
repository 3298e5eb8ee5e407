"""How well a classifier does: confusion matrix and ROC curves."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import label_binarize

from ._figures import class_names, single_axes


def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    labels=None,
    names=None,
    normalize="true",
    title=None,
    ax=None,
):
    """Confusion matrix, normalised over the true classes by default.

    Built on :class:`sklearn.metrics.ConfusionMatrixDisplay`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels (``y_pred = clf.predict(X)``).
    labels : array-like, default=None
        Classes in display order; default all that occur.
    names : list of str or dict, default=None
        Display names: ``names[label]`` (e.g. ``GALAXY_CLASSES`` for the
        integer labels of ``make_galaxies``).
    normalize : {"true", "pred", "all", None}, default="true"
        As in :func:`sklearn.metrics.confusion_matrix`; ``"true"`` shows the
        recall of each class on the diagonal.
    title : str, default=None
    ax : matplotlib Axes, default=None
        Where to draw; default a new figure.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from galaxy_sklearn.plotting import plot_confusion_matrix
    >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], names=["round", "spiral"])
    >>> fig.axes[0].get_xlabel()
    'Predicted label'
    """
    from sklearn.metrics import ConfusionMatrixDisplay
    from sklearn.utils.multiclass import unique_labels

    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    fig, ax = single_axes(ax, figsize=(1.1 * len(labels) + 2.5,) * 2)
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=[n.replace("_", "\n") for n in class_names(labels, names)],
        normalize=normalize,
        values_format=".2f" if normalize else "d",
        colorbar=False,
        cmap="Blues",
        ax=ax,
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_roc_curves(y_true, y_score, *, classes=None, names=None, title=None, ax=None):
    """One-vs-rest ROC curve of every class, with its AUC in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels.
    y_score : array-like of shape (n, n_classes)
        Scores per class, e.g. ``clf.predict_proba(X)``.
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (``clf.classes_``); default
        the sorted labels of ``y_true``.
    names : list of str or dict, default=None
        Display names, as in :func:`plot_confusion_matrix`.
    title : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.plotting import plot_roc_curves
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> fig = plot_roc_curves([0, 1, 0, 1], proba, names=["round", "spiral"])
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['round (AUC 1.00)', 'spiral (AUC 1.00)', 'chance']
    """
    from sklearn.metrics import auc, roc_curve

    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if y_score.ndim != 2 or y_score.shape != (len(y_true), len(classes)):
        raise ValueError(
            f"y_score must have shape (n_samples, n_classes) = ({len(y_true)}, "
            f"{len(classes)}), got {y_score.shape}."
        )
    truth = label_binarize(y_true, classes=classes)
    if len(classes) == 2:
        truth = np.c_[1 - truth[:, 0], truth[:, 0]]
    fig, ax = single_axes(ax, figsize=(5.5, 5))
    for k, name in enumerate(class_names(classes, names)):
        if truth[:, k].min() == truth[:, k].max():
            continue  # no positive (or no negative) example: no curve
        fpr, tpr, _ = roc_curve(truth[:, k], y_score[:, k])
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.2f})")
    ax.plot([0, 1], [0, 1], ls=":", c="grey", label="chance")
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        xlim=(0, 1),
        ylim=(0, 1.01),
        title=title or "one-vs-rest ROC",
    )
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig
