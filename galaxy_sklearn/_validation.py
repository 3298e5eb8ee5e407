"""The one place that turns what a user passes into a batch of images.

Every estimator calls :func:`check_images`; nothing else in the package
re-validates. The rules (also in the user guide, ``docs/input.rst``):

* ``(n, H, W, C)``: channels-last images, the Galaxy10 / PIL convention.
* ``(n, H, W)``: single-band images (``C = 1``).
* ``(n, n_features)``: flat rows, as scikit-learn tools pass them. With
  ``image_shape=(H, W)`` or ``(H, W, C)`` each row is reshaped in C order, the
  inverse of ``X.reshape(len(X), -1)`` on channels-last images. Without
  ``image_shape`` the shape is inferred: square single-band images when
  ``n_features`` is a perfect square, else square three-band images when
  ``n_features / 3`` is one, else a ``1 x n_features`` single-band strip.
  Once fitted, rows are always read with the fitted image shape.

``uint8`` pixels are kept as ``uint8`` (they mean 0-255 and are scaled to
[0, 1] on the device, batch by batch); every other numeric type becomes
``float32`` and keeps its values.
"""

from __future__ import annotations

import math
import os

import numpy as np
from sklearn.utils.validation import (
    assert_all_finite,
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

__all__ = ["check_images", "effective_n_jobs", "infer_image_shape", "record_images"]


def infer_image_shape(n_features: int) -> tuple[int, int, int]:
    """The ``(H, W, C)`` that flat rows of ``n_features`` values are read as.

    Parameters
    ----------
    n_features : int
        Number of values per row.

    Returns
    -------
    image_shape : tuple of int
        ``(s, s, 1)`` if ``n_features == s * s``, else ``(s, s, 3)`` if
        ``n_features == 3 * s * s``, else ``(1, n_features, 1)``.

    Examples
    --------
    >>> infer_image_shape(64 * 64), infer_image_shape(3 * 32 * 32)
    ((64, 64, 1), (32, 32, 3))
    >>> infer_image_shape(10)
    (1, 10, 1)
    """
    side = math.isqrt(n_features)
    if side * side == n_features:
        return side, side, 1
    if n_features % 3 == 0:
        side = math.isqrt(n_features // 3)
        if 3 * side * side == n_features:
            return side, side, 3
    return 1, n_features, 1


def _normalise_image_shape(image_shape) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in image_shape)
    except TypeError:
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels), "
            f"got {image_shape!r}."
        ) from None
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels) "
            f"of positive integers, got {image_shape!r}."
        )
    return shape if len(shape) == 3 else (*shape, 1)


def _ndim(X) -> int:
    if hasattr(X, "shape"):
        return len(X.shape)
    return np.asarray(X).ndim


def _as_pixels(X: np.ndarray) -> np.ndarray:
    """uint8 stays uint8; every other numeric dtype becomes float32."""
    if X.dtype == np.uint8:
        return X
    X = X.astype(np.float32, copy=False)
    assert_all_finite(X, input_name="X")
    return X


def check_images(
    X,
    *,
    estimator=None,
    image_shape=None,
    reset: bool = True,
) -> np.ndarray:
    """Validate ``X`` and return it as channels-last images ``(n, H, W, C)``.

    Parameters
    ----------
    X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        Images. See the module docstring for the layout rules.
    estimator : estimator instance, default=None
        With ``reset=False``, the fitted estimator that ``X`` is checked
        against (``n_features_in_``, ``image_shape_``, feature names). Nothing
        is recorded on it here: a fit calls :func:`record_images` once it has
        succeeded, so a failed call never changes fitted state.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` for flat rows before the fit.
    reset : bool, default=True
        Whether this call is a fit (any image shape) or not (the fitted one).

    Returns
    -------
    images : ndarray of shape (n, H, W, C), dtype uint8 or float32
        A view of ``X`` where no conversion is needed.

    Raises
    ------
    ValueError
        For NaN or infinite values, empty input, a rank other than 2, 3 or 4,
        or images whose shape differs from the fitted one.

    Examples
    --------
    >>> import numpy as np
    >>> check_images(np.zeros((5, 8, 8, 3), dtype=np.uint8)).shape
    (5, 8, 8, 3)
    >>> check_images(np.zeros((5, 48)), image_shape=(4, 4, 3)).shape
    (5, 4, 4, 3)
    """
    ndim = _ndim(X)
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind == "c":  # scikit-learn's wording, which its checks look for
        raise ValueError(
            "Complex data not supported: expected real pixel values (uint8, or "
            "floats of any precision)."
        )
    if kind in ("U", "S", "V"):
        raise ValueError(
            "Expected numeric pixel values (uint8, or floats of any precision); got "
            f"an array of dtype {X.dtype}."
        )
    fitted = estimator is not None and not reset
    if ndim == 2 and fitted:
        X = validate_data(
            estimator, X, reset=False, dtype="numeric", ensure_all_finite=False
        )
    elif ndim in (2, 3, 4):
        try:
            X = check_array(
                X, dtype="numeric", allow_nd=ndim > 2, ensure_all_finite=False
            )
        except (TypeError, ValueError) as exc:
            if "convert" not in str(exc):
                raise
            raise ValueError(
                "Expected numeric pixel values (uint8, or floats of any "
                f"precision); X holds values that are not numbers: {exc}"
            ) from exc
    else:
        raise ValueError(
            "Expected images as a 4-D array (n_samples, height, width, channels), "
            "a 3-D array (n_samples, height, width) or a 2-D array "
            f"(n_samples, n_features); got an array with {ndim} dimension(s)"
            + (f" and shape {X.shape}" if hasattr(X, "shape") else "")
            + ". Reshape your data to one of these layouts."
        )
    if min(X.shape) == 0:
        raise ValueError(
            f"Found an empty array of shape {X.shape}: expected at least one image "
            "with at least one pixel."
        )
    X = _as_pixels(X)

    if ndim == 3:
        X = X[..., np.newaxis]
    if ndim == 2:
        if fitted:
            shape = estimator.image_shape_
        elif image_shape is not None:
            shape = _normalise_image_shape(image_shape)
            if math.prod(shape) != X.shape[1]:
                raise ValueError(
                    f"X has {X.shape[1]} features per row, but image_shape="
                    f"{tuple(image_shape)} needs {math.prod(shape)}."
                )
        else:
            shape = infer_image_shape(X.shape[1])
        X = X.reshape(X.shape[0], *shape)

    if fitted and ndim != 2 and tuple(X.shape[1:]) != tuple(estimator.image_shape_):
        raise ValueError(
            f"X has images of shape {tuple(X.shape[1:])} (height, width, "
            f"channels), but {type(estimator).__name__} was fitted on images of "
            f"shape {tuple(estimator.image_shape_)}."
        )
    return X


def record_images(estimator, X, images: np.ndarray) -> None:
    """Record on a successfully fitted estimator what its input looked like.

    Sets ``n_features_in_`` (pixel values per image), ``image_shape_``
    (``(H, W, C)``), ``feature_names_in_`` for DataFrames, and the caller's
    layout, used to hand images back in it.
    """
    ndim = _ndim(X)
    if ndim == 2:
        validate_data(estimator, X, reset=True, skip_check_array=True)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    estimator.n_features_in_ = math.prod(images.shape[1:])
    estimator.image_shape_ = tuple(images.shape[1:])
    estimator._input_ndim = ndim


def check_targets(X: np.ndarray, y, estimator) -> np.ndarray:
    """Validate ``y`` for a supervised fit on ``X``: 1-D, same length, finite."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y "
            "is None."
        )
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    return y


def to_layout(images: np.ndarray, estimator=None, *, like=None) -> np.ndarray:
    """Channels-last images back into the layout the estimator was fitted on.

    With ``like``, into the layout of that input instead.
    """
    ndim = _ndim(like) if like is not None else estimator._input_ndim
    if ndim == 2:
        return images.reshape(images.shape[0], -1)
    if ndim == 3:
        return images[..., 0]
    return images


def effective_n_jobs(n_jobs) -> int:
    """Threads to use for ``n_jobs``: None means every core, and a negative
    value counts back from it as in joblib (-1 every core, -2 all but one).

    Examples
    --------
    >>> effective_n_jobs(3)
    3
    >>> effective_n_jobs(-1) == effective_n_jobs(None)
    True
    """
    cores = os.cpu_count() or 1
    if n_jobs is None:
        return cores
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return n_jobs
