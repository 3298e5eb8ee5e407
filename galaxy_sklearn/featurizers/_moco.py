"""MoCoFeaturizer: MoCo v2 contrastive pretraining as a scikit-learn transformer."""

from __future__ import annotations

import numbers

from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from torch import nn

from .._base import GalaxyEstimatorMixin
from ..nn import MoCo, build_backbone, make_augmentation


class _InfoNCELoss(nn.Module):
    def forward(self, output, target=None):
        logits, labels = output
        return nn.functional.cross_entropy(logits, labels)


def effective_queue_size(queue_size: int, n_samples: int, batch_size: int) -> int:
    """Clamp the queue so that it holds at most half of the training images.

    A queue as large as the data set keeps stale keys of the very images in
    the current batch, which then act as false negatives.
    """
    return max(1, min(queue_size, max(batch_size, n_samples // 2)))


class MoCoFeaturizer(
    GalaxyEstimatorMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """MoCo v2 contrastive features: pretrain a backbone on unlabelled galaxies.

    Two random views of each galaxy (any-angle rotation, flips, isotropic
    zoom and shift, blur, noise, brightness; computed on whole batches on the
    device), each turned so that its galaxy's major axis lies along x (by
    default), go through a query encoder and a momentum-averaged key encoder;
    the InfoNCE loss pulls the two views together and pushes the query away
    from a queue of keys of other galaxies (He et al. 2020; Chen et al. 2020).
    ``transform`` returns the query backbone's features. ``y`` is ignored, so
    rows labelled ``-1`` (unlabelled) are used like any other.

    Parameters
    ----------
    backbone : str, default="resnet18"
        A name in :data:`galaxy_sklearn.nn.BACKBONES`.
    projection_dim : int, default=128
        Size of the contrastive embedding after the MLP projection head.
    queue_size : int, default=4096
        Negative keys kept; clamped to at most half the training images (and
        at least one batch), see ``queue_size_``.
    momentum : float, default=0.99
        Momentum of the key encoder's moving average.
    temperature : float, default=0.2
        InfoNCE temperature.
    augmentation : {"galaxy", "geometric"} or nn.Module, default="galaxy"
        How views are drawn; see :func:`galaxy_sklearn.nn.make_augmentation`.
    align : {"major_axis", None}, default="major_axis"
        ``"major_axis"`` rotates each image about its centre so that its
        galaxy's major axis (from the second moments of the central light,
        :func:`galaxy_sklearn.nn.major_axis_angle`) lies along x: every view
        after it is drawn, and every image in ``transform``. The views of a
        galaxy then differ by flips, zoom, blur and noise but not by
        orientation, and the axis ratio lies along fixed axes, where a linear
        probe reads it (see :doc:`/real_data` for what it changes on Galaxy
        Zoo 2). None leaves the images as they are.
    max_epochs : int, default=20
        Passes over the training images.
    batch_size : int, default=128
        Images per optimisation step, and per batch in ``transform``.
    lr : float, default=3e-4
        AdamW learning rate. Contrastive training is fragile at 1e-3: the
        query encoder drifts faster than the momentum encoder can follow.
    device : str, default="auto"
        ``"auto"`` trains on CUDA when present, else on the CPU.
    compile : bool or dict, default=False
        Compile the network's forward pass with :func:`torch.compile` for
        training; a dict is passed to it as keyword arguments
        (``{"mode": "max-autotune-no-cudagraphs"}``). Worth it for long
        trainings on a GPU; the first batches pay for the compilation (tens of
        seconds). Checkpoints and saved files have the same format as without
        it. Results are close to an uncompiled fit's but not the same: the
        compiled code rounds differently and draws its own random numbers.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and augmentation; CPU fits with
        the same seed are identical.
    verbose : int, default=0
        ``1`` shows a progress bar and a per-epoch log.
    checkpoint_dir : str or path-like, default=None
        A folder to write a checkpoint into after every epoch. ``fit`` resumes
        from a checkpoint found there (same data and parameters; ``max_epochs``
        may grow), reaching the weights an uninterrupted CPU fit reaches; a
        checkpoint of another fit is refused, never overwritten.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network (query and key encoders, queue), its optimiser and
        history.
    history_ : skorch.History
        Per-epoch training loss and timing.
    queue_size_ : int
        The queue size used.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the training images.
    n_features_in_ : int
        Pixel values per image, ``H * W * C``.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    See Also
    --------
    CAEFeaturizer : autoencoder features.
    galaxy_sklearn.LabelledOnlyClassifier : train the final
        classifier on labelled rows only.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from galaxy_sklearn import MoCoFeaturizer
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> X, y = make_galaxies(n_samples=40, image_size=16, random_state=0)
    >>> moco = MoCoFeaturizer("simple_cnn", max_epochs=1, random_state=0)
    >>> clf = make_pipeline(moco, LogisticRegression()).fit(X, y)
    >>> clf[0].transform(X).shape
    (40, 60)
    """

    def __init__(
        self,
        backbone="resnet18",
        *,
        projection_dim=128,
        queue_size=4096,
        momentum=0.99,
        temperature=0.2,
        augmentation="galaxy",
        align="major_axis",
        max_epochs=20,
        batch_size=128,
        lr=3e-4,
        device="auto",
        compile=False,
        random_state=None,
        verbose=0,
        checkpoint_dir=None,
        image_shape=None,
    ):
        self.backbone = backbone
        self.projection_dim = projection_dim
        self.queue_size = queue_size
        self.momentum = momentum
        self.temperature = temperature
        self.augmentation = augmentation
        self.align = align
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.compile = compile
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.image_shape = image_shape

    def _check_params(self):
        super()._check_params()
        for name in ("projection_dim", "queue_size"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}.")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature!r}.")
        make_augmentation(self.augmentation)

    def _build_module(self, images, targets):
        backbone = build_backbone(
            self.backbone, images.shape[-1], min(images.shape[1:3])
        )
        return MoCo(
            self._image_input(images, min_size=backbone.min_size),
            backbone,
            make_augmentation(self.augmentation),
            projection_dim=self.projection_dim,
            queue_size=effective_queue_size(
                self.queue_size, len(images), self.batch_size
            ),
            momentum=self.momentum,
            temperature=self.temperature,
        )

    def _criterion(self, targets):
        return _InfoNCELoss()

    def fit(self, X, y=None):
        """Pretrain the encoder on ``X`` by momentum contrast.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Training images (labelled or not).
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        self : MoCoFeaturizer
        """
        self._fit(X, drop_last=True)
        return self

    def _record_fit(self, images):
        self.queue_size_ = self.net_.module_.queue.shape[0]

    def _skeleton(self):
        # twice the queue: effective_queue_size then gives queue_size_ back
        return super()._skeleton(2 * self.queue_size_)

    def transform(self, X):
        """Backbone features of the images (no augmentation).

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)

        Returns
        -------
        features : ndarray of shape (n, n_features_out), float32
        """
        return self._forward("features", X)

    @property
    def _n_features_out(self):
        return self.net_.module_.backbone.out_features
