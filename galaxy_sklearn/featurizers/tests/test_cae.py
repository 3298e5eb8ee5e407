import numpy as np
import pytest

from galaxy_sklearn import CAEFeaturizer
from galaxy_sklearn.datasets import make_galaxies


@pytest.fixture(scope="module")
def galaxies():
    X, _ = make_galaxies(n_samples=240, image_size=16, random_state=0)
    return X[:200], X[200:]


def test_training_reconstructs_better_than_initialisation(galaxies):
    train, test = galaxies
    params = {"latent_dim": 16, "batch_size": 32, "random_state": 0, "device": "cpu"}
    untrained = CAEFeaturizer(max_epochs=1, lr=1e-12, **params).fit(train)
    trained = CAEFeaturizer(max_epochs=8, lr=3e-3, **params).fit(train)
    # predicting every pixel as the mean image is the floor to beat
    scaled = test.astype(np.float64) / 255
    mean_image_error = np.mean((scaled - scaled.mean(axis=0)) ** 2)
    assert trained.score(test) > untrained.score(test)
    assert -trained.score(test) < mean_image_error
    losses = [epoch["train_loss"] for epoch in trained.history_]
    assert losses[-1] < 0.9 * losses[0]


def test_inverse_transform_returns_the_callers_layout_and_scale(galaxies):
    train, _ = galaxies
    cae = CAEFeaturizer(latent_dim=4, max_epochs=1, random_state=0).fit(train)
    recon = cae.inverse_transform(cae.transform(train[:3]))
    assert recon.shape == (3, 16, 16, 3) and cae.pixel_scale_ == 255.0
    assert 20 < recon.mean() < 235  # 0-255 scale, not 0-1

    single_band = train[..., 0].astype(np.float32) / 255
    cae.fit(single_band)
    assert cae.inverse_transform(cae.transform(single_band[:2])).shape == (2, 16, 16)
    flat = single_band.reshape(len(single_band), -1)
    cae.fit(flat)
    assert cae.inverse_transform(cae.transform(flat[:2])).shape == (2, 256)
    with pytest.raises(ValueError, match="expecting 4 latent features"):
        cae.inverse_transform(np.zeros((2, 5)))


def test_feature_names_and_pandas_output(galaxies):
    train, _ = galaxies
    cae = CAEFeaturizer(latent_dim=3, max_epochs=1, random_state=0).fit(train[:20])
    assert list(cae.get_feature_names_out()) == [
        "caefeaturizer0",
        "caefeaturizer1",
        "caefeaturizer2",
    ]
    frame = cae.set_output(transform="pandas").transform(train[:5])
    assert frame.shape == (5, 3) and frame.columns[0] == "caefeaturizer0"


@pytest.mark.parametrize("latent_dim", [0, 2.5, "8"])
def test_invalid_latent_dim(latent_dim, galaxies):
    with pytest.raises(ValueError, match="latent_dim"):
        CAEFeaturizer(latent_dim=latent_dim).fit(galaxies[0][:4])


def rotation_sensitivity(featurizer, X):
    """Feature change under a quarter turn, relative to the change between
    different galaxies."""
    a = featurizer.transform(X)
    b = featurizer.transform(np.rot90(X, axes=(1, 2)).copy())
    own = np.linalg.norm(a - b, axis=1).mean()
    other = np.linalg.norm(a - np.roll(a, 1, axis=0), axis=1).mean()
    return own / other


def test_major_axis_alignment_makes_features_rotation_invariant():
    X, _ = make_galaxies(n_samples=120, image_size=24, random_state=0)
    params = {"latent_dim": 8, "max_epochs": 2, "random_state": 0, "device": "cpu"}
    aligned = CAEFeaturizer(**params).fit(X)
    plain = CAEFeaturizer(align=None, **params).fit(X)
    assert aligned.align == "major_axis"
    assert rotation_sensitivity(aligned, X) < 0.5 * rotation_sensitivity(plain, X)
    # the reconstruction is of the aligned galaxy, at any orientation
    rotated = np.rot90(X, axes=(1, 2)).copy()
    assert aligned.score(rotated) == pytest.approx(aligned.score(X), rel=0.01)


def test_invalid_align(galaxies):
    train, _ = galaxies
    expected = r"align must be one of \['major_axis', None\]"
    with pytest.raises(ValueError, match=expected):
        CAEFeaturizer(align="minor", max_epochs=1).fit(train)
