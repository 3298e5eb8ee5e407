"""Sky estimation and segmentation of the central source, for a whole batch."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# 8-connected within an image, never across images of the batch.
_EIGHT_CONNECTED = np.zeros((3, 3, 3), dtype=bool)
_EIGHT_CONNECTED[1] = True
_MAD_TO_SIGMA = 1.4826


def border_mask(shape: tuple[int, int], width: int) -> np.ndarray:
    """Pixels within ``width`` of the frame; every pixel on tiny images."""
    height, wide = shape
    mask = np.ones(shape, dtype=bool)
    if height > 2 * width and wide > 2 * width:
        mask[width:-width, width:-width] = False
    return mask


def frame_pixels(images: np.ndarray, border: np.ndarray) -> np.ndarray:
    """The ``border`` pixels of each image (and band), on the last axis:
    shape (n, k) or (n, C, k), contiguous."""
    n = len(images)
    index = np.flatnonzero(border)
    if images.ndim == 3:
        return images.reshape(n, -1).take(index, axis=1)
    # bands first, so a reduction runs along contiguous memory
    pixels = images.reshape(n, border.size, -1).take(index, axis=1)
    return np.ascontiguousarray(pixels.transpose(0, 2, 1))


def estimate_sky(images: np.ndarray, border: np.ndarray):
    """Median and robust spread (MAD) of the border pixels, per image/band.

    Parameters
    ----------
    images : ndarray of shape (n, H, W) or (n, H, W, C)
    border : ndarray of bool, shape (H, W)

    Returns
    -------
    level, sigma : ndarrays of shape (n,) or (n, C)
    """
    pixels = frame_pixels(images, border)
    level = np.median(pixels, axis=-1)
    sigma = _MAD_TO_SIGMA * np.median(np.abs(pixels - level[..., None]), axis=-1)
    return level, sigma


def label_sources(detected: np.ndarray):
    """Connected regions of each image's ``detected`` map, numbered batch-wide.

    Returns ``(labels, n_labels)``; the labels of different images differ.
    """
    return ndimage.label(detected, structure=_EIGHT_CONNECTED)


def central_source(labels: np.ndarray, n_labels: int, min_area: int):
    """The label of the source nearest each image's centre, and which labels
    are sources at all.

    A region smaller than ``min_area`` pixels is noise, not a source.
    Nearest means holding the pixel closest to the centre.

    Returns ``(central, is_source)``: the central label per image (0 for
    none) and a boolean per label, ``is_source[0]`` (the background) False.
    """
    n, height, width = labels.shape
    area = np.bincount(labels.ravel(), minlength=n_labels + 1)
    is_source = area >= min_area
    is_source[0] = False
    if n_labels == 0:
        return np.zeros(n, dtype=np.int64), is_source
    yy, xx = np.ogrid[:height, :width]
    dist = np.hypot(yy - (height - 1) / 2, xx - (width - 1) / 2).astype(np.float32)
    dist = np.where(is_source[labels], dist, np.inf).reshape(n, -1)
    nearest = dist.argmin(axis=1)
    found = np.isfinite(dist[np.arange(n), nearest])
    central = np.where(found, labels.reshape(n, -1)[np.arange(n), nearest], 0)
    return central, is_source


def touches_edge(mask: np.ndarray) -> np.ndarray:
    """Whether each image's mask reaches its outermost rows or columns."""
    return (
        mask[:, 0, :].any(axis=1)
        | mask[:, -1, :].any(axis=1)
        | mask[:, :, 0].any(axis=1)
        | mask[:, :, -1].any(axis=1)
    )


def find_sky_boxes(sources: np.ndarray, size: int = 32):
    """statmorph's sky box: per image, the first square (in raster order) with
    no source pixel, of side ``size`` or, failing that, half of it, down to 2.

    Returns ``(top, left, side)`` arrays; ``side`` is 0 where none is free.
    """
    n, height, width = sources.shape
    # source pixels above and left of each corner: a box's count is 4 reads
    count = np.zeros((n, height + 1, width + 1), dtype=np.int32)
    np.cumsum(sources, axis=1, dtype=np.int32, out=count[:, 1:, 1:])
    np.cumsum(count[:, 1:, 1:], axis=2, out=count[:, 1:, 1:])
    top, left, side = (np.zeros(n, dtype=np.int64) for _ in range(3))
    todo = np.arange(n)
    while size >= 2 and todo.size:
        # as statmorph: corners up to, not including, the last position
        rows, cols = height - size, width - size
        if rows > 0 and cols > 0:
            c = count[todo]
            inside = (
                c[:, size : size + rows, size : size + cols]
                - c[:, :rows, size : size + cols]
                - c[:, size : size + rows, :cols]
                + c[:, :rows, :cols]
            )
            free = (inside == 0).reshape(len(todo), -1)
            found = free.any(axis=1)
            first = free.argmax(axis=1)
            hit = todo[found]
            top[hit], left[hit] = np.divmod(first[found], cols)
            side[hit] = size
            todo = todo[~found]
        size //= 2
    return top, left, side
