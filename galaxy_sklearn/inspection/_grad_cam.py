"""Grad-CAM saliency of the supervised CNNs."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._engine import _batch_tensor, network_input
from .._supervised import SupervisedNet
from .._validation import check_images


def _unwrap(estimator, X):
    """The fitted CNN estimator inside ``estimator`` and ``X`` as it sees it."""
    if isinstance(estimator, Pipeline):
        X = estimator[:-1].transform(X) if len(estimator) > 1 else X
        estimator = estimator[-1]
    if hasattr(estimator, "estimator_"):  # LabelledOnlyClassifier and the like
        estimator = estimator.estimator_
    check_is_fitted(estimator)
    module = getattr(estimator, "net_", None)
    if module is None or not isinstance(module.module_, SupervisedNet):
        raise TypeError(
            "grad_cam needs a fitted CNNGalaxyClassifier or CNNGalaxyRegressor (or "
            f"a Pipeline or LabelledOnlyClassifier ending in one), got "
            f"{type(estimator).__name__}."
        )
    return estimator, X


def last_conv_layer(backbone: torch.nn.Module, input_shape) -> str:
    """Name of the backbone's last module with a spatial (4-D, > 1 px) output.

    Found by one forward pass of a blank ``(C, H, W)`` input (what the
    backbone receives, after any enlargement), in the order modules finish;
    for a ResNet it is ``layer4``, for the simple CNN ``features``.

    Examples
    --------
    >>> from galaxy_sklearn.inspection import last_conv_layer
    >>> from galaxy_sklearn.nn import build_backbone
    >>> last_conv_layer(build_backbone("resnet18", 3, 64), (3, 64, 64))
    'layer4'
    """
    finished = []
    hooks = [
        module.register_forward_hook(
            lambda mod, inp, out, name=name: finished.append((name, out))
        )
        for name, module in backbone.named_modules()
        if name
    ]
    device = next(backbone.parameters()).device
    try:
        with torch.no_grad():
            backbone.eval()(torch.zeros(1, *input_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
    spatial = [
        name
        for name, out in finished
        if isinstance(out, torch.Tensor) and out.ndim == 4
    ]
    larger = [
        name
        for name, out in finished
        if isinstance(out, torch.Tensor) and out.ndim == 4 and out[0, 0].numel() > 1
    ]
    if not spatial:
        raise ValueError("The backbone has no module with a 4-D (n, C, H, W) output.")
    return (larger or spatial)[-1]


def grad_cam(estimator, X, *, target=None, layer=None, batch_size=None) -> np.ndarray:
    """Grad-CAM heatmaps: where in each image the network looked.

    The gradient of the class score with respect to the feature maps of a
    convolutional layer, averaged over each map, weights the maps; their
    rectified sum, upsampled to the image, is the heatmap (Selvaraju et al.
    2017, "Grad-CAM: Visual Explanations from Deep Networks via
    Gradient-based Localization", ICCV).

    Parameters
    ----------
    estimator : fitted CNNGalaxyClassifier or CNNGalaxyRegressor
        Or a Pipeline / LabelledOnlyClassifier ending in one.
    X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        Images, as the estimator takes them.
    target : None, label or array-like of shape (n,), default=None
        Class whose score is explained: ``None`` is each image's predicted
        class; a label of ``classes_`` (or an array of them, one per image).
        For a regressor, an output index (default: the sum of all outputs).
    layer : str, default=None
        Name of a module of the backbone (``estimator.module_.backbone``);
        default the last one with a spatial output, the last convolutional
        block. On small images its map is coarse (2x2 for ``resnet18`` at
        64 px, 3x3 for ``simple_cnn`` at 24 px) and so is the heatmap; an
        earlier block (``"layer3"``, ``"features.3"``) gives a finer one.
    batch_size : int, default=None
        Images per backward pass; default the estimator's ``batch_size``.

    Returns
    -------
    heatmaps : ndarray of shape (n, H, W), float32
        In [0, 1], each image's maximum at 1 (all zero where no region raised
        the score).

    Examples
    --------
    >>> from galaxy_sklearn import CNNGalaxyClassifier
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> from galaxy_sklearn.inspection import grad_cam
    >>> X, y = make_galaxies(n_samples=30, image_size=16, random_state=0)
    >>> clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    >>> grad_cam(clf.fit(X, y), X[:4]).shape
    (4, 16, 16)
    """
    estimator, X = _unwrap(estimator, X)
    images = check_images(X, estimator=estimator, reset=False)
    net = estimator.net_.module_.eval()
    device = torch.device(estimator.net_.device)
    if layer is None:
        with torch.no_grad():
            blank = torch.zeros(1, *estimator.image_shape_)
            blank = net.image_input(network_input(blank, device))
            layer = last_conv_layer(net.backbone, blank.shape[1:])
    modules = dict(net.backbone.named_modules())
    if layer not in modules:
        raise ValueError(
            f"layer {layer!r} is not a module of the backbone; expected one of "
            f"{[name for name in modules if name][:20]}..."
        )
    classifier = hasattr(estimator, "classes_")
    if classifier:
        indices = _class_indices(estimator, target, len(images))
    elif target is not None and not 0 <= int(target) < estimator.n_outputs_:
        raise ValueError(
            f"target must be an output index below {estimator.n_outputs_}, got "
            f"{target!r}."
        )
    batch_size = batch_size or estimator.batch_size
    heatmaps = np.empty(images.shape[:3], dtype=np.float32)
    captured = []
    hook = modules[layer].register_forward_hook(
        lambda mod, inp, out: captured.append(out)
    )
    try:
        for start in range(0, len(images), batch_size):
            stop = min(start + batch_size, len(images))
            captured.clear()
            x = network_input(_batch_tensor(images[start:stop]), device)
            # the input carries the graph, so a frozen backbone still has one
            x.requires_grad_(True)
            with torch.enable_grad():
                features = net.backbone(net.image_input.normalize(x))
                scores = net.output(net.head(features))
                if not classifier:
                    chosen = scores if target is None else scores[:, int(target)]
                    score = chosen.sum()
                else:
                    index = (
                        scores.argmax(dim=1)
                        if indices is None
                        else torch.as_tensor(indices[start:stop], device=device)
                    )
                    score = scores.gather(1, index[:, None]).sum()
                maps = captured[-1]
                (grads,) = torch.autograd.grad(score, maps)
            weights = grads.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * maps).sum(dim=1, keepdim=True)).detach()
            cam = F.interpolate(
                cam.float(),
                size=images.shape[1:3],
                mode="bilinear",
                align_corners=False,
            )[:, 0]
            peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12)[:, None, None]
            heatmaps[start:stop] = (cam / peak).cpu().numpy()
    finally:
        hook.remove()
    return heatmaps


def _class_indices(estimator, target, n):
    """Per-image class indices of ``target`` (None: the predicted classes)."""
    if target is None:
        return None
    classes = estimator.classes_
    labels = np.asarray(target)
    labels = np.broadcast_to(labels, (n,)) if labels.ndim == 0 else labels
    if len(labels) != n:
        raise ValueError(f"target has {len(labels)} entries for {n} images.")
    missing = ~np.isin(labels, classes)
    if missing.any():
        raise ValueError(
            f"target {labels[missing][0]!r} is not one of classes_ {classes.tolist()}."
        )
    # classes_ come from a LabelEncoder, so they are sorted
    return np.searchsorted(classes, labels)
