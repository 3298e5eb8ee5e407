"""galaxy-sklearn: scikit-learn-compatible galaxy morphology classification.

Featurizers that learn from unlabelled galaxies (:class:`CAEFeaturizer`,
:class:`MoCoFeaturizer`), supervised CNNs on any backbone
(:class:`CNNGalaxyClassifier`), and synthetic galaxies to try them on
(:func:`galaxy_sklearn.datasets.make_galaxies`).
"""

from ._validation import check_images
from .classifiers import CNNGalaxyClassifier
from .featurizers import CAEFeaturizer, MoCoFeaturizer
from .semi_supervised import LabelledOnlyClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "CAEFeaturizer",
    "CNNGalaxyClassifier",
    "LabelledOnlyClassifier",
    "MoCoFeaturizer",
    "__version__",
    "check_images",
]
