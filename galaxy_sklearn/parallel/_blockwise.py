"""Blockwise inference over dask arrays of images."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

_METHODS = ("transform", "predict", "predict_proba", "decision_function")


def _apply(block, estimator, method):
    return getattr(estimator, method)(block)


def map_blocks(estimator, X, method="transform"):
    """Apply a fitted estimator to each chunk of a dask array of images.

    The images are chunked along the first axis only (other axes are merged
    into single chunks if needed), and every chunk becomes one task: a worker
    holds one chunk and its output at a time, so an array larger than any
    machine's memory flows through. The fitted estimator enters the graph
    once, as a :func:`dask.delayed` object, and is shipped to each worker
    rather than copied into every task. The first image is computed at once,
    here, to learn the output's shape.

    Unlike dask-ml's ``ParallelPostFit``, which assumes 2-D
    ``(n_samples, n_features)`` input, this takes any layout the estimators
    take: ``(n, H, W, C)``, ``(n, H, W)`` or flat rows.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        Anything with the method ``method`` that accepts a numpy chunk of
        ``X``.
    X : dask.array.Array or array-like
        Images, ``(n, H, W, C)``, ``(n, H, W)`` or ``(n, n_features)``. A
        numpy array is wrapped as one chunk per 1,024 images.
    method : {"transform", "predict", "predict_proba", "decision_function"}, \
default="transform"
        The estimator's method to run on each chunk.

    Returns
    -------
    result : dask.array.Array
        Lazy output, chunked like the rows of ``X``; ``.compute()`` it, or
        store it chunk by chunk (``da.to_zarr``, ``da.to_hdf5``).

    Raises
    ------
    ValueError
        For an unknown ``method``, or one the estimator does not have.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from galaxy_sklearn import CAEFeaturizer
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> from galaxy_sklearn.parallel import map_blocks
    >>> X, _ = make_galaxies(n_samples=40, image_size=16, random_state=0)
    >>> cae = CAEFeaturizer(latent_dim=8, max_epochs=1, random_state=0).fit(X)
    >>> Z = map_blocks(cae, da.from_array(X, chunks=(10, 16, 16, 3)))
    >>> Z.shape, Z.chunks[0]
    ((40, 8), (10, 10, 10, 10))
    >>> bool(np.allclose(Z.compute(), cae.transform(X), atol=1e-6))
    True
    """
    import dask
    import dask.array as da

    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    if not hasattr(estimator, method):
        raise ValueError(f"{type(estimator).__name__} has no method {method!r}.")
    check_is_fitted(estimator)
    if not isinstance(X, da.Array):
        X = np.asarray(X)
        X = da.from_array(X, chunks=(1024,) + X.shape[1:])
    if X.ndim < 2:
        raise ValueError(
            "Expected images as (n, H, W, C), (n, H, W) or (n, n_features), got a "
            f"{X.ndim}-D dask array of shape {X.shape}."
        )
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "X has chunks of unknown size (from a filter or a dataframe); call "
            "X.compute_chunk_sizes() first."
        )
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    if X.shape[0] == 0:
        raise ValueError("Found array with 0 sample(s); expected at least one image.")
    # the first image gives the output's shape and dtype (a blank one could
    # fail: morphology of an empty frame is NaN, which a classifier refuses)
    sample = np.asarray(getattr(estimator, method)(np.asarray(X[:1].compute())))
    dtype = sample.dtype
    classes = getattr(estimator, "classes_", None)
    if method == "predict" and sample.ndim == 1 and isinstance(classes, np.ndarray):
        dtype = classes.dtype  # the widest label, not the first image's
    if sample.ndim > X.ndim:
        raise ValueError(
            f"{type(estimator).__name__}.{method} returns {sample.ndim}-D output "
            f"for {X.ndim}-D input; map_blocks only maps to as many dimensions."
        )
    return X.map_blocks(
        _apply,
        dask.delayed(estimator, pure=True),
        method,
        dtype=dtype,
        chunks=(X.chunks[0], *((size,) for size in sample.shape[1:])),
        meta=np.empty((0, *sample.shape[1:]), dtype=dtype),
        drop_axis=list(range(sample.ndim, X.ndim)),
    )
