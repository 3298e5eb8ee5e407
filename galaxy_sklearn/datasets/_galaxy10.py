"""Galaxy10 SDSS and Galaxy10 DECaLS, the astroNN HDF5 files."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from sklearn.utils import Bunch

from ._checks import check_int
from ._home import get_data_home


@dataclass(frozen=True)
class _Galaxy10File:
    filename: str
    url: str
    sha256: str
    image_size: int
    n_images: int
    class_names: tuple[str, ...]
    survey: str


# Class names as documented by astroNN (https://astronn.readthedocs.io,
# "Galaxy10 DECaLS" and "Galaxy10 SDSS"). astroNN's DECaLS code calls class 3
# "Smooth, Cigar shaped"; its documentation, followed here, says in-between.
GALAXY10_VARIANTS = {
    "decals": _Galaxy10File(
        filename="Galaxy10_DECals.h5",
        url="https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
        sha256="19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571",
        image_size=256,
        n_images=17736,
        class_names=(
            "Disturbed Galaxies",
            "Merging Galaxies",
            "Round Smooth Galaxies",
            "In-between Round Smooth Galaxies",
            "Cigar Shaped Smooth Galaxies",
            "Barred Spiral Galaxies",
            "Unbarred Tight Spiral Galaxies",
            "Unbarred Loose Spiral Galaxies",
            "Edge-on Galaxies without Bulge",
            "Edge-on Galaxies with Bulge",
        ),
        survey="DESI Legacy Imaging Surveys (g, r, z)",
    ),
    "sdss": _Galaxy10File(
        filename="Galaxy10.h5",
        url="https://zenodo.org/records/10844811/files/Galaxy10.h5",
        sha256="969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af",
        image_size=69,
        n_images=21785,
        class_names=(
            "Disk, Face-on, No Spiral",
            "Smooth, Completely round",
            "Smooth, in-between round",
            "Smooth, Cigar shaped",
            "Disk, Edge-on, Rounded Bulge",
            "Disk, Edge-on, Boxy Bulge",
            "Disk, Edge-on, No Bulge",
            "Disk, Face-on, Tight Spiral",
            "Disk, Face-on, Medium Spiral",
            "Disk, Face-on, Loose Spiral",
        ),
        survey="SDSS (g, r, i)",
    ),
}

_METADATA = ("ra", "dec", "redshift", "pxscale")


def _variant(variant) -> _Galaxy10File:
    try:
        return GALAXY10_VARIANTS[variant]
    except (KeyError, TypeError):
        raise ValueError(
            f"variant must be one of {sorted(GALAXY10_VARIANTS)}, got {variant!r}."
        ) from None


def fetch_galaxy10(variant="decals", *, data_home=None, download=True, progress=True):
    """Path of a Galaxy10 HDF5 file in the data home, downloading it if asked.

    A file already in the data home under its official name is used as it is.
    A download comes from Zenodo through pooch and is checked against the
    pinned SHA-256 before it is kept.

    Parameters
    ----------
    variant : {"decals", "sdss"}, default="decals"
        ``Galaxy10_DECals.h5`` (17,736 galaxies, 256x256, 2.7 GB) or
        ``Galaxy10.h5`` (21,785 galaxies, 69x69, 200 MB).
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download : bool, default=True
        Fetch the file when it is missing; with False a missing file raises.
    progress : bool, default=True
        Show a progress bar while downloading.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> from galaxy_sklearn.datasets import fetch_galaxy10
    >>> fetch_galaxy10("sdss")  # doctest: +SKIP
    PosixPath('/home/me/galaxy_sklearn_data/Galaxy10.h5')
    """
    spec = _variant(variant)
    home = get_data_home(data_home)
    path = home / spec.filename
    if path.is_file():
        return path
    if not download:
        raise FileNotFoundError(
            f"{spec.filename} is not in the data home {os.fspath(home)!r}. Pass "
            f"download=True to fetch it from {spec.url}, or put the file there."
        )
    import pooch

    return type(path)(
        pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{spec.sha256}",
            fname=spec.filename,
            path=home,
            progressbar=progress,
        )
    )


def _read_rows(dataset, indices):
    """Rows of an h5py dataset; h5py wants increasing, unique indices."""
    if indices is None:
        return dataset[()]
    if isinstance(indices, slice):
        return dataset[indices]
    order = np.argsort(indices, kind="stable")
    sorted_idx = indices[order]
    unique, inverse = np.unique(sorted_idx, return_inverse=True)
    rows = dataset[unique] if len(unique) else dataset[:0]
    out = np.empty((len(indices), *rows.shape[1:]), dtype=rows.dtype)
    out[order] = rows[inverse]
    return out


def _check_indices(indices, n):
    if indices is None:
        return None
    if isinstance(indices, slice):
        if indices.step is None or indices.step > 0:
            return indices
        return np.arange(n)[indices]  # h5py reads increasing slices only
    indices = np.asarray(indices)
    if indices.size == 0:
        return indices.astype(np.int64)
    if indices.dtype == bool:
        if indices.shape != (n,):
            raise ValueError(f"A boolean mask must have shape ({n},).")
        return np.flatnonzero(indices)
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError("indices must be a slice, a boolean mask or 1-D integers.")
    if len(indices) and (indices.min() < -n or indices.max() >= n):
        raise IndexError(f"indices out of range for {n} galaxies.")
    return np.where(indices < 0, indices + n, indices)


def _read_images(dataset, indices, crop, image_size, chunk=512):
    """Rows of ``images``, cropped and resized a chunk at a time when asked."""
    if crop is None and image_size is None:
        return _read_rows(dataset, indices)
    from ..preprocessing import center_crop_resize

    n = dataset.shape[0]
    rows = np.arange(n)[indices] if indices is not None else np.arange(n)
    parts = [
        center_crop_resize(
            _read_rows(dataset, rows[start : start + chunk]), crop, image_size
        )
        for start in range(0, len(rows), chunk)
    ]
    if not parts:
        return center_crop_resize(dataset[:0], crop, image_size)
    return np.concatenate(parts)


def _read_file_rows(path, rows, crop, image_size, file_version):
    """``file_version`` (size and modification time) only makes the task's
    key change when the file does, so a cluster never serves stale chunks."""
    import h5py

    with h5py.File(path, "r") as h5:
        return _read_images(h5["images"], rows, crop, image_size)


def _lazy_images(path, rows, crop, image_size, chunks, frame):
    """A dask array whose every chunk opens the file and reads its own rows."""
    import dask
    import dask.array as da

    path = os.fspath(path)
    stat = os.stat(path)
    version = (stat.st_size, stat.st_mtime_ns)
    blocks = []
    for start in range(0, len(rows), chunks):
        part = rows[start : start + chunks]
        if np.all(np.diff(part) == 1):  # a slice reads far faster in h5py
            part = slice(int(part[0]), int(part[-1]) + 1)
        block = dask.delayed(_read_file_rows, pure=True)(
            path, part, crop, image_size, version
        )
        n = len(rows[start : start + chunks])
        blocks.append(da.from_delayed(block, shape=(n, *frame), dtype=np.uint8))
    if not blocks:
        return da.zeros((0, *frame), dtype=np.uint8)
    return da.concatenate(blocks)


def load_galaxy10(
    variant="decals",
    *,
    data_home=None,
    download=False,
    indices=None,
    crop=None,
    image_size=None,
    return_X_y=False,
    progress=True,
    chunks=None,
):
    """Load Galaxy10 DECaLS or Galaxy10 SDSS (astroNN's HDF5 files).

    The files hold ``images`` (n, H, W, 3) uint8 and ``ans`` (class labels);
    DECaLS also ``ra``, ``dec``, ``redshift`` and ``pxscale``. Reading a subset
    with ``indices`` touches only those rows, so the 2.7 GB DECaLS file need
    not fit in memory.

    Parameters
    ----------
    variant : {"decals", "sdss"}, default="decals"
        Galaxy10 DECaLS (Walmsley et al. 2022 labels; 256x256, g r z) or
        Galaxy10 SDSS (Galaxy Zoo 2 labels; 69x69, g r i).
    data_home : str or path-like, default=None
        Folder holding the file under its official name (see
        :func:`get_data_home`).
    download : bool, default=False
        Fetch the file from Zenodo (pinned SHA-256) when it is missing.
    indices : slice, boolean mask or array of int, default=None
        Galaxies to read, in this order; None reads all.
    crop : int, float or None, default=None
        Centre crop (pixels, or a fraction of the frame) applied while
        reading, a chunk of 512 galaxies at a time; see
        :func:`galaxy_sklearn.preprocessing.center_crop_resize`.
    image_size : int or None, default=None
        Resize to this side while reading, so that the whole DECaLS set at
        64 px takes 220 MB of memory instead of 3.5 GB.
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.
    progress : bool, default=True
        Show a progress bar while downloading.
    chunks : int or None, default=None
        Return ``images`` as a lazy :class:`dask.array.Array` with this many
        galaxies per chunk, nothing read yet: each chunk reads its rows from
        the file (cropped and resized as asked) when computed, on whichever
        Dask worker computes it, so the file never has to fit in memory.
        Feed it to :func:`galaxy_sklearn.parallel.map_blocks`. Needs ``dask``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``images`` (n, H, W, 3) uint8 (a dask array with ``chunks``),
        ``target`` (n,) int64, ``target_names``
        (the ten astroNN class names), ``ra``, ``dec``, ``redshift`` and
        ``pxscale`` for DECaLS, ``filename`` and ``DESCR``.
    (images, target) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        The file is missing and ``download`` is False.
    ValueError
        The file is not HDF5 or lacks ``images``/``ans``, or they disagree.

    Examples
    --------
    >>> from galaxy_sklearn.datasets import load_galaxy10
    >>> X, y = load_galaxy10("sdss", download=True, indices=slice(0, 500),
    ...                      return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (500, 69, 69, 3)
    """
    import h5py

    from ..preprocessing._crop import _size_pair

    spec = _variant(variant)
    _size_pair(crop, "crop", allow_fraction=True)
    _size_pair(image_size, "image_size")
    if chunks is not None:
        chunks = check_int(chunks, "chunks", minimum=1)
    path = fetch_galaxy10(
        variant, data_home=data_home, download=download, progress=progress
    )
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(
            f"{os.fspath(path)!r} is not a readable HDF5 file ({exc}); delete it "
            "and load again with download=True."
        ) from exc
    with h5:
        missing = [key for key in ("images", "ans") if key not in h5]
        if missing:
            raise ValueError(
                f"{os.fspath(path)!r} lacks the datasets {missing}; it has "
                f"{sorted(h5)}. Is it an astroNN Galaxy10 file?"
            )
        images_ds, ans = h5["images"], h5["ans"]
        n = images_ds.shape[0]
        if (
            images_ds.ndim != 4
            or images_ds.shape[-1] != 3
            or images_ds.dtype != np.uint8
        ):
            raise ValueError(
                f"{os.fspath(path)!r}: 'images' should be (n, H, W, 3) uint8, got "
                f"{images_ds.shape} {images_ds.dtype}."
            )
        if ans.shape != (n,):
            raise ValueError(
                f"{os.fspath(path)!r}: 'ans' has shape {ans.shape}, expected ({n},)."
            )
        indices = _check_indices(indices, n)
        target = _read_rows(ans, indices).astype(np.int64)
        if len(target) and (target.min() < 0 or target.max() >= 10):
            raise ValueError(f"{os.fspath(path)!r}: labels outside 0..9 in 'ans'.")
        if chunks is None:
            images = _read_images(images_ds, indices, crop, image_size)
        else:
            from ..preprocessing import center_crop_resize

            frame = center_crop_resize(images_ds[:0], crop, image_size).shape[1:]
            rows = np.arange(images_ds.shape[0])
            rows = rows if indices is None else rows[indices]
            images = _lazy_images(path, rows, crop, image_size, chunks, frame)
        data = Bunch(
            images=images,
            target=target,
            target_names=list(spec.class_names),
            filename=os.fspath(path),
            DESCR=(
                f"Galaxy10 {variant.upper()}: {spec.survey} images with Galaxy Zoo "
                f"labels, {n} galaxies in the file."
            ),
        )
        for key in _METADATA:
            if key in h5 and h5[key].shape == (n,):
                data[key] = _read_rows(h5[key], indices)
    if return_X_y:
        return data.images, data.target
    return data
