"""Fit a classifier on the labelled rows only, inside a Pipeline."""

from __future__ import annotations

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)


def labelled_mask(y, unlabelled=-1) -> np.ndarray:
    """Boolean mask of the rows whose label is not ``unlabelled``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels, with ``unlabelled`` marking rows without one (scikit-learn's
        semi-supervised convention is ``-1``).
    unlabelled : int or str, default=-1
        The marker.

    Returns
    -------
    mask : ndarray of bool, shape (n,)

    Examples
    --------
    >>> labelled_mask([0, -1, 2, -1])
    array([ True, False,  True, False])
    """
    y = column_or_1d(y)
    if y.dtype.kind in "OUS" and not isinstance(unlabelled, str):
        return np.array([label != unlabelled for label in y], dtype=bool)
    return np.asarray(y != unlabelled, dtype=bool)


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


class LabelledOnlyClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train ``estimator`` on the rows that have a label; predict for all.

    In ``make_pipeline(featurizer, LabelledOnlyClassifier(clf))`` the
    featurizer learns from every image (it ignores ``y``) while ``clf`` sees
    only the rows whose label is not ``unlabelled``: the usual semi-supervised
    recipe with scikit-learn's ``-1`` convention for unlabelled rows.

    Parameters
    ----------
    estimator : classifier
        Cloned and fitted on the labelled rows.
    unlabelled : int or str, default=-1
        Label value that marks a row as unlabelled.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone.
    classes_ : ndarray
        Classes seen in the labelled rows (never ``unlabelled``).
    n_labelled_ : int
        Number of rows the classifier was trained on.
    n_features_in_ : int
        Features of the input.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [0.1], [0.9], [0.5]])
    >>> y = np.array([0, 1, -1, -1, -1])
    >>> clf = LabelledOnlyClassifier(LogisticRegression()).fit(X, y)
    >>> clf.classes_, clf.n_labelled_
    (array([0, 1]), 2)
    """

    def __init__(self, estimator, *, unlabelled=-1):
        self.estimator = estimator
        self.unlabelled = unlabelled

    def fit(self, X, y, **fit_params):
        """Fit a clone of ``estimator`` on the labelled rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
        y : array-like of shape (n,)
            Labels, ``unlabelled`` for rows without one.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : LabelledOnlyClassifier
        """
        if y is None:
            raise ValueError(
                "LabelledOnlyClassifier requires y to be passed, but the target y "
                "is None."
            )
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        if len(y) == 0:
            raise ValueError(
                "Found array with 0 sample(s) in X and y; at least one labelled "
                "row is needed to fit the classifier."
            )
        mask = labelled_mask(y, self.unlabelled)
        if not mask.any():
            raise ValueError(
                f"Every row of y is unlabelled ({self.unlabelled!r}); at least one "
                "labelled row is needed to fit the classifier."
            )
        if not mask.all():
            if issparse(X):
                X = X.tocsr()
            rows = np.flatnonzero(mask)
            X, y = _safe_indexing(X, rows), y[rows]
        estimator = clone(self.estimator).fit(X, y, **fit_params)
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        self.n_labelled_ = int(mask.sum())
        if hasattr(estimator, "n_features_in_"):
            self.n_features_in_ = estimator.n_features_in_
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        return self

    def predict(self, X):
        """Predict with the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.input_tags = inner.input_tags
        return tags
