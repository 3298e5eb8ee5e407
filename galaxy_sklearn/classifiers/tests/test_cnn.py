import numpy as np
import pytest
import torch

from galaxy_sklearn import CNNGalaxyClassifier, MoCoFeaturizer
from galaxy_sklearn._engine import network_input
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies

TINY = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def galaxies():
    X, y = make_galaxies(n_samples=700, image_size=24, random_state=0)
    return X[:500], y[:500], X[500:], y[500:]


def test_cnn_beats_chance_by_a_wide_margin(galaxies):
    X, y, X_test, y_test = galaxies
    clf = CNNGalaxyClassifier(
        "simple_cnn", max_epochs=12, batch_size=16, random_state=0, device="cpu"
    ).fit(X, y)
    chance = np.bincount(y_test).max() / len(y_test)
    assert clf.score(X_test, y_test) > chance + 0.3
    assert clf.history_[-1, "train_loss"] < clf.history_[0, "train_loss"]


def test_string_labels_and_probabilities(galaxies):
    X, y, X_test, _ = galaxies
    names = np.array(GALAXY_CLASSES)[y[:60]]
    clf = CNNGalaxyClassifier("simple_cnn", **TINY).fit(X[:60], names)
    assert list(clf.classes_) == sorted(GALAXY_CLASSES)
    proba = clf.predict_proba(X_test[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X_test[:10])) <= set(GALAXY_CLASSES)


def test_class_weight_changes_what_is_predicted(galaxies):
    X, y, X_test, _ = galaxies
    rare = (y[:80] == 2).astype(int)
    plain = CNNGalaxyClassifier("simple_cnn", **TINY).fit(X[:80], rare)
    balanced = CNNGalaxyClassifier("simple_cnn", class_weight="balanced", **TINY)
    balanced.fit(X[:80], rare)
    assert balanced.predict(X_test).mean() > plain.predict(X_test).mean()


def test_class_weight_dict_is_keyed_by_the_users_labels(galaxies):
    X, y, X_test, _ = galaxies
    names = np.where(y[:80] == 2, "cigar", "other")
    weighted = CNNGalaxyClassifier(
        "simple_cnn", class_weight={"cigar": 1000.0, "other": 0.001}, **TINY
    ).fit(X[:80], names)
    assert (weighted.predict(X_test) == "cigar").mean() > 0.9
    with pytest.raises(ValueError, match="not in y"):
        CNNGalaxyClassifier("simple_cnn", class_weight={"bar": 2.0}, **TINY).fit(
            X[:80], names
        )


def test_cosine_schedule_is_torchs_cosine_annealing_and_reaches_the_optimizer(
    galaxies,
):
    X, y, _, _ = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", **{**TINY, "max_epochs": 4})
    clf.fit(X[:40], y[:40])
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=clf.lr)
    annealing = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    expected = []
    for _ in range(4):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        annealing.step()
    np.testing.assert_allclose(clf.history_[:, "lr"], expected, rtol=1e-12)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == expected[-1]
    constant = CNNGalaxyClassifier(
        "simple_cnn", lr_schedule="constant", **{**TINY, "max_epochs": 4}
    ).fit(X[:40], y[:40])
    assert constant.net_.optimizer_.param_groups[0]["lr"] == constant.lr
    assert "lr" not in constant.history_[-1]
    # the schedule changes training from the second epoch on, not the first
    assert constant.history_[0, "train_loss"] == clf.history_[0, "train_loss"]
    assert constant.history_[-1, "train_loss"] != clf.history_[-1, "train_loss"]


def test_an_unknown_lr_schedule_is_named_and_leaves_a_fit_intact(galaxies):
    X, y, X_test, _ = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", **TINY).fit(X[:40], y[:40])
    before = clf.predict_proba(X_test[:5])
    clf.set_params(lr_schedule="linear")
    with pytest.raises(ValueError, match=r"lr_schedule must be one of \['cosine'"):
        clf.fit(X[:40], y[:40])
    np.testing.assert_array_equal(clf.predict_proba(X_test[:5]), before)


def test_freeze_trains_the_head_only(galaxies):
    X, y, _, _ = galaxies
    fits = {
        name: CNNGalaxyClassifier("resnet18", **params, **TINY).fit(X[:40], y[:40])
        for name, params in {
            "initial": {"lr": 1e-12},
            "frozen": {"freeze": True},
            "trained": {},
        }.items()
    }
    weights = {k: v.module_.backbone.state_dict() for k, v in fits.items()}
    head = {k: v.module_.head.weight for k, v in fits.items()}
    assert torch.equal(
        weights["frozen"]["conv1.weight"], weights["initial"]["conv1.weight"]
    )
    assert not torch.equal(
        weights["trained"]["conv1.weight"], weights["initial"]["conv1.weight"]
    )
    # a frozen backbone's batch-norm statistics do not move either
    assert torch.equal(weights["frozen"]["bn1.running_mean"], torch.zeros(64))
    assert not torch.equal(head["frozen"], head["initial"])


def test_pretrained_weights_from_a_file(tmp_path, galaxies):
    X, y, _, _ = galaxies
    donor = CNNGalaxyClassifier("simple_cnn", **TINY).fit(X[:40], y[:40])
    path = tmp_path / "simple_cnn.pt"
    torch.save(donor.module_.backbone.state_dict(), path)
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=str(path), freeze=True, **TINY)
    clf.fit(X[:40], y[:40])
    for a, b in zip(
        donor.module_.backbone.state_dict().values(),
        clf.module_.backbone.state_dict().values(),
    ):
        assert torch.equal(a, b)
    with pytest.raises(FileNotFoundError):
        CNNGalaxyClassifier(pretrained=tmp_path / "nope.pt", **TINY).fit(X[:8], y[:8])


def test_fine_tuning_a_fitted_moco_featurizer(galaxies):
    X, y, _, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", align=None, **TINY).fit(X[:48])
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=moco, freeze=True, **TINY)
    clf.fit(X[:48], y[:48])
    np.testing.assert_allclose(
        clf.module_.backbone(
            clf.module_.image_input(network_input(torch.from_numpy(X[:4]), "cpu"))
        ).detach(),
        moco.transform(X[:4]),
        rtol=1e-5,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="must match"):
        CNNGalaxyClassifier("resnet18", pretrained=moco, **TINY).fit(X[:8], y[:8])


def test_fine_tuning_takes_images_as_they_come_from_an_aligning_featurizer(galaxies):
    X, y, _, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", **TINY).fit(X[:48])
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=moco, freeze=True, **TINY)
    clf.fit(X[:48], y[:48])
    assert moco.module_.image_input.align  # the featurizer keeps aligning
    assert not clf.module_.image_input.align
    x = network_input(torch.from_numpy(X[:4]), "cpu")
    np.testing.assert_allclose(
        clf.module_.backbone(clf.module_.image_input(x)).detach(),
        moco.module_.backbone(moco.module_.image_input.normalize(x)).detach(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_freeze_for_k_epochs_then_fine_tune(galaxies):
    X, y, _, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", **TINY).fit(X[:48])
    start = {k: v.clone() for k, v in moco.module_.backbone.state_dict().items()}
    kwargs = {**TINY, "pretrained": moco, "freeze": 2}

    def moved(clf):
        backbone = clf.module_.backbone.state_dict()
        return any(not torch.equal(backbone[k], start[k]) for k in start)

    probe = CNNGalaxyClassifier("simple_cnn", **{**kwargs, "max_epochs": 2})
    assert not moved(probe.fit(X[:48], y[:48]))  # two epochs of head only
    tuned = CNNGalaxyClassifier("simple_cnn", **{**kwargs, "max_epochs": 3})
    assert moved(tuned.fit(X[:48], y[:48]))  # the third trains everything
    assert not tuned.module_.frozen
    # the pretrained featurizer itself is untouched
    assert all(
        torch.equal(v, start[k]) for k, v in moco.module_.backbone.state_dict().items()
    )
    with pytest.raises(ValueError, match="freeze must be"):
        CNNGalaxyClassifier(freeze=-1, **TINY).fit(X[:8], y[:8])


def test_fine_tuning_restores_dropout_and_failed_fit_leaves_no_state(galaxies):
    X, y, _, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", **TINY).fit(X[:48])
    assert all(
        m.p == 0 for m in moco.module_.modules() if isinstance(m, torch.nn.Dropout)
    )
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=moco, **TINY).fit(X[:48], y[:48])
    dropout = [m.p for m in clf.module_.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropout == [0.5]
    with pytest.raises(ValueError):
        clf.set_params(class_weight={"no such class": 2.0}).fit(X[:48], y[:48])
    assert not hasattr(clf, "_encoder")


def test_pretrained_featurizer_must_have_the_same_bands(galaxies):
    X, y, _, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", **TINY).fit(X[:48, :, :, :1])
    with pytest.raises(ValueError, match="1 bands, but X has 3"):
        CNNGalaxyClassifier("simple_cnn", pretrained=moco, **TINY).fit(X[:8], y[:8])


def test_pretrained_must_be_something_we_can_load(galaxies):
    X, y, _, _ = galaxies
    with pytest.raises(ValueError, match="pretrained must be"):
        CNNGalaxyClassifier(pretrained=3.5, **TINY).fit(X[:8], y[:8])
    with pytest.raises(ValueError, match="no ImageNet weights"):
        CNNGalaxyClassifier("simple_cnn", pretrained="imagenet", **TINY).fit(
            X[:8], y[:8]
        )


def test_validation_fraction_holds_images_out_of_training(galaxies):
    X, y, _, _ = galaxies
    X, y = X[:100], y[:100]
    clf = CNNGalaxyClassifier(
        "simple_cnn",
        max_epochs=2,
        batch_size=10,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)
    # 80 images train in 8 batches per epoch; 20 are only evaluated
    assert clf.history_[:, "train_batch_count"] == [8, 8]
    assert clf.history_[:, "valid_batch_count"] == [2, 2]
    assert {"valid_loss", "valid_acc", "train_acc"} <= set(clf.history_[-1])
    without = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0)
    assert "valid_loss" not in without.fit(X, y).history_[-1]


def test_validation_split_is_stratified_and_seeded():
    from galaxy_sklearn._engine import ImageDataset, validation_split

    y = np.repeat([0, 1, 2], [60, 30, 10])
    data = ImageDataset(np.zeros((100, 2, 2, 1), np.float32), y)
    train, valid = validation_split(0.2, seed=0, stratify=True)(data, y)
    assert np.bincount(y[valid.indices]).tolist() == [12, 6, 2]
    assert not set(train.indices) & set(valid.indices)
    again = validation_split(0.2, seed=0, stratify=True)(data, y)[1]
    assert list(again.indices) == list(valid.indices)
    # a class of one cannot be split: a plain shuffle instead
    y_odd = np.r_[np.zeros(99, int), 1]
    _, valid = validation_split(0.2, seed=0, stratify=True)(data, y_odd)
    assert len(valid.indices) == 20


@pytest.mark.parametrize("fraction", [0, 1, 1.5, "0.2", -0.1])
def test_bad_validation_fraction_leaves_a_previous_fit(galaxies, fraction):
    X, y, _, _ = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(validation_fraction=fraction)
    with pytest.raises(ValueError, match="validation_fraction"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_validation_must_leave_two_training_images(galaxies):
    X, y, _, _ = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, validation_fraction=0.5)
    with pytest.raises(ValueError, match="leaves 1 to train on"):
        clf.fit(X[:3], y[:3])
