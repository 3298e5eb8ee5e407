"""Intensity stretches that bring survey fluxes into a network's range."""

from __future__ import annotations

import numbers

import numpy as np

from ._base import ImageTransformerMixin

# astropy's LuptonAsinhStretch: y = asinh(Q x / stretch) * frac / asinh(frac Q)
_FRAC = 0.1


def lupton_asinh(images, *, Q=8.0, stretch=5.0, minimum=0.0) -> np.ndarray:
    """The colour-preserving asinh stretch of Lupton et al. (2004), any bands.

    For every pixel the mean of the bands, ``I``, is stretched with astropy's
    :class:`~astropy.visualization.LuptonAsinhStretch`; each band is then
    scaled by the same factor ``y(I) / I``, so colours survive, and a pixel
    whose brightest band exceeds 1 is scaled down to 1 (clipped, as in
    :func:`astropy.visualization.make_lupton_rgb`).

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        Fluxes, any float or integer type.
    Q : float, default=8.0
        Softening: the larger, the sooner the stretch turns logarithmic.
    stretch : float, default=5.0
        Linear range of the stretch, in flux units.
    minimum : float or array of shape (C,), default=0.0
        Flux of black in each band.

    Returns
    -------
    stretched : ndarray of shape (n, H, W, C), float32 in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import lupton_asinh
    >>> flux = np.array([0.0, 0.5, 5.0, 500.0]).reshape(1, 2, 2, 1)
    >>> [round(float(v), 3) for v in lupton_asinh(flux, Q=8, stretch=5).ravel()]
    [0.0, 0.1, 0.379, 1.0]
    """
    x = np.asarray(images, dtype=np.float64) - np.asarray(minimum, dtype=np.float64)
    intensity = x.mean(axis=-1, keepdims=True)
    slope = _FRAC / np.arcsinh(_FRAC * Q)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.arcsinh(intensity * (Q / stretch)) * slope / intensity
    factor = np.where(intensity > 0, factor, 0.0)
    x = np.clip(x * factor, 0.0, None)
    peak = x.max(axis=-1, keepdims=True)
    x = np.where(peak > 1.0, x / np.where(peak > 1.0, peak, 1.0), x)
    return x.astype(np.float32)


class AsinhStretch(ImageTransformerMixin):
    """Lupton et al. (2004) asinh stretch of fluxes to [0, 1], colours kept.

    A stateless transformer: :func:`lupton_asinh` on each image, with the
    parameters of :func:`astropy.visualization.make_lupton_rgb`.

    Parameters
    ----------
    Q : float, default=8.0
        Asinh softening.
    stretch : float, default=5.0
        Linear range of the stretch, in flux units.
    minimum : float, default=0.0
        Flux of black.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images seen in ``fit``.
    n_features_in_ : int
        Values per image.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import AsinhStretch
    >>> flux = np.random.default_rng(0).exponential(2.0, size=(4, 8, 8, 3))
    >>> out = AsinhStretch(stretch=2.0).fit_transform(flux)
    >>> out.shape, out.dtype, bool(out.min() >= 0 and out.max() <= 1)
    ((4, 8, 8, 3), dtype('float32'), True)
    """

    def __init__(self, Q=8.0, stretch=5.0, minimum=0.0, *, image_shape=None):
        self.Q = Q
        self.stretch = stretch
        self.minimum = minimum
        self.image_shape = image_shape

    def _check_params(self):
        for name in ("Q", "stretch"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}.")

    def _transform_images(self, images):
        return lupton_asinh(
            images, Q=self.Q, stretch=self.stretch, minimum=self.minimum
        )


class PercentileStretch(ImageTransformerMixin):
    """Scale each image so its ``lower``-``upper`` percentile range maps to [0, 1].

    A stateless transformer: the percentiles are taken per image (and per
    band with ``per_band=True``), values outside are clipped, and an
    optional asinh with softening ``Q`` compresses the bright cores.

    Parameters
    ----------
    lower : float, default=0.5
        Percentile mapped to 0.
    upper : float, default=99.5
        Percentile mapped to 1.
    per_band : bool, default=False
        Percentiles per band rather than over all bands (which keeps colours).
    Q : float, default=0.0
        Asinh softening after the linear scaling, ``asinh(Q x) / asinh(Q)``;
        0 keeps it linear.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images seen in ``fit``.
    n_features_in_ : int
        Values per image.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.preprocessing import PercentileStretch
    >>> X = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    >>> out = PercentileStretch(lower=0, upper=100).fit_transform(X)
    >>> float(out[0].min()), float(out[0].max()), out.shape
    (0.0, 1.0, (2, 4, 4))
    """

    def __init__(
        self, lower=0.5, upper=99.5, *, per_band=False, Q=0.0, image_shape=None
    ):
        self.lower = lower
        self.upper = upper
        self.per_band = per_band
        self.Q = Q
        self.image_shape = image_shape

    def _check_params(self):
        ok = all(isinstance(v, numbers.Real) for v in (self.lower, self.upper))
        if not ok or not 0 <= self.lower < self.upper <= 100:
            raise ValueError(
                "lower and upper must be percentiles with 0 <= lower < upper <= 100, "
                f"got lower={self.lower!r}, upper={self.upper!r}."
            )
        if not isinstance(self.Q, numbers.Real) or self.Q < 0:
            raise ValueError(f"Q must be a non-negative number, got {self.Q!r}.")

    def _transform_images(self, images):
        axis = (1, 2) if self.per_band else (1, 2, 3)
        x = images.astype(np.float32)
        low, high = np.percentile(x, [self.lower, self.upper], axis=axis, keepdims=True)
        span = np.where(high > low, high - low, 1.0)
        x = np.clip((x - low) / span, 0.0, 1.0)
        if self.Q > 0:
            x = np.arcsinh(self.Q * x) / np.arcsinh(self.Q)
        return x.astype(np.float32)
