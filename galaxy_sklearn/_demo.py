"""The main job: semi-supervised galaxy classification on synthetic galaxies."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .classifiers import CNNGalaxyClassifier
from .datasets import GALAXY_CLASSES, make_galaxies
from .featurizers import CAEFeaturizer, MoCoFeaturizer
from .semi_supervised import LabelledOnlyClassifier


def _linear_probe():
    return LabelledOnlyClassifier(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    )


def demo_models(*, max_epochs, backbone, device, random_state, verbose):
    """The three models of the demo, by name."""
    common = {"device": device, "random_state": random_state, "verbose": verbose}
    return {
        "CAE + LR": make_pipeline(
            CAEFeaturizer(latent_dim=64, max_epochs=max_epochs, lr=3e-3, **common),
            _linear_probe(),
        ),
        "MoCo + LR": make_pipeline(
            MoCoFeaturizer(backbone, max_epochs=max_epochs, batch_size=64, **common),
            _linear_probe(),
        ),
        f"CNN ({backbone}), labelled only": LabelledOnlyClassifier(
            CNNGalaxyClassifier(
                backbone,
                augmentation="geometric",
                max_epochs=4 * max_epochs,
                batch_size=32,
                **common,
            )
        ),
    }


def run_demo(
    *,
    n_samples: int = 2000,
    image_size: int = 24,
    label_fraction: float = 0.1,
    max_epochs: int = 5,
    backbone: str = "resnet18",
    device: str = "auto",
    output: str | Path = "galaxy_sklearn_demo",
    random_state: int = 0,
    verbose: int = 0,
    echo=print,
) -> pd.DataFrame:
    """Train CAE + LR, MoCo + LR and a supervised CNN with few labels.

    Parameters
    ----------
    n_samples : int, default=2000
        Synthetic galaxies generated; 80% train, 20% held out.
    image_size : int, default=24
        Side of the images in pixels.
    label_fraction : float, default=0.1
        Fraction of training labels kept; the other rows get ``-1``.
    max_epochs : int, default=5
        Epochs of the featurizers (the CNN, which sees only the labelled rows,
        gets four times as many).
    backbone : str, default="resnet18"
        Backbone of MoCo and of the supervised CNN.
    device : str, default="auto"
        Where to train.
    output : str or Path, default="galaxy_sklearn_demo"
        Folder for ``results.csv`` and ``confusion_matrix.png``.
    random_state : int, default=0
        Seed of the data, the label subset and every model.
    verbose : int, default=0
        Progress bars of the estimators.
    echo : callable, default=print
        Where progress lines and the table go.

    Returns
    -------
    table : pandas.DataFrame
        One row per model: accuracy, macro-F1 and fit seconds on the held-out
        split.
    """
    if not 0 < label_fraction <= 1:
        raise ValueError(f"label_fraction must be in (0, 1], got {label_fraction}.")
    X, y = make_galaxies(n_samples, image_size, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=random_state
    )
    rng = np.random.RandomState(random_state)
    n_labelled = max(len(GALAXY_CLASSES), round(label_fraction * len(y_train)))
    keep = rng.permutation(len(y_train))[:n_labelled]
    y_partial = np.full_like(y_train, -1)
    y_partial[keep] = y_train[keep]
    echo(
        f"{len(X_train)} training galaxies ({n_labelled} labelled), "
        f"{len(X_test)} held out, {image_size} px"
    )

    rows, predictions = [], {}
    models = demo_models(
        max_epochs=max_epochs,
        backbone=backbone,
        device=device,
        random_state=random_state,
        verbose=verbose,
    )
    for name, model in models.items():
        echo(f"training {name} ...")
        start = time.perf_counter()
        model.fit(X_train, y_partial)
        seconds = time.perf_counter() - start
        predictions[name] = model.predict(X_test)
        rows.append(
            {
                "model": name,
                "labels": n_labelled,
                "accuracy": accuracy_score(y_test, predictions[name]),
                "macro_f1": f1_score(y_test, predictions[name], average="macro"),
                "fit_seconds": seconds,
            }
        )
    table = pd.DataFrame(rows)
    echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    table.to_csv(output / "results.csv", index=False)
    _plot_confusion_matrices(y_test, predictions, output / "confusion_matrix.png")
    echo(f"wrote {output / 'results.csv'} and {output / 'confusion_matrix.png'}")
    return table


def _plot_confusion_matrices(y_true, predictions, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axes = plt.subplots(1, len(predictions), figsize=(5.5 * len(predictions), 5))
    for ax, (name, y_pred) in zip(np.atleast_1d(axes), predictions.items()):
        ConfusionMatrixDisplay.from_predictions(
            y_true,
            y_pred,
            labels=np.arange(len(GALAXY_CLASSES)),
            display_labels=[c.replace("_", "\n") for c in GALAXY_CLASSES],
            normalize="true",
            values_format=".2f",
            colorbar=False,
            ax=ax,
        )
        ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
