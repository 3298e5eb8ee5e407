import numpy as np
import pytest
import torch

from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.nn import align_major_axis, major_axis_angle
from galaxy_sklearn.preprocessing import AlignMajorAxis


def ellipse(angle_deg, size=48, axis_ratio=0.4, sky=0.0, centre=None):
    """A Gaussian galaxy with its major axis at ``angle_deg`` from x (towards +y)."""
    yy, xx = np.mgrid[:size, :size].astype(float)
    cy, cx = centre if centre is not None else ((size - 1) / 2, (size - 1) / 2)
    t = np.deg2rad(angle_deg)
    u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
    v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
    sigma = size / 10
    return sky + np.exp(-0.5 * ((u / sigma) ** 2 + (v / (axis_ratio * sigma)) ** 2))


def moments(image):
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]].astype(float)
    light = np.clip(image - np.median(image[:2]), 0, None)
    cy, cx = (light * yy).sum() / light.sum(), (light * xx).sum() / light.sum()
    dy, dx = yy - cy, xx - cx
    return [(light * m).sum() / light.sum() for m in (dx * dx, dy * dy, dx * dy)]


@pytest.mark.parametrize("angle", [-80, -45, -10, 0, 30, 60, 89])
def test_angle_of_an_elongated_galaxy(angle):
    x = torch.from_numpy(ellipse(angle)).float()[None, None]
    found = np.rad2deg(float(major_axis_angle(x)))
    difference = (found - angle + 90) % 180 - 90  # an axis: modulo 180 degrees
    assert abs(difference) < 1.0


@pytest.mark.parametrize("angle", [20, 70, 135])
def test_aligned_galaxies_lie_along_x(angle):
    x = torch.from_numpy(ellipse(angle)).float()[None, None]
    mxx, myy, mxy = moments(align_major_axis(x)[0, 0].numpy())
    assert mxx > 4 * myy  # axis ratio 0.4: 1 / 0.16 in variance
    assert abs(mxy) < 0.02 * mxx
    before = moments(x[0, 0].numpy())
    # the rotation keeps the galaxy's size: the trace of the moments
    assert np.isclose(mxx + myy, before[0] + before[1], rtol=0.02)


def test_rotated_copies_align_to_the_same_image():
    base = ellipse(25, sky=0.1)
    copies = np.stack([base, np.rot90(base), np.fliplr(base), np.rot90(base, 2)])
    aligned = align_major_axis(torch.from_numpy(copies.copy()).float()[:, None])
    for image in aligned[1:, 0]:
        # equal up to the axis's sign (a half-turn) and a mirror
        candidates = [image, image.flip(-1), image.flip(-2), image.flip(-1, -2)]
        error = min(float((c - aligned[0, 0]).abs().max()) for c in candidates)
        assert error < 0.02
    # unaligned, the copies differ by the whole galaxy
    assert float((torch.from_numpy(copies[1] - copies[0])).abs().max()) > 0.5


def test_sky_fills_the_corners_and_blank_images_stay():
    x = torch.from_numpy(np.stack([ellipse(45, sky=0.3), np.full((48, 48), 0.3)]))
    aligned = align_major_axis(x.float()[:, None])
    assert torch.allclose(aligned[:, 0, 0, 0], torch.tensor(0.3), atol=1e-3)
    assert torch.allclose(aligned[1], x[1].float(), atol=1e-5)
    assert float(major_axis_angle(torch.zeros(1, 3, 8, 8))) == 0.0


def test_non_square_images_are_rotated_in_pixels():
    image = ellipse(40, size=64)[8:56]  # 48 x 64
    x = torch.from_numpy(image.copy()).float()[None, None]
    mxx, myy, mxy = moments(align_major_axis(x)[0, 0].numpy())
    assert mxx > 4 * myy and abs(mxy) < 0.02 * mxx


def test_transformer_layouts_and_dtypes():
    X, _ = make_galaxies(n_samples=6, image_size=24, random_state=0)
    out = AlignMajorAxis().fit_transform(X)
    assert out.shape == X.shape and out.dtype == np.uint8
    expected = align_major_axis(torch.from_numpy(X).float().permute(0, 3, 1, 2))
    expected = expected.permute(0, 2, 3, 1).round().clamp(0, 255).numpy()
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
    floats = AlignMajorAxis().fit_transform(X[..., 0] / 255.0)
    assert floats.shape == X.shape[:3] and floats.dtype == np.float32
    flat = AlignMajorAxis(image_shape=(24, 24, 3)).fit_transform(X.reshape(6, -1))
    np.testing.assert_array_equal(flat, out.reshape(6, -1))
    assert not np.array_equal(out, X)


def test_transformer_makes_elongation_linear():
    # a galaxy at any angle: after alignment, the x and y extents tell an
    # elongated galaxy from a round one
    rng = np.random.default_rng(0)
    angles, ratios = rng.uniform(0, 180, 20), [0.3, 1.0] * 10
    images = np.stack([ellipse(a, axis_ratio=q) for a, q in zip(angles, ratios)])
    images = images[..., None]
    out = AlignMajorAxis().fit_transform(images.astype(np.float32))[..., 0]
    centre_row, centre_col = out[:, 24, :].sum(1), out[:, :, 24].sum(1)
    ratio = centre_col / centre_row
    assert ratio[::2].max() < 0.5 < 0.9 < ratio[1::2].min()


@pytest.mark.parametrize("window", [0, -0.1, 1.5, "wide", None])
def test_bad_window(window):
    X = np.zeros((2, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="window must be a number in"):
        AlignMajorAxis(window=window).fit(X)
