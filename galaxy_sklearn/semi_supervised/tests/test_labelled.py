import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from galaxy_sklearn.semi_supervised import LabelledOnlyClassifier, labelled_mask


def test_only_labelled_rows_reach_the_classifier():
    rng = np.random.RandomState(0)
    X = rng.rand(50, 3)
    y = (X[:, 0] > 0.5).astype(int)
    y_partial = y.copy()
    y_partial[10:] = -1
    clf = LabelledOnlyClassifier(LogisticRegression()).fit(X, y_partial)
    direct = LogisticRegression().fit(X[:10], y[:10])
    assert clf.n_labelled_ == 10 and list(clf.classes_) == [0, 1]
    np.testing.assert_allclose(clf.predict_proba(X), direct.predict_proba(X))
    np.testing.assert_array_equal(clf.decision_function(X), direct.decision_function(X))


def test_string_labels_with_a_string_marker():
    X = np.arange(8, dtype=float).reshape(-1, 1)
    y = np.array(["a", "b", "?", "?", "a", "b", "?", "a"])
    clf = LabelledOnlyClassifier(LogisticRegression(), unlabelled="?").fit(X, y)
    assert list(clf.classes_) == ["a", "b"] and clf.n_labelled_ == 5
    np.testing.assert_array_equal(
        labelled_mask(y, "?"), [True, True, False, False, True, True, False, True]
    )


def test_all_unlabelled_is_an_error():
    with pytest.raises(ValueError, match="at least one labelled row"):
        LabelledOnlyClassifier(LogisticRegression()).fit(np.ones((3, 2)), [-1, -1, -1])
