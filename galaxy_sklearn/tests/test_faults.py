"""Training faults: a diverging loss, Ctrl-C, checkpoints and resuming."""

import itertools
import os

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from galaxy_sklearn import CNNGalaxyClassifier, CNNGalaxyRegressor, MoCoFeaturizer
from galaxy_sklearn._engine import GalaxyNet
from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.exceptions import CheckpointMismatchError, TrainingDivergedError

# 48 images in batches of 16: three training steps per epoch
N_IMAGES, BATCH = 48, 16


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=N_IMAGES, image_size=16, random_state=0)


def _classifier(**params):
    return CNNGalaxyClassifier(
        "simple_cnn", batch_size=BATCH, random_state=0, device="cpu", **params
    )


def _weights(estimator):
    return {k: v.clone() for k, v in estimator.module_.state_dict().items()}


def _same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def inject(monkeypatch, fault, at_step):
    """From training step ``at_step`` on (counted from 1), the step either
    raises ``KeyboardInterrupt`` before it runs or reports a NaN loss after
    it; returns the counter of steps taken."""
    original = GalaxyNet.train_step
    steps = itertools.count(1)

    def train_step(self, batch, **fit_params):
        step = next(steps)
        if step >= at_step and fault == "interrupt":
            raise KeyboardInterrupt
        out = original(self, batch, **fit_params)
        if step >= at_step and fault == "nan":
            out = {**out, "loss": out["loss"] * float("nan")}
        return out

    monkeypatch.setattr(GalaxyNet, "train_step", train_step)
    return steps


def test_nan_loss_keeps_the_weights_of_the_last_good_epoch(galaxies, monkeypatch):
    X, y = galaxies
    one_epoch = _classifier(max_epochs=1).fit(X, y)
    inject(monkeypatch, "nan", at_step=5)  # epoch 2, batch 2
    clf = _classifier(max_epochs=4)
    with pytest.raises(TrainingDivergedError, match="epoch 2, batch 2") as info:
        clf.fit(X, y)
    assert info.value.good_epochs == 1 and "lower lr" in str(info.value)
    assert len(clf.history_) == 1
    assert _same_weights(_weights(clf), _weights(one_epoch))
    np.testing.assert_array_equal(clf.predict_proba(X), one_epoch.predict_proba(X))


def test_a_real_divergence_leaves_the_estimator_unchanged(galaxies):
    X, y = galaxies
    targets = np.c_[y, -y].astype(float)
    reg = CNNGalaxyRegressor(
        "simple_cnn", output="linear", max_epochs=1, random_state=0, device="cpu"
    )
    with pytest.raises(TrainingDivergedError, match="estimator is left as it was"):
        reg.fit(X, targets * 1e20)  # the squared error overflows float32
    with pytest.raises(NotFittedError):
        reg.predict(X)
    before = reg.fit(X, targets).predict(X)
    with pytest.raises(TrainingDivergedError, match="in epoch 1, batch 1"):
        reg.fit(X, targets * 1e20)
    np.testing.assert_array_equal(reg.predict(X), before)
    assert len(reg.history_) == 1


def test_ctrl_c_leaves_a_usable_estimator(galaxies, monkeypatch):
    X, y = galaxies
    inject(monkeypatch, "interrupt", at_step=5)
    clf = _classifier(max_epochs=4).fit(X, y)  # skorch ends fit quietly
    assert len(clf.history_) == 2  # one whole epoch and the one cut short
    proba = clf.predict_proba(X)
    assert proba.shape == (N_IMAGES, len(clf.classes_)) and np.isfinite(proba).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda **p: _classifier(
            augmentation="geometric", validation_fraction=0.25, freeze=1, **p
        ),
        lambda **p: MoCoFeaturizer(
            "simple_cnn", batch_size=BATCH, random_state=0, device="cpu", **p
        ),
    ],
    ids=["classifier", "moco"],
)
def test_resuming_reaches_the_weights_of_an_uninterrupted_fit(
    galaxies, monkeypatch, tmp_path, make
):
    X, y = galaxies
    reference = make(max_epochs=3).fit(X, y)
    with monkeypatch.context() as patch:
        inject(patch, "interrupt", at_step=5)
        make(max_epochs=3, checkpoint_dir=tmp_path).fit(X, y)
    assert (tmp_path / "checkpoint.pt").is_file()
    resumed = make(max_epochs=3, checkpoint_dir=tmp_path).fit(X, y)
    assert len(resumed.history_) == 3
    assert _same_weights(_weights(resumed), _weights(reference))
    # the history of the first epoch came from the checkpoint
    assert resumed.history_[0, "train_loss"] == reference.history_[0, "train_loss"]


def test_max_epochs_may_grow_between_runs(galaxies, tmp_path):
    X, y = galaxies
    params = {"augmentation": "geometric", "lr_schedule": "constant"}
    reference = _classifier(max_epochs=3, **params).fit(X, y)
    _classifier(max_epochs=2, checkpoint_dir=tmp_path, **params).fit(X, y)
    longer = _classifier(max_epochs=3, checkpoint_dir=tmp_path, **params).fit(X, y)
    assert _same_weights(_weights(longer), _weights(reference))
    fewer = _classifier(max_epochs=2, checkpoint_dir=tmp_path, **params)
    with pytest.raises(ValueError, match="3 epochs, more than max_epochs=2"):
        fewer.fit(X, y)


def test_a_cosine_schedule_resumes_only_along_its_own_curve(galaxies, tmp_path):
    """The decay is spread over max_epochs: a larger one would change the
    rates of the epochs already trained."""
    X, y = galaxies
    _classifier(max_epochs=2, checkpoint_dir=tmp_path).fit(X, y)
    saved = (tmp_path / "checkpoint.pt").read_bytes()
    longer = _classifier(max_epochs=3, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="max_epochs=2, and lr_schedule='cosine'"):
        longer.fit(X, y)
    assert not hasattr(longer, "net_")
    assert (tmp_path / "checkpoint.pt").read_bytes() == saved


def test_a_finished_checkpoint_is_loaded_without_training(
    galaxies, tmp_path, monkeypatch
):
    X, y = galaxies
    first = _classifier(max_epochs=2, checkpoint_dir=tmp_path).fit(X, y)
    steps = inject(monkeypatch, "none", at_step=1)
    again = _classifier(max_epochs=2, checkpoint_dir=tmp_path).fit(X, y)
    assert next(steps) == 1  # no training step was taken
    assert _same_weights(_weights(again), _weights(first))


def test_a_checkpoint_of_another_fit_is_refused_and_kept(galaxies, tmp_path):
    X, y = galaxies
    _classifier(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)
    saved = (tmp_path / "checkpoint.pt").read_bytes()
    other = [
        (X[::-1], y[::-1], {}),  # other data
        (X, y, {"lr": 0.01}),  # other parameters
    ]
    for X_other, y_other, params in other:
        clf = _classifier(max_epochs=1, checkpoint_dir=tmp_path, **params)
        with pytest.raises(CheckpointMismatchError, match="other data or other"):
            clf.fit(X_other, y_other)
        assert not hasattr(clf, "net_")
    assert (tmp_path / "checkpoint.pt").read_bytes() == saved


def test_an_unreadable_checkpoint_is_named(galaxies, tmp_path):
    X, y = galaxies
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint.pt"):
        _classifier(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointMismatchError, match="not a galaxy-sklearn"):
        _classifier(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)


def test_a_failed_checkpoint_write_leaves_the_previous_one_whole(
    galaxies, tmp_path, monkeypatch
):
    X, y = galaxies
    constant = {"lr_schedule": "constant"}  # so that max_epochs may grow
    _classifier(max_epochs=1, checkpoint_dir=tmp_path, **constant).fit(X, y)
    saved = (tmp_path / "checkpoint.pt").read_bytes()
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["epochs"] == 1

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    clf = _classifier(max_epochs=2, checkpoint_dir=tmp_path, **constant)
    with pytest.raises(OSError, match="No space left"):
        clf.fit(X, y)
    assert (tmp_path / "checkpoint.pt").read_bytes() == saved
    assert os.listdir(tmp_path) == ["checkpoint.pt"]
    assert not hasattr(clf, "net_")


def test_weights_that_stop_being_finite_after_a_finite_loss(galaxies, monkeypatch):
    X, y = galaxies
    one_epoch = _classifier(max_epochs=1).fit(X, y)
    original = GalaxyNet.train_step
    steps = itertools.count(1)

    def train_step(self, batch, **fit_params):
        out = original(self, batch, **fit_params)
        if next(steps) == 6:  # the last step of epoch 2: its loss was finite
            with torch.no_grad():
                next(self.module_.parameters()).fill_(float("inf"))
        return out

    monkeypatch.setattr(GalaxyNet, "train_step", train_step)
    clf = _classifier(max_epochs=3)
    with pytest.raises(TrainingDivergedError, match="end of epoch 2") as info:
        clf.fit(X, y)
    assert info.value.good_epochs == 1
    assert _same_weights(_weights(clf), _weights(one_epoch))


def test_a_drawn_seed_is_kept_for_resuming(galaxies, tmp_path, monkeypatch):
    X, y = galaxies
    params = {"augmentation": "geometric", "validation_fraction": 0.25}
    with monkeypatch.context() as patch:
        inject(patch, "interrupt", at_step=5)
        CNNGalaxyClassifier(
            "simple_cnn",
            batch_size=BATCH,
            device="cpu",
            max_epochs=3,
            checkpoint_dir=tmp_path,
            **params,
        ).fit(X, y)  # random_state=None: a seed is drawn
    seed = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["seed"]
    resumed = CNNGalaxyClassifier(
        "simple_cnn",
        batch_size=BATCH,
        device="cpu",
        max_epochs=3,
        checkpoint_dir=tmp_path,
        **params,
    ).fit(X, y)
    reference = _classifier(max_epochs=3, **params).set_params(random_state=seed)
    assert _same_weights(_weights(resumed), _weights(reference.fit(X, y)))
