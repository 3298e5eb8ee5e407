"""Centre crop and resize, the usual preparation of survey cutouts."""

from __future__ import annotations

import numbers

import numpy as np
import torch.nn.functional as F

from ._base import ImageTransformerMixin, map_batches


def _size_pair(value, name, allow_fraction=False):
    if value is None:
        return None
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    ints = all(isinstance(v, numbers.Integral) and v > 0 for v in pair)
    fractions = allow_fraction and all(
        isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral)
        and 0 < v <= 1
        for v in pair
    )  # fmt: skip
    if len(pair) != 2 or not (ints or fractions):
        extra = ", a fraction in (0, 1]" if allow_fraction else ""
        raise ValueError(
            f"{name} must be a positive int{extra}, a pair of them, or None; "
            f"got {value!r}."
        )
    return pair


def center_crop_resize(images: np.ndarray, crop=None, image_size=None) -> np.ndarray:
    """Centre-crop then resize channels-last images (antialiased bilinear).

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
    crop : int, float, pair of them, or None
        Crop size in pixels (int) or as a fraction of the frame (float).
    image_size : int, (int, int) or None
        Output size; None keeps the crop.

    Returns
    -------
    ndarray of shape (n, h, w, C)
        uint8 stays uint8 (rounded); anything else becomes float32.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import center_crop_resize
    >>> center_crop_resize(np.ones((2, 424, 424, 3)), crop=207, image_size=64).shape
    (2, 64, 64, 3)
    """
    crop = _size_pair(crop, "crop", allow_fraction=True)
    size = _size_pair(image_size, "image_size")
    height, width = images.shape[1:3]
    if crop is not None:
        if not isinstance(crop[0], numbers.Integral):
            crop = (max(1, round(crop[0] * height)), max(1, round(crop[1] * width)))
        if crop[0] > height or crop[1] > width:
            raise ValueError(
                f"crop={crop} is larger than the images ({height}, {width})."
            )
        top, left = (height - crop[0]) // 2, (width - crop[1]) // 2
        images = images[:, top : top + crop[0], left : left + crop[1]]
    if size is None or tuple(images.shape[1:3]) == tuple(size):
        # a copy, never a view of the caller's array
        return images.astype(np.uint8 if images.dtype == np.uint8 else np.float32)
    return map_batches(
        images,
        lambda batch: F.interpolate(
            batch, size=size, mode="bilinear", antialias=True, align_corners=False
        ),
        size,
    )


class CenterCropResize(ImageTransformerMixin):
    """Centre-crop and resize images: a stateless Pipeline step.

    Survey cutouts put the galaxy in the middle of a mostly empty frame
    (Galaxy Zoo 2 JPEGs: 424 px, of which the central ~207 px hold the
    galaxy). Cropping first and then downscaling, with antialiasing, keeps
    the galaxy's detail at a size a CNN trains on quickly.

    Parameters
    ----------
    crop : int, float, (h, w) or None, default=None
        Side of the centre crop in pixels (int) or as a fraction of the frame
        (float in (0, 1]); None keeps the whole frame.
    image_size : int, (h, w) or None, default=64
        Side of the output; None keeps the crop's size.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images seen in ``fit``.
    n_features_in_ : int
        Values per input image.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import CenterCropResize
    >>> X = np.zeros((3, 100, 100, 3), dtype=np.uint8)
    >>> CenterCropResize(crop=50, image_size=32).fit_transform(X).shape
    (3, 32, 32, 3)
    """

    def __init__(self, crop=None, image_size=64, *, image_shape=None):
        self.crop = crop
        self.image_size = image_size
        self.image_shape = image_shape

    def _check_params(self):
        _size_pair(self.crop, "crop", allow_fraction=True)
        _size_pair(self.image_size, "image_size")

    def _transform_images(self, images):
        return center_crop_resize(images, self.crop, self.image_size)
