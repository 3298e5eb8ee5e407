"""
Galaxies of the Hubble Deep Field, grouped by similarity
========================================================

A survey image holds thousands of galaxies, none labelled. Here the Hubble
Deep Field image that ships with scikit-image: sources are detected with
photutils, cut out around their centroids, embedded by a
:class:`~galaxy_sklearn.CAEFeaturizer` trained on the cutouts themselves, and
grouped by k-means on the embedding. Each group is drawn as a row of its
galaxies, and the groups are marked on the field.

Small settings for a CPU (about 20 seconds); on a GPU raise ``max_epochs``
to 100 and the cutout ``size`` to 64. For a real survey, detect on the
science frames, cut out with ``galaxy_sklearn.datasets.load_fits_cutouts``,
and embed with a featurizer pretrained on many more galaxies.
"""

import matplotlib.pyplot as plt
import numpy as np
from astropy.convolution import Gaussian2DKernel, convolve
from astropy.stats import sigma_clipped_stats
from photutils.segmentation import SourceCatalog, detect_sources
from skimage.data import hubble_deep_field
from sklearn.cluster import KMeans

from galaxy_sklearn import CAEFeaturizer

field = hubble_deep_field()  # (872, 1000, 3) uint8 RGB
luminance = field.mean(axis=-1)
_, sky, noise = sigma_clipped_stats(luminance, sigma=3.0)
smoothed = convolve(luminance - sky, Gaussian2DKernel(1.5))
segments = detect_sources(smoothed, threshold=3 * noise, n_pixels=20)
catalog = SourceCatalog(luminance - sky, segments)
print(f"{len(catalog)} sources detected")

# %%
# Square cutouts of 32 pixels around each source away from the frame's edge.
size = 32
half = size // 2
centres = catalog.centroid[:, ::-1].round().astype(int)  # (y, x)
inside = np.all(
    (centres >= half) & (centres < np.array(luminance.shape) - half), axis=1
)
centres = centres[inside]
cutouts = np.stack(
    [field[y - half : y + half, x - half : x + half] for y, x in centres]
)
print(f"{len(cutouts)} cutouts of {size}x{size} px")

# %%
# Embed without labels, then group the embedding into four clusters.
cae = CAEFeaturizer(latent_dim=16, max_epochs=15, lr=3e-3, random_state=0)
embedding = cae.fit_transform(cutouts)
groups = KMeans(4, n_init=10, random_state=0).fit_predict(embedding)

fig, axes = plt.subplots(4, 8, figsize=(9, 5))
for group, row in enumerate(axes):
    members = np.flatnonzero(groups == group)[:8]
    for ax in row:
        ax.axis("off")
    for ax, index in zip(row, members):
        ax.imshow(cutouts[index])
    row[0].set_title(f"group {group} ({np.sum(groups == group)})", loc="left")
fig.tight_layout()

# %%
# The groups on the field.
fig, ax = plt.subplots(figsize=(8, 7))
ax.imshow(field)
for group in range(4):
    y, x = centres[groups == group].T
    ax.scatter(
        x, y, s=60, facecolors="none", edgecolors=f"C{group}", label=f"group {group}"
    )
ax.legend(loc="lower right")
ax.set_axis_off()
plt.show()
