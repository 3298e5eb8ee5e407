"""Non-parametric morphology of a batch of galaxies, with no loop over galaxies.

The definitions follow statmorph (Rodriguez-Gomez et al. 2019), which follows
Conselice (2003) for C, A and S and Lotz, Primack & Madau (2004) for Gini and
M20. Every step works on a whole ``(n, H, W)`` batch: segmentation labels the
batch at once, radial profiles are one ``bincount``, the asymmetry centre is
a descent on a half-pixel grid taken by every galaxy together, and the
per-galaxy smoothing scales go through batched matrix products or one box
filter per distinct size.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from ..datasets._sersic import sersic_b
from ._curves import CurveOfGrowth, soft_disc, take
from ._segmentation import (
    border_mask,
    central_source,
    estimate_sky,
    find_sky_boxes,
    frame_pixels,
    label_sources,
    touches_edge,
)

#: Statistics of every galaxy, in output order (colours and flags follow).
STATISTICS = (
    "concentration",
    "asymmetry",
    "smoothness",
    "gini",
    "m20",
    "inner_concentration",
    "outer_concentration",
    "inner_asymmetry",
    "ellipticity",
    "elongation",
    "inner_ellipticity",
    "outer_ellipticity",
    "r20",
    "half_light_radius",
    "r80",
    "petrosian_radius",
    "flux",
)

#: Bits of the ``flag`` column.
FLAGS = {
    "no_source": 1,
    "edge": 2,
    "no_petrosian": 4,
    "non_positive_flux": 8,
    "gini_segmap": 16,
}

_ETA = 0.2  # Petrosian ratio
_EXTENT_CAS = 1.5  # C, A and S apertures, in Petrosian radii
_FRACTION_CAS = 0.25  # S smoothing box and inner radius, in Petrosian radii
_FRACTION_GINI = 0.2  # Gini segmap smoothing, in elliptical Petrosian radii
_EXTENT_FLUX = 2.0  # total flux aperture, in Petrosian radii
_MAX_CENTRE_STEPS = 4  # moves per step size of the asymmetry centre search
# the centre search looks at the light within this fraction of the frame's
# side (the aperture when smaller): 21 px at 104 px
_SEARCH_FRACTION = 0.2
_SIGMA_FLOOR = 1e-3  # of the peak: the detection threshold of noiseless images
_SERSIC_N = np.geomspace(0.36, 8.0, 48)
_SERSIC_RE = np.geomspace(0.5, 2.0, 17)

_NEIGHBOURS = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])


def feature_names(n_bands: int, sersic: bool = False) -> list[str]:
    """Names of the columns :func:`measure_morphology` returns."""
    names = list(STATISTICS)
    names += [f"colour_{b}_{b + 1}" for b in range(n_bands - 1)]
    names += [f"inner_colour_{b}_{b + 1}" for b in range(n_bands - 1)]
    if sersic:
        names.append("sersic_n")
    return names + ["flag"]


def measure_morphology(
    images: np.ndarray,
    *,
    threshold: float = 2.0,
    smoothing: float = 1.5,
    min_area: int = 10,
    border: int | None = None,
    sersic: bool = False,
    mask_neighbours: bool = False,
) -> dict[str, np.ndarray]:
    """Measure every statistic of :data:`STATISTICS` on a batch of galaxies.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        Channels-last images, any numeric dtype. The structure is measured on
        the mean of the bands; colours compare the bands' fluxes.
    threshold : float
        Detection threshold in sky standard deviations.
    smoothing : float
        Gaussian sigma (pixels) applied before detection.
    min_area : int
        Smallest source, in pixels.
    border : int or None
        Width of the frame whose pixels estimate the sky; None for about
        1/13 of the image side (8 px at 104 px).
    sersic : bool
        Also fit a Sersic index to the radial profile.
    mask_neighbours : bool
        Set other sources to the sky and leave them out of A; else they stay
        in the image, outside the segment (statmorph given the central
        segment only).

    Returns
    -------
    dict of str to ndarray of shape (n,)
        One array per name of :func:`feature_names`; NaN where a statistic is
        undefined, with the reason in ``flag`` (bits of :data:`FLAGS`).
    """
    n, height, width, n_bands = images.shape
    if border is None:
        border = max(1, round(min(height, width) / 13))
    frame = border_mask((height, width), border)
    out = {name: np.full(n, np.nan) for name in feature_names(n_bands, sersic)}
    out["flag"] = np.zeros(n, dtype=np.int64)

    # the bands' mean, band by band: a reduction over a short last axis is slow
    image = images[..., 0].astype(np.float32)
    for b in range(1, n_bands):
        image += images[..., b]
    image /= n_bands
    sky, sigma = estimate_sky(image, frame)
    image -= sky[:, None, None].astype(np.float32)

    smooth = ndimage.gaussian_filter(image, (0, smoothing, smoothing))
    peak = np.maximum(smooth.max(axis=(1, 2)), 0)
    level = threshold * np.maximum(sigma, _SIGMA_FLOOR * peak)
    detected = smooth > np.where(peak > 0, level, np.inf)[:, None, None]
    labels, n_labels = label_sources(detected)
    main, is_source = central_source(labels, n_labels, min_area)
    segment = labels == np.where(main > 0, main, -1)[:, None, None]
    # blobs below min_area are noise: neither masked nor kept out of sky boxes
    sources = is_source[labels]
    neighbours = sources & ~segment
    if not mask_neighbours:
        neighbours[:] = False
    # the source's brightest smoothed pixel: where the search for the centre
    # of asymmetry starts again when the centroid fails
    smooth[~segment] = -np.inf
    image[neighbours] = 0
    sky_boxes = find_sky_boxes(sources if mask_neighbours else segment)
    del labels, detected

    weight = np.where(segment, np.maximum(image, 0), 0)
    positive = weight.sum(axis=(1, 2)) > 0
    out["flag"] |= np.where(main > 0, 0, FLAGS["no_source"])
    out["flag"] |= np.where(touches_edge(segment), FLAGS["edge"], 0)
    out["flag"] |= np.where((main > 0) & ~positive, FLAGS["non_positive_flux"], 0)

    good = np.flatnonzero(positive)
    if good.size:
        stats, flags = _measure_sources(
            image[good],
            images[good] if n_bands > 1 else None,
            weight[good],
            neighbours[good],
            [corner[good] for corner in sky_boxes],
            smooth[good],
            frame,
            sersic,
        )
        for name, values in stats.items():
            # a formula undefined for the source (r20 = 0 for a one-pixel
            # source, no minor axis) gives NaN, never an infinity
            with np.errstate(invalid="ignore"):
                out[name][good] = np.where(np.isfinite(values), values, np.nan)
        out["flag"][good] |= flags
    return out


def _measure_sources(
    image, bands, weight, neighbours, sky_boxes, smooth, frame_sky, sersic
):
    """Statistics of galaxies that have a source with positive flux.

    ``image`` is the sky-subtracted mean of the bands (with neighbours set
    to 0 when masked); ``weight`` the source's positive light; ``bands``
    the caller's multi-band images (None for one band).
    """
    m, height, width = image.shape
    yy = np.arange(height, dtype=np.float32)[None, :, None]
    xx = np.arange(width, dtype=np.float32)[None, None, :]
    flags = np.zeros(m, dtype=np.int64)
    stats = {}
    masked = neighbours if neighbours.any() else None

    total = weight.sum(axis=(1, 2))
    yc = (weight * yy).sum(axis=(1, 2)) / total
    xc = (weight * xx).sum(axis=(1, 2)) / total

    # Asymmetry (Conselice 2003, eq. 10 of Lotz et al. 2004): aperture of
    # 1.5 Petrosian radii about the centroid, centre minimising A.
    around_centroid = CurveOfGrowth(image, _distance(yy, xx, yc, xc))
    r_centroid, _ = around_centroid.petrosian_radius(_ETA)
    sky = _SkyBoxes(image, *sky_boxes)
    sky_asymmetry = sky.asymmetry()
    brightest = np.divmod(smooth.reshape(m, -1).argmax(axis=1), width)
    asymmetry, ay, ax = _asymmetry_centre(
        image, masked, (yc, xc), brightest, r_centroid, sky_asymmetry
    )
    stats["asymmetry"] = asymmetry

    # Concentration (Conselice 2003; Lotz et al. 2004) about the A centre.
    dist = _distance(yy, xx, ay, ax)
    growth = CurveOfGrowth(image, dist)
    r_petro, found = growth.petrosian_radius(_ETA)
    flags |= np.where(found, 0, FLAGS["no_petrosian"])
    in_aperture = growth.flux_at(_EXTENT_CAS * r_petro)
    with np.errstate(divide="ignore", invalid="ignore"):
        r20 = growth.radius_of_flux(0.2 * in_aperture)
        r50 = growth.radius_of_flux(0.5 * in_aperture)
        r80 = growth.radius_of_flux(0.8 * in_aperture)
        stats["concentration"] = np.where(
            in_aperture > 0, 5 * np.log10(r80 / r20), np.nan
        )
    for name, radius in (("r20", r20), ("half_light_radius", r50), ("r80", r80)):
        stats[name] = np.where(in_aperture > 0, radius, np.nan)
    # the two halves of C: the core's steepness and the wings'
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["inner_concentration"] = 5 * np.log10(stats["half_light_radius"] / r20)
        stats["outer_concentration"] = 5 * np.log10(r80 / stats["half_light_radius"])
    stats["petrosian_radius"] = np.where(found, r_petro, np.nan)

    stats["smoothness"] = _smoothness(image, dist, r_petro, sky)
    # A within the half-light radius: the body of the galaxy, without the
    # noise-dominated wings
    centre = np.round(2 * np.stack([ay, ax], axis=1)).astype(np.int64)
    reach = np.nan_to_num(r50, nan=1.0)
    # beyond twice the frame a window holds nothing more
    window = min(2 * int(np.ceil(reach.max())), 2 * max(height, width)) + 4
    inner = _window_asymmetry(
        image, masked, np.arange(m), centre, np.zeros((1, 2), int), reach,
        sky_asymmetry, window, None,
    )[:, 0]  # fmt: skip
    defined = np.isfinite(inner) & np.isfinite(stats["half_light_radius"])
    stats["inner_asymmetry"] = np.where(defined, inner, np.nan)

    # Shape from the second moments about the A centre.
    dy = yy - ay.astype(np.float32)[:, None, None]
    dx = xx - ax.astype(np.float32)[:, None, None]
    elongation, theta = _shape(weight, dy, dx)
    stats["elongation"] = elongation
    stats["ellipticity"] = 1 - 1 / elongation
    # the isophote at the detection threshold: every pixel of the source
    # weighs the same
    outer, _ = _shape((weight > 0).astype(np.float32), dy, dx)
    stats["outer_ellipticity"] = 1 - 1 / outer

    gini, m20, inner, gini_flags = _gini_m20(
        image, weight > 0, dy, dx, theta, elongation
    )
    stats["gini"], stats["m20"] = gini, m20
    stats["inner_ellipticity"] = 1 - 1 / inner
    flags |= gini_flags

    aperture = soft_disc(dist, _EXTENT_FLUX * r_petro)
    stats["flux"] = (aperture * image).sum(axis=(1, 2))
    if bands is not None:
        # a bulge redder than its disc: the colour gradient of Park & Choi
        # (2005), as the colour within the half-light radius beside the total
        inner_aperture = soft_disc(dist, np.nan_to_num(r50))
        apertures = np.stack([aperture, inner_aperture], axis=1)
        if masked is not None:
            apertures *= ~masked[:, None]
        colours = _colours(bands, apertures, frame_sky)
        for name in colours:
            if name.startswith("inner_"):
                # a half-light radius undefined: no inner aperture either
                colours[name][~np.isfinite(stats["half_light_radius"])] = np.nan
        stats.update(colours)

    if sersic:
        stats["sersic_n"] = _sersic_index(growth, r50, r_petro)
    return stats, flags


def _colours(bands, apertures, frame):
    """-2.5 log10 of the flux ratio of consecutive bands within the total
    and the inner aperture (``apertures``, shape (n, 2, H, W)), each band
    less its sky (the median over ``frame``); NaN unless both fluxes are
    positive."""
    m, height, width, n_bands = bands.shape
    weights = apertures.reshape(m, 2, height * width)
    pixels = bands.reshape(m, height * width, n_bands).astype(np.float32)
    sky = np.median(frame_pixels(bands, frame), axis=-1)
    flux = weights @ pixels - sky[:, None] * weights.sum(axis=2, keepdims=True)
    colours = {}
    for prefix, f in (("", flux[:, 0]), ("inner_", flux[:, 1])):
        for b in range(n_bands - 1):
            both = (f[:, b] > 0) & (f[:, b + 1] > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = -2.5 * np.log10(f[:, b] / f[:, b + 1])
            colours[f"{prefix}colour_{b}_{b + 1}"] = np.where(both, ratio, np.nan)
    return colours


def _distance(yy, xx, yc, xc):
    """Distance of every pixel from each galaxy's ``(yc, xc)``, float32."""
    yc, xc = (np.asarray(c, dtype=np.float32)[:, None, None] for c in (yc, xc))
    return np.sqrt((yy - yc) ** 2 + (xx - xc) ** 2)


def _asymmetry_centre(image, neighbours, centroid, brightest, r_petro, sky):
    """The centre of least asymmetry, and A there over the full aperture.

    As statmorph: A is minimised from the centroid; a centre that drifts
    farther than 0.25 Petrosian radii is sought again from the brightest
    (smoothed) pixel, and failing that the centroid is used. Centres lie on the
    half-pixel grid, where a 180-degree rotation maps pixels onto pixels.
    Returns ``(A, yc, xc)``.
    """
    radius = _EXTENT_CAS * r_petro
    drift = _FRACTION_CAS * r_petro
    start = np.round(2 * np.stack(centroid, axis=1)).astype(np.int64)
    centre, escaped = _descend(image, neighbours, start, radius, drift, sky)
    retry = np.flatnonzero(escaped)
    if retry.size:
        again = 2 * np.stack(brightest, axis=1)[retry].astype(np.int64)
        found, lost = _descend(
            image[retry], None if neighbours is None else neighbours[retry],
            again, radius[retry], drift[retry], sky[retry],
        )  # fmt: skip
        centre[retry] = np.where(lost[:, None], start[retry], found)
    asymmetry = _asymmetry(image, neighbours, centre, radius, sky)
    return asymmetry, centre[:, 0] / 2, centre[:, 1] / 2


def _descend(image, neighbours, start, radius, drift, sky):
    """Descend from ``start`` (twice the pixel coordinates) to least A, in
    steps of 2, 1 and 0.5 px, no farther than ``drift`` px.

    Each trial looks at the light within ``_SEARCH_FRACTION`` of the frame's
    side of its centre (the aperture when smaller), in whole pixels.
    Returns ``(centre, escaped)``: escaped where the search ended on the
    drift limit with less asymmetry beyond it.
    """
    m = len(image)
    cap = int(np.ceil(_SEARCH_FRACTION * min(image.shape[1:])))
    reach = np.clip(np.ceil(np.nan_to_num(radius, nan=1.0)), 1, cap).astype(np.int64)
    centre = start.copy()
    limit = (2 * drift) ** 2
    best = _trial_asymmetry(
        image, neighbours, np.arange(m), centre, np.zeros((1, 2), int), reach, sky,
        cap,
    )[:, 0]  # fmt: skip
    escaped = np.zeros(m, dtype=bool)
    for step in (4, 2, 1):
        moving = np.arange(m)
        for _ in range(_MAX_CENTRE_STEPS):
            values = _trial_asymmetry(
                image, neighbours, moving, centre[moving], step * _NEIGHBOURS,
                reach[moving], sky[moving], cap,
            )  # fmt: skip
            trial = centre[moving, None, :] + step * _NEIGHBOURS[None]
            beyond = ((trial - start[moving, None, :]) ** 2).sum(axis=2) > limit[
                moving, None
            ]
            lower_beyond = (np.where(beyond, values, np.inf) < best[moving, None]).any(
                axis=1
            )
            values = np.where(beyond, np.inf, values)
            pick = values.argmin(axis=1)
            lowest = values[np.arange(len(moving)), pick]
            better = lowest < best[moving]
            if step == 1:
                escaped[moving] = lower_beyond & ~better
            if not better.any():
                break
            moving, pick, lowest = moving[better], pick[better], lowest[better]
            centre[moving] = trial[better, pick]
            best[moving] = lowest
    return centre, escaped


def _trial_asymmetry(image, neighbours, owner, centre, offsets, reach, sky, cap):
    """A of galaxies ``owner`` about ``centre + offset`` for every offset
    (all in half pixels), within ``reach`` pixels (at most ``cap``); shape
    (len(owner), n_offsets). ``neighbours`` is None where no pixel is
    masked.
    """
    pad = int(np.abs(offsets).max())
    # one window for every galaxy of this frame size, whatever the batch:
    # the same sums in any batch, so no float rounding tips a comparison
    size = 2 * cap + pad + 4
    tables = _aperture_tables(size, tuple(map(tuple, offsets)), cap)
    return _window_asymmetry(
        image, neighbours, owner, centre, offsets, reach, sky, size, tables
    )


def _window_asymmetry(
    image, neighbours, owner, centre, offsets, reach, sky, size, tables
):
    """``_trial_asymmetry`` in windows of side ``size``; ``tables`` are
    ``_aperture_tables`` for these offsets, or None to compute the apertures.

    One window around each centre and one of its mirror image are cut; a
    trial offset ``d`` shifts the mirror image by ``d`` pixels: a slice.
    """
    pad = int(np.abs(offsets).max())
    corner = (centre - (size - 1)) // 2
    rows = corner[:, 0:1] + np.arange(size)
    cols = corner[:, 1:2] + np.arange(size)
    window, inside = _gather(image, owner, rows, cols)
    # mirror[x + pad] is the pixel opposite window pixel x through the centre
    far = np.arange(-pad, size + pad)
    mirror_rows = centre[:, 0:1] - corner[:, 0:1] - far
    mirror_cols = centre[:, 1:2] - corner[:, 1:2] - far
    mirror, _ = _gather(image, owner, mirror_rows, mirror_cols)
    # every trial at once: (galaxy, offset, row, column)
    shifts = [
        (
            slice(None),
            slice(pad - dy, pad - dy + size),
            slice(pad - dx, pad - dx + size),
        )
        for dy, dx in offsets
    ]
    mirrored = np.stack([mirror[shift] for shift in shifts], axis=1)
    # the trial centre sits at (size - 1 + parity + offset) / 2 in the window,
    # parity 0 or 1: one aperture table per parity serves a whole batch
    parity = centre - 2 * corner - (size - 1)
    if tables is None:
        weight = _apertures(size, offsets, parity, reach)
    else:
        distance, at_cap, cap = tables
        weight = at_cap[parity[:, 0], parity[:, 1]]
        # most galaxies reach the cap; the others' discs are drawn here
        short = np.flatnonzero(reach < cap)
        if short.size:
            far = distance[parity[short, 0], parity[short, 1]]
            weight[short] = soft_disc(far, reach[short])
    m, n_offsets = len(owner), len(offsets)
    weight = weight.reshape(m, n_offsets, size * size)
    if neighbours is not None:
        keep = ~_gather(neighbours, owner, rows, cols)[0]
        if inside is not None:
            keep &= inside
        masked, _ = _gather(neighbours, owner, mirror_rows, mirror_cols)
        keep = keep[:, None] & ~np.stack([masked[shift] for shift in shifts], axis=1)
        weight = weight * keep.reshape(m, n_offsets, -1)
    elif inside is not None:
        weight = weight * inside.reshape(m, 1, -1)
    residual = np.subtract(window[:, None], mirrored, out=mirrored)
    residual = np.abs(residual, out=residual).reshape(m, n_offsets, -1, 1)
    # sums over the window as batched dot products, without a product array
    difference = (weight[:, :, None, :] @ residual)[:, :, 0, 0]
    flux = (weight @ np.abs(window).reshape(m, -1, 1))[:, :, 0]
    area = weight.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, (difference - area * sky[:, None]) / flux, np.inf)


def _apertures(size, offsets, parity, reach):
    """Pixel fractions inside a disc of ``reach`` about each trial centre;
    shape (len(parity), len(offsets), size, size)."""
    return soft_disc(_distances(size, offsets, parity), reach)


def _distances(size, offsets, parity):
    """Distance of each window pixel from each trial centre."""
    position = np.arange(size, dtype=np.float32)[None, None, :]
    half = (size - 1 + parity[:, None, :] + np.asarray(offsets)[None]) / 2
    cy, cx = half[..., 0].astype(np.float32), half[..., 1].astype(np.float32)
    return np.sqrt(
        ((position - cy[:, :, None]) ** 2)[..., None]
        + ((position - cx[:, :, None]) ** 2)[:, :, None, :]
    )


@functools.lru_cache(maxsize=16)
def _aperture_tables(size, offsets, cap):
    """The distances of ``_distances`` and the discs of radius ``cap`` for
    the four parities, indexed [parity_y, parity_x], and ``cap``: a few MB
    at most, one per frame size and step of the search."""
    parities = np.array([(py, px) for py in (0, 1) for px in (0, 1)])
    distance = _distances(size, offsets, parities)
    at_cap = soft_disc(distance, cap)
    for table in (distance, at_cap):
        table.flags.writeable = False
    shape = (2, 2, *distance.shape[1:])
    return distance.reshape(shape), at_cap.reshape(shape), cap


def _gather(array, owner, rows, cols):
    """``array[owner]`` at per-galaxy row and column indices; 0 (False)
    outside the frame, where ``inside`` is False (None: all inside)."""
    _, height, width = array.shape
    row_in = (rows >= 0) & (rows < height)
    col_in = (cols >= 0) & (cols < width)
    inside = None
    if not (row_in.all() and col_in.all()):
        inside = row_in[:, :, None] & col_in[:, None, :]
        rows, cols = np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)
    # one flat index: faster than indexing three axes at once
    index = (owner[:, None] * height + rows)[:, :, None] * width + cols[:, None, :]
    values = array.reshape(-1).take(index)
    if inside is not None:
        values = values & inside if array.dtype == bool else values * inside
    return values, inside


def _asymmetry(image, neighbours, centre, radius, sky_asymmetry):
    """A about centres given as twice their pixel coordinates, as statmorph:
    masked pixels and their mirror images are left out of both terms, and a
    mirror image beyond the frame counts as 0."""
    m, height, width = image.shape
    owner = np.arange(m)
    rows = centre[:, 0:1] - np.arange(height)
    cols = centre[:, 1:2] - np.arange(width)
    mirrored, _ = _gather(image, owner, rows, cols)
    yy = np.arange(height, dtype=np.float32)[None, :, None]
    xx = np.arange(width, dtype=np.float32)[None, None, :]
    dist = _distance(yy, xx, centre[:, 0] / 2, centre[:, 1] / 2)
    weight = soft_disc(dist, radius.astype(np.float32))
    if neighbours is not None:
        weight *= ~(neighbours | _gather(neighbours, owner, rows, cols)[0])
    area = weight.sum(axis=(1, 2))
    difference = (weight * np.abs(image - mirrored)).sum(axis=(1, 2))
    flux = (weight * np.abs(image)).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, (difference - area * sky_asymmetry) / flux, np.nan)


class _SkyBoxes:
    """The sky box of each galaxy (see ``find_sky_boxes``), for the background
    terms of A and S; both are 0 where no box is free, as in statmorph."""

    def __init__(self, image, top, left, side):
        self.groups = []
        for size in np.unique(side[side > 0]):
            index = np.flatnonzero(side == size)
            rows = top[index, None] + np.arange(size)
            cols = left[index, None] + np.arange(size)
            box = image[index[:, None, None], rows[:, :, None], cols[:, None, :]]
            self.groups.append((index, box))
        self.n = len(image)

    def asymmetry(self):
        """Mean |B - B rotated by 180 degrees| per sky pixel."""
        out = np.zeros(self.n)
        for index, box in self.groups:
            out[index] = np.abs(box - box[:, ::-1, ::-1]).mean(axis=(1, 2))
        return out

    def smoothness(self, boxcar):
        """Mean positive excess over the boxcar-smoothed box per sky pixel."""
        out = np.zeros(self.n)
        for index, box in self.groups:
            excess = np.maximum(box - _box_mean(box, boxcar[index]), 0)
            out[index] = excess.mean(axis=(1, 2))
        return out


def _smoothness(image, dist, r_petro, sky):
    """S of Lotz et al. (2004, eq. 11): light above a boxcar-smoothed copy, in
    an annulus from 0.25 to 1.5 Petrosian radii, less the sky's share."""
    box = np.maximum((_FRACTION_CAS * r_petro).astype(np.int64), 1)
    excess = np.maximum(image - _box_mean(image, box), 0)
    annulus = soft_disc(dist, _EXTENT_CAS * r_petro) - soft_disc(
        dist, _FRACTION_CAS * r_petro
    )
    sky = sky.smoothness(box)
    flux = (annulus * image).sum(axis=(1, 2))
    residual = (annulus * excess).sum(axis=(1, 2)) - annulus.sum(axis=(1, 2)) * sky
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, residual / flux, np.nan)


def _box_mean(image, size):
    """scipy's ``uniform_filter`` with a ``size`` box per galaxy (as statmorph,
    reflecting at the frame), one call per distinct size."""
    out = np.empty_like(image)
    for box in np.unique(size):
        index = np.flatnonzero(size == box)
        out[index] = ndimage.uniform_filter(image[index], size=(1, box, box))
    return out


def _gaussian_blur(image, sigma):
    """Gaussian blur with one sigma per galaxy, zero outside the frame.

    As scipy's ``gaussian_filter(mode="constant")``, statmorph's blur of the
    Gini segmap image (kernel to 4 sigma, normalised over its full extent),
    up to float32 rounding, as two batched matrix products: one per axis.
    """
    _, height, width = image.shape
    blurred = image @ _blur_matrix(width, sigma)
    return np.swapaxes(_blur_matrix(height, sigma), 1, 2) @ blurred


def _blur_matrix(n, sigma):
    """Per galaxy, the (n, n) matrix of a 1-d Gaussian blur along an axis."""
    sigma = np.nan_to_num(np.asarray(sigma, dtype=np.float64), nan=0.0)
    sigma = np.maximum(sigma, 1e-3)[:, None]
    radius = (4.0 * sigma + 0.5).astype(np.int64)
    # the whole kernel for the norm, though the frame may see less of it
    taps = np.arange(max(int(radius.max()), n) + 1)
    weights = np.where(taps <= radius, np.exp(-0.5 * (taps / sigma) ** 2), 0.0)
    norm = 2 * weights.sum(axis=1) - 1
    offset = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    table = (weights / norm[:, None]).astype(np.float32)
    return table[:, offset]


def _gini_m20(image, source, dy, dx, theta, elongation):
    """Gini and M20 (Lotz et al. 2004) over statmorph's Gini segmap: the
    image blurred by 0.2 elliptical Petrosian radii, above its mean at that
    radius, the region holding the source's brightest blurred pixel."""
    m, height, width = image.shape
    # a source without shape (one pixel) is taken as round
    stretch = np.nan_to_num(elongation, nan=1.0)
    cos, sin, stretch = (
        v.astype(np.float32)[:, None, None]
        for v in (np.cos(theta), np.sin(theta), stretch)
    )
    along, across = dx * cos + dy * sin, dy * cos - dx * sin
    ellip = np.hypot(along, across * stretch)
    r_ellip, found = CurveOfGrowth(image, ellip).petrosian_radius(_ETA)
    flags = np.where(found, 0, FLAGS["no_petrosian"])

    blurred = _gaussian_blur(image, _FRACTION_GINI * r_ellip)
    ring = soft_disc(ellip, r_ellip + 0.5) - soft_disc(ellip, r_ellip - 0.5)
    ring_area = ring.sum(axis=(1, 2))
    level = (ring * blurred).sum(axis=(1, 2)) / np.maximum(ring_area, 1e-12)
    level = np.where(ring_area > 0, level, np.inf)
    above = blurred >= level[:, None, None]
    regions, _ = label_sources(above)
    # statmorph keeps the region of the stamp's brightest blurred pixel; the
    # brightest within the galaxy's own segment, so a brighter neighbour
    # left in the image cannot take the segmap over
    brightest = np.where(source, blurred, -np.inf).reshape(m, -1).argmax(axis=1)
    region_id = take(regions.reshape(m, -1), brightest)
    segmap = (regions == region_id[:, None, None]) & (region_id > 0)[:, None, None]
    size = segmap.sum(axis=(1, 2))
    bad = (size < 2) | (size == height * width)
    flags |= np.where(bad, FLAGS["gini_segmap"], 0)

    values = np.where(segmap, np.abs(image), np.float32(-1)).reshape(m, -1)
    values.sort(axis=1)
    rank = np.arange(1, values.shape[1] + 1) - (values.shape[1] - size)[:, None]
    values[rank < 1] = 0
    total = values.sum(axis=1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = np.einsum("ij,ij->i", rank, values, dtype=np.float64)
        gini = (2 * weighted - (size + 1) * total) / ((size - 1) * total)
    gini = np.where((size >= 2) & (total > 0), gini, np.nan)

    light = np.where(segmap, image, 0)
    flux = light.sum(axis=(1, 2), dtype=np.float64)
    yy = np.arange(height, dtype=np.float32)[None, :, None]
    xx = np.arange(width, dtype=np.float32)[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        yc = ((light * yy).sum(axis=(1, 2), dtype=np.float64) / flux).astype(np.float32)
        xc = ((light * xx).sum(axis=(1, 2), dtype=np.float64) / flux).astype(np.float32)
    dy, dx = yy - yc[:, None, None], xx - xc[:, None, None]
    moment = light * (dy**2 + dx**2)
    cut = _m20_cut(values, light, flux)
    brightest_moment = np.where(light >= cut[:, None, None], moment, 0).sum(
        axis=(1, 2), dtype=np.float64
    )
    total_moment = moment.sum(axis=(1, 2), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m20 = np.log10(brightest_moment / total_moment)
    valid = (flux > 0) & (brightest_moment > 0) & (total_moment > 0) & ~bad
    inner, _ = _shape(np.maximum(light, 0), dy, dx)
    return gini, np.where(valid, m20, np.nan), np.where(bad, np.nan, inner), flags


def _m20_cut(values, light, flux):
    """statmorph's M20 threshold: sorting the image ascending, the value
    where the cumulative sum first reaches 80% of the flux; the pixels at or
    above it are the brightest 20% of the light.

    Read from the top of the Gini sort (``values``: |pixel| ascending, 0
    outside the segmap): the (c+1)-th brightest value, c being how many of
    the brightest sum to at most 20% of the flux. That equals statmorph's
    signed sort unless a negative pixel is brighter in magnitude than the
    threshold, where the image is sorted again.
    """
    m, n_pixels = values.shape
    brightest = values[:, ::-1]
    # past the largest segmap the values are 0: the sums stop growing there
    columns = min(int(np.count_nonzero(values, axis=1).max()) + 1, n_pixels)
    top = np.cumsum(brightest[:, :columns], axis=1, dtype=np.float64)
    count = (top <= 0.2 * flux[:, None]).sum(axis=1)
    cut = take(brightest, np.minimum(count, n_pixels - 1))
    unsafe = np.flatnonzero(-light.min(axis=(1, 2)) >= cut)
    if unsafe.size:
        ordered = np.sort(light[unsafe].reshape(len(unsafe), -1), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.cumsum(ordered, axis=1, dtype=np.float64) / flux[unsafe, None]
        cut[unsafe] = take(ordered, (fraction >= 0.8).argmax(axis=1))
    return cut


def _shape(weight, dy, dx):
    """Elongation (major over minor axis) and position angle from the
    ``weight``-ed second moments about the centre ``(dy, dx)`` offsets."""
    total = weight.sum(axis=(1, 2)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        myy = np.einsum("nij,nij,nij->n", weight, dy, dy) / total
        mxx = np.einsum("nij,nij,nij->n", weight, dx, dx) / total
        mxy = np.einsum("nij,nij,nij->n", weight, dx, dy) / total
    half_trace = (mxx + myy) / 2
    spread = np.hypot((mxx - myy) / 2, mxy)
    major, minor = half_trace + spread, half_trace - spread
    # no extent across (one pixel, or one row of them): no shape
    flat = ~(minor > 1e-6 * major)
    with np.errstate(divide="ignore", invalid="ignore"):
        elongation = np.where(flat, np.nan, np.sqrt(major / np.where(flat, 1, minor)))
    return elongation, 0.5 * np.arctan2(2 * mxy, mxx - myy)


def _sersic_index(growth, r50, r_petro):
    """Sersic index of the azimuthally averaged profile out to 1.5 Petrosian
    radii: a grid search over the index and the effective radius, with the
    amplitude solved by least squares, weighted by the pixels per annulus."""
    radii = np.arange(1.0, growth.radii[-1] - 1)
    outer = growth.flux_at(radii[None] + 0.5)
    inner = growth.flux_at(radii[None] - 0.5)
    area = growth.area_at(radii[None] + 0.5) - growth.area_at(radii[None] - 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        profile = (outer - inner) / area
    use = (area > 0) & (radii[None] <= _EXTENT_CAS * r_petro[:, None])
    weight = np.where(use, area, 0.0)
    profile = np.where(use, profile, 0.0)
    n = _SERSIC_N[:, None, None]
    r_e = np.nan_to_num(r50)[:, None, None, None] * _SERSIC_RE[None, None, :, None]
    scaled = radii / np.maximum(r_e, 1e-3)  # (m, 1, n_re, n_r)
    model = np.exp(-sersic_b(n)[None] * (scaled ** (1 / n[None]) - 1))
    w, p = weight[:, None, None, :], profile[:, None, None, :]
    amplitude = (w * model * p).sum(-1) / np.maximum((w * model**2).sum(-1), 1e-30)
    misfit = (w * (p - amplitude[..., None] * model) ** 2).sum(-1)
    best = misfit.reshape(len(misfit), -1).argmin(axis=1) // len(_SERSIC_RE)
    enough = use.sum(axis=1) >= 3
    return np.where(enough & np.isfinite(r50), _SERSIC_N[best], np.nan)
