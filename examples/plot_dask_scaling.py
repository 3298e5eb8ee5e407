"""
Scaling out with Dask: a survey file read lazily, blockwise inference, grid search
===================================================================================

A survey's images do not fit in one machine's memory. Here a Galaxy10-format
HDF5 file is opened as a lazy dask array (nothing read yet), a fitted
featurizer embeds it chunk by chunk on the workers of a Dask cluster, and a
grid search spreads its fits over the same cluster through joblib.

The cluster here is two workers inside this process, so that the example
runs anywhere in about half a minute. On real hardware, start workers on other
machines (``dask worker scheduler:8786``) and connect with
``Client("scheduler:8786")``; raise ``n_samples`` and ``image_size`` in
``make_galaxies`` (the DECaLS file holds 17,736 galaxies of 256 px). On a GPU,
raise the featurizer's ``max_epochs`` to 50 and drop ``device="cpu"``: each
worker then embeds its blocks on the GPU it sees.
"""

import tempfile
from pathlib import Path

import h5py
import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster, get_task_stream
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from galaxy_sklearn import CAEFeaturizer
from galaxy_sklearn.datasets import GALAXY_CLASSES, load_galaxy10, make_galaxies
from galaxy_sklearn.parallel import map_blocks

# %%
# A survey file on disk, in astroNN's Galaxy10 layout (synthetic galaxies
# standing in for the real file, which is 2.7 GB).
X, y = make_galaxies(n_samples=3000, image_size=32, random_state=0)
home = Path(tempfile.mkdtemp())
with h5py.File(home / "Galaxy10_DECals.h5", "w") as f:
    f["images"] = X
    f["ans"] = y

survey = load_galaxy10("decals", data_home=home, chunks=250)
images = survey.images
print(f"lazy {images.shape} {images.dtype} array, chunks of {images.chunksize[0]}")

# %%
# A featurizer fitted on a small sample (no labels), in memory as usual.
cae = CAEFeaturizer(latent_dim=16, max_epochs=3, random_state=0, device="cpu")
_ = cae.fit(X[:600])

# %%
# Blockwise inference on the cluster. ``map_blocks`` is lazy; computing it
# reads each chunk on a worker and embeds it there. The task stream records
# which worker ran which chunk, and when.
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)
features = map_blocks(cae, survey.images)
print(f"lazy {features.shape}: {features.numblocks[0]} tasks, nothing read yet")
with get_task_stream(client) as stream:
    Z = features.compute()
print(f"{Z.shape[0]} galaxies embedded into {Z.shape[1]} features")

tasks = [t for t in stream.data if "_apply" in str(t["key"])]
workers = sorted({t["worker"] for t in tasks})
t0 = min(s["start"] for t in tasks for s in t["startstops"])
fig, ax = plt.subplots(figsize=(7, 2.2))
for task in tasks:
    for span in task["startstops"]:
        if span["action"] == "compute":
            ax.barh(
                workers.index(task["worker"]),
                span["stop"] - span["start"],
                left=span["start"] - t0,
                height=0.6,
                color="tab:blue",
                edgecolor="white",
            )
ax.set_yticks(range(len(workers)), [f"worker {i}" for i in range(len(workers))])
ax.set_xlabel("seconds")
ax.set_title(f"{len(tasks)} chunks of 250 galaxies: read from the file and embedded")
fig.tight_layout()

# %%
# The features of the whole survey, as they came back from the workers, on
# their first two principal components.
P = PCA(n_components=2).fit_transform(Z)
fig, ax = plt.subplots(figsize=(5, 4))
for label, name in enumerate(GALAXY_CLASSES):
    rows = survey.target == label
    ax.scatter(P[rows, 0], P[rows, 1], s=4, alpha=0.5, label=name)
ax.set_xlabel("PC 1 of the CAE features")
ax.set_ylabel("PC 2")
ax.legend(markerscale=3, fontsize=7)
fig.tight_layout()

# %%
# A grid search through joblib's Dask backend: every (candidate, fold) fit is
# a task on the cluster. The fitted estimators travel as pickles that hold
# their weights once and no optimizer state. (Two epochs on 600 galaxies: the
# scores here only show the mechanics; see the grid-search example for what
# the choices are worth.)
pipeline = make_pipeline(
    CAEFeaturizer(max_epochs=2, random_state=0, device="cpu"),
    StandardScaler(),
    LogisticRegression(max_iter=1000),
)
grid = {"caefeaturizer__latent_dim": [8, 32], "caefeaturizer__lr": [1e-3, 3e-3]}
with joblib.parallel_backend("dask"):
    search = GridSearchCV(pipeline, grid, cv=2, n_jobs=-1).fit(X[:600], y[:600])
print("best:", search.best_params_, f"accuracy {search.best_score_:.2f}")
scores = search.cv_results_["mean_test_score"]
print(np.round(scores, 3))

client.close()
cluster.close()
