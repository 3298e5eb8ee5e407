"""
Autoencoder reconstructions
===========================

A :class:`~galaxy_sklearn.CAEFeaturizer` compresses each galaxy into a short
latent vector (``transform``) and decodes it back (``inverse_transform``).
Reconstructions show what the latent space keeps: with this short training,
position, brightness and rough size survive, while elongation, colour, noise
and faint detail mostly do not (more epochs keep more of the shape).
"""

import matplotlib.pyplot as plt
import numpy as np

from galaxy_sklearn import CAEFeaturizer
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies

# On a GPU, raise n_samples to 20000, image_size to 64 and max_epochs to 50.
X, y = make_galaxies(n_samples=1000, image_size=32, random_state=0)
X_train, X_test, y_test = X[:900], X[900:], y[900:]

cae = CAEFeaturizer(latent_dim=32, max_epochs=8, lr=3e-3, random_state=0)
cae.fit(X_train)
print(f"held-out score (negative MSE on [0, 1] pixels): {cae.score(X_test):.5f}")

latent = cae.transform(X_test)
reconstructed = cae.inverse_transform(latent)  # same layout and 0-255 scale as X

# %%
# One galaxy of each class: the input above, its reconstruction below.
picks = [np.flatnonzero(y_test == label)[0] for label in range(len(GALAXY_CLASSES))]
fig, axes = plt.subplots(2, len(picks), figsize=(2.2 * len(picks), 4.6))
for column, index in enumerate(picks):
    axes[0, column].imshow(X_test[index])
    axes[0, column].set_title(GALAXY_CLASSES[y_test[index]].replace("_", " "))
    axes[1, column].imshow(np.clip(reconstructed[index], 0, 255).astype(np.uint8))
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("input")
axes[1, 0].set_ylabel("reconstruction")
fig.tight_layout()
plt.show()
