import numpy as np
import pandas as pd
import pytest

from galaxy_sklearn import CAEFeaturizer, CNNGalaxyClassifier, check_images
from galaxy_sklearn._validation import infer_image_shape, to_layout


def _fitted_cae(X, **params):
    params = {"latent_dim": 4, "max_epochs": 1, "random_state": 0, **params}
    return CAEFeaturizer(**params).fit(X)


@pytest.mark.parametrize(
    "shape, expected",
    [((7, 6, 5, 3), (7, 6, 5, 3)), ((7, 6, 5), (7, 6, 5, 1)), ((7, 16), (7, 4, 4, 1))],
)
def test_layouts_become_channels_last(shape, expected):
    assert check_images(np.ones(shape)).shape == expected


def test_uint8_is_kept_and_other_types_become_float32():
    assert check_images(np.ones((2, 4, 4, 3), np.uint8)).dtype == np.uint8
    for dtype in (np.float64, np.int64, np.int32, np.float16, bool):
        assert check_images(np.ones((2, 4, 4, 3), dtype)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["images", "single_band", "flat", "memmap"])
def test_input_that_needs_no_conversion_is_a_view_not_a_copy(tmp_path, dtype, layout):
    X = np.zeros((3, 8, 8, 3), dtype)
    if layout == "single_band":
        X = X[..., 0].copy()
    elif layout == "flat":
        X = X.reshape(3, -1)
    elif layout == "memmap":
        X = np.lib.format.open_memmap(tmp_path / "x.npy", "w+", dtype, X.shape)
    assert np.shares_memory(check_images(X), X)


def test_flat_rows_follow_image_shape_in_channels_last_order():
    images = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    flat = images.reshape(2, -1)
    np.testing.assert_array_equal(check_images(flat, image_shape=(3, 4, 2)), images)
    assert check_images(flat[:, :12], image_shape=(3, 4)).shape == (2, 3, 4, 1)


@pytest.mark.parametrize(
    "n_features, expected",
    [
        (64 * 64, (64, 64, 1)),
        (3 * 69 * 69, (69, 69, 3)),
        (3, (1, 1, 3)),
        (7, (1, 7, 1)),
    ],
)
def test_rule_for_flat_rows_without_image_shape(n_features, expected):
    assert infer_image_shape(n_features) == expected


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((2, 4, 4, 3), np.nan), "NaN"),
        (np.full((2, 4, 4, 3), np.inf), "infinity"),
        (np.zeros((0, 4, 4, 3)), "0 sample"),
        (np.zeros((2, 0, 4, 3)), "empty"),
        (np.zeros(5), "dimension"),
        (np.zeros((2, 2, 2, 2, 2)), "dimension"),
        (np.array([["a", "b"]]), "numeric pixel values"),
    ],
)
def test_bad_input_gets_a_clear_error(X, match):
    with pytest.raises(ValueError, match=match):
        check_images(X)


def test_image_shape_must_match_row_length():
    with pytest.raises(ValueError, match=r"image_shape=\(4, 4\) needs 16"):
        check_images(np.zeros((2, 15)), image_shape=(4, 4))
    with pytest.raises(ValueError, match="image_shape must be"):
        check_images(np.zeros((2, 16)), image_shape=(4, 2, 1, 2))


def test_fitted_shape_is_enforced():
    cae = _fitted_cae(np.random.RandomState(0).rand(4, 8, 8, 3))
    assert cae.image_shape_ == (8, 8, 3) and cae.n_features_in_ == 192
    with pytest.raises(ValueError, match=r"fitted on images of shape \(8, 8, 3\)"):
        cae.transform(np.zeros((2, 8, 8, 1)))
    with pytest.raises(ValueError, match=r"shape \(6, 8, 3\)"):
        cae.transform(np.zeros((2, 6, 8, 3)))
    with pytest.raises(ValueError, match="X has 10 features, but CAEFeaturizer"):
        cae.transform(np.zeros((2, 10)))
    # flat rows of the right length are read with the fitted shape
    assert cae.transform(np.zeros((2, 192))).shape == (2, 4)


def test_failed_fit_leaves_previous_fit_intact():
    X = np.random.RandomState(0).rand(6, 8, 8, 3)
    cae = _fitted_cae(X)
    before = cae.transform(X)
    bad = np.random.RandomState(1).rand(6, 4, 4, 1)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cae.fit(bad)
    assert cae.image_shape_ == (8, 8, 3)
    np.testing.assert_array_equal(cae.transform(X), before)

    clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    clf.fit(X, [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X[:, :4, :4], [0.5, 1.5, 0.1, 0.2, 0.3, 0.4])
    assert clf.image_shape_ == (8, 8, 3)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_dataframe_rows_record_feature_names():
    frame = pd.DataFrame(np.random.RandomState(0).rand(5, 16)).add_prefix("px")
    cae = _fitted_cae(frame)
    assert list(cae.feature_names_in_[:2]) == ["px0", "px1"]
    cae.fit(np.random.RandomState(0).rand(5, 4, 4, 1))
    assert not hasattr(cae, "feature_names_in_")


def test_to_layout_round_trips_each_layout():
    images = np.random.RandomState(0).rand(2, 3, 4, 1).astype(np.float32)
    for X in (images, images[..., 0], images.reshape(2, -1)):
        cae = _fitted_cae(X, image_shape=(3, 4) if X.ndim == 2 else None)
        back = to_layout(check_images(X, estimator=cae, reset=False), cae)
        np.testing.assert_array_equal(back, X)
