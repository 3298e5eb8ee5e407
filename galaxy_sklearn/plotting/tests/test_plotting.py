import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.pipeline import make_pipeline

from galaxy_sklearn import CAEFeaturizer, CNNGalaxyClassifier, MoCoFeaturizer
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
from galaxy_sklearn.plotting import (
    plot_confusion_matrix,
    plot_embedding,
    plot_galaxy_grid,
    plot_history,
    plot_label_efficiency,
    plot_reconstructions,
    plot_roc_curves,
    plot_saliency,
)


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=60, image_size=16, random_state=0)


@pytest.fixture(scope="module")
def cnn(galaxies):
    X, y = galaxies
    clf = CNNGalaxyClassifier(
        "simple_cnn", max_epochs=3, validation_fraction=0.25, random_state=0
    )
    return clf.fit(X, y)


def test_confusion_matrix_shows_normalised_counts():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 100)
    y_pred = np.where(rng.random(100) < 0.7, y_true, rng.integers(0, 3, 100))
    fig = plot_confusion_matrix(y_true, y_pred, names=["a", "b", "c"])
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(
        shown, confusion_matrix(y_true, y_pred, normalize="true")
    )
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]


def test_roc_curves_report_each_class_auc():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    proba = rng.dirichlet(np.ones(3), 200)
    proba[np.arange(200), y] += 0.5
    fig = plot_roc_curves(y, proba, classes=[0, 1, 2], names=GALAXY_CLASSES)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    for k in range(3):
        auc = roc_auc_score(y == k, proba[:, k])
        assert f"{GALAXY_CLASSES[k]} (AUC {auc:.2f})" in labels
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_classes\)"):
        plot_roc_curves(y, proba[:, :2])


def test_history_has_training_and_validation_curves(cnn):
    fig = plot_history(cnn)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    np.testing.assert_allclose(
        loss_ax.lines[1].get_ydata(), cnn.history_[:, "valid_loss"]
    )
    np.testing.assert_allclose(
        acc_ax.lines[0].get_ydata(), cnn.history_[:, "train_acc"]
    )


def test_history_of_a_pipeline_featurizer(galaxies):
    X, y = galaxies
    pipe = make_pipeline(
        MoCoFeaturizer("simple_cnn", max_epochs=2, batch_size=16, random_state=0),
        LogisticRegression(),
    ).fit(X, y)
    fig = plot_history(pipe)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines[0].get_xdata()) == 2
    with pytest.raises(ValueError, match="no training history"):
        plot_history(LogisticRegression().fit(X.reshape(60, -1), y))


def test_label_efficiency_band_spans_the_seeds():
    results = {
        "model": ["a"] * 6 + ["b"] * 2,
        "label_fraction": [0.01, 0.01, 0.1, 0.1, 1.0, 1.0, 0.01, 1.0],
        "accuracy": [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.6],
    }
    fig = plot_label_efficiency(results)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.4, 0.65, 0.85])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.3)
    assert band[:, 1].max() == pytest.approx(0.9)
    with pytest.raises(ValueError, match="lacks the columns"):
        plot_label_efficiency(results, metric="macro_f1")


def test_reconstructions_show_input_and_output(galaxies):
    X, _ = galaxies
    cae = CAEFeaturizer(max_epochs=15, lr=3e-3, random_state=0).fit(X)
    fig = plot_reconstructions(make_pipeline(cae), X, n_images=3)
    assert len(fig.axes) == 6
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), X[0] / 255.0)
    recon = cae.inverse_transform(cae.transform(X[:1]))[0]
    shown = fig.axes[3].images[0].get_array()
    np.testing.assert_allclose(shown, np.clip(recon / 255.0, 0, 1), atol=1e-6)
    # a reconstruction, not a saturated frame: it follows the input
    assert 0.05 < shown.mean() < 0.95
    assert np.corrcoef(shown.ravel(), X[0].ravel())[0, 1] > 0.3
    with pytest.raises(TypeError, match="CAEFeaturizer"):
        plot_reconstructions(LogisticRegression(), X)


def test_embedding_separates_separated_classes():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    features = rng.normal(size=(60, 10)) + 6 * y[:, None]
    fig = plot_embedding(features, y, names=["round", "spiral"])
    first, second = (c.get_offsets()[:, 0] for c in fig.axes[0].collections)
    assert first.max() < second.min() or second.max() < first.min()
    images = rng.random((60, 8, 8, 3)).astype(np.float32)
    fig = plot_embedding(features, y, method="tsne", images=images, n_thumbnails=5)
    assert len(fig.axes[0].artists) == 5
    with pytest.raises(ValueError, match="but y has"):
        plot_embedding(features, y[:10])


def test_galaxy_grid_marks_wrong_predictions(galaxies):
    X, y = galaxies
    y_pred = y.copy()
    y_pred[y == 0] = 1
    fig = plot_galaxy_grid(X, y, y_pred, names=GALAXY_CLASSES, n_per_class=2)
    # every smooth_round galaxy was called smooth_inbetween: red; the rest right
    row0, others = fig.axes[:2], fig.axes[2:]
    assert [ax.get_title() for ax in row0] == [GALAXY_CLASSES[1]] * 2
    assert all(ax.title.get_color() == "red" for ax in row0)
    assert all(ax.title.get_color() == "green" for ax in others)
    assert row0[0].get_ylabel() == GALAXY_CLASSES[0]
    with pytest.raises(ValueError, match="labels"):
        plot_galaxy_grid(X, y[:5])


def test_saliency_overlays_a_heatmap(cnn, galaxies):
    X, y = galaxies
    fig = plot_saliency(cnn, X, y, n_images=4, names=GALAXY_CLASSES)
    assert len(fig.axes) == 8
    overlay = fig.axes[4].images
    assert len(overlay) == 2 and overlay[1].get_array().shape == (16, 16)
    assert fig.axes[0].get_title().startswith(f"true {GALAXY_CLASSES[y[0]]}")
