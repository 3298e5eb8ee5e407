import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from galaxy_sklearn import (
    CNNGalaxyClassifier,
    CNNGalaxyRegressor,
    LabelledOnlyClassifier,
)
from galaxy_sklearn.inspection import grad_cam, last_conv_layer
from galaxy_sklearn.nn import build_backbone


def _blob_images(n=160, size=24, seed=0):
    """Class 1 has a bright blob somewhere, class 0 is noise alone."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.1, (n, size, size, 1)).astype(np.float32)
    y = np.arange(n) % 2
    centres = rng.uniform(4, size - 4, (n, 2))
    yy, xx = np.mgrid[:size, :size]
    for i in np.flatnonzero(y):
        cx, cy = centres[i]
        X[i, ..., 0] += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 4)
    return X, y, centres


@pytest.fixture(scope="module")
def blob_classifier():
    X, y, centres = _blob_images()
    clf = CNNGalaxyClassifier("simple_cnn", max_epochs=8, lr=3e-3, random_state=0)
    return clf.fit(X, y), X, y, centres


def test_heatmap_finds_the_blob(blob_classifier):
    clf, X, y, centres = blob_classifier
    assert clf.score(X, y) > 0.9
    blob = y == 1
    # features.3: the second convolution's map, at full resolution
    maps = grad_cam(clf, X[blob], target=1, layer="features.3")
    assert maps.shape == (blob.sum(), 24, 24) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() <= 1
    yy, xx = np.mgrid[:24, :24]
    near = (
        np.hypot(xx - centres[blob, 0, None, None], yy - centres[blob, 1, None, None])
        < 6
    )
    # a disc of radius 6 is about a fifth of the frame; the heat is in it
    share = (maps * near).sum(axis=(1, 2)) / np.maximum(maps.sum(axis=(1, 2)), 1e-9)
    assert near.mean() < 0.25
    assert np.median(share) > 0.6
    # the default, the last block, is a coarse 3x3 map but a valid one
    coarse = grad_cam(clf, X[blob][:8], target=1)
    assert np.isfinite(coarse).all() and coarse.min() >= 0 and coarse.max() <= 1


def test_default_target_is_the_prediction(blob_classifier):
    clf, X, _, _ = blob_classifier
    np.testing.assert_allclose(
        grad_cam(clf, X[:8]), grad_cam(clf, X[:8], target=clf.predict(X[:8])), atol=1e-5
    )


def test_wrapped_estimators_and_errors(blob_classifier):
    clf, X, y, _ = blob_classifier
    wrapped = LabelledOnlyClassifier(
        CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    ).fit(X, y)
    assert grad_cam(wrapped, X[:3]).shape == (3, 24, 24)
    pipe = make_pipeline(FunctionTransformer(), clf)
    assert grad_cam(pipe, X[:3], target=0).shape == (3, 24, 24)
    with pytest.raises(ValueError, match="not one of classes_"):
        grad_cam(clf, X[:3], target=7)
    with pytest.raises(ValueError, match="not a module"):
        grad_cam(clf, X[:3], layer="nope")
    with pytest.raises(TypeError, match="CNNGalaxyClassifier"):
        grad_cam(FunctionTransformer().fit(X), X)


def test_regressor_and_frozen_backbone():
    X, y, _ = _blob_images(40)
    reg = CNNGalaxyRegressor("simple_cnn", freeze=True, max_epochs=1, random_state=0)
    reg.fit(X, np.c_[y, 1 - y].astype(float))
    maps = grad_cam(reg, X[:4], target=1)
    assert maps.shape == (4, 24, 24) and np.isfinite(maps).all()
    with pytest.raises(ValueError, match="output index"):
        grad_cam(reg, X[:4], target=5)


@pytest.mark.parametrize(
    "name, expected", [("resnet18", "layer4"), ("simple_cnn", "features")]
)
def test_last_conv_layer(name, expected):
    assert last_conv_layer(build_backbone(name, 3, 32), (3, 32, 32)) == expected


def test_backbone_that_enlarges_small_images():
    # VGG16 needs 32 px: the 16 px galaxies reach it enlarged, and the
    # heatmap comes back at 16 px
    X, y, _ = _blob_images(12, size=16)
    clf = CNNGalaxyClassifier("vgg16", max_epochs=1, random_state=0).fit(X, y)
    maps = grad_cam(clf, X[:3])
    assert maps.shape == (3, 16, 16) and np.isfinite(maps).all()
