"""
Galaxy Zoo 2: from JPEGs to a classifier
========================================

Load real SDSS galaxies in the layout of the Kaggle "Galaxy Challenge"
download with :func:`~galaxy_sklearn.datasets.load_galaxy_zoo2`, which crops
the centre of each 424 px JPEG and resizes it while decoding, then train a
:class:`~galaxy_sklearn.CNNGalaxyClassifier` on the five classes of Zhu et
al. (2019). The rare smooth cigars (2% of the galaxies) need
``class_weight="balanced"`` to be predicted at all.

The galaxies come from ``shared/data/gz2_5class`` (or the folder named by the
``GALAXY_SKLEARN_GZ2`` environment variable). Without it, the example writes
synthetic galaxies in the same layout to a temporary folder, so it always
runs. Small settings for a CPU (900 galaxies at 32 px, 8 epochs); on a GPU
use every galaxy (drop the ``train_size`` sample), ``image_size=64`` and
``max_epochs=30``. ``benchmarks/real_data.py`` runs the full-size comparison.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image
from sklearn.metrics import ConfusionMatrixDisplay, balanced_accuracy_score
from sklearn.model_selection import train_test_split

from galaxy_sklearn import CNNGalaxyClassifier
from galaxy_sklearn.datasets import GALAXY_CLASSES, load_galaxy_zoo2, make_galaxies


def find_gz2() -> Path | None:
    candidates = [os.environ.get("GALAXY_SKLEARN_GZ2")]
    here = Path(__file__ if "__file__" in globals() else ".").resolve()
    candidates += [p / "shared" / "data" / "gz2_5class" for p in here.parents]
    for folder in filter(None, candidates):
        if (Path(folder) / "labels.csv").is_file():
            return Path(folder)
    return None


def write_synthetic_gz2(folder: Path, n: int = 600) -> Path:
    """Synthetic galaxies as 424 px JPEGs plus a labels CSV (Kaggle layout)."""
    images, labels = make_galaxies(n_samples=n, image_size=128, random_state=0)
    (folder / "images").mkdir(parents=True)
    for galaxy_id, image in enumerate(images, start=100000):
        frame = np.zeros((424, 424, 3), dtype=np.uint8)
        frame[148:276, 148:276] = image  # a galaxy amid sky, as in the survey
        Image.fromarray(frame).save(folder / "images" / f"{galaxy_id}.jpg")
    pd.DataFrame({"galaxy_id": np.arange(100000, 100000 + n), "label": labels}).to_csv(
        folder / "labels.csv", index=False
    )
    return folder


folder = find_gz2() or write_synthetic_gz2(Path(tempfile.mkdtemp()))
labels = pd.read_csv(folder / "labels.csv")
# a stratified sample of 900 galaxies keeps the example to seconds
sample, _ = train_test_split(
    labels,
    train_size=min(900, len(labels) - 5),
    stratify=labels["label"],
    random_state=0,
)
data = load_galaxy_zoo2(
    folder / "images",
    labels_csv=folder / "labels.csv",
    galaxy_ids=sample["galaxy_id"],
    crop=207,
    image_size=32,
)
print(f"{len(data.images)} galaxies from {folder.name}/: {data.images.shape}")

# %%
# Six galaxies of each class, after the 207 px crop and the resize.
fig, axes = plt.subplots(5, 6, figsize=(7, 6))
for label, row in enumerate(axes):
    picks = np.flatnonzero(data.target == label)[:6]
    for ax, index in zip(row, picks):
        ax.imshow(data.images[index])
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(GALAXY_CLASSES[label], rotation=0, ha="right", fontsize=8)
fig.suptitle("Galaxy Zoo 2, five classes")
fig.tight_layout()
plt.show()

# %%
# Train on two thirds, evaluate on the rest. Rotations and flips do not change
# a galaxy's class, so the ``"geometric"`` augmentation is safe.
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=1 / 3, stratify=data.target, random_state=0
)
clf = CNNGalaxyClassifier(
    "simple_cnn",
    class_weight="balanced",
    augmentation="geometric",
    max_epochs=8,
    random_state=0,
)
clf.fit(X_train, y_train)
pred = clf.predict(X_test)
print(
    f"accuracy {np.mean(pred == y_test):.3f}, "
    f"balanced accuracy {balanced_accuracy_score(y_test, pred):.3f}"
)

ConfusionMatrixDisplay.from_predictions(
    y_test,
    pred,
    labels=range(5),
    display_labels=[name.replace("_", "\n") for name in GALAXY_CLASSES],
    normalize="true",
    values_format=".2f",
)
plt.title("Recall per class (rows: true class)")
plt.tight_layout()
plt.show()
