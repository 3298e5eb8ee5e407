import numpy as np
import pytest
from astropy.visualization import make_lupton_rgb
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.preprocessing import (
    AsinhStretch,
    CenterCropResize,
    PercentileStretch,
    lupton_asinh,
)


def test_crop_takes_the_centre():
    X = np.zeros((2, 10, 12, 1), dtype=np.uint8)
    X[:, 3:7, 4:8] = 200  # the central 4x4 block
    out = CenterCropResize(crop=4, image_size=None).fit_transform(X)
    assert out.shape == (2, 4, 4, 1) and out.dtype == np.uint8
    assert (out == 200).all()
    out[:] = 0  # the output is a copy, not a view of X
    assert X.max() == 200


def test_crop_fraction_and_rectangular():
    X = np.random.default_rng(0).random((3, 40, 40, 2))
    out = CenterCropResize(crop=0.5, image_size=None).fit_transform(X)
    np.testing.assert_allclose(out, X[:, 10:30, 10:30].astype(np.float32))
    out32 = CenterCropResize(crop=np.float32(0.5), image_size=None).fit_transform(X)
    np.testing.assert_array_equal(out32, out)
    out = CenterCropResize(crop=(10, 20), image_size=(5, 10)).fit_transform(X)
    assert out.shape == (3, 5, 10, 2) and out.dtype == np.float32


def test_resize_is_antialiased_and_keeps_flux_level():
    # a fine checkerboard averages to grey instead of aliasing to black/white
    board = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    X = np.repeat(board[None, :, :, None], 2, axis=0)
    out = CenterCropResize(image_size=16).fit_transform(X)
    assert abs(out.astype(float).mean() - 127.5) < 2
    assert out.std() < 5


def test_layouts_follow_the_input():
    X, _ = make_galaxies(n_samples=4, image_size=32, random_state=0)
    t = CenterCropResize(crop=16, image_size=8)
    assert t.fit_transform(X[..., 0]).shape == (4, 8, 8)
    flat = X.reshape(4, -1)
    t = CenterCropResize(crop=16, image_size=8, image_shape=(32, 32, 3))
    assert t.fit_transform(flat).shape == (4, 8 * 8 * 3)
    np.testing.assert_array_equal(
        t.transform(flat).reshape(4, 8, 8, 3),
        CenterCropResize(crop=16, image_size=8).fit_transform(X),
    )


def test_transform_checks_the_fitted_shape():
    X = np.zeros((2, 16, 16, 3), dtype=np.uint8)
    t = CenterCropResize(crop=8, image_size=4).fit(X)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        t.transform(np.zeros((2, 20, 20, 3), dtype=np.uint8))
    # unfitted, it is stateless and takes any shape
    assert CenterCropResize(crop=8, image_size=4).transform(X).shape == (2, 4, 4, 3)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"crop": 0}, "crop must be"),
        ({"crop": 1.5}, "crop must be"),
        ({"image_size": -3}, "image_size must be"),
        ({"crop": 40}, "larger than the images"),
    ],
)
def test_crop_errors(params, match):
    with pytest.raises(ValueError, match=match):
        CenterCropResize(**params).fit_transform(np.zeros((1, 16, 16, 1)))


def test_asinh_matches_astropy_make_lupton_rgb():
    rng = np.random.default_rng(0)
    r, g, b = rng.exponential(1.5, size=(3, 24, 24))
    ours = AsinhStretch(Q=8, stretch=2).fit_transform(np.stack([r, g, b], -1)[None])
    theirs = make_lupton_rgb(r, g, b, Q=8, stretch=2)
    np.testing.assert_array_equal((ours[0] * 255).astype(np.uint8), theirs)


def test_asinh_keeps_colours_and_any_band_count():
    x = np.zeros((1, 1, 2, 5))
    x[0, 0, 0] = [1, 2, 3, 4, 5]
    x[0, 0, 1] = [10, 20, 30, 40, 50]
    out = lupton_asinh(x, Q=3, stretch=100)
    np.testing.assert_allclose(
        out[0, 0, 0] / out[0, 0, 0, 0], [1, 2, 3, 4, 5], rtol=1e-5
    )
    assert out[0, 0, 1, 0] > out[0, 0, 0, 0]
    # brighter pixels are compressed: the stretch is sublinear
    assert out[0, 0, 1, 0] / out[0, 0, 0, 0] < 10


def test_percentile_stretch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 16, 16, 2)) * np.array([1.0, 100.0])
    out = PercentileStretch(lower=1, upper=99).fit_transform(X)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    per_band = PercentileStretch(lower=0, upper=100, per_band=True).fit_transform(X)
    np.testing.assert_allclose(per_band.max(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(per_band.min(axis=(1, 2)), 0.0)
    soft = PercentileStretch(Q=10).fit_transform(X)
    assert soft.mean() > PercentileStretch().fit_transform(X).mean()
    with pytest.raises(ValueError, match="percentiles"):
        PercentileStretch(lower=50, upper=10).fit(X)


def test_in_a_pipeline():
    X, y = make_galaxies(n_samples=30, image_size=32, random_state=0)
    pipe = make_pipeline(
        CenterCropResize(crop=24, image_size=12),
        PercentileStretch(),
        _Flatten(),
        LogisticRegression(max_iter=200),
    )
    assert pipe.fit(X, y).predict(X).shape == (30,)


class _Flatten:
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X).reshape(len(X), -1)
