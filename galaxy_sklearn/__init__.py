"""galaxy-sklearn: scikit-learn-compatible galaxy morphology classification.

Featurizers that learn from unlabelled galaxies (:class:`CAEFeaturizer`,
:class:`MoCoFeaturizer`), supervised CNNs on any backbone
(:class:`CNNGalaxyClassifier`) and regressors of vote fractions
(:class:`CNNGalaxyRegressor`), the classical non-parametric morphology
(:class:`MorphologyFeatures`), loaders of survey data and synthetic galaxies to
try them on (:mod:`galaxy_sklearn.datasets`).
"""

from ._persistence import load
from ._validation import check_images
from .classifiers import CNNGalaxyClassifier
from .evaluation import compare
from .featurizers import CAEFeaturizer, MoCoFeaturizer
from .morphology import MorphologyFeatures
from .regressors import CNNGalaxyRegressor
from .semi_supervised import LabelledOnlyClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "CAEFeaturizer",
    "CNNGalaxyClassifier",
    "CNNGalaxyRegressor",
    "LabelledOnlyClassifier",
    "MoCoFeaturizer",
    "MorphologyFeatures",
    "__version__",
    "check_images",
    "compare",
    "load",
]
