"""The bad-input matrix: every public estimator against every kind of bad
input (the table in docs/reliability.rst). Each gets a clear ``ValueError``
naming what was expected, or a documented handling, and a failed call never
changes what was fitted. The loaders' kinds (corrupt or truncated JPEG, HDF5
without its keys, FITS without the HDU or WCS, CSV without its columns) are
tested beside each loader in ``galaxy_sklearn/datasets/tests``."""

import numpy as np
import pytest
from sklearn.base import clone

from galaxy_sklearn import (
    CAEFeaturizer,
    CNNGalaxyClassifier,
    CNNGalaxyRegressor,
    LabelledOnlyClassifier,
    MoCoFeaturizer,
    MorphologyFeatures,
)
from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.preprocessing import (
    AsinhStretch,
    CenterCropResize,
    PercentileStretch,
)

SMALL = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}
ESTIMATORS = {
    "CAEFeaturizer": CAEFeaturizer(latent_dim=4, **SMALL),
    "MoCoFeaturizer": MoCoFeaturizer("simple_cnn", **SMALL),
    "CNNGalaxyClassifier": CNNGalaxyClassifier("simple_cnn", **SMALL),
    "CNNGalaxyRegressor": CNNGalaxyRegressor("simple_cnn", **SMALL),
    "LabelledOnlyClassifier": LabelledOnlyClassifier(
        CNNGalaxyClassifier("simple_cnn", **SMALL)
    ),
    "MorphologyFeatures": MorphologyFeatures(n_jobs=1),
    "CenterCropResize": CenterCropResize(crop=0.5, image_size=8),
    "AsinhStretch": AsinhStretch(),
    "PercentileStretch": PercentileStretch(),
}
TRAINED = [
    "CAEFeaturizer",
    "MoCoFeaturizer",
    "CNNGalaxyClassifier",
    "CNNGalaxyRegressor",
    "LabelledOnlyClassifier",
]


def _with_one(X, value):
    bad = X[:4].astype(np.float64)
    bad[0, 3, 5, 1] = value
    return bad


# kind: (bad images made from 16 x 16 x 3 uint8 images, what the error says)
BAD_IMAGES = {
    "NaN": (lambda X: _with_one(X, np.nan), "contains NaN"),
    "inf": (lambda X: _with_one(X, np.inf), "contains infinity"),
    "wrong rank (1-D)": (lambda X: X[0].ravel(), "Expected images as a 4-D array"),
    "wrong rank (5-D)": (lambda X: X[:4, None], "Expected images as a 4-D array"),
    "empty": (lambda X: X[:0], "0 sample"),
    "strings": (
        lambda X: np.full((4, 16, 16), "a", dtype=object),
        "Expected numeric pixel values",
    ),
    "unicode": (lambda X: np.full((4, 8), "a"), "Expected numeric pixel values"),
    "complex": (lambda X: X[:4] + 1j, "Complex data not supported"),
}
# only after fit: the images must look like the training images
BAD_AFTER_FIT = {
    "wrong channel count": (
        lambda X: X[:4, :, :, :1],
        r"shape \(16, 16, 1\) .* fitted on images of shape \(16, 16, 3\)",
    ),
    "other image size": (lambda X: X[:4, :8, :8], r"shape \(8, 8, 3\)"),
    "flat rows of another length": (
        lambda X: X[:4].reshape(4, -1)[:, :100],
        "X has 100 features",
    ),
}


def _targets(name, y):
    return np.c_[y / 4, 1 - y / 4] if name == "CNNGalaxyRegressor" else y


def _output(estimator, X):
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    return estimator.predict(X)


def _state(estimator):
    """What a fit left behind, down to the weights."""
    state = {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    net = state.pop("net_", None)
    if net is not None:
        state["weights"] = {k: v.clone() for k, v in net.module_.state_dict().items()}
    return state


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key, value in before.items():
        if key == "weights":
            assert all((value[k] == after[key][k]).all() for k in value)
        elif key == "history_":
            assert len(value) == len(after[key])
        else:
            np.testing.assert_array_equal(value, after[key])


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=40, image_size=16, random_state=0)


@pytest.fixture(scope="module")
def fitted(galaxies):
    X, y = galaxies
    return {
        name: clone(est).fit(X, _targets(name, y)) for name, est in ESTIMATORS.items()
    }


@pytest.mark.parametrize("kind", {**BAD_IMAGES, **BAD_AFTER_FIT})
@pytest.mark.parametrize("name", ESTIMATORS)
def test_bad_images_after_fit(fitted, galaxies, name, kind):
    X, _ = galaxies
    estimator = fitted[name]
    make, message = {**BAD_IMAGES, **BAD_AFTER_FIT}[kind]
    expected, before = _output(estimator, X[:6]), _state(estimator)
    with pytest.raises(ValueError, match=message):
        _output(estimator, make(X))
    _assert_same_state(before, _state(estimator))
    np.testing.assert_array_equal(_output(estimator, X[:6]), expected)


@pytest.mark.parametrize("kind", [*BAD_IMAGES, "one image"])
@pytest.mark.parametrize("name", TRAINED)
def test_a_failed_fit_keeps_the_previous_fit(fitted, galaxies, name, kind):
    X, y = galaxies
    estimator = fitted[name]
    if kind == "one image":
        make, message = (lambda X: X[:1]), "at least 2 images"
    else:
        make, message = BAD_IMAGES[kind]
    bad = make(X)
    if name == "LabelledOnlyClassifier" and kind == "wrong rank (1-D)":
        # a meta-estimator for any X: it first pairs the rows with the labels
        message = "inconsistent numbers of samples"
    expected, before = _output(estimator, X[:6]), _state(estimator)
    with pytest.raises(ValueError, match=message):
        estimator.fit(bad, _targets(name, y)[: len(bad)])
    _assert_same_state(before, _state(estimator))
    np.testing.assert_array_equal(_output(estimator, X[:6]), expected)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_blank_and_single_images_are_handled(fitted, galaxies, name):
    X, y = galaxies
    estimator = fitted[name]
    one = _output(estimator, X[:1])
    assert len(one) == 1
    blank = _output(estimator, np.zeros_like(X[:3]))
    if name == "MorphologyFeatures":
        # no source to measure: NaN statistics, flagged, never a guess
        names = list(estimator.get_feature_names_out())
        assert np.isnan(blank[:, names.index("gini")]).all()
        assert (blank[:, names.index("flag")] > 0).all()
    else:
        assert np.isfinite(blank).all()
    if name in TRAINED:  # training on blank images works too
        blank_fit = clone(estimator).fit(np.zeros_like(X[:20]), _targets(name, y[:20]))
        assert np.isfinite(_output(blank_fit, X[:3])).all()


BAD_LABELS = {
    "y length differs from X": (lambda y: y[:30], "inconsistent numbers of samples"),
    "NaN in y": (lambda y: np.where(y == 1, np.nan, y), "y contains NaN"),
    "y missing": (lambda y: None, "requires y"),
}


@pytest.mark.parametrize("kind", BAD_LABELS)
@pytest.mark.parametrize("name", ["CNNGalaxyClassifier", "CNNGalaxyRegressor"])
def test_bad_targets(fitted, galaxies, name, kind):
    X, y = galaxies
    estimator = fitted[name]
    make, message = BAD_LABELS[kind]
    bad = make(_targets(name, y).astype(float))
    before = _state(estimator)
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, bad)
    _assert_same_state(before, _state(estimator))


def test_one_class_and_unlabelled_only(fitted, galaxies):
    X, y = galaxies
    clf, semi = fitted["CNNGalaxyClassifier"], fitted["LabelledOnlyClassifier"]
    before = _state(clf)
    with pytest.raises(ValueError, match=r"at least 2 classes in y, got only \[3\]"):
        clf.fit(X, np.full(len(X), 3))
    with pytest.raises(ValueError, match="LabelledOnlyClassifier"):
        clf.fit(X, np.full(len(X), -1))
    _assert_same_state(before, _state(clf))
    with pytest.raises(ValueError, match="Every row of y is unlabelled"):
        semi.fit(X, np.full(len(X), -1))
    with pytest.raises(ValueError, match="at least 2 classes"):
        semi.fit(X, np.where(y == 0, 0, -1))  # the labelled rows: one class


def test_minus_one_among_labels_is_a_class_with_a_warning(galaxies):
    X, y = galaxies
    with pytest.warns(UserWarning, match="learns as a class of its own"):
        clf = clone(ESTIMATORS["CNNGalaxyClassifier"]).fit(X, np.where(y, y, -1))
    assert -1 in clf.classes_


def test_labels_unseen_in_fit_count_as_wrong_when_scoring(fitted, galaxies):
    X, y = galaxies
    clf = fitted["CNNGalaxyClassifier"]
    unseen = np.where(np.arange(len(y)) % 2 == 0, 99, clf.predict(X))
    assert clf.score(X, unseen) == pytest.approx(0.5)
