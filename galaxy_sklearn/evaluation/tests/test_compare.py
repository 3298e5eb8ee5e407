import json

import h5py
import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from galaxy_sklearn import compare
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
from galaxy_sklearn.evaluation import (
    MODELS,
    labelled_subset,
    load_comparison_data,
    supervised_epochs,
)
from galaxy_sklearn.evaluation._runner import TrainingInterrupted
from galaxy_sklearn.evaluation._zoo import ZooSettings, resolve_models

matplotlib.use("Agg")

TINY = {"n_samples": 60, "image_size": 16, "max_epochs": 1, "batch_size": 16}


def test_labelled_subsets_are_stratified_and_nested():
    y = np.repeat([0, 1, 2], [50, 30, 3])
    small, large = labelled_subset(y, 0.1, 0), labelled_subset(y, 0.5, 0)
    assert np.bincount(y[small]).tolist() == [5, 3, 1]  # at least one of each
    assert set(small) <= set(large)
    assert not np.array_equal(small, labelled_subset(y, 0.1, 1))
    assert len(labelled_subset(y, 1.0, 0)) == len(y)


def test_supervised_epochs_grow_with_fewer_labels():
    settings = ZooSettings(max_epochs=4, batch_size=8, device="cpu")
    assert supervised_epochs(settings, 1.0) == 4
    assert supervised_epochs(settings, 0.5) == 8
    assert supervised_epochs(settings, 0.01) == 16


def test_model_sets():
    import importlib.util

    timm = importlib.util.find_spec("timm") is not None
    assert [s.name for s in resolve_models(None)] == [
        "simple_cnn", "resnet18", "cae", "moco", "morphology", "pca"
    ]  # fmt: skip
    everything = [s.name for s in resolve_models(["all"])]
    assert everything == [name for name in MODELS if name != "xception" or timm]
    with pytest.raises(ValueError, match="Unknown models"):
        resolve_models(["resnet9000"])


def test_xception_without_timm_is_refused_before_training(monkeypatch):
    monkeypatch.setattr("galaxy_sklearn.evaluation._zoo._has_timm", lambda: False)
    assert "xception" not in [s.name for s in resolve_models("all")]
    with pytest.raises(ValueError, match="needs the timm package"):
        resolve_models(["pca", "xception"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    output = tmp_path_factory.mktemp("zoo")
    results = compare(
        models=["pca", "cae", "simple_cnn", "morphology"],
        label_fractions=[0.25, 1.0],
        seeds=[0, 1],
        output=output,
        device="cpu",
        verbose=0,
        echo=None,
        **TINY,
    )
    return output, results


def test_table_has_every_run_and_metric(finished):
    output, results = finished
    assert len(results) == 4 * 2 * 2
    assert {
        "accuracy", "macro_precision", "macro_recall", "macro_f1",
        "fit_seconds", "predict_images_per_s",
    } <= set(results)  # fmt: skip
    assert results[["accuracy", "macro_f1"]].stack().between(0, 1).all()
    # n_samples caps the training rows: 60 of them, 12 per class
    assert set(results.loc[results.label_fraction == 1.0, "n_labels"]) == {60}
    assert set(results.loc[results.label_fraction == 0.25, "n_labels"]) == {15}
    summary = pd.read_csv(output / "summary.csv")
    means = results.groupby(["model", "label_fraction"])["accuracy"].mean()
    for row in summary.itertuples():
        assert row.accuracy == pytest.approx(means[(row.model, row.label_fraction)])
    assert "macro_f1" in (output / "summary.md").read_text()
    per_class = pd.read_csv(output / "per_class.csv")
    assert set(per_class["class"]) >= set(GALAXY_CLASSES)


def test_featurizers_pretrain_once_per_seed(finished):
    output, results = finished
    assert sorted(p.name for p in (output / "cache").glob("cae*.npz")) == [
        "cae_seed0.npz",
        "cae_seed1.npz",
    ]
    cae = results[results.name == "cae"]
    # both fractions of a seed report the same (shared) pretraining
    assert cae.groupby("seed")["pretrain_seconds"].nunique().eq(1).all()
    assert cae["pretrain_seconds"].gt(0).all()
    assert (results.loc[results.name == "simple_cnn", "pretrain_seconds"] == 0).all()


def test_figures_and_report(finished):
    output, _ = finished
    figures = {p.name for p in (output / "figures").glob("*.png")}
    assert {
        "label_efficiency.png",
        "confusion_matrices.png",
        "roc_curves.png",
        "galaxy_grid.png",
        "reconstructions_cae.png",
        "embedding_cae.png",
        "history_cae.png",
        "history_simple_cnn.png",
        "saliency_simple_cnn.png",
    } <= figures
    report = (output / "report.html").read_text()
    assert report.count("data:image/png;base64,") == len(figures)
    assert "CNN simple_cnn" in report and "Label efficiency" in report
    assert "figures/roc_curves.png" in (output / "report.md").read_text()


def test_finished_runs_are_not_repeated(finished):
    output, _ = finished
    marker = output / "runs" / "pca" / "seed1_labels1.json"
    record = json.loads(marker.read_text())
    record["accuracy"] = 0.123
    marker.write_text(json.dumps(record))
    again = compare(
        models=["pca"],
        label_fractions=[1.0],
        seeds=[1],
        output=output,
        device="cpu",
        verbose=0,
        echo=None,
        **TINY,
    )
    assert again["accuracy"].tolist() == [0.123]  # read back, not retrained
    # the report of this smaller comparison shows its own model's figures only
    report = (output / "report.md").read_text()
    assert "reconstructions_cae" not in report and "confusion_matrices" in report
    with pytest.raises(ValueError, match="differ in \\['max_epochs'\\]"):
        compare(
            models=["pca"],
            output=output,
            verbose=0,
            echo=None,
            **{**TINY, "max_epochs": 2},
        )


def test_binary_object_labels(tmp_path):
    X, y = make_galaxies(60, 16, random_state=2)
    names = np.where(y == 4, "spiral", "other").astype(object)  # a pandas column
    results = compare(
        (X, names),
        models=["pca", "morphology"],
        label_fractions=[0.5, 1.0],
        seeds=[0],
        output=tmp_path,
        verbose=0,
        echo=None,
    )
    assert len(results) == 4
    per_class = pd.read_csv(tmp_path / "per_class.csv")
    assert {"spiral", "other"} <= set(per_class["class"])
    assert (tmp_path / "figures" / "roc_curves.png").is_file()


def test_arrays_and_their_class_names(tmp_path):
    X, y = make_galaxies(60, 16, random_state=1)
    names = np.array(GALAXY_CLASSES)[y]
    results = compare(
        (X, names),
        models=["pca"],
        label_fractions=[1.0],
        seeds=[0],
        output=tmp_path,
        verbose=0,
        echo=None,
    )
    assert len(results) == 1
    assert set(pd.read_csv(tmp_path / "per_class.csv")["class"]) >= set(GALAXY_CLASSES)


def test_galaxy_zoo2_folder_keeps_its_split(tmp_path):
    images, labels = make_galaxies(30, 212, random_state=0)  # crop is 207 px
    (tmp_path / "images").mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / "images" / f"{1000 + i}.jpg")
    split = np.where(np.arange(30) < 20, "train", "val")
    pd.DataFrame(
        {"galaxy_id": 1000 + np.arange(30), "label": labels, "split": split}
    ).to_csv(tmp_path / "labels.csv", index=False)
    data = load_comparison_data(tmp_path, image_size=16)
    assert len(data.y_train) == 20 and len(data.y_test) == 10
    np.testing.assert_array_equal(data.y_test, labels[20:])
    assert data.X_train.shape == (20, 16, 16, 3)
    assert data.names == list(GALAXY_CLASSES)


def test_galaxy10_file(tmp_path):
    path = tmp_path / "Galaxy10.h5"
    with h5py.File(path, "w") as f:
        f["images"] = np.random.default_rng(0).integers(
            0, 255, (40, 20, 20, 3), np.uint8
        )
        f["ans"] = np.arange(40) % 4
    data = load_comparison_data(path, image_size=16, n_samples=20)
    assert len(data.y_train) == 20 and data.X_test.shape[1:] == (16, 16, 3)
    assert len(data.names) == 10
    with pytest.raises(ValueError, match="official name"):
        load_comparison_data(path.rename(tmp_path / "mine.h5"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"label_fractions": [0.0, 1.0]}, "label_fractions must be in"),
        ({"seeds": []}, "seeds is empty"),
        ({"models": ["nope"]}, "Unknown models"),
        ({"data": "/no/such/folder"}, "neither a Galaxy Zoo 2 folder"),
        ({"max_epochs": 0}, "max_epochs must be a positive integer"),
        ({"random_state": None}, "random_state must be an int"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        compare(output=tmp_path, verbose=0, echo=None, **kwargs)
    assert not (tmp_path / "config.json").exists()


def test_interrupted_training_is_not_recorded(tmp_path, monkeypatch):
    import torch

    from galaxy_sklearn import CNNGalaxyClassifier
    from galaxy_sklearn.evaluation._zoo import ModelSpec
    from galaxy_sklearn.nn import BACKBONES, build_backbone

    batches = {"seen": 0, "interrupt_at": 6}

    class Interrupting(torch.nn.Module):
        """simple_cnn that raises KeyboardInterrupt once, in the second epoch."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.out_features, self.min_size = inner.out_features, inner.min_size

        def forward(self, x):
            if self.training:
                batches["seen"] += 1
                if batches["seen"] == batches["interrupt_at"]:
                    raise KeyboardInterrupt
            return self.inner(x)

    monkeypatch.setitem(
        BACKBONES,
        "interrupting",
        lambda bands, size, pretrained=None: Interrupting(
            build_backbone("simple_cnn", bands, size)
        ),
    )
    spec = ModelSpec(
        "flaky",
        "CNN flaky",
        lambda settings, seed, fraction: CNNGalaxyClassifier(
            "interrupting", max_epochs=2, batch_size=16, random_state=seed
        ),
    )
    monkeypatch.setitem(MODELS, "flaky", spec)
    arguments = dict(
        models=["flaky"], label_fractions=[1.0], seeds=[0], output=tmp_path,
        verbose=0, echo=None, **TINY,
    )  # fmt: skip
    with pytest.raises(TrainingInterrupted, match="stopped after 1 of 2 epochs"):
        compare(**arguments)
    assert not list((tmp_path / "runs").rglob("*.json"))
    results = compare(**arguments)  # resumes: trains the run again, in full
    assert len(results) == 1 and batches["seen"] > batches["interrupt_at"]
