"""Curves of growth and the radii read from them, for a whole batch at once.

A pixel is a unit square, so a circle of radius ``r`` covers a pixel whose
centre is at distance ``d`` by about ``clip(r - d + 1/2, 0, 1)``. Binning the
pixels by distance and averaging the cumulative sums over ``r +- 1/2`` gives
that coverage for every radius in one pass: close to what photutils' exact
apertures give one aperture at a time (statmorph's way).
"""

from __future__ import annotations

import numpy as np

#: Radial bin of the curves of growth, in pixels.
RADIAL_STEP = 0.25
_HALF_PIXEL = int(round(0.5 / RADIAL_STEP))


def soft_disc(dist: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Fraction of each pixel inside a circle of ``radius`` (one per galaxy,
    the first axis of ``dist``, or one for all)."""
    radius = np.asarray(radius, dtype=dist.dtype)
    radius = radius.reshape((-1,) + (1,) * (dist.ndim - 1))
    return np.clip(radius + dist.dtype.type(0.5) - dist, 0, 1)


def take(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[i, index[i]]`` for every row ``i``; ``index`` is (n,) or (n, m)."""
    index = np.asarray(index)
    rows = np.arange(len(values))
    if index.ndim == 1:
        return values[rows, index]
    # plain indexing: take_along_axis costs more than the lookup itself
    return values[rows[:, None], index.reshape(len(values), -1)]


class CurveOfGrowth:
    """Flux and pixel area within distance ``r`` of a centre, per galaxy.

    Parameters
    ----------
    image : ndarray of shape (n, H, W)
        Sky-subtracted images.
    dist : ndarray of shape (n, H, W)
        Distance of each pixel from the galaxy's centre (circular or
        elliptical, in the units of the radii asked for).
    """

    def __init__(self, image: np.ndarray, dist: np.ndarray):
        n = len(image)
        n_bins = int(dist.max() / RADIAL_STEP) + 2 if n else 2
        flat = (dist * dist.dtype.type(1 / RADIAL_STEP)).astype(np.intp)
        flat += (np.arange(n) * n_bins)[:, None, None]
        flux = np.bincount(flat.ravel(), image.ravel(), minlength=n * n_bins)
        area = np.bincount(flat.ravel(), minlength=n * n_bins).astype(np.float64)
        self.flux = _pixel_footprint(flux.reshape(n, n_bins))
        self.area = _pixel_footprint(area.reshape(n, n_bins))
        self.radii = np.arange(self.flux.shape[1]) * RADIAL_STEP
        self.diagonal = float(np.hypot(*image.shape[1:]))
        self.farthest = dist.reshape(n, -1).max(axis=1) if n else np.zeros(0)

    def _at(self, curve: np.ndarray, r) -> np.ndarray:
        return self._interpolate(r)(curve)

    def _interpolate(self, r):
        """Linear interpolation of a curve at radii ``r``: a function of the
        curve, so the flux and area curves share the index arithmetic."""
        t = np.clip(np.asarray(r, dtype=np.float64) / RADIAL_STEP, 0, None)
        n, last = self.flux.shape[0], self.flux.shape[1] - 1
        if t.ndim == 2:
            t = np.broadcast_to(t, (n, t.shape[1]))
        i0 = np.minimum(t.astype(np.int64), last - 1)
        frac = np.minimum(t - i0, 1.0)

        def at(curve):
            return (1 - frac) * take(curve, i0) + frac * take(curve, i0 + 1)

        return at

    def flux_at(self, r) -> np.ndarray:
        """Flux within radius ``r``, shape (n,) or (n, m)."""
        return self._at(self.flux, r)

    def area_at(self, r) -> np.ndarray:
        """Pixel area within radius ``r`` (inside the image only)."""
        return self._at(self.area, r)

    def radius_of_flux(self, target: np.ndarray) -> np.ndarray:
        """Smallest radius enclosing ``target`` flux (first crossing), per galaxy.

        NaN where the curve never reaches the target.
        """
        above = self.flux >= target[:, None]
        found = above.any(axis=1)
        k = np.maximum(above.argmax(axis=1), 1)
        lo, hi = take(self.flux, k - 1), take(self.flux, k)
        frac = np.where(hi > lo, (target - lo) / np.where(hi > lo, hi - lo, 1), 0)
        r = (k - 1 + np.clip(frac, 0, 1)) * RADIAL_STEP
        return np.where(found, r, np.nan)

    def _petrosian_excess(self, r, eta, annulus):
        """Mean surface brightness in ``r +- annulus/2`` over the mean within
        ``r``, minus ``eta``; NaN where the ring holds no pixels."""
        k = r.shape[1]
        at = self._interpolate(np.concatenate([r - annulus / 2, r, r + annulus / 2], 1))
        flux, area = at(self.flux), at(self.area)
        ring_area = area[:, 2 * k :] - area[:, :k]
        ring_flux = flux[:, 2 * k :] - flux[:, :k]
        with np.errstate(divide="ignore", invalid="ignore"):
            ring = np.abs(ring_flux / ring_area)
            inner = np.abs(flux[:, k : 2 * k] / area[:, k : 2 * k])
            return np.where(ring_area > 0, ring / inner - eta, np.nan)

    def petrosian_radius(self, eta=0.2, annulus=1.0, n_coarse=100):
        """Radius where the mean surface brightness in an annulus ``r +- 1/2``
        falls to ``eta`` times the mean within ``r`` (Petrosian 1976).

        Searched as statmorph does: the first crossing on ``n_coarse`` radii
        from ``annulus`` to the image diagonal, so a noise dip between them
        is not taken, then the first crossing inside that bracket on the
        fine grid. Returns ``(radius, found)``; where the profile never
        falls that far the radius is the diagonal, and where it starts
        below, ``annulus``; ``found`` is False for both.
        """
        n = len(self.flux)
        coarse = np.linspace(annulus, self.diagonal, n_coarse)
        excess = self._petrosian_excess(
            np.broadcast_to(coarse, (n, n_coarse)), eta, annulus
        )
        # an empty ring ends the search beyond the last pixel; nearer in it is
        # a ring too thin to hold a pixel centre (a very elongated ellipse)
        beyond = coarse[None, :] - annulus / 2 > self.farthest[:, None]
        below = (excess <= 0) | (np.isnan(excess) & beyond)
        crossed = below.any(axis=1)
        j = below.argmax(axis=1)
        found = crossed & (j > 0)
        low = coarse[np.maximum(j - 1, 0)]
        steps = int(np.ceil((coarse[1] - coarse[0]) / RADIAL_STEP)) + 1
        fine = low[:, None] + RADIAL_STEP * np.arange(steps)
        fine = np.minimum(fine, coarse[j][:, None])
        fine_excess = self._petrosian_excess(fine, eta, annulus)
        fine_below = (fine_excess <= 0) | (
            np.isnan(fine_excess) & (fine - annulus / 2 > self.farthest[:, None])
        )
        i = np.maximum(fine_below.argmax(axis=1), 1)
        e_lo, e_hi = take(fine_excess, i - 1), take(fine_excess, i)
        r_lo, r_hi = take(fine, i - 1), take(fine, i)
        usable = np.isfinite(e_hi) & (e_lo > e_hi)
        frac = np.where(usable, e_lo / np.where(usable, e_lo - e_hi, 1), 1.0)
        radius = r_lo + np.clip(frac, 0, 1) * (r_hi - r_lo)
        radius = np.where(found, radius, np.where(crossed, annulus, self.diagonal))
        return radius, found


def _pixel_footprint(hist: np.ndarray) -> np.ndarray:
    """Cumulative sum of a radial histogram, averaged over ``r +- 1/2`` px.

    Column ``i`` of the result is the mean over ``r = i * RADIAL_STEP +- 1/2``
    (trapezoid rule) of the flux at distances below ``r``.
    """
    n, n_bins = hist.shape
    m = _HALF_PIXEL
    # cum[:, i] is the flux below r = (i - m) * RADIAL_STEP
    cum = np.zeros((n, n_bins + 2 * m + 1))
    cum[:, m + 1 : m + 1 + n_bins] = np.cumsum(hist, axis=1)
    cum[:, m + 1 + n_bins :] = cum[:, m + n_bins : m + 1 + n_bins]
    running = np.cumsum(cum, axis=1)
    window = running[:, 2 * m :] - running[:, : -2 * m]
    return (window + 0.5 * (cum[:, : -2 * m] - cum[:, 2 * m :])) / (2 * m)
