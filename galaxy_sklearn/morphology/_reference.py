"""statmorph on a batch, the reference MorphologyFeatures is checked against.

Used by ``benchmarks/morphology.py`` and the tests; statmorph and photutils
are optional dependencies (``pip install -e .[benchmarks]``).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.ndimage import gaussian_filter

#: MorphologyFeatures column -> statmorph attribute.
STATMORPH_NAMES = {
    "concentration": "concentration",
    "asymmetry": "asymmetry",
    "gini": "gini",
    "m20": "m20",
    "smoothness": "smoothness",
    "petrosian_radius": "rpetro_circ",
    "half_light_radius": "r50",
}


def run_statmorph(gray, central_only=False):
    """statmorph on each single-band image, segmented as
    ``shared/acceptance/check_morphology.py`` does, with MorphologyFeatures'
    default detection: sky from the frame's median and MAD (plus 1e-3),
    photutils' ``detect_sources`` at 2 sigma after a 1.5 px Gaussian, 10 px
    minimum; the source under the centre, else the largest (MorphologyFeatures
    takes the nearest to the centre).

    With ``central_only`` statmorph gets a segmap of the central source
    alone, so the neighbours stay in the image; else every source is
    labelled and statmorph masks the neighbours.

    Returns ``(values, seconds_per_galaxy)``: a dict of arrays keyed by
    statmorph's names, NaN where nothing is detected or statmorph returns
    -99 (invalid).
    """
    import statmorph
    from photutils.segmentation import detect_sources

    out = {key: np.full(len(gray), np.nan) for key in STATMORPH_NAMES.values()}
    height, width = gray.shape[1:]
    border = max(1, round(min(height, width) / 13))
    frame = np.ones((height, width), bool)
    frame[border:-border, border:-border] = False
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, image in enumerate(np.asarray(gray, dtype=float)):
            sky = np.median(image[frame])
            sigma = 1.4826 * np.median(np.abs(image[frame] - sky)) + 1e-3
            image = image - sky
            segmap = detect_sources(gaussian_filter(image, 1.5), 2 * sigma, npixels=10)
            if segmap is None:
                continue
            label = segmap.data[height // 2, width // 2] or (
                np.bincount(segmap.data.ravel())[1:].argmax() + 1
            )
            if central_only:
                central = (segmap.data == label).astype(int)
                morph = statmorph.source_morphology(image, central, gain=100.0)[0]
            else:
                morph = statmorph.SourceMorphology(image, segmap, label, gain=100.0)
            for key in out:
                value = getattr(morph, key)
                out[key][i] = np.nan if value == -99.0 else value
    return out, (time.perf_counter() - start) / len(gray)
