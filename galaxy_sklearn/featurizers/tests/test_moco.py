import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from galaxy_sklearn import MoCoFeaturizer
from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.featurizers._moco import effective_queue_size
from galaxy_sklearn.featurizers.tests.test_cae import rotation_sensitivity


def _probe_accuracy(featurizer, X, y, X_test, y_test):
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    probe.fit(featurizer.transform(X), y)
    return probe.score(featurizer.transform(X_test), y_test)


def test_contrastive_pretraining_beats_the_same_encoder_at_random_init():
    X, y = make_galaxies(n_samples=500, image_size=16, random_state=0)
    X_test, y_test = make_galaxies(n_samples=500, image_size=16, random_state=1)
    params = {"batch_size": 64, "random_state": 0, "device": "cpu"}
    random_init = MoCoFeaturizer(max_epochs=1, lr=1e-12, **params).fit(X)
    pretrained = MoCoFeaturizer(max_epochs=6, **params).fit(X)
    random_acc = _probe_accuracy(random_init, X, y, X_test, y_test)
    moco_acc = _probe_accuracy(pretrained, X, y, X_test, y_test)
    assert moco_acc > random_acc + 0.03, (moco_acc, random_acc)


def test_queue_is_clamped_to_half_the_data_but_at_least_a_batch():
    assert effective_queue_size(4096, 100_000, 256) == 4096
    assert effective_queue_size(4096, 1000, 128) == 500
    assert effective_queue_size(4096, 30, 16) == 16
    X, _ = make_galaxies(n_samples=40, image_size=16, random_state=0)
    moco = MoCoFeaturizer("simple_cnn", max_epochs=1, batch_size=8, random_state=0)
    assert moco.fit(X).queue_size_ == 20


def test_transform_is_deterministic_and_independent_of_batching():
    X, _ = make_galaxies(n_samples=30, image_size=16, random_state=0)
    moco = MoCoFeaturizer("simple_cnn", max_epochs=1, batch_size=8, random_state=0)
    features = moco.fit(X).transform(X)
    assert features.shape == (30, 60) and features.dtype == np.float32
    np.testing.assert_array_equal(moco.transform(X[7:9]), features[7:9])


def test_same_seed_same_features_different_seed_different_features():
    X, _ = make_galaxies(n_samples=24, image_size=16, random_state=0)
    params = {"max_epochs": 1, "batch_size": 8, "device": "cpu"}
    a = MoCoFeaturizer("simple_cnn", random_state=3, **params).fit(X).transform(X)
    b = MoCoFeaturizer("simple_cnn", random_state=3, **params).fit(X).transform(X)
    c = MoCoFeaturizer("simple_cnn", random_state=4, **params).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"momentum": 1.0}, "momentum"),
        ({"temperature": 0}, "temperature"),
        ({"queue_size": 0}, "queue_size"),
        ({"augmentation": "hue"}, "augmentation"),
        ({"align": True}, "align must be one of"),
        ({"backbone": "nope"}, "Unknown backbone"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"device": "gpu9"}, "device"),
        pytest.param(
            {"device": "cuda"},
            "CUDA is not available",
            marks=pytest.mark.skipif(
                __import__("torch").cuda.is_available(), reason="has CUDA"
            ),
        ),
    ],
)
def test_invalid_parameters_are_reported_at_fit(params, match):
    X, _ = make_galaxies(n_samples=8, image_size=16, random_state=0)
    with pytest.raises(ValueError, match=match):
        MoCoFeaturizer(**params).fit(X)


def test_major_axis_alignment_makes_features_rotation_invariant():
    X, _ = make_galaxies(n_samples=120, image_size=24, random_state=0)
    params = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}
    aligned = MoCoFeaturizer("simple_cnn", **params).fit(X)
    plain = MoCoFeaturizer("simple_cnn", align=None, **params).fit(X)
    assert aligned.net_.module_.image_input.align
    assert not plain.net_.module_.image_input.align
    assert rotation_sensitivity(aligned, X) < 0.5 * rotation_sensitivity(plain, X)
