"""Decode survey JPEGs straight to small centre-cropped images, in parallel."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._validation import effective_n_jobs


def _crop_box(width: int, height: int, crop) -> tuple[float, float, float, float]:
    if crop is None:
        return 0.0, 0.0, float(width), float(height)
    ch, cw = crop
    if ch > height or cw > width:
        raise ValueError(
            f"crop={crop} is larger than the image ({height}, {width}); pass a "
            "smaller crop or crop=None."
        )
    # whole-pixel offsets, rounded down, as in CenterCropResize
    left, top = (width - cw) // 2, (height - ch) // 2
    return float(left), float(top), float(left + cw), float(top + ch)


def read_jpeg(path, crop=None, image_size=None) -> np.ndarray:
    """One RGB image, centre-cropped to ``crop`` and resized to ``image_size``.

    The JPEG decoder itself downscales by 2, 4 or 8 when that still leaves
    at least ``image_size`` pixels across the crop (DCT scaling, an area
    average), which makes loading several times faster.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            box = _crop_box(width, height, crop)
            if image_size is not None:
                out_h, out_w = image_size
                scale = min((box[2] - box[0]) / out_w, (box[3] - box[1]) / out_h)
                if scale >= 2 and image.format == "JPEG":
                    image.draft("RGB", (int(width / scale), int(height / scale)))
                    factor = width / image.size[0]
                    box = tuple(v / factor for v in box)
            image = image.convert("RGB")
            if image_size is None:
                image = image.crop(tuple(int(v) for v in box))
            else:
                image = image.resize((out_w, out_h), Image.Resampling.BILINEAR, box=box)
            return np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"Could not decode the image {os.fspath(path)!r}: {exc}"
        ) from exc


def read_jpegs(paths, crop=None, image_size=None, n_jobs=None) -> np.ndarray:
    """Decode ``paths`` into one ``(n, H, W, 3)`` uint8 array, on ``n_jobs`` threads.

    Pillow releases the GIL while decoding, so threads scale with cores.
    All images must come out the same size (give ``crop`` or ``image_size``
    when the files differ).
    """
    paths = list(paths)
    if not paths:
        raise ValueError("No images to read.")
    n_jobs = effective_n_jobs(n_jobs)
    first = read_jpeg(paths[0], crop, image_size)
    out = np.empty((len(paths), *first.shape), dtype=np.uint8)
    out[0] = first

    def load(index):
        image = read_jpeg(paths[index], crop, image_size)
        if image.shape != first.shape:
            raise ValueError(
                f"{os.fspath(paths[index])!r} gives an image of shape {image.shape}, "
                f"but {os.fspath(paths[0])!r} gives {first.shape}; pass crop or "
                "image_size to bring them to one size."
            )
        out[index] = image

    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        # list() re-raises the first error from a worker
        list(pool.map(load, range(1, len(paths))))
    return out
