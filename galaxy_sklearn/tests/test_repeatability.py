"""Two CPU fits with the same random_state give identical outputs."""

import numpy as np
import pytest
from sklearn.base import clone

from galaxy_sklearn import (
    CAEFeaturizer,
    CNNGalaxyClassifier,
    CNNGalaxyRegressor,
    MoCoFeaturizer,
)
from galaxy_sklearn.datasets import make_galaxies

SMALL = {"max_epochs": 2, "batch_size": 16, "device": "cpu"}
ESTIMATORS = [
    CAEFeaturizer(latent_dim=4, **SMALL),
    MoCoFeaturizer("simple_cnn", **SMALL),
    CNNGalaxyClassifier(
        "resnet18", augmentation="galaxy", validation_fraction=0.25, **SMALL
    ),
    CNNGalaxyRegressor("simple_cnn", augmentation="geometric", **SMALL),
]


def _output(estimator, X):
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    return estimator.predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_same_random_state_gives_identical_output(estimator):
    X, y = make_galaxies(n_samples=48, image_size=16, random_state=0)
    if isinstance(estimator, CNNGalaxyRegressor):
        y = np.c_[y / 4, 1 - y / 4]
    first, second, other = (
        clone(estimator).set_params(random_state=seed).fit(X, y) for seed in (0, 0, 1)
    )
    np.testing.assert_array_equal(_output(first, X), _output(second, X))
    assert not np.array_equal(_output(first, X), _output(other, X))
