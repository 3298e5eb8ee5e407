"""What every estimator shares: validation, device, seed, fit and predict."""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._checkpoint import (
    EpochCheckpoint,
    fingerprint,
    read_checkpoint,
    restore_checkpoint,
)
from ._engine import (
    DivergenceGuard,
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
from .exceptions import TrainingDivergedError
from .nn import ImageInput

# A sample of this many images is enough for per-channel statistics.
_STATS_SAMPLE = 4096
# What an estimator's ``align`` parameter may be (None: no rotation).
ALIGNMENTS = ("major_axis", None)


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of scaled images (uint8 read as [0, 1]).

    Computed on an evenly spaced sample, a chunk at a time in float64 (exact
    sums for uint8), with torch's multithreaded reductions, so that the copy
    never exceeds a few hundred images.
    """
    step = max(1, len(images) // _STATS_SAMPLE)
    n_channels = images.shape[-1]
    total = torch.zeros(n_channels, dtype=torch.float64)
    squares = torch.zeros(n_channels, dtype=torch.float64)
    count = 0
    for start in range(0, len(images), 256 * step):
        chunk = np.ascontiguousarray(images[start : start + 256 * step : step])
        pixels = torch.from_numpy(chunk).reshape(-1, n_channels).double()
        total += pixels.sum(dim=0)
        squares += pixels.square().sum(dim=0)
        count += len(pixels)
    total, squares = total.numpy(), squares.numpy()
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
        if not isinstance(self.compile, (bool, dict)):
            raise ValueError(
                "compile must be True, False or a dict of torch.compile keyword "
                f"arguments, got {self.compile!r}."
            )
        if isinstance(self.compile, dict):
            known = set(inspect.signature(torch.compile).parameters) - {"model"}
            unknown = sorted(set(self.compile) - known)
            if unknown:
                raise ValueError(
                    f"compile has keys that torch.compile does not take: {unknown}; "
                    f"expected some of {sorted(known)}."
                )
        resolve_device(self.device)
        align = getattr(self, "align", None)
        if align is not None and not (isinstance(align, str) and align in ALIGNMENTS):
            raise ValueError(f"align must be one of {list(ALIGNMENTS)}, got {align!r}.")

    def _image_input(self, images: np.ndarray, min_size: int = 1) -> ImageInput:
        mean, std = channel_stats(images)
        align = getattr(self, "align", None) == "major_axis"
        return ImageInput(mean, std, min_size=min_size, align=align)

    def _fit(self, X, y=None, *, drop_last=False) -> np.ndarray:
        """Validate, build the module under the seed, train, then record state.

        Returns the validated training images.

        Nothing is stored on ``self`` until training has finished, so a fit
        that fails on bad input leaves a previous fit intact. With
        ``checkpoint_dir``, training resumes from the checkpoint there and
        writes a new one after every epoch. A loss that stops being finite
        raises :class:`~galaxy_sklearn.exceptions.TrainingDivergedError`
        after the last good epoch's weights are recorded (if there was one).
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
        name = type(self).__name__
        checkpoint = None
        if self.checkpoint_dir is not None:
            key = fingerprint(self, images, targets)
            checkpoint = read_checkpoint(self.checkpoint_dir, key, name)
        # a resumed fit goes on with the seed it started with, even a drawn one
        if checkpoint is None:
            seed = resolve_seed(self.random_state)
        else:
            seed = int(checkpoint["seed"])
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
        guard = DivergenceGuard(name, self.lr)
        callbacks = [*self._callbacks(), ("divergence_guard", guard)]
        if self.checkpoint_dir is not None:
            # last, so that the random state it saves has every draw of the epoch
            callbacks.append(
                ("checkpoint", EpochCheckpoint(self.checkpoint_dir, key, seed))
            )
        diverged = None
        with seeded(seed, device):
            module = self._build_module(images, targets)
            net = self._make_net(
                module,
                targets,
                device,
                n_train=n_train,
                drop_last=drop_last,
                callbacks=callbacks,
                train_split=train_split,
            )
            net.initialize()
            self._check_resumable(checkpoint)
            done = 0 if checkpoint is None else restore_checkpoint(net, checkpoint)
            if done > self.max_epochs:
                raise ValueError(
                    f"The checkpoint in {self.checkpoint_dir} has {done} epochs, more "
                    f"than max_epochs={self.max_epochs}; raise max_epochs or use "
                    "another checkpoint_dir."
                )
            try:
                net.partial_fit(
                    ImageDataset(images, targets),
                    targets,
                    epochs=self.max_epochs - done,
                )
            except TrainingDivergedError as exc:
                if not exc.good_epochs:
                    raise
                guard.restore(net)
                diverged = exc
        record_images(self, X, images)
        self.net_ = net
        self.history_ = net.history
        self._record_fit(images)
        if diverged is not None:
            raise diverged
        return images

    def _check_resumable(self, checkpoint) -> None:
        """Refuse a checkpoint whose learning-rate curve ``max_epochs`` changes."""
        if checkpoint is None or getattr(self, "lr_schedule", "constant") == "constant":
            return
        started = checkpoint.get("max_epochs", self.max_epochs)
        if started != self.max_epochs:
            raise ValueError(
                f"The checkpoint in {self.checkpoint_dir} was written by a fit with "
                f"max_epochs={started}, and lr_schedule={self.lr_schedule!r} spreads "
                f"its decay over max_epochs: resuming with max_epochs="
                f"{self.max_epochs} would leave that curve. Resume with "
                f"max_epochs={started}, or use another checkpoint_dir."
            )

    def _make_net(self, module, targets, device, *, n_train, **kwargs):
        """The skorch net that trains ``module`` with this estimator's settings."""
        return make_net(
            module,
            self._criterion(targets),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            device=device,
            verbose=self.verbose,
            n_train=n_train,
            compile=self.compile,
            **kwargs,
        )

    def _record_fit(self, images) -> None:
        """Set the estimator's own fitted attributes once training is over."""

    def _skeleton(self, n_images: int = 2):
        """Stand-in ``(images, targets)`` that ``_build_module`` turns into the
        fitted architecture (for :func:`~galaxy_sklearn.load`); the images are
        a zero-strided view, so ``n_images`` costs no memory."""
        zero = np.zeros((), dtype=np.uint8)
        return np.broadcast_to(zero, (n_images, *self.image_shape_)), None

    def save(self, path) -> None:
        """Write the fitted estimator to ``path`` as tensors and plain values.

        Read it back with :func:`galaxy_sklearn.load`, which runs no code from
        the file (``torch.load(weights_only=True)``) and can put the network
        on another device. A fitted featurizer given as ``pretrained`` is not
        stored (its weights are already in this network): the loaded
        estimator predicts the same, with ``pretrained=None``.

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced atomically if it exists).

        Examples
        --------
        >>> import tempfile
        >>> from galaxy_sklearn import CNNGalaxyClassifier, load
        >>> from galaxy_sklearn.datasets import make_galaxies
        >>> X, y = make_galaxies(n_samples=20, image_size=16, random_state=0)
        >>> clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
        >>> path = tempfile.mkdtemp() + "/clf.pt"
        >>> clf.fit(X, y).save(path)
        >>> (load(path).predict(X) == clf.predict(X)).all()
        np.True_
        """
        from ._persistence import save

        save(self, path)

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
        # calling the module itself goes through a compiled forward (compile=)
        return predict_batches(
            module if method == "forward" else getattr(module, method),
            images,
            batch_size=self.batch_size,
            device=self.net_.device,
        )

    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_
