"""CAEFeaturizer: a convolutional autoencoder as a scikit-learn transformer."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_array, check_is_fitted
from torch import nn

from .._base import GalaxyEstimatorMixin
from .._engine import predict_batches
from .._validation import to_layout
from ..nn import ConvAutoencoder


class _AutoencoderNet(nn.Module):
    """Scaled channels-first batches in, ``(reconstruction, target)`` out, both
    standardised."""

    def __init__(self, image_input, autoencoder):
        super().__init__()
        self.image_input = image_input
        self.autoencoder = autoencoder

    def encode(self, x):
        return self.autoencoder.encode(self.image_input(x))

    def decode(self, z):
        """Latent vectors to scaled channels-last images."""
        return self.image_input.denormalize(self.autoencoder.decode(z)).permute(
            0, 2, 3, 1
        )

    def squared_error(self, x):
        """Mean squared reconstruction error per image, in scaled units (of
        the aligned image, when the input aligns)."""
        recon, target = (self.image_input.denormalize(t) for t in self(x))
        return ((recon - target) ** 2).mean(dim=(1, 2, 3))

    def forward(self, x):
        x = self.image_input(x)
        return self.autoencoder(x), x


class _ReconstructionLoss(nn.Module):
    def forward(self, output, target=None):
        reconstruction, images = output
        return nn.functional.mse_loss(reconstruction, images)


class CAEFeaturizer(
    GalaxyEstimatorMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Convolutional autoencoder features: fit on unlabelled galaxy images.

    The encoder (strided convolutions) maps each image to a ``latent_dim``
    vector and the decoder maps it back; training minimises the mean squared
    error between standardised images and their reconstructions. By default
    each galaxy is first turned so that its major axis lies along x
    (``align``), so the latent vector spends nothing on the position angle
    and the axis ratio becomes a linear cue. ``y`` is ignored, so rows
    labelled ``-1`` (unlabelled) are used like any other.

    Parameters
    ----------
    latent_dim : int, default=64
        Size of the latent vector that ``transform`` returns.
    channels : tuple of int, default=(32, 64, 128)
        Feature maps of the encoder's three downsampling stages (mirrored in
        the decoder).
    align : {"major_axis", None}, default="major_axis"
        ``"major_axis"`` rotates each image about its centre so that its
        galaxy's major axis (from the second moments of the central light,
        :func:`galaxy_sklearn.nn.major_axis_angle`) lies along x, in ``fit``
        and ``transform`` alike; reconstructions come back in that
        orientation (see :doc:`/real_data` for what it changes on Galaxy
        Zoo 2). None encodes the images as they are.
    max_epochs : int, default=20
        Passes over the training images.
    batch_size : int, default=64
        Images per optimisation step, and per batch in ``transform``.
    lr : float, default=1e-3
        AdamW learning rate.
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
        Seeds weight initialisation and shuffling; CPU fits with the same
        seed are identical.
    verbose : int, default=0
        ``1`` shows a progress bar and a per-epoch log.
    checkpoint_dir : str or path-like, default=None
        A folder to write a checkpoint into after every epoch. ``fit`` resumes
        from a checkpoint found there (same data and parameters; ``max_epochs``
        may grow), reaching the weights an uninterrupted CPU fit reaches; a
        checkpoint of another fit is refused, never overwritten.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input rows; see
        :func:`galaxy_sklearn.check_images` for the rule without it.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network, its optimiser and history.
    history_ : skorch.History
        Per-epoch training loss and timing.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the training images.
    pixel_scale_ : float
        255 when fitted on ``uint8`` images, else 1: reconstructions are
        returned on this scale.
    n_features_in_ : int
        Pixel values per image, ``H * W * C``.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    See Also
    --------
    MoCoFeaturizer : contrastive features, usually better for classification.

    Examples
    --------
    >>> from galaxy_sklearn import CAEFeaturizer
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> X, y = make_galaxies(n_samples=32, image_size=16, random_state=0)
    >>> cae = CAEFeaturizer(latent_dim=8, max_epochs=1, random_state=0).fit(X)
    >>> cae.transform(X).shape
    (32, 8)
    >>> cae.inverse_transform(cae.transform(X[:2])).shape
    (2, 16, 16, 3)
    """

    def __init__(
        self,
        latent_dim=64,
        *,
        channels=(32, 64, 128),
        align="major_axis",
        max_epochs=20,
        batch_size=64,
        lr=1e-3,
        device="auto",
        compile=False,
        random_state=None,
        verbose=0,
        checkpoint_dir=None,
        image_shape=None,
    ):
        self.latent_dim = latent_dim
        self.channels = channels
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

    def _build_module(self, images, targets):
        autoencoder = ConvAutoencoder(
            images.shape[-1], images.shape[1:3], self.latent_dim, tuple(self.channels)
        )
        return _AutoencoderNet(self._image_input(images), autoencoder)

    def _criterion(self, targets):
        return _ReconstructionLoss()

    def fit(self, X, y=None):
        """Train the autoencoder on ``X``.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Training images.
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        self : CAEFeaturizer
        """
        if not isinstance(self.latent_dim, numbers.Integral) or self.latent_dim < 1:
            raise ValueError(
                f"latent_dim must be a positive integer, got {self.latent_dim!r}."
            )
        self._fit(X)
        return self

    def _record_fit(self, images):
        self.pixel_scale_ = 255.0 if images.dtype == np.uint8 else 1.0

    def transform(self, X):
        """Latent vectors of the images.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)

        Returns
        -------
        Z : ndarray of shape (n, latent_dim), float32
        """
        return self._forward("encode", X)

    def inverse_transform(self, X):
        """Reconstruct images from latent vectors, in the caller's layout.

        Parameters
        ----------
        X : array-like of shape (n, latent_dim)

        Returns
        -------
        images : ndarray, float32
            Same layout as the training input ((n, H, W, C), (n, H, W) or flat
            rows), on the scale of ``pixel_scale_`` (0-255 for uint8 input);
            with ``align``, galaxies lie with their major axis along x.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} features, but CAEFeaturizer is expecting "
                f"{self.latent_dim} latent features as input."
            )
        module = self.net_.module_.eval()
        images = predict_batches(
            module.decode,
            Z,
            batch_size=self.batch_size,
            device=self.net_.device,
            images=False,
        )
        return to_layout(images * np.float32(self.pixel_scale_), self)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better).

        Errors are measured on scaled pixels: uint8 images as [0, 1], float
        images as given; with ``align``, against the aligned images.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
        y : ignored

        Returns
        -------
        score : float
        """
        errors = self._forward("squared_error", X)
        return -float(np.mean(errors, dtype=np.float64))

    @property
    def _n_features_out(self):
        return self.latent_dim
