"""Turn every galaxy to a common orientation: its major axis along x."""

from __future__ import annotations

import numbers

from ..nn import align_major_axis
from ._base import ImageTransformerMixin, map_batches


def _check_window(window):
    if not isinstance(window, numbers.Real) or not 0 < window <= 1:
        raise ValueError(f"window must be a number in (0, 1], got {window!r}.")


class AlignMajorAxis(ImageTransformerMixin):
    """Rotate each galaxy so that its major axis lies along x: a Pipeline step.

    A galaxy's position angle says nothing about its morphology but changes
    every pixel. Turned to a common orientation, elongation becomes a linear
    cue (light spread along x, not along y) that PCA, a logistic regression or
    an autoencoder can use. The angle comes from the second moments of the
    sky-subtracted light, weighted by a Gaussian window on the image centre
    (:func:`galaxy_sklearn.nn.major_axis_angle`); pixels rotated in from
    outside the frame get the image's sky level. The sign of the axis is not
    fixed (a galaxy and its 180-degree rotation are both aligned).

    Parameters
    ----------
    window : float, default=1/6
        Sigma of the Gaussian weight around the image centre, as a fraction of
        the smaller side: small enough that neighbours near the edge barely
        count, large enough to cover the central galaxy.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images seen in ``fit``.
    n_features_in_ : int
        Values per input image.

    See Also
    --------
    galaxy_sklearn.nn.align_major_axis : the same on a torch batch.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import AlignMajorAxis
    >>> X = np.zeros((1, 32, 32), dtype=np.float32)
    >>> X[0, 4:28, 14:18] = 1.0  # a vertical bar
    >>> aligned = AlignMajorAxis().fit_transform(X)
    >>> bool(aligned[0, 16, 6] > 0.5), bool(aligned[0, 6, 16] < 0.5)
    (True, True)
    """

    def __init__(self, window=1 / 6, *, image_shape=None):
        self.window = window
        self.image_shape = image_shape

    def _check_params(self):
        _check_window(self.window)

    def _transform_images(self, images):
        return map_batches(
            images,
            lambda batch: align_major_axis(batch, self.window),
            images.shape[1:3],
        )
