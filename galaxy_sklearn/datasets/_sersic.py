"""Sersic (1968) profiles: the light model of smooth galaxies, with known answers."""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.special import gamma as gamma_fn
from scipy.special import gammainc, gammaincinv

from ._checks import check_int, make_rng


def sersic_b(n):
    """Ciotti & Bertin (1999) expansion of b_n, accurate to <1e-4 for n > 0.36."""
    return (
        2 * n
        - 1 / 3
        + 4 / (405 * n)
        + 46 / (25515 * n**2)
        + 131 / (1148175 * n**3)
        - 2194697 / (30690717750 * n**4)
    )


def sersic_amplitude(n, effective_radius, axis_ratio, flux):
    """Surface brightness at r_e (and b_n) giving a Sersic profile ``flux``."""
    b = sersic_b(n)
    area = 2 * np.pi * axis_ratio * effective_radius**2
    shape_factor = n * np.exp(b) * gamma_fn(2 * n) / b ** (2 * n)
    return flux / (area * shape_factor), b


def sersic_radius_of_fraction(n, effective_radius, fraction):
    """Radius of a circular Sersic profile enclosing ``fraction`` of its light."""
    return effective_radius * (gammaincinv(2 * n, fraction) / sersic_b(n)) ** n


def petrosian_concentration(n, effective_radius, eta=0.2):
    """C and circular Petrosian radius of a Sersic profile, from its analytic
    curve of growth, as statmorph defines them on an image: eta in a ring
    ``r +- 1/2`` px, r20 and r80 of the light within 1.5 Petrosian radii.

    Returns ``(concentration, petrosian_radius)``: the known answers that
    :class:`~galaxy_sklearn.morphology.MorphologyFeatures` is tested against.
    """
    b = sersic_b(n)

    def light(r):
        return gammainc(2 * n, b * (max(r, 0.0) / effective_radius) ** (1 / n))

    def excess(r):
        ring_area = np.pi * ((r + 0.5) ** 2 - (r - 0.5) ** 2)
        ring = (light(r + 0.5) - light(r - 0.5)) / ring_area
        return ring / (light(r) / (np.pi * r * r)) - eta

    r_petro = brentq(excess, 1.0, 50 * effective_radius)
    total = light(1.5 * r_petro)
    r20 = brentq(lambda r: light(r) - 0.2 * total, 1e-9, 1.5 * r_petro)
    r80 = brentq(lambda r: light(r) - 0.8 * total, 1e-9, 1.5 * r_petro)
    return 5 * np.log10(r80 / r20), r_petro


def make_sersic_profiles(
    sersic_n,
    effective_radius,
    *,
    image_size: int = 64,
    axis_ratio=1.0,
    position_angle=0.0,
    offset=0.0,
    flux=1.0e4,
    noise=0.0,
    oversample: int = 5,
    random_state=None,
):
    """Single-band images of Sersic profiles with known parameters.

    Every profile parameter is a scalar or one value per galaxy; they are
    broadcast together. Pixels are integrated by ``oversample`` x
    ``oversample`` sub-pixels, so steep centres (``n`` = 4) are rendered
    faithfully. No PSF is applied: the profiles are the known answers that
    morphology statistics are checked against.

    Parameters
    ----------
    sersic_n : float or array-like
        Sersic index (0.36 to 10, where the b_n expansion holds): 1 is
        exponential, 4 de Vaucouleurs.
    effective_radius : float or array-like
        Half-light radius along the major axis, in pixels.
    image_size : int, default=64
        Side of the square images.
    axis_ratio : float or array-like, default=1.0
        Minor over major axis, in (0, 1].
    position_angle : float or array-like, default=0.0
        Angle of the major axis from the x axis, degrees.
    offset : float, pair, or array-like of shape (n, 2), default=0.0
        Shift of the centre from the image centre, (dy, dx) pixels.
    flux : float or array-like, default=1e4
        Total flux of the untruncated profile.
    noise : float, default=0.0
        Standard deviation of Gaussian sky noise added to every pixel.
    oversample : int, default=5
        Sub-pixels per pixel side.
    random_state : int, RandomState, Generator or None
        Seeds the noise.

    Returns
    -------
    images : ndarray of shape (n, image_size, image_size), float32

    Examples
    --------
    >>> from galaxy_sklearn.datasets import make_sersic_profiles
    >>> images = make_sersic_profiles([1.0, 4.0], 6.0, image_size=48)
    >>> images.shape
    (2, 48, 48)
    """
    image_size = check_int(image_size, "image_size", minimum=1)
    oversample = check_int(oversample, "oversample", minimum=1)
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not np.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    offset = np.asarray(offset, dtype=np.float64)
    if offset.ndim > 2 or offset.shape[-1:] not in ((), (2,)):
        raise ValueError(
            f"offset must be a number, a (dy, dx) pair or one pair per galaxy; "
            f"got shape {offset.shape}."
        )
    count = np.atleast_2d(offset).shape[0] if offset.ndim == 2 else 1
    n, r_e, q, angle, total, _ = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in
          (sersic_n, effective_radius, axis_ratio, position_angle, flux)),
        np.zeros(count),
    )  # fmt: skip
    offset = np.broadcast_to(offset, (len(n), 2))
    for name, values, low, high in (
        ("sersic_n", n, 0.36, 10.0),
        ("effective_radius", r_e, 1e-3, np.inf),
        ("axis_ratio", q, 1e-3, 1.0),
        ("position_angle", angle, -np.inf, np.inf),
        ("flux", total, -np.inf, np.inf),
        ("offset", offset, -np.inf, np.inf),
    ):
        if not np.all(np.isfinite(values) & (values >= low) & (values <= high)):
            raise ValueError(f"{name} must lie in [{low}, {high}], got {values}.")

    amplitude, b = sersic_amplitude(n, r_e, q, total)
    column = lambda v: v[:, None, None]  # noqa: E731
    cos, sin = column(np.cos(np.radians(angle))), column(np.sin(np.radians(angle)))
    centre = (image_size - 1) / 2
    pixels = np.arange(image_size, dtype=np.float64)
    images = np.zeros((len(n), image_size, image_size))
    sub = (np.arange(oversample) + 0.5) / oversample - 0.5
    for sy in sub:
        dy = (pixels + sy - centre)[None, :, None] - column(offset[:, 0])
        for sx in sub:
            dx = (pixels + sx - centre)[None, None, :] - column(offset[:, 1])
            major = dx * cos + dy * sin
            minor = (dy * cos - dx * sin) / column(q)
            radius = np.hypot(major, minor) / column(r_e)
            images += np.exp(-column(b) * (radius ** (1 / column(n)) - 1))
    images *= column(amplitude) / oversample**2
    if noise > 0:
        images += noise * make_rng(random_state).standard_normal(images.shape)
    return images.astype(np.float32)
