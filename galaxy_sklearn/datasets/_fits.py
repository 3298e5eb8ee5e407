"""Cutouts from FITS images, by pixel or sky position, bands stacked."""

from __future__ import annotations

import os

import numpy as np


def _image_hdu(hdul, hdu, path):
    if hdu is not None:
        try:
            found = hdul[hdu]
        except (KeyError, IndexError):
            raise ValueError(f"{path!r} has no HDU {hdu!r}.") from None
        if found.data is None or found.data.ndim != 2:
            raise ValueError(f"HDU {hdu!r} of {path!r} does not hold a 2-D image.")
        return found
    for found in hdul:
        if found.data is not None and found.data.ndim == 2:
            return found
    raise ValueError(f"{path!r} has no HDU with a 2-D image.")


def _open_band(path, hdu):
    from astropy.io import fits

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"The FITS file {path!r} does not exist.")
    try:
        with fits.open(path, memmap=False) as hdul:
            found = _image_hdu(hdul, hdu, path)
            return np.asarray(found.data, dtype=np.float32), found.header.copy()
    except (OSError, TypeError) as exc:
        raise ValueError(f"Could not read the FITS file {path!r}: {exc}") from exc


def load_fits_cutouts(
    bands,
    positions,
    size,
    *,
    hdu=None,
    mode="partial",
    fill_value=0.0,
    stretch=None,
):
    """Cut galaxies out of FITS images, one band per channel.

    Each band is a FITS file; a cutout is taken around every position with
    :class:`astropy.nddata.Cutout2D` and the bands are stacked into the last
    axis, ready for the estimators (``(n, size, size, n_bands)``). Positions
    are pixels or sky coordinates, which need a WCS in every band's header;
    the bands need not share a pixel grid then, only the cutout size.

    Parameters
    ----------
    bands : str, path-like or list of them
        FITS files, one per band, in channel order.
    positions : array-like of shape (n, 2) or SkyCoord
        Centres as 0-based pixel ``(x, y)``, or sky coordinates.
    size : int, (ny, nx) or astropy Quantity
        Cutout size in pixels, or an angle (with a WCS).
    hdu : int or str, default=None
        The HDU holding the image; None takes the first 2-D image HDU.
    mode : {"partial", "strict"}, default="partial"
        ``"partial"`` fills the part of a cutout beyond the image edge with
        ``fill_value``; ``"strict"`` raises for such a cutout.
    fill_value : float, default=0.0
        Value of pixels beyond the edge and of non-finite pixels (masked or
        NaN in the file), so nothing non-finite reaches a network.
    stretch : None, "asinh" or transformer, default=None
        None returns fluxes; ``"asinh"`` applies
        :class:`~galaxy_sklearn.preprocessing.AsinhStretch` with its defaults;
        any object with ``fit_transform`` (e.g. ``AsinhStretch(stretch=0.5)``)
        is applied to the stacked cutouts.

    Returns
    -------
    cutouts : ndarray of shape (n, ny, nx, n_bands), float32

    Raises
    ------
    FileNotFoundError
        A band file is missing.
    ValueError
        An unreadable file, no image HDU, no WCS for sky positions, or a
        cutout that misses the image (or crosses its edge with
        ``mode="strict"``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from astropy.io import fits
    >>> from galaxy_sklearn.datasets import load_fits_cutouts
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = []
    ...     for band in "gri":
    ...         path = os.path.join(tmp, f"{band}.fits")
    ...         fits.PrimaryHDU(np.ones((100, 100), np.float32)).writeto(path)
    ...         paths.append(path)
    ...     cutouts = load_fits_cutouts(paths, [[50, 50], [20, 30]], 32,
    ...                                 stretch="asinh")
    >>> cutouts.shape, cutouts.dtype
    ((2, 32, 32, 3), dtype('float32'))
    """
    from astropy.coordinates import SkyCoord
    from astropy.nddata import Cutout2D, NoOverlapError, PartialOverlapError
    from astropy.wcs import WCS

    if mode not in ("partial", "strict"):
        raise ValueError(f"mode must be 'partial' or 'strict', got {mode!r}.")
    if isinstance(bands, (str, os.PathLike)):
        bands = [bands]
    bands = list(bands)
    if not bands:
        raise ValueError("bands must name at least one FITS file.")
    sky = isinstance(positions, SkyCoord)
    if sky:
        positions = positions.reshape(-1) if positions.ndim else positions.reshape(1)
    else:
        positions = np.asarray(positions, dtype=np.float64)
        if positions.ndim == 1 and positions.shape == (2,):
            positions = positions[None]
        if positions.ndim != 2 or positions.shape[1] != 2:
            raise ValueError(
                "positions must be pixel (x, y) pairs of shape (n, 2) or a "
                f"SkyCoord; got shape {positions.shape}."
            )
        if not np.isfinite(positions).all():
            raise ValueError("positions contain NaN or infinity.")
    if len(positions) == 0:
        raise ValueError("positions is empty.")

    out = None
    for channel, path in enumerate(bands):
        data, header = _open_band(path, hdu)
        wcs = None
        if sky:
            wcs = WCS(header)
            if not wcs.has_celestial:
                raise ValueError(
                    f"{os.fspath(path)!r} has no celestial WCS, so sky positions "
                    "cannot be placed on it; give pixel positions."
                )
        for i in range(len(positions)):
            position = positions[i] if sky else tuple(positions[i])
            try:
                cutout = Cutout2D(
                    data,
                    position,
                    size,
                    wcs=wcs,
                    mode="strict" if mode == "strict" else "partial",
                    fill_value=np.nan,
                    copy=True,
                ).data
            except (NoOverlapError, PartialOverlapError) as exc:
                raise ValueError(
                    f"The cutout at position {i} ({positions[i]}) does not fit in "
                    f"{os.fspath(path)!r}: {exc}"
                ) from None
            if out is None:
                out = np.empty(
                    (len(positions), *cutout.shape, len(bands)), dtype=np.float32
                )
            elif cutout.shape != out.shape[1:3]:
                raise ValueError(
                    f"{os.fspath(path)!r} gives cutouts of shape {cutout.shape}, "
                    f"the first band {out.shape[1:3]}; with sky positions and an "
                    "angular size the bands need the same pixel scale."
                )
            out[i, ..., channel] = np.where(np.isfinite(cutout), cutout, fill_value)
    if stretch is None:
        return out
    if isinstance(stretch, str):
        if stretch != "asinh":
            raise ValueError(
                f"stretch must be None, 'asinh' or a transformer, got {stretch!r}."
            )
        from ..preprocessing import AsinhStretch

        stretch = AsinhStretch()
    from sklearn.base import clone

    return np.asarray(clone(stretch).fit_transform(out), dtype=np.float32)
