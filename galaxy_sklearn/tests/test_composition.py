"""The estimators inside scikit-learn's tools: Pipeline, GridSearchCV, clone,
joblib, FrozenEstimator, and the semi-supervised pattern."""

import io

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from galaxy_sklearn import (
    CAEFeaturizer,
    CNNGalaxyClassifier,
    LabelledOnlyClassifier,
    MoCoFeaturizer,
)
from galaxy_sklearn.datasets import make_galaxies

TINY = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=80, image_size=16, random_state=0)


@pytest.mark.parametrize(
    "featurizer, grid",
    [
        (CAEFeaturizer(**TINY), {"caefeaturizer__latent_dim": [4, 8]}),
        (
            MoCoFeaturizer("simple_cnn", **TINY),
            {"mocofeaturizer__temperature": [0.1, 0.5]},
        ),
    ],
)
def test_grid_search_over_featurizer_and_classifier(galaxies, featurizer, grid):
    X, y = galaxies
    pipe = make_pipeline(featurizer, LogisticRegression(max_iter=500))
    search = GridSearchCV(pipe, {**grid, "logisticregression__C": [0.1, 1.0]}, cv=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict(X).shape == (80,)


@pytest.mark.parametrize(
    "estimator",
    [CAEFeaturizer(**TINY), MoCoFeaturizer("simple_cnn", **TINY)],
    ids=["cae", "moco"],
)
def test_joblib_round_trip_gives_identical_output(galaxies, estimator):
    X, y = galaxies
    fitted = clone(estimator).fit(X)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    assert loaded.history_[-1, "epoch"] == 1


def test_joblib_round_trip_classifier(galaxies, tmp_path):
    X, y = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", **TINY).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(galaxies):
    X, y = galaxies
    moco = MoCoFeaturizer("simple_cnn", queue_size=64, **TINY).fit(X)
    copy = clone(moco)
    assert copy.get_params() == moco.get_params()
    assert not hasattr(copy, "net_")


def test_frozen_featurizer_is_reused_across_a_grid_search(galaxies):
    X, y = galaxies
    featurizer = MoCoFeaturizer("simple_cnn", **TINY).fit(X)
    net = featurizer.net_
    pipe = make_pipeline(FrozenEstimator(featurizer), LogisticRegression(max_iter=500))
    GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=2).fit(X, y)
    assert featurizer.net_ is net  # never refitted


def test_semi_supervised_pipeline_featurizer_sees_all_rows(galaxies):
    X, y = galaxies
    y_few = y.copy()
    y_few[20:] = -1
    pipe = make_pipeline(
        CAEFeaturizer(**TINY), LabelledOnlyClassifier(LogisticRegression(max_iter=500))
    ).fit(X, y_few)
    assert pipe[-1].n_labelled_ == 20
    assert -1 not in pipe[-1].classes_
    # the featurizer was trained on all 80 images: 5 batches of 16 per epoch
    assert pipe[0].history_[-1, "train_batch_count"] == 5
