"""CNNGalaxyRegressor: vote fractions (or any targets) from images."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_array, check_consistent_length
from torch import nn

from .._supervised import SupervisedCNNMixin
from ..datasets import VOTE_COLUMNS
from ..nn import GZ2DecisionTree

_OUTPUTS = ("auto", "gz2", "sigmoid", "linear")


class CNNGalaxyRegressor(SupervisedCNNMixin, RegressorMixin, BaseEstimator):
    """A convolutional regressor of galaxy properties, e.g. vote fractions.

    The natural target is the 37 Galaxy Zoo 2 vote fractions
    (:data:`galaxy_sklearn.datasets.VOTE_COLUMNS`), which the ``"gz2"``
    output layer predicts through the Galaxy Zoo decision tree: a softmax per
    question scaled by the fraction of the answer that leads to it
    (Dieleman et al. 2015), so predictions lie in [0, 1] and are consistent
    across questions. Training minimises the mean squared error, whose
    square root over all outputs is the Kaggle metric
    (:func:`galaxy_sklearn.metrics.gz2_rmse`).

    Parameters
    ----------
    backbone : str, default="resnet18"
        A name in :data:`galaxy_sklearn.nn.BACKBONES`.
    output : {"auto", "gz2", "sigmoid", "linear"}, default="auto"
        ``"gz2"``: the decision tree (needs the 37 targets in Kaggle column
        order; a DataFrame with the :data:`~galaxy_sklearn.datasets.VOTE_COLUMNS`
        names is put in that order, and predictions come in it);
        ``"sigmoid"``: independent outputs in [0, 1]; ``"linear"``:
        unbounded outputs. ``"auto"`` picks ``"gz2"`` for 37 targets in
        [0, 1], ``"sigmoid"`` for other targets in [0, 1], else ``"linear"``.
    pretrained : None, "imagenet", str, path-like or fitted MoCoFeaturizer, \
default=None
        Starting weights of the backbone, as in :class:`CNNGalaxyClassifier`.
    freeze : bool or int, default=False
        ``True`` trains the head only; an int ``k`` trains the head alone for
        ``k`` epochs, then the whole network.
    augmentation : {None, "geometric", "galaxy"} or nn.Module, default=None
        Random views drawn for each training batch on the device. Vote
        fractions do not change under rotation or flips, so
        ``"geometric"`` is safe for them.
    validation_fraction : float or None, default=None
        Fraction of the training images held out to record ``valid_loss`` in
        ``history_`` each epoch, for learning curves
        (:func:`galaxy_sklearn.plotting.plot_history`). The
        network never trains on them. ``None`` trains on every image.
    max_epochs : int, default=10
        Passes over the training images.
    batch_size : int, default=64
        Images per optimisation step and per batch in ``predict``.
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
        Seeds initialisation, shuffling and augmentation.
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
    output_ : str
        The output layer used (``output`` with ``"auto"`` resolved).
    n_outputs_ : int
        Number of targets.
    net_ : skorch.NeuralNet
        The trained network, its optimiser and history.
    history_ : skorch.History
        Per-epoch ``train_loss`` and timing; ``valid_loss`` with
        ``validation_fraction``.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the training images.
    n_features_in_ : int
        Pixel values per image, ``H * W * C``.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    See Also
    --------
    galaxy_sklearn.datasets.load_galaxy_zoo2 : images with their vote
        fractions.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn import CNNGalaxyRegressor
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> X, _ = make_galaxies(n_samples=20, image_size=16, random_state=0)
    >>> votes = np.random.default_rng(0).dirichlet(np.ones(37), size=20)
    >>> reg = CNNGalaxyRegressor("simple_cnn", output="sigmoid", max_epochs=1,
    ...                          random_state=0).fit(X, votes)
    >>> pred = reg.predict(X)
    >>> pred.shape, bool(((pred >= 0) & (pred <= 1)).all())
    ((20, 37), True)
    """

    def __init__(
        self,
        backbone="resnet18",
        *,
        output="auto",
        pretrained=None,
        freeze=False,
        augmentation=None,
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
        self.output = output
        self.pretrained = pretrained
        self.freeze = freeze
        self.augmentation = augmentation
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        # a CNN trained for one epoch in the checks cannot reach R^2 > 0.5
        tags.regressor_tags.poor_score = True
        return tags

    def _check_params(self):
        super()._check_params()
        if self.output not in _OUTPUTS:
            raise ValueError(f"output must be one of {_OUTPUTS}, got {self.output!r}.")

    def _resolve_output(self, targets: np.ndarray) -> str:
        unit = bool(((targets >= 0) & (targets <= 1)).all())
        output = self.output
        if output == "auto":
            if unit and targets.shape[1] == GZ2DecisionTree.n_outputs:
                return "gz2"
            return "sigmoid" if unit else "linear"
        if output == "gz2" and targets.shape[1] != GZ2DecisionTree.n_outputs:
            raise ValueError(
                f"output='gz2' needs the {GZ2DecisionTree.n_outputs} Galaxy Zoo 2 "
                f"vote fractions as targets, got {targets.shape[1]} columns."
            )
        if output in ("gz2", "sigmoid") and not unit:
            raise ValueError(
                f"output={output!r} predicts values in [0, 1], but y has values "
                f"in [{targets.min():g}, {targets.max():g}]; use output='linear'."
            )
        return output

    def _fit_targets(self, images, y):
        if y is None:
            raise ValueError(
                "CNNGalaxyRegressor requires y to be passed, but the target y is None."
            )
        columns = getattr(y, "columns", None)
        if columns is not None and set(columns) == set(VOTE_COLUMNS):
            y = y[list(VOTE_COLUMNS)]  # the tree reads them in Kaggle order
        elif columns is not None and self.output == "gz2":
            raise ValueError(
                "output='gz2' needs y's columns to be the Galaxy Zoo 2 vote "
                f"fractions {VOTE_COLUMNS[0]} ... {VOTE_COLUMNS[-1]}; got "
                f"{list(columns)[:5]}..."
            )
        targets = check_array(
            y, ensure_2d=False, dtype=np.float32, input_name="y", ensure_all_finite=True
        )
        if targets.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {targets.shape}.")
        check_consistent_length(images, targets)
        y_ndim = targets.ndim
        targets = targets.reshape(len(targets), -1)
        output = self._resolve_output(targets)
        if (
            output == "gz2"
            and columns is not None
            and set(columns) != set(VOTE_COLUMNS)
        ):
            output = "sigmoid"  # 37 named columns that are not the vote fractions
        # read back by fit once training has succeeded
        self._pending = (output, y_ndim)
        return targets

    def _criterion(self, targets):
        return nn.MSELoss()

    def _build_module(self, images, targets):
        n_outputs = targets.shape[1]
        output = self._pending[0]
        if output == "gz2":
            return self._supervised_net(images, n_outputs, output=GZ2DecisionTree())
        if output == "sigmoid":
            # predictions start at the mean target
            mean = np.clip(targets.mean(axis=0), 1e-3, 1 - 1e-3)
            return self._supervised_net(
                images,
                n_outputs,
                output=nn.Sigmoid(),
                head_bias=np.log(mean / (1 - mean)).astype(np.float32),
            )
        return self._supervised_net(
            images, n_outputs, head_bias=targets.mean(axis=0).astype(np.float32)
        )

    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Training images.
        y : array-like of shape (n,) or (n, n_outputs)
            Targets, e.g. the 37 vote fractions (a DataFrame works).

        Returns
        -------
        self : CNNGalaxyRegressor
        """
        try:
            self._fit(X, y)
        finally:
            self.__dict__.pop("_pending", None)
        return self

    def _record_fit(self, images):
        self.output_, self._y_ndim = self._pending
        self.n_outputs_ = self.net_.module_.head.out_features

    def _skeleton(self):
        images, _ = super()._skeleton()
        self._pending = (self.output_, self._y_ndim)
        return images, np.full((len(images), self.n_outputs_), 0.5, np.float32)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)

        Returns
        -------
        y : ndarray of shape (n,) or (n, n_outputs), float64
        """
        pred = self._forward("forward", X).astype(np.float64)
        return pred[:, 0] if self._y_ndim == 1 else pred
