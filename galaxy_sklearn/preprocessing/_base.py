"""What the stateless image transformers share."""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_images, record_images, to_layout


class ImageTransformerMixin(TransformerMixin, BaseEstimator):
    """A stateless transformer of images (not public).

    Subclasses define ``_check_params()`` and ``_transform_images(images)``
    on channels-last ``(n, H, W, C)`` arrays, or their own ``transform`` on
    ``self._images(X)``. ``fit`` only validates and
    records the input shape; ``transform`` works without it too.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def fit(self, X, y=None):
        """Check the parameters and record the image shape; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Images.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        record_images(self, X, check_images(X, image_shape=self.image_shape))
        return self

    def transform(self, X):
        """Transform each image.

        Parameters
        ----------
        X : array-like of shape (n, H, W, C), (n, H, W) or (n, n_features)
            Images, of the shape seen in ``fit`` when fitted.

        Returns
        -------
        X_new : ndarray
            In the layout of ``X``: (n, H', W', C), (n, H', W') or flat rows.
        """
        return to_layout(self._transform_images(self._images(X)), like=X)

    def _images(self, X):
        """Check the parameters and ``X``: channels-last images, of the fitted
        shape once fitted."""
        self._check_params()
        if hasattr(self, "image_shape_"):
            return check_images(X, estimator=self, reset=False)
        return check_images(X, image_shape=self.image_shape)
