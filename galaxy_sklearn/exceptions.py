"""Exceptions and warnings raised by galaxy-sklearn."""

__all__ = ["CheckpointMismatchError", "TrainingDivergedError"]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite.

    Raised by ``fit`` of the torch-backed estimators. When at least one epoch
    finished with a finite loss, the estimator is left fitted with the weights
    of the last such epoch (its ``history_`` ends there); otherwise it is left
    as it was before ``fit``.

    Attributes
    ----------
    epoch : int
        The epoch (counted from 1) in which the loss stopped being finite.
    good_epochs : int
        Epochs whose weights were kept (0: none, the estimator is unchanged).

    Examples
    --------
    >>> from galaxy_sklearn.exceptions import TrainingDivergedError
    >>> issubclass(TrainingDivergedError, FloatingPointError)
    True
    """

    def __init__(self, message: str, *, epoch: int, good_epochs: int):
        super().__init__(message)
        self.epoch = epoch
        self.good_epochs = good_epochs


class CheckpointMismatchError(ValueError):
    """A checkpoint folder holds the training of other data or parameters.

    ``fit`` refuses to resume from it or to overwrite it, so that no earlier
    work is lost: point ``checkpoint_dir`` at another folder, or delete it.

    Examples
    --------
    >>> from galaxy_sklearn.exceptions import CheckpointMismatchError
    >>> issubclass(CheckpointMismatchError, ValueError)
    True
    """
