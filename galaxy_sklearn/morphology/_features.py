"""MorphologyFeatures: the classical non-parametric morphology as a transformer."""

from __future__ import annotations

import contextlib
import functools
import numbers
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from .._validation import effective_n_jobs
from ..datasets._checks import check_int
from ..preprocessing._base import ImageTransformerMixin
from ._measure import FLAGS, feature_names, measure_morphology


class MorphologyFeatures(ImageTransformerMixin):
    """Concentration, asymmetry, smoothness, Gini, M20 and shape per galaxy.

    For each image the sky level and noise are estimated from the frame
    (median and MAD of a border about 1/13 of the side wide), sources are
    detected above ``threshold`` sky sigmas after a Gaussian smoothing (where
    the frame has no measurable noise, above ``threshold`` thousandths of
    the smoothed peak), the
    source nearest the centre is the galaxy (the other sources are left out
    of its segment, and with ``mask_neighbours`` out of the image too), and
    then, as statmorph (Rodriguez-Gomez et al. 2019) defines them:

    - ``concentration`` C = 5 log10(r80 / r20), radii holding 20% and 80% of
      the light within 1.5 circular Petrosian radii (Conselice 2003);
    - ``asymmetry`` A, the normalised residual of a 180-degree rotation
      within 1.5 Petrosian radii, less the sky's, about the centre that
      minimises it (Conselice 2003; Lotz et al. 2004, eq. 10);
    - ``smoothness`` S (clumpiness), the light above a boxcar-smoothed copy
      between 0.25 and 1.5 Petrosian radii, less the sky's (Lotz et al.
      2004, eq. 11, without Conselice's factor 10); as in statmorph the box
      is ``int(0.25 Rp)`` pixels, so S is 0 for Petrosian radii under 8 px;
    - ``gini`` and ``m20`` over the Gini segmap (pixels of the image blurred
      by 0.2 elliptical Petrosian radii above its mean at that radius) (Lotz
      et al. 2004);
    - ``inner_concentration`` and ``outer_concentration``, 5 log10(r50/r20)
      and 5 log10(r80/r50), the two halves of C, and ``inner_asymmetry``, A
      within the half-light radius;
    - ``ellipticity`` (1 - b/a) and ``elongation`` (a/b) from the second
      moments of the source's light, ``inner_ellipticity`` from the light of
      the Gini segmap and ``outer_ellipticity`` from the source's pixels
      above the sky weighted alike (the detection isophote);
    - ``r20``, ``half_light_radius`` (r50) and ``r80`` within 1.5 Petrosian
      radii, and ``petrosian_radius`` (circular, eta = 0.2), in pixels;
    - ``flux`` of the mean of the bands within 2 Petrosian radii, in the
      units of the input (uint8 images are not rescaled);
    - ``colour_i_j`` = -2.5 log10(F_i / F_j) between consecutive bands
      within the same aperture, and ``inner_colour_i_j`` within the
      half-light radius: the colour gradient of Park & Choi (2005) (none for
      single-band images);
    - ``sersic_n`` with ``sersic=True``: the Sersic index that best fits the
      azimuthally averaged profile (grid search, no PSF);
    - ``flag``: a bit field of what went wrong, 0 when nothing did.

    Every step runs on the whole batch at once (no loop over galaxies): the
    labelling, the radial profiles, the search for the centre of least
    asymmetry and the per-galaxy smoothing scales are vectorised, which
    makes it hundreds of times faster than statmorph for the same
    statistics (see ``benchmarks/morphology.py``).

    Undefined statistics are NaN, never a guess or an infinity, and ``flag``
    says why (a statistic whose formula has no value for the source, such
    as C for a one-pixel source, is NaN without a bit of its own):

    ====  =====================  ==============================================
    bit   name                   meaning
    ====  =====================  ==============================================
    1     ``no_source``          nothing detected: every statistic is NaN
    2     ``edge``               the source touches the frame
    4     ``no_petrosian``       no circular Petrosian radius
                                 (``petrosian_radius`` NaN; apertures use
                                 the diagonal, or 1 px if the profile starts
                                 below eta) or no elliptical one (Gini
                                 segmap blurred by the same fallback)
    8     ``non_positive_flux``  no positive flux in the source: all NaN
    16    ``gini_segmap``        the Gini segmap is empty or the whole frame
    ====  =====================  ==============================================

    Parameters
    ----------
    threshold : float, default=2.0
        Detection threshold, in sky standard deviations.
    smoothing : float, default=1.5
        Sigma (pixels) of the Gaussian applied before detection.
    min_area : int, default=10
        Smallest source, in pixels.
    border : int or None, default=None
        Width in pixels of the frame that estimates the sky; None for about
        1/13 of the image side.
    sersic : bool, default=False
        Add ``sersic_n``.
    mask_neighbours : bool, default=False
        Set every source but the central one to the sky, and leave it and its
        mirror image out of the asymmetry, as statmorph does when given a
        segmentation map of all sources. By default the neighbours stay in
        the image, outside the galaxy's segment, as statmorph does when given
        the central segment only: a companion within the aperture then
        raises A, the merger signal, and adds to C and the radii.
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` to read flat rows as images.
    n_jobs : int or None, default=None
        Threads working on batches of images; None uses every core, and a
        negative value counts back from it as in joblib (-1 every core).
    batch_size : int, default=128
        Images measured at once (memory grows with it).

    Attributes
    ----------
    n_features_in_ : int
        Pixel values per image seen in ``fit``.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images seen in ``fit``.

    See Also
    --------
    galaxy_sklearn.datasets.make_sersic_profiles : profiles with known answers.

    References
    ----------
    * Conselice, C. J. 2003, ApJS, 147, 1.
    * Lotz, J. M., Primack, J., & Madau, P. 2004, AJ, 128, 163.
    * Park, C., & Choi, Y.-Y. 2005, ApJ, 635, L29.
    * Rodriguez-Gomez, V., et al. 2019, MNRAS, 483, 4140 (statmorph).

    Examples
    --------
    >>> from galaxy_sklearn.datasets import make_sersic_profiles
    >>> from galaxy_sklearn.morphology import MorphologyFeatures
    >>> images = make_sersic_profiles([1.0, 4.0], 5.0, image_size=64,
    ...                               noise=1.0, random_state=0)
    >>> features = MorphologyFeatures().fit_transform(images)
    >>> names = list(MorphologyFeatures().fit(images).get_feature_names_out())
    >>> c = features[:, names.index("concentration")]
    >>> bool(c[1] > c[0] + 1)  # a de Vaucouleurs profile is more concentrated
    True
    """

    def __init__(
        self,
        threshold=2.0,
        smoothing=1.5,
        min_area=10,
        border=None,
        sersic=False,
        mask_neighbours=False,
        image_shape=None,
        n_jobs=None,
        batch_size=128,
    ):
        self.threshold = threshold
        self.smoothing = smoothing
        self.min_area = min_area
        self.border = border
        self.sersic = sersic
        self.mask_neighbours = mask_neighbours
        self.image_shape = image_shape
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _check_params(self):
        for name, low in (("threshold", 0.0), ("smoothing", 0.0)):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not np.isfinite(value)
                or value < low
            ):
                raise ValueError(f"{name} must be a number >= {low}, got {value!r}.")
        check_int(self.min_area, "min_area", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        if self.border is not None:
            check_int(self.border, "border", minimum=1)
        for name in ("sersic", "mask_neighbours"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"{name} must be True or False, got {getattr(self, name)!r}."
                )
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool)
            or not isinstance(self.n_jobs, numbers.Integral)
            or self.n_jobs == 0
        ):
            raise ValueError(
                f"n_jobs must be a non-zero integer or None, got {self.n_jobs!r}."
            )

    def transform(self, X):
        """Measure every galaxy.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Images (uint8 or any float; fluxes or display values), of the
            shape seen in ``fit`` when fitted.

        Returns
        -------
        features : ndarray of shape (n, n_features_out), float64
            Columns named by :meth:`get_feature_names_out`; NaN where a
            statistic is undefined, as ``flag`` says.
        """
        images = self._images(X)
        names = feature_names(images.shape[-1], self.sersic)
        # at least one batch per thread, so a small call still uses every core
        n_threads = self._threads(len(images))
        size = min(self.batch_size, -(-len(images) // n_threads))
        batches = [images[s : s + size] for s in range(0, len(images), size)]
        # the batches are the parallelism: BLAS threads on top of them would
        # fight over the same cores
        with _one_blas_thread():
            parts = _thread_map(self._measure, batches, n_threads)
        columns = [np.concatenate([p[name] for p in parts]) for name in names]
        return np.stack(columns, axis=1).astype(np.float64)

    def _measure(self, images):
        return measure_morphology(
            images,
            threshold=self.threshold,
            smoothing=self.smoothing,
            min_area=self.min_area,
            border=self.border,
            sersic=self.sersic,
            mask_neighbours=self.mask_neighbours,
        )

    def _threads(self, n_images):
        return max(1, min(effective_n_jobs(self.n_jobs), n_images))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored (the columns depend on the number of bands only).

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "image_shape_")
        return np.asarray(
            feature_names(self.image_shape_[-1], self.sersic), dtype=object
        )


#: Bits of the ``flag`` column, by name.
MORPHOLOGY_FLAGS = dict(FLAGS)


@functools.cache
def _blas_threads():
    # found once: looking up the loaded libraries takes milliseconds a call
    return ThreadpoolController()


_blas_lock = threading.Lock()
_blas_limit = {"users": 0, "limiter": None}


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS on one thread while any ``transform`` runs. The limit is
    process-wide: concurrent calls share one, set by the first to enter and
    undone by the last to leave, so BLAS gets its own setting back."""
    with _blas_lock:
        if _blas_limit["users"] == 0:
            _blas_limit["limiter"] = _blas_threads().limit(limits=1, user_api="blas")
        _blas_limit["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_limit["users"] -= 1
            if _blas_limit["users"] == 0:
                _blas_limit["limiter"].restore_original_limits()


def _thread_map(func, items, n_threads):
    """``[func(item) for item in items]`` on ``n_threads`` threads, the
    caller's among them: its memory is already in use (a new thread's first
    large arrays cost page faults) and one thread fewer starts. The first
    error stops the others taking more items and is raised."""
    results = [None] * len(items)
    order = iter(range(len(items)))
    lock, failed = threading.Lock(), threading.Event()

    def work():
        while not failed.is_set():
            with lock:
                i = next(order, None)
            if i is None:
                return
            try:
                results[i] = func(items[i])
            except BaseException:
                failed.set()
                raise

    if n_threads <= 1:
        work()
        return results
    with ThreadPoolExecutor(n_threads - 1) as pool:
        helpers = [pool.submit(work) for _ in range(n_threads - 1)]
        try:
            work()
        finally:
            errors = [h.exception() for h in helpers]
    for error in errors:
        if error is not None:
            raise error
    return results
