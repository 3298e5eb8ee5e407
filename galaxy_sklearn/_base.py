"""What every estimator shares: validation, device, seed, fit and predict."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._engine import (
    ImageDataset,
    make_net,
    n_validation,
    predict_batches,
    resolve_device,
    resolve_seed,
    seeded,
    validation_split,
)
from ._validation import check_images, record_images
from .nn import ImageInput

# A sample of this many images is enough for per-channel statistics.
_STATS_SAMPLE = 4096


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of scaled images (uint8 read as [0, 1]).

    Computed on an evenly spaced sample, a chunk at a time, so that the
    float64 copy never exceeds a few hundred images.
    """
    step = max(1, len(images) // _STATS_SAMPLE)
    total = np.zeros(images.shape[-1])
    squares = np.zeros(images.shape[-1])
    count = 0
    for start in range(0, len(images), 256 * step):
        chunk = images[start : start + 256 * step : step].astype(np.float64)
        total += chunk.sum(axis=(0, 1, 2))
        squares += np.square(chunk).sum(axis=(0, 1, 2))
        count += chunk.size // images.shape[-1]
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0)) / scale
    mean /= scale
    std = np.where(std > 1e-6 * np.maximum(np.abs(mean), 1.0), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


class GalaxyEstimatorMixin:
    """Shared plumbing of the torch-backed estimators (not public).

    Subclasses define ``_build_module(images, targets)`` returning the
    ``nn.Module`` to train and ``_criterion(targets)`` returning its loss;
    supervised ones also ``_fit_targets(images, y)``. ``fit`` calls
    ``self._fit(X, y)``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _check_params(self) -> None:
        for name in ("max_epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not isinstance(self.lr, numbers.Real) or not self.lr > 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}.")
        resolve_device(self.device)

    def _image_input(self, images: np.ndarray, min_size: int = 1) -> ImageInput:
        mean, std = channel_stats(images)
        return ImageInput(mean, std, min_size=min_size)

    def _fit(self, X, y=None, *, drop_last=False) -> np.ndarray:
        """Validate, build the module under the seed, train, then record state.

        Returns the validated training images.

        Nothing is stored on ``self`` until training has finished, so a fit
        that fails on bad input leaves a previous fit intact.
        """
        self._check_params()
        images = check_images(X, image_shape=self.image_shape)
        if len(images) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 images to train, got "
                f"n_samples={len(images)}."
            )
        targets = self._fit_targets(images, y)
        device = resolve_device(self.device)
        seed = resolve_seed(self.random_state)
        # only the supervised CNNs have a validation_fraction parameter
        fraction = getattr(self, "validation_fraction", None)
        train_split, n_train = None, len(images)
        if fraction is not None:
            train_split = validation_split(fraction, seed, is_classifier(self))
            n_train -= n_validation(fraction, len(images))
            if n_train < 2:
                raise ValueError(
                    f"validation_fraction={fraction} of {len(images)} images leaves "
                    f"{n_train} to train on; at least 2 are needed."
                )
        with seeded(seed, device):
            module = self._build_module(images, targets)
            net = make_net(
                module,
                self._criterion(targets),
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                device=device,
                verbose=self.verbose,
                n_train=n_train,
                drop_last=drop_last,
                callbacks=self._callbacks(),
                train_split=train_split,
            )
            net.fit(ImageDataset(images, targets), targets)
        record_images(self, X, images)
        self.net_ = net
        self.history_ = net.history
        return images

    def _callbacks(self) -> list:
        """Extra ``(name, skorch.Callback)`` pairs for training."""
        return []

    def _fit_targets(self, images, y):
        """Targets to train on (None for the self-supervised featurizers)."""
        return None

    def _forward(self, method: str, X) -> np.ndarray:
        """Run the module's ``method`` on validated batches of ``X`` in eval mode."""
        check_is_fitted(self)
        images = check_images(X, estimator=self, reset=False)
        module = self.net_.module_.eval()
        return predict_batches(
            getattr(module, method),
            images,
            batch_size=self.batch_size,
            device=self.net_.device,
        )

    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_
