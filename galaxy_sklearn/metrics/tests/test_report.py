import numpy as np
import pytest
from sklearn.metrics import classification_report

from galaxy_sklearn.metrics import classification_report_frame


def test_matches_scikit_learn_report():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
    names = ["round", "inbetween", "cigar", "spiral"]
    frame = classification_report_frame(y_true, y_pred, target_names=names)
    expected = classification_report(
        y_true, y_pred, target_names=names, output_dict=True
    )
    for name in [*names, "macro avg", "weighted avg"]:
        assert frame.loc[name, "precision"] == pytest.approx(
            expected[name]["precision"]
        )
        assert frame.loc[name, "recall"] == pytest.approx(expected[name]["recall"])
        assert frame.loc[name, "f1"] == pytest.approx(expected[name]["f1-score"])
        assert frame.loc[name, "support"] == expected[name]["support"]
    assert frame.attrs["accuracy"] == pytest.approx(expected["accuracy"])


def test_labels_order_and_unpredicted_class():
    frame = classification_report_frame(
        ["a", "b", "b"], ["b", "b", "b"], labels=["b", "a"]
    )
    assert list(frame.index[:2]) == ["b", "a"]
    assert frame.loc["a", "precision"] == 0.0
    assert frame.loc["a", "support"] == 1


def test_target_names_must_match_labels():
    with pytest.raises(ValueError, match="2 names for 3 labels"):
        classification_report_frame([0, 1, 2], [0, 1, 2], target_names=["x", "y"])


def test_weighted_support_keeps_its_fractions():
    frame = classification_report_frame(
        [0, 0, 1], [0, 1, 1], sample_weight=[0.5, 1.2, 0.3]
    )
    assert frame.loc["0", "support"] == pytest.approx(1.7)
    assert frame.loc["macro avg", "support"] == pytest.approx(2.0)
