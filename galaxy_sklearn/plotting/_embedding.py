"""A featurizer's output on a map: PCA or t-SNE, coloured by class."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_array

from ._figures import class_names, display_images, single_axes


def embed_2d(features, *, method="pca", random_state=0) -> np.ndarray:
    """Standardised features projected to two dimensions.

    Parameters
    ----------
    features : array-like of shape (n, n_features)
        NaN (an undefined statistic) is replaced by its column's median; a
        column that is all NaN is left out.
    method : {"pca", "tsne"}, default="pca"
        scikit-learn's PCA, or its t-SNE (perplexity up to 30) started from
        PCA.
    random_state : int, default=0

    Returns
    -------
    xy : ndarray of shape (n, 2)

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.plotting import embed_2d
    >>> features = np.random.default_rng(0).normal(size=(20, 5))
    >>> features[3, 1] = np.nan  # an undefined statistic
    >>> embed_2d(features).shape
    (20, 2)
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    features = check_array(
        features, dtype=np.float64, ensure_min_samples=3, ensure_all_finite="allow-nan"
    )
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
    if np.isinf(features).any():
        raise ValueError("features contain infinity; NaN is accepted, inf is not.")
    # undefined values (NaN, e.g. a morphology statistic) take the column median
    features = features[:, ~np.isnan(features).all(axis=0)]
    medians = np.nanmedian(features, axis=0)
    features = np.where(np.isnan(features), medians, features)
    scaled = StandardScaler().fit_transform(features)
    if scaled.shape[1] < 2:
        return np.c_[scaled, np.zeros(len(scaled))]
    if method == "pca":
        return PCA(2, random_state=random_state).fit_transform(scaled)
    perplexity = min(30.0, (len(scaled) - 1) / 3)
    return TSNE(
        2, perplexity=perplexity, init="pca", random_state=random_state
    ).fit_transform(scaled)


def _spread_points(xy, k, rng) -> np.ndarray:
    """``k`` indices of points far apart (greedy farthest-point sampling)."""
    chosen = [int(rng.integers(len(xy)))]
    distance = np.linalg.norm(xy - xy[chosen[0]], axis=1)
    for _ in range(min(k, len(xy)) - 1):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(xy - xy[chosen[-1]], axis=1))
    return np.array(chosen)


def plot_embedding(
    features,
    y=None,
    *,
    method="pca",
    names=None,
    images=None,
    n_thumbnails=20,
    random_state=0,
    title=None,
    ax=None,
):
    """Galaxies on a 2-D map of a featurizer's output, coloured by class.

    Parameters
    ----------
    features : array-like of shape (n, n_features)
        Any featurizer's output, e.g. ``MoCoFeaturizer().fit_transform(X)``.
    y : array-like of shape (n,), default=None
        Labels to colour by (``-1`` drawn grey as unlabelled).
    method : {"pca", "tsne"}, default="pca"
        The projection, see :func:`embed_2d`.
    names : list of str or dict, default=None
        Display names of the labels.
    images : array-like of shape (n, H, W, C), default=None
        The galaxies themselves: ``n_thumbnails`` of them, spread over the
        map, are drawn at their points.
    n_thumbnails : int, default=20
    random_state : int, default=0
        Seeds the projection and the choice of thumbnails.
    title : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.plotting import plot_embedding
    >>> features = np.random.default_rng(0).normal(size=(40, 8))
    >>> fig = plot_embedding(features, np.arange(40) % 2, names=["round", "spiral"])
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['round', 'spiral']
    """
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    xy = embed_2d(features, method=method, random_state=random_state)
    fig, ax = single_axes(ax, figsize=(7, 6))
    if y is None:
        ax.scatter(*xy.T, s=8, alpha=0.7)
    else:
        y = np.asarray(y)
        if len(y) != len(xy):
            raise ValueError(f"features has {len(xy)} rows but y has {len(y)}.")
        unlabelled = y == -1 if y.dtype.kind in "iu" else np.zeros(len(y), bool)
        if unlabelled.any():
            ax.scatter(*xy[unlabelled].T, s=5, c="lightgrey", label="unlabelled")
        labels = np.unique(y[~unlabelled])
        for label, name in zip(labels, class_names(labels, names)):
            ax.scatter(*xy[y == label].T, s=8, alpha=0.8, label=name)
        ax.legend(fontsize="small", markerscale=2)
    if images is not None and n_thumbnails:
        shown = display_images(images)
        if len(shown) != len(xy):
            raise ValueError(
                f"features has {len(xy)} rows but images has {len(shown)}."
            )
        rng = np.random.default_rng(random_state)
        zoom = 28 / shown.shape[1]
        for index in _spread_points(xy, n_thumbnails, rng):
            thumbnail = OffsetImage(
                shown[index], zoom=zoom, cmap="gray" if shown.ndim == 3 else None
            )
            ax.add_artist(AnnotationBbox(thumbnail, xy[index], frameon=False))
    name = {"pca": "PCA", "tsne": "t-SNE"}[method]
    ax.set(xlabel=f"{name} 1", ylabel=f"{name} 2", title=title or f"embedding ({name})")
    fig.tight_layout()
    return fig
