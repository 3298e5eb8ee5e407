"""CNNGalaxyClassifier: supervised CNNs on any registered backbone."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from torch import nn

from .._engine import accuracy_callbacks
from .._supervised import SupervisedCNNMixin
from .._validation import check_targets

_UNLABELLED_HINT = (
    " scikit-learn's semi-supervised estimators read -1 as 'unlabelled': to "
    "train on the labelled rows only, wrap the classifier in "
    "galaxy_sklearn.semi_supervised.LabelledOnlyClassifier."
)


class CNNGalaxyClassifier(SupervisedCNNMixin, ClassifierMixin, BaseEstimator):
    """A supervised convolutional galaxy classifier on any backbone.

    Trains a backbone from :data:`galaxy_sklearn.nn.BACKBONES` plus a linear
    head with cross-entropy, through the shared skorch engine. Labels may be
    of any type (strings too).

    Parameters
    ----------
    backbone : str, default="resnet18"
        ``"simple_cnn"`` (the Galaxy10 CNN), ``"resnet18"``, ``"resnet50"``,
        ``"vgg16"``, ``"inception_v3"``, ``"xception"`` (needs ``timm``) or any
        name registered with :func:`galaxy_sklearn.nn.register_backbone`.
        ResNets get a gentler stem on small images (see the user guide);
        images smaller than a backbone's smallest input (32 px for VGG16, 75
        for Inception v3, 71 for Xception) are enlarged on the device.
    pretrained : None, "imagenet", str, path-like or fitted MoCoFeaturizer, \
default=None
        Starting weights of the backbone: ``"imagenet"`` (torchvision's,
        downloaded when asked and the network allows), a local path of a
        state dict (read with ``torch.load(weights_only=True)``) or an
        ``https://`` URL of one pinned as ``...#sha256=<hex digest>``
        (downloaded through pooch and checked), or a
        fitted :class:`MoCoFeaturizer` with the same backbone, to fine-tune
        its pretrained encoder (on the images as they come: the featurizer's
        ``align`` is not carried over, ``augmentation`` rotates instead).
    freeze : bool or int, default=False
        ``True`` keeps the backbone's weights (and batch-norm statistics)
        fixed and trains only the head: a linear probe. An int ``k`` trains
        the head alone for the first ``k`` epochs, then the whole network
        (linear probe, then fine-tuning), so a pretrained encoder is not
        disturbed by the gradients of a random head.
    augmentation : {None, "geometric", "galaxy"} or nn.Module, default=None
        Random views drawn for each training batch on the device; see
        :func:`galaxy_sklearn.nn.make_augmentation`.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in the loss, as in scikit-learn.
    validation_fraction : float or None, default=None
        Fraction of the training images held out to record ``valid_loss``
        and ``valid_acc`` in ``history_`` each epoch, for learning curves
        (:func:`galaxy_sklearn.plotting.plot_history`). The network never
        trains on them (the channel statistics used for standardisation and
        ``class_weight="balanced"`` are still computed on every image). The
        split is stratified by class when every class has at least two
        images, else a plain shuffle. ``None`` trains on every image.
    max_epochs : int, default=10
        Passes over the training images.
    batch_size : int, default=64
        Images per optimisation step, and per batch in ``predict``.
    lr : float, default=1e-3
        AdamW learning rate.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` lowers the learning rate from ``lr`` towards 0 along a
        half cosine over ``max_epochs`` (epoch ``e`` from 0 trains at
        ``lr * (1 + cos(pi * e / max_epochs)) / 2``), which settles the
        weights in the last epochs; ``"constant"`` keeps ``lr`` throughout.
        Each epoch's rate is in ``history_`` as ``lr``. A checkpoint written
        with the cosine schedule resumes only with the same ``max_epochs``.
    device : str, default="auto"
        ``"auto"`` trains on CUDA when present, else on the CPU.
    compile : bool or dict, default=False
        Compile the network's forward pass with :func:`torch.compile` for
        training and ``predict``; a dict is passed to it as keyword arguments
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
        may grow with ``lr_schedule="constant"``), reaching the weights an
        uninterrupted CPU fit reaches; a checkpoint of another fit is refused,
        never overwritten.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The trained network, its optimiser and history.
    history_ : skorch.History
        Per-epoch ``train_loss``, ``train_acc`` (on the augmented training
        batches as they were seen) and timing; ``valid_loss`` and
        ``valid_acc`` with ``validation_fraction``.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the training images.
    n_features_in_ : int
        Pixel values per image, ``H * W * C``.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    Examples
    --------
    >>> from galaxy_sklearn import CNNGalaxyClassifier
    >>> from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
    >>> X, y = make_galaxies(n_samples=40, image_size=16, random_state=0)
    >>> names = [GALAXY_CLASSES[i] for i in y]
    >>> clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    >>> clf.fit(X, names).predict_proba(X).shape
    (40, 5)
    >>> clf.predict(X[:1])[0] in GALAXY_CLASSES
    True
    """

    def __init__(
        self,
        backbone="resnet18",
        *,
        pretrained=None,
        freeze=False,
        augmentation=None,
        class_weight=None,
        validation_fraction=None,
        max_epochs=10,
        batch_size=64,
        lr=1e-3,
        lr_schedule="cosine",
        device="auto",
        compile=False,
        random_state=None,
        verbose=0,
        checkpoint_dir=None,
        image_shape=None,
    ):
        self.backbone = backbone
        self.pretrained = pretrained
        self.freeze = freeze
        self.augmentation = augmentation
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.device = device
        self.compile = compile
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.image_shape = image_shape

    def _callbacks(self):
        validation = self.validation_fraction is not None
        return super()._callbacks() + accuracy_callbacks(validation)

    def _fit_targets(self, images, y):
        y = check_targets(images, y, self)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        classes = self._encoder.classes_
        unlabelled = "" if -1 not in classes.tolist() else _UNLABELLED_HINT
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y, got only "
                f"{classes.tolist()}.{unlabelled}"
            )
        if unlabelled:
            warnings.warn(
                f"y has the label -1, which {type(self).__name__} learns as a class "
                f"of its own.{unlabelled}",
                UserWarning,
                stacklevel=4,
            )
        return self._encoder.transform(y).astype(np.int64)

    def _class_weights(self, targets) -> np.ndarray:
        classes = np.arange(len(self._encoder.classes_))
        class_weight = self.class_weight
        if class_weight is None:
            return np.ones(len(classes))
        if isinstance(class_weight, dict):
            unknown = set(class_weight) - set(self._encoder.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names classes {sorted(map(str, unknown))} that "
                    f"are not in y (classes: {self._encoder.classes_.tolist()})."
                )
            # keyed by the user's labels; the loss sees encoded ones
            class_weight = {
                int(self._encoder.transform([label])[0]): weight
                for label, weight in class_weight.items()
            }
        return compute_class_weight(class_weight, classes=classes, y=targets)

    def _criterion(self, targets):
        weight = None
        if self.class_weight is not None:
            weight = torch.as_tensor(self._class_weights(targets), dtype=torch.float32)
        return nn.CrossEntropyLoss(weight=weight)

    def _build_module(self, images, targets):
        counts = np.bincount(targets, minlength=len(self._encoder.classes_))
        prior = counts * self._class_weights(targets)
        prior = np.clip(prior / prior.sum(), 1e-12, None).astype(np.float32)
        # the head starts from the (weighted) class frequencies, not uniform
        return self._supervised_net(images, len(prior), head_bias=np.log(prior))

    def fit(self, X, y):
        """Train the network on labelled images.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Training images.
        y : array-like of shape (n,)
            Class labels of any type.

        Returns
        -------
        self : CNNGalaxyClassifier
        """
        try:
            self._fit(X, y)
        finally:
            self.__dict__.pop("_encoder", None)
        return self

    def _record_fit(self, images):
        self.classes_ = self._encoder.classes_

    def _skeleton(self):
        images, _ = super()._skeleton(len(self.classes_))
        with warnings.catch_warnings():  # a -1 class was warned about at fit
            warnings.simplefilter("ignore", UserWarning)
            return images, self._fit_targets(images, self.classes_)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)

        Returns
        -------
        proba : ndarray of shape (n, n_classes), float64
            Columns in the order of ``classes_``.
        """
        proba = self._forward("proba", X).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)

        Returns
        -------
        y : ndarray of shape (n,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
