"""Pictures of galaxies and of models: every function returns a Figure.

Confusion matrices and ROC curves of a classifier, learning curves from an
estimator's history, autoencoder reconstructions, embedding maps of any
featurizer, example galaxies per class with their predictions, the
label-efficiency curve and Grad-CAM saliency.
"""

from ._classification import plot_confusion_matrix, plot_roc_curves
from ._embedding import embed_2d, plot_embedding
from ._images import plot_galaxy_grid, plot_reconstructions, plot_saliency
from ._training import plot_history, plot_label_efficiency

__all__ = [
    "embed_2d",
    "plot_confusion_matrix",
    "plot_embedding",
    "plot_galaxy_grid",
    "plot_history",
    "plot_label_efficiency",
    "plot_reconstructions",
    "plot_roc_curves",
    "plot_saliency",
]
