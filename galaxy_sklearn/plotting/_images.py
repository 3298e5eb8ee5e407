"""Galaxies on a grid: examples per class, reconstructions, saliency."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from .._validation import check_images
from ..inspection import grad_cam
from ..inspection._grad_cam import _unwrap
from ._figures import class_names, display_images, grid_axes, show_image


def plot_galaxy_grid(
    X,
    y_true,
    y_pred=None,
    *,
    names=None,
    n_per_class=6,
    image_shape=None,
    random_state=0,
    title=None,
):
    """A row of example galaxies per class, titled with predicted labels.

    Parameters
    ----------
    X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        Images.
    y_true : array-like of shape (n,)
        True labels; one row per class.
    y_pred : array-like of shape (n,), default=None
        Predicted labels: each image is titled with its prediction, green
        when right and red when wrong.
    names : list of str or dict, default=None
        Display names of the labels.
    n_per_class : int, default=6
        Images per row, drawn at random.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat rows.
    random_state : int, default=0
        Which examples are drawn.
    title : str, default=None

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
    >>> from galaxy_sklearn.plotting import plot_galaxy_grid
    >>> X, y = make_galaxies(n_samples=50, image_size=16, random_state=0)
    >>> fig = plot_galaxy_grid(X, y, y, names=GALAXY_CLASSES, n_per_class=3)
    >>> len(fig.axes)
    15
    """
    images = display_images(X, image_shape)
    y_true = np.asarray(y_true)
    if len(y_true) != len(images) or (
        y_pred is not None and len(y_pred) != len(images)
    ):
        raise ValueError(
            f"X has {len(images)} images but y_true has {len(y_true)} labels"
            + ("" if y_pred is None else f" and y_pred {len(y_pred)}")
            + "."
        )
    rng = np.random.default_rng(random_state)
    classes = np.unique(y_true)
    fig, axes = grid_axes(
        len(classes), n_per_class, figsize=(1.6 * n_per_class, 1.8 * len(classes))
    )
    for row, (label, row_name) in enumerate(zip(classes, class_names(classes, names))):
        members = np.flatnonzero(y_true == label)
        chosen = rng.choice(members, min(n_per_class, len(members)), replace=False)
        for col, ax in enumerate(axes[row]):
            if col >= len(chosen):
                ax.axis("off")
                continue
            index = chosen[col]
            show_image(ax, images[index])
            if y_pred is not None:
                right = y_pred[index] == label
                (predicted,) = class_names([y_pred[index]], names)
                ax.set_title(predicted, fontsize=8, color="green" if right else "red")
        axes[row, 0].set_ylabel(row_name, fontsize=9)
    fig.suptitle(
        title
        or (
            "predicted labels per true class"
            if y_pred is not None
            else "examples per class"
        )
    )
    fig.tight_layout()
    return fig


def _with_inverse(estimator, X):
    """The step that has ``inverse_transform`` and ``X`` as it receives it."""
    if isinstance(estimator, Pipeline):
        for i, (_, step) in enumerate(estimator.steps):
            if hasattr(step, "inverse_transform") and hasattr(step, "net_"):
                return step, (estimator[:i].transform(X) if i else X)
    if hasattr(estimator, "inverse_transform"):
        return estimator, X
    raise TypeError(
        "plot_reconstructions needs a fitted CAEFeaturizer (or a Pipeline holding "
        f"one), got {type(estimator).__name__}."
    )


def plot_reconstructions(estimator, X, *, n_images=8, title=None):
    """Input galaxies above their autoencoder reconstructions.

    Parameters
    ----------
    estimator : fitted CAEFeaturizer or Pipeline holding one
        Anything with ``transform`` and ``inverse_transform``.
    X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        Images; the first ``n_images`` are drawn.
    n_images : int, default=8
    title : str, default=None

    Returns
    -------
    fig : matplotlib Figure
        Inputs on the top row, reconstructions below, each pair on the same
        brightness scale.

    Examples
    --------
    >>> from galaxy_sklearn import CAEFeaturizer
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> from galaxy_sklearn.plotting import plot_reconstructions
    >>> X, _ = make_galaxies(n_samples=40, image_size=16, random_state=0)
    >>> cae = CAEFeaturizer(max_epochs=1, random_state=0).fit(X)
    >>> len(plot_reconstructions(cae, X, n_images=4).axes)
    8
    """
    step, X = _with_inverse(estimator, X)
    images = check_images(X, estimator=step, reset=False)[:n_images]
    reconstructions = check_images(
        step.inverse_transform(step.transform(images)), image_shape=step.image_shape_
    )
    originals = display_images(images)
    # reconstructions come on the input's scale: 0-255 floats for uint8 input
    if images.dtype == np.uint8:
        shown = display_images(reconstructions / 255.0, unit_range=True)
    else:
        shown = display_images(reconstructions, reference=images)
    n = len(originals)
    fig, axes = grid_axes(2, n, figsize=(1.6 * n, 3.6))
    for i in range(n):
        show_image(axes[0, i], originals[i])
        show_image(axes[1, i], shown[i])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("reconstruction")
    fig.suptitle(title or "autoencoder reconstructions")
    fig.tight_layout()
    return fig


def plot_saliency(
    estimator,
    X,
    y=None,
    *,
    target=None,
    layer=None,
    n_images=8,
    names=None,
    alpha=0.5,
    title=None,
):
    """Galaxies above their Grad-CAM heatmaps: where the CNN looked.

    Parameters
    ----------
    estimator : fitted CNNGalaxyClassifier or CNNGalaxyRegressor
        Or a Pipeline / LabelledOnlyClassifier ending in one; see
        :func:`galaxy_sklearn.inspection.grad_cam`.
    X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        Images; the first ``n_images`` are drawn.
    y : array-like of shape (n,), default=None
        True labels, shown in the titles with the predictions.
    target : None, label or array-like, default=None
        Class explained; default each image's predicted class.
    layer : str, default=None
        Backbone module whose maps are used; default the last convolutional
        block.
    n_images : int, default=8
    names : list of str or dict, default=None
        Display names of the labels.
    alpha : float, default=0.5
        Opacity of the heatmap over the galaxy.
    title : str, default=None

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from galaxy_sklearn import CNNGalaxyClassifier
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> from galaxy_sklearn.plotting import plot_saliency
    >>> X, y = make_galaxies(n_samples=30, image_size=16, random_state=0)
    >>> clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    >>> len(plot_saliency(clf.fit(X, y), X, y, n_images=3).axes)
    6
    """
    cnn, seen = _unwrap(estimator, X[:n_images])  # X as the CNN receives it
    if target is not None and np.ndim(target) == 1:
        target = np.asarray(target)[:n_images]
    heatmaps = grad_cam(cnn, seen, target=target, layer=layer)
    predicted = cnn.predict(seen) if hasattr(cnn, "classes_") else None
    images = display_images(seen)
    n = len(images)
    fig, axes = grid_axes(2, n, figsize=(1.7 * n, 3.9))
    for i in range(n):
        show_image(axes[0, i], images[i])
        show_image(axes[1, i], images[i])
        axes[1, i].imshow(heatmaps[i], cmap="jet", alpha=alpha, vmin=0, vmax=1)
        parts = []
        if y is not None:
            parts.append(f"true {class_names([np.asarray(y)[i]], names)[0]}")
        if predicted is not None:
            parts.append(f"pred {class_names([predicted[i]], names)[0]}")
        axes[0, i].set_title("\n".join(parts), fontsize=8)
    axes[0, 0].set_ylabel("galaxy")
    axes[1, 0].set_ylabel("Grad-CAM")
    fig.suptitle(title or "saliency (Grad-CAM)")
    fig.tight_layout()
    return fig
