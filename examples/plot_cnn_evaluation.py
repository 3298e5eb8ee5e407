"""
Looking at a CNN: learning curves, confusion, ROC and saliency
==============================================================

Fit a :class:`~galaxy_sklearn.CNNGalaxyClassifier` with a validation split,
then draw what a morphology paper shows of a trained network: loss and
accuracy per epoch, the confusion matrix, the ROC curves, and where the
network looks (Grad-CAM over a convolutional block).

Small settings for a CPU (about 20 seconds); on a GPU raise ``n_samples`` to
20000, ``image_size`` to 64 and ``max_epochs`` to 30, and try ``"resnet18"``.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from galaxy_sklearn import CNNGalaxyClassifier
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
from galaxy_sklearn.metrics import classification_report_frame
from galaxy_sklearn.plotting import (
    plot_confusion_matrix,
    plot_history,
    plot_roc_curves,
    plot_saliency,
)

X, y = make_galaxies(n_samples=1000, image_size=24, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
clf = CNNGalaxyClassifier(
    "simple_cnn", max_epochs=12, validation_fraction=0.15, random_state=0
).fit(X_train, y_train)

# %%
# Training and validation curves come from ``history_``; the validation images
# (15% of the training set) were never trained on.
fig = plot_history(clf)

# %%
# Per-class precision, recall and F1 as a table, and the confusion matrix.
y_pred = clf.predict(X_test)
print(classification_report_frame(y_test, y_pred, target_names=GALAXY_CLASSES))
fig = plot_confusion_matrix(y_test, y_pred, names=GALAXY_CLASSES)

# %%
# One-vs-rest ROC curves from the predicted probabilities.
fig = plot_roc_curves(
    y_test, clf.predict_proba(X_test), classes=clf.classes_, names=GALAXY_CLASSES
)

# %%
# Grad-CAM: the regions that raise the predicted class's score. At 24 px the
# last block's map is only 3x3, so the heatmap is a blurred blob; where no
# region of that coarse map raises the score (every weighted map negative
# before Grad-CAM's ReLU) it is empty, as it can be for a confident, correct
# prediction.
fig = plot_saliency(
    clf,
    X_test,
    y_test,
    n_images=6,
    names=GALAXY_CLASSES,
    title="Grad-CAM, last block (3x3 map)",
)
plt.show()

# %%
# An earlier block, ``layer="features.3"``, has a full-resolution map and
# shows which pixels of each galaxy the decision rests on.
fig = plot_saliency(
    clf,
    X_test,
    y_test,
    n_images=6,
    names=GALAXY_CLASSES,
    layer="features.3",
    title='Grad-CAM, layer="features.3" (24x24 map)',
)
plt.show()
