"""Shared figure plumbing: new axes, image display, class names."""

from __future__ import annotations

import numpy as np

from .._validation import check_images


def single_axes(ax=None, figsize=None):
    """``(figure, ax)``: ``ax`` and its figure when given, else a new pair."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def grid_axes(nrows, ncols, *, figsize=None, **kwargs):
    """A new figure and a 2-D array of axes."""
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kwargs)


def display_images(X, image_shape=None, *, reference=None, unit_range=False):
    """Images as ``imshow`` takes them: floats in [0, 1], RGB or one band.

    uint8 images are read as 0-255 and float images with ``unit_range`` as
    0-1; other float images are stretched per image between their 1st and
    99.5th percentiles (those of ``reference``, images of the same shape,
    when given), so survey fluxes of any scale show their structure. Three
    or more bands show the first three as RGB; one or two show their mean.
    """
    images = check_images(X, image_shape=image_shape)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    elif not unit_range:
        base = images if reference is None else check_images(reference)
        low = np.percentile(base, 1, axis=(1, 2, 3), keepdims=True)
        high = np.percentile(base, 99.5, axis=(1, 2, 3), keepdims=True)
        images = (images - low) / np.where(high > low, high - low, 1.0)
    images = np.clip(images, 0.0, 1.0)
    if images.shape[-1] >= 3:
        return images[..., :3]
    return images.mean(axis=-1)


def show_image(ax, image) -> None:
    """One display image on ``ax``, without ticks."""
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])


def class_names(labels, names=None) -> list[str]:
    """Display names of ``labels``: ``names[label]`` for integer labels and a
    list of names, ``names[label]`` for a dict, else ``str(label)``."""
    out = []
    for label in labels:
        if isinstance(names, dict):
            out.append(str(names.get(label, label)))
        elif names is not None and isinstance(label, (int, np.integer)):
            out.append(str(names[label]) if 0 <= label < len(names) else str(label))
        else:
            out.append(str(label))
    return out
