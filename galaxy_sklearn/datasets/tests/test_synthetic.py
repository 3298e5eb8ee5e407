import numpy as np
import pandas as pd
import pytest

from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies

SMOOTH_ROUND, SMOOTH_INBETWEEN, SMOOTH_CIGAR, EDGE_ON, SPIRAL = range(5)


def _luminance(X):
    return X.astype(np.float64).mean(axis=-1)


def _central_moments(X, radius_fraction=0.3):
    """Centroid and second moments of the background-subtracted central light."""
    n, size = X.shape[:2]
    image = _luminance(X)
    border = image[:, :3, :].reshape(n, -1)
    background = np.median(border, axis=1)
    spread = 1.4826 * np.median(np.abs(border - background[:, None]), axis=1)
    light = image - background[:, None, None]
    # Only pixels well above the sky, so that noise does not round the shapes.
    light *= light > 2 * spread[:, None, None] + 1
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    centre = (size - 1) / 2
    light *= np.hypot(xx - centre, yy - centre) < radius_fraction * size
    total = light.sum(axis=(1, 2))
    cx = (light * xx).sum(axis=(1, 2)) / total
    cy = (light * yy).sum(axis=(1, 2)) / total
    dx, dy = xx - cx[:, None, None], yy - cy[:, None, None]
    sxx = (light * dx**2).sum(axis=(1, 2)) / total
    syy = (light * dy**2).sum(axis=(1, 2)) / total
    sxy = (light * dx * dy).sum(axis=(1, 2)) / total
    return cx, cy, sxx, syy, sxy


def _measured_axis_ratio(X):
    _, _, sxx, syy, sxy = _central_moments(X)
    half_trace = (sxx + syy) / 2
    root = np.sqrt(((sxx - syy) / 2) ** 2 + sxy**2)
    return np.sqrt((half_trace - root) / (half_trace + root))


def _radial_mask(size, low, high):
    yy, xx = np.mgrid[:size, :size]
    radius = np.hypot(xx - (size - 1) / 2, yy - (size - 1) / 2) / size
    return (radius >= low) & (radius < high)


def _red_to_blue(X, mask):
    red = X[..., 0].astype(np.float64)[:, mask].sum(axis=1)
    blue = X[..., 2].astype(np.float64)[:, mask].sum(axis=1)
    return red / np.maximum(blue, 1.0)


def test_shape_dtype_and_labels():
    X, y = make_galaxies(n_samples=30, image_size=32, random_state=0)
    assert X.shape == (30, 32, 32, 3)
    assert X.dtype == np.uint8
    assert y.shape == (30,)
    assert y.dtype == np.int64
    assert y.min() >= 0 and y.max() < len(GALAXY_CLASSES)
    # A dark sky around a brighter galaxy, not an empty or saturated image.
    assert 2 < X.mean() < 80
    assert X.max() > 100


def test_galaxy_classes_names():
    assert GALAXY_CLASSES == (
        "smooth_round",
        "smooth_inbetween",
        "smooth_cigar",
        "edge_on",
        "spiral",
    )


def test_balanced_shuffled_labels_with_all_classes():
    _, y = make_galaxies(n_samples=52, image_size=8, random_state=1)
    counts = np.bincount(y, minlength=5)
    assert counts.min() >= 10 and counts.max() - counts.min() <= 1
    assert counts.sum() == 52
    assert np.any(np.diff(y) < 0), "labels must not be sorted by class"


def test_more_samples_than_a_chunk():
    X, y = make_galaxies(n_samples=1100, image_size=8, random_state=2)
    assert X.shape == (1100, 8, 8, 3)
    assert set(np.unique(y)) == set(range(5))
    # Every chunk is rendered: no image is left blank.
    assert X.reshape(1100, -1).max(axis=1).min() > 0


def test_weights_are_respected():
    _, y = make_galaxies(40, 8, weights=[1, 1, 0, 0, 0], random_state=0)
    np.testing.assert_array_equal(np.bincount(y, minlength=5), [20, 20, 0, 0, 0])
    _, y = make_galaxies(100, 8, weights=[0.1, 0.1, 0.1, 0.1, 0.6], random_state=0)
    np.testing.assert_array_equal(np.bincount(y, minlength=5), [10, 10, 10, 10, 60])
    _, y = make_galaxies(7, 8, weights=[0, 0, 0, 1, 0], random_state=0)
    assert np.all(y == EDGE_ON)


def test_same_random_state_is_bit_identical():
    X1, y1, p1 = make_galaxies(20, 32, random_state=42, return_params=True)
    X2, y2, p2 = make_galaxies(20, 32, random_state=42, return_params=True)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    pd.testing.assert_frame_equal(p1, p2)
    X3, _ = make_galaxies(20, 32, random_state=43)
    assert not np.array_equal(X1, X3)


def test_random_state_instances():
    X1, _ = make_galaxies(5, 16, random_state=np.random.RandomState(3))
    X2, _ = make_galaxies(5, 16, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X1, X2)
    X3, _ = make_galaxies(5, 16, random_state=np.random.default_rng(3))
    X4, _ = make_galaxies(5, 16, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(X3, X4)
    # A shared RandomState advances, so consecutive calls differ.
    rs = np.random.RandomState(0)
    assert not np.array_equal(
        make_galaxies(5, 16, random_state=rs)[0],
        make_galaxies(5, 16, random_state=rs)[0],
    )


def test_params_frame_matches_the_class_definitions():
    _, y, params = make_galaxies(400, 8, random_state=0, return_params=True)
    assert isinstance(params, pd.DataFrame)
    assert len(params) == 400
    for column in (
        "axis_ratio",
        "position_angle",
        "bulge_fraction",
        "sersic_n",
        "effective_radius",
        "disc_scale_length",
        "inclination",
        "arm_amplitude",
        "n_arms",
        "pitch_angle",
        "has_bar",
        "has_dust_lane",
        "psf_sigma",
        "sky",
        "total_flux",
        "n_stars",
        "centre_x",
        "centre_y",
    ):
        assert column in params.columns
    np.testing.assert_array_equal(params["label"], y)
    assert list(params["class_name"]) == [GALAXY_CLASSES[k] for k in y]

    smooth = params[y <= SMOOTH_CIGAR]
    assert smooth["sersic_n"].between(2, 5).all()
    assert smooth["n_arms"].eq(0).all() and smooth["inclination"].isna().all()
    for label, (low, high) in {
        SMOOTH_ROUND: (0.72, 1.0),
        SMOOTH_INBETWEEN: (0.42, 0.80),
        SMOOTH_CIGAR: (0.18, 0.50),
    }.items():
        assert params.loc[y == label, "axis_ratio"].between(low, high).all()

    edge_on = params[y == EDGE_ON]
    assert edge_on["inclination"].between(78, 90).all()
    assert edge_on["axis_ratio"].lt(0.35).all()
    assert edge_on["has_dust_lane"].any() and not edge_on["has_dust_lane"].all()

    spiral = params[y == SPIRAL]
    assert spiral["inclination"].between(0, 65).all()
    assert spiral["n_arms"].isin([2, 3]).all()
    assert spiral["pitch_angle"].between(10, 35).all()
    assert spiral["bulge_fraction"].between(0.05, 0.5).all()
    assert spiral["has_bar"].any() and not spiral["has_bar"].all()
    assert not params.loc[y != SPIRAL, "has_bar"].any()

    # Thick-disc projection: q^2 = cos^2 i + q0^2 sin^2 i.
    discs = params[y >= EDGE_ON]
    cos2 = np.cos(np.radians(discs["inclination"])) ** 2
    expected = np.sqrt(cos2 + discs["disc_thickness"] ** 2 * (1 - cos2))
    np.testing.assert_allclose(discs["axis_ratio"], expected)

    assert 0.15 < (params["n_stars"] > 0).mean() < 0.45


def test_measured_axis_ratio_orders_the_smooth_classes():
    X, y = make_galaxies(
        300, 32, weights=[1, 1, 1, 1, 0], noise_level=0.5, random_state=0
    )
    q = _measured_axis_ratio(X)
    mean_q = [q[y == label].mean() for label in range(4)]
    assert mean_q[SMOOTH_ROUND] > mean_q[SMOOTH_INBETWEEN] + 0.08
    assert mean_q[SMOOTH_INBETWEEN] > mean_q[SMOOTH_CIGAR] + 0.08
    assert mean_q[EDGE_ON] < mean_q[SMOOTH_INBETWEEN]


def test_bulges_are_redder_than_discs():
    X, y = make_galaxies(
        100, 32, weights=[1, 0, 0, 0, 1], noise_level=0, random_state=0
    )
    centre = _radial_mask(32, 0, 0.05)
    outskirts = _radial_mask(32, 0.12, 0.3)
    spiral = y == SPIRAL
    red_centre = _red_to_blue(X[spiral], centre)
    red_outskirts = _red_to_blue(X[spiral], outskirts)
    assert np.mean(red_centre > red_outskirts) > 0.8
    # Spiral discs are bluer than the outskirts of smooth (elliptical) galaxies.
    assert red_outskirts.mean() < _red_to_blue(X[~spiral], outskirts).mean()


def test_galaxies_are_centred():
    X, _ = make_galaxies(60, 32, noise_level=0, random_state=0)
    cx, cy, _, _, _ = _central_moments(X, radius_fraction=0.2)
    offset = np.hypot(cx - 15.5, cy - 15.5)
    assert np.median(offset) < 1.0
    assert offset.max() < 3.0


def test_image_size_scaling_preserves_appearance():
    # The parameters do not depend on image_size, so the same seed draws the
    # same galaxies; a 64 px image binned 2x2 must resemble the 32 px one.
    X32, _, p32 = make_galaxies(
        20, 32, noise_level=0, random_state=5, return_params=True
    )
    X64, _, p64 = make_galaxies(
        20, 64, noise_level=0, random_state=5, return_params=True
    )
    np.testing.assert_allclose(p64["effective_radius"], 2 * p32["effective_radius"])
    binned = _luminance(X64).reshape(20, 32, 2, 32, 2).mean(axis=(2, 4))
    small = _luminance(X32)
    correlation = [
        np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(binned, small)
    ]
    # Arms finer than a pixel are resolved only at 64 px, hence the looser minimum.
    assert np.median(correlation) > 0.97
    assert np.min(correlation) > 0.8
    np.testing.assert_allclose(binned.mean(), small.mean(), rtol=0.15)


def test_noise_level_controls_background_noise():
    corner = (slice(None), slice(0, 4), slice(0, 4))

    def background_std(noise_level):
        X, _ = make_galaxies(
            40, 32, weights=[1, 0, 0, 0, 0], noise_level=noise_level, random_state=0
        )
        # The median ignores the few corners that hold a field star.
        return np.median(_luminance(X)[corner].std(axis=(1, 2)))

    quiet, normal, loud = background_std(0.0), background_std(1.0), background_std(3.0)
    assert quiet < 0.5
    assert quiet < normal < loud


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"n_samples": "10"}, "n_samples"),
        ({"n_samples": True}, "n_samples"),
        ({"image_size": 7}, "image_size"),
        ({"image_size": 32.0}, "image_size"),
        ({"weights": [1, 1, 1, 1]}, "weights"),
        ({"weights": [1, 1, -1, 1, 1]}, "weights"),
        ({"weights": [0, 0, 0, 0, 0]}, "weights"),
        ({"weights": [1, 1, np.nan, 1, 1]}, "weights"),
        ({"noise_level": -0.1}, "noise_level"),
        ({"noise_level": np.inf}, "noise_level"),
        ({"noise_level": "high"}, "noise_level"),
    ],
)
def test_invalid_arguments_raise(kwargs, name):
    arguments = {"n_samples": 5, "image_size": 16, **kwargs}
    with pytest.raises(ValueError, match=name):
        make_galaxies(**arguments)
