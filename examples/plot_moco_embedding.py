"""
MoCo embedding map
==================

A :class:`~galaxy_sklearn.MoCoFeaturizer` learns, without labels, to map two
random views of a galaxy (rotated, flipped, shifted, blurred, noised) close
together and other galaxies apart. A t-SNE map of its features, coloured by
the labels it never saw, shows what it learned: with this short training the
classes only begin to separate, edge-on discs and spirals leaning towards
their own regions while the three smooth classes, which differ only in
ellipticity, overlap.

Small settings for a CPU (about 30 seconds); on a GPU raise ``n_samples`` to
20000, ``image_size`` to 64 and ``max_epochs`` to 100.
"""

import matplotlib.pyplot as plt

from galaxy_sklearn import MoCoFeaturizer
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies
from galaxy_sklearn.plotting import plot_embedding

X, y = make_galaxies(n_samples=1000, image_size=24, random_state=0)
X_train, X_test, y_test = X[:800], X[800:], y[800:]

# no labels: y is not passed
moco = MoCoFeaturizer("resnet18", max_epochs=5, batch_size=64, random_state=0)
moco.fit(X_train)
features = moco.transform(X_test)
print(f"{features.shape[1]} features per galaxy")

# %%
# The map places each held-out galaxy by its features; thumbnails show a few.
fig = plot_embedding(
    features,
    y_test,
    method="tsne",
    names=GALAXY_CLASSES,
    images=X_test,
    n_thumbnails=16,
    title="MoCo features of held-out galaxies (t-SNE)",
)
plt.show()
