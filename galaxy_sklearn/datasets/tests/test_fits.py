import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from galaxy_sklearn.datasets import load_fits_cutouts
from galaxy_sklearn.preprocessing import AsinhStretch


def _wcs(shape, scale_deg=1 / 3600):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    wcs.wcs.cdelt = [-scale_deg, scale_deg]
    return wcs


@pytest.fixture
def bands(tmp_path):
    """Three bands whose pixel (x, y) holds 1000 * band + 10 * y + x / 10."""
    shape = (60, 80)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    paths = []
    for band in range(3):
        data = (1000 * band + 10 * yy + xx / 10).astype(np.float32)
        hdu = fits.PrimaryHDU(data, header=_wcs(shape).to_header())
        path = tmp_path / f"band{band}.fits"
        hdu.writeto(path)
        paths.append(path)
    return paths, shape


def test_pixel_positions_stack_bands(bands):
    paths, _ = bands
    cutouts = load_fits_cutouts(paths, [[40, 30], [20, 25]], 8)
    assert cutouts.shape == (2, 8, 8, 3) and cutouts.dtype == np.float32
    # Cutout2D centres an even size on the pixel: rows 26..33, columns 36..43
    np.testing.assert_allclose(
        cutouts[0, 0, 0], [260 + 3.6, 1260 + 3.6, 2260 + 3.6], rtol=1e-6
    )
    np.testing.assert_allclose(
        cutouts[1, :, 0, 1] - 1000, 10 * np.arange(21, 29) + 1.6, rtol=1e-5
    )


def test_sky_positions_use_the_wcs(bands):
    paths, shape = bands
    wcs = _wcs(shape)
    sky = wcs.pixel_to_world([40, 20], [30, 25])
    # odd sizes: an even one centred on a whole pixel is a rounding tie
    by_sky = load_fits_cutouts(paths, sky, 9)
    by_pixel = load_fits_cutouts(paths, [[40, 30], [20, 25]], 9)
    np.testing.assert_allclose(by_sky, by_pixel, rtol=1e-6)
    angular = load_fits_cutouts(paths, sky[0], 9 * u.arcsec)
    np.testing.assert_allclose(angular[0], by_pixel[0], rtol=1e-6)


def test_partial_cutouts_are_filled_and_strict_raises(bands):
    paths, _ = bands
    cutouts = load_fits_cutouts(paths, [[1, 1]], 8, fill_value=-1.0)
    assert (cutouts[0, :3, :3] == -1).all() and (cutouts[0, 4:, 4:] > 0).all()
    with pytest.raises(ValueError, match="does not fit"):
        load_fits_cutouts(paths, [[1, 1]], 8, mode="strict")
    with pytest.raises(ValueError, match="does not fit"):
        load_fits_cutouts(paths, [[500, 500]], 8)


def test_non_finite_pixels_are_filled(tmp_path):
    data = np.ones((20, 20), np.float32)
    data[10, 10] = np.nan
    fits.PrimaryHDU(data).writeto(tmp_path / "nan.fits")
    cutout = load_fits_cutouts(tmp_path / "nan.fits", [10, 10], 4)
    assert np.isfinite(cutout).all() and cutout.shape == (1, 4, 4, 1)
    assert (cutout == 0).sum() == 1


def test_asinh_stretch_brings_fluxes_to_unit_range(bands):
    paths, _ = bands
    raw = load_fits_cutouts(paths, [[40, 30]], 16)
    stretched = load_fits_cutouts(paths, [[40, 30]], 16, stretch="asinh")
    assert 0 <= stretched.min() and stretched.max() <= 1
    custom = load_fits_cutouts(
        paths, [[40, 30]], 16, stretch=AsinhStretch(stretch=5000)
    )
    np.testing.assert_allclose(custom, AsinhStretch(stretch=5000).fit_transform(raw))
    assert not np.allclose(custom, stretched)


def test_errors_name_the_problem(tmp_path, bands):
    paths, _ = bands
    with pytest.raises(FileNotFoundError, match="missing.fits"):
        load_fits_cutouts([paths[0], tmp_path / "missing.fits"], [[10, 10]], 4)
    (tmp_path / "corrupt.fits").write_bytes(b"SIMPLE  = T" + b"\x00" * 100)
    with pytest.raises(ValueError, match="corrupt.fits"):
        load_fits_cutouts(tmp_path / "corrupt.fits", [[10, 10]], 4)
    fits.PrimaryHDU(np.ones((5, 5))).writeto(tmp_path / "nowcs.fits")
    with pytest.raises(ValueError, match="no celestial WCS"):
        load_fits_cutouts(tmp_path / "nowcs.fits", SkyCoord(1, 2, unit="deg"), 2)
    with pytest.raises(ValueError, match="has no HDU 'SCI'"):
        load_fits_cutouts(paths[0], [[10, 10]], 4, hdu="SCI")
    with pytest.raises(ValueError, match="has no HDU 5"):
        load_fits_cutouts(paths[0], [[10, 10]], 4, hdu=5)
    with pytest.raises(ValueError, match="shape"):
        load_fits_cutouts(paths, [1, 2, 3], 4)
    with pytest.raises(ValueError, match="NaN"):
        load_fits_cutouts(paths, [[np.nan, 2]], 4)
