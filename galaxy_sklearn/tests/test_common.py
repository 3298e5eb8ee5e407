"""scikit-learn's estimator checks over every public estimator."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from galaxy_sklearn import (
    CAEFeaturizer,
    CNNGalaxyClassifier,
    CNNGalaxyRegressor,
    LabelledOnlyClassifier,
    MoCoFeaturizer,
    MorphologyFeatures,
)
from galaxy_sklearn.preprocessing import (
    AlignMajorAxis,
    AsinhStretch,
    CenterCropResize,
    PercentileStretch,
)

# As imbalanced-learn's _set_checking_parameters: small settings for speed.
CHECKING_PARAMETERS = {
    "max_epochs": 1,
    "batch_size": 16,
    "random_state": 0,
    "device": "cpu",
}


def _checking(estimator):
    params = estimator.get_params()
    estimator.set_params(
        **{k: v for k, v in CHECKING_PARAMETERS.items() if k in params}
    )
    return estimator


ESTIMATORS = [
    _checking(CAEFeaturizer(latent_dim=8)),
    _checking(MoCoFeaturizer()),
    _checking(MoCoFeaturizer("simple_cnn")),
    _checking(CNNGalaxyClassifier()),
    _checking(CNNGalaxyClassifier("simple_cnn")),
    _checking(CNNGalaxyRegressor("simple_cnn")),
    _checking(CNNGalaxyRegressor(freeze=1)).set_params(max_epochs=2),
    LabelledOnlyClassifier(LogisticRegression()),
    CenterCropResize(crop=0.5, image_size=2),
    AsinhStretch(),
    PercentileStretch(),
    AlignMajorAxis(),
    MorphologyFeatures(n_jobs=1),
]

# Expected failures, each with its reason.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "LabelledOnlyClassifier": {
        "check_classifiers_classes": (
            "the check labels a binary problem -1/1, and -1 marks unlabelled rows "
            "(scikit-learn's semi-supervised convention); scikit-learn exempts its "
            "own semi-supervised classifiers from these labels by name"
        ),
    },
}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(
        type(est).__name__, {}
    ),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
