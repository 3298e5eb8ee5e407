"""What the stateless image transformers share."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_images, record_images, to_layout

# Images processed per chunk, so float copies stay small.
_CHUNK = 256


def map_batches(images: np.ndarray, fn, out_size: tuple[int, int]) -> np.ndarray:
    """Apply ``fn`` (channels-first float tensors in and out) to channels-last
    images, a chunk at a time, into an ``(n, *out_size, C)`` array: uint8
    stays uint8 (rounded), anything else becomes float32."""
    uint8 = images.dtype == np.uint8
    out = np.empty(
        (len(images), *out_size, images.shape[-1]),
        dtype=np.uint8 if uint8 else np.float32,
    )
    for start in range(0, len(images), _CHUNK):
        chunk = torch.from_numpy(
            np.ascontiguousarray(images[start : start + _CHUNK], dtype=np.float32)
        ).permute(0, 3, 1, 2)
        result = fn(chunk).permute(0, 2, 3, 1)
        if uint8:
            result = result.round().clamp(0, 255)
        out[start : start + _CHUNK] = result.numpy()
    return out


class ImageTransformerMixin(TransformerMixin, BaseEstimator):
    """A stateless transformer of images (not public).

    Subclasses define ``_check_params()`` and ``_transform_images(images)``
    on channels-last ``(n, H, W, C)`` arrays, or their own ``transform`` on
    ``self._images(X)``. ``fit`` only validates and
    records the input shape; ``transform`` works without it too.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def fit(self, X, y=None):
        """Check the parameters and record the image shape; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Images.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        record_images(self, X, check_images(X, image_shape=self.image_shape))
        return self

    def transform(self, X):
        """Transform each image.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Images, of the shape seen in ``fit`` when fitted.

        Returns
        -------
        X_new : ndarray
            In the layout of ``X``: (n, H', W', C), (n, H', W') or flat rows.
        """
        return to_layout(self._transform_images(self._images(X)), like=X)

    def _images(self, X):
        """Check the parameters and ``X``: channels-last images, of the fitted
        shape once fitted."""
        self._check_params()
        if hasattr(self, "image_shape_"):
            return check_images(X, estimator=self, reset=False)
        return check_images(X, image_shape=self.image_shape)
