"""Physically motivated synthetic galaxy images in the Galaxy Zoo 2 five classes."""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import fft as sp_fft
from scipy.special import gamma as gamma_fn

from ._checks import check_int, make_rng
from ._sersic import sersic_amplitude

GALAXY_CLASSES = (
    "smooth_round",
    "smooth_inbetween",
    "smooth_cigar",
    "edge_on",
    "spiral",
)

_SMOOTH_ROUND, _SMOOTH_INBETWEEN, _SMOOTH_CIGAR, _EDGE_ON, _SPIRAL = range(5)

# Projected axis-ratio ranges of the smooth classes; neighbours overlap on purpose,
# with densities ramping down linearly across the overlaps.
_SMOOTH_Q_RANGES = {
    _SMOOTH_ROUND: (0.72, 1.0),
    _SMOOTH_INBETWEEN: (0.42, 0.80),
    _SMOOTH_CIGAR: (0.18, 0.50),
}
_SMOOTH_Q_RAMP = 0.06

# Sizes, PSF and surface brightness are defined for a 64 px image and scaled.
_REFERENCE_SIZE = 64
_SKY_RANGE = (60.0, 120.0)  # sky counts per pixel and band
_MEAN_SB_RANGE = (20.0, 400.0)  # mean surface brightness inside R50, r-band counts
_PSF_SIGMA_RANGE = (0.6, 1.5)  # px at 64 px
_STAR_FRACTION = 0.3

# Display (Lupton et al. 2004): band scales of the (i, r, g) -> (R, G, B)
# composite, softening and the intensity that maps to full scale, in counts.
_DISPLAY_SCALES = np.array([0.8, 1.0, 1.5], dtype=np.float32)
_ASINH_SOFTENING = 15.0
_ASINH_MAXIMUM = 2000.0

_CHUNK_SIZE = 512
_CENTRE_SOFTENING = 0.35  # px, keeps cuspy Sersic centres finite on the grid


def make_galaxies(
    n_samples: int = 1000,
    image_size: int = 64,
    *,
    weights: npt.ArrayLike | None = None,
    noise_level: float = 1.0,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    return_params: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Generate synthetic colour images of galaxies in five morphology classes.

    Every galaxy is rendered from a small physical model (Sersic bulge,
    exponential disc, bar, logarithmic spiral arms, dust lane), seen through a
    Gaussian PSF with sky and photon noise, and displayed as an SDSS-like gri
    colour composite. The classes follow the five-class Galaxy Zoo 2 scheme of
    Galaxy10 and overlap in their parameters, so the task is not trivial.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of galaxies.
    image_size : int, default=64
        Side of the square images in pixels, at least 8. Galaxy sizes, PSF and
        centring jitter scale with it, so galaxies look alike at every size.
    weights : array-like of shape (5,), default=None
        Class proportions, in the order of ``GALAXY_CLASSES``; they need not
        sum to one. ``None`` gives balanced classes.
    noise_level : float, default=1.0
        Multiplier of the noise standard deviation; 0 gives noiseless images.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the generator; the same value gives bit-identical output.
    return_params : bool, default=False
        If True, also return the generating parameters as a DataFrame.

    Returns
    -------
    X : ndarray of shape (n_samples, image_size, image_size, 3), dtype uint8
        Channels-last RGB images (R from i, G from r, B from g band).
    y : ndarray of shape (n_samples,), dtype int64
        Class labels indexing ``GALAXY_CLASSES``, in random order.
    params : pandas.DataFrame
        Only if ``return_params``: one row per galaxy with the generating
        parameters. Lengths are in pixels, angles in degrees and fluxes in
        r-band counts; parameters that do not apply to a class are NaN, 0 or
        False.

    Notes
    -----
    Light model. A bulge or elliptical follows a Sersic (1968) profile
    ``I(r) = I_e exp(-b_n ((r / r_e)^(1/n) - 1))`` with ``b_n`` from the
    asymptotic expansion of Ciotti & Bertin (1999). Discs are exponential
    (Freeman 1970) with scale length ``h``; a disc of intrinsic thickness
    ``q0`` seen at inclination ``i`` has the projected axis ratio
    ``q = sqrt(cos^2 i + q0^2 sin^2 i)``. Spiral arms modulate the disc light
    in the deprojected disc plane as a logarithmic spiral,
    ``1 + A cos(m (phi - ln(r) / tan(p)))`` (sharpened to narrow arms), with
    ``m`` = 2 or 3 arms and pitch angle ``p`` of 10-35 degrees. Bars are
    Ferrers ellipsoids in the disc plane; dust lanes attenuate the light along
    the mid-plane of edge-on discs, most strongly in g.

    Colours. Each component has its own g-r and r-i colours with scatter:
    red bulges and ellipticals (g-r ~ 0.75), bluer discs (~ 0.5) and bluer
    still spiral arms. Fluxes are in g, r, i and composed as in SDSS images
    (R from i, G from r, B from g).

    Observation. The images are blurred by a Gaussian PSF (sigma 0.6-1.5 px at
    64 px, slightly wider in g) by multiplication in Fourier space, receive
    Gaussian photon noise whose variance is sky plus signal, times
    ``noise_level`` squared, and are sky subtracted. Galaxy centres jitter by
    about a pixel, and about 30 % of the images contain one to three field
    stars away from the centre. The fluxes are displayed with the colour
    preserving asinh stretch of Lupton et al. (2004) and clipped to 0-255.

    Classes.

    - ``smooth_round``: ellipticals (Sersic n 2-5, optional faint disc) with
      projected axis ratio 0.72-1.0.
    - ``smooth_inbetween``: the same with axis ratio 0.42-0.80.
    - ``smooth_cigar``: the same with axis ratio 0.18-0.50.
    - ``edge_on``: discs at inclination 78-90 degrees, with no, small or large
      bulge and a dust lane in half of them.
    - ``spiral``: discs at inclination 0-65 degrees with arms (amplitude
      from faint to strong), bulge fraction 0.05-0.5 and a bar in a third.

    Sizes and surface brightnesses are drawn independently over wide ranges,
    so that small and faint galaxies, whose shapes and arms are hard to see,
    are included.

    References
    ----------
    * Sersic, J. L. 1968, Atlas de Galaxias Australes, Observatorio Astronomico.
    * Freeman, K. C. 1970, ApJ, 160, 811.
    * Ciotti, L. & Bertin, G. 1999, A&A, 352, 447.
    * Lupton, R. et al. 2004, PASP, 116, 133.

    Examples
    --------
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> X, y = make_galaxies(n_samples=10, image_size=32, random_state=0)
    >>> X.shape, X.dtype
    ((10, 32, 32, 3), dtype('uint8'))
    >>> X, y, params = make_galaxies(20, 32, random_state=0, return_params=True)
    >>> len(params), sorted(set(y.tolist()))
    (20, [0, 1, 2, 3, 4])
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    image_size = check_int(image_size, "image_size", minimum=8)
    class_weights = _check_weights(weights)
    noise_level = _check_noise_level(noise_level)
    rng = make_rng(random_state)

    y = _draw_labels(n_samples, class_weights, rng)
    params = _draw_parameters(y, image_size, rng)

    X = np.empty((n_samples, image_size, image_size, 3), dtype=np.uint8)
    for start in range(0, n_samples, _CHUNK_SIZE):
        chunk = slice(start, min(start + _CHUNK_SIZE, n_samples))
        chunk_params = {key: value[chunk] for key, value in params.items()}
        X[chunk] = _render_chunk(chunk_params, image_size, noise_level, rng)

    if not return_params:
        return X, y
    return X, y, _params_frame(y, params)


# --------------------------------------------------------------------------
# argument checks


def _check_weights(weights):
    if weights is None:
        return np.full(len(GALAXY_CLASSES), 1.0 / len(GALAXY_CLASSES))
    try:
        weights = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("weights must be an array of 5 numbers.") from exc
    if weights.shape != (len(GALAXY_CLASSES),):
        raise ValueError(
            f"weights must have length {len(GALAXY_CLASSES)} (one per class), "
            f"got shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite and non-negative.")
    if weights.sum() <= 0:
        raise ValueError("weights must have a positive sum.")
    return weights / weights.sum()


def _check_noise_level(noise_level):
    if isinstance(noise_level, bool) or not isinstance(noise_level, numbers.Real):
        raise ValueError(f"noise_level must be a number, got {noise_level!r}.")
    if not np.isfinite(noise_level) or noise_level < 0:
        raise ValueError(f"noise_level must be >= 0, got {noise_level}.")
    return float(noise_level)


# --------------------------------------------------------------------------
# parameters


def _draw_labels(n_samples, class_weights, rng):
    expected = n_samples * class_weights
    counts = np.floor(expected).astype(np.int64)
    # The remainder goes to the classes with the largest fractional parts.
    remainder = n_samples - counts.sum()
    order = np.argsort(-(expected - counts), kind="stable")
    counts[order[:remainder]] += 1
    labels = np.repeat(np.arange(len(GALAXY_CLASSES), dtype=np.int64), counts)
    return rng.permutation(labels)


def _log_uniform(rng, low, high, size):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _colour_to_flux_ratios(g_r, r_i):
    """Flux in (g, r, i) relative to r for the given colours in magnitudes."""
    return np.stack([10 ** (-0.4 * g_r), np.ones_like(g_r), 10 ** (0.4 * r_i)], -1)


def _projected_axis_ratio(inclination, intrinsic_q):
    cos_i = np.cos(inclination)
    return np.sqrt(cos_i**2 + intrinsic_q**2 * (1.0 - cos_i**2))


def _smooth_axis_ratio(y, rng):
    """Axis ratios of smooth galaxies: trapezoidal densities over the class ranges.

    A uniform core plus a uniform offset of width ``_SMOOTH_Q_RAMP`` gives linear
    ramps at both ends, so neighbouring classes overlap without a hard boundary.
    Values above 1 are reflected, which keeps round galaxies common near q = 1.
    """
    half_ramp = _SMOOTH_Q_RAMP / 2
    low = np.ones(y.size)
    high = np.ones(y.size)
    for label, (lo, hi) in _SMOOTH_Q_RANGES.items():
        low[y == label] = lo + half_ramp
        high[y == label] = hi + half_ramp if hi >= 1 else hi - half_ramp
    q = rng.uniform(low, high) + rng.uniform(-half_ramp, half_ramp, y.size)
    return np.where(q > 1, 2 - q, q)


def _draw_parameters(y, image_size, rng):
    """Draw every generating parameter as arrays of length ``n_samples``."""
    n = y.size
    scale = image_size / _REFERENCE_SIZE
    smooth = y <= _SMOOTH_CIGAR
    edge_on = y == _EDGE_ON
    spiral = y == _SPIRAL
    disc_galaxy = edge_on | spiral

    # Smooth galaxies: a Sersic spheroid, plus a minor disc of the same shape.
    smooth_q = _smooth_axis_ratio(y, rng)
    smooth_re = _log_uniform(rng, 3.0, 12.0, n) * scale
    smooth_n = rng.uniform(2.0, 5.0, n)

    # Discs: exponential, thickness q0, inclination from isotropic orientation.
    scale_length = _log_uniform(rng, 3.0, 10.0, n) * scale
    thickness = rng.uniform(0.1, 0.2, n)
    cos_i = np.where(
        edge_on,
        rng.uniform(0.0, np.cos(np.radians(78.0)), n),
        rng.uniform(np.cos(np.radians(65.0)), 1.0, n),
    )
    inclination = np.arccos(cos_i)
    disc_q = _projected_axis_ratio(inclination, thickness)
    bulgeless = edge_on & (rng.random(n) < 0.3)
    disc_bulge_fraction = rng.uniform(0.05, 0.5, n)
    disc_bulge_fraction[bulgeless] = rng.uniform(0.0, 0.03, bulgeless.sum())
    disc_bulge_q = _projected_axis_ratio(inclination, rng.uniform(0.5, 1.0, n))

    bulge_fraction = np.where(smooth, rng.uniform(0.6, 1.0, n), disc_bulge_fraction)
    sersic_n = np.where(smooth, smooth_n, rng.uniform(1.0, 4.0, n))
    effective_radius = np.where(
        smooth, smooth_re, scale_length * rng.uniform(0.2, 0.7, n)
    )
    bulge_q = np.where(smooth, smooth_q, disc_bulge_q)
    disc_scale_length = np.where(
        smooth, smooth_re * rng.uniform(0.6, 1.2, n), scale_length
    )
    axis_ratio = np.where(smooth, smooth_q, disc_q)

    # Spiral arms and bars.
    n_arms = np.where(spiral, np.where(rng.random(n) < 0.75, 2, 3), 0)
    pitch_angle = np.where(spiral, rng.uniform(10.0, 35.0, n), np.nan)
    arm_amplitude = np.where(spiral, rng.uniform(0.15, 0.9, n), 0.0)
    arm_sharpness = rng.uniform(1.5, 4.0, n)
    arm_phase = rng.uniform(0.0, 2 * np.pi, n)
    arm_chirality = rng.choice([-1.0, 1.0], n)
    has_bar = spiral & (rng.random(n) < 0.33)
    bar_length = np.where(has_bar, scale_length * rng.uniform(0.8, 1.8, n), np.nan)
    bar_axis_ratio = rng.uniform(0.2, 0.4, n)
    bar_angle = rng.uniform(0.0, np.pi, n)
    bar_fraction = np.where(has_bar, rng.uniform(0.05, 0.2, n), 0.0)
    arm_start = np.where(has_bar, bar_length, scale_length * rng.uniform(0.4, 1.0, n))

    # Dust lanes in edge-on discs, a little off the mid-plane unless at 90 deg.
    has_dust_lane = edge_on & (rng.random(n) < 0.5)
    dust_optical_depth = np.where(has_dust_lane, rng.uniform(1.0, 3.0, n), 0.0)
    dust_width = np.maximum(
        rng.uniform(0.5, 1.0, n) * disc_q * scale_length, 0.5 * scale
    )
    dust_offset = rng.uniform(0.0, 0.5, n) * cos_i * scale_length

    # Colours (magnitudes) of the components.
    bulge_g_r = rng.normal(0.75, 0.06, n)
    bulge_r_i = rng.normal(0.40, 0.04, n)
    disc_g_r = np.where(
        smooth,
        bulge_g_r + rng.normal(0.0, 0.03, n),
        np.where(edge_on, rng.normal(0.58, 0.08, n), rng.normal(0.50, 0.08, n)),
    )
    disc_r_i = np.where(
        smooth, bulge_r_i + rng.normal(0.0, 0.02, n), rng.normal(0.25, 0.05, n)
    )
    arm_g_r = disc_g_r - rng.uniform(0.15, 0.35, n)
    arm_r_i = disc_r_i - 0.1

    # Brightness: (roughly) the mean surface brightness within the half-light
    # radius, drawn independently of size so that small galaxies are faint.
    half_light_radius = np.where(smooth, smooth_re, 1.678 * scale_length)
    mean_surface_brightness = _log_uniform(rng, *_MEAN_SB_RANGE, n)
    total_flux = 2 * np.pi * half_light_radius**2 * mean_surface_brightness

    # Observation.
    psf_sigma = rng.uniform(*_PSF_SIGMA_RANGE, n) * scale
    sky = rng.uniform(*_SKY_RANGE, n)
    centre = (image_size - 1) / 2 + rng.normal(0.0, 0.6 * scale, (n, 2))
    position_angle = rng.uniform(0.0, 180.0, n)
    n_stars = np.where(
        rng.random(n) < _STAR_FRACTION, rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1]), 0
    )

    return {
        "axis_ratio": axis_ratio,
        "position_angle": position_angle,
        "bulge_fraction": bulge_fraction,
        "sersic_n": sersic_n,
        "effective_radius": effective_radius,
        "bulge_axis_ratio": bulge_q,
        "disc_scale_length": disc_scale_length,
        "disc_thickness": np.where(disc_galaxy, thickness, np.nan),
        "inclination": np.where(disc_galaxy, np.degrees(inclination), np.nan),
        "arm_amplitude": arm_amplitude,
        "n_arms": n_arms,
        "pitch_angle": pitch_angle,
        "arm_sharpness": np.where(spiral, arm_sharpness, np.nan),
        "arm_phase": np.where(spiral, arm_phase, np.nan),
        "arm_chirality": np.where(spiral, arm_chirality, 0.0),
        "arm_start": np.where(spiral, arm_start, np.nan),
        "has_bar": has_bar,
        "bar_length": bar_length,
        "bar_axis_ratio": np.where(has_bar, bar_axis_ratio, np.nan),
        "bar_angle": np.where(has_bar, np.degrees(bar_angle), np.nan),
        "bar_fraction": bar_fraction,
        "has_dust_lane": has_dust_lane,
        "dust_optical_depth": dust_optical_depth,
        "dust_width": np.where(has_dust_lane, dust_width, np.nan),
        "dust_offset": np.where(has_dust_lane, dust_offset, np.nan),
        "bulge_g_r": bulge_g_r,
        "bulge_r_i": bulge_r_i,
        "disc_g_r": disc_g_r,
        "disc_r_i": disc_r_i,
        "arm_g_r": np.where(spiral, arm_g_r, np.nan),
        "arm_r_i": np.where(spiral, arm_r_i, np.nan),
        "mean_surface_brightness": mean_surface_brightness,
        "total_flux": total_flux,
        "psf_sigma": psf_sigma,
        "sky": sky,
        "n_stars": n_stars,
        "centre_x": centre[:, 0],
        "centre_y": centre[:, 1],
    }


def _params_frame(y, params):
    frame = pd.DataFrame(
        {"label": y, "class_name": np.asarray(GALAXY_CLASSES)[y], **params}
    )
    return frame.astype({"n_arms": np.int64, "n_stars": np.int64})


# --------------------------------------------------------------------------
# rendering


def _column(values, dtype=np.float32):
    """Per-galaxy values shaped to broadcast against (n, rows, cols) grids."""
    return np.asarray(values, dtype=dtype)[:, None, None]


def _render_chunk(p, image_size, noise_level, rng):
    """Render one chunk of galaxies to uint8 RGB images."""
    scale = image_size / _REFERENCE_SIZE
    # Render on a padded grid so that the PSF sees the light just outside the
    # image and the FFT convolution does not wrap around.
    pad = int(np.ceil(4 * _PSF_SIGMA_RANGE[1] * 1.05 * scale)) + 1
    grid_size = sp_fft.next_fast_len(image_size + 2 * pad, real=True)
    coords = np.arange(grid_size, dtype=np.float32) - pad

    dx = coords[None, None, :] - _column(p["centre_x"])
    dy = coords[None, :, None] - _column(p["centre_y"])
    angle = np.radians(p["position_angle"])
    cos_pa, sin_pa = _column(np.cos(angle)), _column(np.sin(angle))
    major = dx * cos_pa + dy * sin_pa
    minor = dy * cos_pa - dx * sin_pa
    del dx, dy

    flux = p["total_flux"]
    bulge_flux = flux * p["bulge_fraction"]
    bar_flux = flux * p["bar_fraction"]
    disc_flux = flux - bulge_flux - bar_flux

    bulge = _sersic_image(major, minor, p, bulge_flux)
    disc_plane_x = major
    disc_plane_y = minor / _column(p["axis_ratio"])
    disc_radius = np.sqrt(
        disc_plane_x**2 + disc_plane_y**2 + np.float32(_CENTRE_SOFTENING**2)
    )
    disc_amplitude = disc_flux / (
        2 * np.pi * p["axis_ratio"] * p["disc_scale_length"] ** 2
    )
    disc = _column(disc_amplitude) * np.exp(
        -disc_radius / _column(p["disc_scale_length"])
    )

    colours = {
        "bulge": _colour_to_flux_ratios(p["bulge_g_r"], p["bulge_r_i"]),
        "disc": _colour_to_flux_ratios(p["disc_g_r"], p["disc_r_i"]),
    }
    # (n, 3 bands, rows, cols) in band order g, r, i.
    bands = bulge[:, None] * _band_column(colours["bulge"])
    bands += disc[:, None] * _band_column(colours["disc"])
    del bulge

    spiral = np.flatnonzero(p["n_arms"] > 0)
    if spiral.size:
        arms, displaced = _arm_light(
            disc, disc_plane_x, disc_plane_y, disc_radius, p, spiral
        )
        arm_colour = _colour_to_flux_ratios(p["arm_g_r"][spiral], p["arm_r_i"][spiral])
        # The arms take their light from the smooth disc, so the flux is kept.
        bands[spiral] += arms[:, None] * _band_column(arm_colour)
        bands[spiral] -= displaced[:, None] * _band_column(colours["disc"][spiral])
    del disc, disc_radius

    barred = np.flatnonzero(p["has_bar"])
    if barred.size:
        bar = _bar_light(disc_plane_x, disc_plane_y, p, barred, bar_flux[barred])
        bands[barred] += bar[:, None] * _band_column(colours["bulge"][barred])

    dusty = np.flatnonzero(p["has_dust_lane"])
    if dusty.size:
        bands[dusty] *= _dust_transmission(major, minor, p, dusty)
    del major, minor, disc_plane_x, disc_plane_y

    _add_stars(bands, p, pad, image_size, rng)
    bands = _convolve_psf(bands, p["psf_sigma"])
    bands = bands[:, :, pad : pad + image_size, pad : pad + image_size]
    if noise_level > 0:
        variance = np.maximum(bands, 0) + _column(p["sky"])[:, None]
        noise = rng.standard_normal(bands.shape, dtype=np.float32)
        bands += np.float32(noise_level) * np.sqrt(variance) * noise
    return _asinh_display(bands)


def _band_column(colour):
    return np.asarray(colour, dtype=np.float32)[:, :, None, None]


def _sersic_image(major, minor, p, flux):
    n = p["sersic_n"]
    q = p["bulge_axis_ratio"]
    r_e = p["effective_radius"]
    amplitude, b = sersic_amplitude(n, r_e, q, flux)
    radius = np.sqrt(
        major**2 + (minor / _column(q)) ** 2 + np.float32(_CENTRE_SOFTENING**2)
    )
    # (r / r_e)^(1/n) through exp/log, cheaper than power with array exponents.
    scaled = np.exp(np.log(radius / _column(r_e)) / _column(n))
    return _column(amplitude) * np.exp(_column(b) * (1 - scaled))


def _arm_light(disc, plane_x, plane_y, plane_radius, p, index):
    """Light of the logarithmic spiral arms and the disc light it displaces."""
    radius = plane_radius[index]
    azimuth = np.arctan2(plane_y[index], plane_x[index])
    m = _column(p["n_arms"][index])
    winding = _column(
        p["arm_chirality"][index] / np.tan(np.radians(p["pitch_angle"][index]))
    )
    phase = m * (azimuth - winding * np.log(radius)) + _column(p["arm_phase"][index])
    sharpness = p["arm_sharpness"][index]
    # Mean of ((1 + cos) / 2)^k over a period, so the arms conserve disc flux.
    mean_profile = gamma_fn(sharpness + 0.5) / (
        np.sqrt(np.pi) * gamma_fn(sharpness + 1)
    )
    profile = ((1 + np.cos(phase)) / 2) ** _column(sharpness)
    # Arms fade towards the centre, inside the bar or bulge region.
    taper = 1 - np.exp(-((radius / _column(p["arm_start"][index])) ** 2))
    displaced = disc[index] * _column(p["arm_amplitude"][index]) * taper
    return displaced * profile / _column(mean_profile), displaced


def _bar_light(plane_x, plane_y, p, index, flux):
    """Ferrers (n=2) bar in the disc plane, projected like the disc."""
    angle = np.radians(p["bar_angle"][index])
    cos_a, sin_a = _column(np.cos(angle)), _column(np.sin(angle))
    x, y = plane_x[index], plane_y[index]
    along = (x * cos_a + y * sin_a) / _column(p["bar_length"][index])
    across = (y * cos_a - x * sin_a) / _column(
        p["bar_length"][index] * p["bar_axis_ratio"][index]
    )
    m2 = np.clip(1 - along**2 - across**2, 0, None)
    # Integral of (1 - m^2)^2 over the ellipse is pi a b / 3; projection adds q.
    area = (
        np.pi
        * p["bar_length"][index] ** 2
        * p["bar_axis_ratio"][index]
        * p["axis_ratio"][index]
        / 3
    )
    return _column(flux / area) * m2**2


def _dust_transmission(major, minor, p, index):
    """Transmission (n, 3, rows, cols) of a mid-plane dust lane, reddest in g."""
    offset = minor[index] - _column(p["dust_offset"][index])
    lane = np.exp(-0.5 * (offset / _column(p["dust_width"][index])) ** 2)
    lane *= np.exp(-np.abs(major[index]) / _column(3 * p["disc_scale_length"][index]))
    tau = p["dust_optical_depth"][index][:, None] * np.array([1.35, 1.0, 0.75])
    return np.exp(-_band_column(tau) * lane[:, None])


def _add_stars(bands, p, pad, image_size, rng):
    """Add field stars as point sources (the PSF gives them their shape)."""
    n_stars = p["n_stars"]
    owner = np.repeat(np.arange(n_stars.size), n_stars)
    total = owner.size
    if total == 0:
        return
    scale = image_size / _REFERENCE_SIZE
    x, y = _star_positions(total, image_size, rng)
    x, y = x + pad, y + pad
    flux = _log_uniform(rng, 300.0, 30000.0, total) * scale**2
    g_r = rng.uniform(-0.1, 1.4, total)
    colour = _colour_to_flux_ratios(g_r, 0.4 * g_r)
    # Bilinear splat onto the four nearest pixels keeps the sub-pixel position.
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - x0, y - y0
    for oy, ox, w in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        for band in range(3):
            np.add.at(
                bands,
                (owner, band, y0 + oy, x0 + ox),
                (flux * w * colour[:, band]).astype(np.float32),
            )


def _star_positions(count, image_size, rng):
    """Uniform positions in the image, redrawn until away from the galaxy."""
    centre = (image_size - 1) / 2
    min_distance = 0.28 * image_size
    x = rng.uniform(0, image_size - 1, count)
    y = rng.uniform(0, image_size - 1, count)
    too_close = np.hypot(x - centre, y - centre) < min_distance
    while too_close.any():
        x[too_close] = rng.uniform(0, image_size - 1, too_close.sum())
        y[too_close] = rng.uniform(0, image_size - 1, too_close.sum())
        too_close = np.hypot(x - centre, y - centre) < min_distance
    return x, y


def _convolve_psf(bands, psf_sigma):
    """Gaussian PSF by multiplication in Fourier space; seeing is worse in g."""
    grid_size = bands.shape[-1]
    spectrum = sp_fft.rfft2(bands, workers=-1)
    freq_y = sp_fft.fftfreq(grid_size).astype(np.float32)
    freq_x = sp_fft.rfftfreq(grid_size).astype(np.float32)
    freq2 = freq_y[:, None] ** 2 + freq_x[None, :] ** 2
    sigma = psf_sigma[:, None] * np.array([1.05, 1.0, 0.97])
    transfer = np.exp(-2 * np.pi**2 * _band_column(sigma**2) * freq2[None, None])
    spectrum *= transfer
    return sp_fft.irfft2(spectrum, s=bands.shape[-2:], workers=-1)


def _asinh_display(bands):
    """Lupton et al. (2004) colour-preserving asinh stretch to uint8 RGB."""
    # Bands are (g, r, i); the composite is R <- i, G <- r, B <- g.
    rgb = bands[:, ::-1] * _DISPLAY_SCALES[None, :, None, None]
    intensity = rgb.mean(axis=1, keepdims=True)
    softening = np.float32(_ASINH_SOFTENING)
    norm = np.float32(np.arcsinh(_ASINH_MAXIMUM / _ASINH_SOFTENING))
    tiny = np.abs(intensity) < 1e-6 * softening
    safe = np.where(tiny, softening, intensity)
    gain = np.where(tiny, 1 / softening, np.arcsinh(safe / softening) / safe) / norm
    rgb = rgb * gain
    # Saturated pixels are scaled down as a whole to keep their colour.
    peak = rgb.max(axis=1, keepdims=True)
    rgb = np.where(peak > 1, rgb / np.maximum(peak, 1), rgb)
    rgb = np.clip(rgb, 0, 1)
    return np.rint(rgb.transpose(0, 2, 3, 1) * 255).astype(np.uint8)
